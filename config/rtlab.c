/*
** rtlab.c: the `rtlab` command.
**
**   rtlab list [--json]            modules of every kind, workloads, parameters
**   rtlab trial --workload W ...   one trial in this process, one result line
**   rtlab run FILE.lua ...         an experiment: a trial per child process (run.c)
**   rtlab help [VERB]              usage
**
** Three tables keep it open to growth: the verbs (a new verb is a
** function and a row), the module kinds (a new kind such as --alloc or
** --gc is a row saying how to list, resolve and configure it) and each
** verb's options (a row per option).  `trial` is what `rtlab run` will
** start in a child process per trial, so its --json output is one line
** holding everything a report needs: resolved parameters, times, rusage,
** counters, the revision and the host.
*/
#define _GNU_SOURCE
#include "cli.h"
#include "json.h"
#include "lconf.h"
#include "report.h"
#include "run.h"
#include "topo_cmd.h"
#include "settings.h"
#include "rt_module.h"
#include "workloads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef RT_GIT_REV
#define RT_GIT_REV "unknown"
#endif


/* ==== list ========================================================== */

static const char *const type_names[] = {"int", "double", "bool", "enum"};

static void list_params_text(const rt_param *ps, int n) {
  for (int i = 0; i < n; i++) {
    const rt_param *p = &ps[i];
    char def[64], range[96] = "";
    rt_pval dv;
    rt_params_defaults(p, 1, &dv);
    rt_param_format(p, dv, def, sizeof def);
    if (p->type == RT_PT_INT) snprintf(range, sizeof range, "[%.0f, %.0f]", p->min, p->max);
    else if (p->type == RT_PT_DOUBLE) snprintf(range, sizeof range, "[%g, %g]", p->min, p->max);
    else if (p->type == RT_PT_BOOL) snprintf(range, sizeof range, "on|off");
    else snprintf(range, sizeof range, "%s", p->choices);
    printf("      %-16s %-6s %-8s %-22s %s\n", p->name, type_names[p->type], def, range,
           p->doc ? p->doc : "");
  }
}

static void list_params_json(json_w *j, const rt_param *ps, int n) {
  json_key(j, "params");
  json_arr(j);
  for (int i = 0; i < n; i++) {
    const rt_param *p = &ps[i];
    json_obj(j);
    json_key(j, "name"); json_str(j, p->name);
    json_key(j, "type"); json_str(j, type_names[p->type]);
    json_key(j, "default");
    if (p->type == RT_PT_INT) json_int(j, (int64_t)p->def);
    else if (p->type == RT_PT_DOUBLE) json_num(j, p->def);
    else if (p->type == RT_PT_BOOL) json_bool(j, p->def != 0);
    else {
      char def[64];
      rt_param_format(p, (rt_pval){.i = (int64_t)p->def}, def, sizeof def);
      json_str(j, def);
    }
    if (p->type == RT_PT_INT) {
      json_key(j, "min"); json_int(j, (int64_t)p->min);
      json_key(j, "max"); json_int(j, (int64_t)p->max);
    } else if (p->type == RT_PT_DOUBLE) {
      json_key(j, "min"); json_num(j, p->min);
      json_key(j, "max"); json_num(j, p->max);
    }
    if (p->type == RT_PT_ENUM) {
      json_key(j, "choices");
      json_arr(j);
      for (const char *c = p->choices; c;) {
        const char *bar = strchr(c, '|');
        char one[64];
        snprintf(one, sizeof one, "%.*s", bar ? (int)(bar - c) : (int)strlen(c), c);
        json_str(j, one);
        c = bar ? bar + 1 : NULL;
      }
      json_arr_end(j);
    }
    json_key(j, "doc"); json_str(j, p->doc ? p->doc : "");
    json_obj_end(j);
  }
  json_arr_end(j);
}

static int verb_list(const cli_verb *v, int argc, char **argv) {
  bool as_json = false;
  const cli_opt opts[] = {
    {"--json", NULL, NULL, &as_json, "one JSON object instead of text"},
    {0},
  };
  int rc = cli_parse(v, opts, argc, argv, NULL, 0, NULL);
  if (rc) return rc == 1 ? 0 : rc;

  if (as_json) {
    json_w j;
    json_init(&j, stdout);
    json_obj(&j);
    for (int k = 0; k < set_nkinds(); k++) {
      json_key(&j, set_kind_at(k)->name);
      json_arr(&j);
      mod_info m;
      for (int i = 0; set_kind_at(k)->at(i, &m); i++) {
        json_obj(&j);
        json_key(&j, "name"); json_str(&j, m.name);
        json_key(&j, "summary"); json_str(&j, m.summary ? m.summary : "");
        list_params_json(&j, m.params, m.nparams);
        json_obj_end(&j);
      }
      json_arr_end(&j);
    }
    json_key(&j, "workloads");
    json_arr(&j);
    for (int i = 0; i < wl_count(); i++) {
      const wl_desc *w = wl_at(i);
      json_obj(&j);
      json_key(&j, "name"); json_str(&j, w->name);
      json_key(&j, "summary"); json_str(&j, w->summary);
      list_params_json(&j, w->params, w->nparams);
      json_obj_end(&j);
    }
    json_arr_end(&j);
    for (int i = 0; i < set_count(); i++) {  /* option lists: "runtime":{"params":[...]} */
      const setting *st = set_at(i);
      if (st->type != SET_OPTIONS) continue;
      int n;
      const rt_param *ps = st->options->params(&n);
      json_key(&j, st->key);
      json_obj(&j);
      json_key(&j, "summary"); json_str(&j, st->doc);
      list_params_json(&j, ps, n);
      json_obj_end(&j);
    }
    json_key(&j, "settings");
    json_arr(&j);
    for (int i = 0; i < set_count(); i++) {
      const setting *st = set_at(i);
      char allowed[512];
      set_allowed(st, allowed, sizeof allowed);
      json_obj(&j);
      json_key(&j, "name"); json_str(&j, st->key);
      json_key(&j, "default"); json_str(&j, st->def);
      json_key(&j, "allowed"); json_str(&j, allowed);
      json_key(&j, "doc"); json_str(&j, st->doc);
      json_obj_end(&j);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    putchar('\n');
    return 0;
  }

  printf("(parameter rows: name, type, default, range or choices, meaning;\n"
         " set them as NAME,k=v,k=v)\n");
  for (int k = 0; k < set_nkinds(); k++) {
    const setting *st = set_find(set_kind_at(k)->name);
    printf("\n%s (--%s NAME[,k=v...]; default %s):\n", set_kind_at(k)->title, st->key,
           st->def ? st->def : "none");
    mod_info m;
    for (int i = 0; set_kind_at(k)->at(i, &m); i++) {
      printf("  %-12s %s\n", m.name, m.summary ? m.summary : "");
      list_params_text(m.params, m.nparams);
    }
    printf("  (or a path to a .so exporting rt_module_%s)\n", set_kind_at(k)->name);
  }
  printf("\nworkloads (--workload NAME[,k=v...]):\n");
  for (int i = 0; i < wl_count(); i++) {
    const wl_desc *w = wl_at(i);
    printf("  %-12s %s\n", w->name, w->summary);
    list_params_text(w->params, w->nparams);
  }
  for (int i = 0; i < set_count(); i++) {
    const setting *st = set_at(i);
    if (st->type != SET_OPTIONS) continue;
    int n;
    const rt_param *ps = st->options->params(&n);
    printf("\n%s options (--%s k=v[,k=v...]; %s = { k = v, ... } in Lua):\n", st->key, st->key,
           st->key);
    list_params_text(ps, n);
  }
  printf("\nsettings (rtlab trial --KEY V, RTLAB_KEY=V, or KEY = V in Lua):\n");
  for (int i = 0; i < set_count(); i++) {
    const setting *st = set_at(i);
    char allowed[512];
    set_allowed(st, allowed, sizeof allowed);
    printf("  %-12s %s\n  %-12s default %s; allowed: %s\n", st->key, st->doc, "",
           st->def                     ? st->def
           : st->type == SET_OPTIONS ? "every option at its own default"
                                     : "none",
           allowed);
  }
  return 0;
}

/* ==== trial ========================================================= */

/* Writes "name(k=v,...)" for the readable line. */
static void text_spec(const char *name, const rt_param *ps, int n, const rt_pval *vals) {
  printf("%s(", name);
  for (int i = 0; i < n; i++) {
    char buf[64];
    rt_param_format(&ps[i], vals[i], buf, sizeof buf);
    printf("%s%s=%s", i ? "," : "", ps[i].name, buf);
  }
  printf(")");
}

/* An option list's value with every option resolved: a JSON member
** ("runtime":{"preempt":"coop",...}) into j, or " runtime(preempt=coop,...)"
** on stdout when j is NULL.  val was checked already (NULL: defaults). */
static void options_out(json_w *j, const setting *s, const char *val) {
  int n;
  const rt_param *ps = s->options->params(&n);
  rt_pval vals[RT_MAX_PARAMS];
  char err[512];
  if (s->options->resolve(val, vals, err, sizeof err) != RT_OK) rt_params_defaults(ps, n, vals);
  if (j) {
    json_key(j, s->key);
    set_json_params(j, ps, n, vals);
  } else {
    putchar(' ');
    text_spec(s->key, ps, n, vals);
  }
}

static int64_t tv_ns(struct timeval tv) {
  return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int verb_trial(const cli_verb *v, int argc, char **argv) {
  /* Every setting is an option.  A value comes from the command line,
  ** else from --config FILE.lua, else from RTLAB_KEY, else the default. */
  enum { MAXSET = EXPT_MAXSET };
  const char *val[MAXSET] = {0}, *conf[MAXSET] = {0}, *config = NULL;
  char err[4096];
  bool as_json = false;
  cli_opt opts[MAXSET + 3];
  char names[MAXSET][40];
  int no = 0, nset = set_count();
  for (int i = 0; i < nset && i < MAXSET; i++) {
    const setting *s = set_at(i);
    snprintf(names[i], sizeof names[i], "--%s", s->key);
    opts[no++] = (cli_opt){names[i], s->arg, &val[i], NULL, s->doc};
  }
  opts[no++] = (cli_opt){"--config", "FILE.lua", &config, NULL,
                         "settings from a script returning rtlab.runtime{...}"};
  opts[no++] = (cli_opt){"--json", NULL, NULL, &as_json, "one JSON line instead of text"};
  opts[no] = (cli_opt){0};
  int rc = cli_parse(v, opts, argc, argv, NULL, 0, NULL);
  if (rc) return rc == 1 ? 0 : rc;
  lconf *lc = NULL;
  if (config) {
    if (!(lc = lconf_open()) || lconf_runtime(lc, config, conf, err, sizeof err) != RT_OK) {
      fprintf(stderr, "%s\n", lc ? err : "rtlab trial: out of memory");
      lconf_close(lc);
      return EXIT_USAGE;
    }
  }
  for (int i = 0; i < nset && i < MAXSET; i++) {
    if (val[i]) continue;
    if (conf[i]) {
      val[i] = conf[i];
    } else if (set_env_default(set_at(i), &val[i], err, sizeof err) != RT_OK) {
      fprintf(stderr, "rtlab trial: %s\n", err);
      lconf_close(lc);
      return EXIT_USAGE;
    }
  }

  /* Check everything before starting, so bad input is exit 2. */
  rt_config cfg = {0};
  const char *wspec = NULL, *specs[8] = {0}, *placement = "none", *topology = NULL;
  long procs = 1, stack_kb = 64;
  for (int i = 0; i < nset; i++) {
    const setting *s = set_at(i);
    if (!val[i]) {
      if (s->type != SET_WORKLOAD) continue;
      fprintf(stderr, "rtlab trial: --workload is required\n");
      cli_usage(stderr, v, opts);
      return EXIT_USAGE;
    }
    if (set_check(s, val[i], err, sizeof err) != RT_OK) {
      fprintf(stderr, "rtlab trial: %s\n", err);
      return EXIT_USAGE;
    }
    if (s->apply) s->apply(&cfg, val[i]);
    if (s->type == SET_WORKLOAD) wspec = val[i];
    for (int k = 0; k < set_nkinds() && k < 8; k++)
      if (s->kind == set_kind_at(k)) specs[k] = val[i];
  }
  if (rt_gc_check_alloc(cfg.gc, cfg.alloc, err, sizeof err) != RT_OK) {
    fprintf(stderr, "rtlab trial: %s\n", err);
    return EXIT_USAGE;
  }
  procs = cfg.procs;
  stack_kb = (long)(cfg.stack_size / 1024);
  if (cfg.placement) placement = cfg.placement;
  topology = cfg.topology;
  const wl_desc *w;
  rt_pval wvals[RT_MAX_PARAMS];
  wl_resolve(wspec, &w, wvals, err, sizeof err);
  mod_info mods[8];
  rt_pval mvals[8][RT_MAX_PARAMS];
  for (int k = 0; k < set_nkinds(); k++) set_kind_at(k)->resolve(specs[k], &mods[k], mvals[k], err, sizeof err);

  char when[32], host[256] = "unknown";
  time_t now = time(NULL);
  struct tm tm;
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
  if (gethostname(host, sizeof host) != 0) strcpy(host, "unknown");
  host[sizeof host - 1] = 0;

  /* The trial. */
  wl_result res;
  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  int64_t t0 = mono_ns();
  wl_run(&cfg, w, wvals, &res);
  int64_t total = mono_ns() - t0;  /* runtime start-up and shutdown included */
  int64_t wall = res.run_ns;       /* the workload alone, as the peers measure */
  getrusage(RUSAGE_SELF, &ru1);
  bool ok = res.rc == RT_OK && res.status == 0;
  int64_t user = tv_ns(ru1.ru_utime) - tv_ns(ru0.ru_utime);
  int64_t sys = tv_ns(ru1.ru_stime) - tv_ns(ru0.ru_stime);

  int np = res.rc == RT_OK ? rt_counters(NULL, 0) : 0;
  uint64_t *cnt = calloc((size_t)(np ? np : 1) * RT_CNT__N, sizeof *cnt);
  if (!cnt) np = 0;
  if (np) rt_counters(cnt, np);
  uint64_t tot[RT_CNT__N] = {0};
  for (int p = 0; p < np; p++)
    for (int c = 0; c < RT_CNT__N; c++) tot[c] += cnt[(size_t)p * RT_CNT__N + c];

  if (as_json) {
    json_w j;
    json_init(&j, stdout);
    json_obj(&j);
    json_key(&j, "workload"); json_str(&j, w->name);
    json_key(&j, "params"); set_json_params(&j, w->params, w->nparams, wvals);
    for (int k = 0; k < set_nkinds(); k++) {
      json_key(&j, set_kind_at(k)->name);
      json_obj(&j);
      json_key(&j, "name"); json_str(&j, mods[k].name);
      json_key(&j, "params"); set_json_params(&j, mods[k].params, mods[k].nparams, mvals[k]);
      json_key(&j, "spec"); json_str(&j, specs[k]);  /* as given: a .so's path is here */
      json_obj_end(&j);
    }
    json_key(&j, "procs"); json_int(&j, procs);
    json_key(&j, "stack_kb"); json_int(&j, stack_kb);
    json_key(&j, "placement"); json_str(&j, placement);
    json_key(&j, "topology"); json_str(&j, topology ? topology : "machine");
    for (int i = 0; i < nset; i++)  /* option lists, every option resolved */
      if (set_at(i)->type == SET_OPTIONS) options_out(&j, set_at(i), val[i]);
    json_key(&j, "bound"); json_bool(&j, res.rc == RT_OK && rt_topo_bound());
    json_key(&j, "status"); json_str(&j, ok ? "ok" : "error");
    if (!ok) { json_key(&j, "error"); json_str(&j, res.err); }
    json_key(&j, "wall_ns"); json_int(&j, wall);
    json_key(&j, "total_ns"); json_int(&j, total);
    json_key(&j, "user_ns"); json_int(&j, user);
    json_key(&j, "sys_ns"); json_int(&j, sys);
    json_key(&j, "ops"); json_uint(&j, res.ops);
    json_key(&j, "ns_per_op");
    if (res.ops) json_num(&j, (double)wall / (double)res.ops);
    else json_null(&j);
    json_key(&j, "maxrss_kb"); json_int(&j, ru1.ru_maxrss);
    if (res.has_latency) {  /* workloads that time events (timers) */
      json_key(&j, "latency");
      json_obj(&j);
      json_key(&j, "p50_ns"); json_int(&j, res.lat_p50_ns);
      json_key(&j, "p99_ns"); json_int(&j, res.lat_p99_ns);
      json_key(&j, "max_ns"); json_int(&j, res.lat_max_ns);
      json_obj_end(&j);
    }
    rt_astats hs;
    rt_heap_stats(&hs);
    json_key(&j, "heap");
    json_obj(&j);
    json_key(&j, "peak_live"); json_int(&j, hs.peak_live);
    json_key(&j, "peak_sys"); json_int(&j, hs.peak_sys);
    json_key(&j, "released"); json_int(&j, hs.released_bytes);
    json_key(&j, "live_end"); json_int(&j, hs.live_bytes);
    json_key(&j, "allocs"); json_uint(&j, hs.allocs);
    json_key(&j, "frees"); json_uint(&j, hs.frees);
    json_key(&j, "failed"); json_uint(&j, hs.failed);
    json_key(&j, "frag");  /* peak_sys / peak_live: null when the allocator cannot tell */
    if (hs.peak_sys > 0 && hs.peak_live > 0) json_num(&j, (double)hs.peak_sys / (double)hs.peak_live);
    else json_null(&j);
    static rt_aclass cls[RT_ACLASS_MAX];
    int ncls = rt_heap_classes(cls, RT_ACLASS_MAX);
    if (ncls > 0) {  /* allocators with size classes: the classes used */
      json_key(&j, "classes");
      json_arr(&j);
      for (int k = 0; k < ncls; k++) {
        if (!cls[k].allocs) continue;
        json_obj(&j);
        json_key(&j, "size"); json_uint(&j, cls[k].size);
        if (cls[k].tiny) { json_key(&j, "tiny"); json_bool(&j, true); }
        json_key(&j, "allocs"); json_uint(&j, cls[k].allocs);
        json_key(&j, "frees"); json_uint(&j, cls[k].frees);
        json_key(&j, "spans"); json_int(&j, cls[k].spans);
        json_obj_end(&j);
      }
      json_arr_end(&j);
    }
    json_obj_end(&j);
    rt_gcstats gs;
    rt_gc_stats(&gs);
    json_key(&j, "gcstats");
    json_obj(&j);
    json_key(&j, "cycles"); json_uint(&j, gs.cycles);
    json_key(&j, "pause_total_ns"); json_int(&j, gs.pause_total_ns);
    json_key(&j, "pause_p50_ns"); json_int(&j, gs.pause_p50_ns);
    json_key(&j, "pause_p99_ns"); json_int(&j, gs.pause_p99_ns);
    json_key(&j, "pause_max_ns"); json_int(&j, gs.pause_max_ns);
    json_key(&j, "ttsp_max_ns"); json_int(&j, gs.ttsp_max_ns);
    json_key(&j, "mmu_1ms"); json_num(&j, gs.mmu_1ms);
    json_key(&j, "mmu_10ms"); json_num(&j, gs.mmu_10ms);
    json_key(&j, "mmu_100ms"); json_num(&j, gs.mmu_100ms);
    json_key(&j, "mark_ns"); json_int(&j, gs.mark_ns);
    json_key(&j, "sweep_ns"); json_int(&j, gs.sweep_ns);
    json_obj_end(&j);
    json_key(&j, "counters");
    json_obj(&j);
    for (int c = 0; c < RT_CNT__N; c++) {
      json_key(&j, rt_counter_name(c));
      json_uint(&j, tot[c]);
    }
    json_key(&j, "per_p");
    json_arr(&j);
    for (int p = 0; p < np; p++) {
      json_arr(&j);
      for (int c = 0; c < RT_CNT__N; c++) json_uint(&j, cnt[(size_t)p * RT_CNT__N + c]);
      json_arr_end(&j);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    json_key(&j, "rev"); json_str(&j, RT_GIT_REV);
    json_key(&j, "host"); json_str(&j, host);
    json_key(&j, "time"); json_str(&j, when);
    json_obj_end(&j);
    putchar('\n');
  } else {
    text_spec(w->name, w->params, w->nparams, wvals);
    for (int k = 0; k < set_nkinds(); k++) {
      printf(" %s=", set_kind_at(k)->name);
      text_spec(mods[k].name, mods[k].params, mods[k].nparams, mvals[k]);
    }
    printf(" procs=%ld", procs);
    for (int i = 0; i < nset; i++)  /* option lists, when given */
      if (set_at(i)->type == SET_OPTIONS && val[i]) options_out(NULL, set_at(i), val[i]);
    printf(": %s", ok ? "ok" : "ERROR");
    printf(", %.3f ms, %llu ops, %.1f ns/op, user %.3f ms, sys %.3f ms, maxrss %ld KiB",
           wall / 1e6, (unsigned long long)res.ops, res.ops ? (double)wall / res.ops : 0.0,
           user / 1e6, sys / 1e6, ru1.ru_maxrss);
    if (res.has_latency)
      printf(", latency p50 %.1f us, p99 %.1f us, max %.1f us", res.lat_p50_ns / 1e3,
             res.lat_p99_ns / 1e3, res.lat_max_ns / 1e3);
    for (int c = 0; c < RT_CNT__N; c++)
      printf("%s %s %llu", c ? "," : ";", rt_counter_name(c), (unsigned long long)tot[c]);
    printf("\n");
  }
  fflush(stdout);
  if (!ok) fprintf(stderr, "rtlab trial: %s\n", res.err);
  free(cnt);
  lconf_close(lc);
  return ok ? 0 : 1;
}

/* ==== help and dispatch ============================================= */

static int verb_help(const cli_verb *v, int argc, char **argv);

static const cli_verb verbs[] = {
  {"list", "[--json]", "list modules of every kind and the workloads, with parameters",
   verb_list},
  {"trial", "--workload NAME[,k=v...] [--sched S] [--alloc A] [--procs N] [--stack KiB] "
   "[--placement P] [--topology T] [--runtime k=v[,k=v...]] [--config FILE.lua] [--json]",
   "run one trial in this process and print one result line", verb_trial},
  {"run", "FILE.lua [--out DIR] [--resume] [--reps N] [--dry-run] [--shard I/N] [--emit-slurm]",
   "run an experiment: every trial in a fresh process, results appended as they end", cmd_run},
  {"report", "DIR [--metric PATH]",
   "print the table of a run (median, min, max, ratio per cell); write results.csv, "
   "summary.json, plots", cmd_report},
  {"merge", "DIR... [--out DIR]",
   "join the result sets of shards of one experiment, then report on them", cmd_merge},
  {"topo", "[--topology S] [--procs N] [--placement P] [--json]",
   "show the topology (this machine's or a synthetic one) and where the Ps would run", cmd_topo},
  {"help", "[VERB]", "show this help, or a verb's options", verb_help},
};
#define NVERBS ((int)(sizeof verbs / sizeof verbs[0]))

static void usage(FILE *f) {
  fprintf(f, "usage: rtlab VERB [options]\n\nverbs:\n");
  for (int i = 0; i < NVERBS; i++)
    fprintf(f, "  %-6s %s\n         %s\n", verbs[i].name, verbs[i].synopsis, verbs[i].summary);
  fprintf(f, "\n'rtlab VERB --help' lists a verb's options.\n");
}

static const cli_verb *verb_find(const char *name) {
  for (int i = 0; i < NVERBS; i++)
    if (strcmp(verbs[i].name, name) == 0) return &verbs[i];
  return NULL;
}

static void unknown_verb(const char *name) {
  fprintf(stderr, "rtlab: unknown verb '%s' (allowed:", name);
  for (int i = 0; i < NVERBS; i++) fprintf(stderr, "%s %s", i ? "," : "", verbs[i].name);
  fprintf(stderr, ")\n");
}

static int verb_help(const cli_verb *v, int argc, char **argv) {
  if (argc < 2) {
    usage(stdout);
    return 0;
  }
  const cli_verb *x = verb_find(argv[1]);
  if (!x) {
    unknown_verb(argv[1]);
    return EXIT_USAGE;
  }
  if (x == v) {
    usage(stdout);
    return 0;
  }
  char *args[] = {argv[1], "--help", NULL};
  return x->fn(x, 2, args);
}

/* jemalloc's library uses initial-exec TLS, so dlopen fails once glibc's
** spare static TLS is used up, which it is by the time rtlab runs.  glibc
** keeps more spare when told so before the process starts: if the
** environment does not say so, run rtlab again with it (once; children
** inherit it).  Costs one exec at start-up, outside any measurement. */
static void ensure_static_tls(char **argv) {
  const char *t = getenv("GLIBC_TUNABLES");
  if ((t && strstr(t, "optional_static_tls")) || getenv("RTLAB_NO_REEXEC")) return;
  char tun[1024];
  snprintf(tun, sizeof tun, "%s%sglibc.rtld.optional_static_tls=65536", t ? t : "",
           t && *t ? ":" : "");
  if (setenv("GLIBC_TUNABLES", tun, 1) == 0) execv("/proc/self/exe", argv);
  /* exec failed: go on; only jemalloc will be unavailable */
}

int main(int argc, char **argv) {
  ensure_static_tls(argv);
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return 0;
  }
  const cli_verb *v = verb_find(argv[1]);
  if (!v) {
    unknown_verb(argv[1]);
    usage(stderr);
    return EXIT_USAGE;
  }
  return v->fn(v, argc - 1, argv + 1);
}
