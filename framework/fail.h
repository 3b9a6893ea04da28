/*
** fail.h: the one way framework files report an error: a message into an
** optional buffer and a negative code back (libuv style, never an abort).
*/
#ifndef RT_FAIL_H
#define RT_FAIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the message into err (which may be NULL) and returns code. */
__attribute__((format(printf, 4, 5)))
static inline int fw_fail(int code, char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

#endif
