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

/* ==== frag: a phased trace that separates policies by fragmentation ====
**
** Each round: allocate n small objects (16-64 bytes), free every other
** one, then allocate n/2 objects a little too large for the holes left
** (80-160 bytes), then free the rest of the small ones.  An allocator
** that coalesces and places well reuses the freed space for the larger
** objects; one that does not grows its heap.  Read heap.frag (peak bytes
** from the arena / peak live bytes).  ops = allocations. */

enum { F_N, F_ROUNDS };
static const rt_param f_params[] = {
  {"n", RT_PT_INT, 100000, 2, 1e9, NULL, "small objects allocated per round"},
  {"rounds", RT_PT_INT, 4, 1, 1000, NULL, "rounds of the four phases"},
};

static int f_run(const rt_pval *vals, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = vals[F_N].i;
  unsigned char **small = calloc((size_t)n, sizeof *small);
  unsigned char **big = calloc((size_t)n, sizeof *big);
  uint64_t rng = 0x2545F4914F6CDD1Dull, done = 0;
  int bad = 0;
  if (!small || !big) {
    free(small);
    free(big);
    snprintf(err, errlen, "frag: out of memory");
    return 1;
  }
  for (int64_t r = 0; r < vals[F_ROUNDS].i; r++) {
    for (int64_t i = 0; i < n; i++, done++) {
      size_t sz = 16 + (size_t)(c_next(&rng) % 49);
      if ((small[i] = rt_alloc(sz, 0))) memset(small[i], (int)i, sz);
      else bad++;
    }
    for (int64_t i = 0; i < n; i += 2) rt_free(small[i]), small[i] = NULL;
    /* the live big objects of the last round go now: their space is free */
    for (int64_t i = 0; i < n / 2; i++, done++) {
      rt_free(big[i]);
      size_t sz = 80 + (size_t)(c_next(&rng) % 81);
      if ((big[i] = rt_alloc(sz, 0))) memset(big[i], (int)i, sz);
      else bad++;
    }
    for (int64_t i = 1; i < n; i += 2) rt_free(small[i]), small[i] = NULL;
  }
  for (int64_t i = 0; i < n / 2; i++) rt_free(big[i]);
  free(small);
  free(big);
  *ops = done;
  if (bad) {
    snprintf(err, errlen, "frag: %d allocations refused", bad);
    return 1;
  }
  return 0;
}

const wl_desc wl_frag = {
  "frag", "phased small/large trace: how much heap an allocator needs (read heap.frag)",
  f_params, 2, NULL, f_run,
};

/* ==== large: objects of 64 KiB - 4 MiB ===============================
**
** n allocations of a size drawn log-uniformly from 64 KiB to 4 MiB, each
** touched at its first and last byte, kept in a window of `live` objects
** (the oldest is freed when the window is full): the page-run path of an
** allocator and what it gives back to the OS. */

enum { L_N, L_LIVE };
static const rt_param l_params[] = {
  {"n", RT_PT_INT, 20000, 1, 1e9, NULL, "large objects allocated"},
  {"live", RT_PT_INT, 8, 1, 4096, NULL, "objects kept live at once"},
};

static int l_run(const rt_pval *vals, uint64_t *ops, char *err, size_t errlen) {
  int64_t live = vals[L_LIVE].i;
  unsigned char **win = calloc((size_t)live, sizeof *win);
  size_t *sz = calloc((size_t)live, sizeof *sz);
  uint64_t rng = 0x9E3779B97F4A7C15ull;
  int bad = 0;
  if (!win || !sz) {
    free(win);
    free(sz);
    snprintf(err, errlen, "large: out of memory");
    return 1;
  }
  for (int64_t i = 0; i < vals[L_N].i; i++) {
    int64_t k = i % live;
    if (win[k] && (win[k][0] != (unsigned char)k || win[k][sz[k] - 1] != (unsigned char)k)) bad++;
    rt_free(win[k]);
    sz[k] = (size_t)65536 << (c_next(&rng) % 7);          /* 64 KiB .. 4 MiB, by powers */
    sz[k] += (size_t)(c_next(&rng) % sz[k]);               /* .. and between them */
    if (sz[k] > ((size_t)4 << 20)) sz[k] = (size_t)4 << 20;
    if ((win[k] = rt_alloc(sz[k], 0))) win[k][0] = win[k][sz[k] - 1] = (unsigned char)k;
    else bad++;
  }
  for (int64_t k = 0; k < live; k++) rt_free(win[k]);
  free(win);
  free(sz);
  *ops = (uint64_t)vals[L_N].i;
  if (bad) {
    snprintf(err, errlen, "large: %d objects refused or overwritten", bad);
    return 1;
  }
  return 0;
}

const wl_desc wl_large = {
  "large", "objects of 64 KiB - 4 MiB in a small live window: the page-run path",
  l_params, 2, NULL, l_run,
};
