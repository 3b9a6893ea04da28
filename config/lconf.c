/*
** lconf.c: the sandboxed Lua state, the `rtlab` Lua module and running
** scripts (see lconf.h); lconv.c checks the values the module receives.
*/
#define _GNU_SOURCE
#include "lconf_int.h"

#include "expt.h"
#include "workloads.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== sandbox ======================================================== */

/* Runs once in a fresh state, after the standard libraries are open. */
static const char sandbox_lua[] =
  "local load, loadfile = load, loadfile\n"
  "function _G.load(chunk, name, mode, ...)\n"
  "  if select('#', ...) > 0 then return load(chunk, name, 't', ...) end\n"
  "  return load(chunk, name, 't')\n"
  "end\n"
  "function _G.loadfile(f, mode, ...)\n"
  "  if select('#', ...) > 0 then return loadfile(f, 't', ...) end\n"
  "  return loadfile(f, 't')\n"
  "end\n"
  "local lf = _G.loadfile\n"
  "function _G.dofile(f) return assert(lf(f))() end\n"
  "for _, k in ipairs{'execute', 'exit', 'remove', 'rename', 'tmpname', 'setlocale'} do\n"
  "  os[k] = nil\n"
  "end\n"
  "io.popen = nil\n"
  "string.dump = nil\n"
  "debug = nil; package.loaded.debug = nil\n"
  "package.loadlib = nil; package.cpath = ''\n"
  "local searchpath = package.searchpath\n"
  "package.searchers = { package.searchers[1], function(name)\n"
  "  local path, err = searchpath(name, package.path)\n"
  "  if not path then return err end\n"
  "  return assert(lf(path)), path\n"
  "end }\n";

int lconf_msgh(lua_State *L) {
  if (lua_istable(L, 1)) return 1;
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = luaL_tolstring(L, 1, NULL);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static int luaopen_rtlab(lua_State *L);

lconf *lconf_open(void) {
  lconf *lc = calloc(1, sizeof *lc);
  if (!lc || !(lc->L = luaL_newstate())) {
    free(lc);
    return NULL;
  }
  lua_State *L = lc->L;
  luaL_openlibs(L);
  if (luaL_loadbufferx(L, sandbox_lua, sizeof sandbox_lua - 1, "=sandbox", "t") ||
      lua_pcall(L, 0, 0, 0)) {
    fprintf(stderr, "rtlab: internal error in the Lua sandbox: %s\n", lua_tostring(L, -1));
    lconf_close(lc);
    return NULL;
  }
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushlightuserdata(L, lc);
  lua_pushcclosure(L, luaopen_rtlab, 1);
  lua_setfield(L, -2, "rtlab");
  lua_pop(L, 1);
  return lc;
}

void lconf_close(lconf *lc) {
  if (!lc) return;
  if (lc->L) lua_close(lc->L);
  srcmap_free(lc->map);
  free(lc->file);
  free(lc->text);
  free(lc);
}

/* ==== rtlab.modules, range, sweep ==================================== */

static void push_params(lua_State *L, const rt_param *ps, int n) {
  static const char *const types[] = {"int", "double", "bool", "enum"};
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    char def[64];
    rt_pval dv;
    rt_params_defaults(&ps[i], 1, &dv);
    rt_param_format(&ps[i], dv, def, sizeof def);
    lua_newtable(L);
    lua_pushstring(L, ps[i].name), lua_setfield(L, -2, "name");
    lua_pushstring(L, types[ps[i].type]), lua_setfield(L, -2, "type");
    lua_pushstring(L, def), lua_setfield(L, -2, "default");
    if (ps[i].type == RT_PT_INT || ps[i].type == RT_PT_DOUBLE) {
      lua_pushnumber(L, ps[i].min), lua_setfield(L, -2, "min");
      lua_pushnumber(L, ps[i].max), lua_setfield(L, -2, "max");
    }
    if (ps[i].choices) lua_pushstring(L, ps[i].choices), lua_setfield(L, -2, "choices");
    lua_pushstring(L, ps[i].doc ? ps[i].doc : ""), lua_setfield(L, -2, "doc");
    lua_rawseti(L, -2, i + 1);
  }
}

static void push_entry(lua_State *L, const char *name, const char *summary,
                       const rt_param *ps, int n) {
  lua_newtable(L);
  lua_pushstring(L, name), lua_setfield(L, -2, "name");
  lua_pushstring(L, summary ? summary : ""), lua_setfield(L, -2, "summary");
  push_params(L, ps, n);
  lua_setfield(L, -2, "params");
}

static int l_modules(lua_State *L) {
  lua_newtable(L);
  for (int k = 0; k < set_nkinds(); k++) {
    const set_kind *kd = set_kind_at(k);
    lua_newtable(L);
    mod_info m;
    for (int i = 0; kd->at(i, &m); i++) {
      push_entry(L, m.name, m.summary, m.params, m.nparams);
      lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, kd->name);
  }
  lua_newtable(L);
  for (int i = 0; i < wl_count(); i++) {
    const wl_desc *w = wl_at(i);
    push_entry(L, w->name, w->summary, w->params, w->nparams);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "workloads");
  for (int i = 0; i < set_count(); i++) {  /* option lists: runtime = { params = ... } */
    const setting *s = set_at(i);
    if (s->type != SET_OPTIONS) continue;
    int n;
    const rt_param *ps = s->options->params(&n);
    push_entry(L, s->key, s->doc, ps, n);
    lua_setfield(L, -2, s->key);
  }
  lua_newtable(L);
  for (int i = 0; i < set_count(); i++) {
    const setting *s = set_at(i);
    char allowed[512];
    set_allowed(s, allowed, sizeof allowed);
    lua_newtable(L);
    lua_pushstring(L, s->key), lua_setfield(L, -2, "name");
    if (s->def) lua_pushstring(L, s->def), lua_setfield(L, -2, "default");
    lua_pushstring(L, allowed), lua_setfield(L, -2, "allowed");
    lua_pushstring(L, s->doc), lua_setfield(L, -2, "doc");
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "settings");
  lua_newtable(L);
  for (int i = 0; i < expt_npeers(); i++) {
    lua_pushstring(L, expt_peer_at(i)->name);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "peers");
  return 1;
}

/* rtlab.range(a, b [, step]): step is a number, or "*k" to multiply. */
static int l_range(lua_State *L) {
  lua_Number a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2), step = 1;
  bool mul = false;
  if (lua_type(L, 3) == LUA_TSTRING) {
    const char *s = lua_tostring(L, 3);
    char *end;
    if (*s != '*' || (step = strtod(s + 1, &end)) <= 1 || *end)
      return luaL_error(L, "rtlab.range: step '%s' (allowed: a number, or \"*k\" with k > 1)", s);
    mul = true;
    if (a <= 0) return luaL_error(L, "rtlab.range: a multiplying range starts above 0");
  } else if (!lua_isnoneornil(L, 3)) {
    step = luaL_checknumber(L, 3);
  }
  if (!mul && (step == 0 || (b - a) / step < 0))
    return luaL_error(L, "rtlab.range: step %g never goes from %g to %g", step, a, b);
  lua_newtable(L);
  int n = 0;
  bool ints = lua_isinteger(L, 1) && (mul || lua_isnoneornil(L, 3) || lua_isinteger(L, 3));
  for (lua_Number v = a; step > 0 || mul ? v <= b + 1e-9 : v >= b - 1e-9;
       v = mul ? v * step : v + step) {
    if (++n > 100000) return luaL_error(L, "rtlab.range: more than 100000 values");
    if (ints) lua_pushinteger(L, (lua_Integer)llround(v));
    else lua_pushnumber(L, v);
    lua_rawseti(L, -2, n);
  }
  return 1;
}

/* rtlab.sweep(module, param, values): { {module, param = v}, ..., sweep = param } */
static int l_sweep(lua_State *L) {
  const char *mod = luaL_checkstring(L, 1), *param = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  int n = (int)lua_rawlen(L, 3);
  if (n == 0) return luaL_error(L, "rtlab.sweep: no values for '%s'", param);
  lua_createtable(L, n, 1);
  for (int i = 1; i <= n; i++) {
    char v[256];
    lua_rawgeti(L, 3, i);
    if (!lconv_scalar(L, -1, v, sizeof v))
      return luaL_error(L, "rtlab.sweep: value %d is a %s", i, luaL_typename(L, -1));
    lua_pop(L, 1);
    lua_pushfstring(L, "%s,%s=%s", mod, param, v);
    lua_rawseti(L, -2, i);
  }
  lua_pushstring(L, param);
  lua_setfield(L, -2, "sweep");
  return 1;
}

static int luaopen_rtlab(lua_State *L) {
  const luaL_Reg fns[] = {
    {"experiment", lconv_experiment}, {"runtime", lconv_runtime}, {"modules", l_modules},
    {"range", l_range}, {"sweep", l_sweep}, {NULL, NULL},
  };
  if (luaL_newmetatable(L, LCONF_EXPT)) {
    lua_pushcfunction(L, lconv_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_newlibtable(L, fns);
  lua_pushvalue(L, lua_upvalueindex(1));
  luaL_setfuncs(L, fns, 1);
  return 1;
}

/* ==== running scripts ================================================ */

/* Reads and runs FILE; leaves its first result on the stack.  RT_OK, or
** RT_EINVAL with a message (a config error, or a Lua error with traceback). */
static int run_file(lconf *lc, const char *file, char *err, size_t errlen) {
  lua_State *L = lc->L;
  FILE *f = fopen(file, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open: %m", file);
    return RT_EINVAL;
  }
  size_t cap = 4096, n = 0, r;
  char *text = malloc(cap);
  while (text && (r = fread(text + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) text = realloc(text, cap *= 2);
  }
  fclose(f);
  if (!text) {
    snprintf(err, errlen, "%s: out of memory", file);
    return RT_ENOMEM;
  }
  free(lc->text);
  free(lc->file);
  srcmap_free(lc->map);
  lc->text = text;
  lc->file = strdup(file);
  lc->map = srcmap_new(text, n);

  /* require finds modules beside the script. */
  char dir[4096];
  const char *slash = strrchr(file, '/');
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - file) : 1, slash ? file : ".");
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", dir, dir);
  lua_setfield(L, -2, "path");
  lua_settop(L, 0);

  lua_pushcfunction(L, lconf_msgh);
  char chunk[4096];
  snprintf(chunk, sizeof chunk, "@%s", file);
  int rc = luaL_loadbufferx(L, text, n, chunk, "t");
  if (rc == LUA_OK) rc = lua_pcall(L, 0, 1, 1);
  if (rc != LUA_OK) {
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "rtlab_error");
      snprintf(err, errlen, "%s", lua_tostring(L, -1));
    } else {
      snprintf(err, errlen, "%s", lua_tostring(L, -1));
    }
    lua_settop(L, 0);
    return RT_EINVAL;
  }
  lua_remove(L, 1);
  return RT_OK;
}

int lconf_experiment(lconf *lc, const char *file, expt **out, char *err,
                     size_t errlen) {
  int rc = run_file(lc, file, err, errlen);
  if (rc != RT_OK) return rc;
  lexpt *x = luaL_testudata(lc->L, -1, LCONF_EXPT);
  if (!x) {
    snprintf(err, errlen, "%s: the script must return rtlab.experiment{...} (it returned %s)",
             file, luaL_typename(lc->L, -1));
    lua_settop(lc->L, 0);
    return RT_EINVAL;
  }
  /* Keep it alive until close: anchor it in the registry. */
  lua_setfield(lc->L, LUA_REGISTRYINDEX, "rtlab.current");
  *out = &x->e;
  return RT_OK;
}

int lconf_runtime(lconf *lc, const char *file, const char *vals[EXPT_MAXSET], char *err,
                  size_t errlen) {
  lua_State *L = lc->L;
  int rc = run_file(lc, file, err, errlen);
  if (rc != RT_OK) return rc;
  if (!lua_istable(L, -1)) {
    snprintf(err, errlen, "%s: the script must return rtlab.runtime{...} (it returned %s)", file,
             luaL_typename(L, -1));
    lua_settop(L, 0);
    return RT_EINVAL;
  }
  /* Check it again as rtlab.runtime would (a plain table is allowed). */
  lua_getglobal(L, "require");
  lua_pushstring(L, "rtlab");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "runtime");
  lua_pushcfunction(L, lconf_msgh);
  lua_insert(L, -2);
  lua_pushvalue(L, 1);
  if (lua_pcall(L, 1, 1, -3) != LUA_OK) {
    if (lua_istable(L, -1)) lua_getfield(L, -1, "rtlab_error");
    snprintf(err, errlen, "%s", lua_tostring(L, -1));
    lua_settop(L, 0);
    return RT_EINVAL;
  }
  for (int i = 0; i < set_count() && i < EXPT_MAXSET; i++) {
    lua_getfield(L, -1, set_at(i)->key);
    vals[i] = lua_tostring(L, -1);  /* anchored in the table below */
    lua_pop(L, 1);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "rtlab.runtime");
  lua_settop(L, 0);
  return RT_OK;
}
