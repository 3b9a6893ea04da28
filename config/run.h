/*
** run.h: `rtlab run FILE.lua`, the runner of experiments.
*/
#ifndef RTLAB_RUN_H
#define RTLAB_RUN_H

#include "cli.h"

/* rtlab run FILE.lua [--out DIR] [--resume] [--reps N] [--dry-run]
**                    [--shard I/N] [--emit-slurm] [--shards N] */
int cmd_run(const cli_verb *v, int argc, char **argv);

#endif
