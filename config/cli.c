/*
** cli.c: option parsing for the rtlab verbs (see cli.h).
*/
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void unknown(const cli_verb *v, const cli_opt *opts, const char *a) {
  fprintf(stderr, "rtlab %s: unknown %s '%s' (allowed:", v->name,
          a[0] == '-' ? "option" : "argument", a);
  for (int k = 0; opts[k].name; k++) fprintf(stderr, "%s %s", k ? "," : "", opts[k].name);
  fprintf(stderr, "%s)\n", opts[0].name ? "" : " none");
}

int cli_parse(const cli_verb *v, const cli_opt *opts, int argc, char **argv,
              const char **pos, int maxpos, int *npos) {
  bool only_pos = false;
  if (npos) *npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (only_pos || a[0] != '-' || a[1] == 0) {
      if (!npos || *npos >= maxpos) {
        if (maxpos > 0) {
          fprintf(stderr, "rtlab %s: too many arguments at '%s' (usage: rtlab %s %s)\n",
                  v->name, a, v->name, v->synopsis);
        } else {
          unknown(v, opts, a);
        }
        return EXIT_USAGE;
      }
      pos[(*npos)++] = a;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_pos = true;
      continue;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      cli_usage(stdout, v, opts);
      return 1;
    }
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const cli_opt *o = NULL;
    for (int k = 0; opts[k].name; k++)
      if (strlen(opts[k].name) == len && strncmp(opts[k].name, a, len) == 0) o = &opts[k];
    if (!o) {
      unknown(v, opts, a);
      return EXIT_USAGE;
    }
    if (!o->arg) {
      if (eq) {
        fprintf(stderr, "rtlab %s: option '%s' takes no value\n", v->name, o->name);
        return EXIT_USAGE;
      }
      *o->flag = true;
    } else if (eq) {
      *o->value = eq + 1;
    } else if (i + 1 < argc) {
      *o->value = argv[++i];
    } else {
      fprintf(stderr, "rtlab %s: option '%s' needs a value (%s)\n", v->name, o->name, o->arg);
      return EXIT_USAGE;
    }
  }
  return 0;
}

int cli_int(const cli_verb *v, const char *name, const char *s, long lo, long hi,
            long *out) {
  char *end;
  errno = 0;
  long x = s && *s ? strtol(s, &end, 10) : 0;
  if (!s || !*s || *end || errno || x < lo || x > hi) {
    fprintf(stderr, "rtlab %s: option '%s' wants an integer in [%ld, %ld], got '%s'\n", v->name,
            name, lo, hi, s ? s : "");
    return EXIT_USAGE;
  }
  *out = x;
  return 0;
}

void cli_usage(FILE *f, const cli_verb *v, const cli_opt *opts) {
  fprintf(f, "usage: rtlab %s %s\n  %s\n", v->name, v->synopsis, v->summary);
  for (int k = 0; opts && opts[k].name; k++) {
    char lhs[64];
    snprintf(lhs, sizeof lhs, "%s%s%s", opts[k].name, opts[k].arg ? " " : "",
             opts[k].arg ? opts[k].arg : "");
    fprintf(f, "  %-26s %s\n", lhs, opts[k].doc);
  }
}
