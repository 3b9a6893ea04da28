/*
** first_fit.c: first fit (Wilson et al. 1995, 3.4; Knuth TAOCP 2.5):
** scan the free list from its head and take the first block that is
** large enough, splitting off the rest.  Free-list order defaults to
** address order, the variant Wilson and Johnstone found to fragment least.
** Cost: a scan of the list per allocation (in address order the small
** remainders gather at the front: the classic weakness of first fit).
** The heap, boundary tags and coalescing are fit.c's.
*/
#include "fit.h"

static int first_bin(size_t bsize) { return 0; }

static fit_blk *first_find(fit_heap *h, size_t bsize) {
  fit_blk *s = &h->bins[0];
  for (fit_blk *b = s->next; b != s; b = b->next)
    if (fit_size(b) >= bsize) return b;
  return NULL;
}

static const fit_policy first_policy = {.bin_of = first_bin, .find = first_find, .sized = 0};
static const rt_param first_params[] = {FIT_PARAMS(FIT_ADDRESS)};

FIT_OPS(first_fit, "first fit over one free list, boundary tags (Wilson 1995)", first_params,
        first_policy)
