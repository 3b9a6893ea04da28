/*
** peers.h: finding the peer programs of an experiment (Go's runtime running
** the same workloads) on this machine, and which workloads each runs.
*/
#ifndef RTLAB_PEERS_H
#define RTLAB_PEERS_H

#include "expt.h"

#include <limits.h>
#include <stdbool.h>

/* A peer found on this machine and the workloads it runs. */
typedef struct peer_found {
  const char *name;        /* "go" */
  char path[PATH_MAX];     /* its program */
  char *names;             /* "\nyield\nspawn\n...": its -list output */
} peer_found;

/* The peers found by peers_find. */
extern peer_found run_peers[EXPT_MAXPEERS];
extern int run_npeers;

/* Looks for each of e's peers beside rtlab (DIR/peers/PROG, where self is
** rtlab's path), in $RTLAB_PEERS, then on PATH, and asks it for its
** workloads (PROG -list).  A peer that is missing is reported on stderr
** with how to install it, and left out. */
void peers_find(const expt *e, const char *self);
/* A found peer by name, or NULL. */
const peer_found *peer_get(const char *name);
/* Whether a found peer runs the workload of that name. */
bool peer_runs(const char *peer, const char *workload);

#endif
