/*
** fit_trace.c: the addresses an allocator returns on a deterministic
** trace, to compare two builds of one policy (e.g. first_fit's address
** tree against the list scan it replaced).
**
**   fit_trace ALLOC [OPS]
**
** runs OPS (default 100000) random allocations and frees of 0..3000 bytes
** (a few larger) over a live set of up to 3000 objects, and prints one
** line per allocation: its offset from the first object returned.  Two
** builds agree when their outputs are identical.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_module.h"

#define LIVE 3000  /* the live set's slots */

static long ops = 100000;     /* operations to run */
static void *slot[LIVE];      /* the live set (NULL: empty slot) */
static uint64_t rng = 0x2545F4914F6CDD1Dull;  /* xorshift state */

static uint64_t next(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}

static void trace_main(void *arg) {
  (void)arg;
  char *first = NULL;
  for (long i = 0; i < ops; i++) {
    size_t k = next() % LIVE;
    if (slot[k]) {
      rt_free(slot[k]);
      slot[k] = NULL;
      continue;
    }
    uint64_t r = next();
    size_t n = r % 64 == 0 ? 3000 + r % 40000 : r % 4 == 0 ? r % 3000 : 8 + r % 120;
    char *x = rt_alloc(n, 0);
    if (!first) first = x;
    slot[k] = x;
    printf("%ld %zu %" PRIdPTR "\n", i, n, x ? (intptr_t)(x - first) : (intptr_t)-1);
  }
  for (size_t k = 0; k < LIVE; k++) rt_free(slot[k]);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fit_trace ALLOC [OPS]\n");
    return 2;
  }
  if (argc > 2) ops = atol(argv[2]);
  char err[512] = "";
  rt_config cfg = {.procs = 1, .alloc = argv[1], .err = err, .errlen = sizeof err};
  int rc = rt_run(&cfg, trace_main, NULL);
  if (rc != RT_OK) fprintf(stderr, "fit_trace: rt_run: %d %s\n", rc, err);
  return rc != RT_OK;
}
