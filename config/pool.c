/*
** pool.c: the chunked bump allocator of pool.h.
*/
#include "pool.h"

#include <stdlib.h>

void *pool_alloc(pool_chunk **top, size_t size, size_t chunk) {
  pool_chunk *c = *top;
  if (!c || c->cap - c->used < size) {
    size_t cap = size > chunk ? size : chunk;
    if (!(c = malloc(sizeof *c + cap))) return NULL;
    c->prev = *top;
    c->used = 0;
    c->cap = cap;
    *top = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  return p;
}

void pool_free(pool_chunk **top) {
  for (pool_chunk *c = *top, *prev; c; c = prev) {
    prev = c->prev;
    free(c);
  }
  *top = NULL;
}
