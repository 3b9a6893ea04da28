/*
** conformance.c: properties every scheduler policy must have.
**
**   conformance POLICY PROPERTY
**
** runs one property against the policy spec POLICY ("go", "fifo,...", or a
** .so path); CTest runs every policy x property as its own test.  The
** properties hold for any correct policy, whatever order it runs Gs in:
** nothing is lost or run twice, channels keep Go's semantics, a deadlock
** is reported, and an idle P takes work from a loaded one.
*/
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "rt.h"

static const char *policy;   /* the sched spec under test */

static void run(int procs, rt_fn fn, void *arg) {
  char err[512] = "";
  rt_config cfg = { .procs = procs, .sched = policy, .err = err, .errlen = sizeof err };
  int rc = rt_run(&cfg, fn, arg);
  CHECKF(rc == RT_OK, "rt_run: %d %s", rc, err);
}

/* ==== once: every spawned G runs exactly once ======================== */

/* TSan treats each G (a fiber) as a thread and allows 8128 at once. */
#if defined(__SANITIZE_THREAD__)
# define ONCE_N 4000
#else
# define ONCE_N 10000
#endif
static _Atomic int once_runs[ONCE_N];
static rt_waitgroup once_wg;

static void once_g(void *arg) {
  atomic_fetch_add(&once_runs[(intptr_t)arg], 1);
  if ((intptr_t)arg % 7 == 0) rt_yield();
  rt_wg_done(&once_wg);
}

static void once_main(void *arg) {
  (void)arg;
  rt_wg_add(&once_wg, ONCE_N);
  for (intptr_t i = 0; i < ONCE_N; i++) rt_go(once_g, (void *)i);
  rt_wg_wait(&once_wg);
}

static void prop_once(void) {
  for (int procs = 1; procs <= 2; procs++) {
    memset(once_runs, 0, sizeof once_runs);
    run(procs, once_main, NULL);
    for (int i = 0; i < ONCE_N; i++)
      CHECKF(once_runs[i] == 1, "procs %d: G %d ran %d times", procs, i, once_runs[i]);
  }
}

/* ==== storm: 100k operations of spawn, yield, channel traffic, select == */

/* Workers push their items over two channels (plain sends and selects
** over both), yield, and spawn leaf Gs; main receives everything with a
** select over both channels.  Every item must arrive exactly once. */
#define STORM_WORKERS 50
#define STORM_ITEMS 1000   /* per worker: 50 x 1000 items + yields + spawns */
static rt_chan *storm_ch[2];
static rt_waitgroup storm_wg;
static _Atomic int64_t storm_spawned;

static void storm_leaf(void *arg) {
  atomic_fetch_add(&storm_spawned, (intptr_t)arg);
  rt_wg_done(&storm_wg);
}

static void storm_worker(void *arg) {
  intptr_t id = (intptr_t)arg;
  int64_t base = id * STORM_ITEMS;
  for (int64_t i = 0; i < STORM_ITEMS; i++) {
    int64_t v = base + i + 1;
    if (id % 2) {
      rt_case k[2] = { { storm_ch[0], RT_SEND, &v, false }, { storm_ch[1], RT_SEND, &v, false } };
      rt_select(k, 2, true);
    } else {
      rt_chan_send(storm_ch[i % 2], &v);
    }
    if (i % 10 == 0) rt_yield();
    if (i % 50 == 0) {
      rt_wg_add(&storm_wg, 1);
      rt_go(storm_leaf, (void *)(intptr_t)1);
    }
  }
  rt_wg_done(&storm_wg);
}

typedef struct storm_out {
  int64_t sum, count;      /* what the consumer received */
  uint8_t *seen;           /* one byte per item */
  int64_t dups;            /* items received twice */
  int64_t bad;             /* out-of-range values or failed receives */
} storm_out;

static void storm_main(void *arg) {
  storm_out *o = arg;
  int64_t total = (int64_t)STORM_WORKERS * STORM_ITEMS;
  storm_ch[0] = rt_chan_make(sizeof(int64_t), 16);
  storm_ch[1] = rt_chan_make(sizeof(int64_t), 0);
  rt_wg_add(&storm_wg, STORM_WORKERS);
  for (intptr_t w = 0; w < STORM_WORKERS; w++) rt_go(storm_worker, (void *)w);
  int64_t v;
  for (int64_t i = 0; i < total; i++) {
    rt_case k[2] = { { storm_ch[0], RT_RECV, &v, false }, { storm_ch[1], RT_RECV, &v, false } };
    int c = rt_select(k, 2, true);
    if (c < 0 || !k[c].ok || v < 1 || v > total) {
      o->bad++;
      continue;
    }
    o->sum += v;
    o->count++;
    if (o->seen[v - 1]++) o->dups++;
  }
  rt_wg_wait(&storm_wg);
  rt_chan_free(storm_ch[0]);
  rt_chan_free(storm_ch[1]);
}

static void prop_storm(int procs) {
  int64_t total = (int64_t)STORM_WORKERS * STORM_ITEMS;
  storm_out o = { .seen = calloc((size_t)total, 1) };
  storm_spawned = 0;
  run(procs, storm_main, &o);
  CHECK_EQ(o.bad, 0);
  CHECK_EQ(o.count, total);
  CHECK_EQ(o.sum, total * (total + 1) / 2);
  CHECK_EQ(o.dups, 0);
  CHECK_EQ(storm_spawned, STORM_WORKERS * (STORM_ITEMS / 50));
  free(o.seen);
}

/* ==== chan: rendezvous, FIFO buffers, len/cap ======================== */

static rt_waitgroup chan_wg;

static void chan_sender(void *arg) {
  rt_chan *c = arg;
  for (int i = 0; i < 1000; i++) rt_chan_send(c, &i);
  rt_wg_done(&chan_wg);
}

static void chan_main(void *arg) {
  (void)arg;
  /* Unbuffered and buffered: one sender's values arrive in order. */
  size_t caps[] = { 0, 1, 7, 128 };
  for (int k = 0; k < 4; k++) {
    rt_chan *c = rt_chan_make(sizeof(int), caps[k]);
    CHECK_EQ(rt_chan_cap(c), caps[k]);
    rt_wg_add(&chan_wg, 1);
    rt_go(chan_sender, c);
    for (int i = 0; i < 1000; i++) {
      int v = -1;
      CHECK(rt_chan_recv(c, &v));
      CHECK_EQ(v, i);
    }
    rt_wg_wait(&chan_wg);
    CHECK_EQ(rt_chan_len(c), 0);
    rt_chan_free(c);
  }
  /* len counts buffered elements. */
  rt_chan *b = rt_chan_make(sizeof(int), 4);
  for (int i = 0; i < 3; i++) rt_chan_send(b, &i);
  CHECK_EQ(rt_chan_len(b), 3);
  rt_chan_free(b);
}

static void prop_chan(void) { run(2, chan_main, NULL); }

/* ==== select: uniform choice, default, nil channels, blocking ======== */

static void select_sender(void *arg) {
  rt_chan *c = arg;
  int v = 42;
  rt_chan_send(c, &v);
  rt_wg_done(&chan_wg);
}

static void select_main(void *arg) {
  (void)arg;
  /* Four ready buffered channels: each chosen about a quarter of the time. */
  rt_chan *c[4];
  rt_case cases[4];
  int hits[4] = { 0 }, v = 0;
  for (int i = 0; i < 4; i++) c[i] = rt_chan_make(sizeof(int), 1);
  for (int round = 0; round < 4000; round++) {
    for (int i = 0; i < 4; i++)
      if (rt_chan_len(c[i]) == 0) rt_chan_send(c[i], &i);
    for (int i = 0; i < 4; i++) cases[i] = (rt_case){ c[i], RT_RECV, &v, false };
    int k = rt_select(cases, 4, true);
    CHECK(k >= 0 && k < 4);
    CHECK_EQ(v, k);
    CHECK(cases[k].ok);
    hits[k]++;
  }
  for (int i = 0; i < 4; i++) CHECKF(hits[i] > 600, "case %d chosen %d of 4000", i, hits[i]);
  /* Default: nothing ready -> -1; nil channels never ready. */
  for (int i = 0; i < 4; i++)
    if (rt_chan_len(c[i]) > 0) rt_chan_recv(c[i], NULL);
  rt_case none[2] = { { NULL, RT_RECV, &v, false }, { c[0], RT_RECV, &v, false } };
  CHECK_EQ(rt_select(none, 2, false), -1);
  /* Blocking: a sender arrives later; send cases complete too. */
  rt_chan *u = rt_chan_make(sizeof(int), 0);
  rt_wg_add(&chan_wg, 1);
  rt_go(select_sender, u);
  rt_case blk[2] = { { NULL, RT_SEND, &v, false }, { u, RT_RECV, &v, false } };
  v = 0;
  CHECK_EQ(rt_select(blk, 2, true), 1);
  CHECK_EQ(v, 42);
  rt_wg_wait(&chan_wg);
  int out = 7;
  rt_case snd[1] = { { c[1], RT_SEND, &out, false } };
  CHECK_EQ(rt_select(snd, 1, true), 0);
  CHECK(rt_chan_recv(c[1], &v) && v == 7);
  for (int i = 0; i < 4; i++) rt_chan_free(c[i]);
  rt_chan_free(u);
}

static void prop_select(void) { run(2, select_main, NULL); }

/* ==== close: every receiver wakes with ok = false ==================== */

static _Atomic int close_false;

static void close_receiver(void *arg) {
  int v = 99;
  if (!rt_chan_recv(arg, &v) && v == 0) atomic_fetch_add(&close_false, 1);
  rt_wg_done(&chan_wg);
}

static void close_main(void *arg) {
  (void)arg;
  rt_chan *c = rt_chan_make(sizeof(int), 0);
  rt_wg_add(&chan_wg, 20);
  for (int i = 0; i < 20; i++) rt_go(close_receiver, c);
  for (int i = 0; i < 50; i++) rt_yield();
  rt_chan_close(c);
  rt_wg_wait(&chan_wg);
  CHECK_EQ(close_false, 20);
  /* A closed buffered channel gives what it holds, then zero values. */
  rt_chan *b = rt_chan_make(sizeof(int), 3);
  for (int i = 1; i <= 2; i++) rt_chan_send(b, &i);
  rt_chan_close(b);
  int v = -1;
  CHECK(rt_chan_recv(b, &v) && v == 1);
  CHECK(rt_chan_recv(b, &v) && v == 2);
  CHECK(!rt_chan_recv(b, &v) && v == 0);
  rt_case k[1] = { { b, RT_RECV, &v, true } };
  CHECK_EQ(rt_select(k, 1, true), 0);
  CHECK(!k[0].ok);
  rt_chan_free(b);
  rt_chan_free(c);
}

static void prop_close(void) { run(2, close_main, NULL); }

/* ==== deadlock and misuse: fatal, exit 2, named ====================== */

static void deadlock_main(void *arg) {
  (void)arg;
  rt_chan *c = rt_chan_make(sizeof(int), 0);
  int v;
  rt_chan_recv(c, &v);  /* nobody will ever send */
}
static void deadlock_child(void) { run(2, deadlock_main, NULL); }

static void prop_deadlock(void) {
  char err[4096];
  CHECK_EQ(check_in_child(deadlock_child, err, sizeof err), 2);
  CHECKF(strstr(err, "deadlock"), "stderr: %s", err);
  CHECKF(strstr(err, "goroutine 1 [chan receive]"), "stderr: %s", err);
}

static void misuse_main(void *arg) {
  (void)arg;
  rt_chan *c = rt_chan_make(sizeof(int), 1);
  int v = 1;
  rt_chan_close(c);
  rt_chan_send(c, &v);
}
static void misuse_child(void) { run(1, misuse_main, NULL); }

static void prop_misuse(void) {
  char err[4096];
  CHECK_EQ(check_in_child(misuse_child, err, sizeof err), 2);
  CHECKF(strstr(err, "send on closed channel (goroutine 1)"), "stderr: %s", err);
}

/* ==== steal: an idle P takes work from a loaded one ==================
** main spawns CPU-bound Gs on its own P; they keep working (yielding now
** and then) until one of them finds itself on another thread than main's,
** or a generous bound of rounds runs out.  Only the bound can fail it, so
** the outcome does not hang on timing. */

#define STEAL_GS 64
#define STEAL_MAX_ROUNDS 20000
static pthread_t steal_main_thread;
static _Atomic int steal_seen;   /* a G ran on another thread */
static rt_waitgroup steal_wg;

static void steal_g(void *arg) {
  (void)arg;
  volatile uint64_t x = 0;
  for (int round = 0; round < STEAL_MAX_ROUNDS && !atomic_load(&steal_seen); round++) {
    for (int i = 0; i < 2000; i++) x += (uint64_t)i;
    if (!pthread_equal(pthread_self(), steal_main_thread)) atomic_store(&steal_seen, 1);
    rt_yield();
  }
  rt_wg_done(&steal_wg);
}

static void steal_main(void *arg) {
  (void)arg;
  steal_main_thread = pthread_self();
  rt_wg_add(&steal_wg, STEAL_GS);
  for (intptr_t i = 0; i < STEAL_GS; i++) rt_go(steal_g, (void *)i);
  rt_wg_wait(&steal_wg);
}

static void prop_steal(void) {
  run(2, steal_main, NULL);
  CHECKF(steal_seen, "no G ever ran on a second thread: the idle P took nothing");
  uint64_t cnt[2 * RT_CNT__N];
  CHECK_EQ(rt_counters(cnt, 2), 2);
  uint64_t taken = 0;
  for (int p = 0; p < 2; p++)
    taken += cnt[p * RT_CNT__N + RT_CNT_STEALS] + cnt[p * RT_CNT__N + RT_CNT_GLOBAL];
  CHECKF(taken > 0, "no steals or global-queue takes were counted");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: conformance POLICY PROPERTY\n");
    return 2;
  }
  policy = argv[1];
  const char *p = argv[2];
  if (!strcmp(p, "once")) prop_once();
  else if (!strcmp(p, "storm1")) prop_storm(1);
  else if (!strcmp(p, "storm2")) prop_storm(2);
  else if (!strcmp(p, "storm4")) prop_storm(4);
  else if (!strcmp(p, "storm8")) prop_storm(8);
  else if (!strcmp(p, "chan")) prop_chan();
  else if (!strcmp(p, "select")) prop_select();
  else if (!strcmp(p, "close")) prop_close();
  else if (!strcmp(p, "deadlock")) prop_deadlock();
  else if (!strcmp(p, "misuse")) prop_misuse();
  else if (!strcmp(p, "steal")) prop_steal();
  else {
    fprintf(stderr, "conformance: unknown property '%s' (allowed: once, storm1, storm2, "
                    "storm4, storm8, chan, select, close, deadlock, misuse, steal)\n", p);
    return 2;
  }
  return check_done(p);
}
