/*
** heap.c: the allocator boundary at run time.  One allocator per run,
** chosen by rt_config.alloc like the scheduler policy, with one rt_ap
** (its per-P view and figures) per P.  rt_alloc and rt_free find the
** calling G's P and call the allocator's ops on it: the ops run on the
** owner of that P, so per-P state needs no lock (the same rule as the
** scheduler's ops).  The framework keeps the counts every allocator must
** have (allocs, frees, failures, peaks), so an allocator's fast path holds
** only its own work.
*/
#include "heap.h"

#include "arena.h"
#include "fail.h"
#include "proc.h"

#include <stdlib.h>
#include <string.h>

static struct {
  const rt_alloc_ops *ops;   /* the allocator of this run, NULL between runs */
  rt_pval param[RT_MAX_PARAMS]; /* its resolved parameters */
  rt_ap *aps;                /* one per P */
  rt_ap **all;               /* &aps[i], for rt_ap.all */
  void *shared;              /* its shared state */
  int nprocs;                /* number of Ps */
  rt_astats last;            /* summed figures of the last run */
  const char *last_name;     /* its allocator's name */
} H;

int heap_start(const char *spec, int procs, char *err, size_t errlen) {
  const rt_alloc_ops *ops;
  int rc = rt_alloc_resolve(spec ? spec : "system", &ops, H.param, err, errlen);
  if (rc != RT_OK) return rc;
  /* The arena is reserved for every run (address space only: a wrapper
  ** never touches it) and unmapped at the end, with everything in it. */
  rc = arena_init(0, err, errlen);
  if (rc != RT_OK) return rc;
  H.aps = calloc((size_t)procs, sizeof *H.aps);
  H.all = calloc((size_t)procs, sizeof *H.all);
  H.shared = calloc(1, ops->shared_size ? ops->shared_size : 1);
  bool ok = H.aps && H.all && H.shared;
  for (int i = 0; ok && i < procs; i++) {
    rt_ap *p = &H.aps[i];
    H.all[i] = p;
    p->state = calloc(1, ops->state_size ? ops->state_size : 1);
    ok = p->state != NULL;
    p->shared = H.shared;
    p->param = H.param;
    p->all = H.all;
    p->id = i;
    p->nprocs = procs;
  }
  H.ops = ops;
  H.nprocs = procs;
  if (!ok) {
    heap_stop();
    return fw_fail(RT_ENOMEM, err, errlen, "out of memory starting alloc '%s'", ops->name);
  }
  for (int i = 0; i < procs && ops->init; i++) {
    rc = ops->init(&H.aps[i]);
    if (rc != RT_OK) {
      while (i-- > 0)
        if (ops->fini) ops->fini(&H.aps[i]);
      H.nprocs = 0;  /* no fini for Ps never initialised */
      heap_stop();
      return fw_fail(rc, err, errlen, "alloc '%s': init of P %d failed (%d)", ops->name, i, rc);
    }
  }
  return RT_OK;
}

/* Sums the per-P figures into *out. */
static void heap_sum(rt_astats *out) {
  memset(out, 0, sizeof *out);
  for (int i = 0; i < H.nprocs; i++) {
    const rt_astats *s = &H.aps[i].st;
    out->live_bytes += s->live_bytes;
    out->inuse_bytes += s->inuse_bytes;
    out->sys_bytes += s->sys_bytes;
    out->released_bytes += s->released_bytes;
    out->peak_live += s->peak_live;  /* sums of per-P peaks: an upper bound */
    out->peak_sys += s->peak_sys;
    out->allocs += s->allocs;
    out->frees += s->frees;
    out->failed += s->failed;
  }
}

void heap_stop(void) {
  if (H.ops) {
    heap_sum(&H.last);
    H.last_name = H.ops->name;
    for (int i = H.nprocs - 1; i >= 0 && H.ops->fini; i--) H.ops->fini(&H.aps[i]);
  }
  arena_fini();
  for (int i = 0; H.aps && i < H.nprocs; i++) free(H.aps[i].state);
  free(H.aps);
  free(H.all);
  free(H.shared);
  H.ops = NULL;
  H.aps = NULL;
  H.all = NULL;
  H.shared = NULL;
  H.nprocs = 0;
}

/* ==== the mutator's side ============================================= */

/* Peaks are per P and kept on the allocating P: cheap, and their sum
** bounds the true peak from above (exact at one P). */
static inline void heap_peaks(rt_astats *s) {
  if (s->live_bytes > s->peak_live) s->peak_live = s->live_bytes;
  if (s->sys_bytes > s->peak_sys) s->peak_sys = s->sys_bytes;
}

/* The calling G's P view; using the heap outside a G is a fatal misuse. */
static inline rt_ap *heap_ap(const char *op) {
  rt_sp *sp = sched_cur_sp();
  if (!sp || !H.ops) sched_fatal("%s called outside a running G", op);
  return &H.aps[sp->id];
}

void *rt_alloc(size_t size, unsigned flags) {
  rt_ap *p = heap_ap("rt_alloc");
  void *x = H.ops->alloc(p, size, flags);
  if (!x) {
    p->st.failed++;
    return NULL;
  }
  p->st.allocs++;
  heap_peaks(&p->st);
  return x;
}

void rt_free(void *ptr) {
  if (!ptr) return;
  rt_ap *p = heap_ap("rt_free");
  p->st.frees++;
  H.ops->free(p, ptr);
}

size_t rt_alloc_size(const void *ptr) {
  return ptr ? H.ops->size_of(heap_ap("rt_alloc_size"), ptr) : 0;
}

const char *rt_heap_stats(rt_astats *out) {
  if (H.ops) {
    heap_sum(out);
    return H.ops->name;
  }
  *out = H.last;
  return H.last_name;
}

/* ==== page services (rt_module.h) ==================================== */

_Static_assert(RT_PAGE == ARENA_PAGE, "rt_module.h's page is the arena's");

/* Retained pages granted again were counted when first granted (on this
** or another P): only fresh ones add.  Per-P sys_bytes may thus go
** negative on a P that scavenges; sums stay exact. */
void *rt_pages_alloc(rt_ap *p, size_t npages) {
  size_t reused;
  void *run = arena_grant(npages, rt_sp_node_of(p->id), &reused);
  if (run) p->st.sys_bytes += (int64_t)((npages - reused) * RT_PAGE);
  return run;
}

void rt_pages_free(rt_ap *p, void *run, size_t npages) {
  arena_free(run, npages);
  p->st.sys_bytes -= (int64_t)(npages * RT_PAGE);
  p->st.released_bytes += (int64_t)(npages * RT_PAGE);
}

void rt_pages_retain(rt_ap *p, void *run, size_t npages) {
  (void)p;
  arena_retain(run, npages);
}

size_t rt_pages_scavenge(rt_ap *p, uint64_t min_age_ms, size_t max_pages) {
  size_t b = arena_scavenge(min_age_ms, max_pages);
  p->st.sys_bytes -= (int64_t)b;
  p->st.released_bytes += (int64_t)b;
  return b;
}

void rt_pages_set_owner(void *run, size_t npages, void *owner) {
  arena_set_owner(run, npages, owner);
}

void *rt_pages_owner(const void *addr) { return arena_owner(addr); }
