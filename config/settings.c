/*
** settings.c: the table of trial settings and their one checker (see
** settings.h).  Adding a setting is a row here plus, when the runtime
** needs it, a field in rt_config.
*/
#define _GNU_SOURCE
#include "settings.h"

#include "json.h"
#include "workloads.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== module kinds =================================================== */

static void sched_info(const rt_sched_ops *o, mod_info *out) {
  *out = (mod_info){o->name, o->summary, o->params, o->nparams};
}

static bool sched_at(int i, mod_info *out) {
  const rt_sched_ops *o = rt_sched_at(i);
  if (o) sched_info(o, out);
  return o != NULL;
}

static int sched_resolve(const char *spec, mod_info *out, rt_pval *vals, char *err,
                         size_t errlen) {
  const rt_sched_ops *o;
  int rc = rt_sched_resolve(spec, &o, vals, err, errlen);
  if (rc == RT_OK && out) sched_info(o, out);
  return rc;
}

static void alloc_info(const rt_alloc_ops *o, mod_info *out) {
  *out = (mod_info){o->name, o->summary, o->params, o->nparams};
}

static bool alloc_at(int i, mod_info *out) {
  const rt_alloc_ops *o = rt_alloc_at(i);
  if (o) alloc_info(o, out);
  return o != NULL;
}

static int alloc_resolve(const char *spec, mod_info *out, rt_pval *vals, char *err,
                         size_t errlen) {
  const rt_alloc_ops *o;
  int rc = rt_alloc_resolve(spec, &o, vals, err, errlen);
  if (rc == RT_OK && out) alloc_info(o, out);
  return rc;
}

static void gc_info(const rt_gc_ops *o, mod_info *out) {
  *out = (mod_info){o->name, o->summary, o->params, o->nparams};
}

static bool gc_at(int i, mod_info *out) {
  const rt_gc_ops *o = rt_gc_at(i);
  if (o) gc_info(o, out);
  return o != NULL;
}

static int gc_resolve(const char *spec, mod_info *out, rt_pval *vals, char *err, size_t errlen) {
  const rt_gc_ops *o;
  int rc = rt_gc_resolve(spec, &o, vals, err, errlen);
  if (rc == RT_OK && out) gc_info(o, out);
  return rc;
}

static const set_kind kinds[] = {
  {"sched", "scheduler policies", rt_sched_count, sched_at, sched_resolve},
  {"alloc", "allocators", rt_alloc_count, alloc_at, alloc_resolve},
  {"gc", "collectors", rt_gc_count, gc_at, gc_resolve},
};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

int set_nkinds(void) { return NKINDS; }
const set_kind *set_kind_at(int i) { return i >= 0 && i < NKINDS ? &kinds[i] : NULL; }
const set_kind *set_kind_find(const char *name) {
  for (int i = 0; name && i < NKINDS; i++)
    if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
  return NULL;
}

/* ==== the settings table ============================================= */

static void ap_sched(rt_config *c, const char *v) { c->sched = v; }
static void ap_alloc(rt_config *c, const char *v) { c->alloc = v; }
static void ap_gc(rt_config *c, const char *v) { c->gc = v; }
static void ap_procs(rt_config *c, const char *v) { c->procs = atoi(v); }
static void ap_stack(rt_config *c, const char *v) { c->stack_size = (size_t)atol(v) * 1024; }
static void ap_placement(rt_config *c, const char *v) { c->placement = v; }
static void ap_topology(rt_config *c, const char *v) { c->topology = v; }
static void ap_runtime(rt_config *c, const char *v) { c->runtime = v; }

static int ck_topology(const char *v, char *err, size_t errlen) {
  char sub[900];
  if (rt_topo_plan(v, "none", 1, NULL, 0, NULL, sub, sizeof sub) >= 0) return RT_OK;
  snprintf(err, errlen, "topology: %s", sub);
  return RT_EINVAL;
}

static const set_options runtime_options = {rt_runtime_params, rt_runtime_resolve};

static const setting settings[] = {
  {"workload", SET_WORKLOAD, "NAME[,k=v...]", NULL, 0, 0, NULL, NULL, NULL,
   "what to run (rtlab list)", NULL, NULL},
  {"sched", SET_MODULE, "NAME[,k=v...]", "go", 0, 0, NULL, &kinds[0], NULL,
   "scheduler policy, or a path to a .so (default go)", NULL, ap_sched},
  {"alloc", SET_MODULE, "NAME[,k=v...]", "system", 0, 0, NULL, &kinds[1], NULL,
   "allocator behind rt_alloc, or a path to a .so (default system)", NULL, ap_alloc},
  {"gc", SET_MODULE, "NAME[,k=v...]", "none", 0, 0, NULL, &kinds[2], NULL,
   "collector of rt_alloc's objects, or a path to a .so (default none)", NULL, ap_gc},
  {"procs", SET_INT, "N", "1", 1, 1024, NULL, NULL, NULL, "number of Ps (default 1)", NULL,
   ap_procs},
  {"stack", SET_INT, "KiB", "64", 16, 1048576, NULL, NULL, NULL,
   "stack per G in KiB (default 64)", NULL, ap_stack},
  {"placement", SET_ENUM, "P", "none", 0, 0, "none|compact|scatter|numa", NULL, NULL,
   "where Ps run on the topology (default none)", NULL, ap_placement},
  {"topology", SET_STRING, "S", NULL, 0, 0, NULL, NULL, NULL,
   "synthetic hwloc topology, e.g. \"numa:2 core:2 pu:1\" (default: this machine)",
   ck_topology, ap_topology},
  {"runtime", SET_OPTIONS, "k=v[,k=v...]", NULL, 0, 0, NULL, NULL, &runtime_options,
   "the runtime's own options: preempt, time_slice_ms, max_ms, sysmon "
   "(default: each option's default)", NULL, ap_runtime},
};
#define NSETTINGS ((int)(sizeof settings / sizeof settings[0]))

int set_count(void) { return NSETTINGS; }
const setting *set_at(int i) { return i >= 0 && i < NSETTINGS ? &settings[i] : NULL; }
const setting *set_find(const char *key) {
  for (int i = 0; key && i < NSETTINGS; i++)
    if (strcmp(settings[i].key, key) == 0) return &settings[i];
  return NULL;
}

int set_index(const setting *s) { return (int)(s - settings); }
int set_key_index(const char *key) { return set_index(set_find(key)); }

/* ==== checking ======================================================= */

void set_allowed(const setting *s, char *buf, size_t len) {
  size_t n = 0;
  buf[0] = 0;
  switch (s->type) {
  case SET_INT: snprintf(buf, len, "an integer in [%ld, %ld]", s->min, s->max); return;
  case SET_ENUM: snprintf(buf, len, "%s", s->choices); return;
  case SET_STRING: snprintf(buf, len, "text"); return;
  case SET_OPTIONS: {  /* "k=v pairs of preempt=off|coop|signal, time_slice_ms=[1, ...], ..." */
    int np;
    const rt_param *ps = s->options->params(&np);
    n = (size_t)snprintf(buf, len, "k=v pairs of ");
    for (int i = 0; i < np && n < len; i++) {
      const rt_param *p = &ps[i];
      n += (size_t)snprintf(buf + n, len - n, "%s%s=", i ? ", " : "", p->name);
      if (n >= len) break;
      char *b = buf + n;
      size_t l = len - n;
      if (p->type == RT_PT_INT) n += (size_t)snprintf(b, l, "[%.0f, %.0f]", p->min, p->max);
      else if (p->type == RT_PT_DOUBLE) n += (size_t)snprintf(b, l, "[%g, %g]", p->min, p->max);
      else if (p->type == RT_PT_BOOL) n += (size_t)snprintf(b, l, "on|off");
      else n += (size_t)snprintf(b, l, "%s", p->choices);
    }
    if (np == 0 && n < len) snprintf(buf + n, len - n, "none");
    return;
  }
  case SET_WORKLOAD:
    for (int i = 0; i < wl_count() && n < len; i++)
      n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", wl_at(i)->name);
    return;
  case SET_MODULE: {
    mod_info m;
    for (int i = 0; s->kind->at(i, &m) && n < len; i++)
      n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", m.name);
    if (n < len) snprintf(buf + n, len - n, ", or a path to a .so");
    return;
  }
  }
}

static bool enum_has(const char *choices, const char *v) {
  size_t vl = strlen(v);
  for (const char *c = choices; c;) {
    const char *bar = strchr(c, '|');
    size_t cl = bar ? (size_t)(bar - c) : strlen(c);
    if (cl == vl && strncmp(c, v, vl) == 0) return true;
    c = bar ? bar + 1 : NULL;
  }
  return false;
}

int set_check(const setting *s, const char *val, char *err, size_t errlen) {
  char allowed[512];
  if (!val) val = "";
  switch (s->type) {
  case SET_WORKLOAD:
    return wl_resolve(val, NULL, NULL, err, errlen);
  case SET_MODULE: {
    rt_pval vals[RT_MAX_PARAMS];
    return s->kind->resolve(val, NULL, vals, err, errlen);
  }
  case SET_OPTIONS: {  /* "" is allowed: every option at its default */
    rt_pval vals[RT_MAX_PARAMS];
    return s->options->resolve(val, vals, err, errlen);
  }
  case SET_INT: {
    char *end;
    errno = 0;
    long x = *val ? strtol(val, &end, 10) : 0;
    if (*val && !*end && !errno && x >= s->min && x <= s->max) return RT_OK;
    break;
  }
  case SET_ENUM:
    if (enum_has(s->choices, val)) return RT_OK;
    break;
  case SET_STRING:
    if (*val) return s->check ? s->check(val, err, errlen) : RT_OK;
    break;
  }
  set_allowed(s, allowed, sizeof allowed);
  snprintf(err, errlen, "%s: %s '%s' (allowed: %s)", s->key,
           !*val ? "empty value" : s->type == SET_INT ? "bad value" : "unknown value", val,
           allowed);
  return RT_EINVAL;
}

int set_env_default(const setting *s, const char **out, char *err, size_t errlen) {
  char name[64];
  size_t i = 0;
  i += (size_t)snprintf(name, sizeof name, "RTLAB_");
  for (const char *k = s->key; *k && i + 1 < sizeof name; k++)
    name[i++] = (char)toupper((unsigned char)*k);
  name[i] = 0;
  const char *v = getenv(name);
  *out = s->def;
  if (!v) return RT_OK;
  char sub[900];
  int rc = set_check(s, v, sub, sizeof sub);
  if (rc != RT_OK) {
    snprintf(err, errlen, "%s: %s", name, sub);
    return rc;
  }
  *out = v;
  return RT_OK;
}

/* ==== JSON ========================================================== */

/* Writes vals as an object keyed by parameter name: numbers as numbers,
** enums as their choice, booleans as JSON booleans. */
void set_json_params(json_w *j, const rt_param *ps, int n, const rt_pval *vals) {
  json_obj(j);
  for (int i = 0; i < n; i++) {
    json_key(j, ps[i].name);
    switch (ps[i].type) {
    case RT_PT_INT: json_int(j, vals[i].i); break;
    case RT_PT_DOUBLE: json_num(j, vals[i].d); break;
    case RT_PT_BOOL: json_bool(j, vals[i].i != 0); break;
    case RT_PT_ENUM: {
      char buf[64];
      rt_param_format(&ps[i], vals[i], buf, sizeof buf);
      json_str(j, buf);
      break;
    }
    }
  }
  json_obj_end(j);
}

