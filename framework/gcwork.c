/*
** gcwork.c: mark work shared by the workers of a parallel mark (the
** rt_markq / rt_gcw service of rt_module.h), after Go's gcWork and its
** work.full / work.empty lists (mgcwork.go).
**
** A worker pushes and pops on its own two buffers without a lock.  Only
** whole buffers cross between workers, under the queue's lock: one lock
** round per RT_WBUF_N objects at most, so a plain lock serves (Go uses
** lock-free stacks; at 2-8 workers the lock is not where time goes).
**
** Termination: a worker that finds neither a buffer of its own nor a
** shared one counts itself idle and waits for one to appear; the mark is
** done when every worker is idle and no buffer is shared.  A worker puts
** a full buffer on the list before it can count itself idle, so whoever
** sees all idle and then the list empty knows nothing is left.  Workers
** that wait spin briefly, then yield their CPU (more Ms than cores).
*/
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_module.h"
#include "proc.h"

struct rt_markq {
  rt_lock lock;              /* guards full, empty */
  rt_wbuf *full;             /* buffers with work, any worker's */
  rt_wbuf *empty;            /* spare buffers */
  _Atomic int nfull;         /* length of full, read without the lock */
  _Atomic int nidle;         /* workers out of work, waiting or gone */
  _Atomic int ndone;         /* of those, gone: the mark was seen done */
  int nworkers;              /* workers of this drain */
  _Atomic bool lost;         /* an object was dropped: no buffer */
};

rt_markq *rt_markq_new(int maxworkers) {
  rt_markq *q = calloc(1, sizeof *q);
  for (int i = 0; q && i < 2 * maxworkers; i++) {
    rt_wbuf *b = malloc(sizeof *b);
    if (!b) {
      rt_markq_free(q);
      return NULL;
    }
    b->next = q->empty;
    q->empty = b;
  }
  return q;
}

void rt_markq_free(rt_markq *q) {
  if (!q) return;
  for (rt_wbuf *b = q->full, *nx; b; b = nx) nx = b->next, free(b);
  for (rt_wbuf *b = q->empty, *nx; b; b = nx) nx = b->next, free(b);
  free(q);
}

void rt_markq_reset(rt_markq *q, int nworkers) {
  q->nworkers = nworkers;
  atomic_store(&q->nidle, 0);
  atomic_store(&q->ndone, 0);
  atomic_store(&q->lost, false);
}

bool rt_markq_lost(rt_markq *q) { return atomic_load(&q->lost); }

/* An empty buffer, spare or new; NULL when out of memory. */
static rt_wbuf *q_empty(rt_markq *q) {
  rt_lock_acquire(&q->lock);
  rt_wbuf *b = q->empty;
  if (b) q->empty = b->next;
  rt_lock_release(&q->lock);
  if (!b) b = malloc(sizeof *b);
  if (b) b->n = 0;
  return b;
}

/* Buffer b, full or part full, becomes anyone's. */
static void q_share(rt_markq *q, rt_wbuf *b) {
  rt_lock_acquire(&q->lock);
  b->next = q->full;
  q->full = b;
  atomic_fetch_add(&q->nfull, 1);
  rt_lock_release(&q->lock);
}

/* Every buffer is back on the empty list between drains (the full list is
** empty when a drain ends), and it holds two per worker from the start. */
void rt_gcw_init(rt_gcw *w, rt_markq *q) {
  w->q = q;
  w->cur = q_empty(q);
  w->alt = q_empty(q);
}

void rt_gcw_fini(rt_gcw *w) {
  rt_markq *q = w->q;
  rt_lock_acquire(&q->lock);
  for (int i = 0; i < 2; i++) {
    rt_wbuf *b = i ? w->alt : w->cur;
    if (!b) continue;
    b->n = 0;
    b->next = q->empty;
    q->empty = b;
  }
  rt_lock_release(&q->lock);
  w->cur = w->alt = NULL;
}

bool rt_gcw_flush(rt_gcw *w) {
  rt_wbuf *t = w->cur;
  if (w->alt->n < RT_WBUF_N) {  /* the other buffer has room: swap */
    w->cur = w->alt;
    w->alt = t;
    return true;
  }
  rt_wbuf *b = q_empty(w->q);
  if (!b) {
    atomic_store(&w->q->lost, true);
    return false;
  }
  q_share(w->q, t);
  w->cur = b;
  return true;
}

/* A shared buffer into w->cur (its empty one goes spare); false if none. */
static bool gcw_take(rt_gcw *w) {
  rt_markq *q = w->q;
  if (atomic_load(&q->nfull) == 0) return false;
  rt_lock_acquire(&q->lock);
  rt_wbuf *b = q->full;
  if (b) {
    q->full = b->next;
    atomic_fetch_sub(&q->nfull, 1);
    w->cur->next = q->empty;
    q->empty = w->cur;
    w->cur = b;
  }
  rt_lock_release(&q->lock);
  return b != NULL;
}

/* The other buffer if it holds work, else a shared one; no waiting. */
bool rt_gcw_tryrefill(rt_gcw *w) {
  if (w->alt->n) {
    rt_wbuf *t = w->cur;
    w->cur = w->alt;
    w->alt = t;
    return true;
  }
  return gcw_take(w);
}

bool rt_gcw_refill(rt_gcw *w) {
  if (rt_gcw_tryrefill(w)) return true;
  rt_markq *q = w->q;
  atomic_fetch_add(&q->nidle, 1);
  for (unsigned spins = 0;; spins++) {
    if (atomic_load(&q->nfull) > 0) {
      atomic_fetch_sub(&q->nidle, 1);
      if (gcw_take(w)) return true;
      atomic_fetch_add(&q->nidle, 1);
    } else if (atomic_load(&q->nidle) == q->nworkers && atomic_load(&q->nfull) == 0) {
      atomic_fetch_add(&q->ndone, 1);  /* stays counted idle: the others see it */
      return false;
    }
    if (spins < 64) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    } else {
      sched_yield();
    }
  }
}

void rt_gcw_balance(rt_gcw *w) {
  rt_markq *q = w->q;
  if (atomic_load(&q->nidle) == atomic_load(&q->ndone) || atomic_load(&q->nfull) > 0) return;
  if (w->alt->n) {  /* the whole spare buffer */
    rt_wbuf *b = q_empty(q);
    if (!b) return;
    q_share(q, w->alt);
    w->alt = b;
    return;
  }
  if (w->cur->n < 2) return;
  rt_wbuf *b = q_empty(q);  /* half of the current one */
  if (!b) return;
  size_t half = w->cur->n / 2;
  w->cur->n -= half;
  for (size_t i = 0; i < half; i++) b->e[i] = w->cur->e[w->cur->n + i];
  b->n = half;
  q_share(q, b);
}

/* ==== outside a drain: a concurrent mark ============================= */

void rt_gcw_share(rt_gcw *w) {
  for (int i = 0; i < 2; i++) {
    rt_wbuf **bp = i ? &w->alt : &w->cur;
    if ((*bp)->n == 0) continue;
    rt_wbuf *b = q_empty(w->q);
    if (!b) return;  /* stays here, still found by this worker's next get */
    q_share(w->q, *bp);
    *bp = b;
  }
}

bool rt_markq_empty(rt_markq *q) { return atomic_load(&q->nfull) == 0; }

/* ==== markers ======================================================== */

void rt_marker_init(rt_marker *k, rt_markq *q, uint8_t bit, uint8_t noscan) {
  rt_gcw_init(&k->w, q);
  uintptr_t lo, hi;
  rt_heap_bounds(&lo, &hi);
  k->below = lo - 1;
  k->span = hi - lo;
  k->find = rt_heap_finder(&k->fap);
  k->bit = bit;
  k->noscan = noscan;
  k->work = 0;
  k->marked = 0;
}

/* Reads every word in range, stacks included: under AddressSanitizer
** that means their redzones, and while the program runs (a concurrent
** mark) words it is writing, both of which only a conservative scan may
** read. */
__attribute__((no_sanitize("address", "thread")))
void rt_mark_range(const void *lo, const void *hi, void *marker) {
  rt_marker *k = marker;
  uintptr_t a = ((uintptr_t)lo + sizeof(void *) - 1) & ~(uintptr_t)(sizeof(void *) - 1);
  const void *const *w = (const void *const *)a;
  for (; (const void *)(w + 1) <= hi; w++) rt_mark(k, *w);
  k->work += (const char *)w - (const char *)lo;
}

/* Scans grey object g: its pointer words when typed, else every word. */
static inline void mark_grey(rt_marker *k, rt_grey g) {
  if (__builtin_expect(g.size & RT_GREY_TYPED, 0)) {
    int64_t w = k->work;
    rt_typed_scan(g.base, rt_mark_range, k);
    k->work = w + (int64_t)(g.size & ~RT_GREY_TYPED);  /* the object's bytes, as for others */
  } else {
    rt_mark_range(g.base, g.base + g.size, k);
  }
}

void rt_mark_drain(rt_marker *k, int nworkers) {
  rt_grey g;
  for (unsigned n = 1; rt_gcw_get(&k->w, &g); n++) {
    mark_grey(k, g);
    if (nworkers > 1 && n % 64 == 0) rt_gcw_balance(&k->w);
  }
}

int64_t rt_mark_some(rt_marker *k, int64_t budget) {
  int64_t start = k->work;
  rt_grey g;
  for (unsigned n = 1; k->work - start < budget && rt_gcw_tryget(&k->w, &g); n++) {
    mark_grey(k, g);
    if (n % 32 == 0 && sched_yield_wanted()) break;  /* a stop waits for this G */
  }
  return k->work - start;
}

/* ==== whole marks, world stopped ===================================== */

/* What the workers of rt_mark_world share. */
typedef struct mw_job {
  rt_markq *q;               /* the grey objects */
  uint8_t bit, noscan;       /* as in rt_marker */
  bool roots;                /* worker 0 scans the roots first */
  bool rescan;               /* worker 0 rescans every marked object first */
  _Atomic int64_t ns;        /* marking time, summed */
  _Atomic int64_t marked;    /* bytes marked, summed */
} mw_job;

static void mw_rescan1(void *base, size_t size, void *arg) {
  rt_marker *k = arg;
  uint8_t m = *rt_heap_mark_of(base);
  if ((m & (k->bit | k->noscan)) == k->bit)
    mark_grey(k, (rt_grey){base, m & RT_MARK_TYPED ? size | RT_GREY_TYPED : size});
}

static void mw_work(int worker, int nworkers, void *arg) {
  mw_job *j = arg;
  int64_t t0 = rt_now();
  rt_marker k;
  rt_marker_init(&k, j->q, j->bit, j->noscan);
  if (worker == 0 && j->roots) {
    rt_stw_stacks(rt_mark_range, &k);
    rt_gc_roots(rt_mark_range, &k);
  }
  if (worker == 0 && j->rescan) rt_heap_walk(mw_rescan1, &k);
  rt_mark_drain(&k, nworkers);
  rt_gcw_fini(&k.w);
  atomic_fetch_add(&j->marked, k.marked);
  atomic_fetch_add(&j->ns, rt_now() - t0);
}

/* Should a grey buffer fail to be allocated (rt_markq_lost), every marked
** object is scanned again, which greys what the lost entries held, until
** a drain loses nothing. */
int64_t rt_mark_world(rt_markq *q, uint8_t bit, uint8_t noscan, bool roots, bool parallel,
                      int64_t *marked) {
  mw_job j = {.q = q, .bit = bit, .noscan = noscan, .roots = roots, .rescan = rt_markq_lost(q)};
  do {
    rt_markq_reset(q, parallel ? rt_stw_workers() : 1);
    if (parallel)
      rt_stw_parallel(mw_work, &j);
    else
      mw_work(0, 1, &j);
    j.roots = false;
    j.rescan = true;
  } while (rt_markq_lost(q));
  *marked += atomic_load(&j.marked);
  return atomic_load(&j.ns);
}

/* What rt_mark_check_closed tallies. */
typedef struct mc_check {
  uint8_t bit, noscan;       /* the mark's bits */
  uintptr_t below, span;     /* as in rt_marker */
  rt_heap_find_fn find;      /* and its find */
  rt_ap *fap;
  size_t n;                  /* words that point to an unmarked object */
  const void *first;         /* the first such object, its size */
  size_t first_size;
  const void *from;          /* where the word lay */
  const char *kind;          /* what is being checked: "a root", "an object" */
  const char *from_kind;     /* and what held that word */
} mc_check;

__attribute__((no_sanitize("address", "thread")))
static void mc_range(const void *lo, const void *hi, void *arg) {
  mc_check *c = arg;
  uintptr_t a = ((uintptr_t)lo + sizeof(void *) - 1) & ~(uintptr_t)(sizeof(void *) - 1);
  for (const void *const *w = (const void *const *)a; (const void *)(w + 1) <= hi; w++) {
    const void *v = *w;
    if ((uintptr_t)v - c->below - 1 >= c->span) continue;
    size_t size;
    uint8_t *m;
    const void *base = c->find(c->fap, v, &size, &m);
    if (!base || (*m & c->bit) || c->n++) continue;
    c->first = base;
    c->first_size = size;
    c->from = w;
    c->from_kind = c->kind;
  }
}

static void mc_object(void *base, size_t size, void *arg) {
  mc_check *c = arg;
  uint8_t m = *rt_heap_mark_of(base);
  if ((m & (c->bit | c->noscan)) != c->bit) return;
  if (m & RT_MARK_TYPED)
    rt_typed_scan(base, mc_range, c);  /* its other words are no pointers */
  else
    mc_range(base, (char *)base + size, c);
}

void rt_mark_check_closed(uint8_t bit, uint8_t noscan, const char *who) {
  mc_check c = {.bit = bit, .noscan = noscan};
  uintptr_t lo, hi;
  rt_heap_bounds(&lo, &hi);
  c.below = lo - 1;
  c.span = hi - lo;
  c.find = rt_heap_finder(&c.fap);
  c.kind = "a root";
  rt_gc_roots(mc_range, &c);
  c.kind = "an object";
  rt_heap_walk(mc_object, &c);
  if (!c.n) return;
  fprintf(stderr, "rtlab: fatal error: %s verify: %zu words point to unmarked objects (first "
          "at %p, %zu bytes, from the word at %p in %s): the collector would have freed them\n",
          who, c.n, c.first, c.first_size, c.from, c.from_kind);
  fflush(stderr);
  _Exit(2);
}
