/*
** heap.c: the allocator boundary at run time.  One allocator per run,
** chosen by rt_config.alloc like the scheduler policy, with one rt_ap
** (its per-P view and figures) per P.  rt_alloc and rt_free find the
** calling G's P and call the allocator's ops on it: the ops run on the
** owner of that P, so per-P state needs no lock (the same rule as the
** scheduler's ops).  The framework keeps the counts every allocator must
** have (allocs, frees, failures, peaks), so an allocator's fast path holds
** only its own work.
*/
#include "heap.h"

#include "arena.h"
#include "fail.h"
#include "gc.h"
#include "proc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Each P's view and state on lines of their own (HEAP_LINE): every
** allocation writes them (false sharing tripled segregated's churn time at
** 2 Ps in one run out of two). */
typedef struct heap_slot {
  _Alignas(HEAP_LINE) rt_ap ap;  /* a P's view */
  _Atomic int64_t pub_live;      /* ap.st.live_bytes, published for other Ps */
  _Atomic int64_t pub_sys;       /* ap.st.sys_bytes, likewise */
} heap_slot;

/* With several Ps a P's own peaks mean little (objects allocated on one P
** and freed on another push one P's live bytes up and the other's below
** zero), so every HEAP_SAMPLE-th allocation on a P sums what every P has
** published and keeps the largest sums seen: the run's peaks, missing at
** most the last few allocations before a peak. */
#define HEAP_SAMPLE 64

void *heap_lines(size_t n) {
  n = (n + HEAP_LINE - 1) / HEAP_LINE * HEAP_LINE;
  void *x = aligned_alloc(HEAP_LINE, n ? n : HEAP_LINE);
  if (x) memset(x, 0, n);
  return x;
}

static struct {
  const rt_alloc_ops *ops;   /* the allocator of this run, NULL between runs */
  rt_pval param[RT_MAX_PARAMS]; /* its resolved parameters */
  heap_slot *aps;            /* one per P */
  rt_ap **all;               /* &aps[i], for rt_ap.all */
  void *shared;              /* its shared state */
  int nprocs;                /* number of Ps */
  _Atomic int64_t peak_live; /* largest sum of live bytes sampled (procs > 1) */
  _Atomic int64_t peak_sys;  /* largest sum of sys bytes sampled */
  rt_astats last;            /* summed figures of the last run */
  rt_aclass classes[RT_ACLASS_MAX]; /* per-class figures of the last run, summed */
  int nclasses;              /* entries of classes */
  const char *last_name;     /* its allocator's name */
  _Atomic bool typed;        /* rt_alloc_typed made a typed object this run: rt_free
                                and rt_alloc_size look for headers only then */
  _Atomic bool sweeping;     /* a sweep spread over time is under way */
  double sweep_pace;         /* its parts to sweep per byte allocated */
  _Atomic int64_t sweep_paid; /* bytes reported to rt_heap_sweep_pay since it began */
  _Atomic int64_t sweep_parts; /* parts swept since, by any G (pay, step, finish) */
  _Atomic int64_t sweep_ns;  /* time in spread sweeps this run, summed over Gs */
} H;

int heap_start(const char *spec, int procs, char *err, size_t errlen) {
  const rt_alloc_ops *ops;
  int rc = rt_alloc_resolve(spec ? spec : "system", &ops, H.param, err, errlen);
  if (rc != RT_OK) return rc;
  /* The arena is reserved for every run (address space only: a wrapper
  ** never touches it) and unmapped at the end, with everything in it. */
  rc = arena_init(0, err, errlen);
  if (rc != RT_OK) return rc;
  H.aps = heap_lines((size_t)procs * sizeof *H.aps);
  H.all = calloc((size_t)procs, sizeof *H.all);
  H.shared = calloc(1, ops->shared_size ? ops->shared_size : 1);
  bool ok = H.aps && H.all && H.shared;
  for (int i = 0; ok && i < procs; i++) {
    rt_ap *p = &H.aps[i].ap;
    H.all[i] = p;
    p->state = heap_lines(ops->state_size);
    ok = p->state != NULL;
    p->shared = H.shared;
    p->param = H.param;
    p->all = H.all;
    p->id = i;
    p->nprocs = procs;
  }
  H.ops = ops;
  H.nprocs = procs;
  atomic_store(&H.peak_live, 0);
  atomic_store(&H.peak_sys, 0);
  atomic_store(&H.sweeping, false);
  atomic_store(&H.sweep_ns, 0);
  atomic_store(&H.typed, false);
  if (!ok) {
    heap_stop();
    return fw_fail(RT_ENOMEM, err, errlen, "out of memory starting alloc '%s'", ops->name);
  }
  for (int i = 0; i < procs && ops->init; i++) {
    rc = ops->init(&H.aps[i].ap);
    if (rc != RT_OK) {
      while (i-- > 0)
        if (ops->fini) ops->fini(&H.aps[i].ap);
      H.nprocs = 0;  /* no fini for Ps never initialised */
      heap_stop();
      return fw_fail(rc, err, errlen, "alloc '%s': init of P %d failed (%d)", ops->name, i, rc);
    }
  }
  return RT_OK;
}

/* Sums the per-P figures into *out. */
static void heap_sum(rt_astats *out) {
  memset(out, 0, sizeof *out);
  for (int i = 0; i < H.nprocs; i++) {
    const rt_astats *s = &H.aps[i].ap.st;
    out->live_bytes += s->live_bytes;
    out->inuse_bytes += s->inuse_bytes;
    out->sys_bytes += s->sys_bytes;
    out->released_bytes += s->released_bytes;
    out->allocs += s->allocs;
    out->frees += s->frees;
    out->failed += s->failed;
  }
  bool one = H.nprocs == 1;  /* then P 0's own peaks are exact */
  out->peak_live = one ? H.aps[0].ap.st.peak_live : atomic_load(&H.peak_live);
  out->peak_sys = one ? H.aps[0].ap.st.peak_sys : atomic_load(&H.peak_sys);
  if (out->live_bytes > out->peak_live) out->peak_live = out->live_bytes;
  if (out->sys_bytes > out->peak_sys) out->peak_sys = out->sys_bytes;
}

/* The per-class figures of every P, summed into H.classes. */
static void heap_sum_classes(void) {
  static rt_aclass one[RT_ACLASS_MAX];
  H.nclasses = H.ops->classes ? H.ops->classes(&H.aps[0].ap, H.classes, RT_ACLASS_MAX) : 0;
  for (int i = 1; H.nclasses && i < H.nprocs; i++) {
    int n = H.ops->classes(&H.aps[i].ap, one, RT_ACLASS_MAX);
    for (int k = 0; k < n && k < H.nclasses; k++) {
      H.classes[k].allocs += one[k].allocs;
      H.classes[k].frees += one[k].frees;
      H.classes[k].spans += one[k].spans;
    }
  }
}

int rt_heap_classes(rt_aclass *out, int max) {
  int n = H.nclasses < max ? H.nclasses : max;
  memcpy(out, H.classes, (size_t)n * sizeof *out);
  return n;
}

void heap_stop(void) {
  if (H.ops) {
    heap_sum(&H.last);
    heap_sum_classes();
    H.last_name = H.ops->name;
    for (int i = H.nprocs - 1; i >= 0 && H.ops->fini; i--) H.ops->fini(&H.aps[i].ap);
  }
  arena_fini();
  for (int i = 0; H.aps && i < H.nprocs; i++) free(H.aps[i].ap.state);
  free(H.aps);
  free(H.all);
  free(H.shared);
  H.ops = NULL;
  H.aps = NULL;
  H.all = NULL;
  H.shared = NULL;
  H.nprocs = 0;
}

/* ==== the mutator's side ============================================= */

/* Peaks are per P and kept on the allocating P: cheap, and their sum
** bounds the true peak from above (exact at one P). */
static void heap_max(_Atomic int64_t *m, int64_t v) {
  int64_t old = atomic_load_explicit(m, memory_order_relaxed);
  while (v > old && !atomic_compare_exchange_weak_explicit(m, &old, v, memory_order_relaxed,
                                                           memory_order_relaxed)) {
  }
}

/* With several Ps: p's figures, for the next sample on any P to read. */
static inline void heap_publish(rt_ap *p) {
  heap_slot *me = (heap_slot *)p;  /* ap is its first member */
  atomic_store_explicit(&me->pub_live, p->st.live_bytes, memory_order_relaxed);
  atomic_store_explicit(&me->pub_sys, p->st.sys_bytes, memory_order_relaxed);
}

/* p's own peaks; with several Ps, publishes and samples the sums now and
** then. */
static inline void heap_peaks(rt_ap *p) {
  rt_astats *s = &p->st;
  if (s->live_bytes > s->peak_live) s->peak_live = s->live_bytes;
  if (s->sys_bytes > s->peak_sys) s->peak_sys = s->sys_bytes;
  if (H.nprocs == 1) return;
  heap_publish(p);
  if (s->allocs % HEAP_SAMPLE) return;
  int64_t live = 0, sys = 0;
  for (int i = 0; i < H.nprocs; i++) {
    live += atomic_load_explicit(&H.aps[i].pub_live, memory_order_relaxed);
    sys += atomic_load_explicit(&H.aps[i].pub_sys, memory_order_relaxed);
  }
  heap_max(&H.peak_live, live);
  heap_max(&H.peak_sys, sys);
}

/* The calling G's P view; using the heap outside a G is a fatal misuse. */
static inline rt_ap *heap_ap(const char *op) {
  rt_sp *sp = sched_cur_sp();
  if (!sp || !H.ops) sched_fatal("%s called outside a running G", op);
  return &H.aps[sp->id].ap;
}

/* Debug builds (NDEBUG undefined: the debug, asan-ubsan and tsan presets)
** fill and check, as SQLite's debug heap does; release builds compile
** both functions to nothing.  heap_fill writes byte over the usable size
** (size_of: a wrapper's is its library's usable size; an allocator whose
** size_of says 0 gets nothing written).  heap_check_live makes a free of
** anything but a live object's start a fatal error, where the allocator
** can tell (RT_AC_FIND): freed already, an interior or a foreign pointer.
** (A sub-object of a tiny block is an object of its own: base_of and
** size_of give its start and its exact size.) */
#ifndef NDEBUG
static void heap_fill(rt_ap *p, void *x, int byte) {
  if (!heap_fills(H.ops->caps)) return;
  size_t n = H.ops->size_of ? H.ops->size_of(p, x) : 0;
  memset(x, byte, n);
}

static void heap_check_live(rt_ap *p, const void *ptr, const char *op) {
  if (!(H.ops->caps & RT_AC_FIND)) return;
  if (H.ops->base_of(p, ptr) == ptr) return;
  sched_fatal("%s(%p): double free or invalid pointer: no live object of alloc '%s' "
              "starts there", op, ptr, H.ops->name);
}
#else
static inline void heap_fill(rt_ap *p, void *x, int byte) {}
static inline void heap_check_live(rt_ap *p, const void *ptr, const char *op) {}
#endif

/* One allocation on p, counted (a success or a failure). */
static inline void *heap_alloc(rt_ap *p, size_t size, unsigned flags) {
  void *x = H.ops->alloc(p, size, flags);
  if (!x) {
    p->st.failed++;
    return NULL;
  }
  p->st.allocs++;
  heap_peaks(p);
  if (!(flags & RT_AF_ZERO)) heap_fill(p, x, HEAP_FRESH_BYTE);
  return x;
}

/* One free on p of a non-NULL ptr, counted.  The fill comes first: once
** the allocator has the bytes back they may hold its links. */
static inline void heap_free(rt_ap *p, void *ptr, const char *op) {
  heap_check_live(p, ptr, op);
  heap_fill(p, ptr, HEAP_FREED_BYTE);
  p->st.frees++;
  H.ops->free(p, ptr);
  if (H.nprocs > 1) heap_publish(p);
}

void *rt_alloc(size_t size, unsigned flags) {
  rt_ap *p = heap_ap("rt_alloc");
  void *x = heap_alloc(p, size, flags);
  if (x) gc_after_alloc(p->id, x, size, flags);
  /* A preemption point every HEAP_SAMPLE-th allocation (Go's is the
  ** allocation slow path; ours cannot see the allocator's): after the
  ** allocation, when no heap state is held. */
  if (p->st.allocs % HEAP_SAMPLE == 0) sched_safepoint();
  return x;
}

/* ==== typed objects (rt_alloc_typed) ================================= */

/* The header before a typed object's elements; RT_MARK_TYPED in its mark
** byte says it is there.  Written before the bit is set, read by mark
** loops on any thread: atomic words. */
#define HEAP_THDR 16
typedef struct heap_thdr {
  const rt_type *_Atomic type;  /* the elements' type */
  _Atomic size_t n;             /* how many */
} heap_thdr;
_Static_assert(sizeof(heap_thdr) == HEAP_THDR, "a typed object's header is 16 bytes");

void *rt_alloc_typed(const rt_type *t, size_t n) {
  rt_ap *p = heap_ap("rt_alloc_typed");
  if (!t || !t->ptrmask || t->size < 8 || t->size % 8 || t->size > ((size_t)1 << 20) || !n ||
      n > (SIZE_MAX - HEAP_THDR) / t->size)
    return NULL;
  bool header = (H.ops->caps & (RT_AC_FIND | RT_AC_MARK)) == (RT_AC_FIND | RT_AC_MARK);
  size_t size = n * t->size + (header ? HEAP_THDR : 0);
  char *x = heap_alloc(p, size, RT_AF_ZERO);
  if (!x) return NULL;
  if (header) {
    heap_thdr *h = (heap_thdr *)x;
    atomic_store_explicit(&h->type, t, memory_order_relaxed);
    atomic_store_explicit(&h->n, n, memory_order_relaxed);
    /* Release: a mark loop that sees the bit sees the header. */
    __atomic_fetch_or(H.ops->mark_of(p, x), RT_MARK_TYPED, __ATOMIC_RELEASE);
    if (!atomic_load_explicit(&H.typed, memory_order_relaxed)) atomic_store(&H.typed, true);
  }
  gc_after_alloc(p->id, x, size, RT_AF_ZERO);
  if (p->st.allocs % HEAP_SAMPLE == 0) sched_safepoint();
  return header ? x + HEAP_THDR : x;
}

/* ptr's object start: ptr, or for a typed object its header's. */
static inline void *heap_start_of(rt_ap *p, const void *ptr) {
  if (__builtin_expect(!atomic_load_explicit(&H.typed, memory_order_relaxed), 1))
    return (void *)ptr;
  char *b = H.ops->base_of(p, ptr);
  if (b && (const char *)ptr == b + HEAP_THDR &&
      (__atomic_load_n(H.ops->mark_of(p, b), __ATOMIC_ACQUIRE) & RT_MARK_TYPED))
    return b;
  return (void *)ptr;
}

void rt_typed_scan(const void *base, void (*fn)(const void *lo, const void *hi, void *arg),
                   void *arg) {
  const heap_thdr *h = base;
  const rt_type *t = atomic_load_explicit(&h->type, memory_order_relaxed);
  size_t n = atomic_load_explicit(&h->n, memory_order_relaxed), words = t->size / 8;
  const char *e = (const char *)base + HEAP_THDR;
  for (size_t i = 0; i < n; i++, e += t->size)
    for (size_t w = 0; w < words;) {  /* each run of set bits: one call */
      if (!(t->ptrmask[w / 64] >> (w % 64) & 1)) {
        w++;
        continue;
      }
      size_t run = w;
      while (run < words && (t->ptrmask[run / 64] >> (run % 64) & 1)) run++;
      fn(e + w * 8, e + run * 8, arg);
      w = run;
    }
}

void rt_free(void *ptr) {
  if (!ptr) return;
  rt_ap *p = heap_ap("rt_free");
  heap_free(p, heap_start_of(p, ptr), "rt_free");
}

size_t rt_alloc_size(const void *ptr) {
  if (!ptr) return 0;
  rt_ap *p = heap_ap("rt_alloc_size");
  const void *b = heap_start_of(p, ptr);
  return H.ops->size_of(p, b) - (size_t)((const char *)ptr - (const char *)b);
}

/* Whether an object of `have` usable bytes serves `size` bytes in place:
** it holds them and at most half of it would lie unused, so that
** shrinking a large object far moves it and its memory can be reused
** (a small one always stays: moving it would gain nothing). */
static inline bool heap_keeps(size_t have, size_t size) {
  return size <= have && (size >= have / 2 || have <= HEAP_KEEP_SMALL);
}

/* Generic over the ops: in place when heap_keeps, else alloc, copy, free.
** The counts are those of the ops that ran (none in place). */
void *rt_realloc(void *ptr, size_t size, unsigned flags) {
  rt_ap *p = heap_ap("rt_realloc");
  if (!ptr) return heap_alloc(p, size, flags);
  if (heap_start_of(p, ptr) != ptr)
    sched_fatal("rt_realloc(%p): a typed object (rt_alloc_typed) cannot be reallocated; "
                "allocate a new one and copy", ptr);
  heap_check_live(p, ptr, "rt_realloc");
  size_t have = H.ops->size_of(p, ptr);
  if (heap_keeps(have, size)) return ptr;
  void *x = heap_alloc(p, size, flags);  /* RT_AF_ZERO: the tail past the copy stays zero */
  if (!x) return NULL;
  memcpy(x, ptr, have < size ? have : size);
  heap_free(p, ptr, "rt_realloc");
  return x;
}

const rt_alloc_ops *heap_ops(void) { return H.ops; }

/* The collector services (rt_module.h); P 0's view, which any thread may
** pass to these ops. */
void *rt_heap_base_of(const void *addr) { return H.ops->base_of(&H.aps[0].ap, addr); }
size_t rt_heap_size_of(const void *base) { return H.ops->size_of(&H.aps[0].ap, base); }
uint8_t *rt_heap_mark_of(const void *base) { return H.ops->mark_of(&H.aps[0].ap, base); }
static bool heap_sweep_parts(rt_ap *p, size_t max, bool all);

void rt_heap_walk(void (*fn)(void *base, size_t size, void *ctx), void *ctx) {
  /* Unswept dead objects would be walked as live. */
  if (atomic_load(&H.sweeping)) heap_sweep_parts(&H.aps[0].ap, SIZE_MAX, true);
  H.ops->walk(&H.aps[0].ap, fn, ctx);
}

/* find from the three ops, for allocators without their own. */
static void *heap_find3(rt_ap *p, const void *addr, size_t *size, uint8_t **mark) {
  void *b = H.ops->base_of(p, addr);
  if (b) {
    *size = H.ops->size_of(p, b);
    *mark = H.ops->mark_of(p, b);
  }
  return b;
}

rt_heap_find_fn rt_heap_finder(rt_ap **p) {
  *p = &H.aps[0].ap;
  return H.ops->find ? H.ops->find : heap_find3;
}

/* The sweep without the allocator's op: the walk collects the dead (freeing
** while walking would cut the walk's ground), then each is freed as
** rt_free would.  When the list cannot grow, the rest wait for the next
** cycle (still unmarked, so they are found again). */
typedef struct heap_dead {
  uint8_t bit;                /* the live bit */
  void **v;                   /* unmarked objects */
  size_t n, cap;              /* used, room */
  int64_t kept;               /* usable bytes of the marked ones */
} heap_dead;

static void heap_sweep1(void *base, size_t size, void *ctx) {
  heap_dead *d = ctx;
  uint8_t *m = H.ops->mark_of(&H.aps[0].ap, base);
  if (*m & d->bit) {
    *m &= (uint8_t)~d->bit;
    d->kept += (int64_t)size;
    return;
  }
  if (d->n == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 4096;
    void **v = realloc(d->v, cap * sizeof *v);
    if (!v) return;
    d->v = v;
    d->cap = cap;
  }
  d->v[d->n++] = base;
}

size_t rt_heap_sweep(uint8_t bit, int64_t *kept) {
  rt_ap *p = heap_ap("rt_heap_sweep");
  if (H.ops->sweep) {
    int fill = heap_fills(H.ops->caps) ? HEAP_FREED_BYTE : -1;
    *kept = 0;
    size_t n = H.ops->sweep(p, bit, fill, kept);
    p->st.frees += n;
    if (H.nprocs > 1) heap_publish(p);
    return n;
  }
  heap_dead d = {.bit = bit};
  H.ops->walk(p, heap_sweep1, &d);
  for (size_t i = 0; i < d.n; i++) heap_free(p, d.v[i], "rt_heap_sweep");
  free(d.v);
  *kept = d.kept;
  return d.n;
}

bool rt_heap_sweep_begin(uint8_t bit, int64_t runway) {
  rt_ap *p = heap_ap("rt_heap_sweep_begin");
  if (!H.ops->sweep_begin) return false;
  int fill = heap_fills(H.ops->caps) ? HEAP_FREED_BYTE : -1;
  size_t parts = H.ops->sweep_begin(p, bit, fill);
  H.sweep_pace = (double)parts / (double)(runway > 1 ? runway : 1);
  atomic_store(&H.sweep_paid, 0);
  atomic_store(&H.sweep_parts, 0);
  atomic_store(&H.sweeping, parts > 0);
  return true;
}

/* Sweeps up to max parts on p (all that are left: SIZE_MAX), timed;
** false when none was left.  Unless `all`, it stops early when the G is
** asked to yield (a stop of the world waits for it): 8 parts at a time,
** as a pacer may ask for hundreds at once. */
static bool heap_sweep_parts(rt_ap *p, size_t max, bool all) {
  int64_t t0 = rt_now();
  size_t did = 0, n = 1;
  while (did < max && (n = H.ops->sweep_some(p, max - did < 8 ? max - did : 8)) > 0) {
    did += n;
    atomic_fetch_add_explicit(&H.sweep_parts, (int64_t)n, memory_order_relaxed);
    if (!all && sched_yield_wanted()) break;
  }
  if (n == 0) atomic_store(&H.sweeping, false);
  atomic_fetch_add_explicit(&H.sweep_ns, rt_now() - t0, memory_order_relaxed);
  if (H.nprocs > 1) heap_publish(p);
  return did > 0;
}

/* Sweeps only what the pace asks beyond what every G has swept (Go's
** deductSweepCredit): with a background sweeper on an idle P, the
** allocating Gs sweep nothing. */
void rt_heap_sweep_pay(int64_t bytes) {
  if (!atomic_load_explicit(&H.sweeping, memory_order_relaxed)) return;
  int64_t paid = atomic_fetch_add_explicit(&H.sweep_paid, bytes, memory_order_relaxed) + bytes;
  int64_t owed = (int64_t)((double)paid * H.sweep_pace) + 1 -
                 atomic_load_explicit(&H.sweep_parts, memory_order_relaxed);
  if (owed > 0) heap_sweep_parts(heap_ap("rt_heap_sweep_pay"), (size_t)owed, false);
}

bool rt_heap_sweep_step(size_t max) {
  if (!atomic_load_explicit(&H.sweeping, memory_order_relaxed)) return false;
  return heap_sweep_parts(heap_ap("rt_heap_sweep_step"), max, false);
}

void rt_heap_sweep_finish(void) {
  if (atomic_load(&H.sweeping)) heap_sweep_parts(heap_ap("rt_heap_sweep_finish"), SIZE_MAX, true);
}

int64_t heap_sweep_ns(void) { return atomic_load(&H.sweep_ns); }

void rt_heap_bounds(uintptr_t *lo, uintptr_t *hi) {
  *lo = (uintptr_t)arena_base();
  *hi = *lo + arena_size();
}

const char *rt_heap_stats(rt_astats *out) {
  if (H.ops) {
    heap_sum(out);
    return H.ops->name;
  }
  *out = H.last;
  return H.last_name;
}

/* ==== page services (rt_module.h) ==================================== */

_Static_assert(RT_PAGE == ARENA_PAGE, "rt_module.h's page is the arena's");

/* Retained pages granted again were counted when first granted (on this
** or another P): only fresh ones add.  Per-P sys_bytes may thus go
** negative on a P that scavenges; sums stay exact. */
void *rt_pages_alloc(rt_ap *p, size_t npages) {
  size_t reused;
  void *run = arena_grant(npages, rt_sp_node_of(p->id), &reused);
  if (run) p->st.sys_bytes += (int64_t)((npages - reused) * RT_PAGE);
  return run;
}

void rt_pages_retain(rt_ap *p, void *run, size_t npages) {
  (void)p;
  arena_retain(run, npages);
}

size_t rt_pages_scavenge(rt_ap *p, uint64_t min_age_ms, size_t max_pages) {
  size_t b = arena_scavenge(min_age_ms, max_pages);
  p->st.sys_bytes -= (int64_t)b;
  p->st.released_bytes += (int64_t)b;
  return b;
}

void rt_pages_free(rt_ap *p, void *run, size_t npages) {
  arena_free(run, npages);
  p->st.sys_bytes -= (int64_t)(npages * RT_PAGE);
  p->st.released_bytes += (int64_t)(npages * RT_PAGE);
}

void rt_pages_set_owner(void *run, size_t npages, void *owner) {
  arena_set_owner(run, npages, owner);
}

