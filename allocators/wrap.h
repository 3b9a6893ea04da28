/*
** wrap.h: what the wrappers of real allocators share (system, jemalloc,
** mimalloc, tcmalloc).  Each wrapper file names its library and symbols
** and defines one ops table with WRAP_OPS; the code is here, once.
**
** A wrapper loads its library at run time with dlopen (RTLD_LOCAL, so the
** library does not replace the program's own malloc) and calls its
** malloc, free and usable-size functions.  It is listed as unavailable,
** with the Debian package to install, when the library is missing.
** Wrappers cannot find objects from interior pointers or walk the heap:
** they declare no RT_AC_FIND, so a collector refuses them.  They keep no
** byte figures: a usable-size query on every alloc and free would add its
** cost to the peer being measured, and the bytes their library holds from
** the OS are not visible anyway; the trial's peak RSS stands for them.
*/
#ifndef ALLOC_WRAP_H
#define ALLOC_WRAP_H

#include "rt_module.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* One wrapped library. */
typedef struct wrap_lib {
  const char *file;          /* "libjemalloc.so.2"; NULL: this process's own malloc */
  const char *package;       /* Debian package that installs it */
  const char *sym_malloc;    /* its malloc */
  const char *sym_free;      /* its free */
  const char *sym_usable;    /* its usable-size query */
  void *(*malloc)(size_t);   /* resolved functions, NULL until loaded */
  void (*free)(void *);
  size_t (*usable)(void *);
  bool tried;                /* loading was attempted */
  char why[160];             /* why it is unavailable, "" when it is not */
} wrap_lib;

/* Loads lib once; NULL when usable, else the reason (with the package). */
static inline const char *wrap_load(wrap_lib *lib) {
  if (lib->tried) return lib->why[0] ? lib->why : NULL;
  lib->tried = true;
  void *h = lib->file ? dlopen(lib->file, RTLD_NOW | RTLD_LOCAL) : RTLD_DEFAULT;
  if (lib->file && !h) {
    const char *e = dlerror();
    if (e && !strstr(e, "No such file"))
      snprintf(lib->why, sizeof lib->why, "%s cannot be loaded: %s", lib->file, e);
    else
      snprintf(lib->why, sizeof lib->why, "%s not found (apt-get install %s)", lib->file,
               lib->package);
    return lib->why;
  }
  *(void **)&lib->malloc = dlsym(h, lib->sym_malloc);
  *(void **)&lib->free = dlsym(h, lib->sym_free);
  *(void **)&lib->usable = dlsym(h, lib->sym_usable);
  if (!lib->malloc || !lib->free || !lib->usable) {
    snprintf(lib->why, sizeof lib->why, "%s lacks %s, %s or %s", lib->file ? lib->file : "libc",
             lib->sym_malloc, lib->sym_free, lib->sym_usable);
    return lib->why;
  }
  return NULL;
}

/* The ops, on one library.  Requests are rounded up to a multiple of 16
** (at least 16, so size 0 is a unique object): mimalloc and tcmalloc give
** sizes under 16 only 8-byte alignment, and the contract is 16. */
static inline void *wrap_alloc(wrap_lib *lib, rt_ap *p, size_t size, unsigned flags) {
  if (size > SIZE_MAX - 16) return NULL;
  void *x = lib->malloc(size ? (size + 15) & ~(size_t)15 : 16);
  if (x && (flags & RT_AF_ZERO)) memset(x, 0, size);
  return x;
}

static inline void wrap_free(wrap_lib *lib, rt_ap *p, void *ptr) { lib->free(ptr); }

/* Defines `static wrap_lib NAME_lib` (from the initializer LIB...), its
** four ops and the getter rt_alloc_NAME. */
#define WRAP_OPS(NAME, SUMMARY, ...)                                            \
  static wrap_lib NAME##_lib = __VA_ARGS__;                                     \
  static const char *NAME##_unavailable(void) { return wrap_load(&NAME##_lib); } \
  static void *NAME##_alloc(rt_ap *p, size_t size, unsigned flags) {            \
    return wrap_alloc(&NAME##_lib, p, size, flags);                             \
  }                                                                             \
  static void NAME##_free(rt_ap *p, void *ptr) { wrap_free(&NAME##_lib, p, ptr); } \
  static size_t NAME##_size_of(rt_ap *p, const void *base) {                    \
    return NAME##_lib.usable((void *)base);                                     \
  }                                                                             \
  static const rt_alloc_ops NAME##_ops = {                                      \
    .abi = RT_ABI_VERSION, .name = #NAME, .summary = SUMMARY,                   \
    .unavailable = NAME##_unavailable, .alloc = NAME##_alloc,                   \
    .free = NAME##_free, .size_of = NAME##_size_of,                             \
  };                                                                            \
  const rt_alloc_ops *rt_alloc_##NAME(void) { return &NAME##_ops; }

#endif
