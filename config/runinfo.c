/*
** runinfo.c: experiment.json and the slurm scripts (see runinfo.h).
*/
#define _GNU_SOURCE
#include "runinfo.h"

#include "json.h"
#include "peers.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef RT_GIT_REV
#define RT_GIT_REV "unknown"
#endif

void runinfo_utc(char *buf, size_t len) {
  time_t now = time(NULL);
  struct tm tm;
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
}

/* ==== experiment.json ================================================ */

static void cpu_model(char *buf, size_t len) {
  snprintf(buf, len, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (colon && strncmp(line, "model name", 10) == 0) {
      colon += 1 + (colon[1] == ' ');
      colon[strcspn(colon, "\n")] = 0;
      snprintf(buf, len, "%s", colon);
      break;
    }
  }
  if (f) fclose(f);
}

/* One module value with its resolved parameters, for the header. */
static void header_module(json_w *j, const setting *s, const char *spec) {
  mod_info m;
  rt_pval vals[RT_MAX_PARAMS];
  char err[256];
  if (!spec || strncmp(spec, "peer:", 5) == 0 || strcmp(spec, "-") == 0 ||
      s->kind->resolve(spec, &m, vals, err, sizeof err) != RT_OK)
    return;
  json_obj(j);
  json_key(j, "kind"); json_str(j, s->key);
  json_key(j, "name"); json_str(j, m.name);
  json_key(j, "spec"); json_str(j, spec);
  json_key(j, "params"); set_json_params(j, m.params, m.nparams, vals);
  json_obj_end(j);
}

/* One value of an option list with every option resolved, for the header:
** {"spec":"preempt=signal","options":{"preempt":"signal",...}}; a NULL
** or "" spec is every option's default. */
static void header_options(json_w *j, const setting *s, const char *spec) {
  int n;
  const rt_param *ps = s->options->params(&n);
  rt_pval vals[RT_MAX_PARAMS];
  char err[256];
  if (s->options->resolve(spec, vals, err, sizeof err) != RT_OK) return;
  json_obj(j);
  json_key(j, "spec"); json_str(j, spec ? spec : "");
  json_key(j, "options"); set_json_params(j, ps, n, vals);
  json_obj_end(j);
}

int runinfo_experiment(const char *dir, const expt *e, const expt_plan *pl, int argc,
                           char **argv, const char *self) {
  char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
  snprintf(path, sizeof path, "%s/experiment.json", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  json_w j;
  json_init(&j, f);
  json_obj(&j);
  json_key(&j, "name"); json_str(&j, e->name);
  char abs[PATH_MAX];
  json_key(&j, "file"); json_str(&j, realpath(e->file, abs) ? abs : e->file);
  json_key(&j, "axes");
  json_arr(&j);
  json_str(&j, "workload");
  for (int a = 0; a < e->naxes; a++) json_str(&j, e->axes[a].set->key);
  json_arr_end(&j);
  json_key(&j, "values");  /* each axis's values in the order given: row order */
  json_obj(&j);
  json_key(&j, "workload");
  json_arr(&j);
  for (int w = 0; w < e->nwork; w++) json_str(&j, e->work[w]);
  json_arr_end(&j);
  for (int a = 0; a < e->naxes; a++) {
    json_key(&j, e->axes[a].set->key);
    json_arr(&j);
    for (int k = 0; k < e->axes[a].n; k++) json_str(&j, e->axes[a].vals[k]);
    json_arr_end(&j);
  }
  json_obj_end(&j);
  json_key(&j, "fixed");
  json_obj(&j);
  for (int i = 0; i < set_count(); i++) {
    bool axis = false;
    for (int a = 0; a < e->naxes; a++) axis |= e->axes[a].set == set_at(i);
    if (!axis && e->fixed[i]) {
      json_key(&j, set_at(i)->key);
      json_str(&j, e->fixed[i]);
    }
  }
  json_obj_end(&j);
  json_key(&j, "metric"); json_str(&j, e->metric);
  json_key(&j, "lower_is_better"); json_bool(&j, e->lower_is_better);
  json_key(&j, "baseline");
  json_obj(&j);
  for (int b = 0; b < e->nbase; b++) {
    json_key(&j, e->base_key[b]);
    json_str(&j, e->base_val[b]);
  }
  json_obj_end(&j);
  json_key(&j, "reps"); json_int(&j, e->reps);
  json_key(&j, "warmup"); json_int(&j, e->warmup);
  json_key(&j, "timeout"); json_num(&j, e->timeout);
  json_key(&j, "sweep");
  if (e->sweep_axis) {
    json_obj(&j);
    json_key(&j, "axis"); json_str(&j, e->sweep_axis);
    json_key(&j, "param"); json_str(&j, e->sweep_param);
    json_obj_end(&j);
  } else {
    json_null(&j);
  }
  json_key(&j, "trials"); json_int(&j, (int64_t)pl->ncells * e->reps);
  json_key(&j, "cells"); json_int(&j, pl->ncells);

  char when[32], host[256] = "unknown", cpu[256], cmd[4096] = "rtlab", topo[256];
  runinfo_utc(when, sizeof when);
  gethostname(host, sizeof host - 1);
  cpu_model(cpu, sizeof cpu);
  size_t n = strlen(cmd);
  for (int i = 0; i < argc && n < sizeof cmd; i++)
    n += (size_t)snprintf(cmd + n, sizeof cmd - n, " %s", argv[i]);
  const char *tsi = e->fixed[set_key_index("topology")];
  if (rt_topo_summary(tsi, topo, sizeof topo) != RT_OK) snprintf(topo, sizeof topo, "unknown");
  json_key(&j, "header");
  json_obj(&j);
  json_key(&j, "date"); json_str(&j, when);
  json_key(&j, "rev"); json_str(&j, RT_GIT_REV);
  json_key(&j, "host"); json_str(&j, host);
  json_key(&j, "cpu"); json_str(&j, cpu);
  json_key(&j, "cores"); json_int(&j, sysconf(_SC_NPROCESSORS_ONLN));
  json_key(&j, "topology"); json_str(&j, topo);
  json_key(&j, "command"); json_str(&j, cmd);
  json_key(&j, "rtlab"); json_str(&j, self);
  json_key(&j, "peers");
  json_arr(&j);
  for (int i = 0; i < run_npeers; i++) {
    json_obj(&j);
    json_key(&j, "name"); json_str(&j, run_peers[i].name);
    json_key(&j, "path"); json_str(&j, run_peers[i].path);
    json_obj_end(&j);
  }
  json_arr_end(&j);
  json_key(&j, "modules");
  json_arr(&j);
  for (int i = 0; i < set_count(); i++) {
    const setting *s = set_at(i);
    if (s->type != SET_MODULE) continue;
    const expt_axis *ax = NULL;
    for (int a = 0; a < e->naxes; a++)
      if (e->axes[a].set == s) ax = &e->axes[a];
    if (ax)
      for (int k = 0; k < ax->n; k++) header_module(&j, s, ax->vals[k]);
    else
      header_module(&j, s, e->fixed[i]);
  }
  json_arr_end(&j);
  for (int i = 0; i < set_count(); i++) {  /* option lists: "runtime":[{spec, options}] */
    const setting *s = set_at(i);
    if (s->type != SET_OPTIONS) continue;
    const expt_axis *ax = NULL;
    for (int a = 0; a < e->naxes; a++)
      if (e->axes[a].set == s) ax = &e->axes[a];
    json_key(&j, s->key);
    json_arr(&j);
    if (ax)
      for (int k = 0; k < ax->n; k++) header_options(&j, s, ax->vals[k]);
    else
      header_options(&j, s, e->fixed[i]);
    json_arr_end(&j);
  }
  json_obj_end(&j);
  json_obj_end(&j);
  fputc('\n', f);
  if (fclose(f) != 0) return -1;
  return rename(tmp, path);
}

/* ==== slurm ========================================================== */

/* Writes DIR/slurm/{array,merge}.sbatch and submit.sh: a job array of
** `shards` tasks, each `rtlab run --shard I/N --resume` into its own
** directory, then one job that merges them into DIR. */
int runinfo_slurm(const char *dir, const expt *e, const expt_plan *pl, const char *self,
                      int shards) {
  char sdir[PATH_MAX + 8], path[PATH_MAX + 32], absdir[PATH_MAX], absfile[PATH_MAX];
  if (!realpath(dir, absdir) || !realpath(e->file, absfile)) return -1;
  snprintf(sdir, sizeof sdir, "%s/slurm", absdir);
  mkdir(sdir, 0777);
  int maxprocs = 1;
  const char *pv = e->fixed[set_key_index("procs")];
  if (pv) maxprocs = atoi(pv);
  for (int c = 0; c < pl->ncells; c++) {
    const char *p = pl->cells[c].vals[set_key_index("procs")];
    if (p && atoi(p) > maxprocs) maxprocs = atoi(p);
  }
  double hours = (double)pl->ntrials / shards * e->timeout / 3600.0 + 0.25;
  snprintf(path, sizeof path, "%s/array.sbatch", sdir);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fprintf(f,
          "#!/bin/sh\n"
          "# Generated by rtlab run --emit-slurm: one task per shard of '%s'.\n"
          "#SBATCH --job-name=rtlab-%s\n"
          "#SBATCH --array=1-%d\n"
          "#SBATCH --nodes=1\n"
          "#SBATCH --ntasks=1\n"
          "#SBATCH --cpus-per-task=%d\n"
          "#SBATCH --exclusive\n"
          "#SBATCH --time=%d:%02d:00\n"
          "#SBATCH --output=%s/shard-%%a.log\n"
          "set -e\n"
          "exec '%s' run '%s' --out '%s/shard-'\"$SLURM_ARRAY_TASK_ID\" \\\n"
          "  --shard \"$SLURM_ARRAY_TASK_ID\"/%d --resume --no-report\n",
          e->name, e->name, shards, maxprocs, (int)hours, (int)((hours - (int)hours) * 60),
          sdir, self, absfile, sdir, shards);
  fclose(f);
  snprintf(path, sizeof path, "%s/merge.sbatch", sdir);
  if (!(f = fopen(path, "w"))) return -1;
  fprintf(f,
          "#!/bin/sh\n"
          "# Generated by rtlab run --emit-slurm: merges the shards of '%s' into %s.\n"
          "#SBATCH --job-name=rtlab-%s-merge\n"
          "#SBATCH --ntasks=1\n"
          "#SBATCH --output=%s/merge.log\n"
          "exec '%s' merge '%s'/shard-* --out '%s'\n",
          e->name, absdir, e->name, sdir, self, sdir, absdir);
  fclose(f);
  snprintf(path, sizeof path, "%s/submit.sh", sdir);
  if (!(f = fopen(path, "w"))) return -1;
  fprintf(f,
          "#!/bin/sh\n"
          "# Submits the shards of '%s' and, after them, the merge.\n"
          "set -e\n"
          "cd '%s'\n"
          "job=$(sbatch --parsable array.sbatch)\n"
          "sbatch --dependency=afterany:\"$job\" merge.sbatch\n"
          "echo \"submitted job array $job; results will be merged into %s\"\n",
          e->name, sdir, absdir);
  fclose(f);
  chmod(path, 0755);
  printf("wrote %s/array.sbatch (%d shards of %d trials), merge.sbatch and submit.sh\n"
         "submit with: sh %s/submit.sh\n",
         sdir, shards, pl->ntrials, sdir);
  return 0;
}
