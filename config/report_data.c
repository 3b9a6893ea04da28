/*
** report_data.c: result sets on disk.  Reads a run's directory
** (experiment.json + results.jsonl) into a report_set, checking every
** record strictly, and joins the sets of several shards (`rtlab merge`).
** Records are keyed: a key seen twice keeps one record (the ok one, else
** the first), so a resumed run or overlapping shards never count a trial
** twice.
*/
#define _GNU_SOURCE
#include "report.h"
#include "report_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const report_statuses[4] = {"ok", "crash", "timeout", "error"};


/* ==== strings and files ============================================== */

#define POOL_CHUNK 65536   /* bytes per chunk of the string pool */

static const char *pool_dup(report_set *s, const char *str) {
  size_t n = strlen(str) + 1;
  char *p = pool_alloc(&s->pool, n, POOL_CHUNK);
  if (!p) return NULL;
  memcpy(p, str, n);
  return p;
}

/* The whole file, NUL-terminated; NULL with errno set. */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    char *more = realloc(buf, 2 * cap + 1);
    if (!more) free(buf);
    buf = more;
    cap *= 2;
  }
  int bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    free(buf);
    errno = buf ? EIO : ENOMEM;
    return NULL;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

/* ==== experiment.json ================================================ */

/* A dotted path of non-empty member names. */
static bool metric_ok(const char *m) {
  if (!*m || *m == '.' || m[strlen(m) - 1] == '.' || strstr(m, "..")) return false;
  return strcspn(m, " \t\n") == strlen(m);
}

static int expt_load(report_set *s, const char *metric, char *err, size_t errlen) {
  char path[PATH_MAX], jerr[256];
  snprintf(path, sizeof path, "%s/experiment.json", s->dir);
  if (!(s->etext = slurp(path, &s->elen)))
    return report_fail(err, errlen, 1, "%s: %s: run `rtlab run FILE.lua --out %s` first", path,
                strerror(errno), s->dir);
  if (!(s->edoc = jsonr_parse(s->etext, s->elen, jerr, sizeof jerr)))
    return report_fail(err, errlen, EXIT_USAGE, "%s: %s", path, jerr);
  const jsonr_val *e = s->expt = jsonr_root(s->edoc);
  if (!jsonr_is(e, JSONR_OBJ)) return report_fail(err, errlen, EXIT_USAGE, "%s: not a JSON object", path);
  if (!(s->name = jsonr_str(jsonr_get(e, "name"))))
    return report_fail(err, errlen, EXIT_USAGE, "%s: \"name\" must be a string", path);
  const jsonr_val *axes = jsonr_get(e, "axes");
  if (!jsonr_is(axes, JSONR_ARR) || axes->n < 1 || axes->n > REPORT_MAXAXES)
    return report_fail(err, errlen, EXIT_USAGE, "%s: \"axes\" must be an array of 1 to %d strings",
                path, REPORT_MAXAXES);
  for (const jsonr_val *a = axes->kids; a; a = a->next) {
    if (!jsonr_str(a))
      return report_fail(err, errlen, EXIT_USAGE, "%s: \"axes\" must be an array of 1 to %d strings",
                  path, REPORT_MAXAXES);
    s->axes[s->naxes++] = a->str;
  }
  if (!(s->metric = metric ? metric : jsonr_str(jsonr_get(e, "metric"))))
    return report_fail(err, errlen, EXIT_USAGE, "%s: \"metric\" must be a string (or give --metric PATH)",
                path);
  if (!metric_ok(s->metric))
    return report_fail(err, errlen, EXIT_USAGE,
                "metric '%s': want a dotted path of member names, such as ns_per_op or "
                "latency.p99_ns", s->metric);
  const jsonr_val *lb = jsonr_get(e, "lower_is_better");
  s->lower_is_better = jsonr_is(lb, JSONR_BOOL) ? lb->b : true;
  int64_t t;
  s->planned = jsonr_int(jsonr_get(e, "trials"), &t) && t >= 0 ? t : -1;
  const jsonr_val *b = jsonr_get(e, "baseline");
  if (b && !jsonr_is(b, JSONR_NULL)) {
    bool ok = jsonr_is(b, JSONR_OBJ);
    for (const jsonr_val *m = ok ? b->kids : NULL; m; m = m->next) ok &= jsonr_is(m, JSONR_STR);
    if (!ok)
      return report_fail(err, errlen, EXIT_USAGE,
                  "%s: \"baseline\" must be null or an object of strings ({\"sched\": \"go\"})", path);
  }
  const jsonr_val *sw = jsonr_get(e, "sweep");
  if (sw && !jsonr_is(sw, JSONR_NULL)) {
    s->sweep_axis = jsonr_str(jsonr_get(sw, "axis"));
    s->sweep_param = jsonr_str(jsonr_get(sw, "param"));
    if (!s->sweep_axis || !s->sweep_param)
      return report_fail(err, errlen, EXIT_USAGE,
                  "%s: \"sweep\" must be null or {\"axis\": NAME, \"param\": NAME}", path);
  }
  return 0;
}

/* ==== records ======================================================== */

/* Member key of o with type t (absent or null is fine when nullable):
** *out is it, or NULL; false with a message otherwise. */
static bool field(const jsonr_val *o, const char *key, jsonr_type t, bool nullable,
                  const jsonr_val **out, char *msg, size_t len) {
  const jsonr_val *v = jsonr_get(o, key);
  *out = NULL;
  if (nullable && (!v || v->type == JSONR_NULL)) return true;
  if (!v) {
    snprintf(msg, len, "field \"%s\" is missing", key);
    return false;
  }
  if (v->type != t || (t == JSONR_NUM && !v->is_int)) {
    snprintf(msg, len, "field \"%s\" is %s %s, want %s", key, v->type == JSONR_ARR || v->type == JSONR_OBJ ? "an" : "a",
             v->type == JSONR_NUM ? "fraction" : jsonr_type_name(v->type),
             t == JSONR_NUM ? "an integer" : t == JSONR_BOOL ? "true or false" : "a string");
    return false;
  }
  *out = v;
  return true;
}

static int64_t measure(const jsonr_val *o, const char *key) {
  const jsonr_val *v = jsonr_get(o, key);
  return jsonr_is(v, JSONR_NUM) ? (v->is_int ? v->i : (int64_t)v->num) : REPORT_NONE;
}

/* The value of the swept parameter: trial.AXIS.params.PARAM, else
** trial.AXIS.PARAM, else the axis value itself when it is a number. */
static double sweep_x(const report_set *s, const jsonr_val *trial, const report_rec *r) {
  char path[512];
  double x;
  snprintf(path, sizeof path, "%s.params.%s", s->sweep_axis, s->sweep_param);
  if (jsonr_num(jsonr_path(trial, path), &x)) return x;
  snprintf(path, sizeof path, "%s.%s", s->sweep_axis, s->sweep_param);
  if (jsonr_num(jsonr_path(trial, path), &x)) return x;
  for (int a = 0; a < s->naxes; a++) {
    char *end;
    if (strcmp(s->axes[a], s->sweep_axis) == 0 && r->ax[a][0] &&
        (x = strtod(r->ax[a], &end), *end == 0))
      return x;
  }
  return NAN;
}

/* Checks record o and fills r (strings still in o's document). */
static bool rec_parse(const report_set *s, const jsonr_val *o, report_rec *r, char *msg,
                      size_t len) {
  const jsonr_val *v, *axes;
  memset(r, 0, sizeof *r);
  if (!jsonr_is(o, JSONR_OBJ)) {
    snprintf(msg, len, "a record must be a JSON object, not %s", jsonr_type_name(o->type));
    return false;
  }
  if (!field(o, "key", JSONR_STR, false, &v, msg, len)) return false;
  r->key = v->str;
  if (!field(o, "cell", JSONR_STR, false, &v, msg, len)) return false;
  r->cell = v->str;
  if (!field(o, "peer", JSONR_STR, true, &v, msg, len)) return false;
  r->peer = v ? v->str : NULL;
  if (!field(o, "axes", JSONR_OBJ, false, &axes, msg, len)) return false;
  for (int a = 0; a < s->naxes; a++) {
    if (!(r->ax[a] = jsonr_str(jsonr_get(axes, s->axes[a])))) {
      snprintf(msg, len, "field \"axes.%s\" is missing or not a string (experiment.json lists "
               "'%s' among the axes)", s->axes[a], s->axes[a]);
      return false;
    }
  }
  if (!field(o, "status", JSONR_STR, false, &v, msg, len)) return false;
  for (int k = 0; k < 4; k++)
    if (strcmp(v->str, report_statuses[k]) == 0) r->status = report_statuses[k];
  if (!r->status) {
    snprintf(msg, len, "status '%.40s' (allowed: ok, crash, timeout, error)", v->str);
    return false;
  }
  if (!field(o, "rep", JSONR_NUM, false, &v, msg, len)) return false;
  r->rep = v->i;
  if (!field(o, "warmup", JSONR_BOOL, false, &v, msg, len)) return false;
  r->warmup = v->b;
  if (!field(o, "signal", JSONR_NUM, true, &v, msg, len)) return false;
  r->signal = v ? v->i : REPORT_NONE;
  r->wall_ns = measure(o, "wall_ns");
  r->user_ns = measure(o, "user_ns");
  r->sys_ns = measure(o, "sys_ns");
  r->maxrss_kb = measure(o, "maxrss_kb");
  const jsonr_val *trial = jsonr_get(o, "trial");
  const jsonr_val *m = jsonr_path(trial, s->metric);
  if (!m) m = jsonr_path(o, s->metric);
  r->has_metric = jsonr_num(m, &r->metric);
  r->x = s->sweep_axis && !r->peer ? sweep_x(s, trial, r) : NAN;
  return true;
}

/* Copies r's strings from its document into the pool. */
static bool rec_keep(report_set *s, report_rec *r) {
  bool ok = (r->key = pool_dup(s, r->key)) && (r->cell = pool_dup(s, r->cell)) &&
            (!r->peer || (r->peer = pool_dup(s, r->peer)));
  for (int a = 0; ok && a < s->naxes; a++) ok = (r->ax[a] = pool_dup(s, r->ax[a])) != NULL;
  return ok;
}

/* ==== the key table ================================================== */

static size_t key_hash(const char *k) {
  uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
  for (; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ULL;
  return (size_t)h;
}

/* The slot holding key, or the empty slot where it would go. */
static int *key_slot(const report_set *s, const char *key) {
  size_t mask = (size_t)s->hcap - 1;
  for (size_t h = key_hash(key) & mask;; h = (h + 1) & mask) {
    int i = s->hash[h];
    if (i < 0 || strcmp(s->recs[i].key, key) == 0) return &s->hash[h];
  }
}

static int key_grow(report_set *s) {
  int cap = s->hcap ? 2 * s->hcap : 256;
  int *h = malloc((size_t)cap * sizeof *h);
  if (!h) return -1;
  free(s->hash);
  s->hash = h;
  s->hcap = cap;
  for (int i = 0; i < cap; i++) h[i] = -1;
  for (int i = 0; i < s->nrecs; i++) *key_slot(s, s->recs[i].key) = i;
  return 0;
}

int report_add(report_set *s, const report_rec *r) {
  if (2 * (s->nrecs + 1) > s->hcap && key_grow(s)) return -1;
  int *slot = key_slot(s, r->key);
  if (*slot >= 0) {
    report_rec *old = &s->recs[*slot];
    if (strcmp(old->status, "ok") != 0 && strcmp(r->status, "ok") == 0) *old = *r;
    s->dups++;
    return 0;
  }
  if (s->nrecs == s->caprecs) {
    int cap = s->caprecs ? 2 * s->caprecs : 256;
    report_rec *v = realloc(s->recs, (size_t)cap * sizeof *v);
    if (!v) return -1;
    s->recs = v;
    s->caprecs = cap;
  }
  s->recs[s->nrecs] = *r;
  *slot = s->nrecs++;
  return 0;
}

/* ==== loading a directory ============================================ */

int report_load(report_set *s, const char *dir, const char *metric, char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  if (strlen(dir) >= sizeof s->dir) return report_fail(err, errlen, EXIT_USAGE, "%.80s...: path too long", dir);
  snprintf(s->dir, sizeof s->dir, "%s", dir);
  size_t n = strlen(s->dir);
  while (n > 1 && s->dir[n - 1] == '/') s->dir[--n] = 0;
  struct stat st;
  if (stat(s->dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return report_fail(err, errlen, 1, "%s: %s: run `rtlab run FILE.lua --out %s` first", s->dir,
                stat(s->dir, &st) != 0 ? strerror(errno) : "not a directory", s->dir);
  int rc = expt_load(s, metric, err, errlen);
  if (rc) return rc;

  char path[PATH_MAX], jerr[256], msg[512];
  snprintf(path, sizeof path, "%s/results.jsonl", s->dir);
  if (!(s->text = slurp(path, &s->len)))
    return report_fail(err, errlen, 1, "%s: %s: run `rtlab run FILE.lua --out %s` first", path,
                strerror(errno), s->dir);
  int lineno = 0;
  for (size_t pos = 0; pos < s->len;) {
    lineno++;
    char *line = s->text + pos, *nl = memchr(line, '\n', s->len - pos);
    size_t len = nl ? (size_t)(nl - line) : s->len - pos;
    pos += len + 1;
    if (strspn(line, " \t\r") >= len) continue;  /* a blank line */
    jsonr_doc *d = jsonr_parse(line, len, jerr, sizeof jerr);
    if (!d && !nl) {
      s->partial = len;
      fprintf(stderr, "rtlab: warning: %s:%d: ignored a partial last line (%zu bytes; the run "
              "was interrupted while writing it, and `rtlab run ... --resume` redoes it)\n",
              path, lineno, len);
      break;
    }
    if (!d) return report_fail(err, errlen, EXIT_USAGE, "%s:%d: %s", path, lineno, jerr);
    report_rec r;
    bool ok = rec_parse(s, jsonr_root(d), &r, msg, sizeof msg);
    if (ok && !rec_keep(s, &r)) {
      jsonr_free(d);
      return report_fail(err, errlen, 1, "out of memory reading %s", path);
    }
    jsonr_free(d);
    if (!ok) return report_fail(err, errlen, EXIT_USAGE, "%s:%d: %s", path, lineno, msg);
    r.line = line;
    r.len = len;
    if (report_add(s, &r)) return report_fail(err, errlen, 1, "out of memory reading %s", path);
  }
  if (s->dups)
    fprintf(stderr, "rtlab: warning: %s: %d record(s) repeat a key (kept the first ok one, "
            "else the first)\n", path, s->dups);
  return 0;
}

void report_set_free(report_set *s) {
  pool_free(&s->pool);
  jsonr_free(s->edoc);
  free(s->etext);
  free(s->text);
  free(s->recs);
  free(s->hash);
  memset(s, 0, sizeof *s);
}

/* ==== merge ========================================================== */

static int mkdir_p(const char *dir) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p) continue;
    char c = *p;
    *p = 0;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    if (!(*p = c)) return 0;
  }
}

/* Writes OUT/experiment.json (the first input's) and OUT/results.jsonl,
** each through a temporary file renamed into place. */
static int merge_write(const char *out, const report_set *first, const report_set *m,
                       char *err, size_t errlen) {
  char path[PATH_MAX], tmp[PATH_MAX + 8];
  if (mkdir_p(out) != 0) return report_fail(err, errlen, 1, "%s: %s", out, strerror(errno));
  for (int k = 0; k < 2; k++) {
    snprintf(path, sizeof path, "%s/%s", out, k ? "results.jsonl" : "experiment.json");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return report_fail(err, errlen, 1, "%s: %s", tmp, strerror(errno));
    if (k == 0) fwrite(first->etext, 1, first->elen, f);
    for (int i = 0; k == 1 && i < m->nrecs; i++) {
      fwrite(m->recs[i].line, 1, m->recs[i].len, f);
      fputc('\n', f);
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
      int e = errno;
      unlink(tmp);
      return report_fail(err, errlen, 1, "%s: %s", path, strerror(e));
    }
  }
  return 0;
}

/* "[workload, sched, procs]" */
static void axes_text(const report_set *s, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "[");
  for (int a = 0; a < s->naxes && n < len; a++)
    n += (size_t)snprintf(buf + n, len - n, "%s%s", a ? ", " : "", s->axes[a]);
  if (n < len) snprintf(buf + n, len - n, "]");
}

int cmd_merge(const cli_verb *v, int argc, char **argv) {
  const char *out = "merged";
  const cli_opt opts[] = {
    {"--out", "DIR", &out, NULL, "where the joined result set goes (default: merged)"},
    {0},
  };
  const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
  report_set *in = calloc((size_t)argc + 1, sizeof *in), m = {0};
  int ndirs = 0, rc = 0, k = 0, dups = 0;
  char err[4096], a0[512], ak[512];
  if (!dirs || !in) {
    fprintf(stderr, "rtlab merge: out of memory\n");
    rc = 1;
    goto done;
  }
  if ((rc = cli_parse(v, opts, argc, argv, dirs, argc, &ndirs))) {
    rc = rc == 1 ? 0 : rc;
    goto done;
  }
  if (ndirs == 0) {
    fprintf(stderr, "rtlab merge: no result directories given (usage: rtlab merge %s)\n",
            v->synopsis);
    rc = EXIT_USAGE;
    goto done;
  }
  for (k = 0; k < ndirs; k++) {
    if ((rc = report_load(&in[k], dirs[k], NULL, err, sizeof err))) {
      fprintf(stderr, "rtlab merge: %s\n", err);
      k++;
      goto done;
    }
    if (strcmp(in[k].name, in[0].name) != 0) {
      fprintf(stderr, "rtlab merge: %s holds experiment '%s', but %s holds '%s' (all inputs "
              "must be result sets of one experiment)\n", in[k].dir, in[k].name, in[0].dir,
              in[0].name);
      rc = EXIT_USAGE;
      k++;
      goto done;
    }
    axes_text(&in[0], a0, sizeof a0);
    axes_text(&in[k], ak, sizeof ak);
    if (strcmp(a0, ak) != 0) {
      fprintf(stderr, "rtlab merge: %s has axes %s, but %s has %s (all inputs must be result "
              "sets of one experiment)\n", in[k].dir, ak, in[0].dir, a0);
      rc = EXIT_USAGE;
      k++;
      goto done;
    }
    dups += in[k].dups;
    for (int i = 0; i < in[k].nrecs; i++) {
      if (report_add(&m, &in[k].recs[i])) {
        fprintf(stderr, "rtlab merge: out of memory\n");
        rc = 1;
        k++;
        goto done;
      }
    }
  }
  if ((rc = merge_write(out, &in[0], &m, err, sizeof err))) {
    fprintf(stderr, "rtlab merge: %s\n", err);
    goto done;
  }
  int present = 0;
  for (int i = 0; i < m.nrecs; i++) present += !m.recs[i].warmup;
  printf("merged %d trials from %d result set%s (%d of ", m.nrecs, ndirs, ndirs == 1 ? "" : "s",
         present);
  if (in[0].planned >= 0) printf("%lld planned trials present)\n", (long long)in[0].planned);
  else printf("? planned trials present: experiment.json lacks \"trials\")\n");
  if (dups + m.dups)
    printf("dropped %d duplicate record%s (a key seen twice: kept the first ok one, else the "
           "first)\n", dups + m.dups, dups + m.dups == 1 ? "" : "s");
  printf("\n");
  if ((rc = report_dir(out, stdout, err, sizeof err))) fprintf(stderr, "rtlab merge: %s\n", err);
done:
  for (int i = 0; in && i < k; i++) report_set_free(&in[i]);
  free(m.recs);
  free(m.hash);
  free(in);
  free(dirs);
  return rc;
}
