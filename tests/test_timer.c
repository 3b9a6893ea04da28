/*
** test_timer.c: timers (framework/timer.c) and rt_sleep.
**   - the heap: timers fire earliest first, equal deadlines in the order
**     they were added, only those due, with the next deadline published;
**   - rt_sleep at 1 and 2 Ps: hundreds of Gs sleeping random durations
**     all wake, none before its deadline; a sleeping main G, the only G,
**     is not a deadlock;
**   - rt_timer: a one-shot fires once and not early; stop before the
**     deadline keeps it from firing; reset re-arms, earlier or later;
**     tickers tick in order, never before their multiple of the period,
**     and stop; stop and reset race with firing on two Ps (TSan);
**   - a deadlock is still one when the last timer has fired: it is
**     reported naming the wait, after the sleep.
** No wall-clock bound anywhere: "not early" is checked, lateness is the
** timers workload's business.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "timer.h"

/* ==== the heap ======================================================== */

#define HN 2000
static tmr ht[HN];
static int fired[HN], nfired;

static void h_fire(void *arg) { fired[nfired++] = (int)(intptr_t)arg; }

static void test_heap(void) {
  tmheap t;
  memset(&t, 0, sizeof t);
  tmheap_init(&t);
  CHECK_EQ(timer_next(&t), TM_NONE);
  uint64_t r = 88172645463325252ull;
  for (int i = 0; i < HN; i++) {
    r ^= r << 13; r ^= r >> 7; r ^= r << 17;
    ht[i] = (tmr){.when = (int64_t)(r % 500), .fn = h_fire, .arg = (void *)(intptr_t)i};
    timer_add(&t, &ht[i]);  /* about 4 timers per deadline: ties */
  }
  int64_t least = TM_NONE;
  for (int i = 0; i < HN; i++) least = ht[i].when < least ? ht[i].when : least;
  CHECK_EQ(timer_next(&t), least);
  /* Up to 249: only those, in (deadline, addition) order. */
  int ran = timer_run(&t, 249);
  int due = 0;
  for (int i = 0; i < HN; i++) due += ht[i].when <= 249;
  CHECK_EQ(ran, due);
  CHECK_EQ(nfired, due);
  CHECK(timer_next(&t) >= 250);
  CHECK_EQ(timer_run(&t, 1000), HN - due);
  CHECK_EQ(timer_next(&t), TM_NONE);
  for (int k = 0; k + 1 < nfired; k++) {
    tmr *a = &ht[fired[k]], *b = &ht[fired[k + 1]];
    CHECKF(a->when < b->when || (a->when == b->when && fired[k] < fired[k + 1]),
           "fired %d (at %lld) before %d (at %lld)", fired[k], (long long)a->when,
           fired[k + 1], (long long)b->when);
  }
  tmheap_fini(&t);
}

/* ==== rt_sleep ======================================================== */

#define SN 300
static rt_waitgroup swg;
static int early;

static void sleeper(void *arg) {
  int64_t d = (int64_t)(intptr_t)arg, t0 = rt_now();
  rt_sleep(d);
  if (rt_now() - t0 < d) __atomic_add_fetch(&early, 1, __ATOMIC_RELAXED);
  rt_wg_done(&swg);
}

static void sleep_main(void *arg) {
  (void)arg;
  uint64_t r = 0x9E3779B97F4A7C15ull;
  rt_wg_add(&swg, SN);
  for (int i = 0; i < SN; i++) {
    r ^= r << 13; r ^= r >> 7; r ^= r << 17;
    int64_t d = i % 10 == 0 ? 0 : (int64_t)(r % 5000000);  /* 0 .. 5 ms */
    rt_go(sleeper, (void *)(intptr_t)d);
  }
  rt_wg_wait(&swg);
  int64_t t0 = rt_now();
  rt_sleep(1000000);  /* the only G left: not a deadlock */
  CHECK(rt_now() - t0 >= 1000000);
}

static void test_sleep(int procs) {
  char err[256] = "";
  early = 0;
  rt_config cfg = {.procs = procs, .err = err, .errlen = sizeof err};
  int rc = rt_run(&cfg, sleep_main, NULL);
  CHECKF(rc == RT_OK, "rt_run: %s", err);
  CHECK_EQ(early, 0);
}

/* ==== rt_timer: one-shot, stop, reset, tickers ====================== */

static int64_t recv_time(rt_timer *t) {
  int64_t v = 0;
  CHECK(rt_chan_recv(rt_timer_chan(t), &v));
  return v;
}

static void timer_api_main(void *arg) {
  (void)arg;
  /* One shot: fires once, not early, with the time it fired. */
  int64_t t0 = rt_now();
  rt_timer *a = rt_timer_start(2000000, 0);
  CHECK(a != NULL);
  int64_t v = recv_time(a);
  CHECK(v >= t0 + 2000000 && rt_now() >= t0 + 2000000);
  CHECK(!rt_timer_stop(a));            /* fired already */
  /* Reset after firing re-arms it. */
  CHECK(!rt_timer_reset(a, 1000000));
  CHECK(recv_time(a) >= t0 + 3000000);
  /* Stopped before its deadline: never fires. */
  CHECK(rt_timer_reset(a, 0) == false);
  recv_time(a);                         /* reset(0) fires at once */
  CHECK(!rt_timer_reset(a, 50000000) == true);
  CHECK(rt_timer_stop(a));
  rt_sleep(60000000);
  CHECK_EQ(rt_chan_len(rt_timer_chan(a)), 0);
  /* Reset of an armed timer moves its deadline (earlier here). */
  rt_timer_reset(a, 500000000);
  int64_t t1 = rt_now();
  CHECK(rt_timer_reset(a, 1000000));
  v = recv_time(a);
  CHECK(v >= t1 + 1000000);
  rt_timer_free(a);

  /* A ticker: ticks in order, none before its multiple of the period. */
  int64_t p = 1000000, s0 = rt_now(), last = 0;
  rt_timer *k = rt_timer_start(p, p);
  for (int i = 1; i <= 10; i++) {
    v = recv_time(k);
    CHECKF(v > last, "tick %d at %lld after %lld", i, (long long)v, (long long)last);
    CHECKF(v >= s0 + i * p, "tick %d came %lld ns early", i, (long long)(s0 + i * p - v));
    last = v;
  }
  CHECK(rt_timer_stop(k));
  int64_t junk;
  rt_case c = {.c = rt_timer_chan(k), .dir = RT_RECV, .elem = &junk};
  rt_select(&c, 1, false);              /* one may have been sent before the stop */
  rt_sleep(5 * p);
  CHECK_EQ(rt_chan_len(rt_timer_chan(k)), 0);
  rt_timer_free(k);
}

/* Stop and reset racing with firing, on two Ps: a G re-arms timers with
** deadlines of 0-20 us (firing on either P while it works) and drains
** their channels; every value read is a real firing time. */
#define RACE_N 4
static void race_main(void *arg) {
  int n = arg ? (int)(intptr_t)arg : 20000;  /* iterations */
  rt_timer *t[RACE_N];
  for (int i = 0; i < RACE_N; i++) t[i] = rt_timer_start(1000, i % 2 ? 3000 : 0);
  uint64_t r = 12345;
  int64_t start = rt_now();
  for (int i = 0; i < n; i++) {
    r ^= r << 13; r ^= r >> 7; r ^= r << 17;
    rt_timer *x = t[r % RACE_N];
    if (r & 256) rt_timer_stop(x);
    else rt_timer_reset(x, (int64_t)(r % 20000));
    int64_t v = 0;
    rt_case c = {.c = rt_timer_chan(x), .dir = RT_RECV, .elem = &v};
    if (rt_select(&c, 1, false) == 0) CHECK(v >= start && v <= rt_now());
    if (i % 64 == 0) rt_yield();
  }
  for (int i = 0; i < RACE_N; i++) rt_timer_free(t[i]);
}

/* With 1 ms slices sysmon asks race_main to yield again and again while
** timers fire on its P: a timer's firing sends on its channel under the
** heap's lock, which must not be a preemption point (it was: the yield
** ran the timers again and waited for that lock forever). */
static void test_timer_api(int procs) {
  char err[256] = "";
  rt_config cfg = {.procs = procs, .err = err, .errlen = sizeof err};
  CHECKF(rt_run(&cfg, timer_api_main, NULL) == RT_OK, "rt_run: %s", err);
  CHECKF(rt_run(&cfg, race_main, NULL) == RT_OK, "rt_run: %s", err);
  cfg.runtime = "time_slice_ms=1";
  CHECKF(rt_run(&cfg, race_main, (void *)(intptr_t)400000) == RT_OK, "rt_run: %s", err);
}

/* ==== a deadlock after the last timer =============================== */

static void dl_main(void *arg) {
  (void)arg;
  rt_sleep(2000000);
  rt_chan *c = rt_chan_make(sizeof(int), 0);
  int v;
  rt_chan_recv(c, &v);  /* nobody sends */
}

static void dl_child(void) {
  rt_config cfg = {.procs = 2};
  rt_run(&cfg, dl_main, NULL);
}

int main(void) {
  test_heap();
  test_sleep(1);
  test_sleep(2);
  test_timer_api(1);
  test_timer_api(2);
  char err[4096];
  int st = check_in_child(dl_child, err, sizeof err);
  CHECK_EQ(st, 2);
  CHECKF(strstr(err, "all goroutines are asleep - deadlock!"), "stderr: %s", err);
  CHECKF(strstr(err, "goroutine 1 [chan receive]"), "stderr: %s", err);
  return check_done("test_timer");
}
