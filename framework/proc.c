/*
** proc.c: Gs, Ms and Ps, and the schedule loop (Go's proc.go in C).
**
** A G is a green thread: a context on its own mmap'ed stack.  An M is an
** OS thread; it runs Gs only while it holds a P.  A P is a logical
** processor: the unit the scheduler policy keeps run queues for.  Which G
** runs next is the policy's choice (rt_sched_ops); everything that is not
** a choice is here: switching, G and stack reuse, idle and spinning Ms,
** waking Ps for new work, deadlock detection and shutdown.
**
** Switching.  A G that stops running (yield, park, exit) asks the policy
** for the next G itself and switches to it directly, one context switch,
** instead of going through the M's scheduler context as Go does.  What
** must happen only once the old G's registers are saved (make it runnable
** again, release the lock it parked under, recycle its stack) is recorded
** in the M as a post-switch action and run by whichever context resumes
** next (after_switch).  Only when the policy has nothing does the G switch
** to its M's scheduler context (g0), which steals or sleeps.
**
** Spinning.  As in Go, an M without work may look for work to steal only
** while 2 * spinning < busy Ps; the last M to stop spinning after finding
** work wakes another so that the search goes on (wakep).
**
** Timers, the network and system calls.  Every switch runs its P's due
** timers once the switch's post-action is done (timer.c); an M giving up
** its P runs other Ps' due ones, and an idle M sleeps until the earliest
** deadline.  An M out of work polls the network (netpoll.c) without
** waiting, and one idle M at a time waits in it until the next deadline.
** A G in a system call keeps its P marked P_SYSCALL until sysmon (sysmon.c)
** retakes it for another M; coming back without a P to take, it waits on
** S.inject, which every P drains.
**
** Preemption.  sysmon sets an M's preempt flag when its G has run a whole
** slice; the G yields at its next preemption point (rt_safepoint, channel
** operations, rt_alloc), or at once through a signal (preempt.c).
**
** Placement.  rt_run sets up the placement plan (topo.c) before the
** policy's init; an M binds its thread to its P's place when it takes a P
** with another place than the one it is bound for (m_takep), so binding
** costs nothing on the switch path.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "lock.h"
#include "proc.h"
#include "gc.h"
#include "heap.h"
#include "netpoll.h"
#include "sysmon.h"
#include "timer.h"
#include "topo.h"

/* ==== types ========================================================== */

typedef struct proc proc;
typedef struct m m;

/* What the next context must do for the G that switched away. */
enum { ACT_NONE, ACT_READY, ACT_PARK, ACT_PARKFN, ACT_EXIT, ACT_INJECT };

struct m {
  void *g0sp;               /* saved sp of this M's scheduler context */
  rt_g *cur;                /* running G; NULL on the scheduler context */
  proc *p;                  /* held P; NULL while idle */
  proc *nextp;              /* P handed over by the M that woke this one */
  int id;                   /* 0 for the thread that called rt_run */
  bool spinning;            /* holds a P but no G: looking for work */
  _Atomic uint32_t wake;    /* futex word: set to 1 to wake this M */
  m *idlenext;              /* idle-M list link */
  pthread_t thread;         /* the OS thread (M0's: rt_run's caller) */
  _Atomic uint32_t preempt; /* sysmon asks the running G to yield */
  int act;                  /* post-switch action (ACT_*) */
  rt_g *actg;               /* the G the action is about */
  rt_why actwhy;            /* ACT_READY: why it is runnable */
  rt_lock *actlock;         /* ACT_PARK: lock to release */
  bool (*actfn)(rt_g *, void *); /* ACT_PARKFN: unlock function */
  void *actarg;             /* ACT_PARKFN: its argument */
  void *altstack;           /* alternate signal stack we allocated */
  const void *g0lo;         /* bounds of the thread's own stack (ASan) */
  size_t g0size;            /* its size */
  void *g0fiber;            /* TSan fiber of the scheduler context */
  int placed;               /* P whose place the thread is bound for; -1 none */
  proc *sysp;               /* the P its G left for a syscall, taken back first */
  uint32_t systick;         /* sysp's syscall tick when the call began */
};

#define PROC_GFREE_MAX 64   /* beyond this, half go to the global list */
#define PROC_STK_MAX 64     /* the same for free stacks */
#define PROC_GOID_BATCH 16  /* G ids taken from the global counter at once */
#define PROC_MAXPROCS RT_MAXPROCS
#define PROC_POLL_STALE_NS 10000000  /* sysmon polls when nobody has for 10 ms */
#define STW_SPIN_NS 30000   /* a stopper looks this long before it sleeps */

/* Each P on lines of its own (HEAP_LINE), its timer heap on its own too:
** the owner writes its counters and queues on every switch, while other
** Ms read only the heap's next deadline when they go idle. */

struct proc {
  _Alignas(HEAP_LINE) rt_sp sp; /* the policy's view of this P: must be first */
  proc *idlenext;           /* idle-P list link */
  rt_g *gfree;              /* dead Gs (without stacks), for reuse */
  int ngfree;               /* length of gfree */
  int nstk;                 /* stacks in stk */
  uintptr_t stk[PROC_STK_MAX]; /* free stacks, the last freed on top: the
                               next G to start takes the one most likely
                               still in the cache and TLB (bit 0: no guard) */
  uint64_t goid_next;       /* next G id of this P's batch */
  uint64_t goid_end;        /* end of the batch */
  /* Read by sysmon: state and syscall tick in one word, so that an M
  ** back from a syscall takes its P back with one CAS that fails when
  ** sysmon retook the P meanwhile, even if the P is in another syscall
  ** again by then (PW_STATE: P_*; above it the tick). */
  _Atomic uint64_t word;
  _Atomic(m *) mp;          /* the M holding it (sysmon signals it) */
  _Atomic int64_t sysstart; /* when its current syscall began (rt_now) */
  _Alignas(HEAP_LINE) tmheap tm; /* timers added by Gs that ran here (timer.c) */
};

#define PW_STATE 3u
#define PW(tick, st) ((uint64_t)(tick) << 2 | (uint64_t)(st))

static struct {
  const rt_sched_ops *ops;  /* the policy */
  rt_pval param[RT_MAX_PARAMS]; /* its resolved parameters */
  int nprocs;               /* number of Ps */
  proc *ps;                 /* the Ps */
  rt_sp **all;              /* &ps[i].sp, for rt_sp.all */
  void *shared;             /* the policy's shared state */
  size_t stack_size;        /* usable bytes per G stack */
  rt_lock idle;             /* guards pidle, midle, allm, nm */
  proc *pidle;              /* idle Ps */
  m *midle;                 /* idle Ms (sleeping, no P) */
  m **allm;                 /* every M, for the join at the end */
  int nm;                   /* number of Ms */
  _Atomic int npidle;       /* length of pidle, readable without lock */
  _Atomic int nmspinning;   /* Ms spinning (or woken to spin) */
  _Atomic int done;         /* main returned: Ms wind down */
  rt_lock gfree_lock;       /* guards gfree */
  rt_g *gfree;              /* dead Gs overflowing the per-P lists */
  uintptr_t *stkv;          /* free stacks overflowing the per-P caches */
  size_t nstkv, capstkv;    /* entries used and allocated in stkv */
  rt_lock allg_lock;        /* guards allg */
  rt_g *allg;               /* every G made in this run */
  _Atomic uint64_t goid;    /* G id counter (batches go to Ps) */
  rt_g *main_g;             /* the G running main */
  rt_gqueue inject;         /* Gs back from a syscall that found no P: any P
                               takes them (Go's global run queue, for these) */
  _Atomic int insyscall;    /* Gs in a syscall whose P went to other work */
  rt_opts opts;             /* the runtime options (sysmon.h) */
  _Atomic int polling;      /* an M waits in netpoll (only one may) */
  _Atomic int inpoll;       /* polls under way, from before netpoll until
                               the Gs it found are queued: those Gs count
                               neither as waiting on fds nor as runnable
                               meanwhile, so no deadlock while it is > 0 */
  _Atomic int64_t lastpoll; /* when the network was last polled */
  _Atomic uint32_t gcwaiting; /* 1 while a G stops the world (futex word:
                               stopped Ms sleep on it) */
  _Atomic int stopwait;     /* Ps still to stop */
  _Atomic uint32_t stopnote; /* futex word: the last P stopped */
  _Atomic int stw_busy;     /* a G is stopping or has stopped the world */
  _Atomic(m *) stw_owner;   /* its M: the one M a request does not stop */
  rt_lock stw_lock;         /* orders a parker's look at gcwaiting and its
                               count with a round's start and end */
  _Atomic uint32_t stw_epoch; /* bumped by each restart; a parked M waits
                               for a bump, not for gcwaiting to read 0,
                               which the next stop may set again first */
  _Atomic uint32_t stw_seq; /* futex word parked Ms sleep on: bumped by each
                               restart and each rt_stw_parallel call */
  void (*stw_fn)(int, int, void *); /* the call rt_stw_parallel posts */
  void *stw_arg;            /* its argument */
  int stw_nw;               /* its workers, the stopper included */
  _Atomic int stw_next;     /* the next worker number a parked M claims */
  _Atomic uint32_t stw_left; /* futex word: parked Ms still in the call */
  bool running;             /* a runtime is up in this process */
  uint64_t *last_cnt;       /* counters of the last run, per P */
  int last_nprocs;          /* number of Ps of the last run */
} S;

static _Thread_local m *tls_m;
_Thread_local _Atomic uint32_t *sched_preempt_flag;

/* The M running this code.  A G may move to another thread across any
** switch, so the thread-local must be read again after one: noinline and
** the asm keep the compiler from caching its address. */
static __attribute__((noinline)) m *cur_m(void) {
  m *r = tls_m;
  __asm__ volatile("" : "+r"(r)::"memory");
  return r;
}

static void m_wakeup(m *w, proc *p, bool spinning);
static void wakep(proc *caller);

/* P p now has state st, held by M mm (NULL unless running).  Only its
** holder changes it, but for sysmon's CAS on a P in a syscall. */
static inline void p_state(proc *p, m *mm, int st) {
  uint64_t w = atomic_load_explicit(&p->word, memory_order_relaxed);
  atomic_store_explicit(&p->mp, mm, memory_order_relaxed);
  atomic_store_explicit(&p->word, (w & ~(uint64_t)PW_STATE) | (uint64_t)st,
                        memory_order_release);
}

/* M mm, on its own thread, takes P p (NULL: none).  The thread is bound
** to the P's place (topo.c) only when it differs from the P it was bound
** for, so hwloc is called when an M moves between Ps, never per switch. */
static inline void m_takep(m *mm, proc *p) {
  mm->p = p;
  if (p) p_state(p, mm, P_RUNNING);
  if (p && p->sp.id != mm->placed) {
    topo_bind(p->sp.id, mm->placed);
    mm->placed = p->sp.id;
  }
}

/* ==== stacks ========================================================= */

/* Stacks belong to Gs only while they run or wait: a G gets one when it
** first runs, from its P's cache, and gives it back when it dies.  Gs that
** are made in bulk and die young (spawn, skynet's leaves) thus take turns
** on the few stacks still in the cache and TLB, instead of each writing a
** 64 KiB stack of its own that has long left both: on this project's VM
** the miss to such a page costs 120-430 ns. */

/* P p's cache is empty: refill half of it from the global list, or map a
** new stack. */
static uintptr_t stk_refill(proc *p) {
  if (__atomic_load_n(&S.nstkv, __ATOMIC_RELAXED)) {
    rt_lock_acquire(&S.gfree_lock);
    size_t k = S.nstkv;
    while (k && p->nstk < PROC_STK_MAX / 2) p->stk[p->nstk++] = S.stkv[--k];
    __atomic_store_n(&S.nstkv, k, __ATOMIC_RELAXED);  /* peeked at without the lock */
    rt_lock_release(&S.gfree_lock);
    if (p->nstk) return p->stk[--p->nstk];
  }
  bool guarded = false;
  char *lo = ctx_stack_alloc(S.stack_size, &guarded);
  if (!lo)
    sched_fatal("out of memory: no stack for a new goroutine (%zu KiB)", S.stack_size / 1024);
  p->sp.cnt[RT_CNT_STACKS]++;
  return (uintptr_t)lo | !guarded;
}

/* G g, on P p, is about to run for the first time: gives it a stack and
** returns where its first frame goes. */
static char *stk_take(proc *p, rt_g *g) {
  uintptr_t s = p->nstk ? p->stk[--p->nstk] : stk_refill(p);
  g->stack_lo = (char *)(s & ~(uintptr_t)1);
  g->stack_size = S.stack_size;
  g->guarded = !(s & 1);
#ifdef RT_ASAN
  /* A reused stack still carries the previous G's shadow poisoning. */
  __asan_unpoison_memory_region(g->stack_lo, g->stack_size);
#endif
  /* Stacks lie a power of two apart, so their tops would all fall into
  ** the same cache sets; starting each a different number of lines below
  ** its top ("colouring") spreads them. */
  size_t color = (((uintptr_t)g->stack_lo / S.stack_size) % 16) * 128;
  return (char *)(((uintptr_t)g->stack_lo + g->stack_size - color) & ~(uintptr_t)15);
}

/* Dead G g's stack goes back to P p's cache (the oldest half of a full
** cache to the global list). */
static void stk_put(proc *p, rt_g *g) {
  if (p->nstk == PROC_STK_MAX) {
    int half = PROC_STK_MAX / 2;
    rt_lock_acquire(&S.gfree_lock);
    if (S.nstkv + half > S.capstkv) {
      size_t cap = S.capstkv ? 2 * S.capstkv : 256;
      uintptr_t *v = realloc(S.stkv, cap * sizeof *v);
      if (!v) sched_fatal("out of memory: no room to keep %zu free stacks", S.nstkv + half);
      S.stkv = v;
      S.capstkv = cap;
    }
    memcpy(S.stkv + S.nstkv, p->stk, half * sizeof *p->stk);
    __atomic_store_n(&S.nstkv, S.nstkv + half, __ATOMIC_RELAXED);  /* stk_refill peeks */
    rt_lock_release(&S.gfree_lock);
    memmove(p->stk, p->stk + half, (PROC_STK_MAX - half) * sizeof *p->stk);
    p->nstk -= half;
  }
  p->stk[p->nstk++] = (uintptr_t)g->stack_lo | !g->guarded;
  g->stack_lo = NULL;
}

/* ==== switching ====================================================== */

static void g_entry(void *arg);

/* Switches from the running context, saved into *save, to G `to` or, when
** to is NULL, to this M's scheduler context.  `dying`: the old context
** never resumes (ASan frees its fake stack). */
static inline void sw(m *mm, void **save, rt_g *to, bool dying) {
  bool fresh = to && !to->stack_lo;  /* first run: no stack yet */
  void *sp = fresh ? stk_take(mm->p, to) : to ? to->sp : mm->g0sp;
#ifdef RT_ASAN
  void *fake = NULL;
  __sanitizer_start_switch_fiber(dying ? NULL : &fake, to ? to->stack_lo : mm->g0lo,
                                 to ? to->stack_size : mm->g0size);
#endif
#ifdef RT_TSAN
  __tsan_switch_to_fiber(to ? to->tsan_fiber : mm->g0fiber, 0);
#endif
  (void)dying;
  if (__builtin_expect(fresh, 0))
    rt_ctx_start(save, sp, g_entry, to);
  else
    rt_ctx_swap(save, sp);
#ifdef RT_ASAN
  __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

/* Hands dead G g and its stack to P p's spare lists. */
static void g_recycle(proc *p, rt_g *g) {
  stk_put(p, g);
  atomic_store_explicit(&g->status, G_IDLE, memory_order_relaxed);
  g->freenext = p->gfree;
  p->gfree = g;
  if (++p->ngfree > PROC_GFREE_MAX) {  /* move half to the global list */
    rt_lock_acquire(&S.gfree_lock);
    while (p->ngfree > PROC_GFREE_MAX / 2) {
      rt_g *x = p->gfree;
      p->gfree = x->freenext;
      x->freenext = S.gfree;
      __atomic_store_n(&S.gfree, x, __ATOMIC_RELAXED);  /* g_new peeks */
      p->ngfree--;
    }
    rt_lock_release(&S.gfree_lock);
  }
}

static inline void timers_check(proc *p);
static void after_action(m *mm);

/* Runs the action the previous context left (it is off its stack now),
** then the P's due timers: here, not before the switch, because a G that
** parks holds its wait's lock (a channel's) until the action releases it,
** and a timer's function may need that lock (a timer sends on its
** channel).  Every switch passes here, so a busy P runs its timers too.
** (S.inject needs no look here: g_pick and find_runnable drain it.) */
static void after_switch(m *mm) {
  after_action(mm);
  if (mm->p) timers_check(mm->p);
}

/* Gs back from syscalls that found no P become runnable on p. */
static void inject_drain(proc *p) {
  for (rt_g *g; (g = rt_gq_pop(&S.inject)) != NULL;) S.ops->ready(&p->sp, g, RT_WHY_INJECT);
}

/* The post-switch action itself. */
static void after_action(m *mm) {
  int act = mm->act;
  if (act == ACT_NONE) return;
  mm->act = ACT_NONE;
  rt_g *g = mm->actg;
  switch (act) {
  case ACT_READY:
    atomic_store_explicit(&g->status, G_RUNNABLE, memory_order_relaxed);
    S.ops->ready(&mm->p->sp, g, mm->actwhy);
    break;
  case ACT_PARK:
    if (mm->actlock) rt_lock_release(mm->actlock);
    break;
  case ACT_PARKFN:
    if (!mm->actfn(g, mm->actarg)) {
      atomic_store_explicit(&g->status, G_RUNNABLE, memory_order_relaxed);
      S.ops->ready(&mm->p->sp, g, RT_WHY_WOKEN);
    }
    break;
  case ACT_EXIT:
    g_recycle(mm->p, g);
    break;
  case ACT_INJECT:  /* back from a syscall, no P: any P will take it */
    atomic_store_explicit(&g->status, G_RUNNABLE, memory_order_relaxed);
    rt_gq_push(&S.inject, g);
    /* Visible on S.inject before it stops counting as in a syscall, and
    ** both before npidle is read: an M going idle reads them in the other
    ** order (find_runnable), so one of the two sees the other. */
    atomic_fetch_sub(&S.insyscall, 1);
    if (atomic_load(&S.npidle) > 0 && atomic_load(&S.nmspinning) == 0) wakep(NULL);
    break;
  }
}

/* Bookkeeping for G g starting on P p. */
static inline void g_start_on(m *mm, proc *p, rt_g *g, bool inherit) {
  if (!inherit) {  /* a fresh slice: sysmon reads the tick; a request for
                   ** the G before is void */
    __atomic_store_n(&p->sp.schedtick, p->sp.schedtick + 1, __ATOMIC_RELAXED);
    atomic_store_explicit(&mm->preempt, 0, memory_order_relaxed);
  }
  p->sp.cnt[RT_CNT_SWITCHES]++;
  atomic_store_explicit(&g->status, G_RUNNING, memory_order_relaxed);
  mm->cur = g;
}

/* A G switching out must not have run past its stack: guard pages catch
** most overflows as they happen; the canary catches the rest (stacks the
** OS gave no guard, see ctx.c) at the next switch. */
static inline void g_check_stack(rt_g *g) {
  if (__builtin_expect(!g->guarded && *(const uint64_t *)g->stack_lo != CTX_CANARY, 0))
    sched_fatal("stack overflow: the canary at the bottom of the %zu KiB stack was "
                "overwritten", g->stack_size / 1024);
}

/* Switches from the running G self to next (already picked), or to the
** scheduler context when next is NULL; returns once self runs again. */
static void g_switch(m *mm, rt_g *self, rt_g *next, bool inherit, bool dying) {
  g_check_stack(self);
  if (next)
    g_start_on(mm, mm->p, next, inherit);
  else
    mm->cur = NULL;
  sw(mm, &self->sp, next, dying);
  after_switch(cur_m());  /* resumed, perhaps on another M */
}

/* Runs P p's due timers; reads the clock only when p has a timer. */
static inline void timers_check(proc *p) {
  int64_t next = timer_next(&p->tm);
  if (__builtin_expect(next != TM_NONE, 0)) {
    int64_t now = rt_now();
    if (next <= now) timer_run(&p->tm, now);
  }
}

/* The earliest timer of all Ps, TM_NONE when there is none. */
static int64_t timers_earliest(void) {
  int64_t e = TM_NONE;
  for (int i = 0; i < S.nprocs; i++) {
    int64_t w = timer_next(&S.ps[i].tm);
    if (w < e) e = w;
  }
  return e;
}

/* Runs the due timers of the Ps other than p (Go steals them too): their
** Gs become runnable on p.  Whether any ran. */
static bool timers_steal(proc *p) {
  int64_t now = 0;
  bool ran = false;
  for (int i = 0; i < S.nprocs; i++) {
    proc *q = &S.ps[i];
    int64_t w = timer_next(&q->tm);
    if (q == p || w == TM_NONE) continue;
    if (!now) now = rt_now();
    if (w <= now) ran |= timer_run(&q->tm, now) > 0;
  }
  return ran;
}

/* Picks the next G of the running G's P (none once the runtime is done). */
static inline rt_g *g_pick(m *mm, bool *inherit) {
  *inherit = false;
  if (atomic_load_explicit(&S.done, memory_order_relaxed)) return NULL;
  if (__builtin_expect(rt_gq_len(&S.inject) > 0, 0)) inject_drain(mm->p);
  return S.ops->pick(&mm->p->sp, inherit);
}

static void g_leave(m *mm, rt_g *self, bool dying) {
  bool inherit;
  rt_g *next = g_pick(mm, &inherit);
  g_switch(mm, self, next, inherit, dying);
}

/* ==== idle Ps and Ms ================================================= */

static proc *pidle_get(void) {  /* S.idle held */
  proc *p = S.pidle;
  if (p) {
    S.pidle = p->idlenext;
    atomic_fetch_sub(&S.npidle, 1);
  }
  return p;
}

static void pidle_put(proc *p) {  /* S.idle held */
  p_state(p, NULL, P_IDLE);
  p->idlenext = S.pidle;
  S.pidle = p;
  p->sp.cnt[RT_CNT_IDLES]++;
  atomic_fetch_add(&S.npidle, 1);
}

static bool any_runnable(void) {
  if (rt_gq_len(&S.inject) > 0) return true;
  for (int i = 0; i < S.nprocs; i++)
    if (S.ops->runnable(&S.ps[i].sp)) return true;
  return false;
}

static void *m_main(void *arg);

/* Gives an idle P to an idle M (or a new one) that will spin looking for
** work.  Called when work appears and nobody is spinning (Go's wakep). */
/* S.idle held.  A new M (thread) that starts with P p; NULL at the
** limit.  Created under S.idle so that runtime_done, which takes S.idle
** after setting done, knows every M that rt_run must join has a thread. */
static m *m_new(proc *p, bool spinning) {
  if (S.nm >= S.opts.max_threads)  /* Go's checkmcount: better than a silent hang */
    sched_fatal("program exceeds the %d-thread limit (runtime option max_threads)",
                S.opts.max_threads);
  m *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->id = S.nm;
  w->placed = -1;
  w->nextp = p;
  w->spinning = spinning;
  if (pthread_create(&w->thread, NULL, m_main, w) != 0)
    sched_fatal("cannot create an OS thread for a new M");
  S.allm[S.nm++] = w;
  return w;
}

static void wakep(proc *caller) {
  int zero = 0;
  if (!atomic_compare_exchange_strong(&S.nmspinning, &zero, 1)) return;
  rt_lock_acquire(&S.idle);
  proc *p = atomic_load(&S.done) ? NULL : pidle_get();
  m *w = p ? S.midle : NULL;
  if (w) {
    S.midle = w->idlenext;
  } else if (p && m_new(p, true)) {
    if (caller) caller->sp.cnt[RT_CNT_WAKEUPS]++;
    rt_lock_release(&S.idle);
    return;
  }
  if (p && !w) pidle_put(p);  /* no M to be had: give the P back */
  rt_lock_release(&S.idle);
  if (w) {
    if (caller) caller->sp.cnt[RT_CNT_WAKEUPS]++;
    m_wakeup(w, p, true);
  } else {
    atomic_fetch_sub(&S.nmspinning, 1);
  }
}

/* New work exists on the caller's P: wake an idle P if nobody spins. */
static inline void wake_if_idle(proc *caller) {
  if (atomic_load_explicit(&S.npidle, memory_order_relaxed) > 0 &&
      atomic_load_explicit(&S.nmspinning, memory_order_relaxed) == 0)
    wakep(caller);
}

static void m_wakeup(m *w, proc *p, bool spinning) {
  w->nextp = p;
  w->spinning = spinning;
  atomic_store(&w->wake, 1);
  lock_futex_wake(&w->wake, 1);
}

/* A spinning M found work: stop spinning, and if it was the last one,
** wake another P so that any further work is found (Go's resetspinning). */
static void stop_spinning(m *mm) {
  mm->spinning = false;
  if (atomic_fetch_sub(&S.nmspinning, 1) == 1) wake_if_idle(mm->p);
}

static _Noreturn void report_deadlock(void);

/* ==== the schedule loop ============================================== */

/* Idle M mm (on S.midle) sleeps until woken (true: nextp holds its P), or
** until the timer deadline `until` (TM_NONE: no limit).  At the deadline it
** leaves S.midle and takes an idle P to run the due timers (false); when
** every P is busy, their own schedule loops run the timers, and mm sleeps
** on without a limit. */
static bool m_sleep(m *mm, int64_t until) {
  for (;;) {
    while (atomic_load(&mm->wake) == 0) {
      if (until == TM_NONE) {
        lock_futex_wait(&mm->wake, 0);
        continue;
      }
      int64_t left = until - rt_now();
      if (left <= 0) break;
      lock_futex_wait_ns(&mm->wake, 0, left);
    }
    if (atomic_load(&mm->wake)) return true;
    rt_lock_acquire(&S.idle);
    m **at = &S.midle;
    while (*at && *at != mm) at = &(*at)->idlenext;
    if (!*at) {  /* a waker took us off the list: its wake-up is coming */
      rt_lock_release(&S.idle);
      until = TM_NONE;
      continue;
    }
    proc *p = atomic_load(&S.done) ? NULL : pidle_get();
    if (p) *at = mm->idlenext;
    rt_lock_release(&S.idle);
    if (p) {
      m_takep(mm, p);
      return false;
    }
    /* Every P is busy (their own loops run the timers), or the runtime is
    ** done (runtime_done wakes the whole list): sleep without a limit. */
    until = TM_NONE;
  }
}

/* M mm holds no P (its G came back from a syscall and went to S.inject):
** takes an idle P, or sleeps until it is handed one.  false once the
** runtime is done. */
static bool m_idle_nop(m *mm) {
  rt_lock_acquire(&S.idle);
  if (atomic_load(&S.done)) {
    rt_lock_release(&S.idle);
    return false;
  }
  proc *p = pidle_get();
  if (!p) {
    atomic_store(&mm->wake, 0);
    mm->idlenext = S.midle;
    S.midle = mm;
  }
  rt_lock_release(&S.idle);
  if (!p) {
    m_sleep(mm, TM_NONE);  /* without a limit it returns only when woken */
    p = mm->nextp;
    mm->nextp = NULL;
  }
  m_takep(mm, p);
  return p != NULL;
}

/* ==== stopping the world ============================================ */

/* M mm parks its P for a stop-the-world and waits for the restart; the
** last P to stop wakes the stopper. */
static void m_stw_park(m *mm) {
  proc *p = mm->p;
  /* Under the lock the round cannot end between our look and our count:
  ** a request seen late (the world already restarted, or restarted and
  ** stopped again) must not count towards, or wait for, the wrong round. */
  rt_lock_acquire(&S.stw_lock);
  if (!atomic_load(&S.gcwaiting)) {
    rt_lock_release(&S.stw_lock);
    return;
  }
  uint32_t epoch = atomic_load(&S.stw_epoch);  /* this round's: its end bumps it */
  uint32_t seq = atomic_load(&S.stw_seq);
  p_state(p, mm, P_STOP);
  if (atomic_fetch_sub(&S.stopwait, 1) == 1) {
    atomic_store(&S.stopnote, 1);
    lock_futex_wake(&S.stopnote, 1);
  }
  rt_lock_release(&S.stw_lock);
  /* Each bump of seq is the restart or a call this M was counted for
  ** (rt_stw_parallel waits for them all before it can post another). */
  for (;;) {
    uint32_t now;
    while ((now = atomic_load(&S.stw_seq)) == seq) lock_futex_wait(&S.stw_seq, seq);
    seq = now;
    if (atomic_load(&S.stw_epoch) != epoch) break;
    int id = atomic_fetch_add(&S.stw_next, 1);
    S.stw_fn(id, S.stw_nw, S.stw_arg);
    if (atomic_fetch_sub(&S.stw_left, 1) == 1) lock_futex_wake(&S.stw_left, 1);
  }
  p_state(p, mm, P_RUNNING);
}

/* The running G stops in place (at a preemption point).  Its callee-saved
** registers are forced into this frame, above `here`: a stack scan from
** there sees every pointer it holds. */
static __attribute__((noinline)) void g_stw_park(m *mm) {
  __builtin_unwind_init();
  volatile char here = 0;
  rt_g *self = mm->cur;
  self->stop_sp = (void *)&here;
  m_stw_park(mm);
  self->stop_sp = NULL;
}

/* Gs the poller returned become runnable: on P p when there is one (each
** handed to the policy as polled), else on S.inject for any P, with an
** idle P woken to take them. */
static void poll_inject(proc *p, rt_g *gs) {
  for (rt_g *g; (g = gs) != NULL;) {
    gs = *rt_g_link(g);
    atomic_store_explicit(&g->status, G_RUNNABLE, memory_order_relaxed);
    if (p) S.ops->ready(&p->sp, g, RT_WHY_POLL);
    else rt_gq_push(&S.inject, g);
  }
  if (p) wake_if_idle(p);
  else if (atomic_load(&S.npidle) > 0 && atomic_load(&S.nmspinning) == 0) wakep(NULL);
}

/* Polls the network without waiting and readies what it finds on P p
** (NULL: S.inject).  The number of Gs. */
static int poll_ready(proc *p) {
  int n;
  atomic_fetch_add(&S.inpoll, 1);
  rt_g *gs = netpoll(0, &n);
  atomic_store_explicit(&S.lastpoll, rt_now(), memory_order_relaxed);
  if (gs) poll_inject(p, gs);
  atomic_fetch_sub(&S.inpoll, 1);
  return n;
}

/* M mm, without a P, is the poller: waits on the network until `until`
** (the next timer; TM_NONE: no limit), then takes an idle P for what it
** found or for the timer.  Without one the Gs go to S.inject, and mm back
** to find_runnable's loop, which parks it as an idle M. */
static void m_poll(m *mm, int64_t until) {
  int n;
  atomic_fetch_add(&S.inpoll, 1);  /* before netpoll takes any G off the waiters */
  rt_g *gs = netpoll(until, &n);  /* TM_NONE is netpoll's "no limit" too */
  atomic_store_explicit(&S.lastpoll, rt_now(), memory_order_relaxed);
  rt_lock_acquire(&S.idle);
  proc *p = atomic_load(&S.done) ? NULL : pidle_get();
  rt_lock_release(&S.idle);
  if (p) m_takep(mm, p);
  if (gs) poll_inject(p, gs);
  atomic_store(&S.polling, 0);
  atomic_fetch_sub(&S.inpoll, 1);
}

/* Finds a G for M mm (which holds a P), stealing or sleeping as needed.
** Returns NULL once the runtime is done. */
static rt_g *find_runnable(m *mm) {
  for (;;) {
    if (atomic_load(&S.done)) return NULL;
    if (!mm->p && !m_idle_nop(mm)) return NULL;
    if (__builtin_expect(atomic_load_explicit(&S.gcwaiting, memory_order_relaxed), 0)) {
      m_stw_park(mm);  /* on the scheduler context: no G to describe */
      continue;
    }
    proc *p = mm->p;
    if (rt_gq_len(&S.inject) > 0) inject_drain(p);
    bool inherit = false;
    timers_check(p);
    rt_g *g = S.ops->pick(&p->sp, &inherit);
    if (!g && netpoll_waiters() > 0 && atomic_load(&S.polling) == 0 && poll_ready(p) > 0)
      g = S.ops->pick(&p->sp, &inherit);  /* Go polls before it steals, too */
    if (!g && S.ops->steal &&
        (mm->spinning ||
         2 * atomic_load(&S.nmspinning) < S.nprocs - atomic_load(&S.npidle))) {
      if (!mm->spinning) {
        mm->spinning = true;
        atomic_fetch_add(&S.nmspinning, 1);
      }
      g = S.ops->steal(&p->sp);
    }
    if (g) {
      if (mm->spinning) stop_spinning(mm);
      g_start_on(mm, p, g, inherit);
      return g;
    }

    /* Other Ps' due timers, then nothing anywhere we may look: give up
    ** the P. */
    if (timers_steal(p)) continue;
    bool was_spinning = mm->spinning;
    if (was_spinning) {
      mm->spinning = false;
      atomic_fetch_sub(&S.nmspinning, 1);
    }
    rt_lock_acquire(&S.idle);
    if (atomic_load(&S.done)) {
      rt_lock_release(&S.idle);
      return NULL;
    }
    pidle_put(p);
    mm->p = NULL;
    bool all_idle = atomic_load(&S.npidle) == S.nprocs;
    /* Work may have been readied between our look and the put: a spinning
    ** M and the last M standing look once more (Go does the same). */
    int64_t next_timer = timers_earliest();
    int insyscall = atomic_load(&S.insyscall);  /* before S.inject: see ACT_INJECT */
    if ((was_spinning || all_idle) &&
        (any_runnable() || (next_timer != TM_NONE && next_timer <= rt_now()))) {
      proc *np = pidle_get();
      rt_lock_release(&S.idle);
      m_takep(mm, np);
      if (was_spinning) {
        mm->spinning = true;
        atomic_fetch_add(&S.nmspinning, 1);
      }
      continue;
    }
    int netwait = netpoll_waiters();
    /* No P runs a G, no G is in a syscall or waits on an fd, no timer is
    ** pending and no poll is under way, so nothing can make a G runnable:
    ** every live G is blocked for good.  A poll that ended just now queued
    ** its Gs before it stopped counting in S.inpoll, hence the last look
    ** at the queues after reading it. */
    if (all_idle && next_timer == TM_NONE && insyscall == 0 && netwait == 0 &&
        atomic_load(&S.inpoll) == 0 && !any_runnable()) {
      rt_lock_release(&S.idle);
      report_deadlock();
    }
    if (netwait > 0 && atomic_exchange(&S.polling, 1) == 0) {
      /* Gs wait on fds and nobody watches them: this M does, until the
      ** next timer, without a P (Go's findrunnable blocking in netpoll). */
      rt_lock_release(&S.idle);
      m_poll(mm, next_timer);
      continue;
    }
    atomic_store(&mm->wake, 0);
    mm->idlenext = S.midle;
    S.midle = mm;
    rt_lock_release(&S.idle);
    if (!m_sleep(mm, next_timer)) continue;  /* timed out, and took an idle P */
    m_takep(mm, mm->nextp);
    mm->nextp = NULL;
    if (!mm->p) return NULL;  /* woken by shutdown */
  }
}

/* The scheduler context of an M: run Gs until the runtime is done. */
static void m_schedule(m *mm) {
  for (;;) {
    after_switch(mm);
    rt_g *g = find_runnable(mm);
    if (!g) return;
    sw(mm, &mm->g0sp, g, false);
  }
}

static bool describe_fault(void *addr, char *msg, size_t len);

static void m_thread_init(m *mm) {
  tls_m = mm;
  sched_preempt_flag = &mm->preempt;
  ctx_thread_init(describe_fault, &mm->altstack);
#ifdef RT_ASAN
  pthread_attr_t at;
  void *lo = NULL;
  size_t sz = 0;
  if (pthread_getattr_np(pthread_self(), &at) == 0) {
    pthread_attr_getstack(&at, &lo, &sz);
    pthread_attr_destroy(&at);
  }
  mm->g0lo = lo;
  mm->g0size = sz;
#endif
#ifdef RT_TSAN
  mm->g0fiber = __tsan_get_current_fiber();
#endif
}

static void *m_main(void *arg) {
  m *mm = arg;
  m_thread_init(mm);
  m_takep(mm, mm->nextp);
  mm->nextp = NULL;
  m_schedule(mm);
  ctx_thread_fini(mm->altstack);
  return NULL;
}

/* ==== Gs ============================================================= */

static uint64_t g_newid(proc *p) {
  if (p->goid_next == p->goid_end) {
    p->goid_next = atomic_fetch_add(&S.goid, PROC_GOID_BATCH) + 1;
    p->goid_end = p->goid_next + PROC_GOID_BATCH;
  }
  return p->goid_next++;
}

/* A G ready to start fn(arg), from P p's spares, the global spares, or
** new.  Its stack comes when it first runs (stk_take). */
static rt_g *g_new(proc *p, rt_fn fn, void *arg) {
  rt_g *g = p->gfree;
  if (!g && __atomic_load_n(&S.gfree, __ATOMIC_RELAXED)) {  /* refill */
    rt_lock_acquire(&S.gfree_lock);
    while (S.gfree && p->ngfree < PROC_GFREE_MAX / 2) {
      rt_g *x = S.gfree;
      __atomic_store_n(&S.gfree, x->freenext, __ATOMIC_RELAXED);
      x->freenext = p->gfree;
      p->gfree = x;
      p->ngfree++;
    }
    rt_lock_release(&S.gfree_lock);
    g = p->gfree;
  }
  if (g) {
    p->gfree = g->freenext;
    p->ngfree--;
  } else {
    g = calloc(1, sizeof *g);
    if (!g) sched_fatal("out of memory: no room for a new goroutine");
#ifdef RT_TSAN
    g->tsan_fiber = __tsan_create_fiber(0);
#endif
    rt_lock_acquire(&S.allg_lock);
    g->allnext = S.allg;
    S.allg = g;
    rt_lock_release(&S.allg_lock);
  }
  g->head.link = NULL;
  g->head.id = g_newid(p);
  g->fn = fn;
  g->arg = arg;
  g->wait_reason = NULL;
  g->param = NULL;
  atomic_store_explicit(&g->select_done, 0, memory_order_relaxed);
  atomic_store_explicit(&g->status, G_RUNNABLE, memory_order_relaxed);
  g->sp = NULL;  /* no stack until it first runs */
  p->sp.cnt[RT_CNT_SPAWNS]++;
  return g;
}

static void runtime_done(void);

/* First code of every G. */
static void g_entry(void *arg) {
  rt_g *g = arg;
#ifdef RT_ASAN
  __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
  after_switch(cur_m());
  g->fn(g->arg);
  if (g == S.main_g) runtime_done();
  m *mm = cur_m();
  atomic_store_explicit(&g->status, G_DEAD, memory_order_relaxed);
  mm->act = ACT_EXIT;
  mm->actg = g;
  g_leave(mm, g, true);
  __builtin_unreachable();
}

/* ==== mutator API and the park/ready protocol ======================= */

void rt_go(rt_fn fn, void *arg) {
  proc *p = cur_m()->p;
  rt_g *g = g_new(p, fn, arg);
  S.ops->ready(&p->sp, g, RT_WHY_NEW);
  wake_if_idle(p);
}

static void g_yield(m *mm, rt_why why);
static void g_preempted(m *mm);

void rt_yield(void) {
  m *mm = cur_m();
  /* A yield answers a preemption request too (and stops for a
  ** stop-the-world, which a yield with nothing else to run would not). */
  if (__builtin_expect(atomic_load_explicit(&mm->preempt, memory_order_relaxed), 0)) {
    g_preempted(mm);
    return;
  }
  g_yield(mm, RT_WHY_YIELD);
}

uint64_t rt_gid(void) {
  m *mm = cur_m();
  return mm && mm->cur ? mm->cur->head.id : 0;
}

int rt_procs(void) { return S.nprocs; }

rt_g *sched_cur(void) {
  m *mm = cur_m();
  return mm ? mm->cur : NULL;
}

rt_sp *sched_cur_sp(void) {
  m *mm = cur_m();
  return mm && mm->p ? &mm->p->sp : NULL;
}

void sched_park(rt_lock *unlock, const char *reason) {
  m *mm = cur_m();
  rt_g *self = mm->cur;
  self->wait_reason = reason;
  atomic_store_explicit(&self->status, G_WAITING, memory_order_relaxed);
  mm->act = ACT_PARK;
  mm->actg = self;
  mm->actlock = unlock;
  mm->p->sp.cnt[RT_CNT_PARKS]++;
  g_leave(mm, self, false);
}

void sched_park_fn(bool (*unlockf)(rt_g *g, void *arg), void *arg, const char *reason) {
  m *mm = cur_m();
  rt_g *self = mm->cur;
  self->wait_reason = reason;
  atomic_store_explicit(&self->status, G_WAITING, memory_order_relaxed);
  mm->act = ACT_PARKFN;
  mm->actg = self;
  mm->actfn = unlockf;
  mm->actarg = arg;
  mm->p->sp.cnt[RT_CNT_PARKS]++;
  g_leave(mm, self, false);
}

void sched_ready(rt_g *g) {
  proc *p = cur_m()->p;
  atomic_store_explicit(&g->status, G_RUNNABLE, memory_order_relaxed);
  S.ops->ready(&p->sp, g, RT_WHY_WOKEN);
  wake_if_idle(p);
}

struct tmheap *sched_timers(rt_sp *p) { return &((proc *)p)->tm; }

/* ==== blocking system calls ========================================== */

/* P p, left by an M entering a syscall: to a new or idle M when it has
** work (runnable Gs, Gs back from syscalls, timers), else to the idle
** list, where the next wakep finds it (Go's handoffp). */
static void handoff(proc *p) {
  /* Work is also: Gs wait on fds, this is the last P that might run, and
  ** nobody polls: an M must be up to become the poller (Go does so). */
  bool work = S.ops->runnable(&p->sp) || rt_gq_len(&S.inject) > 0 ||
              timer_next(&p->tm) != TM_NONE ||
              (netpoll_waiters() > 0 && atomic_load(&S.npidle) == S.nprocs - 1 &&
               atomic_load(&S.polling) == 0);
  rt_lock_acquire(&S.idle);
  m *w = NULL;
  if (work && !atomic_load(&S.done)) {
    w = S.midle;
    if (w) S.midle = w->idlenext;
    else if (m_new(p, false)) {
      rt_lock_release(&S.idle);
      return;
    }
  }
  if (!w) pidle_put(p);
  rt_lock_release(&S.idle);
  if (w) m_wakeup(w, p, false);
}

/* The running G's M lets go of its P for a syscall: returns the P. */
static proc *syscall_begin(m *mm, const char *what) {
  if (!mm || !mm->cur || !mm->p) sched_fatal("%s called outside a running G", what);
  proc *p = mm->p;
  p->sp.cnt[RT_CNT_PARKS]++;
  mm->cur->stop_sp = __builtin_frame_address(0);  /* below the caller's frame */
  mm->sysp = p;
  mm->p = NULL;  /* the G runs on, on this M, without a P */
  return p;
}

/* Go's entersyscall: the P stays with this M, marked in a syscall, so a
** short call costs no hand-off; sysmon retakes it from a long one. */
void rt_syscall_enter(void) {
  m *mm = cur_m();
  if (!S.opts.sysmon) {  /* nobody would retake it: hand it off now */
    rt_syscall_enter_block();
    return;
  }
  proc *p = syscall_begin(mm, "rt_syscall_enter");
  uint64_t w = atomic_load_explicit(&p->word, memory_order_relaxed);
  mm->systick = (uint32_t)(w >> 2) + 1;
  atomic_store_explicit(&p->sysstart, rt_now(), memory_order_relaxed);
  atomic_store_explicit(&p->word, PW(mm->systick, P_SYSCALL), memory_order_release);
}

/* Go's entersyscallblock: the P goes to other work at once. */
void rt_syscall_enter_block(void) {
  m *mm = cur_m();
  proc *p = syscall_begin(mm, "rt_syscall_enter_block");
  mm->systick = 0;  /* no fast way back */
  atomic_fetch_add(&S.insyscall, 1);
  handoff(p);
}

long rt_sys_read(int fd, void *buf, unsigned long n) {
  rt_syscall_enter();
  long r = read(fd, buf, n);
  int e = errno;  /* before exit: it may move the G to another thread */
  rt_syscall_exit();
  return r < 0 ? -e : r;
}

long rt_sys_write(int fd, const void *buf, unsigned long n) {
  rt_syscall_enter();
  long r = write(fd, buf, n);
  int e = errno;
  rt_syscall_exit();
  return r < 0 ? -e : r;
}

int rt_sys_fsync(int fd) {
  rt_syscall_enter();
  int r = fsync(fd);
  int e = errno;
  rt_syscall_exit();
  return r < 0 ? -e : r;
}

/* Takes P want off the idle list if it is there, else any idle P.  S.idle
** held. */
static proc *pidle_take(proc *want) {
  proc **at = &S.pidle;
  while (*at && *at != want) at = &(*at)->idlenext;
  if (!*at) return pidle_get();
  *at = want->idlenext;
  atomic_fetch_sub(&S.npidle, 1);
  return want;
}

void rt_syscall_exit(void) {
  m *mm = cur_m();
  rt_g *self = mm ? mm->cur : NULL;
  if (!self || mm->p) sched_fatal("rt_syscall_exit without rt_syscall_enter");
  uint64_t w = PW(mm->systick, P_SYSCALL);
  if (mm->systick &&
      atomic_compare_exchange_strong(&mm->sysp->word, &w, PW(mm->systick, P_RUNNING))) {
    mm->p = mm->sysp;  /* sysmon left it to us: carry on, as if nothing happened */
    mm->sysp = NULL;
    self->stop_sp = NULL;
    return;
  }
  /* Without its P the G stays "in a syscall" for a stop-the-world's stack
  ** scan (stop_sp) until it has a P again: it only pushes frames below. */
  /* Retaken (sysmon counted us in S.insyscall), or handed off at entry. */
  rt_lock_acquire(&S.idle);
  proc *p = pidle_take(mm->sysp);
  rt_lock_release(&S.idle);
  mm->sysp = NULL;
  if (p) {  /* the old P, or another idle one: run on (a P is busy again
            ** before the G stops counting as in a syscall) */
    m_takep(mm, p);
    atomic_fetch_sub(&S.insyscall, 1);
    self->stop_sp = NULL;
    return;
  }
  /* Every P is busy: wait on S.inject for one; this M goes idle. */
  mm->act = ACT_INJECT;
  mm->actg = self;
  g_switch(mm, self, NULL, false, false);
  self->stop_sp = NULL;
}

uint32_t sched_fastrand(uint32_t n) {
  return (uint32_t)(((uint64_t)rt_rand(&cur_m()->p->sp) * n) >> 32);
}

/* ==== sysmon's levers and preemption ================================= */

int sched_nprocs(void) { return S.nprocs; }

void sched_pview_get(int i, sched_pview *v) {
  proc *p = &S.ps[i];
  uint64_t w = atomic_load_explicit(&p->word, memory_order_acquire);
  v->status = (int)(w & PW_STATE);
  v->syscalltick = (uint32_t)(w >> 2);
  v->syscallstart = atomic_load_explicit(&p->sysstart, memory_order_relaxed);
  v->schedtick = __atomic_load_n(&p->sp.schedtick, __ATOMIC_RELAXED);
  v->runnable = S.ops->runnable(&p->sp);
}

int sched_idle_capacity(void) {
  return atomic_load(&S.npidle) + atomic_load(&S.nmspinning);
}

void sched_preempt(int i, bool signal) {
  proc *p = &S.ps[i];
  m *mm = atomic_load_explicit(&p->mp, memory_order_relaxed);
  if (!mm) return;
  atomic_store_explicit(&mm->preempt, 1, memory_order_relaxed);
  /* Ms live until rt_run's end, after sysmon stopped: the thread exists. */
  if (signal) preempt_signal(mm->thread);
}

bool sched_retake(int i, uint32_t tick) {
  proc *p = &S.ps[i];
  uint64_t w = PW(tick, P_SYSCALL);
  if (!atomic_compare_exchange_strong(&p->word, &w, PW(tick, P_IDLE))) return false;
  /* The P is sysmon's now; its G counts as in a syscall without a P. */
  atomic_fetch_add(&S.insyscall, 1);
  p->sp.cnt[RT_CNT_RETAKES]++;
  handoff(p);
  return true;
}

void sched_netpoll_overdue(int64_t now) {
  if (netpoll_waiters() == 0 || atomic_load(&S.polling) ||
      now - atomic_load_explicit(&S.lastpoll, memory_order_relaxed) < PROC_POLL_STALE_NS)
    return;
  poll_ready(NULL);
}

/* Yields as rt_yield does, as a preemption (the policy may place the G
** otherwise); carries on when nothing else can run here. */
static void g_yield(m *mm, rt_why why) {
  rt_g *self = mm->cur;
  bool inherit;
  rt_g *next = g_pick(mm, &inherit);
  if (!next && !atomic_load_explicit(&S.done, memory_order_relaxed)) {
    /* Nothing else here, so no switch and no after_switch: run the due
    ** timers now (a yield holds no lock a timer could need), then look
    ** again. */
    timers_check(mm->p);
    if (!(next = g_pick(mm, &inherit))) return;  /* carry on */
  }
  mm->act = ACT_READY;
  mm->actg = self;
  mm->actwhy = why;
  g_switch(mm, self, next, inherit, false);
  wake_if_idle(cur_m()->p);
}

/* The G was asked to yield: it does, counted. */
static void g_preempted(m *mm) {
  atomic_store_explicit(&mm->preempt, 0, memory_order_relaxed);
  /* The G that stopped the world neither stops nor yields (which would
  ** run another G while the world is stopped) until it restarts it. */
  if (atomic_load_explicit(&S.stw_owner, memory_order_relaxed) == mm) return;
  if (atomic_load(&S.gcwaiting)) {  /* not a slice: the world stops */
    g_stw_park(mm);
    return;
  }
  mm->p->sp.cnt[RT_CNT_PREEMPTS]++;
  g_yield(mm, RT_WHY_PREEMPT);
}

void rt_safepoint(void) {
  m *mm = cur_m();
  if (__builtin_expect(atomic_load_explicit(&mm->preempt, memory_order_relaxed), 0) &&
      mm->cur && mm->p)
    g_preempted(mm);
}

bool sched_async_wanted(uintptr_t sp, size_t room) {
  m *mm = tls_m;
  rt_g *g = mm ? mm->cur : NULL;
  if (!g || !mm->p || !atomic_load_explicit(&mm->preempt, memory_order_relaxed)) return false;
  uintptr_t lo = (uintptr_t)g->stack_lo;
  return sp > lo + room && sp <= lo + g->stack_size;
}

void sched_async_preempt(void) {
  m *mm = cur_m();
  if (mm && mm->cur && mm->p) g_preempted(mm);
}

/* One sweep of the stopper over the other Ps: takes the idle ones and
** those in a syscall (they count as stopped, with no M), and asks the
** running ones' Ms to stop at their next safe point.  Repeated while it
** waits: a P may go idle or into a syscall after a sweep without passing
** a safe point. */
static void stw_sweep(proc *self) {
  rt_lock_acquire(&S.idle);
  for (proc *p; (p = pidle_get()) != NULL;) {
    p_state(p, NULL, P_STOP);
    atomic_fetch_sub(&S.stopwait, 1);
  }
  rt_lock_release(&S.idle);
  for (int i = 0; i < S.nprocs; i++) {
    proc *p = &S.ps[i];
    if (p == self) continue;
    uint64_t w = atomic_load(&p->word);
    if ((w & PW_STATE) == P_SYSCALL) {
      if (atomic_compare_exchange_strong(&p->word, &w, (w & ~(uint64_t)PW_STATE) | P_STOP)) {
        atomic_store_explicit(&p->mp, NULL, memory_order_relaxed);
        atomic_fetch_add(&S.insyscall, 1);  /* its G lost its P, as in a retake */
        atomic_fetch_sub(&S.stopwait, 1);
      }
    } else if ((w & PW_STATE) == P_RUNNING) {
      sched_preempt(i, S.opts.preempt == PREEMPT_SIGNAL);
    }
  }
}

bool rt_stw_start(int64_t *ttsp_ns) {
  m *mm = cur_m();
  if (!mm || !mm->cur || !mm->p) sched_fatal("rt_stw_start called outside a running G");
  if (atomic_load(&S.done)) return false;  /* main returned: the Ms are leaving */
  for (int zero = 0; !atomic_compare_exchange_weak(&S.stw_busy, &zero, 1); zero = 0) {
    /* Another G stops the world: be stopped by it, as at a safe point
    ** (it sets gcwaiting right after winning). */
    if (atomic_load(&S.gcwaiting)) {
      g_stw_park(mm);
      return false;
    }
  }
  atomic_store(&S.stw_owner, mm);
  rt_lock_acquire(&S.stw_lock);
  atomic_store(&S.stopwait, S.nprocs - 1);  /* before gcwaiting: parkers count it down */
  atomic_store(&S.gcwaiting, 1);
  rt_lock_release(&S.stw_lock);
  int64_t t0 = rt_now();
  atomic_store(&S.stopnote, 0);
  stw_sweep(mm->p);
  /* Most Ms stop within microseconds; a futex sleep costs a wake-up that
  ** took 150 us on a VM (the pause at 2 Ps was that): look for a while
  ** first, as Go's stopTheWorld spins before it sleeps. */
  for (int64_t until = t0 + STW_SPIN_NS; atomic_load(&S.stopwait) > 0 && rt_now() < until;)
    for (int i = 0; i < 64; i++) lock_pause();
  while (atomic_load(&S.stopwait) > 0) {
    lock_futex_wait_ns(&S.stopnote, 0, 50000);
    if (atomic_load(&S.done)) {  /* main returned meanwhile: an M that left never stops */
      rt_stw_end();
      return false;
    }
    if (atomic_load(&S.stopwait) > 0) stw_sweep(mm->p);
  }
  if (ttsp_ns) *ttsp_ns = rt_now() - t0;
  return true;
}

/* World stopped: the stopped Ps other than self's that an M waits with
** in m_stw_park (held) or that the stopper took, idle or from a syscall
** (!held); they go to out when it is not NULL.  Returns how many. */
static int stw_stopped(const m *self, bool held, proc **out) {
  int n = 0;
  for (int i = 0; i < S.nprocs; i++) {
    proc *p = &S.ps[i];
    if (p == self->p || (atomic_load(&p->word) & PW_STATE) != P_STOP) continue;
    if ((atomic_load(&p->mp) != NULL) != held) continue;
    if (out) out[n] = p;
    n++;
  }
  return n;
}

int64_t rt_stw_end(void) {
  m *mm = cur_m();
  /* The Ps the stopper took (idle, or from a syscall) have no M: back to
  ** work or to the idle list; the others' Ms are waiting on gcwaiting. */
  proc *own[RT_MAXPROCS];
  int n = stw_stopped(mm, false, own);
  rt_lock_acquire(&S.stw_lock);
  atomic_store(&S.gcwaiting, 0);
  atomic_fetch_add(&S.stw_epoch, 1);
  atomic_fetch_add(&S.stw_seq, 1);
  rt_lock_release(&S.stw_lock);
  atomic_store(&S.stw_owner, NULL);  /* after: a request seen now finds no stop */
  /* Released: a spinning M goes now, a sleeping one on this wake.  The
  ** wake's return may come milliseconds later (the kernel may run the
  ** woken M on this CPU first, seen at 2 Ps on a VM): not the world's
  ** pause, which ends here. */
  int64_t restart = rt_now();
  lock_futex_wake(&S.stw_seq, INT32_MAX);
  atomic_store(&S.stw_busy, 0);
  for (int i = 0; i < n; i++) handoff(own[i]);
  return restart;
}

/* The stopper lends the Ps it holds (idle ones, or taken from system
** calls) to Ms, idle or new, which stop with them in m_stw_park and so
** help rt_stw_parallel: without them a program on one G marks on one
** thread however many Ps it has (Go runs mark workers on idle Ps too).
** Waits until every lent P has stopped again; after the restart those Ms
** find no work and go idle as usual. */
static void stw_lend(m *self) {
  proc *lend[PROC_MAXPROCS];
  m *wake[PROC_MAXPROCS];
  int n = stw_stopped(self, false, lend), nw = 0;
  if (!n) return;
  atomic_store(&S.stopnote, 0);
  atomic_store(&S.stopwait, n);  /* m_stw_park counts each down */
  rt_lock_acquire(&S.idle);
  for (int i = 0; i < n; i++) {
    m *w = S.midle;
    if (w) {
      S.midle = w->idlenext;
      wake[nw++] = w;
      lend[nw - 1] = lend[i];
    } else if (S.nm >= S.opts.max_threads || !m_new(lend[i], false)) {
      atomic_fetch_sub(&S.stopwait, 1);  /* no M for it: it stays the stopper's */
    }
  }
  rt_lock_release(&S.idle);
  for (int i = 0; i < nw; i++) m_wakeup(wake[i], lend[i], false);
  while (atomic_load(&S.stopwait) > 0) lock_futex_wait_ns(&S.stopnote, 0, 50000);
}

/* The Ms waiting in m_stw_park with their Ps, for the stopper. */
static int stw_helpers(const char *who) {
  m *mm = cur_m();
  if (!mm || atomic_load(&S.stw_owner) != mm)
    sched_fatal("%s called without the world stopped by this G", who);
  stw_lend(mm);
  return stw_stopped(mm, true, NULL);
}

int rt_stw_workers(void) { return stw_helpers("rt_stw_workers") + 1; }

int rt_stw_parallel(void (*fn)(int worker, int nworkers, void *arg), void *arg) {
  int helpers = stw_helpers("rt_stw_parallel");
  if (helpers) {
    S.stw_fn = fn;
    S.stw_arg = arg;
    S.stw_nw = helpers + 1;
    atomic_store(&S.stw_next, 1);
    atomic_store(&S.stw_left, (uint32_t)helpers);
    atomic_fetch_add(&S.stw_seq, 1);
    lock_futex_wake(&S.stw_seq, INT32_MAX);
  }
  fn(0, helpers + 1, arg);
  for (uint32_t left; (left = atomic_load(&S.stw_left)) != 0;)
    lock_futex_wait(&S.stw_left, left);
  return helpers + 1;
}

void rt_stw_stacks(void (*fn)(const void *lo, const void *hi, void *arg), void *arg) {
  __builtin_unwind_init();  /* the caller's registers, into this frame */
  volatile char here = 0;
  rt_g *self = sched_cur();
  rt_lock_acquire(&S.allg_lock);
  for (rt_g *g = S.allg; g; g = g->allnext) {
    int st = atomic_load(&g->status);
    if (st == G_IDLE || st == G_DEAD || !g->stack_lo) continue;  /* no stack yet */
    const char *lo = g == self ? (const char *)&here : g->stop_sp ? g->stop_sp : g->sp;
    if (st == G_RUNNING && g != self && !g->stop_sp) continue;  /* cannot happen stopped */
    fn(lo, g->stack_lo + g->stack_size, arg);
  }
  rt_lock_release(&S.allg_lock);
}

void sched_gargs(void (*fn)(const void *lo, const void *hi, void *arg), void *arg) {
  rt_lock_acquire(&S.allg_lock);
  for (rt_g *g = S.allg; g; g = g->allnext) {
    int st = atomic_load(&g->status);
    if (st != G_IDLE && st != G_DEAD) fn(&g->arg, &g->arg + 1, arg);
  }
  rt_lock_release(&S.allg_lock);
}

/* ==== fatal errors =================================================== */

void sched_fatal(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rt_g *g = sched_cur();
  if (g)
    fprintf(stderr, "rtlab: fatal error: %s (goroutine %llu)\n", msg,
            (unsigned long long)g->head.id);
  else
    fprintf(stderr, "rtlab: fatal error: %s\n", msg);
  fflush(stderr);
  _exit(2);
}

static void report_deadlock(void) {
  fprintf(stderr, "rtlab: fatal error: all goroutines are asleep - deadlock!\n\n");
  int shown = 0;
  for (rt_g *g = S.allg; g; g = g->allnext) {
    if (atomic_load(&g->status) != G_WAITING) continue;
    if (shown++ == 20) {
      fprintf(stderr, "...more goroutines blocked\n");
      break;
    }
    fprintf(stderr, "goroutine %llu [%s]\n", (unsigned long long)g->head.id,
            g->wait_reason ? g->wait_reason : "waiting");
  }
  fflush(stderr);
  _exit(2);
}

/* SIGSEGV: was it the running G running off its stack? */
static bool describe_fault(void *addr, char *msg, size_t len) {
  m *mm = tls_m;
  rt_g *g = mm ? mm->cur : NULL;
  if (!g || !g->stack_lo) return false;  /* none, or about to get one (stk_take) */
  char *a = addr, *guard = g->stack_lo - ctx_page_size();
  if (a < guard || a >= g->stack_lo) return false;
  snprintf(msg, len,
           "rtlab: fatal error: stack overflow in goroutine %llu "
           "(stack %zu KiB; fault at %p in its guard page)\n",
           (unsigned long long)g->head.id, g->stack_size / 1024, addr);
  return true;
}

/* ==== starting and stopping ========================================= */

/* main returned: every M winds down at its next scheduling point. */
static void runtime_done(void) {
  atomic_store(&S.done, 1);
  netpoll_break();  /* the poller, if an M waits there */
  rt_lock_acquire(&S.idle);
  m *w = S.midle;
  S.midle = NULL;
  rt_lock_release(&S.idle);
  for (; w; w = w->idlenext) m_wakeup(w, NULL, false);
}

static void set_err(const rt_config *cfg, const char *fmt, ...) {
  if (!cfg || !cfg->err || !cfg->errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cfg->err, cfg->errlen, fmt, ap);
  va_end(ap);
}

static void runtime_free(void) {
  for (int i = 0; i < S.nprocs; i++) {
    free(S.ps[i].sp.state);
    tmheap_fini(&S.ps[i].tm);
  }
  for (rt_g *g = S.allg, *nx; g; g = nx) {
    nx = g->allnext;
#ifdef RT_TSAN
    __tsan_destroy_fiber(g->tsan_fiber);
#endif
    free(g);
  }
  free(S.stkv);
  ctx_stacks_release();
  for (int i = 1; i < S.nm; i++) free(S.allm[i]);
  free(S.allm);
  free(S.all);
  free(S.ps);
  free(S.shared);
  memset(&S, 0, offsetof(__typeof__(S), last_cnt));
}

/* Everything rt_run started, undone (the heap and the topology last). */
static void runtime_stop(void) {
  runtime_free();
  preempt_stop();
  netpoll_stop();
  gc_stop();
  heap_stop();
  topo_stop();
}

static void *zalloc(size_t n) {
  return calloc(1, n ? n : 1);
}

int rt_run(const rt_config *cfg, rt_fn main_fn, void *arg) {
  if (S.running) {
    set_err(cfg, "a runtime is already running in this process");
    return RT_EBUSY;
  }
  char err[512] = "";
  const rt_sched_ops *ops;
  const char *spec = cfg && cfg->sched ? cfg->sched : "go";
  int rc = rt_sched_resolve(spec, &ops, S.param, err, sizeof err);
  if (rc != RT_OK) {
    set_err(cfg, "%s", err);
    return rc;
  }
  rt_opts opts;
  rc = opts_resolve(cfg ? cfg->runtime : NULL, &opts, err, sizeof err);
  if (rc != RT_OK) {
    set_err(cfg, "%s", err);
    return rc;
  }
  int procs = cfg ? cfg->procs : 0;
  if (procs == 0) procs = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (procs < 1 || procs > PROC_MAXPROCS) {
    set_err(cfg, "procs must be in [1, %d], got %d", PROC_MAXPROCS, procs);
    return RT_EINVAL;
  }
  if (opts.max_threads < procs) {
    set_err(cfg, "runtime: max_threads (%d) must be at least procs (%d): every P needs an M",
            opts.max_threads, procs);
    return RT_EINVAL;
  }
  size_t stack = cfg && cfg->stack_size ? cfg->stack_size : 64 * 1024;
  if (stack < 16 * 1024 || stack > (size_t)1 << 30) {
    set_err(cfg, "stack_size must be in [16 KiB, 1 GiB], got %zu bytes", stack);
    return RT_EINVAL;
  }
  /* The placement plan exists before init: policies read rt_sp_node there. */
  rc = topo_start(cfg ? cfg->topology : NULL, cfg ? cfg->placement : NULL, procs, err,
                  sizeof err);
  if (rc != RT_OK) {
    set_err(cfg, "%s", err);
    return rc;
  }
  rc = heap_start(cfg ? cfg->alloc : NULL, procs, err, sizeof err);
  if (rc == RT_OK && (rc = gc_start(cfg ? cfg->gc : NULL, procs, err, sizeof err)) != RT_OK)
    heap_stop();
  if (rc == RT_OK) {
    rc = netpoll_start(err, sizeof err);
    if (rc == RT_OK && opts.preempt == PREEMPT_SIGNAL && (rc = preempt_start(err, sizeof err)))
      netpoll_stop();
    if (rc != RT_OK) {
      gc_stop();
      heap_stop();
    }
  }
  if (rc != RT_OK) {
    topo_stop();
    set_err(cfg, "%s", err);
    return rc;
  }

  S.running = true;
  S.opts = opts;
  S.ops = ops;
  S.nprocs = procs;
  S.stack_size = (stack + ctx_page_size() - 1) & ~(ctx_page_size() - 1);
  S.ps = heap_lines(sizeof(proc) * procs);
  S.all = zalloc(sizeof(rt_sp *) * procs);
  S.allm = zalloc(sizeof(m *) * (size_t)opts.max_threads);
  S.shared = zalloc(ops->shared_size);
  m *m0 = zalloc(sizeof *m0);
  bool ok = S.ps && S.all && S.allm && S.shared && m0;
  uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&seed;
  for (int i = 0; ok && i < procs; i++) {
    rt_sp *sp = &S.ps[i].sp;
    S.all[i] = sp;
    sp->state = zalloc(ops->state_size);
    ok = sp->state != NULL;
    sp->shared = S.shared;
    sp->param = S.param;
    sp->all = S.all;
    sp->id = i;
    sp->nprocs = procs;
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    sp->rand = seed | 1;
    tmheap_init(&S.ps[i].tm);
  }
  if (!ok) {
    free(m0);
    runtime_stop();
    set_err(cfg, "out of memory starting the runtime");
    return RT_ENOMEM;
  }
  int inited = 0;
  for (; inited < procs && ops->init; inited++) {
    rc = ops->init(&S.ps[inited].sp);
    if (rc != RT_OK) {
      set_err(cfg, "sched '%s': init of P %d failed (%d)", ops->name, inited, rc);
      break;
    }
  }
  if (rc == RT_OK && (rc = sysmon_start(&opts)) != RT_OK)
    set_err(cfg, "cannot start sysmon: out of memory or threads");
  if (rc != RT_OK) {
    while (inited-- > 0)
      if (ops->fini) ops->fini(&S.ps[inited].sp);
    free(m0);
    runtime_stop();
    return rc;
  }

  /* M0 is this thread; it holds P0, the other Ps start idle. */
  S.allm[S.nm++] = m0;
  m_thread_init(m0);
  m0->thread = pthread_self();
  m0->placed = -1;
  m_takep(m0, &S.ps[0]);
  for (int i = procs - 1; i >= 1; i--) pidle_put(&S.ps[i]);
  for (int i = 1; i < procs; i++) S.ps[i].sp.cnt[RT_CNT_IDLES] = 0;
  S.main_g = g_new(m0->p, main_fn, arg);
  S.ops->ready(&m0->p->sp, S.main_g, RT_WHY_INJECT);

  m_schedule(m0);

  /* main returned.  Wake whoever sleeps and wait for every M; sysmon
  ** runs on meanwhile, so that a G running on without a switch is
  ** preempted and its M sees the end (after done, no M is made). */
  runtime_done();
  for (int i = 1; i < S.nm; i++) pthread_join(S.allm[i]->thread, NULL);
  sysmon_stop();
  ctx_thread_fini(m0->altstack);
  tls_m = NULL;
  sched_preempt_flag = NULL;

  free(S.last_cnt);
  S.last_cnt = malloc(sizeof(uint64_t) * RT_CNT__N * procs);
  S.last_nprocs = S.last_cnt ? procs : 0;
  for (int i = 0; S.last_cnt && i < procs; i++)
    memcpy(S.last_cnt + (size_t)i * RT_CNT__N, S.ps[i].sp.cnt, sizeof S.ps[i].sp.cnt);
  for (int i = procs - 1; i >= 0 && ops->fini; i--) ops->fini(&S.ps[i].sp);
  free(m0);
  S.allm[0] = NULL;
  runtime_stop();  /* M0 gets its own binding back */
  return RT_OK;
}

int rt_counters(uint64_t *out, int procs) {
  int n = procs < S.last_nprocs ? procs : S.last_nprocs;
  if (out && n > 0) memcpy(out, S.last_cnt, sizeof(uint64_t) * RT_CNT__N * n);
  return S.last_nprocs;
}
