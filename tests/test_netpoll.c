/*
** test_netpoll.c: file descriptors on the netpoller (framework/netpoll.c).
**   - storm: 64 loopback TCP connections at once, each sending 200
**     messages of 1 byte to 64 KiB through an echo G (small socket
**     buffers, so writes park) from a writer G while a reader G on the
**     same fd checks every byte that comes back, then end of file;
**   - end of file: the peer closes while a read is parked; half-close:
**     shutdown(SHUT_WR), the server reads to end of file and still
**     replies;
**   - deadlines: a read deadline expires, not before its time; later
**     reads fail too; one in the past fails at once, even with data
**     waiting; cleared, reads work again; one set while a read is parked
**     ends it; a write deadline on a full socket stops the write;
**   - rt_fd_close of an fd a G is parked on wakes it with -EBADF;
**   - on one P a G parked in rt_fd_read does not stop the others;
**   - no deadlock is reported while a G waits on an fd that a plain
**     thread will write; one is, once no G waits on the network;
**   - errors: a regular file, an fd watched twice, a refused connection,
**     an fd never watched.
** Every run at 1 and 2 Ps.  No wall-clock upper bound anywhere: a wait
** that never ends is a bug that CTest's timeout reports.
*/
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "rt.h"

#define MS 1000000ll       /* ns */

/* CHECK_EQ evaluates its operands again to print them: calls go here. */
#define EQ(expr, want) do { long long got_ = (long long)(expr), want_ = (long long)(want); \
  if (got_ != want_) { check_failures++; fprintf(stderr, "%s:%d: CHECK failed: %s == %s: " \
    "got %lld, want %lld\n", __FILE__, __LINE__, #expr, #want, got_, want_); } } while (0)

static int procs;          /* Ps of the runs now */

static void run(rt_fn fn, const char *what) {
  printf("%s at %d P%s\n", what, procs, procs > 1 ? "s" : "");
  fflush(stdout);
  char err[512] = "";
  rt_config cfg = {.procs = procs, .err = err, .errlen = sizeof err};
  int rc = rt_run(&cfg, fn, NULL);
  CHECKF(rc == RT_OK, "%s at %d Ps: rt_run: %d %s", what, procs, rc, err);
}

/* ==== helpers: loopback sockets ====================================== */

static void bufsize(int fd, int bytes) {
  if (bytes <= 0) return;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

/* A listener on 127.0.0.1, an ephemeral port (written to *a). */
static int listen_lo(struct sockaddr_in *a, int buf) {
  int l = rt_fd_socket(AF_INET, SOCK_STREAM, 0);
  CHECKF(l >= 0, "rt_fd_socket: %s", strerror(-l));
  if (l < 0) return l;
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bufsize(l, buf);  /* accepted sockets inherit it */
  *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int rc = rt_fd_bind(l, (struct sockaddr *)a, sizeof *a);
  CHECKF(rc == 0, "rt_fd_bind: %s", strerror(-rc));
  rc = rt_fd_listen(l, 128);
  CHECKF(rc == 0, "rt_fd_listen: %s", strerror(-rc));
  socklen_t len = sizeof *a;
  CHECK(getsockname(l, (struct sockaddr *)a, &len) == 0);
  return l;
}

static int dial(const struct sockaddr_in *a, int buf) {
  int c = rt_fd_socket(AF_INET, SOCK_STREAM, 0);
  CHECKF(c >= 0, "rt_fd_socket: %s", strerror(-c));
  if (c < 0) return c;
  bufsize(c, buf);
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = rt_fd_connect(c, (const struct sockaddr *)a, sizeof *a);
  CHECKF(rc == 0, "rt_fd_connect: %s", strerror(-rc));
  return c;
}

/* A connected pair: *c dialled, *s accepted. */
static void tcp_pair(int *c, int *s) {
  struct sockaddr_in a;
  int l = listen_lo(&a, 0);
  *c = dial(&a, 0);
  *s = rt_fd_accept(l, NULL, NULL);
  CHECKF(*s >= 0, "rt_fd_accept: %s", strerror(-*s));
  EQ(rt_fd_close(l), 0);
}

/* ==== (a) storm: many connections, big messages, every byte checked == */

#define SC 64              /* connections */
#define SN 200             /* messages each */
#define SBUF 8192          /* socket buffers: a 64 KiB message must park */

static struct sockaddr_in st_addr;
static int st_l;
static rt_waitgroup st_wg;
static _Atomic int st_bad;             /* wrong bytes, errors */
static _Atomic int64_t st_bytes;       /* bytes checked, all connections */

static inline uint8_t st_byte(int c, uint64_t k) {
  return (uint8_t)((k * 7 + (uint64_t)c * 13) ^ (k >> 8));
}

static size_t st_size(int c, int i) {
  uint64_t h = ((uint64_t)c << 32 | (uint64_t)i) * 0x9E3779B97F4A7C15ull;
  h ^= h >> 29;
  if (i == 0) return 65536;
  return 1 + (size_t)(h % (i % 8 == 0 ? 65536 : 2048));
}

static void st_echo(void *arg) {
  int fd = (int)(intptr_t)arg;
  char *buf = malloc(16384);
  long n;
  while ((n = rt_fd_read(fd, buf, 16384)) > 0) {
    long w = rt_fd_write(fd, buf, (unsigned long)n);
    if (w != n) {
      fprintf(stderr, "storm: echo write %ld of %ld: %s\n", w, n, w < 0 ? strerror((int)-w) : "");
      atomic_fetch_add(&st_bad, 1);
      break;
    }
  }
  if (n < 0) {
    fprintf(stderr, "storm: echo read: %s\n", strerror((int)-n));
    atomic_fetch_add(&st_bad, 1);
  }
  rt_fd_close(fd);
  free(buf);
  rt_wg_done(&st_wg);
}

static void st_accept(void *arg) {
  (void)arg;
  for (int i = 0; i < SC; i++) {
    int fd = rt_fd_accept(st_l, NULL, NULL);
    if (fd < 0) {
      fprintf(stderr, "storm: accept %d: %s\n", i, strerror(-fd));
      atomic_fetch_add(&st_bad, 1);
      break;
    }
    rt_wg_add(&st_wg, 1);
    rt_go(st_echo, (void *)(intptr_t)fd);
  }
  rt_wg_done(&st_wg);
}

typedef struct st_conn { int c, fd; rt_chan *done; } st_conn;

/* The writing half: every message whole, then half-close. */
static void st_writer(void *arg) {
  st_conn *k = arg;
  uint8_t *buf = malloc(65536);
  uint64_t at = 0;
  for (int i = 0; i < SN; i++) {
    size_t n = st_size(k->c, i);
    for (size_t j = 0; j < n; j++) buf[j] = st_byte(k->c, at + j);
    long w = rt_fd_write(k->fd, buf, n);
    if (w != (long)n) {
      fprintf(stderr, "storm: conn %d msg %d: write %ld of %zu: %s\n", k->c, i, w, n,
              w < 0 ? strerror((int)-w) : "");
      atomic_fetch_add(&st_bad, 1);
      break;
    }
    at += n;
  }
  EQ(rt_fd_shutdown(k->fd, SHUT_WR), 0);
  free(buf);
  rt_chan_send(k->done, NULL);
}

/* A connection: dial, write from a second G, read and check here. */
static void st_client(void *arg) {
  st_conn k = {.c = (int)(intptr_t)arg, .done = rt_chan_make(0, 0)};
  k.fd = dial(&st_addr, SBUF);
  uint64_t want = 0;
  for (int i = 0; i < SN; i++) want += st_size(k.c, i);
  rt_go(st_writer, &k);
  uint8_t *buf = malloc(32768);
  uint64_t at = 0;
  long n;
  int bad = 0;
  while ((n = rt_fd_read(k.fd, buf, 32768)) > 0) {
    for (long j = 0; j < n && !bad; j++)
      if (buf[j] != st_byte(k.c, at + (uint64_t)j)) {
        fprintf(stderr, "storm: conn %d byte %llu: got 0x%02x, want 0x%02x\n", k.c,
                (unsigned long long)(at + (uint64_t)j), buf[j], st_byte(k.c, at + (uint64_t)j));
        bad = 1;
      }
    at += (uint64_t)n;
  }
  if (n < 0) fprintf(stderr, "storm: conn %d read: %s\n", k.c, strerror((int)-n));
  if (at != want) fprintf(stderr, "storm: conn %d: %llu bytes back, want %llu\n", k.c,
                          (unsigned long long)at, (unsigned long long)want);
  atomic_fetch_add(&st_bad, bad + (n < 0) + (at != want));
  atomic_fetch_add(&st_bytes, (int64_t)at);
  rt_chan_recv(k.done, NULL);  /* the writer is out of the fd */
  rt_chan_free(k.done);
  rt_fd_close(k.fd);
  free(buf);
  rt_wg_done(&st_wg);
}

static void storm_main(void *arg) {
  (void)arg;
  atomic_store(&st_bad, 0);
  atomic_store(&st_bytes, 0);
  memset(&st_wg, 0, sizeof st_wg);
  st_l = listen_lo(&st_addr, SBUF);
  rt_wg_add(&st_wg, 1 + SC);
  rt_go(st_accept, NULL);
  for (int c = 0; c < SC; c++) rt_go(st_client, (void *)(intptr_t)c);
  rt_wg_wait(&st_wg);
  rt_fd_close(st_l);
  EQ(atomic_load(&st_bad), 0);
  int64_t want = 0;
  for (int c = 0; c < SC; c++)
    for (int i = 0; i < SN; i++) want += (int64_t)st_size(c, i);
  EQ(atomic_load(&st_bytes), want);
}

/* ==== (b) end of file, half-close ==================================== */

static rt_waitgroup wg;    /* helpers' Gs, per test */

static void close_later(void *arg) {
  rt_sleep(2 * MS);
  EQ(rt_fd_close((int)(intptr_t)arg), 0);
  rt_wg_done(&wg);
}

/* Reads to end of file ("ping" expected), then replies and closes. */
static void hc_server(void *arg) {
  int s = (int)(intptr_t)arg;
  char buf[64];
  size_t got = 0;
  long n;
  while ((n = rt_fd_read(s, buf + got, sizeof buf - got)) > 0) got += (size_t)n;
  EQ(n, 0);
  CHECKF(got == 4 && memcmp(buf, "ping", 4) == 0, "server got %zu bytes", got);
  EQ(rt_fd_write(s, "pong!", 5), 5);
  EQ(rt_fd_close(s), 0);
  rt_wg_done(&wg);
}

static void eof_main(void *arg) {
  (void)arg;
  int c, s;
  char buf[64];
  /* The peer closes while the read is parked. */
  tcp_pair(&c, &s);
  rt_wg_add(&wg, 1);
  rt_go(close_later, (void *)(intptr_t)s);
  EQ(rt_fd_read(c, buf, sizeof buf), 0);
  EQ(rt_fd_read(c, buf, sizeof buf), 0);  /* and stays at end of file */
  rt_wg_wait(&wg);
  EQ(rt_fd_close(c), 0);
  /* Half-close: the reply still comes after our end of file. */
  tcp_pair(&c, &s);
  rt_wg_add(&wg, 1);
  rt_go(hc_server, (void *)(intptr_t)s);
  EQ(rt_fd_write(c, "ping", 4), 4);
  EQ(rt_fd_shutdown(c, SHUT_WR), 0);
  size_t got = 0;
  long n;
  while ((n = rt_fd_read(c, buf + got, sizeof buf - got)) > 0) got += (size_t)n;
  EQ(n, 0);
  CHECKF(got == 5 && memcmp(buf, "pong!", 5) == 0, "client got %zu bytes", got);
  rt_wg_wait(&wg);
  EQ(rt_fd_close(c), 0);
}

/* ==== (c) deadlines ================================================== */

static void write_later(void *arg) {
  rt_sleep(2 * MS);
  EQ(rt_fd_write((int)(intptr_t)arg, "y", 1), 1);
  rt_wg_done(&wg);
}

static _Atomic int entering;   /* a G is about to call rt_fd_read/write */
static long parked_rc;          /* what that call returned */
static int64_t parked_at;       /* rt_now() when it returned */

static void park_read(void *arg) {
  char b[8];
  atomic_store(&entering, 1);
  parked_rc = rt_fd_read((int)(intptr_t)arg, b, sizeof b);
  parked_at = rt_now();
  rt_wg_done(&wg);
}

/* Waits until a helper is in its call, and some more: it is parked. */
static void until_parked(void) {
  while (!atomic_load(&entering)) rt_yield();
  rt_sleep(2 * MS);
}

static void deadline_main(void *arg) {
  (void)arg;
  int c, s;
  char b[8];
  tcp_pair(&c, &s);
  /* Expires, not before its time; later reads fail at once. */
  int64_t dl = rt_now() + 20 * MS;
  EQ(rt_fd_deadline(c, RT_FD_READ, dl), 0);
  EQ(rt_fd_read(c, b, sizeof b), -ETIMEDOUT);
  int64_t late = rt_now() - dl;
  CHECKF(late >= 0, "read deadline came %lld ns early", (long long)-late);
  EQ(rt_fd_read(c, b, sizeof b), -ETIMEDOUT);
  /* The write side is not the read side. */
  EQ(rt_fd_write(c, "w", 1), 1);
  EQ(rt_fd_read(s, b, sizeof b), 1);
  /* In the past: fails at once, even with data waiting. */
  EQ(rt_fd_write(s, "x", 1), 1);
  EQ(rt_fd_deadline(c, RT_FD_READ, rt_now() - 1), 0);
  long r = rt_fd_read(c, b, sizeof b);
  CHECKF(r == -ETIMEDOUT, "read past its deadline with data waiting: got %ld, want %d", r,
         -ETIMEDOUT);
  /* Cleared: the waiting byte, then one that comes later (parked). */
  EQ(rt_fd_deadline(c, RT_FD_READ, 0), 0);
  if (r != 1) {  /* (the failure above read it already: do not wait for it) */
    EQ(rt_fd_read(c, b, sizeof b), 1);
    EQ(b[0], 'x');
  }
  rt_wg_add(&wg, 1);
  rt_go(write_later, (void *)(intptr_t)s);
  EQ(rt_fd_read(c, b, sizeof b), 1);
  EQ(b[0], 'y');
  rt_wg_wait(&wg);
  /* Only the write side's deadline, in the past: reads still work. */
  EQ(rt_fd_deadline(c, RT_FD_WRITE, rt_now() - 1), 0);
  EQ(rt_fd_write(c, "z", 1), -ETIMEDOUT);
  EQ(rt_fd_write(s, "v", 1), 1);
  EQ(rt_fd_read(c, b, sizeof b), 1);
  EQ(rt_fd_deadline(c, RT_FD_READ | RT_FD_WRITE, 0), 0);
  EQ(rt_fd_write(c, "z", 1), 1);
  EQ(rt_fd_read(s, b, sizeof b), 1);
  /* Set while a read is parked: it ends that read. */
  atomic_store(&entering, 0);
  rt_wg_add(&wg, 1);
  rt_go(park_read, (void *)(intptr_t)c);
  until_parked();
  dl = rt_now() + 10 * MS;
  EQ(rt_fd_deadline(c, RT_FD_READ, dl), 0);
  rt_wg_wait(&wg);
  EQ(parked_rc, -ETIMEDOUT);
  CHECKF(parked_at >= dl, "pending read's deadline came %lld ns early",
         (long long)(dl - parked_at));
  EQ(rt_fd_close(c), 0);
  EQ(rt_fd_close(s), 0);

  /* A write deadline on a full socket (nobody reads): the bytes written
  ** before it passed, then -ETIMEDOUT. */
  int sp[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
  EQ(rt_fd_open(sp[0]), 0);
  EQ(rt_fd_open(sp[1]), 0);
  size_t big = 4 << 20;  /* far over a unix socket's buffer */
  char *buf = calloc(1, big);
  dl = rt_now() + 20 * MS;
  EQ(rt_fd_deadline(sp[0], RT_FD_WRITE, dl), 0);
  long w = rt_fd_write(sp[0], buf, big);
  late = rt_now() - dl;
  CHECKF(w > 0 && w < (long)big, "write with a deadline on a full socket returned %ld", w);
  CHECKF(late >= 0, "write deadline came %lld ns early", (long long)-late);
  EQ(rt_fd_write(sp[0], buf, 1), -ETIMEDOUT);
  free(buf);
  EQ(rt_fd_close(sp[0]), 0);
  EQ(rt_fd_close(sp[1]), 0);
}

/* ==== (d) close while parked ========================================= */

static void park_write(void *arg) {
  size_t big = 4 << 20;
  char *buf = calloc(1, big);
  atomic_store(&entering, 1);
  parked_rc = rt_fd_write((int)(intptr_t)arg, buf, big);
  free(buf);
  rt_wg_done(&wg);
}

static void close_main(void *arg) {
  (void)arg;
  int c, s;
  tcp_pair(&c, &s);
  atomic_store(&entering, 0);
  rt_wg_add(&wg, 1);
  rt_go(park_read, (void *)(intptr_t)c);
  until_parked();
  EQ(rt_fd_close(c), 0);
  rt_wg_wait(&wg);
  EQ(parked_rc, -EBADF);
  EQ(rt_fd_close(s), 0);
  /* A writer parked on a full socket: what it wrote before, or -EBADF. */
  int sp[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
  EQ(rt_fd_open(sp[0]), 0);
  EQ(rt_fd_open(sp[1]), 0);
  atomic_store(&entering, 0);
  rt_wg_add(&wg, 1);
  rt_go(park_write, (void *)(intptr_t)sp[0]);
  until_parked();
  EQ(rt_fd_close(sp[0]), 0);
  rt_wg_wait(&wg);
  CHECKF(parked_rc == -EBADF || (parked_rc > 0 && parked_rc < (4 << 20)),
         "parked write after close returned %ld", parked_rc);
  EQ(rt_fd_close(sp[1]), 0);
}

/* ==== (e) a parked reader does not hold its P ======================== */

static _Atomic int progress;   /* main's yields while the reader is parked */
static int seen;               /* progress when the reader's read returned */

static void count_read(void *arg) {
  char b[8];
  atomic_store(&entering, 1);
  parked_rc = rt_fd_read((int)(intptr_t)arg, b, sizeof b);
  seen = atomic_load(&progress);
  rt_wg_done(&wg);
}

static void progress_main(void *arg) {
  (void)arg;
  int c, s;
  tcp_pair(&c, &s);
  atomic_store(&entering, 0);
  atomic_store(&progress, 0);
  rt_wg_add(&wg, 1);
  rt_go(count_read, (void *)(intptr_t)c);
  while (!atomic_load(&entering)) rt_yield();
  for (int i = 0; i < 1000; i++) {
    rt_yield();
    atomic_fetch_add(&progress, 1);
  }
  EQ(rt_fd_write(s, "go", 2), 2);
  rt_wg_wait(&wg);
  EQ(parked_rc, 2);
  EQ(seen, 1000);
  EQ(rt_fd_close(c), 0);
  EQ(rt_fd_close(s), 0);
}

/* ==== (f) deadlock detection ========================================= */

/* A pipe whose write end a plain thread (not a G) writes, 50 ms apart:
** while a G waits on the read end, nothing is deadlocked (Go blocks in
** netpoll then), whether main waits there itself or on a channel. */
static int dl_pipe[2];
static rt_chan *dl_ch;

static void *dl_thread(void *arg) {
  (void)arg;
  for (const char *p = "ab"; *p; p++) {
    usleep(50000);
    if (write(dl_pipe[1], p, 1) != 1) return (void *)1;
  }
  return NULL;
}

static void dl_reader(void *arg) {
  (void)arg;
  char b = 0;
  EQ(rt_fd_read(dl_pipe[0], &b, 1), 1);
  rt_chan_send(dl_ch, &b);
}

static void dl_main(void *arg) {
  (void)arg;
  EQ(rt_fd_open(dl_pipe[0]), 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, dl_thread, NULL) == 0);
  char b = 0;
  EQ(rt_fd_read(dl_pipe[0], &b, 1), 1);
  EQ(b, 'a');
  dl_ch = rt_chan_make(1, 0);
  rt_go(dl_reader, NULL);
  CHECK(rt_chan_recv(dl_ch, &b));  /* every G asleep, one on the pipe */
  EQ(b, 'b');
  rt_chan_free(dl_ch);
  EQ(rt_fd_close(dl_pipe[0]), 0);
  pthread_join(t, NULL);  /* it has written both: returns at once */
}

static void dl_child(void) {
  if (pipe(dl_pipe) != 0) _exit(3);
  char err[512] = "";
  rt_config cfg = {.procs = procs, .err = err, .errlen = sizeof err};
  int rc = rt_run(&cfg, dl_main, NULL);
  if (rc != RT_OK) fprintf(stderr, "rt_run: %d %s\n", rc, err);
  _exit(rc != RT_OK || check_failures ? 1 : 0);
}

/* Once the fds are closed and no G waits on the network, a G blocked on
** a channel nobody sends on is a deadlock again. */
static void dl2_main(void *arg) {
  (void)arg;
  int c, s;
  tcp_pair(&c, &s);
  rt_wg_add(&wg, 1);
  rt_go(write_later, (void *)(intptr_t)s);
  char b[4];
  EQ(rt_fd_read(c, b, sizeof b), 1);
  rt_wg_wait(&wg);
  rt_fd_close(c);
  rt_fd_close(s);
  rt_chan *ch = rt_chan_make(sizeof(int), 0);
  int v;
  rt_chan_recv(ch, &v);  /* nobody sends */
}

static void dl2_child(void) {
  rt_config cfg = {.procs = procs};
  rt_run(&cfg, dl2_main, NULL);
}

static void test_deadlock(void) {
  char err[4096];
  int st = check_in_child(dl_child, err, sizeof err);
  CHECKF(st == 0, "pipe written by a thread at %d Ps: exit %d, stderr: %s", procs, st, err);
  CHECKF(!strstr(err, "deadlock"), "at %d Ps, stderr: %s", procs, err);
  st = check_in_child(dl2_child, err, sizeof err);
  CHECKF(st == 2, "deadlock after the network at %d Ps: exit %d, stderr: %s", procs, st, err);
  CHECKF(strstr(err, "all goroutines are asleep - deadlock!"), "stderr: %s", err);
  CHECKF(strstr(err, "goroutine 1 [chan receive]"), "stderr: %s", err);
}

/* ==== (g) errors ===================================================== */

static void errors_main(void *arg) {
  (void)arg;
  FILE *f = tmpfile();
  CHECK(f != NULL);
  if (f) {
    EQ(rt_fd_open(fileno(f)), -EPERM);
    fclose(f);
  }
  int p[2];
  CHECK(pipe(p) == 0);
  EQ(rt_fd_open(p[0]), 0);
  EQ(rt_fd_open(p[0]), -EEXIST);
  EQ(rt_fd_close(p[0]), 0);
  close(p[1]);
  /* Never watched (a byte is waiting, so a plain read would not block):
  ** the header does not say which error; -EBADF is what we expect. */
  int q[2];
  char b[4];
  CHECK(pipe(q) == 0);
  CHECK(write(q[1], "q", 1) == 1);
  long r = rt_fd_read(q[0], b, sizeof b);
  CHECKF(r < 0, "rt_fd_read on an fd never watched returned %ld", r);
  if (r != -EBADF) printf("note: rt_fd_read on an fd never watched: %ld (%s), not -EBADF\n", r,
                          r < 0 ? strerror((int)-r) : "no error");
  close(q[0]);
  close(q[1]);
  /* A port nobody listens on: refused. */
  int l = rt_fd_socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  EQ(rt_fd_bind(l, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  CHECK(getsockname(l, (struct sockaddr *)&a, &len) == 0);
  int c = rt_fd_socket(AF_INET, SOCK_STREAM, 0);
  EQ(rt_fd_connect(c, (struct sockaddr *)&a, sizeof a), -ECONNREFUSED);
  EQ(rt_fd_close(c), 0);
  EQ(rt_fd_close(l), 0);
}

/* ==== close racing with reads and writes =========================== */

/* Open fds of the process, from /proc/self/fd. */
static int open_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

typedef struct cr_pair {
  int a, b;                   /* the two ends of a socketpair, watched */
  _Atomic int bad;            /* results no call may give */
  _Atomic long badrc;         /* the last such result */
  rt_waitgroup *wg;           /* the three Gs */
} cr_pair;

static void cr_reader(void *arg) {
  cr_pair *p = arg;
  char buf[256];
  for (;;) {
    long r = rt_fd_read(p->a, buf, sizeof buf);
    if (r > 0) continue;
    /* Closed under it, end of file, or a reset: the peer end was closed
    ** with bytes the writer sent still unread. */
    if (r != -EBADF && r != 0 && r != -ECONNRESET) {
      atomic_fetch_add(&p->bad, 1);
      atomic_store(&p->badrc, r);
    }
    break;
  }
  rt_wg_done(p->wg);
}

static void cr_writer(void *arg) {
  cr_pair *p = arg;
  char buf[512] = {1};
  for (;;) {
    long r = rt_fd_write(p->a, buf, sizeof buf);
    if (r == (long)sizeof buf) continue;
    if (r != -EBADF && r != -EPIPE && r != -ECONNRESET && !(r > 0)) {
      atomic_fetch_add(&p->bad, 1);
      atomic_store(&p->badrc, r);
    }
    break;
  }
  rt_wg_done(p->wg);
}

static uint64_t cr_rand(void) {  /* shared xorshift; races only reorder draws */
  static _Atomic uint64_t seed = 88172645463325252ull;
  uint64_t x = atomic_load_explicit(&seed, memory_order_relaxed);
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  atomic_store_explicit(&seed, x, memory_order_relaxed);
  return x;
}

/* The peer end drains for a while, then fd a is closed under the reader
** and the writer, both of which may be parked or mid-call. */
static void cr_closer(void *arg) {
  cr_pair *p = arg;
  char buf[4096];
  int spins = (int)(cr_rand() % 64);
  for (int i = 0; i < spins; i++) {
    if (rt_fd_read(p->b, buf, sizeof buf) < 0) break;
    if (i % 8 == 0) rt_yield();
  }
  int rc = rt_fd_close(p->a);
  if (rc != 0) {
    atomic_fetch_add(&p->bad, 1);
    atomic_store(&p->badrc, rc);
  }
  rt_fd_close(p->b);  /* the writer, if blocked on a full buffer, sees EBADF */
  rt_wg_done(p->wg);
}

static void closerace_main(void *arg) {
  (void)arg;
  int before = open_fds();
  for (int round = 0; round < 200; round++) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    cr_pair p = {.a = sv[0], .b = sv[1]};
    EQ(rt_fd_open(sv[0]), 0);
    EQ(rt_fd_open(sv[1]), 0);
    rt_waitgroup wg = {0};
    p.wg = &wg;
    rt_wg_add(&wg, 3);
    rt_go(cr_reader, &p);
    rt_go(cr_writer, &p);
    rt_go(cr_closer, &p);
    rt_wg_wait(&wg);
    CHECKF(atomic_load(&p.bad) == 0, "round %d: %d calls gave an error they should not (%ld)",
           round, atomic_load(&p.bad), atomic_load(&p.badrc));
    /* Both numbers are free again: a second close of either is EBADF. */
    EQ(rt_fd_close(sv[0]), -EBADF);
  }
  /* Every fd was closed exactly once: none leaked, none closed twice
  ** (a double close would have closed someone else's number). */
  CHECKF(open_fds() == before, "open fds: %d before, %d after", before, open_fds());
}

static const struct { const char *name; rt_fn fn; } phases[] = {
  {"storm", storm_main}, {"eof", eof_main}, {"deadline", deadline_main},
  {"close", close_main}, {"progress", progress_main}, {"deadlock", NULL},
  {"errors", errors_main}, {"closerace", closerace_main},
};

/* test_netpoll [PHASE [PROCS [REPS]]]: all phases at 1 and 2 Ps, or one
** phase, REPS times (to chase a rare failure). */
int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : NULL;
  int p0 = argc > 2 ? atoi(argv[2]) : 1, p1 = argc > 2 ? p0 : 2;
  int reps = argc > 3 ? atoi(argv[3]) : 1;
  for (int r = 0; r < reps; r++)
    for (procs = p0; procs <= p1; procs++)
      for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        if (only && strcmp(only, phases[i].name) != 0) continue;
        if (phases[i].fn) run(phases[i].fn, phases[i].name);
        else test_deadlock();
      }
  return check_done("test_netpoll");
}
