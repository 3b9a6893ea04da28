/*
** topo_cmd.c: `rtlab topo`, the machine as the runtime sees it: the
** topology tree (this machine's, or a synthetic one) and the placement
** plan that rt_run would follow for a number of Ps, with whether its Ms
** would be bound.  Everything comes from rt.h (rt_topo_plan,
** rt_topo_describe), so what this prints is what a trial gets.
**
** --json writes one line whose fields "numa_nodes", "pus" and
** "placement" (an array of {"p","pu","node"}) are a contract for scripts;
** the others (topology, summary, packages, cores, synthetic, bindable,
** placement_name, procs, bound) describe the same plan.
*/
#include "topo_cmd.h"

#include "json.h"
#include "rt.h"

#include <stdlib.h>
#include <string.h>

/* Why Ms would not be bound, or NULL when they would. */
static const char *topo_unbound(const rt_topo_info *in, const char *placement) {
  if (strcmp(placement, "none") == 0) return "placement none";
  if (in->synthetic) return "synthetic topology";
  if (!in->bindable) return "this system cannot bind threads";
  return NULL;
}

static void topo_json(const char *topology, const char *placement, const rt_topo_info *in,
                      const rt_place *plan, int n) {
  json_w j;
  json_init(&j, stdout);
  json_obj(&j);
  json_key(&j, "topology"); json_str(&j, topology ? topology : "machine");
  json_key(&j, "summary"); json_str(&j, in->summary);
  json_key(&j, "packages"); json_int(&j, in->packages);
  json_key(&j, "numa_nodes"); json_int(&j, in->numa_nodes);
  json_key(&j, "cores"); json_int(&j, in->cores);
  json_key(&j, "pus"); json_int(&j, in->pus);
  json_key(&j, "synthetic"); json_bool(&j, in->synthetic);
  json_key(&j, "bindable"); json_bool(&j, in->bindable);
  json_key(&j, "placement_name"); json_str(&j, placement);
  json_key(&j, "procs"); json_int(&j, n);
  json_key(&j, "bound"); json_bool(&j, topo_unbound(in, placement) == NULL);
  json_key(&j, "placement");
  json_arr(&j);
  for (int i = 0; i < n; i++) {
    json_obj(&j);
    json_key(&j, "p"); json_int(&j, plan[i].p);
    json_key(&j, "pu"); json_int(&j, plan[i].pu);
    json_key(&j, "node"); json_int(&j, plan[i].node);
    json_obj_end(&j);
  }
  json_arr_end(&j);
  json_obj_end(&j);
  putchar('\n');
}

static void topo_text(const char *placement, const rt_topo_info *in, const rt_place *plan,
                      int n) {
  const char *why = topo_unbound(in, placement);
  printf("\nplacement %s, %d P%s; Ms %s%s%s\n", placement, n, n == 1 ? "" : "s",
         why ? "not bound (" : "bound", why ? why : "", why ? ")" : "");
  printf("  %4s %4s %4s\n", "P", "PU", "node");
  for (int i = 0; i < n; i++) printf("  %4d %4d %4d\n", plan[i].p, plan[i].pu, plan[i].node);
}

int cmd_topo(const cli_verb *v, int argc, char **argv) {
  const char *topology = NULL, *placement = "none", *procs_s = NULL;
  bool as_json = false;
  const cli_opt opts[] = {
    {"--topology", "S", &topology, NULL,
     "synthetic hwloc topology, e.g. \"pack:2 numa:2 core:2 pu:1\" (default: this machine)"},
    {"--procs", "N", &procs_s, NULL, "number of Ps to place (default: one per PU)"},
    {"--placement", "P", &placement, NULL, "none|compact|scatter|numa (default none)"},
    {"--json", NULL, NULL, &as_json, "one JSON line instead of text"},
    {0},
  };
  int rc = cli_parse(v, opts, argc, argv, NULL, 0, NULL);
  if (rc) return rc == 1 ? 0 : rc;
  long procs = 0;
  if (procs_s && cli_int(v, "--procs", procs_s, 1, RT_MAXPROCS, &procs) != 0) return EXIT_USAGE;

  char err[1024];
  rt_topo_info info;
  rt_place *plan = malloc(sizeof *plan * RT_MAXPROCS);
  int n = plan ? rt_topo_plan(topology, placement, (int)procs, plan, RT_MAXPROCS, &info, err,
                              sizeof err)
               : RT_ENOMEM;
  if (n < 0) {
    fprintf(stderr, "rtlab %s: %s\n", v->name, plan ? err : "out of memory");
    free(plan);
    return n == RT_EINVAL ? EXIT_USAGE : 1;
  }
  if (as_json) {
    topo_json(topology, placement, &info, plan, n);
  } else {
    const char *q = topology ? "\"" : "";
    printf("topology %s%s%s: %s\n", q, topology ? topology : "machine", q, info.summary);
    rc = rt_topo_describe(topology, stdout, err, sizeof err);
    if (rc == RT_OK) topo_text(placement, &info, plan, n);
    else fprintf(stderr, "rtlab %s: %s\n", v->name, err);
  }
  free(plan);
  return rc == RT_OK ? 0 : 1;
}
