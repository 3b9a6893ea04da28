/*
** first_fit.c: first fit (Wilson et al. 1995, 3.4; Knuth TAOCP 2.5):
** take the first free block that is large enough, splitting off the rest.
** Free-list order defaults to address order, the variant Wilson and
** Johnstone found to fragment least.
**
** Address order: the lowest-addressed free block of at least n bytes.  A
** plain list scan pays for the small remainders that gather at the front
** (the classic weakness of first fit), so in this order the free blocks
** are kept instead in a treap keyed by address (Seidel and Aragon,
** "Randomized Search Trees", Algorithmica 1996) whose nodes also hold the
** largest block size under each child, as in an augmented search tree
** (Cormen et al., Introduction to Algorithms, 14.2).  Finding descends
** left whenever the left subtree holds a large-enough block, so it meets
** the lowest-addressed fit: the same block the address-ordered scan takes.
** Nodes live in the free blocks (fit.h: fit_blk's tree fields) with a
** parent link, and each holds the maxima of its two subtrees, so no step
** reads a node off its path.  The priority is a hash of the address
** (deterministic runs); a block that takes another's place (a split's
** rest, a merge) takes its node and priority.  Cost, n free blocks,
** expected: find O(log n), one descent; insert O(log n), a descent and
** O(1) rotations; remove and replace O(1) rotations and relinks, then a
** walk up refreshing maxima that stops at the first unchanged one (at
** worst O(log n)).
**
** LIFO and FIFO: "first" is by list position, so those orders keep
** fit.c's list and scan it from the head: O(n) per allocation.
** The heap, boundary tags and coalescing are fit.c's.
**
** Building with FIT_CHECK_TREE checks every find against a scan of the
** tree in address order, and the tree's invariants (debug only).
*/
#include "fit.h"

static int first_bin(size_t bsize) { return 0; }

/* ==== the address tree =============================================== */

/* Children are kid[0] (lower addresses) and kid[1] (higher); descents
** index them with a comparison instead of branching on it, since the
** direction is a coin toss the branch predictor cannot learn. */

/* A block's size in 16-byte units, the unit of kmax. */
static inline unsigned t_units(const fit_blk *b) { return (unsigned)(fit_size(b) >> 4); }

/* The largest block in subtree t, in units (0: empty), from t alone: each
** node holds its children's maxima. */
static inline unsigned t_max(const fit_blk *t) {
  if (!t) return 0;
  unsigned m = t_units(t), l = t->kmax[0], r = t->kmax[1];
  return m > l ? (m > r ? m : r) : (l > r ? l : r);
}

/* The priority of a block at b: a 64-bit mixer (murmur3's finalizer). */
static inline uint32_t t_prio(const fit_blk *b) {
  uint64_t x = (uint64_t)(uintptr_t)b;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return (uint32_t)(x >> 32);
}

/* Which child of p t is (p->kid[t_side(p, t)] == t). */
static inline int t_side(const fit_blk *p, const fit_blk *t) { return p->kid[1] == t; }

/* The pointer to t: its parent's child link, or the root. */
static inline fit_blk **t_link(fit_heap *h, fit_blk *t) {
  fit_blk *p = t->up;
  return p ? &p->kid[t_side(p, t)] : &h->root;
}

/* t's subtree maximum may have changed: refreshes its ancestors' kmax,
** stopping at the first that already holds the new value. */
static void t_refresh(fit_blk *t) {
  for (fit_blk *p = t->up; p; t = p, p = p->up) {
    uint16_t m = (uint16_t)t_max(t), *f = &p->kmax[t_side(p, t)];
    if (*f == m) return;
    *f = m;
  }
}

/* Rotates t above its parent; the pair's subtree keeps its blocks, so
** only the two nodes' maxima change. */
static void t_rotate_up(fit_heap *h, fit_blk *t) {
  fit_blk *p = t->up, **lk = t_link(h, p);
  int s = t_side(p, t);  /* t's side of p; p goes to t's other side */
  fit_blk *m = t->kid[!s];
  p->kid[s] = m;
  if (m) m->up = p;
  p->kmax[s] = t->kmax[!s];
  t->kid[!s] = p;
  t->kmax[!s] = (uint16_t)t_max(p);
  t->up = p->up;
  p->up = t;
  *lk = t;
}

/* The lowest-addressed block of at least bsize bytes: left while the left
** subtree has one, else this block if it fits, else right. */
static fit_blk *t_find(fit_blk *t, size_t bsize) {
  unsigned n = (unsigned)(bsize >> 4);
  if (t_max(t) < n) return NULL;
  for (;;) {
    fit_blk *l = t->kid[0], *r = t->kid[1];
    __builtin_prefetch(l);  /* both: which one is next is a coin toss */
    __builtin_prefetch(r);
    int right = t->kmax[0] < n;
    if (right && t_units(t) >= n) return t;
    t = right ? r : l;
  }
}

/* Down to a leaf by address, raising the maxima on the way, then up by
** rotations while b's priority beats its parent's (O(1) expected). */
static void first_ix_insert(fit_heap *h, fit_blk *b) {
  uint16_t n = (uint16_t)t_units(b);
  fit_blk *p = NULL, **lk = &h->root;
  while (*lk) {
    p = *lk;
    int s = b > p;
    uint16_t m = p->kmax[s];
    p->kmax[s] = n > m ? n : m;
    lk = &p->kid[s];
  }
  b->prio = t_prio(b);
  b->kid[0] = b->kid[1] = NULL;
  b->kmax[0] = b->kmax[1] = 0;
  b->up = p;
  *lk = b;
  while (b->up && b->prio > b->up->prio) t_rotate_up(h, b);
}

/* Rotates b down below its higher-priority child until it has at most
** one child (O(1) expected), splices it out, refreshes the maxima above. */
static void first_ix_remove(fit_heap *h, fit_blk *b) {
  while (b->kid[0] && b->kid[1]) t_rotate_up(h, b->kid[b->kid[1]->prio > b->kid[0]->prio]);
  fit_blk *c = b->kid[0] ? b->kid[0] : b->kid[1], *p = b->up;
  if (!p) {
    h->root = c;
    if (c) c->up = NULL;
    return;
  }
  int s = t_side(p, b);
  p->kid[s] = c;
  if (c) c->up = p;
  p->kmax[s] = (uint16_t)t_max(c);
  t_refresh(p);
}

/* nb takes old's node, links and priority (old == nb: its size changed),
** then the maxima above are refreshed: O(1) but for that walk. */
static void first_ix_replace(fit_heap *h, fit_blk *old, fit_blk *nb) {
  if (old != nb) {
    fit_blk **lk = t_link(h, old), *l = old->kid[0], *r = old->kid[1], *u = old->up;
    uint32_t pr = old->prio;
    uint16_t lm = old->kmax[0], rm = old->kmax[1];
    nb->kid[0] = l;
    nb->kid[1] = r;
    nb->up = u;
    nb->prio = pr;
    nb->kmax[0] = lm;
    nb->kmax[1] = rm;
    *lk = nb;
    if (l) l->up = nb;
    if (r) r->up = nb;
  }
  t_refresh(nb);
}

#ifdef FIT_CHECK_TREE
#include <assert.h>

/* The first fit by an in-order scan, checking order, maxima and
** priorities on the way; *prevp is the last block seen. */
static void t_check(const fit_blk *t, size_t n, const fit_blk **prevp, const fit_blk **fitp) {
  if (!t) return;
  for (int i = 0; i < 2; i++) {
    const fit_blk *k = t->kid[i];
    assert(!k || ((i ? k > t : k < t) && k->prio <= t->prio && k->up == t));
    assert(t->kmax[i] == t_max(k));
  }
  assert(!(t->head & FIT_INUSE));
  t_check(t->kid[0], n, prevp, fitp);
  assert(!*prevp || *prevp < t);
  *prevp = t;
  if (!*fitp && fit_size(t) >= n) *fitp = t;
  t_check(t->kid[1], n, prevp, fitp);
}
#endif

/* ==== the policy ===================================================== */

static fit_blk *first_find(fit_heap *h, size_t bsize) {
  if (h->indexed) {
    fit_blk *b = t_find(h->root, bsize);
#ifdef FIT_CHECK_TREE
    const fit_blk *prev = NULL, *fit = NULL;
    assert(!h->root || !h->root->up);
    t_check(h->root, bsize, &prev, &fit);
    assert(fit == b);
#endif
    return b;
  }
  fit_blk *s = &h->bins[0];
  for (fit_blk *b = s->next; b != s; b = b->next)
    if (fit_size(b) >= bsize) return b;
  return NULL;
}

static const fit_policy first_policy = {
  .bin_of = first_bin, .find = first_find, .sized = 0,
  .ix_insert = first_ix_insert, .ix_remove = first_ix_remove, .ix_replace = first_ix_replace,
};
static const rt_param first_params[] = {FIT_PARAMS(FIT_ADDRESS)};

FIT_OPS(first_fit, "first fit over one free list, boundary tags (Wilson 1995)", first_params,
        first_policy)
