/*
** lock.c: the M-level lock (rt_lock) and futex helpers.
**
** rt_lock is the three-state futex mutex (0 free, 1 held, 2 held with
** sleepers): an uncontended acquire/release is one atomic each and no
** system call.  Contended acquirers spin a little first, because the
** holders in rtlab keep their locks for tens of nanoseconds (a queue
** push, a channel hand-off) and sleeping costs microseconds.
*/
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "rt_module.h"

void lock_futex_wait(_Atomic uint32_t *addr, uint32_t val) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

void lock_futex_wait_ns(_Atomic uint32_t *addr, uint32_t val, int64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

void lock_futex_wake(_Atomic uint32_t *addr, int n) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}


bool rt_lock_try(rt_lock *l) {
  uint32_t z = 0;
  return atomic_compare_exchange_strong_explicit(&l->v, &z, 1, memory_order_acquire,
                                                 memory_order_relaxed);
}

/* The slow path, out of line so the fast path inlines small. */
static void lock_slow(rt_lock *l) {
  for (int i = 0; i < 100; i++) {
    lock_pause();
    uint32_t z = 0;
    if (atomic_load_explicit(&l->v, memory_order_relaxed) == 0 &&
        atomic_compare_exchange_weak_explicit(&l->v, &z, 1, memory_order_acquire,
                                              memory_order_relaxed))
      return;
  }
  /* Mark "held with sleepers" and sleep until we are the one who took it. */
  while (atomic_exchange_explicit(&l->v, 2, memory_order_acquire) != 0)
    lock_futex_wait(&l->v, 2);
}

void rt_lock_acquire(rt_lock *l) {
  if (!rt_lock_try(l)) lock_slow(l);
}

void rt_lock_release(rt_lock *l) {
  if (atomic_exchange_explicit(&l->v, 0, memory_order_release) == 2)
    lock_futex_wake(&l->v, 1);
}

void rt_nanosleep(uint64_t ns) {
  struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
  nanosleep(&ts, NULL);
}
