/*
** alloc_conformance.c: properties every allocator must have.
**
**   alloc_conformance ALLOC PROPERTY
**
** runs one property inside a runtime whose allocator is the spec ALLOC;
** CTest runs every allocator x property as its own test.
**
**   basic    alignment for every size 0..4200 and some large ones (16
**            bytes; 8 when the usable size is not a multiple of 16, as
**            Go's 24- or 40-byte classes; pointer-free requests under 16
**            bytes: what their size needs, as Go's tiny allocator);
**            rt_alloc_size >= the request; size 0 gives unique objects;
**            free(NULL) is a no-op; RT_AF_ZERO zeroes reused memory; a
**            size no allocator can serve gives NULL and counts a failure
**   overlap  a random live set of 20000 objects: no two overlap (sorted
**            intervals), every byte of each keeps its pattern (canaries
**            across neighbours) through 200000 random frees and allocations
**   cross    objects allocated by one G and freed by another (on the other P
**            whenever the two run at once), through a channel, at 2 Ps;
**            figures balance at the end
**   outside  rt_alloc outside a G is a fatal error naming it (exit 2)
**   find     (allocators declaring RT_AC_FIND) base_of gives the start for
**            starts, interiors and last usable bytes; NULL one past the end
**            when the neighbour is free, inside freed objects and outside
**            the heap; walk sees exactly the live set (count, bytes, each
**            once); mark_of bytes are distinct and persist (RT_AC_MARK), and
**            are 0 in an object alloc has just returned
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
    size_t a = rt_alloc_size(x) % 16 ? 8 : 16;
    CHECKF((uintptr_t)x % a == 0, "size %zu: %p is not %zu-byte aligned", n, x, a);
    CHECKF(rt_alloc_size(x) >= n, "size %zu: usable %zu", n, rt_alloc_size(x));
    memset(x, 0xA5, n);
    keep[n] = x;
  }
  for (size_t n = 1; n < 4300; n++) CHECKF(keep[n] != keep[0], "size 0 shares an object");
  for (size_t n = 0; n < 4300; n++) rt_free(keep[n]);
  for (size_t n = 1; n < 16; n++) {  /* pointer-free and small: maybe packed */
    char *x = rt_alloc(n, RT_AF_NOSCAN | RT_AF_ZERO);
    size_t a = n & 7 ? n & -n : 8;
    CHECKF(x && (uintptr_t)x % a == 0, "noscan size %zu: %p is not %zu-byte aligned", n, x, a);
    for (size_t i = 0; x && i < n; i++) CHECKF(x[i] == 0, "noscan size %zu: byte %zu", n, i);
    if (x) memset(x, (int)n, n);
    keep[n] = x;
  }
  for (size_t n = 1; n < 16; n++) {
    for (size_t i = 0; keep[n] && i < n; i++)
      CHECKF(((char *)keep[n])[i] == (char)n, "noscan size %zu overwritten", n);
    rt_free(keep[n]);
  }
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
  o->p = rt_alloc(o->n, next() & 3 ? 0 : RT_AF_NOSCAN);  /* a quarter maybe packed */
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
    size_t n = 1 + (size_t)(i % 500);
    unsigned char *x = rt_alloc(n, i & 1 ? RT_AF_NOSCAN : 0);
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
    size_t n = 1 + (size_t)(i++ % 500);
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

/* ==== find: base_of, size_of, walk, mark_of ========================== */

/* The ops are driven directly on a P view of the test's own (as the
** policy tests drive scheduler ops on fake Ps), inside a run so the arena
** exists: base_of, walk and mark_of have no face in rt.h. */

#define FD_N 3000
typedef struct fd_obj {
  char *p;                 /* the object, NULL once freed */
  char *was;               /* where it was, for freed ones */
  size_t n;                /* its requested size */
  uint8_t *mark;           /* its mark byte (RT_AC_MARK) */
} fd_obj;
static fd_obj fd[FD_N];
static const rt_alloc_ops *fd_ops;
static rt_pval fd_vals[RT_MAX_PARAMS];

typedef struct fd_seen {
  void *base;              /* an object walk reported */
  size_t size;             /* with this size */
} fd_seen;
typedef struct fd_walk {
  fd_seen *v;              /* what walk reported, in order */
  size_t n, cap;           /* entries and room */
} fd_walk;

static void fd_visit(void *base, size_t size, void *ctx) {
  fd_walk *w = ctx;
  if (w->n < w->cap) w->v[w->n] = (fd_seen){base, size};
  w->n++;
}

static int fd_cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
  return x < y ? -1 : x > y;
}

/* Is x the start of a live object? (sorted starts) */
static bool fd_is_live(void **live, size_t n, const void *x) {
  return bsearch(&x, live, n, sizeof *live, fd_cmp_ptr) != NULL;
}

static void fd_check_walk(rt_ap *ap, const char *when) {
  static void *live[FD_N];
  static fd_seen seen[FD_N + 16];
  size_t nlive = 0, want_bytes = 0, got_bytes = 0;
  for (int i = 0; i < FD_N; i++)
    if (fd[i].p) {
      live[nlive++] = fd[i].p;
      want_bytes += fd_ops->size_of(ap, fd[i].p);
    }
  fd_walk w = {seen, 0, FD_N + 16};
  fd_ops->walk(ap, fd_visit, &w);
  CHECKF(w.n == nlive, "%s: walk visited %zu objects, %zu are live", when, w.n, nlive);
  if (w.n != nlive) return;
  qsort(live, nlive, sizeof *live, fd_cmp_ptr);
  for (size_t i = 0; i < w.n; i++) {
    got_bytes += seen[i].size;
    CHECKF(fd_is_live(live, nlive, seen[i].base), "%s: walk visited %p, not live", when,
           seen[i].base);
    CHECKF(seen[i].size == fd_ops->size_of(ap, seen[i].base), "%s: walk size %zu of %p", when,
           seen[i].size, seen[i].base);
  }
  CHECK_EQ(got_bytes, want_bytes);
  void **bases = (void **)live;  /* reuse: each object once */
  for (size_t i = 0; i < w.n; i++) bases[i] = seen[i].base;
  qsort(bases, w.n, sizeof *bases, fd_cmp_ptr);
  for (size_t i = 0; i + 1 < w.n; i++)
    CHECKF(bases[i] != bases[i + 1], "%s: walk visited %p twice", when, bases[i]);
}

/* The object of the sorted intervals iv that holds a, or NULL. */
static void *fd_expect(const fd_seen *iv, size_t n, const char *a) {
  size_t lo = 0, hi = n;  /* first interval starting after a */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if ((const char *)iv[mid].base <= a) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return NULL;
  const fd_seen *v = &iv[lo - 1];
  return a < (const char *)v->base + v->size ? v->base : NULL;
}

static size_t fd_size(int i) {
  uint64_t r = next();
  if (i % 500 == 7) return 40000 + (size_t)(r % 100000);  /* some large ones */
  return (r & 7) ? (size_t)(r >> 8) % 300 : (size_t)(r >> 8) % 9000;
}

static void find_main(void *arg) {
  (void)arg;
  const rt_alloc_ops *ops = fd_ops;
  bool marks = (ops->caps & RT_AC_MARK) != 0;
  rt_ap self;
  rt_ap *all[1] = {&self};
  memset(&self, 0, sizeof self);
  self.state = calloc(1, ops->state_size ? ops->state_size : 1);
  self.shared = calloc(1, ops->shared_size ? ops->shared_size : 1);
  self.param = fd_vals;
  self.all = all;
  self.nprocs = 1;
  rt_ap *ap = &self;
  CHECK(self.state && self.shared);
  CHECK(!ops->init || ops->init(ap) == RT_OK);

  for (int i = 0; i < FD_N; i++) {
    fd[i].n = fd_size(i);
    fd[i].p = ops->alloc(ap, fd[i].n, 0);
    CHECKF(fd[i].p != NULL, "size %zu refused", fd[i].n);
    if (!fd[i].p) return;
    memset(fd[i].p, 0x5A, fd[i].n);
  }
  for (int i = 0; i < FD_N; i += 3) {  /* free every third: free neighbours */
    fd[i].was = fd[i].p;
    ops->free(ap, fd[i].p);
    fd[i].p = NULL;
  }
  /* What base_of must say of any address, from the test's own knowledge:
  ** the live object whose usable bytes hold it, else NULL. */
  static fd_seen iv[FD_N];
  size_t niv = 0;
  for (int i = 0; i < FD_N; i++)
    if (fd[i].p) iv[niv++] = (fd_seen){fd[i].p, ops->size_of(ap, fd[i].p)};
  qsort(iv, niv, sizeof iv[0], fd_cmp_ptr);
#define FD_EXPECT(a) fd_expect(iv, niv, (const char *)(a))
  /* Starts, interiors and the last usable byte give the start; one past
  ** the end (a free neighbour's or the next block's header) gives only
  ** an object that really holds it. */
  int nulls_past = 0;
  for (int i = 0; i < FD_N; i++) {
    char *x = fd[i].p;
    if (!x) continue;
    size_t u = ops->size_of(ap, x);
    CHECKF(u >= fd[i].n, "size_of %p: %zu < %zu", (void *)x, u, fd[i].n);
    CHECKF(ops->base_of(ap, x) == x, "base_of(start %p) = %p", (void *)x, ops->base_of(ap, x));
    CHECKF(ops->base_of(ap, x + u / 2) == x, "base_of(%p + %zu) = %p", (void *)x, u / 2,
           ops->base_of(ap, x + u / 2));
    if (u) CHECKF(ops->base_of(ap, x + u - 1) == x, "base_of(last byte of %p+%zu) = %p",
                  (void *)x, u, ops->base_of(ap, x + u - 1));
    void *r = ops->base_of(ap, x + u);
    CHECKF(r == FD_EXPECT(x + u), "base_of(%p + %zu, one past the end) = %p, expected %p",
           (void *)x, u, r, FD_EXPECT(x + u));
    if (!r) nulls_past++;
  }
  CHECKF(nulls_past > 0, "one past the end was never outside every object");
  /* Freed objects: their start and interior. */
  for (int i = 0; i < FD_N; i++) {
    if (!fd[i].was) continue;
    char *y = fd[i].was;
    CHECKF(ops->base_of(ap, y) == FD_EXPECT(y), "base_of(freed %p) = %p", (void *)y,
           ops->base_of(ap, y));
    if (fd[i].n > 1)
      CHECKF(ops->base_of(ap, y + fd[i].n / 2) == FD_EXPECT(y + fd[i].n / 2),
             "base_of(inside freed %p) = %p", (void *)y, ops->base_of(ap, y + fd[i].n / 2));
  }
#undef FD_EXPECT
  /* Outside the heap. */
  static char global_byte;
  char stack_byte;
  char *libc = malloc(64);
  CHECK(ops->base_of(ap, &global_byte) == NULL);
  CHECK(ops->base_of(ap, &stack_byte) == NULL);
  CHECK(ops->base_of(ap, libc) == NULL);
  CHECK(ops->base_of(ap, NULL) == NULL);
  CHECK(ops->base_of(ap, (void *)(uintptr_t)4096) == NULL);
  free(libc);

  fd_check_walk(ap, "after frees");

  if (marks) {  /* distinct mark bytes, outside the objects, that persist */
    static uint8_t *ms[FD_N];
    size_t k = 0;
    for (int i = 0; i < FD_N; i++) {
      if (!fd[i].p) continue;
      uint8_t *m = ops->mark_of(ap, fd[i].p);
      size_t u = ops->size_of(ap, fd[i].p);
      CHECK(m != NULL);
      CHECKF(!(m >= (uint8_t *)fd[i].p && m < (uint8_t *)fd[i].p + u),
             "mark byte of %p lies in its usable bytes", (void *)fd[i].p);
      fd[i].mark = m;
      *m = (uint8_t)(i * 7 + 1);
      ms[k++] = m;
    }
    qsort(ms, k, sizeof *ms, fd_cmp_ptr);
    for (size_t i = 0; i + 1 < k; i++) CHECKF(ms[i] != ms[i + 1], "two objects share mark %p",
                                               (void *)ms[i]);
  }
  /* Churn: free some, allocate more into the holes; check it all again. */
  for (int i = 1; i < FD_N; i += 3) {
    ops->free(ap, fd[i].p);
    fd[i].p = NULL;
  }
  for (int i = 0; i < FD_N; i += 3) {
    fd[i].was = NULL;
    fd[i].n = fd_size(i);
    fd[i].p = ops->alloc(ap, fd[i].n, 0);
    CHECK(fd[i].p != NULL);
    if (fd[i].p) memset(fd[i].p, 0x3C, fd[i].n);
    /* Into holes whose marks were set above: a fresh object's is 0. */
    if (marks && fd[i].p)
      CHECKF(*ops->mark_of(ap, fd[i].p) == 0, "fresh object %d has mark byte %u", i,
             *ops->mark_of(ap, fd[i].p));
  }
  for (int i = 0; i < FD_N; i++) {
    if (!fd[i].p) continue;
    CHECKF(ops->base_of(ap, fd[i].p) == fd[i].p, "base_of(%p) after churn", (void *)fd[i].p);
    if (marks && i % 3 == 2)
      CHECKF(*ops->mark_of(ap, fd[i].p) == (uint8_t)(i * 7 + 1) &&
             ops->mark_of(ap, fd[i].p) == fd[i].mark, "mark of object %d did not persist", i);
  }
  fd_check_walk(ap, "after churn");
  for (int i = 0; i < FD_N; i++) {
    if (fd[i].p) ops->free(ap, fd[i].p);  /* the framework filters NULL, not the ops */
    fd[i].p = NULL;
  }
  fd_check_walk(ap, "empty");
  CHECK_EQ(self.st.live_bytes, 0);
  CHECK_EQ(self.st.inuse_bytes, 0);
  if (ops->fini) ops->fini(ap);
  free(self.state);
  free(self.shared);
}

static void prop_find(void) {
  char err[512];
  CHECK_EQ(rt_alloc_resolve(alloc_spec, &fd_ops, fd_vals, err, sizeof err), RT_OK);
  if (!fd_ops) return;
  if (!(fd_ops->caps & RT_AC_FIND)) {
    printf("alloc '%s' declares no RT_AC_FIND: it cannot serve a collector; nothing to check\n",
           fd_ops->name);
    return;
  }
  CHECKF(fd_ops->base_of && fd_ops->size_of && fd_ops->walk, "'%s' lacks a find op",
         fd_ops->name);
  CHECKF(!(fd_ops->caps & RT_AC_MARK) || fd_ops->mark_of, "'%s' lacks mark_of", fd_ops->name);
  run(1, find_main, NULL);
}

/* ==== outside: the heap used outside a G ============================= */

static void outside_alloc(void) { rt_alloc(16, 0); }

static void prop_outside(void) {
  char err[512];
  int st = check_in_child(outside_alloc, err, sizeof err);
  CHECKF(st == 2, "rt_alloc outside a G: exit %d, want 2", st);
  CHECKF(strstr(err, "rtlab: fatal error: rt_alloc called outside a running G") != NULL,
         "message: %s", err);
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
  else if (!strcmp(p, "outside")) prop_outside();
  else {
    fprintf(stderr, "alloc_conformance: unknown property '%s' (allowed: basic, overlap, cross, "
                    "find, outside)\n", p);
    return 2;
  }
  return check_done(p);
}
