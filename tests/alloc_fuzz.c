/*
** alloc_fuzz.c: a differential fuzz of the allocators against a model.
**
**   alloc_fuzz ALLOC OPS [SEED]   OPS random operations on the allocator
**                                 spec ALLOC ("all": every built-in one,
**                                 from the registry); exit 77 (CTest's
**                                 skip) when ALLOC is unavailable here
**   alloc_fuzz debug              (debug builds) the fill patterns, and a
**                                 double free, an interior free and a
**                                 realloc of a freed object are fatal
**                                 errors naming the pointer (first_fit)
**
** One G at one P runs a random sequence of rt_alloc (sizes mostly 0..300,
** some to 40 KiB, a few to 1 MiB; sometimes RT_AF_ZERO, sometimes
** RT_AF_NOSCAN; sometimes through rt_realloc(NULL)), rt_free and
** rt_realloc (a new size, a small step, a doubling or halving; now and
** then a size no allocator serves, which must fail and leave the object
** as it was), with phases that grow and shrink the live set.  The model
** holds each live object's size and the seed of its pattern, written into
** all its requested bytes; it checks the contents on every free and
** realloc and at the end, zeroed bytes for RT_AF_ZERO (the debug fill for
** the others, in debug builds), alignment, rt_alloc_size >= the size, that
** no two live objects' usable bytes overlap (sorted intervals, every
** FZ_EVERY operations), and that rt_heap_stats counts exactly the
** allocations, frees and failures the model made.
**
** Alignment is the contract's (rt_module.h, alloc): 16 bytes, 8 when the
** usable size is not a multiple of 16 (size classes of 8, 24 ... bytes),
** and a pointer-free request under 16 bytes what its size needs: such an
** object may be packed with others into one block (Go's tiny allocator);
** rt_alloc_size still gives its own bytes only, so overlaps are checked
** over usable sizes for every object.
**
** The sequence follows from the seed alone: a failure prints the seed,
** the operation's index and the command that replays it, and ends that
** allocator's run.
*/
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "heap.h"
#include "rt_module.h"

#define FZ_SLOTS 4096          /* most objects live at once */
#define FZ_EVERY 1024          /* operations between overlap checks */
#define FZ_PHASE 20000         /* operations between new live-set targets */
#define FZ_MAXSZ ((size_t)1 << 20)  /* largest request (but the refused ones) */
#define FZ_SKIP 77             /* exit status CTest reads as skipped */

/* A live object of the model. */
typedef struct fz_obj {
  unsigned char *p;            /* the object */
  size_t n;                    /* bytes requested (its size now) */
  size_t u;                    /* usable bytes (rt_alloc_size) */
  uint64_t seed;               /* its pattern: byte i is fz_byte(seed, i) */
  bool packed;                 /* pointer-free and under 16 bytes: maybe packed */
} fz_obj;

/* One allocator's fuzz. */
typedef struct fz_run {
  const char *spec;            /* the allocator */
  uint64_t seed;               /* of the sequence */
  uint64_t rng;                /* xorshift state */
  uint64_t ops;                /* operations to do */
  uint64_t op;                 /* the one under way (for messages) */
  bool bad;                    /* a check failed: the run stops */
  bool sized;                  /* the allocator has size_of */
  bool fills;                  /* heap.c fills its fresh objects (heap_fills) */
  fz_obj live[FZ_SLOTS];       /* the live objects, dense */
  int nlive;                   /* how many */
  int target;                  /* live count the phase heads for */
  int maxlive;                 /* most seen */
  uint64_t allocs, frees, refused;  /* what rt_heap_stats must count */
  uint64_t moved, inplace;     /* realloc outcomes, for the summary */
} fz_run;

static fz_run R;

static uint64_t fz_next(void) {
  R.rng ^= R.rng << 13; R.rng ^= R.rng >> 7; R.rng ^= R.rng << 17;
  return R.rng;
}

/* Reports a failed check with what replays it; the run stops. */
#define FZ_FAIL(...) do {                                                          \
    check_failures++;                                                              \
    fprintf(stderr, "alloc_fuzz: %s: op %" PRIu64 " of %" PRIu64 ", seed %#" PRIx64 \
            ": ", R.spec, R.op, R.ops, R.seed);                                     \
    fprintf(stderr, __VA_ARGS__);                                                  \
    fprintf(stderr, "\n  replay: alloc_fuzz '%s' %" PRIu64 " %#" PRIx64 "\n", R.spec, \
            R.ops, R.seed);                                                        \
    R.bad = true;                                                                  \
  } while (0)

/* ==== patterns ======================================================= */

/* Word j of seed's pattern (a Weyl sequence: every word differs, so a
** shifted copy shows); byte i is byte i % 8 of word i / 8 in memory. */
static inline uint64_t fz_word(uint64_t seed, size_t j) {
  return seed + (uint64_t)j * 0x9E3779B97F4A7C15ull;
}

static inline unsigned char fz_byte(uint64_t seed, size_t i) {
  uint64_t w = fz_word(seed, i / 8);
  unsigned char b[8];
  memcpy(b, &w, 8);
  return b[i % 8];
}

/* Writes seed's pattern into bytes [from, to) of p. */
static void fz_fill(unsigned char *p, size_t from, size_t to, uint64_t seed) {
  size_t i = from;
  for (; i < to && i % 8; i++) p[i] = fz_byte(seed, i);
  for (; i + 8 <= to; i += 8) {
    uint64_t w = fz_word(seed, i / 8);
    memcpy(p + i, &w, 8);
  }
  for (; i < to; i++) p[i] = fz_byte(seed, i);
}

/* The first byte of [from, to) that is not seed's pattern, else to. */
static size_t fz_find_bad(const unsigned char *p, size_t from, size_t to, uint64_t seed) {
  size_t i = from;
  for (; i < to && i % 8; i++)
    if (p[i] != fz_byte(seed, i)) return i;
  for (; i + 8 <= to; i += 8) {
    uint64_t v, w = fz_word(seed, i / 8);
    memcpy(&v, p + i, 8);
    if (v != w) break;
  }
  for (; i < to; i++)
    if (p[i] != fz_byte(seed, i)) return i;
  return to;
}

/* The first byte of [from, to) that is not b, else to. */
static size_t fz_find_not(const unsigned char *p, size_t from, size_t to, unsigned char b) {
  uint64_t w = 0x0101010101010101ull * b;
  size_t i = from;
  for (; i < to && i % 8; i++)
    if (p[i] != b) return i;
  for (; i + 8 <= to; i += 8) {
    uint64_t v;
    memcpy(&v, p + i, 8);
    if (v != w) break;
  }
  for (; i < to; i++)
    if (p[i] != b) return i;
  return to;
}

/* Does o still hold its pattern? */
static bool fz_intact(const fz_obj *o, const char *when) {
  size_t i = fz_find_bad(o->p, 0, o->n, o->seed);
  if (i == o->n) return true;
  FZ_FAIL("%s: object %p (%zu bytes) has byte %zu = %#x, its pattern says %#x", when,
          (void *)o->p, o->n, i, o->p[i], fz_byte(o->seed, i));
  return false;
}

/* ==== the operations ================================================= */

/* A request from the skewed mix: 94% 0..300; 5.95% 301 B to 40 KiB,
** spread over sizes as programs do (an upper bound halved 0 to 7 times,
** then uniform below it); 0.05% to 1 MiB. */
static size_t fz_size(void) {
  uint64_t r = fz_next();
  uint64_t k = r % 10000, v = r >> 16;
  if (k < 9400) return (size_t)(v % 301);
  if (k < 9995) return 301 + (size_t)((v >> 3) % ((40 * 1024 >> (v % 8)) - 300));
  return 40 * 1024 + 1 + (size_t)(v % (FZ_MAXSZ - 40 * 1024));
}

/* A new object (n bytes, flags) at p (from rt_alloc or rt_realloc): its
** first `kept` bytes came from an old object with pattern seed; checks
** alignment, usable size and the fresh bytes (zero, or the debug fill),
** then writes the pattern into the rest. */
static bool fz_take(fz_obj *o, unsigned char *p, size_t n, unsigned flags, size_t kept,
                    uint64_t seed, const char *what, bool inplace) {
  o->p = p;
  o->n = n;
  o->seed = seed;
  o->packed = (flags & RT_AF_NOSCAN) && n > 0 && n < 16;
  o->u = R.sized ? rt_alloc_size(p) : n;
  if (o->u < n) {
    FZ_FAIL("%s of %zu bytes: rt_alloc_size %zu", what, n, o->u);
    return false;
  }
  size_t align = o->packed ? (n & 7 ? n & -n : 8) : o->u % 16 ? 8 : 16;
  if (!inplace && (uintptr_t)p % align) {  /* in place: checked when it was made */
    FZ_FAIL("%s of %zu bytes%s (usable %zu) gave %p, not %zu-byte aligned", what, n,
            o->packed ? " pointer-free" : "", o->u, (void *)p, align);
    return false;
  }
  if (flags & RT_AF_ZERO) {
    size_t i = fz_find_not(p, kept, n, 0);
    if (i < n) {
      FZ_FAIL("%s of %zu bytes with RT_AF_ZERO: byte %zu = %#x", what, n, i, p[i]);
      return false;
    }
  }
  else if (R.fills && kept < n) {  /* the debug fill of heap.c */
    size_t i = fz_find_not(p, kept, n, HEAP_FRESH_BYTE);
    if (i < n) {
      FZ_FAIL("%s of %zu bytes: fresh byte %zu = %#x, not the debug fill %#x", what, n, i,
              p[i], HEAP_FRESH_BYTE);
      return false;
    }
  }
  fz_fill(p, kept, n, seed);
  return true;
}

/* Flags of a request: RT_AF_ZERO one time in 8, RT_AF_NOSCAN one in 4
** (and, for sizes under 16, one in 2: what a tiny allocator packs). */
static unsigned fz_flags(size_t n) {
  uint64_t r = fz_next();
  return (r % 8 == 0 ? RT_AF_ZERO : 0) | ((r >> 8) % (n < 16 ? 2 : 4) == 0 ? RT_AF_NOSCAN : 0);
}

static void fz_alloc(void) {
  size_t n = fz_size();
  unsigned flags = fz_flags(n);
  bool via_realloc = fz_next() % 16 == 0;
  unsigned char *p = via_realloc ? rt_realloc(NULL, n, flags) : rt_alloc(n, flags);
  const char *what = via_realloc ? "rt_realloc(NULL)" : "rt_alloc";
  if (!p) {
    FZ_FAIL("%s of %zu bytes refused", what, n);
    return;
  }
  R.allocs++;
  fz_obj *o = &R.live[R.nlive++];
  if (R.nlive > R.maxlive) R.maxlive = R.nlive;
  fz_take(o, p, n, flags, 0, fz_next(), what, false);
}

static void fz_free(void) {
  int k = (int)(fz_next() % (uint64_t)R.nlive);
  fz_obj *o = &R.live[k];
  if (!fz_intact(o, "before rt_free")) return;
  rt_free(o->p);
  R.frees++;
  *o = R.live[--R.nlive];
}

static void fz_realloc(void) {
  fz_obj *o = &R.live[fz_next() % (uint64_t)R.nlive];
  if (!fz_intact(o, "before rt_realloc")) return;
  uint64_t r = fz_next();
  size_t n;
  switch (r % 4) {
  case 0: n = fz_size(); break;
  case 1: n = o->n + (size_t)(r >> 8) % 65; n = n < 32 ? 0 : n - 32; break;  /* +-32 */
  case 2: n = o->n * 2 + 1; break;
  default: n = o->n / 2; break;
  }
  if (n > FZ_MAXSZ) n = FZ_MAXSZ;
  unsigned flags = fz_flags(n);
  if ((r >> 16) % 1000 == 0) {  /* refused: the old object stays as it was */
    void *x = rt_realloc(o->p, SIZE_MAX / 2, flags);
    if (x) {
      FZ_FAIL("rt_realloc of %p to SIZE_MAX/2 bytes succeeded", (void *)o->p);
      return;
    }
    R.refused++;
    fz_intact(o, "after a refused rt_realloc");
    return;
  }
  unsigned char *old = o->p;
  size_t old_n = o->n, old_u = o->u;
  unsigned char *p = rt_realloc(old, n, flags);
  if (!p) {
    FZ_FAIL("rt_realloc of %p (%zu bytes) to %zu bytes refused", (void *)old, old_n, n);
    return;
  }
  if (p == old) {
    R.inplace++;
    if (n > old_u) {
      FZ_FAIL("rt_realloc kept %p (usable %zu) for %zu bytes", (void *)old, old_u, n);
      return;
    }
  } else {
    R.moved++;
    R.allocs++;
    R.frees++;
  }
  /* The old object's first min(n, its size) bytes moved with it; past
  ** its usable size (a moved object) come fresh bytes. */
  size_t kept = old_n < n ? old_n : n;
  size_t i = fz_find_bad(p, 0, kept, o->seed);
  if (i < kept) {
    FZ_FAIL("rt_realloc of %p (%zu bytes) to %p (%zu): byte %zu = %#x, was %#x", (void *)old,
            old_n, (void *)p, n, i, p[i], fz_byte(o->seed, i));
    return;
  }
  size_t fresh = p == old ? n : (old_u < n ? old_u : n);
  if (p == old) fz_fill(p, kept, n, o->seed);  /* grown in place: bytes of its own */
  else if (old_n < fresh) fz_fill(p, old_n, fresh, o->seed);  /* its usable tail, copied */
  fz_take(o, p, n, flags, fresh, o->seed, "rt_realloc", p == old);
}

/* No two live objects' usable bytes overlap (a maybe packed one's: its
** requested bytes; an object of 0 bytes still takes its address). */
typedef struct fz_iv {
  uintptr_t lo, hi;            /* [lo, hi) */
} fz_iv;

static int fz_cmp(const void *a, const void *b) {
  uintptr_t x = ((const fz_iv *)a)->lo, y = ((const fz_iv *)b)->lo;
  return x < y ? -1 : x > y;
}

static void fz_overlap(void) {
  static fz_iv iv[FZ_SLOTS];
  for (int k = 0; k < R.nlive; k++) {
    size_t len = R.live[k].u;
    iv[k].lo = (uintptr_t)R.live[k].p;
    iv[k].hi = iv[k].lo + (len ? len : 1);
  }
  qsort(iv, (size_t)R.nlive, sizeof iv[0], fz_cmp);
  for (int k = 0; k + 1 < R.nlive; k++)
    if (iv[k].hi > iv[k + 1].lo) {
      FZ_FAIL("objects %#" PRIxPTR "+%zu and %#" PRIxPTR "+%zu overlap", iv[k].lo,
              (size_t)(iv[k].hi - iv[k].lo), iv[k + 1].lo, (size_t)(iv[k + 1].hi - iv[k + 1].lo));
      return;
    }
}

/* rt_heap_stats against the model. */
static void fz_stats(const char *when) {
  rt_astats st;
  rt_heap_stats(&st);
  if (st.allocs - st.frees != (uint64_t)R.nlive || st.allocs != R.allocs ||
      st.frees != R.frees || st.failed != R.refused)
    FZ_FAIL("%s: rt_heap_stats counts %" PRIu64 " allocs, %" PRIu64 " frees, %" PRIu64
            " failed; the model made %" PRIu64 ", %" PRIu64 ", %" PRIu64 " (%d live)",
            when, st.allocs, st.frees, st.failed, R.allocs, R.frees, R.refused, R.nlive);
}

static void fz_main(void *arg) {
  (void)arg;
  for (R.op = 0; R.op < R.ops && !R.bad; R.op++) {
    if (R.op % FZ_PHASE == 0)  /* a quarter of the phases drain the heap */
      R.target = fz_next() % 4 == 0 ? (int)(fz_next() % 64) : (int)(fz_next() % FZ_SLOTS);
    if (R.op % FZ_EVERY == FZ_EVERY - 1) fz_overlap();
    uint64_t r = fz_next() % 100;
    int pa = R.nlive < R.target ? 55 : 25, pf = R.nlive < R.target ? 25 : 55;
    if (R.nlive == 0 || (r < (uint64_t)pa && R.nlive < FZ_SLOTS)) fz_alloc();
    else if (r < (uint64_t)(pa + pf) || R.nlive == FZ_SLOTS) fz_free();
    else fz_realloc();
    if (r == 99 && fz_next() % 64 == 0) rt_free(NULL);  /* a no-op, counted as none */
  }
  if (R.bad) return;
  R.op = R.ops;  /* what follows is "after the last operation" */
  fz_overlap();
  fz_stats("after the operations");
  while (!R.bad && R.nlive > 0) {
    fz_obj *o = &R.live[--R.nlive];
    if (!fz_intact(o, "at the end")) return;
    rt_free(o->p);
    R.frees++;
  }
  if (R.bad) return;
  fz_stats("all freed");
  rt_astats st;
  rt_heap_stats(&st);
  if (st.live_bytes != 0 || st.inuse_bytes != 0)
    FZ_FAIL("all freed: live_bytes %" PRId64 ", inuse_bytes %" PRId64, st.live_bytes,
            st.inuse_bytes);
}

/* Fuzzes one allocator spec; false when it is unavailable here. */
static bool fz_one(const char *spec, uint64_t ops, uint64_t seed) {
  const rt_alloc_ops *a;
  rt_pval vals[RT_MAX_PARAMS];
  char err[512] = "";
  int rc = rt_alloc_resolve(spec, &a, vals, err, sizeof err);
  if (rc == RT_ENOENT && (a = rt_alloc_find(spec)) && a->unavailable && a->unavailable()) {
    printf("alloc_fuzz: %s: skipped: %s\n", spec, a->unavailable());
    return false;
  }
  CHECKF(rc == RT_OK, "alloc '%s': %d %s", spec, rc, err);
  if (rc != RT_OK) return true;
  memset(&R, 0, sizeof R);
  R.spec = spec;
  R.seed = seed;
  R.rng = seed ? seed : 1;
  R.ops = ops;
  R.sized = a->size_of != NULL;
  R.fills = heap_fills(a->caps);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rt_config cfg = {.procs = 1, .alloc = spec, .err = err, .errlen = sizeof err};
  rc = rt_run(&cfg, fz_main, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  CHECKF(rc == RT_OK, "rt_run: %d %s", rc, err);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("alloc_fuzz: %-10s %" PRIu64 " ops in %.2f s, seed %#" PRIx64 ": %s (most live %d, "
         "%" PRIu64 " allocs, realloc %" PRIu64 " moved %" PRIu64 " in place, %" PRIu64
         " refused)\n", spec, ops, s, seed, R.bad ? "FAILED" : "ok", R.maxlive, R.allocs,
         R.moved, R.inplace, R.refused);
  return true;
}

/* ==== debug: fills and fatal misuse ================================== */

#ifndef NDEBUG
static int dbg_case;            /* which misuse the child commits */

static void dbg_misuse_main(void *arg) {
  (void)arg;
  unsigned char *x = rt_alloc(64, 0), *y = rt_alloc(64, 0);  /* y: x is not the last */
  void *bad = x;
  if (dbg_case == 1) bad = x + 16;
  fprintf(stderr, "bad pointer %p\n", bad);
  if (dbg_case != 1) rt_free(x);
  if (dbg_case == 2) rt_realloc(bad, 100, 0);
  else rt_free(bad);
  rt_free(y);
}

static void dbg_misuse(void) {
  char err[256];
  rt_config cfg = {.procs = 1, .alloc = "first_fit", .err = err, .errlen = sizeof err};
  rt_run(&cfg, dbg_misuse_main, NULL);
  fprintf(stderr, "rt_run returned: %s\n", err);
}

/* Fresh bytes read HEAP_FRESH_BYTE over the usable size, freed ones
** HEAP_FREED_BYTE (past first_fit's links and before its footer). */
static void dbg_fill_main(void *arg) {
  (void)arg;
  if (!HEAP_FILLS) return;
  unsigned char *a = rt_alloc(256, 0), *b = rt_alloc(256, 0), *c = rt_alloc(256, 0);
  size_t u = rt_alloc_size(b);
  CHECK(a && b && c && u >= 256);
  if (!b) return;
  CHECK_EQ(fz_find_not(b, 0, u, HEAP_FRESH_BYTE), u);
  unsigned char *z = rt_alloc(256, RT_AF_ZERO);
  CHECK(z && fz_find_not(z, 0, 256, 0) == 256);
  memset(b, 0x11, u);
  rt_free(b);  /* between live a and c: no coalescing */
  CHECK_EQ(fz_find_not(b, 64, u - 16, HEAP_FREED_BYTE), u - 16);
  rt_free(a);
  rt_free(c);
  rt_free(z);
}

static int dbg_main(void) {
  char err[512];
  rt_config cfg = {.procs = 1, .alloc = "first_fit", .err = err, .errlen = sizeof err};
  CHECKF(rt_run(&cfg, dbg_fill_main, NULL) == RT_OK, "%s", err);
  static const char *const op[] = {"rt_free", "rt_free", "rt_realloc"};
  static const char *const what[] = {"double free", "interior free", "realloc of a freed object"};
  for (dbg_case = 0; dbg_case < 3; dbg_case++) {
    char out[2048], want[256];
    void *bad = NULL;
    int st = check_in_child(dbg_misuse, out, sizeof out);
    const char *at = strstr(out, "bad pointer ");
    if (at) sscanf(at, "bad pointer %p", &bad);
    snprintf(want, sizeof want, "rtlab: fatal error: %s(%p): double free or invalid pointer: "
             "no live object of alloc 'first_fit' starts there", op[dbg_case], bad);
    CHECKF(st == 2 && bad && strstr(out, want), "%s: exit %d, want 2 and\n  %s\ngot:\n%s",
           what[dbg_case], st, want, out);
    if (st == 2 && bad && strstr(out, want)) printf("%s, exit 2: %s", what[dbg_case], strstr(out, want));
  }
  return check_done("debug");
}
#endif

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "debug")) {
#ifndef NDEBUG
    return dbg_main();
#else
    printf("alloc_fuzz debug: a release build (NDEBUG): no fills, no checks to test\n");
    return FZ_SKIP;
#endif
  }
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: alloc_fuzz ALLOC|all OPS [SEED]\n       alloc_fuzz debug\n");
    return 2;
  }
  char *end;
  uint64_t ops = strtoull(argv[2], &end, 0);
  uint64_t seed = argc == 4 ? strtoull(argv[3], NULL, 0) : 0x5EEDF00Dull;
  if (*end || ops == 0) {
    fprintf(stderr, "alloc_fuzz: OPS '%s' is not a positive number\n", argv[2]);
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (strcmp(argv[1], "all") != 0) {
    if (!fz_one(argv[1], ops, seed)) return FZ_SKIP;
  } else {
    for (int i = 0; i < rt_alloc_count(); i++) fz_one(rt_alloc_at(i)->name, ops, seed);
  }
  return check_done("alloc_fuzz");
}
