/*
** topo.h: the runtime's side of topology and placement (internal; the
** public side, rt_topo_plan and friends, is in rt.h, the services for
** policies, rt_sp_node and friends, in rt_module.h).
**
** rt_run calls topo_start before the policy's init ops, so the plan is
** fixed before any M starts, and topo_stop on its own thread after every
** M has been joined.  Between the two, the plan is read-only.  Tests of
** node-aware policies call the pair themselves around fake Ps to give
** them a synthetic topology.
*/
#ifndef TOPO_H
#define TOPO_H

#include "rt.h"

/* Loads the topology (NULL or "machine": this one; else synthetic), plans
** `placement` (NULL = none) for procs >= 1 Ps and decides whether Ms are
** bound; on this thread (M0), remembers its binding to restore it in
** topo_stop.  RT_OK, or RT_EINVAL / RT_ENOMEM with a message in err. */
int topo_start(const char *topology, const char *placement, int procs,
               char *err, size_t errlen);

/* The calling thread (an M) takes P pid after having been bound for P
** prev (-1: never bound).  Binds it to pid's place when binding is on and
** the place differs from prev's; else does nothing. */
void topo_bind(int pid, int prev);

/* Binds the memory of [addr, addr + len) to NUMA node `node` (logical
** index, as rt_sp_node) of the run's topology with hwloc's area membind
** (HWLOC_MEMBIND_BIND): pages touched later come from that node.  Returns
** 1 when bound; 0 when there is nothing to do (node < 0, no run, one node,
** a synthetic topology); -ENOSYS when hwloc cannot bind memory areas
** here; RT_EINVAL for a node out of range; another -errno when the OS
** refuses.  Any thread during a run (the arena calls it from any M). */
int topo_membind(void *addr, size_t len, int node);

/* Ends the run's placement: restores M0's binding (call it on the thread
** that called topo_start), frees the topology and the plan; rt_topo_bound
** keeps answering for the run that ended. */
void topo_stop(void);

#endif
