/*
** mimalloc.c: Microsoft's mimalloc, loaded at run time.
*/
#include "wrap.h"

WRAP_OPS(mimalloc, "mimalloc 2, loaded from libmimalloc.so.2 (a peer)",
         {.file = "libmimalloc.so.2", .package = "libmimalloc2.0", .sym_malloc = "mi_malloc", .sym_free = "mi_free",
          .sym_usable = "mi_usable_size"})
