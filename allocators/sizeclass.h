/*
** sizeclass.h: Go's size classes for the `segregated` allocator.
**
** Small objects (1 .. SC_MAXSMALL bytes) are rounded up to one of 67 size
** classes; each class carves spans of a fixed number of 8 KiB pages into
** objects of its size.  The table is Go 1.19's (src/runtime/sizeclasses.go,
** 68 entries, class 0 unused), derived by tools/mksizeclass.c with the
** rules of Go's mksizeclasses.go:
**   - sizes walk up in alignment steps (8 B; 16 B from 32 B; size/8 from
**     128 B; 256 B from 2 KiB), so rounding a request up wastes <= 12.5%;
**   - a class's span is the fewest pages whose tail (the bytes no object
**     fits in) is <= 1/8 of the span;
**   - a size that gets the same pages and objects per span as the class
**     before it replaces that class's size (fewer classes, same waste);
**   - last, each size grows to span/objects rounded down to 128 B, since
**     the same objects fit anyway.
** The generated numbers live in sizeclass_table.h (checked in; a CTest
** regenerates it and diffs), defined in sizeclass.c.
**
** The lookups here are what the allocator's fast path and base_of use:
** sc_class is two table reads (Go's size_to_class8 / size_to_class128),
** sc_objindex divides a span offset by the object size with one multiply
** (Go's divMagic: offset * (2^32 / size, rounded up) >> 32, checked exact
** for every offset 0 .. span bytes by the generator and by the tests).
*/
#ifndef SIZECLASS_H
#define SIZECLASS_H

#include <stddef.h>
#include <stdint.h>

#define SC_NCLASSES 68       /* classes 0 .. 67; class 0 means "none" */
#define SC_MAXSMALL 32768    /* largest size served from a class */
#define SC_TINY 16           /* the tiny allocator's block size */
#define SC_TINYCLASS 2       /* the class whose objects are tiny blocks */
#define SC_PAGESHIFT 13      /* log2 of SC_PAGE */
#define SC_PAGE (1 << SC_PAGESHIFT) /* 8 KiB: spans are runs of these */
#define SC_SMALLMAX 1024     /* sizes up to this: 8-byte lookup steps */
#define SC_SMALLDIV 8        /* step of sc_size_to_class8 */
#define SC_LARGEDIV 128      /* step of sc_size_to_class128 above SMALLMAX */

/* The table (sizeclass_table.h), indexed by class. */
extern const uint16_t sc_class_size[SC_NCLASSES];     /* bytes per object */
extern const uint8_t sc_class_npages[SC_NCLASSES];    /* 8 KiB pages per span */
extern const uint16_t sc_class_nobjs[SC_NCLASSES];    /* objects per span */
extern const uint16_t sc_class_tail[SC_NCLASSES];     /* span bytes after the last object */
extern const uint32_t sc_class_divmagic[SC_NCLASSES]; /* 0xFFFFFFFF / size + 1 */
/* Size -> class: [i] is the smallest class of size >= i * 8 (i <= 128),
** and of size >= 1024 + i * 128 (i <= 248). */
extern const uint8_t sc_size_to_class8[SC_SMALLMAX / SC_SMALLDIV + 1];
extern const uint8_t sc_size_to_class128[(SC_MAXSMALL - SC_SMALLMAX) / SC_LARGEDIV + 1];

/* The smallest class whose objects hold `size` bytes; 0 for size 0 and for
** sizes over SC_MAXSMALL (those go to the page heap). */
static inline uint8_t sc_class(size_t size) {
  if (size <= SC_SMALLMAX) return sc_size_to_class8[(size + SC_SMALLDIV - 1) / SC_SMALLDIV];
  if (size <= SC_MAXSMALL)
    return sc_size_to_class128[(size - SC_SMALLMAX + SC_LARGEDIV - 1) / SC_LARGEDIV];
  return 0;
}

static inline size_t sc_size(uint8_t cls) { return sc_class_size[cls]; }
static inline size_t sc_npages(uint8_t cls) { return sc_class_npages[cls]; }
static inline size_t sc_nobjs(uint8_t cls) { return sc_class_nobjs[cls]; }
static inline size_t sc_tailwaste(uint8_t cls) { return sc_class_tail[cls]; }
static inline size_t sc_spanbytes(uint8_t cls) { return (size_t)sc_class_npages[cls] << SC_PAGESHIFT; }
static inline uint32_t sc_divmagic(uint8_t cls) { return sc_class_divmagic[cls]; }

/* offset / sc_size(cls) without a division, exact for 0 <= offset <=
** sc_spanbytes(cls): the index of the object holding the byte at `offset`
** from the span's start (cls != 0). */
static inline uint32_t sc_objindex(uint8_t cls, uintptr_t offset) {
  return (uint32_t)(((uint64_t)offset * sc_class_divmagic[cls]) >> 32);
}

/* The size a request of `size` bytes really occupies: its class's size,
** or whole pages above SC_MAXSMALL (Go's roundupsize); size 0 gives 0. */
size_t sc_roundup(size_t size);

#endif
