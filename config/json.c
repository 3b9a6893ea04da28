/*
** json.c: the streaming JSON writer (see json.h).  Each value first asks
** json_sep for the comma its position needs.
*/
#include "json.h"

#include <math.h>
#include <stdlib.h>

void json_init(json_w *w, FILE *f) {
  w->f = f;
  w->depth = 0;
  w->first[0] = true;
  w->after_key = false;
}

/* Writes the separator a new item needs at the current position. */
static void json_sep(json_w *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (!w->first[w->depth]) fputc(',', w->f);
  w->first[w->depth] = false;
}

static void json_open(json_w *w, char c) {
  json_sep(w);
  fputc(c, w->f);
  if (w->depth < JSON_MAXDEPTH) w->depth++;
  w->first[w->depth] = true;
}

static void json_close(json_w *w, char c) {
  fputc(c, w->f);
  if (w->depth > 0) w->depth--;
}

void json_obj(json_w *w) { json_open(w, '{'); }
void json_obj_end(json_w *w) { json_close(w, '}'); }
void json_arr(json_w *w) { json_open(w, '['); }
void json_arr_end(json_w *w) { json_close(w, ']'); }

static void json_quoted(json_w *w, const char *s) {
  fputc('"', w->f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': fputs("\\\"", w->f); break;
    case '\\': fputs("\\\\", w->f); break;
    case '\n': fputs("\\n", w->f); break;
    case '\r': fputs("\\r", w->f); break;
    case '\t': fputs("\\t", w->f); break;
    default:
      if (*p < 0x20) fprintf(w->f, "\\u%04x", *p);
      else fputc(*p, w->f);
    }
  }
  fputc('"', w->f);
}

void json_key(json_w *w, const char *k) {
  json_sep(w);
  json_quoted(w, k);
  fputc(':', w->f);
  w->after_key = true;
}

void json_str(json_w *w, const char *s) {
  if (!s) {
    json_null(w);
    return;
  }
  json_sep(w);
  json_quoted(w, s);
}

void json_int(json_w *w, int64_t v) {
  json_sep(w);
  fprintf(w->f, "%lld", (long long)v);
}

void json_uint(json_w *w, uint64_t v) {
  json_sep(w);
  fprintf(w->f, "%llu", (unsigned long long)v);
}

void json_num(json_w *w, double v) {
  if (!isfinite(v)) {
    json_null(w);
    return;
  }
  json_sep(w);
  /* The shortest text that reads back as the same double. */
  char buf[40];
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  fputs(buf, w->f);
}

void json_bool(json_w *w, bool v) {
  json_sep(w);
  fputs(v ? "true" : "false", w->f);
}

void json_null(json_w *w) {
  json_sep(w);
  fputs("null", w->f);
}

void json_raw(json_w *w, const char *text) {
  json_sep(w);
  fputs(text, w->f);
}
