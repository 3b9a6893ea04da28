/*
** proc.h: the scheduler's internal face for the rest of the framework
** (chan.c, select.c, sync.c, later timer.c and netpoll.c).  Not public.
**
** Parking protocol (Go's gopark/goready): a G that must wait records
** itself where a waker will find it (a channel's queue, a wait queue)
** while holding the lock that guards that place, then calls sched_park
** with that lock.  The lock is released only after the G's context is
** saved, on the next context, so a waker can never resume a G that is
** still running.  The waker, holding the same lock, takes the G out and
** calls sched_ready; after that it must not touch the waiter record
** unless it owns it.
*/
#ifndef PROC_H
#define PROC_H

#include "rt_module.h"

typedef enum g_status {
  G_IDLE,      /* on a free list, not in use */
  G_RUNNABLE,  /* in a policy's queue */
  G_RUNNING,   /* on an M */
  G_WAITING,   /* parked; sched_ready makes it runnable */
  G_DEAD       /* fn returned; about to go to a free list */
} g_status;

struct rt_g {
  rt_ghead head;              /* link (policy's) and id: must be first */
  void *sp;                   /* saved stack pointer while switched out */
  char *stack_lo;             /* lowest usable byte of the stack */
  size_t stack_size;          /* usable bytes above stack_lo */
  bool guarded;               /* a guard page lies below; else a canary */
  rt_fn fn;                   /* entry function of the current life */
  void *arg;                  /* its argument */
  _Atomic int status;         /* g_status */
  const char *wait_reason;    /* what a parked G waits for ("chan receive") */
  void *param;                /* set by the waker before sched_ready */
  _Atomic uint32_t select_done; /* 1 once a select case has won */
  struct rt_g *allnext;       /* list of every G ever made (deadlock report) */
  struct rt_g *freenext;      /* free-list link */
  void *tsan_fiber;           /* TSan fiber of this G (sanitizer builds) */
};

/* The running G; NULL on an M's scheduler context. */
rt_g *sched_cur(void);

/* The P of the calling M (the policy's view), NULL on a thread that is not
** an M or holds no P.  A G may move to another P at any switch. */
rt_sp *sched_cur_sp(void);

/* Parks the running G: records reason, saves its context and runs
** something else; `unlock` (may be NULL) is released after the switch.
** Returns when a sched_ready of this G has been run. */
void sched_park(rt_lock *unlock, const char *reason);

/* Like sched_park, but after the switch calls unlockf(g, arg) on the next
** context (Go's gopark with an unlock function): select uses it to release
** every channel lock.  When unlockf returns false the G is made runnable
** again at once.  unlockf must not park. */
void sched_park_fn(bool (*unlockf)(rt_g *g, void *arg), void *arg,
                   const char *reason);

/* Makes parked G g runnable on the caller's P (why = RT_WHY_WOKEN), and
** wakes an idle P when there is one.  Called from a running G. */
void sched_ready(rt_g *g);

/* Reports a fatal runtime error naming the running G and exits with 2:
**   rtlab: fatal error: send on closed channel (goroutine 7)  */
_Noreturn void sched_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The timer heap of P p (timer.h). */
struct tmheap *sched_timers(rt_sp *p);

/* A fast uniform random number in [0, n) for the running G's P. */
uint32_t sched_fastrand(uint32_t n);

#endif
