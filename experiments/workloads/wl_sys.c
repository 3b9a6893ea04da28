/*
** wl_sys.c: blocking system calls, on rt_syscall_enter / rt_syscall_exit.
**
**   syscall  `readers` Gs each block in read() on a pipe of their own,
**            inside rt_syscall_enter/exit; a feeder G writes one byte to
**            each in turn and waits for the reader's acknowledgement on a
**            channel, while `workers` Gs compute in chunks of work_us and
**            yield, keeping every P busy.  n reads in total; latency is
**            the time from a write to its reader running again (the hand-off
**            back to a P).  With one P and no hand-off nothing would run
**            while a reader is blocked: the workload could not finish.
**            block=off (the default) enters with rt_syscall_enter: the P
**            stays with the reader until sysmon retakes it, 20 us into
**            the call (Go's entersyscall); block=on with
**            rt_syscall_enter_block: the P goes at once (entersyscallblock).
*/
#include "workloads.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { S_N, S_READERS, S_WORKERS, S_WORK_US, S_BLOCK };
static const rt_param s_params[] = {
  {"n", RT_PT_INT, 2000, 1, 1e9, NULL, "blocking reads in total"},
  {"readers", RT_PT_INT, 4, 1, 1000, NULL, "Gs blocking in read(), a pipe each"},
  {"workers", RT_PT_INT, 1, 0, 1000, NULL, "Gs computing meanwhile"},
  {"work_us", RT_PT_INT, 20, 1, 1e6, NULL, "length of a worker's chunk between yields"},
  {"block", RT_PT_BOOL, 0, 0, 0, NULL,
   "readers hand their P off at once (rt_syscall_enter_block), not after sysmon's 20 us"},
};

typedef struct s_state {
  int (*fd)[2];            /* a pipe per reader */
  int64_t *late;           /* write-to-run latency of each read, ns */
  _Atomic int64_t *sent;   /* per reader: rt_now() at its last write */
  rt_chan *ack;            /* readers -> feeder: one per read */
  _Atomic int stop;        /* readers done: workers leave */
  int64_t work_ns;         /* worker chunk */
  bool block;              /* enter with rt_syscall_enter_block */
  rt_waitgroup wg;         /* readers and workers */
} s_state;

typedef struct s_reader { s_state *s; int i; int64_t n, at; } s_reader;

static void s_read1(void *arg) {
  s_reader *r = arg;
  s_state *s = r->s;
  for (int64_t k = 0; k < r->n; k++) {
    char c;
    if (s->block) rt_syscall_enter_block();
    else rt_syscall_enter();
    ssize_t got = read(s->fd[r->i][0], &c, 1);
    rt_syscall_exit();
    s->late[r->at + k] = got == 1 ? rt_now() - atomic_load(&s->sent[r->i]) : -1;
    rt_chan_send(s->ack, NULL);
  }
  rt_wg_done(&s->wg);
}

static void s_work1(void *arg) {
  s_state *s = arg;
  volatile uint64_t x = 0;
  while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
    int64_t end = rt_now() + s->work_ns;
    while (rt_now() < end) x += 1;
    rt_yield();
  }
  rt_wg_done(&s->wg);
}

static int s_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[S_N].i, nr = v[S_READERS].i < n ? v[S_READERS].i : n, nw = v[S_WORKERS].i;
  s_state s = {.work_ns = v[S_WORK_US].i * 1000, .block = v[S_BLOCK].i != 0};
  s.fd = calloc((size_t)nr, sizeof *s.fd);
  s.late = malloc((size_t)n * sizeof *s.late);
  s.sent = calloc((size_t)nr, sizeof *s.sent);
  s_reader *rd = calloc((size_t)nr, sizeof *rd);
  s.ack = rt_chan_make(0, 0);
  int ok = s.fd && s.late && s.sent && rd && s.ack;
  int64_t opened = 0;
  for (; ok && opened < nr; opened++) ok = pipe(s.fd[opened]) == 0;
  int bad = 0;
  if (ok) {
    rt_wg_add(&s.wg, nr + nw);
    int64_t at = 0;
    for (int64_t i = 0; i < nr; i++) {
      rd[i] = (s_reader){&s, (int)i, n / nr + (i < n % nr), at};
      at += rd[i].n;
      rt_go(s_read1, &rd[i]);
    }
    for (int64_t i = 0; i < nw; i++) rt_go(s_work1, &s);
    for (int64_t k = 0; k < n; k++) {  /* the feeder: round robin, one at a time */
      int i = (int)(k % nr);
      if (k / nr >= rd[i].n) continue;
      atomic_store(&s.sent[i], rt_now());
      char c = 1;
      if (write(s.fd[i][1], &c, 1) != 1) bad++;
      rt_chan_recv(s.ack, NULL);
    }
    atomic_store(&s.stop, 1);
    rt_wg_wait(&s.wg);
    for (int64_t k = 0; k < n; k++) bad += s.late[k] < 0;
    wl_latency(s.late, (size_t)n);
  }
  for (int64_t i = 0; i < opened; i++) {
    close(s.fd[i][0]);
    close(s.fd[i][1]);
  }
  if (s.ack) rt_chan_free(s.ack);
  free(s.fd);
  free(s.late);
  free(s.sent);
  free(rd);
  *ops = ok ? (uint64_t)n : 0;
  if (!ok) snprintf(err, errlen, "syscall: out of memory or pipes for %lld readers", (long long)nr);
  else if (bad) snprintf(err, errlen, "syscall: %d reads or writes failed", bad);
  return !ok || bad;
}

const wl_desc wl_syscall = {
  .name = "syscall",
  .summary = "Gs blocking in read() on pipes while others compute: the P hand-off",
  .params = s_params,
  .nparams = (int)(sizeof s_params / sizeof s_params[0]),
  .run = s_run,
};
