/*
** chan.h: channel internals shared by chan.c and select.c (internal).
**
** A G waiting on a channel is described by a sudog (Go's name) that lives
** on the waiting G's own stack: it stays valid while the G is parked, and
** the G leaves the channel only after every waker that could still see the
** sudog has let go of the channel's lock.
*/
#ifndef CHAN_H
#define CHAN_H

#include "proc.h"

typedef struct sudog sudog;
struct sudog {
  rt_g *g;           /* the waiting G */
  void *elem;        /* value to send, or where a received value goes */
  sudog *next;       /* queue links; both NULL when not queued */
  sudog *prev;
  bool success;      /* true: a value moved; false: woken by close */
  bool is_select;    /* wakers must win g->select_done first */
  bool queued;       /* still in its channel's queue */
  int index;         /* select: the case this sudog stands for */
};

typedef struct waitq {
  sudog *first;      /* oldest waiter */
  sudog *last;       /* newest waiter */
} waitq;

struct rt_chan {
  rt_lock lock;      /* guards everything below */
  size_t elemsize;   /* bytes per element */
  size_t cap;        /* buffer slots; 0 = unbuffered */
  size_t count;      /* elements in the buffer */
  size_t sendx;      /* next slot to fill */
  size_t recvx;      /* next slot to drain */
  bool closed;       /* close has run */
  waitq recvq;       /* parked receivers */
  waitq sendq;       /* parked senders */
  struct rt_chan *gcprev, *gcnext; /* in the run's list of buffered channels,
                        scanned by a collector (chan_roots) */
  uint64_t gcrun;    /* the run it was listed in; 0: not listed */
  char buf[];        /* cap * elemsize bytes */
};

/* ==== the channel lock ==============================================
** c->lock is an rt_lock, but chan.c and select.c (its only users) keep it
** in states 0 and 1 only: a contended acquirer spins, yielding its thread
** now and then, instead of sleeping in the kernel.  So the release is a
** plain store rather than an atomic exchange: a ping-pong round trip takes
** four channel locks, and the exchanges were a third of its cost.  That is
** sound because a channel lock is held for a few dozen instructions: no
** system call and no sched_ready (which may wake an M) run under it; wakers
** take the partner's sudog off the queue under the lock, release it, and
** only then make the partner runnable (as Go's send/recv do).  Never take
** a channel lock with rt_lock_acquire: it could sleep in state 2, and no
** chan_unlock would wake it. */
void chan_lock_slow(rt_chan *c);

static inline void chan_lock(rt_chan *c) {
  uint32_t zero = 0;
  if (__builtin_expect(!atomic_compare_exchange_weak_explicit(
          &c->lock.v, &zero, 1, memory_order_acquire, memory_order_relaxed), 0))
    chan_lock_slow(c);
}

static inline void chan_unlock(rt_chan *c) {
  atomic_store_explicit(&c->lock.v, 0, memory_order_release);
}

/* Parks the running G (queued on c) and releases c after the switch. */
void chan_park(rt_chan *c, const char *reason);

/* ==== queues and hand-offs (c locked) =============================== */

void chan_enqueue(waitq *q, sudog *s);
/* Takes the oldest waiter that can still be completed (a select's sudog
** only when this caller wins its select_done), or NULL.  The sudog is then
** the caller's alone: nobody else can reach it. */
sudog *chan_dequeue(waitq *q);
/* Removes s if it is still queued. */
void chan_unqueue(waitq *q, sudog *s);

/* Hand elem to dequeued receiver r, or take dequeued sender s's value into
** elem (on a full buffer: the head, with s's value going to the tail).
** The partner is not woken yet: call chan_wake after unlocking. */
void chan_send_to(rt_chan *c, sudog *r, const void *elem);
void chan_recv_from(rt_chan *c, sudog *s, void *elem);
/* Buffer operations, with c->count > 0 / < cap. */
void chan_buf_take(rt_chan *c, void *elem);
void chan_buf_put(rt_chan *c, const void *elem);

/* ==== waking (no channel lock needed) ================================ */

/* Completes dequeued sudog s and makes its G runnable: success false means
** woken by close.  Not a byte of s may be touched afterwards: it lives on
** a stack that is running again. */
static inline void chan_wake(sudog *s, bool success) {
  rt_g *g = s->g;
  s->success = success;
  g->param = s;
  sched_ready(g);
}

/* rt_select without its preemption point, for the runtime's own sends: a
** timer fires under its heap's lock, and a yield there would run the
** heap's timers again, waiting for that very lock. */
int chan_select(rt_case *cases, int n, bool block);

/* Calls fn(lo, hi, arg) over the buffer of every buffered channel of
** the run whose elements could hold a pointer: the values sitting in a
** channel are the program's, and a collector must see them.  World
** stopped (a collection).  chan_roots_start begins a run's list, kept
** only when track (the run's collector finds objects). */
void chan_roots(void (*fn)(const void *lo, const void *hi, void *arg), void *arg);
void chan_roots_start(bool track);

#endif
