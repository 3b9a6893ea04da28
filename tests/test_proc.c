/*
** test_proc.c: the G/M/P core: G ids, counters, rt_run's errors, the
** stacks (given at first run, never shared by two live Gs), the
** stack-overflow report and the deadlock report (the fatal ones in a child
** process, with their stderr captured).
*/
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"
#include "rt.h"

/* ---- ids and counters ---- */

static uint64_t ids[101];
static rt_waitgroup ids_wg;

static void record_id(void *arg) {
  ids[(intptr_t)arg] = rt_gid();
  rt_wg_done(&ids_wg);
}

static void ids_main(void *arg) {
  (void)arg;
  ids[0] = rt_gid();
  rt_wg_add(&ids_wg, 100);
  for (intptr_t i = 1; i <= 100; i++) rt_go(record_id, (void *)i);
  rt_wg_wait(&ids_wg);
}

static void test_ids(int procs) {
  memset(ids, 0, sizeof ids);
  rt_config cfg = { .procs = procs };
  CHECK_EQ(rt_run(&cfg, ids_main, NULL), RT_OK);
  CHECK_EQ(ids[0], 1);  /* main is goroutine 1, as in Go */
  for (int i = 1; i <= 100; i++) {
    CHECK(ids[i] > 1);
    for (int j = 0; j < i; j++) CHECKF(ids[i] != ids[j], "G %d and %d share id %llu", i, j,
                                       (unsigned long long)ids[i]);
  }
  uint64_t cnt[8 * RT_CNT__N];
  CHECK_EQ(rt_counters(cnt, 8), procs);
  uint64_t spawns = 0, switches = 0;
  for (int p = 0; p < procs; p++) {
    spawns += cnt[p * RT_CNT__N + RT_CNT_SPAWNS];
    switches += cnt[p * RT_CNT__N + RT_CNT_SWITCHES];
  }
  CHECK_EQ(spawns, 101);      /* main and its 100 */
  CHECK(switches >= 101);     /* each ran at least once */
}

/* ---- stacks ----
** A G gets its stack when it first runs and gives it back when it dies.
** Many short Gs then share a few stacks; Gs that wait keep theirs: each
** holder writes a pattern into its frame, waits, and finds it intact. */

#if defined(__SANITIZE_THREAD__)
enum { ST_SHORT = 2000 };   /* TSan counts each G as a thread, at most 8128 */
#else
enum { ST_SHORT = 10000 };
#endif
enum { ST_WAITERS = 200, ST_ROUNDS = 3 };
static rt_waitgroup st_wg, st_up; /* Gs done; waiters started */
static rt_chan *st_go;          /* waiters block here until main sends */
static _Atomic int st_bad;      /* waiters whose frame changed while they waited */

static uint64_t st_counter(int procs, int c) {
  uint64_t cnt[4 * RT_CNT__N], sum = 0;
  CHECK_EQ(rt_counters(cnt, 4), procs);
  for (int p = 0; p < procs; p++) sum += cnt[p * RT_CNT__N + c];
  return sum;
}

static void st_short(void *arg) { (void)arg; rt_wg_done(&st_wg); }

static void st_waiter(void *arg) {
  volatile uint64_t frame[64];
  for (int i = 0; i < 64; i++) frame[i] = (uint64_t)(intptr_t)arg * 64 + (uint64_t)i;
  rt_wg_done(&st_up);
  rt_chan_recv(st_go, NULL);
  for (int i = 0; i < 64; i++)
    if (frame[i] != (uint64_t)(intptr_t)arg * 64 + (uint64_t)i) {
      atomic_fetch_add(&st_bad, 1);
      break;
    }
  rt_wg_done(&st_wg);
}

static void st_main(void *arg) {
  (void)arg;
  rt_wg_add(&st_wg, ST_SHORT);  /* none runs before main waits */
  for (int i = 0; i < ST_SHORT; i++) rt_go(st_short, NULL);
  rt_wg_wait(&st_wg);
  st_go = rt_chan_make(0, 0);
  for (int r = 0; r < ST_ROUNDS; r++) {
    rt_wg_add(&st_wg, ST_WAITERS);
    rt_wg_add(&st_up, ST_WAITERS);
    for (intptr_t i = 0; i < ST_WAITERS; i++) rt_go(st_waiter, (void *)(i + r * ST_WAITERS));
    rt_wg_wait(&st_up);  /* all have started, none can end: each holds a stack */
    for (int i = 0; i < ST_WAITERS; i++) rt_chan_send(st_go, NULL);
    rt_wg_wait(&st_wg);
  }
  rt_chan_free(st_go);
}

static void test_stacks(int procs) {
  atomic_store(&st_bad, 0);
  rt_config cfg = { .procs = procs };
  CHECK_EQ(rt_run(&cfg, st_main, NULL), RT_OK);
  CHECKF(atomic_load(&st_bad) == 0, "procs=%d: %d waiters found their frame changed", procs,
         atomic_load(&st_bad));
  uint64_t stacks = st_counter(procs, RT_CNT_STACKS);
  /* At one P the short Gs run one after another: main's stack, one for
  ** the running G, one for the G that dies while the next starts.  Then
  ** every waiter holds one at once.  More Ps may each cache a few more,
  ** but nowhere near one per G. */
  if (procs == 1) {
    CHECK(stacks >= ST_WAITERS);
    CHECKF(stacks <= ST_WAITERS + 3, "procs=1: %llu stacks mapped for %d Gs",
           (unsigned long long)stacks, ST_SHORT + ST_ROUNDS * ST_WAITERS + 1);
  } else {
    CHECKF(stacks >= ST_WAITERS && stacks < ST_SHORT / 4, "procs=%d: %llu stacks mapped", procs,
           (unsigned long long)stacks);
  }
}

/* ---- errors from rt_run ---- */

static void nothing(void *arg) { (void)arg; }

static int nested_rc;
static void nested_main(void *arg) {
  (void)arg;
  rt_config cfg = { .procs = 1 };
  nested_rc = rt_run(&cfg, nothing, NULL);
}

static void test_errors(void) {
  char err[256] = "";
  rt_config cfg = { .procs = -1, .err = err, .errlen = sizeof err };
  CHECK_EQ(rt_run(&cfg, nothing, NULL), RT_EINVAL);
  CHECKF(strstr(err, "procs must be in [1, 1024], got -1"), "got: %s", err);
  cfg.procs = 1;
  cfg.stack_size = 100;
  CHECK_EQ(rt_run(&cfg, nothing, NULL), RT_EINVAL);
  CHECKF(strstr(err, "stack_size"), "got: %s", err);
  cfg.stack_size = 0;
  cfg.sched = "nosuchpolicy";
  CHECK(rt_run(&cfg, nothing, NULL) < 0);
  CHECKF(strstr(err, "nosuchpolicy") && strstr(err, "go"), "got: %s", err);
  cfg.sched = NULL;
  CHECK_EQ(rt_run(&cfg, nested_main, NULL), RT_OK);
  CHECK_EQ(nested_rc, RT_EBUSY);
  /* The runtime comes up again after all of that. */
  CHECK_EQ(rt_run(&cfg, nothing, NULL), RT_OK);
}

/* ---- main returns while Ms are still being started ----
** wakep creates Ms from running Gs; when main returns at the same moment,
** rt_run must still join every M it made (it once could read a thread id
** not yet written). */

static void quick_g(void *arg) { (void)arg; }
static void quick_main(void *arg) {
  (void)arg;
  for (int i = 0; i < 8; i++) rt_go(quick_g, NULL);
}

static void test_quick_exit(void) {
  for (int k = 0; k < 300; k++) {
    rt_config cfg = { .procs = 8 };
    CHECK_EQ(rt_run(&cfg, quick_main, NULL), RT_OK);
  }
}

/* ---- stack overflow ---- */

static int deep(int n) {
  volatile char pad[512];
  pad[0] = (char)n;
  return n ? deep(n - 1) + pad[0] : 0;
}
static void overflow_main(void *arg) { (void)arg; deep(1 << 20); }
static void overflow_child(void) {
  rt_config cfg = { .procs = 1 };
  rt_run(&cfg, overflow_main, NULL);
}

/* ---- deadlock ---- */

static rt_lock dl_lock;
static void dl_sleeper(void *arg) {
  rt_lock_acquire(&dl_lock);
  sched_park(&dl_lock, (const char *)arg);
}
static void dl_main(void *arg) {
  (void)arg;
  rt_go(dl_sleeper, "test wait A");
  rt_go(dl_sleeper, "test wait B");
  rt_lock_acquire(&dl_lock);
  sched_park(&dl_lock, "main waits");
}
static void deadlock_child(void) {
  rt_config cfg = { .procs = 2 };
  rt_run(&cfg, dl_main, NULL);
}

int main(void) {
  for (int procs = 1; procs <= 4; procs++) test_ids(procs);
  for (int procs = 1; procs <= 4; procs *= 2) test_stacks(procs);
  test_errors();
  test_quick_exit();

  char err[4096];
#if !defined(RT_ASAN)
  int st = check_in_child(overflow_child, err, sizeof err);
  CHECK_EQ(st, 2);
  CHECKF(strstr(err, "stack overflow in goroutine 1"), "stderr: %s", err);
  CHECKF(strstr(err, "guard page"), "stderr: %s", err);
#endif
  int st2 = check_in_child(deadlock_child, err, sizeof err);
  CHECK_EQ(st2, 2);
  CHECKF(strstr(err, "all goroutines are asleep - deadlock!"), "stderr: %s", err);
  CHECKF(strstr(err, "goroutine 1 [main waits]"), "stderr: %s", err);
  CHECKF(strstr(err, "[test wait A]") && strstr(err, "[test wait B]"), "stderr: %s", err);
  return check_done("test_proc");
}
