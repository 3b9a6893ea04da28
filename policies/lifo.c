/*
** lifo.c: per-P LIFO stacks; the owner pops the newest G, a thief takes
** the oldest ones of a random victim (the work-first discipline of Cilk:
** the newest G is hottest in cache, the oldest tends to carry the most
** work left).
**
** A stack needs both ends: the owner works at the top, thieves at the
** bottom.  With only one link per G (rt_g_link) the stack is a deque made
** of two singly linked halves: `top` holds the newer Gs newest first, `bot`
** the older ones oldest first.  When the half an end needs is empty, the
** other half is split in two and its nearer part is reversed over; halving
** keeps every operation O(1) amortized with no array bound, so any number
** of Gs fits without allocating.
**
** One rt_lock per P guards the deque.  Lock-free work-stealing deques
** (Chase-Lev) need a bounded array; here the owner and a thief may both
** relink nodes during a split, and the critical sections are a few
** pointer moves, so a per-P lock costs little and thieves of different
** victims never meet.  The length is atomic so runnable() reads no lock.
**
** With yield_bottom on (the default) a yielded or preempted G goes to the
** bottom: with a pure stack, two Gs that yield to each other would run
** forever and starve every G beneath them.
*/
#include "rt_module.h"

enum { LIFO_STEAL_BATCH, LIFO_YIELD_BOTTOM };

static const rt_param lifo_params[] = {
  {"steal_batch", RT_PT_INT, 1, 1, 256, NULL,
   "Gs a thief takes from the bottom of a victim at once"},
  {"yield_bottom", RT_PT_BOOL, 1, 0, 1, NULL,
   "yielded and preempted Gs go to the bottom (off: pure LIFO, may starve)"},
};

typedef struct lifo_p {
  rt_lock lock;              /* guards top, bot, ntop, nbot */
  rt_g *top;                 /* newer Gs, newest first (links go older) */
  rt_g *bot;                 /* older Gs, oldest first (links go newer) */
  int64_t ntop, nbot;        /* lengths of the two halves */
  _Atomic int64_t n;         /* ntop + nbot, peeked without the lock */
} lifo_p;

#define LIFO_P(p) ((lifo_p *)(p)->state)
#define LINK(g) (*rt_g_link(g))

/* ==== the deque (lock held) ========================================== */

/* Keeps the first half (rounded down) of list *from (from_n long) and
** moves the rest, its far end, onto the empty list *to in reverse order;
** returns how many moved.  Works for both halves of the deque. */
static int64_t lifo_split(rt_g **from, int64_t from_n, rt_g **to) {
  int64_t keep = from_n / 2;
  rt_g *rest;
  if (keep == 0) {
    rest = *from;
    *from = NULL;
  } else {
    rt_g *x = *from;
    for (int64_t i = 1; i < keep; i++) x = LINK(x);
    rest = LINK(x);
    LINK(x) = NULL;
  }
  while (rest) {  /* push each on *to: the far end of *from ends up first */
    rt_g *nx = LINK(rest);
    LINK(rest) = *to;
    *to = rest;
    rest = nx;
  }
  return from_n - keep;
}

static rt_g *lifo_pop_top(lifo_p *s) {
  if (!s->top) {
    if (!s->bot) return NULL;
    int64_t moved = lifo_split(&s->bot, s->nbot, &s->top);  /* newer half of bot */
    s->nbot -= moved;
    s->ntop = moved;
  }
  rt_g *g = s->top;
  s->top = LINK(g);
  s->ntop--;
  atomic_fetch_sub_explicit(&s->n, 1, memory_order_relaxed);
  return g;
}

static rt_g *lifo_pop_bottom(lifo_p *s) {
  if (!s->bot) {
    if (!s->top) return NULL;
    int64_t moved = lifo_split(&s->top, s->ntop, &s->bot);  /* older half of top */
    s->ntop -= moved;
    s->nbot = moved;
  }
  rt_g *g = s->bot;
  s->bot = LINK(g);
  s->nbot--;
  atomic_fetch_sub_explicit(&s->n, 1, memory_order_relaxed);
  return g;
}

static void lifo_push(lifo_p *s, rt_g *g, bool bottom) {
  if (bottom) {
    LINK(g) = s->bot;
    s->bot = g;
    s->nbot++;
  } else {
    LINK(g) = s->top;
    s->top = g;
    s->ntop++;
  }
  atomic_fetch_add_explicit(&s->n, 1, memory_order_relaxed);
}

/* ==== ops ============================================================ */

static void lifo_ready(rt_sp *p, rt_g *g, rt_why why) {
  lifo_p *s = LIFO_P(p);
  bool bottom = p->param[LIFO_YIELD_BOTTOM].i &&
                (why == RT_WHY_YIELD || why == RT_WHY_PREEMPT);
  rt_lock_acquire(&s->lock);
  lifo_push(s, g, bottom);
  rt_lock_release(&s->lock);
}

static rt_g *lifo_pick(rt_sp *p, bool *inherit) {
  lifo_p *s = LIFO_P(p);
  *inherit = false;
  if (atomic_load_explicit(&s->n, memory_order_relaxed) == 0) return NULL;
  rt_lock_acquire(&s->lock);
  rt_g *g = lifo_pop_top(s);
  rt_lock_release(&s->lock);
  return g;
}

/* Tries every other P once from a random one; takes up to steal_batch of
** the first non-empty victim's oldest Gs, runs the oldest and pushes the
** rest on the thief's stack (the newest of them on top). */
static rt_g *lifo_steal(rt_sp *t) {
  int n = t->nprocs, start = (int)(rt_rand(t) % (uint32_t)n);
  int64_t batch = t->param[LIFO_STEAL_BATCH].i;
  for (int i = 0; i < n; i++) {
    rt_sp *v = t->all[(start + i) % n];
    lifo_p *vs = LIFO_P(v);
    if (v == t || atomic_load_explicit(&vs->n, memory_order_relaxed) == 0) continue;
    rt_g *first = NULL, *last = NULL;
    int64_t got = 0;
    rt_lock_acquire(&vs->lock);
    for (rt_g *g; got < batch && (g = lifo_pop_bottom(vs)) != NULL; got++) {
      if (last) LINK(last) = g;
      else first = g;
      last = g;
    }
    rt_lock_release(&vs->lock);
    if (!got) continue;  /* its owner emptied it meanwhile */
    t->cnt[RT_CNT_STEALS] += (uint64_t)got;
    if (got > 1) {
      lifo_p *ts = LIFO_P(t);
      LINK(last) = NULL;
      rt_lock_acquire(&ts->lock);
      for (rt_g *g = LINK(first), *nx; g; g = nx) {
        nx = LINK(g);
        lifo_push(ts, g, false);
      }
      rt_lock_release(&ts->lock);
    }
    return first;
  }
  return NULL;
}

static bool lifo_runnable(const rt_sp *p) {
  return atomic_load_explicit(&LIFO_P(p)->n, memory_order_relaxed) > 0;
}

static const rt_sched_ops lifo_ops = {
  .abi = RT_ABI_VERSION,
  .name = "lifo",
  .summary = "per-P LIFO stacks; thieves take the oldest Gs of a random victim",
  .params = lifo_params,
  .nparams = (int)(sizeof lifo_params / sizeof lifo_params[0]),
  .state_size = sizeof(lifo_p),
  .shared_size = 0,
  .ready = lifo_ready,
  .pick = lifo_pick,
  .steal = lifo_steal,
  .runnable = lifo_runnable,
};

const rt_sched_ops *rt_sched_lifo(void) { return &lifo_ops; }
