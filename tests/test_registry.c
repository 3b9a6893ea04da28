/*
** test_registry.c: the registry: built-in tables, parameter parsing and
** its exact error messages, formatting, resolving specs, loading modules
** from shared objects (built from regmod.c), and counter names.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rt_module.h"

#ifndef REGMOD_DIR
#define REGMOD_DIR "."
#endif

#define CHECK_STR(a, b) CHECKF(strcmp((a), (b)) == 0, "\n  got:  %s\n  want: %s", (a), (b))

/* One parameter of each type, as a module would declare them. */
static const rt_param tp[] = {
  {"depth", RT_PT_INT, 4, 1, 64, NULL, "an integer"},
  {"ratio", RT_PT_DOUBLE, 0.25, 0, 1, NULL, "a real"},
  {"fast", RT_PT_BOOL, 0, 0, 1, NULL, "a switch"},
  {"order", RT_PT_ENUM, 1, 0, 0, "fifo|lifo|random", "a choice"},
  {"count", RT_PT_INT, 10, 0, 1e9, NULL, "a big integer"},
};
enum { T_DEPTH, T_RATIO, T_FAST, T_ORDER, T_COUNT, T_N };

static char err[1024];

/* Parses kvs over fresh defaults; returns the code, values in v. */
static int parse(const char *kvs, rt_pval *v) {
  err[0] = 0;
  rt_params_defaults(tp, T_N, v);
  return rt_params_parse("sched 'test'", tp, T_N, kvs, v, err, sizeof err);
}

static void test_counters(void) {
  CHECK_STR(rt_counter_name(0), "switches");
  CHECK_STR(rt_counter_name(RT_CNT_STEALS), "steals");
  CHECK(rt_counter_name(-1) == NULL);
  CHECK(rt_counter_name(RT_CNT__N) == NULL);
  for (int i = 0; i < RT_CNT__N; i++) {
    CHECK(rt_counter_name(i) != NULL);
    for (int k = 0; k < i; k++) CHECK(strcmp(rt_counter_name(i), rt_counter_name(k)) != 0);
  }
}

static void test_defaults(void) {
  rt_pval v[T_N];
  rt_params_defaults(tp, T_N, v);
  CHECK_EQ(v[T_DEPTH].i, 4);
  CHECK(v[T_RATIO].d == 0.25);
  CHECK_EQ(v[T_FAST].i, 0);
  CHECK_EQ(v[T_ORDER].i, 1);
  CHECK_EQ(parse(NULL, v), RT_OK);
  CHECK_EQ(parse("", v), RT_OK);
  CHECK_EQ(v[T_DEPTH].i, 4);
}

static void test_parse_ok(void) {
  rt_pval v[T_N];
  CHECK_EQ(parse("depth=7,ratio=0.5,fast=on,order=random", v), RT_OK);
  CHECK_EQ(v[T_DEPTH].i, 7);
  CHECK(v[T_RATIO].d == 0.5);
  CHECK_EQ(v[T_FAST].i, 1);
  CHECK_EQ(v[T_ORDER].i, 2);
  CHECK_EQ(v[T_COUNT].i, 10);  /* untouched keys keep their defaults */
  /* bounds are inclusive */
  CHECK_EQ(parse("depth=1", v), RT_OK);
  CHECK_EQ(v[T_DEPTH].i, 1);
  CHECK_EQ(parse("depth=64,ratio=1,ratio_x=", v), RT_EINVAL);
  CHECK_EQ(parse("depth=64,ratio=1", v), RT_OK);
  /* suffixes k, M, G are decimal */
  CHECK_EQ(parse("count=3k", v), RT_OK);
  CHECK_EQ(v[T_COUNT].i, 3000);
  CHECK_EQ(parse("count=2M", v), RT_OK);
  CHECK_EQ(v[T_COUNT].i, 2000000);
  CHECK_EQ(parse("count=1G", v), RT_OK);
  CHECK_EQ(v[T_COUNT].i, 1000000000);
  CHECK_EQ(parse("count=2G", v), RT_EINVAL);  /* above max */
  /* every spelling of a boolean */
  const char *yes[] = {"on", "true", "1", "yes", "ON", "True"};
  const char *no[] = {"off", "false", "0", "no", "OFF", "No"};
  for (int i = 0; i < 6; i++) {
    char kv[32];
    snprintf(kv, sizeof kv, "fast=%s", yes[i]);
    CHECK_EQ(parse(kv, v), RT_OK);
    CHECK_EQ(v[T_FAST].i, 1);
    snprintf(kv, sizeof kv, "fast=%s", no[i]);
    CHECK_EQ(parse(kv, v), RT_OK);
    CHECK_EQ(v[T_FAST].i, 0);
  }
  /* spaces around keys and values are ignored */
  CHECK_EQ(parse(" depth = 9 , order=fifo ", v), RT_OK);
  CHECK_EQ(v[T_DEPTH].i, 9);
  CHECK_EQ(v[T_ORDER].i, 0);
  /* exponents in doubles */
  CHECK_EQ(parse("ratio=5e-1", v), RT_OK);
  CHECK(v[T_RATIO].d == 0.5);
}

static void test_parse_errors(void) {
  rt_pval v[T_N];
  CHECK_EQ(parse("dpeth=3", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': unknown parameter 'dpeth' (allowed: depth, ratio, fast, order, count)");
  CHECK_EQ(parse("depth=abc", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': parameter 'depth' wants an integer in [1, 64], got 'abc'");
  CHECK_EQ(parse("depth=0", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': parameter 'depth' wants an integer in [1, 64], got '0'");
  CHECK_EQ(parse("depth=65", v), RT_EINVAL);
  CHECK_EQ(parse("depth=3.5", v), RT_EINVAL);
  CHECK_EQ(parse("depth=", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': parameter 'depth' wants an integer in [1, 64], got ''");
  CHECK_EQ(parse("depth=99999999999999999999", v), RT_EINVAL);
  CHECK_EQ(parse("ratio=1.5", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': parameter 'ratio' wants a number in [0, 1], got '1.5'");
  CHECK_EQ(parse("ratio=nan", v), RT_EINVAL);
  CHECK_EQ(parse("fast=maybe", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': parameter 'fast' wants on|off, got 'maybe'");
  CHECK_EQ(parse("order=lifi", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': parameter 'order' wants fifo|lifo|random, got 'lifi'");
  CHECK_EQ(parse("order=fif", v), RT_EINVAL);  /* no prefix matching */
  /* a key given twice is an error */
  CHECK_EQ(parse("depth=3,depth=5", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': parameter 'depth' given twice");
  CHECK_EQ(parse("depth", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': expected key=value, got 'depth'");
  CHECK_EQ(parse("depth=3,,fast=on", v), RT_EINVAL);
  CHECK_STR(err, "sched 'test': empty item in parameter list 'depth=3,,fast=on'");
  /* no parameters declared */
  rt_pval none[1];
  CHECK_EQ(rt_params_parse("sched 'bare'", NULL, 0, "x=1", none, err, sizeof err), RT_EINVAL);
  CHECK_STR(err, "sched 'bare': unknown parameter 'x' (allowed: none)");
  /* all or nothing: a failed parse leaves the values as they were */
  rt_params_defaults(tp, T_N, v);
  CHECK_EQ(rt_params_parse("t", tp, T_N, "depth=8,fast=on,order=nope", v, err, sizeof err),
           RT_EINVAL);
  CHECK_EQ(v[T_DEPTH].i, 4);
  CHECK_EQ(v[T_FAST].i, 0);
  /* err may be NULL */
  CHECK_EQ(rt_params_parse("t", tp, T_N, "zzz=1", v, NULL, 0), RT_EINVAL);
}

static void test_format(void) {
  char buf[64];
  CHECK(rt_param_format(&tp[T_DEPTH], (rt_pval){.i = 61}, buf, sizeof buf) > 0);
  CHECK_STR(buf, "61");
  rt_param_format(&tp[T_RATIO], (rt_pval){.d = 0.1}, buf, sizeof buf);
  CHECK_STR(buf, "0.1");
  rt_param_format(&tp[T_RATIO], (rt_pval){.d = 1.0 / 3}, buf, sizeof buf);
  CHECK(strtod(buf, NULL) == 1.0 / 3);
  rt_param_format(&tp[T_FAST], (rt_pval){.i = 1}, buf, sizeof buf);
  CHECK_STR(buf, "on");
  rt_param_format(&tp[T_FAST], (rt_pval){.i = 0}, buf, sizeof buf);
  CHECK_STR(buf, "off");
  for (int i = 0; i < 3; i++) {
    static const char *const names[] = {"fifo", "lifo", "random"};
    rt_param_format(&tp[T_ORDER], (rt_pval){.i = i}, buf, sizeof buf);
    CHECK_STR(buf, names[i]);
  }
  CHECK_EQ(rt_param_format(&tp[T_ORDER], (rt_pval){.i = 3}, buf, sizeof buf), RT_EINVAL);
  CHECK_EQ(rt_param_format(&tp[T_ORDER], (rt_pval){.i = -1}, buf, sizeof buf), RT_EINVAL);
  /* formatting then parsing gives the value back, for every default */
  rt_pval d[T_N], back[T_N];
  rt_params_defaults(tp, T_N, d);
  char spec[256] = "";
  size_t n = 0;
  for (int i = 0; i < T_N; i++) {
    rt_param_format(&tp[i], d[i], buf, sizeof buf);
    n += (size_t)snprintf(spec + n, sizeof spec - n, "%s%s=%s", i ? "," : "", tp[i].name, buf);
  }
  CHECK_EQ(parse(spec, back), RT_OK);
  for (int i = 0; i < T_N; i++) CHECK(memcmp(&d[i], &back[i], sizeof d[i]) == 0);
}

/* Every built-in is well formed and found by name. */
static void test_builtins(void) {
  int n = rt_sched_count();
  CHECK(n >= 1);
  CHECK(rt_sched_at(-1) == NULL);
  CHECK(rt_sched_at(n) == NULL);
  CHECK(rt_sched_find("no_such_policy") == NULL);
  CHECK(rt_sched_find(NULL) == NULL);
  CHECK(rt_sched_find("go") != NULL);
  for (int i = 0; i < n; i++) {
    const rt_sched_ops *o = rt_sched_at(i);
    CHECK(o != NULL);
    if (!o) continue;
    CHECK_EQ(o->abi, RT_ABI_VERSION);
    CHECK(o->name && o->summary && o->ready && o->pick && o->runnable);
    CHECK(o->nparams >= 0 && o->nparams <= RT_MAX_PARAMS);
    CHECK(rt_sched_find(o->name) == o);
    for (int k = 0; k < i; k++) CHECK(strcmp(rt_sched_at(k)->name, o->name) != 0);
    /* the defaults resolve, and the module's name alone gives them */
    rt_pval vals[RT_MAX_PARAMS], defs[RT_MAX_PARAMS];
    const rt_sched_ops *r;
    CHECK_EQ(rt_sched_resolve(o->name, &r, vals, err, sizeof err), RT_OK);
    CHECK(r == o);
    rt_params_defaults(o->params, o->nparams, defs);
    for (int k = 0; k < o->nparams; k++) {
      const rt_param *p = &o->params[k];
      CHECK(p->name && p->doc);
      CHECK(memcmp(&vals[k], &defs[k], sizeof defs[k]) == 0);
      if (p->type == RT_PT_INT || p->type == RT_PT_DOUBLE) CHECK(p->min <= p->def && p->def <= p->max);
    }
  }
}

/* What the brief promises about `go`, with messages built from its table
** so a changed range does not break the test, but the shape must hold. */
static void test_resolve_go(void) {
  const rt_sched_ops *go = rt_sched_find("go"), *r;
  if (!go) return;
  rt_pval v[RT_MAX_PARAMS];
  int ge = -1, rn = -1;
  for (int i = 0; i < go->nparams; i++) {
    if (strcmp(go->params[i].name, "global_every") == 0) ge = i;
    if (strcmp(go->params[i].name, "runnext") == 0) rn = i;
  }
  CHECK(ge >= 0 && rn >= 0);
  if (ge < 0 || rn < 0) return;
  CHECK_EQ(rt_sched_resolve("go,global_every=31,runnext=off", &r, v, err, sizeof err), RT_OK);
  CHECK(r == go);
  CHECK_EQ(v[ge].i, 31);
  CHECK_EQ(v[rn].i, 0);
  CHECK_EQ(rt_sched_resolve(NULL, &r, v, err, sizeof err), RT_OK);  /* NULL means go */
  CHECK(r == go);
  CHECK_EQ(v[ge].i, (int64_t)go->params[ge].def);

  char want[1024], allowed[512] = "";
  size_t n = 0;
  for (int i = 0; i < go->nparams; i++)
    n += (size_t)snprintf(allowed + n, sizeof allowed - n, "%s%s", i ? ", " : "",
                          go->params[i].name);
  CHECK_EQ(rt_sched_resolve("go,globl_every=3", &r, v, err, sizeof err), RT_EINVAL);
  CHECK(r == NULL);
  snprintf(want, sizeof want, "sched 'go': unknown parameter 'globl_every' (allowed: %s)", allowed);
  CHECK_STR(err, want);
  CHECK_EQ(rt_sched_resolve("go,global_every=abc", &r, v, err, sizeof err), RT_EINVAL);
  snprintf(want, sizeof want,
           "sched 'go': parameter 'global_every' wants an integer in [%.0f, %.0f], got 'abc'",
           go->params[ge].min, go->params[ge].max);
  CHECK_STR(err, want);
  CHECK_EQ(rt_sched_resolve("go,runnext=maybe", &r, v, err, sizeof err), RT_EINVAL);
  CHECK_STR(err, "sched 'go': parameter 'runnext' wants on|off, got 'maybe'");
  /* go's own check: a ring size that is in range but not a power of two */
  CHECK_EQ(rt_sched_resolve("go,local_size=100", &r, v, err, sizeof err), RT_EINVAL);
  CHECKF(strstr(err, "sched 'go': parameter 'local_size' ") == err && strstr(err, "100"), "%s", err);

  /* unknown names list every built-in */
  n = 0;
  for (int i = 0; i < rt_sched_count(); i++)
    n += (size_t)snprintf(allowed + n, sizeof allowed - n, "%s, ", rt_sched_at(i)->name);
  CHECK_EQ(rt_sched_resolve("foo", &r, v, err, sizeof err), RT_ENOENT);
  snprintf(want, sizeof want, "unknown sched 'foo' (allowed: %sor a path to a .so)", allowed);
  CHECK_STR(err, want);
  CHECK_EQ(rt_sched_resolve("foo,x=1", &r, v, err, sizeof err), RT_ENOENT);
  CHECK_STR(err, want);
  CHECK_EQ(rt_sched_resolve("", &r, v, err, sizeof err), RT_ENOENT);
  CHECK(strstr(err, "unknown sched ''") != NULL);
}

static void test_load(void) {
  const rt_sched_ops *o;
  rt_pval v[RT_MAX_PARAMS];
  char spec[1024], want[1200];

  /* a good module: loaded, parameters parsed like a built-in's */
  snprintf(spec, sizeof spec, "%s/regmod_ok.so,depth=9,order=fifo", REGMOD_DIR);
  CHECK_EQ(rt_sched_resolve(spec, &o, v, err, sizeof err), RT_OK);
  CHECKF(o && strcmp(o->name, "regtest") == 0, "%s", err);
  CHECK_EQ(v[0].i, 9);
  CHECK(v[1].d == 0.25);
  CHECK_EQ(v[3].i, 0);
  snprintf(spec, sizeof spec, "%s/regmod_ok.so,dpeth=9", REGMOD_DIR);
  CHECK_EQ(rt_sched_resolve(spec, &o, v, err, sizeof err), RT_EINVAL);
  CHECK_STR(err, "sched 'regtest': unknown parameter 'dpeth' (allowed: depth, ratio, fast, order)");
  /* the module's check runs after parsing; its message is passed on, or
  ** one is made up when it gave none */
  snprintf(spec, sizeof spec, "%s/regmod_ok.so,depth=13", REGMOD_DIR);
  CHECK_EQ(rt_sched_resolve(spec, &o, v, err, sizeof err), RT_EINVAL);
  CHECK(o == NULL);
  CHECK_STR(err, "sched 'regtest': parameter 'depth' must not be 13");
  snprintf(spec, sizeof spec, "%s/regmod_ok.so,depth=14", REGMOD_DIR);
  CHECK_EQ(rt_sched_resolve(spec, &o, v, err, sizeof err), RT_EINVAL);
  CHECK_STR(err, "sched 'regtest': parameters rejected by the module's check (-22)");
  snprintf(spec, sizeof spec, "%s/regmod_ok.so", REGMOD_DIR);
  CHECK_EQ(rt_sched_load(spec, &o, err, sizeof err), RT_OK);
  CHECK(o && o->nparams == 4);

  /* wrong ABI */
  snprintf(spec, sizeof spec, "%s/regmod_abi.so", REGMOD_DIR);
  CHECK_EQ(rt_sched_load(spec, &o, err, sizeof err), RT_EABI);
  CHECK(o == NULL);
  snprintf(want, sizeof want, "sched module '%s': built for ABI 7, this rtlab has ABI %d", spec,
           RT_ABI_VERSION);
  CHECK_STR(err, want);
  CHECK_EQ(rt_sched_resolve(spec, &o, v, err, sizeof err), RT_EABI);

  /* no getter */
  snprintf(spec, sizeof spec, "%s/regmod_nosym.so", REGMOD_DIR);
  CHECK_EQ(rt_sched_load(spec, &o, err, sizeof err), RT_EINVAL);
  snprintf(want, sizeof want, "sched module '%s': no symbol rt_module_sched", spec);
  CHECKF(strncmp(err, want, strlen(want)) == 0, "%s", err);

  /* a table without pick */
  snprintf(spec, sizeof spec, "%s/regmod_nopick.so", REGMOD_DIR);
  CHECK_EQ(rt_sched_load(spec, &o, err, sizeof err), RT_EINVAL);
  snprintf(want, sizeof want, "sched module '%s': ops ready, pick and runnable are required", spec);
  CHECK_STR(err, want);

  /* no such file: a bare name ending in .so is a file in the working dir */
  CHECK_EQ(rt_sched_resolve("nope.so", &o, v, err, sizeof err), RT_ENOENT);
  CHECKF(strstr(err, "sched module 'nope.so': cannot load: ") == err, "%s", err);
  CHECK_EQ(rt_sched_resolve("/nonexistent/dir/x,k=1", &o, v, err, sizeof err), RT_ENOENT);
  CHECKF(strstr(err, "sched module '/nonexistent/dir/x': cannot load") != NULL, "%s", err);
}

int main(void) {
  test_counters();
  test_defaults();
  test_parse_ok();
  test_parse_errors();
  test_format();
  test_builtins();
  test_resolve_go();
  test_load();
  return check_done("test_registry");
}
