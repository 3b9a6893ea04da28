/*
** jsonr.h: a small, strict JSON reader (RFC 8259) for what rtlab reads
** back: a trial's output line, results.jsonl, experiment.json.
**
** jsonr_parse turns one JSON text into a tree whose nodes and strings all
** live in one arena owned by the returned document; jsonr_free releases
** it all at once.  Strict means: exactly one value with only whitespace
** around it, no comments, no trailing commas, no leading zeros or '+',
** no control characters or invalid UTF-8 inside strings, no lone
** surrogates, no number that overflows a double, at most JSONR_MAXDEPTH
** nested arrays and objects.  Errors name the byte offset:
**   "byte 17: expected ',' or '}' in an object, got 'x'".
**
** The tree is plain data: walk an object or array through kids/next, or
** use the lookups below, which all accept NULL (and then return NULL or
** false), so a chain such as jsonr_str(jsonr_path(root, "sched.name"))
** needs no checks in between.  Objects may repeat a name (RFC 8259 allows
** it); lookups find the first.
*/
#ifndef RTLAB_JSONR_H
#define RTLAB_JSONR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONR_MAXDEPTH 64  /* nested arrays + objects a text may have */

typedef enum jsonr_type {
  JSONR_NULL, JSONR_BOOL, JSONR_NUM, JSONR_STR, JSONR_ARR, JSONR_OBJ
} jsonr_type;

/* One value of the tree. */
typedef struct jsonr_val {
  jsonr_type type;         /* which of the fields below hold it */
  const char *key;         /* member name when inside an object, else NULL */
  struct jsonr_val *next;  /* next element or member of the parent, or NULL */
  bool b;                  /* JSONR_BOOL: the value */
  double num;              /* JSONR_NUM: the value as a double */
  bool is_int;             /* JSONR_NUM: integral and within int64 ... */
  int64_t i;               /* ... then exactly this (also beyond 2^53) */
  const char *str;         /* JSONR_STR: UTF-8, NUL-terminated (a \u0000 ... */
  size_t len;              /* ... cuts it short as a C string: len is exact) */
  struct jsonr_val *kids;  /* JSONR_ARR/OBJ: first element or member */
  int n;                   /* JSONR_ARR/OBJ: how many */
} jsonr_val;

typedef struct jsonr_doc jsonr_doc;  /* a parsed text: its arena and root */

/* Parses text[0..len) (it need not be NUL-terminated).  Returns the
** document, or NULL with a message in err (also for out of memory). */
jsonr_doc *jsonr_parse(const char *text, size_t len, char *err, size_t errlen);
const jsonr_val *jsonr_root(const jsonr_doc *d);
void jsonr_free(jsonr_doc *d);    /* NULL is fine */

/* ---- lookups: each accepts NULL ---- */
bool jsonr_is(const jsonr_val *v, jsonr_type t);  /* v is non-NULL and of type t */
/* The member named key of object o; NULL when o is not an object or lacks it. */
const jsonr_val *jsonr_get(const jsonr_val *o, const char *key);
/* Follows a dotted path of member names ("latency.p99_ns"); "" is v itself. */
const jsonr_val *jsonr_path(const jsonr_val *v, const char *path);
/* Element i (from 0) of array a, or NULL. */
const jsonr_val *jsonr_at(const jsonr_val *a, int i);
/* The string, or NULL when v is not a string. */
const char *jsonr_str(const jsonr_val *v);
/* Numbers: true and *out set when v is a number (an integral one for jsonr_int). */
bool jsonr_num(const jsonr_val *v, double *out);
bool jsonr_int(const jsonr_val *v, int64_t *out);
/* The type's name ("object", "number", ...) for messages. */
const char *jsonr_type_name(jsonr_type t);

#endif
