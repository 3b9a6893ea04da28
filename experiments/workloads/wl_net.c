/*
** wl_net.c: network workloads, on the netpoller (rt_fd_*).
**
**   echo  a TCP echo server on 127.0.0.1 (an ephemeral port): an acceptor
**         G takes `clients` connections and gives each a G that reads
**         whatever arrives and writes it back until end of file.  Each of
**         `clients` client Gs connects, then does n round trips: writes
**         `size` bytes (a pattern of its own that changes every round),
**         reads exactly as many back and compares them.  A wrong byte, an
**         early end of file or any error fails the trial, naming the
**         client, the round and the error.  ops = n * clients round trips,
**         so ns_per_op is the time of one round trip with `clients` in
**         flight: two wake-ups through the poller, one each way.
**
** Nagle's algorithm is off on both sides (TCP_NODELAY), as Go's net
** package sets it on every TCP connection by default: a small write would
** otherwise wait for the ACK of the previous one, and the workload would
** time the delayed-ACK timer rather than the runtime.
*/
#include "workloads.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { E_N, E_CLIENTS, E_SIZE };
static const rt_param e_params[] = {
  {"n", RT_PT_INT, 2000, 1, 1e9, NULL, "round trips per client"},
  {"clients", RT_PT_INT, 16, 1, 10000, NULL, "client Gs, a connection each"},
  {"size", RT_PT_INT, 64, 1, 1048576, NULL, "bytes per message"},
};

#define E_BUF 65536        /* a server G's read buffer, at most */

typedef struct e_state {
  struct sockaddr_in addr; /* the listener's address */
  int lfd;                 /* the listening socket */
  int64_t n, clients;      /* round trips per client, client count */
  size_t size;             /* bytes per message */
  _Atomic int failed;      /* set by the first G that fails */
  char err[256];           /* its message (written by that G alone) */
  rt_waitgroup cwg;        /* the client Gs */
  rt_waitgroup swg;        /* the acceptor and the server Gs */
} e_state;

typedef struct e_conn { e_state *s; int fd; } e_conn;      /* a server G's */
typedef struct e_cli { e_state *s; int64_t k; } e_cli;     /* client k's */

/* Records the first failure; later ones are consequences (a peer that
** closed because of it) and are dropped. */
static void e_fail(e_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void e_fail(e_state *s, const char *fmt, ...) {
  int no = 0;
  if (!atomic_compare_exchange_strong(&s->failed, &no, 1)) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->err, sizeof s->err, fmt, ap);
  va_end(ap);
}

static void e_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ==== the server side ================================================ */

/* One connection: echo until end of file. */
static void e_serve(void *arg) {
  e_conn *c = arg;
  e_state *s = c->s;
  size_t cap = s->size < E_BUF ? s->size : E_BUF;
  char *buf = malloc(cap);
  if (!buf) e_fail(s, "echo: server: out of memory for a %zu-byte buffer", cap);
  for (;;) {
    long got = buf ? rt_fd_read(c->fd, buf, cap) : 0;
    if (got == 0) break;
    if (got < 0) {
      e_fail(s, "echo: server fd %d: read: %s", c->fd, strerror((int)-got));
      break;
    }
    long put = rt_fd_write(c->fd, buf, (unsigned long)got);
    if (put != got) {
      e_fail(s, "echo: server fd %d: write: %s", c->fd,
             put < 0 ? strerror((int)-put) : "short write");
      break;
    }
  }
  rt_fd_close(c->fd);
  free(buf);
  free(c);
  rt_wg_done(&s->swg);
}

/* Accepts `clients` connections, a server G each.  main closes the
** listener once the clients are done: a client that failed before it
** connected leaves this G parked in accept, and the close wakes it. */
static void e_accept(void *arg) {
  e_state *s = arg;
  for (int64_t i = 0; i < s->clients; i++) {
    int fd = rt_fd_accept(s->lfd, NULL, NULL);
    if (fd < 0) {
      e_fail(s, "echo: accept (connection %lld): %s", (long long)i, strerror(-fd));
      break;
    }
    e_nodelay(fd);
    e_conn *c = malloc(sizeof *c);
    if (!c) {
      e_fail(s, "echo: accept: out of memory");
      rt_fd_close(fd);
      break;
    }
    *c = (e_conn){s, fd};
    rt_wg_add(&s->swg, 1);
    rt_go(e_serve, c);
  }
  rt_wg_done(&s->swg);
}

/* ==== the clients ==================================================== */

/* Byte j of client k's message in round r. */
static inline unsigned char e_byte(int64_t k, int64_t r, size_t j) {
  return (unsigned char)(j + (size_t)r * 7 + (size_t)k * 131);
}

static void e_client(void *arg) {
  e_state *s = ((e_cli *)arg)->s;
  int64_t k = ((e_cli *)arg)->k;
  free(arg);
  unsigned char *out = malloc(s->size), *in = malloc(s->size);
  int fd = -1;
  if (!out || !in) {
    e_fail(s, "echo: client %lld: out of memory for %zu-byte messages", (long long)k, s->size);
    goto done;
  }
  fd = rt_fd_socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    e_fail(s, "echo: client %lld: socket: %s", (long long)k, strerror(-fd));
    goto done;
  }
  e_nodelay(fd);
  int rc = rt_fd_connect(fd, (const struct sockaddr *)&s->addr, sizeof s->addr);
  if (rc < 0) {
    e_fail(s, "echo: client %lld: connect: %s", (long long)k, strerror(-rc));
    goto done;
  }
  for (int64_t r = 0; r < s->n && !atomic_load_explicit(&s->failed, memory_order_relaxed);
       r++) {
    for (size_t j = 0; j < s->size; j++) out[j] = e_byte(k, r, j);
    long put = rt_fd_write(fd, out, s->size);
    if (put != (long)s->size) {
      e_fail(s, "echo: client %lld, round %lld: write: %s", (long long)k, (long long)r,
             put < 0 ? strerror((int)-put) : "short write");
      goto done;
    }
    size_t got = 0;
    while (got < s->size) {
      long m = rt_fd_read(fd, in + got, s->size - got);
      if (m <= 0) {
        e_fail(s, "echo: client %lld, round %lld: read: %s (after %zu of %zu bytes)",
               (long long)k, (long long)r, m < 0 ? strerror((int)-m) : "unexpected end of file",
               got, s->size);
        goto done;
      }
      got += (size_t)m;
    }
    if (memcmp(in, out, s->size) != 0) {
      size_t j = 0;
      while (in[j] == out[j]) j++;
      e_fail(s, "echo: client %lld, round %lld: byte %zu came back 0x%02x, sent 0x%02x",
             (long long)k, (long long)r, j, in[j], out[j]);
      goto done;
    }
  }
done:
  if (fd >= 0) rt_fd_close(fd);
  free(out);
  free(in);
  rt_wg_done(&s->cwg);
}

/* ==== the run ======================================================== */

static int e_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  e_state *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "echo: out of memory");
    return 1;
  }
  s->n = v[E_N].i;
  s->clients = v[E_CLIENTS].i;
  s->size = (size_t)v[E_SIZE].i;
  s->addr.sin_family = AF_INET;
  s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  s->addr.sin_port = 0;
  const char *what = "socket";
  int rc = s->lfd = rt_fd_socket(AF_INET, SOCK_STREAM, 0);
  if (rc >= 0) {
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    what = "bind 127.0.0.1:0";
    rc = rt_fd_bind(s->lfd, (const struct sockaddr *)&s->addr, sizeof s->addr);
  }
  if (rc >= 0) {
    what = "listen";
    rc = rt_fd_listen(s->lfd, s->clients < 4096 ? (int)s->clients : 4096);
  }
  if (rc >= 0) {
    what = "getsockname";
    socklen_t len = sizeof s->addr;
    rc = getsockname(s->lfd, (struct sockaddr *)&s->addr, &len) == 0 ? 0 : -errno;
  }
  if (rc < 0) {
    snprintf(err, errlen, "echo: %s: %s", what, strerror(-rc));
    if (s->lfd >= 0) rt_fd_close(s->lfd);
    free(s);
    return 1;
  }
  rt_wg_add(&s->swg, 1);
  rt_go(e_accept, s);
  rt_wg_add(&s->cwg, s->clients);
  int64_t started = 0;
  for (; started < s->clients; started++) {
    e_cli *c = malloc(sizeof *c);
    if (!c) {
      e_fail(s, "echo: out of memory for client %lld", (long long)started);
      rt_wg_add(&s->cwg, started - s->clients);
      break;
    }
    *c = (e_cli){s, started};
    rt_go(e_client, c);
  }
  rt_wg_wait(&s->cwg);
  rt_fd_close(s->lfd);  /* wakes the acceptor if a client never connected */
  rt_wg_wait(&s->swg);  /* the server Gs see end of file and leave */
  int failed = atomic_load(&s->failed);
  if (failed) snprintf(err, errlen, "%s", s->err);
  *ops = failed ? 0 : (uint64_t)s->n * (uint64_t)s->clients;
  free(s);
  return failed;
}

const wl_desc wl_echo = {
  .name = "echo",
  .summary = "TCP echo on loopback through the netpoller: clients x n round trips of size bytes",
  .params = e_params,
  .nparams = (int)(sizeof e_params / sizeof e_params[0]),
  .run = e_run,
};
