/*
** fit.h: what first_fit, next_fit and best_fit share.  Each policy file
** holds only its choice (a fit function, how it bins free blocks, its
** parameter defaults) and builds its ops table with FIT_OPS; the heap,
** the boundary tags, splitting, coalescing and the collector support are
** in fit.c, once.
**
** The algorithms are the classic sequential-fit allocators as surveyed in
** Wilson, Johnstone, Neely and Boles, "Dynamic Storage Allocation: A
** Survey and Critical Review" (IWMM 1995), with Knuth's boundary tags
** (TAOCP vol. 1, 2.5) to coalesce a freed block with its neighbours in
** O(1).  Free-list order (address, LIFO, FIFO) and coalescing (immediate,
** deferred) are parameters, in Wilson's terms.
**
** Heap.  Chunks of FIT_CHUNK_PAGES pages (64 KiB) from rt_pages_alloc;
** a block larger than FIT_BIG gets a chunk of its own of exactly enough
** pages, freed back to the arena with it.  A chunk starts with its header
** (fit_chunk: links, an object-start bitmap), then blocks, then a 16-byte
** sentinel marked in use.  A block starts with a 16-byte header: its size
** with an in-use bit and a previous-in-use bit, the requested size (so
** live_bytes stays exact) and the collector's mark byte; payloads are
** therefore 16-byte aligned.  A free block holds list links after its
** header and its size in its last word (the footer), so the block after it
** can find it.  One fully free chunk is kept in reserve; further ones go
** back to the arena as retained pages (resident, reused by the next chunk
** without page faults) and to the OS after FIT_SCAVENGE_MS.
**
** Threads.  The parameter `heaps` says how many heaps there are.  per_p
** (the default): each P allocates from a heap of its own, as glibc gives
** each thread an arena of its own; a block goes back to the heap its
** chunk belongs to, whichever P frees it.  Each heap has an rt_lock (none
** with one P: fit_lock), which its owner takes uncontended and another P
** takes only to free a block it did not allocate.  The policy runs inside
** each heap unchanged; what per-P heaps cost is space: a heap's free
** blocks serve only its P, so fragmentation at several Ps is measured
** per variant.  shared: one heap behind one lock, the textbook allocator,
** whose Ps queue on the lock.  The parameter `cache` puts per-P quick
** lists in front (Weinstock and Wulf's quick fit, 1988): a freed block of
** up to 544 B waits on its P's list for its exact size, and the next
** request of that size on that P takes it without the lock.  Cached
** blocks are not coalesced, so the policy's fragmentation shifts; an
** experiment names the variant it measures.
**
** Collector support (RT_AC_FIND | RT_AC_MARK).  Every chunk's pages are
** owned by its header in the arena's page map.  base_of finds the chunk in
** O(1), then the block through the chunk's bitmap of block starts (one bit
** per 16-byte granule): the highest set bit at or below the address, a
** backward scan of at most 64 words, so O(1).  mark_of is a byte of the
** block header.
*/
#ifndef ALLOC_FIT_H
#define ALLOC_FIT_H

#include "rt_module.h"

#include <stddef.h>
#include <stdint.h>

#define FIT_INUSE 1u          /* head: this block is allocated */
#define FIT_PINUSE 2u         /* head: the block before it is allocated (no footer there) */
#define FIT_FLAGS 15u         /* head bits that are not the size */
#define FIT_HDR 16u           /* bytes of a block header */
#define FIT_MIN 48u           /* smallest block: header, two links, footer, rounded */
#define FIT_MAXREQ ((size_t)1 << 30)  /* larger requests are refused */
#define FIT_CHUNK_PAGES 8     /* pages of a standard chunk */
#define FIT_CHUNK ((size_t)FIT_CHUNK_PAGES * RT_PAGE)
#define FIT_BIG (FIT_CHUNK / 2)  /* blocks above this get a chunk of their own */
#define FIT_WORDS (FIT_CHUNK / 16 / 64)  /* bitmap words of a chunk */
#define FIT_NBINS 128         /* free lists (best fit uses many, the others one) */
#define FIT_SCAVENGE_MS 100   /* released chunks go back to the OS after this long */

enum { FIT_P_ORDER, FIT_P_COALESCE, FIT_P_CACHE, FIT_P_HEAPS };  /* parameter indices */
enum { FIT_ADDRESS, FIT_LIFO, FIT_FIFO };   /* values of `order` */
enum { FIT_IMMEDIATE, FIT_DEFERRED };       /* values of `coalesce` */
enum { FIT_PER_P, FIT_SHARED };            /* values of `heaps` */

/* A block.  The first 16 bytes are its header; next and prev exist only
** while it is free.  A free block indexed by a policy's address tree
** (fit_policy.ix_*: first fit in address order) holds tree fields
** instead: kmax over req, prio over mark and pad, kid over next and
** prev, then up.  All lie in the first 40 bytes, before the footer of
** the smallest block (FIT_MIN stays 48). */
typedef struct fit_blk {
  size_t head;               /* block bytes (multiple of 16) | FIT_INUSE | FIT_PINUSE */
  union {
    uint32_t req;            /* bytes requested, while in use */
    uint16_t kmax[2];        /* address tree: largest block under kid[i], in 16-byte units */
  };
  union {
    struct {
      uint8_t mark;          /* the collector's mark byte */
      uint8_t cached;        /* on a P's quick list (atomic: set without the lock) */
      uint16_t units;        /* in use: block bytes / 16, 0 if over 1 MiB; read
                                without the lock (head's flags change under it) */
    };
    uint32_t prio;           /* address tree: treap priority (a hash of the address) */
  };
  union {
    struct {
      struct fit_blk *next;  /* free list: next block (or the bin's sentinel) */
      struct fit_blk *prev;  /* free list: previous block (or the sentinel) */
    };
    struct {
      struct fit_blk *kid[2];  /* address tree: lower-, higher-addressed subtree */
      struct fit_blk *up;    /* address tree: parent (NULL: the root) */
    };
  };
} fit_blk;

struct fit_heap;

/* A run of pages holding blocks; its header is the pages' owner. */
typedef struct fit_chunk {
  struct fit_chunk *next;    /* chunks in address order */
  struct fit_chunk *prev;    /* ... and back */
  struct fit_heap *heap;     /* the heap it belongs to */
  size_t npages;             /* pages of the run */
  char *start;               /* first block */
  char *end;                 /* the sentinel: blocks lie in [start, end) */
  int big;                   /* one block of its own, released when freed */
  uint64_t starts[FIT_WORDS];  /* bit i: a block starts at start + 16 i (standard chunks) */
} fit_chunk;

/* What a policy chooses. */
typedef struct fit_policy {
  /* The free list (0 .. FIT_NBINS-1) of a free block of bsize bytes. */
  int (*bin_of)(size_t bsize);
  /* A free block of at least bsize bytes, left in its list, or NULL. */
  fit_blk *(*find)(struct fit_heap *h, size_t bsize);
  /* Lists are kept in size order, ties by `order` (else one list, bin 0). */
  int sized;
  /* Optional, all three or none; used only with order=address and one
  ** list (!sized), where they replace the list: an index of the free
  ** blocks by address, rooted at fit_heap.root.  NULL: the list.  fit.c
  ** calls them with the heap lock held, on every change of the free set.
  ** ix_insert: free block b (head final) joins.  ix_remove: listed b
  ** leaves.  ix_replace: free block nb (head final) takes listed old's place; no
  ** other free block lies between them, and nb == old means old's size
  ** changed. */
  void (*ix_insert)(struct fit_heap *h, fit_blk *b);
  void (*ix_remove)(struct fit_heap *h, fit_blk *b);
  void (*ix_replace)(struct fit_heap *h, fit_blk *old, fit_blk *nb);
} fit_policy;

/* Quick lists (parameter `cache`): per P, freed blocks of one exact size
** each, 48 .. 544 bytes, linked through `next`.  A cached block stays in
** use to the heap (never coalesced, never found) and is marked by its
** `cached` byte, which base_of and walk read: it is free to the program. */
#define FIT_QBINS 32
typedef struct fit_pcache {
  fit_blk *q[FIT_QBINS];     /* by block size / 16 - 3 */
  uint32_t n[FIT_QBINS];     /* blocks on each */
} fit_pcache;

/* The whole heap, in the allocator's shared state. */
typedef struct fit_heap {
  rt_lock lock;              /* guards everything below */
  const fit_policy *pol;     /* the policy */
  int order;                 /* FIT_ADDRESS, FIT_LIFO or FIT_FIFO */
  int coalesce;              /* FIT_IMMEDIATE or FIT_DEFERRED */
  fit_blk bins[FIT_NBINS];   /* free lists: circular, each through its sentinel */
  uint64_t nonempty[FIT_NBINS / 64];  /* bit i: bins[i] holds a block */
  int indexed;               /* the policy's ix_* ops replace the list (order=address) */
  fit_blk *root;             /* the index's root, when indexed (NULL: no free block) */
  fit_blk *rover;            /* next fit's roving pointer (NULL: from the head) */
  fit_chunk *chunks;         /* all chunks, in address order */
  fit_chunk *spare;          /* a fully free standard chunk kept in reserve */
  uint64_t dirty;            /* frees not yet coalesced (deferred) */
} fit_heap;

/* A P's state: its quick lists, and its heap when heaps=per_p. */
typedef struct fit_pstate {
  fit_pcache q;              /* quick lists (parameter cache) */
  fit_heap heap;             /* this P's heap (heaps=per_p; unused when shared) */
} fit_pstate;

/* The heap p allocates from. */
static inline fit_heap *fit_home(rt_ap *p) {
  if (p->param[FIT_P_HEAPS].i == FIT_SHARED) return p->shared;
  return &((fit_pstate *)p->state)->heap;
}

static inline size_t fit_size(const fit_blk *b) { return b->head & ~(size_t)FIT_FLAGS; }

/* The first non-empty bin at or after i, or -1. */
static inline int fit_next_bin(const fit_heap *h, int i) {
  for (int w = i / 64; i < FIT_NBINS; w++, i = w * 64) {
    uint64_t m = h->nonempty[w] & (~0ull << (i % 64));
    if (m) return w * 64 + __builtin_ctzll(m);
  }
  return -1;
}

/* The shared ops (fit.c). */
int fit_init(rt_ap *p, const fit_policy *pol);
void fit_fini(rt_ap *p);
void *fit_alloc(rt_ap *p, size_t size, unsigned flags);
void fit_free(rt_ap *p, void *ptr);

/* The heap lock, skipped when the run has one P: then one M at a time
** runs Gs, and the ops run on it (glibc skips its arena locks likewise
** while a process has one thread).  An uncontended lock and unlock cost
** 9% of first fit's churn time here. */
static inline void fit_lock(rt_ap *p, fit_heap *h) {
  if (p->nprocs > 1) rt_lock_acquire(&h->lock);
}
static inline void fit_unlock(rt_ap *p, fit_heap *h) {
  if (p->nprocs > 1) rt_lock_release(&h->lock);
}
void *fit_base_of(rt_ap *p, const void *addr);
size_t fit_size_of(rt_ap *p, const void *base);
void fit_walk(rt_ap *p, void (*fn)(void *base, size_t size, void *ctx), void *ctx);
uint8_t *fit_mark_of(rt_ap *p, const void *base);

/* The parameters every fit allocator declares, in FIT_P_* order. */
#define FIT_PARAMS(ORDER_DEFAULT)                                                          \
  {"order", RT_PT_ENUM, ORDER_DEFAULT, 0, 0, "address|lifo|fifo",                          \
   "free-list order (Wilson 1995): by address, last freed first, first freed first"},      \
  {"coalesce", RT_PT_ENUM, FIT_IMMEDIATE, 0, 0, "immediate|deferred",                      \
   "merge a freed block with free neighbours at once, or only when no block fits"},        \
  {"cache", RT_PT_INT, 0, 0, 4096, NULL,                                                    \
   "per-P quick lists (Weinstock & Wulf's quick fit): freed blocks of up to 544 B kept "   \
   "per P and size, this many each, reused without the lock; 0: off"},                    \
  {"heaps", RT_PT_ENUM, FIT_PER_P, 0, 0, "per_p|shared",                                   \
   "a heap per P, each behind its own lock (a block returns to its own heap), or one "     \
   "heap behind one lock for all Ps"}

/* Defines the ops table of allocator NAME on the fit_policy POLICY and the
** parameter table PARAMS, and its getter rt_alloc_NAME. */
#define FIT_OPS(NAME, SUMMARY, PARAMS, POLICY)                                  \
  static int NAME##_init(rt_ap *p) { return fit_init(p, &POLICY); }             \
  static const rt_alloc_ops NAME##_ops = {                                      \
    .abi = RT_ABI_VERSION, .name = #NAME, .summary = SUMMARY,                   \
    .params = PARAMS, .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),       \
    .shared_size = sizeof(fit_heap), .state_size = sizeof(fit_pstate),          \
    .caps = RT_AC_FIND | RT_AC_MARK,                                            \
    .init = NAME##_init, .fini = fit_fini, .alloc = fit_alloc,                  \
    .free = fit_free, .base_of = fit_base_of, .size_of = fit_size_of,           \
    .walk = fit_walk, .mark_of = fit_mark_of,                                   \
  };                                                                            \
  const rt_alloc_ops *rt_alloc_##NAME(void) { return &NAME##_ops; }

#endif
