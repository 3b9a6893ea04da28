/*
** lconf.h: Lua configs and experiments.
**
** Scripts run in a sandboxed Lua 5.4 state: text chunks only (load,
** loadfile, dofile and require refuse binary chunks), and no os.execute,
** io.popen, os.exit, os.remove, os.rename, package.loadlib, C modules or
** debug library.  `require "rtlab"` gives the rtlab module:
**
**   rtlab.experiment{...}   checks an experiment and returns it (expt.h)
**   rtlab.runtime{...}      checks runtime settings, returns them as a table
**   rtlab.modules()         modules, parameters, workloads, runtime options,
**                           settings, peers
**   rtlab.range(a, b [, step])          a, a+step, ..., b (step "*2": a, 2a, ...)
**   rtlab.sweep(module, param, values)  an axis of module specs over one
**                                       parameter; reports plot lines over it
**
** Every check happens while the script runs, before any trial: a bad value
** stops it with "FILE:LINE: what is wrong (allowed: ...)", the line being
** the one the offending field is written on (srcmap.h).  Lua errors carry
** a traceback.
*/
#ifndef RTLAB_LCONF_H
#define RTLAB_LCONF_H

#include "expt.h"

#include <stddef.h>

typedef struct lconf lconf;

/* A sandboxed state; NULL when out of memory. */
lconf *lconf_open(void);
void lconf_close(lconf *lc);

/* Runs FILE, which must return rtlab.experiment{...}.  *out stays valid
** (and its `where` callable) until lconf_close.  RT_OK, or RT_EINVAL with
** the message in err. */
int lconf_experiment(lconf *lc, const char *file, expt **out, char *err,
                     size_t errlen);

/* Runs FILE, which must return rtlab.runtime{...} (or a plain table of
** settings, checked the same way): vals[i] receives the value of setting i
** or stays NULL.  The strings live until lconf_close. */
int lconf_runtime(lconf *lc, const char *file, const char *vals[EXPT_MAXSET], char *err,
                  size_t errlen);

#endif
