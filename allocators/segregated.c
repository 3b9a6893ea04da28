/*
** segregated.c: segregated fit modelled on Go's allocator (runtime/malloc.go,
** mcache.go, mcentral.go, mheap.go, 1.19).
**
**   size classes  Go's 67 classes up to 32 KiB (sizeclass.h); each class
**                 carves spans (runs of 8 KiB pages) into equal objects.
**   tiny          pointer-free requests under 16 B are packed into one
**                 16-byte block per P (Go's tiny allocator), aligned to
**                 what their size needs.
**   mcache        per P, per span class: the span it carves fresh objects
**                 from, and a stack of free objects.  The fast path takes
**                 no lock and makes no atomic read-modify-write.
**   mcentral      per span class, under its lock: partial spans (free
**                 objects to hand out) and full ones.
**   mheap         page runs from the arena: address-ordered first fit
**                 over free pages, as Go's page allocator (the arena is
**                 that allocator); objects over 32 KiB get a span of their
**                 own straight from it.
**   scavenger     a freed span's pages stay resident (rt_pages_retain)
**                 and go back to the OS once free for scavenge_ms.
**
** Where it differs from Go, and why.  Go never frees an object
** explicitly: its sweeper finds dead objects and marks their slots free in
** the span's bitmap, a span at a time.  rtlab's programs call rt_free, one
** object at a time, on any P.  Taking mcentral's lock per free would
** serialise every free, so a freed object goes on the freeing P's stack
** for its class (tcmalloc's thread cache does the same), where the next
** allocation of that class on that P takes it back hot in the cache.  A
** stack longer than its bound gives its older half back to mcentral under
** one lock: each object to its span, a full span becoming partial, an
** empty one going back to mheap.  A refill takes a partial span's whole
** free list at once; only when there is none does mheap give a new span to
** carve.  Objects thus move between Ps in batches (a larson or
** producer/consumer workload frees on one P what another allocated),
** never one by one under a lock.
**
** Span metadata (sg_span) lives outside the span, as Go's mspan does, in
** blocks from the pages of a small fixed-size allocator: per object a
** uint16 state (0: free; else 1 + the bytes requested, so live_bytes stays
** exact) and the collector's mark byte: 3 bytes per object, 19% of a
** 16-byte class's span, under 5% from 64 B up (Go has 2 bits per object,
** but no requested sizes).  A tiny block has 4 more: bitmaps of where its
** sub-objects start and end, so each has an exact base_of and size_of
** (rt_realloc and rt_free need them; Go has neither).  Its state counts
** its live sub-objects, plus SG_PACK while its P packs into it.
**
** base_of is the page map (span), one multiply (sc_objindex), one state
** load: O(1), lock-free.  As in Go, a collector sees a tiny block as one
** object: walk reports blocks, mark_of of a sub-object is its block's
** mark, and the block lives while any sub-object does; live_bytes counts
** a block as 16 bytes.  A double free of a tiny sub-object cannot be told
** from a free of a live one (there is no per-sub-object state).
**
** Alignment: an object is aligned to 16 when its class size is a multiple
** of 16, else to 8 (Go's 8, 24, 40 and 48-byte classes); a tiny
** sub-object to what its size needs (8, 4, 2 or 1), as Go's.
*/
#include "rt_module.h"
#include "sizeclass.h"

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { SG_P_TINY, SG_P_CACHE_KB, SG_P_SCAVENGE_MS };
static const rt_param sg_params[] = {
  {"tiny", RT_PT_BOOL, 1, 0, 1, NULL, "pack pointer-free requests under 16 B into 16 B blocks"},
  {"cache_kb", RT_PT_INT, 64, 1, 1 << 20, NULL,
   "bound of a P's free stack per class, KiB (at least 4 objects); past it half goes to mcentral"},
  {"scavenge_ms", RT_PT_INT, 100, 0, 3600000, NULL,
   "free pages go back to the OS after this long (0: at once)"},
};

#define SG_TINYSC SC_NCLASSES      /* span class of tiny blocks (geometry of class 2) */
#define SG_NSC (SC_NCLASSES + 1)   /* span classes: 1..67, tiny; 0 is large objects */
#define SG_MAXREQ ((size_t)1 << 40)  /* larger requests are refused */
#define SG_META_CHUNK 8            /* pages per metadata chunk */
#define SG_LINE 64                 /* metadata blocks are whole cache lines: two Ps'
                                      spans never share one (false sharing) */

enum { SG_CACHED, SG_PARTIAL, SG_FULL, SG_LARGE };  /* where a span is */
#define SG_SWEPT 0xFFFFu           /* state of an object the sweep freed, on no list yet
                                      (a live one's is at most 1 + 32 KiB) */

typedef struct sg_span sg_span;
struct sg_span {
  /* The first cache line holds what an allocation reads and writes: the
  ** object's index (start, cls), its state and mark bytes, the carving
  ** and the sweep's check (the state and mark pointers on a second line
  ** cost binarytrees a cache miss per allocation: 18% of sg_alloc). */
  char *start;               /* first object */
  _Atomic uint16_t *state;   /* per object: 0 free, else 1 + requested bytes */
  uint8_t *mark;             /* per object: the collector's mark byte */
  size_t elem;               /* bytes per object (large: the whole span) */
  uint32_t nelems;           /* objects in the span */
  uint32_t carved;           /* objects [0, carved) have been handed out once; owner P */
  uint8_t sc;                /* span class: 1..67, SG_TINYSC, 0 for a large object */
  uint8_t cls;               /* size class of its geometry (tiny: 2) */
  uint8_t where;             /* SG_*; central lock (SG_LARGE: fixed) */
  _Atomic uint32_t sweepgen; /* the sweep's view of it (Go's mspan.sweepgen): the heap's
                                sweepgen - 2 unswept, - 1 being swept, = swept */
  uint32_t nfree;            /* free objects of the central span: on `free`, or
                                swept; central lock */
  uint32_t nswept;           /* of those, the sweep's: state SG_SWEPT, on no list
                                until a refill links them; central lock */
  void *free;                /* freed objects given back by flushes; central lock */
  size_t npages;             /* pages of the span */
  size_t req;                /* large object: bytes requested */
  sg_span *next, *prev;      /* mcentral list (where); central lock */
  sg_span *anext, *aprev;    /* every span of the heap; heap lock */
  _Atomic uint16_t *tstart;  /* tiny blocks: bit k set when a sub-object starts at byte k */
  _Atomic uint16_t *tend;    /* tiny blocks: bit k set when one ends at byte k (its last) */
};

/* A P's cache of one span class. */
typedef struct sg_class {
  void *list;                /* free objects, newest first, linked through word 0 */
  uint32_t n;                /* objects on list */
  uint32_t max;              /* bound of n before a flush */
  sg_span *span;             /* span being carved (SG_CACHED), or NULL */
  uint64_t allocs, frees;    /* objects (tiny: blocks) handed out and back on this P */
  int64_t spans;             /* spans made minus released on this P */
} sg_class;

typedef struct sg_p {        /* per P: the mcache */
  sg_class c[SG_NSC];        /* by span class */
  char *tiny;                /* the tiny block being packed, or NULL */
  size_t tinyoff;            /* bytes of it used */
  uint32_t sweepgen;         /* the heap's, copied by sweep_begin (world stopped):
                                one load beside the span's on the fast path */
} sg_p;

typedef struct sg_central {
  rt_lock lock;              /* guards the lists and their spans' free, nfree, where */
  sg_span *partial;          /* spans with free objects */
  sg_span *full;             /* spans without */
} sg_central;

typedef struct sg_meta {     /* free list of metadata blocks of one size */
  void *free;                /* blocks, linked through word 0 */
  size_t size;               /* bytes per block */
} sg_meta;

typedef struct sg_heap {     /* shared: mcentral and mheap */
  sg_central central[SG_NSC];
  rt_lock lock;              /* the heap's: spans list, metadata */
  sg_span *spans;            /* every span (walk, fini, the sweep), newest first */
  size_t nspans;             /* how many */
  sg_span *cursor;           /* the next span a sweep_some looks at; heap lock */
  uint32_t sweepgen;         /* + 2 at each sweep's beginning (world stopped) */
  uint8_t sweep_bit;         /* the sweep under way: its live bit */
  int sweep_fill;            /* and its fill (-1: none) */
  sg_meta meta[SG_NSC];      /* metadata blocks by span class (0: large) */
  char *chunk;               /* metadata chunk being carved */
  size_t chunk_left;         /* bytes left in it */
  void *chunks;              /* every metadata chunk, linked through word 0 */
} sg_heap;

/* ==== geometry ======================================================= */

static uint8_t sc_geom(int sc) { return sc == SG_TINYSC ? SC_TINYCLASS : (uint8_t)sc; }

static size_t sg_meta_size(int sc) {
  size_t n = sc ? sc_nobjs(sc_geom(sc)) : 1;
  return (sizeof(sg_span) + n * (sc == SG_TINYSC ? 7 : 3) + SG_LINE - 1) & ~(size_t)(SG_LINE - 1);
}

static uint32_t sg_index(const sg_span *s, const char *x) {
  return s->sc ? sc_objindex(s->cls, (uintptr_t)(x - s->start)) : 0;
}

static sg_span *sg_span_of(const void *x) { return rt_pages_owner(x); }
_Static_assert(offsetof(sg_span, free) + sizeof(void *) <= SG_LINE, "the fast path's fields fit a line");

/* Whether the sweep under way is done with s (or none is under way). */
static inline bool sg_swept(const rt_ap *p, const sg_span *s) {
  return atomic_load_explicit(&s->sweepgen, memory_order_acquire) ==
         ((const sg_p *)p->state)->sweepgen;
}

static void sg_sweep_wait(rt_ap *p, sg_span *s);

/* ==== mheap ========================================================== */

/* Heap lock held.  A metadata block for span class sc, or NULL. */
static sg_span *sg_meta_get(rt_ap *p, sg_heap *h, int sc) {
  sg_meta *m = &h->meta[sc];
  void *b = m->free;
  if (b) {
    m->free = *(void **)b;
  } else {
    if (h->chunk_left < m->size) {
      char *c = rt_pages_alloc(p, SG_META_CHUNK);
      if (!c) return NULL;
      *(void **)c = h->chunks;
      h->chunks = c;
      h->chunk = c + SG_LINE;
      h->chunk_left = SG_META_CHUNK * RT_PAGE - SG_LINE;
    }
    b = h->chunk;
    h->chunk += m->size;
    h->chunk_left -= m->size;
  }
  memset(b, 0, m->size);
  return b;
}

/* Heap lock held. */
static void sg_meta_put(sg_heap *h, sg_span *s) {
  sg_meta *m = &h->meta[s->sc];
  *(void **)s = m->free;
  m->free = s;
}

/* Returns long-free pages to the OS (the heap's slow paths call it; the
** arena looks at most every scavenge_ms / 2; nothing runs it on a timer
** yet: sysmon will). */
static void sg_scavenge(rt_ap *p) {
  rt_pages_scavenge(p, (uint64_t)p->param[SG_P_SCAVENGE_MS].i, SIZE_MAX);
}

/* A new span of class sc (0: a large object of npages), its pages owned
** by it in the page map; NULL when the arena is exhausted. */
static sg_span *sg_span_new(rt_ap *p, int sc, size_t npages) {
  sg_heap *h = p->shared;
  uint8_t cls = sc_geom(sc);
  if (sc) npages = sc_npages(cls);
  char *run = rt_pages_alloc(p, npages);
  if (!run) return NULL;
  rt_lock_acquire(&h->lock);
  sg_span *s = sg_meta_get(p, h, sc);
  if (s) {
    s->anext = h->spans;
    if (h->spans) h->spans->aprev = s;
    h->spans = s;
    h->nspans++;
    /* Swept: nothing in it was live when the sweep under way began. */
    atomic_store_explicit(&s->sweepgen, h->sweepgen, memory_order_relaxed);
  }
  rt_lock_release(&h->lock);
  if (!s) {
    rt_pages_free(p, run, npages);
    return NULL;
  }
  uint32_t n = sc ? (uint32_t)sc_nobjs(cls) : 1;
  s->start = run;
  s->npages = npages;
  s->elem = sc ? sc_size(cls) : npages * RT_PAGE;
  s->nelems = n;
  s->sc = (uint8_t)sc;
  s->cls = cls;
  s->where = sc ? SG_CACHED : SG_LARGE;
  s->state = (_Atomic uint16_t *)(s + 1);
  if (sc == SG_TINYSC) {
    s->tstart = s->state + n;
    s->tend = s->tstart + n;
    s->mark = (uint8_t *)(s->tend + n);
  } else {
    s->mark = (uint8_t *)(s->state + n);
  }
  rt_pages_set_owner(run, npages, s);
  ((sg_p *)p->state)->c[sc].spans++;
  if (p->param[SG_P_SCAVENGE_MS].i) sg_scavenge(p);
  return s;
}

/* Gives an empty span's pages back to mheap and its metadata back. */
static void sg_span_release(rt_ap *p, sg_span *s) {
  sg_heap *h = p->shared;
  char *run = s->start;
  size_t np = s->npages;
  ((sg_p *)p->state)->c[s->sc].spans--;
  rt_lock_acquire(&h->lock);
  if (h->cursor == s) h->cursor = s->anext;
  if (s->aprev) s->aprev->anext = s->anext;
  else h->spans = s->anext;
  if (s->anext) s->anext->aprev = s->aprev;
  h->nspans--;
  sg_meta_put(h, s);
  rt_lock_release(&h->lock);
  if (p->param[SG_P_SCAVENGE_MS].i == 0) {
    rt_pages_free(p, run, np);
  } else {
    rt_pages_retain(p, run, np);
    sg_scavenge(p);
  }
}

/* ==== mcentral ======================================================= */

static void sg_unlink(sg_central *c, sg_span *s) {
  sg_span **head = s->where == SG_PARTIAL ? &c->partial : &c->full;
  if (s->prev) s->prev->next = s->next;
  else *head = s->next;
  if (s->next) s->next->prev = s->prev;
  s->next = s->prev = NULL;
}

static void sg_link(sg_central *c, sg_span *s, uint8_t where) {
  sg_span **head = where == SG_PARTIAL ? &c->partial : &c->full;
  s->where = where;
  s->prev = NULL;
  s->next = *head;
  if (*head) (*head)->prev = s;
  *head = s;
}

/* Central lock held.  A span carved to its end, no longer cached: to the
** partial or full list, or back to mheap when every object came back
** (the caller releases it after dropping the lock: returns true).  A
** span the sweep has not done with stays, empty or not: its sweeper
** releases it. */
static bool sg_settle(rt_ap *p, sg_central *c, sg_span *s) {
  if (s->nfree == s->nelems && sg_swept(p, s)) return true;
  sg_link(c, s, s->nfree ? SG_PARTIAL : SG_FULL);
  return false;
}

/* Gives the objects [x .. NULL) of span class sc back to their spans. */
static void sg_flush(rt_ap *p, int sc, void *x) {
  sg_central *c = &((sg_heap *)p->shared)->central[sc];
  sg_span *empty = NULL;     /* spans to release, linked through next */
  rt_lock_acquire(&c->lock);
  while (x) {
    void *nx = *(void **)x;
    sg_span *s = sg_span_of(x);
    *(void **)x = s->free;
    s->free = x;
    s->nfree++;
    if (s->where == SG_FULL) {
      sg_unlink(c, s);
      sg_link(c, s, SG_PARTIAL);
    }
    if (s->nfree == s->nelems && s->where == SG_PARTIAL && sg_swept(p, s)) {
      sg_unlink(c, s);
      s->where = SG_FULL;    /* off every list; `empty` holds it */
      s->next = empty;
      empty = s;
    }
    x = nx;
  }
  rt_lock_release(&c->lock);
  while (empty) {
    sg_span *s = empty;
    empty = s->next;
    sg_span_release(p, s);
  }
}

/* Puts the n objects of s the sweep left (state SG_SWEPT) on k's stack, in
** address order.  Here, not in the sweep: their memory is touched just
** before the P hands them out, once, instead of by the sweep and again
** by the allocation.  Only this P can see these slots (no other list
** holds them, the sweep runs with the world stopped). */
static void sg_link_swept(sg_span *s, sg_class *k, uint32_t n) {
  void **tail = &k->list, *rest = k->list;
  for (uint32_t i = 0; n; i++) {
    if (atomic_load_explicit(&s->state[i], memory_order_acquire) != SG_SWEPT) continue;
    atomic_store_explicit(&s->state[i], 0, memory_order_relaxed);
    char *x = s->start + (size_t)i * s->elem;
    *tail = x;
    tail = (void **)x;
    n--;
  }
  *tail = rest;
}

/* The slow path: k's stack is empty and its span carved out.  Settles
** the old span, then takes a partial span's free objects onto the stack,
** or a new span to carve.  false when the arena is exhausted. */
static bool sg_refill(rt_ap *p, int sc, sg_class *k) {
  sg_central *c = &((sg_heap *)p->shared)->central[sc];
  sg_span *old = k->span, *s;
  bool drop = false;
  k->span = NULL;
  rt_lock_acquire(&c->lock);
  if (old) drop = sg_settle(p, c, old);
  uint32_t swept = 0;
  if ((s = c->partial) != NULL) {
    sg_unlink(c, s);
    k->list = s->free;
    k->n = s->nfree;
    swept = s->nswept;
    s->free = NULL;
    s->nfree = s->nswept = 0;
    sg_link(c, s, SG_FULL);  /* every free object is on k's stack now */
  }
  rt_lock_release(&c->lock);
  if (swept) sg_link_swept(s, k, swept);
  if (drop) sg_span_release(p, old);
  if (s) return true;
  k->span = sg_span_new(p, sc, 0);
  return k->span != NULL;
}

/* ==== the mcache: alloc and free ===================================== */

static void *sg_large(rt_ap *p, size_t size) {
  if (size > SG_MAXREQ) return NULL;
  size_t np = (size + RT_PAGE - 1) / RT_PAGE;
  sg_span *s = sg_span_new(p, 0, np);
  if (!s) return NULL;
  s->req = size;
  ((sg_p *)p->state)->c[0].allocs++;
  atomic_store_explicit(&s->state[0], 1, memory_order_relaxed);
  /* The contract: a fresh object's mark byte is 0 (atomic: a concurrent mark may read it). */
  __atomic_store_n(&s->mark[0], 0, __ATOMIC_RELAXED);
  p->st.live_bytes += (int64_t)size;
  p->st.inuse_bytes += (int64_t)s->elem;
  return s->start;  /* fresh pages: zeroed */
}

/* Pops or carves an object of span class sc; NULL when out of memory.
** *fresh: never handed out before (still zero). */
static inline char *sg_take(rt_ap *p, int sc, sg_span **sp, bool *fresh) {
  sg_class *k = &((sg_p *)p->state)->c[sc];
  for (;;) {
    char *x = k->list;
    if (x) {
      k->list = *(void **)x;
      k->n--;
      *sp = sg_span_of(x);
      *fresh = false;
      return x;
    }
    sg_span *s = k->span;
    if (s && s->carved < s->nelems) {
      *sp = s;
      *fresh = true;
      return s->start + (size_t)s->carved++ * s->elem;
    }
    if (!sg_refill(p, sc, k)) return NULL;
  }
}

/* Puts the free object x of span class sc on p's stack; past the bound,
** the older half goes back to mcentral. */
static inline void sg_push(rt_ap *p, int sc, void *x) {
  sg_class *k = &((sg_p *)p->state)->c[sc];
  *(void **)x = k->list;
  k->list = x;
  if (++k->n <= k->max) return;
  void **cut = &k->list;
  for (uint32_t i = 0; i < k->max / 2; i++) cut = (void **)*cut;
  void *old = *cut;
  *cut = NULL;
  k->n = k->max / 2;
  sg_flush(p, sc, old);
}

/* A tiny block's state: its live sub-objects, plus SG_PACK while it is
** the block its P packs into.  The block is free when both are gone;
** live_bytes counts it while it holds a live sub-object. */
#define SG_PACK 0x8000u
#define SG_COUNT 0x7FFFu

/* Whether object i of s is live (a tiny block: holds a live sub-object). */
static inline bool sg_live(const sg_span *s, uint32_t i) {
  unsigned v = atomic_load_explicit(&s->state[i], memory_order_relaxed);
  return s->sc == SG_TINYSC ? (v & SG_COUNT) != 0 : v != 0 && v != SG_SWEPT;
}

/* Takes d (1: a sub-object freed; SG_PACK: the packer moved on) from the
** state of tiny block b; frees the block when nothing is left. */
static void sg_tiny_drop(rt_ap *p, sg_span *s, char *b, unsigned d) {
  unsigned v = atomic_fetch_sub_explicit(&s->state[sg_index(s, b)], (uint16_t)d,
                                         memory_order_acq_rel) - d;
  if (d == 1 && (v & SG_COUNT) == 0) {
    p->st.live_bytes -= SC_TINY;
    p->st.inuse_bytes -= SC_TINY;
  }
  if (v == 0) {
    ((sg_p *)p->state)->c[SG_TINYSC].frees++;
    sg_push(p, SG_TINYSC, b);
  }
}

/* Records a sub-object of size bytes at byte off of tiny block b (the
** packer alone writes these words; anyone reads them). */
static void sg_tiny_note(sg_span *s, char *b, size_t off, size_t size, bool first) {
  uint32_t i = sg_index(s, b);
  unsigned st = first ? 0 : atomic_load_explicit(&s->tstart[i], memory_order_relaxed);
  unsigned en = first ? 0 : atomic_load_explicit(&s->tend[i], memory_order_relaxed);
  atomic_store_explicit(&s->tstart[i], (uint16_t)(st | 1u << off), memory_order_relaxed);
  atomic_store_explicit(&s->tend[i], (uint16_t)(en | 1u << (off + size - 1)), memory_order_relaxed);
}

/* The sub-object of a live tiny block holding byte k of it: its first
** byte, and its size in *n; -1 when k is in padding. */
static int sg_tiny_find(const sg_span *s, uint32_t i, unsigned k, size_t *n) {
  unsigned st = atomic_load_explicit(&s->tstart[i], memory_order_relaxed) & ((2u << k) - 1);
  if (!st) return -1;
  unsigned b = 31 - (unsigned)__builtin_clz(st);  /* the last start at or below k */
  unsigned en = atomic_load_explicit(&s->tend[i], memory_order_relaxed) >> b;
  unsigned e = b + (unsigned)__builtin_ctz(en | 0x10000u);
  if (k > e) return -1;
  *n = e - b + 1;
  return (int)b;
}

/* Go's tiny allocator: sub-objects of one 16-byte block, aligned to what
** their size needs. */
static void *sg_tiny(rt_ap *p, size_t size, unsigned flags) {
  sg_p *m = p->state;
  size_t off = m->tinyoff, a = size & 7 ? (size & 3 ? (size & 1 ? 1 : 2) : 4) : 8;
  off = (off + a - 1) & ~(a - 1);
  if (m->tiny && off + size <= SC_TINY) {
    sg_span *s = sg_span_of(m->tiny);
    if (__builtin_expect(!sg_swept(p, s), 0)) sg_sweep_wait(p, s);
    unsigned v = atomic_fetch_add_explicit(&s->state[sg_index(s, m->tiny)], 1,
                                           memory_order_relaxed);
    if ((v & SG_COUNT) == 0) {  /* every earlier sub-object died: live again */
      p->st.live_bytes += SC_TINY;
      p->st.inuse_bytes += SC_TINY;
    }
    sg_tiny_note(s, m->tiny, off, size, false);
    m->tinyoff = off + size;
    char *x = m->tiny + off;
    if (flags & RT_AF_ZERO) memset(x, 0, size);
    return x;
  }
  sg_span *s;
  bool fresh;
  char *b = sg_take(p, SG_TINYSC, &s, &fresh);
  if (!b) return NULL;
  if (__builtin_expect(!sg_swept(p, s), 0)) sg_sweep_wait(p, s);
  if (!fresh) memset(b, 0, SC_TINY);
  m->c[SG_TINYSC].allocs++;
  p->st.live_bytes += SC_TINY;
  p->st.inuse_bytes += SC_TINY;
  atomic_store_explicit(&s->state[sg_index(s, b)], SG_PACK | 1, memory_order_relaxed);
  __atomic_store_n(&s->mark[sg_index(s, b)], 0, __ATOMIC_RELAXED);
  sg_tiny_note(s, b, 0, size, true);
  if (m->tiny) sg_tiny_drop(p, sg_span_of(m->tiny), m->tiny, SG_PACK);
  m->tiny = b;
  m->tinyoff = size;
  return b;
}

static void *sg_alloc(rt_ap *p, size_t size, unsigned flags) {
  if (size < SC_TINY && size && (flags & RT_AF_NOSCAN) && p->param[SG_P_TINY].i)
    return sg_tiny(p, size, flags);
  if (size > SC_MAXSMALL) return sg_large(p, size);
  int sc = sc_class(size ? size : SC_TINY);  /* 0 bytes: a unique 16-byte object */
  sg_span *s;
  bool fresh;
  char *x = sg_take(p, sc, &s, &fresh);
  if (!x) return NULL;
  if (__builtin_expect(!sg_swept(p, s), 0)) sg_sweep_wait(p, s);
  size_t i = sg_index(s, x);
  atomic_store_explicit(&s->state[i], (uint16_t)(size + 1), memory_order_relaxed);
  __atomic_store_n(&s->mark[i], 0, __ATOMIC_RELAXED);
  ((sg_p *)p->state)->c[sc].allocs++;
  p->st.live_bytes += (int64_t)size;
  p->st.inuse_bytes += (int64_t)s->elem;
  if (!fresh && (flags & RT_AF_ZERO)) memset(x, 0, size);
  return x;
}

static void sg_free(rt_ap *p, void *ptr) {
  char *x = ptr;
  sg_span *s = sg_span_of(x);
  if (!s) return;                         /* not from this heap */
  uint32_t i = sg_index(s, x);
  _Atomic uint16_t *st = &s->state[i];
  if (s->sc == SG_TINYSC) {               /* a sub-object: its block */
    char *b = s->start + (size_t)i * s->elem;
    size_t n;
    if (sg_live(s, i) && sg_tiny_find(s, i, (unsigned)(x - b), &n) == x - b)
      sg_tiny_drop(p, s, b, 1);
    return;
  }
  uint16_t v = atomic_load_explicit(st, memory_order_relaxed);
  if (v == 0 || v == SG_SWEPT || x != s->start + (size_t)i * s->elem)
    return;                               /* double or interior free */
  atomic_store_explicit(st, 0, memory_order_relaxed);
  ((sg_p *)p->state)->c[s->sc].frees++;
  if (s->sc == 0) {
    if (!sg_swept(p, s)) sg_sweep_wait(p, s);  /* its sweeper may hold it */
    p->st.live_bytes -= (int64_t)s->req;
    p->st.inuse_bytes -= (int64_t)s->elem;
    sg_span_release(p, s);
    return;
  }
  p->st.live_bytes -= v - 1;
  p->st.inuse_bytes -= (int64_t)s->elem;
  sg_push(p, s->sc, x);
}

/* ==== collector support ============================================== */

/* base_of, with the object's size and mark byte. */
static void *sg_find(rt_ap *p, const void *addr, size_t *size, uint8_t **mark) {
  (void)p;
  sg_span *s = sg_span_of(addr);
  if (!s) return NULL;
  const char *a = addr;
  uint32_t i = sg_index(s, a);
  if (i >= s->nelems || !sg_live(s, i)) return NULL;
  char *b = s->start + (size_t)i * s->elem;
  *mark = &s->mark[i];
  if (s->sc == SG_TINYSC) {
    int k = a < b + SC_TINY ? sg_tiny_find(s, i, (unsigned)(a - b), size) : -1;
    return k < 0 ? NULL : b + k;
  }
  *size = s->elem;
  return a < b + s->elem ? b : NULL;    /* large: past the request, inside the pages */
}

static void *sg_base_of(rt_ap *p, const void *addr) {
  size_t n;
  uint8_t *m;
  return sg_find(p, addr, &n, &m);
}

static size_t sg_size_of(rt_ap *p, const void *base) {
  (void)p;
  sg_span *s = sg_span_of(base);
  if (!s) return 0;
  if (s->sc != SG_TINYSC) return s->elem;
  uint32_t i = sg_index(s, base);
  size_t n = 0, k = (size_t)((const char *)base - s->start) - (size_t)i * SC_TINY;
  return sg_tiny_find(s, i, (unsigned)k, &n) == (int)k ? n : 0;
}

static void sg_walk(rt_ap *p, void (*fn)(void *, size_t, void *), void *ctx) {
  sg_heap *h = p->shared;
  rt_lock_acquire(&h->lock);
  for (sg_span *s = h->spans; s; s = s->anext)
    for (uint32_t i = 0; i < s->nelems; i++)
      if (sg_live(s, i))
        fn(s->start + (size_t)i * s->elem, s->elem, ctx);
  rt_lock_release(&h->lock);
}

static uint8_t *sg_mark_of(rt_ap *p, const void *base) {
  (void)p;
  sg_span *s = sg_span_of(base);
  return s ? &s->mark[sg_index(s, base)] : NULL;
}

/* ==== the sweep ======================================================= */

/* What sweeping one span found, for its central list. */
typedef struct sg_tally {
  uint32_t nfree;            /* objects freed */
  uint32_t nswept;           /* of those, left in place (SG_SWEPT) */
  void *tiny;                /* freed tiny blocks, linked through word 0 */
} sg_tally;

/* Frees object i of small span s, unmarked: a tiny block onto t's list,
** as a flush would; any other object stays where it is, SG_SWEPT (the
** refill that hands them out links them: sg_link_swept).  Returns the
** objects freed. */
static uint32_t sg_sweep1(rt_ap *p, sg_span *s, uint32_t i, int fill, sg_tally *t) {
  sg_class *k = &((sg_p *)p->state)->c[s->sc];
  char *x = s->start + (size_t)i * s->elem;
  unsigned v = atomic_load_explicit(&s->state[i], memory_order_relaxed);
  if (s->sc == SG_TINYSC) {  /* every sub-object dies */
    if (fill >= 0) memset(x, fill, SC_TINY);
    atomic_store_explicit(&s->tstart[i], 0, memory_order_relaxed);
    atomic_store_explicit(&s->tend[i], 0, memory_order_relaxed);
    atomic_store_explicit(&s->state[i], (uint16_t)(v & SG_PACK), memory_order_relaxed);
    p->st.live_bytes -= SC_TINY;
    p->st.inuse_bytes -= SC_TINY;
    if (v & SG_PACK) return v & SG_COUNT;  /* the packer frees the block when it moves on */
    k->frees++;
    *(void **)x = t->tiny;
    t->tiny = x;
    t->nfree++;
    return v & SG_COUNT;
  }
  /* Filled first: once SG_SWEPT, a refill on another P may link it
  ** (release: that P sees the fill done). */
  if (fill >= 0) memset(x, fill, s->elem);
  atomic_store_explicit(&s->state[i], SG_SWEPT, memory_order_release);
  p->st.live_bytes -= v - 1;
  p->st.inuse_bytes -= (int64_t)s->elem;
  k->frees++;
  t->nfree++;
  t->nswept++;
  return 1;
}

/* Sweeps span s, which the caller claimed (sweepgen - 1: no one else
** sweeps it, no P allocates from it, no one releases it).  The object
** loop takes no lock: a P may free into s meanwhile (a freed object's
** state is 0, which the loop skips), but only this G frees what is dead.
** Then, under the central lock, s goes back to its list, or to mheap when
** every object is free; swept, unless released.  Adds the kept objects'
** bytes to *kept when kept; returns the objects freed. */
static size_t sg_sweep_span(rt_ap *p, sg_span *s, int64_t *kept) {
  sg_heap *h = p->shared;
  uint8_t bit = h->sweep_bit;
  int fill = h->sweep_fill;
  uint32_t gen = ((sg_p *)p->state)->sweepgen;
  size_t freed = 0;
  int64_t keep = 0;
  sg_tally t = {0};
  for (uint32_t i = 0; i < s->nelems; i++) {
    if (!sg_live(s, i)) continue;
    uint8_t m = __atomic_load_n(&s->mark[i], __ATOMIC_RELAXED);
    if (m & bit) {
      __atomic_store_n(&s->mark[i], (uint8_t)(m & ~bit), __ATOMIC_RELAXED);
      keep += (int64_t)s->elem;
    } else if (s->sc) {
      freed += sg_sweep1(p, s, i, fill, &t);
    } else {                 /* a large object: its span goes */
      atomic_store_explicit(&s->state[0], 0, memory_order_relaxed);
      ((sg_p *)p->state)->c[0].frees++;
      p->st.live_bytes -= (int64_t)s->req;
      p->st.inuse_bytes -= (int64_t)s->elem;
      if (fill >= 0) memset(s->start, fill, s->req);
      sg_span_release(p, s);
      return 1;
    }
  }
  if (kept) *kept += keep;
  if (!s->sc) {
    atomic_store_explicit(&s->sweepgen, gen, memory_order_release);
    return freed;
  }
  sg_central *c = &h->central[s->sc];
  bool empty = false;
  rt_lock_acquire(&c->lock);
  s->nfree += t.nfree;
  s->nswept += t.nswept;
  while (t.tiny) {
    void *x = t.tiny;
    t.tiny = *(void **)x;
    *(void **)x = s->free;
    s->free = x;
  }
  if (s->where != SG_CACHED) {  /* its P settles a cached span */
    sg_unlink(c, s);
    empty = s->nfree == s->nelems;
    if (empty)
      s->where = SG_FULL;    /* off every list, on its way to mheap */
    else
      sg_link(c, s, s->nfree ? SG_PARTIAL : SG_FULL);
  }
  if (!empty) atomic_store_explicit(&s->sweepgen, gen, memory_order_release);
  rt_lock_release(&c->lock);
  if (empty) sg_span_release(p, s);
  return freed;
}

/* Up to max spans no one has claimed, taken from the heap's cursor and
** swept; returns how many (0: every span has been claimed).  Claims are a
** compare-and-swap, as a P that needs a span swept may claim it too. */
static size_t sg_sweep_claimed(rt_ap *p, size_t max, int64_t *kept, size_t *freed) {
  sg_heap *h = p->shared;
  sg_span *got[64];
  size_t n = 0;
  uint32_t gen = ((sg_p *)p->state)->sweepgen;
  if (max > 64) max = 64;
  rt_lock_acquire(&h->lock);
  sg_span *s = h->cursor;
  for (; s && n < max; s = s->anext) {
    uint32_t old = gen - 2;
    if (atomic_compare_exchange_strong(&s->sweepgen, &old, gen - 1)) got[n++] = s;
  }
  h->cursor = s;
  rt_lock_release(&h->lock);
  for (size_t i = 0; i < n; i++) *freed += sg_sweep_span(p, got[i], kept);
  return n;
}

/* A P is about to allocate from s, or free it whole, during a sweep that
** has not done with it: sweeps it now (Go's mcentral sweeps a span before
** it caches it), or waits while another G does (one span: short). */
static void sg_sweep_wait(rt_ap *p, sg_span *s) {
  uint32_t gen = ((sg_p *)p->state)->sweepgen;
  for (unsigned n = 0;; n++) {
    uint32_t old = gen - 2;
    if (atomic_compare_exchange_strong(&s->sweepgen, &old, gen - 1)) {
      p->st.frees += sg_sweep_span(p, s, NULL);
      return;
    }
    if (old == gen) return;
    if (n > 64) sched_yield();
  }
}

static size_t sg_sweep_some(rt_ap *p, size_t max) {
  size_t freed = 0, n = sg_sweep_claimed(p, max, NULL, &freed);
  p->st.frees += freed;
  return n;
}

static size_t sg_sweep_begin(rt_ap *p, uint8_t bit, int fill) {
  sg_heap *h = p->shared;
  while (sg_sweep_some(p, 64)) {}  /* the last sweep's rest (world stopped: no one is at it) */
  rt_lock_acquire(&h->lock);
  h->sweepgen += 2;
  h->cursor = h->spans;
  h->sweep_bit = bit;
  h->sweep_fill = fill;
  size_t n = h->nspans;
  rt_lock_release(&h->lock);
  for (int i = 0; i < p->nprocs; i++) ((sg_p *)p->all[i]->state)->sweepgen = h->sweepgen;
  return n;
}

/* World stopped: the whole sweep at once, on this P. */
static size_t sg_sweep(rt_ap *p, uint8_t bit, int fill, int64_t *kept) {
  size_t freed = 0;
  sg_sweep_begin(p, bit, fill);
  while (sg_sweep_claimed(p, 64, kept, &freed)) {}
  return freed;
}
/* Every class in size order, then tiny blocks, then large objects. */
static int sg_classes(rt_ap *p, rt_aclass *out, int max) {
  const sg_p *m = p->state;
  int n = 0;
  for (int sc = 1; sc <= SG_NSC && n < max; sc++) {
    int k = sc == SG_NSC ? 0 : sc;  /* large objects last */
    out[n++] = (rt_aclass){.size = k ? (uint32_t)sc_size(sc_geom(k)) : 0,
                           .tiny = k == SG_TINYSC, .allocs = m->c[k].allocs,
                           .frees = m->c[k].frees, .spans = m->c[k].spans};
  }
  return n;
}

/* ==== life cycle ===================================================== */

static int sg_init(rt_ap *p) {
  sg_p *m = p->state;
  size_t cache = (size_t)p->param[SG_P_CACHE_KB].i * 1024;
  for (int sc = 1; sc < SG_NSC; sc++) {
    size_t n = cache / sc_size(sc_geom(sc));
    m->c[sc].max = n < 4 ? 4 : n > 65536 ? 65536 : (uint32_t)n;
  }
  if (p->id == 0) {
    sg_heap *h = p->shared;
    for (int sc = 0; sc < SG_NSC; sc++) h->meta[sc].size = sg_meta_size(sc);
  }
  return RT_OK;
}

/* P 0, last: every span and metadata chunk back to the arena. */
static void sg_fini(rt_ap *p) {
  if (p->id != 0) return;
  sg_heap *h = p->shared;
  for (sg_span *s = h->spans; s; s = s->anext) rt_pages_free(p, s->start, s->npages);
  h->spans = NULL;
  while (h->chunks) {
    void *c = h->chunks;
    h->chunks = *(void **)c;
    rt_pages_free(p, c, SG_META_CHUNK);
  }
}

static const rt_alloc_ops sg_ops = {
  .abi = RT_ABI_VERSION,
  .name = "segregated",
  .summary = "Go's allocator: size classes, tiny blocks, per-P mcache, mcentral, mheap, scavenger",
  .params = sg_params,
  .nparams = (int)(sizeof sg_params / sizeof sg_params[0]),
  .state_size = sizeof(sg_p),
  .shared_size = sizeof(sg_heap),
  .caps = RT_AC_FIND | RT_AC_MARK,
  .init = sg_init,
  .fini = sg_fini,
  .alloc = sg_alloc,
  .free = sg_free,
  .base_of = sg_base_of,
  .size_of = sg_size_of,
  .walk = sg_walk,
  .mark_of = sg_mark_of,
  .find = sg_find,
  .sweep = sg_sweep,
  .sweep_begin = sg_sweep_begin,
  .sweep_some = sg_sweep_some,
  .classes = sg_classes,
};

const rt_alloc_ops *rt_alloc_segregated(void) { return &sg_ops; }
