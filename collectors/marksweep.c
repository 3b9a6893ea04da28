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
** MS_MARK for this cycle and MS_NOSCAN, set at allocation.  The grey set
** is an explicit stack, not recursion, so a long list cannot overflow the
** G's stack; should it fail to grow, every marked object is scanned again
** until nothing new is marked.  The mark loop calls the allocator's find
** directly (rt_heap_finder): base, size and mark byte in one look-up.
** Sweeping is the allocator's (rt_heap_sweep, world stopped): unmarked
** objects are freed, the marks of the others cleared.
**
** Not yet here: marking on every P at once (the parallel mark the issue
** asks for) and lazy sweeping; both change the pause, not what is freed.
*/
#include <stdlib.h>
#include <string.h>

#include "rt_module.h"

#define MS_MARK 0x1u          /* in the mark byte: reached this cycle */
#define MS_NOSCAN 0x2u        /* in the mark byte: holds no pointers */
#define MS_MIN_HEAP (4 << 20) /* the first goal, and the least (Go's) */
#define MS_FLUSH 65536        /* a P adds its allocations to the shared count every so many bytes */

enum { P_GOGC };
static const rt_param ms_params[] = {
  {"gogc", RT_PT_INT, 100, 1, 100000, NULL,
   "next cycle when the heap has grown this many percent over the live heap (Go's GOGC)"},
};

/* Per P: bytes allocated not yet added to the shared count. */
typedef struct ms_p {
  int64_t pending;            /* bytes since the last flush */
} ms_p;

/* A grey object: where it starts and how many bytes to scan. */
typedef struct ms_grey {
  const char *base;           /* its first byte */
  size_t size;                /* its usable bytes */
} ms_grey;

/* Shared. */
typedef struct ms_shared {
  _Atomic int64_t since;      /* bytes allocated since the last cycle */
  _Atomic int64_t budget;     /* bytes allowed before the next one */
  _Atomic int collecting;     /* a cycle is under way */
  int64_t live;               /* live bytes the last cycle left */
  ms_grey *stack;             /* the grey objects (world stopped: the
                                 stopper's alone) */
  size_t n, cap;              /* used, room */
  uintptr_t lo, hi;           /* the heap's bounds (rt_heap_bounds) */
  rt_heap_find_fn find;       /* the heap's find (rt_heap_finder) */
  rt_ap *fap;                 /* the view to pass it */
  bool oom;                   /* the grey stack could not grow */
} ms_shared;

static int ms_init(rt_gp *p) {
  ms_shared *s = p->shared;
  if (p->id == 0) {
    atomic_store(&s->budget, MS_MIN_HEAP);
    rt_heap_bounds(&s->lo, &s->hi);
    s->find = rt_heap_finder(&s->fap);
  }
  return RT_OK;
}

static void ms_fini(rt_gp *p) {
  ms_shared *s = p->shared;
  if (p->id != 0) return;
  free(s->stack);
  s->stack = NULL;
}

/* v may point into a live object: mark it, grey unless pointer-free. */
static inline void ms_mark(ms_shared *s, const void *v) {
  if ((uintptr_t)v - s->lo >= s->hi - s->lo) return;  /* NULL, numbers, stacks */
  size_t size;
  uint8_t *m;
  const char *base = s->find(s->fap, v, &size, &m);
  if (!base || (*m & MS_MARK)) return;
  *m |= MS_MARK;
  if (*m & MS_NOSCAN) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 4096;
    ms_grey *st = realloc(s->stack, cap * sizeof *st);
    if (!st) {  /* cannot grey it: keep the objects it points to by rescanning later */
      s->oom = true;
      return;
    }
    s->stack = st;
    s->cap = cap;
  }
  s->stack[s->n++] = (ms_grey){base, size};
}

/* Reads every word in range, stacks included: under AddressSanitizer
** that means their redzones, which only a conservative scan may read. */
__attribute__((no_sanitize("address")))
static void ms_scan(const void *lo, const void *hi, void *arg) {
  ms_shared *s = arg;
  uintptr_t a = ((uintptr_t)lo + sizeof(void *) - 1) & ~(uintptr_t)(sizeof(void *) - 1);
  for (const void *const *w = (const void *const *)a; (const void *)(w + 1) <= hi; w++)
    ms_mark(s, *w);
}

static void ms_drain(ms_shared *s) {
  while (s->n) {
    ms_grey g = s->stack[--s->n];
    ms_scan(g.base, g.base + g.size, s);
  }
}

/* After the grey stack could not grow: every marked object that may hold
** pointers is scanned again, which greys what the lost entries held. */
static void ms_rescan1(void *base, size_t size, void *arg) {
  if ((*rt_heap_mark_of(base) & (MS_MARK | MS_NOSCAN)) == MS_MARK)
    ms_scan(base, (char *)base + size, arg);
}

static void ms_collect(rt_gp *p, int reason) {
  (void)reason;
  ms_shared *s = p->shared;
  rt_gccycle c = {.pause_start = rt_now()};
  if (!rt_stw_start(&c.ttsp_ns)) return;  /* another G collected meanwhile */
  int64_t t0 = rt_now();
  c.heap_before = s->live + atomic_load(&s->since);
  s->n = 0;
  s->oom = false;
  rt_stw_stacks(ms_scan, s);
  rt_gc_roots(ms_scan, s);
  ms_drain(s);
  while (s->oom) {
    s->oom = false;
    rt_heap_walk(ms_rescan1, s);
    ms_drain(s);
  }
  int64_t t1 = rt_now();
  rt_heap_sweep(MS_MARK, &s->live);
  int64_t t2 = rt_now();
  int64_t goal = s->live + s->live * p->param[P_GOGC].i / 100;
  if (goal < MS_MIN_HEAP) goal = MS_MIN_HEAP;
  atomic_store(&s->budget, goal - s->live);
  atomic_store(&s->since, 0);
  c.mark_ns = t1 - t0;
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
  .nparams = 1,
  .state_size = sizeof(ms_p),
  .shared_size = sizeof(ms_shared),
  .caps = RT_GCC_FIND,
  .init = ms_init,
  .fini = ms_fini,
  .on_alloc = ms_on_alloc,
  .collect = ms_collect,
};

const rt_gc_ops *rt_gc_marksweep(void) { return &ms_ops; }
