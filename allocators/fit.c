/*
** fit.c: the machinery of the sequential-fit allocators (first_fit,
** next_fit, best_fit): chunks, boundary-tagged blocks, free lists in
** Wilson's orders, splitting, immediate or deferred coalescing, and the
** collector's view (base_of, size_of, walk, mark_of).  fit.h describes
** the layout and cites the sources (Wilson et al. 1995; Knuth's boundary
** tags).
**
** Cost.  alloc: the policy's find, then O(1) to split.  free: O(1) to
** coalesce (boundary tags); putting the block on its list is O(1) for
** LIFO and FIFO and, for address order, O(1) when it merges with a free
** neighbour (it takes the neighbour's place), else a walk of its chunk's
** blocks to the nearest free one (a list scan only when the chunk has no
** other free block).  A policy's index (fit_policy.ix_*, first fit's
** address tree) replaces the list in address order: each change of the
** free set is then the index's O(log n) update.  Deferred coalescing
** merges everything in one pass over the chunks when no block fits.
*/
#include "fit.h"

#include <string.h>

_Static_assert(offsetof(fit_blk, next) == FIT_HDR, "links follow the 16-byte header");
_Static_assert(offsetof(fit_blk, up) + 8 <= FIT_MIN - 8, "tree fields end before the footer");
_Static_assert(FIT_CHUNK / 16 <= UINT16_MAX, "kmax holds any free block's size");
_Static_assert(sizeof(fit_chunk) + 16 < RT_PAGE, "a chunk header fits in its first page");

#define HDRSZ ((sizeof(fit_chunk) + 15) & ~(size_t)15)  /* chunk header, rounded */

/* ==== blocks ========================================================= */

static inline fit_blk *blk_next(fit_blk *b) { return (fit_blk *)((char *)b + fit_size(b)); }
static inline fit_blk *blk_prev(fit_blk *b) {  /* only when !(b->head & FIT_PINUSE) */
  return (fit_blk *)((char *)b - ((size_t *)b)[-1]);
}
static inline void blk_footer(fit_blk *b) {
  ((size_t *)blk_next(b))[-1] = fit_size(b);
}
static inline fit_blk *blk_of(const void *base) { return (fit_blk *)((char *)base - FIT_HDR); }

/* The object-start bitmap of standard chunks. */
static inline void bit_set(fit_chunk *c, fit_blk *b) {
  size_t i = (size_t)((char *)b - c->start) / 16;
  c->starts[i / 64] |= 1ull << (i % 64);
}
static inline void bit_clear(fit_chunk *c, fit_blk *b) {
  size_t i = (size_t)((char *)b - c->start) / 16;
  c->starts[i / 64] &= ~(1ull << (i % 64));
}

/* ==== free lists ===================================================== */

static void list_link(fit_heap *h, int i, fit_blk *b, fit_blk *at) {  /* b before at */
  b->next = at;
  b->prev = at->prev;
  at->prev->next = b;
  at->prev = b;
  h->nonempty[i / 64] |= 1ull << (i % 64);
}

/* In the one address-ordered list: the free block b goes before.  The
** nearest free block after b in its chunk, found walking the chunk's
** blocks (usually a few steps), else the one after the last free block
** before b in the chunk; only a chunk without another free block scans
** the list. */
static fit_blk *addr_place(fit_heap *h, fit_blk *b) {
  fit_chunk *c = rt_pages_owner(b);
  fit_blk *x, *last = NULL;
  for (x = blk_next(b); (char *)x < c->end; x = blk_next(x))
    if (!(x->head & FIT_INUSE)) return x;
  for (x = (fit_blk *)c->start; x != b; x = blk_next(x))
    if (!(x->head & FIT_INUSE)) last = x;
  if (last) return last->next;
  fit_blk *s = &h->bins[0];
  for (x = s->next; x != s && x < b; x = x->next) {}
  return x;
}

/* Puts free block b on its list, in the heap's order. */
static void list_insert(fit_heap *h, fit_blk *b) {
  if (h->indexed) {
    h->pol->ix_insert(h, b);
    return;
  }
  int i = h->pol->sized ? h->pol->bin_of(fit_size(b)) : 0;
  fit_blk *s = &h->bins[i], *at, *t = s->prev;
  size_t n = fit_size(b);
  if (!h->pol->sized) {
    if (h->order == FIT_LIFO) at = s->next;
    else if (h->order == FIT_FIFO || t == s || t < b) at = s;
    else at = addr_place(h, b);
  } else if (t == s || fit_size(t) < n ||
             (fit_size(t) == n && h->order != FIT_LIFO && (h->order == FIT_FIFO || t < b))) {
    at = s;  /* goes last: the common case when bins hold one size */
  } else {
    for (at = s->next; at != s && fit_size(at) < n; at = at->next) {}
    if (h->order == FIT_FIFO)
      while (at != s && fit_size(at) == n) at = at->next;
    else if (h->order == FIT_ADDRESS)
      while (at != s && fit_size(at) == n && at < b) at = at->next;
  }
  list_link(h, i, b, at);
}

static void list_remove(fit_heap *h, fit_blk *b) {
  if (h->indexed) {
    h->pol->ix_remove(h, b);
    return;
  }
  if (h->rover == b) h->rover = b->next;
  b->prev->next = b->next;
  b->next->prev = b->prev;
  if (b->next == b->prev) {  /* the bin may be empty now */
    int i = h->pol->sized ? h->pol->bin_of(fit_size(b)) : 0;
    if (h->bins[i].next == &h->bins[i]) h->nonempty[i / 64] &= ~(1ull << (i % 64));
  }
}

/* nb takes old's place in its list (one list, so the bin is the same);
** nb == old: its size changed (only an index cares). */
static void list_replace(fit_heap *h, fit_blk *old, fit_blk *nb) {
  if (h->indexed) {
    h->pol->ix_replace(h, old, nb);
    return;
  }
  if (nb == old) return;
  nb->next = old->next;
  nb->prev = old->prev;
  nb->prev->next = nb;
  nb->next->prev = nb;
  if (h->rover == old) h->rover = nb;
}

static void lists_reset(fit_heap *h) {
  for (int i = 0; i < FIT_NBINS; i++) h->bins[i].next = h->bins[i].prev = &h->bins[i];
  memset(h->nonempty, 0, sizeof h->nonempty);
  h->root = NULL;
  h->rover = NULL;
}

/* ==== chunks ========================================================= */

static void chunk_link(fit_heap *h, fit_chunk *c) {  /* address order */
  fit_chunk **pp = &h->chunks, *prev = NULL;
  while (*pp && *pp < c) prev = *pp, pp = &(*pp)->next;
  c->next = *pp;
  c->prev = prev;
  if (*pp) (*pp)->prev = c;
  *pp = c;
}

static void chunk_unlink(fit_heap *h, fit_chunk *c) {
  if (c->prev) c->prev->next = c->next;
  else h->chunks = c->next;
  if (c->next) c->next->prev = c->prev;
  if (h->spare == c) h->spare = NULL;
}

/* A new chunk of npages; its one block is free and listed (standard) or
** allocated (big).  NULL when the arena is exhausted. */
static fit_chunk *chunk_new(fit_heap *h, rt_ap *p, size_t npages, int big) {
  fit_chunk *c = rt_pages_alloc(p, npages);
  if (!c) return NULL;
  c->heap = h;
  c->npages = npages;
  c->big = big;
  c->start = (char *)c + HDRSZ;
  c->end = (char *)c + npages * RT_PAGE - 16;
  fit_blk *b = (fit_blk *)c->start, *s = (fit_blk *)c->end;
  b->head = (size_t)(c->end - c->start) | FIT_PINUSE | (big ? FIT_INUSE : 0);
  s->head = FIT_INUSE | (big ? FIT_PINUSE : 0);
  rt_pages_set_owner(c, npages, c);
  chunk_link(h, c);
  if (!big) {
    blk_footer(b);
    bit_set(c, b);
    list_insert(h, b);
  }
  return c;
}

/* A chunk's pages stay resident a while (the arena's retained pages), so
** a heap that empties and refills (a producer/consumer) does not pay a
** release and page faults each time; those free for FIT_SCAVENGE_MS go
** back to the OS. */
static void chunk_release(rt_ap *p, fit_chunk *c) {
  size_t n = c->npages;
  rt_pages_set_owner(c, n, NULL);
  rt_pages_retain(p, c, n);
  rt_pages_scavenge(p, FIT_SCAVENGE_MS, SIZE_MAX);
}

/* ==== allocation ===================================================== */

/* Block bytes for a request (the request is at most FIT_MAXREQ). */
static inline size_t req_block(size_t size) {
  size_t n = (size + FIT_HDR + 15) & ~(size_t)15;
  return n < FIT_MIN ? FIT_MIN : n;
}

/* Takes free block b for n bytes: off its list, split when the rest can
** be a block. */
static void take(fit_heap *h, fit_blk *b, size_t n) {
  fit_chunk *c = rt_pages_owner(b);
  size_t have = fit_size(b);
  if (h->spare && (char *)b == h->spare->start) h->spare = NULL;
  if (have - n >= FIT_MIN) {
    fit_blk *r = (fit_blk *)((char *)b + n);
    if (h->pol->sized) list_remove(h, b);  /* while b has its old size (its bin) */
    r->head = (have - n) | FIT_PINUSE;
    blk_footer(r);
    bit_set(c, r);
    b->head = n | (b->head & FIT_PINUSE) | FIT_INUSE;
    if (!h->pol->sized) list_replace(h, b, r);  /* the rest keeps b's place */
    else list_insert(h, r);
  } else {
    list_remove(h, b);
    b->head |= FIT_INUSE;
    blk_next(b)->head |= FIT_PINUSE;
  }
}

static void coalesce_all(fit_heap *h, rt_ap *p);

/* Quick lists: the bin of a block size, or -1 when too large. */
static inline int q_bin(size_t bsize) {
  size_t i = bsize / 16 - FIT_MIN / 16;
  return i < FIT_QBINS ? (int)i : -1;
}

static inline bool q_cached(const fit_blk *b) {
  return __atomic_load_n(&b->cached, __ATOMIC_RELAXED) != 0;
}

/* A block of exactly n bytes from p's quick list, or NULL. */
static inline fit_blk *q_take(rt_ap *p, size_t n) {
  fit_pcache *q = &((fit_pstate *)p->state)->q;
  int i = q_bin(n);
  fit_blk *b = i >= 0 ? q->q[i] : NULL;
  if (!b) return NULL;
  q->q[i] = b->next;
  q->n[i]--;
  __atomic_store_n(&b->cached, 0, __ATOMIC_RELAXED);
  return b;
}

/* Keeps freed block b of bsize bytes on p's quick list when there is room. */
static inline bool q_put(rt_ap *p, fit_blk *b, size_t bsize) {
  fit_pcache *q = &((fit_pstate *)p->state)->q;
  int i = q_bin(bsize);
  if (i < 0 || q->n[i] >= (uint32_t)p->param[FIT_P_CACHE].i) return false;
  __atomic_store_n(&b->cached, 1, __ATOMIC_RELAXED);
  b->next = q->q[i];
  q->q[i] = b;
  q->n[i]++;
  return true;
}

void *fit_alloc(rt_ap *p, size_t size, unsigned flags) {
  if (size > FIT_MAXREQ) return NULL;
  size_t n = req_block(size);
  fit_blk *b = q_take(p, n);
  if (b) {  /* quick fit: no lock */
    b->req = (uint32_t)size;
    __atomic_store_n(&b->mark, 0, __ATOMIC_RELAXED);  /* a concurrent mark may read it */
    p->st.live_bytes += (int64_t)size;
    p->st.inuse_bytes += (int64_t)n;
    void *x = (char *)b + FIT_HDR;
    if (flags & RT_AF_ZERO) memset(x, 0, size);
    return x;
  }
  fit_heap *h = fit_home(p);  /* not needed by the quick path above */
  fit_lock(p, h);
  if (n > FIT_BIG) {
    size_t np = (HDRSZ + n + 16 + RT_PAGE - 1) / RT_PAGE;
    fit_chunk *c = chunk_new(h, p, np, 1);
    b = c ? (fit_blk *)c->start : NULL;
  } else {
    b = h->pol->find(h, n);
    if (!b && h->dirty) {
      coalesce_all(h, p);
      b = h->pol->find(h, n);
    }
    if (!b) {
      fit_chunk *c = chunk_new(h, p, FIT_CHUNK_PAGES, 0);
      b = c ? (fit_blk *)c->start : NULL;
    }
    if (b) take(h, b, n);
  }
  if (b) {
    b->req = (uint32_t)size;
    __atomic_store_n(&b->mark, 0, __ATOMIC_RELAXED);  /* a concurrent mark may read it */
    __atomic_store_n(&b->cached, 0, __ATOMIC_RELAXED);  /* a treap priority's byte before */
    b->units = fit_size(b) / 16 <= UINT16_MAX ? (uint16_t)(fit_size(b) / 16) : 0;
    p->st.live_bytes += (int64_t)size;
    p->st.inuse_bytes += (int64_t)fit_size(b);
  }
  fit_unlock(p, h);
  if (!b) return NULL;
  void *x = (char *)b + FIT_HDR;
  if (flags & RT_AF_ZERO) memset(x, 0, size);
  return x;
}

/* ==== free and coalescing ============================================ */

/* Immediate coalescing of free block b (not listed) with its neighbours;
** returns the chunk to release when the chunk became free and one is kept
** already, else NULL. */
static fit_chunk *merge(fit_heap *h, fit_chunk *c, fit_blk *b) {
  int inplace = !h->pol->sized && h->order == FIT_ADDRESS, listed = 0;
  size_t n = fit_size(b);
  fit_blk *took = NULL;  /* the listed nx whose place b takes */
  if (!(b->head & FIT_PINUSE)) {
    fit_blk *pv = blk_prev(b);
    bit_clear(c, b);
    if (!inplace) list_remove(h, pv);
    else listed = 1;  /* pv keeps its place */
    n += fit_size(pv);
    b = pv;
  }
  fit_blk *nx = (fit_blk *)((char *)b + n);  /* after b and what it absorbed */
  if (!(nx->head & FIT_INUSE)) {
    bit_clear(c, nx);
    if (inplace && !listed) took = nx;  /* replaced below, once b's size is final */
    else list_remove(h, nx);
    n += fit_size(nx);
  }
  b->head = n | (b->head & FIT_PINUSE);
  blk_footer(b);  /* past took's links: FIT_MIN leaves room */
  blk_next(b)->head &= ~(size_t)FIT_PINUSE;
  if (took) list_replace(h, took, b);
  else if (listed) list_replace(h, b, b);  /* b is pv, grown in place */
  else list_insert(h, b);
  if ((char *)b != c->start || (char *)b + n != c->end) return NULL;
  if (!h->spare || h->spare == c) {
    h->spare = c;
    return NULL;
  }
  list_remove(h, b);
  chunk_unlink(h, c);
  return c;
}

void fit_free(rt_ap *p, void *ptr) {
  fit_blk *b = blk_of(ptr);
  size_t bsize = (size_t)b->units * 16;
  if (bsize && q_put(p, b, bsize)) {  /* quick fit: no lock */
    p->st.live_bytes -= (int64_t)b->req;
    p->st.inuse_bytes -= (int64_t)bsize;
    return;
  }
  fit_chunk *c = rt_pages_owner(b), *gone = NULL;
  fit_heap *h = c->heap;  /* per-P heaps: maybe another P's */
  fit_lock(p, h);
  p->st.live_bytes -= (int64_t)b->req;
  p->st.inuse_bytes -= (int64_t)fit_size(b);
  b->head &= ~(size_t)FIT_INUSE;
  if (c->big) {
    chunk_unlink(h, c);
    gone = c;
  } else if (h->coalesce == FIT_IMMEDIATE) {
    gone = merge(h, c, b);
  } else {
    blk_footer(b);
    blk_next(b)->head &= ~(size_t)FIT_PINUSE;
    list_insert(h, b);
    h->dirty++;
  }
  fit_unlock(p, h);
  if (gone) chunk_release(p, gone);
}

/* Deferred coalescing: merges every run of free blocks, rebuilds the
** lists in address order of the chunks, keeps one free chunk and releases
** the others. */
static void coalesce_all(fit_heap *h, rt_ap *p) {
  lists_reset(h);
  h->spare = NULL;
  h->dirty = 0;
  for (fit_chunk *c = h->chunks, *nc; c; c = nc) {
    nc = c->next;
    if (c->big) continue;
    for (fit_blk *b = (fit_blk *)c->start; (char *)b < c->end; b = blk_next(b)) {
      if (b->head & FIT_INUSE) continue;
      size_t n = fit_size(b);
      for (fit_blk *x = blk_next(b); !(x->head & FIT_INUSE); x = blk_next(x)) {
        bit_clear(c, x);
        n += fit_size(x);
      }
      b->head = n | (b->head & FIT_PINUSE);
      blk_footer(b);
      if ((char *)b == c->start && (char *)b + n == c->end && h->spare) {
        chunk_unlink(h, c);
        chunk_release(p, c);
        break;
      }
      if ((char *)b == c->start && (char *)b + n == c->end) h->spare = c;
      list_insert(h, b);
    }
  }
}

/* ==== setup ========================================================== */

/* The heaps of a run: every P's, or the shared one once. */
#define FOR_HEAPS(p, i, h) \
  for (int i = 0; i < (p)->nprocs; i++) \
    for (fit_heap *h = fit_home((p)->all[i]); h; h = NULL) \
      if (i == 0 || h != fit_home((p)->all[0]))

/* Each P sets up its own heap, or P 0 the shared one. */
int fit_init(rt_ap *p, const fit_policy *pol) {
  fit_heap *h = fit_home(p);
  if (h == p->shared && p->id != 0) return RT_OK;
  h->pol = pol;
  h->order = (int)p->param[FIT_P_ORDER].i;
  h->coalesce = (int)p->param[FIT_P_COALESCE].i;
  h->indexed = pol->ix_insert && !pol->sized && h->order == FIT_ADDRESS;
  lists_reset(h);
  return RT_OK;
}

/* P 0 comes last: it gives back every heap's chunks at once (a block
** freed on P 1 may have gone back to P 0's heap, and the other way). */
void fit_fini(rt_ap *p) {
  if (p->id != 0) return;
  FOR_HEAPS(p, i, h) {
    while (h->chunks) {
      fit_chunk *c = h->chunks;
      chunk_unlink(h, c);
      rt_pages_set_owner(c, c->npages, NULL);
      rt_pages_free(p, c, c->npages);
    }
    lists_reset(h);
  }
}

/* ==== the collector's view =========================================== */

void *fit_base_of(rt_ap *p, const void *addr) {
  fit_chunk *c = rt_pages_owner(addr);
  if (!c) return NULL;
  const char *a = addr;
  void *r = NULL;
  fit_lock(p, c->heap);
  if (a >= c->start && a < c->end) {
    fit_blk *b = (fit_blk *)c->start;
    if (!c->big) {  /* the highest block start at or below a */
      size_t i = (size_t)(a - c->start) / 16, w = i / 64;
      uint64_t m = c->starts[w] & (~0ull >> (63 - i % 64));
      while (!m && w > 0) m = c->starts[--w];
      b = (fit_blk *)(c->start + (w * 64 + 63 - (size_t)__builtin_clzll(m)) * 16);
    }
    char *x = (char *)b + FIT_HDR;
    if ((b->head & FIT_INUSE) && !q_cached(b) && a >= x && a < (char *)b + fit_size(b)) r = x;
  }
  fit_unlock(p, c->heap);
  return r;
}

/* Under the lock: a neighbour's free rewrites flag bits of this header
** (FIT_PINUSE) while another P asks for the size. */
size_t fit_size_of(rt_ap *p, const void *base) {
  fit_chunk *c = rt_pages_owner(base);
  fit_lock(p, c->heap);
  size_t n = fit_size(blk_of(base)) - FIT_HDR;
  fit_unlock(p, c->heap);
  return n;
}

uint8_t *fit_mark_of(rt_ap *p, const void *base) { return &blk_of(base)->mark; }

void fit_walk(rt_ap *p, void (*fn)(void *base, size_t size, void *ctx), void *ctx) {
  FOR_HEAPS(p, i, h)
  for (fit_chunk *c = h->chunks; c; c = c->next)
    for (fit_blk *b = (fit_blk *)c->start; (char *)b < c->end; b = blk_next(b))
      if ((b->head & FIT_INUSE) && !q_cached(b)) fn((char *)b + FIT_HDR, fit_size(b) - FIT_HDR, ctx);
}
