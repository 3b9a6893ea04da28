/*
** lconf_int.h: what lconf.c (the state, the sandbox, the rtlab module)
** and lconv.c (checking Lua values into settings and experiments) share.
*/
#ifndef RTLAB_LCONF_INT_H
#define RTLAB_LCONF_INT_H

#include "lconf.h"
#include "srcmap.h"

#include <lua.h>
#include <stdbool.h>

#define LCONF_EXPT "rtlab.experiment"   /* metatable of experiment userdata */

struct lconf {
  lua_State *L;            /* the sandboxed state */
  char *file;              /* the script being run */
  char *text;              /* its text */
  srcmap *map;             /* field lines of its constructors */
};

/* An experiment as a userdata: the expt and its `where` function. */
typedef struct lexpt {
  expt e;                  /* the checked experiment */
  lconf *lc;               /* the state it lives in */
  int where_ref;           /* registry ref of `where`, LUA_NOREF if none */
} lexpt;

/* Message handler: a config error (a table) passes as is; anything else
** gets a traceback (lconf.c). */
int lconf_msgh(lua_State *L);

/* A Lua scalar as a parameter value: integers plainly, booleans on/off;
** false for tables and the like (lconv.c). */
bool lconv_scalar(lua_State *L, int idx, char *buf, size_t len);

/* rtlab.experiment{...}, rtlab.runtime{...} and the experiment's __gc;
** upvalue 1 is the lconf (lconv.c). */
int lconv_experiment(lua_State *L);
int lconv_runtime(lua_State *L);
int lconv_gc(lua_State *L);

#endif
