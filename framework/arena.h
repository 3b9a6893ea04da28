/*
** arena.h: the one reserved address range every allocator carves pages
** from (internal).  Allocators reach it through the allocator boundary of
** rt_module.h; the collectors find objects through its page map.
**
** The arena is a single PROT_NONE reservation of ARENA_PAGE (8 KiB) pages.
** arena_alloc grants runs of contiguous pages, committed (read/write) and
** zeroed; arena_free takes a run back and gives its memory to the OS
** (MADV_DONTNEED) while keeping it mapped read/write, so a later grant of
** the same pages costs no mprotect and reads zeros.  Free runs are
** coalesced with their neighbours and chosen by address-ordered first fit,
** as Go's page allocator does, which keeps the heap compact at low
** addresses (arena.c explains the search structure and its cost).
**
** Every page also has an owner word (the page map), which an allocator sets
** for the runs it carves so that any interior pointer leads back to its
** span, block or object in O(1): that is how base_of is answered.
**
** Under AddressSanitizer a freed run is poisoned until it is granted
** again, so a read of freed pages is reported where it happens.
**
** Threads: arena_alloc, arena_free, arena_set_owner and arena_stats may be
** called from any thread (any M) at once.  arena_owner and arena_contains
** take no lock at all.  arena_init and arena_fini are called while nothing
** uses the arena (before the first and after the last M of a run).
*/
#ifndef ARENA_H
#define ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARENA_PAGE_SHIFT 13
#define ARENA_PAGE ((size_t)1 << ARENA_PAGE_SHIFT)  /* 8 KiB: the unit of a grant */

/* Address space reserved when arena_init is given 0: 64 GiB costs nothing
** but page tables for what is touched.  When the OS refuses a reservation
** (RLIMIT_AS, a 39-bit address space...) arena_init halves it until it fits,
** down to ARENA_MIN_RESERVE. */
#define ARENA_DEFAULT_RESERVE ((size_t)64 << 30)
#define ARENA_MIN_RESERVE ((size_t)4 << 20)
/* Largest reservation: 2^31 pages (16 TiB) keep page counts in 32 bits. */
#define ARENA_MAX_RESERVE ((size_t)1 << (31 + ARENA_PAGE_SHIFT))

/* The high-water mark of granted pages is committed (mprotect read/write)
** in steps of this many pages: few system calls, and at most this much
** slack committed beyond the highest page ever granted. */
#define ARENA_CHUNK_PAGES 64

/* ==== life cycle ===================================================== */

/* Reserves the arena: reserve_bytes of address space (0: the default;
** rounded up to whole pages; at most ARENA_MAX_RESERVE), halved while the
** OS refuses it.  The page map and the free-page index are reserved beside
** it (MAP_NORESERVE, about 1/1000 of the reservation) and cost only what
** is touched.  RT_OK; RT_EBUSY when the arena is already set up; RT_EINVAL
** for a size too large; RT_ENOMEM when not even the smallest reservation
** fits.  A message goes into err (may be NULL). */
int arena_init(size_t reserve_bytes, char *err, size_t errlen);

/* Unmaps the reservation and its tables; every pointer into the arena
** dies.  arena_init may be called again afterwards.  No-op if not set up. */
void arena_fini(void);

/* ==== page runs ====================================================== */

/* A run of npages contiguous pages, ARENA_PAGE-aligned, read/write and
** zero-filled, with no owner; NULL (counted in failures) when npages is 0,
** the arena is not set up, no free run is long enough, or the OS refuses
** to commit.  node >= 0 asks that the run's memory live on that NUMA node
** (logical index, as rt_sp_node): with a real topology of several nodes,
** the run is bound before it is handed out; a machine that cannot bind is
** counted in bind_unsupported; with one node, a synthetic topology or
** outside a run, node is ignored.  A run granted with node < 0 keeps the
** memory policy its pages had last (the process default at first). */
void *arena_alloc(size_t npages, int node);

/* arena_alloc that also says how many of the run's pages were retained
** ones (arena_retain) reused: still resident, zeroed here with memset, so
** they add nothing to the memory the process holds.  *reused may be NULL. */
void *arena_grant(size_t npages, int node, size_t *reused);

/* Gives back a run exactly as granted (same start, same npages; freeing
** part of a run, or several runs in one call, is allowed as long as every
** page was granted and is not yet freed).  Its memory goes back to the OS
** at once and its pages lose their owner.  NULL is a no-op.  A run not in
** the arena, misaligned, or with pages that are not granted (a double
** free) is ignored and counted in bad_frees; nothing is released.  (A
** double free of pages granted again since cannot be told apart.) */
void arena_free(void *run, size_t npages);

/* arena_free that keeps the memory: the pages become free (granted again
** by first fit like any other, zeroed by memset then) but stay resident,
** counted in `retained`, until arena_scavenge releases them.  For an
** allocator's page heap, which frees and regrants runs often: a released
** page costs a page fault on its next first touch (10+ us under some
** hypervisors), a memset of 8 KiB a few hundred ns.  Same checks as
** arena_free. */
void arena_retain(void *run, size_t npages);

/* Releases (MADV_DONTNEED) retained pages retained at least min_age_ms
** ago, in address order, at most max_pages of them: Go's scavenger.  The
** bytes released.  Cheap to call often: it scans (up to the highest page
** ever granted) at most once per min_age_ms / 2 and returns 0 otherwise.
** Any thread; the madvise calls run outside the lock. */
size_t arena_scavenge(uint64_t min_age_ms, size_t max_pages);

/* ==== the page map =================================================== */

/* Every page of [run, run + npages * ARENA_PAGE) gets owner (NULL: none).
** Call it only for pages the caller holds (granted, not freed); ignored
** for ranges outside the arena.  The store is a release: a thread that
** reads owner through arena_owner sees what was written before. */
void arena_set_owner(void *run, size_t npages, void *owner);

/* The owner of the page holding addr: NULL when addr is outside the arena
** or its page has no owner.  O(1), lock-free, any thread; it may race
** with arena_set_owner and arena_free on other pages only. */
void *arena_owner(const void *addr);

/* Whether addr lies in the reservation (granted or not).  Lock-free. */
bool arena_contains(const void *addr);

/* The reservation: its first byte and its size in bytes (NULL, 0 when
** not set up).  Lock-free. */
void *arena_base(void);
size_t arena_size(void);

/* ==== counters ======================================================= */

typedef struct arena_stats_t {
  size_t reserved;            /* bytes of address space reserved (whole arena) */
  size_t committed;           /* bytes made read/write: the high-water mark of
                                 grants rounded up to ARENA_CHUNK_PAGES; never
                                 shrinks (released pages stay read/write) */
  size_t in_use;              /* bytes granted and not yet freed */
  size_t peak_in_use;         /* highest in_use since arena_init */
  size_t released;            /* bytes given back to the OS (MADV_DONTNEED)
                                 since arena_init, summed over every free */
  size_t retained;            /* bytes free but resident (arena_retain), not
                                 yet scavenged or granted again */
  size_t reused;              /* bytes of retained pages granted again since
                                 arena_init */
  size_t free_runs;           /* maximal free runs, not counting the one that
                                 reaches the end of the arena: holes */
  uint64_t grants;            /* arena_alloc calls that returned a run */
  uint64_t frees;             /* arena_free calls that took a run back */
  uint64_t failures;          /* arena_alloc calls that returned NULL */
  uint64_t bad_frees;         /* arena_free calls ignored as invalid */
  uint64_t bound;             /* grants bound to the NUMA node asked for */
  uint64_t bind_unsupported;  /* grants that asked for a node on a multi-node
                                 machine where hwloc cannot bind memory */
  uint64_t bind_failed;       /* grants whose binding the OS refused */
} arena_stats_t;

/* A consistent snapshot of the counters (all zero when not set up). */
void arena_stats(arena_stats_t *out);

/* For tests: recomputes the free-page index from the page bitmap and
** compares; the number of inconsistencies (0 when sound). */
int arena_verify(void);

#endif
