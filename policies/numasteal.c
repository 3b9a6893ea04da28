/*
** numasteal.c: randsteal made NUMA-aware.  Per-P FIFO queues, no global
** queue; an idle P steals one G, and looks on its own NUMA node first:
** a G that moves between nodes leaves its cache and its memory behind.
**
** One steal call is one round over the other Ps of the thief's node, from
** a random one of them.  When it finds nothing, the P counts a dry round;
** only once local_rounds rounds in a row came up dry does a steal go on
** to the Ps of the other nodes (again from a random one, in P order, with
** no preference among remote nodes).  A local success ends the dry spell;
** a remote one does not, so a P whose node has run out of work keeps
** taking from other nodes without paying local_rounds again each time.
** Between rounds the framework looks at every P's runnable() and calls
** steal again (or sleeps when nothing is runnable anywhere), so the
** rounds are also time in which local work may appear.
**
** Nodes come from the run's placement plan (rt_sp_node): with placement
** none they are nominal, so the policy behaves the same on a synthetic
** topology as on a bound real one.  Each P reads its node and counts its
** local and remote Ps once, in init; the plan is fixed for the run.
** Queues are randsteal's: an rt_gqueue per P, whose length a thief and
** runnable() read without the lock.  With one node (or local_rounds
** never reached) numasteal is randsteal restricted to a node.
*/
#include "rt_module.h"

enum { NS_LOCAL_ROUNDS };

static const rt_param ns_params[] = {
  {"local_rounds", RT_PT_INT, 2, 0, 64, NULL,
   "dry steal rounds on the thief's own node before it also tries other nodes"},
};

typedef struct ns_p {
  rt_gqueue q;               /* this P's runnable Gs, oldest first */
  int node;                  /* NUMA node of this P, fixed at init */
  int nlocal;                /* other Ps on this node */
  int nremote;               /* Ps on other nodes */
  int64_t dry;               /* steal rounds in a row that found nothing
                                on this node; owner only */
} ns_p;

#define NS(p) ((ns_p *)(p)->state)

static int ns_init(rt_sp *p) {
  ns_p *s = NS(p);
  s->node = rt_sp_node(p);
  for (int i = 0; i < p->nprocs; i++)
    if (i != p->id) {
      if (rt_sp_node(p->all[i]) == s->node) s->nlocal++;
      else s->nremote++;
    }
  return RT_OK;
}

static void ns_ready(rt_sp *p, rt_g *g, rt_why why) { rt_gq_push(&NS(p)->q, g); }

static rt_g *ns_pick(rt_sp *p, bool *inherit) {
  *inherit = false;
  return rt_gq_pop(&NS(p)->q);
}

/* One round over the `count` Ps other than t that are on t's node (local)
** or not (remote), in P order from a random one of them: the first G
** found, or NULL.  Candidates are numbered in ring order from t + 1; the
** second pass over the ring reaches those before the random start. */
static rt_g *ns_round(rt_sp *t, int count, bool local) {
  if (count == 0) return NULL;
  int n = t->nprocs, node = NS(t)->node, start = (int)(rt_rand(t) % (uint32_t)count);
  int k = 0;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 1; i < n; i++) {
      rt_sp *v = t->all[(t->id + i) % n];
      if ((NS(v)->node == node) != local) continue;
      int idx = k++;
      if (idx < start || idx >= start + count) continue;
      rt_g *g = rt_gq_pop(&NS(v)->q);
      if (g) {
        t->cnt[RT_CNT_STEALS]++;
        return g;
      }
    }
  return NULL;
}

static rt_g *ns_steal(rt_sp *t) {
  ns_p *s = NS(t);
  rt_g *g = ns_round(t, s->nlocal, true);
  if (g) {
    s->dry = 0;
    return g;
  }
  if (s->dry < t->param[NS_LOCAL_ROUNDS].i) {
    s->dry++;
    return NULL;
  }
  return ns_round(t, s->nremote, false);
}

static bool ns_runnable(const rt_sp *p) {
  return rt_gq_len(&NS(p)->q) > 0;
}

static const rt_sched_ops ns_ops = {
  .abi = RT_ABI_VERSION,
  .name = "numasteal",
  .summary = "per-P FIFO queues; steal one G from the thief's NUMA node first, "
             "other nodes after local_rounds dry rounds",
  .params = ns_params,
  .nparams = (int)(sizeof ns_params / sizeof ns_params[0]),
  .state_size = sizeof(ns_p),
  .shared_size = 0,
  .init = ns_init,
  .ready = ns_ready,
  .pick = ns_pick,
  .steal = ns_steal,
  .runnable = ns_runnable,
};

const rt_sched_ops *rt_sched_numasteal(void) { return &ns_ops; }
