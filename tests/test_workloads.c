/*
** test_workloads.c: the workload table, resolving workload specs (and
** their exact messages), wl_run's error paths, and every workload with a
** small n under every built-in policy at 1 and 2 Ps, checking that it
** passes its own self-check and reports n operations.
*/
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "workloads.h"

#define CHECK_STR(a, b) CHECKF(strcmp((a), (b)) == 0, "\n  got:  %s\n  want: %s", (a), (b))

static char err[1024];

static void test_table(void) {
  CHECK_EQ(wl_count(), 21);
  CHECK(wl_at(-1) == NULL);
  CHECK(wl_at(wl_count()) == NULL);
  CHECK(wl_find("nope") == NULL);
  for (int i = 0; i < wl_count(); i++) {
    const wl_desc *w = wl_at(i);
    CHECK(w && w->name && w->summary && w->run);
    if (!w) continue;
    CHECK(wl_find(w->name) == w);
    CHECK(w->nparams >= 1 && w->nparams <= RT_MAX_PARAMS);
    CHECK_STR(w->params[0].name, "n");
    CHECK(w->params[0].type == RT_PT_INT);
    for (int k = 0; k < w->nparams; k++) {
      const rt_param *p = &w->params[k];
      CHECK(p->doc != NULL);
      CHECK(p->min <= p->def && p->def <= p->max);
    }
    /* the defaults pass the workload's own check */
    const wl_desc *r;
    rt_pval v[RT_MAX_PARAMS];
    CHECKF(wl_resolve(w->name, &r, v, err, sizeof err) == RT_OK, "%s", err);
    CHECK(r == w);
  }
}

static void test_resolve(void) {
  const wl_desc *w;
  rt_pval v[RT_MAX_PARAMS];
  CHECK_EQ(wl_resolve("chanbuf", &w, v, err, sizeof err), RT_OK);
  CHECK_EQ(v[1].i, 128);  /* cap's default */
  CHECK_EQ(wl_resolve("chanbuf,n=5k,cap=0", &w, v, err, sizeof err), RT_OK);
  CHECK(w == &wl_chanbuf);
  CHECK_EQ(v[0].i, 5000);
  CHECK_EQ(v[1].i, 0);
  CHECK_EQ(wl_resolve("pipeline,stages=3", &w, v, err, sizeof err), RT_OK);
  CHECK_EQ(v[1].i, 3);
  CHECK_EQ(wl_resolve("skynet,n=100", &w, v, err, sizeof err), RT_OK);
  CHECK_EQ(wl_resolve("skynet,n=1", &w, v, err, sizeof err), RT_OK);

  CHECK_EQ(wl_resolve("foo", &w, v, err, sizeof err), RT_ENOENT);
  CHECK(w == NULL);
  CHECK_STR(err, "unknown workload 'foo' (allowed: yield, spawn, skynet, pingpong, chanbuf, pipeline, churn, frag, large, larson, xmalloc, binarytrees, gcbench, lru, roots, mutate, timers, hog, syscall, echo, fault)");
  CHECK_EQ(wl_resolve("yiel,n=3", &w, v, err, sizeof err), RT_ENOENT);
  CHECK(strstr(err, "unknown workload 'yiel'") == err);
  CHECK_EQ(wl_resolve("skynet,n=500", &w, v, err, sizeof err), RT_EINVAL);
  CHECK_STR(err, "workload 'skynet': parameter 'n' must be a power of 10 (1, 10, 100, ...), got 500");
  CHECK_EQ(wl_resolve("yield,gs=0", &w, v, err, sizeof err), RT_EINVAL);
  CHECK_STR(err, "workload 'yield': parameter 'gs' wants an integer in [1, 100000], got '0'");
  CHECK_EQ(wl_resolve("pingpong,m=3", &w, v, err, sizeof err), RT_EINVAL);
  CHECK_STR(err, "workload 'pingpong': unknown parameter 'm' (allowed: n)");
}

/* A workload whose self-check always fails. */
static int bad_run(const rt_pval *v, uint64_t *ops, char *e, size_t len) {
  *ops = (uint64_t)v[0].i;
  snprintf(e, len, "bad: sum 1, want 2");
  return 1;
}
static int quiet_run(const rt_pval *v, uint64_t *ops, char *e, size_t len) {
  (void)v; (void)ops; (void)e; (void)len;
  return 3;
}
static const rt_param bad_params[] = {{"n", RT_PT_INT, 7, 1, 100, NULL, "ops"}};
static const wl_desc bad = {"bad", "fails", bad_params, 1, NULL, bad_run};
static const wl_desc quiet = {"quiet", "fails silently", bad_params, 1, NULL, quiet_run};

static void test_run_errors(void) {
  wl_result res;
  rt_pval v[1] = {{.i = 7}};
  rt_config cfg = {.procs = 1};
  CHECK_EQ(wl_run(&cfg, &bad, v, &res), RT_OK);
  CHECK_EQ(res.rc, RT_OK);
  CHECK_EQ(res.status, 1);
  CHECK_EQ(res.ops, 7);
  CHECK_STR(res.err, "bad: sum 1, want 2");
  CHECK_EQ(wl_run(&cfg, &quiet, v, &res), RT_OK);
  CHECK_EQ(res.status, 3);
  CHECK_STR(res.err, "workload 'quiet' failed (3)");
  cfg.sched = "nope";
  CHECK_EQ(wl_run(&cfg, &bad, v, &res), RT_ENOENT);
  CHECK(strstr(res.err, "unknown sched 'nope'") == res.err);
}

/* Small sizes: enough to queue, block, steal and wrap rings. */
static const char *const small[] = {
  "yield,n=3000,gs=3", "spawn,n=3000,batch=700", "skynet,n=1000",
  "pingpong,n=2000", "chanbuf,n=5000,cap=7", "pipeline,n=1000,stages=5",
};

static void test_all(void) {
  for (int s = 0; s < rt_sched_count(); s++) {
    const char *pol = rt_sched_at(s)->name;
    for (int i = 0; i < (int)(sizeof small / sizeof small[0]); i++) {
      const wl_desc *w;
      rt_pval v[RT_MAX_PARAMS];
      CHECKF(wl_resolve(small[i], &w, v, err, sizeof err) == RT_OK, "%s", err);
      for (int procs = 1; procs <= 2; procs++) {
        wl_result res;
        rt_config cfg = {.procs = procs, .sched = pol};
        wl_run(&cfg, w, v, &res);
        CHECKF(res.rc == RT_OK && res.status == 0, "%s under %s, procs %d: %s", small[i], pol,
               procs, res.err);
        CHECKF(res.ops == (uint64_t)v[0].i, "%s under %s, procs %d: ops %llu", small[i], pol,
               procs, (unsigned long long)res.ops);
      }
    }
  }
}

int main(void) {
  test_table();
  test_resolve();
  test_run_errors();
  test_all();
  return check_done("test_workloads");
}
