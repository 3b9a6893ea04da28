/*
** registry.c: finding modules and turning "name,k=v,..." into a module
** plus resolved parameter values.
**
** Built-in modules come from a table that CMake generates from the module
** list (rt_modules.c), so this file never names a concrete policy.  Other
** modules are shared objects loaded with dlopen; they export one getter,
** rt_module_sched, and we check the ABI version and the table's shape
** before anything calls into it.
**
** Parameters are validated against the module's declared rt_param rows
** (mimalloc's options table idea): the same parser serves modules and the
** workloads of experiments/, so every "unknown parameter" or "out of
** range" message has one shape, naming the owner, the parameter, what is
** allowed and what was given.  Rules beyond ranges (a power of two) are
** the module's optional check op, run after parsing.  Parsing is all-or-nothing: on error the
** caller's values are untouched.  A key given twice is an error (a spec
** that says two things about one knob is most likely a mistake).
*/
#include "fail.h"
#include "rt_module.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Generated from RT_SCHED_POLICIES and RT_ALLOCATORS by CMakeLists.txt;
** NULL-terminated. */
extern const rt_sched_ops *(*const rt_builtin_sched[])(void);
extern const rt_alloc_ops *(*const rt_builtin_alloc[])(void);
extern const rt_gc_ops *(*const rt_builtin_gc[])(void);

/* ==== kinds ========================================================= */

/* What the registry needs to know of a kind of module; every kind's ops
** table starts with an rt_mod_head. */
typedef struct reg_kind {
  const char *name;          /* "sched": in messages and specs */
  const char *symbol;        /* getter a .so exports: "rt_module_sched" */
  const char *def;           /* module of a NULL spec */
  const rt_mod_head *(*at)(int i);  /* built-in i, NULL past the end */
  /* NULL when the table has the ops its kind requires, else a message. */
  const char *(*shape)(const rt_mod_head *m);
  /* The module's own check of parameter values (RT_OK when it has none). */
  int (*check)(const rt_mod_head *m, const rt_pval *vals, char *err, size_t errlen);
  /* NULL when the module can run here, else why not. */
  const char *(*unavailable)(const rt_mod_head *m);
} reg_kind;

static const rt_mod_head *sched_at(int i) {
  return rt_builtin_sched[i] ? (const rt_mod_head *)rt_builtin_sched[i]() : NULL;
}
static const char *sched_shape(const rt_mod_head *m) {
  const rt_sched_ops *o = (const rt_sched_ops *)m;
  return o->ready && o->pick && o->runnable ? NULL : "ops ready, pick and runnable are required";
}
static int sched_check(const rt_mod_head *m, const rt_pval *v, char *err, size_t errlen) {
  const rt_sched_ops *o = (const rt_sched_ops *)m;
  return o->check ? o->check(v, err, errlen) : RT_OK;
}
/* Policies and collectors run anywhere. */
static const char *reg_available(const rt_mod_head *m) { return NULL; }

static const rt_mod_head *alloc_at(int i) {
  return rt_builtin_alloc[i] ? (const rt_mod_head *)rt_builtin_alloc[i]() : NULL;
}
static const char *alloc_shape(const rt_mod_head *m) {
  const rt_alloc_ops *o = (const rt_alloc_ops *)m;
  if (!o->alloc || !o->free || !o->size_of) return "ops alloc, free and size_of are required";
  if ((o->caps & RT_AC_FIND) && (!o->base_of || !o->walk))
    return "caps RT_AC_FIND needs ops base_of and walk";
  if ((o->caps & RT_AC_MARK) && !o->mark_of) return "caps RT_AC_MARK needs op mark_of";
  return NULL;
}
static int alloc_check(const rt_mod_head *m, const rt_pval *v, char *err, size_t errlen) {
  const rt_alloc_ops *o = (const rt_alloc_ops *)m;
  return o->check ? o->check(v, err, errlen) : RT_OK;
}
static const char *alloc_unavailable(const rt_mod_head *m) {
  const rt_alloc_ops *o = (const rt_alloc_ops *)m;
  return o->unavailable ? o->unavailable() : NULL;
}

static const rt_mod_head *gc_at(int i) {
  return rt_builtin_gc[i] ? (const rt_mod_head *)rt_builtin_gc[i]() : NULL;
}
static const char *gc_shape(const rt_mod_head *m) {
  const rt_gc_ops *o = (const rt_gc_ops *)m;
  return (o->caps & RT_GCC_FIND) && !o->collect ? "caps RT_GCC_FIND needs op collect" : NULL;
}
static int gc_check(const rt_mod_head *m, const rt_pval *v, char *err, size_t errlen) {
  const rt_gc_ops *o = (const rt_gc_ops *)m;
  return o->check ? o->check(v, err, errlen) : RT_OK;
}

static const reg_kind reg_sched = {"sched", "rt_module_sched", "go", sched_at, sched_shape,
                                   sched_check, reg_available};
static const reg_kind reg_alloc = {"alloc", "rt_module_alloc", "system", alloc_at, alloc_shape,
                                   alloc_check, alloc_unavailable};
static const reg_kind reg_gc = {"gc", "rt_module_gc", "none", gc_at, gc_shape, gc_check,
                                reg_available};

/* ==== messages ====================================================== */


/* A small append-only string for "allowed: a, b, c" lists. */
typedef struct reg_buf {
  char s[512];   /* the text, always NUL-terminated */
  size_t n;      /* bytes used (clamped to sizeof s - 1) */
} reg_buf;

static void reg_add(reg_buf *b, const char *fmt, ...) {
  if (b->n >= sizeof b->s - 1) return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
  va_end(ap);
  if (w > 0) b->n += (size_t)w;
  if (b->n > sizeof b->s - 1) b->n = sizeof b->s - 1;
}

/* ==== counters ====================================================== */

static const char *const reg_cnt_names[] = {
#define RT_X_(id, name) name,
  RT_COUNTERS(RT_X_)
#undef RT_X_
};

const char *rt_counter_name(int i) {
  return i >= 0 && i < RT_CNT__N ? reg_cnt_names[i] : NULL;
}

/* ==== built-in modules ============================================== */

static int reg_count(const reg_kind *k) {
  int n = 0;
  while (k->at(n)) n++;
  return n;
}

static const rt_mod_head *reg_at(const reg_kind *k, int i) {
  return i < 0 || i >= reg_count(k) ? NULL : k->at(i);
}

static const rt_mod_head *reg_find(const reg_kind *k, const char *name) {
  if (!name) return NULL;
  for (int i = 0; k->at(i); i++) {
    const rt_mod_head *m = k->at(i);
    if (m->name && strcmp(m->name, name) == 0) return m;
  }
  return NULL;
}

int rt_sched_count(void) { return reg_count(&reg_sched); }
const rt_sched_ops *rt_sched_at(int i) { return (const rt_sched_ops *)reg_at(&reg_sched, i); }
const rt_sched_ops *rt_sched_find(const char *name) {
  return (const rt_sched_ops *)reg_find(&reg_sched, name);
}
int rt_alloc_count(void) { return reg_count(&reg_alloc); }
const rt_alloc_ops *rt_alloc_at(int i) { return (const rt_alloc_ops *)reg_at(&reg_alloc, i); }
const rt_alloc_ops *rt_alloc_find(const char *name) {
  return (const rt_alloc_ops *)reg_find(&reg_alloc, name);
}
int rt_gc_count(void) { return reg_count(&reg_gc); }
const rt_gc_ops *rt_gc_at(int i) { return (const rt_gc_ops *)reg_at(&reg_gc, i); }
const rt_gc_ops *rt_gc_find(const char *name) {
  return (const rt_gc_ops *)reg_find(&reg_gc, name);
}

/* ==== loaded modules ================================================ */

/* A module name is [a-z0-9_]+: it appears in specs, JSON and file names. */
static bool reg_goodname(const char *s) {
  if (!s || !*s) return false;
  for (; *s; s++)
    if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
      return false;
  return true;
}

/* Checks a parameter table: names, types, defaults within range, enum
** choices present.  Writes what is wrong to err. */
static int reg_check_params(const char *what, const rt_param *ps, int n,
                            char *err, size_t errlen) {
  if (n < 0 || n > RT_MAX_PARAMS)
    return fw_fail(RT_EINVAL, err, errlen, "%s: declares %d parameters, at most %d allowed",
                    what, n, RT_MAX_PARAMS);
  if (n > 0 && !ps)
    return fw_fail(RT_EINVAL, err, errlen, "%s: declares %d parameters but no table", what, n);
  for (int i = 0; i < n; i++) {
    const rt_param *p = &ps[i];
    if (!reg_goodname(p->name))
      return fw_fail(RT_EINVAL, err, errlen, "%s: parameter %d has a bad name (want [a-z0-9_]+)",
                      what, i);
    switch (p->type) {
    case RT_PT_INT: case RT_PT_DOUBLE:
      if (!(p->min <= p->def && p->def <= p->max))
        return fw_fail(RT_EINVAL, err, errlen, "%s: parameter '%s': default %g outside [%g, %g]",
                        what, p->name, p->def, p->min, p->max);
      break;
    case RT_PT_BOOL:
      if (p->def != 0 && p->def != 1)
        return fw_fail(RT_EINVAL, err, errlen, "%s: parameter '%s': bool default must be 0 or 1",
                        what, p->name);
      break;
    case RT_PT_ENUM: {
      int nch = 1;
      if (!p->choices || !*p->choices)
        return fw_fail(RT_EINVAL, err, errlen, "%s: parameter '%s': enum without choices",
                        what, p->name);
      for (const char *c = p->choices; *c; c++) nch += *c == '|';
      if (p->def < 0 || p->def >= nch || p->def != (double)(int)p->def)
        return fw_fail(RT_EINVAL, err, errlen, "%s: parameter '%s': default index %g, have %d choices",
                        what, p->name, p->def, nch);
      break;
    }
    default:
      return fw_fail(RT_EINVAL, err, errlen, "%s: parameter '%s': unknown type %d",
                      what, p->name, (int)p->type);
    }
  }
  return RT_OK;
}

static int reg_load(const reg_kind *k, const char *path, const rt_mod_head **out, char *err,
                    size_t errlen) {
  if (out) *out = NULL;
  if (!path || !*path)
    return fw_fail(RT_EINVAL, err, errlen, "%s module: empty path", k->name);
  /* dlopen searches the library path for a bare "x.so"; a user who names a
  ** file means that file, so make it relative to the working directory. */
  char file[4096];
  if (snprintf(file, sizeof file, "%s%s", strchr(path, '/') ? "" : "./", path) >= (int)sizeof file)
    return fw_fail(RT_EINVAL, err, errlen, "%s module: path too long", k->name);
  void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *why = dlerror();
    return fw_fail(RT_ENOENT, err, errlen, "%s module '%s': cannot load: %s", k->name, path,
                    why ? why : "unknown error");
  }
  const rt_mod_head *(*get)(void);
  *(void **)&get = dlsym(h, k->symbol);
  if (!get) {
    dlclose(h);
    return fw_fail(RT_EINVAL, err, errlen,
                    "%s module '%s': no symbol %s (a module exports "
                    "const rt_%s_ops *%s(void))", k->name, path, k->symbol, k->name, k->symbol);
  }
  const rt_mod_head *m = get();
  char what[600];
  snprintf(what, sizeof what, "%s module '%s'", k->name, path);
  const char *bad = NULL;
  int rc = RT_OK;
  if (!m)
    rc = fw_fail(RT_EINVAL, err, errlen, "%s: %s returned NULL", what, k->symbol);
  else if (m->abi != RT_ABI_VERSION)
    rc = fw_fail(RT_EABI, err, errlen, "%s: built for ABI %u, this rtlab has ABI %d", what,
                  (unsigned)m->abi, RT_ABI_VERSION);
  else if (!reg_goodname(m->name))
    rc = fw_fail(RT_EINVAL, err, errlen, "%s: missing or bad name (want [a-z0-9_]+)", what);
  else if ((bad = k->shape(m)))
    rc = fw_fail(RT_EINVAL, err, errlen, "%s: %s", what, bad);
  else
    rc = reg_check_params(what, m->params, m->nparams, err, errlen);
  if (rc != RT_OK) {
    dlclose(h);
    return rc;
  }
  /* The handle stays open: the table and its code live as long as we do. */
  if (out) *out = m;
  return RT_OK;
}

int rt_sched_load(const char *path, const rt_sched_ops **out, char *err, size_t errlen) {
  return reg_load(&reg_sched, path, (const rt_mod_head **)out, err, errlen);
}
int rt_alloc_load(const char *path, const rt_alloc_ops **out, char *err, size_t errlen) {
  return reg_load(&reg_alloc, path, (const rt_mod_head **)out, err, errlen);
}
int rt_gc_load(const char *path, const rt_gc_ops **out, char *err, size_t errlen) {
  return reg_load(&reg_gc, path, (const rt_mod_head **)out, err, errlen);
}

/* ==== parameters ==================================================== */

void rt_params_defaults(const rt_param *ps, int n, rt_pval *vals) {
  for (int i = 0; i < n; i++) {
    if (ps[i].type == RT_PT_DOUBLE) vals[i].d = ps[i].def;
    else vals[i].i = (int64_t)ps[i].def;
  }
}

/* Finds choice `s` (len bytes) in "a|b|c": its index, or -1. */
static int reg_choice(const char *choices, const char *s, size_t len) {
  int idx = 0;
  for (const char *c = choices; c; idx++) {
    const char *bar = strchr(c, '|');
    size_t cl = bar ? (size_t)(bar - c) : strlen(c);
    if (cl == len && strncmp(c, s, len) == 0) return idx;
    c = bar ? bar + 1 : NULL;
  }
  return -1;
}

/* Integer with an optional decimal suffix k (1e3), M (1e6), G (1e9). */
static bool reg_int(const char *s, int64_t *out) {
  if (!*s || isspace((unsigned char)*s)) return false;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (end == s || errno) return false;
  long long mul = 1;
  if (*end == 'k') mul = 1000, end++;
  else if (*end == 'M') mul = 1000000, end++;
  else if (*end == 'G') mul = 1000000000, end++;
  if (*end) return false;
  if (__builtin_mul_overflow(v, mul, &v)) return false;
  *out = v;
  return true;
}

static bool reg_double(const char *s, double *out) {
  if (!*s || isspace((unsigned char)*s)) return false;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || errno || !isfinite(v)) return false;
  *out = v;
  return true;
}

static bool reg_bool(const char *s, int64_t *out) {
  static const char *const yes[] = {"on", "true", "1", "yes"};
  static const char *const no[] = {"off", "false", "0", "no"};
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0) { *out = 1; return true; }
    if (strcasecmp(s, no[i]) == 0) { *out = 0; return true; }
  }
  return false;
}

/* Parses one value v for parameter p into *out, or writes the message. */
static int reg_value(const char *what, const rt_param *p, const char *v, rt_pval *out,
                     char *err, size_t errlen) {
  switch (p->type) {
  case RT_PT_INT: {
    int64_t x;
    if (reg_int(v, &x) && x >= p->min && x <= p->max) { out->i = x; return RT_OK; }
    return fw_fail(RT_EINVAL, err, errlen,
                    "%s: parameter '%s' wants an integer in [%.0f, %.0f], got '%s'",
                    what, p->name, p->min, p->max, v);
  }
  case RT_PT_DOUBLE: {
    double x;
    if (reg_double(v, &x) && x >= p->min && x <= p->max) { out->d = x; return RT_OK; }
    return fw_fail(RT_EINVAL, err, errlen,
                    "%s: parameter '%s' wants a number in [%g, %g], got '%s'",
                    what, p->name, p->min, p->max, v);
  }
  case RT_PT_BOOL:
    if (reg_bool(v, &out->i)) return RT_OK;
    return fw_fail(RT_EINVAL, err, errlen, "%s: parameter '%s' wants on|off, got '%s'",
                    what, p->name, v);
  case RT_PT_ENUM: {
    int idx = reg_choice(p->choices, v, strlen(v));
    if (idx >= 0) { out->i = idx; return RT_OK; }
    return fw_fail(RT_EINVAL, err, errlen, "%s: parameter '%s' wants %s, got '%s'",
                    what, p->name, p->choices, v);
  }
  }
  return fw_fail(RT_EINVAL, err, errlen, "%s: parameter '%s' has an unknown type", what, p->name);
}

/* Trims spaces at both ends of s in place; returns the new start. */
static char *reg_trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  return s;
}

int rt_params_parse(const char *what, const rt_param *ps, int n,
                    const char *kvs, rt_pval *vals, char *err, size_t errlen) {
  if (!what) what = "parameters";
  if (n < 0 || n > RT_MAX_PARAMS)
    return fw_fail(RT_EINVAL, err, errlen, "%s: declares %d parameters, at most %d allowed",
                    what, n, RT_MAX_PARAMS);
  if (!kvs || !*kvs) return RT_OK;
  char *copy = strdup(kvs);
  if (!copy) return fw_fail(RT_ENOMEM, err, errlen, "%s: out of memory", what);
  rt_pval tmp[RT_MAX_PARAMS];
  memcpy(tmp, vals, sizeof(rt_pval) * (size_t)n);
  uint32_t seen = 0;             /* bit i: parameter i was given */
  int rc = RT_OK;
  char *save = NULL;
  /* strtok_r would skip empty items; walk the commas by hand instead. */
  for (char *item = copy; rc == RT_OK && item; item = save) {
    char *comma = strchr(item, ',');
    save = comma ? comma + 1 : NULL;
    if (comma) *comma = 0;
    char *eq = strchr(item, '=');
    char *key = reg_trim(item);
    if (!*key && !eq) {
      rc = fw_fail(RT_EINVAL, err, errlen, "%s: empty item in parameter list '%s'", what, kvs);
      break;
    }
    if (!eq) {
      rc = fw_fail(RT_EINVAL, err, errlen, "%s: expected key=value, got '%s'", what, key);
      break;
    }
    *eq = 0;
    key = reg_trim(key);
    char *val = reg_trim(eq + 1);
    int idx = -1;
    for (int i = 0; i < n; i++)
      if (strcmp(ps[i].name, key) == 0) { idx = i; break; }
    if (idx < 0) {
      reg_buf b = {.n = 0};
      for (int i = 0; i < n; i++) reg_add(&b, "%s%s", i ? ", " : "", ps[i].name);
      rc = fw_fail(RT_EINVAL, err, errlen, "%s: unknown parameter '%s' (allowed: %s)", what, key,
                    n ? b.s : "none");
      break;
    }
    if (seen & (1u << idx)) {
      rc = fw_fail(RT_EINVAL, err, errlen, "%s: parameter '%s' given twice", what, key);
      break;
    }
    seen |= 1u << idx;
    rc = reg_value(what, &ps[idx], val, &tmp[idx], err, errlen);
  }
  free(copy);
  if (rc == RT_OK) memcpy(vals, tmp, sizeof(rt_pval) * (size_t)n);
  return rc;
}

int rt_param_format(const rt_param *p, rt_pval v, char *buf, size_t len) {
  switch (p->type) {
  case RT_PT_INT:
    return snprintf(buf, len, "%lld", (long long)v.i);
  case RT_PT_DOUBLE: {
    /* Shortest form that reads back to the same double. */
    for (int prec = 6; prec <= 17; prec++) {
      char tmp[64];
      snprintf(tmp, sizeof tmp, "%.*g", prec, v.d);
      if (strtod(tmp, NULL) == v.d || prec == 17) return snprintf(buf, len, "%s", tmp);
    }
    return snprintf(buf, len, "%.17g", v.d);
  }
  case RT_PT_BOOL:
    return snprintf(buf, len, "%s", v.i ? "on" : "off");
  case RT_PT_ENUM: {
    const char *c = p->choices;
    for (int64_t i = 0; c && i < v.i; i++) {
      c = strchr(c, '|');
      if (c) c++;
    }
    if (!c || v.i < 0) {
      if (len) snprintf(buf, len, "?");
      return RT_EINVAL;
    }
    const char *bar = strchr(c, '|');
    int cl = bar ? (int)(bar - c) : (int)strlen(c);
    return snprintf(buf, len, "%.*s", cl, c);
  }
  }
  if (len) snprintf(buf, len, "?");
  return RT_EINVAL;
}

/* ==== resolving a spec ============================================== */

static int reg_resolve(const reg_kind *k, const char *spec, const rt_mod_head **out,
                       rt_pval vals[RT_MAX_PARAMS], char *err, size_t errlen) {
  if (out) *out = NULL;
  if (!spec) spec = k->def;
  const char *comma = strchr(spec, ',');
  size_t nl = comma ? (size_t)(comma - spec) : strlen(spec);
  char name[4096];
  if (nl >= sizeof name) return fw_fail(RT_EINVAL, err, errlen, "%s name too long", k->name);
  memcpy(name, spec, nl);
  name[nl] = 0;

  const rt_mod_head *m = NULL;
  bool isfile = strchr(name, '/') || (nl >= 3 && strcmp(name + nl - 3, ".so") == 0);
  if (isfile) {
    int rc = reg_load(k, name, &m, err, errlen);
    if (rc != RT_OK) return rc;
  } else {
    m = reg_find(k, name);
    if (!m) {
      reg_buf b = {.n = 0};
      for (int i = 0; k->at(i); i++) reg_add(&b, "%s, ", k->at(i)->name);
      return fw_fail(RT_ENOENT, err, errlen, "unknown %s '%s' (allowed: %sor a path to a .so)",
                     k->name, name, b.s);
    }
  }
  char what[4200];
  snprintf(what, sizeof what, "%s '%s'", k->name, m->name);
  const char *why = k->unavailable(m);
  if (why) return fw_fail(RT_ENOENT, err, errlen, "%s is not available here: %s", what, why);
  if (m->nparams < 0 || m->nparams > RT_MAX_PARAMS)
    return fw_fail(RT_EINVAL, err, errlen, "%s: declares %d parameters, at most %d allowed",
                    what, m->nparams, RT_MAX_PARAMS);
  rt_pval tmp[RT_MAX_PARAMS];
  memset(tmp, 0, sizeof tmp);
  rt_params_defaults(m->params, m->nparams, tmp);
  int rc = rt_params_parse(what, m->params, m->nparams, comma ? comma + 1 : NULL, tmp,
                           err, errlen);
  if (rc != RT_OK) return rc;
  /* Rules the ranges cannot express belong to the module; it words the
  ** message, and we supply one if it did not. */
  if (err && errlen) err[0] = 0;
  rc = k->check(m, tmp, err, errlen);
  if (rc != RT_OK) {
    if (err && errlen && !err[0])
      fw_fail(rc, err, errlen, "%s: parameters rejected by the module's check (%d)", what, rc);
    return rc < 0 ? rc : RT_EINVAL;
  }
  if (vals) memcpy(vals, tmp, sizeof tmp);
  if (out) *out = m;
  return RT_OK;
}

int rt_sched_resolve(const char *spec, const rt_sched_ops **out, rt_pval vals[RT_MAX_PARAMS],
                     char *err, size_t errlen) {
  return reg_resolve(&reg_sched, spec, (const rt_mod_head **)out, vals, err, errlen);
}
int rt_alloc_resolve(const char *spec, const rt_alloc_ops **out, rt_pval vals[RT_MAX_PARAMS],
                     char *err, size_t errlen) {
  return reg_resolve(&reg_alloc, spec, (const rt_mod_head **)out, vals, err, errlen);
}
int rt_gc_resolve(const char *spec, const rt_gc_ops **out, rt_pval vals[RT_MAX_PARAMS],
                  char *err, size_t errlen) {
  return reg_resolve(&reg_gc, spec, (const rt_mod_head **)out, vals, err, errlen);
}
