/*
** test_jsonr.c: the strict JSON reader: values of every type, escapes
** (surrogate pairs to UTF-8), numbers (exact int64 beyond 2^53), lookups
** by key, dotted path and index, and the texts it must refuse, each with
** the byte offset its message names.
*/
#include "check.h"
#include "jsonr.h"

#include <math.h>
#include <string.h>

static char err[256];

static jsonr_doc *parse(const char *s) { return jsonr_parse(s, strlen(s), err, sizeof err); }

/* The text is refused and the message starts with "byte OFF: " and holds want. */
static void bad(const char *text, size_t off, const char *want) {
  jsonr_doc *d = parse(text);
  char head[32];
  snprintf(head, sizeof head, "byte %zu: ", off);
  CHECKF(!d, "accepted: %s", text);
  CHECKF(strncmp(err, head, strlen(head)) == 0 && strstr(err, want),
         "%s: got \"%s\", want \"%s%s\"", text, err, head, want);
  jsonr_free(d);
}

/* The text holds one string that decodes to want (wlen bytes). */
static void str_is(const char *text, const char *want, size_t wlen) {
  jsonr_doc *d = parse(text);
  const jsonr_val *v = jsonr_root(d);
  CHECKF(jsonr_is(v, JSONR_STR) && v->len == wlen && memcmp(v->str, want, wlen) == 0,
         "%s: %s", text, d ? "wrong bytes" : err);
  jsonr_free(d);
}

static void test_tree(void) {
  const char *t = " {\"name\":\"x\",\"n\":3,\"ok\":true,\"no\":false,\"nil\":null,"
                  "\"a\":[1,[2,3],{}],\"lat\":{\"p99_ns\":1250.5,\"p50\":{\"v\":7}},"
                  "\"n\":4}\r\n\t";
  jsonr_doc *d = parse(t);
  CHECKF(d, "%s", err);
  const jsonr_val *r = jsonr_root(d);
  CHECK(jsonr_is(r, JSONR_OBJ) && r->n == 8);
  CHECK(strcmp(jsonr_str(jsonr_get(r, "name")), "x") == 0);
  int64_t i = 0;
  CHECK(jsonr_int(jsonr_get(r, "n"), &i) && i == 3);  /* a repeated name: the first */
  CHECK(jsonr_get(r, "ok")->b && jsonr_is(jsonr_get(r, "ok"), JSONR_BOOL));
  CHECK(!jsonr_get(r, "no")->b);
  CHECK(jsonr_is(jsonr_get(r, "nil"), JSONR_NULL));
  const jsonr_val *a = jsonr_get(r, "a");
  CHECK(jsonr_is(a, JSONR_ARR) && a->n == 3);
  CHECK(jsonr_int(jsonr_at(jsonr_at(a, 1), 1), &i) && i == 3);
  CHECK(jsonr_is(jsonr_at(a, 2), JSONR_OBJ) && jsonr_at(a, 2)->n == 0);
  CHECK(jsonr_at(a, 3) == NULL && jsonr_at(a, -1) == NULL && jsonr_at(r, 0) == NULL);
  double x = 0;
  CHECK(jsonr_num(jsonr_path(r, "lat.p99_ns"), &x) && x == 1250.5);
  CHECK(!jsonr_int(jsonr_path(r, "lat.p99_ns"), &i));
  CHECK(jsonr_int(jsonr_path(r, "lat.p50.v"), &i) && i == 7);
  CHECK(jsonr_path(r, "") == r);
  CHECK(jsonr_path(r, "lat.p9") == NULL && jsonr_path(r, "lat.p99_ns.x") == NULL);
  CHECK(jsonr_path(r, "name.x") == NULL && jsonr_path(NULL, "a") == NULL);
  CHECK(jsonr_get(NULL, "a") == NULL && jsonr_str(NULL) == NULL && !jsonr_num(NULL, &x));
  CHECK(jsonr_str(jsonr_get(r, "n")) == NULL);
  /* walking members in order */
  const char *keys[] = {"name", "n", "ok", "no", "nil", "a", "lat", "n"};
  int k = 0;
  for (const jsonr_val *m = r->kids; m; m = m->next, k++) CHECK(k < 8 && strcmp(m->key, keys[k]) == 0);
  CHECK_EQ(k, 8);
  CHECK(strcmp(jsonr_type_name(JSONR_OBJ), "object") == 0);
  jsonr_free(d);
  jsonr_free(NULL);

  /* scalars at the top; the text need not be NUL-terminated */
  d = jsonr_parse("42xyz", 2, err, sizeof err);
  CHECK(d && jsonr_int(jsonr_root(d), &i) && i == 42);
  jsonr_free(d);
  d = parse("null");
  CHECK(jsonr_is(jsonr_root(d), JSONR_NULL));
  jsonr_free(d);
}

static void test_strings(void) {
  str_is("\"plain\"", "plain", 5);
  str_is("\"\"", "", 0);
  str_is("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"", "q\" b\\ s/ \b\f\n\r\t", 14);
  str_is("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6);       /* A é € */
  str_is("\"\\ud83d\\ude00!\"", "\xf0\x9f\x98\x80!", 5);                   /* U+1F600 */
  str_is("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4);                     /* U+10FFFF */
  str_is("\"a\\u0000b\"", "a\0b", 3);
  str_is("\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12);
  bad("\"abc", 0, "string not closed");
  bad("\"a\\x\"", 2, "invalid escape '\\x'");
  bad("\"\\u12\"", 3, "four hex digits");
  bad("\"\\u12g4\"", 5, "four hex digits");
  bad("\"\\ud83d\"", 1, "not followed by a low one");
  bad("\"\\ud83dx\"", 1, "not followed by a low one");
  bad("\"\\ud83d\\u0041\"", 1, "not a low one");
  bad("\"\\ude00\"", 1, "lone low surrogate");
  bad("\"a\tb\"", 2, "control character 0x09");
  bad("\"a\nb\"", 2, "control character 0x0a");
  bad("\"\xc3\"", 1, "invalid UTF-8");
  bad("\"\xc0\xaf\"", 1, "invalid UTF-8");            /* overlong '/' */
  bad("\"\xed\xa0\x80\"", 1, "invalid UTF-8");        /* an encoded surrogate */
  bad("\"\xf4\x90\x80\x80\"", 1, "invalid UTF-8");    /* above U+10FFFF */
  bad("\"ok\xff\"", 3, "invalid UTF-8");
}

static void test_numbers(void) {
  struct { const char *text; double num; bool is_int; int64_t i; } good[] = {
    {"0", 0, true, 0},
    {"-0", 0, true, 0},
    {"17", 17, true, 17},
    {"-250", -250, true, -250},
    {"16.625", 16.625, false, 0},
    {"2.0", 2, true, 2},
    {"1e3", 1000, true, 1000},
    {"1.5E-2", 0.015, false, 0},
    {"-2e+2", -200, true, -200},
    {"9007199254740993", 9007199254740992.0, true, 9007199254740993LL},  /* 2^53 + 1 */
    {"9223372036854775807", 9223372036854775807.0, true, INT64_MAX},
    {"-9223372036854775808", -9223372036854775808.0, true, INT64_MIN},
    {"9223372036854775808", 9223372036854775808.0, false, 0},            /* beyond int64 */
    {"1e-400", 0, true, 0},                                              /* underflows to 0 */
  };
  for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
    jsonr_doc *d = parse(good[k].text);
    const jsonr_val *v = jsonr_root(d);
    CHECKF(jsonr_is(v, JSONR_NUM), "%s: %s", good[k].text, err);
    if (!v) continue;
    CHECKF(v->num == good[k].num, "%s: %.17g", good[k].text, v->num);
    CHECKF(v->is_int == good[k].is_int, "%s: is_int %d", good[k].text, v->is_int);
    if (good[k].is_int) CHECKF(v->i == good[k].i, "%s: %lld", good[k].text, (long long)v->i);
    jsonr_free(d);
  }
  bad("01", 0, "leading zero");
  bad("-01", 0, "leading zero");
  bad("+1", 0, "expected a value");
  bad(".5", 0, "expected a value");
  bad("1.", 2, "a digit after '.'");
  bad("1.e3", 2, "a digit after '.'");
  bad("1e", 2, "a digit in the exponent");
  bad("1e+", 3, "a digit in the exponent");
  bad("-", 1, "expected a digit");
  bad("- 1", 1, "expected a digit");
  bad("1e400", 0, "out of the range of a double");
  bad("0x10", 1, "unexpected 'x' after the JSON value");
  bad("NaN", 0, "expected a value");
  bad("Infinity", 0, "expected a value");
}

static void test_structure(void) {
  bad("", 0, "expected a value");
  bad("   ", 3, "expected a value (object, array, string, number, true, false, null), got end of text");
  bad("{", 1, "a member name (a string) or '}'");
  bad("{\"a\" 1}", 5, "':' after a member name");
  bad("{\"a\":1,}", 7, "a member name (a string) after ','");
  bad("{\"a\":1 \"b\":2}", 7, "',' or '}' in an object, got '\"'");
  bad("{a:1}", 1, "a member name");
  bad("[1,]", 3, "expected a value");
  bad("[1 2]", 3, "',' or ']' in an array");
  bad("[1,2", 4, "',' or ']' in an array, got end of text");
  bad("[] []", 3, "unexpected '[' after the JSON value");
  bad("{} x", 3, "unexpected 'x'");
  bad("tru", 0, "invalid literal");
  bad("nul", 0, "invalid literal");
  bad("True", 0, "expected a value");
  bad("[1] // c", 4, "unexpected '/'");
  bad("\x01", 0, "got byte 0x01");
  bad("[\"a\"\x0b]", 4, "got byte 0x0b");   /* vertical tab is not JSON whitespace */

  /* depth: JSONR_MAXDEPTH levels parse, one more is refused at its bracket */
  char deep[8 * JSONR_MAXDEPTH];
  int n = 0;
  for (int k = 0; k < JSONR_MAXDEPTH; k++) deep[n++] = '[';
  for (int k = 0; k < JSONR_MAXDEPTH; k++) deep[n++] = ']';
  deep[n] = 0;
  jsonr_doc *d = parse(deep);
  CHECKF(d, "depth %d: %s", JSONR_MAXDEPTH, err);
  jsonr_free(d);
  n = 0;
  for (int k = 0; k <= JSONR_MAXDEPTH; k++) {  /* [{"a":[{"a":... objects count too */
    if (k % 2 == 0) deep[n++] = '[';
    else memcpy(deep + n, "{\"a\":", 5), n += 5;
  }
  deep[n] = 0;
  char want[64];
  snprintf(want, sizeof want, "nesting deeper than %d", JSONR_MAXDEPTH);
  bad(deep, (size_t)n - 1, want);
}

int main(void) {
  test_tree();
  test_strings();
  test_numbers();
  test_structure();
  return check_done("test_jsonr");
}
