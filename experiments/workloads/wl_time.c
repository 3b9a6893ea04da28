/*
** wl_time.c: timer workloads, on rt_sleep.
**
**   timers  `gs` Gs each sleep n / gs times for a random duration in
**           [0, max_us] microseconds and record how late each wake-up
**           came (now - (start + duration)); the trial reports the
**           lateness as latency {p50_ns, p99_ns, max_ns}.  A wake-up
**           before its deadline fails the trial.  ns_per_op is the wall
**           time per sleep, which is mostly the sleeping itself.
*/
#include "workloads.h"

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
