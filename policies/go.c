/*
** go.c: Go's run queues as an rtlab scheduler policy (the reference is
** golang/go src/runtime/proc.go of Go 1.19: runqput, runqputslow, runqget,
** runqgrab, runqsteal, globrunqget, findRunnable, stealWork).
**
** Each P has a runnext slot and a ring of local_size Gs.  The ring is
** single-producer/multi-consumer and lock-free: only the owner writes
** slots and `tail`; the owner and thieves take from `head` with a CAS, so
** a consumer that loses the race simply tries again.  A G readied by the
** running G (new, woken) goes to runnext and inherits the time slice; the
** G it displaces goes to the ring.  A yielded or preempted G goes to the
** global queue (Go's Gosched/gopreempt_m), so a yield loop cannot starve
** the others.  A full ring moves its older half plus the new G to the
** global queue in one batch.  pick looks at the global queue first every
** global_every-th schedtick (fairness), then runnext, the ring, and a
** batch of the global queue.  A thief makes 4 rounds over the Ps in a
** random order and takes ceil(n * steal_fraction) of a victim's ring;
** only in the last round does it take a runnext, after ~3 us, since the
** owner is probably about to run it.
*/
#include <stdio.h>

#include "rt_module.h"

#define GO_MAXRING 4096   /* largest local_size: fixes state_size */
#define GO_ROUNDS 4       /* Go's stealTries */

enum { GO_LOCAL_SIZE, GO_GLOBAL_EVERY, GO_STEAL_FRACTION, GO_RUNNEXT };

static const rt_param go_params[] = {
  {"local_size", RT_PT_INT, 256, 2, GO_MAXRING, NULL,
   "slots in each P's local ring; a power of two"},
  {"global_every", RT_PT_INT, 61, 1, 1000000, NULL,
   "take one G from the global queue first every n-th schedtick"},
  {"steal_fraction", RT_PT_DOUBLE, 0.5, 0.01, 1, NULL,
   "share of a victim's ring a thief takes, rounded up"},
  {"runnext", RT_PT_BOOL, 1, 0, 1, NULL,
   "new and woken Gs wait in a runnext slot and inherit the time slice"},
};

/* The global queue is an rt_gqueue; go moves Gs in and out of it in
** batches (runqputslow, globrunqget), so it works on the fields itself. */
typedef rt_gqueue go_global;

typedef struct go_p {
  _Atomic uint32_t head;     /* next slot to take: CAS by owner and thieves */
  _Atomic uint32_t tail;     /* next slot to fill: written by the owner only */
  _Atomic(rt_g *) runnext;   /* next G to run, sharing the time slice */
  uint32_t mask;             /* local_size - 1, set by init */
  _Atomic(rt_g *) ring[GO_MAXRING]; /* slots; atomic because thieves may
                                    ** read one the owner is rewriting */
} go_p;

#define GO_P(p) ((go_p *)(p)->state)
#define GO_G(p) ((go_global *)(p)->shared)
#define ACQ memory_order_acquire
#define REL memory_order_release
#define RLX memory_order_relaxed

/* ==== global queue =================================================== */

/* With one P, only its owner ever calls the ops (no thief exists), so the
** global queue needs no lock: the same decisions at a lower cost.  Go
** locks sched.lock regardless. */
static inline void glob_lock(rt_sp *p, go_global *q) {
  if (p->nprocs > 1) rt_lock_acquire(&q->lock);
}
static inline void glob_unlock(rt_sp *p, go_global *q) {
  if (p->nprocs > 1) rt_lock_release(&q->lock);
}

/* Appends the chain first..last (n Gs, linked) at the tail. */
static void glob_put(rt_sp *p, rt_g *first, rt_g *last, int64_t n) {
  go_global *q = GO_G(p);
  *rt_g_link(last) = NULL;
  glob_lock(p, q);
  if (q->tail) *rt_g_link(q->tail) = first;
  else q->head = first;
  q->tail = last;
  atomic_store_explicit(&q->len, atomic_load_explicit(&q->len, RLX) + n, RLX);
  glob_unlock(p, q);
}

static void ring_put(rt_sp *p, rt_g *g);

/* Go's globrunqget: takes min(len/nprocs + 1, max, local_size/2) Gs (max
** 0: no cap), returns the first and puts the rest in p's ring. */
static rt_g *glob_get(rt_sp *p, int64_t max) {
  go_global *q = GO_G(p);
  if (atomic_load_explicit(&q->len, RLX) == 0) return NULL;
  glob_lock(p, q);
  int64_t len = atomic_load_explicit(&q->len, RLX);
  int64_t n = len / p->nprocs + 1;
  if (n > len) n = len;
  if (max > 0 && n > max) n = max;
  if (n > (int64_t)(GO_P(p)->mask + 1) / 2) n = (GO_P(p)->mask + 1) / 2;
  rt_g *first = q->head, *rest = NULL, *last = NULL;
  if (n > 0) {
    last = first;
    for (int64_t i = 1; i < n; i++) last = *rt_g_link(last);
    rest = *rt_g_link(first);
    q->head = *rt_g_link(last);
    if (!q->head) q->tail = NULL;
    atomic_store_explicit(&q->len, len - n, RLX);
  }
  glob_unlock(p, q);
  for (int64_t i = 1; i < n; i++) {  /* the ring is at most half full */
    rt_g *g = rest;
    rest = *rt_g_link(g);
    ring_put(p, g);
  }
  p->cnt[RT_CNT_GLOBAL] += (uint64_t)n;
  return n > 0 ? first : NULL;
}

/* ==== the local ring ================================================= */

/* Go's runqputslow: the ring (h..t) is full; move its older half and g to
** the global queue.  False when a thief moved head meanwhile. */
static bool ring_spill(rt_sp *p, rt_g *g, uint32_t h, uint32_t t) {
  go_p *s = GO_P(p);
  uint32_t n = (t - h) / 2;
  if (!atomic_compare_exchange_strong_explicit(&s->head, &h, h + n, memory_order_acq_rel, RLX))
    return false;
  /* Slots h..h+n are ours now; only this owner ever writes slots. */
  rt_g *first = atomic_load_explicit(&s->ring[h & s->mask], RLX), *last = first;
  for (uint32_t i = 1; i < n; i++) {
    rt_g *x = atomic_load_explicit(&s->ring[(h + i) & s->mask], RLX);
    *rt_g_link(last) = x;
    last = x;
  }
  *rt_g_link(last) = g;
  glob_put(p, first, g, n + 1);
  p->cnt[RT_CNT_SPILLS] += n + 1;
  return true;
}

/* Go's runqput without next: g to the ring's tail, spilling when full. */
static void ring_put(rt_sp *p, rt_g *g) {
  go_p *s = GO_P(p);
  for (;;) {
    uint32_t h = atomic_load_explicit(&s->head, ACQ);  /* sync with consumers */
    uint32_t t = atomic_load_explicit(&s->tail, RLX);  /* ours alone */
    if (t - h <= s->mask) {
      atomic_store_explicit(&s->ring[t & s->mask], g, RLX);
      atomic_store_explicit(&s->tail, t + 1, REL);  /* publish the slot */
      return;
    }
    if (ring_spill(p, g, h, t)) return;
  }
}

/* Go's runqget without runnext. */
static rt_g *ring_get(rt_sp *p) {
  go_p *s = GO_P(p);
  for (;;) {
    uint32_t h = atomic_load_explicit(&s->head, ACQ);
    uint32_t t = atomic_load_explicit(&s->tail, RLX);
    if (t == h) return NULL;
    rt_g *g = atomic_load_explicit(&s->ring[h & s->mask], RLX);
    if (atomic_compare_exchange_weak_explicit(&s->head, &h, h + 1, memory_order_acq_rel, RLX))
      return g;
  }
}

/* ==== ops ============================================================ */

static int go_check(const rt_pval *vals, char *err, size_t errlen) {
  int64_t size = vals[GO_LOCAL_SIZE].i;
  if (size >= 2 && size <= GO_MAXRING && (size & (size - 1)) == 0) return RT_OK;
  if (err && errlen)
    snprintf(err, errlen, "sched 'go': parameter 'local_size' must be a power of two "
             "in [2, %d], got %lld", GO_MAXRING, (long long)size);
  return RT_EINVAL;
}

static int go_init(rt_sp *p) {
  double frac = p->param[GO_STEAL_FRACTION].d;
  if (go_check(p->param, NULL, 0) != RT_OK) return RT_EINVAL;
  if (p->param[GO_GLOBAL_EVERY].i < 1 || !(frac > 0 && frac <= 1))
    return RT_EINVAL;
  GO_P(p)->mask = (uint32_t)p->param[GO_LOCAL_SIZE].i - 1;
  return RT_OK;  /* the zeroed global queue is a valid empty one */
}

static void go_ready(rt_sp *p, rt_g *g, rt_why why) {
  switch (why) {
  case RT_WHY_NEW: case RT_WHY_WOKEN:
    if (p->param[GO_RUNNEXT].i) {
      /* exchange: a thief may take the old runnext at the same moment */
      g = atomic_exchange_explicit(&GO_P(p)->runnext, g, memory_order_acq_rel);
      if (!g) return;
    }
    ring_put(p, g);  /* the displaced G goes to the tail */
    return;
  case RT_WHY_YIELD: case RT_WHY_PREEMPT:
    glob_put(p, g, g, 1);
    return;
  default:  /* poll, timer, inject */
    ring_put(p, g);
  }
}

static rt_g *go_pick(rt_sp *p, bool *inherit) {
  go_p *s = GO_P(p);
  rt_g *g;
  *inherit = false;
  if (p->schedtick % (uint64_t)p->param[GO_GLOBAL_EVERY].i == 0 &&
      (g = glob_get(p, 1)) != NULL)
    return g;  /* fairness: two Gs respawning each other cannot starve it */
  g = atomic_load_explicit(&s->runnext, RLX);
  if (g && atomic_compare_exchange_strong_explicit(&s->runnext, &g, NULL,
                                                   memory_order_acq_rel, RLX)) {
    *inherit = true;
    return g;
  }  /* a failed CAS means a thief took it: fall through to the ring */
  if ((g = ring_get(p)) != NULL) return g;
  return glob_get(p, 0);
}

/* Go's runqsteal/runqgrab: moves ceil(n * steal_fraction) of victim v's
** ring into thief t's ring (its tail) and returns the last of them; in the
** last round, with v's ring empty, takes v's runnext instead. */
static rt_g *go_grab(rt_sp *t, rt_sp *v, bool last) {
  go_p *ts = GO_P(t), *vs = GO_P(v);
  double frac = t->param[GO_STEAL_FRACTION].d;
  uint32_t t0 = atomic_load_explicit(&ts->tail, RLX);
  uint32_t room = ts->mask + 1 - (t0 - atomic_load_explicit(&ts->head, ACQ));
  uint32_t n;
  for (;;) {
    uint32_t h = atomic_load_explicit(&vs->head, ACQ);
    uint32_t tl = atomic_load_explicit(&vs->tail, ACQ);  /* sync with the producer */
    uint32_t avail = tl - h;
    if (avail > vs->mask + 1) continue;  /* h and tl from different moments */
    if (avail == 0) {
      rt_g *next = last ? atomic_load_explicit(&vs->runnext, RLX) : NULL;
      if (!next) return NULL;
      /* Go's usleep(3): the owner is probably about to run it.  Go sleeps
      ** only when the victim P is running; a policy cannot see that, and
      ** a P with a runnext is almost always running. */
      rt_nanosleep(3000);
      if (!atomic_compare_exchange_strong_explicit(&vs->runnext, &next, NULL,
                                                   memory_order_acq_rel, RLX))
        continue;
      t->cnt[RT_CNT_STEALS]++;
      return next;
    }
    double want = avail * frac;
    n = (uint32_t)want;
    if (n < want) n++;
    if (n > avail) n = avail;
    if (n > room) n = room;
    if (n == 0) return NULL;
    /* Copy before the CAS: once head moves, the owner may reuse the slots. */
    for (uint32_t i = 0; i < n; i++)
      atomic_store_explicit(&ts->ring[(t0 + i) & ts->mask],
                            atomic_load_explicit(&vs->ring[(h + i) & vs->mask], RLX), RLX);
    if (atomic_compare_exchange_strong_explicit(&vs->head, &h, h + n, memory_order_acq_rel, RLX))
      break;
  }
  t->cnt[RT_CNT_STEALS] += n;
  rt_g *g = atomic_load_explicit(&ts->ring[(t0 + n - 1) & ts->mask], RLX);
  if (n > 1) atomic_store_explicit(&ts->tail, t0 + n - 1, REL);
  return g;
}

static uint32_t go_gcd(uint32_t a, uint32_t b) {
  while (b) { uint32_t r = a % b; a = b; b = r; }
  return a;
}

/* Go's stealWork: GO_ROUNDS rounds over every P in a random order (a
** random start and a random stride coprime with nprocs, Go's randomOrder). */
static rt_g *go_steal(rt_sp *t) {
  rt_g *g = glob_get(t, 0);  /* it may have filled since pick looked */
  if (g) return g;
  uint32_t n = (uint32_t)t->nprocs;
  for (int round = 0; round < GO_ROUNDS; round++) {
    uint32_t pos = rt_rand(t) % n, stride;
    do stride = rt_rand(t) % n + 1; while (go_gcd(stride, n) != 1);
    for (uint32_t i = 0; i < n; i++, pos = (pos + stride) % n) {
      rt_sp *v = t->all[pos];
      if (v != t && (g = go_grab(t, v, round == GO_ROUNDS - 1)) != NULL) return g;
    }
  }
  return NULL;
}

static bool go_runnable(const rt_sp *p) {
  go_p *s = GO_P(p);
  uint32_t h = atomic_load_explicit(&s->head, ACQ);  /* head first: then h <= t */
  return atomic_load_explicit(&s->tail, ACQ) != h ||
         atomic_load_explicit(&s->runnext, RLX) != NULL ||
         atomic_load_explicit(&GO_G(p)->len, RLX) > 0;
}

static const rt_sched_ops go_ops = {
  .abi = RT_ABI_VERSION,
  .name = "go",
  .summary = "Go 1.19: runnext + local ring, global queue every 61st tick, steal half",
  .params = go_params,
  .nparams = (int)(sizeof go_params / sizeof go_params[0]),
  .state_size = sizeof(go_p),
  .shared_size = sizeof(go_global),
  .init = go_init,
  .ready = go_ready,
  .pick = go_pick,
  .steal = go_steal,
  .runnable = go_runnable,
  .check = go_check,
};

const rt_sched_ops *rt_sched_go(void) { return &go_ops; }
