/*
** wl_time.c: timer workloads, on rt_sleep.
**
**   timers  `gs` Gs each sleep n / gs times for a random duration in
**           [0, max_us] microseconds and record how late each wake-up
**           came (now - (start + duration)); the trial reports the
**           lateness as latency {p50_ns, p99_ns, max_ns}.  A wake-up
**           before its deadline fails the trial.  ns_per_op is the wall
**           time per sleep, which is mostly the sleeping itself.
**
**   hog     `n` Gs each spin `ms` milliseconds in a pure arithmetic loop
**           (xorshift64: no calls, so no preemption point: only a signal
**           can stop it, preempt=signal), while a latency G sleeps
**           sleep_us in a loop and records how late each wake-up came.
**           The loop's speed is calibrated first (iterations per ms).
**           The trial reports the lateness as latency: with preempt=off
**           or coop on one P the sleeper waits for the hogs to finish
**           (max about n * ms); with preempt=signal for about a time
**           slice.  ops = n; ns_per_op is about ms when the hogs run
**           one after another.
*/
#include "workloads.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum { T_N, T_GS, T_MAX_US };
static const rt_param t_params[] = {
  {"n", RT_PT_INT, 100000, 1, 1e9, NULL, "sleeps in total, shared by the Gs"},
  {"gs", RT_PT_INT, 1000, 1, 1e6, NULL, "Gs sleeping at once"},
  {"max_us", RT_PT_INT, 1000, 0, 1e7, NULL, "longest sleep, microseconds (uniform from 0)"},
};

/* One sleeping G's share; padded so two Ps' records never share a line. */
typedef union t_g {
  struct {
    int64_t n;             /* sleeps to do */
    int64_t *late;         /* lateness of each, ns */
    int64_t max_ns;        /* longest sleep */
    uint64_t rng;          /* xorshift state */
    int early;             /* wake-ups before their deadline */
    rt_waitgroup *wg;      /* done signal */
  };
  char line[WL_LINE];      /* padding */
} t_g;

static void t_run1(void *arg) {
  t_g *g = arg;
  for (int64_t i = 0; i < g->n; i++) {
    g->rng ^= g->rng << 13; g->rng ^= g->rng >> 7; g->rng ^= g->rng << 17;
    int64_t d = g->max_ns ? (int64_t)(g->rng % (uint64_t)(g->max_ns + 1)) : 0;
    int64_t t0 = rt_now();
    rt_sleep(d);
    int64_t late = rt_now() - (t0 + d);
    if (late < 0) g->early++;
    g->late[i] = late < 0 ? 0 : late;
  }
  rt_wg_done(g->wg);
}

static int t_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[T_N].i, gs = v[T_GS].i < n ? v[T_GS].i : n;
  int64_t *late = malloc((size_t)n * sizeof *late);
  t_g *g = calloc((size_t)gs, sizeof *g);
  if (!late || !g) {
    free(late);
    free(g);
    snprintf(err, errlen, "timers: out of memory for %lld samples", (long long)n);
    return 1;
  }
  rt_waitgroup wg = {0};
  rt_wg_add(&wg, (int)gs);
  int64_t at = 0;
  for (int64_t i = 0; i < gs; i++) {
    int64_t share = n / gs + (i < n % gs);
    g[i].n = share;
    g[i].late = late + at;
    g[i].max_ns = v[T_MAX_US].i * 1000;
    g[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
    g[i].wg = &wg;
    at += share;
    rt_go(t_run1, &g[i]);
  }
  rt_wg_wait(&wg);
  int early = 0;
  for (int64_t i = 0; i < gs; i++) early += g[i].early;
  wl_latency(late, (size_t)n);
  free(late);
  free(g);
  *ops = (uint64_t)n;
  if (early) {
    snprintf(err, errlen, "timers: %d wake-ups came before their deadline", early);
    return 1;
  }
  return 0;
}

const wl_desc wl_timers = {
  .name = "timers",
  .summary = "Gs sleeping random short durations; latency = how late each wake-up came",
  .params = t_params,
  .nparams = (int)(sizeof t_params / sizeof t_params[0]),
  .run = t_run,
};

/* ==== hog: Gs that never reach a preemption point ==================== */

enum { H_N, H_MS, H_SLEEP_US };
static const rt_param h_params[] = {
  {"n", RT_PT_INT, 1, 1, 1024, NULL, "hog Gs, each spinning without a preemption point"},
  {"ms", RT_PT_INT, 500, 1, 1e6, NULL, "how long each hog spins, milliseconds (calibrated)"},
  {"sleep_us", RT_PT_INT, 1000, 1, 1e6, NULL, "the latency G's sleep, microseconds"},
};

/* One hog's result: padded so the hogs' stores never share a line. */
typedef union h_slot {
  uint64_t x;              /* the loop's final state: keeps it from being optimised away */
  char line[WL_LINE];      /* padding */
} h_slot;

typedef struct h_state {
  int64_t sleep_ns;        /* the latency G's sleep */
  int64_t iters;           /* loop iterations per hog */
  h_slot *slot;            /* a result per hog */
  int64_t *late;           /* the latency G's samples, ns */
  size_t nlate, caplate;   /* samples taken, room for */
  bool oom;                /* the samples could not grow */
  _Atomic int done;        /* every hog has finished */
  rt_chan *started;        /* latency G -> main: it runs */
  rt_waitgroup hogs;       /* the hog Gs */
  rt_waitgroup lat;        /* the latency G */
} h_state;

typedef struct h_arg { h_state *s; int64_t i; } h_arg;

/* The hog's loop: xorshift64 steps and nothing else: no call, no memory
** access but registers, so no preemption point anywhere inside. */
__attribute__((noinline)) static uint64_t h_spin(uint64_t x, int64_t iters) {
  for (int64_t i = 0; i < iters; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

static void h_hog(void *arg) {
  h_arg *a = arg;
  a->s->slot[a->i].x = h_spin(0x9E3779B97F4A7C15ull * (uint64_t)(a->i + 1), a->s->iters);
  rt_wg_done(&a->s->hogs);
}

/* Sleeps and measures until the hogs are done, including the sleep that
** saw them done. */
static void h_latency(void *arg) {
  h_state *s = arg;
  rt_chan_send(s->started, NULL);
  for (;;) {
    int64_t t0 = rt_now();
    rt_sleep(s->sleep_ns);
    int64_t late = rt_now() - t0 - s->sleep_ns;
    if (s->nlate == s->caplate && !s->oom) {
      size_t cap = s->caplate ? 2 * s->caplate : 1024;
      int64_t *p = realloc(s->late, cap * sizeof *p);
      if (p) {
        s->late = p;
        s->caplate = cap;
      } else {
        s->oom = true;
      }
    }
    if (s->nlate < s->caplate) s->late[s->nlate++] = late < 0 ? 0 : late;
    if (atomic_load(&s->done)) break;
  }
  rt_wg_done(&s->lat);
}

static int h_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[H_N].i;
  h_state s = {.sleep_ns = v[H_SLEEP_US].i * 1000};
  s.slot = calloc((size_t)n, sizeof *s.slot);
  h_arg *args = calloc((size_t)n, sizeof *args);
  s.started = rt_chan_make(0, 0);
  if (!s.slot || !args || !s.started) {
    free(s.slot);
    free(args);
    if (s.started) rt_chan_free(s.started);
    snprintf(err, errlen, "hog: out of memory for %lld hogs", (long long)n);
    return 1;
  }
  rt_wg_add(&s.lat, 1);
  rt_go(h_latency, &s);
  rt_chan_recv(s.started, NULL);
  /* Calibrate: double the run until it takes 2 ms or more, then keep the
  ** fastest of three runs of that length (a run the host or the latency G
  ** interrupted only looks slower, and would make the hogs spin short). */
  int64_t iters = 1 << 22, dt;
  uint64_t x = 88172645463325252ull;
  for (;;) {
    int64_t t0 = rt_now();
    x = h_spin(x, iters);
    dt = rt_now() - t0;
    if (dt >= 2000000 || iters > (INT64_MAX >> 2)) break;
    iters *= 2;
  }
  for (int r = 0; r < 2; r++) {
    int64_t t0 = rt_now();
    x = h_spin(x, iters);
    int64_t d = rt_now() - t0;
    if (d < dt) dt = d;
  }
  double per_ms = (double)iters * 1e6 / (double)(dt > 0 ? dt : 1);
  s.iters = (int64_t)(per_ms * (double)v[H_MS].i);
  if (s.iters < 1) s.iters = 1;
  rt_wg_add(&s.hogs, n);
  for (int64_t i = 0; i < n; i++) {
    args[i] = (h_arg){&s, i};
    rt_go(h_hog, &args[i]);
  }
  rt_wg_wait(&s.hogs);
  atomic_store(&s.done, 1);
  rt_wg_wait(&s.lat);
  int zero = x == 0;  /* uses the results: a xorshift state is never 0 */
  for (int64_t i = 0; i < n; i++) zero += s.slot[i].x == 0;
  wl_latency(s.late, s.nlate);
  int oom = s.oom;
  free(s.late);
  free(s.slot);
  free(args);
  rt_chan_free(s.started);
  *ops = (uint64_t)n;
  if (oom) {
    snprintf(err, errlen, "hog: out of memory for latency samples (%zu taken)", s.nlate);
    return 1;
  }
  if (zero) {
    snprintf(err, errlen, "hog: %d loops ended in state 0, which xorshift never reaches", zero);
    return 1;
  }
  return 0;
}

const wl_desc wl_hog = {
  .name = "hog",
  .summary = "Gs spinning without preemption points beside a sleeping G; latency = its lateness",
  .params = h_params,
  .nparams = (int)(sizeof h_params / sizeof h_params[0]),
  .run = h_run,
};
