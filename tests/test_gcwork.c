/*
** test_gcwork.c: the shared mark queue (rt_markq / rt_gcw) on plain
** threads, and rt_stw_parallel in a stopped runtime.
**
** The queue: workers drain a synthetic graph (a complete binary tree in an
** array, node i pointing at 2i+1 and 2i+2, plus an edge back to a random
** earlier node so nodes are reached more than once); the first to set a
** node's flag greys it.  Every node must be processed exactly once, every
** worker must come back (the termination), and work must have moved from
** worker 0, which alone holds the root.  Run again and again, for 1, 2, 4
** and 8 workers (more than cores), as the stress label.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rt_module.h"

#define NODES (1 << 17)

typedef struct graph {
  _Atomic uint8_t *seen;      /* a node's flag: greyed */
  _Atomic int *done;          /* times a node was processed */
  uint32_t *back;             /* each node's extra edge, to an earlier node */
  rt_markq *q;
  int nworkers;
  _Atomic long per[8];        /* nodes each worker processed */
} graph;

typedef struct warg { graph *g; int id; } warg;

static void grey(graph *g, rt_gcw *w, uint32_t i) {
  if (i >= NODES || atomic_exchange(&g->seen[i], 1)) return;
  rt_gcw_put(w, (const char *)(uintptr_t)(i + 1), 1);  /* the node's number as "base" */
}

static void *worker(void *arg) {
  warg *a = arg;
  graph *g = a->g;
  rt_gcw w;
  rt_gcw_init(&w, g->q);
  if (a->id == 0) grey(g, &w, 0);
  rt_grey x;
  for (unsigned n = 1; rt_gcw_get(&w, &x); n++) {
    uint32_t i = (uint32_t)(uintptr_t)x.base - 1;
    atomic_fetch_add(&g->done[i], 1);
    atomic_fetch_add(&g->per[a->id], 1);
    grey(g, &w, 2 * i + 1);
    grey(g, &w, 2 * i + 2);
    grey(g, &w, g->back[i]);
    if (g->nworkers > 1 && n % 64 == 0) rt_gcw_balance(&w);
  }
  rt_gcw_fini(&w);
  return NULL;
}

/* One drain; returns the nodes workers other than 0 processed. */
static long drain(graph *g, int nworkers) {
  memset((void *)g->seen, 0, NODES);
  memset((void *)g->done, 0, NODES * sizeof *g->done);
  for (int i = 0; i < 8; i++) atomic_store(&g->per[i], 0);
  g->nworkers = nworkers;
  rt_markq_reset(g->q, nworkers);
  pthread_t t[8];
  warg a[8];
  for (int i = 0; i < nworkers; i++) {
    a[i] = (warg){g, i};
    CHECK(pthread_create(&t[i], NULL, worker, &a[i]) == 0);
  }
  for (int i = 0; i < nworkers; i++) pthread_join(t[i], NULL);
  int bad = 0;
  for (uint32_t i = 0; i < NODES; i++) bad += atomic_load(&g->done[i]) != 1;
  CHECKF(bad == 0, "%d workers: %d of %d nodes processed other than once", nworkers, bad, NODES);
  CHECK(!rt_markq_lost(g->q));
  long others = 0;
  for (int i = 1; i < nworkers; i++) others += atomic_load(&g->per[i]);
  return others;
}

static void test_queue(int rounds) {
  graph g = {0};
  g.seen = calloc(NODES, 1);
  g.done = calloc(NODES, sizeof *g.done);
  g.back = malloc(NODES * sizeof *g.back);
  g.q = rt_markq_new(8);
  CHECK(g.seen && g.done && g.back && g.q);
  uint64_t r = 88172645463325252ull;
  for (uint32_t i = 0; i < NODES; i++) {
    r ^= r << 13; r ^= r >> 7; r ^= r << 17;
    g.back[i] = i ? (uint32_t)(r % i) : 0;
  }
  for (int nw = 1; nw <= 8; nw *= 2) {
    /* Worker 0 alone holds the root: the others can only get work
    ** through the queue, and over the rounds at least one must. */
    long shared = 0;
    for (int k = 0; k < rounds; k++) shared += drain(&g, nw);
    if (nw > 1) CHECKF(shared > 0, "%d workers: no node went from worker 0 to another", nw);
  }
  rt_markq_free(g.q);
  free((void *)g.seen);
  free((void *)g.done);
  free(g.back);
}

/* ==== rt_stw_parallel: every stopped M runs the call once ============ */

static _Atomic int spin_stop;
static rt_waitgroup spin_wg;
static pthread_t caller;
static _Atomic int calls[RT_MAXPROCS];
static _Atomic int on_caller, nw_seen;

static void spinner(void *arg) {
  (void)arg;
  volatile unsigned long x = 0;
  while (!atomic_load(&spin_stop)) {
    x++;
    rt_safepoint();
  }
  rt_wg_done(&spin_wg);
}

static void call(int worker, int nworkers, void *arg) {
  (void)arg;
  atomic_fetch_add(&calls[worker], 1);
  atomic_store(&nw_seen, nworkers);
  if (pthread_equal(pthread_self(), caller)) atomic_fetch_add(&on_caller, worker == 0 ? 1 : 100);
}

static void par_main(void *arg) {
  int procs = (int)(intptr_t)arg;
  atomic_store(&spin_stop, 0);
  rt_wg_add(&spin_wg, procs - 1);
  for (int i = 0; i < procs - 1; i++) rt_go(spinner, NULL);
  int most = 0;
  for (int round = 0; round < 200; round++) {
    memset((void *)calls, 0, sizeof calls);
    atomic_store(&on_caller, 0);
    CHECK(rt_stw_start(NULL));
    caller = pthread_self();
    int expect = rt_stw_workers();
    int nw = rt_stw_parallel(call, NULL);
    rt_stw_end();
    CHECK_EQ(nw, expect);
    CHECK(nw >= 1 && nw <= procs);
    CHECK_EQ(atomic_load(&nw_seen), nw);
    CHECKF(atomic_load(&on_caller) == 1, "round %d: worker 0 not on the stopper (%d)", round,
           atomic_load(&on_caller));
    for (int i = 0; i < RT_MAXPROCS; i++)
      CHECKF(atomic_load(&calls[i]) == (i < nw), "round %d: worker %d ran %d times (of %d)",
             round, i, atomic_load(&calls[i]), nw);
    if (nw > most) most = nw;
    rt_sleep(100000);  /* the spinners run again */
  }
  /* Spinners hold the other Ps, so their Ms stop with them and help. */
  if (procs == 2) CHECKF(most == 2, "2 Ps, a spinner on one: never 2 workers (%d)", most);
  atomic_store(&spin_stop, 1);
  rt_wg_wait(&spin_wg);
}

static void test_parallel(int procs) {
  char err[256] = "";
  rt_config cfg = {.procs = procs, .err = err, .errlen = sizeof err};
  CHECKF(rt_run(&cfg, par_main, (void *)(intptr_t)procs) == RT_OK, "%s", err);
}

int main(int argc, char **argv) {
  int stress = argc > 1 && strcmp(argv[1], "stress") == 0;
  test_queue(stress ? 200 : 10);
  for (int procs = 1; procs <= 4; procs *= 2) test_parallel(procs);
  return check_done("test_gcwork");
}
