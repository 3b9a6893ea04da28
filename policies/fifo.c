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

#define FIFO_Q(p) ((rt_gqueue *)(p)->shared)

static void fifo_ready(rt_sp *p, rt_g *g, rt_why why) { rt_gq_push(FIFO_Q(p), g); }

static rt_g *fifo_pick(rt_sp *p, bool *inherit) {
  *inherit = false;
  rt_g *g = rt_gq_pop(FIFO_Q(p));
  if (g) p->cnt[RT_CNT_GLOBAL]++;
  return g;
}

static bool fifo_runnable(const rt_sp *p) { return rt_gq_len(FIFO_Q(p)) > 0; }

static const rt_sched_ops fifo_ops = {
  .abi = RT_ABI_VERSION,
  .name = "fifo",
  .summary = "one global FIFO queue under one lock; no stealing (baseline)",
  .params = NULL,
  .nparams = 0,
  .state_size = 0,
  .shared_size = sizeof(rt_gqueue),
  .ready = fifo_ready,
  .pick = fifo_pick,
  .steal = NULL,             /* no per-P queues: nothing to steal */
  .runnable = fifo_runnable,
};

const rt_sched_ops *rt_sched_fifo(void) { return &fifo_ops; }
