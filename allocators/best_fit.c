/*
** best_fit.c: best fit (Wilson et al. 1995, 3.4): the smallest free block
** that is large enough, ties broken by the free-list order (address order
** by default: the variant that fragments least in Johnstone and Wilson's
** measurements).  Not a linear scan: free blocks sit in size-segregated
** bins, one per 16-byte size up to 1 KiB (every block in such a bin has
** the same size) and four per power of two above, each kept sorted by
** size (then by order); a bitmap of non-empty bins finds the next bin up
** in O(1).  The best fit is the first large-enough block of the request's
** own bin, else the head of the next non-empty bin.  Cost: O(1) for
** requests up to 1 KiB, a scan of one range bin above; inserting into a
** range bin scans it.
*/
#include "fit.h"

#define EXACT_MAX 1024  /* blocks up to this size have a bin of their own */

static int best_bin(size_t bsize) {
  if (bsize <= EXACT_MAX) return (int)(bsize / 16);
  int lg = 63 - __builtin_clzll(bsize);  /* 10 .. 15 for standard chunks */
  return EXACT_MAX / 16 + 1 + (lg - 10) * 4 + (int)((bsize >> (lg - 2)) & 3);
}

static fit_blk *best_find(fit_heap *h, size_t bsize) {
  int i = best_bin(bsize);
  fit_blk *s = &h->bins[i];
  for (fit_blk *b = s->next; b != s; b = b->next)  /* sorted: the first that fits is best */
    if (fit_size(b) >= bsize) return b;
  i = fit_next_bin(h, i + 1);
  return i < 0 ? NULL : h->bins[i].next;
}

_Static_assert(EXACT_MAX / 16 + 1 + (16 - 10) * 4 + 3 < FIT_NBINS, "bins cover standard chunks");

static const fit_policy best_policy = {.bin_of = best_bin, .find = best_find, .sized = 1};
static const rt_param best_params[] = {FIT_PARAMS(FIT_ADDRESS)};

FIT_OPS(best_fit, "best fit through size-segregated sorted bins, boundary tags (Wilson 1995)",
        best_params, best_policy)
