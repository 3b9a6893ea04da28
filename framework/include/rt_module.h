/*
** rt_module.h: the contract for module authors, and the registry that
** config/ and the rtlab command use to find modules.
**
** A module is one const table of functions (a "ops" table) in the style of
** Linux's struct sched_class and SQLite's sqlite3_vfs: it starts with the
** ABI version, a name, a one-line summary, the parameters it declares and
** the size of the private state the framework allocates for it, so a
** module never allocates on a hot path.  Later ABI versions only append
** fields.  A module includes this header and nothing else of the framework.
**
** Two kinds so far, scheduler policies and allocators; collectors will
** follow the same shape.  Every ops table starts with the same five
** fields (rt_mod_head), which is all the registry needs to know.
*/
#ifndef RT_MODULE_H
#define RT_MODULE_H

#include "rt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RT_ABI_VERSION 4

/* ==== Parameters ==================================================== */

typedef enum rt_ptype {
  RT_PT_INT,     /* integer in [min, max] */
  RT_PT_DOUBLE,  /* real in [min, max] */
  RT_PT_BOOL,    /* on/off, true/false, 1/0 */
  RT_PT_ENUM     /* one of the '|'-separated choices; value is its index */
} rt_ptype;

typedef struct rt_param {
  const char *name;     /* identifier used in "name,k=v" specs and Lua */
  rt_ptype type;        /* how the value is parsed and checked */
  double def;           /* default (enum: index of the default choice) */
  double min, max;      /* inclusive range for INT and DOUBLE */
  const char *choices;  /* ENUM only: "a|b|c" */
  const char *doc;      /* one line for `rtlab list` */
} rt_param;

/* A resolved parameter value; INT, BOOL and ENUM use i, DOUBLE uses d. */
typedef union rt_pval {
  int64_t i;            /* INT value, BOOL 0/1, ENUM index */
  double d;             /* DOUBLE value */
} rt_pval;

#define RT_MAX_PARAMS 16  /* a module declares at most this many */

/* ==== Scheduler policy ============================================== */

typedef struct rt_g rt_g;  /* a green thread; opaque but for its head */

/* Every rt_g starts with this head.  While the framework hands a G to a
** policy (between ready and the pick or steal that returns it) the policy
** owns `link` and may use it to chain Gs in its own queues. */
typedef struct rt_ghead {
  rt_g *link;           /* free for the policy while the G is queued */
  uint64_t id;          /* G id, stable for the G's life (main is 1) */
} rt_ghead;

static inline rt_g **rt_g_link(rt_g *g) { return &((rt_ghead *)g)->link; }
static inline uint64_t rt_g_id(const rt_g *g) { return ((const rt_ghead *)g)->id; }

/* Why a G became runnable: policies place Gs differently by cause. */
#define RT_WHYS(X) \
  X(NEW,     "new")      /* just spawned by the running G */            \
  X(WOKEN,   "woken")    /* readied by the running G (chan, mutex...) */ \
  X(YIELD,   "yield")    /* the running G yielded */                    \
  X(PREEMPT, "preempt")  /* the running G was preempted */              \
  X(POLL,    "poll")     /* readied by the netpoller */                 \
  X(TIMER,   "timer")    /* readied by a timer */                       \
  X(INJECT,  "inject")   /* handed in from outside any P (M0 start) */

typedef enum rt_why {
#define RT_X_(id, name) RT_WHY_##id,
  RT_WHYS(RT_X_)
#undef RT_X_
  RT_WHY__N
} rt_why;

/* What a scheduler policy sees of a P.  The framework owns the struct;
** the policy owns *state and *shared. */
typedef struct rt_sp {
  void *state;               /* state_size zeroed bytes, this P's */
  void *shared;              /* shared_size zeroed bytes, one for all Ps */
  const rt_pval *param;      /* resolved parameters, declaration order */
  struct rt_sp *const *all;  /* every P, indexed by id: victims to steal */
  int id;                    /* this P's index, 0 .. nprocs-1 */
  int nprocs;                /* number of Ps */
  uint64_t schedtick;        /* Gs started here with a fresh slice */
  uint64_t rand;             /* state of rt_rand; seeded per P */
  uint64_t cnt[RT_CNT__N];   /* counters; only the owner writes them */
} rt_sp;

/* Fast per-P random numbers (xorshift64*).  Owner of p only. */
static inline uint32_t rt_rand(rt_sp *p) {
  uint64_t x = p->rand;
  x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
  p->rand = x;
  return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

/* Who calls what.  "Owner" means the M that holds P p right now: only it
** calls an op with that p, so per-P state needs no lock against the
** owner itself.  Ops that touch another P's state (steal) or the shared
** state must synchronise with atomics or locks of their own. */
typedef struct rt_sched_ops {
  uint32_t abi;              /* RT_ABI_VERSION */
  const char *name;          /* unique, [a-z0-9_]+ */
  const char *summary;       /* one line */
  const rt_param *params;    /* declared parameters (may be NULL) */
  int nparams;               /* number of params, <= RT_MAX_PARAMS */
  size_t state_size;         /* bytes of per-P state */
  size_t shared_size;        /* bytes of state shared by all Ps */

  /* Optional.  Called once per P, P 0 first, before any G runs, on the
  ** thread that starts the runtime.  P 0 sets up *shared.  Returns RT_OK
  ** or a negative code, which aborts rt_run. */
  int (*init)(rt_sp *p);
  /* Optional.  Called once per P after the last G ran, P 0 last. */
  void (*fini)(rt_sp *p);

  /* Owner of p.  g (not running, its context saved) becomes runnable;
  ** the policy must keep it until pick or steal hands it back. */
  void (*ready)(rt_sp *p, rt_g *g, rt_why why);
  /* Owner of p.  The next G for p, or NULL when p has none locally (or in
  ** shared queues the policy reads from here).  Set *inherit when the G
  ** should share the time slice of the G before it (Go's runnext). */
  rt_g *(*pick)(rt_sp *p, bool *inherit);
  /* Owner of thief; called only when pick(thief) returned NULL.  Takes
  ** work from other Ps (their state is read concurrently with their
  ** owners), keeps any surplus in thief's queues and returns one G to run,
  ** or NULL.  Optional: NULL means the policy never steals. */
  rt_g *(*steal)(rt_sp *thief);
  /* Any thread, lock-free, may be stale: whether pick(p) or a steal from
  ** p could find a G.  The framework uses it to decide whether to wake an
  ** idle P and, when it is about to sleep, whether to look again. */
  bool (*runnable)(const rt_sp *p);

  /* Optional; any thread, before init.  Checks parameter values against
  ** rules their declared ranges cannot express (go: local_size must be a
  ** power of two).  RT_OK, or RT_EINVAL with a message in err that names
  ** the parameter, the rule and the value given. */
  int (*check)(const rt_pval *vals, char *err, size_t errlen);
} rt_sched_ops;

/* ==== Allocator ===================================================== */

/* Capabilities an allocator declares. */
#define RT_AC_FIND   0x1u  /* base_of, size_of and walk work: it can serve a collector */
#define RT_AC_MARK   0x2u  /* mark_of gives each live object a mark byte */

/* What an allocator sees of a P.  The framework owns the struct; the
** allocator owns *state and *shared.  Counters in st may be written
** only by the owner of this P, and a free on P q of an object allocated
** on P p is accounted on q (sums over Ps are what mean something). */
typedef struct rt_ap {
  void *state;               /* state_size zeroed bytes, this P's */
  void *shared;              /* shared_size zeroed bytes, one for all Ps */
  const rt_pval *param;      /* resolved parameters, declaration order */
  struct rt_ap *const *all;  /* every P's view, indexed by id */
  int id;                    /* this P's index */
  int nprocs;                /* number of Ps */
  rt_astats st;              /* this P's figures */
} rt_ap;

typedef struct rt_alloc_ops {
  uint32_t abi;              /* RT_ABI_VERSION */
  const char *name;          /* unique, [a-z0-9_]+ */
  const char *summary;       /* one line */
  const rt_param *params;    /* declared parameters (may be NULL) */
  int nparams;               /* number of params, <= RT_MAX_PARAMS */
  size_t state_size;         /* bytes of per-P state */
  size_t shared_size;        /* bytes of state shared by all Ps */
  uint32_t caps;             /* RT_AC_* */

  /* Optional; any thread, before init.  NULL when the allocator can run
  ** here, else why not and how to fix it ("libjemalloc.so.2 not found:
  ** apt-get install libjemalloc2"). */
  const char *(*unavailable)(void);
  /* Optional.  Once per P, P 0 first, before any G runs; P 0 sets up
  ** *shared.  RT_OK or a negative code, which aborts rt_run. */
  int (*init)(rt_ap *p);
  /* Optional.  Once per P after the last G ran, P 0 last: give back
  ** everything. */
  void (*fini)(rt_ap *p);

  /* Owner of p.  size bytes (size 0 is a valid, unique object) aligned
  ** to 16, or to 8 when size_of is not a multiple of 16 (size classes of
  ** 24, 40 ... bytes, as Go's), or, for RT_AF_NOSCAN requests under 16
  ** bytes, to what their size needs (tiny blocks); NULL when it cannot,
  ** with nothing else changed. */
  void *(*alloc)(rt_ap *p, size_t size, unsigned flags);
  /* Owner of p.  ptr came from alloc on any P and is live; NULL is a
  ** no-op (the framework filters it). */
  void (*free)(rt_ap *p, void *ptr);
  /* Any thread.  The start of the live object holding addr, or NULL when
  ** addr is inside none (RT_AC_FIND; O(1) amortized, through a page map). */
  void *(*base_of)(rt_ap *p, const void *addr);
  /* Any thread.  Usable bytes of the live object at base. */
  size_t (*size_of)(rt_ap *p, const void *base);
  /* World stopped.  Calls fn once per live object (RT_AC_FIND). */
  void (*walk)(rt_ap *p, void (*fn)(void *base, size_t size, void *ctx), void *ctx);
  /* Any thread.  The mark byte of the live object at base (RT_AC_MARK):
  ** the collector's, but 0 in an object alloc has just returned. */
  uint8_t *(*mark_of)(rt_ap *p, const void *base);

  /* Optional; any thread, before init: rules ranges cannot express. */
  int (*check)(const rt_pval *vals, char *err, size_t errlen);
  /* Optional (allocators with size classes).  After the last G ran,
  ** before fini: P p's figures per class into out[0..n), n <= max, the
  ** same classes in the same order on every P (the framework sums them);
  ** returns n. */
  int (*classes)(rt_ap *p, rt_aclass *out, int max);

  /* Optional (ABI 3; RT_AC_FIND and RT_AC_MARK).  Any thread: base_of,
  ** with the object's usable size in *size and its mark byte in *mark, in
  ** one look-up; what a collector's mark loop asks of every word that may
  ** point into the heap. */
  void *(*find)(rt_ap *p, const void *addr, size_t *size, uint8_t **mark);
  /* Optional (ABI 3).  World stopped, on the stopper's view p: frees every
  ** live object whose mark byte lacks `bit`, after filling its usable
  ** bytes with `fill` when fill >= 0, and clears `bit` in the others.
  ** Adds the kept objects' usable bytes to *kept; returns the number of
  ** objects freed.  Without it, the framework walks and frees one by one. */
  size_t (*sweep)(rt_ap *p, uint8_t bit, int fill, int64_t *kept);

  /* Optional (ABI 4), both or neither: the sweep spread over time, lazy
  ** or concurrent with the program, as Go's.  The allocator cuts its heap
  ** into parts (segregated: spans) and sweeps each as sweep does, when a
  ** G asks for it or before it allocates from that part: an object it
  ** hands out after sweep_begin is never judged by that sweep (its mark
  ** byte says nothing yet), and one it hands out is never freed by it.
  ** The objects freed are added to st.frees of the P that swept them, by
  ** the allocator (some are freed inside alloc).
  **
  ** World stopped, on the stopper's view: begins a sweep of `bit` (fill
  ** as in sweep).  A sweep still under way is finished first.  Returns
  ** the parts to sweep. */
  size_t (*sweep_begin)(rt_ap *p, uint8_t bit, int fill);
  /* From a G (or the stopper), on its P's view: sweeps up to max parts
  ** that no one has swept yet; returns how many it swept, 0 when every
  ** part has been taken (a G may still be sweeping its last ones: none
  ** is once the world is stopped). */
  size_t (*sweep_some)(rt_ap *p, size_t max);
} rt_alloc_ops;

/* ==== Services for modules ========================================== */

/* M-level lock: spins briefly, then sleeps on a futex.  Never hold one
** across a G switch. */
void rt_lock_acquire(rt_lock *l);
void rt_lock_release(rt_lock *l);
bool rt_lock_try(rt_lock *l);

/* A FIFO of Gs chained through rt_g_link under its own lock, with a
** length that may be read without it: the queue most policies need (fifo's
** global queue, randsteal's per-P queues).  Any thread. */
typedef struct rt_gqueue {
  rt_lock lock;              /* guards head and tail */
  rt_g *head, *tail;         /* oldest and newest G */
  _Atomic int64_t len;       /* written under lock, peeked without it */
} rt_gqueue;

static inline int64_t rt_gq_len(const rt_gqueue *q) {
  return atomic_load_explicit(&q->len, memory_order_relaxed);
}

static inline void rt_gq_push(rt_gqueue *q, rt_g *g) {
  *rt_g_link(g) = NULL;
  rt_lock_acquire(&q->lock);
  if (q->tail) *rt_g_link(q->tail) = g;
  else q->head = g;
  q->tail = g;
  atomic_store_explicit(&q->len, rt_gq_len(q) + 1, memory_order_relaxed);
  rt_lock_release(&q->lock);
}

/* The oldest G, or NULL (without taking the lock when it looks empty). */
static inline rt_g *rt_gq_pop(rt_gqueue *q) {
  if (rt_gq_len(q) == 0) return NULL;
  rt_lock_acquire(&q->lock);
  rt_g *g = q->head;
  if (g) {
    q->head = *rt_g_link(g);
    if (!q->head) q->tail = NULL;
    atomic_store_explicit(&q->len, rt_gq_len(q) - 1, memory_order_relaxed);
  }
  rt_lock_release(&q->lock);
  return g;
}

/* Sleep this M for about ns nanoseconds (Go's usleep(3) before stealing a
** runnext). */
void rt_nanosleep(uint64_t ns);

/* NUMA placement (framework/topo.c).  Nodes are the logical indices of
** the run's placement plan (rt.h: rt_place, rt_topo_plan): with placement
** none they are nominal (P i on PU i mod pus; Ms not bound), so a policy
** decides the same way bound or not.  The plan is fixed before the first
** init op and read-only until the run ends: any thread, during a run
** (init and fini included).  Outside a run: node 0 of 1 node. */
int rt_sp_node(const rt_sp *p);  /* NUMA node of P p */
int rt_sp_node_of(int pid);      /* NUMA node of P pid; 0 when out of range */
int rt_sp_nnodes(void);          /* nodes of the run's topology, >= 1; every
                                    node index is below it */

/* ==== Services for allocators ====================================== */

/* Allocators that carve their own heaps take 8 KiB pages from the run's
** arena (one reserved address range, address-ordered first fit; with
** placement numa the pages of P p are bound to its node).  Any thread. */
#define RT_PAGE 8192

/* A zeroed run of npages contiguous pages, 8 KiB-aligned, for P p, or NULL
** when the arena is exhausted.  Adds to p->st.sys_bytes. */
void *rt_pages_alloc(rt_ap *p, size_t npages);
/* Gives a run (or part of one) back; its memory goes back to the OS (it
** reads zero when granted again).  Costs a system call: keep free pages
** a while rather than calling this per object.  Moves the bytes from
** p->st.sys_bytes to p->st.released_bytes. */
void rt_pages_free(rt_ap *p, void *run, size_t npages);
/* Gives a run back but keeps its memory resident (still in
** p->st.sys_bytes): a later rt_pages_alloc on any P may get its pages
** again at the cost of a memset instead of page faults.  For a page heap
** that frees and regrants runs often; rt_pages_scavenge returns them to
** the OS. */
void rt_pages_retain(rt_ap *p, void *run, size_t npages);
/* Returns to the OS pages retained at least min_age_ms ago, at most
** max_pages of them (Go's scavenger); moves their bytes from
** p->st.sys_bytes to released_bytes and returns how many.  Cheap to call
** on every slow path: it looks at most once per min_age_ms / 2. */
size_t rt_pages_scavenge(rt_ap *p, uint64_t min_age_ms, size_t max_pages);
/* The page map: an owner word per page, set by the allocator for the
** runs it carves (a span or block header), read back for any address in
** O(1) and without a lock: what base_of is built on.  rt_pages_owner is
** NULL outside the arena and for pages without an owner. */
void rt_pages_set_owner(void *run, size_t npages, void *owner);
/* The page map as rt_pages_owner reads it: set by the arena for a run,
** read-only to modules.  Inline, because base_of, free and every word a
** mark loop looks at go through it (two calls per look-up were 3% of
** binarytrees under marksweep). */
typedef struct rt_pagemap {
  uintptr_t base;            /* the arena's first byte */
  size_t len;                /* its bytes */
  void **owner;              /* an owner word per RT_PAGE (atomic loads) */
} rt_pagemap;
extern rt_pagemap rt_pagemap_run;
static inline void *rt_pages_owner(const void *addr) {
  size_t off = (size_t)((uintptr_t)addr - rt_pagemap_run.base);
  if (off >= rt_pagemap_run.len) return NULL;  /* below base too: the difference wraps */
  return __atomic_load_n(&rt_pagemap_run.owner[off / RT_PAGE], __ATOMIC_ACQUIRE);
}

/* ==== Registry ======================================================= */

/* The first fields of every kind's ops table. */
/* ==== Collector ===================================================== */

/* The collector's view of a P.  The framework owns it. */
typedef struct rt_gp {
  void *state;               /* state_size zeroed bytes, this P's */
  void *shared;              /* shared_size zeroed bytes, one for all Ps */
  const rt_pval *param;      /* resolved parameters, declaration order */
  int id;                    /* this P's index */
  int nprocs;                /* number of Ps */
} rt_gp;

/* Why a collection starts. */
enum { RT_GC_EXPLICIT = 1, RT_GC_HEAP = 2 };

#define RT_GCC_FIND 0x1u     /* it finds objects: needs an allocator with RT_AC_FIND
                                and RT_AC_MARK (not a wrapper of a system malloc) */

typedef struct rt_gc_ops {
  uint32_t abi;              /* RT_ABI_VERSION */
  const char *name;          /* unique, [a-z0-9_]+ */
  const char *summary;       /* one line */
  const rt_param *params;    /* declared parameters (may be NULL) */
  int nparams;               /* number of params, <= RT_MAX_PARAMS */
  size_t state_size;         /* bytes of per-P state */
  size_t shared_size;        /* bytes of state shared by all Ps */
  uint32_t caps;             /* RT_GCC_* */

  /* Optional.  Rules beyond the declared ranges.  Any thread. */
  int (*check)(const rt_pval *vals, char *err, size_t errlen);
  /* Optional.  Once per P, P 0 first, before any G runs. */
  int (*init)(rt_gp *p);
  /* Optional.  Once per P after the last G, P 0 last. */
  void (*fini)(rt_gp *p);
  /* Optional.  Owner of p, after every successful rt_alloc: accounting,
  ** triggers, assists, allocating black. */
  void (*on_alloc)(rt_gp *p, void *obj, size_t size, unsigned flags);
  /* Optional.  Owner of p: *slot is about to become v (rt_store_ptr); the
  ** op makes the store itself.  NULL: a plain store. */
  void (*barrier)(rt_gp *p, void **slot, void *v);
  /* Optional.  From a G on p: a collection for `reason` (RT_GC_*),
  ** returning when it is done.  NULL: nothing to collect (none). */
  void (*collect)(rt_gp *p, int reason);
} rt_gc_ops;

/* Framework services for collectors (from a G).
** rt_stw_start stops the world: every other P stops at a safe point (a
** preemption point, a switch, or, with preempt=signal, any instruction of
** the program's own code), an idle one at once, one in a system call by
** taking it; *ttsp_ns receives how long that took.  Only the caller runs
** until rt_stw_end.  False when another G was stopping the world: the
** caller was stopped meanwhile and the world runs again (try again, or
** take the other's collection as done), or when main has returned (the
** run is ending and nothing is left to stop).  A G that never reaches a safe
** point delays it without bound (preempt=off, or a loop without one). */
bool rt_stw_start(int64_t *ttsp_ns);
/* Starts the world again; returns rt_now() when the stopped Ms were let
** go: the pause's end.  The Ps the stopper took are handed to Ms after
** that (waking or making an M took milliseconds on a VM), while the
** program runs. */
int64_t rt_stw_end(void);
/* World stopped: calls fn(lo, hi, arg) with the live part of every G's
** stack, [lo, hi): from its saved stack pointer, which lies below the
** callee-saved registers it saved, to its top; for the caller, from its
** current frame.  A G in a system call is seen from where it entered
** rt_syscall_enter: pointers it holds only in registers across the call
** are not seen.  A G that has not run yet has no stack and is not reported
** (its argument is a root, see rt_gc_roots). */
void rt_stw_stacks(void (*fn)(const void *lo, const void *hi, void *arg), void *arg);

/* World stopped, from the stopper: runs fn(worker, nworkers, arg) at once
** on the stopper (worker 0) and on every M that stopped holding its P
** (workers 1 .. nworkers-1), each on the stack it stopped on; the Ps the
** stopper holds (idle ones, or taken from system calls) are first lent to
** idle or new Ms, as the thread limit allows, so every P takes part.
** Returns nworkers once every call has returned.  fn must not park,
** allocate, or stop the world. */
int rt_stw_parallel(void (*fn)(int worker, int nworkers, void *arg), void *arg);
/* World stopped, from the stopper: the nworkers rt_stw_parallel would use. */
int rt_stw_workers(void);

/* Mark work shared by the workers of a parallel mark, in the manner of
** Go's gcWork: each worker pushes and pops grey objects on buffers of its
** own, without locks; a full buffer goes to the queue's shared list, from
** which a worker that ran dry takes one; rt_gcw_balance hands out half of
** a worker's buffer when others wait and nothing is shared.  rt_gcw_get
** returns false only when every worker is out of work: the mark is done.
** Out of memory for a buffer, rt_gcw_put drops the object and the queue
** remembers it (rt_markq_lost): the collector must rescan marked objects. */
typedef struct rt_grey {
  const char *base;          /* the object's first byte */
  size_t size;               /* bytes to scan, | RT_GREY_TYPED for a typed object */
} rt_grey;

/* Typed objects (rt_alloc_typed).  Bit 7 of a mark byte is the
** framework's, not a collector's: set from allocation on an object that
** carries a type header (the allocators clear the byte for a new object;
** sweeps keep the bit with the object).  A mark loop greys such an object
** with RT_GREY_TYPED in its size and scans it with rt_typed_scan, which
** calls fn over each run of pointer words its type names. */
#define RT_MARK_TYPED 0x80u
#define RT_GREY_TYPED ((size_t)1 << 63)
void rt_typed_scan(const void *base, void (*fn)(const void *lo, const void *hi, void *arg),
                   void *arg);

#define RT_WBUF_N 254
typedef struct rt_wbuf {
  struct rt_wbuf *next;      /* on the queue's full or empty list */
  size_t n;                  /* entries used */
  rt_grey e[RT_WBUF_N];      /* the entries, a stack */
} rt_wbuf;

typedef struct rt_markq rt_markq;  /* the shared lists; one per collector */

typedef struct rt_gcw {
  rt_wbuf *cur;              /* pushes and pops go here */
  rt_wbuf *alt;              /* swapped with cur before going to the queue,
                                so a worker at a buffer's edge does not
                                move a buffer on every push and pop */
  rt_markq *q;               /* the queue it shares with */
} rt_gcw;

/* A queue with two buffers for each of up to maxworkers workers made
** ahead, so rt_gcw_init cannot fail; NULL when out of memory. */
rt_markq *rt_markq_new(int maxworkers);
void rt_markq_free(rt_markq *q);
/* Before a parallel drain, from one thread: nworkers (<= maxworkers) will
** take part, each with rt_gcw_init first and rt_gcw_fini last. */
void rt_markq_reset(rt_markq *q, int nworkers);
/* Whether an object was dropped since the last reset. */
bool rt_markq_lost(rt_markq *q);
/* A worker's buffers: init before its first put, fini after its last get
** (both buffers empty then) or to discard what is left. */
void rt_gcw_init(rt_gcw *w, rt_markq *q);
void rt_gcw_fini(rt_gcw *w);
bool rt_gcw_flush(rt_gcw *w);          /* cur is full: out of line */
bool rt_gcw_refill(rt_gcw *w);         /* cur is empty: out of line, may wait */
void rt_gcw_balance(rt_gcw *w);        /* call every few dozen gets */

static inline void rt_gcw_put(rt_gcw *w, const char *base, size_t size) {
  if (w->cur->n == RT_WBUF_N && !rt_gcw_flush(w)) return;
  w->cur->e[w->cur->n++] = (rt_grey){base, size};
}

static inline bool rt_gcw_get(rt_gcw *w, rt_grey *g) {
  if (w->cur->n == 0 && !rt_gcw_refill(w)) return false;
  *g = w->cur->e[--w->cur->n];
  return true;
}

/* Outside a drain (a concurrent mark, where workers come and go and
** nobody waits for the others): w's next grey object from its own
** buffers or the shared list, without waiting; false when both are
** empty, which says nothing of other workers' buffers. */
bool rt_gcw_tryrefill(rt_gcw *w);
static inline bool rt_gcw_tryget(rt_gcw *w, rt_grey *g) {
  if (w->cur->n == 0 && !rt_gcw_tryrefill(w)) return false;
  *g = w->cur->e[--w->cur->n];
  return true;
}
/* w's buffers that hold work go to the shared list, empty ones take their
** place: any worker's next get may take them (from the owner of w). */
void rt_gcw_share(rt_gcw *w);
/* Whether the shared list is empty.  Any thread. */
bool rt_markq_empty(rt_markq *q);


/* World stopped, from the stopper: calls fn over the registered roots
** (rt_gc_root_add) and the runtime's own places that hold the program's
** values: the buffers of channels with pointer-sized elements and each
** live G's argument (rt_go's arg). */
void rt_gc_roots(void (*fn)(const void *lo, const void *hi, void *arg), void *arg);
/* rt_gc_roots in two parts, for a concurrent mark.  The registered roots
** alone, from a G while the program runs: the program stores into them
** through rt_store_ptr, so a write barrier sees every change (Go scans
** its globals beside the program too). */
void rt_gc_roots_registered(void (*fn)(const void *lo, const void *hi, void *arg), void *arg);
/* The rest, world stopped: channel buffers (written by sends without a
** barrier) and G arguments. */
void rt_gc_roots_runtime(void (*fn)(const void *lo, const void *hi, void *arg), void *arg);

/* The run's heap, for collectors that find objects (RT_GCC_FIND: the
** allocator has RT_AC_FIND and RT_AC_MARK).  base_of, size_of and mark_of
** from any thread; walk with the world stopped. */
void *rt_heap_base_of(const void *addr);
size_t rt_heap_size_of(const void *base);
uint8_t *rt_heap_mark_of(const void *base);
void rt_heap_walk(void (*fn)(void *base, size_t size, void *ctx), void *ctx);
/* The allocator's find op (or the framework's, from base_of, size_of and
** mark_of) and the view to pass it: a mark loop calls it directly, one
** indirect call per word.  Any thread. */
typedef void *(*rt_heap_find_fn)(rt_ap *p, const void *addr, size_t *size, uint8_t **mark);
rt_heap_find_fn rt_heap_finder(rt_ap **p);
/* World stopped, from the stopper: frees every live object whose mark
** byte lacks `bit` and clears `bit` in the others (the allocator's sweep
** op, or a walk and a free per object).  Sets *kept to the usable bytes of
** the objects kept; returns the number freed. */
size_t rt_heap_sweep(uint8_t bit, int64_t *kept);
/* The sweep spread over time (the allocator's sweep_begin and
** sweep_some).  World stopped, from the stopper: begins a sweep of `bit`
** that should be over by the time the program has allocated `runway`
** more bytes (rt_heap_sweep_pay's pace); false when the allocator cannot
** (then rt_heap_sweep, in the pause).  The next mark may begin only when
** the sweep is over (rt_heap_sweep_finish): the bits of unswept objects
** are still set. */
bool rt_heap_sweep_begin(uint8_t bit, int64_t runway);
/* From a G that allocated `bytes`: sweeps what the pace above asks for
** all the bytes reported so far, less what every G has swept. */
void rt_heap_sweep_pay(int64_t bytes);
/* From a G: sweeps up to max parts; false when nothing was left to take
** (a background sweeper's loop). */
bool rt_heap_sweep_step(size_t max);
/* From a G or the stopper: sweeps every part left. */
void rt_heap_sweep_finish(void);
/* Every object lies in [*lo, *hi): a collector can skip a word outside
** without asking base_of.  Any thread. */
void rt_heap_bounds(uintptr_t *lo, uintptr_t *hi);

/* A marker: one worker's part of a conservative mark (the concurrent
** collector's; marksweep still runs its own copy of this loop: moved onto
** this one, its binarytrees kept 16 MiB more for the whole run, which is
** not understood yet).  rt_mark shades a word that may point into the heap:
** the object it points into (interior pointers count) gets `bit` in its
** mark byte and, unless its byte has `noscan`, goes grey.  The mark byte
** is set with a plain (relaxed atomic) store: two workers reaching one
** object at once may both scan it, which is harmless and cheaper than a
** locked instruction per object (Boehm's mark bytes rest on the same
** fact). */
typedef struct rt_marker {
  rt_gcw w;                  /* its grey objects */
  uintptr_t below;           /* one byte below the heap (rt_heap_bounds' lo - 1),
                                never an object's address: the stopper's own stack
                                is scanned, markers included, and the heap's first
                                object would be kept alive by a plain lo */
  uintptr_t span;            /* the heap's bytes: words outside are skipped */
  rt_heap_find_fn find;      /* the heap's find (rt_heap_finder) */
  rt_ap *fap;                /* the view to pass it */
  uint8_t bit;               /* the bit this mark sets */
  uint8_t noscan;            /* the bit of pointer-free objects */
  int64_t work;              /* bytes scanned so far (a pacer's unit of work) */
  int64_t marked;            /* bytes of the objects it marked (the live heap a
                                lazy sweep has yet to count) */
} rt_marker;
/* k's gcw joins q (rt_gcw_init); bit and noscan as above. */
void rt_marker_init(rt_marker *k, rt_markq *q, uint8_t bit, uint8_t noscan);
static inline void rt_mark(rt_marker *k, const void *v) {
  if ((uintptr_t)v - k->below - 1 >= k->span) return;  /* NULL, numbers, stacks */
  size_t size;
  uint8_t *m;
  const char *base = k->find(k->fap, v, &size, &m);
  if (!base) return;
  uint8_t old = __atomic_load_n(m, __ATOMIC_RELAXED);
  if (old & k->bit) return;
  __atomic_store_n(m, old | k->bit, __ATOMIC_RELAXED);
  k->marked += (int64_t)size;
  if (!(old & k->noscan)) rt_gcw_put(&k->w, base, old & RT_MARK_TYPED ? size | RT_GREY_TYPED : size);
}
/* rt_mark on every aligned word of [lo, hi); marker is an rt_marker (the
** shape rt_stw_stacks and rt_gc_roots call). */
void rt_mark_range(const void *lo, const void *hi, void *marker);
/* In a drain of nworkers (rt_markq_reset): scans grey objects until every
** worker is out of work. */
void rt_mark_drain(rt_marker *k, int nworkers);
/* Outside a drain: scans grey objects (rt_gcw_tryget) until about budget
** bytes are scanned, none is left to k, or the G is asked to yield (a
** stop of the world waits for it); returns the bytes scanned. */
int64_t rt_mark_some(rt_marker *k, int64_t budget);
/* World stopped, from the stopper: marks with bit everything reachable
** from what q holds and, when roots, from the roots (every G's stack,
** rt_gc_roots), on every P (parallel: rt_stw_parallel) or on this thread
** alone.  Should a grey buffer have been lost (rt_markq_lost, now or
** before the call), every marked object is scanned again until nothing is
** lost.  Returns the marking time summed over the workers; adds the bytes
** they marked to *marked. */
int64_t rt_mark_world(rt_markq *q, uint8_t bit, uint8_t noscan, bool roots, bool parallel,
                      int64_t *marked);
/* A check of a concurrent mark, world stopped at its end.  A second mark
** from the roots (marksweep's verify) cannot serve there: a conservative
** scan of a stack may meet a stale word to an object that was garbage
** when the mark began (a snapshot at the beginning rightly leaves it),
** and call it reachable.  This checks instead that the mark is closed: no
** word of a marked object that may hold pointers, of a registered root,
** channel buffer or G argument points into an unmarked object.  Stacks
** are not checked: the stopped Ms' frames move between a mark and this
** check (they run the mark's workers), which turns stale slots into false
** alarms.  On a miss the program stops with the object and the collector
** `who` named, rather than go on to use freed memory. */
void rt_mark_check_closed(uint8_t bit, uint8_t noscan, const char *who);

/* What a collector reports of each cycle; the framework keeps the
** figures of rt_gcstats (pauses, their percentiles, MMU) from them. */
typedef struct rt_gccycle {
  int64_t pause_start;       /* rt_now() when it began stopping the world */
  int64_t pause_end;         /* when the world ran again */
  int64_t ttsp_ns;           /* time to bring every G to a safe point */
  int64_t mark_ns;           /* marking, summed over the Ps that marked */
  int64_t sweep_ns;          /* sweeping */
  int64_t heap_before;       /* live bytes when it began */
  int64_t heap_after;        /* live bytes it left */
  int64_t heap_goal;         /* the next cycle's trigger */
  int64_t pause1_start;      /* a concurrent cycle's first pause, which starts its
                                mark (0: the cycle had one pause) */
  int64_t pause1_end;        /* its end; the program ran on from here to pause_start
                                while the mark went on */
  int64_t mark_conc_ns;      /* of mark_ns, what ran outside the pauses (workers and
                                assists beside the program) */
} rt_gccycle;
void rt_gc_cycle_done(const rt_gccycle *c);
/* A pause that ended no cycle (a concurrent collector's attempt at its
** final pause that found work left and let the program run again):
** counted among the pauses, with its time to safe point. */
void rt_gc_pause_done(int64_t start, int64_t end, int64_t ttsp_ns);

/* From a G: the collector's view of the P it runs on (for a collector's
** own worker Gs; the ops are handed theirs). */
rt_gp *rt_gc_self(void);
/* From the world's stopper, or in init: whether rt_store_ptr calls the
** collector's barrier op (on from the start when it has one) or stores
** plainly.  A concurrent collector turns it on for its marks only. */
void rt_gc_barrier(bool on);

typedef struct rt_mod_head {
  uint32_t abi;              /* RT_ABI_VERSION */
  const char *name;          /* unique, [a-z0-9_]+ */
  const char *summary;       /* one line */
  const rt_param *params;    /* declared parameters */
  int nparams;               /* how many */
} rt_mod_head;

/* Built-in modules of a kind, in registration order. */
int rt_sched_count(void);
const rt_sched_ops *rt_sched_at(int i);
/* Built-in by name, NULL if none. */
const rt_sched_ops *rt_sched_find(const char *name);

/* Loads a module from a shared object exporting
**   const rt_sched_ops *rt_module_sched(void);
** Checks the ABI version.  RT_OK, or RT_ENOENT / RT_EABI / RT_EINVAL with
** a message in err. */
int rt_sched_load(const char *path, const rt_sched_ops **out, char *err,
                  size_t errlen);

/* Resolves "name[,k=v...]" (name may be a path ending in .so): finds the
** module and fills vals[0..nparams) with defaults overridden by the k=v
** pairs.  Errors name what was wrong and list what is allowed, e.g.
**   sched 'go': unknown parameter 'globl_every' (allowed: local_size, ...)
** Returns RT_OK or a negative code. */
int rt_sched_resolve(const char *spec, const rt_sched_ops **out,
                     rt_pval vals[RT_MAX_PARAMS], char *err, size_t errlen);

/* The same for allocators: built-ins, .so files exporting
**   const rt_alloc_ops *rt_module_alloc(void);
** and "name,k=v" specs.  Resolving an allocator that is unavailable here
** (a wrapper whose library is missing) fails with RT_ENOENT and its
** reason. */
int rt_alloc_count(void);
const rt_alloc_ops *rt_alloc_at(int i);
const rt_alloc_ops *rt_alloc_find(const char *name);
int rt_alloc_load(const char *path, const rt_alloc_ops **out, char *err, size_t errlen);
int rt_alloc_resolve(const char *spec, const rt_alloc_ops **out, rt_pval vals[RT_MAX_PARAMS],
                     char *err, size_t errlen);

/* The runtime's own options (rt_config.runtime), declared like a
** module's parameters: preempt (off|coop|signal), time_slice_ms, max_ms
** (sysmon's longest sleep), sysmon (on|off).  *n receives the count. */
const rt_param *rt_runtime_params(int *n);
/* Parses "k=v[,k=v...]" (NULL or "" = the defaults) into vals.  RT_OK, or
** RT_EINVAL with a message naming the option and what is allowed. */
int rt_runtime_resolve(const char *kvs, rt_pval vals[RT_MAX_PARAMS], char *err, size_t errlen);

/* The same for collectors: built-ins, .so files exporting
**   const rt_gc_ops *rt_module_gc(void);
** and "name,k=v" specs. */
int rt_gc_count(void);
const rt_gc_ops *rt_gc_at(int i);
const rt_gc_ops *rt_gc_find(const char *name);
int rt_gc_load(const char *path, const rt_gc_ops **out, char *err, size_t errlen);
int rt_gc_resolve(const char *spec, const rt_gc_ops **out, rt_pval vals[RT_MAX_PARAMS],
                  char *err, size_t errlen);
/* Whether collector spec gc_spec can run over allocator alloc_spec (NULL:
** the defaults): a collector that finds objects (RT_GCC_FIND) needs an
** allocator with RT_AC_FIND and RT_AC_MARK.  RT_OK, or a code with a
** message naming what is wrong and the allocators that would do. */
int rt_gc_check_alloc(const char *gc_spec, const char *alloc_spec, char *err, size_t errlen);

/* Parses "k=v,k=v" against a parameter table into vals (which must hold
** defaults already).  `what` names the owner in messages ("sched 'go'"). */
int rt_params_parse(const char *what, const rt_param *ps, int n,
                    const char *kvs, rt_pval *vals, char *err, size_t errlen);
/* Fills vals with the declared defaults. */
void rt_params_defaults(const rt_param *ps, int n, rt_pval *vals);
/* Writes the value in the parameter's own syntax ("on", "fifo", "61"). */
int rt_param_format(const rt_param *p, rt_pval v, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
