/*
** test_policies.c: the fifo, lifo and randsteal policies driven through
** their ops tables without the runtime (policy_fake.h): the order each
** promises, where a thief takes from, the counters, every readied G out
** exactly once under random single-threaded sequences over 4 Ps, and an
** owner and a thief racing on 2 threads.
*/
#include "policy_fake.h"

const rt_sched_ops *rt_sched_fifo(void);
const rt_sched_ops *rt_sched_lifo(void);
const rt_sched_ops *rt_sched_randsteal(void);

/* The ops every policy must fill, and a name. */
static void check_table(const rt_sched_ops *o, const char *name) {
  CHECK_EQ(o->abi, RT_ABI_VERSION);
  CHECK(strcmp(o->name, name) == 0);
  CHECK(o->summary && o->summary[0]);
  CHECK(o->ready && o->pick && o->runnable);
  CHECK(o->nparams >= 0 && o->nparams <= RT_MAX_PARAMS);
}

/* Random sequences and a 2-thread race, the same for every policy. */
static void check_once(const rt_sched_ops *o) {
  world *w = world_start(o, 4);
  once_case(w, 20000);
  world_free(w);
  w = world_start(o, 2);
  race_run(w, 50000, o->name);
  world_free(w);
}

/* ==== fifo ============================================================ */

static void test_fifo(void) {
  const rt_sched_ops *o = rt_sched_fifo();
  check_table(o, "fifo");
  CHECK(o->steal == NULL);
  CHECK_EQ(o->nparams, 0);
  world *w = world_start(o, 2);
  fg *g = gs_new(3);
  CHECK(!o->runnable(&w->sp[0]) && !o->runnable(&w->sp[1]));
  ready(w, 0, &g[0], RT_WHY_NEW);
  ready(w, 1, &g[1], RT_WHY_YIELD);
  ready(w, 0, &g[2], RT_WHY_INJECT);
  CHECK(o->runnable(&w->sp[1]));  /* one queue: every P sees every G */
  bool inh = true;
  CHECK_EQ(IDX(pick(w, 1, &inh)), 0);  /* global FIFO order, whoever readied */
  CHECK(!inh);
  CHECK_EQ(IDX(pick(w, 0, NULL)), 1);
  CHECK_EQ(IDX(pick(w, 1, NULL)), 2);
  CHECK(pick(w, 0, NULL) == NULL && pick(w, 1, NULL) == NULL);
  CHECK_EQ(w->sp[0].cnt[RT_CNT_GLOBAL], 1);
  CHECK_EQ(w->sp[1].cnt[RT_CNT_GLOBAL], 2);
  CHECK(!o->runnable(&w->sp[0]));
  world_free(w);
  free(g);
  check_once(o);
}

/* ==== lifo ============================================================ */

static void lifo_steal_case(int ng, int batch) {
  world *w = world_new(rt_sched_lifo(), 2);
  world_set(w, "steal_batch", batch);
  CHECK_EQ(world_init(w), RT_OK);
  fg *g = gs_new(ng);
  for (int i = 0; i < ng; i++) ready(w, 0, &g[i], RT_WHY_NEW);
  int took = batch < ng ? batch : ng;
  CHECK_EQ(IDX(steal(w, 1)), 0);  /* the oldest runs */
  CHECK_EQ(w->sp[1].cnt[RT_CNT_STEALS], (uint64_t)took);
  for (int i = took - 1; i >= 1; i--) CHECK_EQ(IDX(pick(w, 1, NULL)), i);  /* newest on top */
  CHECK(pick(w, 1, NULL) == NULL);
  for (int i = ng - 1; i >= took; i--) CHECK_EQ(IDX(pick(w, 0, NULL)), i);
  CHECK(pick(w, 0, NULL) == NULL);
  world_free(w);
  free(g);
}

/* The two-half deque against an array model: pushes at the top (and at
** the bottom for yields), pops at the top (pick) and bottom (steal). */
static void lifo_model(void) {
  enum { N = 3000, OPS = 200000 };
  world *w = world_start(rt_sched_lifo(), 2);
  fg *g = gs_new(N);
  int model[2 * N + 1], lo = N, hi = N;  /* model[lo..hi), hi is the top */
  int free_[N], nfree = N, bad = 0;
  for (int i = 0; i < N; i++) free_[i] = N - 1 - i;
  for (int k = 0; k < OPS && !bad; k++) {
    uint32_t r = rnd_next() % 8;
    if (r < 4 && nfree > 0) {
      int i = free_[--nfree];
      bool yield = r == 3;
      ready(w, 0, &g[i], yield ? RT_WHY_YIELD : RT_WHY_NEW);
      if (yield) model[--lo] = i;
      else model[hi++] = i;
      if (lo == 0 || hi == 2 * N) {  /* recentre the model */
        int n = hi - lo;
        memmove(model + (N - n / 2), model + lo, sizeof(int) * (size_t)n);
        lo = N - n / 2;
        hi = lo + n;
      }
      continue;
    }
    fg *x = r < 6 ? pick(w, 0, NULL) : steal(w, 1);
    int want = lo == hi ? -1 : r < 6 ? model[--hi] : model[lo++];
    if (IDX(x) != want) bad++;
    CHECKF(IDX(x) == want, "op %d (%s): got G %d, want %d", k, r < 6 ? "pick" : "steal",
           IDX(x), want);
    if (x) free_[nfree++] = x->idx;
  }
  world_free(w);
  free(g);
}

static void test_lifo(void) {
  const rt_sched_ops *o = rt_sched_lifo();
  check_table(o, "lifo");
  CHECK(o->steal != NULL);
  CHECK(o->nparams >= 1 && strcmp(o->params[0].name, "steal_batch") == 0);
  CHECK(o->params[0].def == 1 && o->params[0].min == 1 && o->params[0].max == 256);

  world *w = world_start(o, 2);
  fg *g = gs_new(5);
  for (int i = 0; i < 5; i++) ready(w, 0, &g[i], RT_WHY_NEW);
  for (int i = 4; i >= 0; i--) CHECK_EQ(IDX(pick(w, 0, NULL)), i);  /* newest first */
  CHECK(!o->runnable(&w->sp[0]));

  /* yielded Gs go to the bottom, and among themselves keep their order */
  ready(w, 0, &g[0], RT_WHY_NEW);
  ready(w, 0, &g[1], RT_WHY_NEW);
  ready(w, 0, &g[2], RT_WHY_YIELD);
  ready(w, 0, &g[3], RT_WHY_PREEMPT);
  static const int order[] = {1, 0, 2, 3};
  for (int i = 0; i < 4; i++) CHECK_EQ(IDX(pick(w, 0, NULL)), order[i]);

  /* a thief never takes from itself */
  ready(w, 0, &g[0], RT_WHY_NEW);
  CHECK(steal(w, 0) == NULL);
  CHECK_EQ(IDX(pick(w, 0, NULL)), 0);
  world_free(w);

  w = world_new(o, 1);  /* pure LIFO */
  world_set(w, "yield_bottom", 0);
  CHECK_EQ(world_init(w), RT_OK);
  ready(w, 0, &g[0], RT_WHY_NEW);
  ready(w, 0, &g[1], RT_WHY_NEW);
  ready(w, 0, &g[2], RT_WHY_YIELD);
  for (int i = 2; i >= 0; i--) CHECK_EQ(IDX(pick(w, 0, NULL)), i);
  world_free(w);
  free(g);

  lifo_steal_case(5, 1);
  lifo_steal_case(6, 3);
  lifo_steal_case(3, 256);
  lifo_steal_case(1000, 100);
  lifo_model();
  check_once(o);
  w = world_new(o, 4);
  world_set(w, "steal_batch", 7);
  CHECK_EQ(world_init(w), RT_OK);
  once_case(w, 20000);
  world_free(w);
}

/* ==== randsteal ======================================================= */

static void test_randsteal(void) {
  const rt_sched_ops *o = rt_sched_randsteal();
  check_table(o, "randsteal");
  CHECK(o->steal != NULL);
  world *w = world_start(o, 2);
  fg *g = gs_new(4);
  ready(w, 0, &g[0], RT_WHY_NEW);
  ready(w, 0, &g[1], RT_WHY_YIELD);
  ready(w, 0, &g[2], RT_WHY_WOKEN);
  for (int i = 0; i < 3; i++) CHECK_EQ(IDX(pick(w, 0, NULL)), i);  /* FIFO, any cause */

  for (int i = 0; i < 4; i++) ready(w, 0, &g[i], RT_WHY_INJECT);
  CHECK(!o->runnable(&w->sp[1]));  /* no shared queue */
  CHECK_EQ(IDX(steal(w, 1)), 0);  /* one G, the oldest */
  CHECK_EQ(w->sp[1].cnt[RT_CNT_STEALS], 1);
  CHECK(pick(w, 1, NULL) == NULL);
  CHECK(steal(w, 0) == NULL);  /* never from itself */
  for (int i = 1; i < 4; i++) CHECK_EQ(IDX(pick(w, 0, NULL)), i);
  world_free(w);

  for (int k = 0; k < 20; k++) {  /* every victim is tried: only P 3 has work */
    w = world_start(o, 4);
    w->sp[0].rand += (uint64_t)k * 7919;
    ready(w, 3, &g[0], RT_WHY_INJECT);
    CHECK_EQ(IDX(steal(w, 0)), 0);
    world_free(w);
  }
  free(g);
  check_once(o);
}

int main(void) {
  test_fifo();
  test_lifo();
  test_randsteal();
  return check_done("test_policies");
}
