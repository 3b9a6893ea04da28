/*
** randsteal.c: per-P FIFO queues and the simplest work stealing: an idle
** P takes one G from the first non-empty victim, trying every other P once
** from a random one.  No global queue, no runnext, no batches: the policy
** that shows what Go's extra machinery buys.
**
** Each queue is an rt_gqueue (a linked list through rt_g_link under one
** rt_lock per P).  A lock-free ring would be bounded and so need an overflow queue,
** which is exactly the global queue this policy leaves out; a list is
** unbounded, and its critical sections are two or three stores.  Thieves
** of different victims never share a lock.  The length is atomic so that
** runnable() and a thief's first look take no lock.
*/
#include "rt_module.h"

#define RS_Q(p) ((rt_gqueue *)(p)->state)

static void rs_ready(rt_sp *p, rt_g *g, rt_why why) { rt_gq_push(RS_Q(p), g); }

static rt_g *rs_pick(rt_sp *p, bool *inherit) {
  *inherit = false;
  return rt_gq_pop(RS_Q(p));
}

static rt_g *rs_steal(rt_sp *t) {
  int n = t->nprocs, start = (int)(rt_rand(t) % (uint32_t)n);
  for (int i = 0; i < n; i++) {
    rt_sp *v = t->all[(start + i) % n];
    rt_g *g = v != t ? rt_gq_pop(RS_Q(v)) : NULL;
    if (g) {
      t->cnt[RT_CNT_STEALS]++;
      return g;
    }
  }
  return NULL;
}

static bool rs_runnable(const rt_sp *p) {
  return rt_gq_len(RS_Q(p)) > 0;
}

static const rt_sched_ops rs_ops = {
  .abi = RT_ABI_VERSION,
  .name = "randsteal",
  .summary = "per-P FIFO queues; an idle P steals one G from a random victim",
  .params = NULL,
  .nparams = 0,
  .state_size = sizeof(rt_gqueue),
  .shared_size = 0,
  .ready = rs_ready,
  .pick = rs_pick,
  .steal = rs_steal,
  .runnable = rs_runnable,
};

const rt_sched_ops *rt_sched_randsteal(void) { return &rs_ops; }
