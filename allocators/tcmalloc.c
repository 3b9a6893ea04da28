/*
** tcmalloc.c: gperftools' tcmalloc (the minimal build, without the
** profiler), loaded at run time.
*/
#include "wrap.h"

WRAP_OPS(tcmalloc, "tcmalloc (gperftools, minimal), loaded from libtcmalloc_minimal.so.4 (a peer)",
         {.file = "libtcmalloc_minimal.so.4", .package = "libtcmalloc-minimal4",
          .sym_malloc = "tc_malloc", .sym_free = "tc_free", .sym_usable = "tc_malloc_size"})
