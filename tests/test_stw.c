/*
** test_stw.c: stopping the world (rt_stw_start / rt_stw_end /
** rt_stw_stacks, proc.c), at 1 and 2 Ps, 50 rounds each:
**   - while stopped nothing else runs: two spinners (a preemption point
**     per loop) and a yielder leave their counters alone for 5 ms of wall
**     time, and they move again after the restart;
**   - every live G's stack is reported, and a spinner's published local
**     lies inside its range; a G blocked in read() in a system call
**     (rt_syscall_enter) and one parked on a channel are reported too;
**   - with preempt=signal, spinners without any preemption point are
**     stopped as well (x86-64, not under ThreadSanitizer);
**   - two Gs stopping the world at once: one wins, the other is stopped.
** ttsp is checked to be reported (>= 0), never bounded.
*/
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "rt_module.h"

#define NSPIN 2
static _Atomic uint64_t spins[NSPIN];      /* spinner progress */
static _Atomic(void *) spin_local[NSPIN];  /* an address in each spinner's frame */
static _Atomic int stop;                   /* spinners and the yielder leave */
static bool pure;                          /* spinners without preemption points */
static int pipefd[2];
static rt_waitgroup wg;

static void spinner(void *arg) {
  int i = (int)(intptr_t)arg;
  volatile int local = i;
  atomic_store(&spin_local[i], (void *)&local);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    atomic_fetch_add_explicit(&spins[i], 1, memory_order_relaxed);
    if (!pure) rt_safepoint();
  }
  rt_wg_done(&wg);
}

static _Atomic int waiters_up;  /* the reader and the waiter have started */

static void blocked_reader(void *arg) {
  (void)arg;
  char c;
  atomic_fetch_add(&waiters_up, 1);
  rt_syscall_enter();
  CHECK(read(pipefd[0], &c, 1) == 1);
  rt_syscall_exit();
  rt_wg_done(&wg);
}

static void chan_waiter(void *arg) {
  atomic_fetch_add(&waiters_up, 1);
  rt_chan_recv(arg, NULL);
  rt_wg_done(&wg);
}

typedef struct seen { int n; int found[NSPIN]; } seen;

static void count_stack(const void *lo, const void *hi, void *arg) {
  seen *s = arg;
  CHECK(lo < hi);  /* a G not run yet has no stack and is not reported */
  s->n++;
  for (int i = 0; i < NSPIN; i++) {
    const char *x = atomic_load(&spin_local[i]);
    if (x && x >= (const char *)lo && x < (const char *)hi) s->found[i]++;
  }
}

static void wall_sleep_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {}
}

static void stw_main(void *arg) {
  (void)arg;
  rt_chan *c = rt_chan_make(0, 0);
  atomic_store(&stop, 0);
  atomic_store(&waiters_up, 0);
  rt_wg_add(&wg, NSPIN + 2);
  for (int i = 0; i < NSPIN; i++) rt_go(spinner, (void *)(intptr_t)i);
  rt_go(blocked_reader, NULL);
  rt_go(chan_waiter, c);
  /* Each must have started: a G that has not has no stack to report. */
  while (!atomic_load(&spin_local[0]) || !atomic_load(&spin_local[1]) ||
         atomic_load(&waiters_up) < 2)
    rt_sleep(1000000);
  for (int round = 0; round < 50; round++) {
    int64_t ttsp = -1;
    CHECK(rt_stw_start(&ttsp));
    CHECK(ttsp >= 0);
    uint64_t a[NSPIN];
    for (int i = 0; i < NSPIN; i++) a[i] = atomic_load(&spins[i]);
    wall_sleep_ms(round % 10 == 0 ? 5 : 0);
    for (int i = 0; i < NSPIN; i++)
      CHECKF(atomic_load(&spins[i]) == a[i], "round %d: spinner %d ran while the world was stopped",
             round, i);
    seen s = {0};
    rt_stw_stacks(count_stack, &s);
    CHECKF(s.n >= NSPIN + 3, "round %d: %d stacks reported, want main, 2 spinners, the reader, "
           "the waiter", round, s.n);
    for (int i = 0; i < NSPIN; i++) CHECKF(s.found[i] == 1, "round %d: spinner %d's frame in %d "
                                           "ranges", round, i, s.found[i]);
    rt_stw_end();
    if (round % 10 == 0) {  /* they run again */
      uint64_t b = atomic_load(&spins[0]) + atomic_load(&spins[1]);
      while (atomic_load(&spins[0]) + atomic_load(&spins[1]) == b) rt_sleep(100000);
    }
  }
  atomic_store(&stop, 1);
  CHECK(write(pipefd[1], "x", 1) == 1);
  rt_chan_send(c, NULL);
  rt_wg_wait(&wg);
  rt_chan_free(c);
}

/* Two stoppers at once: each round one of them wins. */
static _Atomic int wins;
static void stopper(void *arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    if (rt_stw_start(NULL)) {
      atomic_fetch_add(&wins, 1);
      rt_stw_end();
    }
    rt_yield();
  }
  rt_wg_done(&wg);
}

static void race_main(void *arg) {
  (void)arg;
  atomic_store(&wins, 0);
  rt_wg_add(&wg, 2);
  rt_go(stopper, NULL);
  rt_go(stopper, NULL);
  rt_wg_wait(&wg);
  CHECK(atomic_load(&wins) >= 200);
}

/* Stoppers still at it when main returns: a stop begun as the Ms leave
** must give up, not wait for a P whose M has gone (it hung once: the
** concurrent collector's worker G ending a mark after main). */
static void late_stopper(void *arg) {
  (void)arg;
  for (;;) {
    if (rt_stw_start(NULL)) rt_stw_end();
    rt_yield();
  }
}

static void late_main(void *arg) {
  (void)arg;
  rt_go(late_stopper, NULL);
  rt_go(late_stopper, NULL);
  rt_sleep(200000);
}

static void run(int procs, const char *runtime, rt_fn fn) {
  char err[512] = "";
  CHECK(pipe(pipefd) == 0);
  memset(&wg, 0, sizeof wg);
  for (int i = 0; i < NSPIN; i++) {
    atomic_store(&spins[i], 0);
    atomic_store(&spin_local[i], NULL);
  }
  rt_config cfg = {.procs = procs, .runtime = runtime, .err = err, .errlen = sizeof err};
  int rc = rt_run(&cfg, fn, NULL);
  if (rc == RT_EINVAL && strstr(err, "ThreadSanitizer")) printf("note: %s: skipped\n", err);
  else CHECKF(rc == RT_OK, "rt_run(%d Ps, %s): %d %s", procs, runtime ? runtime : "-", rc, err);
  close(pipefd[0]);
  close(pipefd[1]);
}

/* test_stw [REPS]: everything REPS times (stress: a request seen just as
** the world restarted once left an M parked for a round that had ended). */
int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 1;
  for (int r = 0; r < reps; r++)
  for (int procs = 1; procs <= 2; procs++) {
    pure = false;
    run(procs, NULL, stw_main);
    run(procs, NULL, race_main);
    for (int i = 0; i < 20; i++) run(procs, NULL, late_main);
#if defined(__x86_64__)
    pure = true;
    run(procs, "preempt=signal", stw_main);
#endif
  }
  return check_done("test_stw");
}
