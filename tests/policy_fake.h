/*
** policy_fake.h: a test bench for scheduler policies without the runtime.
** Fake Gs (rt_ghead first, as the contract requires), hand-made Ps and
** shared state, and the calls the framework makes: ready, pick (moving
** schedtick unless the G inherits), steal, runnable.  Every G remembers
** whether it is queued and how often it came out, so a test can check
** that each readied G comes out exactly once.  Included by the policy
** tests only; everything is static.
*/
#ifndef POLICY_FAKE_H
#define POLICY_FAKE_H

#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rt_module.h"

/* ==== fake Gs and Ps ================================================= */

typedef struct fg {
  rt_ghead h;                /* must be first: the policy's view */
  int idx;                   /* index in the test's array */
  _Atomic int queued;        /* 1 between ready and pick/steal */
  _Atomic int picked;        /* times it came out */
} fg;

#define MAXP 8

typedef struct world {
  const rt_sched_ops *ops;   /* policy under test */
  int n;                     /* Ps */
  rt_pval param[RT_MAX_PARAMS]; /* resolved parameters */
  rt_sp sp[MAXP];            /* the Ps */
  rt_sp *all[MAXP];          /* &sp[i] */
  void *shared;              /* shared state */
} world;

/* Ps with default parameters, not yet initialised. */
static inline world *world_new(const rt_sched_ops *ops, int n) {
  world *w = calloc(1, sizeof *w);
  w->ops = ops;
  w->n = n;
  rt_params_defaults(ops->params, ops->nparams, w->param);
  w->shared = calloc(1, ops->shared_size ? ops->shared_size : 1);
  for (int i = 0; i < n; i++) {
    rt_sp *p = &w->sp[i];
    w->all[i] = p;
    p->state = calloc(1, ops->state_size ? ops->state_size : 1);
    p->shared = w->shared;
    p->param = w->param;
    p->all = w->all;
    p->id = i;
    p->nprocs = n;
    p->rand = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) | 1;
  }
  return w;
}

static inline void world_set(world *w, const char *name, double v) {
  for (int i = 0; i < w->ops->nparams; i++)
    if (strcmp(w->ops->params[i].name, name) == 0) {
      if (w->ops->params[i].type == RT_PT_DOUBLE) w->param[i].d = v;
      else w->param[i].i = (int64_t)v;
      return;
    }
  CHECKF(0, "no parameter %s", name);
}

static inline int world_init(world *w) {
  for (int i = 0; i < w->n && w->ops->init; i++) {
    int rc = w->ops->init(&w->sp[i]);
    if (rc != RT_OK) return rc;
  }
  return RT_OK;
}

static inline world *world_start(const rt_sched_ops *ops, int n) {
  world *w = world_new(ops, n);
  CHECK_EQ(world_init(w), RT_OK);
  return w;
}

static inline void world_free(world *w) {
  for (int i = 0; i < w->n; i++) free(w->sp[i].state);
  free(w->shared);
  free(w);
}

static inline fg *gs_new(int n) {
  fg *g = calloc((size_t)n, sizeof *g);
  for (int i = 0; i < n; i++) {
    g[i].idx = i;
    g[i].h.id = (uint64_t)i + 100;
  }
  return g;
}

static inline void ready(world *w, int p, fg *g, rt_why why) {
  CHECKF(atomic_exchange(&g->queued, 1) == 0, "G %d readied while queued", g->idx);
  w->ops->ready(&w->sp[p], (rt_g *)g, why);
}

/* Records a G coming out of the policy. */
static inline fg *got(rt_g *x) {
  fg *g = (fg *)x;
  if (g) {
    CHECKF(atomic_exchange(&g->queued, 0) == 1, "G %d came out but was not queued", g->idx);
    atomic_fetch_add(&g->picked, 1);
  }
  return g;
}

/* pick on P p as the framework does it (schedtick moves unless inherit). */
static inline fg *pick(world *w, int p, bool *inherit) {
  bool inh = false;
  fg *g = got(w->ops->pick(&w->sp[p], &inh));
  if (g && !inh) w->sp[p].schedtick++;
  if (inherit) *inherit = inh;
  return g;
}

/* pick with a schedtick that is not a global_every multiple. */
static inline fg *pick_local(world *w, int p) {
  w->sp[p].schedtick = 1;
  return pick(w, p, NULL);
}

/* steal on P p; NULL for a policy without the op. */
static inline fg *steal(world *w, int p) {
  if (!w->ops->steal) return NULL;
  fg *g = got(w->ops->steal(&w->sp[p]));
  if (g) w->sp[p].schedtick++;
  return g;
}

/* Index of a G that came out, -1 for none. */
static inline int IDX(const fg *g) { return g ? g->idx : -1; }

/* ==== every G exactly once =========================================== */

static uint64_t rnd = 88172645463325252ull;
static inline uint32_t rnd_next(void) {
  rnd ^= rnd << 13; rnd ^= rnd >> 7; rnd ^= rnd << 17;
  return (uint32_t)(rnd >> 11);
}

/* Random ready/pick/steal on random Ps of w, single-threaded; a G that
** came out may be readied again (it ran and yielded, was woken...) up to
** 3 times.  Runs until every G came out as often as it was readied. */
static inline void once_case(world *w, int ng) {
  fg *g = gs_new(ng);
  int next = 0, *lives = calloc((size_t)ng, sizeof *lives);
  long readies = 0, outs = 0;
  static const rt_why whys[] = {RT_WHY_NEW, RT_WHY_WOKEN, RT_WHY_YIELD, RT_WHY_PREEMPT,
                                RT_WHY_POLL, RT_WHY_TIMER, RT_WHY_INJECT};
  while (next < ng || outs < readies) {
    int p = (int)(rnd_next() % (uint32_t)w->n), op = (int)(rnd_next() % 10);
    fg *x = NULL;
    if (op < 5 && next < ng) {
      ready(w, p, &g[next++], whys[rnd_next() % 7]);
      readies++;
      continue;
    }
    if (op < 8) x = pick(w, p, NULL);
    if (!x) x = steal(w, p);
    if (!x) continue;
    outs++;
    if (lives[x->idx] < 3 && rnd_next() % 2) {
      lives[x->idx]++;
      ready(w, p, x, whys[rnd_next() % 7]);
      readies++;
    }
  }
  for (int p = 0; p < w->n; p++) {
    CHECKF(!w->ops->runnable(&w->sp[p]), "P %d still runnable after the drain", p);
    CHECK(pick(w, p, NULL) == NULL);
  }
  for (int i = 0; i < ng; i++) {
    CHECKF(g[i].picked == 1 + lives[i], "G %d came out %d times, readied %d", i,
           g[i].picked, 1 + lives[i]);
    CHECK(g[i].queued == 0);
  }
  free(lives);
  free(g);
}

/* ==== an owner and a thief racing ==================================== */

typedef struct race {
  world *w;                  /* 2 Ps: 0 the owner's, 1 the thief's */
  fg *g;                     /* the Gs */
  int ng;                    /* how many */
  _Atomic int outs;          /* Gs that came out so far */
  _Atomic int started;       /* threads at the start line */
  long owner_outs, thief_outs, thief_steals; /* who got what */
} race;

static inline void race_out(race *r, fg *x, long *mine) {
  if (!x) return;
  (*mine)++;
  atomic_fetch_add(&r->outs, 1);
}

/* Both threads start together, or the first could finish alone. */
static inline void race_start(race *r) {
  atomic_fetch_add(&r->started, 1);
  while (atomic_load(&r->started) < 2) sched_yield();
}

static inline void *race_owner(void *arg) {
  race *r = arg;
  world *w = r->w;
  race_start(r);
  uint64_t s = 12345;
  for (int i = 0; i < r->ng; i++) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    rt_why why = (s >> 20) % 3 == 0 ? RT_WHY_NEW : (s >> 20) % 3 == 1 ? RT_WHY_INJECT : RT_WHY_WOKEN;
    if ((s >> 30) % 64 == 0) why = RT_WHY_YIELD;
    w->ops->ready(&w->sp[0], (rt_g *)&r->g[i], why);
    /* 0, 1 or 2 picks per ready: the queue does a random walk without
    ** drift, kicked up by a burst of readies now and then, so the thief
    ** meets it empty, full and in between */
    if (i % 2048 < 64) continue;
    for (int k = (int)((s >> 40) % 3); k > 0; k--) race_out(r, pick(w, 0, NULL), &r->owner_outs);
  }
  while (atomic_load(&r->outs) < r->ng) {
    fg *x = pick(w, 0, NULL);
    if (!x) sched_yield();
    race_out(r, x, &r->owner_outs);
  }
  return NULL;
}

static inline void *race_thief(void *arg) {
  race *r = arg;
  world *w = r->w;
  race_start(r);
  while (atomic_load(&r->outs) < r->ng) {
    fg *x = pick(w, 1, NULL);
    if (!x && (x = steal(w, 1)) != NULL) r->thief_steals++;
    race_out(r, x, &r->thief_outs);
  }
  return NULL;
}

/* One owner thread (P 0) readying ng Gs and picking, one thief (P 1)
** picking and stealing, at the same time; every G must come out once. */
static inline void race_run(world *w, int ng, const char *label) {
  race r = {0};
  r.w = w;
  r.g = gs_new(ng);
  r.ng = ng;
  for (int i = 0; i < ng; i++) r.g[i].queued = 1;  /* the owner calls ops->ready itself */
  pthread_t a, b;
  pthread_create(&a, NULL, race_owner, &r);
  pthread_create(&b, NULL, race_thief, &r);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  int bad = 0;
  for (int i = 0; i < ng; i++) bad += r.g[i].picked != 1;
  CHECKF(bad == 0, "%s: %d of %d Gs did not come out exactly once", label, bad, ng);
  CHECK_EQ(r.owner_outs + r.thief_outs, ng);
  CHECK(!w->ops->runnable(&w->sp[0]) && !w->ops->runnable(&w->sp[1]));
  fprintf(stderr, "race %s: owner %ld, thief %ld (%ld steals, %llu Gs stolen), spills %llu\n",
          label, r.owner_outs, r.thief_outs, r.thief_steals,
          (unsigned long long)w->sp[1].cnt[RT_CNT_STEALS],
          (unsigned long long)w->sp[0].cnt[RT_CNT_SPILLS]);
  free(r.g);
}

#endif
