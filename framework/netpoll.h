/*
** netpoll.h: the network poller's face for the scheduler (internal; Go's
** netpoll.go and netpoll_epoll.go in C).
**
** Gs parked on fds are found again by netpoll(), which proc.c calls from
** the schedule loop (without waiting, when a P runs out of work), from an
** idle M (waiting, until the next timer, when nothing else can run: one M
** at a time), and from sysmon (when nobody has polled for 10 ms).  The Gs it
** returns are chained through their policy link, their wake-up result in
** g->param, and are still G_WAITING: the caller makes them runnable.
*/
#ifndef NETPOLL_H
#define NETPOLL_H

#include <stdbool.h>
#include <stdint.h>

#include "rt_module.h"

/* rt_run's start and end: the epoll instance and its wake-up eventfd. */
int netpoll_start(char *err, size_t errlen);
void netpoll_stop(void);

/* Gs parked on fds right now (any thread; may be stale). */
int netpoll_waiters(void);

/* Collects the Gs whose fds became ready, waiting until the absolute
** rt_now() time `until` at most (0: do not wait; INT64_MAX: no limit) or
** until netpoll_break.  Returns the chain (NULL when none) and its length
** in *n. */
rt_g *netpoll(int64_t until, int *n);

/* Makes a netpoll that is waiting return now (shutdown). */
void netpoll_break(void);

#endif
