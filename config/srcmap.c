/*
** srcmap.c: a Lua tokenizer just good enough to find where the fields of
** a table constructor are written (see srcmap.h).  It never evaluates
** anything; text it cannot follow yields no subtree, never an error.
*/
#include "srcmap.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ==== tokens ========================================================= */

typedef enum tk_type { TK_NAME, TK_STRING, TK_NUMBER, TK_PUNCT, TK_EOF } tk_type;

typedef struct token {
  tk_type type;            /* kind of token */
  int line;                /* line it starts on, 1-based */
  const char *s;           /* its text in the source (names, punctuation) */
  int len;                 /* length of s */
  char *str;               /* TK_STRING: the string's contents (simple escapes) */
} token;

struct srcmap {
  token *t;                /* tokens, ending with TK_EOF */
  int n;                   /* count, TK_EOF included */
};

/* Length of a long bracket opener at p ("[[" or "[==["), 0 if none;
** *level receives the number of '='. */
static int long_open(const char *p, const char *end, int *level) {
  if (p >= end || *p != '[') return 0;
  int l = 0;
  const char *q = p + 1;
  while (q < end && *q == '=') q++, l++;
  if (q < end && *q == '[') {
    *level = l;
    return (int)(q - p + 1);
  }
  return 0;
}

/* Skips to just after the matching "]==]", counting lines. */
static const char *long_close(const char *p, const char *end, int level, int *line) {
  for (; p < end; p++) {
    if (*p == '\n') (*line)++;
    if (*p == ']') {
      const char *q = p + 1;
      int l = 0;
      while (q < end && *q == '=') q++, l++;
      if (l == level && q < end && *q == ']') return q + 1;
    }
  }
  return end;
}

static int tk_push(srcmap *m, int *cap, token tk) {
  if (m->n == *cap) {
    int nc = *cap ? 2 * *cap : 256;
    token *nt = realloc(m->t, (size_t)nc * sizeof *nt);
    if (!nt) return -1;
    m->t = nt;
    *cap = nc;
  }
  m->t[m->n++] = tk;
  return 0;
}

srcmap *srcmap_new(const char *text, unsigned long len) {
  srcmap *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  int cap = 0, line = 1, level;
  const char *p = text, *end = text + len;
  if (p + 1 < end && p[0] == '#') /* a "#!" first line */
    while (p < end && *p != '\n') p++;
  while (p < end) {
    token tk = {TK_PUNCT, line, p, 1, NULL};
    if (*p == '\n') {
      line++, p++;
      continue;
    }
    if (isspace((unsigned char)*p)) {
      p++;
      continue;
    }
    if (p + 1 < end && p[0] == '-' && p[1] == '-') {  /* comment */
      int ol = long_open(p + 2, end, &level);
      if (ol) p = long_close(p + 2 + ol, end, level, &line);
      else while (p < end && *p != '\n') p++;
      continue;
    }
    int ol = long_open(p, end, &level);
    if (*p == '"' || *p == '\'' || ol) {
      tk.type = TK_STRING;
      const char *b = ol ? p + ol : p + 1;
      const char *q;
      if (ol) {
        q = long_close(b, end, level, &line);
        tk.str = strndup(b, (size_t)(q - b - 2 - level));
      } else {
        char quote = *p;
        size_t cap2 = 16, n = 0;
        char *s = malloc(cap2);
        for (q = b; q < end && *q != quote && *q != '\n'; q++) {
          char c = *q;
          if (c == '\\' && q + 1 < end) {
            c = *++q;
            if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c == '\n') line++;
          }
          if (s && n + 2 > cap2) s = realloc(s, cap2 *= 2);
          if (s) s[n++] = c;
        }
        if (s) s[n] = 0;
        tk.str = s;
        if (q < end && *q == quote) q++;
      }
      tk.s = p;
      tk.len = (int)(q - p);
      p = q;
    } else if (isalpha((unsigned char)*p) || *p == '_') {
      tk.type = TK_NAME;
      while (p < end && (isalnum((unsigned char)*p) || *p == '_')) p++;
      tk.len = (int)(p - tk.s);
    } else if (isdigit((unsigned char)*p) || (*p == '.' && p + 1 < end && isdigit((unsigned char)p[1]))) {
      tk.type = TK_NUMBER;
      while (p < end && (isalnum((unsigned char)*p) || *p == '.' ||
                         ((*p == '+' || *p == '-') && strchr("eEpP", p[-1]))))
        p++;
      tk.len = (int)(p - tk.s);
    } else {
      /* "==", "~=", "<=", ">=", "..", "::" are two characters; the parser
      ** only needs to tell "=" from "==". */
      if (p + 1 < end && strchr("=~<>.:/", p[0]) && (p[1] == '=' || p[1] == p[0])) tk.len = 2;
      p += tk.len;
    }
    if (tk_push(m, &cap, tk)) goto oom;
  }
  if (tk_push(m, &cap, (token){TK_EOF, line, end, 0, NULL}) == 0) return m;
oom:
  srcmap_free(m);
  return NULL;
}

void srcmap_free(srcmap *m) {
  if (!m) return;
  for (int i = 0; i < m->n; i++) free(m->t[i].str);
  free(m->t);
  free(m);
}

/* ==== constructors =================================================== */

static bool is(const token *t, const char *s) {
  return (t->type == TK_PUNCT || t->type == TK_NAME) && t->len == (int)strlen(s) &&
         strncmp(t->s, s, (size_t)t->len) == 0;
}

/* Index just past the expression starting at j: up to a ',' or ';' or a
** closing bracket at nesting depth 0.  Block keywords nest like brackets,
** so a function value's body (with its own commas) is skipped whole. */
static int skip_expr(const srcmap *m, int j) {
  int depth = 0;
  for (; m->t[j].type != TK_EOF; j++) {
    const token *t = &m->t[j];
    if (is(t, "(") || is(t, "[") || is(t, "{") || is(t, "function") || is(t, "if") ||
        is(t, "do") || is(t, "repeat")) {
      depth++;
    } else if (is(t, ")") || is(t, "]") || is(t, "}") || is(t, "end") || is(t, "until")) {
      if (depth == 0) return j;
      depth--;
    } else if (depth == 0 && (is(t, ",") || is(t, ";"))) {
      return j;
    }
  }
  return j;
}

/* The line of path inside the constructor whose '{' is token i; `line`
** is the best answer known so far (the enclosing field's line). */
static int walk(const srcmap *m, int i, const srcmap_key *path, int depth, int line) {
  int pos = 0;
  for (int j = i + 1; depth > 0 && m->t[j].type != TK_EOF && !is(&m->t[j], "}");) {
    const token *t = &m->t[j];
    int fline = t->line, val = j;
    bool match = false;
    if (t->type == TK_NAME && is(&m->t[j + 1], "=")) {
      match = path->name && t->len == (int)strlen(path->name) &&
              strncmp(t->s, path->name, (size_t)t->len) == 0;
      val = j + 2;
    } else if (is(t, "[")) {
      int close = skip_expr(m, j + 1);
      const token *k = &m->t[j + 1];
      if (close == j + 2 && k->type == TK_STRING && path->name)
        match = k->str && strcmp(k->str, path->name) == 0;
      else if (close == j + 2 && k->type == TK_NUMBER && !path->name)
        match = atoi(k->s) == path->index;
      val = close + 2;  /* past "] =" */
    } else {
      pos++;
      match = !path->name && pos == path->index;
    }
    if (match) {
      if (depth == 1 || !is(&m->t[val], "{")) return fline;
      return walk(m, val, path + 1, depth - 1, fline);
    }
    j = skip_expr(m, val);
    if (is(&m->t[j], ",") || is(&m->t[j], ";")) j++;
  }
  return line;
}

int srcmap_line(srcmap *m, const char *fn, int call_line, const srcmap_key *path, int depth) {
  if (!m) return call_line;
  for (int i = 0; i + 1 < m->n; i++) {
    const token *t = &m->t[i];
    if (t->line != call_line || t->type != TK_NAME || !is(t, fn)) continue;
    int b = i + 1;
    if (is(&m->t[b], "(")) b++;
    if (!is(&m->t[b], "{")) continue;
    return depth > 0 ? walk(m, b, path, depth, call_line) : call_line;
  }
  return call_line;
}
