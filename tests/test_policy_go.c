/*
** test_policy_go.c: the `go` policy driven through its ops table alone,
** without the runtime: fake Gs, hand-made Ps, and the calls the framework
** would make (ready, pick, steal, runnable).  Checks Go's rules one by one
** (runnext, yield to global, spill of half + 1, the global_every fairness
** tick, steal of ceil(n/2), runnext stolen last), that every readied G
** comes out exactly once under random single-threaded sequences, and that
** the lock-free ring survives an owner and a thief racing on it.
*/
#include "policy_fake.h"

const rt_sched_ops *rt_sched_go(void);

/* ==== Go's rules one by one ========================================== */

static void test_table(void) {
  const rt_sched_ops *o = rt_sched_go();
  CHECK_EQ(o->abi, RT_ABI_VERSION);
  CHECK(strcmp(o->name, "go") == 0);
  CHECK_EQ(o->nparams, 4);
  const char *names[] = {"local_size", "global_every", "steal_fraction", "runnext"};
  double defs[] = {256, 61, 0.5, 1};
  for (int i = 0; i < 4 && i < o->nparams; i++) {
    CHECK(strcmp(o->params[i].name, names[i]) == 0);
    CHECK(o->params[i].def == defs[i]);
  }
  CHECK(o->params[2].type == RT_PT_DOUBLE && o->params[2].min == 0.01 && o->params[2].max == 1);
  CHECK(o->params[0].min == 2 && o->params[0].max == 4096);
  CHECK(o->steal && o->init && o->ready && o->pick && o->runnable);
}

static void test_einval(void) {
  const rt_sched_ops *o = rt_sched_go();
  struct { const char *name; double v; int rc; } cases[] = {
    {"local_size", 100, RT_EINVAL}, {"local_size", 3, RT_EINVAL},
    {"local_size", 1, RT_EINVAL},   {"local_size", 8192, RT_EINVAL},
    {"local_size", 2, RT_OK},       {"local_size", 4096, RT_OK},
    {"global_every", 0, RT_EINVAL}, {"steal_fraction", 0, RT_EINVAL},
    {"steal_fraction", 1.5, RT_EINVAL}, {"steal_fraction", 1, RT_OK},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    world *w = world_new(o, 2);
    world_set(w, cases[i].name, cases[i].v);
    int rc = world_init(w);
    CHECKF(rc == cases[i].rc, "%s=%g: init returned %d, want %d", cases[i].name,
           cases[i].v, rc, cases[i].rc);
    world_free(w);
  }
}

static void test_runnext(void) {
  world *w = world_start(rt_sched_go(), 2);
  fg *g = gs_new(4);
  bool inh;
  ready(w, 0, &g[0], RT_WHY_NEW);
  CHECK(w->ops->runnable(&w->sp[0]));
  CHECK(!w->ops->runnable(&w->sp[1]));  /* nothing global, nothing of its own */
  CHECK_EQ(IDX(pick(w, 0, &inh)), 0);
  CHECK(inh);  /* runnext inherits the time slice */
  CHECK(!w->ops->runnable(&w->sp[0]));

  /* ring [2], runnext 0; then 1 displaces 0 to the ring's tail: [2, 0] */
  ready(w, 0, &g[2], RT_WHY_INJECT);
  ready(w, 0, &g[0], RT_WHY_NEW);
  ready(w, 0, &g[1], RT_WHY_WOKEN);
  CHECK_EQ(IDX(pick(w, 0, &inh)), 1);
  CHECK(inh);
  CHECK_EQ(IDX(pick(w, 0, &inh)), 2);
  CHECK(!inh);
  CHECK_EQ(IDX(pick(w, 0, &inh)), 0);
  CHECK(!inh);
  CHECK(pick(w, 0, &inh) == NULL);

  /* poll and timer Gs go to the ring, not runnext */
  ready(w, 0, &g[0], RT_WHY_NEW);
  ready(w, 0, &g[1], RT_WHY_POLL);
  ready(w, 0, &g[2], RT_WHY_TIMER);
  CHECK_EQ(IDX(pick(w, 0, &inh)), 0);
  CHECK(inh);
  CHECK_EQ(IDX(pick(w, 0, &inh)), 1);
  CHECK_EQ(IDX(pick(w, 0, &inh)), 2);
  world_free(w);

  /* runnext off: new Gs queue in order and never inherit */
  w = world_new(rt_sched_go(), 1);
  world_set(w, "runnext", 0);
  CHECK_EQ(world_init(w), RT_OK);
  ready(w, 0, &g[0], RT_WHY_NEW);
  ready(w, 0, &g[1], RT_WHY_NEW);
  CHECK_EQ(IDX(pick(w, 0, &inh)), 0);
  CHECK(!inh);
  CHECK_EQ(IDX(pick(w, 0, &inh)), 1);
  CHECK(!inh);
  world_free(w);
  free(g);
}

static void test_yield_global(void) {
  world *w = world_start(rt_sched_go(), 2);
  fg *g = gs_new(4);
  ready(w, 0, &g[0], RT_WHY_YIELD);
  CHECK(w->ops->runnable(&w->sp[1]));  /* the global queue is everyone's */
  CHECK_EQ(IDX(pick_local(w, 1)), 0);  /* P 1 finds P 0's yielded G */
  CHECK_EQ(w->sp[1].cnt[RT_CNT_GLOBAL], 1);

  /* the local ring comes before the yielded G */
  ready(w, 0, &g[1], RT_WHY_INJECT);
  ready(w, 0, &g[2], RT_WHY_PREEMPT);
  ready(w, 0, &g[3], RT_WHY_INJECT);
  CHECK_EQ(IDX(pick_local(w, 0)), 1);
  CHECK_EQ(IDX(pick_local(w, 0)), 3);
  CHECK_EQ(IDX(pick_local(w, 0)), 2);
  CHECK_EQ(w->sp[0].cnt[RT_CNT_GLOBAL], 1);
  CHECK_EQ(w->sp[0].cnt[RT_CNT_SPILLS], 0);
  world_free(w);
  free(g);
}

/* local_size + 1 Gs into the ring: the older half and the new one spill. */
static void spill_case(int size) {
  world *w = world_new(rt_sched_go(), 2);
  world_set(w, "local_size", size);
  CHECK_EQ(world_init(w), RT_OK);
  fg *g = gs_new(size + 1);
  for (int i = 0; i <= size; i++) ready(w, 0, &g[i], RT_WHY_INJECT);
  CHECK_EQ(w->sp[0].cnt[RT_CNT_SPILLS], (uint64_t)(size / 2 + 1));
  /* the newer half stays local, in order */
  for (int i = size / 2; i < size; i++) CHECK_EQ(IDX(pick_local(w, 0)), i);
  CHECK_EQ(w->sp[0].cnt[RT_CNT_GLOBAL], 0);
  /* then the global queue, FIFO: the older half, then the G that overflowed */
  for (int i = 0; i < size / 2; i++) CHECK_EQ(IDX(pick_local(w, 0)), i);
  CHECK_EQ(IDX(pick_local(w, 0)), size);
  CHECK(pick_local(w, 0) == NULL);
  CHECK_EQ(w->sp[0].cnt[RT_CNT_GLOBAL], (uint64_t)(size / 2 + 1));
  world_free(w);
  free(g);
}

static void test_spill(void) {
  spill_case(256);
  spill_case(8);
  spill_case(2);
}

/* A batch from the global queue: min(len/nprocs + 1, local_size/2). */
static void test_global_batch(void) {
  world *w = world_new(rt_sched_go(), 2);
  world_set(w, "local_size", 8);
  CHECK_EQ(world_init(w), RT_OK);
  fg *g = gs_new(12);
  for (int i = 0; i < 12; i++) ready(w, 1, &g[i], RT_WHY_YIELD);
  CHECK_EQ(IDX(pick_local(w, 0)), 0);  /* 12/2 + 1 = 7 > 8/2: takes 4 */
  CHECK_EQ(w->sp[0].cnt[RT_CNT_GLOBAL], 4);
  CHECK_EQ(IDX(pick_local(w, 1)), 4);  /* 8/2 + 1 = 5 > 4: takes 4 */
  CHECK_EQ(w->sp[1].cnt[RT_CNT_GLOBAL], 4);
  for (int i = 1; i <= 3; i++) CHECK_EQ(IDX(pick_local(w, 0)), i);  /* the surplus */
  CHECK_EQ(IDX(pick_local(w, 0)), 8);  /* 4/2 + 1 = 3: takes 8, 9, 10 */
  CHECK_EQ(w->sp[0].cnt[RT_CNT_GLOBAL], 7);
  for (int i = 5; i <= 7; i++) CHECK_EQ(IDX(pick_local(w, 1)), i);
  CHECK_EQ(IDX(pick_local(w, 1)), 11);  /* 1/2 + 1 = 1 */
  CHECK_EQ(w->sp[1].cnt[RT_CNT_GLOBAL], 5);
  CHECK_EQ(IDX(pick_local(w, 0)), 9);
  CHECK_EQ(IDX(pick_local(w, 0)), 10);
  CHECK(pick_local(w, 0) == NULL && pick_local(w, 1) == NULL);
  world_free(w);
  free(g);
}

static void test_global_every(void) {
  world *w = world_new(rt_sched_go(), 2);
  world_set(w, "global_every", 4);
  CHECK_EQ(world_init(w), RT_OK);
  fg *g = gs_new(5);
  ready(w, 0, &g[0], RT_WHY_YIELD);  /* global [0, 1] */
  ready(w, 0, &g[1], RT_WHY_YIELD);
  ready(w, 0, &g[2], RT_WHY_INJECT); /* ring [2, 3], runnext 4 */
  ready(w, 0, &g[3], RT_WHY_INJECT);
  ready(w, 0, &g[4], RT_WHY_NEW);
  bool inh;
  w->sp[0].schedtick = 5;
  CHECK_EQ(IDX(pick(w, 0, &inh)), 4);  /* not a multiple: runnext */
  CHECK(inh);
  w->sp[0].schedtick = 8;
  CHECK_EQ(IDX(pick(w, 0, &inh)), 0);  /* a multiple: the global queue first */
  CHECK(!inh);
  CHECK_EQ(w->sp[0].cnt[RT_CNT_GLOBAL], 1);  /* just one */
  w->sp[0].schedtick = 9;
  CHECK_EQ(IDX(pick(w, 0, &inh)), 2);
  CHECK_EQ(IDX(pick_local(w, 1)), 1);  /* G 1 stayed global */
  w->sp[0].schedtick = 12;  /* a multiple, but the global queue is empty */
  CHECK_EQ(IDX(pick(w, 0, &inh)), 3);
  world_free(w);

  w = world_start(rt_sched_go(), 1);  /* the default, 61 */
  ready(w, 0, &g[0], RT_WHY_YIELD);
  ready(w, 0, &g[1], RT_WHY_INJECT);
  w->sp[0].schedtick = 60;
  CHECK_EQ(IDX(pick(w, 0, NULL)), 1);
  ready(w, 0, &g[1], RT_WHY_INJECT);
  w->sp[0].schedtick = 122;
  CHECK_EQ(IDX(pick(w, 0, NULL)), 0);
  CHECK_EQ(IDX(pick(w, 0, NULL)), 1);
  world_free(w);
  free(g);
}

/* n Gs in P 0's ring; P 1 steals: ceil(n * frac) move, the last runs. */
static void steal_case(int n, double frac, int want) {
  world *w = world_new(rt_sched_go(), 2);
  world_set(w, "steal_fraction", frac);
  CHECK_EQ(world_init(w), RT_OK);
  fg *g = gs_new(n);
  for (int i = 0; i < n; i++) ready(w, 0, &g[i], RT_WHY_INJECT);
  CHECK_EQ(IDX(steal(w, 1)), want - 1);
  CHECK_EQ(w->sp[1].cnt[RT_CNT_STEALS], (uint64_t)want);
  for (int i = 0; i < want - 1; i++) CHECK_EQ(IDX(pick_local(w, 1)), i);
  CHECK(pick_local(w, 1) == NULL);
  for (int i = want; i < n; i++) CHECK_EQ(IDX(pick_local(w, 0)), i);
  CHECK(pick_local(w, 0) == NULL);
  world_free(w);
  free(g);
}

static void test_steal(void) {
  steal_case(5, 0.5, 3);
  steal_case(4, 0.5, 2);
  steal_case(1, 0.5, 1);
  steal_case(256, 0.5, 128);
  steal_case(5, 0.25, 2);
  steal_case(5, 1, 5);
  steal_case(256, 1, 256);
  steal_case(100, 0.01, 1);

  /* runnext is left alone while the ring has Gs */
  world *w = world_start(rt_sched_go(), 2);
  fg *g = gs_new(3);
  bool inh;
  ready(w, 0, &g[0], RT_WHY_NEW);
  ready(w, 0, &g[1], RT_WHY_INJECT);
  CHECK_EQ(IDX(steal(w, 1)), 1);
  CHECK_EQ(IDX(pick(w, 0, &inh)), 0);
  CHECK(inh);
  /* and taken once the ring is empty */
  ready(w, 0, &g[2], RT_WHY_WOKEN);
  CHECK_EQ(IDX(steal(w, 1)), 2);
  CHECK_EQ(w->sp[1].cnt[RT_CNT_STEALS], 2);
  CHECK(pick(w, 0, &inh) == NULL);
  CHECK(steal(w, 1) == NULL);
  CHECK(!w->ops->runnable(&w->sp[0]) && !w->ops->runnable(&w->sp[1]));
  world_free(w);

  /* the global queue is looked at before any victim */
  w = world_start(rt_sched_go(), 2);
  ready(w, 0, &g[0], RT_WHY_INJECT);
  ready(w, 0, &g[1], RT_WHY_YIELD);
  CHECK_EQ(IDX(steal(w, 1)), 1);
  CHECK_EQ(w->sp[1].cnt[RT_CNT_GLOBAL], 1);
  CHECK_EQ(w->sp[1].cnt[RT_CNT_STEALS], 0);
  CHECK_EQ(IDX(pick_local(w, 0)), 0);
  world_free(w);

  /* every victim is tried: only P 3 of 4 has work */
  for (int k = 0; k < 20; k++) {
    w = world_start(rt_sched_go(), 4);
    w->sp[0].rand += (uint64_t)k * 7919;
    ready(w, 3, &g[0], RT_WHY_INJECT);
    CHECK_EQ(IDX(steal(w, 0)), 0);
    world_free(w);
  }
  free(g);
}


static void test_once(void) {
  world *w = world_start(rt_sched_go(), 4);
  once_case(w, 20000);
  world_free(w);

  w = world_new(rt_sched_go(), 4);  /* small rings: spills and batches galore */
  world_set(w, "local_size", 4);
  world_set(w, "global_every", 3);
  world_set(w, "steal_fraction", 0.3);
  CHECK_EQ(world_init(w), RT_OK);
  once_case(w, 20000);
  world_free(w);

  w = world_new(rt_sched_go(), 3);
  world_set(w, "runnext", 0);
  world_set(w, "local_size", 2);
  world_set(w, "steal_fraction", 1);
  CHECK_EQ(world_init(w), RT_OK);
  once_case(w, 10000);
  world_free(w);
}

/* ==== an owner and a thief racing on one ring ========================= */

static void race_case(int local_size, double frac, int runnext, int ng) {
  world *w = world_new(rt_sched_go(), 2);
  world_set(w, "local_size", local_size);
  world_set(w, "steal_fraction", frac);
  world_set(w, "runnext", runnext);
  CHECK_EQ(world_init(w), RT_OK);
  char label[96];
  snprintf(label, sizeof label, "go local_size=%d steal_fraction=%g runnext=%d", local_size,
           frac, runnext);
  race_run(w, ng, label);
  world_free(w);
}

static void test_race(void) {
  race_case(256, 0.5, 1, 200000);
  race_case(8, 1, 1, 100000);
  race_case(16, 0.5, 0, 100000);  /* no runnext: the thief never sleeps */
}

int main(void) {
  test_table();
  test_einval();
  test_runnext();
  test_yield_global();
  test_spill();
  test_global_batch();
  test_global_every();
  test_steal();
  test_once();
  test_race();
  return check_done("test_policy_go");
}
