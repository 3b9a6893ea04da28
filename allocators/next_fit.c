/*
** next_fit.c: next fit (Knuth TAOCP 2.5, exercise 6; Wilson et al. 1995,
** 3.4): first fit that resumes each search where the last one stopped, a
** roving pointer into the free list, wrapping around at its end.  It
** spreads allocations over the heap instead of piling small remainders at
** its front.  Free-list order defaults to address order, as in Knuth's
** circular list: with the same order as first_fit and best_fit an
** experiment compares the fit policies alone (Wilson reports that LIFO
** next fit fragments badly; order=lifo measures that).  Cost: a scan
** from the rover per allocation, usually short.
*/
#include "fit.h"

static int next_bin(size_t bsize) { return 0; }

static fit_blk *next_find(fit_heap *h, size_t bsize) {
  fit_blk *s = &h->bins[0], *r = h->rover ? h->rover : s;
  for (fit_blk *b = r; b != s; b = b->next)  /* rover .. end of list */
    if (fit_size(b) >= bsize) return h->rover = b;
  for (fit_blk *b = s->next; b != r && b != s; b = b->next)  /* head .. rover */
    if (fit_size(b) >= bsize) return h->rover = b;
  return NULL;
}

static const fit_policy next_policy = {.bin_of = next_bin, .find = next_find, .sized = 0};
static const rt_param next_params[] = {FIT_PARAMS(FIT_ADDRESS)};

FIT_OPS(next_fit, "next fit: first fit from a roving pointer, boundary tags (Knuth, Wilson 1995)",
        next_params, next_policy)
