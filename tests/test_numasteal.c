/*
** test_numasteal.c: the numasteal policy through its ops table (fake Gs
** and Ps, policy_fake.h), its Ps placed on nodes by a synthetic topology
** (topo_start / topo_stop, as rt_run does): a thief takes from its own
** node first, from a random one of its node's Ps; it tries other nodes
** only after local_rounds dry rounds, and keeps doing so until a local
** steal succeeds again; it never takes from itself.  Then every G out
** exactly once (random sequences, an owner and a thief racing) and a real
** run on two single-P nodes, where every steal is a remote one.
*/
#include "policy_fake.h"
#include "proc.h"
#include "topo.h"

const rt_sched_ops *rt_sched_numasteal(void);

#define NS_TOPO "numa:2 core:4 pu:1"   /* 2 nodes of 4 PUs */

/* Ps on nodes: compact puts P 0-3 on node 0 and P 4-7 on node 1. */
static world *ns_world(const char *topo, const char *placement, int procs, int local_rounds) {
  char err[512] = "";
  int rc = topo_start(topo, placement, procs, err, sizeof err);
  CHECKF(rc == RT_OK, "topo_start: %s", err);
  world *w = world_new(rt_sched_numasteal(), procs);
  if (local_rounds >= 0) world_set(w, "local_rounds", local_rounds);
  CHECK_EQ(world_init(w), RT_OK);
  return w;
}

static void ns_world_free(world *w) {
  world_free(w);
  topo_stop();
}

static void test_table(void) {
  const rt_sched_ops *o = rt_sched_numasteal();
  CHECK_EQ(o->abi, RT_ABI_VERSION);
  CHECK(strcmp(o->name, "numasteal") == 0 && o->summary && o->steal && o->init);
  CHECK_EQ(o->nparams, 1);
  CHECK(strcmp(o->params[0].name, "local_rounds") == 0);
  CHECK(o->params[0].def == 2 && o->params[0].min == 0 && o->params[0].max == 64);
  const rt_sched_ops *got_ops;
  rt_pval vals[RT_MAX_PARAMS];
  char err[512];
  CHECK_EQ(rt_sched_resolve("numasteal,local_rounds=0", &got_ops, vals, err, sizeof err), RT_OK);
  CHECK_EQ(rt_sched_resolve("numasteal,local_rounds=65", &got_ops, vals, err, sizeof err),
           RT_EINVAL);
}

/* The nodes each P sees, from the plan. */
static void test_nodes(void) {
  world *w = ns_world(NS_TOPO, "compact", 8, -1);
  CHECK_EQ(rt_sp_nnodes(), 2);
  for (int p = 0; p < 8; p++) CHECK_EQ(rt_sp_node(&w->sp[p]), p < 4 ? 0 : 1);
  ns_world_free(w);
  w = ns_world(NS_TOPO, "scatter", 8, -1);
  for (int p = 0; p < 8; p++) CHECK_EQ(rt_sp_node(&w->sp[p]), p % 2);
  ns_world_free(w);
  CHECK_EQ(rt_sp_nnodes(), 1);  /* outside a plan */
}

/* Local victims always win over remote ones, from a random local start. */
static void test_local_first(void) {
  world *w = ns_world(NS_TOPO, "compact", 8, 0);
  fg *g = gs_new(8);
  int hits[8] = {0};
  for (int k = 0; k < 300; k++) {
    for (int p = 1; p < 8; p++)  /* one G on every other P */
      if (!g[p].queued) ready(w, p, &g[p], RT_WHY_NEW);
    fg *x = steal(w, 0);
    CHECKF(x && x->idx >= 1 && x->idx <= 3, "trial %d: P 0 stole G %d, not from its node", k,
           IDX(x));
    if (x) hits[x->idx]++;
  }
  for (int p = 1; p <= 3; p++) CHECKF(hits[p] > 30, "local P %d chosen %d / 300 times", p, hits[p]);
  CHECK_EQ(w->sp[0].cnt[RT_CNT_STEALS], 300);
  /* P 5 (node 1) prefers P 4, 6, 7 alike. */
  for (int k = 0; k < 30; k++) {
    fg *x = steal(w, 5);
    CHECKF(x && x->idx >= 4 && x->idx != 5, "P 5 stole G %d", IDX(x));
    if (x) ready(w, x->idx, x, RT_WHY_NEW);
  }
  ns_world_free(w);
  free(g);
}

/* With local_rounds = L, the first L steals of a P whose node is dry find
** nothing even though another node has work; the next one takes it.  The
** P then goes remote at once until a local steal succeeds again. */
static void rounds_case(int L) {
  world *w = ns_world(NS_TOPO, "compact", 8, L);
  fg *g = gs_new(8);
  ready(w, 6, &g[6], RT_WHY_NEW);
  for (int k = 0; k < L; k++) {
    CHECKF(steal(w, 0) == NULL, "L=%d: steal %d went remote early", L, k + 1);
    CHECK(w->ops->runnable(&w->sp[6]));
  }
  CHECKF(IDX(steal(w, 0)) == 6, "L=%d: steal %d did not go remote", L, L + 1);
  ready(w, 5, &g[5], RT_WHY_NEW);
  CHECKF(IDX(steal(w, 0)) == 5, "L=%d: the dry spell should go on", L);
  /* local work again: it wins, and ends the dry spell */
  ready(w, 2, &g[2], RT_WHY_NEW);
  ready(w, 7, &g[7], RT_WHY_NEW);
  CHECKF(IDX(steal(w, 0)) == 2, "L=%d: a local G must come first", L);
  for (int k = 0; k < L; k++) CHECKF(steal(w, 0) == NULL, "L=%d: remote before the rounds", L);
  CHECK_EQ(IDX(steal(w, 0)), 7);
  CHECK_EQ(w->sp[0].cnt[RT_CNT_STEALS], 4);
  /* another P of node 0 keeps its own count */
  ready(w, 4, &g[4], RT_WHY_NEW);
  for (int k = 0; k < L; k++) CHECK(steal(w, 1) == NULL);
  CHECK_EQ(IDX(steal(w, 1)), 4);
  ns_world_free(w);
  free(g);
}

/* Remote victims: every P of the other node gets chosen. */
static void test_remote_spread(void) {
  world *w = ns_world(NS_TOPO, "compact", 8, 0);
  fg *g = gs_new(8);
  int hits[8] = {0};
  for (int k = 0; k < 400; k++) {
    for (int p = 4; p < 8; p++)
      if (!g[p].queued) ready(w, p, &g[p], RT_WHY_NEW);
    fg *x = steal(w, 1);
    CHECKF(x && x->idx >= 4, "trial %d: P 1 stole %d", k, IDX(x));
    if (x) hits[x->idx]++;
  }
  for (int p = 4; p < 8; p++) CHECKF(hits[p] > 30, "remote P %d chosen %d / 400 times", p, hits[p]);
  ns_world_free(w);
  free(g);
}

/* A thief never takes its own Gs; one node (or no plan) means all local. */
static void test_self_and_one_node(void) {
  world *w = ns_world(NS_TOPO, "compact", 8, 0);
  fg *g = gs_new(2);
  ready(w, 0, &g[0], RT_WHY_NEW);
  for (int k = 0; k < 5; k++) CHECK(steal(w, 0) == NULL);
  CHECK_EQ(IDX(pick(w, 0, NULL)), 0);
  ns_world_free(w);

  w = ns_world("pack:1 core:4 pu:1", "compact", 4, 64);  /* every P local */
  ready(w, 3, &g[1], RT_WHY_NEW);
  CHECK_EQ(IDX(steal(w, 0)), 1);
  ns_world_free(w);

  w = world_start(rt_sched_numasteal(), 4);  /* no plan: node 0 for all */
  ready(w, 2, &g[1], RT_WHY_NEW);
  CHECK_EQ(IDX(steal(w, 1)), 1);
  world_free(w);
  free(g);
}

/* Scatter interleaves the nodes: P 0's neighbour on its node is P 2. */
static void test_scatter_nodes(void) {
  world *w = ns_world("numa:2 core:2 pu:1", "scatter", 4, 1);
  fg *g = gs_new(4);
  ready(w, 1, &g[1], RT_WHY_NEW);
  ready(w, 2, &g[2], RT_WHY_NEW);
  CHECK_EQ(IDX(steal(w, 0)), 2);
  CHECK(steal(w, 0) == NULL);  /* one dry round first */
  CHECK_EQ(IDX(steal(w, 0)), 1);
  ns_world_free(w);
  free(g);
}

/* Every G out exactly once, on two nodes and on one; and a race. */
static void test_once(void) {
  world *w = ns_world(NS_TOPO, "scatter", 4, 1);
  once_case(w, 20000);
  ns_world_free(w);
  w = world_start(rt_sched_numasteal(), 4);
  once_case(w, 20000);
  world_free(w);
  w = ns_world("numa:2 core:1 pu:1", "compact", 2, 0);  /* the thief is remote */
  race_run(w, 50000, "numasteal");
  ns_world_free(w);
}

/* ==== a run: two nodes of one P, so every steal crosses nodes ========= */

#define RUN_GS 64
#define RUN_ROUNDS 20000
static _Atomic int run_moved;
static rt_waitgroup run_wg;

static void run_g(void *arg) {
  (void)arg;
  for (int r = 0; r < RUN_ROUNDS && !atomic_load(&run_moved); r++) {
    volatile int x = 0;
    for (int i = 0; i < 2000; i++) x += i;
    if (sched_cur_sp()->id != 0) atomic_store(&run_moved, 1);
    rt_yield();
  }
  rt_wg_done(&run_wg);
}

static void run_main(void *arg) {
  (void)arg;
  rt_wg_add(&run_wg, RUN_GS);
  for (int i = 0; i < RUN_GS; i++) rt_go(run_g, NULL);
  rt_wg_wait(&run_wg);
}

static void test_run(void) {
  char err[512] = "";
  rt_config cfg = {.procs = 2, .sched = "numasteal,local_rounds=3", .placement = "compact",
                   .topology = "numa:2 core:1 pu:1", .err = err, .errlen = sizeof err};
  CHECKF(rt_run(&cfg, run_main, NULL) == RT_OK, "%s", err);
  CHECKF(run_moved, "no G ever ran on P 1: it stole nothing from the other node");
  uint64_t cnt[2 * RT_CNT__N];
  CHECK_EQ(rt_counters(cnt, 2), 2);
  CHECK(cnt[RT_CNT__N + RT_CNT_STEALS] > 0);
}

int main(void) {
  test_table();
  test_nodes();
  test_local_first();
  for (int L = 0; L <= 3; L++) rounds_case(L);
  rounds_case(64);
  test_remote_spread();
  test_self_and_one_node();
  test_scatter_nodes();
  test_once();
  test_run();
  return check_done("test_numasteal");
}
