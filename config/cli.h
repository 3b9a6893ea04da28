/*
** cli.h: the verbs and options of the `rtlab` command, shared by the
** files that implement verbs (rtlab.c, run.c, report.c, topo_cmd.c).
**
** A verb is a row (name, synopsis, summary, function); each verb declares
** its options as a table of rows, so usage text and parsing come from one
** place and every unknown option is reported with the allowed ones.
*/
#ifndef RTLAB_CLI_H
#define RTLAB_CLI_H

#include <stdbool.h>
#include <stdio.h>

#define EXIT_USAGE 2   /* bad command line, names, parameters or config */

/* One command-line option of a verb. */
typedef struct cli_opt {
  const char *name;        /* "--procs" */
  const char *arg;         /* placeholder in usage ("N"), NULL for a flag */
  const char **value;      /* where the value goes (options with arg) */
  bool *flag;              /* set when present (flags) */
  const char *doc;         /* one line for usage */
} cli_opt;

/* A verb of the command. */
typedef struct cli_verb {
  const char *name;        /* "trial" */
  const char *synopsis;    /* arguments, for usage */
  const char *summary;     /* one line */
  int (*fn)(const struct cli_verb *v, int argc, char **argv);  /* argv[0] is the verb */
} cli_verb;

/* Parses "--name value", "--name=value", flags and up to maxpos
** positional arguments (into pos[], count in *npos; pos may be NULL when
** maxpos is 0).  "--" ends options.  Returns 0 on success, 1 when --help
** was printed (the verb should exit 0), EXIT_USAGE after a message. */
int cli_parse(const cli_verb *v, const cli_opt *opts, int argc, char **argv,
              const char **pos, int maxpos, int *npos);

/* Strict integer in [lo, hi] for option `name`; EXIT_USAGE after a message. */
int cli_int(const cli_verb *v, const char *name, const char *s, long lo, long hi,
            long *out);

/* Prints a verb's synopsis, summary and option rows. */
void cli_usage(FILE *f, const cli_verb *v, const cli_opt *opts);

#endif
