/*
** mksizeclass.c: derives Go's size-class table and prints it as C
** (allocators/sizeclass_table.h).  Regenerate with
**   cc -std=c11 -O2 -Iallocators tools/mksizeclass.c -o mksizeclass
**   ./mksizeclass > allocators/sizeclass_table.h
** (the build also has it as build/tests/mksizeclass); the CTest
** sizeclass.table runs it and diffs its output against the checked-in file.
**
** The rules are those of Go's src/runtime/mksizeclasses.go (Go 1.19),
** written again here:
**  1. Candidate sizes walk from 8 B to 32 KiB in steps of `align`, which
**     grows at each power of two: 16 B from 32 B (Go's heap bitmaps want
**     16-byte alignment there), size/8 from 128 B, 256 B from 2 KiB.  Each
**     step is at most 1/8 of the size, so rounding a request up to the next
**     class wastes at most 12.5%.
**  2. A size's span is the fewest 8 KiB pages whose tail (span % size) is
**     at most span/8: chopping the span wastes at most 12.5% too.
**  3. When a size gets the same pages and the same objects per span as the
**     class before it, that class takes the larger size instead of a new
**     class being added (the larger size wastes nothing more).
**  4. At the end each class grows to span/objects, rounded down to 128 B
**     (the step of the large lookup table), when that is larger: the same
**     objects fit in the same pages, with less tail.
** Go's count of 68 (class 0 unused) is asserted.  For each class the
** division magic 0xFFFFFFFF/size + 1 is checked by brute force: (n * magic)
** >> 32 == n / size for every n from 0 to the span's bytes.
**
** Exit status: 0 with the table on stdout, 1 when a check fails.
*/
#include "sizeclass.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
  int size;   /* bytes per object */
  int npages; /* pages per span */
} gen_class;

static gen_class classes[SC_NCLASSES + 1]; /* [0] is the unused class 0 */
static int nclasses;                       /* entries used, class 0 included */

static int is_pow2(int x) { return x > 0 && (x & (x - 1)) == 0; }

static int die(const char *msg, int a) {
  fprintf(stderr, "mksizeclass: %s (%d)\n", msg, a);
  exit(1);
}

/* Rules 1-4: fills classes[0 .. nclasses). */
static void derive(void) {
  nclasses = 1; /* class 0 */
  int align = 8;
  for (int size = align; size <= SC_MAXSMALL; size += align) {
    if (is_pow2(size)) {
      if (size >= 2048) align = 256;
      else if (size >= 128) align = size / 8;
      else if (size >= 32) align = 16;
    }
    int span = SC_PAGE; /* rule 2 */
    while (span % size > span / 8) span += SC_PAGE;
    int npages = span / SC_PAGE;
    gen_class *prev = &classes[nclasses - 1];
    if (nclasses > 1 && prev->npages == npages && span / prev->size == span / size) {
      prev->size = size; /* rule 3 */
      continue;
    }
    if (nclasses == SC_NCLASSES) die("more classes than SC_NCLASSES", nclasses + 1);
    classes[nclasses++] = (gen_class){size, npages};
  }
  if (nclasses != SC_NCLASSES) die("class count differs from Go's 68", nclasses);
  for (int c = 1; c < nclasses; c++) { /* rule 4 */
    int span = classes[c].npages * SC_PAGE;
    int grown = span / (span / classes[c].size) / SC_LARGEDIV * SC_LARGEDIV;
    if (grown > classes[c].size) classes[c].size = grown;
  }
}

static uint32_t divmagic(int size) { return size ? UINT32_MAX / (uint32_t)size + 1 : 0; }

/* The multiply-shift division is exact over the whole span (as Go checks). */
static void check_divmagic(void) {
  for (int c = 1; c < nclasses; c++) {
    uint64_t m = divmagic(classes[c].size);
    for (uint64_t n = 0; n <= (uint64_t)classes[c].npages * SC_PAGE; n++)
      if ((n * m) >> 32 != n / (uint64_t)classes[c].size) die("inexact divmagic for class", c);
  }
}

/* The smallest class of size >= size. */
static int class_for(int size) {
  for (int c = 0; c < nclasses; c++)
    if (classes[c].size >= size) return c;
  return die("no class for size", size);
}

static int tz(int x) {
  int n = 0;
  while (!(x & 1)) x >>= 1, n++;
  return n;
}

/* Go's comment table, with max waste: the worst case, a request one byte
** over the previous class's size in every slot, plus the tail. */
static void print_comment(void) {
  printf("/*\n** %-5s  %-9s  %-10s  %-7s  %-10s  %-9s  %-9s\n", "class", "bytes/obj",
         "bytes/span", "objects", "tail waste", "max waste", "min align");
  int prev = 0;
  for (int c = 1; c < nclasses; c++) {
    int size = classes[c].size, span = classes[c].npages * SC_PAGE;
    int objs = span / size, tail = span - objs * size;
    double maxw = (double)((size - prev - 1) * objs + tail) / span;
    int abits = tz(size) > SC_PAGESHIFT ? SC_PAGESHIFT : tz(size);
    printf("** %5d  %9d  %10d  %7d  %10d  %8.2f%%  %9d\n", c, size, span, objs, tail,
           100 * maxw, 1 << abits);
    prev = size;
  }
  printf("*/\n\n");
}

/* One array: `n` values from val(i), ten to a line. */
static void print_array(const char *decl, int n, long (*val)(int)) {
  printf("const %s = {", decl);
  for (int i = 0; i < n; i++) printf("%s%ld,", i % 10 ? " " : "\n  ", val(i));
  printf("\n};\n");
}

static long v_size(int c) { return classes[c].size; }
static long v_npages(int c) { return classes[c].npages; }
static long v_nobjs(int c) { return c ? classes[c].npages * SC_PAGE / classes[c].size : 0; }
static long v_tail(int c) { return c ? classes[c].npages * SC_PAGE - v_nobjs(c) * classes[c].size : 0; }
static long v_magic(int c) { return (long)divmagic(classes[c].size); }
static long v_class8(int i) { return class_for(i * SC_SMALLDIV); }
static long v_class128(int i) { return class_for(SC_SMALLMAX + i * SC_LARGEDIV); }

int main(void) {
  derive();
  check_divmagic();
  printf("/*\n** sizeclass_table.h: Go 1.19's size classes, GENERATED by tools/mksizeclass.c:\n"
         "** do not edit.  Regenerate (from the source root) with\n"
         "**   cc -std=c11 -O2 -Iallocators tools/mksizeclass.c -o mksizeclass\n"
         "**   ./mksizeclass > allocators/sizeclass_table.h\n"
         "** The CTest sizeclass.table fails when this file and the generator differ.\n"
         "** Included by sizeclass.c only; sizeclass.h declares the arrays.\n*/\n");
  print_comment();
  print_array("uint16_t sc_class_size[SC_NCLASSES]", nclasses, v_size);
  print_array("uint8_t sc_class_npages[SC_NCLASSES]", nclasses, v_npages);
  print_array("uint16_t sc_class_nobjs[SC_NCLASSES]", nclasses, v_nobjs);
  print_array("uint16_t sc_class_tail[SC_NCLASSES]", nclasses, v_tail);
  print_array("uint32_t sc_class_divmagic[SC_NCLASSES]", nclasses, v_magic);
  print_array("uint8_t sc_size_to_class8[SC_SMALLMAX / SC_SMALLDIV + 1]",
              SC_SMALLMAX / SC_SMALLDIV + 1, v_class8);
  print_array("uint8_t sc_size_to_class128[(SC_MAXSMALL - SC_SMALLMAX) / SC_LARGEDIV + 1]",
              (SC_MAXSMALL - SC_SMALLMAX) / SC_LARGEDIV + 1, v_class128);
  return fflush(stdout) != 0;
}
