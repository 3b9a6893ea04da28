/*
** arena.c: the one reserved address range every allocator carves pages
** from: page runs granted by address-ordered first fit, committed on
** demand, given back to the OS when freed, and a page map for interior
** pointers.  The contract is in arena.h.
**
** Why one range: a collector must tell in O(1) whether a word points into
** the heap and to which object; with every allocator's pages in one range
** that is a subtraction and a load from the page map.  The reservation is
** PROT_NONE and MAP_NORESERVE, so untouched address space costs nothing.
**
** Commit on demand.  Pages [0, hwm) have been granted at some time; pages
** [0, committed) are read/write, committed being hwm rounded up to
** ARENA_CHUNK_PAGES.  Growing it is one mprotect that extends the one
** read/write mapping (the kernel merges it with its neighbour), so the
** arena stays two mappings (without NUMA binding, which splits them).  A
** freed run is given back with MADV_DONTNEED and stays read/write: the
** kernel hands it out again as zero pages on first touch, so every grant
** is zeroed without a memset.
**
** Free pages: a bitmap and a radix tree of summaries.  This is the shape of
** Go's page allocator (runtime/mpagealloc.go: a bitmap per chunk, packed
** summaries (start, max, end) per level, and an address-ordered first-fit
** search from the root), rebuilt here at a smaller scale.  One bit per page
** (set: granted); word i covers pages [64i, 64i + 64).  Level 1 holds one
** summary per ARENA_FAN words, level l one per ARENA_FAN entries of level
** l - 1, up to the first level of at most ARENA_FAN entries (the top).  A
** summary says how many free pages its range starts with, ends with, and
** holds in its longest free run; free runs that cross entries are joined
** by carrying the free pages at the end of one entry into the next.
**
** The search for n pages scans the top level left to right, carrying the
** free run that reaches the current entry: when carry + start >= n the run
** begins in the carry; when max >= n the first fit lies inside the entry
** and the search descends into its children; else the carry becomes the
** entry's end (or grows by its span when wholly free).  Address-ordered
** first fit falls out of the left-to-right order; coalescing is implicit
** (adjacent free bits are one run), so a free is setting bits back.
**
** Cost, with N pages and F = ARENA_FAN = 16: a search reads the top level
** (at most F entries), then at most F entries per level below it, then
** walks the free runs of one bitmap word: O(F log_F N) whatever the number
** of free runs.  For the default 64 GiB (8 Mi pages, 128 Ki words, four
** summary levels, a top of 2) that is at most 2 + 3 x 16 summaries and 16
** words.  A grant or free of n pages rewrites n / 64 words and recomputes
** the summaries above them: O(n / 64 + F log_F N).  The summaries take 12
** bytes per 1024 pages (about 100 KiB for 64 GiB, written by arena_init);
** the bitmap (1 bit per page) and the page map (8 bytes per page) are
** reserved with the arena and cost only the pages that get written.
**
** Locking: one rt_lock around the bitmap, the summaries and the counters.
** Page runs are the allocators' slow path (a span refill, a large object,
** never one small object), so a lock held for a search of a few dozen
** words costs little next to the fault of the first page touched, and is
** far simpler to get right than a lock-free tree.  The system calls but
** mprotect (madvise, mbind) happen outside it.  The page map is read
** without any lock.
**
** Retained pages.  arena_retain frees a run without giving its memory
** back: its pages are free in the bitmap (so the first fit and the
** coalescing above see them like any other) and set in a second bitmap,
** `dirty`, with the time of the retain per bitmap word.  A grant that
** lands on dirty pages zeroes them with memset, which on this kind of
** machine costs a fraction of the page fault a released page takes on
** first touch.  arena_scavenge releases dirty pages whose word was
** retained long enough ago, the way Go's scavenger works on its page
** allocator: it takes them out of the free set (marks them used), drops
** the lock for the madvise, then frees them back, so no grant can be
** handed a page in the middle of its release.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "fail.h"
#include "rt_module.h"
#include "topo.h"

#if defined(__SANITIZE_ADDRESS__)
# include <sanitizer/asan_interface.h>
# define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
# define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
# define ARENA_POISON(p, n) ((void)(p), (void)(n))
# define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_FAN_SHIFT 4
#define ARENA_FAN (1u << ARENA_FAN_SHIFT)  /* children per summary */
#define ARENA_LEVELS 7                     /* 2^31 pages need 6 levels */
#define ARENA_NONE SIZE_MAX                /* "no fit" from a search */

typedef struct arena_sum {
  uint32_t start;            /* free pages at the low end of the range */
  uint32_t max;              /* longest free run wholly inside it */
  uint32_t end;              /* free pages at the high end */
} arena_sum;

/* Set in arena_init, cleared in arena_fini, read-only between ("fixed"). */
static struct {
  rt_lock lock;              /* guards all but the fixed fields and atomics */
  char *base;                /* fixed: first byte, ARENA_PAGE-aligned; NULL: none */
  size_t len;                /* fixed: bytes reserved */
  size_t npages;             /* fixed: pages reserved */
  size_t unit;               /* fixed: larger of ARENA_PAGE and the OS page */
  _Atomic(void *) *owner;    /* fixed: the page map, one word per page */
  void *meta;                /* fixed: one mapping holding owner, bits, sum */
  size_t metalen;            /* fixed: its length */
  uint64_t *bits;            /* one bit per page; set: granted or past the end */
  uint64_t *dirty;           /* one bit per page; set: free but resident (retained) */
  uint32_t *stamp;           /* per bitmap word: ms since init of its last retain */
  struct timespec t0;        /* fixed: when arena_init ran, stamp's origin */
  size_t count[ARENA_LEVELS + 1];   /* entries per level; count[0]: words */
  arena_sum *sum[ARENA_LEVELS + 1]; /* summaries of levels 1..top */
  int top;                   /* level the search starts from */
  size_t hwm;                /* pages [0, hwm) have been granted */
  size_t committed;          /* pages [0, committed) are read/write */
  size_t runs;               /* maximal free runs, the top one included */
  size_t in_use;             /* pages granted now */
  size_t peak;               /* most pages granted at once */
  size_t released;           /* bytes given back with MADV_DONTNEED */
  size_t retained;           /* free pages still resident (dirty bits set) */
  size_t reused;             /* dirty pages granted again (zeroed by memset) */
  uint32_t scavenged_at;     /* ms since init of the last scan for old pages */
  uint64_t grants;           /* runs granted */
  uint64_t frees;            /* runs taken back */
  uint64_t failures;         /* arena_alloc calls that returned NULL */
  uint64_t bad_frees;        /* arena_free calls ignored */
  _Atomic uint64_t bound;    /* grants bound to their node */
  _Atomic uint64_t nobind;   /* grants that asked for a node, unsupported */
  _Atomic uint64_t bindfail; /* grants whose binding failed */
} A;

static size_t span(int level) { return (size_t)64 << (ARENA_FAN_SHIFT * level); }

/* ==== the bitmap ===================================================== */

static bool bit_used(size_t p) { return A.bits[p >> 6] >> (p & 63) & 1; }

/* Mask of bits [lo, hi) of one word, 0 <= lo < hi <= 64. */
static uint64_t mask(unsigned lo, unsigned hi) {
  uint64_t m = hi == 64 ? ~(uint64_t)0 : ((uint64_t)1 << hi) - 1;
  return m & ~(((uint64_t)1 << lo) - 1);
}

/* Whether every page of [p, p + n) is used (want true) or free (false). */
static bool bits_all(size_t p, size_t n, bool want) {
  for (size_t q = p + n; p < q;) {
    unsigned lo = p & 63, hi = q - (p & ~(size_t)63) < 64 ? (unsigned)(q & 63) : 64;
    uint64_t m = mask(lo, hi), w = A.bits[p >> 6] & m;
    if (want ? w != m : w != 0) return false;
    p += hi - lo;
  }
  return true;
}

/* Sets (on) or clears bits [p, p + n) of bitmap m. */
static void map_put(uint64_t *m, size_t p, size_t n, bool on) {
  for (size_t q = p + n; p < q;) {
    unsigned lo = p & 63, hi = q - (p & ~(size_t)63) < 64 ? (unsigned)(q & 63) : 64;
    uint64_t k = mask(lo, hi);
    if (on) m[p >> 6] |= k;
    else m[p >> 6] &= ~k;
    p += hi - lo;
  }
}

static void bits_put(size_t p, size_t n, bool used) { map_put(A.bits, p, n, used); }

/* The summary of one word of the bitmap. */
static arena_sum word_sum(uint64_t w) {
  if (w == 0) return (arena_sum){64, 64, 64};
  unsigned start = (unsigned)__builtin_ctzll(w), end = (unsigned)__builtin_clzll(w);
  unsigned max = start > end ? start : end, pos = start;
  for (;;) {                      /* the free runs between used bits */
    uint64_t f = ~w >> pos;
    if (!f) break;
    pos += (unsigned)__builtin_ctzll(f);
    uint64_t u = w >> pos;
    if (!u) break;                /* the end run, counted already */
    unsigned len = (unsigned)__builtin_ctzll(u);
    if (len > max) max = len;
    pos += len;
  }
  return (arena_sum){start, max, end};
}

/* ==== summaries ====================================================== */

static arena_sum entry(int level, size_t i) {
  return level == 0 ? word_sum(A.bits[i]) : A.sum[level][i];
}

/* The summary of entry i of level (>= 1), from its children.  Children
** past the end of the level below count as fully used. */
static arena_sum combine(int level, size_t i) {
  size_t s = span(level - 1), first = i << ARENA_FAN_SHIFT;
  size_t last = first + ARENA_FAN, n = A.count[level - 1];
  bool cut = last > n;
  if (cut) last = n;
  size_t start = 0, max = 0, run = 0;
  bool prefix = true;
  for (size_t c = first; c < last; c++) {
    arena_sum k = entry(level - 1, c);
    if (prefix) {
      start += k.start;
      prefix = k.start == s;
    }
    if (k.max > max) max = k.max;
    if (run + k.start > max) max = run + k.start;
    run = k.start == s ? run + s : k.end;
  }
  if (run > max) max = run;
  return (arena_sum){(uint32_t)start, (uint32_t)max, cut ? 0 : (uint32_t)run};
}

/* Recomputes the summaries above pages [p, p + n), bottom up. */
static void sum_update(size_t p, size_t n) {
  size_t lo = p >> 6, hi = (p + n - 1) >> 6;
  for (int l = 1; l <= A.top; l++) {
    lo >>= ARENA_FAN_SHIFT;
    hi >>= ARENA_FAN_SHIFT;
    for (size_t i = lo; i <= hi; i++) A.sum[l][i] = combine(l, i);
  }
}

/* ==== first fit ====================================================== */

/* First fit for n pages in word i, *run free pages reaching it from below. */
static size_t word_find(size_t i, size_t n, size_t *run) {
  uint64_t w = A.bits[i];
  size_t base = i << 6;
  if (w == 0) {
    if (*run + 64 >= n) return base - *run;
    *run += 64;
    return ARENA_NONE;
  }
  unsigned pos = (unsigned)__builtin_ctzll(w);
  if (*run + pos >= n) return base - *run;
  for (;;) {                      /* pos is on a used page */
    uint64_t f = ~w >> pos;
    if (!f) {
      *run = 0;
      return ARENA_NONE;
    }
    pos += (unsigned)__builtin_ctzll(f);
    uint64_t u = w >> pos;
    if (!u) {                     /* the free run reaching the word's end */
      if (64 - pos >= n) return base + pos;
      *run = 64 - pos;
      return ARENA_NONE;
    }
    unsigned len = (unsigned)__builtin_ctzll(u);
    if (len >= n) return base + pos;
    pos += len;
  }
}

/* First fit for n pages among entries [lo, hi) of level, *run free pages
** reaching entry lo from below: the first page of the run, or ARENA_NONE. */
static size_t find_in(int level, size_t lo, size_t hi, size_t n, size_t *run) {
  if (hi > A.count[level]) hi = A.count[level];
  for (size_t i = lo; i < hi; i++) {
    if (level == 0) {
      size_t at = word_find(i, n, run);
      if (at != ARENA_NONE) return at;
      continue;
    }
    arena_sum k = A.sum[level][i];
    size_t s = span(level);
    if (*run + k.start >= n) return i * s - *run;
    if (k.max >= n)              /* the first fit is inside: never NONE */
      return find_in(level - 1, i << ARENA_FAN_SHIFT, (i + 1) << ARENA_FAN_SHIFT, n, run);
    *run = k.start == s ? *run + s : k.end;
  }
  return ARENA_NONE;
}

/* ==== life cycle ===================================================== */

static size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

/* Reserves len bytes and the tables for them; 0 or an errno. */
static int arena_map(size_t len) {
  size_t np = len >> ARENA_PAGE_SHIFT, nw = (np + 63) >> 6;
  char *raw = mmap(NULL, len + A.unit, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return errno;
  char *base = (char *)align_up((size_t)raw, A.unit);  /* trim to alignment */
  if (base > raw) munmap(raw, (size_t)(base - raw));
  munmap(base + len, (size_t)(raw + A.unit - base));
  /* The tables: the page map, the bitmap, the dirty bitmap, the retain
  ** stamps, then each summary level. */
  size_t count[ARENA_LEVELS + 1], off[ARENA_LEVELS + 2];
  int top = 0;
  count[0] = nw;
  size_t dirty_off = np * sizeof(void *) + align_up(nw * 8, 64);
  size_t stamp_off = dirty_off + align_up(nw * 8, 64);
  off[0] = np * sizeof(void *);
  off[1] = stamp_off + align_up(nw * 4, 64);
  while (count[top] > ARENA_FAN) {
    count[top + 1] = (count[top] + ARENA_FAN - 1) >> ARENA_FAN_SHIFT;
    top++;
    off[top + 1] = off[top] + align_up(count[top] * sizeof(arena_sum), 64);
  }
  size_t metalen = align_up(off[top + 1], (size_t)sysconf(_SC_PAGESIZE));
  void *meta = mmap(NULL, metalen, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (meta == MAP_FAILED) {
    int e = errno;
    munmap(base, len);
    return e;
  }
  A.base = base;
  A.len = len;
  A.npages = np;
  A.meta = meta;
  A.metalen = metalen;
  A.owner = meta;
  rt_pagemap_run = (rt_pagemap){(uintptr_t)base, len, meta};
  A.bits = (uint64_t *)((char *)meta + off[0]);
  A.dirty = (uint64_t *)((char *)meta + dirty_off);
  A.stamp = (uint32_t *)((char *)meta + stamp_off);
  A.top = top;
  for (int l = 0; l <= top; l++) {
    A.count[l] = count[l];
    A.sum[l] = l ? (arena_sum *)((char *)meta + off[l]) : NULL;
  }
  if (np & 63) A.bits[nw - 1] = ~mask(0, np & 63);  /* past the end: used */
  sum_update(0, np);
  A.runs = 1;
  return 0;
}

int arena_init(size_t reserve_bytes, char *err, size_t errlen) {
  if (A.base) return fw_fail(RT_EBUSY, err, errlen, "arena: already set up");
  memset(&A, 0, sizeof A);        /* counters of an earlier arena too */
  size_t os = (size_t)sysconf(_SC_PAGESIZE);
  A.unit = os > ARENA_PAGE ? os : ARENA_PAGE;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &A.t0);
  if (A.unit > ARENA_PAGE * ARENA_CHUNK_PAGES || A.unit % ARENA_PAGE)
    return fw_fail(RT_EINVAL, err, errlen, "arena: OS pages of %zu bytes are not supported", os);
  size_t want = reserve_bytes ? reserve_bytes : ARENA_DEFAULT_RESERVE;
  if (want > ARENA_MAX_RESERVE)
    return fw_fail(RT_EINVAL, err, errlen, "arena: %zu bytes asked, at most %zu",
                   want, ARENA_MAX_RESERVE);
  want = align_up(want, A.unit);
  int e;
  for (size_t len = want;; len = align_up(len / 2, A.unit)) {
    if ((e = arena_map(len)) == 0) return RT_OK;
    if (len / 2 < ARENA_MIN_RESERVE) break;
  }
  memset(&A, 0, sizeof A);
  return fw_fail(RT_ENOMEM, err, errlen, "arena: cannot reserve %zu bytes of address space "
                 "(nor half as much, down to %zu): %s", want, (size_t)ARENA_MIN_RESERVE,
                 strerror(e));
}

void arena_fini(void) {
  if (!A.base) return;
  ARENA_UNPOISON(A.base, A.committed << ARENA_PAGE_SHIFT);
  munmap(A.base, A.len);
  munmap(A.meta, A.metalen);
  memset(&A, 0, sizeof A);
  rt_pagemap_run = (rt_pagemap){0, 0, NULL};
}

/* ==== page runs ====================================================== */

/* Makes pages [0, end) read/write, a chunk at a time; false if refused. */
static bool commit(size_t end) {
  if (end <= A.committed) return true;
  size_t to = align_up(end, ARENA_CHUNK_PAGES);
  if (to > A.npages) to = A.npages;
  if (mprotect(A.base + (A.committed << ARENA_PAGE_SHIFT),
               (to - A.committed) << ARENA_PAGE_SHIFT, PROT_READ | PROT_WRITE) != 0)
    return false;
  A.committed = to;
  return true;
}

/* Marks free pages [p, p + n) used, keeping the count of free runs. */
static void take(size_t p, size_t n) {
  size_t q = p + n;
  bool left = p > 0 && !bit_used(p - 1), right = q < A.npages && !bit_used(q);
  A.runs = A.runs + (left && right) - (!left && !right);
  bits_put(p, n, true);
  sum_update(p, n);
}

/* Marks used pages [p, p + n) free, keeping the count of free runs. */
static void give(size_t p, size_t n) {
  size_t q = p + n;
  bool left = p > 0 && !bit_used(p - 1), right = q < A.npages && !bit_used(q);
  A.runs = A.runs + 1 - left - right;
  bits_put(p, n, false);
  sum_update(p, n);
}

/* Largest run whose dirty pages are noted for zeroing outside the lock;
** a longer one landing on dirty pages is zeroed under it (rare: a run of
** more than 16 MiB reusing retained pages). */
#define ARENA_NOTE_WORDS 32

void *arena_grant(size_t npages, int node, size_t *reused) {
  rt_lock_acquire(&A.lock);
  size_t run = 0, p = ARENA_NONE;
  if (A.base && npages && npages <= A.npages) p = find_in(A.top, 0, A.count[A.top], npages, &run);
  if (p == ARENA_NONE || !commit(p + npages)) {
    A.failures++;
    rt_lock_release(&A.lock);
    if (reused) *reused = 0;
    return NULL;
  }
  size_t q = p + npages;
  take(p, npages);
  if (q > A.hwm) A.hwm = q;
  A.in_use += npages;
  if (A.in_use > A.peak) A.peak = A.in_use;
  A.grants++;
  char *r = A.base + (p << ARENA_PAGE_SHIFT);
  size_t len = npages << ARENA_PAGE_SHIFT;
  /* Retained pages in the run: note them (bit i: page p + i) and clear. */
  uint64_t note[ARENA_NOTE_WORDS] = {0};
  size_t nd = 0;
  bool big = npages > ARENA_NOTE_WORDS * 64;
  if (A.retained)
    for (size_t i = p; i < q; i++) {
      if (!A.dirty[i >> 6]) {     /* skip clean words whole */
        i |= 63;
        continue;
      }
      if (!(A.dirty[i >> 6] >> (i & 63) & 1)) continue;
      nd++;
      if (big) memset(A.base + (i << ARENA_PAGE_SHIFT), 0, ARENA_PAGE);
      else note[(i - p) >> 6] |= (uint64_t)1 << ((i - p) & 63);
    }
  if (nd) {
    map_put(A.dirty, p, npages, false);
    A.retained -= nd;
    A.reused += nd;
  }
  rt_lock_release(&A.lock);

  ARENA_UNPOISON(r, len);
  for (size_t i = 0; nd && !big && i < npages; i++)
    if (note[i >> 6] >> (i & 63) & 1) memset(r + (i << ARENA_PAGE_SHIFT), 0, ARENA_PAGE);
  if (reused) *reused = nd;
  if (node >= 0) {
    int rc = topo_membind(r, len, node);
    if (rc > 0) atomic_fetch_add(&A.bound, 1);
    else if (rc == -ENOSYS) atomic_fetch_add(&A.nobind, 1);
    else if (rc < 0) atomic_fetch_add(&A.bindfail, 1);
  }
  return r;
}

void *arena_alloc(size_t npages, int node) { return arena_grant(npages, node, NULL); }

/* Gives [r, r + len) back to the OS: whole OS pages with MADV_DONTNEED,
** partial ones (OS pages larger than ARENA_PAGE) zeroed by hand.  Returns
** the bytes released. */
static size_t release(char *r, size_t len) {
  char *lo = (char *)align_up((size_t)r, A.unit), *hi = r + len;
  hi -= (size_t)hi % A.unit;
  if (lo >= hi) {
    memset(r, 0, len);
    return 0;
  }
  memset(r, 0, (size_t)(lo - r));
  memset(hi, 0, (size_t)(r + len - hi));
  if (madvise(lo, (size_t)(hi - lo), MADV_DONTNEED) != 0) {
    memset(lo, 0, (size_t)(hi - lo));
    return 0;
  }
  return (size_t)(hi - lo);
}

/* Whether [run, run + npages) is a run of granted pages (a valid free);
** counts a bad free when not.  Takes the lock. */
static bool check_free(char *r, size_t npages, size_t *page) {
  size_t off = (size_t)((uintptr_t)r - (uintptr_t)A.base), p = off >> ARENA_PAGE_SHIFT;
  bool ok = off < A.len && off % ARENA_PAGE == 0 && npages && npages <= A.npages - p;
  rt_lock_acquire(&A.lock);
  ok = ok && bits_all(p, npages, true);
  if (!ok) A.bad_frees++;
  rt_lock_release(&A.lock);
  *page = p;
  return ok;
}

void arena_free(void *run, size_t npages) {
  if (!run) return;
  char *r = run;
  size_t p, len = npages << ARENA_PAGE_SHIFT;
  /* Check first, so a bad free gives back nobody's memory; then release
  ** outside the lock while the pages are still marked granted (nobody can
  ** be handed them mid-madvise); then mark them free. */
  if (!check_free(r, npages, &p)) return;
  for (size_t i = p; i < p + npages; i++)
    atomic_store_explicit(&A.owner[i], NULL, memory_order_relaxed);
  size_t gone = release(r, len);
  rt_lock_acquire(&A.lock);
  if (!bits_all(p, npages, true)) {  /* freed twice at once */
    A.bad_frees++;
    rt_lock_release(&A.lock);
    return;
  }
  ARENA_POISON(r, len);
  give(p, npages);
  A.in_use -= npages;
  A.released += gone;
  A.frees++;
  rt_lock_release(&A.lock);
}

/* Milliseconds since arena_init (coarse: the stamps need no more). */
static uint32_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
  return (uint32_t)((t.tv_sec - A.t0.tv_sec) * 1000 + (t.tv_nsec - A.t0.tv_nsec) / 1000000);
}

void arena_retain(void *run, size_t npages) {
  if (!run) return;
  char *r = run;
  size_t p;
  if (!check_free(r, npages, &p)) return;
  for (size_t i = p; i < p + npages; i++)
    atomic_store_explicit(&A.owner[i], NULL, memory_order_relaxed);
  uint32_t t = now_ms();
  rt_lock_acquire(&A.lock);
  if (!bits_all(p, npages, true)) {
    A.bad_frees++;
    rt_lock_release(&A.lock);
    return;
  }
  ARENA_POISON(r, npages << ARENA_PAGE_SHIFT);
  give(p, npages);
  map_put(A.dirty, p, npages, true);
  for (size_t w = p >> 6; w <= (p + npages - 1) >> 6; w++) A.stamp[w] = t;
  A.in_use -= npages;
  A.retained += npages;
  A.frees++;
  rt_lock_release(&A.lock);
}

size_t arena_scavenge(uint64_t min_age_ms, size_t max_pages) {
  size_t done = 0, gone = 0;
  uint32_t t = now_ms();
  rt_lock_acquire(&A.lock);
  if ((int64_t)(int32_t)(t - A.scavenged_at) < (int64_t)(min_age_ms / 2)) {
    rt_lock_release(&A.lock);  /* scanned lately: nothing can have aged much */
    return 0;
  }
  A.scavenged_at = t;
  for (size_t w = 0; A.retained && done < max_pages && w < (A.hwm + 63) >> 6; w++) {
    /* Every dirty run of an old enough word: taken, released unlocked,
    ** given back.  The word is read afresh after each (the lock was
    ** dropped: a grant may have taken pages of it, a retain added some). */
    uint64_t d;
    while (done < max_pages && (d = A.dirty[w]) != 0 &&
           (int64_t)(int32_t)(t - A.stamp[w]) >= (int64_t)min_age_ms) {
      unsigned lo = (unsigned)__builtin_ctzll(d);
      uint64_t clean = ~(d >> lo);  /* 0 only when the run fills the word */
      unsigned n = clean ? (unsigned)__builtin_ctzll(clean) : 64;
      if (lo + n > 64) n = 64 - lo;
      if (n > max_pages - done) n = (unsigned)(max_pages - done);
      size_t p = (w << 6) + lo;
      take(p, n);
      map_put(A.dirty, p, n, false);
      A.retained -= n;
      rt_lock_release(&A.lock);
      char *r = A.base + (p << ARENA_PAGE_SHIFT);
      ARENA_UNPOISON(r, (size_t)n << ARENA_PAGE_SHIFT);
      size_t b = release(r, (size_t)n << ARENA_PAGE_SHIFT);
      ARENA_POISON(r, (size_t)n << ARENA_PAGE_SHIFT);
      rt_lock_acquire(&A.lock);
      give(p, n);
      A.released += b;
      gone += b;
      done += n;
    }
  }
  rt_lock_release(&A.lock);
  return gone;
}

/* ==== the page map =================================================== */

void arena_set_owner(void *run, size_t npages, void *owner) {
  size_t off = (size_t)((uintptr_t)run - (uintptr_t)A.base);
  if (off >= A.len || npages > A.npages - (off >> ARENA_PAGE_SHIFT)) return;
  for (size_t i = off >> ARENA_PAGE_SHIFT, e = i + npages; i < e; i++)
    atomic_store_explicit(&A.owner[i], owner, memory_order_release);
}

rt_pagemap rt_pagemap_run;

void *arena_owner(const void *addr) {
  size_t off = (size_t)((uintptr_t)addr - (uintptr_t)A.base);
  if (off >= A.len) return NULL;  /* below base too: the difference wraps */
  return atomic_load_explicit(&A.owner[off >> ARENA_PAGE_SHIFT], memory_order_acquire);
}

bool arena_contains(const void *addr) {
  return (size_t)((uintptr_t)addr - (uintptr_t)A.base) < A.len;
}

void *arena_base(void) { return A.base; }
size_t arena_size(void) { return A.len; }

/* ==== counters and checks ============================================ */

void arena_stats(arena_stats_t *out) {
  memset(out, 0, sizeof *out);
  rt_lock_acquire(&A.lock);
  if (A.base) {
    out->reserved = A.len;
    out->committed = A.committed << ARENA_PAGE_SHIFT;
    out->in_use = A.in_use << ARENA_PAGE_SHIFT;
    out->peak_in_use = A.peak << ARENA_PAGE_SHIFT;
    out->released = A.released;
    out->retained = A.retained << ARENA_PAGE_SHIFT;
    out->reused = A.reused << ARENA_PAGE_SHIFT;
    out->free_runs = A.runs - !bit_used(A.npages - 1);
    out->grants = A.grants;
    out->frees = A.frees;
    out->failures = A.failures;
    out->bad_frees = A.bad_frees;
    out->bound = atomic_load(&A.bound);
    out->bind_unsupported = atomic_load(&A.nobind);
    out->bind_failed = atomic_load(&A.bindfail);
  }
  rt_lock_release(&A.lock);
}

int arena_verify(void) {
  int bad = 0;
  rt_lock_acquire(&A.lock);
  if (!A.base) {
    rt_lock_release(&A.lock);
    return 0;
  }
  for (int l = 1; l <= A.top; l++)
    for (size_t i = 0; i < A.count[l]; i++) {
      arena_sum want = combine(l, i), got = A.sum[l][i];
      bad += want.start != got.start || want.max != got.max || want.end != got.end;
    }
  size_t used = 0, runs = 0;
  uint64_t before = 0;            /* the page below is free (page -1: no) */
  for (size_t i = 0; i < A.count[0]; i++) {
    uint64_t f = ~A.bits[i];      /* free pages; a run starts after a used one */
    runs += (size_t)__builtin_popcountll(f & ~(f << 1 | before));
    used += (size_t)__builtin_popcountll(A.bits[i]);
    before = f >> 63;
  }
  used -= A.count[0] * 64 - A.npages;  /* the padding past the end */
  size_t dirty = 0;
  for (size_t i = 0; i < A.count[0]; i++) {
    dirty += (size_t)__builtin_popcountll(A.dirty[i]);
    bad += (A.dirty[i] & A.bits[i]) != 0;  /* a retained page is free */
  }
  bad += dirty != A.retained;
  bad += used != A.in_use;
  bad += runs != A.runs;
  bad += A.committed < A.hwm || A.committed > align_up(A.hwm, ARENA_CHUNK_PAGES);
  rt_lock_release(&A.lock);
  return bad;
}
