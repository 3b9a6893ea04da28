/*
** micro.c: micro-benchmarks of the runtime's primitives, one row per
** primitive and scheduler policy, run by Google Benchmark through the
** cbench bridge (rtlab-micro --benchmark_filter=yield/ ...).
**
**   ctx_swap          the raw context switch (ctx_*.S) between two stacks,
**                     no scheduler; counter ns_per_switch
**   yield/POL         main and a partner G yield to each other; an item
**                     is one yield (an iteration is two)
**   pingpong/POL      a round trip over two unbuffered channels
**   chanbuf/POL/CAP   one receive from a buffered channel fed by a producer G
**   select2/POL       a blocking select over two unbuffered channels, each
**                     fed by its own producer G
**   spawn/POL/BATCH   rt_go of a G that signals a WaitGroup; main waits
**                     after every BATCH spawns
**
** Every POL row runs a fresh runtime with one P (procs = 1, so the G and
** the benchmark share the calling thread): the timed loop runs inside the
** main G, and helper Gs are started before the first cbench_keep_running
** and stopped after the last, so neither is timed.
*/
#include "cbench.h"
#include "ctx.h"
#include "rt.h"

#include <stdio.h>
#include <time.h>

/* ==== raw context switch ============================================= */

#define CX_STACK (64 * 1024)

/* The two contexts that switch to each other. */
typedef struct cx_pair {
  void *main_sp;           /* the benchmark's context while the fiber runs */
  void *fiber_sp;          /* the fiber's context while the benchmark runs */
} cx_pair;

static cx_pair cx;
static char cx_stack[CX_STACK] __attribute__((aligned(64)));  /* the fiber's */

static void cx_fiber(void *arg) {
  for (;;) rt_ctx_swap(&cx.fiber_sp, cx.main_sp);  /* straight back */
}

static uint64_t cx_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void bm_ctx_swap(cbench_state *s) {
  cx.fiber_sp = rt_ctx_init(cx_stack, CX_STACK, cx_fiber, NULL);
  int64_t n = 0;
  uint64_t t0 = 0;
  while (cbench_keep_running(s)) {
    if (n == 0) t0 = cx_now();  /* after the timer started */
    rt_ctx_swap(&cx.main_sp, cx.fiber_sp);  /* there and back: two switches */
    n++;
  }
  uint64_t t = cx_now() - t0;
  /* the fiber stays suspended in its loop; the next run starts a new one */
  cbench_set_items(s, 2 * n);
  if (n) cbench_counter(s, "ns_per_switch", (double)t / (2.0 * (double)n));
}

/* ==== a benchmark inside a runtime =================================== */

/* One run of one benchmark in its own runtime. */
typedef struct mb_run {
  cbench_state *s;         /* the benchmark's state */
  int64_t arg;             /* the row's argument (capacity, batch) */
  int64_t items;           /* items done, reported when rt_run returns */
  _Atomic int stop;        /* set once the timed loop is over: helpers finish */
  rt_chan *a, *b;          /* channels of the benchmark, or NULL */
  rt_waitgroup wg;         /* one Done per helper G, as its last action */
} mb_run;

typedef void (*mb_body)(mb_run *r);

static mb_body mb_cur;     /* the body the runtime's main G runs */

static void mb_main(void *arg) { mb_cur(arg); }

static bool mb_stopped(mb_run *r) {
  return atomic_load_explicit(&r->stop, memory_order_relaxed) != 0;
}

static void mb_start(cbench_state *s, const char *sched, mb_body body) {
  char err[512] = "";
  mb_run r = {.s = s, .arg = cbench_range(s, 0)};
  rt_config cfg = {.procs = 1, .sched = sched, .err = err, .errlen = sizeof err};
  mb_cur = body;
  int rc = rt_run(&cfg, mb_main, &r);
  if (rc != RT_OK) {
    char msg[600];
    snprintf(msg, sizeof msg, "rt_run(sched=%s): %s (code %d)", sched, err, rc);
    cbench_skip(s, msg);
    return;
  }
  if (r.items < 0) return;  /* the body skipped */
  cbench_set_items(s, r.items);
}

/* Makes the run's channels; false (the run skipped) when out of memory. */
static bool mb_chans(mb_run *r, size_t cap) {
  r->a = rt_chan_make(sizeof(int64_t), cap);
  r->b = rt_chan_make(sizeof(int64_t), cap);
  if (r->a && r->b) return true;
  if (r->a) rt_chan_free(r->a);
  if (r->b) rt_chan_free(r->b);
  cbench_skip(r->s, "out of memory for a channel");
  r->items = -1;
  return false;
}

static void mb_free_chans(mb_run *r) {
  rt_chan_free(r->a);
  rt_chan_free(r->b);
}

/* ==== yield ========================================================== */

static void yield_partner(void *arg) {
  mb_run *r = arg;
  while (!mb_stopped(r)) rt_yield();
  rt_wg_done(&r->wg);
}

static void yield_body(mb_run *r) {
  rt_wg_add(&r->wg, 1);
  rt_go(yield_partner, r);
  int64_t n = 0;
  while (cbench_keep_running(r->s)) {
    rt_yield();
    n++;
  }
  atomic_store(&r->stop, 1);
  rt_wg_wait(&r->wg);
  r->items = 2 * n;
}

/* ==== pingpong ======================================================= */

static void pingpong_partner(void *arg) {
  mb_run *r = arg;
  int64_t x;
  while (rt_chan_recv(r->a, &x)) {
    x++;
    rt_chan_send(r->b, &x);
  }
  rt_wg_done(&r->wg);
}

static void pingpong_body(mb_run *r) {
  if (!mb_chans(r, 0)) return;
  rt_wg_add(&r->wg, 1);
  rt_go(pingpong_partner, r);
  int64_t n = 0, x;
  while (cbench_keep_running(r->s)) {
    x = n;
    rt_chan_send(r->a, &x);
    rt_chan_recv(r->b, &x);
    n++;
  }
  rt_chan_close(r->a);
  rt_wg_wait(&r->wg);
  mb_free_chans(r);
  r->items = n;
}

/* ==== chanbuf and select2: producers until told to stop ============== */

/* Sends on its channel until the run stops, then closes it. */
static void mb_producer(rt_chan *c, mb_run *r) {
  for (int64_t i = 0; !mb_stopped(r); i++) rt_chan_send(c, &i);
  rt_chan_close(c);
  rt_wg_done(&r->wg);
}

static void prod_a(void *arg) { mb_producer(((mb_run *)arg)->a, arg); }
static void prod_b(void *arg) { mb_producer(((mb_run *)arg)->b, arg); }

static void chanbuf_body(mb_run *r) {
  if (!mb_chans(r, (size_t)r->arg)) return;
  rt_wg_add(&r->wg, 1);
  rt_go(prod_a, r);
  int64_t n = 0, x;
  while (cbench_keep_running(r->s)) {
    rt_chan_recv(r->a, &x);
    n++;
  }
  atomic_store(&r->stop, 1);
  while (rt_chan_recv(r->a, &x)) {}  /* drain until the producer closes */
  rt_wg_wait(&r->wg);
  mb_free_chans(r);
  r->items = n;
}

static void select2_body(mb_run *r) {
  if (!mb_chans(r, 0)) return;
  rt_wg_add(&r->wg, 2);
  rt_go(prod_a, r);
  rt_go(prod_b, r);
  int64_t n = 0, x;
  rt_case cs[2] = {{r->a, RT_RECV, &x, false}, {r->b, RT_RECV, &x, false}};
  while (cbench_keep_running(r->s)) {
    rt_select(cs, 2, true);
    n++;
  }
  atomic_store(&r->stop, 1);
  for (int open = 2; open > 0;) {   /* drain both until closed */
    int i = rt_select(cs, 2, true);
    if (!cs[i].ok) {
      cs[i].c = NULL;               /* a nil channel is never ready */
      open--;
    }
  }
  rt_wg_wait(&r->wg);
  mb_free_chans(r);
  r->items = n;
}

/* ==== spawn ========================================================== */

static void spawn_child(void *arg) { rt_wg_done(&((mb_run *)arg)->wg); }

static void spawn_body(mb_run *r) {
  int64_t n = 0, k = 0, batch = r->arg > 0 ? r->arg : 1;
  while (cbench_keep_running(r->s)) {
    rt_wg_add(&r->wg, 1);
    rt_go(spawn_child, r);
    n++;
    if (++k == batch) {
      rt_wg_wait(&r->wg);
      k = 0;
    }
  }
  rt_wg_wait(&r->wg);
  r->items = n;
}

/* ==== the table: every benchmark under every policy ================== */

#define MB_POLICIES(X, ...) \
  X(go, __VA_ARGS__) X(fifo, __VA_ARGS__) X(lifo, __VA_ARGS__) X(randsteal, __VA_ARGS__)
/* name, argument (0 = none) */
#define MB_BENCHES(X) \
  X(yield, 0) X(pingpong, 0) X(chanbuf, 128) X(select2, 0) X(spawn, 64)

#define MB_FN(pol, b, arg) \
  static void bm_##b##_##pol(cbench_state *s) { mb_start(s, #pol, b##_body); }
#define MB_FNS(b, arg) MB_POLICIES(MB_FN, b, arg)
MB_BENCHES(MB_FNS)

#define MB_ROW(pol, b, arg) {#b "/" #pol, bm_##b##_##pol, arg},
#define MB_ROWS(b, arg) MB_POLICIES(MB_ROW, b, arg)
const cbench_def cbench_table[] = {
  {"ctx_swap", bm_ctx_swap, 0},
  MB_BENCHES(MB_ROWS)
  {0},
};
