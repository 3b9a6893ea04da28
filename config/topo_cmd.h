/*
** topo_cmd.h: `rtlab topo`, the topology and placement plan a runtime
** would use (the verb row lives in rtlab.c's verbs table).
*/
#ifndef RTLAB_TOPO_CMD_H
#define RTLAB_TOPO_CMD_H

#include "cli.h"

/* rtlab topo [--topology S] [--procs N] [--placement P] [--json]
** Prints the topology tree and the plan (P, PU, node per P); with --json
** one line: {"numa_nodes":..,"pus":..,"placement":[{"p":0,"pu":..,"node":..}
** ,...], ...}.  0 on success, EXIT_USAGE for bad input. */
int cmd_topo(const cli_verb *v, int argc, char **argv);

#endif
