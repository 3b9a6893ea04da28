/*
** test_arena.c: the arena (framework/arena.c).  Set-up, the default size
** and its fallback under an address-space limit; grants aligned, zeroed and
** writable; coalescing and address-ordered first fit on hand-built holes;
** released pages coming back zeroed; exhaustion; the page map on interior
** pointers, run boundaries and foreign addresses; exact counters after a
** script; a differential run against a free-run list (the obvious first
** fit) on two arena shapes, with the summaries verified as it goes; a
** storm of four threads granting and freeing with patterns and an
** ownership map; and NUMA binding on a synthetic and on this machine.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "arena.h"
#include "check.h"
#include "rt_module.h"
#include "topo.h"

#define PG ARENA_PAGE
#define MiB ((size_t)1 << 20)

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
# define SANITIZED 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#  define SANITIZED 1
# endif
#endif

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}

static char *run_at(size_t page) { return (char *)arena_base() + page * PG; }

static bool all_zero(const char *p, size_t len) {
  for (size_t i = 0; i < len; i += 8)
    if (*(const uint64_t *)(p + i)) return false;
  return true;
}

static void init_or_die(size_t bytes) {
  char err[200];
  int rc = arena_init(bytes, err, sizeof err);
  CHECKF(rc == RT_OK, "arena_init(%zu): %s", bytes, err);
  if (rc != RT_OK) exit(check_done("test_arena"));
}

static arena_stats_t stats(void) {
  arena_stats_t s;
  arena_stats(&s);
  return s;
}

/* ==== set-up and the default size ==================================== */

static void test_init(void) {
  char err[200];
  init_or_die(0);
  arena_stats_t s = stats();
  size_t r = s.reserved;
  CHECKF(r <= ARENA_DEFAULT_RESERVE && r >= ARENA_MIN_RESERVE &&
         ARENA_DEFAULT_RESERVE % r == 0, "reserved %zu", r);
  CHECK_EQ(arena_size(), r);
  CHECK_EQ((uintptr_t)arena_base() % PG, 0);
  CHECK_EQ(s.committed, 0);
  CHECK_EQ(s.in_use, 0);
  CHECK_EQ(arena_init(0, err, sizeof err), RT_EBUSY);
  char *p = arena_alloc(3, -1);
  CHECK(p == arena_base());
  CHECK_EQ(arena_verify(), 0);
  arena_free(p, 3);
  arena_fini();
  arena_fini();                   /* a second one is a no-op */
  s = stats();
  CHECK_EQ(s.reserved, 0);
  CHECK(arena_alloc(1, -1) == NULL);
  CHECK(!arena_contains(p));
  CHECK(arena_owner(p) == NULL);
  CHECK_EQ(arena_init(ARENA_MAX_RESERVE + PG, err, sizeof err), RT_EINVAL);
  init_or_die(1);                 /* rounds up to one page; counters reset */
  s = stats();
  CHECK_EQ(s.reserved, PG);
  CHECK_EQ(s.failures, 0);
  p = arena_alloc(1, -1);
  CHECK(p != NULL && arena_alloc(1, -1) == NULL);
  arena_fini();
}

#ifndef SANITIZED  /* the sanitizers need their own huge mappings */
/* In a child: under a 6 GiB address-space limit the default reservation
** halves down to 4 GiB; with no room at all, arena_init says why. */
static void child_fallback(void) {
  struct rlimit rl = {(rlim_t)6 << 30, (rlim_t)6 << 30};
  if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(3);
  char err[200];
  if (arena_init(0, err, sizeof err) != RT_OK) {
    fprintf(stderr, "init: %s\n", err);
    _exit(1);
  }
  arena_stats_t s;
  arena_stats(&s);
  if (s.reserved != ((size_t)4 << 30)) {
    fprintf(stderr, "reserved %zu\n", s.reserved);
    _exit(1);
  }
  if (!arena_alloc(1000, -1)) _exit(1);
  arena_fini();
  long vm = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f || fscanf(f, "%ld", &vm) != 1) _exit(3);
  fclose(f);
  rl.rlim_cur = rl.rlim_max = (rlim_t)vm * (rlim_t)sysconf(_SC_PAGESIZE) + MiB;
  if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(3);
  int rc = arena_init(0, err, sizeof err);
  if (rc != RT_ENOMEM || !strstr(err, "cannot reserve")) {
    fprintf(stderr, "rc %d: %s\n", rc, err);
    _exit(1);
  }
  _exit(0);
}

static void test_fallback(void) {
  char err[512];
  int st = check_in_child(child_fallback, err, sizeof err);
  CHECKF(st == 0, "status %d: %s", st, err);
}
#else
static void test_fallback(void) {}
#endif

/* ==== grants, holes and first fit ==================================== */

static void test_grants(void) {
  init_or_die(64 * MiB);
  static const size_t n[] = {1, 3, 17, 64, 100, 2};
  char *r[6];
  size_t next = 0;
  for (int i = 0; i < 6; i++) {
    r[i] = arena_alloc(n[i], -1);
    CHECK(r[i] == run_at(next));  /* a fresh arena fills upwards */
    if (!r[i]) continue;
    next += n[i];
    CHECK_EQ((uintptr_t)r[i] % PG, 0);
    CHECK(arena_contains(r[i]) && arena_contains(r[i] + n[i] * PG - 1));
    CHECK(all_zero(r[i], n[i] * PG));
    CHECK(arena_owner(r[i]) == NULL);
    memset(r[i], 0xA0 + i, n[i] * PG);
  }
  for (int i = 0; i < 6; i++)     /* no run wrote into another */
    for (size_t b = 0; r[i] && b < n[i] * PG; b += 509)
      if ((unsigned char)r[i][b] != 0xA0 + i) { CHECKF(0, "run %d byte %zu", i, b); break; }
  for (int i = 0; i < 6; i++) arena_free(r[i], n[i]);
  CHECK_EQ(stats().in_use, 0);
  CHECK_EQ(stats().free_runs, 0);
  CHECK_EQ(arena_verify(), 0);
  arena_fini();
}

static void test_coalesce(void) {
  init_or_die(64 * MiB);
  /* A B C D E: free A then B (merge to the right), then C and E, then D */
  char *a = arena_alloc(3, -1), *b = arena_alloc(5, -1), *c = arena_alloc(2, -1);
  char *d = arena_alloc(4, -1), *e = arena_alloc(6, -1), *z = arena_alloc(1, -1);
  CHECK(a && b == a + 3 * PG && c == b + 5 * PG && d == c + 2 * PG && e == d + 4 * PG);
  arena_free(a, 3);
  arena_free(b, 5);
  CHECK_EQ(stats().free_runs, 1);
  char *ab = arena_alloc(8, -1);  /* fits only if A and B are one run */
  CHECK(ab == a);
  arena_free(ab, 8);
  arena_free(c, 2);               /* left neighbour free: still one hole */
  CHECK_EQ(stats().free_runs, 1);
  arena_free(e, 6);
  CHECK_EQ(stats().free_runs, 2);
  arena_free(d, 4);               /* joins both sides: one hole of 20 */
  CHECK_EQ(stats().free_runs, 1);
  CHECK_EQ(arena_verify(), 0);
  char *all = arena_alloc(20, -1);
  CHECK(all == a);
  CHECK_EQ(stats().free_runs, 0);
  /* free right to left: B then A */
  arena_free(all + 3 * PG, 5);
  arena_free(all, 3);
  CHECK(arena_alloc(8, -1) == a);
  CHECK_EQ(arena_verify(), 0);
  (void)z;
  arena_fini();
}

static void test_first_fit(void) {
  init_or_die(64 * MiB);
  char *lo = arena_alloc(10, -1), *x = arena_alloc(1, -1);
  char *hi = arena_alloc(10, -1), *y = arena_alloc(1, -1);
  CHECK(lo && x && hi && y);
  arena_free(hi, 10);             /* the high hole first: order must not matter */
  arena_free(lo, 10);
  CHECK(arena_alloc(5, -1) == lo);
  CHECK(arena_alloc(5, -1) == lo + 5 * PG);
  CHECK(arena_alloc(5, -1) == hi);  /* the low hole is full */
  CHECK(arena_alloc(6, -1) == y + PG);  /* fits no hole: the top */
  CHECK(arena_alloc(5, -1) == hi + 5 * PG);
  CHECK_EQ(stats().free_runs, 0);
  CHECK_EQ(arena_verify(), 0);
  /* a hole across a word boundary of the bitmap (pages 60..70) */
  arena_fini();
  init_or_die(64 * MiB);
  char *r = arena_alloc(60, -1), *h = arena_alloc(10, -1);
  arena_alloc(1, -1);
  arena_free(h, 10);
  CHECK(arena_alloc(11, -1) == run_at(71));
  CHECK(arena_alloc(10, -1) == h);
  (void)r;
  arena_fini();
}

static void test_released(void) {
  init_or_die(64 * MiB);
  char *a = arena_alloc(16, -1), *b = arena_alloc(1, -1);
  memset(a, 0x5A, 16 * PG);
  size_t before = stats().released;
  arena_free(a, 16);
  CHECK_EQ(stats().released - before, 16 * PG);
  char *c = arena_alloc(16, -1);
  CHECK(c == a);
  CHECK(all_zero(c, 16 * PG));
  memset(c, 0x33, 16 * PG);
  arena_free(c + 4 * PG, 8);      /* part of a run */
  char *d = arena_alloc(8, -1);
  CHECK(d == c + 4 * PG && all_zero(d, 8 * PG));
  CHECK((unsigned char)c[4 * PG - 1] == 0x33 && (unsigned char)c[12 * PG] == 0x33);
  (void)b;
  arena_fini();
}

/* Retained pages: free for first fit and coalescing, not released, zeroed
** when granted again (and counted as reused), released by the scavenger
** only once old enough, and never while granted. */
static void test_retain(void) {
  init_or_die(64 * MiB);
  char *a = arena_alloc(6, -1), *b = arena_alloc(2, -1), *z = arena_alloc(1, -1);
  memset(a, 0x5A, 6 * PG);
  memset(b, 0x6B, 2 * PG);
  arena_retain(a, 6);
  arena_retain(b, 2);
  arena_stats_t s = stats();
  CHECK_EQ(s.retained, 8 * PG);
  CHECK_EQ(s.released, 0);
  CHECK_EQ(s.in_use, PG);
  CHECK_EQ(arena_verify(), 0);
  size_t reused = 99;
  char *c = arena_grant(7, -1, &reused);  /* fits only if a and b coalesced */
  CHECK(c == a);
  CHECK_EQ(reused, 7);
  CHECK(all_zero(c, 7 * PG));
  s = stats();
  CHECK_EQ(s.retained, PG);
  CHECK_EQ(s.reused, 7 * PG);
  CHECK_EQ(arena_verify(), 0);
  /* Too young: nothing released; old enough: the last retained page. */
  CHECK_EQ(arena_scavenge(60000, 1000), 0);
  CHECK_EQ(arena_scavenge(0, 1000), PG);
  s = stats();
  CHECK_EQ(s.retained, 0);
  CHECK_EQ(s.released, PG);
  CHECK_EQ(arena_verify(), 0);
  memset(c, 0x11, 7 * PG);        /* granted pages were not touched */
  arena_retain(c, 7);
  CHECK_EQ(arena_scavenge(0, 3), 3 * PG);  /* at most max_pages */
  CHECK_EQ(stats().retained, 4 * PG);
  size_t mixed;
  char *d = arena_grant(8, -1, &mixed);   /* 3 released + 4 retained + 1 released */
  CHECK(d == a && mixed == 4 && all_zero(d, 8 * PG));
  arena_retain(d, 10);                    /* past z: a bad free, ignored */
  CHECK_EQ(stats().bad_frees, 1);
  CHECK_EQ(arena_verify(), 0);
  (void)z;
  arena_fini();
}

static void test_exhaustion(void) {
  init_or_die(4 * MiB);           /* 512 pages */
  CHECK(arena_alloc(513, -1) == NULL);
  CHECK_EQ(stats().failures, 1);
  char *all = arena_alloc(512, -1);
  CHECK(all == arena_base());
  CHECK(arena_alloc(1, -1) == NULL);
  CHECK(arena_alloc(0, -1) == NULL);
  CHECK(arena_alloc(SIZE_MAX, -1) == NULL);
  CHECK_EQ(stats().failures, 4);
  CHECK_EQ(stats().committed, 4 * MiB);
  arena_free(all + 100 * PG, 1);  /* one hole of one page */
  CHECK(arena_alloc(2, -1) == NULL);
  CHECK(arena_alloc(1, -1) == all + 100 * PG);
  arena_free(all, 512);
  CHECK(arena_alloc(256, -1) == all && arena_alloc(256, -1) == all + 256 * PG);
  CHECK(arena_alloc(1, -1) == NULL);
  arena_stats_t s = stats();
  CHECK_EQ(s.failures, 6);
  CHECK_EQ(s.grants, 4);
  CHECK_EQ(s.in_use, 4 * MiB);
  CHECK_EQ(arena_verify(), 0);
  arena_fini();
}

/* ==== the page map =================================================== */

static void test_owner(void) {
  init_or_die(64 * MiB);
  int tok1, tok2;
  char *r = arena_alloc(4, -1), *s = arena_alloc(2, -1);
  CHECK(r == arena_base());
  arena_set_owner(r, 4, &tok1);
  CHECK(arena_owner(r) == &tok1);
  CHECK(arena_owner(r + 1) == &tok1);
  CHECK(arena_owner(r + PG + 123) == &tok1);
  CHECK(arena_owner(r + 4 * PG - 1) == &tok1);
  CHECK(arena_owner(r + 4 * PG) == NULL);  /* s: granted, no owner yet */
  arena_set_owner(s, 2, &tok2);
  CHECK(arena_owner(r + 4 * PG) == &tok2 && arena_owner(s + 2 * PG - 1) == &tok2);
  CHECK(arena_owner(s + 2 * PG) == NULL);  /* never granted */
  arena_set_owner(r + 2 * PG, 1, &tok2);   /* page by page */
  CHECK(arena_owner(r + 2 * PG + 5) == &tok2 && arena_owner(r + 3 * PG) == &tok1);
  char *end = (char *)arena_base() + arena_size();
  CHECK(arena_owner(r - 1) == NULL && !arena_contains(r - 1));
  CHECK(arena_owner(end) == NULL && !arena_contains(end));
  CHECK(arena_owner(end - 1) == NULL && arena_contains(end - 1));
  CHECK(arena_owner(NULL) == NULL && !arena_contains(NULL));
  CHECK(arena_owner(&tok1) == NULL && !arena_contains(&tok1));
  arena_set_owner(end - PG, 2, &tok1);     /* past the end: ignored */
  arena_set_owner(&tok1, 1, &tok1);        /* outside: ignored */
  CHECK(arena_owner(end - 1) == NULL);
  arena_free(r, 4);
  CHECK(arena_owner(r) == NULL && arena_owner(r + 3 * PG) == NULL);
  CHECK(arena_owner(s) == &tok2);
  /* invalid frees are counted and change nothing */
  arena_free(r, 4);               /* double */
  arena_free(s + 1, 1);           /* misaligned */
  arena_free(&tok1, 1);           /* outside */
  arena_free(s, 3);               /* one page too many */
  arena_free(NULL, 1);            /* a no-op, not an error */
  arena_stats_t st = stats();
  CHECK_EQ(st.bad_frees, 4);
  CHECK_EQ(st.frees, 1);
  CHECK_EQ(st.in_use, 2 * PG);
  CHECK(arena_owner(s) == &tok2);
  CHECK_EQ(arena_verify(), 0);
  arena_fini();
}

/* ==== counters ======================================================= */

static void expect(int line, size_t committed, size_t in_use, size_t peak, size_t released,
                   size_t runs, uint64_t grants, uint64_t frees, uint64_t failures) {
  arena_stats_t s = stats();
  CHECKF(s.reserved == 64 * MiB && s.committed == committed * PG && s.in_use == in_use * PG &&
         s.peak_in_use == peak * PG && s.released == released * PG && s.free_runs == runs &&
         s.grants == grants && s.frees == frees && s.failures == failures && s.bad_frees == 0,
         "line %d: committed %zu in_use %zu peak %zu released %zu runs %zu grants %llu "
         "frees %llu failures %llu (pages)", line, s.committed / PG, s.in_use / PG,
         s.peak_in_use / PG, s.released / PG, s.free_runs, (unsigned long long)s.grants,
         (unsigned long long)s.frees, (unsigned long long)s.failures);
  CHECKF(arena_verify() == 0, "line %d", line);
}

static void test_counters(void) {
  init_or_die(64 * MiB);
  expect(__LINE__, 0, 0, 0, 0, 0, 0, 0, 0);
  char *a = arena_alloc(10, -1);                      /* [0, 10) */
  expect(__LINE__, 64, 10, 10, 0, 0, 1, 0, 0);
  char *b = arena_alloc(60, -1);                      /* [10, 70) */
  expect(__LINE__, 128, 70, 70, 0, 0, 2, 0, 0);
  char *c = arena_alloc(1, -1);                       /* [70, 71) */
  expect(__LINE__, 128, 71, 71, 0, 0, 3, 0, 0);
  arena_free(b, 60);
  expect(__LINE__, 128, 11, 71, 60, 1, 3, 1, 0);
  char *d = arena_alloc(100, -1);                     /* no hole of 100: [71, 171) */
  CHECK(d == c + PG);
  expect(__LINE__, 192, 111, 111, 60, 1, 4, 1, 0);
  CHECK(arena_alloc(8192, -1) == NULL);               /* longer than any free run */
  expect(__LINE__, 192, 111, 111, 60, 1, 4, 1, 1);
  arena_free(a, 10);                                  /* joins b's hole */
  expect(__LINE__, 192, 101, 111, 70, 1, 4, 2, 1);
  char *e = arena_alloc(70, -1);
  CHECK(e == a);
  expect(__LINE__, 192, 171, 171, 70, 0, 5, 2, 1);
  arena_free(c, 1);
  arena_free(e, 70);
  expect(__LINE__, 192, 100, 171, 141, 1, 5, 4, 1);
  arena_free(d, 100);                                 /* all one run with the top */
  expect(__LINE__, 192, 0, 171, 241, 0, 5, 5, 1);
  char *f = arena_alloc(8192, -1);                    /* the whole arena */
  CHECK(f == a);
  expect(__LINE__, 8192, 8192, 8192, 241, 0, 6, 5, 1);
  arena_fini();
}

/* ==== differential: the arena against the obvious first fit ========== */

typedef struct span { size_t at, n; } span;

static span *holes;     /* the model: free runs by address, coalesced */
static size_t nholes;

static size_t model_alloc(size_t n) {
  for (size_t i = 0; i < nholes; i++) {
    if (holes[i].n < n) continue;
    size_t at = holes[i].at;
    holes[i].at += n;
    holes[i].n -= n;
    if (!holes[i].n) memmove(holes + i, holes + i + 1, (--nholes - i) * sizeof *holes);
    return at;
  }
  return SIZE_MAX;
}

static void model_free(size_t at, size_t n) {
  size_t i = 0;
  while (i < nholes && holes[i].at < at) i++;
  bool left = i > 0 && holes[i - 1].at + holes[i - 1].n == at;
  bool right = i < nholes && at + n == holes[i].at;
  if (left && right) {
    holes[i - 1].n += n + holes[i].n;
    memmove(holes + i, holes + i + 1, (--nholes - i) * sizeof *holes);
  } else if (left) {
    holes[i - 1].n += n;
  } else if (right) {
    holes[i].at = at;
    holes[i].n += n;
  } else {
    memmove(holes + i + 1, holes + i, (nholes++ - i) * sizeof *holes);
    holes[i] = (span){at, n};
  }
}

static size_t draw_size(void) {
  uint64_t k = rnd() % 100;
  if (k < 70) return 1 + rnd() % 16;
  if (k < 95) return 17 + rnd() % 496;
  return 513 + rnd() % 20000;
}

static void differential(size_t bytes, int ops) {
  init_or_die(bytes);
  size_t np = bytes / PG;
  enum { LIVE = 300 };
  span live[LIVE];
  int nlive = 0;
  holes = malloc(sizeof *holes * (np / 2 + 2));
  nholes = 1;
  holes[0] = (span){0, np};
  size_t used = 0;
  for (int op = 0; op < ops; op++) {
    if (nlive < LIVE && (nlive == 0 || rnd() % 100 < 52)) {
      size_t n = draw_size(), want = model_alloc(n);
      char *r = arena_alloc(n, -1);
      CHECKF(r == (want == SIZE_MAX ? NULL : run_at(want)), "op %d: %zu pages at %p, model %zu",
             op, n, (void *)r, want);
      if (!r || r != run_at(want)) {
        if (r) arena_free(r, n);
        if (want != SIZE_MAX) model_free(want, n);
        continue;
      }
      CHECK(*(uint64_t *)r == 0 && *(uint64_t *)(r + n * PG - 8) == 0);
      *(uint64_t *)r = want;
      *(uint64_t *)(r + n * PG - 8) = ~want;
      live[nlive++] = (span){want, n};
      used += n;
    } else {
      int i = (int)(rnd() % (uint64_t)nlive);
      span s = live[i];
      char *r = run_at(s.at);
      CHECK(*(uint64_t *)r == s.at && *(uint64_t *)(r + s.n * PG - 8) == ~s.at);
      if (s.n > 1 && rnd() % 4 == 0) {  /* free the upper half only */
        size_t keep = s.n / 2;
        arena_free(r + keep * PG, s.n - keep);
        model_free(s.at + keep, s.n - keep);
        used -= s.n - keep;
        live[i].n = keep;
        *(uint64_t *)(r + keep * PG - 8) = ~s.at;
        continue;
      }
      arena_free(r, s.n);
      model_free(s.at, s.n);
      used -= s.n;
      live[i] = live[--nlive];
    }
    if (op % 1000 == 999) {
      arena_stats_t st = stats();
      size_t holes_below = nholes - (nholes && holes[nholes - 1].at + holes[nholes - 1].n == np);
      CHECKF(arena_verify() == 0, "op %d", op);
      CHECK_EQ(st.in_use, used * PG);
      CHECK_EQ(st.free_runs, holes_below);
    }
  }
  while (nlive) {
    span s = live[--nlive];
    arena_free(run_at(s.at), s.n);
  }
  CHECK(arena_alloc(np, -1) == arena_base());
  CHECK_EQ(arena_verify(), 0);
  free(holes);
  arena_fini();
}

static void test_differential(void) {
  differential(1024 * MiB, 10000);  /* 128 Ki pages: two summary levels */
  differential(300 * MiB + 37 * PG, 10000);  /* ragged ends at every level */
  differential(6 * MiB, 4000);      /* 12 words: the bitmap alone */
}

/* ==== a storm of four threads ======================================== */

/* Every free is a madvise, and on a virtual machine with several threads
** its TLB shootdown costs 20-60 us: the unit run makes 4 x 5000 operations,
** the stress one (test_arena storm 25000) 4 x 25000. */
enum { STORM_THREADS = 4, STORM_LIVE = 24 };
static int storm_ops = 5000;   /* per thread */

typedef struct worker {
  pthread_t tid;             /* the thread */
  int id;                    /* 0 .. STORM_THREADS-1 */
  uint64_t seed;             /* its random numbers */
  int errors;                /* checks that failed in it */
  int nulls;                 /* grants refused */
} worker;

static worker workers[STORM_THREADS];
static _Atomic uint8_t *claimed;  /* per page: held by a run (1) or not (0) */

static void *storm(void *arg) {
  worker *w = arg;
  struct { char *r; size_t n; uint64_t tag; } live[STORM_LIVE];
  int nlive = 0;
  char *base = arena_base();
  size_t np = arena_size() / PG;
  for (int op = 0; op < storm_ops; op++) {
    w->seed ^= w->seed << 13; w->seed ^= w->seed >> 7; w->seed ^= w->seed << 17;
    uint64_t x = w->seed;
    void *o = arena_owner(base + (x >> 20) % np * PG);  /* someone else's page, maybe */
    if (o != NULL && (o < (void *)workers || o >= (void *)(workers + STORM_THREADS))) w->errors++;
    if (nlive < STORM_LIVE && (nlive == 0 || x % 2)) {
      size_t n = 1 + (x >> 8) % 64;
      char *r = arena_alloc(n, -1);
      if (!r) { w->nulls++; continue; }
      size_t p = (size_t)(r - base) / PG;
      for (size_t i = 0; i < n; i++)
        if (atomic_exchange(&claimed[p + i], 1) != 0) w->errors++;
      uint64_t tag = (uint64_t)w->id << 56 | (uint64_t)op;
      if (*(uint64_t *)r || *(uint64_t *)(r + n * PG - 8)) w->errors++;
      *(uint64_t *)r = tag;
      *(uint64_t *)(r + n * PG - 8) = ~tag;
      arena_set_owner(r, n, w);
      live[nlive].r = r;
      live[nlive].n = n;
      live[nlive++].tag = tag;
    } else {
      int i = (int)((x >> 32) % (uint64_t)nlive);
      char *r = live[i].r;
      size_t n = live[i].n, p = (size_t)(r - base) / PG;
      if (*(uint64_t *)r != live[i].tag || *(uint64_t *)(r + n * PG - 8) != ~live[i].tag)
        w->errors++;
      if (arena_owner(r + n * PG / 2 + 7) != w || arena_owner(r + n * PG - 1) != w) w->errors++;
      for (size_t k = 0; k < n; k++)
        if (atomic_exchange(&claimed[p + k], 0) != 1) w->errors++;
      arena_free(r, n);
      live[i] = live[--nlive];
    }
  }
  while (nlive) {
    nlive--;
    size_t p = (size_t)(live[nlive].r - base) / PG;
    for (size_t k = 0; k < live[nlive].n; k++) atomic_store(&claimed[p + k], 0);
    arena_free(live[nlive].r, live[nlive].n);
  }
  return NULL;
}

static void test_storm(void) {
  init_or_die(256 * MiB);
  size_t np = arena_size() / PG;
  claimed = calloc(np, 1);
  for (int t = 0; t < STORM_THREADS; t++) {
    workers[t] = (worker){.id = t, .seed = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1)};
    pthread_create(&workers[t].tid, NULL, storm, &workers[t]);
  }
  for (int t = 0; t < STORM_THREADS; t++) {
    pthread_join(workers[t].tid, NULL);
    CHECKF(workers[t].errors == 0, "thread %d: %d errors", t, workers[t].errors);
    CHECK_EQ(workers[t].nulls, 0);
  }
  arena_stats_t s = stats();
  CHECK_EQ(s.in_use, 0);
  CHECK_EQ(s.grants, s.frees);
  CHECK_EQ(s.failures, 0);
  CHECK_EQ(s.free_runs, 0);
  CHECK(s.peak_in_use <= (size_t)STORM_THREADS * STORM_LIVE * 64 * PG);
  CHECK(s.committed <= s.peak_in_use * 4 + ARENA_CHUNK_PAGES * PG);  /* holes are reused */
  CHECK_EQ(arena_verify(), 0);
  CHECK(arena_alloc(np, -1) == arena_base());  /* everything coalesced */
  free(claimed);
  arena_fini();
}

/* ==== NUMA =========================================================== */

static void test_numa(void) {
  char err[200];
  init_or_die(64 * MiB);
  char *a = arena_alloc(4, 0);    /* outside a run: node ignored */
  CHECK(a != NULL);
  CHECK_EQ(topo_membind(a, 4 * PG, 0), 0);
  int rc = topo_start("numa:2 core:1 pu:1", "numa", 2, err, sizeof err);
  CHECKF(rc == RT_OK, "%s", err);
  CHECK_EQ(rt_sp_nnodes(), 2);
  char *b = arena_alloc(4, 1);    /* synthetic: nothing to bind */
  CHECK(b != NULL);
  CHECK_EQ(topo_membind(b, 4 * PG, 1), 0);
  topo_stop();
  arena_stats_t s = stats();
  CHECK(s.bound == 0 && s.bind_unsupported == 0 && s.bind_failed == 0);
  rc = topo_start(NULL, "numa", 2, err, sizeof err);  /* this machine */
  CHECKF(rc == RT_OK, "%s", err);
  int nodes = rt_sp_nnodes();
  char *c = arena_alloc(4, nodes - 1);
  CHECK(c != NULL);
  s = stats();
  if (nodes == 1) {
    CHECK(s.bound == 0 && s.bind_unsupported == 0 && s.bind_failed == 0);
  } else {
    CHECK_EQ(s.bound + s.bind_unsupported + s.bind_failed, 1);
    CHECK_EQ(topo_membind(c, 4 * PG, nodes), RT_EINVAL);
    fprintf(stderr, "test_arena: %d nodes: bound %llu unsupported %llu failed %llu\n", nodes,
            (unsigned long long)s.bound, (unsigned long long)s.bind_unsupported,
            (unsigned long long)s.bind_failed);
  }
  memset(c, 1, 4 * PG);
  topo_stop();
  arena_fini();
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "storm") == 0) {  /* the stress run */
    storm_ops = atoi(argv[2]);
    test_storm();
    return check_done("test_arena storm");
  }
  test_init();
  test_fallback();
  test_grants();
  test_coalesce();
  test_first_fit();
  test_released();
  test_retain();
  test_exhaustion();
  test_owner();
  test_counters();
  test_differential();
  test_storm();
  test_numa();
  return check_done("test_arena");
}
