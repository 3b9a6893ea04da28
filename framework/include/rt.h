/*
** rt.h: the face for programs that run ON the rtlab runtime (the mutator API).
**
** A program configures a runtime, hands it a main function and gets control
** back when main returns, as a Go program does.  Inside, functions run on
** green threads (G) multiplexed over OS threads (M) through logical
** processors (P).  Everything here may be called only from a G, except
** rt_run, rt_counters, the rt_topo_* functions and the error helpers.
**
** Errors are negative return codes (RT_E*), never aborts, for bad input.
** Misuse that Go treats as a fatal runtime error (send on a closed channel,
** unlock of an unlocked mutex, negative WaitGroup counter, deadlock) prints
** a message naming the operation and the G and exits with status 2.
*/
#ifndef RT_H
#define RT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error codes ---- */
#define RT_OK      0
#define RT_EINVAL  (-22)   /* a bad name, parameter or value */
#define RT_ENOMEM  (-12)   /* the OS refused memory or a thread */
#define RT_ENOENT  (-2)    /* no module of that name */
#define RT_EABI    (-1000) /* a loaded module was built for another ABI */
#define RT_EBUSY   (-16)   /* a runtime is already running in this process */

/* ---- per-P counters: one X-macro list, expanded into the enum and names ---- */
#define RT_COUNTERS(X) \
  X(SWITCHES, "switches")  /* G switches performed on this P */           \
  X(STEALS,   "steals")    /* Gs this P took from another P */            \
  X(GLOBAL,   "global")    /* Gs this P took from a shared queue */       \
  X(SPILLS,   "spills")    /* Gs this P moved to a shared queue */        \
  X(PARKS,    "parks")     /* Gs that blocked on this P */                \
  X(WAKEUPS,  "wakeups")   /* idle Ps woken to run new work */            \
  X(SPAWNS,   "spawns")    /* Gs created on this P */                     \
  X(IDLES,    "idles")     /* times this P went idle */                 \
  X(PREEMPTS, "preempts")  /* Gs that yielded here because sysmon asked */ \
  X(RETAKES,  "retakes")   /* times sysmon took this P from a syscall */ \
  X(STACKS,   "stacks")    /* G stacks mapped for this P (a G gets one \
                              when it first runs; dead Gs' are reused) */

typedef enum rt_counter {
#define RT_X_(id, name) RT_CNT_##id,
  RT_COUNTERS(RT_X_)
#undef RT_X_
  RT_CNT__N
} rt_counter;

/* Name of counter i ("switches", ...), NULL when out of range. */
const char *rt_counter_name(int i);

/* ---- starting a runtime ---- */
typedef void (*rt_fn)(void *arg);

typedef struct rt_config {
  int procs;               /* number of Ps, >= 1; 0 means the number of CPUs */
  size_t stack_size;       /* bytes per G stack; 0 means 64 KiB */
  const char *sched;       /* "name[,k=v...]" or a path to a .so; NULL = "go" */
  const char *alloc;       /* allocator behind rt_alloc, as sched; NULL = "system" */
  const char *placement;   /* none | compact | scatter | numa; NULL = none */
  const char *topology;    /* NULL or "machine": this machine's, read with
                              hwloc; else a synthetic hwloc description
                              such as "pack:2 numa:2 core:2 pu:1" (Ms are
                              then not bound; see rt_topo_plan) */
  const char *gc;          /* collector "name[,k=v...]" or a .so; NULL = "none" */
  const char *runtime;     /* runtime options "k=v[,k=v...]" (rt_runtime_params
                              in rt_module.h: preempt, time_slice_ms,
                              max_ms, sysmon); NULL or "" = defaults */
  char *err;               /* optional: receives a message when rt_run fails */
  size_t errlen;           /* size of err */
} rt_config;

/* Starts a runtime, runs main(arg) as the first G and returns when it
** returns (other Gs still alive are dropped, as Go's exit does).  Returns
** RT_OK or a negative code with a message in cfg->err.  The calling thread
** becomes M0.  One runtime at a time per process. */
int rt_run(const rt_config *cfg, rt_fn main, void *arg);

/* Counters of the last completed rt_run: out[p * RT_CNT__N + c] for each
** of the first `procs` Ps.  Returns the number of Ps the run had. */
int rt_counters(uint64_t *out, int procs);

/* ---- topology and placement (framework/topo.c, hwloc) ----
** A runtime reads a topology once per rt_run: this machine's, or a
** synthetic one (cfg->topology), and computes a placement plan: a PU and a
** NUMA node for every P.  PUs and nodes are numbered by hwloc's *logical*
** index (topology order, 0 .. pus-1 and 0 .. numa_nodes-1), which means the
** same on a synthetic topology and on a real machine; the OS numbering
** (P# in the tree) is not used.  The placements (cfg->placement):
**
**   none     Ms are not bound.  P i is listed on PU i mod pus and that
**            PU's node: a nominal place, so that node-aware policies
**            (rt_sp_node) decide the same way bound or not.
**   compact  node by node: one node's PUs fill before the next node's;
**            within a node one PU of every core first, then the cores'
**            second hardware threads, and so on.  M bound to the PU.
**   scatter  round-robin over the nodes (P0 on node 0, P1 on node 1, ...),
**            each node's PUs taken in compact order.  M bound to the PU.
**   numa     contiguous blocks: P i on node i * nodes / procs.  The M is
**            bound to the whole node (its cpuset); pu is the PU that
**            compact would give the P within its node, for information.
**
** "Nodes" above are the nodes that hold PUs (a memory-only node, such as
** HBM beside DRAM, gets no P).  With more Ps than PUs the places wrap
** around: P i takes the place of P i mod pus (numa: of its rank within
** its node's block, mod the node's PUs), so Ps share PUs.
**
** Ms are bound (hwloc_set_cpubind, this thread) only on this machine's
** topology when the OS supports thread binding and placement is not none;
** otherwise nothing is bound and rt_topo_bound() says so.  An M binds when
** it first takes a P and rebinds only when it takes a P with another
** place, so the switch path never calls hwloc.  The thread that called
** rt_run (M0) gets its own binding back when rt_run returns. */

#define RT_MAXPROCS 1024     /* most Ps a runtime may have */

/* The place of one P. */
typedef struct rt_place {
  int p;                     /* P index, 0 .. procs-1 */
  int pu;                    /* logical index of its PU */
  int node;                  /* logical index of its NUMA node */
} rt_place;

/* What a topology holds. */
typedef struct rt_topo_info {
  int packages;              /* sockets; 0 when it has no package level */
  int numa_nodes;            /* >= 1 (hwloc gives every machine a node) */
  int cores;                 /* 0 when it has no core level */
  int pus;                   /* processing units (hardware threads), >= 1 */
  bool synthetic;            /* a description, not this machine */
  bool bindable;             /* this machine, and the OS binds threads:
                                Ms are bound unless placement is none */
  char summary[160];         /* "1 package, 1 NUMA node, 2 cores, 2 PUs" */
} rt_topo_info;

/* Reads `topology` (as cfg->topology) and plans `placement` (as
** cfg->placement; NULL = none) for `procs` Ps (0: one per PU).  Fills
** out[0 .. min(procs, max)) (out may be NULL) and *info (may be NULL).
** Returns the number of Ps planned, or RT_EINVAL with a message in err
** naming what is allowed (an unknown placement; a synthetic description
** hwloc refuses, with where and an example), or RT_ENOMEM.  Any thread,
** with or without a running runtime; costs about a millisecond on a real
** machine (hwloc reads /sys). */
int rt_topo_plan(const char *topology, const char *placement, int procs,
                 rt_place *out, int max, rt_topo_info *info, char *err,
                 size_t errlen);

/* The one-line summary of `topology` for report headers ("1 package, 1
** NUMA node, 2 cores, 2 PUs") into buf; RT_OK, or a negative code with
** the error message in buf instead.  A shortcut for rt_topo_plan's info. */
int rt_topo_summary(const char *topology, char *buf, size_t len);

/* Prints the topology as an indented tree, one object a line with its
** logical index (L#), the OS index (P#) of PUs and NUMA nodes, and sizes:
**   Package L#0
**     NUMANode L#0 P#0 (1024MB)
**     Core L#0
**       PU L#0 P#0
** RT_OK, or a negative code with a message in err as rt_topo_plan. */
int rt_topo_describe(const char *topology, FILE *f, char *err, size_t errlen);

/* Whether the Ms of the running runtime, or else of the last completed
** rt_run, were bound to their places: false with placement none, a
** synthetic topology, an OS that cannot bind threads, or when a bind
** call failed.  Any thread. */
bool rt_topo_bound(void);

/* ---- memory: the run's allocator (rt_config.alloc) ---- */
/* Flags of an allocation. */
#define RT_AF_NOSCAN 0x1u  /* the object holds no pointers (a collector skips it) */
#define RT_AF_ZERO   0x2u  /* the object must come back zeroed */

/* Heap figures.  Allocators keep live_bytes, inuse_bytes, sys_bytes and
** released_bytes per P; the framework counts allocs, frees, failed and
** the peaks, and sums over Ps.  With one P the peaks are exact; with
** several they are the largest sums over Ps sampled every 64th allocation
** on each P (objects may die on another P than their maker's, so per-P
** peaks would say little). */
typedef struct rt_astats {
  int64_t live_bytes;        /* bytes requested by live objects */
  int64_t inuse_bytes;       /* bytes of the blocks holding them (rounding, headers) */
  int64_t sys_bytes;         /* bytes taken from the arena or the OS, not given back */
  int64_t released_bytes;    /* bytes given back to the OS, all run long */
  int64_t peak_live;         /* highest live_bytes seen (framework) */
  int64_t peak_sys;          /* highest sys_bytes seen (framework) */
  uint64_t allocs;           /* allocations that succeeded */
  uint64_t frees;            /* frees of non-NULL pointers */
  uint64_t failed;           /* allocations refused: too large, or no memory */
} rt_astats;

/* From a G: size bytes aligned to 16 (RT_AF_* flags), or NULL when the
** allocator refuses (too large, out of memory: counted as failed).  An
** allocator with size classes may align to 8 an object whose usable size
** is not a multiple of 16, and pack pointer-free requests under 16 bytes
** aligned to what their size needs (rt_module.h, alloc). */
void *rt_alloc(size_t size, unsigned flags);
/* From a G: frees what rt_alloc returned, on any P; NULL is a no-op. */
void rt_free(void *ptr);
/* From a G: the usable size of a live object. */
size_t rt_alloc_size(const void *ptr);
/* From a G: C's realloc on the run's allocator.  ptr NULL: rt_alloc(size,
** flags).  Else an object of size bytes (0 is a valid size, as for
** rt_alloc) holding ptr's first min(usable size, size) bytes: ptr itself
** when its usable size holds size and little of it would lie unused,
** otherwise a new object, ptr then freed.  NULL when the allocator
** refuses, with ptr still live and unchanged.  RT_AF_ZERO: the bytes past
** ptr's usable size come back zeroed.  Counted as the allocation and the
** free it made (nothing when in place: live_bytes then keeps the object's
** first request).
** Debug builds (NDEBUG undefined; the tsan preset does not fill) fill a
** fresh object not asked zeroed with 0xA5 and a freed one with 0xDD, over
** its usable size (when over 16 bytes: smaller ones may share a block);
** with an allocator that can find objects (RT_AC_FIND), rt_free or
** rt_realloc of anything but a live object's start (a double free) is a
** fatal error naming it. */
void *rt_realloc(void *ptr, size_t size, unsigned flags);
/* Any thread: the heap figures, now during a run, else of the last run;
** returns the allocator's name (NULL before any run). */
const char *rt_heap_stats(rt_astats *out);

/* Figures of one size class, for allocators that have classes. */
typedef struct rt_aclass {
  uint32_t size;             /* bytes per object; 0: the objects over the largest class */
  uint8_t tiny;              /* blocks of packed pointer-free sub-objects */
  uint64_t allocs;           /* objects (tiny: blocks) handed out */
  uint64_t frees;            /* and taken back */
  int64_t spans;             /* spans (page runs) made minus released */
} rt_aclass;
#define RT_ACLASS_MAX 96     /* most classes an allocator may report */

/* After a run: its per-class figures summed over Ps, out[0..n) with n <=
** max returned; 0 when the allocator has no classes. */
int rt_heap_classes(rt_aclass *out, int max);

/* ---- garbage collection (rt_config.gc, collectors/) ----
** Objects from rt_alloc are the collector's: a program need not free
** them (rt_free still may, on collectors that allow it).  An object is
** kept while it is reachable from a root: every G's stack and saved
** registers, scanned conservatively (any word that points into a live
** object keeps it), and the registered roots.  Inside objects, words are
** scanned conservatively too, unless the object was allocated
** RT_AF_NOSCAN (it holds no pointers) or typed (rt_alloc_typed: only the
** words its type's pointer map names are scanned).  The collector `none`
** never frees anything: the baseline. */

/* A type for precise scanning: word i of an element may hold a heap
** pointer when bit i % 64 of ptrmask[i / 64] is set; the other words are
** never taken for pointers (an integer that happens to equal an object's
** address does not keep it). */
typedef struct rt_type {
  size_t size;               /* bytes per element: a multiple of 8, 8 to 2^20 */
  const uint64_t *ptrmask;   /* size / 8 bits; must outlive the objects */
} rt_type;
/* n zeroed elements of type t; NULL when t is malformed (NULL, a size out
** of range), n is 0 or the allocator refuses.  rt_free and
** rt_alloc_size take the pointer as any other (rt_realloc does not: it
** is a fatal error).  Over an allocator that marks objects (RT_AC_MARK)
** the object carries its type in a 16-byte header before the pointer
** returned; over a wrapper of a system allocator it is a plain zeroed
** object, which no collector scans anyway. */
void *rt_alloc_typed(const rt_type *t, size_t n);

/* Nonzero while the run's collector has a write barrier (gc.c sets it),
** and the barrier's entry: for rt_store_ptr below, inline, so that a store
** costs a load and a branch when there is none. */
extern int rt_gc_barrier_on;
void rt_store_ptr_barrier(void **slot, void *v);

/* Stores heap pointer v into *slot (a pointer field of an object, or a
** registered root): every store of a heap pointer goes through here, so
** that a concurrent collector's write barrier sees it; a plain store
** while no barrier is active, word-atomic as Go's pointer writes (Gs may
** store into one slot at once; a reader elsewhere loads it atomically). */
static inline void rt_store_ptr(void **slot, void *v) {
  if (__builtin_expect(__atomic_load_n(&rt_gc_barrier_on, __ATOMIC_RELAXED), 0))
    rt_store_ptr_barrier(slot, v);
  else
    __atomic_store_n(slot, v, __ATOMIC_RELAXED);
}
/* Registers n consecutive pointer slots at slots (a global array, say) as
** a root; RT_OK, RT_EINVAL (NULL, n < 1) or RT_ENOMEM.  From a G.  Roots
** last until rt_gc_root_remove or the run's end. */
int rt_gc_root_add(void **slots, size_t n);
/* Forgets the root registered at slots; RT_OK or RT_ENOENT. */
int rt_gc_root_remove(void **slots);
/* Runs a whole collection now (Go's runtime.GC); returns when it is done.
** From a G. */
void rt_gc(void);

/* A run's collection figures (all zero, and MMU 1, with `none`). */
typedef struct rt_gcstats {
  uint64_t cycles;           /* collections completed */
  int64_t pause_total_ns;    /* time the world was stopped, summed */
  int64_t pause_p50_ns;      /* median pause */
  int64_t pause_p99_ns;      /* 99th percentile pause (nearest rank) */
  int64_t pause_max_ns;      /* longest pause */
  int64_t ttsp_max_ns;       /* longest time to bring every G to a safe point */
  double mmu_1ms;            /* minimum mutator utilisation over 1 ms windows */
  double mmu_10ms;           /* over 10 ms windows */
  double mmu_100ms;          /* over 100 ms windows */
  int64_t mark_ns;           /* time spent marking, all Ps */
  int64_t sweep_ns;          /* time spent sweeping, all Ps */
} rt_gcstats;
/* Any thread: the figures, now during a run, else of the last run;
** returns the collector's name (NULL before any run). */
const char *rt_gc_stats(rt_gcstats *out);

/* ---- Gs ---- */
void rt_go(rt_fn fn, void *arg);  /* spawn a G running fn(arg) */
void rt_yield(void);              /* let other Gs run (Go's Gosched) */
void rt_sleep(int64_t ns);        /* park the running G for at least ns (Go's time.Sleep) */
/* Around a system call that may block (a read of a regular file, of a
** pipe or socket not on the netpoller): enter marks the G's P as in a
** syscall but leaves it with the M (Go's entersyscall), so a short call
** costs no hand-off; sysmon gives the P to another M once the call has
** lasted 20 us and the P has other work (or after 10 ms).  Exit takes the
** P back with one CAS when sysmon did not take it, else the old P if it
** is idle, else any idle P, else waits until a P takes the G.  Between
** the two the G must call nothing of rtlab.  Ms are created as needed, up
** to the runtime option max_threads (10000); needing one more is a fatal
** error, as in Go.  rt_run returns only once every such call has
** returned.  With sysmon=off, enter hands the P off at once. */
void rt_syscall_enter(void);
void rt_syscall_exit(void);
/* The same, but the P goes at once (Go's entersyscallblock): for calls
** known to block long.  Leave with rt_syscall_exit. */
void rt_syscall_enter_block(void);
/* A preemption point: yields when sysmon has asked the running G to
** (it has run time_slice_ms without a switch), else returns at once (a
** load and a branch).  Channel operations, rt_alloc and rt_yield are
** preemption points too; put this in long loops that call none of them.
** With preempt=signal a G is also stopped between any two instructions
** of the program's own code (not in the runtime, not in a shared
** library such as libc), x86-64 only. */
void rt_safepoint(void);
/* Wrappers of the common blocking calls inside rt_syscall_enter/exit:
** what read(2), write(2) and fsync(2) return, or -errno. */
long rt_sys_read(int fd, void *buf, unsigned long n);
long rt_sys_write(int fd, const void *buf, unsigned long n);
int rt_sys_fsync(int fd);
int64_t rt_now(void);             /* monotonic clock, ns (any thread) */
uint64_t rt_gid(void);            /* id of the running G (main is 1) */
int rt_procs(void);               /* number of Ps of the running runtime */

/* ---- channels (Go semantics) ---- */
typedef struct rt_chan rt_chan;

/* A channel of elements of elemsize bytes (0 allowed) and capacity cap
** (0 = unbuffered).  NULL when out of memory. */
rt_chan *rt_chan_make(size_t elemsize, size_t cap);
/* Frees c; no G may be using or waiting on it. */
void rt_chan_free(rt_chan *c);
/* Blocks until the element is delivered or buffered.  c == NULL blocks
** forever; a closed channel is a fatal error. */
void rt_chan_send(rt_chan *c, const void *elem);
/* Blocks until an element arrives (copied to elem unless elem is NULL):
** true; or until c is closed and drained: false, *elem zeroed. */
bool rt_chan_recv(rt_chan *c, void *elem);
/* Wakes every receiver (ok = false); closing twice or NULL is fatal. */
void rt_chan_close(rt_chan *c);
size_t rt_chan_len(rt_chan *c);
size_t rt_chan_cap(rt_chan *c);

typedef enum rt_dir { RT_SEND = 1, RT_RECV = 2 } rt_dir;
typedef struct rt_case {
  rt_chan *c;   /* channel; NULL never becomes ready */
  rt_dir dir;   /* RT_SEND or RT_RECV */
  void *elem;   /* value to send, or where to receive (may be NULL) */
  bool ok;      /* set for the chosen receive: false when closed */
} rt_case;

/* Waits until one case can proceed and does it; returns its index.  When
** several are ready, one is chosen uniformly at random.  With block false
** and none ready, returns -1 at once (Go's default case). */
int rt_select(rt_case *cases, int n, bool block);

/* ---- file descriptors on the netpoller (framework/netpoll.c, epoll) ----
** Go's net package underneath: fds are non-blocking, and a call that
** would block parks the G until epoll says the fd is ready, so a P runs
** other Gs meanwhile.  Every call is from a G of a running runtime and
** returns what the system call does, or -errno (so -EAGAIN never: that is
** what parks); 0 from rt_fd_read is end of file.  An fd opened here must
** be closed with rt_fd_close before main returns; one left open is
** forgotten by the poller when rt_run returns (the fd itself stays open).
** Calls on one fd from several Gs at once are allowed (one reader and one
** writer at a time, as Go's net.Conn: a second reader parks behind the
** first). */
struct sockaddr;
#define RT_FD_READ  1        /* rt_fd_deadline: the reading side */
#define RT_FD_WRITE 2        /* the writing side; OR them for both */
/* socket(2), made non-blocking and close-on-exec, watched by the poller. */
int rt_fd_socket(int domain, int type, int protocol);
/* Adopts an fd made elsewhere (a pipe, a socketpair, an eventfd): makes
** it non-blocking and watches it.  RT_OK or -errno (-EPERM: a regular
** file, which epoll cannot watch; -EEXIST: watched already). */
int rt_fd_open(int fd);
int rt_fd_bind(int fd, const struct sockaddr *addr, unsigned addrlen);
int rt_fd_listen(int fd, int backlog);
/* Waits for a connection; returns the new fd, watched, or -errno. */
int rt_fd_accept(int fd, struct sockaddr *addr, unsigned *addrlen);
/* Connects, parking until the connection is made or refused. */
int rt_fd_connect(int fd, const struct sockaddr *addr, unsigned addrlen);
/* Reads up to n bytes, parking until some arrive: the count, 0 at end of
** file, or -errno (-ETIMEDOUT: the read deadline passed). */
long rt_fd_read(int fd, void *buf, unsigned long n);
/* Writes all n bytes, parking while the fd is full: n, or, when an error
** or the write deadline stops it, the bytes written before if any, else
** -errno. */
long rt_fd_write(int fd, const void *buf, unsigned long n);
/* shutdown(2): SHUT_WR half-closes, so the peer reads end of file. */
int rt_fd_shutdown(int fd, int how);
/* Stops watching fd, wakes the Gs parked on it (they get -EBADF), closes
** it. */
int rt_fd_close(int fd);
/* Sets the read and/or write deadline (RT_FD_READ | RT_FD_WRITE) to `at`,
** an absolute rt_now() time; 0 clears it.  Pending and later calls on
** that side return -ETIMEDOUT once it passes (a deadline in the past
** fails them at once), as Go's SetDeadline.  RT_OK or -errno. */
int rt_fd_deadline(int fd, int which, int64_t at);

/* ---- timers (Go's time.Timer and time.Ticker) ---- */
/* A timer whose channel (capacity 1, int64_t elements: rt_now() when it
** fired) receives once, ns from now, or with period > 0 every period ns
** after that (a ticker; a tick that finds the channel full is dropped, and
** a late ticker skips to its next multiple of the period).  The timer
** lives on the calling G's P.  From a G; NULL when out of memory. */
typedef struct rt_timer rt_timer;
rt_timer *rt_timer_start(int64_t ns, int64_t period);
rt_chan *rt_timer_chan(rt_timer *t);
/* Disarms t: true when that stopped it before it fired (a ticker: while
** it was running); a value it sent already stays in the channel. */
bool rt_timer_stop(rt_timer *t);
/* Stops t, then arms it to fire ns from now (with its period): true when
** it was armed.  Drain the channel first if a stale value must not be
** read as the new one. */
bool rt_timer_reset(rt_timer *t, int64_t ns);
/* Stops t and frees it with its channel; no G may be waiting on it.  The
** calls on one timer (stop, reset, free) must not run at once on several
** Gs; its firing may run at any time, and is ordered with them. */
void rt_timer_free(rt_timer *t);

/* ---- sync: zero-initialised values are ready to use ---- */
/* An M-level lock (spin, then futex); its functions are in rt_module.h. */
typedef struct rt_lock {
  _Atomic uint32_t v;     /* 0 free, 1 held, 2 held with sleepers */
} rt_lock;

typedef struct rt_waitq {
  rt_lock lock;           /* guards the list; held only briefly */
  void *head, *tail;      /* parked waiters, FIFO */
} rt_waitq;

typedef struct rt_mutex {
  _Atomic uint32_t state; /* 0 free, 1 locked, 2 locked with waiters */
  rt_waitq q;             /* Gs parked on the mutex */
} rt_mutex;

void rt_mutex_lock(rt_mutex *mu);
bool rt_mutex_trylock(rt_mutex *mu);
void rt_mutex_unlock(rt_mutex *mu); /* fatal if not locked */

typedef struct rt_waitgroup {
  _Atomic uint64_t state; /* outstanding Done calls << 32 | Gs in Wait (one
                             word, so that the Done that ends the count
                             knows whether anyone waits: when nobody does,
                             it touches the WaitGroup no more, and a Wait
                             that sees zero may free it at once) */
  rt_waitq q;             /* Gs parked in Wait */
} rt_waitgroup;

/* As Go's: the count stays in [0, 2^31); below zero is fatal. */
void rt_wg_add(rt_waitgroup *wg, int64_t delta);
void rt_wg_done(rt_waitgroup *wg);
void rt_wg_wait(rt_waitgroup *wg);

#ifdef __cplusplus
}
#endif
#endif
