/*
** pool.h: a bump allocator in malloc'ed chunks, freed all at once: where
** the JSON reader keeps a document's values and the report its strings.
*/
#ifndef POOL_H
#define POOL_H

#include <stddef.h>

typedef struct pool_chunk {
  struct pool_chunk *prev;    /* the chunk filled before this one */
  size_t used;                /* bytes handed out from data */
  size_t cap;                 /* bytes in data */
  _Alignas(16) unsigned char data[];  /* the memory */
} pool_chunk;

/* size bytes from the chunk list *top (NULL: empty), aligned to 16 when
** every size asked of the list is a multiple of 16; a new chunk holds at
** least `chunk` bytes.  NULL when out of memory. */
void *pool_alloc(pool_chunk **top, size_t size, size_t chunk);

/* Frees every chunk of *top and empties it. */
void pool_free(pool_chunk **top);

#endif
