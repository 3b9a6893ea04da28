/*
** cbench.h: a C face for Google Benchmark, so micro-benchmarks of a C
** runtime are written in C.
**
** A benchmark is a function that loops while cbench_keep_running says so
** and times only that loop (benchmark::State underneath: the timer starts
** at the first call and stops when it returns false).  The benchmarks of a
** program are one table, cbench_table, ended by an all-zero row; cbench.cc
** registers every row and owns main(), so the program takes Google
** Benchmark's flags (--benchmark_filter=REGEX, --benchmark_format=json,
** --benchmark_repetitions=N, ...).
*/
#ifndef CBENCH_H
#define CBENCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cbench_state cbench_state;  /* one run of one benchmark */

/* True while the benchmark should do one more iteration. */
bool cbench_keep_running(cbench_state *s);
/* The i-th argument of this run (the table row's arg is argument 0); 0
** when the run has no such argument. */
int64_t cbench_range(cbench_state *s, int i);
/* Items processed in total: reported as items per second. */
void cbench_set_items(cbench_state *s, int64_t items);
/* A named value reported next to the time (e.g. "ns_per_switch"). */
void cbench_counter(cbench_state *s, const char *name, double value);
/* Stop and restart the timer around work that should not count. */
void cbench_pause(cbench_state *s);
void cbench_resume(cbench_state *s);
/* Marks this run as failed with a message; keep_running then returns
** false, and the benchmark should return without looping. */
void cbench_skip(cbench_state *s, const char *msg);

typedef struct cbench_def {
  const char *name;              /* benchmark name, e.g. "yield/go" */
  void (*fn)(cbench_state *s);   /* the benchmark */
  int64_t arg;                   /* argument 0; 0 = the row takes none */
} cbench_def;

/* Defined by the benchmark program; ends with a row whose name is NULL. */
extern const cbench_def cbench_table[];

#ifdef __cplusplus
}
#endif
#endif
