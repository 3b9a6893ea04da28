/*
** test_sizeclass.c: allocators/sizeclass.h against Go 1.19's published
** size-class table (the comment table of src/runtime/sizeclasses.go,
** transcribed below as facts): every class entry by entry, the size ->
** class lookup for every size 1 .. 32768, the multiply-shift object index
** for every offset of every span, the waste figures, and sc_roundup.
*/
#include "check.h"
#include "sizeclass.h"

#include <stdlib.h>

typedef struct {
  int size;     /* bytes/obj */
  int span;     /* bytes/span */
  int objs;     /* objects */
  int tail;     /* tail waste */
  int maxwaste; /* max waste, in hundredths of a percent */
} go_class;

/* Go 1.19 sizeclasses.go, classes 1 .. 67 (class 0 unused). */
static const go_class go[SC_NCLASSES] = {
  {0, 0, 0, 0, 0},
  {8, 8192, 1024, 0, 8750},      {16, 8192, 512, 0, 4375},      {24, 8192, 341, 8, 2924},
  {32, 8192, 256, 0, 2188},      {48, 8192, 170, 32, 3152},     {64, 8192, 128, 0, 2344},
  {80, 8192, 102, 32, 1907},     {96, 8192, 85, 32, 1595},      {112, 8192, 73, 16, 1356},
  {128, 8192, 64, 0, 1172},      {144, 8192, 56, 128, 1182},    {160, 8192, 51, 32, 973},
  {176, 8192, 46, 96, 959},      {192, 8192, 42, 128, 925},     {208, 8192, 39, 80, 812},
  {224, 8192, 36, 128, 815},     {240, 8192, 34, 32, 662},      {256, 8192, 32, 0, 586},
  {288, 8192, 28, 128, 1216},    {320, 8192, 25, 192, 1180},    {352, 8192, 23, 96, 988},
  {384, 8192, 21, 128, 951},     {416, 8192, 19, 288, 1071},    {448, 8192, 18, 128, 837},
  {480, 8192, 17, 32, 682},      {512, 8192, 16, 0, 605},       {576, 8192, 14, 128, 1233},
  {640, 8192, 12, 512, 1548},    {704, 8192, 11, 448, 1393},    {768, 8192, 10, 512, 1394},
  {896, 8192, 9, 128, 1552},     {1024, 8192, 8, 0, 1240},      {1152, 8192, 7, 128, 1241},
  {1280, 8192, 6, 512, 1555},    {1408, 16384, 11, 896, 1400},  {1536, 8192, 5, 512, 1400},
  {1792, 16384, 9, 256, 1557},   {2048, 8192, 4, 0, 1245},      {2304, 16384, 7, 256, 1246},
  {2688, 8192, 3, 128, 1559},    {3072, 24576, 8, 0, 1247},     {3200, 16384, 5, 384, 622},
  {3456, 24576, 7, 384, 883},    {4096, 8192, 2, 0, 1560},      {4864, 24576, 5, 256, 1665},
  {5376, 16384, 3, 256, 1092},   {6144, 24576, 4, 0, 1248},     {6528, 32768, 5, 128, 623},
  {6784, 40960, 6, 256, 436},    {6912, 49152, 7, 768, 337},    {8192, 8192, 1, 0, 1561},
  {9472, 57344, 6, 512, 1428},   {9728, 49152, 5, 512, 364},    {10240, 40960, 4, 0, 499},
  {10880, 32768, 3, 128, 624},   {12288, 24576, 2, 0, 1145},    {13568, 40960, 3, 256, 999},
  {14336, 57344, 4, 0, 535},     {16384, 16384, 1, 0, 1249},    {18432, 73728, 4, 0, 1111},
  {19072, 57344, 3, 128, 357},   {20480, 40960, 2, 0, 687},     {21760, 65536, 3, 256, 625},
  {24576, 24576, 1, 0, 1145},    {27264, 81920, 3, 128, 1000},  {28672, 57344, 2, 0, 491},
  {32768, 32768, 1, 0, 1250},
};

/* Every class, entry by entry, and the waste figures. */
static void test_table(void) {
  CHECK_EQ(SC_NCLASSES, 68);
  CHECK_EQ(SC_PAGE, 8192);
  CHECK_EQ(sc_size(0), 0);
  CHECK_EQ(sc_npages(0), 0);
  CHECK_EQ(sc_nobjs(0), 0);
  CHECK_EQ(sc_size(SC_NCLASSES - 1), SC_MAXSMALL);
  CHECK_EQ(sc_size(SC_TINYCLASS), SC_TINY);
  int prev = 0;
  for (int c = 1; c < SC_NCLASSES; c++) {
    CHECKF(sc_size(c) == (size_t)go[c].size, "class %d size %zu", c, sc_size(c));
    CHECKF(sc_npages(c) * SC_PAGE == (size_t)go[c].span, "class %d npages %zu", c, sc_npages(c));
    CHECKF(sc_spanbytes(c) == (size_t)go[c].span, "class %d span", c);
    CHECKF(sc_nobjs(c) == (size_t)go[c].objs, "class %d nobjs %zu", c, sc_nobjs(c));
    CHECKF(sc_tailwaste(c) == (size_t)go[c].tail, "class %d tail %zu", c, sc_tailwaste(c));
    CHECKF(sc_nobjs(c) * sc_size(c) + sc_tailwaste(c) == sc_spanbytes(c), "class %d sum", c);
    CHECKF(sc_tailwaste(c) < sc_size(c), "class %d: another object fits the tail", c);
    CHECKF(sc_tailwaste(c) * 8 <= sc_spanbytes(c), "class %d: tail over 12.5%%", c);
    CHECKF(sc_divmagic(c) == UINT32_MAX / go[c].size + 1, "class %d divmagic %u", c,
           sc_divmagic(c));
    /* Max waste: a request one byte over the previous class in every slot,
    ** plus the tail; Go prints it rounded to 0.01%. */
    long long num = ((long long)(go[c].size - prev - 1) * go[c].objs + go[c].tail) * 10000;
    long long span = go[c].span;
    CHECKF(llabs(2 * num - 2 * go[c].maxwaste * span) <= span, "class %d max waste %.2f%%", c,
           (double)num / span / 100);
    CHECKF(c == 1 || sc_size(c) > sc_size(c - 1), "class %d not increasing", c);
    CHECKF(sc_size(c) % (sc_size(c) < 32 ? 8 : 16) == 0, "class %d misaligned", c);
    prev = go[c].size;
  }
}

/* sc_class(n) is the smallest class holding n, for every n; and 0 outside. */
static void test_class(void) {
  CHECK_EQ(sc_class(0), 0);
  int want = 1;
  for (size_t n = 1; n <= SC_MAXSMALL; n++) {
    while ((size_t)go[want].size < n) want++;
    CHECKF(sc_class(n) == want, "sc_class(%zu) = %d, want %d", n, sc_class(n), want);
  }
  CHECK_EQ(sc_class(SC_MAXSMALL + 1), 0);
  CHECK_EQ(sc_class((size_t)1 << 40), 0);
  CHECK_EQ(sc_class(SIZE_MAX), 0);
  CHECK_EQ(sc_class(SC_TINY), SC_TINYCLASS);
}

/* sc_objindex == offset / size at every object start and every interior
** offset of every span, and at the span's end (Go's check: 0 .. span). */
static void test_objindex(void) {
  for (int c = 1; c < SC_NCLASSES; c++) {
    int bad = 0;
    uintptr_t size = sc_size(c);
    for (uintptr_t off = 0; off <= sc_spanbytes(c); off++)
      if (sc_objindex(c, off) != off / size && bad++ < 3)
        CHECKF(0, "class %d: objindex(%zu) = %u, want %zu", c, (size_t)off,
               sc_objindex(c, off), (size_t)(off / size));
    for (uint32_t i = 0; i < sc_nobjs(c); i++) {
      CHECK_EQ(sc_objindex(c, i * size), i);             /* object start */
      CHECK_EQ(sc_objindex(c, i * size + size - 1), i);  /* its last byte */
    }
    CHECK_EQ(sc_objindex(c, sc_spanbytes(c) - 1), sc_nobjs(c) - (sc_tailwaste(c) == 0));
  }
}

/* What a request really occupies: the class size, else whole pages. */
static void test_roundup(void) {
  CHECK_EQ(sc_roundup(0), 0);
  CHECK_EQ(sc_roundup(1), 8);
  CHECK_EQ(sc_roundup(17), 24);
  CHECK_EQ(sc_roundup(1025), 1152);
  CHECK_EQ(sc_roundup(32768), 32768);
  CHECK_EQ(sc_roundup(32769), 40960);
  CHECK_EQ(sc_roundup(81920), 81920);
  CHECK_EQ(sc_roundup(SIZE_MAX), SIZE_MAX);
  for (size_t n = 1; n <= SC_MAXSMALL; n++)
    if (sc_roundup(n) != sc_size(sc_class(n)) || sc_roundup(n) < n) CHECKF(0, "roundup(%zu)", n);
}

int main(void) {
  test_table();
  test_class();
  test_objindex();
  test_roundup();
  return check_done("test_sizeclass");
}
