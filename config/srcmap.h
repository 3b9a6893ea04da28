/*
** srcmap.h: line numbers for the fields of a Lua table constructor.
**
** Lua tables do not remember where their fields were written, but a
** config error should say "quick.lua:7: sched 'go': unknown parameter
** 'globl_every'", naming the line the typo is on.  srcmap reads the
** script's text once (a small tokenizer that knows Lua's comments,
** strings and block keywords) and maps the literal table constructor of a
** call such as `rtlab.experiment { ... }` to a tree: for each field, named
** (`reps = 5`, `["x"] = 1`) or positional (the 3rd item), the line it
** starts on and, when its value is itself a constructor, that subtree.
** A path of keys (matrix, sched, 3, globl_every) then finds the line.
** Values the script computes (loops, variables, calls) have no subtree:
** the lookup stops at the deepest field it finds, so the line is still
** the closest written one.
*/
#ifndef RTLAB_SRCMAP_H
#define RTLAB_SRCMAP_H

typedef struct srcmap srcmap;

/* One step of a path: a named key, or a positional index (1-based) when
** name is NULL. */
typedef struct srcmap_key {
  const char *name;        /* field name, or NULL */
  int index;               /* positional index when name is NULL */
} srcmap_key;

/* Tokenizes text (len bytes; kept by reference only during the call).
** NULL when out of memory. */
srcmap *srcmap_new(const char *text, unsigned long len);
void srcmap_free(srcmap *m);

/* The line of the field at path inside the constructor that is the
** argument of a call to a function named `fn` (e.g. "experiment") made on
** line `call_line`.  Returns call_line when nothing better is known. */
int srcmap_line(srcmap *m, const char *fn, int call_line, const srcmap_key *path, int depth);

#endif
