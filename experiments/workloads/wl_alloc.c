/*
** wl_alloc.c: allocation workloads, on rt_alloc/rt_free (the run's
** allocator, --alloc).
**
**   churn  per G a working set of `slots` objects; each operation frees a
**          random slot and allocates a new object in it: 7 times in 8 of
**          8-263 bytes, else 8-4103 bytes, uniformly; writes the first
**          min(size, 64) bytes and checks them before freeing.
*/
#include "workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_N, C_SLOTS, C_GS };
static const rt_param c_params[] = {
  {"n", RT_PT_INT, 1000000, 1, 1e12, NULL, "alloc+free pairs in total, shared by the Gs"},
  {"slots", RT_PT_INT, 4096, 1, 1e7, NULL, "objects each G keeps live"},
  {"gs", RT_PT_INT, 1, 1, 1024, NULL, "Gs churning at once, each with its own slots"},
};

/* One churning G. */
typedef struct c_g {
  int64_t n;               /* operations to do */
  int64_t slots;           /* working-set size */
  uint64_t rng;            /* xorshift state */
  int bad;                 /* objects found overwritten, or allocations refused */
  rt_waitgroup *wg;        /* done signal */
} c_g;

static uint64_t c_next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return *s = x;
}

/* A size from the churn mix. */
static size_t c_size(uint64_t *s) {
  uint64_t r = c_next(s);
  return (r & 7) ? 8 + (size_t)((r >> 8) % 256) : 8 + (size_t)((r >> 8) % 4096);
}

/* An object's first bytes hold its slot and size, so a neighbour that
** wrote past its end shows up when the object is freed. */
static void c_fill(unsigned char *x, size_t size, int64_t slot) {
  size_t k = size < 64 ? size : 64;
  for (size_t i = 0; i < k; i++) x[i] = (unsigned char)(slot * 31 + (int64_t)size + (int64_t)i);
}

static bool c_ok(const unsigned char *x, size_t size, int64_t slot) {
  size_t k = size < 64 ? size : 64;
  for (size_t i = 0; i < k; i++)
    if (x[i] != (unsigned char)(slot * 31 + (int64_t)size + (int64_t)i)) return false;
  return true;
}

static void c_run1(void *arg) {
  c_g *g = arg;
  unsigned char **obj = calloc((size_t)g->slots, sizeof *obj);
  size_t *sz = calloc((size_t)g->slots, sizeof *sz);
  if (!obj || !sz) {
    g->bad++;
  } else {
    for (int64_t i = 0; i < g->slots; i++) {
      sz[i] = c_size(&g->rng);
      obj[i] = rt_alloc(sz[i], 0);
      if (obj[i]) c_fill(obj[i], sz[i], i);
      else g->bad++;
    }
    for (int64_t op = 0; op < g->n; op++) {
      int64_t i = (int64_t)(c_next(&g->rng) % (uint64_t)g->slots);
      if (obj[i] && !c_ok(obj[i], sz[i], i)) g->bad++;
      rt_free(obj[i]);
      sz[i] = c_size(&g->rng);
      obj[i] = rt_alloc(sz[i], 0);
      if (obj[i]) c_fill(obj[i], sz[i], i);
      else g->bad++;
    }
    for (int64_t i = 0; i < g->slots; i++) rt_free(obj[i]);
  }
  free(obj);
  free(sz);
  rt_wg_done(g->wg);
}

static int c_run(const rt_pval *vals, uint64_t *ops, char *err, size_t errlen) {
  int gs = (int)vals[C_GS].i;
  c_g *g = calloc((size_t)gs, sizeof *g);
  if (!g) {
    snprintf(err, errlen, "churn: out of memory");
    return 1;
  }
  rt_waitgroup wg = {0};
  rt_wg_add(&wg, gs);
  for (int i = 0; i < gs; i++) {
    g[i] = (c_g){vals[C_N].i / gs + (i < vals[C_N].i % gs), vals[C_SLOTS].i,
                 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1), 0, &wg};
    rt_go(c_run1, &g[i]);
  }
  rt_wg_wait(&wg);
  int bad = 0;
  for (int i = 0; i < gs; i++) bad += g[i].bad;
  free(g);
  *ops = (uint64_t)vals[C_N].i;
  if (bad) {
    snprintf(err, errlen, "churn: %d objects were overwritten or refused", bad);
    return 1;
  }
  return 0;
}

const wl_desc wl_churn = {
  "churn", "alloc/free churn over a working set (7/8 small objects): allocator speed",
  c_params, 3, NULL, c_run,
};
