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
  void *stop_sp;              /* while it runs but cannot move (stopped in place
                                 for a stop-the-world, or in a system call):
                                 where its stack's live part begins */
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

/* ---- for sysmon.c: what it reads of the Ps, and what it may ask ---- */

enum { P_IDLE, P_RUNNING, P_SYSCALL, P_STOP };  /* a P's state */

/* A racy snapshot of one P (sysmon compares it with its last one). */
typedef struct sched_pview {
  int status;                 /* P_IDLE, P_RUNNING or P_SYSCALL */
  uint64_t schedtick;         /* Gs started with a fresh slice */
  uint32_t syscalltick;       /* system calls entered */
  int64_t syscallstart;       /* when the current one began (P_SYSCALL) */
  bool runnable;              /* Gs wait in its queues */
} sched_pview;

int sched_nprocs(void);
void sched_pview_get(int i, sched_pview *v);
/* Idle Ps plus spinning Ms: room for new work without a hand-off. */
int sched_idle_capacity(void);
/* Asks the G running on P i to yield at its next preemption point, and
** with `signal` interrupts its M so that it yields at once when it is in
** the program's own code. */
void sched_preempt(int i, bool signal);
/* Takes P i from the M in a system call (entered at syscalltick) and hands
** it to another M; false when the call has returned meanwhile. */
bool sched_retake(int i, uint32_t syscalltick);
/* Polls the network when Gs wait on fds and nobody has polled for 10 ms. */
void sched_netpoll_overdue(int64_t now);

/* The calling thread's M's preemption request flag (NULL on a thread
** that is no M).  Per thread, not per G: sysmon asks whatever runs on
** the M, and a fresh slice clears it. */
extern _Thread_local _Atomic uint32_t *sched_preempt_flag;

/* rt_safepoint inlined for the runtime's own preemption points: a
** thread-local load and a flag load when nothing is asked. */
static inline void sched_safepoint(void) {
  _Atomic uint32_t *f = sched_preempt_flag;
  if (__builtin_expect(f && atomic_load_explicit(f, memory_order_relaxed), 0)) rt_safepoint();
}

/* Whether someone (a stop of the world, sysmon) asks the running G to
** yield: a loop that holds nothing between its steps but must not switch
** Gs there ends early instead. */
static inline bool sched_yield_wanted(void) {
  _Atomic uint32_t *f = sched_preempt_flag;
  return f && atomic_load_explicit(f, memory_order_relaxed);
}

/* World stopped: fn over each live G's argument (a root, gc.c). */
void sched_gargs(void (*fn)(const void *lo, const void *hi, void *arg), void *arg);

/* ---- for preempt.c: the signal's side ---- */

/* From the preemption signal's handler (async-signal-safe): whether this
** thread runs a G that sysmon asked to yield, with its stack pointer at
** sp and at least `room` bytes of stack free below it. */
bool sched_async_wanted(uintptr_t sp, size_t room);
/* Where the injected call lands (ctx_x86_64.S's rt_async_preempt calls it
** with every register saved): yields as rt_safepoint would. */
void sched_async_preempt(void);

#endif
