/*
** lock.h: futex helpers for the framework (internal).  rt_lock itself is
** declared in rt_module.h because modules use it too.
*/
#ifndef LOCK_H
#define LOCK_H

#include <stdatomic.h>
#include <stdint.h>

/* Sleeps while *addr == val (or until a wake-up or a signal). */
void lock_futex_wait(_Atomic uint32_t *addr, uint32_t val);
/* The same, for at most ns nanoseconds (ns > 0). */
void lock_futex_wait_ns(_Atomic uint32_t *addr, uint32_t val, int64_t ns);
/* Wakes up to n threads sleeping on addr. */
void lock_futex_wake(_Atomic uint32_t *addr, int n);

/* One spin-wait hint to the CPU (pause, yield). */
static inline void lock_pause(void) {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

#endif
