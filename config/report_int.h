/*
** report_int.h: what report.c, report_data.c and report_plot.c share
** inside the report: one directory's result set as read from disk, the
** cells of the table, and the list of files written.  Not a public face:
** see report.h for that.
*/
#ifndef RTLAB_REPORT_INT_H
#define RTLAB_REPORT_INT_H

#include "jsonr.h"
#include "pool.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPORT_MAXAXES 16     /* columns an experiment may have */
#define REPORT_NONE INT64_MIN /* an integer field the record lacks */

/* One trial record of results.jsonl (strings live in the set's pool). */
typedef struct report_rec {
  const char *key;         /* stable id of (cell, rep, warmup) */
  const char *cell;        /* the cell id: records are grouped by it */
  const char *peer;        /* the peer's name, or NULL for an rtlab row */
  const char *ax[REPORT_MAXAXES];  /* display value per experiment axis */
  const char *status;      /* ok | crash | timeout | error */
  int64_t rep;             /* repetition, from 0 */
  bool warmup;             /* a warm-up: never counted */
  int64_t signal;          /* for a crash, else REPORT_NONE */
  bool has_metric;         /* metric holds the trial's value of the metric */
  double metric;           /* the value */
  double x;                /* the swept parameter's value, or NAN */
  int64_t wall_ns, user_ns, sys_ns, maxrss_kb;  /* the runner's measures, or REPORT_NONE */
  const char *line;        /* the record's text in the file (no newline) */
  size_t len;              /* its length */
} report_rec;


/* One directory's result set: experiment.json and results.jsonl. */
typedef struct report_set {
  char dir[3072];          /* the directory as given (room left for a file name) */
  char *etext;             /* experiment.json's bytes (merge copies them) */
  size_t elen;             /* their length */
  jsonr_doc *edoc;         /* experiment.json, parsed */
  const jsonr_val *expt;   /* its root object */
  const char *name;        /* the experiment's name */
  int naxes;               /* table columns before the numbers */
  const char *axes[REPORT_MAXAXES];  /* "workload", then the matrix axes */
  const char *metric;      /* dotted path: into "trial", else into the record */
  bool lower_is_better;    /* how to read a ratio */
  int64_t planned;         /* planned trials without warm-ups, or -1 */
  const char *sweep_axis;  /* experiment.json sweep.axis, or NULL */
  const char *sweep_param; /* sweep.param */
  char *text;              /* results.jsonl's bytes */
  size_t len;              /* their length */
  report_rec *recs;        /* records, first occurrence of each key, file order */
  int nrecs, caprecs;      /* how many, room for */
  int dups;                /* records dropped for repeating a key */
  int *hash;               /* open addressing: index into recs by key, -1 empty */
  int hcap;                /* slots in hash (a power of two, or 0) */
  size_t partial;          /* bytes of a partial last line ignored, or 0 */
  pool_chunk *pool;        /* strings of the records */
} report_set;

/* A cell of the table: the records of one cell id. */
typedef struct report_cell {
  const char *id;          /* the cell id */
  const report_rec *first; /* its first record: axes and peer */
  int rank[REPORT_MAXAXES + 1];  /* sort key: workload, peer?, the other axes */
  int total;               /* records that are not warm-ups */
  int good;                /* of those: ok with a metric */
  int nstatus[4];          /* of those: ok, crash, timeout, error */
  int nometric;            /* ok but without the metric */
  double median, min, max; /* over the good ones (NAN when none) */
  double x;                /* median of the swept parameter, or NAN */
  int base;                /* index of the baseline cell, or -1 */
  double ratio;            /* median / the baseline's median, or NAN */
} report_cell;

/* Files a report wrote, for the list at its end. */
typedef struct report_files {
  char **v;                /* paths */
  int n, cap;              /* how many, room for */
} report_files;

extern const char *const report_statuses[4];  /* "ok", "crash", "timeout", "error" */

/* ---- report_data.c ---- */
/* Reads DIR/experiment.json and DIR/results.jsonl into s (metric NULL:
** the experiment's).  0, or 1 / EXIT_USAGE with a message in err; s is
** always safe to free. */
int report_load(report_set *s, const char *dir, const char *metric, char *err, size_t errlen);
void report_set_free(report_set *s);
/* Keeps r unless its key is there already: then the ok one of the two
** wins (the earlier on a tie) and s->dups counts one more.  -1: no memory. */
int report_add(report_set *s, const report_rec *r);

/* ---- report.c ---- */
void report_files_add(report_files *f, const char *dir, const char *name);
/* Numbers for people: about 3 significant digits, no exponent in
** ordinary ranges ("16.6", "0.505", "1234", "1.00"). */
void report_fmt(double v, char *buf, size_t len);
/* "ns/op" for "ns_per_op", "p99 ns" for "latency.p99_ns". */
void report_unit(const char *metric, char *buf, size_t len);

/* ---- report_plot.c ---- */
/* Writes DIR/plot-W.svg per workload when gnuplot is found ($RTLAB_GNUPLOT,
** else "gnuplot" on PATH; RTLAB_GNUPLOT="" turns plots off).  cells are in
** table order.  Failures are warnings on stderr, never errors. */
void report_plots(const report_set *s, const report_cell *cells, int ncells, report_files *out);

/* Writes a message into err and returns rc (report.c). */
__attribute__((format(printf, 4, 5)))
int report_fail(char *err, size_t errlen, int rc, const char *fmt, ...);

#endif
