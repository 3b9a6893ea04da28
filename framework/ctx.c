/*
** ctx.c: fresh contexts, G stacks with guard pages, and the stack
** overflow report.
*/
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ctx.h"
#include "rt_module.h"

void rt_ctx_entry(void);  /* ctx_*.S */

/* ==== fresh contexts ================================================= */

#if defined(__x86_64__)
void *rt_ctx_init(char *stack_lo, size_t size, void (*fn)(void *), void *arg) {
  uint64_t *sp = (uint64_t *)(((uintptr_t)stack_lo + size) & ~(uintptr_t)15);
  *--sp = 0;                        /* fake return address of rt_ctx_entry */
  *--sp = (uint64_t)rt_ctx_entry;   /* where rt_ctx_swap's ret goes */
  *--sp = 0;                        /* rbp */
  *--sp = 0;                        /* rbx */
  *--sp = (uint64_t)arg;            /* r12: fn's argument */
  *--sp = (uint64_t)fn;             /* r13: fn */
  *--sp = 0;                        /* r14 */
  *--sp = 0;                        /* r15 */
  *--sp = 0x037F00001F80ull;        /* MXCSR 0x1F80, x87 control 0x037F */
  return sp;
}
#elif defined(__aarch64__)
void *rt_ctx_init(char *stack_lo, size_t size, void (*fn)(void *), void *arg) {
  uint64_t *top = (uint64_t *)(((uintptr_t)stack_lo + size) & ~(uintptr_t)15);
  uint64_t *sp = top - 22;          /* the 176-byte frame of ctx_aarch64.S */
  memset(sp, 0, 176);
  sp[0] = (uint64_t)arg;            /* x19 */
  sp[1] = (uint64_t)fn;             /* x20 */
  sp[11] = (uint64_t)rt_ctx_entry;  /* x30: where ret goes */
  sp[20] = 0;                       /* FPCR: round to nearest, no traps */
  return sp;
}
/* Not in assembly here: the frame is prepared on the stack, then entered. */
void rt_ctx_start(void **save_sp, void *top, void (*fn)(void *), void *arg) {
  rt_ctx_swap(save_sp, rt_ctx_init(top, 0, fn, arg));
}
#else
# error "rtlab has context switches for x86-64 and aarch64 only"
#endif

/* ==== stacks ========================================================
**
** Stacks come from slabs of CTX_SLAB stacks, one mmap each, laid out as
** [guard][stack][guard][stack]...  and are never unmapped while a runtime
** runs (dead Gs keep theirs for reuse).  A guard page made with mprotect
** splits the mapping in two, and Linux allows only vm.max_map_count
** (65530 by default) mappings: a million Gs would run out.  So guards are
** installed with MADV_GUARD_INSTALL (Linux 6.13+), which does not split;
** where that is missing, with mprotect while the mapping budget lasts,
** and beyond it not at all.  An unguarded stack carries a canary word at
** its low end instead, which the scheduler checks when the G switches out,
** so its overflow is still reported (after the fact).
*/

#ifndef MADV_GUARD_INSTALL
# define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_POPULATE_WRITE
# define MADV_POPULATE_WRITE 23
#endif
#define CTX_SLAB 16

static struct {
  rt_lock lock;            /* guards everything below */
  struct slabrec {
    char *base;            /* start of the mapping */
    size_t len;            /* its length */
    struct slabrec *next;  /* older slabs */
  } *slabs;                /* every slab, for ctx_stacks_release */
  char *cur;               /* next unused stack slot of the newest slab */
  int left;                /* slots left in it */
  size_t size;             /* usable bytes per stack of the current slabs */
  int mode;                /* 0 unknown, 1 madvise guards, 2 mprotect, 3 none */
  long budget;             /* mprotect guards still allowed */
  bool slab_ready;         /* the current slab's guards and top pages are done */
  int pidfd;               /* this process, for process_madvise; -1: unusable */
} CS = {.pidfd = 0};

size_t ctx_page_size(void) {
  static size_t page;
  if (!page) page = (size_t)sysconf(_SC_PAGESIZE);
  return page;
}

static size_t round_page(size_t n) {
  size_t pg = ctx_page_size();
  return (n + pg - 1) & ~(pg - 1);
}

static long ctx_map_budget(void) {
  long max = 65530;
  FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
  if (f) {
    if (fscanf(f, "%ld", &max) != 1) max = 65530;
    fclose(f);
  }
  return max / 2 - 4096;   /* leave room for the program's own mappings */
}

/* Guards the page at g; false when no guard could be made. */
static bool ctx_guard(char *g) {
  size_t pg = ctx_page_size();
  if (CS.mode <= 1) {
    if (madvise(g, pg, MADV_GUARD_INSTALL) == 0) {
      CS.mode = 1;
      return true;
    }
    CS.mode = 2;
    CS.budget = ctx_map_budget();
  }
  if (CS.mode == 2 && CS.budget > 0 && mprotect(g, pg, PROT_NONE) == 0) {
    CS.budget -= 2;  /* the guard and the split-off rest */
    return true;
  }
  return false;
}

/* Applies advice to one page of each stack of the slab at base (offset
** off from each stack's guard), in one process_madvise call.  False when
** the kernel cannot (before Linux 6.13 for guards, 5.10 at all). */
static bool ctx_slab_advise(char *base, size_t stride, size_t off, int advice) {
  if (CS.pidfd == 0) CS.pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (CS.pidfd < 0) return false;
  struct iovec iov[CTX_SLAB];
  for (int i = 0; i < CTX_SLAB; i++)
    iov[i] = (struct iovec){base + (size_t)i * stride + off, ctx_page_size()};
  return syscall(SYS_process_madvise, CS.pidfd, iov, CTX_SLAB, advice, 0) ==
         (long)(CTX_SLAB * ctx_page_size());
}

/* A new slab: guard pages and first-touched top pages for all its stacks
** in two system calls instead of 2 per stack.  The top page is the one a
** new G writes first; faulting it in costs 10-16 us per page under this
** project's hypervisor, MADV_POPULATE_WRITE about 0.5 us.  Where a batch
** call fails, each stack gets its guard when it is handed out instead. */
static void ctx_slab_prepare(char *base, size_t stride) {
  size_t pg = ctx_page_size();
  CS.slab_ready = CS.mode <= 1 && ctx_slab_advise(base, stride, 0, MADV_GUARD_INSTALL);
  if (CS.slab_ready) {
    CS.mode = 1;
    ctx_slab_advise(base, stride, stride - pg, MADV_POPULATE_WRITE);
  }
}

char *ctx_stack_alloc(size_t size, bool *guarded) {
  size_t pg = ctx_page_size(), stride = round_page(size) + pg;
  rt_lock_acquire(&CS.lock);
  if (CS.left == 0 || CS.size != round_page(size)) {
    size_t len = stride * CTX_SLAB;
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    struct slabrec *r = base == MAP_FAILED ? NULL : malloc(sizeof *r);
    if (!r) {
      if (base != MAP_FAILED) munmap(base, len);
      rt_lock_release(&CS.lock);
      return NULL;
    }
    r->base = base;
    r->len = len;
    r->next = CS.slabs;
    CS.slabs = r;
    CS.cur = base;
    CS.left = CTX_SLAB;
    CS.size = round_page(size);
    ctx_slab_prepare(base, stride);
  }
  char *guard = CS.cur;
  CS.cur += stride;
  CS.left--;
  *guarded = CS.slab_ready || ctx_guard(guard);
  rt_lock_release(&CS.lock);
  char *lo = guard + pg;
  if (!*guarded) *(uint64_t *)lo = CTX_CANARY;  /* touches a page: only if needed */
  return lo;
}

void ctx_stacks_release(void) {
  rt_lock_acquire(&CS.lock);
  for (struct slabrec *r = CS.slabs, *nx; r; r = nx) {
    nx = r->next;
    munmap(r->base, r->len);
    free(r);
  }
  CS.slabs = NULL;
  CS.cur = NULL;
  CS.left = 0;
  if (CS.mode == 2) CS.budget = ctx_map_budget();
  rt_lock_release(&CS.lock);
}

/* ==== overflow report ================================================ */

static ctx_fault_fn ctx_describe;     /* asks the scheduler about a fault */
static struct sigaction ctx_oldsegv;  /* handler to fall back on */

static void ctx_segv(int sig, siginfo_t *si, void *uc) {
  char msg[256];
  if (ctx_describe && ctx_describe(si->si_addr, msg, sizeof msg)) {
    ssize_t r = write(2, msg, strlen(msg));
    (void)r;
    _exit(2);
  }
  /* Not ours: put the previous handler back and let the fault recur. */
  sigaction(SIGSEGV, &ctx_oldsegv, NULL);
  (void)sig; (void)uc;
}

#define CTX_ALTSTACK (64 * 1024)

int ctx_thread_init(ctx_fault_fn describe, void **altstack) {
  static int installed;
  if (!__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = ctx_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ctx_describe = describe;
    sigaction(SIGSEGV, &sa, &ctx_oldsegv);
  }
  *altstack = NULL;
  stack_t ss;
  if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE))
    return 0;  /* the thread has one already (e.g. a sanitizer's) */
  void *mem = malloc(CTX_ALTSTACK);
  if (!mem) return -1;
  ss.ss_sp = mem;
  ss.ss_size = CTX_ALTSTACK;
  ss.ss_flags = 0;
  if (sigaltstack(&ss, NULL) != 0) { free(mem); return -1; }
  *altstack = mem;
  return 0;
}

void ctx_thread_fini(void *altstack) {
  if (!altstack) return;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, NULL);
  free(altstack);
}
