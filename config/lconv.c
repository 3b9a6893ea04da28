/*
** lconv.c: checking what scripts hand the rtlab module: Lua values become
** setting strings through the settings table's own checks (settings.h),
** tables become experiments (expt.h), and every error names the file and
** the line the offending field is written on (srcmap.h).
*/
#define _GNU_SOURCE
#include "lconf_int.h"

#include "expt.h"
#include "workloads.h"

#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONV_MAXDEPTH 16   /* path steps kept for line lookup */

/* ==== conversion with paths ========================================== */

/* Where a value being checked sits, for messages. */
typedef struct conv {
  lua_State *L;            /* the state */
  lconf *lc;               /* its lconf */
  const char *fn;          /* "experiment" or "runtime": the call */
  const char *src;         /* the calling chunk's short name */
  int line;                /* the call's line */
  bool mapped;             /* the call is in lc->file (srcmap applies) */
  srcmap_key path[CONV_MAXDEPTH];  /* keys from the call's table down */
  int depth;               /* used entries of path */
} conv;

static void conv_push(conv *c, const char *name, int index) {
  if (c->depth < CONV_MAXDEPTH) c->path[c->depth] = (srcmap_key){name, index};
  c->depth++;
}
static void conv_pop(conv *c) { c->depth--; }

/* Raises "FILE:LINE: message" as a config error (no traceback). */
static _Noreturn void conv_fail(conv *c, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int line = c->line;
  if (c->mapped) {
    int d = c->depth < CONV_MAXDEPTH ? c->depth : CONV_MAXDEPTH;
    line = srcmap_line(c->lc->map, c->fn, c->line, c->path, d);
  }
  lua_newtable(c->L);
  if (line > 0) lua_pushfstring(c->L, "%s:%d: %s", c->src, line, msg);
  else lua_pushfstring(c->L, "%s: %s", c->src, msg);
  lua_setfield(c->L, -2, "rtlab_error");
  lua_error(c->L);
  abort(); /* not reached */
}

/* A Lua scalar as a parameter value: integers plainly, booleans on/off. */
bool lconv_scalar(lua_State *L, int idx, char *buf, size_t len) {
  switch (lua_type(L, idx)) {
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) {
      snprintf(buf, len, "%lld", (long long)lua_tointeger(L, idx));
    } else {
      double d = lua_tonumber(L, idx);
      if (d == floor(d) && fabs(d) < 1e15) snprintf(buf, len, "%.0f", d);
      else snprintf(buf, len, "%.17g", d);
    }
    return true;
  case LUA_TBOOLEAN: snprintf(buf, len, "%s", lua_toboolean(L, idx) ? "on" : "off"); return true;
  case LUA_TSTRING: snprintf(buf, len, "%s", lua_tostring(L, idx)); return true;
  default: return false;
  }
}

/* The parameter table of a module or workload spec's name part. */
static bool spec_params(const setting *s, const char *name, const rt_param **ps, int *n) {
  if (s->type == SET_WORKLOAD) {
    const wl_desc *w = wl_find(name);
    if (!w) return false;
    *ps = w->params, *n = w->nparams;
    return true;
  }
  mod_info m;
  rt_pval vals[RT_MAX_PARAMS];
  char err[256];
  if (s->kind->resolve(name, &m, vals, err, sizeof err) != RT_OK) return false;
  *ps = m.params, *n = m.nparams;
  return true;
}

/* An option list written as a table, { preempt = "signal", time_slice_ms
** = 5 }, as a checked "k=v,..." string (malloc'd) in declaration order.
** Each pair is checked alone first, so an error names its own line. */
static char *conv_options(conv *c, int idx, const setting *s) {
  lua_State *L = c->L;
  char err[1024], buf[4096];
  int np;
  const rt_param *ps = s->options->params(&np);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      if (lua_isinteger(L, -2)) conv_push(c, NULL, (int)lua_tointeger(L, -2));
      conv_fail(c, "%s: a table value holds only key = value pairs, e.g. { %s = ... }", s->key,
                np ? ps[0].name : "k");
    }
    const char *k = lua_tostring(L, -2);
    conv_push(c, k, 0);
    char v[512];
    if (!lconv_scalar(L, -1, v, sizeof v))
      conv_fail(c, "%s: option '%s' wants a number, boolean or string, got a %s", s->key, k,
                luaL_typename(L, -1));
    snprintf(buf, sizeof buf, "%s=%s", k, v);
    if (set_check(s, buf, err, sizeof err) != RT_OK) conv_fail(c, "%s", err);
    conv_pop(c);
    lua_pop(L, 1);
  }
  size_t n = 0;
  buf[0] = 0;
  for (int i = 0; i < np && n < sizeof buf; i++) {
    lua_getfield(L, idx, ps[i].name);
    char v[512];
    if (lconv_scalar(L, -1, v, sizeof v))
      n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s=%s", n ? "," : "", ps[i].name, v);
    lua_pop(L, 1);
  }
  if (set_check(s, buf, err, sizeof err) != RT_OK) conv_fail(c, "%s", err);
  return strdup(buf);
}

/* The value at idx as a checked string for setting s (malloc'd).  Module
** and workload values may be "name,k=v" or { "name", k = v, ... }; each
** pair of a table is checked on its own, so an error names its line. */
static char *conv_value(conv *c, int idx, const setting *s) {
  lua_State *L = c->L;
  char err[1024], buf[4096];
  idx = lua_absindex(L, idx);
  bool spec = s->type == SET_MODULE || s->type == SET_WORKLOAD;
  if (spec && lua_istable(L, idx)) {
    lua_rawgeti(L, idx, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      conv_fail(c, "%s: a table value starts with the %s name, e.g. { \"%s\", k = v }",
                s->key, s->type == SET_WORKLOAD ? "workload" : "module",
                s->type == SET_WORKLOAD ? "yield" : "go");
    }
    const char *name = lua_tostring(L, -1);
    conv_push(c, NULL, 1);
    if (set_check(s, name, err, sizeof err) != RT_OK) conv_fail(c, "%s", err);
    conv_pop(c);
    const rt_param *ps;
    int np;
    if (!spec_params(s, name, &ps, &np)) conv_fail(c, "%s: cannot resolve '%s'", s->key, name);
    /* Check every pair alone, in table order. */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      if (lua_type(L, -2) != LUA_TSTRING) {
        if (lua_isinteger(L, -2) && lua_tointeger(L, -2) == 1) {
          lua_pop(L, 1);
          continue;
        }
        conv_push(c, NULL, (int)lua_tointeger(L, -2));
        conv_fail(c, "%s '%s': after the name, only key = value pairs are allowed", s->key,
                  name);
      }
      const char *k = lua_tostring(L, -2);
      conv_push(c, k, 0);
      char v[512];
      if (!lconv_scalar(L, -1, v, sizeof v))
        conv_fail(c, "%s '%s': parameter '%s' wants a number, boolean or string, got a %s",
                  s->key, name, k, luaL_typename(L, -1));
      snprintf(buf, sizeof buf, "%s,%s=%s", name, k, v);
      if (set_check(s, buf, err, sizeof err) != RT_OK) conv_fail(c, "%s", err);
      conv_pop(c);
      lua_pop(L, 1);
    }
    /* Canonical form: the pairs in declaration order. */
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s", name);
    for (int i = 0; i < np && n < sizeof buf; i++) {
      lua_getfield(L, idx, ps[i].name);
      char v[512];
      if (lconv_scalar(L, -1, v, sizeof v))
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",%s=%s", ps[i].name, v);
      lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the name */
    if (set_check(s, buf, err, sizeof err) != RT_OK) conv_fail(c, "%s", err);
    return strdup(buf);
  }
  if (s->type == SET_OPTIONS && lua_istable(L, idx)) return conv_options(c, idx, s);
  if (lua_type(L, idx) == LUA_TNUMBER && s->type == SET_INT && !lua_isinteger(L, idx) &&
      lua_tonumber(L, idx) != floor(lua_tonumber(L, idx))) {
    set_allowed(s, err, sizeof err);
    conv_fail(c, "%s: bad value %g (allowed: %s)", s->key, lua_tonumber(L, idx), err);
  }
  bool opts = s->type == SET_OPTIONS;
  if (lua_type(L, idx) != LUA_TSTRING && (lua_type(L, idx) != LUA_TNUMBER || opts)) {
    set_allowed(s, err, sizeof err);
    conv_fail(c, "%s: wants %s, got a %s (allowed: %s)", s->key,
              s->type == SET_INT ? "an integer"
              : spec             ? "a string or { name, k = v }"
              : opts             ? "a string \"k=v,...\" or { k = v, ... }"
                                 : "a string",
              luaL_typename(L, idx), err);
  }
  lconv_scalar(L, idx, buf, sizeof buf);
  if (set_check(s, buf, err, sizeof err) != RT_OK) conv_fail(c, "%s", err);
  return strdup(buf);
}

/* The list of setting keys that `what` accepts, for messages. */
static void setting_keys(char *buf, size_t len, bool with_workload) {
  size_t n = 0;
  buf[0] = 0;
  for (int i = 0; i < set_count() && n < len; i++) {
    if (!with_workload && set_at(i)->type == SET_WORKLOAD) continue;
    n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", set_at(i)->key);
  }
}

static const setting *conv_setting(conv *c, const char *key, bool with_workload) {
  const setting *s = set_find(key);
  if (!s || (!with_workload && s->type == SET_WORKLOAD)) {
    char keys[512];
    setting_keys(keys, sizeof keys, with_workload);
    conv_push(c, key, 0);
    conv_fail(c, "unknown setting '%s' (allowed: %s)", key, keys);
  }
  return s;
}

/* ==== rtlab.experiment =============================================== */

static const char *const expt_keys[] = {
  "name", "workloads", "matrix", "fixed", "reps", "warmup", "timeout", "peers",
  "baseline", "metric", "lower_is_better", "where", NULL,
};

/* Metrics every trial line has; workloads may add their own dotted ones. */
static const char *const metrics[] = {
  "ns_per_op", "wall_ns", "user_ns", "sys_ns", "maxrss_kb", "ops", NULL,
};

/* An integer field in [lo, hi], or def when absent. */
static long conv_int(conv *c, int t, const char *key, long lo, long hi, long def) {
  lua_getfield(c->L, t, key);
  long v = def;
  if (!lua_isnil(c->L, -1)) {
    conv_push(c, key, 0);
    if (!lua_isinteger(c->L, -1) || lua_tointeger(c->L, -1) < lo || lua_tointeger(c->L, -1) > hi)
      conv_fail(c, "%s: wants an integer in [%ld, %ld], got %s", key, lo, hi,
                luaL_tolstring(c->L, -1, NULL));
    v = (long)lua_tointeger(c->L, -1);
    conv_pop(c);
  }
  lua_pop(c->L, 1);
  return v;
}

/* A string field, or NULL when absent. */
static const char *conv_str(conv *c, int t, const char *key) {
  lua_getfield(c->L, t, key);
  const char *s = NULL;
  if (!lua_isnil(c->L, -1)) {
    conv_push(c, key, 0);
    if (lua_type(c->L, -1) != LUA_TSTRING)
      conv_fail(c, "%s: wants a string, got a %s", key, luaL_typename(c->L, -1));
    s = lua_tostring(c->L, -1);
    conv_pop(c);
  }
  lua_pop(c->L, 1);  /* the string stays alive: it is in the table */
  return s;
}

/* Array field `key` of table t: pushes it (nil when absent) and returns
** its length. */
static int conv_list(conv *c, int t, const char *key, bool required) {
  lua_getfield(c->L, t, key);
  if (lua_isnil(c->L, -1)) {
    if (required) conv_fail(c, "%s: missing (a list is required)", key);
    return 0;
  }
  conv_push(c, key, 0);
  if (!lua_istable(c->L, -1))
    conv_fail(c, "%s: wants a list, got a %s", key, luaL_typename(c->L, -1));
  int n = (int)lua_rawlen(c->L, -1);
  if (required && n == 0) conv_fail(c, "%s: the list is empty", key);
  conv_pop(c);
  return n;
}

/* The matrix: key -> list of values, checked per setting. */
static void conv_matrix(conv *c, int t, lexpt *x) {
  lua_State *L = c->L;
  expt *e = &x->e;
  lua_getfield(L, t, "matrix");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  conv_push(c, "matrix", 0);
  if (!lua_istable(L, -1)) conv_fail(c, "wants a table of axes, got a %s", luaL_typename(L, -1));
  int m = lua_gettop(L);
  /* Axes in the settings table's order, whatever Lua's order. */
  for (int si = 0; si < set_count(); si++) {
    const setting *s = set_at(si);
    if (s->type == SET_WORKLOAD) continue;
    lua_getfield(L, m, s->key);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    conv_push(c, s->key, 0);
    /* An option list's first option, for examples in messages. */
    int nopt = 0;
    const rt_param *opt = s->type == SET_OPTIONS ? s->options->params(&nopt) : NULL;
    const char *o1 = opt && nopt ? opt[0].name : "k";
    if (!lua_istable(L, -1)) {
      if (opt)
        conv_fail(c, "an axis is a list of values, e.g. %s = { { %s = ... }, \"%s=...\" }",
                  s->key, o1, o1);
      conv_fail(c, "an axis is a list of values, e.g. %s = { %s }", s->key,
                s->type == SET_INT ? "1, 2" : "\"a\", \"b\"");
    }
    int a = lua_gettop(L);
    int n = (int)lua_rawlen(L, a);
    lua_pushnil(L);
    while (lua_next(L, a)) {  /* named keys: only `sweep`, from rtlab.sweep */
      if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "sweep") != 0) {
        conv_push(c, lua_tostring(L, -2), 0);
        if (opt)
          conv_fail(c, "a list of values cannot hold key '%s'; options are one value: "
                    "%s = { { %s = ... } }", lua_tostring(L, -2), s->key, lua_tostring(L, -2));
        conv_fail(c, "a list of values cannot hold key '%s'; a module with parameters "
                  "is one value: %s = { { \"NAME\", %s = ... } }",
                  lua_tostring(L, -2), s->key, lua_tostring(L, -2));
      }
      lua_pop(L, 1);
    }
    if (n == 0) conv_fail(c, "the axis is empty");
    expt_axis *ax = &e->axes[e->naxes++];
    ax->set = s;
    ax->vals = calloc((size_t)n, sizeof *ax->vals);
    if (!ax->vals) conv_fail(c, "out of memory");
    for (int i = 1; i <= n; i++) {
      lua_rawgeti(L, a, i);
      conv_push(c, NULL, i);
      char *v = conv_value(c, -1, s);
      for (int k = 0; k < ax->n; k++)
        if (strcmp(ax->vals[k], v) == 0) {
          free(v);
          conv_fail(c, "%s: '%s' appears twice in the axis", s->key, ax->vals[k]);
        }
      ax->vals[ax->n++] = v;
      conv_pop(c);
      lua_pop(L, 1);
    }
    lua_getfield(L, a, "sweep");
    if (lua_type(L, -1) == LUA_TSTRING && !e->sweep_axis) {
      e->sweep_axis = strdup(s->key);
      e->sweep_param = strdup(lua_tostring(L, -1));
    }
    lua_pop(L, 2);
    conv_pop(c);
  }
  lua_pushnil(L);  /* any key left over is not a setting */
  while (lua_next(L, m)) {
    if (lua_type(L, -2) != LUA_TSTRING) conv_fail(c, "axes are named, e.g. procs = { 1, 2 }");
    conv_setting(c, lua_tostring(L, -2), false);
    lua_pop(L, 1);
  }
  conv_pop(c);
  lua_pop(L, 1);
}

/* fixed = { key = value }: the same value for every trial. */
static void conv_fixed(conv *c, int t, lexpt *x, char **owned) {
  lua_State *L = c->L;
  lua_getfield(L, t, "fixed");
  if (!lua_isnil(L, -1)) {
    conv_push(c, "fixed", 0);
    if (!lua_istable(L, -1)) conv_fail(c, "wants a table of settings");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_type(L, -2) != LUA_TSTRING) conv_fail(c, "settings are named, e.g. procs = 2");
      const setting *s = conv_setting(c, lua_tostring(L, -2), false);
      conv_push(c, s->key, 0);
      int si = set_index(s);
      for (int a = 0; a < x->e.naxes; a++)
        if (x->e.axes[a].set == s) conv_fail(c, "%s is both fixed and an axis of the matrix", s->key);
      free(owned[si]);
      owned[si] = conv_value(c, -1, s);
      x->e.fixed[si] = owned[si];
      conv_pop(c);
      lua_pop(L, 1);
    }
    conv_pop(c);
  }
  lua_pop(L, 1);
}

/* baseline = { axis = value }: the cells ratios are taken against. */
static void conv_baseline(conv *c, int t, lexpt *x) {
  lua_State *L = c->L;
  expt *e = &x->e;
  lua_getfield(L, t, "baseline");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  conv_push(c, "baseline", 0);
  if (!lua_istable(L, -1)) conv_fail(c, "wants a table such as { sched = \"go\" }");
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) != LUA_TSTRING) conv_fail(c, "baseline keys are axis names");
    const char *key = lua_tostring(L, -2);
    const setting *s = conv_setting(c, key, false);
    conv_push(c, key, 0);
    const expt_axis *ax = NULL;
    char axes[256] = "";
    size_t n = 0;
    for (int a = 0; a < e->naxes; a++) {
      if (e->axes[a].set == s) ax = &e->axes[a];
      n += (size_t)snprintf(axes + n, sizeof axes - n, "%s%s", a ? ", " : "",
                            e->axes[a].set->key);
    }
    if (!ax) conv_fail(c, "%s is not an axis of the matrix (axes: %s)", key, n ? axes : "none");
    char *v = NULL;
    if (s->type == SET_MODULE && lua_type(L, -1) == LUA_TSTRING &&
        strncmp(lua_tostring(L, -1), "peer:", 5) == 0) {
      const char *pname = lua_tostring(L, -1) + 5;
      bool listed = false;
      for (int p = 0; p < e->npeers; p++) listed |= strcmp(e->peers[p], pname) == 0;
      if (!listed) conv_fail(c, "baseline peer '%s' is not in peers", pname);
      v = strdup(lua_tostring(L, -1));
    } else {
      v = conv_value(c, -1, s);
      bool found = false;
      char vals[1024] = "";
      size_t k = 0;
      for (int i = 0; i < ax->n; i++) {
        found |= strcmp(ax->vals[i], v) == 0;
        k += (size_t)snprintf(vals + k, sizeof vals - k, "%s%s", i ? ", " : "", ax->vals[i]);
      }
      if (!found) {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", v);
        free(v);
        conv_fail(c, "'%s' is not a value of the %s axis (values: %s)", copy, key, vals);
      }
    }
    if (e->nbase < EXPT_MAXSET) {
      e->base_key[e->nbase] = strdup(key);
      e->base_val[e->nbase++] = v;
    } else {
      free(v);
    }
    conv_pop(c);
    lua_pop(L, 1);
  }
  conv_pop(c);
  lua_pop(L, 1);
}

/* The where callback: the cell's settings as a table for the function. */
static bool lexpt_where(void *ctx, const char *const *vals, char *err, size_t errlen) {
  lexpt *x = ctx;
  lua_State *L = x->lc->L;
  lua_pushcfunction(L, lconf_msgh);
  lua_rawgeti(L, LUA_REGISTRYINDEX, x->where_ref);
  lua_newtable(L);
  for (int i = 0; i < set_count(); i++) {
    const setting *s = set_at(i);
    if (!vals[i]) continue;
    if (s->type == SET_INT) lua_pushinteger(L, atol(vals[i]));
    else lua_pushstring(L, vals[i]);
    lua_setfield(L, -2, s->key);
    if (s->type == SET_MODULE || s->type == SET_WORKLOAD) {  /* name alone */
      lua_pushlstring(L, vals[i], strcspn(vals[i], ","));
      char k[64];
      snprintf(k, sizeof k, "%s_name", s->key);
      lua_setfield(L, -2, k);
    }
  }
  if (lua_pcall(L, 1, 1, -3) != LUA_OK) {
    snprintf(err, errlen, "where: %s", lua_tostring(L, -1));
    lua_pop(L, 2);
    return false;
  }
  bool keep = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return keep;
}

int lconv_gc(lua_State *L) {
  lexpt *x = luaL_checkudata(L, 1, LCONF_EXPT);
  for (int i = 0; i < EXPT_MAXSET; i++) free((void *)x->e.fixed[i]);
  expt_free(&x->e);
  return 0;
}

/* Fills c's call site from the caller of the running C function. */
static void conv_init(conv *c, lua_State *L, const char *fn) {
  lconf *lc = lua_touserdata(L, lua_upvalueindex(1));
  *c = (conv){L, lc, fn, lc->file ? lc->file : "?", 0, false, {{0}}, 0};
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
    c->line = ar.currentline;
    lua_pushstring(L, ar.short_src);  /* kept on the stack for the call */
    c->src = lua_tostring(L, -1);
    c->mapped = lc->file && ar.source[0] == '@' && strcmp(ar.source + 1, lc->file) == 0;
  }
}

int lconv_experiment(lua_State *L) {
  conv c;
  luaL_checktype(L, 1, LUA_TTABLE);
  conv_init(&c, L, "experiment");
  lexpt *x = lua_newuserdatauv(L, sizeof *x, 0);
  memset(x, 0, sizeof *x);
  x->lc = c.lc;
  x->where_ref = LUA_NOREF;
  luaL_setmetatable(L, LCONF_EXPT);
  int ud = lua_gettop(L);
  expt *e = &x->e;
  char **owned = (char **)x->e.fixed;  /* fixed values are owned by x */

  /* Unknown keys first: a typo in a key must not pass silently. */
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    int i = 0;
    while (k && expt_keys[i] && strcmp(expt_keys[i], k) != 0) i++;
    if (!k || !expt_keys[i]) {
      char keys[512];
      size_t n = 0;
      for (int j = 0; expt_keys[j]; j++)
        n += (size_t)snprintf(keys + n, sizeof keys - n, "%s%s", j ? ", " : "", expt_keys[j]);
      if (k) conv_push(&c, k, 0);
      conv_fail(&c, "rtlab.experiment: unknown key '%s' (allowed: %s)",
                k ? k : luaL_tolstring(L, -2, NULL), keys);
    }
    lua_pop(L, 1);
  }

  const char *name = conv_str(&c, 1, "name");
  if (name) {
    for (const char *p = name; *p; p++)
      if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p)) {
        conv_push(&c, "name", 0);
        conv_fail(&c, "name: '%s' has a '%c' (allowed: letters, digits, '_', '.', '-')", name,
                  *p);
      }
  }
  e->name = strdup(name ? name : "experiment");
  e->file = strdup(c.src);

  int nw = conv_list(&c, 1, "workloads", true);
  e->work = calloc((size_t)nw, sizeof *e->work);
  const setting *ws = set_find("workload");
  for (int i = 1; i <= nw; i++) {
    lua_rawgeti(L, -1, i);
    conv_push(&c, "workloads", 0);
    conv_push(&c, NULL, i);
    e->work[e->nwork++] = conv_value(&c, -1, ws);
    conv_pop(&c);
    conv_pop(&c);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);

  conv_matrix(&c, 1, x);
  conv_fixed(&c, 1, x, owned);
  /* Settings neither fixed nor on an axis: RTLAB_* or the default. */
  for (int si = 0; si < set_count(); si++) {
    const setting *s = set_at(si);
    bool axis = false;
    for (int a = 0; a < e->naxes; a++) axis |= e->axes[a].set == s;
    if (axis || e->fixed[si] || s->type == SET_WORKLOAD) continue;
    const char *v;
    char err[1024];
    if (set_env_default(s, &v, err, sizeof err) != RT_OK) conv_fail(&c, "%s", err);
    if (v) e->fixed[si] = owned[si] = strdup(v);
  }

  e->reps = (int)conv_int(&c, 1, "reps", 1, 100000, 5);
  e->warmup = (int)conv_int(&c, 1, "warmup", 0, 1000, 0);
  lua_getfield(L, 1, "timeout");
  e->timeout = 60;
  if (!lua_isnil(L, -1)) {
    conv_push(&c, "timeout", 0);
    if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) <= 0 || lua_tonumber(L, -1) > 86400 * 7)
      conv_fail(&c, "timeout: wants seconds per trial, a number in (0, 604800]");
    e->timeout = lua_tonumber(L, -1);
    conv_pop(&c);
  }
  lua_pop(L, 1);

  int np = conv_list(&c, 1, "peers", false);
  if (np > EXPT_MAXPEERS) conv_fail(&c, "peers: at most %d", EXPT_MAXPEERS);
  e->peers = calloc((size_t)(np ? np : 1), sizeof *e->peers);
  for (int i = 1; i <= np; i++) {
    lua_rawgeti(L, -1, i);
    conv_push(&c, "peers", 0);
    conv_push(&c, NULL, i);
    const char *p = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING || !expt_peer_find(p)) {
      char names[256] = "";
      size_t n = 0;
      for (int k = 0; k < expt_npeers(); k++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", k ? ", " : "",
                              expt_peer_at(k)->name);
      conv_fail(&c, "unknown peer '%s' (allowed: %s)", luaL_tolstring(L, -1, NULL), names);
    }
    e->peers[e->npeers++] = strdup(p);
    conv_pop(&c);
    conv_pop(&c);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  /* Peer rows sit in the sched column: make sched an axis if it is not. */
  const setting *ss = set_find("sched");
  bool has_sched = false;
  for (int a = 0; a < e->naxes; a++) has_sched |= e->axes[a].set == ss;
  if (e->npeers && !has_sched && e->naxes < EXPT_MAXSET) {
    int si = set_index(ss);
    memmove(&e->axes[1], &e->axes[0], (size_t)e->naxes * sizeof e->axes[0]);  /* sched first */
    e->naxes++;
    e->axes[0] = (expt_axis){ss, 1, calloc(1, sizeof(char *))};
    e->axes[0].vals[0] = strdup(e->fixed[si] ? e->fixed[si] : "go");
  }

  conv_baseline(&c, 1, x);
  if (e->nbase == 0) {  /* default: the first value of the first module axis */
    for (int a = 0; a < e->naxes && !e->nbase; a++)
      if (e->axes[a].set->type == SET_MODULE) {
        e->base_key[0] = strdup(e->axes[a].set->key);
        e->base_val[0] = strdup(e->axes[a].vals[0]);
        e->nbase = 1;
      }
  }

  const char *metric = conv_str(&c, 1, "metric");
  if (metric) {
    int i = 0;
    while (metrics[i] && strcmp(metrics[i], metric) != 0) i++;
    if (!metrics[i] && !strchr(metric, '.')) {
      conv_push(&c, "metric", 0);
      conv_fail(&c, "metric: unknown '%s' (allowed: ns_per_op, wall_ns, user_ns, sys_ns, "
                "maxrss_kb, ops, counters.NAME, or a dotted path into a trial's JSON)", metric);
    }
  }
  e->metric = strdup(metric ? metric : "ns_per_op");
  lua_getfield(L, 1, "lower_is_better");
  e->lower_is_better = lua_isnil(L, -1) || lua_toboolean(L, -1);
  lua_pop(L, 1);

  lua_getfield(L, 1, "where");
  if (!lua_isnil(L, -1)) {
    conv_push(&c, "where", 0);
    if (!lua_isfunction(L, -1))
      conv_fail(&c, "where: wants a function(cell) returning true to keep the cell");
    x->where_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    e->where = lexpt_where;
    e->where_ctx = x;
    conv_pop(&c);
  } else {
    lua_pop(L, 1);
  }
  lua_pushvalue(L, ud);
  return 1;
}

/* ==== rtlab.runtime ================================================== */

int lconv_runtime(lua_State *L) {
  conv c;
  luaL_checktype(L, 1, LUA_TTABLE);
  conv_init(&c, L, "runtime");
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) conv_fail(&c, "settings are named, e.g. procs = 2");
    const setting *s = conv_setting(&c, lua_tostring(L, -2), true);
    conv_push(&c, s->key, 0);
    char *v = conv_value(&c, -1, s);
    lua_pushstring(L, v);
    free(v);
    lua_setfield(L, -4, s->key);
    conv_pop(&c);
    lua_pop(L, 1);
  }
  return 1;
}

