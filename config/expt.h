/*
** expt.h: an experiment as the runner sees it, and its expansion into
** trials.
**
** lconf.c fills an expt from `rtlab.experiment{...}` after checking every
** value; from then on everything is canonical strings (the values a child
** `rtlab trial` receives), so expansion, keys and sharding are plain C
** and do not depend on Lua's table order.
**
** A cell is one point of the matrix for one workload: workload x the
** product of the axes (in the settings table's order), minus those the
** experiment's `where` rejects, plus one cell per peer x workload x procs.
** A trial is a cell and a repetition.  Trials are ordered repetition-major
** (every cell's rep 0, then every cell's rep 1, ...) so that drift over a
** long sweep spreads over all cells evenly; warm-up repetitions come first.
*/
#ifndef RTLAB_EXPT_H
#define RTLAB_EXPT_H

#include "settings.h"

#include <stdbool.h>
#include <stdint.h>

#define EXPT_MAXSET 32     /* settings the table may grow to */
#define EXPT_MAXPEERS 8    /* peers one experiment may ask for */

/* One axis of the matrix: a setting and its values, in the order given. */
typedef struct expt_axis {
  const setting *set;      /* which setting varies */
  int n;                   /* how many values */
  char **vals;             /* canonical values */
} expt_axis;

typedef struct expt {
  char *name;              /* experiment name, [A-Za-z0-9_.-]+ */
  char *file;              /* the script it came from */
  int nwork;               /* workloads */
  char **work;             /* their canonical specs */
  int naxes;               /* axes of the matrix */
  expt_axis axes[EXPT_MAXSET];  /* in settings-table order */
  const char *fixed[EXPT_MAXSET];  /* per setting index: value for every
                              trial (fixed, else RTLAB_*, else default) */
  int reps;                /* measured repetitions per cell */
  int warmup;              /* unmeasured repetitions per cell, run first */
  double timeout;          /* seconds per trial before SIGTERM */
  int npeers;              /* peer programs asked for */
  char **peers;            /* their names ("go") */
  int nbase;               /* baseline pairs */
  char *base_key[EXPT_MAXSET];  /* axis names ("sched") */
  char *base_val[EXPT_MAXSET];  /* canonical values ("go", "peer:go") */
  char *metric;            /* dotted path into a trial's JSON */
  bool lower_is_better;    /* how to read the metric */
  char *sweep_axis;        /* axis built by rtlab.sweep, or NULL */
  char *sweep_param;       /* the parameter it sweeps */
  /* Optional filter: returns true to keep a cell whose values are vals
  ** (indexed like fixed; workload included).  ctx is lconf's. */
  bool (*where)(void *ctx, const char *const *vals, char *err, size_t errlen);
  void *where_ctx;         /* passed to where */
} expt;

/* One cell: every setting's value, for the trials of one matrix point. */
typedef struct expt_cell {
  const char *vals[EXPT_MAXSET];  /* per setting index (workload too), or NULL */
  const char *peer;        /* NULL for rtlab, else the peer's name */
  char *id;                /* "yield,n=200000|go|1": workload and axes, '|'-joined */
} expt_cell;

/* One trial. */
typedef struct expt_trial {
  int cell;                /* index into the cells */
  int rep;                 /* repetition, 0-based, counted apart for warm-ups */
  bool warmup;             /* not measured */
  char key[17];            /* stable id: hex of a hash of name, cell id, a
                              fixed runtime (expt.c), rep */
} expt_trial;

/* The expansion of an experiment. */
typedef struct expt_plan {
  int ncells;              /* cells */
  expt_cell *cells;        /* in workload-major matrix order, peers last */
  char *peer_label[EXPT_MAXPEERS];  /* "peer:NAME", the module value of peer cells */
  int ntrials;             /* trials, all shards */
  expt_trial *trials;      /* in run order */
} expt_plan;

/* A peer: a program that runs the same workloads on another runtime. */
typedef struct expt_peer {
  const char *name;        /* "go" */
  const char *program;     /* file name, looked up beside rtlab, in
                              RTLAB_PEERS, then on PATH */
  const char *install;     /* how to get it */
} expt_peer;

int expt_npeers(void);
const expt_peer *expt_peer_at(int i);
const expt_peer *expt_peer_find(const char *name);

/* Expands e into cells and trials; peers are added for those in
** peer_ok[] (the caller knows which are installed and which workloads
** they run: peer_runs(peer, workload name) says).  RT_OK, or RT_EINVAL /
** RT_ENOMEM with a message (a failing `where`). */
int expt_expand(const expt *e, bool (*peer_runs)(const char *peer, const char *workload),
                expt_plan *out, char *err, size_t errlen);
void expt_plan_free(expt_plan *p);

/* Whether trial i belongs to shard `shard` of `nshards` (1-based). */
bool expt_in_shard(int i, int shard, int nshards);

/* FNV-1a 64 of s, the hash behind trial keys. */
uint64_t expt_hash(const char *s, uint64_t h);
#define EXPT_HASH_INIT 0xcbf29ce484222325ull

void expt_free(expt *e);

#endif
