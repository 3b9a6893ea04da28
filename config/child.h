/*
** child.h: running one program as a child process, the way the runner
** runs trials: its own process group (a timeout kills all it started),
** SIGTERM at the deadline and SIGKILL after a grace period, killed with
** the runner if the runner dies, stdout kept, the tail of stderr kept, and
** its rusage from wait4.
*/
#ifndef RTLAB_CHILD_H
#define RTLAB_CHILD_H

#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>

#define CHILD_TAIL 2048          /* bytes of stderr kept */
#define CHILD_OUTMAX (1 << 20)   /* bytes of stdout kept */
#define CHILD_KILL_GRACE_MS 2000 /* from SIGTERM to SIGKILL */

/* What became of a trial. */
typedef struct child_result {
  const char *status;      /* ok | crash | timeout | error */
  int signal;              /* the signal that ended it, or 0 */
  int exit;                /* exit status, -1 when signalled */
  int64_t wall_ns;         /* fork to reap */
  struct rusage ru;        /* the child's */
  char *out;               /* its stdout */
  char tail[CHILD_TAIL + 1]; /* the end of its stderr */
  const char *line;        /* the JSON line in out, or NULL */
} child_result;

/* Runs argv[0] with argv, for at most timeout seconds (then SIGTERM, and
** SIGKILL after the grace period).  When *stop becomes nonzero (the
** runner was interrupted) the child is ended at once.  The status is
**   ok       exit 0 and a JSON object line on stdout (o->line)
**   crash    ended by a signal (o->signal)
**   timeout  ended by the deadline
**   error    anything else (o->tail holds the end of its stderr)
** o->out must be freed by the caller. */
void child_run(const char *const *argv, double timeout, volatile sig_atomic_t *stop,
               child_result *o);

/* Runs argv to completion and returns its stdout (malloc'd), or NULL when
** it cannot run or exits nonzero.  For short queries such as `peer -list`. */
char *child_capture(char *const argv[]);

#endif
