/*
** netpoll.c: fds on epoll, and the rt_fd_* calls that park Gs on them
** (Go's internal/poll and runtime/netpoll_epoll.go in C).
**
** Every fd is non-blocking and registered once, edge-triggered, for both
** directions.  A call tries the system call first; only on EAGAIN does it
** park, and the next edge for that direction wakes it to try again.  An
** edge that comes while nobody waits is remembered (`ready`), so a G that
** got EAGAIN just before the edge does not sleep through it.
**
** Each fd has a descriptor (pd) with two sides, read and write, each with
** at most one parked G, a deadline and the deadline's timer.  A pd lives in
** a table indexed by fd number for the whole run and is reused when the
** number is: the poller may still hold one from an epoll event when its fd
** is closed, and a stale event only makes a G try its call again.
**
** Closing waits for nobody: rt_fd_close marks the pd, wakes the parked Gs
** with EBADF and closes the fd when the last call in progress on it
** returns (a reference count), so a number is never reused under a call.
*/
#define _GNU_SOURCE
#include "netpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fail.h"
#include "proc.h"
#include "timer.h"

typedef struct pd pd;

/* One direction of an fd. */
typedef struct pside {
  pd *owner;                  /* the descriptor (the deadline timer's way back) */
  rt_g *g;                    /* the G parked on this side, NULL when none */
  bool ready;                 /* an edge came while nobody was parked */
  bool armed;                 /* t is in a heap, or its function has yet to run */
  int64_t dl;                 /* deadline on rt_now's clock; 0: none */
  tmr t;                      /* fires at dl to wake g with ETIMEDOUT */
  tmheap *heap;               /* the heap t was last added to */
  rt_mutex mu;                /* one call at a time on this side */
} pside;

struct pd {
  _Atomic uint64_t ref;       /* calls in progress (they hold the number),
                                 plus PD_CLOSING once rt_fd_close came:
                                 one word, so a call takes and drops its
                                 reference with one atomic add each */
  rt_lock lock;               /* guards all below but the sides' mutexes */
  int fd;                     /* the fd watched; -1 when the slot is free
                                 (written under lock, read by pd_get without) */
  bool sock;                  /* a socket: writes use send(MSG_NOSIGNAL) */
  pside r, w;                 /* the two directions */
};

#define NP_EVENTS 128         /* epoll events taken per poll */
#define PD_CLOSING ((uint64_t)1 << 40)  /* in pd.ref: calls fail with EBADF */
#define PD_CLOSED ((uint64_t)1 << 41)   /* in pd.ref: the last reference closed it */
#define PD_COUNT (PD_CLOSING - 1)       /* in pd.ref: the references */

static struct {
  int ep;                     /* the epoll instance, -1 when not running */
  int efd;                    /* eventfd that netpoll_break writes */
  _Atomic(pd *) *tab;         /* pd per fd number (mmap'ed, touched lazily) */
  size_t cap;                 /* entries in tab */
  size_t hi;                  /* 1 + the highest entry used (guarded by lock) */
  rt_lock lock;               /* guards making new pds */
  _Atomic int waiters;        /* Gs parked on a side */
  bool no_pwait2;             /* the kernel lacks epoll_pwait2: ms timeouts */
} NP = {.ep = -1, .efd = -1};

int netpoll_waiters(void) { return atomic_load_explicit(&NP.waiters, memory_order_relaxed); }

/* ==== start and stop ================================================= */

int netpoll_start(char *err, size_t errlen) {
  struct rlimit rl;
  size_t cap = 1 << 16;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max > cap)
    cap = rl.rlim_max;
  if (cap > (size_t)1 << 21) cap = (size_t)1 << 21;  /* 16 MiB of address space at most */
  NP.ep = epoll_create1(EPOLL_CLOEXEC);
  NP.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  void *tab = mmap(NULL, cap * sizeof *NP.tab, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (NP.ep < 0 || NP.efd < 0 || tab == MAP_FAILED ||
      epoll_ctl(NP.ep, EPOLL_CTL_ADD, NP.efd, &ev) != 0) {
    int e = errno;
    if (tab != MAP_FAILED) munmap(tab, cap * sizeof *NP.tab);
    netpoll_stop();
    return fw_fail(RT_ENOMEM, err, errlen, "cannot start the network poller: %s", strerror(e));
  }
  NP.tab = tab;
  NP.cap = cap;
  return RT_OK;
}

void netpoll_stop(void) {
  for (size_t i = 0; NP.tab && i < NP.hi; i++) free(atomic_load(&NP.tab[i]));
  if (NP.tab) munmap(NP.tab, NP.cap * sizeof *NP.tab);
  if (NP.ep >= 0) close(NP.ep);
  if (NP.efd >= 0) close(NP.efd);
  NP.tab = NULL;
  NP.cap = NP.hi = 0;
  NP.ep = NP.efd = -1;
  atomic_store(&NP.waiters, 0);
}

void netpoll_break(void) {
  uint64_t one = 1;
  if (NP.efd >= 0 && write(NP.efd, &one, sizeof one) < 0) { /* full: a wake-up is pending anyway */ }
}

/* ==== waking ========================================================= */

/* s's parked G leaves it with result rc (pd lock held); NULL when none. */
static rt_g *side_take(pside *s, int rc) {
  rt_g *g = s->g;
  if (!g) return NULL;
  s->g = NULL;
  g->param = (void *)(intptr_t)rc;
  atomic_fetch_sub_explicit(&NP.waiters, 1, memory_order_relaxed);
  return g;
}

/* An edge on side s (pd lock held): its G joins *chain, or the edge is
** remembered. */
static void side_edge(pside *s, rt_g **chain, int *n) {
  rt_g *g = side_take(s, 0);
  if (!g) {
    s->ready = true;
    return;
  }
  *rt_g_link(g) = *chain;
  *chain = g;
  ++*n;
}

/* Waits for events until `until` (see netpoll.h).  epoll_pwait2 takes a
** timespec, so an idle M wakes for a timer on time; kernels before 5.11
** lack it and get epoll_wait's milliseconds, rounded up (never early). */
static int np_wait(struct epoll_event *ev, int64_t until) {
  if (until == 0) return epoll_wait(NP.ep, ev, NP_EVENTS, 0);
  if (until == INT64_MAX) return epoll_wait(NP.ep, ev, NP_EVENTS, -1);
  int64_t left = until - rt_now();
  if (left <= 0) return epoll_wait(NP.ep, ev, NP_EVENTS, 0);
  if (!NP.no_pwait2) {
    struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
    int k = epoll_pwait2(NP.ep, ev, NP_EVENTS, &ts, NULL);
    if (k >= 0 || errno != ENOSYS) return k;
    NP.no_pwait2 = true;
  }
  int64_t ms = (left + 999999) / 1000000;
  return epoll_wait(NP.ep, ev, NP_EVENTS, ms > INT32_MAX ? INT32_MAX : (int)ms);
}

rt_g *netpoll(int64_t until, int *n) {
  *n = 0;
  if (NP.ep < 0) return NULL;
  struct epoll_event ev[NP_EVENTS];
  int k = np_wait(ev, until);
  rt_g *chain = NULL;
  for (int i = 0; i < k; i++) {
    pd *d = ev[i].data.ptr;
    if (!d) {  /* netpoll_break */
      uint64_t x;
      if (read(NP.efd, &x, sizeof x) < 0) { /* drained by another poll */ }
      continue;
    }
    uint32_t e = ev[i].events;
    /* epoll_ctl then epoll_wait orders pd_watch's set-up before us, but
    ** through the kernel, where TSan cannot see it: this acquire pairs
    ** with pd_watch's update of ref, made after the set-up. */
    (void)atomic_load_explicit(&d->ref, memory_order_acquire);
    rt_lock_acquire(&d->lock);
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) side_edge(&d->r, &chain, n);
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) side_edge(&d->w, &chain, n);
    rt_lock_release(&d->lock);
  }
  return chain;
}

/* ==== deadlines ====================================================== */

static void side_deadline(void *arg);

/* Arms s's timer at its deadline on the calling M's P (pd lock held). */
static void side_arm(pside *s) {
  s->armed = true;
  s->t.when = s->dl;
  s->heap = sched_timers(sched_cur_sp());
  timer_add(s->heap, &s->t);
}

/* The timer: wakes the parked G when the deadline has passed, or re-arms
** when the deadline moved later meanwhile.  Runs on an M with a P. */
static void side_deadline(void *arg) {
  pside *s = arg;
  pd *d = s->owner;
  rt_g *g = NULL;
  rt_lock_acquire(&d->lock);
  s->armed = false;
  if (s->g && s->dl) {
    if (s->dl <= rt_now()) g = side_take(s, -ETIMEDOUT);
    else side_arm(s);
  }
  rt_lock_release(&d->lock);
  if (g) sched_ready(g);
}

/* ==== descriptors ==================================================== */

static void side_init(pd *d, pside *s) {
  s->owner = d;
  s->t = (tmr){.fn = side_deadline, .arg = s, .idx = -1};
}

/* Starts watching fd (already non-blocking): RT_OK or -errno. */
static int pd_watch(int fd) {
  if (NP.ep < 0) sched_fatal("rt_fd_* called outside a running runtime");
  if (fd < 0) return -EBADF;
  if ((size_t)fd >= NP.cap) return -EMFILE;
  pd *d = atomic_load_explicit(&NP.tab[fd], memory_order_acquire);
  if (!d) {
    rt_lock_acquire(&NP.lock);
    d = atomic_load(&NP.tab[fd]);
    if (!d && (d = calloc(1, sizeof *d)) != NULL) {
      d->fd = -1;
      side_init(d, &d->r);
      side_init(d, &d->w);
      atomic_store_explicit(&NP.tab[fd], d, memory_order_release);
      if ((size_t)fd >= NP.hi) NP.hi = (size_t)fd + 1;
    }
    rt_lock_release(&NP.lock);
    if (!d) return -ENOMEM;
  }
  int type = 0;
  socklen_t tl = sizeof type;
  bool sock = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0;
  rt_lock_acquire(&d->lock);
  if (d->fd >= 0) {
    rt_lock_release(&d->lock);
    return -EEXIST;
  }
  __atomic_store_n(&d->fd, fd, __ATOMIC_RELEASE);
  d->sock = sock;
  /* Open for calls again.  Only the flags: a late caller of the last fd
  ** that read them set still holds its count, and drops it itself. */
  atomic_fetch_and(&d->ref, PD_COUNT);
  d->r.ready = d->w.ready = false;
  d->r.dl = d->w.dl = 0;
  rt_lock_release(&d->lock);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = d};
  if (epoll_ctl(NP.ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int e = errno;
    rt_lock_acquire(&d->lock);
    __atomic_store_n(&d->fd, -1, __ATOMIC_RELEASE);
    rt_lock_release(&d->lock);
    return -e;
  }
  return RT_OK;
}

static void pd_put(pd *d);

/* The pd of watched fd with a reference taken, or NULL (not watched, or
** closing): the call then fails with EBADF. */
static pd *pd_get(int fd) {
  if (NP.ep < 0) sched_fatal("rt_fd_* called outside a running runtime");
  if (fd < 0 || (size_t)fd >= NP.cap) return NULL;
  pd *d = atomic_load_explicit(&NP.tab[fd], memory_order_acquire);
  if (!d) return NULL;
  uint64_t r = atomic_fetch_add(&d->ref, 1);
  if (r & PD_CLOSING || __atomic_load_n(&d->fd, __ATOMIC_ACQUIRE) != fd) {
    pd_put(d);  /* closing, or the slot is free or another fd's by now */
    return NULL;
  }
  return d;
}

/* Drops a reference; the last one after rt_fd_close closes the fd: the
** one whose CAS sets PD_CLOSED, so it happens once.  PD_CLOSING stays set
** until the slot is watched again (pd_watch): a call that comes meanwhile
** must fail, not find the fd number still in d->fd during the close. */
static void pd_put(pd *d) {
  uint64_t r = atomic_fetch_sub(&d->ref, 1) - 1;
  if (r != PD_CLOSING || !atomic_compare_exchange_strong(&d->ref, &r, PD_CLOSING | PD_CLOSED))
    return;
  rt_lock_acquire(&d->lock);
  int fd = d->fd;
  __atomic_store_n(&d->fd, -1, __ATOMIC_RELEASE);
  rt_lock_release(&d->lock);
  close(fd);
}

static inline bool pd_closing(pd *d) { return atomic_load(&d->ref) & PD_CLOSING; }

/* Parks the running G until side s is ready (0: try again), its deadline
** passes (-ETIMEDOUT) or the fd is closed (-EBADF). */
static int side_wait(pd *d, pside *s, const char *reason) {
  rt_lock_acquire(&d->lock);
  int rc = 0;
  if (pd_closing(d)) {
    rc = -EBADF;
  } else if (s->ready) {
    s->ready = false;
  } else if (s->dl && s->dl <= rt_now()) {
    rc = -ETIMEDOUT;
  } else {
    rt_g *self = sched_cur();
    if (!self) sched_fatal("rt_fd_* would block on fd %d outside a G", d->fd);
    s->g = self;
    atomic_fetch_add_explicit(&NP.waiters, 1, memory_order_relaxed);
    if (s->dl && !s->armed) side_arm(s);
    sched_park(&d->lock, reason);  /* releases d->lock once switched out */
    return (int)(intptr_t)self->param;
  }
  rt_lock_release(&d->lock);
  return rc;
}

/* ==== the calls ====================================================== */

/* A passed deadline fails a call before it tries, even with data
** waiting, as Go's does.  Read without the lock: a deadline set by
** another G at the same moment may or may not count, as in Go. */
static inline bool side_expired(pside *s) {
  int64_t dl = __atomic_load_n(&s->dl, __ATOMIC_RELAXED);
  return dl && dl <= rt_now();
}

/* Does op on side s of fd until it stops saying EAGAIN: op returns >= 0,
** or -errno.  Write loops on its own (it must write everything). */
#define NP_RETRY(d, s, reason, call)                            \
  for (;;) {                                                    \
    if (side_expired(s)) { rc = -ETIMEDOUT; break; }            \
    rc = (call);                                                \
    if (rc >= 0) break;                                         \
    if (errno == EINTR) continue;                               \
    if (errno != EAGAIN && errno != EWOULDBLOCK) { rc = -errno; break; } \
    if ((rc = side_wait(d, s, reason)) != 0) break;             \
  }

int rt_fd_open(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -errno;
  if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) return -errno;
  return pd_watch(fd);
}

int rt_fd_socket(int domain, int type, int protocol) {
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return -errno;
  int rc = pd_watch(fd);
  if (rc != RT_OK) {
    close(fd);
    return rc;
  }
  return fd;
}

int rt_fd_bind(int fd, const struct sockaddr *addr, unsigned addrlen) {
  return bind(fd, addr, addrlen) == 0 ? 0 : -errno;
}

int rt_fd_listen(int fd, int backlog) { return listen(fd, backlog) == 0 ? 0 : -errno; }

int rt_fd_shutdown(int fd, int how) { return shutdown(fd, how) == 0 ? 0 : -errno; }

int rt_fd_accept(int fd, struct sockaddr *addr, unsigned *addrlen) {
  pd *d = pd_get(fd);
  if (!d) return -EBADF;
  long rc;
  rt_mutex_lock(&d->r.mu);
  NP_RETRY(d, &d->r, "IO wait (accept)",
           accept4(fd, addr, (socklen_t *)addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC));
  rt_mutex_unlock(&d->r.mu);
  pd_put(d);
  if (rc >= 0) {
    int w = pd_watch((int)rc);
    if (w != RT_OK) {
      close((int)rc);
      return w;
    }
  }
  return (int)rc;
}

int rt_fd_connect(int fd, const struct sockaddr *addr, unsigned addrlen) {
  pd *d = pd_get(fd);
  if (!d) return -EBADF;
  rt_mutex_lock(&d->w.mu);
  int rc = connect(fd, addr, addrlen) == 0 ? 0 : -errno;
  /* In progress (EINTR too: the connection goes on without us): wait
  ** until the socket is writable, then ask how it went. */
  while (rc == -EINPROGRESS || rc == -EINTR || rc == -EALREADY) {
    if ((rc = side_wait(d, &d->w, "IO wait (connect)")) != 0) break;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) soerr = errno;
    rc = soerr ? -soerr : 0;
    if (rc == 0) {  /* writable may also mean "not yet": a peer name says connected */
      struct sockaddr_storage ss;
      socklen_t l = sizeof ss;
      if (getpeername(fd, (struct sockaddr *)&ss, &l) != 0) rc = -EINPROGRESS;
    }
  }
  rt_mutex_unlock(&d->w.mu);
  pd_put(d);
  return rc;
}

long rt_fd_read(int fd, void *buf, unsigned long n) {
  pd *d = pd_get(fd);
  if (!d) return -EBADF;
  long rc;
  rt_mutex_lock(&d->r.mu);
  NP_RETRY(d, &d->r, "IO wait (read)", read(fd, buf, n));
  rt_mutex_unlock(&d->r.mu);
  pd_put(d);
  return rc;
}

long rt_fd_write(int fd, const void *buf, unsigned long n) {
  pd *d = pd_get(fd);
  if (!d) return -EBADF;
  long rc = 0;
  unsigned long done = 0;
  rt_mutex_lock(&d->w.mu);
  while (done < n) {
    const char *p = (const char *)buf + done;
    /* send's MSG_NOSIGNAL: a reset peer is -EPIPE, not a SIGPIPE that
    ** kills the process (Go ignores SIGPIPE on such fds). */
    NP_RETRY(d, &d->w, "IO wait (write)",
             d->sock ? send(fd, p, n - done, MSG_NOSIGNAL) : write(fd, p, n - done));
    if (rc < 0) break;
    done += (unsigned long)rc;
  }
  rt_mutex_unlock(&d->w.mu);
  pd_put(d);
  return done > 0 || n == 0 ? (long)done : rc;
}

int rt_fd_close(int fd) {
  pd *d = pd_get(fd);
  if (!d) return -EBADF;
  if (atomic_fetch_or(&d->ref, PD_CLOSING) & PD_CLOSING) {  /* closed at the same time */
    pd_put(d);
    return -EBADF;
  }
  rt_lock_acquire(&d->lock);  /* after the flag: side_wait reads it under the lock */
  rt_g *r = side_take(&d->r, -EBADF), *w = side_take(&d->w, -EBADF);
  rt_lock_release(&d->lock);
  epoll_ctl(NP.ep, EPOLL_CTL_DEL, fd, NULL);
  if (r) sched_ready(r);
  if (w) sched_ready(w);
  pd_put(d);  /* the last call in progress closes the fd */
  return 0;
}

int rt_fd_deadline(int fd, int which, int64_t at) {
  if (!(which & (RT_FD_READ | RT_FD_WRITE)) || (which & ~(RT_FD_READ | RT_FD_WRITE)))
    return -EINVAL;
  pd *d = pd_get(fd);
  if (!d) return -EBADF;
  rt_g *wake[2] = {NULL, NULL};
  int64_t now = rt_now();
  rt_lock_acquire(&d->lock);
  for (int k = 0; k < 2; k++) {
    pside *s = k ? &d->w : &d->r;
    if (!(which & (k ? RT_FD_WRITE : RT_FD_READ))) continue;
    __atomic_store_n(&s->dl, at, __ATOMIC_RELAXED);  /* side_expired reads it unlocked */
    if (!s->g || !at) continue;  /* cleared: an armed timer finds nothing to do */
    if (at <= now) {
      wake[k] = side_take(s, -ETIMEDOUT);
    } else if (!s->armed) {
      side_arm(s);
    } else if (at < s->t.when && timer_del(s->heap, &s->t)) {
      side_arm(s);  /* earlier than armed; a later one re-arms when it fires */
    }
  }
  rt_lock_release(&d->lock);
  for (int k = 0; k < 2; k++)
    if (wake[k]) sched_ready(wake[k]);
  pd_put(d);
  return 0;
}
