/*
** timer.c: per-P timer heaps and rt_sleep (the contract is in timer.h).
**
** Why 4-ary: as in Go, a heap of fan-out 4 is half as deep as a binary
** one, and the four children of a node share a cache line or two, so a
** sift-down reads fewer lines for the same comparisons.
**
** rt_sleep parks the G first and adds its timer from the next context
** (sched_park_fn's unlock function), so the timer can never fire, and
** ready the G, while the G is still running on its stack.
*/
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

#include "fail.h"
#include "proc.h"
#include "timer.h"
#include "chan.h"

int64_t rt_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void tmheap_init(tmheap *t) { atomic_store(&t->next, TM_NONE); }

void tmheap_fini(tmheap *t) {
  free(t->h);
  t->h = NULL;
  t->n = t->cap = 0;
}

/* Whether a fires before b. */
static inline bool tm_before(const tmr *a, const tmr *b) {
  return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static inline void tm_put(tmheap *t, int i, tmr *x) {
  t->h[i] = x;
  x->idx = i;
}

static void sift_up(tmheap *t, int i) {
  tmr *x = t->h[i];
  while (i > 0) {
    int up = (i - 1) / 4;
    if (!tm_before(x, t->h[up])) break;
    tm_put(t, i, t->h[up]);
    i = up;
  }
  tm_put(t, i, x);
}

static void sift_down(tmheap *t, int i) {
  tmr *x = t->h[i];
  for (;;) {
    int c = 4 * i + 1, best = -1;
    for (int k = c; k < c + 4 && k < t->n; k++)
      if (best < 0 || tm_before(t->h[k], t->h[best])) best = k;
    if (best < 0 || !tm_before(t->h[best], x)) break;
    tm_put(t, i, t->h[best]);
    i = best;
  }
  tm_put(t, i, x);
}

static void publish(tmheap *t) {
  atomic_store_explicit(&t->next, t->n ? t->h[0]->when : TM_NONE, memory_order_relaxed);
}

void timer_push(tmheap *t, tmr *x) {
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 16;
    tmr **h = realloc(t->h, (size_t)cap * sizeof *h);
    if (!h) sched_fatal("out of memory adding a timer");
    t->h = h;
    t->cap = cap;
  }
  x->seq = t->seq++;
  tm_put(t, t->n++, x);
  sift_up(t, x->idx);
  publish(t);
}

void timer_add(tmheap *t, tmr *x) {
  rt_lock_acquire(&t->lock);
  timer_push(t, x);
  rt_lock_release(&t->lock);
}

/* Lock held: the timer at i leaves; the last one takes its place. */
static void tm_remove_at(tmheap *t, int i) {
  tmr *x = t->h[i];
  x->idx = -1;
  if (i != --t->n) {
    tmr *y = t->h[t->n];
    tm_put(t, i, y);
    sift_up(t, i);
    if (y->idx == i) sift_down(t, i);  /* it did not rise: it may sink */
  }
}

bool timer_del(tmheap *t, tmr *x) {
  rt_lock_acquire(&t->lock);
  bool in = x->idx >= 0;
  if (in) tm_remove_at(t, x->idx);
  publish(t);
  rt_lock_release(&t->lock);
  return in;
}

/* Due timers are taken out a batch at a time under the lock and run
** outside it, since their functions take other locks (a policy's queue). */
#define TM_BATCH 32

int timer_run(tmheap *t, int64_t now) {
  int ran = 0;
  for (;;) {
    tmr *due[TM_BATCH];
    int k = 0;
    rt_lock_acquire(&t->lock);
    while (k < TM_BATCH && t->n && t->h[0]->when <= now) {
      tmr *x = t->h[0];
      tm_remove_at(t, 0);
      if (x->inlock) {  /* may timer_push itself back, later than now */
        x->fn(x->arg);
        ran++;
      } else {
        due[k++] = x;
      }
    }
    publish(t);
    rt_lock_release(&t->lock);
    /* A fired timer belongs to its owner again once fn starts: read it
    ** before. */
    for (int i = 0; i < k; i++) {
      void (*fn)(void *) = due[i]->fn;
      void *arg = due[i]->arg;
      fn(arg);
    }
    ran += k;
    if (k < TM_BATCH) return ran;
  }
}

/* ==== rt_sleep ======================================================= */

static void sleep_fire(void *g) { sched_ready(g); }

/* After the sleeper's switch: its timer joins the heap of the P it ran on. */
static bool sleep_arm(rt_g *g, void *arg) {
  (void)g;
  timer_add(sched_timers(sched_cur_sp()), arg);
  return true;
}

void rt_sleep(int64_t ns) {
  rt_g *self = sched_cur();
  if (!self) sched_fatal("rt_sleep called outside a running G");
  if (ns <= 0) {
    rt_yield();
    return;
  }
  tmr t = {.when = rt_now() + ns, .fn = sleep_fire, .arg = self, .idx = -1};
  sched_park_fn(sleep_arm, &t, "sleep");
}

/* ==== rt_timer: timers with a channel, one-shot or periodic ========== */

struct rt_timer {
  tmr t;                      /* in heap while armed (t.idx >= 0) */
  tmheap *heap;               /* the heap it was last added to */
  int64_t period;             /* a ticker's period, ns; 0: one shot */
  rt_chan *c;                 /* capacity 1, int64_t: rt_now() at firing */
};

/* Under the heap's lock (inlock): the fire time into the channel unless it
** is full (a slow reader loses ticks, as in Go); a ticker re-arms at its
** next multiple of the period after now, so a late tick does not bunch. */
static void rt_timer_fire(void *arg) {
  rt_timer *x = arg;
  int64_t now = rt_now();
  rt_case c = {.c = x->c, .dir = RT_SEND, .elem = &now};
  chan_select(&c, 1, false);  /* no preemption point under the heap's lock */
  if (x->period > 0) {
    int64_t next = x->t.when + x->period;
    if (next <= now) next += (now - next) / x->period * x->period + x->period;
    x->t.when = next;
    timer_push(x->heap, &x->t);
  }
}

/* Arms x on the running G's P to fire at now + ns. */
static void rt_timer_arm(rt_timer *x, int64_t ns) {
  rt_sp *sp = sched_cur_sp();
  if (!sp) sched_fatal("rt_timer used outside a running G");
  x->heap = sched_timers(sp);
  x->t.when = rt_now() + (ns > 0 ? ns : 0);
  timer_add(x->heap, &x->t);
}

rt_timer *rt_timer_start(int64_t ns, int64_t period) {
  rt_timer *x = calloc(1, sizeof *x);
  if (!x) return NULL;
  x->c = rt_chan_make(sizeof(int64_t), 1);
  if (!x->c) {
    free(x);
    return NULL;
  }
  x->period = period > 0 ? period : 0;
  x->t = (tmr){.fn = rt_timer_fire, .arg = x, .idx = -1, .inlock = true};
  rt_timer_arm(x, ns);
  return x;
}

rt_chan *rt_timer_chan(rt_timer *x) { return x->c; }

bool rt_timer_stop(rt_timer *x) { return x->heap && timer_del(x->heap, &x->t); }

bool rt_timer_reset(rt_timer *x, int64_t ns) {
  bool was = rt_timer_stop(x);
  rt_timer_arm(x, ns);
  return was;
}

void rt_timer_free(rt_timer *x) {
  if (!x) return;
  rt_timer_stop(x);  /* after it, no firing is running: it runs under the lock */
  rt_chan_free(x->c);
  free(x);
}
