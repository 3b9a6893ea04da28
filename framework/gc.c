/*
** gc.c: the run's collector and what every collector shares: the
** rt_store_ptr entry, registered roots, rt_gc and the figures.
**
** Like the heap (heap.c), it owns one view per P on lines of its own and
** a table of resolved parameters; the collector owns the state behind
** them.  A collector that finds objects (RT_GCC_FIND) can only run over
** an allocator that can find and mark them: a wrapper of a system malloc
** cannot, and the combination is refused at rt_run with what would do.
*/
#include "gc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "fail.h"
#include "heap.h"
#include "proc.h"

/* A P's view, on a line of its own. */
typedef struct gc_slot {
  _Alignas(HEAP_LINE) rt_gp gp;
} gc_slot;

/* One registered root: n pointer slots. */
typedef struct gc_root {
  void **slots;              /* the first slot */
  size_t n;                  /* how many */
} gc_root;

void (*gc_on_alloc)(rt_gp *p, void *obj, size_t size, unsigned flags);

static void gc_trace(const rt_gccycle *c);

static struct {
  const rt_gc_ops *ops;      /* the collector of this run, NULL between runs */
  rt_pval param[RT_MAX_PARAMS]; /* its resolved parameters */
  gc_slot *gps;              /* one view per P */
  void *shared;              /* its shared state */
  int nprocs;                /* number of Ps */
  int inited;                /* Ps whose init ran */
  rt_lock roots_lock;        /* guards roots, nroots, cap */
  gc_root *roots;            /* registered roots */
  size_t nroots, cap;        /* used, room */
  rt_gcstats st;             /* figures of the run (the last one's after it) */
  rt_lock cyc_lock;          /* guards the pauses */
  int64_t (*pauses)[2];      /* [start, end] of each stop, in order */
  size_t npauses, pcap;      /* used, room */
  int64_t t_start;           /* rt_now() at gc_start: the MMU's time line */
  int64_t conc_ns;           /* marking outside the pauses, summed (rt_gccycle.mark_conc_ns) */
  int64_t sweep_pause_ns;    /* sweeping the cycles reported (rt_gccycle.sweep_ns) */
  const char *last_name;     /* the last run's collector */
} GC;

/* ==== figures ======================================================= */

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Paused time within [lo, hi): pauses are in order and do not overlap. */
static int64_t paused_in(int64_t lo, int64_t hi) {
  int64_t t = 0;
  for (size_t i = 0; i < GC.npauses; i++) {
    int64_t a = GC.pauses[i][0] > lo ? GC.pauses[i][0] : lo;
    int64_t b = GC.pauses[i][1] < hi ? GC.pauses[i][1] : hi;
    if (b > a) t += b - a;
  }
  return t;
}

/* Minimum mutator utilisation over windows of w ns within [t0, t1]: the
** worst window starts at a pause's start or ends at a pause's end.  A run
** shorter than w is one window.  (Quadratic in pauses: fine for the
** hundreds a trial has.) */
static double mmu(int64_t w, int64_t t0, int64_t t1) {
  if (t1 - t0 <= w) return t1 > t0 ? 1.0 - (double)paused_in(t0, t1) / (double)(t1 - t0) : 1.0;
  double worst = 1.0;
  for (size_t i = 0; i < GC.npauses; i++) {
    int64_t s1 = GC.pauses[i][0], s2 = GC.pauses[i][1] - w;
    if (s1 + w > t1) s1 = t1 - w;
    if (s2 < t0) s2 = t0;
    for (int k = 0; k < 2; k++) {
      int64_t s = k ? s2 : s1;
      double u = 1.0 - (double)paused_in(s, s + w) / (double)w;
      if (u < worst) worst = u;
    }
  }
  return worst < 0 ? 0 : worst;
}

/* Percentiles and MMU of the pauses so far, into GC.st. */
static void gc_figures(int64_t now) {
  rt_lock_acquire(&GC.cyc_lock);
  size_t n = GC.npauses;
  int64_t *d = n ? malloc(n * sizeof *d) : NULL;
  if (d) {
    for (size_t i = 0; i < n; i++) d[i] = GC.pauses[i][1] - GC.pauses[i][0];
    qsort(d, n, sizeof *d, cmp_i64);
    GC.st.pause_p50_ns = d[(n - 1) / 2];
    size_t r99 = (n * 99 + 99) / 100;  /* nearest rank */
    GC.st.pause_p99_ns = d[(r99 ? r99 : 1) - 1];
    GC.st.pause_max_ns = d[n - 1];
    free(d);
  }
  GC.st.sweep_ns = GC.sweep_pause_ns + heap_sweep_ns();  /* and the spread sweeps' */
  GC.st.mmu_1ms = mmu(1000000, GC.t_start, now);
  GC.st.mmu_10ms = mmu(10000000, GC.t_start, now);
  GC.st.mmu_100ms = mmu(100000000, GC.t_start, now);
  rt_lock_release(&GC.cyc_lock);
}

/* Under cyc_lock: one more pause, [start, end). */
static void gc_pause(int64_t start, int64_t end) {
  if (GC.npauses == GC.pcap) {
    size_t cap = GC.pcap ? 2 * GC.pcap : 64;
    int64_t(*p)[2] = realloc(GC.pauses, cap * sizeof *p);
    if (p) {
      GC.pauses = p;
      GC.pcap = cap;
    }
  }
  if (GC.npauses < GC.pcap) {
    GC.pauses[GC.npauses][0] = start;
    GC.pauses[GC.npauses][1] = end;
    GC.npauses++;
  }
  GC.st.pause_total_ns += end - start;
}

void rt_gc_cycle_done(const rt_gccycle *c) {
  rt_lock_acquire(&GC.cyc_lock);
  if (c->pause1_start) gc_pause(c->pause1_start, c->pause1_end);
  gc_pause(c->pause_start, c->pause_end);
  GC.st.cycles++;
  GC.conc_ns += c->mark_conc_ns;
  if (c->ttsp_ns > GC.st.ttsp_max_ns) GC.st.ttsp_max_ns = c->ttsp_ns;
  GC.st.mark_ns += c->mark_ns;
  GC.sweep_pause_ns += c->sweep_ns;
  rt_lock_release(&GC.cyc_lock);
  gc_trace(c);
}

void rt_gc_pause_done(int64_t start, int64_t end, int64_t ttsp_ns) {
  rt_lock_acquire(&GC.cyc_lock);
  gc_pause(start, end);
  if (ttsp_ns > GC.st.ttsp_max_ns) GC.st.ttsp_max_ns = ttsp_ns;
  rt_lock_release(&GC.cyc_lock);
}

void rt_gc_roots_registered(void (*fn)(const void *lo, const void *hi, void *arg), void *arg) {
  rt_lock_acquire(&GC.roots_lock);
  for (size_t i = 0; i < GC.nroots; i++) fn(GC.roots[i].slots, GC.roots[i].slots + GC.roots[i].n, arg);
  rt_lock_release(&GC.roots_lock);
}

void rt_gc_roots_runtime(void (*fn)(const void *lo, const void *hi, void *arg), void *arg) {
  chan_roots(fn, arg);
  sched_gargs(fn, arg);
}

void rt_gc_roots(void (*fn)(const void *lo, const void *hi, void *arg), void *arg) {
  rt_gc_roots_registered(fn, arg);
  rt_gc_roots_runtime(fn, arg);
}

/* RT_OK when collector g can run over allocator a, else RT_EINVAL with a
** message naming the allocators that would do. */
static int gc_fits(const rt_gc_ops *g, const rt_alloc_ops *a, char *err, size_t errlen) {
  unsigned need = RT_AC_FIND | RT_AC_MARK;
  if (!(g->caps & RT_GCC_FIND) || !a || (a->caps & need) == need) return RT_OK;
  char can[256] = "";
  size_t n = 0;
  for (int i = 0; rt_alloc_at(i) && n < sizeof can; i++)
    if ((rt_alloc_at(i)->caps & need) == need)
      n += (size_t)snprintf(can + n, sizeof can - n, "%s%s", n ? ", " : "", rt_alloc_at(i)->name);
  return fw_fail(RT_EINVAL, err, errlen,
                 "gc '%s' finds objects in the heap, which alloc '%s' cannot (it does not know "
                 "its objects); use it with one of: %s",
                 g->name, a->name, can);
}

int rt_gc_check_alloc(const char *gc_spec, const char *alloc_spec, char *err, size_t errlen) {
  const rt_gc_ops *g;
  const rt_alloc_ops *a;
  rt_pval v[RT_MAX_PARAMS];
  int rc = rt_gc_resolve(gc_spec ? gc_spec : "none", &g, v, err, errlen);
  if (rc == RT_OK) rc = rt_alloc_resolve(alloc_spec ? alloc_spec : "system", &a, v, err, errlen);
  return rc == RT_OK ? gc_fits(g, a, err, errlen) : rc;
}

int gc_start(const char *spec, int procs, char *err, size_t errlen) {
  const rt_gc_ops *ops;
  int rc = rt_gc_resolve(spec ? spec : "none", &ops, GC.param, err, errlen);
  if (rc != RT_OK) return rc;
  rc = gc_fits(ops, heap_ops(), err, errlen);
  if (rc != RT_OK) return rc;
  memset(&GC.st, 0, sizeof GC.st);
  GC.st.mmu_1ms = GC.st.mmu_10ms = GC.st.mmu_100ms = 1.0;
  GC.npauses = 0;
  GC.conc_ns = 0;
  GC.sweep_pause_ns = 0;
  GC.t_start = rt_now();
  chan_roots_start(ops->caps & RT_GCC_FIND);
  GC.gps = heap_lines(sizeof(gc_slot) * (size_t)procs);
  GC.shared = calloc(1, ops->shared_size ? ops->shared_size : 1);
  bool ok = GC.gps && GC.shared;
  GC.ops = ops;
  GC.nprocs = procs;
  GC.inited = 0;
  for (int i = 0; ok && i < procs; i++) {
    rt_gp *p = &GC.gps[i].gp;
    p->state = calloc(1, ops->state_size ? ops->state_size : 1);
    p->shared = GC.shared;
    p->param = GC.param;
    p->id = i;
    p->nprocs = procs;
    ok = p->state != NULL;
  }
  if (!ok) {
    gc_stop();
    return fw_fail(RT_ENOMEM, err, errlen, "gc '%s': out of memory", ops->name);
  }
  rt_gc_barrier(true);  /* before init, which may turn it off */
  for (; GC.inited < procs && ops->init; GC.inited++) {
    rc = ops->init(&GC.gps[GC.inited].gp);
    if (rc != RT_OK) {
      gc_stop();
      return fw_fail(rc, err, errlen, "gc '%s': init of P %d failed (%d)", ops->name,
                     GC.inited, rc);
    }
  }
  GC.inited = procs;
  gc_on_alloc = ops->on_alloc;
  return RT_OK;
}

void gc_stop(void) {
  if (!GC.ops) return;
  __atomic_store_n(&rt_gc_barrier_on, 0, __ATOMIC_RELAXED);
  gc_figures(rt_now());
  free(GC.pauses);
  GC.pauses = NULL;
  GC.pcap = GC.npauses = 0;
  while (GC.inited-- > 0)
    if (GC.ops->fini) GC.ops->fini(&GC.gps[GC.inited].gp);
  for (int i = 0; GC.gps && i < GC.nprocs; i++) free(GC.gps[i].gp.state);
  free(GC.gps);
  free(GC.shared);
  free(GC.roots);
  GC.last_name = GC.ops->name;
  GC.ops = NULL;
  GC.gps = NULL;
  GC.shared = NULL;
  GC.roots = NULL;
  GC.nroots = GC.cap = 0;
  GC.inited = 0;
  gc_on_alloc = NULL;
}

/* The running G's P's view; fatal outside a G. */
static rt_gp *gc_cur(const char *op) {
  rt_sp *sp = sched_cur_sp();
  if (!sp || !GC.ops) sched_fatal("%s called outside a running G", op);
  return &GC.gps[sp->id].gp;
}

void gc_call_on_alloc(int pid, void *obj, size_t size, unsigned flags) {
  gc_on_alloc(&GC.gps[pid].gp, obj, size, flags);
}

int rt_gc_barrier_on;

void rt_gc_barrier(bool on) {
  __atomic_store_n(&rt_gc_barrier_on, on && GC.ops && GC.ops->barrier, __ATOMIC_RELAXED);
}

rt_gp *rt_gc_self(void) { return gc_cur("rt_gc_self"); }

/* The flag is looked at again here, in the runtime's code, where no
** signal preemption stops a G: one stopped between rt_store_ptr's look and
** this call could come back after the barrier went off (a mark ended
** meanwhile), and a shade then would set a mark bit the sweep never
** clears.  A G stopped after a look that saw no barrier stores plainly
** into a mark that began meanwhile: safe, since the first pause scanned
** its registers, the new value and any old one it had loaded among them. */
void rt_store_ptr_barrier(void **slot, void *v) {
  if (GC.ops && GC.ops->barrier && __atomic_load_n(&rt_gc_barrier_on, __ATOMIC_RELAXED))
    GC.ops->barrier(gc_cur("rt_store_ptr"), slot, v);
  else
    __atomic_store_n(slot, v, __ATOMIC_RELAXED);
}

void rt_gc(void) {
  rt_gp *p = gc_cur("rt_gc");
  if (GC.ops->collect) GC.ops->collect(p, RT_GC_EXPLICIT);
}

int rt_gc_root_add(void **slots, size_t n) {
  if (!slots || n < 1) return RT_EINVAL;
  gc_cur("rt_gc_root_add");
  rt_lock_acquire(&GC.roots_lock);
  int rc = RT_OK;
  if (GC.nroots == GC.cap) {
    size_t cap = GC.cap ? 2 * GC.cap : 16;
    gc_root *r = realloc(GC.roots, cap * sizeof *r);
    if (r) {
      GC.roots = r;
      GC.cap = cap;
    } else {
      rc = RT_ENOMEM;
    }
  }
  if (rc == RT_OK) GC.roots[GC.nroots++] = (gc_root){slots, n};
  rt_lock_release(&GC.roots_lock);
  return rc;
}

int rt_gc_root_remove(void **slots) {
  gc_cur("rt_gc_root_remove");
  rt_lock_acquire(&GC.roots_lock);
  int rc = RT_ENOENT;
  for (size_t i = 0; i < GC.nroots; i++) {
    if (GC.roots[i].slots != slots) continue;
    GC.roots[i] = GC.roots[--GC.nroots];
    rc = RT_OK;
    break;
  }
  rt_lock_release(&GC.roots_lock);
  return rc;
}

const char *rt_gc_stats(rt_gcstats *out) {
  if (GC.ops) gc_figures(rt_now());
  if (out) *out = GC.st;
  return GC.ops ? GC.ops->name : GC.last_name;
}

/* RTLAB_GCTRACE=1: one line per cycle on stderr, in the spirit of Go's
** gctrace: cycle, time since the start, the collector's share of the CPU
** since the start (a pause holds every P, so its share is its share of the
** wall time, as Go counts stop-the-world phases; marking beside the
** program adds its CPU time over all Ps' time), the pause or, for a
** concurrent cycle, both pauses and the concurrent phase between them,
** what the cycle spent (time to safe point, mark summed over the workers,
** sweep), the heap before -> after -> goal, and Ps. */
static void gc_trace(const rt_gccycle *c) {
  static int on = -1;
  if (on < 0) {
    const char *e = getenv("RTLAB_GCTRACE");
    on = e && *e && strcmp(e, "0") != 0;
  }
  if (!on) return;
  int64_t since = c->pause_end - GC.t_start;
  double share = (double)GC.st.pause_total_ns + (double)GC.conc_ns / GC.nprocs;
  char pause[96];
  double ms = (double)(c->pause_end - c->pause_start) / 1e6;
  if (c->pause1_start)
    snprintf(pause, sizeof pause, "pause %.3f+%.3f ms, concurrent %.3f ms",
             (double)(c->pause1_end - c->pause1_start) / 1e6, ms,
             (double)(c->pause_start - c->pause1_end) / 1e6);
  else
    snprintf(pause, sizeof pause, "pause %.3f ms", ms);
  int64_t start = c->pause1_start ? c->pause1_start : c->pause_start;
  fprintf(stderr,
          "gc %llu @%.3fs %.0f%%: %s (ttsp %.3f, mark %.3f, sweep %.3f), "
          "%lld -> %lld -> %lld KiB, %d P\n",
          (unsigned long long)GC.st.cycles, (double)(start - GC.t_start) / 1e9,
          since > 0 ? 100.0 * share / (double)since : 0.0, pause, (double)c->ttsp_ns / 1e6,
          (double)c->mark_ns / 1e6, (double)c->sweep_ns / 1e6,
          (long long)(c->heap_before / 1024), (long long)(c->heap_after / 1024),
          (long long)(c->heap_goal / 1024), GC.nprocs);
}
