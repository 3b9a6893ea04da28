/*
** peers.c: peer programs, found and asked what they run (see peers.h).
*/
#define _GNU_SOURCE
#include "peers.h"

#include "child.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

peer_found run_peers[EXPT_MAXPEERS];
int run_npeers;

/* Looks for peer p beside rtlab (DIR/peers/PROG), in $RTLAB_PEERS, then
** on PATH. */
static bool peer_locate(const expt_peer *p, const char *self, char *out, size_t len) {
  char dirs[3][PATH_MAX / 2];
  int nd = 0;
  const char *slash = strrchr(self, '/');
  snprintf(dirs[nd++], PATH_MAX / 2, "%.*s/peers", slash ? (int)(slash - self) : 1,
           slash ? self : ".");
  if (getenv("RTLAB_PEERS")) snprintf(dirs[nd++], PATH_MAX / 2, "%s", getenv("RTLAB_PEERS"));
  for (int i = 0; i < nd; i++) {
    if (snprintf(out, len, "%s/%s", dirs[i], p->program) >= (int)len) continue;
    if (access(out, X_OK) == 0) return true;
  }
  const char *path = getenv("PATH");
  for (const char *d = path; d && *d;) {
    size_t dl = strcspn(d, ":");
    snprintf(out, len, "%.*s/%s", (int)dl, d, p->program);
    if (dl && access(out, X_OK) == 0) return true;
    d += dl + (d[dl] == ':');
  }
  return false;
}

void peers_find(const expt *e, const char *self) {
  for (int i = 0; i < e->npeers && run_npeers < EXPT_MAXPEERS; i++) {
    const expt_peer *p = expt_peer_find(e->peers[i]);
    peer_found *f = &run_peers[run_npeers];
    if (!p || !peer_locate(p, self, f->path, sizeof f->path)) {
      fprintf(stderr, "rtlab run: peer '%s' is not installed (%s); its rows are left out\n",
              e->peers[i], p ? p->install : "unknown peer");
      continue;
    }
    char *argv[] = {f->path, "-list", NULL};
    char *list = child_capture(argv);
    if (!list) {
      fprintf(stderr, "rtlab run: peer '%s' (%s) did not answer -list; its rows are left out\n",
              e->peers[i], f->path);
      continue;
    }
    if (asprintf(&f->names, "\n%s", list) < 0) f->names = NULL;
    free(list);
    f->name = p->name;
    run_npeers++;
  }
}

const peer_found *peer_get(const char *name) {
  for (int i = 0; i < run_npeers; i++)
    if (strcmp(run_peers[i].name, name) == 0) return &run_peers[i];
  return NULL;
}

bool peer_runs(const char *peer, const char *workload) {
  const peer_found *f = peer_get(peer);
  if (!f || !f->names) return false;
  char needle[128];
  snprintf(needle, sizeof needle, "\n%s\n", workload);
  return strstr(f->names, needle) != NULL;
}
