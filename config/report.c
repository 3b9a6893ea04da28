/*
** report.c: `rtlab report DIR` (see report.h).  From a result set
** (report_data.c) it builds the cells of the table -- median, min and max
** of the metric over the good repetitions, the count of good ones, the
** ratio to the baseline cell -- puts them in a stable order, prints a
** header and a markdown table, and writes results.csv, summary.json and
** the plots (report_plot.c).
*/
#define _GNU_SOURCE
#include "report.h"

#include "json.h"
#include "report_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int report_fail(char *err, size_t errlen, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return rc;
}

/* ==== numbers and names for people =================================== */

void report_fmt(double v, char *buf, size_t len) {
  double a = fabs(v);
  if (!isfinite(v)) {
    snprintf(buf, len, "—");
  } else if (v == 0) {
    snprintf(buf, len, "0");
  } else if (a >= 1e15 || a < 1e-4) {
    snprintf(buf, len, "%.3g", v);
  } else {
    int mag = (int)floor(log10(a)), dec = mag >= 2 ? 0 : 2 - mag;
    snprintf(buf, len, "%.*f", dec, v);
    if (dec > 0 && fabs(strtod(buf, NULL)) >= pow(10, mag + 1))  /* 9.996 -> "10.0" */
      snprintf(buf, len, "%.*f", dec - 1, v);
  }
}

/* Shortest text that reads back as v (for files, not people). */
static void exact_fmt(double v, char *buf, size_t len) {
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(buf, len, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
}

void report_unit(const char *metric, char *buf, size_t len) {
  const char *last = strrchr(metric, '.');
  last = last ? last + 1 : metric;
  const char *per = strstr(last, "_per_");
  if (per) snprintf(buf, len, "%.*s/%s", (int)(per - last), last, per + 5);
  else snprintf(buf, len, "%s", last);
  for (char *p = buf; *p; p++)
    if (*p == '_') *p = ' ';
}

void report_files_add(report_files *f, const char *dir, const char *name) {
  if (f->n == f->cap) {
    int cap = f->cap ? 2 * f->cap : 8;
    char **v = realloc(f->v, (size_t)cap * sizeof *v);
    if (!v) return;
    f->v = v;
    f->cap = cap;
  }
  if (asprintf(&f->v[f->n], "%s/%s", dir, name) >= 0) f->n++;
}

/* A JSON scalar as text: strings bare, numbers as written. */
static void val_text(const jsonr_val *v, char *buf, size_t len) {
  if (!v) snprintf(buf, len, "unknown");
  else if (v->type == JSONR_STR) snprintf(buf, len, "%s", v->str);
  else if (v->type == JSONR_NUM && v->is_int) snprintf(buf, len, "%lld", (long long)v->i);
  else if (v->type == JSONR_NUM) exact_fmt(v->num, buf, len);
  else if (v->type == JSONR_BOOL) snprintf(buf, len, "%s", v->b ? "true" : "false");
  else snprintf(buf, len, "%s", v->type == JSONR_NULL ? "null" : v->type == JSONR_ARR ? "[...]" : "{...}");
}

static bool is_number(const char *s) {
  char *end;
  if (!*s || isspace((unsigned char)*s)) return false;
  double x = strtod(s, &end);
  return *end == 0 && isfinite(x);
}

/* ==== order: workload, rtlab before peers, then the other axes ======== */

/* "yield,n=200" < "yield,n=1000": digit runs compare as numbers. */
static int natural_cmp(const char *a, const char *b) {
  if (is_number(a) && is_number(b) && strtod(a, NULL) != strtod(b, NULL))
    return strtod(a, NULL) < strtod(b, NULL) ? -1 : 1;
  while (*a && *b) {
    if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
      while (*a == '0') a++;
      while (*b == '0') b++;
      size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
      if (na != nb) return na < nb ? -1 : 1;
      int c = strncmp(a, b, na);
      if (c) return c;
      a += na;
      b += nb;
    } else if (*a != *b) {
      return (unsigned char)*a - (unsigned char)*b;
    } else {
      a++, b++;
    }
  }
  return (unsigned char)*a - (unsigned char)*b;
}

/* Where the experiment declared value v of axis: its index in
** experiment.json "values".AXIS, else among header.modules of that kind
** (their spec, else name), else -1. */
static int declared(const report_set *s, const char *axis, const char *v) {
  const jsonr_val *list = jsonr_get(jsonr_get(s->expt, "values"), axis);
  int i = 0;
  for (const jsonr_val *e = jsonr_is(list, JSONR_ARR) ? list->kids : NULL; e; e = e->next, i++)
    if (jsonr_str(e) && strcmp(e->str, v) == 0) return i;
  const jsonr_val *mods = jsonr_path(s->expt, "header.modules");
  i = 0;
  for (const jsonr_val *m = jsonr_is(mods, JSONR_ARR) ? mods->kids : NULL; m; m = m->next) {
    const char *kind = jsonr_str(jsonr_get(m, "kind"));
    if (!kind || strcmp(kind, axis) != 0) continue;
    const char *spec = jsonr_str(jsonr_get(m, "spec"));
    if (!spec) spec = jsonr_str(jsonr_get(m, "name"));
    if (spec && strcmp(spec, v) == 0) return 1000000 + i;
    i++;
  }
  return -1;
}

/* Declared values first (in declaration order), then the others in
** natural order, then "-" and "peer:NAME". */
static int value_cmp(const report_set *s, const char *axis, const char *x, const char *y) {
  int cx = strcmp(x, "-") == 0 || strncmp(x, "peer:", 5) == 0 ? 2 : declared(s, axis, x) >= 0 ? 0 : 1;
  int cy = strcmp(y, "-") == 0 || strncmp(y, "peer:", 5) == 0 ? 2 : declared(s, axis, y) >= 0 ? 0 : 1;
  if (cx != cy) return cx - cy;
  if (cx == 0) return declared(s, axis, x) - declared(s, axis, y);
  return natural_cmp(x, y);
}

static int cell_cmp(const void *pa, const void *pb) {
  const report_cell *a = pa, *b = pb;
  for (int k = 0; k <= REPORT_MAXAXES; k++)
    if (a->rank[k] != b->rank[k]) return a->rank[k] < b->rank[k] ? -1 : 1;
  return strcmp(a->id, b->id);
}

static int str_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Ranks every cell's values and sorts the cells into table order. */
static int cells_order(const report_set *s, report_cell *c, int n) {
  const char **vals = malloc((size_t)(n ? n : 1) * sizeof *vals);
  if (!vals) return -1;
  for (int a = 0; a < s->naxes; a++) {
    int nv = 0;
    for (int i = 0; i < n; i++) vals[nv++] = c[i].first->ax[a];
    qsort(vals, (size_t)nv, sizeof *vals, str_cmp);
    int u = 0;
    for (int i = 0; i < nv; i++)
      if (!u || strcmp(vals[u - 1], vals[i]) != 0) vals[u++] = vals[i];
    for (int i = 1; i < u; i++)  /* insertion sort: few values, a costly compare */
      for (int j = i; j > 0 && value_cmp(s, s->axes[a], vals[j - 1], vals[j]) > 0; j--) {
        const char *t = vals[j];
        vals[j] = vals[j - 1];
        vals[j - 1] = t;
      }
    for (int i = 0; i < n; i++) {
      int r = 0;
      while (r < u && strcmp(vals[r], c[i].first->ax[a]) != 0) r++;
      c[i].rank[a ? a + 1 : 0] = r;
    }
  }
  for (int i = 0; i < n; i++) c[i].rank[1] = c[i].first->peer != NULL;
  free(vals);
  qsort(c, (size_t)n, sizeof *c, cell_cmp);
  return 0;
}

/* ==== cells: statistics and baselines ================================ */

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median_of(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, dbl_cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int rec_cell_cmp(const void *a, const void *b) {
  const report_rec *x = *(const report_rec *const *)a, *y = *(const report_rec *const *)b;
  int c = strcmp(x->cell, y->cell);
  return c ? c : (x < y ? -1 : x > y);
}

/* The baseline of cell i: the cell with i's axes, those named in the
** baseline replaced by its values; "-" (an axis a peer lacks) matches
** anything, and among several matches the one with fewest such wildcards,
** then the first in table order, wins. */
static int baseline_of(const report_set *s, const report_cell *c, int n, int i) {
  const jsonr_val *b = jsonr_get(s->expt, "baseline");
  const char *want[REPORT_MAXAXES];
  bool any = false;
  for (int a = 0; a < s->naxes; a++) {
    const char *v = jsonr_str(jsonr_get(b, s->axes[a]));
    any |= v != NULL;
    want[a] = v ? v : c[i].first->ax[a];
  }
  int best = -1, bestw = INT_MAX;
  for (int j = 0; any && j < n; j++) {
    int w = 0, a;
    for (a = 0; a < s->naxes; a++) {
      const char *v = c[j].first->ax[a];
      if (strcmp(v, want[a]) == 0) continue;
      if (strcmp(v, "-") != 0 && strcmp(want[a], "-") != 0) break;
      w++;
    }
    if (a == s->naxes && w < bestw) best = j, bestw = w;
  }
  return best;
}

/* Groups the records into cells, in table order; *out is malloc'ed. */
static int cells_build(const report_set *s, report_cell **out, int *nout) {
  const report_rec **by = malloc((size_t)(s->nrecs ? s->nrecs : 1) * sizeof *by);
  report_cell *c = calloc((size_t)(s->nrecs ? s->nrecs : 1), sizeof *c);
  double *v = malloc((size_t)(s->nrecs ? s->nrecs : 1) * sizeof *v);
  double *x = malloc((size_t)(s->nrecs ? s->nrecs : 1) * sizeof *x);
  int n = 0;
  if (!by || !c || !v || !x) goto oom;
  for (int i = 0; i < s->nrecs; i++) by[i] = &s->recs[i];
  qsort(by, (size_t)s->nrecs, sizeof *by, rec_cell_cmp);  /* a cell's records: file order */
  for (int i = 0; i < s->nrecs;) {
    report_cell *e = &c[n++];
    int nv = 0, nx = 0, j = i;
    e->id = by[i]->cell;
    e->first = by[i];
    for (; j < s->nrecs && strcmp(by[j]->cell, e->id) == 0; j++) {
      const report_rec *r = by[j];
      if (r->warmup) continue;
      e->total++;
      for (int k = 0; k < 4; k++) e->nstatus[k] += r->status == report_statuses[k];
      if (r->status != report_statuses[0]) continue;
      if (!r->has_metric) {
        e->nometric++;
        continue;
      }
      e->good++;
      v[nv++] = r->metric;
      if (!isnan(r->x)) x[nx++] = r->x;
    }
    i = j;
    e->median = nv ? median_of(v, nv) : NAN;
    e->min = nv ? v[0] : NAN;
    e->max = nv ? v[nv - 1] : NAN;
    e->x = nx ? median_of(x, nx) : NAN;
  }
  if (cells_order(s, c, n)) goto oom;
  for (int i = 0; i < n; i++) {
    c[i].base = baseline_of(s, c, n, i);
    double b = c[i].base >= 0 ? c[c[i].base].median : NAN;
    c[i].ratio = isfinite(c[i].median) && isfinite(b) && b != 0 ? c[i].median / b : NAN;
  }
  free(by);
  free(v);
  free(x);
  *out = c;
  *nout = n;
  return 0;
oom:
  free(by);
  free(c);
  free(v);
  free(x);
  return -1;
}

/* ==== header and table =============================================== */

/* " (k=v, k=v)" for a JSON object of resolved values, then the line's end. */
static void print_kvs(FILE *out, const jsonr_val *obj) {
  char buf[1024];
  bool any = jsonr_is(obj, JSONR_OBJ) && obj->n;
  for (const jsonr_val *p = any ? obj->kids : NULL; p; p = p->next) {
    val_text(p, buf, sizeof buf);
    fprintf(out, "%s%s=%s", p == obj->kids ? " (" : ", ", p->key, buf);
  }
  fprintf(out, "%s\n", any ? ")" : "");
}

static void print_header(const report_set *s, FILE *out, const char *now, bool has_base) {
  const jsonr_val *h = jsonr_get(s->expt, "header");
  char buf[1024];
  fprintf(out, "## %s\n\n", s->name);
  const char *file = jsonr_str(jsonr_get(s->expt, "file"));
  fprintf(out, "- experiment: %s%s%s%s\n", s->name, file ? " (" : "", file ? file : "", file ? ")" : "");
  static const char *const rows[][2] = {
    {"date", "run date"}, {NULL, "report date"}, {"rev", "revision"}, {"host", "host"},
    {"cpu", "cpu"}, {"cores", "cores"}, {"topology", "topology"}, {"command", "command"},
  };
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    if (rows[k][0]) val_text(jsonr_get(h, rows[k][0]), buf, sizeof buf);
    fprintf(out, "- %s: %s\n", rows[k][1], rows[k][0] ? buf : now);
  }
  const jsonr_val *mods = jsonr_get(h, "modules");
  for (const jsonr_val *m = jsonr_is(mods, JSONR_ARR) ? mods->kids : NULL; m; m = m->next) {
    const char *kind = jsonr_str(jsonr_get(m, "kind")), *spec = jsonr_str(jsonr_get(m, "spec"));
    if (!spec) spec = jsonr_str(jsonr_get(m, "name"));
    fprintf(out, "- module: %s %s", kind ? kind : "?", spec ? spec : "?");
    print_kvs(out, jsonr_get(m, "params"));
  }
  const jsonr_val *rts = jsonr_get(h, "runtime");  /* each runtime value, options resolved */
  for (const jsonr_val *r = jsonr_is(rts, JSONR_ARR) ? rts->kids : NULL; r; r = r->next) {
    const char *spec = jsonr_str(jsonr_get(r, "spec"));
    fprintf(out, "- runtime: %s", spec && *spec ? spec : "defaults");
    print_kvs(out, jsonr_get(r, "options"));
  }
  const jsonr_val *fixed = jsonr_get(s->expt, "fixed");
  if (jsonr_is(fixed, JSONR_OBJ) && fixed->n) {
    fprintf(out, "- fixed:");
    for (const jsonr_val *f = fixed->kids; f; f = f->next) {
      val_text(f, buf, sizeof buf);
      fprintf(out, "%s %s=%s", f == fixed->kids ? "" : ",", f->key, buf);
    }
    fprintf(out, "\n");
  }
  fprintf(out, "- metric: %s (%s is better): median, min and max over the good repetitions\n",
          s->metric, s->lower_is_better ? "lower" : "higher");
  if (has_base) {
    const jsonr_val *b = jsonr_get(s->expt, "baseline");
    fprintf(out, "- ratio: median / median of the baseline cell (");
    for (const jsonr_val *m = b->kids; m; m = m->next)
      fprintf(out, "%s%s=%s", m == b->kids ? "" : ", ", m->key, m->str);
    fprintf(out, ", the other axes alike)\n");
  }
  int present = 0, warm = 0;
  for (int i = 0; i < s->nrecs; i++) {
    present += !s->recs[i].warmup;
    warm += s->recs[i].warmup;
  }
  fprintf(out, "- trials: %d", present);
  if (s->planned >= 0) fprintf(out, " of %lld planned", (long long)s->planned);
  fprintf(out, " recorded");
  if (warm) fprintf(out, " (+%d warm-up%s, not counted)", warm, warm == 1 ? "" : "s");
  fprintf(out, "\n\n");
}

/* Columns shown in characters (UTF-8 code points), not bytes. */
static int width(const char *s) {
  int w = 0;
  for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
  return w;
}

/* "3/3", "2/3 (1 crash)", "0/3 (2 crash, 1 timeout)", "2/3 (1 no metric)" */
static void reps_text(const report_cell *c, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "%d/%d", c->good, c->total);
  const char *sep = " (";
  for (int k = 1; k < 5 && n < len; k++) {
    int cnt = k < 4 ? c->nstatus[k] : c->nometric;
    if (!cnt) continue;
    n += (size_t)snprintf(buf + n, len - n, "%s%d %s", sep, cnt, k < 4 ? report_statuses[k] : "no metric");
    sep = ", ";
  }
  if (n < len && sep[0] == ',') snprintf(buf + n, len - n, ")");
}

/* A markdown table: '|' in a value is escaped, numbers right-aligned. */
static void print_table(const report_set *s, const report_cell *c, int n, bool has_base, FILE *out) {
  enum { MAXCOLS = REPORT_MAXAXES + 5, CELLW = 256 };
  int ncols = s->naxes + 4 + has_base, w[MAXCOLS];
  bool right[MAXCOLS];
  char unit[128], head[3][160];
  report_unit(s->metric, unit, sizeof unit);
  const char *hdr[MAXCOLS];
  for (int a = 0; a < s->naxes; a++) hdr[a] = s->axes[a];
  static const char *const stat[3] = {"median", "min", "max"};
  for (int k = 0; k < 3; k++) {
    snprintf(head[k], sizeof head[k], "%s %s", unit, stat[k]);
    hdr[s->naxes + k] = head[k];
  }
  hdr[s->naxes + 3] = "reps";
  hdr[s->naxes + 4] = "ratio";
  char (*cell)[MAXCOLS][CELLW] = calloc((size_t)(n ? n : 1), sizeof *cell);
  if (!cell) return;
  for (int i = 0; i < n; i++) {
    for (int a = 0; a < s->naxes; a++) {
      size_t o = 0;
      for (const char *p = c[i].first->ax[a]; *p && o + 3 < CELLW; p++) {
        if (*p == '|') cell[i][a][o++] = '\\';
        cell[i][a][o++] = *p;
      }
    }
    report_fmt(c[i].median, cell[i][s->naxes], CELLW);
    report_fmt(c[i].min, cell[i][s->naxes + 1], CELLW);
    report_fmt(c[i].max, cell[i][s->naxes + 2], CELLW);
    reps_text(&c[i], cell[i][s->naxes + 3], CELLW);
    report_fmt(c[i].ratio, cell[i][s->naxes + 4], CELLW);
  }
  for (int k = 0; k < ncols; k++) {
    w[k] = width(hdr[k]) > 3 ? width(hdr[k]) : 3;
    right[k] = k != s->naxes + 3;
    for (int i = 0; i < n; i++) {
      if (width(cell[i][k]) > w[k]) w[k] = width(cell[i][k]);
      if (k < s->naxes) right[k] &= is_number(cell[i][k]) || strcmp(cell[i][k], "-") == 0;
    }
    if (k < s->naxes && n == 0) right[k] = false;
  }
  for (int row = -2; row < n; row++) {
    for (int k = 0; k < ncols; k++) {
      const char *t = row == -2 ? hdr[k] : row >= 0 ? cell[row][k] : NULL;
      fputs(k ? " | " : "| ", out);
      if (!t) {  /* the alignment row */
        if (!right[k]) fputc(':', out);
        for (int d = 1; d < w[k]; d++) fputc('-', out);
        if (right[k]) fputc(':', out);
        continue;
      }
      int pad = w[k] - width(t);
      if (right[k]) fprintf(out, "%*s%s", pad, "", t);
      else fprintf(out, "%s%*s", t, pad, "");
    }
    fputs(" |\n", out);
  }
  if (n == 0) fprintf(out, "\n(no trial records yet)\n");
  free(cell);
}

/* ==== results.csv and summary.json =================================== */

/* One CSV field, quoted when it must be (RFC 4180). */
static void csv_field(FILE *f, const char *v, bool first) {
  if (!first) fputc(',', f);
  if (!v[strcspn(v, ",\"\r\n")]) {
    fputs(v, f);
    return;
  }
  fputc('"', f);
  for (; *v; v++) {
    if (*v == '"') fputc('"', f);
    fputc(*v, f);
  }
  fputc('"', f);
}

static void csv_int(FILE *f, int64_t v) {
  char buf[32] = "";
  if (v != REPORT_NONE) snprintf(buf, sizeof buf, "%lld", (long long)v);
  csv_field(f, buf, false);
}

static int write_csv(const report_set *s, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  csv_field(f, "key", true);
  for (int a = 0; a < s->naxes; a++) csv_field(f, s->axes[a], false);
  static const char *const mid[] = {"peer", "rep", "warmup", "status", "signal"};
  for (int k = 0; k < 5; k++) csv_field(f, mid[k], false);
  csv_field(f, s->metric, false);
  static const char *const tail[] = {"wall_ns", "user_ns", "sys_ns", "maxrss_kb"};
  for (int k = 0; k < 4; k++) csv_field(f, tail[k], false);
  fputc('\n', f);
  for (int i = 0; i < s->nrecs; i++) {
    const report_rec *r = &s->recs[i];
    char buf[64] = "";
    csv_field(f, r->key, true);
    for (int a = 0; a < s->naxes; a++) csv_field(f, r->ax[a], false);
    csv_field(f, r->peer ? r->peer : "", false);
    csv_int(f, r->rep);
    csv_field(f, r->warmup ? "true" : "false", false);
    csv_field(f, r->status, false);
    csv_int(f, r->signal);
    if (r->has_metric) exact_fmt(r->metric, buf, sizeof buf);
    csv_field(f, buf, false);
    csv_int(f, r->wall_ns);
    csv_int(f, r->user_ns);
    csv_int(f, r->sys_ns);
    csv_int(f, r->maxrss_kb);
    fputc('\n', f);
  }
  int bad = ferror(f);
  return (fclose(f) != 0) | bad ? -1 : 0;
}

/* Writes a parsed value back out (experiment.json into summary.json). */
static void emit(json_w *j, const jsonr_val *v) {
  switch (v->type) {
  case JSONR_NULL: json_null(j); break;
  case JSONR_BOOL: json_bool(j, v->b); break;
  case JSONR_NUM: if (v->is_int) json_int(j, v->i); else json_num(j, v->num); break;
  case JSONR_STR: json_str(j, v->str); break;
  case JSONR_ARR:
    json_arr(j);
    for (const jsonr_val *e = v->kids; e; e = e->next) emit(j, e);
    json_arr_end(j);
    break;
  case JSONR_OBJ:
    json_obj(j);
    for (const jsonr_val *m = v->kids; m; m = m->next) {
      json_key(j, m->key);
      emit(j, m);
    }
    json_obj_end(j);
    break;
  }
}

static void num_or_null(json_w *j, double v) {
  if (isfinite(v)) json_num(j, v);
  else json_null(j);
}

static int write_summary(const report_set *s, const report_cell *c, int n, const char *now,
                         const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  json_w j;
  json_init(&j, f);
  json_obj(&j);
  json_key(&j, "experiment"); emit(&j, s->expt);
  json_key(&j, "report");
  json_obj(&j);
  json_key(&j, "date"); json_str(&j, now);
  json_key(&j, "metric"); json_str(&j, s->metric);
  json_key(&j, "lower_is_better"); json_bool(&j, s->lower_is_better);
  int present = 0;
  for (int i = 0; i < s->nrecs; i++) present += !s->recs[i].warmup;
  json_key(&j, "planned");
  if (s->planned >= 0) json_int(&j, s->planned); else json_null(&j);
  json_key(&j, "recorded"); json_int(&j, present);
  json_key(&j, "warmups"); json_int(&j, s->nrecs - present);
  json_key(&j, "duplicates"); json_int(&j, s->dups);
  json_obj_end(&j);
  json_key(&j, "cells");
  json_arr(&j);
  for (int i = 0; i < n; i++) {
    json_obj(&j);
    json_key(&j, "cell"); json_str(&j, c[i].id);
    json_key(&j, "axes");
    json_obj(&j);
    for (int a = 0; a < s->naxes; a++) {
      json_key(&j, s->axes[a]);
      json_str(&j, c[i].first->ax[a]);
    }
    json_obj_end(&j);
    json_key(&j, "peer"); json_str(&j, c[i].first->peer);
    json_key(&j, "median"); num_or_null(&j, c[i].median);
    json_key(&j, "min"); num_or_null(&j, c[i].min);
    json_key(&j, "max"); num_or_null(&j, c[i].max);
    json_key(&j, "good"); json_int(&j, c[i].good);
    json_key(&j, "total"); json_int(&j, c[i].total);
    json_key(&j, "statuses");
    json_obj(&j);
    for (int k = 0; k < 4; k++)
      if (c[i].nstatus[k]) {
        json_key(&j, report_statuses[k]);
        json_int(&j, c[i].nstatus[k]);
      }
    json_obj_end(&j);
    json_key(&j, "no_metric"); json_int(&j, c[i].nometric);
    json_key(&j, "ratio"); num_or_null(&j, c[i].ratio);
    json_key(&j, "baseline"); json_str(&j, c[i].base >= 0 ? c[c[i].base].id : NULL);
    json_obj_end(&j);
  }
  json_arr_end(&j);
  json_obj_end(&j);
  fputc('\n', f);
  int bad = ferror(f);
  return (fclose(f) != 0) | bad ? -1 : 0;
}

/* ==== the report ===================================================== */

/* A metric that no ok trial has is a typo: say which numbers there are. */
static int metric_check(const report_set *s, char *err, size_t errlen) {
  const report_rec *ok = NULL;
  for (int i = 0; i < s->nrecs; i++) {
    if (s->recs[i].status != report_statuses[0]) continue;
    if (s->recs[i].has_metric) return 0;
    if (!ok) ok = &s->recs[i];
  }
  if (!ok) return 0;  /* nothing ran well: the table says so */
  char names[1024] = "";
  size_t n = 0;
  jsonr_doc *d = jsonr_parse(ok->line, ok->len, names, sizeof names);
  names[0] = 0;
  const jsonr_val *t = jsonr_get(jsonr_root(d), "trial");
  for (const jsonr_val *m = jsonr_is(t, JSONR_OBJ) ? t->kids : NULL; m && n < 900; m = m->next)
    if (m->type == JSONR_NUM || m->type == JSONR_OBJ)
      n += (size_t)snprintf(names + n, sizeof names - n, "%s%s%s", n ? ", " : "", m->key,
                            m->type == JSONR_OBJ ? ".*" : "");
  jsonr_free(d);
  return report_fail(err, errlen, EXIT_USAGE,
              "%s/results.jsonl: metric '%s' is not a number in any ok trial (the first ok "
              "trial has: %s)", s->dir, s->metric, n ? names : "no numbers");
}

static void utc_now(char *buf, size_t len) {
  time_t now = time(NULL);
  struct tm tm;
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
}

int report_dir_metric(const char *dir, const char *metric, FILE *out, char *err, size_t errlen) {
  report_set s;
  report_cell *c = NULL;
  report_files files = {0};
  int n = 0;
  int rc = report_load(&s, dir, metric, err, errlen);
  if (!rc) rc = metric_check(&s, err, errlen);
  if (!rc && cells_build(&s, &c, &n)) rc = report_fail(err, errlen, 1, "out of memory");
  if (rc) {
    report_set_free(&s);
    return rc;
  }
  const jsonr_val *b = jsonr_get(s.expt, "baseline");
  bool has_base = false;
  for (int a = 0; a < s.naxes; a++) has_base |= jsonr_get(b, s.axes[a]) != NULL;
  bool matched = false;
  for (int i = 0; i < n; i++) matched |= c[i].base == i;
  if (has_base && n && !matched)
    fprintf(stderr, "rtlab: warning: %s: no cell has the baseline's values, so no ratios\n", s.dir);
  char now[32], path[PATH_MAX];
  utc_now(now, sizeof now);
  print_header(&s, out, now, has_base);
  print_table(&s, c, n, has_base, out);

  snprintf(path, sizeof path, "%s/results.csv", s.dir);
  if (write_csv(&s, path) != 0) rc = report_fail(err, errlen, 1, "%s: %s", path, strerror(errno));
  else report_files_add(&files, s.dir, "results.csv");
  snprintf(path, sizeof path, "%s/summary.json", s.dir);
  if (!rc && write_summary(&s, c, n, now, path) != 0)
    rc = report_fail(err, errlen, 1, "%s: %s", path, strerror(errno));
  else if (!rc) report_files_add(&files, s.dir, "summary.json");
  if (!rc) report_plots(&s, c, n, &files);
  fprintf(out, "\nfiles written:\n");
  for (int i = 0; i < files.n; i++) {
    fprintf(out, "- %s\n", files.v[i]);
    free(files.v[i]);
  }
  fflush(out);
  free(files.v);
  free(c);
  report_set_free(&s);
  return rc;
}

int report_dir(const char *dir, FILE *out, char *err, size_t errlen) {
  return report_dir_metric(dir, NULL, out, err, errlen);
}

int cmd_report(const cli_verb *v, int argc, char **argv) {
  const char *metric = NULL, *dir = NULL;
  const cli_opt opts[] = {
    {"--metric", "PATH", &metric, NULL, "another metric: a dotted path into each trial (latency.p99_ns)"},
    {0},
  };
  int npos = 0;
  int rc = cli_parse(v, opts, argc, argv, &dir, 1, &npos);
  if (rc) return rc == 1 ? 0 : rc;
  if (!npos) {
    fprintf(stderr, "rtlab report: which result directory? (usage: rtlab report %s)\n", v->synopsis);
    return EXIT_USAGE;
  }
  char err[4096];
  if ((rc = report_dir_metric(dir, metric, stdout, err, sizeof err)))
    fprintf(stderr, "rtlab report: %s\n", err);
  return rc;
}
