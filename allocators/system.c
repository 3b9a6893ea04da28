/*
** system.c: glibc's malloc, the allocator every C program starts with.
** The default allocator of a run and the first peer of every table.
*/
#include "wrap.h"

#include <malloc.h>
#include <stdlib.h>

WRAP_OPS(system, "glibc malloc (the process's own): the baseline peer",
         {.file = NULL, .package = "libc6", .sym_malloc = "malloc", .sym_free = "free",
          .sym_usable = "malloc_usable_size"})
