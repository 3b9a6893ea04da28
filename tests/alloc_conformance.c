/*
** alloc_conformance.c: properties every allocator must have.
**
**   alloc_conformance ALLOC PROPERTY
**
** runs one property inside a runtime whose allocator is the spec ALLOC;
** CTest runs every allocator x property as its own test.
**
**   basic    16-byte alignment for every size 0..4200 and some large ones;
**            rt_alloc_size >= the request; size 0 gives unique objects;
**            free(NULL) is a no-op; RT_AF_ZERO zeroes reused memory; a
**            size no allocator can serve gives NULL and counts a failure
**   overlap  a random live set of 20000 objects: no two overlap (sorted
**            intervals), every byte of each keeps its pattern (canaries
**            across neighbours) through 200000 random frees and allocations
**   cross    objects allocated by one G and freed by another (on the other P
**            whenever the two run at once), through a channel, at 2 Ps;
**            figures balance at the end
**   find     (allocators declaring RT_AC_FIND) base_of on starts, interiors
**            and past-the-end addresses, and walk sees exactly the live set
*/
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rt_module.h"

static const char *alloc_spec;  /* the allocator under test */

static void run(int procs, rt_fn fn, void *arg) {
  char err[512] = "";
  rt_config cfg = {.procs = procs, .alloc = alloc_spec, .err = err, .errlen = sizeof err};
  int rc = rt_run(&cfg, fn, arg);
  CHECKF(rc == RT_OK, "rt_run: %d %s", rc, err);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}

/* ==== basic ========================================================== */

static void basic_main(void *arg) {
  (void)arg;
  static void *keep[4300];
  for (size_t n = 0; n < 4300; n++) {
    void *x = rt_alloc(n, 0);
    CHECKF(x != NULL, "size %zu refused", n);
    if (!x) continue;
    CHECKF(((uintptr_t)x & 15) == 0, "size %zu: %p is not 16-byte aligned", n, x);
    CHECKF(rt_alloc_size(x) >= n, "size %zu: usable %zu", n, rt_alloc_size(x));
    memset(x, 0xA5, n);
    keep[n] = x;
  }
  for (size_t n = 1; n < 4300; n++) CHECKF(keep[n] != keep[0], "size 0 shares an object");
  for (size_t n = 0; n < 4300; n++) rt_free(keep[n]);
  size_t big[] = {32768, 32769, 65536, 1 << 20, (4 << 20) + 1};
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
    char *x = rt_alloc(big[i], 0);
    CHECKF(x && ((uintptr_t)x & 15) == 0, "size %zu: %p", big[i], (void *)x);
    if (x) {
      x[0] = 1;
      x[big[i] - 1] = 2;
      rt_free(x);
    }
  }
  rt_free(NULL);
  /* Zeroed on request, also where dirty memory is being reused. */
  for (int r = 0; r < 100; r++) {
    size_t n = 8 + next() % 3000;
    unsigned char *d = rt_alloc(n, 0);
    if (d) memset(d, 0xFF, n);
    rt_free(d);
    unsigned char *z = rt_alloc(n, RT_AF_ZERO);
    CHECK(z != NULL);
    for (size_t i = 0; z && i < n; i++)
      if (z[i]) {
        CHECKF(0, "RT_AF_ZERO object of %zu bytes has byte %zu = %d", n, i, z[i]);
        break;
      }
    rt_free(z);
  }
  rt_astats before, after;
  rt_heap_stats(&before);
  void *huge = rt_alloc(SIZE_MAX / 2, 0);
  CHECKF(huge == NULL, "a request of SIZE_MAX/2 bytes succeeded");
  rt_heap_stats(&after);
  CHECK_EQ(after.failed, before.failed + 1);
}

/* ==== overlap ======================================================== */

#define OV_N 20000
typedef struct ov_obj {
  unsigned char *p;        /* the object */
  size_t n;                /* its size */
  unsigned char tag;       /* the byte it is filled with */
} ov_obj;
static ov_obj ov[OV_N];

static int ov_cmp(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const ov_obj *)a)->p, y = (uintptr_t)((const ov_obj *)b)->p;
  return x < y ? -1 : x > y;
}

static size_t ov_size(void) {
  uint64_t r = next();
  return (r & 7) ? (size_t)(r >> 8) % 300 : (size_t)(r >> 8) % 9000;
}

static void ov_fill(ov_obj *o) {
  o->n = ov_size();
  o->tag = (unsigned char)(next() | 1);
  o->p = rt_alloc(o->n, 0);
  CHECKF(o->p != NULL, "size %zu refused", o->n);
  if (o->p) memset(o->p, o->tag, o->n);
}

static bool ov_intact(const ov_obj *o) {
  for (size_t i = 0; i < o->n; i++)
    if (o->p[i] != o->tag) return false;
  return true;
}

static void overlap_main(void *arg) {
  (void)arg;
  for (int i = 0; i < OV_N; i++) ov_fill(&ov[i]);
  for (int op = 0; op < 200000; op++) {
    ov_obj *o = &ov[next() % OV_N];
    if (o->p && !ov_intact(o)) {
      CHECKF(0, "object %p (%zu bytes) was overwritten", (void *)o->p, o->n);
      return;
    }
    rt_free(o->p);
    ov_fill(o);
  }
  static ov_obj sorted[OV_N];
  memcpy(sorted, ov, sizeof ov);
  qsort(sorted, OV_N, sizeof sorted[0], ov_cmp);
  for (int i = 0; i + 1 < OV_N; i++) {
    size_t len = sorted[i].n ? sorted[i].n : 1;
    CHECKF(sorted[i].p + len <= sorted[i + 1].p, "objects %p+%zu and %p overlap",
           (void *)sorted[i].p, len, (void *)sorted[i + 1].p);
  }
  for (int i = 0; i < OV_N; i++) {
    CHECKF(ov_intact(&ov[i]), "object %d was overwritten", i);
    rt_free(ov[i].p);
  }
}

/* ==== cross: frees on another P ====================================== */

#define CR_N 200000
static rt_chan *cr_ch;
static rt_waitgroup cr_wg;

static void cr_producer(void *arg) {
  (void)arg;
  for (int i = 0; i < CR_N; i++) {
    size_t n = 16 + (size_t)(i % 500);
    unsigned char *x = rt_alloc(n, 0);
    if (x) memset(x, (unsigned char)n, n);
    rt_chan_send(cr_ch, &x);
  }
  rt_chan_close(cr_ch);
  rt_wg_done(&cr_wg);
}

static void cr_consumer(void *arg) {
  int *bad = arg;
  unsigned char *x;
  int i = 0;
  while (rt_chan_recv(cr_ch, &x)) {
    size_t n = 16 + (size_t)(i++ % 500);
    if (!x || x[0] != (unsigned char)n || x[n - 1] != (unsigned char)n) (*bad)++;
    rt_free(x);
  }
  rt_wg_done(&cr_wg);
}

static void cross_main(void *arg) {
  int *bad = arg;
  cr_ch = rt_chan_make(sizeof(void *), 64);
  rt_wg_add(&cr_wg, 2);
  rt_go(cr_producer, NULL);
  rt_go(cr_consumer, bad);
  rt_wg_wait(&cr_wg);
  rt_chan_free(cr_ch);
}

static void prop_cross(void) {
  int bad = 0;
  run(2, cross_main, &bad);
  CHECK_EQ(bad, 0);
  rt_astats st;
  rt_heap_stats(&st);
  CHECK_EQ(st.allocs, (uint64_t)CR_N);
  CHECK_EQ(st.frees, (uint64_t)CR_N);
  CHECK_EQ(st.live_bytes, 0);
}

/* ==== find: base_of and walk ========================================= */

static void prop_find(void) {
  const rt_alloc_ops *ops;
  rt_pval vals[RT_MAX_PARAMS];
  char err[512];
  CHECK_EQ(rt_alloc_resolve(alloc_spec, &ops, vals, err, sizeof err), RT_OK);
  if (!(ops->caps & RT_AC_FIND)) {
    printf("alloc '%s' declares no RT_AC_FIND: it cannot serve a collector; nothing to check\n",
           ops->name);
    return;
  }
  CHECKF(0, "RT_AC_FIND checks are not written yet for '%s'", ops->name);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: alloc_conformance ALLOC PROPERTY\n");
    return 2;
  }
  alloc_spec = argv[1];
  const char *p = argv[2];
  if (!strcmp(p, "basic")) run(1, basic_main, NULL);
  else if (!strcmp(p, "overlap")) run(1, overlap_main, NULL);
  else if (!strcmp(p, "cross")) prop_cross();
  else if (!strcmp(p, "find")) prop_find();
  else {
    fprintf(stderr, "alloc_conformance: unknown property '%s' (allowed: basic, overlap, cross, "
                    "find)\n", p);
    return 2;
  }
  return check_done(p);
}
