/*
** sync.c: Mutex and WaitGroup for Gs.  Both park waiting Gs; neither
** spins beyond the brief hold of its wait-queue lock.
**
** The mutex hands ownership straight to the oldest waiter on unlock (the
** state stays "locked"), so a parked G never has to compete again after
** it is woken: FIFO and starvation-free, at the price of a convoy when the
** lock is hot (Go's normal mode lets a running G barge in instead; that
** is a candidate for a parameter once sync is a module).
*/
#include "proc.h"

typedef struct waiter {
  rt_g *g;                /* the parked G */
  struct waiter *next;    /* FIFO link */
} waiter;

static void wq_push(rt_waitq *q, waiter *w) {
  w->next = NULL;
  if (q->tail) ((waiter *)q->tail)->next = w;
  else q->head = w;
  q->tail = w;
}

static waiter *wq_pop(rt_waitq *q) {
  waiter *w = q->head;
  if (w) {
    q->head = w->next;
    if (!q->head) q->tail = NULL;
  }
  return w;
}

/* ==== Mutex: 0 free, 1 locked, 2 locked with waiters ================= */

bool rt_mutex_trylock(rt_mutex *mu) {
  uint32_t zero = 0;
  return atomic_compare_exchange_strong_explicit(&mu->state, &zero, 1, memory_order_acquire,
                                                 memory_order_relaxed);
}

static void mutex_lock_slow(rt_mutex *mu) {
  rt_lock_acquire(&mu->q.lock);
  for (;;) {
    uint32_t s = atomic_load(&mu->state);
    if (s == 0) {
      if (rt_mutex_trylock(mu)) {
        rt_lock_release(&mu->q.lock);
        return;
      }
      continue;
    }
    if (s == 2 || atomic_compare_exchange_weak(&mu->state, &s, 2)) break;
  }
  waiter w = { .g = sched_cur() };
  wq_push(&mu->q, &w);
  sched_park(&mu->q.lock, "sync.Mutex.Lock");
  /* The unlocker handed us the mutex: it is ours without another CAS. */
}

void rt_mutex_lock(rt_mutex *mu) {
  if (!rt_mutex_trylock(mu)) mutex_lock_slow(mu);
}

void rt_mutex_unlock(rt_mutex *mu) {
  uint32_t one = 1;
  if (atomic_compare_exchange_strong_explicit(&mu->state, &one, 0, memory_order_release,
                                              memory_order_relaxed))
    return;
  if (one == 0) sched_fatal("sync: unlock of unlocked mutex");
  rt_lock_acquire(&mu->q.lock);
  waiter *w = wq_pop(&mu->q);
  /* Hand over: stays locked; "with waiters" only while some remain. */
  atomic_store(&mu->state, w ? (mu->q.head ? 2u : 1u) : 0u);
  rt_lock_release(&mu->q.lock);
  if (w) sched_ready(w->g);
}

/* ==== WaitGroup ====================================================== */

#define WG_ONE ((uint64_t)1 << 32)  /* one outstanding Done, in wg->state */

void rt_wg_add(rt_waitgroup *wg, int64_t delta) {
  if (delta < -(int64_t)INT32_MAX || delta > INT32_MAX)
    sched_fatal("sync: WaitGroup delta %lld out of range", (long long)delta);
  uint64_t step = (uint64_t)delta * WG_ONE;
  uint64_t s = atomic_fetch_add(&wg->state, step) + step;
  int32_t v = (int32_t)(uint32_t)(s >> 32);
  if (v < 0)
    sched_fatal(delta < 0 ? "sync: negative WaitGroup counter"
                          : "sync: WaitGroup counter over 2^31 - 1");
  if (v > 0 || (uint32_t)s == 0) return;  /* nobody to wake: wg is not touched again */
  /* Reached zero with waiters: each registered under the lock and stays
  ** queued until woken, so the lock sees them all. */
  rt_lock_acquire(&wg->q.lock);
  waiter *all = wg->q.head;
  wg->q.head = wg->q.tail = NULL;
  uint64_t n = 0;
  for (waiter *w = all; w; w = w->next) n++;
  atomic_fetch_sub(&wg->state, n);
  rt_lock_release(&wg->q.lock);
  while (all) {  /* a woken waiter may free wg: only the records are read */
    waiter *w = all;
    all = w->next;
    sched_ready(w->g);
  }
}

void rt_wg_done(rt_waitgroup *wg) { rt_wg_add(wg, -1); }

void rt_wg_wait(rt_waitgroup *wg) {
  if (atomic_load(&wg->state) < WG_ONE) return;
  rt_lock_acquire(&wg->q.lock);
  uint64_t s = atomic_load(&wg->state);
  do {
    if (s < WG_ONE) {
      rt_lock_release(&wg->q.lock);
      return;
    }
  } while (!atomic_compare_exchange_weak(&wg->state, &s, s + 1));
  waiter w = { .g = sched_cur() };
  wq_push(&wg->q, &w);
  sched_park(&wg->q.lock, "sync.WaitGroup.Wait");
}
