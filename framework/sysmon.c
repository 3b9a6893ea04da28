/*
** sysmon.c: the runtime's options and its monitor thread (Go's sysmon).
**
** The thread holds no P and runs no G: it only watches.  It reads each P's
** state, scheduling tick and syscall tick without locks (proc.c publishes
** them with relaxed atomics) and keeps its own memory of when it first saw
** each value, as Go's sysmontick does: a P whose tick has not moved for a
** whole time slice has been running one G that long.  What to do about it
** is proc.c's (sched_preempt, sched_retake); when is decided here.
*/
#define _GNU_SOURCE
#include "sysmon.h"

#include <pthread.h>
#include <sys/prctl.h>
#include <stdlib.h>

#include "fail.h"
#include "lock.h"
#include "proc.h"

/* ==== options ======================================================== */

enum { O_PREEMPT, O_SLICE, O_MAX, O_SYSMON, O_THREADS, O__N };
static const rt_param opt_params[O__N] = {
  {"preempt", RT_PT_ENUM, PREEMPT_COOP, 0, 0, "off|coop|signal",
   "how sysmon stops a G that ran a whole time slice: not at all, at its next "
   "preemption point, or also by a signal (x86-64)"},
  {"time_slice_ms", RT_PT_INT, 10, 1, 10000, NULL,
   "longest run of one G before sysmon asks it to yield (Go: 10)"},
  {"max_ms", RT_PT_INT, 10, 1, 1000, NULL,
   "sysmon's longest sleep when it has had nothing to do (Go: 10)"},
  {"sysmon", RT_PT_BOOL, 1, 0, 0, NULL,
   "run the monitor thread; off: no preemption, and a G entering a system call "
   "hands its P off at once"},
  {"max_threads", RT_PT_INT, 10000, 1, 1000000, NULL,
   "most Ms (threads running Gs or blocked in syscalls), at least procs; one more is fatal (Go: 10000)"},
};

const rt_param *rt_runtime_params(int *n) {
  if (n) *n = O__N;
  return opt_params;
}

int rt_runtime_resolve(const char *kvs, rt_pval vals[RT_MAX_PARAMS], char *err,
                       size_t errlen) {
  rt_pval tmp[RT_MAX_PARAMS] = {{0}};
  rt_params_defaults(opt_params, O__N, tmp);
  int rc = rt_params_parse("runtime", opt_params, O__N, kvs, tmp, err, errlen);
  if (rc == RT_OK && vals) for (int i = 0; i < O__N; i++) vals[i] = tmp[i];
  return rc;
}

int opts_resolve(const char *kvs, rt_opts *o, char *err, size_t errlen) {
  rt_pval v[RT_MAX_PARAMS];
  int rc = rt_runtime_resolve(kvs, v, err, errlen);
  if (rc != RT_OK) return rc;
  *o = (rt_opts){
    .preempt = (int)v[O_PREEMPT].i,
    .slice_ns = v[O_SLICE].i * 1000000,
    .max_sleep_ns = v[O_MAX].i * 1000000,
    .sysmon = v[O_SYSMON].i != 0,
    .max_threads = (int)v[O_THREADS].i,
  };
  if (!o->sysmon) o->preempt = PREEMPT_OFF;  /* nobody would ask */
  return RT_OK;
}

/* ==== the monitor thread ============================================= */

#define SM_MIN_SLEEP_NS 20000          /* Go's 20 us */
#define SM_IDLE_ROUNDS 50              /* rounds with nothing done before the sleep doubles */
#define SM_SYSCALL_NS 20000            /* a syscall this long loses its P when there is work */
#define SM_SYSCALL_GRACE_NS 10000000   /* a P in a syscall with no work keeps it 10 ms */
#define SM_AFTER_PREEMPT_NS 500000     /* next look after a preemption request */

/* What sysmon last saw of a P (Go's sysmontick). */
typedef struct sm_seen {
  uint64_t schedtick;         /* the P's schedtick when first seen */
  int64_t schedwhen;          /* when it was first seen */
} sm_seen;

static struct {
  rt_opts o;                  /* the run's options */
  int64_t due;                /* earliest end of a running G's slice seen */
  pthread_t thread;           /* the monitor */
  bool started;               /* thread is running */
  _Atomic uint32_t stop;      /* futex word: 1 once rt_run winds down */
  sm_seen *seen;              /* per P */
} SM;

/* One look at every P: preemption requests and syscall retakes.  Returns
** the number of Ps retaken (as Go's retake, only those reset the idle
** count: preemption alone lets sysmon's sleep grow). */
static int sm_retake(int64_t now) {
  int n = 0, nprocs = sched_nprocs();
  SM.due = INT64_MAX;
  for (int i = 0; i < nprocs; i++) {
    sched_pview v;
    sched_pview_get(i, &v);
    sm_seen *s = &SM.seen[i];
    if (v.status == P_SYSCALL) {
      /* Go waits until it has seen the same syscall on two rounds, a
      ** round being 20 us or, on a slow-to-wake machine, several times
      ** that; the P records when the call began, so we wait 20 us. */
      int64_t lasted = now - v.syscallstart;
      if (lasted < SM_SYSCALL_NS) continue;
      /* Nothing queued and someone idle to take new work: the P may wait
      ** on its M a while longer, which saves a hand-off (Go does so). */
      if (!v.runnable && sched_idle_capacity() > 0 && lasted < SM_SYSCALL_GRACE_NS) continue;
      if (sched_retake(i, v.syscalltick)) n++;
    } else if (v.status == P_RUNNING) {
      if (s->schedtick != v.schedtick) {
        s->schedtick = v.schedtick;
        s->schedwhen = now;
      } else if (SM.o.preempt != PREEMPT_OFF && now - s->schedwhen >= SM.o.slice_ns) {
        sched_preempt(i, SM.o.preempt == PREEMPT_SIGNAL);
        /* Look again soon: to see the next slice begin (its length counts
        ** from then), or to ask again if the G did not yield. */
        if (now + SM_AFTER_PREEMPT_NS < SM.due) SM.due = now + SM_AFTER_PREEMPT_NS;
        continue;
      }
      /* The slice is counted from when we first saw it; it ends then. */
      int64_t end = s->schedwhen + SM.o.slice_ns;
      if (end > now && end < SM.due) SM.due = end;
    }
  }
  return n;
}

static void *sm_main(void *arg) {
  (void)arg;
  /* Linux lets a sleep run 50 us long by default (timer slack), more
  ** than sysmon's shortest sleep: a 20 us tick would take 70.  Go leaves
  ** it; we ask for 1 us, for this thread only. */
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  int64_t delay = SM_MIN_SLEEP_NS;
  int idle = 0;
  while (!atomic_load(&SM.stop)) {
    if (idle == 0) delay = SM_MIN_SLEEP_NS;
    else if (idle > SM_IDLE_ROUNDS) delay *= 2;
    if (delay > SM.o.max_sleep_ns) delay = SM.o.max_sleep_ns;
    /* Unlike Go, whose sysmon may sleep its full 10 ms past a slice's end
    ** (a hog then runs up to two slices): wake when the earliest running
    ** slice ends, and look at least twice a slice while a G runs, so a
    ** slice is first seen at most half a slice late. */
    int64_t sleep = delay;
    if (SM.o.preempt != PREEMPT_OFF && SM.due != INT64_MAX) {
      if (sleep > SM.o.slice_ns / 2) sleep = SM.o.slice_ns / 2;
      int64_t left = SM.due - rt_now();
      if (left < sleep) sleep = left > SM_MIN_SLEEP_NS ? left : SM_MIN_SLEEP_NS;
    }
    lock_futex_wait_ns(&SM.stop, 0, sleep);
    if (atomic_load(&SM.stop)) break;
    int64_t now = rt_now();
    int retaken = sm_retake(now);
    sched_netpoll_overdue(now);
    idle = retaken ? 0 : idle + 1;
  }
  return NULL;
}

int sysmon_start(const rt_opts *o) {
  SM.o = *o;
  SM.due = INT64_MAX;
  atomic_store(&SM.stop, 0);
  if (!o->sysmon) return RT_OK;
  SM.seen = calloc((size_t)sched_nprocs(), sizeof *SM.seen);
  if (!SM.seen) return RT_ENOMEM;
  if (pthread_create(&SM.thread, NULL, sm_main, NULL) != 0) {
    free(SM.seen);
    SM.seen = NULL;
    return RT_ENOMEM;
  }
  SM.started = true;
  return RT_OK;
}

void sysmon_stop(void) {
  if (SM.started) {
    atomic_store(&SM.stop, 1);
    lock_futex_wake(&SM.stop, 1);
    pthread_join(SM.thread, NULL);
    SM.started = false;
  }
  free(SM.seen);
  SM.seen = NULL;
}
