/*
** heap.h: the allocator of a run (internal; the public face is rt_alloc,
** rt_free and rt_heap_stats in rt.h).
*/
#ifndef RT_HEAP_H
#define RT_HEAP_H

#include "rt_module.h"

/* Resolves spec (NULL: "system"), makes one rt_ap per P and runs the
** allocator's init on each, P 0 first.  RT_OK, or a code with a message
** (nothing is left behind). */
int heap_start(const char *spec, int procs, char *err, size_t errlen);
/* Runs fini on each P, P 0 last, keeps the summed figures for
** rt_heap_stats and frees the rest. */
void heap_stop(void);

#endif
