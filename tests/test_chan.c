/*
** test_chan.c: channels, select, Mutex and WaitGroup under the default
** policy ("go") at 1 and 2 Ps: rendezvous order, FIFO buffers, len/cap,
** close, uniform select, default and nil cases, selects racing selects
** from both ends (the select_done hand-off), many-to-many traffic with
** checksums, the mutex under contention, and each fatal misuse (in a child
** process: exit status 2 and a message that names the operation and the G).
** The conformance suite repeats the core of this against every policy.
*/
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "rt.h"

static int procs_now;  /* Ps of the run in progress (for messages) */

static void run(int procs, rt_fn fn, void *arg) {
  char err[256] = "";
  rt_config cfg = { .procs = procs, .sched = "go", .err = err, .errlen = sizeof err };
  procs_now = procs;
  int rc = rt_run(&cfg, fn, arg);
  CHECKF(rc == RT_OK, "rt_run: %d %s", rc, err);
}

/* ==== unbuffered rendezvous ========================================== */

/* When a send on an unbuffered channel returns, the receiver holds the
** value: rv_slot (the receiver's variable) already shows it. */
#define RV_N 2000
static int64_t rv_slot;
static rt_waitgroup rv_wg;

static void rv_receiver(void *arg) {
  for (int64_t i = 1; i <= RV_N; i++) {
    CHECK(rt_chan_recv(arg, &rv_slot));
    if (i % 97 == 0) rt_yield();  /* so both sides park sometimes */
  }
  rt_wg_done(&rv_wg);
}

static void rv_main(void *arg) {
  (void)arg;
  rt_chan *c = rt_chan_make(sizeof(int64_t), 0);
  rt_wg_add(&rv_wg, 1);
  rt_go(rv_receiver, c);
  int bad = 0;
  for (int64_t i = 1; i <= RV_N; i++) {
    rt_chan_send(c, &i);
    if (rv_slot != i) bad++;
    if (i % 89 == 0) rt_yield();
  }
  CHECKF(bad == 0, "procs %d: %d sends returned before the receiver had the value",
         procs_now, bad);
  rt_wg_wait(&rv_wg);
  CHECK_EQ(rt_chan_len(c), 0);
  CHECK_EQ(rt_chan_cap(c), 0);
  rt_chan_free(c);
}

/* ==== buffered FIFO, len/cap, close ================================== */

static rt_waitgroup fifo_wg;

static void fifo_sender(void *arg) {
  for (int i = 0; i < 3000; i++) rt_chan_send(arg, &i);
  rt_chan_close(arg);
  rt_wg_done(&fifo_wg);
}

static _Atomic int close_false;

static void close_receiver(void *arg) {
  int64_t v = 99;
  if (!rt_chan_recv(arg, &v) && v == 0) atomic_fetch_add(&close_false, 1);
  rt_wg_done(&fifo_wg);
}

static void fifo_main(void *arg) {
  (void)arg;
  /* One sender's values arrive in order, then ok = false. */
  size_t caps[] = { 1, 2, 5, 64 };
  for (int k = 0; k < 4; k++) {
    rt_chan *c = rt_chan_make(sizeof(int), caps[k]);
    CHECK_EQ(rt_chan_cap(c), caps[k]);
    rt_wg_add(&fifo_wg, 1);
    rt_go(fifo_sender, c);
    int v = -1, want = 0;
    while (rt_chan_recv(c, &v)) {
      CHECKF(v == want, "cap %zu: got %d, want %d", caps[k], v, want);
      want = v + 1;
    }
    CHECK_EQ(want, 3000);
    CHECK_EQ(v, 0);  /* the zero value after close */
    rt_wg_wait(&fifo_wg);
    rt_chan_free(c);
  }
  /* len counts what is buffered; a closed buffer drains, then zeroes. */
  rt_chan *b = rt_chan_make(sizeof(int), 4);
  CHECK_EQ(rt_chan_len(b), 0);
  for (int i = 1; i <= 3; i++) rt_chan_send(b, &i);
  CHECK_EQ(rt_chan_len(b), 3);
  CHECK_EQ(rt_chan_cap(b), 4);
  rt_chan_close(b);
  CHECK_EQ(rt_chan_len(b), 3);
  int v = -1;
  for (int i = 1; i <= 3; i++) CHECK(rt_chan_recv(b, &v) && v == i);
  CHECK(!rt_chan_recv(b, &v) && v == 0);
  CHECK(!rt_chan_recv(b, NULL));
  rt_chan_free(b);
  CHECK_EQ(rt_chan_len(NULL), 0);
  CHECK_EQ(rt_chan_cap(NULL), 0);
  /* close wakes every parked receiver with ok = false and a zero value. */
  rt_chan *u = rt_chan_make(sizeof(int64_t), 0);
  close_false = 0;
  rt_wg_add(&fifo_wg, 16);
  for (int i = 0; i < 16; i++) rt_go(close_receiver, u);
  for (int i = 0; i < 40; i++) rt_yield();
  rt_chan_close(u);
  rt_wg_wait(&fifo_wg);
  CHECK_EQ(close_false, 16);
  rt_chan_free(u);
}

/* ==== select ========================================================= */

static rt_waitgroup sel_wg;

static void sel_late_sender(void *arg) {
  for (int i = 0; i < 20; i++) rt_yield();  /* let the select park first */
  int v = 42;
  rt_chan_send(arg, &v);
  rt_wg_done(&sel_wg);
}

static void sel_late_receiver(void *arg) {
  for (int i = 0; i < 20; i++) rt_yield();
  int v = 0;
  CHECK(rt_chan_recv(arg, &v) && v == 5);
  rt_wg_done(&sel_wg);
}

static void sel_late_closer(void *arg) {
  for (int i = 0; i < 20; i++) rt_yield();
  rt_chan_close(arg);
  rt_wg_done(&sel_wg);
}

static void sel_main(void *arg) {
  (void)arg;
  /* Four ready cases: each chosen at least 15% of 4000 times. */
  rt_chan *c[4];
  rt_case cs[4];
  int hits[4] = { 0 }, v = -1;
  for (int i = 0; i < 4; i++) c[i] = rt_chan_make(sizeof(int), 1);
  for (int round = 0; round < 4000; round++) {
    for (int i = 0; i < 4; i++)
      if (rt_chan_len(c[i]) == 0) rt_chan_send(c[i], &i);
    for (int i = 0; i < 4; i++) cs[i] = (rt_case){ c[i], RT_RECV, &v, false };
    int k = rt_select(cs, 4, true);
    CHECK(k >= 0 && k < 4);
    if (k < 0 || k > 3) break;
    CHECK_EQ(v, k);
    CHECK(cs[k].ok);
    hits[k]++;
  }
  for (int i = 0; i < 4; i++)
    CHECKF(hits[i] >= 600, "procs %d: case %d chosen %d times of 4000", procs_now, i, hits[i]);
  for (int i = 0; i < 4; i++)
    if (rt_chan_len(c[i]) > 0) rt_chan_recv(c[i], NULL);

  /* Default: nothing ready gives -1, also for nil channels and n == 0. */
  rt_case none[3] = { { NULL, RT_RECV, &v, false }, { c[0], RT_RECV, &v, false },
                      { NULL, RT_SEND, &v, false } };
  CHECK_EQ(rt_select(none, 3, false), -1);
  CHECK_EQ(rt_select(NULL, 0, false), -1);
  /* A nil channel is never chosen, even next to a ready case. */
  rt_chan_send(c[2], &(int){ 9 });
  for (int i = 0; i < 50; i++) {
    rt_case mix[3] = { { NULL, RT_RECV, &v, false }, { c[2], RT_RECV, &v, false },
                       { NULL, RT_SEND, &v, false } };
    CHECK_EQ(rt_select(mix, 3, false), 1);
    rt_chan_send(c[2], &v);
  }
  rt_chan_recv(c[2], NULL);
  /* A full buffer is not ready for sending; an empty slot is. */
  int out = 7;
  rt_chan_send(c[3], &out);
  rt_case full[1] = { { c[3], RT_SEND, &out, false } };
  CHECK_EQ(rt_select(full, 1, false), -1);
  rt_chan_recv(c[3], NULL);
  CHECK_EQ(rt_select(full, 1, false), 0);
  CHECK(rt_chan_recv(c[3], &v) && v == 7);

  /* Blocking: the select parks on every channel; a late sender wins. */
  rt_chan *u = rt_chan_make(sizeof(int), 0), *w = rt_chan_make(sizeof(int), 0);
  rt_wg_add(&sel_wg, 1);
  rt_go(sel_late_sender, w);
  rt_case blk[4] = { { NULL, RT_SEND, &out, false }, { u, RT_RECV, &v, false },
                     { w, RT_RECV, &v, false }, { u, RT_SEND, &out, false } };
  v = 0;
  CHECK_EQ(rt_select(blk, 4, true), 2);
  CHECK(blk[2].ok);
  CHECK_EQ(v, 42);
  rt_wg_wait(&sel_wg);
  /* ... and a late receiver takes the value of a send case. */
  rt_wg_add(&sel_wg, 1);
  rt_go(sel_late_receiver, w);
  out = 5;
  rt_case snd[2] = { { u, RT_RECV, &v, false }, { w, RT_SEND, &out, false } };
  CHECK_EQ(rt_select(snd, 2, true), 1);
  rt_wg_wait(&sel_wg);
  /* ... and close wakes it with ok = false. */
  rt_wg_add(&sel_wg, 1);
  rt_go(sel_late_closer, w);
  v = 3;
  rt_case cl[2] = { { u, RT_RECV, &v, false }, { w, RT_RECV, &v, true } };
  CHECK_EQ(rt_select(cl, 2, true), 1);
  CHECK(!cl[1].ok);
  CHECK_EQ(v, 0);
  rt_wg_wait(&sel_wg);
  /* Nothing left waiting on u: free checks that the select cleaned up. */
  rt_chan_free(u);
  rt_chan_free(w);
  for (int i = 0; i < 4; i++) rt_chan_free(c[i]);
}

/* ==== selects against selects: checksums over two channels =========== */

/* Senders and receivers, half of them selects over both channels and
** half plain, so select sudogs are completed by plain operations and by
** other selects, and lose races to other cases of their own select. */
#define XS_PAIRS 4
#define XS_ITEMS 3000
static rt_chan *xs_ch[2];
static rt_waitgroup xs_send_wg, xs_recv_wg;
static _Atomic int64_t xs_sum, xs_count;

static void xs_sender(void *arg) {
  intptr_t id = (intptr_t)arg;
  for (int64_t i = 1; i <= XS_ITEMS; i++) {
    int64_t v = id * XS_ITEMS + i;
    if (id % 2 == 0) {
      rt_case k[2] = { { xs_ch[0], RT_SEND, &v, false }, { xs_ch[1], RT_SEND, &v, false } };
      CHECK(rt_select(k, 2, true) >= 0);
    } else {
      rt_chan_send(xs_ch[i % 2], &v);
    }
  }
  rt_wg_done(&xs_send_wg);
}

static void xs_receiver(void *arg) {
  intptr_t id = (intptr_t)arg;
  int64_t sum = 0, n = 0, v;
  bool open[2] = { true, true };
  while (open[0] || open[1]) {
    if (id % 2 == 0 || !open[0] || !open[1]) {
      rt_case k[2] = { { open[0] ? xs_ch[0] : NULL, RT_RECV, &v, false },
                       { open[1] ? xs_ch[1] : NULL, RT_RECV, &v, false } };
      int i = rt_select(k, 2, true);
      if (!k[i].ok) {
        open[i] = false;
        continue;
      }
    } else if (!rt_chan_recv(xs_ch[n % 2], &v)) {
      open[n % 2] = false;
      continue;
    }
    sum += v;
    n++;
  }
  atomic_fetch_add(&xs_sum, sum);
  atomic_fetch_add(&xs_count, n);
  rt_wg_done(&xs_recv_wg);
}

static void xs_main(void *arg) {
  size_t cap = (size_t)(intptr_t)arg;
  xs_ch[0] = rt_chan_make(sizeof(int64_t), cap);
  xs_ch[1] = rt_chan_make(sizeof(int64_t), cap);
  rt_wg_add(&xs_send_wg, XS_PAIRS);
  rt_wg_add(&xs_recv_wg, XS_PAIRS);
  for (intptr_t i = 0; i < XS_PAIRS; i++) {
    rt_go(xs_receiver, (void *)i);
    rt_go(xs_sender, (void *)i);
  }
  rt_wg_wait(&xs_send_wg);
  rt_chan_close(xs_ch[0]);
  rt_chan_close(xs_ch[1]);
  rt_wg_wait(&xs_recv_wg);
  rt_chan_free(xs_ch[0]);
  rt_chan_free(xs_ch[1]);
}

static void test_xselect(int procs, size_t cap) {
  xs_sum = xs_count = 0;
  run(procs, xs_main, (void *)(intptr_t)cap);
  int64_t n = (int64_t)XS_PAIRS * XS_ITEMS;
  CHECKF(xs_count == n, "procs %d cap %zu: %lld received, want %lld", procs, cap,
         (long long)xs_count, (long long)n);
  CHECKF(xs_sum == n * (n + 1) / 2, "procs %d cap %zu: checksum %lld, want %lld", procs, cap,
         (long long)xs_sum, (long long)(n * (n + 1) / 2));
}

/* ==== many senders, many receivers =================================== */

#define MM_SENDERS 8
#define MM_ITEMS 5000
static rt_chan *mm_ch;
static rt_waitgroup mm_send_wg, mm_recv_wg;
static _Atomic int64_t mm_sum, mm_count;

static void mm_sender(void *arg) {
  for (int64_t i = 1; i <= MM_ITEMS; i++) {
    int64_t v = (intptr_t)arg * MM_ITEMS + i;
    rt_chan_send(mm_ch, &v);
  }
  rt_wg_done(&mm_send_wg);
}

static void mm_receiver(void *arg) {
  (void)arg;
  int64_t v, sum = 0, n = 0;
  while (rt_chan_recv(mm_ch, &v)) {
    sum += v;
    n++;
  }
  atomic_fetch_add(&mm_sum, sum);
  atomic_fetch_add(&mm_count, n);
  rt_wg_done(&mm_recv_wg);
}

static void mm_main(void *arg) {
  size_t cap = (size_t)(intptr_t)arg;
  mm_ch = rt_chan_make(sizeof(int64_t), cap);
  rt_wg_add(&mm_send_wg, MM_SENDERS);
  rt_wg_add(&mm_recv_wg, 4);
  for (int i = 0; i < 4; i++) rt_go(mm_receiver, NULL);
  for (intptr_t i = 0; i < MM_SENDERS; i++) rt_go(mm_sender, (void *)i);
  rt_wg_wait(&mm_send_wg);
  rt_chan_close(mm_ch);  /* receivers drain, then see ok = false */
  rt_wg_wait(&mm_recv_wg);
  rt_chan_free(mm_ch);
}

static void test_many(int procs, size_t cap) {
  mm_sum = mm_count = 0;
  run(procs, mm_main, (void *)(intptr_t)cap);
  int64_t n = (int64_t)MM_SENDERS * MM_ITEMS;
  CHECK_EQ(mm_count, n);
  CHECK_EQ(mm_sum, n * (n + 1) / 2);
}

/* ==== zero-size elements (chan struct{}) ============================= */

static void zero_sender(void *arg) {
  for (int i = 0; i < 100; i++) rt_chan_send(arg, NULL);
  rt_chan_close(arg);
}

static void zero_main(void *arg) {
  (void)arg;
  rt_chan *c = rt_chan_make(0, 0);
  rt_go(zero_sender, c);
  int n = 0;
  while (rt_chan_recv(c, NULL)) n++;
  CHECK_EQ(n, 100);
  rt_chan_free(c);
  rt_chan *b = rt_chan_make(0, 3);  /* buffered struct{}: len counts */
  for (int i = 0; i < 3; i++) rt_chan_send(b, NULL);
  CHECK_EQ(rt_chan_len(b), 3);
  rt_chan_free(b);
}

/* ==== mutex and waitgroup ============================================ */

static rt_mutex mu;
static int64_t mu_counter;   /* guarded by mu, deliberately not atomic */
static rt_waitgroup mu_wg, wg_gate, wg_waiters;
static _Atomic int wg_released;

static void mu_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < 10000; i++) {
    rt_mutex_lock(&mu);
    mu_counter++;
    if (i % 100 == 0) rt_yield();  /* park others while holding it */
    rt_mutex_unlock(&mu);
  }
  rt_wg_done(&mu_wg);
}

static void wg_waiter(void *arg) {
  (void)arg;
  rt_wg_wait(&wg_gate);
  atomic_fetch_add(&wg_released, 1);
  rt_wg_done(&wg_waiters);
}

static void mu_main(void *arg) {
  (void)arg;
  mu_counter = 0;
  rt_wg_add(&mu_wg, 8);
  for (int i = 0; i < 8; i++) rt_go(mu_worker, NULL);
  rt_wg_wait(&mu_wg);
  CHECK_EQ(mu_counter, 80000);
  CHECK(rt_mutex_trylock(&mu));
  CHECK(!rt_mutex_trylock(&mu));
  rt_mutex_unlock(&mu);
  rt_wg_wait(&mu_wg);  /* already zero: returns at once */
  /* Every waiter is released by the transition to zero, not before. */
  wg_released = 0;
  rt_wg_add(&wg_gate, 3);
  rt_wg_add(&wg_waiters, 10);
  for (int i = 0; i < 10; i++) rt_go(wg_waiter, NULL);
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 20; j++) rt_yield();
    CHECK_EQ(wg_released, 0);
    rt_wg_done(&wg_gate);
  }
  rt_wg_wait(&wg_waiters);
  CHECK_EQ(wg_released, 10);
}

/* ==== fatal misuse =================================================== */

static void blocked_sender(void *arg) {
  rt_chan_send(arg, &(int){ 1 });
}

static void f_close_closed(void *a) { (void)a; rt_chan *c = rt_chan_make(4, 0); rt_chan_close(c); rt_chan_close(c); }
static void f_close_nil(void *a) { (void)a; rt_chan_close(NULL); }
static void f_send_closed(void *a) { (void)a; rt_chan *c = rt_chan_make(4, 1); rt_chan_close(c); rt_chan_send(c, &(int){ 1 }); }
static void f_close_wakes_sender(void *a) {
  (void)a;
  rt_chan *c = rt_chan_make(sizeof(int), 0);
  rt_go(blocked_sender, c);
  for (int i = 0; i < 20; i++) rt_yield();
  rt_chan_close(c);  /* the parked sender dies, as Go's panics */
  for (int i = 0; i < 1000; i++) rt_yield();
}
static void f_select_send_closed(void *a) {
  (void)a;
  rt_chan *c = rt_chan_make(sizeof(int), 0);
  rt_chan_close(c);
  rt_case k[1] = { { c, RT_SEND, &(int){ 1 }, false } };
  rt_select(k, 1, false);
}
static void f_select_bad_dir(void *a) {
  (void)a;
  rt_case k[1] = { { NULL, (rt_dir)7, NULL, false } };
  rt_select(k, 1, false);
}
static void f_select_none(void *a) { (void)a; rt_select(NULL, 0, true); }
static void f_unlock(void *a) { (void)a; rt_mutex m = { 0 }; rt_mutex_unlock(&m); }
static void f_negative(void *a) { (void)a; rt_waitgroup w = { 0 }; rt_wg_done(&w); }
static void f_nil_recv(void *a) { (void)a; rt_chan_recv(NULL, NULL); }
static void f_nil_send(void *a) { (void)a; rt_chan_send(NULL, &(int){ 1 }); }
static void f_send_null(void *a) { (void)a; rt_chan_send(rt_chan_make(8, 1), NULL); }
static void f_free_waited(void *a) {
  (void)a;
  rt_chan *c = rt_chan_make(sizeof(int), 0);
  rt_go(blocked_sender, c);
  for (int i = 0; i < 20; i++) rt_yield();
  rt_chan_free(c);
}
static void c_close_closed(void) { run(1, f_close_closed, NULL); }
static void c_close_nil(void) { run(1, f_close_nil, NULL); }
static void c_send_closed(void) { run(2, f_send_closed, NULL); }
static void c_close_wakes_sender(void) { run(2, f_close_wakes_sender, NULL); }
static void c_select_send_closed(void) { run(1, f_select_send_closed, NULL); }
static void c_select_bad_dir(void) { run(1, f_select_bad_dir, NULL); }
static void c_select_none(void) { run(2, f_select_none, NULL); }
static void c_unlock(void) { run(1, f_unlock, NULL); }
static void c_negative(void) { run(1, f_negative, NULL); }
static void c_nil_recv(void) { run(2, f_nil_recv, NULL); }
static void c_nil_send(void) { run(1, f_nil_send, NULL); }
static void c_send_null(void) { run(1, f_send_null, NULL); }
static void c_free_waited(void) { run(1, f_free_waited, NULL); }

static void expect_fatal(void (*child)(void), const char *what) {
  char err[2048];
  int st = check_in_child(child, err, sizeof err);
  CHECKF(st == 2, "%s: exit %d", what, st);
  CHECKF(strstr(err, what) && strstr(err, "goroutine"), "want '%s', stderr: %s", what, err);
}

/* ==== a WaitGroup may be freed once Wait returns ====================
** The Done that ends the count once locked the WaitGroup after the
** decrement, to wake waiters: a Wait that saw zero could return and its
** caller reuse the memory meanwhile (TSan caught it in test_netpoll).
** Here the WaitGroup lives on main's stack; after Wait it is cleared and
** given a sentinel, and once the doner has finished (it says so over a channel,
** after Done returned) the sentinel must still be there. */

#define WGF_ROUNDS 3000
static rt_chan *wgf_out;
static _Atomic int wgf_going;  /* the doner is about to call Done */
static void *const wgf_mark = (void *)&wgf_out;

static void wgf_doner(void *arg) {
  atomic_store(&wgf_going, 1);
  rt_wg_done(arg);
  rt_chan_send(wgf_out, NULL);
}

static void wgf_main(void *arg) {
  (void)arg;
  wgf_out = rt_chan_make(0, 1);
  int spoiled = 0;
  for (int round = 0; round < WGF_ROUNDS; round++) {
    rt_waitgroup wg = {0};
    rt_wg_add(&wg, 1);
    atomic_store(&wgf_going, 0);
    rt_go(wgf_doner, &wg);
    /* Wait right as the Done happens (on another P), or after it. */
    while (round % 2 && !atomic_load(&wgf_going)) rt_yield();
    rt_wg_wait(&wg);
    rt_waitgroup want;
    memset(&want, 0, sizeof want);
    want.q.tail = wgf_mark;
    memcpy(&wg, &want, sizeof wg);
    rt_chan_recv(wgf_out, NULL);
    if (memcmp(&wg, &want, sizeof wg)) spoiled++;
  }
  CHECKF(spoiled == 0, "%d of %d WaitGroups written after their Wait returned", spoiled,
         WGF_ROUNDS);
  rt_chan_free(wgf_out);
}

int main(void) {
  for (int procs = 1; procs <= 2; procs++) {
    run(procs, rv_main, NULL);
    run(procs, fifo_main, NULL);
    run(procs, sel_main, NULL);
    for (size_t cap = 0; cap <= 2; cap += 2) {
      test_xselect(procs, cap);
      test_many(procs, cap);
    }
    run(procs, zero_main, NULL);
    run(procs, mu_main, NULL);
    run(procs, wgf_main, NULL);
  }
  expect_fatal(c_close_closed, "close of closed channel");
  expect_fatal(c_close_nil, "close of nil channel");
  expect_fatal(c_send_closed, "send on closed channel");
  expect_fatal(c_close_wakes_sender, "send on closed channel");
  expect_fatal(c_select_send_closed, "send on closed channel");
  expect_fatal(c_select_bad_dir, "case 0 has direction 7 (allowed: RT_SEND, RT_RECV)");
  expect_fatal(c_unlock, "sync: unlock of unlocked mutex");
  expect_fatal(c_negative, "sync: negative WaitGroup counter");
  expect_fatal(c_send_null, "elem is NULL for a channel of 8-byte elements");
  expect_fatal(c_free_waited, "free of a channel that goroutines are still waiting on");
  /* Blocking forever is a deadlock report that names the wait. */
  expect_fatal(c_nil_recv, "[chan receive (nil chan)]");
  expect_fatal(c_nil_send, "[chan send (nil chan)]");
  expect_fatal(c_select_none, "[select (no cases)]");
  return check_done("test_chan");
}
