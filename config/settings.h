/*
** settings.h: every setting of a trial, in one table.
**
** A setting (sched, procs, placement, ...) is one row: its key, type,
** default, allowed values and doc.  The same row serves the `rtlab trial`
** option --KEY, the environment variable RTLAB_KEY (a default for trials
** and experiments), and the key KEY in Lua (`rtlab.runtime{KEY = ...}`, an
** experiment's `fixed` and `matrix`), and every one of them is checked by
** set_check, so a wrong value gets the same message wherever it came from.
** Values travel as strings ("go,global_every=31", "2", "compact"): the
** form a child process receives on its command line.
**
** Module kinds (sched now; alloc and gc later) are settings of type
** SET_MODULE with a row in the kinds table, which says how to list and
** resolve modules of that kind.  An option list (runtime: the runtime's
** own options) is a setting of type SET_OPTIONS: "k=v[,k=v...]" checked
** against a parameter table, with no module name in front.
*/
#ifndef RTLAB_SETTINGS_H
#define RTLAB_SETTINGS_H

#include "rt.h"
#include "rt_module.h"

#include <stdbool.h>
#include <stddef.h>

/* ==== module kinds =================================================== */

/* What rtlab needs of any module: the head every ops table starts with. */
typedef struct mod_info {
  const char *name;        /* module name */
  const char *summary;     /* one line */
  const rt_param *params;  /* declared parameters */
  int nparams;             /* how many */
} mod_info;

/* One kind of module and how to list and resolve it. */
typedef struct set_kind {
  const char *name;        /* "sched": the setting's key, the key in JSON */
  const char *title;       /* heading in `rtlab list` */
  int (*count)(void);      /* number of built-ins */
  bool (*at)(int i, mod_info *out);  /* built-in i */
  /* Resolves "name[,k=v...]" or a .so path: RT_OK, or a code and message. */
  int (*resolve)(const char *spec, mod_info *out, rt_pval *vals, char *err, size_t errlen);
} set_kind;

int set_nkinds(void);
const set_kind *set_kind_at(int i);
const set_kind *set_kind_find(const char *name);

/* ==== option lists ================================================== */

/* The table behind a SET_OPTIONS setting and how to resolve a value. */
typedef struct set_options {
  const rt_param *(*params)(int *n);  /* the options, declaration order */
  /* Parses "k=v[,k=v...]" (NULL or "" = the defaults) into vals: RT_OK,
  ** or a code with a message naming the option and what is allowed. */
  int (*resolve)(const char *kvs, rt_pval *vals, char *err, size_t errlen);
} set_options;

/* ==== settings ======================================================= */

typedef enum set_type {
  SET_WORKLOAD,            /* "name[,k=v...]" of a workload */
  SET_MODULE,              /* "name[,k=v...]" of a module of kind `kind` */
  SET_INT,                 /* integer in [min, max] */
  SET_ENUM,                /* one of choices */
  SET_STRING,              /* free text, checked where it is used */
  SET_OPTIONS,             /* "k=v[,k=v...]" against `options` ("" = defaults) */
} set_type;

typedef struct setting {
  const char *key;         /* Lua key; option --KEY; env RTLAB_KEY (upper case) */
  set_type type;           /* how values are checked */
  const char *arg;         /* placeholder in usage ("N") */
  const char *def;         /* default, NULL: unset */
  long min, max;           /* SET_INT: allowed range */
  const char *choices;     /* SET_ENUM: "a|b|c" */
  const set_kind *kind;    /* SET_MODULE: its kind */
  const set_options *options;  /* SET_OPTIONS: its option table */
  const char *doc;         /* one line for usage and `rtlab list` */
  /* Optional: a check beyond the type's (a topology string hwloc must
  ** accept).  RT_OK, or a code with a message. */
  int (*check)(const char *val, char *err, size_t errlen);
  /* Puts a checked value into a runtime config (NULL: not a runtime
  ** setting, e.g. workload).  The string must outlive the config. */
  void (*apply)(rt_config *cfg, const char *val);
} setting;

int set_count(void);
const setting *set_at(int i);
const setting *set_find(const char *key);
/* The index of s in the table, and of the setting named key (which must
** exist): how per-setting arrays (an experiment's values) are indexed. */
int set_index(const setting *s);
int set_key_index(const char *key);

/* Checks val for setting s.  RT_OK, or RT_EINVAL/RT_ENOENT with a message
** that names the setting, what was wrong and what is allowed, e.g.
**   procs: wants an integer in [1, 1024], got '0'
**   sched 'go': unknown parameter 'globl_every' (allowed: local_size, ...) */
int set_check(const setting *s, const char *val, char *err, size_t errlen);

/* The default of s with the environment applied: RTLAB_KEY when set (it
** is checked: a bad value is RT_EINVAL with "RTLAB_KEY: ..." in err),
** else s->def.  *out may be NULL (unset). */
int set_env_default(const setting *s, const char **out, char *err, size_t errlen);

/* Lists a setting's allowed values in a short human form ("1..1024",
** "none|compact|scatter|numa", "go, fifo, lifo, ..."), for messages. */
void set_allowed(const setting *s, char *buf, size_t len);

/* Writes vals as a JSON object of typed values keyed by parameter name. */
struct json_w;
void set_json_params(struct json_w *j, const rt_param *ps, int n, const rt_pval *vals);

#endif
