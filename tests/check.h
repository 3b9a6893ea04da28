/*
** check.h: the tiny test harness.  CHECK counts failures and goes on;
** the program's exit code is the number of failures (0 = pass).
*/
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int check_failures;

#define CHECK(cond) do { if (!(cond)) { check_failures++; \
  fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECKF(cond, ...) do { if (!(cond)) { check_failures++; \
  fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
  fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
/* a and b are evaluated once each (they may be calls with effects). */
#define CHECK_EQ(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
  CHECKF(a_ == b_, "%s != %s: %lld != %lld", #a, #b, a_, b_); } while (0)

static inline int check_done(const char *name) {
  if (check_failures) fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
  return check_failures > 255 ? 255 : check_failures;
}

/* Runs fn in a child process (for fatal errors, which exit): returns its
** exit status, or 128 + the signal that killed it, with its stderr in err. */
static inline int check_in_child(void (*fn)(void), char *err, size_t len) {
  int fd[2];
  if (pipe(fd) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 2);
    close(fd[0]);
    fn();
    _exit(0);
  }
  close(fd[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < len && (r = read(fd[0], err + n, len - 1 - n)) > 0) n += (size_t)r;
  err[n] = 0;
  close(fd[0]);
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif
