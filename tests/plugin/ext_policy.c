/*
** ext_policy.c: a scheduler policy built outside rtlab, as a researcher
** would write one: this file includes rt_module.h and nothing else of the
** framework, is compiled into its own shared object (not into rtcore),
** and is used by path:
**
**   rtlab trial --workload yield --sched ./ext_policy.so,woken_front=on
**
** The policy, "extfifo": one global queue under one rt_lock.  Every
** runnable G joins the tail, except that with woken_front on, a G woken by
** the running one (a channel partner, a WaitGroup waiter) joins the head,
** so hand-offs run next, as Go's runnext slot does for one G.
**
** The only symbol it exports is the getter the loader looks for,
** rt_module_sched.  rt_lock_* are resolved from the program that loads it.
*/
#include "rt_module.h"

enum { EXT_WOKEN_FRONT };
static const rt_param ext_params[] = {
  {"woken_front", RT_PT_BOOL, 0, 0, 1, NULL,
   "woken Gs join the head of the queue instead of its tail"},
};

/* The queue all Ps share. */
typedef struct ext_q {
  rt_lock lock;              /* guards head and tail */
  rt_g *head, *tail;         /* the queue, chained through rt_g_link */
  _Atomic int64_t len;       /* changed under lock; read without it */
} ext_q;

#define EXT_Q(p) ((ext_q *)(p)->shared)

static void ext_ready(rt_sp *p, rt_g *g, rt_why why) {
  ext_q *q = EXT_Q(p);
  bool front = why == RT_WHY_WOKEN && p->param[EXT_WOKEN_FRONT].i;
  rt_lock_acquire(&q->lock);
  if (front) {
    *rt_g_link(g) = q->head;
    q->head = g;
    if (!q->tail) q->tail = g;
  } else {
    *rt_g_link(g) = NULL;
    if (q->tail) *rt_g_link(q->tail) = g;
    else q->head = g;
    q->tail = g;
  }
  atomic_fetch_add_explicit(&q->len, 1, memory_order_relaxed);
  rt_lock_release(&q->lock);
}

static rt_g *ext_pick(rt_sp *p, bool *inherit) {
  ext_q *q = EXT_Q(p);
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

static bool ext_runnable(const rt_sp *p) {
  return atomic_load_explicit(&EXT_Q(p)->len, memory_order_relaxed) > 0;
}

static const rt_sched_ops ext_ops = {
  .abi = RT_ABI_VERSION,
  .name = "extfifo",
  .summary = "out-of-tree example: one global FIFO, woken Gs optionally first",
  .params = ext_params,
  .nparams = 1,
  .state_size = 0,
  .shared_size = sizeof(ext_q),
  .ready = ext_ready,
  .pick = ext_pick,
  .steal = NULL,             /* one shared queue: nothing to steal */
  .runnable = ext_runnable,
};

const rt_sched_ops *rt_module_sched(void);
const rt_sched_ops *rt_module_sched(void) { return &ext_ops; }
