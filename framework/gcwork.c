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
#include <stdlib.h>

#include "rt_module.h"

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

bool rt_gcw_refill(rt_gcw *w) {
  if (w->alt->n) {
    rt_wbuf *t = w->cur;
    w->cur = w->alt;
    w->alt = t;
    return true;
  }
  if (gcw_take(w)) return true;
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
