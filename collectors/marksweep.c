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
** mark byte in one look-up.
**
** Marking runs on every M that stopped with its P (rt_stw_parallel): the
** stopper scans the roots, and all drain the grey objects through the
** framework's shared mark queue (rt_gcw, Go's gcWork), so a long list
** cannot overflow a stack and idle workers take buffers from busy ones.
** A mark byte is set with a plain (relaxed atomic) store: two workers
** reaching one object at once may both scan it, which is harmless.
** Should a grey buffer fail to be allocated, every marked object is
** scanned again until nothing new is marked.
**
** Sweeping frees the unmarked objects and clears the others' marks.
** `sweep` eager (the default): the allocator's whole sweep in the pause
** (rt_heap_sweep, by the stopper).  lazy (Boehm's default): the pause only
** begins it, and
** allocating Gs sweep the allocator's parts in proportion to what they
** allocate, paced to be done halfway to the next cycle, the rest before
** the next mark (rt_heap_sweep_begin); an allocator without the spread
** sweep is swept eagerly.  With a lazy sweep the live heap the pacer
** counts is the bytes the mark marked, as Go's.  Lazy took a fifth off
** binarytrees' pauses (18 ms instead of 23 at depth 18) but 4% more time
** and 2.6 MiB more RSS (the heap grows before the dead are found), so
** eager stays the default of a collector whose point is throughput.
**
** Not yet here: a parallel sweep.
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

enum { P_GOGC, P_VERIFY, P_SWEEP };
enum { S_EAGER, S_LAZY };
static const rt_param ms_params[] = {
  {"gogc", RT_PT_INT, 100, 1, 100000, NULL,
   "next cycle when the heap has grown this many percent over the live heap (Go's GOGC)"},
  {"verify", RT_PT_BOOL, 0, 0, 1, NULL,
   "after each mark, mark again on one thread and stop the program if that reached an "
   "object the mark missed (slow: for testing collectors)"},
  {"sweep", RT_PT_ENUM, S_EAGER, 0, 0, "eager|lazy",
   "sweep in the pause (eager), or begin it there and let allocations do it (lazy)"},
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
  _Atomic bool sweeping;      /* a lazy sweep may have parts left */
  _Atomic int64_t marked;     /* bytes the mark marked (MS_MARK), summed */
  int64_t live;               /* live bytes the last cycle left */
  rt_markq *mq;               /* the grey objects, shared by the workers */
  bool rescan;                /* this drain starts from every marked object,
                                 not the roots (a grey buffer was lost) */
  uint8_t bit;                /* the bit this drain sets: MS_MARK, or
                                 MS_VERIFY in the verify pass */
  _Atomic int64_t mark_ns;    /* marking time, summed over the workers */
  uintptr_t lo, hi;           /* the heap's bounds (rt_heap_bounds) */
  rt_heap_find_fn find;       /* the heap's find (rt_heap_finder) */
  rt_ap *fap;                 /* the view to pass it */
} ms_shared;

/* One worker of a parallel mark. */
typedef struct ms_worker {
  ms_shared *s;               /* the collector */
  rt_gcw w;                   /* its grey buffers */
  int64_t marked;             /* bytes of the objects it marked */
} ms_worker;

static int ms_init(rt_gp *p) {
  ms_shared *s = p->shared;
  if (p->id == 0) {
    atomic_store(&s->budget, MS_MIN_HEAP);
    rt_heap_bounds(&s->lo, &s->hi);
    s->find = rt_heap_finder(&s->fap);
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

/* v may point into a live object: mark it, grey unless pointer-free. */
static inline void ms_mark(ms_worker *k, const void *v) {
  ms_shared *s = k->s;
  if ((uintptr_t)v - s->lo >= s->hi - s->lo) return;  /* NULL, numbers, stacks */
  size_t size;
  uint8_t *m;
  const char *base = s->find(s->fap, v, &size, &m);
  if (!base) return;
  uint8_t old = __atomic_load_n(m, __ATOMIC_RELAXED);
  if (old & s->bit) return;
  /* A store, not an atomic or: two workers that both find the object
  ** unmarked store the same byte and both grey it, and the second scan
  ** finds everything marked.  Rare, and cheaper than a locked
  ** instruction per object (Boehm's mark bytes rest on the same fact). */
  __atomic_store_n(m, old | s->bit, __ATOMIC_RELAXED);
  k->marked += (int64_t)size;
  if (!(old & MS_NOSCAN)) rt_gcw_put(&k->w, base, old & RT_MARK_TYPED ? size | RT_GREY_TYPED : size);
}

/* Reads every word in range, stacks included: under AddressSanitizer
** that means their redzones, which only a conservative scan may read. */
__attribute__((no_sanitize("address")))
static void ms_scan(const void *lo, const void *hi, void *arg) {
  ms_worker *k = arg;
  uintptr_t a = ((uintptr_t)lo + sizeof(void *) - 1) & ~(uintptr_t)(sizeof(void *) - 1);
  for (const void *const *w = (const void *const *)a; (const void *)(w + 1) <= hi; w++)
    ms_mark(k, *w);
}

/* After a grey buffer was lost: every marked object that may hold
** pointers is scanned again, which greys what the lost entries held. */
static void ms_rescan1(void *base, size_t size, void *arg) {
  uint8_t bit = ((ms_worker *)arg)->s->bit, m = *rt_heap_mark_of(base);
  if ((m & (bit | MS_NOSCAN)) != bit) return;
  if (m & RT_MARK_TYPED)
    rt_typed_scan(base, ms_scan, arg);
  else
    ms_scan(base, (char *)base + size, arg);
}

/* The verify pass's tally: objects it reached that the mark did not. */
typedef struct ms_missed {
  size_t n;                   /* how many */
  const void *first;          /* the first seen, and its size */
  size_t first_size;
} ms_missed;

static void ms_verify1(void *base, size_t size, void *arg) {
  ms_missed *v = arg;
  uint8_t *m = rt_heap_mark_of(base);
  if ((*m & (MS_VERIFY | MS_MARK)) == MS_VERIFY && v->n++ == 0) {
    v->first = base;
    v->first_size = size;
  }
  *m &= (uint8_t)~MS_VERIFY;
}

static void ms_work(int worker, int nworkers, void *arg);

/* World stopped: marks everything reachable with `bit`, on every P
** (parallel) or on this thread alone, from the roots and then, while a
** grey buffer was lost, from every object marked so far. */
static void ms_mark_all(ms_shared *s, uint8_t bit, bool parallel) {
  s->bit = bit;
  s->rescan = false;
  do {
    rt_markq_reset(s->mq, parallel ? rt_stw_workers() : 1);
    if (parallel)
      rt_stw_parallel(ms_work, s);
    else
      ms_work(0, 1, s);
    s->rescan = true;
  } while (rt_markq_lost(s->mq));
}

/* verify=on, world stopped, after the mark: marks everything reachable
** again on this thread alone with MS_VERIFY and compares.  An object the
** second mark reached and the first did not would be freed while
** reachable: the program stops with the object named, rather than go on
** to use freed memory.  (Objects the mark reached and this pass did not
** are allowed: a conservative mark may keep garbage.) */
static void ms_verify(ms_shared *s) {
  ms_mark_all(s, MS_VERIFY, false);
  ms_missed v = {0};
  rt_heap_walk(ms_verify1, &v);
  if (v.n) {
    fprintf(stderr, "rtlab: fatal error: marksweep verify: %zu reachable objects were not "
            "marked (first at %p, %zu bytes): the collector would have freed them\n",
            v.n, v.first, v.first_size);
    fflush(stderr);
    _Exit(2);
  }
}

/* One worker's part of a mark (rt_stw_parallel): the stopper starts it
** from the roots (or, after a loss, every marked object), then all drain. */
static void ms_work(int worker, int nworkers, void *arg) {
  ms_shared *s = arg;
  int64_t t0 = rt_now();
  ms_worker k = {.s = s};
  rt_gcw_init(&k.w, s->mq);
  if (worker == 0) {
    if (s->rescan) {
      rt_heap_walk(ms_rescan1, &k);
    } else {
      rt_stw_stacks(ms_scan, &k);
      rt_gc_roots(ms_scan, &k);
    }
  }
  rt_grey g;
  for (unsigned n = 1; rt_gcw_get(&k.w, &g); n++) {
    if (g.size & RT_GREY_TYPED)
      rt_typed_scan(g.base, ms_scan, &k);  /* only its pointer words */
    else
      ms_scan(g.base, g.base + g.size, &k);
    if (nworkers > 1 && n % 64 == 0) rt_gcw_balance(&k.w);
  }
  rt_gcw_fini(&k.w);
  if (s->bit == MS_MARK) atomic_fetch_add(&s->marked, k.marked);
  atomic_fetch_add(&s->mark_ns, rt_now() - t0);
}

/* The next cycle's heap after a cycle that left `live` bytes. */
static int64_t ms_goal(rt_gp *p, int64_t live) {
  int64_t goal = live + live * p->param[P_GOGC].i / 100;
  return goal < MS_MIN_HEAP ? MS_MIN_HEAP : goal;
}

static void ms_collect(rt_gp *p, int reason) {
  ms_shared *s = p->shared;
  /* The last lazy sweep ends before the mark: its unswept objects still
  ** carry the last mark's bit.  Mostly here, while the program runs. */
  rt_heap_sweep_finish();
  rt_gccycle c = {.pause_start = rt_now()};
  if (!rt_stw_start(&c.ttsp_ns)) return;  /* another G collected meanwhile */
  rt_heap_sweep_finish();
  c.heap_before = s->live + atomic_load(&s->since);
  atomic_store(&s->mark_ns, 0);
  atomic_store(&s->marked, 0);
  ms_mark_all(s, MS_MARK, true);
  if (p->param[P_VERIFY].i) ms_verify(s);
  int64_t t1 = rt_now();
  int64_t marked = atomic_load(&s->marked), goal = ms_goal(p, marked);
  bool lazy = p->param[P_SWEEP].i == S_LAZY &&
              rt_heap_sweep_begin(MS_MARK, (goal - marked) / 2 > MS_FLUSH ? (goal - marked) / 2
                                                                          : MS_FLUSH);
  if (lazy) {
    s->live = marked;
  } else {
    rt_heap_sweep(MS_MARK, &s->live);
    goal = ms_goal(p, s->live);
  }
  atomic_store(&s->sweeping, lazy);
  int64_t t2 = rt_now();
  atomic_store(&s->budget, goal - s->live);
  atomic_store(&s->since, 0);
  c.mark_ns = atomic_load(&s->mark_ns);
  c.sweep_ns = t2 - t1;
  c.heap_after = s->live;
  c.heap_goal = goal;
  c.pause_end = rt_stw_end();
  rt_gc_cycle_done(&c);
  if (reason == RT_GC_EXPLICIT) rt_heap_sweep_finish();  /* as Go's runtime.GC */
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
  if (atomic_load_explicit(&s->sweeping, memory_order_relaxed)) rt_heap_sweep_pay(mp->pending);
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
  .nparams = (int)(sizeof ms_params / sizeof ms_params[0]),
  .state_size = sizeof(ms_p),
  .shared_size = sizeof(ms_shared),
  .caps = RT_GCC_FIND,
  .init = ms_init,
  .fini = ms_fini,
  .on_alloc = ms_on_alloc,
  .collect = ms_collect,
};

const rt_gc_ops *rt_gc_marksweep(void) { return &ms_ops; }
