/*
** expt.c: expanding an experiment into cells and trials (see expt.h).
*/
#define _GNU_SOURCE
#include "expt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== peers ========================================================== */

static const expt_peer peers[] = {
  {"go", "rtlab-peer-go", "make peers (needs golang-go from Debian)"},
  {"boehm", "rtlab-peer-boehm", "make peers (needs libgc-dev from Debian)"},
};
#define NPEERS ((int)(sizeof peers / sizeof peers[0]))

int expt_npeers(void) { return NPEERS; }
const expt_peer *expt_peer_at(int i) { return i >= 0 && i < NPEERS ? &peers[i] : NULL; }
const expt_peer *expt_peer_find(const char *name) {
  for (int i = 0; name && i < NPEERS; i++)
    if (strcmp(peers[i].name, name) == 0) return &peers[i];
  return NULL;
}

/* ==== keys and shards ================================================ */

uint64_t expt_hash(const char *s, uint64_t h) {
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ull;
  }
  return h;
}

bool expt_in_shard(int i, int shard, int nshards) {
  return nshards <= 1 || i % nshards == shard - 1;
}

/* ==== expansion ====================================================== */

/* Growable array of cells. */
typedef struct cellv {
  expt_cell *v;            /* cells */
  int n, cap;              /* used, allocated */
} cellv;

static int cell_push(cellv *cv, const expt *e, const char *const *vals, const char *peer) {
  if (cv->n == cv->cap) {
    int cap = cv->cap ? 2 * cv->cap : 64;
    expt_cell *nv = realloc(cv->v, (size_t)cap * sizeof *nv);
    if (!nv) return RT_ENOMEM;
    cv->v = nv;
    cv->cap = cap;
  }
  expt_cell *c = &cv->v[cv->n];
  memcpy(c->vals, vals, sizeof c->vals);
  c->peer = peer;
  /* id: workload, then each axis's value */
  size_t len = strlen(vals[0]) + 1;
  for (int a = 0; a < e->naxes; a++) {
    int si = set_index(e->axes[a].set);
    len += strlen(vals[si]) + 1;
  }
  c->id = malloc(len);
  if (!c->id) return RT_ENOMEM;
  strcpy(c->id, vals[0]);
  for (int a = 0; a < e->naxes; a++) {
    int si = set_index(e->axes[a].set);
    strcat(c->id, "|");
    strcat(c->id, vals[si]);
  }
  cv->n++;
  return RT_OK;
}

/* A trial's key hashes its cell id, which names the workload and the axes
** only.  An option list (runtime) fixed to a non-empty value, in `fixed`
** or by RTLAB_RUNTIME, enters the key too, so a sweep resumed with other
** runtime options runs its trials again; without one, keys stay what they
** were before option lists existed.  Other fixed settings (placement,
** topology, ...) never did enter keys and still do not. */
static uint64_t hash_fixed_options(const expt *e, uint64_t h) {
  for (int si = 0; si < set_count() && si < EXPT_MAXSET; si++) {
    const setting *s = set_at(si);
    bool axis = false;
    for (int a = 0; a < e->naxes; a++) axis |= e->axes[a].set == s;
    if (s->type != SET_OPTIONS || axis || !e->fixed[si] || !e->fixed[si][0]) continue;
    h = expt_hash("\n", h);
    h = expt_hash(s->key, h);
    h = expt_hash("=", h);
    h = expt_hash(e->fixed[si], h);
  }
  return h;
}

/* A cell whose collector cannot run over its allocator is a mistake in
** the experiment, found before any trial runs. */
static int cell_fits(const char *const *vals, char *err, size_t errlen) {
  char sub[512];
  const char *gc = vals[set_key_index("gc")], *alloc = vals[set_key_index("alloc")];
  if (rt_gc_check_alloc(gc, alloc, sub, sizeof sub) == RT_OK) return RT_OK;
  snprintf(err, errlen, "%s (drop such cells with where = function(c) ... end)", sub);
  return RT_EINVAL;
}

int expt_expand(const expt *e, bool (*peer_runs)(const char *peer, const char *workload),
                expt_plan *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  err[0] = 0;
  cellv cv = {0};
  const char *vals[EXPT_MAXSET];
  int idx[EXPT_MAXSET];
  int rc = RT_OK;
  int wi = set_key_index("workload");

  /* rtlab cells: workload-major, then an odometer over the axes with the
  ** last axis fastest. */
  for (int w = 0; w < e->nwork && rc == RT_OK; w++) {
    memset(idx, 0, sizeof idx);
    for (;;) {
      memcpy(vals, e->fixed, sizeof vals);
      vals[wi] = e->work[w];
      for (int a = 0; a < e->naxes; a++)
        vals[set_index(e->axes[a].set)] = e->axes[a].vals[idx[a]];
      bool keep = true;
      if (e->where) {
        err[0] = 0;
        keep = e->where(e->where_ctx, vals, err, errlen);
        if (err[0]) {
          rc = RT_EINVAL;
          break;
        }
      }
      if (keep && (rc = cell_fits(vals, err, errlen)) != RT_OK) break;
      if (keep && (rc = cell_push(&cv, e, vals, NULL)) != RT_OK) break;
      int a = e->naxes - 1;
      while (a >= 0 && ++idx[a] == e->axes[a].n) idx[a--] = 0;
      if (a < 0) break;
    }
  }

  /* Peer cells: one per peer x workload x procs value; module settings
  ** read "peer:NAME" and axes that do not apply to a peer read "-". */
  int pi = set_key_index("procs");
  const expt_axis *procs_axis = NULL;
  for (int a = 0; a < e->naxes; a++)
    if (e->axes[a].set == set_at(pi)) procs_axis = &e->axes[a];
  for (int p = 0; p < e->npeers && rc == RT_OK; p++) {
    char *label = NULL;
    if (p >= EXPT_MAXPEERS || asprintf(&label, "peer:%s", e->peers[p]) < 0) {
      rc = RT_ENOMEM;
      break;
    }
    out->peer_label[p] = label;
    for (int w = 0; w < e->nwork && rc == RT_OK; w++) {
      char wname[64];
      snprintf(wname, sizeof wname, "%.*s", (int)strcspn(e->work[w], ","), e->work[w]);
      if (peer_runs && !peer_runs(e->peers[p], wname)) continue;
      int np = procs_axis ? procs_axis->n : 1;
      for (int k = 0; k < np && rc == RT_OK; k++) {
        memcpy(vals, e->fixed, sizeof vals);
        for (int a = 0; a < e->naxes; a++) vals[set_index(e->axes[a].set)] = "-";
        for (int s = 0; s < set_count(); s++)
          if (set_at(s)->type == SET_MODULE) vals[s] = label;
        vals[wi] = e->work[w];
        if (procs_axis) vals[pi] = procs_axis->vals[k];
        rc = cell_push(&cv, e, vals, e->peers[p]);
      }
    }
  }
  if (rc != RT_OK) {
    if (rc == RT_ENOMEM && !err[0]) snprintf(err, errlen, "out of memory expanding cells");
    out->cells = cv.v;
    out->ncells = cv.n;
    expt_plan_free(out);
    return rc;
  }

  /* Trials: warm-ups first, then repetitions, each pass over every cell. */
  int passes = e->warmup + e->reps;
  out->cells = cv.v;
  out->ncells = cv.n;
  out->ntrials = passes * cv.n;
  out->trials = calloc((size_t)(out->ntrials ? out->ntrials : 1), sizeof *out->trials);
  if (!out->trials) {
    expt_plan_free(out);
    snprintf(err, errlen, "out of memory expanding %d trials", passes * cv.n);
    return RT_ENOMEM;
  }
  int t = 0;
  for (int pass = 0; pass < passes; pass++) {
    for (int c = 0; c < cv.n; c++, t++) {
      expt_trial *tr = &out->trials[t];
      tr->cell = c;
      tr->warmup = pass < e->warmup;
      tr->rep = tr->warmup ? pass : pass - e->warmup;
      char rep[32];
      snprintf(rep, sizeof rep, "\n%s%d", tr->warmup ? "w" : "", tr->rep);
      uint64_t h = expt_hash(e->name, EXPT_HASH_INIT);
      h = expt_hash("\n", h);
      h = expt_hash(cv.v[c].id, h);
      if (!cv.v[c].peer) h = hash_fixed_options(e, h);
      h = expt_hash(rep, h);
      snprintf(tr->key, sizeof tr->key, "%016llx", (unsigned long long)h);
    }
  }
  return RT_OK;
}

void expt_plan_free(expt_plan *p) {
  for (int c = 0; c < p->ncells; c++) free(p->cells[c].id);
  free(p->cells);
  free(p->trials);
  for (int i = 0; i < EXPT_MAXPEERS; i++) free(p->peer_label[i]);
  memset(p, 0, sizeof *p);
}

static void strv_free(char **v, int n) {
  for (int i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

void expt_free(expt *e) {
  free(e->name);
  free(e->file);
  strv_free(e->work, e->nwork);
  for (int a = 0; a < e->naxes; a++) strv_free(e->axes[a].vals, e->axes[a].n);
  strv_free(e->peers, e->npeers);
  for (int b = 0; b < e->nbase; b++) {
    free(e->base_key[b]);
    free(e->base_val[b]);
  }
  free(e->metric);
  free(e->sweep_axis);
  free(e->sweep_param);
  memset(e, 0, sizeof *e);
}
