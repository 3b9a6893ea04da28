/*
** test_timer.c: timers (framework/timer.c) and rt_sleep.
**   - the heap: timers fire earliest first, equal deadlines in the order
**     they were added, only those due, with the next deadline published;
**   - rt_sleep at 1 and 2 Ps: hundreds of Gs sleeping random durations
**     all wake, none before its deadline; a sleeping main G, the only G,
**     is not a deadlock;
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
  char err[4096];
  int st = check_in_child(dl_child, err, sizeof err);
  CHECK_EQ(st, 2);
  CHECKF(strstr(err, "all goroutines are asleep - deadlock!"), "stderr: %s", err);
  CHECKF(strstr(err, "goroutine 1 [chan receive]"), "stderr: %s", err);
  return check_done("test_timer");
}
