/*
** wl_fault.c: a workload that fails on purpose, so the runner's handling
** of a crashed, aborted, hung or failing trial can be proven by tests and
** seen by users (`rtlab trial --workload fault,mode=segv`).
**
**   segv   writes through a null pointer (SIGSEGV)
**   abort  calls abort() (SIGABRT)
**   hang   sleeps forever (the runner's timeout must end it)
**   error  returns a failed self-check (exit status 1, message on stderr)
**   ok     does n trivial operations and succeeds (a control)
*/
#include "workloads.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { F_N, F_MODE };
enum { MODE_SEGV, MODE_ABORT, MODE_HANG, MODE_ERROR, MODE_OK };

static const rt_param f_params[] = {
  {"n", RT_PT_INT, 1, 1, 1e9, NULL, "operations before failing (mode=ok: all of them)"},
  {"mode", RT_PT_ENUM, MODE_SEGV, 0, 0, "segv|abort|hang|error|ok", "how the trial fails"},
};

static int f_run(const rt_pval *vals, uint64_t *ops, char *err, size_t errlen) {
  volatile int64_t sink = 0;
  for (int64_t i = 0; i < vals[F_N].i; i++) sink += i;
  *ops = (uint64_t)vals[F_N].i;
  switch (vals[F_MODE].i) {
  case MODE_SEGV: {
    /* An address the compiler cannot see is null, so it keeps the store
    ** (a literal null store is undefined and may be deleted). */
    volatile uintptr_t addr = 8;
    *(volatile int *)addr = (int)sink;
    break;
  }
  case MODE_ABORT:
    abort();
  case MODE_HANG:
    for (;;) {
      struct timespec ts = {3600, 0};
      nanosleep(&ts, NULL);
    }
  case MODE_ERROR:
    snprintf(err, errlen, "fault: failing on purpose after %lld operations",
             (long long)vals[F_N].i);
    return 1;
  }
  return 0;
}

const wl_desc wl_fault = {
  "fault", "fails on purpose: segv, abort, hang or error (for testing the runner)",
  f_params, 2, NULL, f_run,
};
