/*
** test_segregated.c: what the segregated allocator (allocators/segregated.c)
** promises beyond the conformance suite:
**   - tiny: pointer-free requests under 16 B share 16-byte blocks; each
**     sub-object has its own base_of and its exact size_of; a block is
**     reused only once every sub-object in it is freed; the per-class
**     figures count blocks and objects exactly;
**   - mheap: freed spans keep their pages resident (no release) and a
**     later span reuses them without growing the heap;
**   - scavenger: pages free longer than scavenge_ms go back to the OS;
**     with scavenge_ms=0 at once;
**   - mcentral: objects freed on a P other than their allocator's come
**     back to their spans in batches, and empty spans return to mheap;
**   - sweep: unmarked objects are freed and counted, marked ones keep
**     their bytes and lose the bit, swept slots are reused without new
**     pages;
**   - the sweep spread over time: the same, with objects allocated and
**     freed before their spans are swept (never judged, freed once), and
**     two Ps allocating and freeing while a G sweeps beside them;
**   - and the framework's peaks with two Ps when every object dies on
**     another P than its maker's: the run's, not a sum of per-P peaks.
*/
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "rt_module.h"

static void run(const char *alloc, int procs, rt_fn fn, void *arg) {
  char err[512] = "";
  rt_config cfg = {.procs = procs, .alloc = alloc, .err = err, .errlen = sizeof err};
  int rc = rt_run(&cfg, fn, arg);
  CHECKF(rc == RT_OK, "rt_run(%s): %d %s", alloc, rc, err);
}

static rt_astats stats(void) {
  rt_astats s;
  rt_heap_stats(&s);
  return s;
}

/* ==== tiny ============================================================ */

static void tiny_main(void *arg) {
  (void)arg;
  char *a = rt_alloc(4, RT_AF_NOSCAN), *b = rt_alloc(4, RT_AF_NOSCAN);
  char *c = rt_alloc(8, RT_AF_NOSCAN);
  CHECK(b == a + 4 && c == a + 8);      /* one block: 4 + 4 + 8 */
  CHECK_EQ(rt_alloc_size(a), 4);
  CHECK_EQ(rt_alloc_size(c), 8);
  CHECK_EQ(stats().live_bytes, 16);     /* the block counts as 16 */
  char *d = rt_alloc(3, RT_AF_NOSCAN);  /* does not fit: a new block */
  CHECK(d != a + 16 || ((uintptr_t)d & 15) == 0);
  CHECK_EQ(stats().live_bytes, 32);
  memset(a, 1, 4);
  memset(b, 2, 4);
  memset(c, 3, 8);
  rt_free(b);
  rt_free(c);
  CHECK(a[0] == 1 && a[3] == 1);
  CHECK_EQ(stats().live_bytes, 32);     /* a still holds its block */
  rt_free(a);
  CHECK_EQ(stats().live_bytes, 16);
  /* A sub-object too big for d's block starts a new block: a's, free now
  ** that nothing packs into it or lives in it. */
  char *e = rt_alloc(15, RT_AF_NOSCAN);
  CHECK(e == a);
  rt_free(e);
  rt_free(d);
  CHECK_EQ(stats().live_bytes, 0);
  char *f = rt_alloc(4, 0);             /* not pointer-free: its own object */
  CHECK_EQ(rt_alloc_size(f), 8);
  rt_free(f);
}

/* ==== mheap: retained pages, the scavenger ============================ */

#define NB 64
static void *big[NB];

static void big_cycle(void) {
  for (int i = 0; i < NB; i++) {
    big[i] = rt_alloc(64 << 10, 0);
    CHECK(big[i] != NULL);
    if (big[i]) memset(big[i], 0x77, 64 << 10);
  }
  for (int i = 0; i < NB; i++) rt_free(big[i]);
}

static void retain_main(void *arg) {
  (void)arg;
  big_cycle();
  rt_astats s = stats();
  CHECK_EQ(s.released_bytes, 0);        /* kept: scavenge_ms is long */
  int64_t sys = s.sys_bytes;
  CHECK(sys >= NB * (64 << 10));
  big_cycle();                          /* the same pages again, zeroed */
  CHECK_EQ(stats().sys_bytes, sys);
  char *z = rt_alloc(64 << 10, RT_AF_ZERO);
  for (size_t i = 0; z && i < (64 << 10); i += 512) CHECKF(z[i] == 0, "byte %zu", i);
  rt_free(z);
}

static void scavenge_main(void *arg) {
  (void)arg;
  big_cycle();
  int64_t sys = stats().sys_bytes;
  struct timespec t = {0, 30 * 1000 * 1000};
  nanosleep(&t, NULL);                  /* past scavenge_ms=5 */
  void *x = rt_alloc(64 << 10, 0);      /* a new span (reusing the first
                                           pages): the heap's slow path */
  rt_astats s = stats();
  CHECKF(s.released_bytes >= (NB - 1) * (64 << 10), "released %lld", (long long)s.released_bytes);
  CHECK(s.sys_bytes < sys);
  rt_free(x);
}

static void at_once_main(void *arg) {
  (void)arg;
  big_cycle();
  CHECK(stats().released_bytes >= NB * (64 << 10));
}

/* ==== mcentral: cross-P frees ======================================== */

#define XN 100000
static rt_chan *xch;
static rt_waitgroup xwg;

static void x_producer(void *arg) {
  (void)arg;
  for (int i = 0; i < XN; i++) {
    char *o = rt_alloc(48 + (size_t)(i % 7) * 16, 0);
    if (o) o[0] = (char)i;
    rt_chan_send(xch, &o);
  }
  rt_chan_close(xch);
  rt_wg_done(&xwg);
}

static void x_consumer(void *arg) {
  int *bad = arg;
  char *o;
  int i = 0;
  while (rt_chan_recv(xch, &o)) {
    if (!o || o[0] != (char)i) (*bad)++;
    i++;
    rt_free(o);
  }
  rt_wg_done(&xwg);
}

/* Runs maker and taker as two Gs over a channel *ch of cap pointers and
** waits for both (each ends with rt_wg_done(&xwg)). */
static void pair(rt_chan **ch, size_t cap, rt_fn maker, rt_fn taker, void *arg) {
  *ch = rt_chan_make(sizeof(char *), cap);
  rt_wg_add(&xwg, 2);
  rt_go(maker, NULL);
  rt_go(taker, arg);
  rt_wg_wait(&xwg);
  rt_chan_free(*ch);
}

static void cross_main(void *arg) {
  pair(&xch, 256, x_producer, x_consumer, arg);
  rt_astats s = stats();
  CHECK_EQ(s.live_bytes, 0);
  /* 100000 objects of 48..144 B went through; what stays is bounded by
  ** the per-P stacks (cache_kb per class) and a span per class, not by
  ** the traffic: empty spans went back to mheap. */
  CHECKF(s.sys_bytes < (4 << 20), "sys %lld after the storm", (long long)s.sys_bytes);
}

/* ==== peaks when objects die on another P (framework/heap.c) ======== */

#define PK_N 1000
#define PK_SIZE 1000
#define PK_ROUNDS 10
static rt_chan *pkch;

/* Ten times: 1000 live objects of 1000 B made here, then all handed over
** at once and freed on the other G (the other P, mostly).  The maker's P
** alone sees 10 MB go live; the run never holds more than about 1 MB. */
static void pk_maker(void *arg) {
  (void)arg;
  static char *objs[PK_N];
  for (int r = 0; r < PK_ROUNDS; r++) {
    for (int i = 0; i < PK_N; i++) objs[i] = rt_alloc(PK_SIZE, 0);
    for (int i = 0; i < PK_N; i++) rt_chan_send(pkch, &objs[i]);
  }
  rt_chan_close(pkch);
  rt_wg_done(&xwg);
}

static void pk_freer(void *arg) {
  (void)arg;
  char *o;
  while (rt_chan_recv(pkch, &o)) rt_free(o);
  rt_wg_done(&xwg);
}

static void peaks_main(void *arg) {
  (void)arg;
  pair(&pkch, PK_N, pk_maker, pk_freer, NULL);
  rt_astats s = stats();
  int64_t most = (int64_t)PK_N * PK_SIZE;
  /* Sampled every 64th allocation per P: at most 64 objects short. */
  CHECKF(s.peak_live >= most - 64 * PK_SIZE && s.peak_live <= 2 * most,
         "peak_live %lld, the run held at most about %lld", (long long)s.peak_live,
         (long long)most);
  CHECK(s.peak_sys >= s.peak_live);
}

/* The per-class figures of tiny_main's run (rt_heap_classes). */
static void check_classes(void) {
  static rt_aclass c[RT_ACLASS_MAX];
  int n = rt_heap_classes(c, RT_ACLASS_MAX);
  CHECK_EQ(n, 69);                      /* 67 classes, tiny blocks, large objects */
  if (n != 69) return;
  CHECK(c[0].size == 8 && c[66].size == 32768 && c[67].tiny && c[68].size == 0);
  CHECK_EQ(c[0].allocs, 1);             /* f: 4 bytes, not pointer-free */
  CHECK_EQ(c[0].frees, 1);
  CHECK_EQ(c[67].allocs, 3);            /* blocks: a's, d's, a's again for e */
  CHECK_EQ(c[67].frees, 2);             /* e's block is still being packed */
  CHECK_EQ(c[67].spans, 1);
  for (int k = 1; k < 67; k++) CHECKF(c[k].allocs == 0, "class %d: %llu allocs", k,
                                      (unsigned long long)c[k].allocs);
}

/* ==== sweep =========================================================== */

#define NS 1000               /* 32-byte objects: four spans of 256 */
#define SWEEP_BIT 0x40

static void sweep_main(void *arg) {
  (void)arg;
  static char *o[NS];
  for (int i = 0; i < NS; i++) {
    o[i] = rt_alloc(32, 0);
    memset(o[i], i & 0xFF, 32);
    if (i % 2 == 0) *rt_heap_mark_of(o[i]) |= SWEEP_BIT;
  }
  rt_astats before = stats();
  int64_t ttsp, kept = -1;
  CHECK(rt_stw_start(&ttsp));
  size_t n = rt_heap_sweep(SWEEP_BIT, &kept);
  rt_stw_end();
  CHECK_EQ(n, NS / 2);
  CHECK_EQ(kept, NS / 2 * 32);
  rt_astats after = stats();
  CHECK_EQ(after.frees, before.frees + NS / 2);
  CHECK_EQ(after.live_bytes, before.live_bytes - NS / 2 * 32);
  for (int i = 0; i < NS; i++) {
    if (i % 2) {
      CHECKF(rt_heap_base_of(o[i]) == NULL, "swept object %d still found", i);
      continue;
    }
    CHECKF(rt_heap_base_of(o[i] + 5) == o[i], "kept object %d lost", i);
    CHECK_EQ(*rt_heap_mark_of(o[i]) & SWEEP_BIT, 0);
    for (int j = 0; j < 32; j++) CHECK_EQ((uint8_t)o[i][j], i & 0xFF);
  }
  /* The swept slots are handed out again (after the rest of the span
  ** being carved), without new pages. */
  int reused = 0;
  for (int k = 0; k < NS / 2; k++) {
    char *x = rt_alloc(32, RT_AF_ZERO);
    for (int j = 0; j < 32; j++) CHECK_EQ(x[j], 0);
    for (int i = 1; i < NS; i += 2) reused += x == o[i];
  }
  CHECKF(reused >= NS / 2 - 256, "%d of %d swept slots reused", reused, NS / 2);
  CHECK_EQ(stats().sys_bytes, after.sys_bytes);
}

/* ==== the sweep spread over time (sweep_begin, sweep_some) ============= */

#define NL 4                  /* large objects (64 KiB) */

static void lazy_main(void *arg) {
  (void)arg;
  static char *o[NS], *l[NL], *fresh[NS / 4];
  for (int i = 0; i < NS; i++) {
    o[i] = rt_alloc(32, 0);
    memset(o[i], i & 0xFF, 32);
    if (i % 2 == 0) *rt_heap_mark_of(o[i]) |= SWEEP_BIT;
  }
  for (int i = 0; i < NL; i++) {
    l[i] = rt_alloc(64 << 10, 0);
    if (i % 2 == 0) *rt_heap_mark_of(l[i]) |= SWEEP_BIT;
  }
  rt_astats before = stats();
  CHECK(rt_stw_start(NULL));
  CHECK(rt_heap_sweep_begin(SWEEP_BIT, 1 << 20));
  rt_stw_end();
  /* Allocated after the beginning, some from spans not swept yet (the
  ** span being carved): never judged by this sweep. */
  for (int k = 0; k < NS / 4; k++) {
    fresh[k] = rt_alloc(32, 0);
    memset(fresh[k], 0x5A, 32);
  }
  rt_free(o[0]);             /* marked, in a span perhaps unswept */
  rt_free(l[0]);             /* likewise, a large one */
  rt_heap_sweep_finish();
  CHECK(!rt_heap_sweep_step(8));  /* nothing left */
  rt_astats after = stats();
  CHECK_EQ(after.frees - before.frees, NS / 2 + NL / 2 + 2);
  CHECK_EQ(after.live_bytes - before.live_bytes,
           (int64_t)NS / 4 * 32 - (NS / 2 + 1) * 32 - (NL / 2 + 1) * (64 << 10));
  for (int i = 1; i < NS; i++) {
    if (i % 2) continue;
    CHECKF(rt_heap_base_of(o[i] + 5) == o[i], "kept object %d lost", i);
    CHECK_EQ(*rt_heap_mark_of(o[i]) & SWEEP_BIT, 0);
    for (int j = 0; j < 32; j++) CHECK_EQ((uint8_t)o[i][j], i & 0xFF);
  }
  for (int k = 0; k < NS / 4; k++) {
    CHECKF(rt_heap_base_of(fresh[k]) == fresh[k], "object %d allocated during the sweep lost",
           k);
    for (int j = 0; j < 32; j++) CHECK_EQ((uint8_t)fresh[k][j], 0x5A);
  }
  CHECK(rt_heap_base_of(l[2]) == l[2]);
  CHECK(rt_heap_base_of(l[1]) == NULL && rt_heap_base_of(l[3]) == NULL);
  /* An eager sweep after a spread one judges every object again. */
  int64_t kept = 0;
  CHECK(rt_stw_start(NULL));
  size_t n = rt_heap_sweep(SWEEP_BIT, &kept);
  rt_stw_end();
  CHECK(n >= NS / 2 - 1 + NS / 4);  /* nothing is marked now */
}

/* Two Ps allocate, fill, check and free (or drop, for the next sweep to
** find) while main sweeps beside them, round after round: an object the
** sweep frees while a slot holds it would fail a slot's pattern (debug
** builds fill freed objects; release ones hand the slot out again). */
#define LZ_SLOTS 1500
#define LZ_ROUNDS 12
#define LZ_OPS 6000

typedef struct lz_worker {
  char *slot[LZ_SLOTS];       /* NULL, or an object whose bytes are its tag */
  size_t size[LZ_SLOTS];      /* its size */
  uint32_t rng;               /* xorshift state */
  int bad;                    /* slots found changed */
  rt_waitgroup *wg;           /* done with a round */
} lz_worker;

static uint32_t lz_rand(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static bool lz_intact(const lz_worker *w, int i) {
  unsigned char tag = (unsigned char)(i * 7 + 1);
  for (size_t j = 0; j < w->size[i]; j += 7)
    if ((unsigned char)w->slot[i][j] != tag) return false;
  return rt_heap_base_of(w->slot[i]) == w->slot[i];
}

static void lz_round(void *arg) {
  lz_worker *w = arg;
  for (int op = 0; op < LZ_OPS; op++) {
    uint32_t r = lz_rand(&w->rng);
    int i = (int)(r % LZ_SLOTS);
    if (w->slot[i]) {
      w->bad += !lz_intact(w, i);
      if (r & 0x100) rt_free(w->slot[i]);  /* else dropped: garbage next round */
      w->slot[i] = NULL;
      continue;
    }
    size_t size = r & 0x200 ? 16 + (r >> 20) % 500 : (r & 0xF000) == 0 ? 40000 : 48;
    w->slot[i] = rt_alloc(size, 0);
    w->size[i] = size;
    memset(w->slot[i], (int)(i * 7 + 1), size);
  }
  rt_wg_done(w->wg);
}

static void lazy_stress_main(void *arg) {
  int *bad = arg;
  static lz_worker w[2];
  rt_waitgroup wg = {0};
  for (int k = 0; k < 2; k++) w[k] = (lz_worker){.rng = 2463534242u + (uint32_t)k, .wg = &wg};
  for (int round = 0; round < LZ_ROUNDS; round++) {
    /* The workers wait between rounds: every live object is in a slot. */
    CHECK(rt_stw_start(NULL));
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < LZ_SLOTS; i++)
        if (w[k].slot[i]) *rt_heap_mark_of(w[k].slot[i]) |= SWEEP_BIT;
    CHECK(rt_heap_sweep_begin(SWEEP_BIT, 1 << 20));
    rt_stw_end();
    rt_wg_add(&wg, 2);
    for (int k = 0; k < 2; k++) rt_go(lz_round, &w[k]);
    while (rt_heap_sweep_step(2)) rt_yield();
    rt_wg_wait(&wg);
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < LZ_SLOTS; i++) w[k].bad += w[k].slot[i] && !lz_intact(&w[k], i);
  }
  rt_heap_sweep_finish();
  *bad = w[0].bad + w[1].bad;
}

int main(void) {
  run("segregated", 1, tiny_main, NULL);
  check_classes();
  run("segregated", 1, sweep_main, NULL);
  run("segregated", 1, lazy_main, NULL);
  run("segregated", 2, lazy_main, NULL);
  run("segregated,scavenge_ms=600000", 1, retain_main, NULL);
  run("segregated,scavenge_ms=5", 1, scavenge_main, NULL);
  run("segregated,scavenge_ms=0", 1, at_once_main, NULL);
  int bad = 0;
  run("segregated,cache_kb=4", 2, cross_main, &bad);
  CHECK_EQ(bad, 0);
  run("segregated", 2, peaks_main, NULL);
  bad = 0;
  run("segregated", 2, lazy_stress_main, &bad);
  CHECKF(bad == 0, "%d objects changed while the sweep ran beside their Gs", bad);
  bad = 0;
  run("segregated,cache_kb=4", 2, lazy_stress_main, &bad);
  CHECKF(bad == 0, "%d objects changed while the sweep ran beside their Gs (cache_kb=4)", bad);
  return check_done("test_segregated");
}
