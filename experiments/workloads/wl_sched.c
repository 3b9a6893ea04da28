/*
** wl_sched.c: workloads that stress the scheduler itself: yield (the
** cost of a voluntary switch), spawn (creating and finishing Gs) and
** skynet (a tree of a million-ish short Gs reporting through channels,
** the well-known benchmark by Alexander Temerev, here with fan-out 10).
**
** Every G a workload starts signals a WaitGroup as its very last action,
** and the workload waits for it before freeing anything the Gs touched:
** a G that has handed over its last value may still be leaving a channel
** operation, so "the value arrived" does not mean "the G is done".
*/
#include "workloads.h"

#include <stdio.h>
#include <stdlib.h>

/* ==== yield ========================================================== */

enum { Y_N, Y_GS };
static const rt_param y_params[] = {
  {"n", RT_PT_INT, 1000000, 1, 1e12, NULL, "yields in total, shared by the Gs"},
  {"gs", RT_PT_INT, 2, 1, 100000, NULL, "Gs yielding to each other"},
};

/* One yielding G's share. */
typedef struct y_g {
  int64_t n;               /* yields to do */
  int64_t done;            /* yields done (read after the WaitGroup) */
  rt_waitgroup *wg;        /* signalled when finished */
} y_g;

static void y_body(void *arg) {
  y_g *g = arg;
  for (int64_t i = 0; i < g->n; i++) {
    rt_yield();
    g->done++;
  }
  rt_wg_done(g->wg);
}

static int y_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[Y_N].i, gs = v[Y_GS].i;
  y_g *g = calloc((size_t)gs, sizeof *g);
  if (!g) return snprintf(err, errlen, "yield: out of memory"), RT_ENOMEM;
  rt_waitgroup wg = {0};
  rt_wg_add(&wg, gs);
  for (int64_t i = 0; i < gs; i++) {
    g[i].n = n / gs + (i < n % gs);
    g[i].wg = &wg;
    rt_go(y_body, &g[i]);
  }
  rt_wg_wait(&wg);
  int64_t total = 0;
  for (int64_t i = 0; i < gs; i++) total += g[i].done;
  free(g);
  *ops = (uint64_t)total;
  if (total != n)
    return snprintf(err, errlen, "yield: %lld yields done, want %lld", (long long)total,
                    (long long)n), 1;
  return 0;
}

const wl_desc wl_yield = {
  "yield", "Gs yield to each other in turn (cost of a voluntary switch)",
  y_params, 2, NULL, y_run,
};

/* ==== spawn ========================================================== */

enum { S_N, S_BATCH };
static const rt_param s_params[] = {
  {"n", RT_PT_INT, 100000, 1, 1e12, NULL, "Gs spawned in total"},
  {"batch", RT_PT_INT, 10000, 1, 1000000, NULL,
   "Gs spawned before waiting for them (all are alive at once; a G has a stack once it runs)"},
};

/* State shared by a batch of spawned Gs. */
typedef struct s_state {
  rt_waitgroup wg;         /* one Done per G */
  _Atomic int64_t ran;     /* Gs that ran their body */
} s_state;

static void s_body(void *arg) {
  s_state *s = arg;
  atomic_fetch_add_explicit(&s->ran, 1, memory_order_relaxed);
  rt_wg_done(&s->wg);
}

static int s_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[S_N].i, batch = v[S_BATCH].i;
  s_state s = {0};
  for (int64_t left = n; left > 0;) {
    int64_t k = left < batch ? left : batch;
    rt_wg_add(&s.wg, k);
    for (int64_t i = 0; i < k; i++) rt_go(s_body, &s);
    rt_wg_wait(&s.wg);
    left -= k;
  }
  int64_t ran = atomic_load(&s.ran);
  *ops = (uint64_t)ran;
  if (ran != n)
    return snprintf(err, errlen, "spawn: %lld Gs ran, want %lld", (long long)ran,
                    (long long)n), 1;
  return 0;
}

const wl_desc wl_spawn = {
  "spawn", "spawn n Gs that each signal a WaitGroup; wait for them all",
  s_params, 2, NULL, s_run,
};

/* ==== skynet ========================================================= */

/* The tree is complete with fan-out SK_FAN, so nodes are numbered in level
** order: node i's children are SK_FAN*i+1 .. SK_FAN*i+SK_FAN, internal
** nodes come first, and a node's leaf range follows from its number.  A
** G's argument is then just its number, and nothing is allocated per G
** but the channel an internal node makes, as Go's version does. */
#define SK_FAN 10

enum { SK_N };
static const rt_param sk_params[] = {
  {"n", RT_PT_INT, 10000, 1, 1000000, NULL,
   "leaves, a power of 10 (Gs alive at once depend on the policy: up to 1.1 n)"},
};

/* The tree, shared by all its Gs. */
typedef struct sk_tree {
  int64_t n;               /* leaves */
  int64_t ninternal;       /* internal nodes: (n - 1) / 9 */
  rt_chan **chans;         /* chans[i]: internal node i's children report here */
  rt_chan *root;           /* the root reports its sum here */
  rt_waitgroup wg;         /* one Done per node, as its last action */
} sk_tree;

static sk_tree *sk_cur;    /* the tree of the running trial (one runtime per process) */

static void sk_node(void *arg) {
  sk_tree *t = sk_cur;
  int64_t i = (int64_t)(intptr_t)arg;
  /* Depth d holds SK_FAN^d nodes starting at (SK_FAN^d - 1) / (SK_FAN - 1). */
  int64_t width = 1, start = 0;
  while (start + width <= i) start += width, width *= SK_FAN;
  int64_t size = t->n / width, num = (i - start) * size;
  rt_chan *out = i == 0 ? t->root : t->chans[(i - 1) / SK_FAN];
  if (size == 1) {
    rt_chan_send(out, &num);
  } else {
    rt_chan *c = rt_chan_make(sizeof(int64_t), 0);
    if (!c) {
      fprintf(stderr, "skynet: out of memory for a channel\n");
      abort();
    }
    t->chans[i] = c;
    for (int64_t k = 1; k <= SK_FAN; k++) rt_go(sk_node, (void *)(intptr_t)(SK_FAN * i + k));
    int64_t sum = 0, x;
    for (int k = 0; k < SK_FAN; k++) {
      rt_chan_recv(c, &x);
      sum += x;
    }
    rt_chan_send(out, &sum);
  }
  rt_wg_done(&t->wg);
}

static int sk_check(const rt_pval *v, char *err, size_t errlen) {
  int64_t n = v[SK_N].i, p = 1;
  while (p < n) p *= SK_FAN;
  if (p == n) return RT_OK;
  snprintf(err, errlen, "workload 'skynet': parameter 'n' must be a power of 10 "
           "(1, 10, 100, ...), got %lld", (long long)n);
  return RT_EINVAL;
}

static int sk_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int rc = sk_check(v, err, errlen);
  if (rc != RT_OK) return rc;
  sk_tree t = {.n = v[SK_N].i};
  t.ninternal = (t.n - 1) / (SK_FAN - 1);
  t.chans = calloc((size_t)t.ninternal + 1, sizeof *t.chans);
  t.root = rt_chan_make(sizeof(int64_t), 0);
  if (!t.chans || !t.root) {
    free(t.chans);
    if (t.root) rt_chan_free(t.root);
    return snprintf(err, errlen, "skynet: out of memory"), RT_ENOMEM;
  }
  sk_cur = &t;
  rt_wg_add(&t.wg, t.ninternal + t.n);
  rt_go(sk_node, (void *)(intptr_t)0);
  int64_t sum = 0;
  rt_chan_recv(t.root, &sum);
  rt_wg_wait(&t.wg);
  for (int64_t i = 0; i < t.ninternal; i++) rt_chan_free(t.chans[i]);
  free(t.chans);
  rt_chan_free(t.root);
  sk_cur = NULL;
  *ops = (uint64_t)t.n;
  int64_t want = t.n * (t.n - 1) / 2;
  if (sum != want)
    return snprintf(err, errlen, "skynet: sum %lld, want %lld", (long long)sum,
                    (long long)want), 1;
  return 0;
}

const wl_desc wl_skynet = {
  "skynet", "a tree of Gs, fan-out 10, n leaves; each leaf sends its number up, sums checked",
  sk_params, 1, sk_check, sk_run,
};
