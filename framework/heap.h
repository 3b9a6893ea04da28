/*
** heap.h: the allocator of a run (internal; the public face is rt_alloc,
** rt_free and rt_heap_stats in rt.h).
*/
#ifndef RT_HEAP_H
#define RT_HEAP_H

#include "ctx.h"   /* RT_TSAN */
#include "rt_module.h"

/* Per-P tables (the heap's P views, the scheduler's Ps) take whole cache
** lines, two at a time for the adjacent-line prefetcher: the owner of a P
** writes its entry on every operation, and two Ps writing one line would
** bounce it between their cores (false sharing). */
#define HEAP_LINE 128

/* n zeroed bytes aligned to HEAP_LINE, in whole lines; NULL when out of
** memory.  free() gives them back. */
void *heap_lines(size_t n);

/* Resolves spec (NULL: "system"), makes one rt_ap per P and runs the
** allocator's init on each, P 0 first.  RT_OK, or a code with a message
** (nothing is left behind). */
int heap_start(const char *spec, int procs, char *err, size_t errlen);
/* The running allocator (NULL between runs): gc_start checks that a
** collector that finds objects has one that can. */
const rt_alloc_ops *heap_ops(void);

/* Time spent in sweeps spread over time (rt_heap_sweep_begin) this run,
** summed over the Gs that swept: gcstats' sweep_ns counts it. */
int64_t heap_sweep_ns(void);

/* Runs fini on each P, P 0 last, keeps the summed figures for
** rt_heap_stats and frees the rest. */
void heap_stop(void);

/* Debug builds (no NDEBUG) fill a fresh object not asked RT_AF_ZERO with
** HEAP_FRESH_BYTE and a freed one with HEAP_FREED_BYTE, over its usable
** size: HEAP_FILLS is 1 when this build fills. */
#ifndef NDEBUG
#define HEAP_FILLS 1
#else
#define HEAP_FILLS 0
#endif
/* Whether the run's objects are filled, for an allocator of capabilities
** caps.  Under TSan a wrapper's objects are not (wrappers are the
** allocators without RT_AC_FIND): the wrapped library is not built with
** TSan and reuses memory through synchronisation TSan cannot see, so a
** fill would read as a race with the object's last owner. */
static inline bool heap_fills(unsigned caps) {
#ifdef RT_TSAN
  return HEAP_FILLS && (caps & RT_AC_FIND);
#else
  (void)caps;
  return HEAP_FILLS;
#endif
}
#define HEAP_FRESH_BYTE 0xA5
#define HEAP_FREED_BYTE 0xDD
/* rt_realloc keeps an object of at most this many usable bytes in place
** whenever it holds the new size. */
#define HEAP_KEEP_SMALL 64

#endif
