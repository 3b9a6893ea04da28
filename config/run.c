/*
** run.c: the runner.  It loads an experiment (lconf.h), expands it
** (expt.h) and runs every trial in a fresh child process -- `rtlab trial
** ... --json`, or a peer program -- with a timeout (SIGTERM to the child's
** process group, SIGKILL 2 s later) and the child's rusage from wait4.
**
** Results survive anything: each trial appends one line to
** DIR/results.jsonl in a single write(2) followed by fdatasync, as soon as
** it ends.  A runner killed with -9 leaves at worst a partial last line,
** which --resume cuts off before it skips every trial whose key is
** recorded; so a sweep interrupted and resumed any number of times ends
** with each trial exactly once.  A failed trial (crash, timeout, error) is
** a row like any other and never stops the sweep.
**
** Files in DIR: experiment.json (what the report needs to know about the
** experiment: axes, baseline, metric, header) and results.jsonl.
*/
#define _GNU_SOURCE
#include "run.h"

#include "child.h"
#include "expt.h"
#include "json.h"
#include "lconf.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RT_GIT_REV
#define RT_GIT_REV "unknown"
#endif


static volatile sig_atomic_t run_stop;  /* SIGINT/SIGTERM seen */

static void on_signal(int sig) { run_stop = sig; }

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void utc_now(char *buf, size_t len) {
  time_t now = time(NULL);
  struct tm tm;
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
}

/* ==== peers ========================================================== */

/* A peer found on this machine and the workloads it runs. */
typedef struct peer_found {
  const char *name;        /* "go" */
  char path[PATH_MAX];     /* its program */
  char *names;             /* "\nyield\nspawn\n...": its -list output */
} peer_found;

static peer_found run_peers[EXPT_MAXPEERS];
static int run_npeers;

/* Looks for peer p beside rtlab (DIR/peers/PROG), in $RTLAB_PEERS, then
** on PATH. */
static bool peer_locate(const expt_peer *p, const char *self, char *out, size_t len) {
  char dirs[3][PATH_MAX / 2];
  int nd = 0;
  const char *slash = strrchr(self, '/');
  snprintf(dirs[nd++], PATH_MAX / 2, "%.*s/peers", slash ? (int)(slash - self) : 1,
           slash ? self : ".");
  if (getenv("RTLAB_PEERS")) snprintf(dirs[nd++], PATH_MAX / 2, "%s", getenv("RTLAB_PEERS"));
  for (int i = 0; i < nd; i++) {
    if (snprintf(out, len, "%s/%s", dirs[i], p->program) >= (int)len) continue;
    if (access(out, X_OK) == 0) return true;
  }
  const char *path = getenv("PATH");
  for (const char *d = path; d && *d;) {
    size_t dl = strcspn(d, ":");
    snprintf(out, len, "%.*s/%s", (int)dl, d, p->program);
    if (dl && access(out, X_OK) == 0) return true;
    d += dl + (d[dl] == ':');
  }
  return false;
}

static void peers_find(const expt *e, const char *self) {
  for (int i = 0; i < e->npeers && run_npeers < EXPT_MAXPEERS; i++) {
    const expt_peer *p = expt_peer_find(e->peers[i]);
    peer_found *f = &run_peers[run_npeers];
    if (!p || !peer_locate(p, self, f->path, sizeof f->path)) {
      fprintf(stderr, "rtlab run: peer '%s' is not installed (%s); its rows are left out\n",
              e->peers[i], p ? p->install : "unknown peer");
      continue;
    }
    char *argv[] = {f->path, "-list", NULL};
    char *list = child_capture(argv);
    if (!list) {
      fprintf(stderr, "rtlab run: peer '%s' (%s) did not answer -list; its rows are left out\n",
              e->peers[i], f->path);
      continue;
    }
    if (asprintf(&f->names, "\n%s", list) < 0) f->names = NULL;
    free(list);
    f->name = p->name;
    run_npeers++;
  }
}

static const peer_found *peer_get(const char *name) {
  for (int i = 0; i < run_npeers; i++)
    if (strcmp(run_peers[i].name, name) == 0) return &run_peers[i];
  return NULL;
}

static bool peer_runs(const char *peer, const char *workload) {
  const peer_found *f = peer_get(peer);
  if (!f || !f->names) return false;
  char needle[128];
  snprintf(needle, sizeof needle, "\n%s\n", workload);
  return strstr(f->names, needle) != NULL;
}

/* ==== one trial ====================================================== */

/* The argv of a cell's trial; strings point into the cell or static text. */
static int trial_argv(const expt_cell *c, const char *self, const char **argv, int max) {
  int n = 0;
  if (c->peer) {
    argv[n++] = peer_get(c->peer)->path;
    argv[n++] = "-workload";
    argv[n++] = c->vals[(int)(set_find("workload") - set_at(0))];
    const char *procs = c->vals[(int)(set_find("procs") - set_at(0))];
    if (procs && strcmp(procs, "-") != 0) {
      argv[n++] = "-procs";
      argv[n++] = procs;
    }
    argv[n] = NULL;
    return n;
  }
  static char opts[EXPT_MAXSET][48];
  argv[n++] = self;
  argv[n++] = "trial";
  for (int i = 0; i < set_count() && n + 3 < max; i++) {
    if (!c->vals[i]) continue;
    snprintf(opts[i], sizeof opts[i], "--%s", set_at(i)->key);
    argv[n++] = opts[i];
    argv[n++] = c->vals[i];
  }
  argv[n++] = "--json";
  argv[n] = NULL;
  return n;
}

/* ==== results.jsonl ================================================== */

/* The keys already in results.jsonl, as one "\nkey\n..." string; cuts a
** partial last line off the file (a runner killed mid-write). */
static char *keys_load(const char *path, int *nlines) {
  *nlines = 0;
  int fd = open(path, O_RDWR);
  if (fd < 0) return strdup("\n");
  struct stat sb;
  fstat(fd, &sb);
  char *text = malloc((size_t)sb.st_size + 1);
  ssize_t n = text ? read(fd, text, (size_t)sb.st_size) : -1;
  if (n < 0) n = 0;
  text[n] = 0;
  off_t good = 0;
  for (ssize_t i = 0; i < n; i++)
    if (text[i] == '\n') good = i + 1;
  if (good < n) {
    fprintf(stderr, "rtlab run: %s ended in a partial line (%zd bytes); cutting it off\n", path,
            (ssize_t)(n - good));
    if (ftruncate(fd, good)) perror("rtlab run: ftruncate");
  }
  close(fd);
  size_t cap = 64, kn = 1;
  char *keys = malloc(cap);
  keys[0] = '\n';
  for (char *p = text; p < text + good;) {
    char *nl = strchr(p, '\n');
    char *k = strstr(p, "\"key\":\"");
    if (k && k < nl && nl - (k + 7) >= 16) {
      if (kn + 18 > cap) keys = realloc(keys, cap *= 2);
      memcpy(keys + kn, k + 7, 16);
      keys[kn + 16] = '\n';
      kn += 17;
      (*nlines)++;
    }
    p = nl + 1;
  }
  keys[kn] = 0;
  free(text);
  return keys;
}

static bool keys_has(const char *keys, const char *key) {
  char needle[20];
  snprintf(needle, sizeof needle, "\n%s\n", key);
  return strstr(keys, needle) != NULL;
}

/* Appends one record in one write and syncs it. */
static int record_write(int fd, const expt *e, const expt_plan *pl, const expt_trial *t,
                        const char *const *argv, const child_result *o, const char *started) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return -1;
  const expt_cell *c = &pl->cells[t->cell];
  json_w j;
  json_init(&j, f);
  json_obj(&j);
  json_key(&j, "key"); json_str(&j, t->key);
  json_key(&j, "cell"); json_str(&j, c->id);
  json_key(&j, "axes");
  json_obj(&j);
  json_key(&j, "workload"); json_str(&j, c->vals[(int)(set_find("workload") - set_at(0))]);
  for (int a = 0; a < e->naxes; a++) {
    json_key(&j, e->axes[a].set->key);
    json_str(&j, c->vals[(int)(e->axes[a].set - set_at(0))]);
  }
  json_obj_end(&j);
  json_key(&j, "peer"); json_str(&j, c->peer);
  json_key(&j, "rep"); json_int(&j, t->rep);
  json_key(&j, "warmup"); json_bool(&j, t->warmup);
  json_key(&j, "status"); json_str(&j, o->status);
  json_key(&j, "signal");
  if (o->signal) json_int(&j, o->signal); else json_null(&j);
  json_key(&j, "exit");
  if (o->exit >= 0) json_int(&j, o->exit); else json_null(&j);
  json_key(&j, "error");
  if (strcmp(o->status, "ok") != 0) json_str(&j, o->tail[0] ? o->tail : o->status);
  else json_null(&j);
  json_key(&j, "wall_ns"); json_int(&j, o->wall_ns);
  json_key(&j, "user_ns");
  json_int(&j, (int64_t)o->ru.ru_utime.tv_sec * 1000000000 + o->ru.ru_utime.tv_usec * 1000);
  json_key(&j, "sys_ns");
  json_int(&j, (int64_t)o->ru.ru_stime.tv_sec * 1000000000 + o->ru.ru_stime.tv_usec * 1000);
  json_key(&j, "maxrss_kb"); json_int(&j, o->ru.ru_maxrss);
  json_key(&j, "started"); json_str(&j, started);
  json_key(&j, "argv");
  json_arr(&j);
  for (int i = 0; argv[i]; i++) json_str(&j, argv[i]);
  json_arr_end(&j);
  json_key(&j, "trial");
  if (o->line) json_raw(&j, o->line); else json_null(&j);
  json_obj_end(&j);
  fputc('\n', f);
  fclose(f);
  ssize_t w = buf ? write(fd, buf, len) : -1;
  int rc = w == (ssize_t)len && fdatasync(fd) == 0 ? 0 : -1;
  free(buf);
  return rc;
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

static int expt_json_write(const char *dir, const expt *e, const expt_plan *pl, int argc,
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
  utc_now(when, sizeof when);
  gethostname(host, sizeof host - 1);
  cpu_model(cpu, sizeof cpu);
  size_t n = strlen(cmd);
  for (int i = 0; i < argc && n < sizeof cmd; i++)
    n += (size_t)snprintf(cmd + n, sizeof cmd - n, " %s", argv[i]);
  const char *tsi = e->fixed[(int)(set_find("topology") - set_at(0))];
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
static int slurm_emit(const char *dir, const expt *e, const expt_plan *pl, const char *self,
                      int shards) {
  char sdir[PATH_MAX + 8], path[PATH_MAX + 32], absdir[PATH_MAX], absfile[PATH_MAX];
  if (!realpath(dir, absdir) || !realpath(e->file, absfile)) return -1;
  snprintf(sdir, sizeof sdir, "%s/slurm", absdir);
  mkdir(sdir, 0777);
  int maxprocs = 1;
  const char *pv = e->fixed[(int)(set_find("procs") - set_at(0))];
  if (pv) maxprocs = atoi(pv);
  for (int c = 0; c < pl->ncells; c++) {
    const char *p = pl->cells[c].vals[(int)(set_find("procs") - set_at(0))];
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

/* ==== the verb ======================================================= */

static int mkdirs(const char *dir) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s", dir);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      if (mkdir(p, 0777) && errno != EEXIST) return -1;
      *s = '/';
    }
  return mkdir(p, 0777) && errno != EEXIST ? -1 : 0;
}

static void fmt_dur(char *buf, size_t len, double s) {
  if (s < 0) s = 0;
  snprintf(buf, len, "%d:%02d:%02d", (int)(s / 3600), (int)s / 60 % 60, (int)s % 60);
}

int cmd_run(const cli_verb *v, int argc, char **argv) {
  const char *out = NULL, *reps_s = NULL, *shard_s = NULL, *shards_s = "8", *file = NULL;
  bool resume = false, dry = false, slurm = false, no_report = false;
  const cli_opt opts[] = {
    {"--out", "DIR", &out, NULL, "where results go (default results/NAME)"},
    {"--resume", NULL, NULL, &resume, "skip trials already in DIR/results.jsonl"},
    {"--reps", "N", &reps_s, NULL, "repetitions per cell (overrides the script's reps)"},
    {"--dry-run", NULL, NULL, &dry, "list the trials and stop"},
    {"--shard", "I/N", &shard_s, NULL, "run only shard I of N (1 <= I <= N)"},
    {"--emit-slurm", NULL, NULL, &slurm, "write an sbatch job array for a cluster and stop"},
    {"--shards", "N", &shards_s, NULL, "shards for --emit-slurm (default 8)"},
    {"--no-report", NULL, NULL, &no_report, "do not print the report at the end"},
    {0},
  };
  int npos = 0;
  int rc = cli_parse(v, opts, argc, argv, &file, 1, &npos);
  if (rc) return rc == 1 ? 0 : rc;
  if (!file) {
    fprintf(stderr, "rtlab run: which experiment? (usage: rtlab run %s)\n", v->synopsis);
    return EXIT_USAGE;
  }
  long reps = 0, shard = 1, nshards = 1, shards = 8;
  if (reps_s && cli_int(v, "--reps", reps_s, 1, 100000, &reps)) return EXIT_USAGE;
  if (cli_int(v, "--shards", shards_s, 1, 100000, &shards)) return EXIT_USAGE;
  if (shard_s) {
    char *end;
    shard = strtol(shard_s, &end, 10);
    nshards = *end == '/' ? strtol(end + 1, &end, 10) : 0;
    if (*end || nshards < 1 || shard < 1 || shard > nshards) {
      fprintf(stderr, "rtlab run: option '--shard' wants I/N with 1 <= I <= N, got '%s'\n",
              shard_s);
      return EXIT_USAGE;
    }
  }

  char self[PATH_MAX];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl <= 0) {
    fprintf(stderr, "rtlab run: cannot find my own program: %s\n", strerror(errno));
    return 1;
  }
  self[sl] = 0;

  lconf *lc = lconf_open();
  if (!lc) {
    fprintf(stderr, "rtlab run: out of memory\n");
    return 1;
  }
  char err[8192];
  expt *e;
  if (lconf_experiment(lc, file, &e, err, sizeof err) != RT_OK) {
    fprintf(stderr, "%s\n", err);
    lconf_close(lc);
    return EXIT_USAGE;
  }
  if (reps) e->reps = (int)reps;
  peers_find(e, self);
  expt_plan pl;
  if (expt_expand(e, peer_runs, &pl, err, sizeof err) != RT_OK) {
    fprintf(stderr, "%s: %s\n", file, err);
    lconf_close(lc);
    return EXIT_USAGE;
  }
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", out ? out : "");
  if (!out) snprintf(dir, sizeof dir, "results/%s", e->name);
  int mine = 0;
  for (int i = 0; i < pl.ntrials; i++) mine += expt_in_shard(i, (int)shard, (int)nshards);

  if (dry) {
    printf("# %s: %d cells x (%d reps + %d warm-up) = %d trials", e->name, pl.ncells, e->reps,
           e->warmup, pl.ntrials);
    if (nshards > 1) printf(", shard %ld/%ld runs %d", shard, nshards, mine);
    printf("\n# key              rep  cell  ->  command\n");
    for (int i = 0; i < pl.ntrials; i++) {
      if (!expt_in_shard(i, (int)shard, (int)nshards)) continue;
      const expt_trial *t = &pl.trials[i];
      const char *targv[2 * EXPT_MAXSET + 4];
      trial_argv(&pl.cells[t->cell], self, targv, 2 * EXPT_MAXSET + 4);
      printf("%s %s%-3d %s  -> ", t->key, t->warmup ? "w" : " ", t->rep, pl.cells[t->cell].id);
      for (int k = 0; targv[k]; k++) printf("%s%s", k ? " " : "", targv[k]);
      putchar('\n');
    }
    expt_plan_free(&pl);
    lconf_close(lc);
    return 0;
  }

  if (mkdirs(dir)) {
    fprintf(stderr, "rtlab run: cannot create '%s': %s\n", dir, strerror(errno));
    expt_plan_free(&pl);
    lconf_close(lc);
    return 1;
  }
  if (slurm) {
    rc = slurm_emit(dir, e, &pl, self, (int)(shards < pl.ntrials ? shards : pl.ntrials)) ? 1 : 0;
    if (rc) fprintf(stderr, "rtlab run: cannot write the slurm scripts in '%s'\n", dir);
    expt_plan_free(&pl);
    lconf_close(lc);
    return rc;
  }

  char rpath[PATH_MAX + 32];
  snprintf(rpath, sizeof rpath, "%s/results.jsonl", dir);
  struct stat sb;
  if (!resume && stat(rpath, &sb) == 0 && sb.st_size > 0) {
    char when[32], old[PATH_MAX + 64];
    utc_now(when, sizeof when);
    snprintf(old, sizeof old, "%s/results-%s.jsonl", dir, when);
    if (rename(rpath, old) == 0)
      fprintf(stderr, "rtlab run: kept the previous results as %s (use --resume to continue "
              "them instead)\n", old);
  }
  if (expt_json_write(dir, e, &pl, argc, argv, self)) {
    fprintf(stderr, "rtlab run: cannot write %s/experiment.json: %s\n", dir, strerror(errno));
    expt_plan_free(&pl);
    lconf_close(lc);
    return 1;
  }
  int had = 0;
  char *keys = resume ? keys_load(rpath, &had) : strdup("\n");
  int fd = open(rpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) {
    fprintf(stderr, "rtlab run: cannot open %s: %s\n", rpath, strerror(errno));
    free(keys);
    expt_plan_free(&pl);
    lconf_close(lc);
    return 1;
  }

  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  bool tty = isatty(2);
  int todo = 0, done = 0, failed = 0, skipped = 0;
  for (int i = 0; i < pl.ntrials; i++)
    if (expt_in_shard(i, (int)shard, (int)nshards)) {
      if (keys_has(keys, pl.trials[i].key)) skipped++;
      else todo++;
    }
  if (skipped) fprintf(stderr, "rtlab run: resuming: %d trials already recorded\n", skipped);
  fprintf(stderr, "rtlab run: %s: %d trials to run into %s/\n", e->name, todo, dir);
  int64_t t_start = mono_ns();
  for (int i = 0; i < pl.ntrials && !run_stop; i++) {
    const expt_trial *t = &pl.trials[i];
    if (!expt_in_shard(i, (int)shard, (int)nshards) || keys_has(keys, t->key)) continue;
    const expt_cell *c = &pl.cells[t->cell];
    const char *targv[2 * EXPT_MAXSET + 4];
    trial_argv(c, self, targv, 2 * EXPT_MAXSET + 4);
    if (tty) {
      char eta[32];
      double per = done ? (mono_ns() - t_start) / 1e9 / done : 0;
      fmt_dur(eta, sizeof eta, per * (todo - done));
      fprintf(stderr, "\r\033[K[%d/%d] %d failed, ETA %s  %s rep %d", done + 1, todo, failed,
              done ? eta : "?", c->id, t->rep);
    }
    char started[32];
    utc_now(started, sizeof started);
    child_result o;
    child_run(targv, e->timeout, &run_stop, &o);
    if (run_stop) {  /* interrupted: this trial is not a result */
      free(o.out);
      break;
    }
    if (record_write(fd, e, &pl, t, targv, &o, started)) {
      fprintf(stderr, "\nrtlab run: cannot append to %s: %s\n", rpath, strerror(errno));
      free(o.out);
      close(fd);
      free(keys);
      expt_plan_free(&pl);
      lconf_close(lc);
      return 1;
    }
    done++;
    bool ok = strcmp(o.status, "ok") == 0;
    failed += !ok;
    if (!tty) {
      fprintf(stderr, "[%d/%d] %-7s %s%s rep %d", done, todo, o.status, c->id,
              t->warmup ? " (warm-up)" : "", t->rep);
      if (o.signal) fprintf(stderr, " (signal %d)", o.signal);
      fputc('\n', stderr);
    }
    if (!ok && o.tail[0]) {
      char first[256];
      snprintf(first, sizeof first, "%.255s", o.tail);
      first[strcspn(first, "\n")] = 0;
      fprintf(stderr, "%s  %s: %s\n", tty ? "\r\033[K" : "", o.status, first);
    }
    free(o.out);
  }
  if (tty) fprintf(stderr, "\r\033[K");
  close(fd);
  free(keys);
  char took[32];
  fmt_dur(took, sizeof took, (mono_ns() - t_start) / 1e9);
  if (run_stop) {
    fprintf(stderr, "rtlab run: interrupted after %d of %d trials (%s); "
            "continue with: rtlab run %s --out %s --resume\n", done, todo, took, file, dir);
  } else {
    fprintf(stderr, "rtlab run: %d trials in %s, %d failed; results in %s/results.jsonl\n",
            done, took, failed, dir);
  }
  rc = run_stop ? 130 : failed ? 1 : 0;
  if (!run_stop && !no_report) {
    if (report_dir(dir, stdout, err, sizeof err) != 0) {
      fprintf(stderr, "rtlab run: report: %s\n", err);
      rc = rc ? rc : 1;
    }
  }
  expt_plan_free(&pl);
  lconf_close(lc);
  return rc;
}
