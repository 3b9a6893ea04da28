/*
** fifo.c: one global FIFO run queue for every P, the baseline policy.
**
** Every runnable G, whatever the cause, joins the tail of one queue under
** one rt_lock; every P takes from its head.  No per-P queues means nothing
** to steal (steal is NULL) and perfect global FIFO order, at the price of
** one contended lock: the yardstick the distributed policies are measured
** against.
*/
#include "rt_module.h"

typedef struct fifo_q {
  rt_lock lock;              /* guards head and tail */
  rt_g *head, *tail;         /* the queue, chained through rt_g_link */
  _Atomic int64_t len;       /* written under lock, peeked without it */
} fifo_q;

#define FIFO_Q(p) ((fifo_q *)(p)->shared)

static void fifo_ready(rt_sp *p, rt_g *g, rt_why why) {
  fifo_q *q = FIFO_Q(p);
  *rt_g_link(g) = NULL;
  rt_lock_acquire(&q->lock);
  if (q->tail) *rt_g_link(q->tail) = g;
  else q->head = g;
  q->tail = g;
  atomic_fetch_add_explicit(&q->len, 1, memory_order_relaxed);
  rt_lock_release(&q->lock);
}

static rt_g *fifo_pick(rt_sp *p, bool *inherit) {
  fifo_q *q = FIFO_Q(p);
  *inherit = false;
  if (atomic_load_explicit(&q->len, memory_order_relaxed) == 0) return NULL;
  rt_lock_acquire(&q->lock);
  rt_g *g = q->head;
  if (g) {
    q->head = *rt_g_link(g);
    if (!q->head) q->tail = NULL;
    atomic_fetch_sub_explicit(&q->len, 1, memory_order_relaxed);
  }
  rt_lock_release(&q->lock);
  if (g) p->cnt[RT_CNT_GLOBAL]++;
  return g;
}

static bool fifo_runnable(const rt_sp *p) {
  return atomic_load_explicit(&FIFO_Q(p)->len, memory_order_relaxed) > 0;
}

static const rt_sched_ops fifo_ops = {
  .abi = RT_ABI_VERSION,
  .name = "fifo",
  .summary = "one global FIFO queue under one lock; no stealing (baseline)",
  .params = NULL,
  .nparams = 0,
  .state_size = 0,
  .shared_size = sizeof(fifo_q),
  .ready = fifo_ready,
  .pick = fifo_pick,
  .steal = NULL,             /* no per-P queues: nothing to steal */
  .runnable = fifo_runnable,
};

const rt_sched_ops *rt_sched_fifo(void) { return &fifo_ops; }
