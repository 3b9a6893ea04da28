/*
** sysmon.h: the runtime's options and its monitor thread (internal).
**
** sysmon (Go's sysmon in proc.go) is one thread without a P.  It wakes
** every 20 us, and after 50 rounds in which it had nothing to do it
** doubles its sleep up to max_ms.  Each round it
**   - asks a G that has held its P for time_slice_ms without a fresh
**     slice (the P's schedtick has not moved) to yield: a flag its M reads
**     at preemption points (preempt=coop), plus a signal that stops it
**     between two instructions of the program's code (preempt=signal);
**   - retakes the P of an M that has been in a system call for a round
**     or more when the P has work, or for 10 ms anyway (Go's retake);
**   - polls the network when nobody has for 10 ms.
** proc.c owns the Ps and Ms; this file decides when, proc.c acts
** (sched_retake, sched_preempt_req, sched_netpoll_inject).
*/
#ifndef SYSMON_H
#define SYSMON_H

#include <pthread.h>

#include "rt_module.h"

enum { PREEMPT_OFF, PREEMPT_COOP, PREEMPT_SIGNAL };

/* The resolved runtime options of a run. */
typedef struct rt_opts {
  int preempt;                /* PREEMPT_* */
  int64_t slice_ns;           /* time_slice_ms in ns */
  int64_t max_sleep_ns;       /* max_ms in ns */
  bool sysmon;                /* run the sysmon thread */
  int max_threads;            /* most Ms at once */
} rt_opts;

/* Resolves cfg's option string into *o.  RT_OK or RT_EINVAL with err. */
int opts_resolve(const char *kvs, rt_opts *o, char *err, size_t errlen);

/* Starts and stops the monitor thread (rt_run's start and end). */
int sysmon_start(const rt_opts *o);
void sysmon_stop(void);

/* preempt.c: signal preemption.  start installs the handler (RT_EINVAL
** with a message where it cannot work: not x86-64, ThreadSanitizer);
** preempt_signal interrupts thread t, whose running G then yields if it
** is in the program's own code. */
int preempt_start(char *err, size_t errlen);
void preempt_stop(void);
void preempt_signal(pthread_t t);

#endif
