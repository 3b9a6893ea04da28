/*
** json.h: a tiny streaming JSON writer for rtlab's machine-readable
** output (one trial = one line).  It tracks only what it must to place
** commas; it does not check that the caller nests correctly beyond a
** fixed depth.  Strings are escaped per RFC 8259; doubles that are not
** finite become null, since JSON has no NaN.
*/
#ifndef RTLAB_JSON_H
#define RTLAB_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAXDEPTH 32

typedef struct json_w {
  FILE *f;                        /* where the text goes */
  int depth;                      /* open objects and arrays */
  bool first[JSON_MAXDEPTH + 1];  /* per depth: no item written yet */
  bool after_key;                 /* a key was written; its value comes next */
} json_w;

void json_init(json_w *w, FILE *f);
void json_obj(json_w *w);         /* { */
void json_obj_end(json_w *w);     /* } */
void json_arr(json_w *w);         /* [ */
void json_arr_end(json_w *w);     /* ] */
void json_key(json_w *w, const char *k);
void json_str(json_w *w, const char *s);  /* NULL writes null */
void json_int(json_w *w, int64_t v);
void json_uint(json_w *w, uint64_t v);
void json_num(json_w *w, double v);
void json_bool(json_w *w, bool v);
void json_null(json_w *w);
/* Writes text, which must be one valid JSON value, as the next value. */
void json_raw(json_w *w, const char *text);

#endif
