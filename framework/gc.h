/*
** gc.h: the collector boundary's framework side (internal): the run's
** collector, its per-P views, the registered roots and the figures.
** Collections themselves (stop-the-world, root scans, mark queues) are
** services this file will grow as collectors that need them land; the
** baseline collector (none) needs none.
*/
#ifndef GC_H
#define GC_H

#include "rt_module.h"

/* Resolves spec (NULL: "none") against the running allocator (heap_start
** first: a collector that finds objects needs an allocator that can),
** makes one rt_gp per P and runs init on each.  RT_OK or a code with a
** message; nothing is left behind on error. */
int gc_start(const char *spec, int procs, char *err, size_t errlen);
/* Runs fini on each P, keeps the figures for rt_gc_stats, frees the rest. */
void gc_stop(void);

/* The collector's on_alloc, NULL when it has none (read on every
** rt_alloc: one load and a branch for collectors without one). */
extern void (*gc_on_alloc)(rt_gp *p, void *obj, size_t size, unsigned flags);
void gc_call_on_alloc(int pid, void *obj, size_t size, unsigned flags);

/* From rt_alloc on P pid, after a successful allocation. */
static inline void gc_after_alloc(int pid, void *obj, size_t size, unsigned flags) {
  if (__builtin_expect(gc_on_alloc != NULL, 0)) gc_call_on_alloc(pid, obj, size, flags);
}

#endif
