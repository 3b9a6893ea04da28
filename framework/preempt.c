/*
** preempt.c: signal preemption (preempt=signal; Go's asynchronous
** preemption, preempt.go and signal_unix.go, in C).
**
** sysmon sends SIGURG (Go's choice: a signal nobody uses for anything
** else) to the M of a G that ran a whole time slice.  The handler checks
** that the interrupted instruction may be left for a while:
**   - the thread is an M running a G that was asked to yield;
**   - the pc lies in the program's own code (the main executable's text),
**     not in a shared library: libc's malloc or stdio may hold a lock
**     that the next G on this M would wait for forever;
**   - and not in the runtime (rtcore.ld's rt_text_lo .. rt_text_hi),
**     which touches per-P state and holds locks without a word to anyone;
**   - the G's stack has room for the saved state.
** If so, it makes the code call rt_async_preempt (ctx_x86_64.S), which
** saves every register and yields.  If not, nothing happens, and sysmon
** asks again next round.  The rest of the handler's work is not done in
** the handler: after sigreturn the yield runs in an ordinary context, with
** the signal mask restored.
**
** What a program gives up: a G may stop between any two instructions of
** its code and resume on another thread, so code must not keep a
** thread-local's address (errno's) across a point where it could be
** stopped, nor hold an OS lock (a pthread mutex) another G takes.
*/
#define _GNU_SOURCE
#include "sysmon.h"

#include <errno.h>
#include <link.h>
#include <signal.h>
#include <string.h>

#include "ctx.h"
#include "fail.h"
#include "proc.h"

#define PRE_SIG SIGURG
#define PRE_ROOM 16384        /* stack a preemption needs: the red zone,
                                 the saved registers (xsave: 2.7 KiB with
                                 AVX-512) and the yield's frames */

#if defined(__x86_64__)
unsigned rt_xsave_size;                   /* read by rt_async_preempt (ctx_x86_64.S) */
#endif

#if defined(__x86_64__) && !defined(RT_TSAN)
#include <cpuid.h>
#include <ucontext.h>

extern char rt_text_lo[], rt_text_hi[];  /* rtcore.ld */
void rt_async_preempt(void);              /* ctx_x86_64.S */

static struct {
  uintptr_t lo, hi;          /* the main executable's code */
  bool installed;            /* our handler is in place */
  struct sigaction old;      /* the one it replaced */
} PR;

/* The executable is the first object dl_iterate_phdr reports. */
static int pre_exe(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  (void)arg;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (!PR.lo || lo < PR.lo) PR.lo = lo;
    if (hi > PR.hi) PR.hi = hi;
  }
  return 1;
}

static void pre_handler(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  int saved = errno;
  ucontext_t *uc = ctx;
  greg_t *r = uc->uc_mcontext.gregs;
  uintptr_t pc = (uintptr_t)r[REG_RIP], sp = (uintptr_t)r[REG_RSP];
  if (pc >= PR.lo && pc < PR.hi &&
      !(pc >= (uintptr_t)rt_text_lo && pc < (uintptr_t)rt_text_hi) &&
      sched_async_wanted(sp, PRE_ROOM)) {
    sp -= 128 + 8;  /* past the red zone, then the "return address" */
    *(uintptr_t *)sp = pc;
    r[REG_RSP] = (greg_t)sp;
    r[REG_RIP] = (greg_t)(uintptr_t)rt_async_preempt;
  }
  errno = saved;
}

int preempt_start(char *err, size_t errlen) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
    return fw_fail(RT_EINVAL, err, errlen,
                   "preempt=signal needs xsave, which this CPU or OS lacks "
                   "(allowed here: off, coop)");
  __cpuid_count(0xd, 0, a, b, c, d);
  rt_xsave_size = (b + 63) & ~63u;
  if (!PR.hi) dl_iterate_phdr(pre_exe, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = pre_handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(PRE_SIG, &sa, &PR.old) != 0)
    return fw_fail(RT_EINVAL, err, errlen, "preempt=signal: cannot install a SIGURG handler: %s",
                   strerror(errno));
  PR.installed = true;
  return RT_OK;
}

void preempt_stop(void) {
  if (PR.installed) sigaction(PRE_SIG, &PR.old, NULL);
  PR.installed = false;
}

void preempt_signal(pthread_t t) { pthread_kill(t, PRE_SIG); }

#else  /* no signal preemption here */

int preempt_start(char *err, size_t errlen) {
#ifdef RT_TSAN
  return fw_fail(RT_EINVAL, err, errlen,
                 "preempt=signal is not available under ThreadSanitizer, which "
                 "delivers signals late (allowed here: off, coop)");
#else
  return fw_fail(RT_EINVAL, err, errlen,
                 "preempt=signal is implemented for x86-64 only (allowed here: off, coop)");
#endif
}

void preempt_stop(void) {}
void preempt_signal(pthread_t t) { (void)t; }

#endif
