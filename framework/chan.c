/*
** chan.c: channels with Go's semantics.
**
** An unbuffered send meets a parked receiver and copies straight into its
** variable (and the reverse for a receive), so a rendezvous costs one lock
** round and one sched_ready, made after the unlock so that the lock is
** never held across the waking of an idle P; the woken G goes to the
** policy as "woken by the running G" (go: runnext).  The lock itself is a
** spin lock released by a plain store (chan.h says why).  A buffered
** channel is a ring; a receiver that finds the buffer full and a sender
** parked takes the oldest element and moves the sender's value into the
** freed slot, so FIFO order holds.
** close wakes every waiter: receivers get the zero value and ok = false,
** senders die with "send on closed channel", as Go's panic.
*/
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"

/* ==== the channel lock (see chan.h) ================================= */

static inline void chan_pause(void) {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

#define CHAN_SPINS 64  /* pause rounds between thread yields */

void chan_lock_slow(rt_chan *c) {
  for (;;) {
    for (int i = 0; i < CHAN_SPINS; i++) {
      chan_pause();
      uint32_t zero = 0;
      if (atomic_load_explicit(&c->lock.v, memory_order_relaxed) == 0 &&
          atomic_compare_exchange_weak_explicit(&c->lock.v, &zero, 1, memory_order_acquire,
                                                memory_order_relaxed))
        return;
    }
    sched_yield();  /* the holder's thread may be off its CPU */
  }
}

static bool chan_unlock_parked(rt_g *g, void *c) {
  (void)g;
  chan_unlock(c);
  return true;
}

void chan_park(rt_chan *c, const char *reason) {
  sched_park_fn(chan_unlock_parked, c, reason);
}

/* ==== wait queues ==================================================== */

void chan_enqueue(waitq *q, sudog *s) {
  s->next = NULL;
  s->prev = q->last;
  if (q->last) q->last->next = s;
  else q->first = s;
  q->last = s;
  s->queued = true;
}

void chan_unqueue(waitq *q, sudog *s) {
  if (!s->queued) return;
  if (s->prev) s->prev->next = s->next;
  else q->first = s->next;
  if (s->next) s->next->prev = s->prev;
  else q->last = s->prev;
  s->next = s->prev = NULL;
  s->queued = false;
}

sudog *chan_dequeue(waitq *q) {
  for (sudog *s; (s = q->first) != NULL;) {
    chan_unqueue(q, s);
    uint32_t zero = 0;
    if (s->is_select &&
        !atomic_compare_exchange_strong(&s->g->select_done, &zero, 1))
      continue;  /* another case of that select won already */
    return s;
  }
  return NULL;
}

/* ==== moving values ================================================== */

/* Word-sized elements (the common case) copy inline, not through memcpy. */
static inline void copy_elem(rt_chan *c, void *dst, const void *src) {
  size_t n = c->elemsize;
  if (!dst || !n) return;
  if (n == sizeof(uint64_t)) memcpy(dst, src, sizeof(uint64_t));
  else if (n == sizeof(uint32_t)) memcpy(dst, src, sizeof(uint32_t));
  else memcpy(dst, src, n);
}

static inline void *slot(rt_chan *c, size_t i) { return c->buf + i * c->elemsize; }

void chan_send_to(rt_chan *c, sudog *r, const void *elem) {
  copy_elem(c, r->elem, elem);
}

void chan_recv_from(rt_chan *c, sudog *s, void *elem) {
  if (c->cap == 0) {
    copy_elem(c, elem, s->elem);
  } else {  /* full buffer: take the head, the sender's value goes to the tail */
    copy_elem(c, elem, slot(c, c->recvx));
    copy_elem(c, slot(c, c->recvx), s->elem);
    if (++c->recvx == c->cap) c->recvx = 0;
    c->sendx = c->recvx;
  }
}

void chan_buf_take(rt_chan *c, void *elem) {
  copy_elem(c, elem, slot(c, c->recvx));
  if (++c->recvx == c->cap) c->recvx = 0;
  c->count--;
}

void chan_buf_put(rt_chan *c, const void *elem) {
  copy_elem(c, slot(c, c->sendx), elem);
  if (++c->sendx == c->cap) c->sendx = 0;
  c->count++;
}

/* ==== the API ======================================================== */

/* The run's buffered channels that may hold pointers (chan_roots).  A
** channel made in an earlier run and freed in this one is not in this
** run's list: gcrun tells. */
static struct {
  rt_lock lock;              /* guards head and the links */
  rt_chan *head;             /* the list */
  uint64_t run;              /* this run's number (chan_roots_start) */
  bool track;                /* the run's collector scans channels: only
                                then is the list kept (a lock per make and
                                free: 10 % of skynet's time otherwise) */
} CR;

void chan_roots_start(bool track) {
  rt_lock_acquire(&CR.lock);
  CR.head = NULL;
  CR.run++;
  CR.track = track;
  rt_lock_release(&CR.lock);
}

rt_chan *rt_chan_make(size_t elemsize, size_t cap) {
  if (elemsize && cap > (SIZE_MAX - sizeof(rt_chan)) / elemsize) return NULL;
  rt_chan *c = calloc(1, sizeof *c + elemsize * cap);
  if (!c) return NULL;
  c->elemsize = elemsize;
  c->cap = cap;
  if (CR.track && cap && elemsize >= sizeof(void *)) {
    rt_lock_acquire(&CR.lock);
    c->gcrun = CR.run;
    c->gcnext = CR.head;
    if (CR.head) CR.head->gcprev = c;
    CR.head = c;
    rt_lock_release(&CR.lock);
  }
  return c;
}

void rt_chan_free(rt_chan *c) {
  if (c && (c->recvq.first || c->sendq.first))
    sched_fatal("free of a channel that goroutines are still waiting on");
  if (c && c->gcrun) {
    rt_lock_acquire(&CR.lock);
    if (c->gcrun == CR.run) {
      if (c->gcprev) c->gcprev->gcnext = c->gcnext;
      else CR.head = c->gcnext;
      if (c->gcnext) c->gcnext->gcprev = c->gcprev;
    }
    rt_lock_release(&CR.lock);
  }
  free(c);
}

void chan_roots(void (*fn)(const void *lo, const void *hi, void *arg), void *arg) {
  rt_lock_acquire(&CR.lock);
  for (rt_chan *c = CR.head; c; c = c->gcnext)
    fn(c->buf, c->buf + c->cap * c->elemsize, arg);
  rt_lock_release(&CR.lock);
}

static _Noreturn void block_forever(const char *reason) {
  for (;;) sched_park(NULL, reason);
}

void rt_chan_send(rt_chan *c, const void *elem) {
  sched_safepoint();  /* channel operations are preemption points, as in Go */
  if (!c) block_forever("chan send (nil chan)");
  if (!elem && c->elemsize)
    sched_fatal("chan send: elem is NULL for a channel of %zu-byte elements", c->elemsize);
  chan_lock(c);
  if (c->closed) {
    chan_unlock(c);
    sched_fatal("send on closed channel");
  }
  sudog *r = chan_dequeue(&c->recvq);
  if (r) {
    chan_send_to(c, r, elem);
    chan_unlock(c);
    chan_wake(r, true);
    return;
  }
  if (c->count < c->cap) {
    chan_buf_put(c, elem);
    chan_unlock(c);
    return;
  }
  sudog me = { .g = sched_cur(), .elem = (void *)elem };
  chan_enqueue(&c->sendq, &me);
  chan_park(c, "chan send");
  if (!me.success) sched_fatal("send on closed channel");
}

bool rt_chan_recv(rt_chan *c, void *elem) {
  sched_safepoint();
  if (!c) block_forever("chan receive (nil chan)");
  chan_lock(c);
  sudog *s = chan_dequeue(&c->sendq);
  if (s) {
    chan_recv_from(c, s, elem);
    chan_unlock(c);
    chan_wake(s, true);
    return true;
  }
  if (c->count > 0) {
    chan_buf_take(c, elem);
    chan_unlock(c);
    return true;
  }
  if (c->closed) {
    chan_unlock(c);
    if (elem && c->elemsize) memset(elem, 0, c->elemsize);
    return false;
  }
  sudog me = { .g = sched_cur(), .elem = elem };
  chan_enqueue(&c->recvq, &me);
  chan_park(c, "chan receive");
  return me.success;  /* on close the closer zeroed *elem */
}

void rt_chan_close(rt_chan *c) {
  if (!c) sched_fatal("close of nil channel");
  chan_lock(c);
  if (c->closed) {
    chan_unlock(c);
    sched_fatal("close of closed channel");
  }
  c->closed = true;
  /* Collect every waiter (receivers, then senders, each in queue order)
  ** and wake them after the unlock: the dequeued sudogs are ours alone. */
  sudog *first = NULL, **tail = &first, *s;
  while ((s = chan_dequeue(&c->recvq)) != NULL) {
    if (s->elem && c->elemsize) memset(s->elem, 0, c->elemsize);
    *tail = s;
    tail = &s->next;
  }
  while ((s = chan_dequeue(&c->sendq)) != NULL) {
    *tail = s;
    tail = &s->next;
  }
  *tail = NULL;
  chan_unlock(c);
  while (first) {
    s = first;
    first = s->next;  /* read before the wake hands s back to its G */
    chan_wake(s, false);
  }
}

size_t rt_chan_len(rt_chan *c) {
  if (!c) return 0;
  chan_lock(c);
  size_t n = c->count;
  chan_unlock(c);
  return n;
}

size_t rt_chan_cap(rt_chan *c) { return c ? c->cap : 0; }
