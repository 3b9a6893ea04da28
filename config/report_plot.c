/*
** report_plot.c: a report's plots, drawn by gnuplot when it is installed
** and skipped (with a note) when it is not: gnuplot is never required.
**
** Per workload W, DIR/plot-W.dat holds the numbers, DIR/plot-W.gp the
** script (rerun it by hand with `cd DIR && gnuplot plot-W.gp`) and
** DIR/plot-W.svg the picture: a bar per cell at its median with whiskers
** at min and max or, when the experiment sweeps a parameter, a line per
** combination of the other axes over the parameter's values.  gnuplot
** runs in DIR on relative names, so no path needs quoting in a script.
*/
#define _GNU_SOURCE
#include "report_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ==== finding and running gnuplot ==================================== */

/* $RTLAB_GNUPLOT (a name or a path), else "gnuplot", looked up on PATH;
** NULL when not found or when RTLAB_GNUPLOT is empty. */
static const char *gnuplot_find(char *buf, size_t len) {
  const char *g = getenv("RTLAB_GNUPLOT");
  if (g && !*g) return NULL;
  if (!g) g = "gnuplot";
  if (strchr(g, '/')) return access(g, X_OK) == 0 ? g : NULL;
  const char *path = getenv("PATH");
  for (const char *p = path ? path : "/usr/bin:/bin";;) {
    size_t n = strcspn(p, ":");
    snprintf(buf, len, "%.*s/%s", (int)n, n ? p : ".", g);
    if (access(buf, X_OK) == 0) return buf;
    if (!p[n]) return NULL;
    p += n + 1;
  }
}

/* Runs `gnuplot SCRIPT` in dir; its exit status, or -1. */
static int gnuplot_run(const char *gp, const char *dir, const char *script) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
    }
    if (chdir(dir) == 0) execl(gp, "gnuplot", script, (char *)NULL);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ==== scripts and data =============================================== */

/* A gnuplot single-quoted string ('' stands for '). */
static void gp_str(FILE *f, const char *s) {
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'') fputc('\'', f);
    fputc(*s == '\n' || *s == '\t' ? ' ' : *s, f);
  }
  fputc('\'', f);
}

/* "go procs=1": the cell's axes after the workload, skipping skip (an
** axis index, or -1), "-" left out and numbers named. */
static void cell_label(const report_set *s, const report_cell *c, int skip, char *buf, size_t len) {
  size_t n = 0;
  buf[0] = 0;
  for (int a = 1; a < s->naxes && n < len; a++) {
    const char *v = c->first->ax[a];
    if (a == skip || strcmp(v, "-") == 0) continue;
    char *end;
    bool num = *v && (strtod(v, &end), *end == 0);
    n += (size_t)snprintf(buf + n, len - n, "%s%s%s%s", n ? " " : "", num ? s->axes[a] : "",
                          num ? "=" : "", v);
  }
  for (char *p = buf; *p; p++)
    if (*p == '\t' || *p == '\n') *p = ' ';
}

static void script_head(FILE *f, const report_set *s, const char *w, const char *slug, int width) {
  char unit[128];
  report_unit(s->metric, unit, sizeof unit);
  fprintf(f, "# Written by rtlab report; rerun with: gnuplot plot-%s.gp\n", slug);
  fprintf(f, "set terminal svg size %d,480 dynamic noenhanced font 'sans,11' background rgb 'white'\n",
          width);
  fprintf(f, "set output 'plot-%s.svg'\nset datafile separator \"\\t\"\nset title ", slug);
  char title[1024];
  snprintf(title, sizeof title, "%s: %s", s->name, w);
  gp_str(f, title);
  fprintf(f, "\nset ylabel ");
  snprintf(title, sizeof title, "%s (median; %s: min, max)", unit, s->sweep_axis ? "bars" : "whiskers");
  gp_str(f, title);
  fprintf(f, "\nset grid ytics\n");
}

/* Bars: one per cell of the workload with a good repetition. */
static int write_bars(const report_set *s, const report_cell *c, const int *idx, int m,
                      const char *w, const char *slug, FILE *dat, FILE *gp) {
  int bars = 0;
  char label[512], a[32], b[32], d[32];
  for (int k = 0; k < m; k++) {
    const report_cell *e = &c[idx[k]];
    if (!e->good) continue;
    cell_label(s, e, -1, label, sizeof label);
    snprintf(a, sizeof a, "%.17g", e->median);
    snprintf(b, sizeof b, "%.17g", e->min);
    snprintf(d, sizeof d, "%.17g", e->max);
    fprintf(dat, "%s\t%s\t%s\t%s\n", label[0] ? label : "-", a, b, d);
    bars++;
  }
  if (!bars) return 0;
  script_head(gp, s, w, slug, bars * 45 + 160 > 640 ? bars * 45 + 160 : 640);
  fprintf(gp, "set style fill solid 0.6 border -1\nset boxwidth 0.6\n"
              "set xtics rotate by 30 right nomirror\nset yrange [0:*]\nset offsets 0, 0, graph 0.05, 0\nunset key\n"
              "plot 'plot-%s.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa', \\\n"
              "     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 7 ps 0.4\n", slug);
  return bars;
}

/* A sweep line's label: the module name on the swept axis ("go" of
** "go,global_every=31") and the other axes after the workload. */
static void line_label(const report_set *s, const report_cell *e, int sa, char *buf, size_t len) {
  char rest[400];
  cell_label(s, e, sa, rest, sizeof rest);
  if (sa < 0) snprintf(buf, len, "%s", rest[0] ? rest : "-");
  else snprintf(buf, len, "%.*s%s%s", (int)strcspn(e->first->ax[sa], ","), e->first->ax[sa],
                rest[0] ? " " : "", rest);
}

/* Lines over the swept parameter: one per combination of the axes other
** than the workload and the swept one (and per module name on it). */
static int write_sweep(const report_set *s, const report_cell *c, const int *idx, int m,
                       const char *w, const char *slug, FILE *dat, FILE *gp) {
  int sa = -1, nlines = 0, *pts = malloc((size_t)m * sizeof *pts);
  char (*labels)[512] = calloc((size_t)m, sizeof *labels);
  if (!pts || !labels) {
    free(pts);
    free(labels);
    return 0;
  }
  for (int a = 0; a < s->naxes; a++)
    if (strcmp(s->axes[a], s->sweep_axis) == 0) sa = a;
  for (int k = 0; k < m; k++) {  /* each line's label, in table order */
    const report_cell *e = &c[idx[k]];
    if (!e->good || isnan(e->x)) continue;
    char mine[512];
    line_label(s, e, sa, mine, sizeof mine);
    int l = 0;
    while (l < nlines && strcmp(labels[l], mine) != 0) l++;
    if (l == nlines) snprintf(labels[nlines++], sizeof labels[0], "%s", mine);
  }
  for (int l = 0; l < nlines; l++) {  /* a block per line, points by x */
    int np = 0;
    for (int k = 0; k < m; k++) {
      const report_cell *e = &c[idx[k]];
      char mine[512];
      if (!e->good || isnan(e->x)) continue;
      line_label(s, e, sa, mine, sizeof mine);
      if (strcmp(mine, labels[l]) != 0) continue;
      int j = np++;
      for (; j > 0 && c[pts[j - 1]].x > e->x; j--) pts[j] = pts[j - 1];
      pts[j] = idx[k];
    }
    fprintf(dat, "%s", l ? "\n\n" : "");
    for (int j = 0; j < np; j++)
      fprintf(dat, "%.17g\t%.17g\t%.17g\t%.17g\n", c[pts[j]].x, c[pts[j]].median, c[pts[j]].min,
              c[pts[j]].max);
  }
  double xmin = INFINITY, xmax = -INFINITY;  /* a log x axis for a sweep over decades */
  for (int k = 0; k < m; k++)
    if (c[idx[k]].good && !isnan(c[idx[k]].x)) {
      xmin = fmin(xmin, c[idx[k]].x);
      xmax = fmax(xmax, c[idx[k]].x);
    }
  if (nlines) {
    script_head(gp, s, w, slug, 800);
    fprintf(gp, "set yrange [0:*]\n");
    if (xmin > 0 && xmax / xmin >= 16) fprintf(gp, "set logscale x 2\n");
    fprintf(gp, "set xlabel ");
    char xl[256];
    snprintf(xl, sizeof xl, "%s %s", s->sweep_axis, s->sweep_param);
    gp_str(gp, xl);
    fprintf(gp, "\nset key below\nset offsets graph 0.03, graph 0.03, 0, graph 0.05\nplot ");
    for (int l = 0; l < nlines; l++) {
      fprintf(gp, "%s'plot-%s.dat' index %d using 1:2:3:4 with yerrorlines title ",
              l ? ", \\\n     " : "", slug, l);
      gp_str(gp, labels[l]);
    }
    fprintf(gp, "\n");
  }
  free(pts);
  free(labels);
  return nlines;
}

/* ==== a plot per workload ============================================ */

static void plot_one(const report_set *s, const report_cell *c, const int *idx, int m,
                     const char *gpprog, report_files *out) {
  const char *w = c[idx[0]].first->ax[0];
  char slug[128], name[160], path[PATH_MAX];
  size_t n = 0;
  for (const char *p = w; *p && n + 1 < sizeof slug; p++)
    slug[n++] = isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_' ? *p : '_';
  slug[n] = 0;
  snprintf(path, sizeof path, "%s/plot-%s.dat", s->dir, slug);
  FILE *dat = fopen(path, "w");
  snprintf(path, sizeof path, "%s/plot-%s.gp", s->dir, slug);
  FILE *gp = dat ? fopen(path, "w") : NULL;
  if (!dat || !gp) {
    fprintf(stderr, "rtlab: warning: no plot for %s: cannot write %s\n", w, path);
    if (dat) fclose(dat);
    return;
  }
  int drawn = s->sweep_axis ? write_sweep(s, c, idx, m, w, slug, dat, gp)
                            : write_bars(s, c, idx, m, w, slug, dat, gp);
  bool bad = fclose(dat) != 0;
  bad |= fclose(gp) != 0;
  if (!drawn || bad) {
    if (!drawn && s->sweep_axis)
      fprintf(stderr, "rtlab: warning: no plot for %s: no good trial has %s.params.%s\n", w,
              s->sweep_axis, s->sweep_param);
    else if (bad)
      fprintf(stderr, "rtlab: warning: no plot for %s: cannot write its data or script\n", w);
    snprintf(path, sizeof path, "%s/plot-%s.dat", s->dir, slug);
    unlink(path);
    snprintf(path, sizeof path, "%s/plot-%s.gp", s->dir, slug);
    unlink(path);
    return;
  }
  snprintf(name, sizeof name, "plot-%s.gp", slug);
  int rc = gnuplot_run(gpprog, s->dir, name);
  snprintf(path, sizeof path, "%s/plot-%s.svg", s->dir, slug);
  struct stat st;
  if (rc != 0 || stat(path, &st) != 0 || st.st_size == 0) {
    fprintf(stderr, "rtlab: warning: gnuplot failed on %s/%s (exit %d); the table, CSV and "
            "JSON are unaffected\n", s->dir, name, rc);
    return;
  }
  snprintf(name, sizeof name, "plot-%s.svg", slug);
  report_files_add(out, s->dir, name);
}

void report_plots(const report_set *s, const report_cell *c, int ncells, report_files *out) {
  char buf[PATH_MAX];
  const char *gp = gnuplot_find(buf, sizeof buf);
  const char *env = getenv("RTLAB_GNUPLOT");
  if (!gp) {
    if (env && *env)
      fprintf(stderr, "rtlab: warning: RTLAB_GNUPLOT=%s: not found; no plots\n", env);
    else if (!env)
      fprintf(stderr, "rtlab: note: no plots: gnuplot is not on PATH (install gnuplot-nox)\n");
    return;
  }
  int *idx = malloc((size_t)(ncells ? ncells : 1) * sizeof *idx);
  bool *done = calloc((size_t)(ncells ? ncells : 1), sizeof *done);
  for (int i = 0; idx && done && i < ncells; i++) {
    if (done[i]) continue;
    int m = 0;
    for (int j = i; j < ncells; j++)
      if (!done[j] && strcmp(c[j].first->ax[0], c[i].first->ax[0]) == 0) {
        done[j] = true;
        idx[m++] = j;
      }
    plot_one(s, c, idx, m, gp, out);
  }
  free(idx);
  free(done);
}
