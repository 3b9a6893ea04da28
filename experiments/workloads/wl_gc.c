/*
** wl_gc.c: garbage-collector workloads, on rt_alloc and rt_store_ptr (the
** run's allocator and collector, --alloc and --gc).
**
**   binarytrees  the Benchmarks Game program on one G: a stretch tree of
**                depth max+1, a long-lived tree of depth max, then for
**                d = 4, 6, .. max, 2^(max-d+4) trees of depth d built
**                bottom-up, counted and dropped.  Many short-lived small
**                objects beside one long-lived structure: the collector's
**                throughput and the heap it needs (maxrss_kb).
**                ops = nodes allocated.
**
**   gcbench      Ellis, Kovac and Boehm's GCBench: a stretch tree, a
**                long-lived tree (built top-down) and a long-lived array
**                of doubles (pointer-free), then 2 * TreeSize(max_depth) /
**                TreeSize(d) trees of each depth d = 4, 6, .. max_depth,
**                as many built top-down (Populate) as bottom-up
**                (MakeTree).  Top-down building stores pointers into old
**                objects (a concurrent collector's write barrier sees
**                them).  ops = nodes allocated.
**
**   lru          a fixed-size LRU cache (a chained hash table and a
**                doubly linked recency list) under uniformly random keys:
**                a miss allocates an entry and its pointer-free value and
**                evicts the least recently used one.  A long-lived,
**                constantly mutated heap with steady garbage; each
**                request is timed, and the trial reports latency
**                {p50_ns, p99_ns, max_ns}: pauses show in the tail.
**                ops = requests.
**
**   roots        gs Gs, each `depth` frames deep, every frame holding the
**                only pointer to an object of its own, allocate garbage
**                (yielding every 64 allocations, so every G is deep when a
**                collection comes): the cost of scanning many deep stacks,
**                and a check that no object held only from a stack frame
**                is freed.  ops = garbage allocations.
**
**   mutate       gs Gs rewire one shared graph (a registered root table
**                of `nodes` nodes, four edges each): each G owns a slice
**                of the table and rewires the edges of its nodes to any
**                node, and now and then replaces one of its nodes by a
**                copy (the old one lives on while an edge holds it), so
**                pointers cross Ps while they change: the write
**                barrier's workload.  At the end every node reachable
**                within two edges must hold its checksum.  ops = changes.
**
** None of them ever calls rt_free: reclaiming garbage is the collector's
** job (with `none`, the baseline, the heap only grows).  Every store of a
** heap pointer into an object goes through rt_store_ptr, the pointer
** fields of a fresh object too; objects with pointer fields come zeroed
** (RT_AF_ZERO), so a barrier never sees an uninitialised old value.  The
** structures hang from the G's own locals (its stack is a root), so no
** root is registered.  Each checks its result (tree sizes, cached bytes)
** and fails when the allocator refuses memory.  The Go and Boehm peers
** implement the same definitions.
*/
#include "workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== binarytrees ==================================================== */

enum { B_N, B_DEPTH };
static const rt_param b_params[] = {
  {"n", RT_PT_INT, 1, 1, 1000, NULL, "times the whole benchmark runs"},
  {"depth", RT_PT_INT, 16, 4, 24, NULL, "depth of the long-lived tree (max_depth)"},
};

typedef struct b_node {
  struct b_node *left;     /* NULL at depth 0 */
  struct b_node *right;    /* NULL at depth 0 */
} b_node;

/* A tree of depth d, bottom-up; NULL (and *oom set) when refused. */
static b_node *b_make(int d, int *oom) {
  b_node *n = rt_alloc(sizeof *n, RT_AF_ZERO);
  if (!n) {
    *oom = 1;
    return NULL;
  }
  if (d > 0) {
    b_node *l = b_make(d - 1, oom);
    b_node *r = b_make(d - 1, oom);
    rt_store_ptr((void **)&n->left, l);
    rt_store_ptr((void **)&n->right, r);
  }
  return n;
}

static int64_t b_check(const b_node *n) {
  if (!n) return 0;
  return 1 + b_check(n->left) + b_check(n->right);
}

/* Builds and checks one tree of depth d; 0, or 1 with a message. */
static int b_one(int d, uint64_t *nodes, char *err, size_t errlen) {
  int oom = 0;
  b_node *t = b_make(d, &oom);
  int64_t c = b_check(t), want = ((int64_t)2 << d) - 1;
  *nodes += (uint64_t)want;
  if (oom) {
    snprintf(err, errlen, "binarytrees: allocation refused building a tree of depth %d", d);
    return 1;
  }
  if (c != want) {
    snprintf(err, errlen, "binarytrees: tree of depth %d checks %lld, want %lld", d,
             (long long)c, (long long)want);
    return 1;
  }
  return 0;
}

static int b_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  const int min_depth = 4;
  int max_depth = (int)v[B_DEPTH].i > min_depth + 2 ? (int)v[B_DEPTH].i : min_depth + 2;
  uint64_t nodes = 0;
  *ops = 0;
  for (int64_t rep = 0; rep < v[B_N].i; rep++) {
    if (b_one(max_depth + 1, &nodes, err, errlen)) return 1;  /* stretch */
    int oom = 0;
    b_node *long_lived = b_make(max_depth, &oom);
    nodes += ((uint64_t)2 << max_depth) - 1;
    if (oom) {
      snprintf(err, errlen, "binarytrees: allocation refused building the long-lived tree");
      return 1;
    }
    for (int d = min_depth; d <= max_depth; d += 2) {
      int64_t iters = (int64_t)1 << (max_depth - d + min_depth);
      for (int64_t i = 0; i < iters; i++)
        if (b_one(d, &nodes, err, errlen)) return 1;
    }
    int64_t c = b_check(long_lived), want = ((int64_t)2 << max_depth) - 1;
    if (c != want) {
      snprintf(err, errlen, "binarytrees: long-lived tree of depth %d checks %lld, want %lld",
               max_depth, (long long)c, (long long)want);
      return 1;
    }
    *ops = nodes;
  }
  return 0;
}

const wl_desc wl_binarytrees = {
  "binarytrees", "Benchmarks Game binary trees: short-lived nodes beside a long-lived tree",
  b_params, 2, NULL, b_run,
};

/* ==== gcbench ========================================================= */

enum { G_N, G_LONG_DEPTH, G_MAX_DEPTH, G_ARRAY };
static const rt_param g_params[] = {
  {"n", RT_PT_INT, 1, 1, 1000, NULL, "times the whole benchmark runs"},
  {"long_depth", RT_PT_INT, 16, 4, 22, NULL, "depth of the long-lived tree"},
  {"max_depth", RT_PT_INT, 16, 4, 22, NULL, "deepest short-lived trees (stretch tree: one more)"},
  {"array", RT_PT_INT, 500000, 0, 1e8, NULL, "doubles in the long-lived pointer-free array"},
};

typedef struct g_node {
  struct g_node *left;     /* NULL in a leaf */
  struct g_node *right;    /* NULL in a leaf */
  int i, j;                /* payload, never read (as in GCBench) */
} g_node;

/* The run's allocation tally and whether anything was refused. */
typedef struct g_state {
  uint64_t nodes;          /* nodes allocated */
  int oom;                 /* an allocation was refused */
} g_state;

static int64_t g_tree_size(int d) { return ((int64_t)2 << d) - 1; }

static g_node *g_new(g_state *s) {
  g_node *n = rt_alloc(sizeof *n, RT_AF_ZERO);
  if (n) s->nodes++;
  else s->oom = 1;
  return n;
}

/* Top-down: gives n two fresh children, then fills them in. */
static void g_populate(g_state *s, int d, g_node *n) {
  if (d <= 0 || !n) return;
  d--;
  rt_store_ptr((void **)&n->left, g_new(s));
  rt_store_ptr((void **)&n->right, g_new(s));
  g_populate(s, d, n->left);
  g_populate(s, d, n->right);
}

/* Bottom-up: the children first, then their parent. */
static g_node *g_make(g_state *s, int d) {
  if (d <= 0) return g_new(s);
  g_node *l = g_make(s, d - 1);
  g_node *r = g_make(s, d - 1);
  g_node *n = g_new(s);
  if (n) {
    rt_store_ptr((void **)&n->left, l);
    rt_store_ptr((void **)&n->right, r);
  }
  return n;
}

static int64_t g_count(const g_node *n) {
  return n ? 1 + g_count(n->left) + g_count(n->right) : 0;
}

static int g_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  const int min_depth = 4;
  int long_depth = (int)v[G_LONG_DEPTH].i, max_depth = (int)v[G_MAX_DEPTH].i;
  int64_t array = v[G_ARRAY].i;
  g_state s = {0};
  *ops = 0;
  for (int64_t rep = 0; rep < v[G_N].i && !s.oom; rep++) {
    (void)g_make(&s, max_depth + 1);  /* stretch the heap, dropped at once */
    g_node *long_lived = g_new(&s);
    g_populate(&s, long_depth, long_lived);
    double *a = NULL;
    if (array > 0) {
      a = rt_alloc((size_t)array * sizeof *a, RT_AF_NOSCAN);
      if (!a) {
        snprintf(err, errlen, "gcbench: allocation of the %lld-double array refused",
                 (long long)array);
        return 1;
      }
      a[0] = 0.0;
      for (int64_t i = 1; i < array; i++) a[i] = 1.0 / (double)i;
    }
    for (int d = min_depth; d <= max_depth && !s.oom; d += 2) {
      int64_t iters = 2 * g_tree_size(max_depth) / g_tree_size(d);
      for (int64_t i = 0; i < iters; i++) g_populate(&s, d, g_new(&s));
      for (int64_t i = 0; i < iters; i++) (void)g_make(&s, d);
    }
    if (s.oom) break;
    int64_t c = g_count(long_lived);
    if (c != g_tree_size(long_depth)) {
      snprintf(err, errlen, "gcbench: long-lived tree of depth %d has %lld nodes, want %lld",
               long_depth, (long long)c, (long long)g_tree_size(long_depth));
      return 1;
    }
    if (array > 1000 && a[1000] != 1.0 / 1000) {
      snprintf(err, errlen, "gcbench: array[1000] is %g, want %g", a[1000], 1.0 / 1000);
      return 1;
    }
    *ops = s.nodes;
  }
  *ops = s.nodes;
  if (s.oom) {
    snprintf(err, errlen, "gcbench: allocation refused after %llu nodes",
             (unsigned long long)s.nodes);
    return 1;
  }
  return 0;
}

const wl_desc wl_gcbench = {
  "gcbench", "Ellis-Kovac-Boehm GCBench: trees built top-down and bottom-up, long-lived data",
  g_params, 4, NULL, g_run,
};

/* ==== lru ============================================================= */

enum { R_N, R_SIZE, R_VALUE, R_KEYS };
static const rt_param r_params[] = {
  {"n", RT_PT_INT, 1000000, 1, 1e10, NULL, "requests, each timed"},
  {"size", RT_PT_INT, 100000, 1, 1e8, NULL, "entries the cache holds"},
  {"value", RT_PT_INT, 128, 0, 1e6, NULL, "bytes per cached value (pointer-free)"},
  {"keys", RT_PT_INT, 400000, 1, 1e10, NULL, "key space: keys uniform in [0, keys)"},
};

/* A cached entry: in a bucket's chain and in the recency list. */
typedef struct r_ent {
  uint64_t key;            /* the key */
  struct r_ent *hnext;     /* next entry in its bucket */
  struct r_ent *prev;      /* more recently used (the sentinel: the oldest) */
  struct r_ent *next;      /* less recently used (the sentinel: the newest) */
  unsigned char *val;      /* `value` bytes, each the key's low byte; NULL if 0 */
} r_ent;

static uint64_t r_rand(uint64_t *s) {  /* xorshift64* */
  uint64_t x = *s;
  x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static size_t r_bucket(uint64_t key, size_t nb) {
  return (size_t)(((key * 0x9E3779B97F4A7C15ull) >> 32) % nb);  /* as the peers */
}

/* Takes e out of the recency list. */
static void r_unlink(r_ent *e) {
  rt_store_ptr((void **)&e->prev->next, e->next);
  rt_store_ptr((void **)&e->next->prev, e->prev);
}

/* Puts e first in the list whose sentinel is head. */
static void r_push(r_ent *head, r_ent *e) {
  rt_store_ptr((void **)&e->next, head->next);
  rt_store_ptr((void **)&e->prev, head);
  rt_store_ptr((void **)&head->next->prev, e);
  rt_store_ptr((void **)&head->next, e);
}

static int r_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[R_N].i, size = v[R_SIZE].i, value = v[R_VALUE].i, keys = v[R_KEYS].i;
  size_t nb = 2 * (size_t)size;
  *ops = 0;
  int64_t *lat = malloc((size_t)n * sizeof *lat);
  r_ent **bucket = rt_alloc(nb * sizeof *bucket, RT_AF_ZERO);
  r_ent *head = rt_alloc(sizeof *head, RT_AF_ZERO);
  if (!lat || !bucket || !head) {
    free(lat);
    snprintf(err, errlen, "lru: out of memory for %lld samples and %zu buckets", (long long)n,
             nb);
    return 1;
  }
  rt_store_ptr((void **)&head->next, head);
  rt_store_ptr((void **)&head->prev, head);
  uint64_t rng = 1;
  int64_t count = 0, bad = 0, oom = 0;
  for (int64_t i = 0; i < n; i++) {
    uint64_t key = r_rand(&rng) % (uint64_t)keys;
    int64_t t0 = rt_now();
    r_ent **slot = &bucket[r_bucket(key, nb)], *e = *slot;
    while (e && e->key != key) e = e->hnext;
    if (e) {  /* hit */
      if (head->next != e) {
        r_unlink(e);
        r_push(head, e);
      }
      if (value && e->val[0] != (unsigned char)key) bad++;
    } else {  /* miss */
      unsigned char *val = value ? rt_alloc((size_t)value, RT_AF_NOSCAN) : NULL;
      e = rt_alloc(sizeof *e, RT_AF_ZERO);
      if (!e || (value && !val)) {
        oom++;
        lat[i] = rt_now() - t0;
        continue;
      }
      if (val) memset(val, (int)(key & 0xff), (size_t)value);
      e->key = key;
      rt_store_ptr((void **)&e->val, val);
      rt_store_ptr((void **)&e->hnext, *slot);
      rt_store_ptr((void **)slot, e);
      r_push(head, e);
      if (++count > size) {  /* evict the oldest */
        r_ent *old = head->prev;
        r_unlink(old);
        r_ent **p = &bucket[r_bucket(old->key, nb)];
        while (*p != old) p = &(*p)->hnext;
        rt_store_ptr((void **)p, old->hnext);
        count--;
      }
    }
    lat[i] = rt_now() - t0;
  }
  /* The cache is whole: as many entries in the list as in the buckets,
  ** each with its bytes. */
  int64_t inlist = 0, inbuckets = 0;
  for (r_ent *e = head->next; e != head && inlist <= count; e = e->next, inlist++)
    if (value && e->val[0] != (unsigned char)e->key) bad++;
  for (size_t b = 0; b < nb; b++)
    for (r_ent *e = bucket[b]; e; e = e->hnext) inbuckets++;
  wl_latency(lat, (size_t)n);
  free(lat);
  *ops = (uint64_t)n;
  if (oom) {
    snprintf(err, errlen, "lru: %lld allocations refused", (long long)oom);
    return 1;
  }
  if (bad) {
    snprintf(err, errlen, "lru: %lld values did not hold their key's low byte", (long long)bad);
    return 1;
  }
  if (inlist != count || inbuckets != count) {
    snprintf(err, errlen, "lru: %lld entries in the list and %lld in the buckets, want %lld",
             (long long)inlist, (long long)inbuckets, (long long)count);
    return 1;
  }
  return 0;
}

const wl_desc wl_lru = {
  "lru", "fixed-size LRU cache under random keys: a mutated long-lived heap; latency per request",
  r_params, 4, NULL, r_run,
};

/* ==== roots ========================================================== */

enum { O_N, O_GS, O_DEPTH };
static const rt_param o_params[] = {
  {"n", RT_PT_INT, 2000000, 1, 1e10, NULL, "garbage objects allocated in all"},
  {"gs", RT_PT_INT, 64, 1, 10000, NULL, "Gs, each with a deep stack"},
  {"depth", RT_PT_INT, 64, 1, 500, NULL, "frames per G, each holding one object"},
};

/* An object only a stack frame holds. */
typedef struct o_obj {
  uint64_t id;             /* its G and frame */
  uint64_t check;          /* o_mix(id): wrong if it was freed and reused */
  char pad[32];            /* a typical small object */
} o_obj;

typedef struct o_g {
  int64_t churn;           /* garbage objects this G allocates */
  int depth;               /* its frames */
  uint64_t id;             /* its number */
  int64_t bad, oom;        /* objects found changed; allocations refused */
  rt_waitgroup *wg;
  char pad[64];            /* Gs on other Ps write their own line */
} o_g;

static uint64_t o_mix(uint64_t x) {  /* splitmix64's finaliser */
  x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27; x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* The bottom frame: garbage, with yields. */
static __attribute__((noinline)) void o_churn(o_g *g) {
  for (int64_t i = 0; i < g->churn; i++) {
    o_obj *x = rt_alloc(sizeof *x, RT_AF_NOSCAN);
    if (!x) {
      g->oom++;
      continue;
    }
    x->id = (uint64_t)i;
    if (i % 64 == 63) rt_yield();
  }
}

/* Frame d: its own object, live across the frames below. */
static __attribute__((noinline)) void o_frame(o_g *g, int d) {
  o_obj *o = rt_alloc(sizeof *o, RT_AF_NOSCAN);
  if (!o) {
    g->oom++;
    return;
  }
  o->id = g->id << 16 | (uint64_t)d;
  o->check = o_mix(o->id);
  if (d == 0)
    o_churn(g);
  else
    o_frame(g, d - 1);
  if (o->check != o_mix(o->id) || o->id != (g->id << 16 | (uint64_t)d)) g->bad++;
}

static void o_body(void *arg) {
  o_g *g = arg;
  o_frame(g, g->depth - 1);
  rt_wg_done(g->wg);
}

static int o_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[O_N].i, gs = v[O_GS].i;
  o_g *g = calloc((size_t)gs, sizeof *g);
  if (!g) {
    snprintf(err, errlen, "roots: out of memory for %lld Gs", (long long)gs);
    return 1;
  }
  rt_waitgroup wg = {0};
  rt_wg_add(&wg, gs);
  for (int64_t i = 0; i < gs; i++) {
    g[i] = (o_g){.churn = n / gs + (i < n % gs), .depth = (int)v[O_DEPTH].i,
                 .id = (uint64_t)i, .wg = &wg};
    rt_go(o_body, &g[i]);
  }
  rt_wg_wait(&wg);
  int64_t bad = 0, oom = 0;
  for (int64_t i = 0; i < gs; i++) bad += g[i].bad, oom += g[i].oom;
  free(g);
  *ops = (uint64_t)n;
  if (oom) return snprintf(err, errlen, "roots: %lld allocations refused", (long long)oom), 1;
  if (bad)
    return snprintf(err, errlen, "roots: %lld objects held by stack frames changed under them",
                    (long long)bad), 1;
  return 0;
}

const wl_desc wl_roots = {
  "roots", "many Gs with deep stacks, each frame holding an object, allocating garbage",
  o_params, 3, NULL, o_run,
};

/* ==== mutate ========================================================= */

enum { M_N, M_GS, M_NODES, M_REPLACE };
static const rt_param m_params[] = {
  {"n", RT_PT_INT, 4000000, 1, 1e11, NULL, "changes in all (edge rewirings and replacements)"},
  {"gs", RT_PT_INT, 4, 1, 1000, NULL, "Gs, each owning a slice of the table"},
  {"nodes", RT_PT_INT, 100000, 2, 1e8, NULL, "nodes in the root table"},
  {"replace", RT_PT_INT, 25, 0, 100, NULL, "percent of changes that replace a node by a copy"},
};

#define M_EDGES 4

typedef struct m_node {
  struct m_node *e[M_EDGES]; /* edges, to any node (NULL at first) */
  uint64_t id;               /* unique */
  uint64_t check;            /* o_mix(id) */
} m_node;

typedef struct m_g {
  m_node **table;          /* the shared root table */
  int64_t lo, hi;          /* this G's slice of it */
  int64_t nodes, changes;  /* table size; changes to make */
  int replace;             /* percent */
  uint64_t id, rng;        /* its number; its random state */
  int64_t oom;             /* allocations refused */
  rt_waitgroup *wg;
  char pad[64];            /* Gs on other Ps write their own line */
} m_g;

static m_node *m_new(m_g *g, uint64_t *seq) {
  m_node *x = rt_alloc(sizeof *x, RT_AF_ZERO);
  if (!x) return g->oom++, NULL;
  x->id = (*seq)++ << 16 | g->id;
  x->check = o_mix(x->id);
  return x;
}

static void m_body(void *arg) {
  m_g *g = arg;
  uint64_t seq = 1;
  int64_t span = g->hi - g->lo;
  for (int64_t c = 0; c < g->changes; c++) {
    int64_t i = g->lo + (int64_t)(r_rand(&g->rng) % (uint64_t)span);
    m_node *x = g->table[i];  /* ours: only this G stores here */
    if ((int)(r_rand(&g->rng) % 100) < g->replace) {
      m_node *y = m_new(g, &seq);
      if (!y) continue;
      for (int k = 0; k < M_EDGES; k++) rt_store_ptr((void **)&y->e[k], x->e[k]);
      rt_store_ptr((void **)&g->table[i], y);  /* x lives on while an edge holds it */
    } else {
      int64_t j = (int64_t)(r_rand(&g->rng) % (uint64_t)g->nodes);
      m_node *t = __atomic_load_n(&g->table[j], __ATOMIC_RELAXED);  /* any G's */
      rt_store_ptr((void **)&x->e[r_rand(&g->rng) % M_EDGES], t);
    }
    if (c % 256 == 255) rt_yield();
  }
  rt_wg_done(g->wg);
}

/* Node x, reached from the table, and what it reaches within `hops`. */
static int64_t m_verify(const m_node *x, int hops) {
  if (!x) return 0;
  int64_t bad = x->check != o_mix(x->id);
  if (hops > 0)
    for (int k = 0; k < M_EDGES; k++) bad += m_verify(x->e[k], hops - 1);
  return bad;
}

static int m_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[M_N].i, gs = v[M_GS].i, nodes = v[M_NODES].i;
  if (gs > nodes) gs = nodes;
  m_node **table = calloc((size_t)nodes, sizeof *table);
  m_g *g = calloc((size_t)gs, sizeof *g);
  if (!table || !g || rt_gc_root_add((void **)table, (size_t)nodes) != RT_OK) {
    free(table);
    free(g);
    snprintf(err, errlen, "mutate: out of memory for a table of %lld nodes", (long long)nodes);
    return 1;
  }
  uint64_t seq = 1;
  m_g maker = {.id = 0xffff};
  int64_t oom = 0;
  for (int64_t i = 0; i < nodes; i++) {
    rt_store_ptr((void **)&table[i], m_new(&maker, &seq));
    if (!table[i]) oom++;
  }
  rt_waitgroup wg = {0};
  if (!oom) {
    rt_wg_add(&wg, gs);
    for (int64_t i = 0; i < gs; i++) {
      g[i] = (m_g){.table = table, .lo = nodes * i / gs, .hi = nodes * (i + 1) / gs,
                   .nodes = nodes, .changes = n / gs + (i < n % gs),
                   .replace = (int)v[M_REPLACE].i, .id = (uint64_t)i,
                   .rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1), .wg = &wg};
      rt_go(m_body, &g[i]);
    }
    rt_wg_wait(&wg);
  }
  int64_t bad = 0;
  for (int64_t i = 0; i < gs; i++) oom += g[i].oom;
  for (int64_t i = 0; i < nodes && !oom; i++) bad += m_verify(table[i], 2);
  rt_gc_root_remove((void **)table);
  free(table);
  free(g);
  *ops = (uint64_t)n;
  if (oom) return snprintf(err, errlen, "mutate: %lld allocations refused", (long long)oom), 1;
  if (bad)
    return snprintf(err, errlen, "mutate: %lld reachable nodes lost their checksum (freed while "
                    "reachable?)", (long long)bad), 1;
  return 0;
}

const wl_desc wl_mutate = {
  "mutate", "Gs rewire a shared pointer graph across Ps (the write barrier's workload)",
  m_params, 4, NULL, m_run,
};
