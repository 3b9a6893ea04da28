/*
** select.c: rt_select, Go's select over any mix of sends and receives.
**
** As in Go's selectgo: the cases are polled in a random order, so that
** when several are ready each is chosen with equal chance; the channels
** are locked in address order (each once), so two selects over the same
** channels cannot deadlock.  When no case is ready and the select may
** block, one sudog per case goes on every channel's queue and the G parks;
** the first waker to win the G's select_done completes its case, later
** ones skip the stale sudogs.  On waking, the G locks everything again and
** takes its remaining sudogs off the queues before they go out of scope.
*/
#include <stdlib.h>
#include <string.h>

#include "chan.h"

#define SEL_STACK 16  /* cases handled without malloc */

typedef struct sel {
  rt_case *cases;    /* the caller's cases */
  int n;             /* number of cases */
  int first;         /* lockorder[first..n-1] have channels (nil sorts first) */
  int *lockorder;    /* case indices sorted by channel address */
} sel;

static void sel_lock(const sel *s) {
  rt_chan *prev = NULL;
  for (int i = s->first; i < s->n; i++) {
    rt_chan *c = s->cases[s->lockorder[i]].c;
    if (c != prev) chan_lock(c);
    prev = c;
  }
}

/* Releases in reverse order, ending with the lowest channel, the one a
** woken select re-locks first.  The sel lives on the selecting G's stack,
** and once that last lock is free the G may run on and return: so the
** loop works from copies and reads nothing of *s after the last unlock
** (Go's selunlock takes the same care). */
static void sel_unlock(const sel *s) {
  rt_case *cases = s->cases;
  const int *order = s->lockorder;
  int first = s->first;
  for (int i = s->n - 1; i >= first; i--) {
    rt_chan *c = cases[order[i]].c;
    if (i == first || c != cases[order[i - 1]].c) chan_unlock(c);
  }
}

/* Runs on the next context once the selecting G is parked. */
static bool sel_unlock_parked(rt_g *g, void *arg) {
  (void)g;
  sel_unlock(arg);
  return true;
}

/* Tries case k with every channel locked; true when it completed.  A
** partner G met on the way is left in *partner, to wake after unlocking. */
static bool sel_try(rt_case *k, sudog **partner) {
  rt_chan *c = k->c;
  if (!c) return false;  /* a nil channel is never ready */
  if (k->dir == RT_SEND) {
    if (c->closed) return true;  /* sel_finish reports the misuse */
    sudog *r = chan_dequeue(&c->recvq);
    if (r) {
      chan_send_to(c, r, k->elem);
      *partner = r;
    } else if (c->count < c->cap) {
      chan_buf_put(c, k->elem);
    } else {
      return false;
    }
    return true;
  }
  sudog *s = chan_dequeue(&c->sendq);
  if (s) {
    chan_recv_from(c, s, k->elem);
    *partner = s;
  } else if (c->count > 0) {
    chan_buf_take(c, k->elem);
  } else if (c->closed) {
    if (k->elem && c->elemsize) memset(k->elem, 0, c->elemsize);
    k->ok = false;
    return true;
  } else {
    return false;
  }
  k->ok = true;
  return true;
}

/* Case `chosen` completed in the polling pass: unlock, wake the partner. */
static int sel_finish(sel *s, int chosen, sudog *partner, int *scratch) {
  rt_case *k = &s->cases[chosen];
  bool closed_send = k->dir == RT_SEND && k->c->closed;
  sel_unlock(s);
  if (partner) chan_wake(partner, true);
  free(scratch);
  if (closed_send) sched_fatal("send on closed channel");
  return chosen;
}

int rt_select(rt_case *cases, int n, bool block) {
  sched_safepoint();
  return chan_select(cases, n, block);
}

int chan_select(rt_case *cases, int n, bool block) {
  if (n < 0 || (n > 0 && !cases))
    sched_fatal("select: %d cases at %p (want n >= 0 and an array when n > 0)",
                n, (void *)cases);
  for (int i = 0; i < n; i++) {
    rt_case *k = &cases[i];
    if (k->dir != RT_SEND && k->dir != RT_RECV)
      sched_fatal("select: case %d has direction %d (allowed: RT_SEND, RT_RECV)", i,
                  (int)k->dir);
    if (k->dir == RT_SEND && !k->elem && k->c && k->c->elemsize)
      sched_fatal("select: case %d sends NULL on a channel of %zu-byte elements", i,
                  k->c->elemsize);
    k->ok = false;
  }
  if (n == 0) {
    if (!block) return -1;
    for (;;) sched_park(NULL, "select (no cases)");
  }
  int stackbuf[2 * SEL_STACK], *heap = NULL, *order = stackbuf;
  if (n > SEL_STACK) {
    heap = malloc(sizeof(int) * 2 * (size_t)n);
    if (!heap) sched_fatal("out of memory in select over %d cases", n);
    order = heap;
  }
  int *pollorder = order, *lockorder = order + n;
  /* Random poll order: an inside-out Fisher-Yates shuffle. */
  for (int i = 0; i < n; i++) {
    int j = (int)sched_fastrand((uint32_t)i + 1);
    pollorder[i] = pollorder[j];
    pollorder[j] = i;
  }
  /* Lock order by channel address: insertion sort (n is small). */
  for (int i = 0; i < n; i++) {
    int j = i;
    uintptr_t a = (uintptr_t)cases[i].c;
    for (; j > 0 && (uintptr_t)cases[lockorder[j - 1]].c > a; j--)
      lockorder[j] = lockorder[j - 1];
    lockorder[j] = i;
  }
  int first = 0;  /* nil channels sort first and are never locked */
  while (first < n && !cases[lockorder[first]].c) first++;

  sel s = { cases, n, first, lockorder };
  sel_lock(&s);
  sudog *partner = NULL;
  for (int i = 0; i < n; i++)
    if (sel_try(&cases[pollorder[i]], &partner))
      return sel_finish(&s, pollorder[i], partner, heap);
  if (!block) {
    sel_unlock(&s);
    free(heap);
    return -1;
  }

  /* Nothing ready: wait on every channel at once. */
  rt_g *self = sched_cur();
  sudog sgbuf[SEL_STACK], *sg = sgbuf;
  if (n > SEL_STACK) {
    sg = calloc((size_t)n, sizeof *sg);
    if (!sg) sched_fatal("out of memory in select over %d cases", n);
  }
  atomic_store(&self->select_done, 0);
  self->param = NULL;
  for (int i = 0; i < n; i++) {
    int ci = lockorder[i];
    rt_case *k = &cases[ci];
    sg[ci] = (sudog){ .g = self, .elem = k->elem, .is_select = true, .index = ci };
    if (!k->c) continue;
    chan_enqueue(k->dir == RT_SEND ? &k->c->sendq : &k->c->recvq, &sg[ci]);
  }
  sched_park_fn(sel_unlock_parked, &s, "select");

  /* A waker completed one case; take the other sudogs off their queues. */
  sudog *won = self->param;
  sel_lock(&s);
  for (int i = 0; i < n; i++) {
    rt_case *k = &cases[i];
    if (k->c && &sg[i] != won)
      chan_unqueue(k->dir == RT_SEND ? &k->c->sendq : &k->c->recvq, &sg[i]);
  }
  int chosen = won->index;
  bool ok = won->success;
  if (sg != sgbuf) free(sg);
  sel_unlock(&s);
  free(heap);
  if (cases[chosen].dir == RT_SEND && !ok) sched_fatal("send on closed channel");
  cases[chosen].ok = ok;
  return chosen;
}
