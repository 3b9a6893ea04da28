/*
** wl_alloc.c: allocation workloads, on rt_alloc/rt_free (the run's
** allocator, --alloc).
**
**   churn    per G a working set of `slots` objects; each operation frees
**            a random slot and allocates a new object in it: 7 times in 8
**            of 8-263 bytes, else 8-4103 bytes, uniformly; writes the
**            first min(size, 64) bytes and checks them before freeing.
**   frag     a phased small/large trace; read heap.frag.
**   large    64 KiB - 4 MiB objects in a small live window.
**   larson   churn whose slot arrays are handed from G to new G (Larson
**            and Krishnan): objects freed by another G, often another P.
**   xmalloc  producer Gs allocate, consumer Gs free, batches of pointers
**            over a channel (xmalloc-test): every free is a remote one.
**
** All write the objects they allocate, and all but frag check the bytes
** before freeing them, so a broken allocator fails the trial; refused
** allocations fail it too.  Their own bookkeeping (slot arrays, batches)
** comes from plain calloc, not from the allocator measured.
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
typedef union c_g {
  struct {
    int64_t n;             /* operations to do */
    int64_t slots;         /* working-set size */
    uint64_t rng;          /* xorshift state */
    int bad;               /* objects found overwritten, or allocations refused */
    rt_waitgroup *wg;      /* done signal */
  };
  char line[WL_LINE];      /* padding */
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
    g[i] = (c_g){{vals[C_N].i / gs + (i < vals[C_N].i % gs), vals[C_SLOTS].i,
                  0x9E3779B97F4A7C15ull * (uint64_t)(i + 1), 0, &wg}};
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

/* A size drawn uniformly from [min, max]. */
static size_t a_size(uint64_t *s, size_t min, size_t max) {
  return min + (size_t)(c_next(s) % (uint64_t)(max - min + 1));
}

/* The check of larson and xmalloc: min <= max, which ranges cannot say. */
static int a_check(const char *wl, int64_t min, int64_t max, char *err, size_t errlen) {
  if (min <= max) return RT_OK;
  snprintf(err, errlen, "workload '%s': parameter 'min' (%lld) must not exceed 'max' (%lld)",
           wl, (long long)min, (long long)max);
  return RT_EINVAL;
}

/* ==== larson: objects freed by the G after the one that allocated them
**
** After the server benchmark of Larson and Krishnan (ISMM 1998): `gs`
** lineages of Gs, each with `slots` objects of min..max bytes (uniform);
** a step frees the object of a random slot and allocates a new one in
** it, writing its first min(size, 64) bytes, which are checked before it
** is freed (as in churn).  A lineage's share of n is cut into `rounds`
** rounds; after each but the last, its G hands the slot array to a G it
** spawns (rt_go) and exits, so objects allocated by one G, often on one
** P, are freed by another G, with procs >= 2 often on another P.  As in
** the original, the main G allocates the first objects, so the first
** round frees another G's objects too.  ops = steps (n); the first fill
** and the last frees are not counted. */

enum { LA_N, LA_GS, LA_SLOTS, LA_MIN, LA_MAX, LA_ROUNDS };
static const rt_param la_params[] = {
  {"n", RT_PT_INT, 1000000, 1, 1e12, NULL, "alloc+free pairs in total, shared by the lineages"},
  {"gs", RT_PT_INT, 4, 1, 1024, NULL, "lineages of Gs running at once, each with its own slots"},
  {"slots", RT_PT_INT, 1024, 1, 1e7, NULL, "objects each lineage keeps live"},
  {"min", RT_PT_INT, 16, 1, 1 << 20, NULL, "smallest object, bytes"},
  {"max", RT_PT_INT, 256, 1, 1 << 20, NULL, "largest object, bytes (>= min)"},
  {"rounds", RT_PT_INT, 10, 1, 1e6, NULL,
   "Gs per lineage, one after another, each doing 1/rounds of its steps"},
};

/* One lineage: its slots and what is left to do, handed from G to G. */
typedef union la_line {
  struct {
    unsigned char **obj;   /* the live objects, NULL where refused */
    size_t *sz;            /* their sizes */
    int64_t slots;         /* entries of obj and sz */
    int64_t n;             /* steps left to the lineage */
    int64_t rounds;        /* Gs left to do them, the running one included */
    size_t min, max;       /* object sizes */
    uint64_t rng;          /* xorshift state */
    int bad;               /* objects found overwritten, or allocations refused */
    rt_waitgroup *wg;      /* one Done per G, as its last action */
  };
  char line[WL_LINE];      /* padding */
} la_line;

/* One G of a lineage: its round, then the hand-off (or the last frees). */
static void la_run1(void *arg) {
  la_line *l = arg;
  rt_waitgroup *wg = l->wg;
  int64_t k = l->n / l->rounds;
  for (int64_t op = 0; op < k; op++) {
    int64_t i = (int64_t)(c_next(&l->rng) % (uint64_t)l->slots);
    if (l->obj[i] && !c_ok(l->obj[i], l->sz[i], i)) l->bad++;
    rt_free(l->obj[i]);
    l->sz[i] = a_size(&l->rng, l->min, l->max);
    if ((l->obj[i] = rt_alloc(l->sz[i], 0))) c_fill(l->obj[i], l->sz[i], i);
    else l->bad++;
  }
  l->n -= k;
  if (--l->rounds > 0) {
    rt_wg_add(wg, 1);
    rt_go(la_run1, l);     /* l is the new G's from here on */
  } else {
    for (int64_t i = 0; i < l->slots; i++) {
      if (l->obj[i] && !c_ok(l->obj[i], l->sz[i], i)) l->bad++;
      rt_free(l->obj[i]);
      l->obj[i] = NULL;
    }
  }
  rt_wg_done(wg);
}

static int la_check(const rt_pval *v, char *err, size_t errlen) {
  return a_check("larson", v[LA_MIN].i, v[LA_MAX].i, err, errlen);
}

static int la_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int rc = la_check(v, err, errlen);
  if (rc != RT_OK) return rc;
  int gs = (int)v[LA_GS].i, bad = 0;
  int64_t slots = v[LA_SLOTS].i;
  la_line *l = calloc((size_t)gs, sizeof *l);
  for (int j = 0; l && j < gs; j++) {
    l[j].obj = calloc((size_t)slots, sizeof *l[j].obj);
    l[j].sz = calloc((size_t)slots, sizeof *l[j].sz);
    if (!l[j].obj || !l[j].sz) rc = RT_ENOMEM;
  }
  if (!l || rc) {
    snprintf(err, errlen, "larson: out of memory");
    rc = RT_ENOMEM;
  } else {
    rt_waitgroup wg = {0};
    for (int j = 0; j < gs; j++) {
      la_line *x = &l[j];
      x->slots = slots;
      x->n = v[LA_N].i / gs + (j < v[LA_N].i % gs);
      x->rounds = v[LA_ROUNDS].i;
      x->min = (size_t)v[LA_MIN].i;
      x->max = (size_t)v[LA_MAX].i;
      x->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(j + 1);
      x->wg = &wg;
      for (int64_t i = 0; i < slots; i++) {
        x->sz[i] = a_size(&x->rng, x->min, x->max);
        if ((x->obj[i] = rt_alloc(x->sz[i], 0))) c_fill(x->obj[i], x->sz[i], i);
        else x->bad++;
      }
    }
    rt_wg_add(&wg, gs);
    for (int j = 0; j < gs; j++) rt_go(la_run1, &l[j]);
    rt_wg_wait(&wg);
    for (int j = 0; j < gs; j++) bad += l[j].bad;
  }
  for (int j = 0; l && j < gs; j++) {
    free(l[j].obj);
    free(l[j].sz);
  }
  free(l);
  if (rc) return rc;
  *ops = (uint64_t)v[LA_N].i;
  if (bad) {
    snprintf(err, errlen, "larson: %d objects were overwritten or refused", bad);
    return 1;
  }
  return 0;
}

const wl_desc wl_larson = {
  "larson", "Larson-Krishnan churn: slot arrays handed on to new Gs, so other Gs/Ps free",
  la_params, 6, la_check, la_run,
};

/* ==== xmalloc: producers allocate, consumers free ====================
**
** After xmalloc-test (Lever and Boreham, 2000): `pairs` producer Gs
** allocate objects of min..max bytes (uniform), write every byte, and
** send the pointers in batches of `batch` over one channel (buffered, 2
** batches per pair) to `pairs` consumer Gs, which check every byte and
** free them: every object is freed by another G than its maker, with
** procs >= 2 often on another P.  An object's first 8 bytes hold its
** size and a tag and the rest a pattern from the tag, so a consumer can
** check it untold; a short last batch ends with NULL.  The main G closes
** the channel when the producers have left.  ops = objects (n). */

enum { XM_N, XM_PAIRS, XM_MIN, XM_MAX, XM_BATCH };
static const rt_param xm_params[] = {
  {"n", RT_PT_INT, 1000000, 1, 1e12, NULL, "objects allocated in total, shared by the producers"},
  {"pairs", RT_PT_INT, 2, 1, 1024, NULL, "producer Gs, and as many consumer Gs"},
  {"min", RT_PT_INT, 8, 8, 1 << 20, NULL, "smallest object, bytes (>= 8: it starts with its size)"},
  {"max", RT_PT_INT, 512, 8, 1 << 20, NULL, "largest object, bytes (>= min)"},
  {"batch", RT_PT_INT, 64, 1, 65536, NULL, "pointers sent at once (one channel element)"},
};

/* What producers and consumers share. */
typedef struct xm_state {
  rt_chan *c;              /* producers -> consumers, one batch an element */
  int64_t batch;           /* pointers per batch */
  size_t min, max;         /* object sizes */
  rt_waitgroup prod;       /* one Done per producer, as its last action */
  rt_waitgroup cons;       /* one Done per consumer, as its last action */
} xm_state;

/* One producer or consumer. */
typedef union xm_g {
  struct {
    xm_state *s;           /* shared */
    unsigned char **buf;   /* one batch (calloc: may not fit a G's stack) */
    int64_t n;             /* producer: objects to allocate */
    int64_t got;           /* consumer: objects received */
    uint64_t rng;          /* producer: xorshift state */
    int bad;               /* refused (producer) or overwritten (consumer) */
  };
  char line[WL_LINE];      /* padding */
} xm_g;

/* Byte i >= 8 of an object is (unsigned char)(tag + i); byte-wide
** counters, and no early exit in the check, let both loops vectorise. */
static void xm_fill(unsigned char *x, size_t size, uint32_t tag) {
  uint32_t h[2] = {(uint32_t)size, tag};
  memcpy(x, h, sizeof h);
  unsigned char b = (unsigned char)(tag + sizeof h);
  for (size_t i = sizeof h; i < size; i++) x[i] = b++;
}

static bool xm_ok(const unsigned char *x, size_t min, size_t max) {
  uint32_t h[2];
  memcpy(h, x, sizeof h);
  if (h[0] < min || h[0] > max) return false;
  unsigned char b = (unsigned char)(h[1] + sizeof h), d = 0;
  for (size_t i = sizeof h; i < h[0]; i++) d |= (unsigned char)(x[i] ^ b++);
  return d == 0;
}

static void xm_producer(void *arg) {
  xm_g *g = arg;
  xm_state *s = g->s;
  int64_t k = 0;
  for (int64_t i = 0; i < g->n; i++) {
    size_t size = a_size(&g->rng, s->min, s->max);
    unsigned char *x = rt_alloc(size, 0);
    if (!x) {
      g->bad++;
      continue;
    }
    xm_fill(x, size, (uint32_t)c_next(&g->rng));
    g->buf[k++] = x;
    if (k == s->batch) {
      rt_chan_send(s->c, g->buf);
      k = 0;
    }
  }
  if (k) {
    g->buf[k] = NULL;      /* k < batch */
    rt_chan_send(s->c, g->buf);
  }
  rt_wg_done(&s->prod);
}

static void xm_consumer(void *arg) {
  xm_g *g = arg;
  xm_state *s = g->s;
  while (rt_chan_recv(s->c, g->buf)) {
    for (int64_t k = 0; k < s->batch && g->buf[k]; k++, g->got++) {
      if (!xm_ok(g->buf[k], s->min, s->max)) g->bad++;
      rt_free(g->buf[k]);
    }
  }
  rt_wg_done(&s->cons);
}

static int xm_check(const rt_pval *v, char *err, size_t errlen) {
  return a_check("xmalloc", v[XM_MIN].i, v[XM_MAX].i, err, errlen);
}

static int xm_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int rc = xm_check(v, err, errlen);
  if (rc != RT_OK) return rc;
  int pairs = (int)v[XM_PAIRS].i, bad = 0;
  int64_t n = v[XM_N].i, got = 0;
  xm_state s = {.batch = v[XM_BATCH].i, .min = (size_t)v[XM_MIN].i,
                .max = (size_t)v[XM_MAX].i};
  s.c = rt_chan_make((size_t)s.batch * sizeof(void *), 2 * (size_t)pairs);
  xm_g *g = calloc(2 * (size_t)pairs, sizeof *g);  /* producers, then consumers */
  for (int i = 0; g && i < 2 * pairs; i++)
    if (!(g[i].buf = calloc((size_t)s.batch, sizeof *g[i].buf))) rc = RT_ENOMEM;
  if (!s.c || !g || rc) {
    snprintf(err, errlen, "xmalloc: out of memory");
    rc = RT_ENOMEM;
  } else {
    rt_wg_add(&s.prod, pairs);
    rt_wg_add(&s.cons, pairs);
    for (int i = 0; i < pairs; i++) {
      g[pairs + i].s = &s;
      rt_go(xm_consumer, &g[pairs + i]);
      g[i].s = &s;
      g[i].n = n / pairs + (i < n % pairs);
      g[i].rng = 0x2545F4914F6CDD1Dull * (uint64_t)(i + 1);
      rt_go(xm_producer, &g[i]);
    }
    rt_wg_wait(&s.prod);
    rt_chan_close(s.c);
    rt_wg_wait(&s.cons);
    for (int i = 0; i < 2 * pairs; i++) bad += g[i].bad, got += g[i].got;
  }
  for (int i = 0; g && i < 2 * pairs; i++) free(g[i].buf);
  free(g);
  if (s.c) rt_chan_free(s.c);
  if (rc) return rc;
  *ops = (uint64_t)n;
  if (bad) {
    snprintf(err, errlen, "xmalloc: %d objects were overwritten or refused", bad);
    return 1;
  }
  if (got != n) {
    snprintf(err, errlen, "xmalloc: %lld objects arrived, want %lld", (long long)got,
             (long long)n);
    return 1;
  }
  return 0;
}

const wl_desc wl_xmalloc = {
  "xmalloc", "producer Gs allocate and write, consumer Gs (other Ps) check and free",
  xm_params, 5, xm_check, xm_run,
};
