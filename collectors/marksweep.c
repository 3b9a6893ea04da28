/*
** marksweep.c: a stop-the-world mark-sweep collector.
**
** When the heap has grown by gogc percent over what the last cycle left
** live (4 MiB at least, as Go's minimum heap), the allocating G stops the
** world, marks everything reachable from the roots the framework lists
** (every G's stack and saved registers, registered roots, channel buffers,
** G arguments), sweeps, and starts the world again: one pause per cycle.
**
** Marking is conservative: any aligned word that points into a live
** object (the allocator's base_of: interior pointers count) keeps that
** object and, unless it was allocated RT_AF_NOSCAN, gets it scanned in
** turn.  Each object's mark byte (the allocator's mark_of) holds two bits:
** MS_MARK for this cycle and MS_NOSCAN, set at allocation.  The mark loop
** calls the allocator's find directly (rt_heap_finder): base, size and
** mark byte in one look-up.  The mark loop is the framework's (rt_marker),
** which the concurrent collector runs too.
**
** Marking runs on every M that stopped with its P (rt_mark_world over
** rt_stw_parallel): the stopper scans the roots, and all drain the grey
** objects through the framework's shared mark queue (rt_gcw, Go's
** gcWork), so a long list cannot overflow a stack and idle workers take
** buffers from busy ones.  Sweeping is the allocator's (rt_heap_sweep, by
** the stopper): unmarked objects are freed, the marks of the others
** cleared.
**
** Not yet here: lazy sweeping and a parallel sweep; both change the
** pause, not what is freed.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_module.h"

#define MS_MARK 0x1u          /* in the mark byte: reached this cycle */
#define MS_NOSCAN 0x2u        /* in the mark byte: holds no pointers */
#define MS_VERIFY 0x4u        /* in the mark byte: reached by the verify pass */
#define MS_MIN_HEAP (4 << 20) /* the first goal, and the least (Go's) */
#define MS_FLUSH 65536        /* a P adds its allocations to the shared count every so many bytes */

enum { P_GOGC, P_VERIFY };
static const rt_param ms_params[] = {
  {"gogc", RT_PT_INT, 100, 1, 100000, NULL,
   "next cycle when the heap has grown this many percent over the live heap (Go's GOGC)"},
  {"verify", RT_PT_BOOL, 0, 0, 1, NULL,
   "after each mark, mark again on one thread and stop the program if that reached an "
   "object the mark missed (slow: for testing collectors)"},
};

/* Per P: bytes allocated not yet added to the shared count. */
typedef struct ms_p {
  int64_t pending;            /* bytes since the last flush */
} ms_p;

/* Shared. */
typedef struct ms_shared {
  _Atomic int64_t since;      /* bytes allocated since the last cycle */
  _Atomic int64_t budget;     /* bytes allowed before the next one */
  _Atomic int collecting;     /* a cycle is under way */
  int64_t live;               /* live bytes the last cycle left */
  rt_markq *mq;               /* the grey objects, shared by the workers */
} ms_shared;

static int ms_init(rt_gp *p) {
  ms_shared *s = p->shared;
  if (p->id == 0) {
    atomic_store(&s->budget, MS_MIN_HEAP);
    s->mq = rt_markq_new(p->nprocs);
    if (!s->mq) return RT_ENOMEM;
  }
  return RT_OK;
}

static void ms_fini(rt_gp *p) {
  ms_shared *s = p->shared;
  if (p->id != 0) return;
  rt_markq_free(s->mq);
  s->mq = NULL;
}

static void ms_collect(rt_gp *p, int reason) {
  (void)reason;
  ms_shared *s = p->shared;
  rt_gccycle c = {.pause_start = rt_now()};
  if (!rt_stw_start(&c.ttsp_ns)) return;  /* another G collected meanwhile */
  c.heap_before = s->live + atomic_load(&s->since);
  c.mark_ns = rt_mark_world(s->mq, MS_MARK, MS_NOSCAN, true, true);
  if (p->param[P_VERIFY].i) rt_mark_verify(s->mq, MS_MARK, MS_VERIFY, MS_NOSCAN, "marksweep");
  int64_t t1 = rt_now();
  rt_heap_sweep(MS_MARK, &s->live);
  int64_t t2 = rt_now();
  int64_t goal = s->live + s->live * p->param[P_GOGC].i / 100;
  if (goal < MS_MIN_HEAP) goal = MS_MIN_HEAP;
  atomic_store(&s->budget, goal - s->live);
  atomic_store(&s->since, 0);
  c.sweep_ns = t2 - t1;
  c.heap_after = s->live;
  c.heap_goal = goal;
  rt_stw_end();
  c.pause_end = rt_now();
  rt_gc_cycle_done(&c);
}

static void ms_on_alloc(rt_gp *p, void *obj, size_t size, unsigned flags) {
  /* A fresh object's mark byte is 0 (the allocator's contract): only a
  ** pointer-free one needs a look-up, for its bit.  A tiny sub-object
  ** shares its block's byte; tiny blocks are pointer-free alike. */
  if (flags & RT_AF_NOSCAN) *rt_heap_mark_of(obj) |= MS_NOSCAN;
  ms_p *mp = p->state;
  mp->pending += (int64_t)(size ? size : 1);
  if (mp->pending < MS_FLUSH) return;
  ms_shared *s = p->shared;
  int64_t since = atomic_fetch_add(&s->since, mp->pending) + mp->pending;
  mp->pending = 0;
  if (since < atomic_load(&s->budget)) return;
  int zero = 0;
  if (!atomic_compare_exchange_strong(&s->collecting, &zero, 1)) return;  /* someone is at it */
  ms_collect(p, RT_GC_HEAP);
  atomic_store(&s->collecting, 0);
}

static const rt_gc_ops ms_ops = {
  .abi = RT_ABI_VERSION,
  .name = "marksweep",
  .summary = "stop-the-world conservative mark-sweep, GOGC-style trigger",
  .params = ms_params,
  .nparams = 2,
  .state_size = sizeof(ms_p),
  .shared_size = sizeof(ms_shared),
  .caps = RT_GCC_FIND,
  .init = ms_init,
  .fini = ms_fini,
  .on_alloc = ms_on_alloc,
  .collect = ms_collect,
};

const rt_gc_ops *rt_gc_marksweep(void) { return &ms_ops; }
