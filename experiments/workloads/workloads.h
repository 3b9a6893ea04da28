/*
** workloads.h: the C workloads that experiments run on the runtime.
**
** A workload is a const descriptor like a module's ops table: a name, a
** summary, parameters declared with the same rt_param rows (so the
** registry's parser validates "skynet,n=1000" exactly as it validates a
** sched spec) and a run function.  run is called inside the runtime's
** main G; it does n operations of its kind, checks its own result (a sum,
** an order) and reports how many operations it did, so a trial can
** divide time by ops.
**
** Every workload has an INT parameter `n` (the operation count) first.
*/
#ifndef WORKLOADS_H
#define WORKLOADS_H

#include "rt_module.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wl_desc {
  const char *name;        /* unique, [a-z0-9_]+ */
  const char *summary;     /* one line for `rtlab list` */
  const rt_param *params;  /* declared parameters, `n` first */
  int nparams;             /* number of params, <= RT_MAX_PARAMS */
  /* Optional: checks values the declared ranges cannot express (skynet's
  ** n must be a power of 10).  RT_OK or RT_EINVAL with a message. */
  int (*check)(const rt_pval *vals, char *err, size_t errlen);
  /* Runs inside the main G.  Sets *ops; returns 0, or nonzero with a
  ** message in err when its self-check fails or it cannot run. */
  int (*run)(const rt_pval *vals, uint64_t *ops, char *err, size_t errlen);
} wl_desc;

/* The workloads, in listing order. */
int wl_count(void);
const wl_desc *wl_at(int i);
const wl_desc *wl_find(const char *name);

/* Resolves "name[,k=v...]": finds the workload, fills vals with defaults
** overridden by the pairs and runs its check.  Messages name what is
** allowed, e.g.  unknown workload 'foo' (allowed: yield, spawn, ...).
** RT_OK, RT_ENOENT or RT_EINVAL. */
int wl_resolve(const char *spec, const wl_desc **out, rt_pval vals[RT_MAX_PARAMS],
               char *err, size_t errlen);

/* The outcome of wl_run. */
typedef struct wl_result {
  int rc;                  /* rt_run's code: RT_OK, or negative (see err) */
  int status;              /* run's return: 0 ok, nonzero = failed (see err) */
  uint64_t ops;            /* operations done, as run reported them */
  int64_t run_ns;          /* wall time of run inside the main G: what the
                              Go peers time too (runtime start-up excluded) */
  bool has_latency;        /* the workload measured latencies (wl_latency) */
  int64_t lat_p50_ns, lat_p99_ns, lat_max_ns;  /* their median, 99th percentile, max */
  char err[512];           /* message when rc or status is not 0 */
} wl_result;

/* Starts a runtime with cfg (its err fields are ignored) and runs w with
** vals as its main G.  Returns res->rc. */
int wl_run(const rt_config *cfg, const wl_desc *w, const rt_pval *vals, wl_result *res);

/* Per-G records a workload writes on every operation (a random state) are
** padded to WL_LINE bytes: two Gs on two Ps writing one cache line would
** make what they measure look slow at 2 Ps (false sharing). */
#define WL_LINE 128

/* From a workload's run: n latency samples (ns; sorted here in place)
** whose median, 99th percentile and maximum the trial reports as
** `latency` {p50_ns, p99_ns, max_ns}.  Percentiles are nearest-rank. */
void wl_latency(int64_t *samples, size_t n);

/* The descriptors, defined in wl_sched.c and wl_chan.c. */
extern const wl_desc wl_yield, wl_spawn, wl_skynet;
extern const wl_desc wl_pingpong, wl_chanbuf, wl_pipeline;
extern const wl_desc wl_churn, wl_frag, wl_large, wl_larson, wl_xmalloc;  /* wl_alloc.c */
extern const wl_desc wl_binarytrees, wl_gcbench, wl_lru, wl_roots, wl_mutate;  /* wl_gc.c */
extern const wl_desc wl_fault;  /* wl_fault.c */
extern const wl_desc wl_timers, wl_hog;  /* wl_time.c */
extern const wl_desc wl_syscall;  /* wl_sys.c */
extern const wl_desc wl_echo;  /* wl_net.c */

#ifdef __cplusplus
}
#endif
#endif
