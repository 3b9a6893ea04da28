/*
** jsonr.c: the strict JSON reader (see jsonr.h).  A recursive descent
** parser over the grammar of RFC 8259 section 2-7; values and decoded
** strings are carved from a chain of arena chunks owned by the document,
** so a document is freed with one call whatever its shape.
*/
#include "jsonr.h"
#include "pool.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== arena ========================================================== */

#define JSONR_CHUNK 8192   /* bytes of the first chunks; big strings get their own */

struct jsonr_doc {
  jsonr_val *root;           /* the value of the text */
  pool_chunk *top;           /* its values and strings */
};

/* Every size is rounded to 16, so every value is aligned. */
static void *arena_alloc(jsonr_doc *d, size_t size) {
  return pool_alloc(&d->top, (size + 15) & ~(size_t)15, JSONR_CHUNK);
}

void jsonr_free(jsonr_doc *d) {
  if (!d) return;
  pool_free(&d->top);
  free(d);
}

/* ==== parser state and errors ======================================== */

typedef struct jsonr_p {
  const unsigned char *s;  /* the text */
  size_t len;              /* its length */
  size_t pos;              /* the next byte to read */
  int depth;               /* open arrays + objects */
  jsonr_doc *doc;          /* where values go */
  char *err;               /* the message buffer */
  size_t errlen;           /* its size */
} jsonr_p;

/* Formats "byte POS: message" into the error buffer; returns -1. */
static int fail_at(jsonr_p *p, size_t pos, const char *fmt, ...) {
  int n = snprintf(p->err, p->errlen, "byte %zu: ", pos);
  if (n < 0 || (size_t)n >= p->errlen) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

/* "'x'", "end of text" or "byte 0x1f": what stands at pos, for messages. */
static const char *what_at(jsonr_p *p, size_t pos, char *buf, size_t len) {
  if (pos >= p->len) return "end of text";
  unsigned char c = p->s[pos];
  if (c >= 0x20 && c < 0x7f) snprintf(buf, len, "'%c'", c);
  else snprintf(buf, len, "byte 0x%02x", c);
  return buf;
}

static int fail_got(jsonr_p *p, const char *expected) {
  char buf[16];
  return fail_at(p, p->pos, "expected %s, got %s", expected, what_at(p, p->pos, buf, sizeof buf));
}

static int oom(jsonr_p *p) {
  snprintf(p->err, p->errlen, "out of memory");
  return -1;
}

static void skip_ws(jsonr_p *p) {
  while (p->pos < p->len) {
    unsigned char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

static int peek(jsonr_p *p) { return p->pos < p->len ? p->s[p->pos] : -1; }

/* ==== strings ======================================================== */

static int hex4(jsonr_p *p, size_t at, unsigned *out) {
  if (at + 4 > p->len) return fail_at(p, at, "\\u needs four hex digits");
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    unsigned char c = p->s[at + k];
    unsigned d = c >= '0' && c <= '9' ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 16;
    if (d == 16) return fail_at(p, at + k, "\\u needs four hex digits");
    v = v * 16 + d;
  }
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Length of the well-formed UTF-8 sequence at pos (RFC 3629 table 4),
** or 0 when it is not one. */
static size_t utf8_len(jsonr_p *p, size_t pos) {
  const unsigned char *s = p->s + pos;
  size_t left = p->len - pos;
  unsigned char c = s[0];
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  /* range of the second byte */
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) { n = 3; if (c == 0xe0) lo = 0xa0; if (c == 0xed) hi = 0x9f; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; if (c == 0xf0) lo = 0x90; if (c == 0xf4) hi = 0x8f; }
  else return 0;
  if (left < n || s[1] < lo || s[1] > hi) return 0;
  for (size_t k = 2; k < n; k++)
    if (s[k] < 0x80 || s[k] > 0xbf) return 0;
  return n;
}

/* Parses the string at p->pos (a '"') into *out (arena, NUL-terminated). */
static int parse_string(jsonr_p *p, const char **out, size_t *outlen) {
  size_t start = ++p->pos, end = start;
  while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
  if (end >= p->len) return fail_at(p, start - 1, "string not closed before the end of text");
  char *o = arena_alloc(p->doc, end - start + 1);  /* decoding never grows a string */
  if (!o) return oom(p);
  size_t n = 0;
  while (p->pos < end) {
    unsigned char c = p->s[p->pos];
    if (c < 0x20) return fail_at(p, p->pos, "control character 0x%02x in a string (escape it)", c);
    if (c >= 0x80) {
      size_t k = utf8_len(p, p->pos);
      if (!k) return fail_at(p, p->pos, "invalid UTF-8 in a string");
      memcpy(o + n, p->s + p->pos, k);
      n += k;
      p->pos += k;
      continue;
    }
    if (c != '\\') {
      o[n++] = (char)c;
      p->pos++;
      continue;
    }
    size_t esc = p->pos;
    char e = (char)p->s[p->pos + 1];
    p->pos += 2;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *hit = e ? strchr(from, e) : NULL;
    if (hit) {
      o[n++] = to[hit - from];
      continue;
    }
    if (e != 'u') return fail_at(p, esc, "invalid escape '\\%c' (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", e);
    unsigned cp, lo;
    if (hex4(p, p->pos, &cp)) return -1;
    p->pos += 4;
    if (cp >= 0xdc00 && cp <= 0xdfff) return fail_at(p, esc, "lone low surrogate \\u%04x", cp);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (p->pos + 2 > end || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
        return fail_at(p, esc, "high surrogate \\u%04x not followed by a low one", cp);
      if (hex4(p, p->pos + 2, &lo)) return -1;
      if (lo < 0xdc00 || lo > 0xdfff)
        return fail_at(p, esc, "high surrogate \\u%04x followed by \\u%04x, not a low one", cp, lo);
      p->pos += 6;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    n += put_utf8(o + n, cp);
  }
  p->pos = end + 1;
  o[n] = 0;
  *out = o;
  *outlen = n;
  return 0;
}

/* ==== numbers ======================================================== */

static bool digit(int c) { return c >= '0' && c <= '9'; }

static int parse_number(jsonr_p *p, jsonr_val *v) {
  size_t start = p->pos;
  bool integral = true;
  if (peek(p) == '-') p->pos++;
  if (peek(p) == '0') {
    p->pos++;
    if (digit(peek(p))) return fail_at(p, start, "number with a leading zero");
  } else if (digit(peek(p))) {
    while (digit(peek(p))) p->pos++;
  } else {
    return fail_got(p, "a digit");
  }
  if (peek(p) == '.') {
    integral = false;
    p->pos++;
    if (!digit(peek(p))) return fail_got(p, "a digit after '.'");
    while (digit(peek(p))) p->pos++;
  }
  if (peek(p) == 'e' || peek(p) == 'E') {
    integral = false;
    p->pos++;
    if (peek(p) == '+' || peek(p) == '-') p->pos++;
    if (!digit(peek(p))) return fail_got(p, "a digit in the exponent");
    while (digit(peek(p))) p->pos++;
  }
  /* strtod/strtoll need a NUL-terminated copy (the text may not end here). */
  size_t n = p->pos - start;
  char small[64], *buf = n < sizeof small ? small : malloc(n + 1);
  if (!buf) return oom(p);
  memcpy(buf, p->s + start, n);
  buf[n] = 0;
  v->type = JSONR_NUM;
  v->num = strtod(buf, NULL);  /* rtlab keeps the C locale: '.' is the point */
  if (integral) {
    errno = 0;
    long long i = strtoll(buf, NULL, 10);
    v->is_int = errno == 0;
    v->i = i;
  } else if (isfinite(v->num) && v->num == floor(v->num) && fabs(v->num) < 9223372036854775808.0) {
    v->is_int = true;
    v->i = (int64_t)v->num;
  }
  if (buf != small) free(buf);
  if (!isfinite(v->num)) return fail_at(p, start, "number out of the range of a double");
  return 0;
}

/* ==== values ========================================================= */

static int parse_value(jsonr_p *p, jsonr_val *v);

static jsonr_val *new_val(jsonr_p *p) {
  jsonr_val *v = arena_alloc(p->doc, sizeof *v);
  if (v) memset(v, 0, sizeof *v);
  return v;
}

/* Arrays and objects: close is ']' or '}'; members have keys. */
static int parse_container(jsonr_p *p, jsonr_val *v, char close) {
  bool obj = close == '}';
  size_t open = p->pos++;
  if (++p->depth > JSONR_MAXDEPTH)
    return fail_at(p, open, "nesting deeper than %d arrays and objects", JSONR_MAXDEPTH);
  v->type = obj ? JSONR_OBJ : JSONR_ARR;
  jsonr_val **tail = &v->kids;
  skip_ws(p);
  if (peek(p) == close) {
    p->pos++;
    p->depth--;
    return 0;
  }
  for (;;) {
    jsonr_val *kid = new_val(p);
    if (!kid) return oom(p);
    if (obj) {
      skip_ws(p);
      if (peek(p) != '"') return fail_got(p, v->n ? "a member name (a string) after ','" : "a member name (a string) or '}'");
      size_t klen;
      if (parse_string(p, &kid->key, &klen)) return -1;
      skip_ws(p);
      if (peek(p) != ':') return fail_got(p, "':' after a member name");
      p->pos++;
    }
    if (parse_value(p, kid)) return -1;
    *tail = kid;
    tail = &kid->next;
    v->n++;
    skip_ws(p);
    if (peek(p) == ',') {
      p->pos++;
      continue;
    }
    if (peek(p) == close) break;
    return fail_got(p, obj ? "',' or '}' in an object" : "',' or ']' in an array");
  }
  p->pos++;
  p->depth--;
  return 0;
}

static int literal(jsonr_p *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
    return fail_at(p, p->pos, "invalid literal (allowed: true, false, null)");
  p->pos += n;
  return 0;
}

static int parse_value(jsonr_p *p, jsonr_val *v) {
  skip_ws(p);
  switch (peek(p)) {
  case '{': return parse_container(p, v, '}');
  case '[': return parse_container(p, v, ']');
  case '"': v->type = JSONR_STR; return parse_string(p, &v->str, &v->len);
  case 't': v->type = JSONR_BOOL; v->b = true; return literal(p, "true");
  case 'f': v->type = JSONR_BOOL; return literal(p, "false");
  case 'n': v->type = JSONR_NULL; return literal(p, "null");
  default:
    if (peek(p) == '-' || digit(peek(p))) return parse_number(p, v);
    return fail_got(p, "a value (object, array, string, number, true, false, null)");
  }
}

jsonr_doc *jsonr_parse(const char *text, size_t len, char *err, size_t errlen) {
  jsonr_doc *d = calloc(1, sizeof *d);
  jsonr_p p = {(const unsigned char *)text, len, 0, 0, d, err, errlen};
  if (errlen) err[0] = 0;
  if (!d) {
    oom(&p);
    return NULL;
  }
  if (!(d->root = new_val(&p))) {
    oom(&p);
  } else if (parse_value(&p, d->root) == 0) {
    skip_ws(&p);
    if (p.pos == len) return d;
    char buf[16];
    fail_at(&p, p.pos, "unexpected %s after the JSON value", what_at(&p, p.pos, buf, sizeof buf));
  }
  jsonr_free(d);
  return NULL;
}

const jsonr_val *jsonr_root(const jsonr_doc *d) { return d ? d->root : NULL; }

/* ==== lookups ======================================================== */

bool jsonr_is(const jsonr_val *v, jsonr_type t) { return v && v->type == t; }

const jsonr_val *jsonr_get(const jsonr_val *o, const char *key) {
  if (!jsonr_is(o, JSONR_OBJ)) return NULL;
  for (const jsonr_val *m = o->kids; m; m = m->next)
    if (strcmp(m->key, key) == 0) return m;
  return NULL;
}

const jsonr_val *jsonr_path(const jsonr_val *v, const char *path) {
  while (v && *path) {
    size_t n = strcspn(path, ".");
    const jsonr_val *m = NULL;
    if (jsonr_is(v, JSONR_OBJ))
      for (m = v->kids; m; m = m->next)
        if (strlen(m->key) == n && memcmp(m->key, path, n) == 0) break;
    v = m;
    path += n + (path[n] == '.');
  }
  return v;
}

const jsonr_val *jsonr_at(const jsonr_val *a, int i) {
  if (!jsonr_is(a, JSONR_ARR) || i < 0) return NULL;
  const jsonr_val *e = a->kids;
  while (e && i-- > 0) e = e->next;
  return e;
}

const char *jsonr_str(const jsonr_val *v) { return jsonr_is(v, JSONR_STR) ? v->str : NULL; }

bool jsonr_num(const jsonr_val *v, double *out) {
  if (!jsonr_is(v, JSONR_NUM)) return false;
  *out = v->num;
  return true;
}

bool jsonr_int(const jsonr_val *v, int64_t *out) {
  if (!jsonr_is(v, JSONR_NUM) || !v->is_int) return false;
  *out = v->i;
  return true;
}

const char *jsonr_type_name(jsonr_type t) {
  static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
  return (unsigned)t < 6 ? names[t] : "?";
}
