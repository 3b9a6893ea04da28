/*
** report.h: what a run left in DIR, turned into something to read.
**
** `rtlab run FILE.lua --out DIR` leaves DIR/experiment.json (axes,
** baseline, metric, machine header) and DIR/results.jsonl (one record per
** trial).  The report groups the records by cell, takes the median, min
** and max of the metric over the good repetitions (status ok, not a
** warm-up, metric present), divides each median by its baseline cell's,
** and prints a header and a markdown table.  It also writes, in DIR:
**   results.csv      one row per trial record (RFC 4180 quoting, LF line ends)
**   summary.json     the experiment + one object per cell, in table order
**   plot-W.svg       per workload W, when gnuplot is on PATH (bars with
**                    min/max whiskers, or lines over the swept parameter);
**                    plot-W.gp and plot-W.dat beside it are its script and data
** Rows run workload-major, then the other axes in declaration order
** (module values in the order the experiment listed them, numbers
** ascending, other values in natural order); peer rows come after the
** rtlab rows of their workload.  The order never depends on the order of
** the records, so a merge of shards reports exactly like a single run.
**
** `rtlab merge DIR... --out OUT` unions the records of shards of one
** experiment by key into OUT, then reports on OUT.
**
** Return codes, of the functions and of the verbs:
**   0           done (plot failures are only warnings)
**   1           an input file missing or unreadable, or an output not writable
**   EXIT_USAGE  (2) bad arguments, malformed experiment.json or results.jsonl,
**               a metric no trial has, shards of different experiments
** A final partial line of results.jsonl (a runner killed mid-write) is
** skipped with a warning on stderr; a malformed line elsewhere is an error.
*/
#ifndef RTLAB_REPORT_H
#define RTLAB_REPORT_H

#include "cli.h"

#include <stddef.h>
#include <stdio.h>

/* Reports on DIR with the experiment's metric: header and table, then the
** list of files written, on out; warnings on stderr.  Returns 0, or a
** code above with a message in err (which names the file at fault). */
int report_dir(const char *dir, FILE *out, char *err, size_t errlen);

/* The same with another metric (a dotted path into each trial's object,
** e.g. "latency.p99_ns"; a path the trial lacks is looked up in the
** runner's record, e.g. "maxrss_kb").  NULL: the experiment's. */
int report_dir_metric(const char *dir, const char *metric, FILE *out, char *err, size_t errlen);

/* rtlab report DIR [--metric PATH] */
int cmd_report(const cli_verb *v, int argc, char **argv);

/* rtlab merge DIR... [--out DIR]  (default out: merged) */
int cmd_merge(const cli_verb *v, int argc, char **argv);

#endif
