/*
** timer.h: per-P timer heaps (internal; Go's runtime/time.go in C).
**
** Each P keeps its timers in a 4-ary min-heap ordered by deadline, ties by
** the order they were added, under the P's timer lock.  The schedule loop
** runs a P's due timers before it picks a G (proc.c), an M about to give
** up its P runs other Ps' due timers (Go's timer stealing), and an idle M
** sleeps exactly until the earliest deadline of all Ps.  A timer's function
** runs on an M holding a P, after the timer left its heap: it may ready Gs
** (sched_ready) but must not park.
**
** The deadline of a P's earliest timer is also kept in an atomic, so the
** schedule loop reads the clock only while some timer is pending.
*/
#ifndef TIMER_H
#define TIMER_H

#include <stdatomic.h>
#include <stdint.h>

#include "rt_module.h"

#define TM_NONE INT64_MAX     /* "no timer" as a deadline */

typedef struct tmr {
  int64_t when;               /* deadline, on rt_now's clock */
  uint64_t seq;               /* order of addition, for equal deadlines */
  void (*fn)(void *arg);      /* runs once due, after leaving the heap */
  void *arg;                  /* its argument */
  int idx;                    /* position in its heap; -1 outside one */
  bool inlock;                /* fn runs under the heap's lock (and may
                                 timer_push into that heap): rt_timer's, so
                                 stop and free are ordered with firing */
} tmr;

typedef struct tmheap {
  rt_lock lock;               /* guards h, n, cap and seq */
  tmr **h;                    /* the 4-ary heap: children of i at 4i+1 .. 4i+4 */
  int n, cap;                 /* timers, room */
  uint64_t seq;               /* next addition's number */
  _Atomic int64_t next;       /* h[0]->when, TM_NONE when empty: read unlocked */
} tmheap;

/* A heap's arrays are freed here; a zeroed tmheap is empty (next must be
** set to TM_NONE by tmheap_init). */
void tmheap_init(tmheap *t);
void tmheap_fini(tmheap *t);

/* Adds x (x->when and fn set; x stays the caller's until it fires). */
void timer_add(tmheap *t, tmr *x);

/* Adds x to t, whose lock the caller holds (an inlock fn re-arming). */
void timer_push(tmheap *t, tmr *x);

/* Takes x out of t if it is in it (true).  Caller does not hold the lock. */
bool timer_del(tmheap *t, tmr *x);

/* Runs every timer of t due at `now`, earliest first, ties in the order
** they were added; the number run. */
int timer_run(tmheap *t, int64_t now);

/* The earliest deadline in t, TM_NONE when none (may be stale). */
static inline int64_t timer_next(tmheap *t) {
  return atomic_load_explicit(&t->next, memory_order_relaxed);
}

#endif
