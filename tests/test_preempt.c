/*
** test_preempt.c: preemption of a G that will not yield (sysmon.c,
** proc.c), on one P, beside a G that sleeps 1 ms in a loop:
**   - preempt=signal: a hog spinning 300 ms in a loop without a single
**     call cannot starve the sleeper, which wakes at least 5 times while
**     the hog runs (x86-64 only: elsewhere rt_run refuses the option);
**   - preempt=coop: a hog that calls rt_safepoint() between batches of
**     its loop lets the sleeper run as well;
**   - preempt=off: with the pure loop, the sleeper does not wake at all
**     until the hog is done.
**   - preempt=signal, 2 Ps: main returns while another G spins forever
**     on the other P; rt_run still returns (sysmon preempts the spinner
**     during shutdown, and its M sees the end).
** The hog stops when a plain thread (not a G) sets a flag after 300 ms of
** wall time, so the loop itself calls nothing.  The wake-ups counted are
** those that see the hog started and not yet done.  No wall-clock upper
** bound: a hog that is never stopped is a hang CTest's timeout reports.
*/
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "rt.h"

static _Atomic int stop;          /* set by the timer thread: the hog leaves */
static _Atomic int hog_running;   /* the hog has started */
static _Atomic int hog_done;      /* and finished */
static _Atomic int sleeper_in;    /* the sleeper has started */
static _Atomic int wakes;         /* sleeper wake-ups while the hog ran */
static bool safepoints;           /* the hog calls rt_safepoint() */
static uint64_t hog_x;            /* the loop's result, kept */
static pthread_t timer;           /* the timer thread */
static bool timer_started;
static rt_waitgroup wg;           /* the hog and the sleeper */

static void *timer_fn(void *arg) {
  (void)arg;
  struct timespec ts = {0, 300000000};
  while (nanosleep(&ts, &ts) != 0) {}
  atomic_store(&stop, 1);
  return NULL;
}

static void hog(void *arg) {
  (void)arg;
  atomic_store(&hog_running, 1);
  timer_started = pthread_create(&timer, NULL, timer_fn, NULL) == 0;
  CHECK(timer_started);
  if (!timer_started) atomic_store(&stop, 1);
  uint64_t x = 88172645463325252ull;
  if (safepoints) {
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
      for (int i = 0; i < 4096; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      }
      rt_safepoint();
    }
  } else {  /* no call in here: only a signal can stop it */
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    }
  }
  hog_x = x;
  atomic_store(&hog_done, 1);
  rt_wg_done(&wg);
}

static void sleeper(void *arg) {
  (void)arg;
  atomic_store(&sleeper_in, 1);
  while (!atomic_load(&hog_done)) {
    rt_sleep(1000000);
    if (atomic_load(&hog_running) && !atomic_load(&hog_done)) atomic_fetch_add(&wakes, 1);
  }
  rt_wg_done(&wg);
}

static void hog_main(void *arg) {
  (void)arg;
  rt_wg_add(&wg, 2);
  rt_go(sleeper, NULL);
  while (!atomic_load(&sleeper_in)) rt_yield();  /* it sleeps before the hog starts */
  rt_go(hog, NULL);
  rt_wg_wait(&wg);
}

/* Runs the hog and the sleeper on one P with `runtime` options: RT_OK
** with the wake-ups in *n, or rt_run's code with its message in err. */
static int run_hog(const char *runtime, bool with_safepoints, int *n, char *err, size_t len) {
  atomic_store(&stop, 0);
  atomic_store(&hog_running, 0);
  atomic_store(&hog_done, 0);
  atomic_store(&sleeper_in, 0);
  atomic_store(&wakes, 0);
  memset(&wg, 0, sizeof wg);
  safepoints = with_safepoints;
  timer_started = false;
  err[0] = 0;
  rt_config cfg = {.procs = 1, .runtime = runtime, .err = err, .errlen = len};
  int rc = rt_run(&cfg, hog_main, NULL);
  if (timer_started) pthread_join(timer, NULL);
  *n = atomic_load(&wakes);
  return rc;
}

static void test_signal(void) {
  char err[512];
  int n = -1;
  int rc = run_hog("preempt=signal,time_slice_ms=10", false, &n, err, sizeof err);
#if defined(__x86_64__)
  if (rc == RT_EINVAL && (strstr(err, "tsan") || strstr(err, "sanitizer") ||
                          strstr(err, "TSan") || strstr(err, "Sanitizer"))) {
    printf("note: preempt=signal skipped: %s\n", err);
    return;
  }
  CHECKF(rc == RT_OK, "preempt=signal: rt_run: %d %s", rc, err);
  CHECKF(n >= 5, "preempt=signal: the sleeper woke %d times while the hog spun, want >= 5", n);
  printf("preempt=signal: %d wake-ups while the hog spun\n", n);
#else
  CHECKF(rc == RT_EINVAL, "preempt=signal on this ISA: rt_run: %d %s (want RT_EINVAL)", rc, err);
  printf("note: preempt=signal is x86-64 only: skipped\n");
#endif
}

static void test_coop(void) {
  char err[512];
  int n = -1;
  int rc = run_hog("preempt=coop,time_slice_ms=10", true, &n, err, sizeof err);
  CHECKF(rc == RT_OK, "preempt=coop: rt_run: %d %s", rc, err);
  CHECKF(n >= 5, "preempt=coop: the sleeper woke %d times while the hog spun (with "
         "rt_safepoint), want >= 5", n);
  printf("preempt=coop with rt_safepoint: %d wake-ups while the hog spun\n", n);
}

static void test_off(void) {
  char err[512];
  int n = -1;
  int rc = run_hog("preempt=off", false, &n, err, sizeof err);
  CHECKF(rc == RT_OK, "preempt=off: rt_run: %d %s", rc, err);
  CHECKF(n == 0, "preempt=off: the sleeper woke %d times while the hog spun, want 0", n);
}

static _Atomic int forever_in;  /* the endless G has started */

static void forever(void *arg) {
  (void)arg;
  atomic_store(&forever_in, 1);
  uint64_t x = 1;
  for (;;) {  /* never a call: ends only with the process */
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    __asm__ volatile("" : "+r"(x));
  }
}

static void shutdown_main(void *arg) {
  (void)arg;
  rt_go(forever, NULL);
  while (!atomic_load(&forever_in)) rt_sleep(1000000);  /* running on the other P */
  rt_sleep(20000000);
}

static void test_shutdown(void) {
#if defined(__x86_64__)
  char err[512] = "";
  rt_config cfg = {.procs = 2, .runtime = "preempt=signal", .err = err, .errlen = sizeof err};
  int rc = rt_run(&cfg, shutdown_main, NULL);
  if (rc == RT_EINVAL && strstr(err, "ThreadSanitizer")) return;  /* refused there */
  CHECKF(rc == RT_OK, "shutdown with a spinning G: rt_run: %d %s", rc, err);
#endif
}

int main(void) {
  test_signal();
  test_shutdown();
  test_coop();
  test_off();
  CHECK(hog_x != 0);
  return check_done("test_preempt");
}
