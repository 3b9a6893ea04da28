/*
** randsteal.c: per-P FIFO queues and the simplest work stealing: an idle
** P takes one G from the first non-empty victim, trying every other P once
** from a random one.  No global queue, no runnext, no batches: the policy
** that shows what Go's extra machinery buys.
**
** Each queue is a linked list (through rt_g_link) under one rt_lock per
** P.  A lock-free ring would be bounded and so need an overflow queue,
** which is exactly the global queue this policy leaves out; a list is
** unbounded, and its critical sections are two or three stores.  Thieves
** of different victims never share a lock.  The length is atomic so that
** runnable() and a thief's first look take no lock.
*/
#include "rt_module.h"

typedef struct rs_p {
  rt_lock lock;              /* guards head and tail */
  rt_g *head, *tail;         /* this P's FIFO, chained through rt_g_link */
  _Atomic int64_t n;         /* its length, peeked without the lock */
} rs_p;

#define RS_P(p) ((rs_p *)(p)->state)

/* Pops the head of s's queue, or NULL. */
static rt_g *rs_pop(rs_p *s) {
  if (atomic_load_explicit(&s->n, memory_order_relaxed) == 0) return NULL;
  rt_lock_acquire(&s->lock);
  rt_g *g = s->head;
  if (g) {
    s->head = *rt_g_link(g);
    if (!s->head) s->tail = NULL;
    atomic_fetch_sub_explicit(&s->n, 1, memory_order_relaxed);
  }
  rt_lock_release(&s->lock);
  return g;
}

static void rs_ready(rt_sp *p, rt_g *g, rt_why why) {
  rs_p *s = RS_P(p);
  *rt_g_link(g) = NULL;
  rt_lock_acquire(&s->lock);
  if (s->tail) *rt_g_link(s->tail) = g;
  else s->head = g;
  s->tail = g;
  atomic_fetch_add_explicit(&s->n, 1, memory_order_relaxed);
  rt_lock_release(&s->lock);
}

static rt_g *rs_pick(rt_sp *p, bool *inherit) {
  *inherit = false;
  return rs_pop(RS_P(p));
}

static rt_g *rs_steal(rt_sp *t) {
  int n = t->nprocs, start = (int)(rt_rand(t) % (uint32_t)n);
  for (int i = 0; i < n; i++) {
    rt_sp *v = t->all[(start + i) % n];
    rt_g *g = v != t ? rs_pop(RS_P(v)) : NULL;
    if (g) {
      t->cnt[RT_CNT_STEALS]++;
      return g;
    }
  }
  return NULL;
}

static bool rs_runnable(const rt_sp *p) {
  return atomic_load_explicit(&RS_P(p)->n, memory_order_relaxed) > 0;
}

static const rt_sched_ops rs_ops = {
  .abi = RT_ABI_VERSION,
  .name = "randsteal",
  .summary = "per-P FIFO queues; an idle P steals one G from a random victim",
  .params = NULL,
  .nparams = 0,
  .state_size = sizeof(rs_p),
  .shared_size = 0,
  .ready = rs_ready,
  .pick = rs_pick,
  .steal = rs_steal,
  .runnable = rs_runnable,
};

const rt_sched_ops *rt_sched_randsteal(void) { return &rs_ops; }
