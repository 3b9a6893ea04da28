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
** Files in DIR: experiment.json (runinfo.c) and results.jsonl; peers.c
** finds the peer programs, child.c runs one trial.
*/
#define _GNU_SOURCE
#include "run.h"

#include "child.h"
#include "expt.h"
#include "json.h"
#include "lconf.h"
#include "peers.h"
#include "runinfo.h"
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



static volatile sig_atomic_t run_stop;  /* SIGINT/SIGTERM seen */

static void on_signal(int sig) { run_stop = sig; }

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/* ==== one trial ====================================================== */

/* The argv of a cell's trial; strings point into the cell or static text. */
static int trial_argv(const expt_cell *c, const char *self, const char **argv, int max) {
  int n = 0;
  if (c->peer) {
    argv[n++] = peer_get(c->peer)->path;
    argv[n++] = "-workload";
    argv[n++] = c->vals[set_key_index("workload")];
    const char *procs = c->vals[set_key_index("procs")];
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

/* The trial keys already recorded, sorted for bsearch: a resumed sweep
** of N trials looks each one up in O(log N). */
typedef struct keyset {
  uint64_t *v;             /* the keys, as numbers, ascending */
  size_t n;                /* how many */
} keyset;

static int key_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Reads the keys of path's records; cuts a partial last line off the
** file (a runner killed mid-write).  A missing file is an empty set. */
static keyset keys_load(const char *path) {
  keyset ks = {0};
  int fd = open(path, O_RDWR);
  if (fd < 0) return ks;
  struct stat sb;
  fstat(fd, &sb);
  char *text = malloc((size_t)sb.st_size + 1);
  ssize_t n = text ? read(fd, text, (size_t)sb.st_size) : -1;
  if (n < 0) n = 0;
  if (text) text[n] = 0;
  off_t good = 0;
  for (ssize_t i = 0; i < n; i++)
    if (text[i] == '\n') good = i + 1;
  if (good < n) {
    fprintf(stderr, "rtlab run: %s ended in a partial line (%zd bytes); cutting it off\n", path,
            (ssize_t)(n - good));
    if (ftruncate(fd, good)) perror("rtlab run: ftruncate");
  }
  close(fd);
  size_t cap = 0;
  for (char *p = text; p && p < text + good;) {
    char *nl = strchr(p, '\n');
    char *k = strstr(p, "\"key\":\"");
    if (k && k < nl && nl - (k + 7) >= 16) {
      if (ks.n == cap) {
        uint64_t *v = realloc(ks.v, (cap = cap ? 2 * cap : 256) * sizeof *v);
        if (!v) break;
        ks.v = v;
      }
      ks.v[ks.n++] = strtoull(k + 7, NULL, 16);
    }
    p = nl + 1;
  }
  free(text);
  if (ks.n) qsort(ks.v, ks.n, sizeof *ks.v, key_cmp);
  return ks;
}

static bool keys_has(const keyset *ks, const char *key) {
  uint64_t k = strtoull(key, NULL, 16);
  return ks->n && bsearch(&k, ks->v, ks->n, sizeof k, key_cmp) != NULL;
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
  json_key(&j, "workload"); json_str(&j, c->vals[set_key_index("workload")]);
  for (int a = 0; a < e->naxes; a++) {
    json_key(&j, e->axes[a].set->key);
    json_str(&j, c->vals[set_index(e->axes[a].set)]);
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
    rc = runinfo_slurm(dir, e, &pl, self, (int)(shards < pl.ntrials ? shards : pl.ntrials)) ? 1 : 0;
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
    runinfo_utc(when, sizeof when);
    snprintf(old, sizeof old, "%s/results-%s.jsonl", dir, when);
    if (rename(rpath, old) == 0)
      fprintf(stderr, "rtlab run: kept the previous results as %s (use --resume to continue "
              "them instead)\n", old);
  }
  if (runinfo_experiment(dir, e, &pl, argc, argv, self)) {
    fprintf(stderr, "rtlab run: cannot write %s/experiment.json: %s\n", dir, strerror(errno));
    expt_plan_free(&pl);
    lconf_close(lc);
    return 1;
  }
  keyset keys = resume ? keys_load(rpath) : (keyset){0};
  int fd = open(rpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) {
    fprintf(stderr, "rtlab run: cannot open %s: %s\n", rpath, strerror(errno));
    free(keys.v);
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
      if (keys_has(&keys, pl.trials[i].key)) skipped++;
      else todo++;
    }
  if (skipped) fprintf(stderr, "rtlab run: resuming: %d trials already recorded\n", skipped);
  fprintf(stderr, "rtlab run: %s: %d trials to run into %s/\n", e->name, todo, dir);
  int64_t t_start = mono_ns();
  for (int i = 0; i < pl.ntrials && !run_stop; i++) {
    const expt_trial *t = &pl.trials[i];
    if (!expt_in_shard(i, (int)shard, (int)nshards) || keys_has(&keys, t->key)) continue;
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
    runinfo_utc(started, sizeof started);
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
      free(keys.v);
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
  free(keys.v);
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
