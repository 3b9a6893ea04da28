/*
** jemalloc.c: jemalloc (FreeBSD's and Meta's allocator), loaded at run time.
*/
#include "wrap.h"

WRAP_OPS(jemalloc, "jemalloc 5, loaded from libjemalloc.so.2 (a peer)",
         {.file = "libjemalloc.so.2", .package = "libjemalloc2", .sym_malloc = "malloc", .sym_free = "free",
          .sym_usable = "malloc_usable_size"})
