/*
** workloads.c: the workload table, resolving "name,k=v" specs, and
** running one workload as the main G of a fresh runtime.
**
** The table is the single list of workloads: `rtlab list`, `rtlab trial`
** and the tests all walk it, so adding a workload is one descriptor in a
** wl_*.c file plus one line here.
*/
#include "workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const wl_desc *const wl_table[] = {
  &wl_yield, &wl_spawn, &wl_skynet,
  &wl_pingpong, &wl_chanbuf, &wl_pipeline,
  &wl_churn, &wl_frag, &wl_large, &wl_larson, &wl_xmalloc,
  &wl_binarytrees, &wl_gcbench, &wl_lru, &wl_roots, &wl_mutate,
  &wl_timers, &wl_hog, &wl_syscall, &wl_echo,
  &wl_fault,
};
#define WL_N ((int)(sizeof wl_table / sizeof wl_table[0]))

int wl_count(void) { return WL_N; }

const wl_desc *wl_at(int i) { return i >= 0 && i < WL_N ? wl_table[i] : NULL; }

const wl_desc *wl_find(const char *name) {
  for (int i = 0; name && i < WL_N; i++)
    if (strcmp(wl_table[i]->name, name) == 0) return wl_table[i];
  return NULL;
}

int wl_resolve(const char *spec, const wl_desc **out, rt_pval vals[RT_MAX_PARAMS],
               char *err, size_t errlen) {
  if (out) *out = NULL;
  if (!spec) spec = "";
  const char *comma = strchr(spec, ',');
  size_t nl = comma ? (size_t)(comma - spec) : strlen(spec);
  const wl_desc *w = NULL;
  for (int i = 0; i < WL_N; i++)
    if (strlen(wl_table[i]->name) == nl && strncmp(wl_table[i]->name, spec, nl) == 0)
      w = wl_table[i];
  if (!w) {
    char allowed[256] = "";
    size_t n = 0;
    for (int i = 0; i < WL_N && n < sizeof allowed; i++)
      n += (size_t)snprintf(allowed + n, sizeof allowed - n, "%s%s", i ? ", " : "",
                            wl_table[i]->name);
    if (err && errlen)
      snprintf(err, errlen, "unknown workload '%.*s' (allowed: %s)", (int)nl, spec, allowed);
    return RT_ENOENT;
  }
  char what[64];
  snprintf(what, sizeof what, "workload '%s'", w->name);
  rt_pval tmp[RT_MAX_PARAMS];
  memset(tmp, 0, sizeof tmp);
  rt_params_defaults(w->params, w->nparams, tmp);
  int rc = rt_params_parse(what, w->params, w->nparams, comma ? comma + 1 : NULL, tmp, err,
                           errlen);
  if (rc == RT_OK && w->check) rc = w->check(tmp, err, errlen);
  if (rc != RT_OK) return rc;
  if (vals) memcpy(vals, tmp, sizeof tmp);
  if (out) *out = w;
  return RT_OK;
}

/* ==== running one ==================================================== */

/* What the main G needs, and what it leaves behind. */
typedef struct wl_job {
  const wl_desc *w;        /* the workload */
  const rt_pval *vals;     /* its resolved parameters */
  wl_result *res;          /* where run's outcome goes */
} wl_job;

static int64_t wl_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static wl_result *wl_cur;  /* the result of the workload running now */

static int wl_cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

void wl_latency(int64_t *samples, size_t n) {
  if (!wl_cur || n == 0) return;
  qsort(samples, n, sizeof *samples, wl_cmp64);
  wl_cur->has_latency = true;
  wl_cur->lat_p50_ns = samples[(n + 1) / 2 - 1];          /* rank ceil(n / 2) */
  wl_cur->lat_p99_ns = samples[(n * 99 + 99) / 100 - 1];  /* rank ceil(0.99 n) */
  wl_cur->lat_max_ns = samples[n - 1];
}

static void wl_main(void *arg) {
  wl_job *j = arg;
  wl_cur = j->res;
  int64_t t0 = wl_now();
  j->res->status = j->w->run(j->vals, &j->res->ops, j->res->err, sizeof j->res->err);
  j->res->run_ns = wl_now() - t0;
  if (j->res->status != 0 && !j->res->err[0])
    snprintf(j->res->err, sizeof j->res->err, "workload '%s' failed (%d)", j->w->name,
             j->res->status);
}

int wl_run(const rt_config *cfg, const wl_desc *w, const rt_pval *vals, wl_result *res) {
  memset(res, 0, sizeof *res);
  rt_config c = cfg ? *cfg : (rt_config){0};
  c.err = res->err;
  c.errlen = sizeof res->err;
  wl_job j = {w, vals, res};
  res->rc = rt_run(&c, wl_main, &j);
  wl_cur = NULL;
  return res->rc;
}
