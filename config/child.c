/*
** child.c: one child process with a deadline (see child.h).
*/
#define _GNU_SOURCE
#include "child.h"

#include "jsonr.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Keeps the last CHILD_TAIL bytes of a stream in o->tail. */
static void tail_add(child_result *o, size_t *tl, const char *buf, size_t n) {
  if (n >= CHILD_TAIL) {
    memcpy(o->tail, buf + n - CHILD_TAIL, CHILD_TAIL);
    *tl = CHILD_TAIL;
  } else {
    if (*tl + n > CHILD_TAIL) {
      size_t drop = *tl + n - CHILD_TAIL;
      memmove(o->tail, o->tail + drop, *tl - drop);
      *tl -= drop;
    }
    memcpy(o->tail + *tl, buf, n);
    *tl += n;
  }
  o->tail[*tl] = 0;
}

void child_run(const char *const *argv, double timeout, volatile sig_atomic_t *stop,
               child_result *o) {
  memset(o, 0, sizeof *o);
  int po[2], pe[2];
  if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
    o->status = "error";
    snprintf(o->tail, sizeof o->tail, "runner: pipe: %s", strerror(errno));
    return;
  }
  int64_t t0 = mono_ns();
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  /* its own group, so a timeout kills everything it started */
    /* A runner killed with -9 must not leave a hung trial behind. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    dup2(po[1], 1);
    dup2(pe[1], 2);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(po[1]);
  close(pe[1]);
  if (pid < 0) {
    close(po[0]);
    close(pe[0]);
    o->status = "error";
    snprintf(o->tail, sizeof o->tail, "runner: fork: %s", strerror(errno));
    return;
  }
  setpgid(pid, pid);
  size_t ocap = 4096, on = 0, tl = 0;
  o->out = malloc(ocap);
  struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
  int open_fds = 2;
  int64_t deadline = t0 + (int64_t)(timeout * 1e9), kill_at = 0;
  bool timed_out = false;
  char buf[8192];
  while (open_fds > 0) {
    int64_t now = mono_ns();
    if (!timed_out && (now >= deadline || *stop)) {
      timed_out = !*stop;
      kill(-pid, SIGTERM);
      kill_at = now + CHILD_KILL_GRACE_MS * 1000000ll;
      if (*stop) timed_out = false, kill_at = now;
    }
    if (kill_at && now >= kill_at) {
      kill(-pid, SIGKILL);
      kill_at = INT64_MAX;
    }
    int64_t until = kill_at ? kill_at : deadline;
    int ms = until == INT64_MAX ? 100 : (int)((until - now) / 1000000 + 1);
    if (ms > 100) ms = 100;  /* wake up to notice *stop */
    int r = poll(fds, 2, ms);
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < 2 && r > 0; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
      } else if (i == 1) {
        tail_add(o, &tl, buf, (size_t)n);
      } else if (o->out && on + (size_t)n < CHILD_OUTMAX) {
        if (on + (size_t)n + 1 > ocap) o->out = realloc(o->out, ocap = 2 * (on + (size_t)n) + 1);
        if (o->out) memcpy(o->out + on, buf, (size_t)n), on += (size_t)n;
      }
    }
  }
  int st = 0;
  /* Pipes closed; the child (or a daemonized grandchild holding them)
  ** must still be reaped, within the same deadline. */
  while (wait4(pid, &st, WNOHANG, &o->ru) == 0) {
    int64_t now = mono_ns();
    if (!timed_out && now >= deadline) {
      timed_out = true;
      kill(-pid, SIGTERM);
      kill_at = now + CHILD_KILL_GRACE_MS * 1000000ll;
    }
    if (kill_at && now >= kill_at) kill(-pid, SIGKILL), kill_at = INT64_MAX;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  kill(-pid, SIGKILL);  /* anything left in its group */
  o->wall_ns = mono_ns() - t0;
  if (o->out) o->out[on] = 0;
  o->exit = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  o->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;

  /* The result is the last line of stdout that parses as a JSON object. */
  char *line = NULL;
  for (char *p = o->out ? strtok(o->out, "\n") : NULL; p; p = strtok(NULL, "\n")) {
    jsonr_doc *d = jsonr_parse(p, strlen(p), NULL, 0);
    if (jsonr_is(jsonr_root(d), JSONR_OBJ)) line = p;
    jsonr_free(d);
  }
  o->line = line;
  if (timed_out) o->status = "timeout";
  else if (o->signal) o->status = "crash";
  else if (o->exit == 0 && line) o->status = "ok";
  else o->status = "error";
}

char *child_capture(char *const argv[]) {
  int fd[2];
  if (pipe(fd)) return NULL;
  pid_t pid = fork();
  if (pid < 0) return NULL;
  if (pid == 0) {
    dup2(fd[1], 1);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2);
    close(fd[0]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(fd[1]);
  size_t cap = 1024, n = 0;
  char *out = malloc(cap);
  ssize_t r;
  while (out && (r = read(fd[0], out + n, cap - n - 1)) > 0) {
    n += (size_t)r;
    if (n + 1 == cap) out = realloc(out, cap *= 2);
  }
  close(fd[0]);
  int st;
  waitpid(pid, &st, 0);
  if (!out || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    free(out);
    return NULL;
  }
  out[n] = 0;
  return out;
}

