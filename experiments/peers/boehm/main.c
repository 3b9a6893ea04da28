/*
** rtlab-peer-boehm: rtlab's garbage-collector workloads on the Boehm-Demers-
** Weiser collector (Debian 12's libgc 8.2: conservative, non-moving,
** mark-sweep), the C peer the collectors are measured against beside Go's.
**
** README
**   Build:  make peers   (installs libgc-dev from Debian), or by hand:
**     cc -O2 -std=gnu11 experiments/peers/boehm/main.c \
**        $(pkg-config --cflags --libs bdw-gc) -o build/peers/rtlab-peer-boehm
**   Run:    rtlab-peer-boehm -workload NAME[,k=v...] [-procs P] [-n N] [-depth D]
**                            [-long_depth D] [-max_depth D] [-array A] [-size S]
**                            [-value V] [-keys K]
**           rtlab-peer-boehm -list
**   The command line, the output and the exit status are rtlab-peer-go's
**   (experiments/peers/go/main.go): one trial per process, one JSON line
**   with rtlab's field names, plus `gcstats` {cycles, heap_bytes}: the
**   collections during the timed span (GC_get_gc_no) and the heap's size at
**   its end (GC_get_heap_size).  Exit status: 0 ok, 1 the workload's
**   self-check failed (or the heap ran out), 2 bad input.
**   -procs P is the number of marker threads, the initiating one included:
**   GC_set_markers_count(P) before GC_INIT, then GC_start_mark_threads(),
**   since 8.2 starts its helpers only with the first thread otherwise.
**   GC_MARKERS in the environment would override the call, so it is unset;
**   a P the library caps (it runs at most 16) is bad input.  The mutator is
**   single-threaded; the collector keeps its defaults otherwise (interior
**   pointers recognized, so every object has one extra byte: a 16-byte node
**   takes a 32-byte slot).
*/
#define _GNU_SOURCE
#define GC_THREADS /* declares GC_set_markers_count and the marker calls */
#include <gc.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PROG "rtlab-peer-boehm"
#define MAXPARAMS 4   /* parameters of the widest workload (gcbench) */
#define ERRLEN 256    /* a workload's failure message */

/* ==== the workload table ============================================= */

/* param is one declared workload parameter, with rtlab's range. */
typedef struct param {
  const char *name;  /* as in "lru,size=1000" and as a flag */
  int64_t def;       /* default, the same as rtlab's */
  int64_t min, max;  /* inclusive range */
} param;

/* run does the work with v[i] the value of params[i]; it sets *ops and
** returns 0, or fills err and returns -1 when its self-check failed. */
typedef int (*run_fn)(const int64_t *v, int64_t *ops, char *err);

/* workload is one shape. */
typedef struct workload {
  const char *name;          /* rtlab's workload name */
  param params[MAXPARAMS];   /* n first; unused rows have a NULL name */
  run_fn run;                /* does the work */
} workload;

static int run_binarytrees(const int64_t *v, int64_t *ops, char *err);
static int run_gcbench(const int64_t *v, int64_t *ops, char *err);
static int run_lru(const int64_t *v, int64_t *ops, char *err);

static const workload workloads[] = {
  {"binarytrees", {{"n", 1, 1, 1000}, {"depth", 16, 4, 24}}, run_binarytrees},
  {"gcbench", {{"n", 1, 1, 1000}, {"long_depth", 16, 4, 22}, {"max_depth", 16, 4, 22},
               {"array", 500000, 0, 100000000}}, run_gcbench},
  {"lru", {{"n", 1000000, 1, 10000000000}, {"size", 100000, 1, 100000000},
           {"value", 128, 0, 1000000}, {"keys", 400000, 1, 10000000000}}, run_lru},
};
#define NWORKLOADS ((int)(sizeof workloads / sizeof workloads[0]))

static int nparams(const workload *w) {
  int k = 0;
  while (k < MAXPARAMS && w->params[k].name) k++;
  return k;
}

/* The workload names, "binarytrees, gcbench, lru", for messages. */
static const char *names(void) {
  static char buf[256];
  size_t at = 0;
  for (int i = 0; i < NWORKLOADS; i++)
    at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", i ? ", " : "", workloads[i].name);
  return buf;
}

static void usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_err(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs(PROG ": ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

/* Whether name is a parameter of some workload: those are the flags. */
static bool is_param(const char *name, size_t len) {
  for (int i = 0; i < NWORKLOADS; i++)
    for (int k = 0; k < nparams(&workloads[i]); k++)
      if (strlen(workloads[i].params[k].name) == len &&
          strncmp(workloads[i].params[k].name, name, len) == 0)
        return true;
  return false;
}

/* ==== resolving a spec =============================================== */

/* Reads s as Go's strconv.ParseInt(s, 10, 64) does: an optional sign and
** decimal digits, nothing else, within int64. */
static bool parse_int10(const char *s, int64_t *out) {
  bool neg = *s == '-';
  if (*s == '-' || *s == '+') s++;
  if (!*s) return false;
  uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return false;
    unsigned d = (unsigned)(*s - '0');
    if (x > (lim - d) / 10) return false;
    x = x * 10 + d;
  }
  *out = neg ? (int64_t)(0 - x) : (int64_t)x;
  return true;
}

/* set gives w's parameter k the text s, or exits as the Go peer does. */
static void set(const workload *w, int64_t *v, const char *k, size_t klen, const char *s) {
  int np = nparams(w), p = -1;
  for (int i = 0; i < np; i++)
    if (strlen(w->params[i].name) == klen && strncmp(w->params[i].name, k, klen) == 0) p = i;
  if (p < 0) {
    char allowed[128];
    size_t at = 0;
    for (int i = 0; i < np; i++)
      at += (size_t)snprintf(allowed + at, sizeof allowed - at, "%s%s", i ? ", " : "",
                             w->params[i].name);
    usage_err("workload '%s': unknown parameter '%.*s' (allowed: %s)", w->name, (int)klen, k,
              allowed);
  }
  int64_t x;
  if (!parse_int10(s, &x) || x < w->params[p].min || x > w->params[p].max)
    usage_err("workload '%s': parameter '%s' wants an integer in [%" PRId64 ", %" PRId64
              "], got '%s'", w->name, w->params[p].name, w->params[p].min, w->params[p].max, s);
  v[p] = x;
}

/* A parameter given as a flag: -name value. */
typedef struct flagval {
  const char *name;   /* the parameter's name */
  size_t len;         /* its length (name may point into "-name=value") */
  const char *value;  /* the text given, the last one if given twice */
} flagval;

static int flag_cmp(const void *a, const void *b) {
  const flagval *x = a, *y = b;
  int c = strncmp(x->name, y->name, x->len < y->len ? x->len : y->len);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* resolve finds the workload of spec "name[,k=v...]" and fills v: defaults,
** then the spec's pairs, then the flags given explicitly (in name order). */
static const workload *resolve(char *spec, flagval *flags, int nflags, int64_t *v) {
  char *rest = strchr(spec, ',');
  if (rest) *rest++ = '\0';
  const workload *w = NULL;
  for (int i = 0; i < NWORKLOADS; i++)
    if (strcmp(workloads[i].name, spec) == 0) w = &workloads[i];
  if (!w) usage_err("unknown workload '%s' (allowed: %s)", spec, names());
  for (int k = 0; k < nparams(w); k++) v[k] = w->params[k].def;
  while (rest) {
    char *kv = rest;
    rest = strchr(kv, ',');
    if (rest) *rest++ = '\0';
    char *eq = strchr(kv, '=');
    if (!eq) usage_err("workload '%s': '%s' is not k=v", w->name, kv);
    set(w, v, kv, (size_t)(eq - kv), eq + 1);
  }
  qsort(flags, (size_t)nflags, sizeof *flags, flag_cmp);
  for (int i = 0; i < nflags; i++) set(w, v, flags[i].name, flags[i].len, flags[i].value);
  return w;
}

/* ==== the timed span ================================================= */

/* span is the part of a trial that wall_ns, user_ns and sys_ns cover: all
** of run, unless the workload narrows it by calling span_start and
** span_end itself (lru leaves out its sample buffer and the sort). */
typedef struct span {
  struct timespec t0, t1;    /* start and end (CLOCK_MONOTONIC) */
  struct rusage ru0, ru1;    /* the process's resource usage at each */
  uint64_t gc0, gc1;         /* GC_get_gc_no() at each */
  bool ended;                /* span_end was called after the last span_start */
} span;

/* timed is the trial's span: main starts it before run and ends it after,
** unless run has ended it already. */
static span timed;

static void span_start(span *s) {
  getrusage(RUSAGE_SELF, &s->ru0);
  s->gc0 = GC_get_gc_no();
  clock_gettime(CLOCK_MONOTONIC, &s->t0);
  s->ended = false;
}

static void span_end(span *s) {
  clock_gettime(CLOCK_MONOTONIC, &s->t1);
  s->gc1 = GC_get_gc_no();
  getrusage(RUSAGE_SELF, &s->ru1);
  s->ended = true;
}

static int64_t ts_ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }
static int64_t tv_ns(struct timeval t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_usec * 1000; }

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return ts_ns(t);
}

/* latency holds the samples a workload timed (ns), sorted, or NULL. */
static int64_t *latency;
static int64_t nlatency;  /* how many */

/* gc_alloc and gc_atomic are GC_MALLOC and GC_MALLOC_ATOMIC that end the
** trial when the heap cannot grow: a tree in the making cannot unwind. */
static void *oom(size_t bytes) {
  fprintf(stderr, PROG ": out of memory (%zu bytes wanted, heap %zu bytes)\n", bytes,
          GC_get_heap_size());
  exit(1);
}

static inline void *gc_alloc(size_t bytes) {
  void *p = GC_MALLOC(bytes);
  return p ? p : oom(bytes);
}

static inline void *gc_atomic(size_t bytes) {
  void *p = GC_MALLOC_ATOMIC(bytes);
  return p ? p : oom(bytes);
}

/* tree_size is the nodes in a complete binary tree of depth d. */
static int64_t tree_size(int d) { return ((int64_t)1 << (d + 1)) - 1; }

/* ==== binarytrees ==================================================== */

/* The Benchmarks Game's binary-trees, single-threaded: short-lived trees
** of every other depth around one long-lived tree. */

/* bt_node is a tree node: two pointers, both NULL at depth 0. */
typedef struct bt_node {
  struct bt_node *left;   /* left subtree, NULL at depth 0 */
  struct bt_node *right;  /* right subtree, NULL at depth 0 */
} bt_node;

/* bt_make builds a tree of depth d bottom-up: children before parents. */
static bt_node *bt_make(int d) {
  if (d == 0) return gc_alloc(sizeof(bt_node));  /* zeroed: no children */
  bt_node *l = bt_make(d - 1), *r = bt_make(d - 1);
  bt_node *t = gc_alloc(sizeof *t);
  t->left = l;
  t->right = r;
  return t;
}

/* bt_check counts t's nodes. */
static int64_t bt_check(const bt_node *t) {
  return t->left ? 1 + bt_check(t->left) + bt_check(t->right) : 1;
}

/* bt_verify fails the workload unless the tree of depth d has all its nodes. */
static int bt_verify(const bt_node *t, int d, const char *what, char *err) {
  int64_t got = bt_check(t);
  if (got == tree_size(d)) return 0;
  snprintf(err, ERRLEN, "binarytrees: the %s tree of depth %d has %" PRId64 " nodes, want %" PRId64,
           what, d, got, tree_size(d));
  return -1;
}

static int run_binarytrees(const int64_t *v, int64_t *ops, char *err) {
  const int min_depth = 4;
  int max_depth = (int)v[1] > min_depth + 2 ? (int)v[1] : min_depth + 2;
  *ops = 0;
  for (int64_t r = 0; r < v[0]; r++) {
    if (bt_verify(bt_make(max_depth + 1), max_depth + 1, "stretch", err)) return -1;
    *ops += tree_size(max_depth + 1);
    bt_node *long_lived = bt_make(max_depth);
    *ops += tree_size(max_depth);
    for (int d = min_depth; d <= max_depth; d += 2) {
      int64_t iters = (int64_t)1 << (max_depth - d + min_depth);
      for (int64_t i = 0; i < iters; i++)
        if (bt_verify(bt_make(d), d, "short-lived", err)) return -1;
      *ops += iters * tree_size(d);
    }
    if (bt_verify(long_lived, max_depth, "long-lived", err)) return -1;
  }
  return 0;
}

/* ==== gcbench ======================================================== */

/* Ellis, Kovac and Boehm's GCBench: trees built top-down (Populate) and
** bottom-up (MakeTree) while a long-lived tree and a pointer-free array
** stay live. */

/* gc_node is GCBench's Node: two pointers and two ints it never reads. */
typedef struct gc_node {
  struct gc_node *left;   /* left subtree, NULL at depth 0 */
  struct gc_node *right;  /* right subtree, NULL at depth 0 */
  int i, j;               /* payload, as in the original: never read */
} gc_node;

/* gc_populate gives t (fresh, zeroed) a complete tree of depth d below it,
** top-down: parents before children. */
static void gc_populate(int d, gc_node *t) {
  if (d <= 0) return;
  d--;
  t->left = gc_alloc(sizeof *t);
  t->right = gc_alloc(sizeof *t);
  gc_populate(d, t->left);
  gc_populate(d, t->right);
}

/* gc_make_tree builds a tree of depth d bottom-up. */
static gc_node *gc_make_tree(int d) {
  if (d <= 0) return gc_alloc(sizeof(gc_node));
  gc_node *l = gc_make_tree(d - 1), *r = gc_make_tree(d - 1);
  gc_node *t = gc_alloc(sizeof *t);
  t->left = l;
  t->right = r;
  return t;
}

static int run_gcbench(const int64_t *v, int64_t *ops, char *err) {
  const int min_depth = 4;
  int long_depth = (int)v[1], max_depth = (int)v[2];
  int64_t array = v[3];
  *ops = 0;
  for (int64_t r = 0; r < v[0]; r++) {
    gc_make_tree(max_depth + 1);  /* the stretch tree, dropped at once */
    *ops += tree_size(max_depth + 1);
    gc_node *long_lived = gc_alloc(sizeof *long_lived);
    gc_populate(long_depth, long_lived);
    *ops += tree_size(long_depth);
    double *arr = array ? gc_atomic((size_t)array * sizeof *arr) : NULL;
    if (arr) arr[0] = 0.0;  /* GC_MALLOC_ATOMIC does not zero */
    for (int64_t i = 1; i < array; i++) arr[i] = 1.0 / (double)i;
    for (int d = min_depth; d <= max_depth; d += 2) {
      int64_t iters = 2 * tree_size(max_depth) / tree_size(d);
      for (int64_t i = 0; i < iters; i++) gc_populate(d, gc_alloc(sizeof(gc_node)));
      for (int64_t i = 0; i < iters; i++) gc_make_tree(d);
      *ops += 2 * iters * tree_size(d);
    }
    if (!long_lived || (array > 1000 && arr[1000] != 1.0 / 1000)) {
      snprintf(err, ERRLEN, "gcbench: the long-lived %s did not survive",
               long_lived ? "array" : "tree");
      return -1;
    }
  }
  return 0;
}

/* ==== lru ============================================================ */

/* A fixed-size LRU cache under uniformly random keys: misses allocate an
** entry and its pointer-free value, evictions drop the oldest for the
** collector to find, and every request is timed. */

/* lru_entry is one cached key. */
typedef struct lru_entry {
  int64_t key;               /* the key it caches */
  struct lru_entry *chain;   /* the next entry in its hash bucket */
  struct lru_entry *newer;   /* towards the front of the recency list, NULL at it */
  struct lru_entry *older;   /* towards the tail, NULL at it */
  unsigned char *value;      /* value bytes, each the key's low byte; NULL if none */
} lru_entry;

/* lru_bucket is key's bucket of nb: the high half of a Fibonacci hash, so
** consecutive keys spread, then reduced modulo nb (2 * size, any number). */
static uint64_t lru_bucket(int64_t key, uint64_t nb) {
  return (((uint64_t)key * 0x9E3779B97F4A7C15u) >> 32) % nb;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* run_lru times the requests only: the sample buffer is mapped (and its
** pages touched) before the span and sorted after it. */
static int run_lru(const int64_t *v, int64_t *ops, char *err) {
  int64_t n = v[0], size = v[1], vsize = v[2], keys = v[3];
  int64_t *samples = mmap(NULL, (size_t)n * sizeof *samples, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (samples == MAP_FAILED) {
    snprintf(err, ERRLEN, "lru: cannot map %" PRId64 " latency samples: %s", n, strerror(errno));
    *ops = 0;
    return -1;
  }
  span_start(&timed);
  uint64_t nb = 2 * (uint64_t)size;
  lru_entry **buckets = gc_alloc(nb * sizeof *buckets);
  lru_entry *front = NULL, *tail = NULL;
  int64_t count = 0;       /* entries cached */
  uint64_t rng = 1;        /* xorshift64* state */
  int64_t bad = -1;        /* the first request whose hit read a wrong byte */
  for (int64_t i = 0; i < n; i++) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    int64_t key = (int64_t)(rng * 0x2545F4914F6CDD1Du % (uint64_t)keys);
    int64_t t0 = now_ns();
    lru_entry **b = &buckets[lru_bucket(key, nb)], *e = *b;
    while (e && e->key != key) e = e->chain;
    if (e) {  /* hit: to the front, and read the value */
      if (e != front) {
        e->newer->older = e->older;
        if (e->older) e->older->newer = e->newer;
        else tail = e->newer;
        e->newer = NULL;
        e->older = front;
        front->newer = e;
        front = e;
      }
      if (vsize > 0 && e->value[0] != (unsigned char)key && bad < 0) bad = i;
    } else {  /* miss: a new entry at the front, the tail evicted if over size */
      e = gc_alloc(sizeof *e);
      e->key = key;
      if (vsize > 0) {
        e->value = gc_atomic((size_t)vsize);
        memset(e->value, (unsigned char)key, (size_t)vsize);
      }
      e->chain = *b;
      *b = e;
      e->older = front;
      if (front) front->newer = e;
      else tail = e;
      front = e;
      if (++count > size) {
        lru_entry *old = tail, **p = &buckets[lru_bucket(old->key, nb)];
        while (*p != old) p = &(*p)->chain;
        *p = old->chain;
        tail = old->newer;
        tail->older = NULL;
        count--;
      }
    }
    samples[i] = now_ns() - t0;
  }
  span_end(&timed);
  qsort(samples, (size_t)n, sizeof *samples, cmp_i64);
  latency = samples;
  nlatency = n;
  *ops = n;
  if (bad >= 0) {
    snprintf(err, ERRLEN, "lru: request %" PRId64 " hit a value whose byte is not its key's", bad);
    return -1;
  }
  return 0;
}

/* ==== the JSON line ================================================== */

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

/* json_num writes the shortest text that reads back as the same double,
** as rtlab's json_num does. */
static void json_num(double x) {
  char buf[40];
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) break;
  }
  fputs(buf, stdout);
}

static void report(const workload *w, const int64_t *v, int procs, const char *err,
                   int64_t ops) {
  int64_t wall = ts_ns(timed.t1) - ts_ns(timed.t0);
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
  unsigned ver = GC_get_version();
  char version[32];
  snprintf(version, sizeof version, "%u.%u.%u", ver >> 16, (ver >> 8) & 0xff, ver & 0xff);

  printf("{\"workload\":");
  json_str(w->name);
  printf(",\"params\":{");
  for (int k = 0; k < nparams(w); k++) {
    printf("%s", k ? "," : "");
    json_str(w->params[k].name);
    printf(":%" PRId64, v[k]);
  }
  printf("},\"sched\":{\"name\":\"boehm-gc\",\"params\":{},\"spec\":\"boehm-gc\"}");
  printf(",\"procs\":%d,\"status\":\"%s\"", procs, err ? "error" : "ok");
  if (err) {
    printf(",\"error\":");
    json_str(err);
  }
  printf(",\"wall_ns\":%" PRId64 ",\"user_ns\":%" PRId64 ",\"sys_ns\":%" PRId64
         ",\"ops\":%" PRId64 ",\"ns_per_op\":", wall,
         tv_ns(timed.ru1.ru_utime) - tv_ns(timed.ru0.ru_utime),
         tv_ns(timed.ru1.ru_stime) - tv_ns(timed.ru0.ru_stime), ops);
  if (ops > 0) json_num((double)wall / (double)ops);
  else printf("null");
  printf(",\"maxrss_kb\":%ld", timed.ru1.ru_maxrss);
  if (latency) /* nearest rank, as the Go peer and rtlab's wl_latency */
    printf(",\"latency\":{\"p50_ns\":%" PRId64 ",\"p99_ns\":%" PRId64 ",\"max_ns\":%" PRId64 "}",
           latency[(nlatency + 1) / 2 - 1], latency[(nlatency * 99 + 99) / 100 - 1],
           latency[nlatency - 1]);
  printf(",\"gcstats\":{\"cycles\":%" PRIu64 ",\"heap_bytes\":%zu}", timed.gc1 - timed.gc0,
         GC_get_heap_size());
  printf(",\"peer\":\"boehm\",\"gc_version\":\"%s\",\"host\":", version);
  json_str(host);
  printf(",\"time\":\"%s\"}\n", when);
  fflush(stdout);
}

/* ==== main =========================================================== */

static void usage(void) {
  fprintf(stderr,
          "usage: " PROG " -workload NAME[,k=v...] [-procs P] [-PARAM V ...] | -list\n"
          "  -workload  NAME[,k=v...]: %s\n"
          "  -procs     marker threads of the collector, 1..1024 (the library caps it)\n"
          "  -list      print the workload names, one per line, and exit\n"
          "  -PARAM V   workload parameter PARAM (as in NAME,PARAM=V)\n",
          names());
}

/* parse_bool reads a boolean flag's value as Go's strconv.ParseBool. */
static bool parse_bool(const char *name, const char *s) {
  static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
  static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
  for (int i = 0; i < 6; i++) {
    if (strcmp(s, yes[i]) == 0) return true;
    if (strcmp(s, no[i]) == 0) return false;
  }
  usage_err("invalid boolean value '%s' for flag -%s", s, name);
}

int main(int argc, char **argv) {
  /* The command line, read as Go's flag package reads it: -f v, -f=v,
  ** --f, up to the first argument that is not a flag or "--". */
  const char *spec = "", *procs_s = "1";
  bool list = false;
  flagval flags[64];
  int nflags = 0, i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == '\0') break;
    if (strcmp(a, "--") == 0) {  /* the end of the flags */
      i++;
      break;
    }
    a += a[1] == '-' ? 2 : 1;
    if (*a == '-' || *a == '=') usage_err("bad flag syntax: %s", argv[i]);
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    if (len == 4 && strncmp(a, "list", 4) == 0) {
      list = eq ? parse_bool("list", eq + 1) : true;
      continue;
    }
    if ((len == 1 && *a == 'h') || (len == 4 && strncmp(a, "help", 4) == 0)) {
      usage();
      return 0;
    }
    bool is_spec = len == 8 && strncmp(a, "workload", 8) == 0;
    bool is_procs = len == 5 && strncmp(a, "procs", 5) == 0;
    if (!is_spec && !is_procs && !is_param(a, len))
      usage_err("flag provided but not defined: -%.*s", (int)len, a);
    const char *val = eq ? eq + 1 : NULL;
    if (!val) {
      if (i + 1 >= argc) usage_err("flag needs an argument: -%.*s", (int)len, a);
      val = argv[++i];
    }
    if (is_spec) spec = val;
    else if (is_procs) procs_s = val;
    else {
      int f = 0;
      while (f < nflags && (flags[f].len != len || strncmp(flags[f].name, a, len) != 0)) f++;
      if (f == (int)(sizeof flags / sizeof flags[0])) usage_err("too many flags");
      if (f == nflags) nflags++;
      flags[f] = (flagval){a, len, val};
    }
  }
  if (i < argc) usage_err("unexpected argument '%s'", argv[i]);
  if (list) {
    for (int k = 0; k < NWORKLOADS; k++) puts(workloads[k].name);
    return 0;
  }
  if (!*spec) usage_err("-workload is required (allowed: %s)", names());
  char *end;
  errno = 0;
  long long procs = strtoll(procs_s, &end, 0);
  if (!*procs_s || *end || errno || isspace((unsigned char)procs_s[0]))
    usage_err("invalid value \"%s\" for flag -procs: parse error", procs_s);
  if (procs < 1 || procs > 1024)
    usage_err("-procs wants an integer in [1, 1024], got %lld", procs);
  int64_t v[MAXPARAMS];
  char *spec_copy = strdup(spec);
  if (!spec_copy) usage_err("out of memory");
  const workload *w = resolve(spec_copy, flags, nflags, v);

  unsetenv("GC_MARKERS");  /* it would override -procs */
  GC_set_markers_count((unsigned)procs);
  GC_INIT();
  GC_start_mark_threads();
  if (GC_get_parallel() + 1 != procs)
    usage_err("-procs %lld: libgc %u.%u runs %d marker threads at most", procs,
              GC_get_version() >> 16, (GC_get_version() >> 8) & 0xff, GC_get_parallel() + 1);

  GC_gcollect();  /* start from a clean heap, as the Go peer does */
  static char err[ERRLEN];
  int64_t ops = 0;
  span_start(&timed);
  int rc = w->run(v, &ops, err);
  if (!timed.ended) span_end(&timed);
  report(w, v, (int)procs, rc ? err : NULL, ops);
  if (rc) {
    fprintf(stderr, PROG ": %s\n", err);
    return 1;
  }
  return 0;
}
