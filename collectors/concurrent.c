/*
** concurrent.c: a concurrent tri-color mark-sweep collector after Go's
** (mgc.go, mgcmark.go, mgcpacer.go), conservative as marksweep is.
**
** A cycle has two short pauses with the program running between them:
**
**   Start (first pause).  When the heap reaches the pacer's trigger, the
**   allocating G stops the world, turns the write barrier on, scans
**   every G's stack and saved registers, channel buffers and G arguments
**   into grey objects, and starts the world with a worker G.  From here
**   on, objects are allocated black (marked).  The registered roots are
**   scanned after the pause, by the first G that marks: stores into them
**   go through the barrier.  Go scans stacks after the pause too, one G at
**   a time; here they are scanned in it, so this pause grows with the
**   stacks' total depth.  (That is also why a store that missed the
**   barrier because its G was stopped between rt_store_ptr's look at the
**   flag and the store is safe: the pause scanned that G's registers.)
**
**   Concurrent mark.  Three kinds of work drain the grey objects through
**   the framework's mark queue (rt_gcw), each on its P's buffers:
**     - the write barrier (rt_store_ptr) shades the pointers it sees:
**       `barrier` hybrid (Go's since 1.8: the old value and the new one),
**       yuasa (deletion: the old value; the stacks scanned at the start
**       stay black, a snapshot at the beginning) or dijkstra (insertion:
**       the new value; stacks are not barriered, so the final pause scans
**       them again, as Go did up to 1.7);
**     - the worker G marks in slices of CC_SLICE bytes and sleeps between
**       them so as to use 25% of the Ps' time (Go's background
**       utilisation goal): a quarter of its time at 1 P, half at 2, all
**       of it from 4 Ps on (one dedicated P);
**     - assists: a G that allocates while the mark runs owes scan work in
**       proportion (the pacer's assist ratio: the scan work expected,
**       the last cycle's live heap, over the heap left before the goal),
**       and pays it before its allocation returns, so a program that
**       allocates faster than the worker marks is slowed, not let past
**       its goal.
**
**   Termination (second pause).  A worker or assist that finds no grey
**   object left to it, none shared, and no other G marking stops the
**   world and moves every P's buffers to the shared list.  When they held
**   work, the world runs again and the mark goes on (Go's termination
**   check; up to CC_RETRIES times a cycle).  Else it marks what is left
**   and (dijkstra) what the stacks reach, turns the barrier off and
**   begins the sweep.
**
**   Sweep, beside the program (Go's): the allocator's parts (segregated:
**   spans) are swept by a background G a few at a time, by allocating Gs
**   in proportion to what they allocate (paced to be done halfway to the
**   next trigger), and by a P about to allocate from an unswept part;
**   the next cycle finishes what is left before its first pause.  The
**   live heap the pacer counts is what the mark marked (objects allocated
**   black included).  An allocator without the spread sweep (the fits) is
**   swept in the second pause.
**
** Pacer.  The goal is the live heap the last cycle left plus gogc percent
** (4 MiB at least, as Go's), capped by the soft limit `limit_mb` (when
** set, not below the live heap plus 1/16: past that the collector runs
** back to back).  A cycle starts when the heap has used `trigger` of the
** way from the live heap to the goal; after each cycle the trigger moves
** by half the error, the part of that way by which the heap finished
** past (or short of) the goal, kept within 0.4-0.95.
**
** Not yet here: Go's cap of 25% on assists' share and its idle-P
** workers; stacks scanned one G at a time after the first pause.
*/
#include <stdlib.h>

#include "rt_module.h"

#define CC_MARK 0x1u          /* in the mark byte: reached (or allocated) this cycle */
#define CC_NOSCAN 0x2u        /* in the mark byte: holds no pointers */
#define CC_MIN_HEAP (4 << 20) /* the least goal (Go's) */
#define CC_FLUSH 65536        /* a P adds its allocations to the shared count every so many bytes */
#define CC_SLICE (256 << 10)  /* bytes a worker scans between looks at the clock */
#define CC_ASSIST (64 << 10)  /* assist debt paid at once (fewer, longer assists) */
#define CC_IDLE_NS 50000      /* a worker that found nothing while others mark waits this long */
#define CC_SWEEP_STEP 8       /* spans the background sweeper sweeps between yields */
#define CC_RETRIES 16         /* final pauses a cycle may give up for work found left */

enum { P_GOGC, P_BARRIER, P_LIMIT, P_TRIGGER, P_VERIFY };
enum { B_HYBRID, B_DIJKSTRA, B_YUASA };
static const rt_param cc_params[] = {
  {"gogc", RT_PT_INT, 100, 1, 100000, NULL,
   "goal: the heap may grow this many percent over the live heap (Go's GOGC)"},
  {"barrier", RT_PT_ENUM, B_HYBRID, 0, 0, "hybrid|dijkstra|yuasa",
   "write barrier: shade old and new value (Go), the new (insertion; stacks rescanned in "
   "the final pause) or the old (deletion; snapshot at the beginning)"},
  {"limit_mb", RT_PT_INT, 0, 0, 1 << 20, NULL,
   "soft memory limit: the goal never exceeds it (but leaves the live heap 1/16 to grow); "
   "0: none"},
  {"trigger", RT_PT_INT, 70, 10, 95, NULL,
   "first trigger, percent of the way from the live heap to the goal (the pacer adapts it)"},
  {"verify", RT_PT_BOOL, 0, 0, 1, NULL,
   "in each final pause, stop the program if a marked object or a root points to an "
   "unmarked one (slow: for testing collectors)"},
};

enum { PH_OFF, PH_START, PH_MARK, PH_TERM };  /* phases of a cycle */

/* Per P. */
typedef struct cc_p {
  rt_marker k;                /* this P's grey buffers: barrier, assists, worker */
  int64_t pending;            /* bytes allocated, not yet added to since */
  int64_t debt;               /* assist: scan work owed, bytes */
} cc_p;

/* Shared. */
typedef struct cc_shared {
  _Atomic int phase;          /* PH_* */
  _Atomic int64_t since;      /* bytes allocated since the last cycle ended */
  _Atomic int64_t trigger;    /* since at which the next cycle starts */
  _Atomic int64_t ratio;      /* assist: scan bytes owed per 1024 bytes allocated */
  _Atomic int64_t conc_ns;    /* this cycle's marking beside the program, summed */
  _Atomic uint64_t cycle;     /* cycles started */
  _Atomic uint64_t done;      /* cycles ended */
  _Atomic int busy;           /* Gs in cc_help now */
  _Atomic int roots;          /* 1: the registered roots are still to be scanned */
  int retries;                /* final pauses this cycle that found work left and
                                 went back to the concurrent mark */
  _Atomic bool sweeping;      /* the last cycle's sweep may have parts left */
  int64_t live;               /* live bytes the last cycle left (marked) */
  int64_t goal;               /* this cycle's goal (heap bytes) */
  double trig;                /* the trigger, as a part of the way to the goal */
  int barrier;                /* B_* */
  rt_markq *mq;               /* the grey objects' shared list */
  cc_p **ps;                  /* every P's state, by id */
  rt_gccycle c;               /* the cycle under way (its first pause) */
} cc_shared;

static int cc_init(rt_gp *p) {
  cc_shared *s = p->shared;
  if (p->id == 0) {
    s->mq = rt_markq_new(2 * p->nprocs);
    s->ps = calloc((size_t)p->nprocs, sizeof *s->ps);
    if (!s->mq || !s->ps) return RT_ENOMEM;
    s->barrier = (int)p->param[P_BARRIER].i;
    s->trig = (double)p->param[P_TRIGGER].i / 100;
    s->goal = CC_MIN_HEAP;
    atomic_store(&s->trigger, (int64_t)(CC_MIN_HEAP * s->trig));
    rt_gc_barrier(false);
  }
  cc_p *pp = p->state;
  rt_marker_init(&pp->k, s->mq, CC_MARK, CC_NOSCAN);
  s->ps[p->id] = pp;
  return RT_OK;
}

static void cc_fini(rt_gp *p) {
  cc_shared *s = p->shared;
  if (s->ps && s->ps[p->id]) rt_gcw_fini(&s->ps[p->id]->k.w);
  if (p->id != 0) return;
  rt_markq_free(s->mq);
  free(s->ps);
  s->mq = NULL;
  s->ps = NULL;
}

/* The goal after a cycle that left `live` bytes. */
static int64_t cc_goal(rt_gp *p, int64_t live) {
  int64_t goal = live + live * p->param[P_GOGC].i / 100;
  if (goal < CC_MIN_HEAP) goal = CC_MIN_HEAP;
  int64_t limit = p->param[P_LIMIT].i << 20, floor = live + live / 16;
  if (limit && goal > limit) goal = limit > floor ? limit : floor;
  return goal;
}

static void cc_worker(void *arg);
static void cc_sweeper(void *arg);

/* Starts a cycle: the first pause.  From a G; false when another G is
** starting or ending one. */
static bool cc_start(rt_gp *p) {
  cc_shared *s = p->shared;
  int off = PH_OFF;
  if (!atomic_compare_exchange_strong(&s->phase, &off, PH_START)) return false;
  /* The last sweep ends before the mark: its unswept objects still
  ** carry last cycle's bit (Go's sweep termination).  Here, while the
  ** program runs; in the pause only what a G took meanwhile. */
  rt_heap_sweep_finish();
  rt_gccycle c = {.pause1_start = rt_now()};
  if (!rt_stw_start(&c.ttsp_ns)) {  /* another G stopped the world meanwhile */
    atomic_store(&s->phase, PH_OFF);
    return false;
  }
  atomic_store(&s->sweeping, false);
  s->retries = 0;
  for (int i = 0; i < p->nprocs; i++) s->ps[i]->k.marked = 0;
  c.heap_before = s->live + atomic_load(&s->since);
  int64_t runway = s->goal - c.heap_before, expect = s->live ? s->live : c.heap_before;
  if (runway < CC_FLUSH) runway = CC_FLUSH;
  atomic_store(&s->ratio, expect * 1024 / runway);
  atomic_store(&s->conc_ns, 0);
  rt_markq_reset(s->mq, 1);
  cc_p *pp = p->state;
  rt_stw_stacks(rt_mark_range, &pp->k);
  rt_gc_roots_runtime(rt_mark_range, &pp->k);
  atomic_store(&s->roots, 1);  /* the registered ones: the first marker after the pause */
  rt_gcw_share(&pp->k.w);  /* the roots' objects, to every P */
  rt_gc_barrier(true);
  uint64_t n = atomic_fetch_add(&s->cycle, 1) + 1;
  c.pause1_end = rt_now();  /* but for the restart's few microseconds */
  c.mark_ns = c.pause1_end - c.pause1_start - c.ttsp_ns;
  s->c = c;  /* before the phase: cc_finish may read it as soon as the mark is on */
  atomic_store(&s->phase, PH_MARK);
  rt_stw_end();
  rt_go(cc_worker, (void *)(uintptr_t)n);
  return true;
}

/* Ends the mark: the second pause, with the sweep.  From a G that found
** no grey object left to it; returns at once if another G is at it. */
static void cc_finish(rt_gp *p) {
  cc_shared *s = p->shared;
  int mark = PH_MARK;
  if (!atomic_compare_exchange_strong(&s->phase, &mark, PH_TERM)) return;
  rt_gccycle c = s->c;
  c.pause_start = rt_now();
  int64_t ttsp;
  if (!rt_stw_start(&ttsp)) {  /* the mark goes on; a later look ends it */
    atomic_store(&s->phase, PH_MARK);
    return;
  }
  if (ttsp > c.ttsp_ns) c.ttsp_ns = ttsp;
  cc_p *pp = p->state;
  if (atomic_exchange(&s->roots, 0)) rt_gc_roots_registered(rt_mark_range, &pp->k);
  for (int i = 0; i < p->nprocs; i++) rt_gcw_share(&s->ps[i]->k.w);
  /* Go's mark termination check: work that sat in another P's buffers
  ** goes back to the concurrent mark rather than lengthen this pause
  ** (a few times: the barrier keeps finding some). */
  if (!rt_markq_empty(s->mq) && s->retries < CC_RETRIES) {
    s->retries++;
    atomic_store(&s->phase, PH_MARK);
    rt_gc_pause_done(c.pause_start, rt_stw_end(), ttsp);
    return;
  }
  c.mark_conc_ns = atomic_load(&s->conc_ns);
  /* Usually nothing is left here, and waking the other Ps' Ms to share
  ** it took longer (0.25 ms at 2 Ps) than marking it on this one; all
  ** mark when dijkstra's stacks are to be scanned again, or work is left
  ** after the retries. */
  bool rescan = s->barrier == B_DIJKSTRA;
  int64_t marked = 0;
  c.mark_ns += c.mark_conc_ns + rt_mark_world(s->mq, CC_MARK, CC_NOSCAN, rescan,
                                              rescan || !rt_markq_empty(s->mq), &marked);
  for (int i = 0; i < p->nprocs; i++) marked += s->ps[i]->k.marked;
  if (p->param[P_VERIFY].i)
    rt_mark_check_closed(CC_MARK, CC_NOSCAN, "concurrent");
  rt_gc_barrier(false);
  int64_t t1 = rt_now(), heap_end = s->live + atomic_load(&s->since), live0 = s->live;
  /* The sweep runs beside the program from here (the allocator's parts,
  ** by the sweeper G, by allocating Gs in proportion, and by a P before
  ** it allocates from an unswept part), paced to be over halfway to the
  ** next trigger; in this pause only when the allocator cannot. */
  int64_t runway = (cc_goal(p, marked) - marked) / 2;
  bool spread = rt_heap_sweep_begin(CC_MARK, runway > CC_FLUSH ? runway : CC_FLUSH);
  if (spread)
    s->live = marked;
  else
    rt_heap_sweep(CC_MARK, &s->live);
  atomic_store(&s->sweeping, spread);
  c.sweep_ns = rt_now() - t1;
  /* The pacer: move the trigger by half the error of this cycle. */
  int64_t way = s->goal - live0 > 0 ? s->goal - live0 : 1;
  double err = (double)(heap_end - s->goal) / (double)way;
  s->trig -= err / 2;
  s->trig = s->trig < 0.4 ? 0.4 : s->trig > 0.95 ? 0.95 : s->trig;
  s->goal = cc_goal(p, s->live);
  atomic_store(&s->since, 0);
  atomic_store(&s->trigger, (int64_t)((double)(s->goal - s->live) * s->trig));
  c.heap_after = s->live;
  c.heap_goal = s->goal;
  atomic_fetch_add(&s->done, 1);
  atomic_store(&s->phase, PH_OFF);
  c.pause_end = rt_stw_end();
  rt_gc_cycle_done(&c);
  if (spread) rt_go(cc_sweeper, NULL);
}

/* Scans up to budget bytes from p's buffers and the shared list, timed
** as concurrent marking.  What it leaves when the budget runs out goes to
** the shared list, for whoever is free.  It ends the mark when it found
** nothing, nothing is shared and no other G is marking: one that is may
** yet share work (at 2 Ps, ending the mark as soon as one P ran dry left
** the whole mark to the final pause).  Returns the bytes scanned. */
static int64_t cc_help(rt_gp *p, int64_t budget) {
  cc_shared *s = p->shared;
  cc_p *pp = p->state;
  atomic_fetch_add(&s->busy, 1);
  int64_t t0 = rt_now(), w0 = pp->k.work;
  /* The registered roots, beside the program (a big table took 4 ms of
  ** the first pause in mutate): rt_store_ptr's barrier covers them. */
  if (atomic_load_explicit(&s->roots, memory_order_relaxed) && atomic_exchange(&s->roots, 0))
    rt_gc_roots_registered(rt_mark_range, &pp->k);
  int64_t did = pp->k.work - w0 + rt_mark_some(&pp->k, budget);
  if (did > 0) rt_gcw_share(&pp->k.w);  /* budget spent, or asked to yield */
  atomic_fetch_add(&s->conc_ns, rt_now() - t0);
  if (atomic_fetch_sub(&s->busy, 1) == 1 && did == 0 && rt_markq_empty(s->mq)) cc_finish(p);
  return did;
}

/* The background worker of cycle (uintptr_t)arg: slices of marking with
** sleeps that keep it to 25% of the Ps' time, until the mark ends. */
static void cc_worker(void *arg) {
  uint64_t cycle = (uintptr_t)arg;
  for (;;) {
    rt_gp *p = rt_gc_self();  /* the P it runs on now */
    cc_shared *s = p->shared;
    if (atomic_load(&s->phase) != PH_MARK || atomic_load(&s->cycle) != cycle) return;
    int64_t t0 = rt_now();
    if (cc_help(p, CC_SLICE) == 0) {  /* others are marking: look again soon */
      rt_sleep(CC_IDLE_NS);
      continue;
    }
    double u = 0.25 * p->nprocs;
    if (u < 1)
      rt_sleep((int64_t)((double)(rt_now() - t0) * (1 - u) / u));
    else
      rt_yield();
  }
}

/* The background sweeper (Go's bgsweep): a few spans at a time, then a
** yield, so the program's Gs run between; ends when no part is left. */
static void cc_sweeper(void *arg) {
  (void)arg;
  while (rt_heap_sweep_step(CC_SWEEP_STEP)) rt_yield();
}

static void cc_on_alloc(rt_gp *p, void *obj, size_t size, unsigned flags) {
  cc_shared *s = p->shared;
  cc_p *pp = p->state;
  int phase = atomic_load_explicit(&s->phase, memory_order_relaxed);
  /* A fresh object's mark byte is 0 (the allocator's contract); during a
  ** mark it is allocated black, up to the final pause (PH_TERM: a G is
  ** stopping the world to end it), and counts as marked.  A tiny
  ** sub-object shares its block's byte; tiny blocks are pointer-free
  ** alike. */
  bool black = phase == PH_MARK || phase == PH_TERM;
  if (black) pp->k.marked += (int64_t)size;
  uint8_t bits = (flags & RT_AF_NOSCAN ? CC_NOSCAN : 0) | (black ? CC_MARK : 0);
  if (bits) {
    uint8_t *m = rt_heap_mark_of(obj);
    __atomic_store_n(m, __atomic_load_n(m, __ATOMIC_RELAXED) | bits, __ATOMIC_RELAXED);
  }
  int64_t n = (int64_t)(size ? size : 1);
  if (phase == PH_MARK) {
    pp->debt += n * atomic_load_explicit(&s->ratio, memory_order_relaxed) / 1024;
    if (pp->debt >= CC_ASSIST) pp->debt -= cc_help(p, pp->debt);
    if (pp->debt < 0 || atomic_load(&s->phase) != PH_MARK) pp->debt = 0;
  }
  pp->pending += n;
  if (pp->pending < CC_FLUSH) return;
  int64_t since = atomic_fetch_add(&s->since, pp->pending) + pp->pending;
  if (atomic_load_explicit(&s->sweeping, memory_order_relaxed)) rt_heap_sweep_pay(pp->pending);
  pp->pending = 0;
  if (phase == PH_OFF && since >= atomic_load(&s->trigger)) cc_start(p);
}

/* rt_gc: ends the cycle under way, if any, then runs one whole cycle,
** helping mark both (Go's runtime.GC). */
static void cc_collect(rt_gp *p, int reason) {
  (void)reason;
  cc_shared *s = p->shared;
  uint64_t want = atomic_load(&s->cycle) + 1;
  if (atomic_load(&s->phase) == PH_OFF) want = atomic_load(&s->done) + 1;
  while (atomic_load(&s->done) < want) {
    int phase = atomic_load(&s->phase);
    if (phase == PH_OFF)
      cc_start(p);
    else if (phase == PH_MARK && !cc_help(p, CC_SLICE))
      rt_yield();  /* others are marking */
    else
      rt_yield();  /* another G is in a pause's way */
    p = rt_gc_self();  /* a yield or a pause may have moved this G */
  }
  rt_heap_sweep_finish();  /* as Go's runtime.GC: the cycle's garbage is gone */
}

/* Called only while the barrier is on: from the first pause to the
** second, which turn it on and off with the world stopped. */
static void cc_barrier(rt_gp *p, void **slot, void *v) {
  cc_shared *s = p->shared;
  cc_p *pp = p->state;
  if (s->barrier != B_DIJKSTRA) rt_mark(&pp->k, __atomic_load_n(slot, __ATOMIC_RELAXED));
  if (s->barrier != B_YUASA) rt_mark(&pp->k, v);
  __atomic_store_n(slot, v, __ATOMIC_RELAXED);
}

static const rt_gc_ops cc_ops = {
  .abi = RT_ABI_VERSION,
  .name = "concurrent",
  .summary = "concurrent tri-color mark (hybrid/Dijkstra/Yuasa barrier), assists, pacer",
  .params = cc_params,
  .nparams = (int)(sizeof cc_params / sizeof cc_params[0]),
  .state_size = sizeof(cc_p),
  .shared_size = sizeof(cc_shared),
  .caps = RT_GCC_FIND,
  .init = cc_init,
  .fini = cc_fini,
  .on_alloc = cc_on_alloc,
  .barrier = cc_barrier,
  .collect = cc_collect,
};

const rt_gc_ops *rt_gc_concurrent(void) { return &cc_ops; }
