/*
** none.c: the collector that never collects.
**
** Objects live until the run ends (their memory goes back with the heap
** at rt_run's end; rt_free still works).  It is the baseline of every
** collector table: what the program costs with no collection at all, so
** the overhead of a collector is its time over this one's (the lower
** bound of Cai et al., "Distilling the real cost of production garbage
** collectors", ISPASS 2022).  It needs nothing from the allocator, so it
** runs with any, the wrappers of system allocators included.
*/
#include "rt_module.h"

static const rt_gc_ops none_ops = {
  .abi = RT_ABI_VERSION,
  .name = "none",
  .summary = "never collects: the baseline for a collector's overhead",
};

const rt_gc_ops *rt_gc_none(void) { return &none_ops; }
