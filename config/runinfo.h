/*
** runinfo.h: the files a run writes besides its results: DIR/experiment.json
** (what a report needs to know of the experiment and the machine) and the
** slurm scripts of --emit-slurm.
*/
#ifndef RTLAB_RUNINFO_H
#define RTLAB_RUNINFO_H

#include "expt.h"

#include <stddef.h>

/* The current UTC time as 2026-11-23T10:00:00Z. */
void runinfo_utc(char *buf, size_t len);

/* Writes DIR/experiment.json (through a temporary file and a rename):
** axes and their values, fixed settings, metric, baseline, planned trials,
** and the header (date, revision, host, CPU, cores, topology, command,
** peers, every module with its resolved parameters, every runtime value
** with its resolved options).  argv is the verb's
** (argv[0] = "run"); self is rtlab's path.  0, or -1 with errno set. */
int runinfo_experiment(const char *dir, const expt *e, const expt_plan *pl, int argc,
                       char **argv, const char *self);

/* Writes DIR/slurm/{array,merge}.sbatch and submit.sh: a job array of
** `shards` tasks, each `rtlab run --shard I/N --resume` into its own
** directory, then one job that merges them into DIR.  0 or -1. */
int runinfo_slurm(const char *dir, const expt *e, const expt_plan *pl, const char *self,
                  int shards);

#endif
