/*
** test_chan.c: channels, Mutex and WaitGroup beyond the conformance
** properties: many-to-many traffic with checksums, zero-size elements,
** the mutex under contention, and each fatal misuse (in a child process:
** exit status 2 and a message that names the operation and the G).
*/
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "rt.h"

static int in_child(void (*fn)(void), char *err, size_t len) {
  int fd[2];
  if (pipe(fd) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 2);
    close(fd[0]);
    fn();
    _exit(0);
  }
  close(fd[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < len && (r = read(fd[0], err + n, len - 1 - n)) > 0) n += (size_t)r;
  err[n] = 0;
  close(fd[0]);
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run(int procs, rt_fn fn) {
  rt_config cfg = { .procs = procs };
  CHECK_EQ(rt_run(&cfg, fn, NULL), RT_OK);
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
  rt_config cfg = { .procs = procs };
  CHECK_EQ(rt_run(&cfg, mm_main, (void *)(intptr_t)cap), RT_OK);
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
}

/* ==== mutex and waitgroup ============================================ */

static rt_mutex mu;
static int64_t mu_counter;   /* guarded by mu, deliberately not atomic */
static rt_waitgroup mu_wg;

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
}

/* ==== fatal misuse =================================================== */

static void f_close_closed(void *a) { (void)a; rt_chan *c = rt_chan_make(4, 0); rt_chan_close(c); rt_chan_close(c); }
static void f_close_nil(void *a) { (void)a; rt_chan_close(NULL); }
static void f_unlock(void *a) { (void)a; rt_mutex m = { 0 }; rt_mutex_unlock(&m); }
static void f_negative(void *a) { (void)a; rt_waitgroup w = { 0 }; rt_wg_done(&w); }
static void f_nil_recv(void *a) { (void)a; rt_chan_recv(NULL, NULL); }
static void c_close_closed(void) { run(1, f_close_closed); }
static void c_close_nil(void) { run(1, f_close_nil); }
static void c_unlock(void) { run(1, f_unlock); }
static void c_negative(void) { run(1, f_negative); }
static void c_nil_recv(void) { run(2, f_nil_recv); }

static void expect_fatal(void (*child)(void), const char *what) {
  char err[2048];
  int st = in_child(child, err, sizeof err);
  CHECKF(st == 2, "%s: exit %d", what, st);
  CHECKF(strstr(err, what) && strstr(err, "goroutine"), "want '%s', stderr: %s", what, err);
}

int main(void) {
  for (int procs = 1; procs <= 2; procs++) {
    test_many(procs, 0);
    test_many(procs, 3);
    run(procs, zero_main);
    run(procs, mu_main);
  }
  expect_fatal(c_close_closed, "close of closed channel");
  expect_fatal(c_close_nil, "close of nil channel");
  expect_fatal(c_unlock, "sync: unlock of unlocked mutex");
  expect_fatal(c_negative, "sync: negative WaitGroup counter");
  expect_fatal(c_nil_recv, "chan receive (nil chan)");  /* a deadlock naming it */
  return check_done("test_chan");
}
