/*
** gc_conformance.c: properties every collector must have, over every
** allocator it can run with.
**
**   gc_conformance GC ALLOC PROPERTY
**
** runs one property in a runtime with collector GC and allocator ALLOC;
** CTest runs every collector x allocator x property.  A pair the
** collector refuses (it finds objects, the allocator cannot) must be
** refused by rt_run with RT_EINVAL naming both, and then passes; an
** allocator whose library is missing is skipped with a note.
**
**   reach    nothing reachable is freed: a list of 20000 nodes reachable
**            only from a registered global root, a tree reachable only
**            from a local of a deep call chain (the G's stack), a node
**            reachable only through an interior pointer, and pointer-free
**            arrays, all filled with checksummed patterns, survive
**            rt_gc() calls between rounds of garbage (dropped trees), in
**            4 Gs on 2 Ps at once; every store of a heap pointer goes
**            through rt_store_ptr
**   roots    rt_gc_root_add/remove: bad arguments are RT_EINVAL, a second
**            remove RT_ENOENT
**   reclaim  (collectors that find objects) garbage is reclaimed: 256 MiB
**            of dropped 4 KiB objects beside a 1 MiB live ring, on 2 Gs at
**            2 Ps, leave the heap's peak under 64 MiB, with collections
**            counted, and the ring intact (none is exempt: it never frees,
**            by definition)
**   kinds    (collectors that find objects) objects of every kind the
**            allocator has (tiny pointer-free ones of 1-15 B, small ones
**            of several classes, large ones over 32 KiB) held only from a
**            registered root array, a third of them replaced each round,
**            keep their contents across rt_gc() on 2 Gs at 2 Ps, and the
**            replaced ones are freed
**   typed    (collectors that find objects) precise type maps are kept:
**            typed arrays (rt_alloc_typed) held from a root, whose pointer
**            words hold the only references to some objects and whose
**            integer words hold the addresses of others; across rt_gc()
**            the first survive intact and (but for a few a conservative
**            stack may still name) the second are freed; typed objects
**            stay intact themselves, free with rt_free, and rt_alloc_size
**            gives their elements' bytes
*/
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rt_module.h"

static const char *gc_spec, *alloc_spec;  /* the pair under test */

typedef struct node {
  struct node *next;          /* list link, or left child */
  struct node *right;         /* right child (trees) */
  uint64_t val;               /* pattern: a function of the node's index */
} node;

static uint64_t pat(uint64_t i) { return i * 0x9E3779B97F4A7C15ull ^ 0x5bd1e995; }

static node *mk(uint64_t v) {
  node *n = rt_alloc(sizeof *n, RT_AF_ZERO);
  CHECK(n != NULL);
  n->val = pat(v);
  return n;
}

/* A tree of depth d (bottom-up), values from *k. */
static node *tree(int d, uint64_t *k) {
  node *n = mk((*k)++);
  if (d > 0) {
    node *l = tree(d - 1, k), *r = tree(d - 1, k);
    rt_store_ptr((void **)&n->next, l);
    rt_store_ptr((void **)&n->right, r);
  }
  return n;
}

/* Checks a tree made by tree() from value *k on; the number of nodes. */
static long tree_check(const node *n, int d, uint64_t *k) {
  CHECK(n->val == pat((*k)++));
  if (d == 0) return 1;
  return 1 + tree_check(n->next, d - 1, k) + tree_check(n->right, d - 1, k);
}

/* Garbage: trees made and dropped, then a collection. */
static void churn(int rounds) {
  for (int i = 0; i < rounds; i++) {
    uint64_t k = 0;
    (void)tree(8, &k);
  }
  rt_gc();
}

#define LIST_N 20000
static node *lists[4];         /* registered roots: one list per G */
static rt_waitgroup wg;

/* Holds a tree only in a local `depth` calls down, churning meanwhile. */
static void deep(int depth, int id) {
  if (depth > 0) {
    deep(depth - 1, id);
    return;
  }
  uint64_t k = 1000 + (uint64_t)id;
  volatile node *held = tree(10, &k);  /* only this stack slot holds it */
  churn(20);
  uint64_t k2 = 1000 + (uint64_t)id;
  CHECK_EQ(tree_check((const node *)held, 10, &k2), 2047);
}

static void reach_g(void *arg) {
  int id = (int)(intptr_t)arg;
  /* The list: reachable only from a registered global. */
  for (uint64_t i = 0; i < LIST_N; i++) {
    node *n = mk(i + (uint64_t)id * LIST_N);
    rt_store_ptr((void **)&n->next, lists[id]);
    rt_store_ptr((void **)&lists[id], n);
    if (i % 4096 == 0) churn(4);
  }
  /* Pointer-free data, and a node held through an interior pointer. */
  uint64_t *arr = rt_alloc(4096 * sizeof *arr, RT_AF_NOSCAN);
  for (int i = 0; i < 4096; i++) arr[i] = pat((uint64_t)i);
  node *in = mk(777);
  volatile char *interior = (char *)in + offsetof(node, val);
  in = NULL;
  deep(200, id);
  churn(10);
  const node *n = lists[id];
  for (uint64_t i = LIST_N; i-- > 0; n = n->next) CHECK(n && n->val == pat(i + (uint64_t)id * LIST_N));
  CHECK(n == NULL);
  for (int i = 0; i < 4096; i++) CHECK(arr[i] == pat((uint64_t)i));
  CHECK(*(volatile uint64_t *)interior == pat(777));
  rt_wg_done(&wg);
}

static void reach_main(void *arg) {
  (void)arg;
  for (int i = 0; i < 4; i++) CHECK_EQ(rt_gc_root_add((void **)&lists[i], 1), RT_OK);
  rt_wg_add(&wg, 4);
  for (int i = 0; i < 4; i++) rt_go(reach_g, (void *)(intptr_t)i);
  rt_wg_wait(&wg);
  for (int i = 0; i < 4; i++) CHECK_EQ(rt_gc_root_remove((void **)&lists[i]), RT_OK);
}

#define RING 256              /* live objects per G in reclaim */
static void reclaim_g(void *arg) {
  (void)arg;
  void **ring = rt_alloc(RING * sizeof *ring, RT_AF_ZERO);
  CHECK(ring != NULL);
  for (uint64_t i = 0; i < 256u * 1024 * 1024 / 4096 / 2; i++) {
    uint64_t *x = rt_alloc(4096, RT_AF_NOSCAN);
    CHECK(x != NULL);
    x[0] = pat(i);
    x[511] = pat(i + 1);
    rt_store_ptr(&ring[i % RING], x);  /* the one it replaces is garbage */
    if (i >= RING && i % 1024 == 0) {  /* the ring holds the last RING, intact */
      for (uint64_t k = i - RING + 1; k <= i; k++) {
        const uint64_t *y = ring[k % RING];
        CHECK(y[0] == pat(k) && y[511] == pat(k + 1));
      }
    }
  }
  rt_wg_done(&wg);
}

static void reclaim_main(void *arg) {
  (void)arg;
  rt_wg_add(&wg, 2);
  rt_go(reclaim_g, NULL);
  rt_go(reclaim_g, NULL);
  rt_wg_wait(&wg);
}

#define KSLOTS 600          /* kinds: objects held, per G half of them */
static void *kslot[KSLOTS];   /* a registered root */
static const size_t ksizes[] = {1, 3, 7, 8, 12, 15, 16, 24, 48, 100, 500, 4000, 32768, 40000, 100000};
#define KNSIZES (sizeof ksizes / sizeof ksizes[0])

static uint8_t kbyte(uint64_t seed, size_t j) { return (uint8_t)((seed + j) * 131 >> 3); }

/* Slot i's object for round r: its size, and its bytes from (i, r). */
static void kinds_put(size_t i, int r) {
  size_t n = ksizes[(i + (size_t)r) % KNSIZES];
  uint8_t *x = rt_alloc(n, RT_AF_NOSCAN);
  CHECK(x != NULL);
  for (size_t j = 0; j < n; j++) x[j] = kbyte(i * 977 + (uint64_t)r, j);
  rt_store_ptr(&kslot[i], x);
}

static void kinds_g(void *arg) {
  size_t lo = (size_t)(intptr_t)arg * KSLOTS / 2, hi = lo + KSLOTS / 2;
  int made[KSLOTS / 2];
  for (size_t i = lo; i < hi; i++) kinds_put(i, made[i - lo] = 0);
  for (int r = 1; r <= 30; r++) {
    for (size_t i = lo; i < hi; i++)
      if ((i + (size_t)r) % 3 == 0) kinds_put(i, made[i - lo] = r);
    rt_gc();
    for (size_t i = lo; i < hi; i++) {
      size_t n = ksizes[(i + (size_t)made[i - lo]) % KNSIZES];
      const uint8_t *x = kslot[i];
      for (size_t j = 0; j < n; j++)
        CHECKF(x[j] == kbyte(i * 977 + (uint64_t)made[i - lo], j),
               "round %d: slot %zu (%zu B) byte %zu changed", r, i, n, j);
    }
  }
  rt_wg_done(&wg);
}

static void kinds_main(void *arg) {
  (void)arg;
  CHECK_EQ(rt_gc_root_add(kslot, KSLOTS), RT_OK);
  rt_wg_add(&wg, 2);
  rt_go(kinds_g, (void *)(intptr_t)0);
  rt_go(kinds_g, (void *)(intptr_t)1);
  rt_wg_wait(&wg);
  CHECK_EQ(rt_gc_root_remove(kslot), RT_OK);
}

/* ==== typed ========================================================== */

#define TN 400                 /* elements per typed array */
typedef struct tpair {
  node *ptr;                   /* a pointer word: keeps its node */
  uintptr_t num;               /* an integer word: an address, which must not */
} tpair;
static const uint64_t tpair_mask[1] = {0x1};  /* word 0 of 2 */
static const rt_type tpair_type = {sizeof(tpair), tpair_mask};
static void *troot[2];         /* the typed arrays: a registered root */
static uintptr_t tnum[2][TN];  /* the integer words' nodes, masked: no root
                                  (a static array is not scanned) */
#define TMASK 0x5555555555555555ull

/* Makes typed array k: each element's pointer word names one node, its
** integer word another (their only references, once this returns). */
__attribute__((noinline)) static void typed_fill(int k) {
  tpair *t = rt_alloc_typed(&tpair_type, TN);
  CHECK(t != NULL);
  for (int i = 0; i < TN; i++) CHECK(t[i].ptr == NULL && t[i].num == 0);  /* zeroed */
  for (int i = 0; i < TN; i++) {
    rt_store_ptr((void **)&t[i].ptr, mk((uint64_t)(k * TN + i)));
    node *o = mk((uint64_t)(1000000 + k * TN + i));
    t[i].num = (uintptr_t)o;
    tnum[k][i] = (uintptr_t)o ^ TMASK;
  }
  rt_store_ptr(&troot[k], t);
}

static void typed_main(void *arg) {
  (void)arg;
  CHECK(rt_alloc_typed(NULL, 1) == NULL);
  CHECK(rt_alloc_typed(&tpair_type, 0) == NULL);
  static const rt_type odd = {12, tpair_mask};
  CHECK(rt_alloc_typed(&odd, 1) == NULL);  /* not a multiple of 8 */
  CHECK_EQ(rt_gc_root_add(troot, 2), RT_OK);
  typed_fill(0);
  typed_fill(1);
  CHECK_EQ(rt_alloc_size(troot[0]) >= TN * sizeof(tpair), 1);
  for (int r = 0; r < 3; r++) {
    for (int j = 0; j < 2000; j++) mk((uint64_t)j);  /* garbage between the cycles */
    rt_gc();
  }
  int freed = 0;
  for (int k = 0; k < 2; k++) {
    tpair *t = troot[k];
    for (int i = 0; i < TN; i++) {
      CHECKF(t[i].ptr && t[i].ptr->val == pat((uint64_t)(k * TN + i)),
             "array %d element %d: the node behind its pointer word was lost", k, i);
      CHECK_EQ(t[i].num, tnum[k][i] ^ TMASK);
      freed += rt_heap_base_of((void *)(tnum[k][i] ^ TMASK)) == NULL;
    }
  }
  /* The integer words kept nothing; a conservative stack or register may
  ** still name a few of their nodes. */
  CHECKF(freed >= 2 * TN * 9 / 10, "only %d of %d nodes named by integer words were freed",
         freed, 2 * TN);
  rt_free(troot[1]);  /* a typed object frees as any other */
  troot[1] = NULL;
  CHECK_EQ(rt_gc_root_remove(troot), RT_OK);
}

static void roots_main(void *arg) {
  (void)arg;
  static void *slot[3];
  CHECK_EQ(rt_gc_root_add(NULL, 1), RT_EINVAL);
  CHECK_EQ(rt_gc_root_add(slot, 0), RT_EINVAL);
  CHECK_EQ(rt_gc_root_add(slot, 3), RT_OK);
  CHECK_EQ(rt_gc_root_remove(slot), RT_OK);
  CHECK_EQ(rt_gc_root_remove(slot), RT_ENOENT);
  rt_gc();
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: gc_conformance GC ALLOC reach|roots|reclaim|kinds|typed\n");
    return 2;
  }
  gc_spec = argv[1];
  alloc_spec = argv[2];
  char err[512] = "";
  const rt_alloc_ops *a;
  rt_pval v[RT_MAX_PARAMS];
  if (rt_alloc_resolve(alloc_spec, &a, v, err, sizeof err) == RT_ENOENT) {
    printf("note: alloc '%s' skipped: %s\n", alloc_spec, err);
    return 0;
  }
  bool fits = rt_gc_check_alloc(gc_spec, alloc_spec, err, sizeof err) == RT_OK;
  bool reclaim = strcmp(argv[3], "reclaim") == 0, kinds = strcmp(argv[3], "kinds") == 0;
  bool typed = strcmp(argv[3], "typed") == 0;
  const rt_gc_ops *g = rt_gc_find(gc_spec);
  if ((reclaim || kinds || typed) && (!g || !(g->caps & RT_GCC_FIND))) {
    printf("note: gc '%s' does not free: %s skipped\n", gc_spec, argv[3]);
    return 0;
  }
  rt_fn fn = strcmp(argv[3], "roots") == 0 ? roots_main
             : reclaim                     ? reclaim_main
             : kinds                       ? kinds_main
             : typed                       ? typed_main
                                           : reach_main;
  rt_config cfg = {.procs = 2, .gc = gc_spec, .alloc = alloc_spec, .err = err,
                   .errlen = sizeof err};
  int rc = rt_run(&cfg, fn, NULL);
  if (!fits) {  /* refused, naming both */
    CHECKF(rc == RT_EINVAL && strstr(err, alloc_spec), "rt_run: %d %s", rc, err);
    return check_done("gc_conformance");
  }
  CHECKF(rc == RT_OK, "rt_run: %d %s", rc, err);
  if (reclaim) {
    rt_astats hs;
    rt_gcstats gs;
    rt_heap_stats(&hs);
    rt_gc_stats(&gs);
    CHECKF(gs.cycles > 0, "no collection ran");
    CHECKF(hs.peak_sys < 64ll << 20, "heap peak %lld MiB for a 2 MiB live set",
           (long long)(hs.peak_sys >> 20));
  }
  if (kinds) {  /* 30 rounds replaced a third of the objects each */
    rt_astats hs;
    rt_heap_stats(&hs);
    CHECKF(hs.frees >= (int64_t)KSLOTS * 30 / 3 * 3 / 4, "only %lld objects freed of %d replaced",
           (long long)hs.frees, KSLOTS * 30 / 3);
  }
  return check_done("gc_conformance");
}
