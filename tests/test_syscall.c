/*
** test_syscall.c: rt_syscall_enter / rt_syscall_exit (proc.c).
**   - on one P, a G blocked in read() on a pipe does not stop the others:
**     main runs on and writes the byte the reader waits for;
**   - a reader that comes back while main keeps the only P busy waits on
**     the inject queue and runs once main switches;
**   - many readers at once at 1 and 2 Ps (more Ms than Ps), each woken by
**     its own pipe, none lost; a G in a syscall is not a deadlock;
** each three ways: rt_syscall_enter with sysmon, which retakes the P
** (counted in `retakes`), rt_syscall_enter_block, which hands it off at
** once, and rt_syscall_enter with sysmon=off, which then does the same
** (even readers through the wrapper rt_sys_read);
**   - needing more Ms than max_threads is a fatal error.
** Each wait here ends because another G acts; a broken hand-off hangs,
** and CTest's timeout reports it.
*/
#define _GNU_SOURCE
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "rt_module.h"

#define NR 32
static int fds[NR][2];
static _Atomic int got[NR];
static rt_waitgroup wg;
static bool use_block;   /* readers enter with rt_syscall_enter_block */

static void reader(void *arg) {
  int i = (int)(intptr_t)arg;
  char c = 0;
  long n;
  if (use_block) {
    rt_syscall_enter_block();
    n = read(fds[i][0], &c, 1);
    rt_syscall_exit();
  } else if (i % 2) {
    rt_syscall_enter();
    n = read(fds[i][0], &c, 1);
    rt_syscall_exit();
  } else {
    n = rt_sys_read(fds[i][0], &c, 1);  /* the wrapper of the same */
  }
  if (n == 1) atomic_store(&got[i], c);
  rt_wg_done(&wg);
}

static void one_main(void *arg) {
  (void)arg;
  rt_wg_add(&wg, 1);
  rt_go(reader, (void *)(intptr_t)0);
  rt_yield();                         /* the reader runs and blocks in read() */
  char c = 42;
  CHECK(write(fds[0][1], &c, 1) == 1);
  /* Keep the only P busy until the reader is back (through S.inject). */
  while (atomic_load(&got[0]) == 0) rt_yield();
  rt_wg_wait(&wg);
  CHECK_EQ(atomic_load(&got[0]), 42);
}

static void many_main(void *arg) {
  (void)arg;
  rt_wg_add(&wg, NR);
  for (int i = 0; i < NR; i++) rt_go(reader, (void *)(intptr_t)i);
  for (int k = 0; k < 100; k++) rt_yield();
  for (int i = NR - 1; i >= 0; i--) {  /* the last ones first */
    char c = (char)(i + 1);
    CHECK(write(fds[i][1], &c, 1) == 1);
    if (i % 4 == 0) rt_sleep(100000);
  }
  rt_wg_wait(&wg);                    /* parked while readers sit in read() */
  for (int i = 0; i < NR; i++) CHECKF(atomic_load(&got[i]) == i + 1, "reader %d got %d", i,
                                      atomic_load(&got[i]));
}

/* Runs fn on procs Ps with the runtime options rt; the number of Ps
** sysmon retook from readers. */
static uint64_t run(int procs, rt_fn fn, const char *rt) {
  for (int i = 0; i < NR; i++) {
    CHECK(pipe(fds[i]) == 0);
    atomic_store(&got[i], 0);
  }
  memset(&wg, 0, sizeof wg);
  char err[256] = "";
  rt_config cfg = {.procs = procs, .runtime = rt, .err = err, .errlen = sizeof err};
  CHECKF(rt_run(&cfg, fn, NULL) == RT_OK, "rt_run: %s", err);
  for (int i = 0; i < NR; i++) {
    close(fds[i][0]);
    close(fds[i][1]);
  }
  uint64_t cnt[2 * RT_CNT__N], retakes = 0;
  int np = rt_counters(cnt, 2);
  for (int p = 0; p < np && p < 2; p++) retakes += cnt[p * RT_CNT__N + RT_CNT_RETAKES];
  return retakes;
}

/* Three Gs blocked in read() need three Ms besides M0's P: a limit of 2
** is the fatal error Go gives (checkmcount), not a hang. */
static void limit_child(void) {
  run(1, many_main, "max_threads=2");
}

int main(void) {
  char err[4096];
  use_block = true;
  CHECK_EQ(check_in_child(limit_child, err, sizeof err), 2);
  CHECKF(strstr(err, "program exceeds the 2-thread limit (runtime option max_threads)"),
         "stderr: %s", err);
  use_block = false;
  /* On one P main runs again only once sysmon has retaken the P. */
  CHECK(run(1, one_main, NULL) >= 1);
  run(2, one_main, NULL);
  run(1, many_main, NULL);
  run(2, many_main, NULL);
  CHECK_EQ(run(1, one_main, "sysmon=off"), 0);
  CHECK_EQ(run(2, many_main, "sysmon=off"), 0);
  use_block = true;
  CHECK_EQ(run(1, one_main, NULL), 0);
  CHECK_EQ(run(1, many_main, NULL), 0);
  CHECK_EQ(run(2, many_main, NULL), 0);
  return check_done("test_syscall");
}
