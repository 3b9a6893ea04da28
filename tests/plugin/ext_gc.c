/*
** ext_gc.c: an out-of-tree collector (.so) for test_plugin.sh: it claims
** to find objects (RT_GCC_FIND), so rt_run must refuse it over an
** allocator that cannot, and its barrier and collect only count.  It
** frees nothing: what it tests is the boundary, not collection.
*/
#include "rt_module.h"

/* Shared: calls seen (one writer at a time is enough for the test). */
typedef struct ext_shared {
  _Atomic unsigned long barriers;  /* rt_store_ptr calls */
  _Atomic unsigned long collects;  /* rt_gc calls */
} ext_shared;

static void ext_barrier(rt_gp *p, void **slot, void *v) {
  atomic_fetch_add(&((ext_shared *)p->shared)->barriers, 1);
  *slot = v;
}

static void ext_collect(rt_gp *p, int reason) {
  (void)reason;
  atomic_fetch_add(&((ext_shared *)p->shared)->collects, 1);
}

static const rt_gc_ops ext_ops = {
  .abi = RT_ABI_VERSION,
  .name = "extgc",
  .summary = "test collector: counts barriers and collections, frees nothing",
  .shared_size = sizeof(ext_shared),
  .caps = RT_GCC_FIND,
  .barrier = ext_barrier,
  .collect = ext_collect,
};

const rt_gc_ops *rt_module_gc(void) { return &ext_ops; }
