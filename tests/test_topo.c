/*
** test_topo.c: topology and placement (framework/topo.c).  Exact plans
** (P -> PU, node) for every placement on three synthetic shapes (four
** nodes without SMT, two nodes with SMT, one node) with fewer, as many and
** more Ps than PUs; what the topologies hold; the errors for a bad
** placement, topology or procs; runs of rt_run on a synthetic topology
** where Gs read their P's node through the services policies use; and a
** run on this machine that checks the binding of each M and that the
** calling thread gets its own binding back.
*/
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proc.h"
#include "rt_module.h"

#define T4 "pack:2 numa:2 core:2 pu:1"   /* 4 nodes x 2 cores, no SMT */
#define T2 "numa:2 core:2 pu:2"          /* 2 nodes x 2 cores x 2 threads */
#define T1 "pack:1 core:3 pu:1"          /* 1 node, 3 PUs */

/* ==== plans ========================================================== */

typedef struct plan_case {
  const char *topo;          /* synthetic topology */
  const char *placement;     /* placement name */
  int procs;                 /* Ps */
  int pu[12];                /* expected PU of P 0 .. procs-1 */
  int node[12];              /* expected node */
} plan_case;

static const plan_case cases[] = {
  /* four nodes of two PUs: compact fills a node, scatter deals round-robin */
  {T4, "compact", 3,  {0, 1, 2}, {0, 0, 1}},
  {T4, "compact", 8,  {0, 1, 2, 3, 4, 5, 6, 7}, {0, 0, 1, 1, 2, 2, 3, 3}},
  {T4, "compact", 10, {0, 1, 2, 3, 4, 5, 6, 7, 0, 1}, {0, 0, 1, 1, 2, 2, 3, 3, 0, 0}},
  {T4, "scatter", 3,  {0, 2, 4}, {0, 1, 2}},
  {T4, "scatter", 8,  {0, 2, 4, 6, 1, 3, 5, 7}, {0, 1, 2, 3, 0, 1, 2, 3}},
  {T4, "scatter", 12, {0, 2, 4, 6, 1, 3, 5, 7, 0, 2, 4, 6}, {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}},
  {T4, "numa", 2,     {0, 4}, {0, 2}},
  {T4, "numa", 6,     {0, 1, 2, 4, 5, 6}, {0, 0, 1, 2, 2, 3}},
  {T4, "numa", 8,     {0, 1, 2, 3, 4, 5, 6, 7}, {0, 0, 1, 1, 2, 2, 3, 3}},
  {T4, "numa", 12,    {0, 1, 0, 2, 3, 2, 4, 5, 4, 6, 7, 6}, {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3}},
  {T4, "none", 3,     {0, 1, 2}, {0, 0, 1}},
  {T4, "none", 10,    {0, 1, 2, 3, 4, 5, 6, 7, 0, 1}, {0, 0, 1, 1, 2, 2, 3, 3, 0, 0}},
  /* SMT: compact and numa take one thread of every core before the second */
  {T2, "compact", 3,  {0, 2, 1}, {0, 0, 0}},
  {T2, "compact", 8,  {0, 2, 1, 3, 4, 6, 5, 7}, {0, 0, 0, 0, 1, 1, 1, 1}},
  {T2, "compact", 10, {0, 2, 1, 3, 4, 6, 5, 7, 0, 2}, {0, 0, 0, 0, 1, 1, 1, 1, 0, 0}},
  {T2, "scatter", 3,  {0, 4, 2}, {0, 1, 0}},
  {T2, "scatter", 8,  {0, 4, 2, 6, 1, 5, 3, 7}, {0, 1, 0, 1, 0, 1, 0, 1}},
  {T2, "scatter", 10, {0, 4, 2, 6, 1, 5, 3, 7, 0, 4}, {0, 1, 0, 1, 0, 1, 0, 1, 0, 1}},
  {T2, "numa", 3,     {0, 2, 4}, {0, 0, 1}},
  {T2, "numa", 8,     {0, 2, 1, 3, 4, 6, 5, 7}, {0, 0, 0, 0, 1, 1, 1, 1}},
  {T2, "numa", 10,    {0, 2, 1, 3, 0, 4, 6, 5, 7, 4}, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1}},
  {T2, "none", 3,     {0, 1, 2}, {0, 0, 0}},
  {T2, "none", 10,    {0, 1, 2, 3, 4, 5, 6, 7, 0, 1}, {0, 0, 0, 0, 1, 1, 1, 1, 0, 0}},
  /* one node: every placement is the same list */
  {T1, "compact", 2,  {0, 1}, {0, 0}},
  {T1, "compact", 3,  {0, 1, 2}, {0, 0, 0}},
  {T1, "compact", 5,  {0, 1, 2, 0, 1}, {0, 0, 0, 0, 0}},
  {T1, "scatter", 5,  {0, 1, 2, 0, 1}, {0, 0, 0, 0, 0}},
  {T1, "numa", 2,     {0, 1}, {0, 0}},
  {T1, "numa", 3,     {0, 1, 2}, {0, 0, 0}},
  {T1, "numa", 5,     {0, 1, 2, 0, 1}, {0, 0, 0, 0, 0}},
  {T1, "none", 5,     {0, 1, 2, 0, 1}, {0, 0, 0, 0, 0}},
};

static void test_plans(void) {
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const plan_case *k = &cases[c];
    rt_place out[16];
    char err[512] = "";
    int n = rt_topo_plan(k->topo, k->placement, k->procs, out, 16, NULL, err, sizeof err);
    CHECKF(n == k->procs, "%s / %s / %d: returned %d (%s)", k->topo, k->placement, k->procs,
           n, err);
    for (int p = 0; p < n && p < k->procs; p++)
      CHECKF(out[p].p == p && out[p].pu == k->pu[p] && out[p].node == k->node[p],
             "%s / %s / %d Ps: P %d got (p %d, pu %d, node %d), want (pu %d, node %d)", k->topo,
             k->placement, k->procs, p, out[p].p, out[p].pu, out[p].node, k->pu[p], k->node[p]);
  }
}

/* procs 0 means one per PU; out holds only max; NULL placement is none. */
static void test_plan_edges(void) {
  rt_place out[4];
  memset(out, 0x7f, sizeof out);
  CHECK_EQ(rt_topo_plan(T4, "compact", 0, out, 2, NULL, NULL, 0), 8);
  CHECK(out[1].pu == 1 && out[2].pu == 0x7f7f7f7f);  /* out[2..] untouched */
  CHECK_EQ(rt_topo_plan(T2, NULL, 3, out, 4, NULL, NULL, 0), 3);
  CHECK(out[1].pu == 1 && out[2].pu == 2);           /* none: identity */
  CHECK_EQ(rt_topo_plan(T1, "numa", 4, NULL, 0, NULL, NULL, 0), 4);
  CHECK_EQ(rt_topo_plan("machine", "none", 1, out, 1, NULL, NULL, 0), 1);
}

/* ==== what a topology holds ========================================== */

static void check_info(const char *topo, int pkgs, int nodes, int cores, int pus,
                       const char *summary) {
  rt_topo_info in;
  char err[512] = "", buf[160];
  CHECKF(rt_topo_plan(topo, "none", 1, NULL, 0, &in, err, sizeof err) == 1, "%s: %s", topo, err);
  CHECK_EQ(in.packages, pkgs);
  CHECK_EQ(in.numa_nodes, nodes);
  CHECK_EQ(in.cores, cores);
  CHECK_EQ(in.pus, pus);
  CHECK(in.synthetic && !in.bindable);
  CHECKF(strcmp(in.summary, summary) == 0, "%s: summary '%s', want '%s'", topo, in.summary,
         summary);
  CHECK_EQ(rt_topo_summary(topo, buf, sizeof buf), RT_OK);
  CHECKF(strcmp(buf, summary) == 0, "rt_topo_summary: '%s'", buf);
}

static void test_info(void) {
  check_info(T4, 2, 4, 8, 8, "2 packages, 4 NUMA nodes, 8 cores, 8 PUs");
  check_info(T2, 0, 2, 4, 8, "2 NUMA nodes, 4 cores, 8 PUs");
  check_info(T1, 1, 1, 3, 3, "1 package, 1 NUMA node, 3 cores, 3 PUs");
  rt_topo_info in;
  CHECK(rt_topo_plan(NULL, NULL, 0, NULL, 0, &in, NULL, 0) >= 1);  /* this machine */
  CHECK(!in.synthetic && in.pus >= 1 && in.numa_nodes >= 1);
  CHECK(strstr(in.summary, " PU") != NULL);

  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  CHECK_EQ(rt_topo_describe(T4, f, NULL, 0), RT_OK);
  fclose(f);
  CHECKF(strstr(text, "Package L#1\n") && strstr(text, "NUMANode L#3 P#3") &&
         strstr(text, "      Core L#7\n        PU L#7 P#7\n"), "tree:\n%s", text);
  free(text);
}

/* ==== errors ========================================================= */

static void expect_err(const char *topo, const char *placement, int procs, const char *want1,
                       const char *want2) {
  char err[1024] = "";
  int rc = rt_topo_plan(topo, placement, procs, NULL, 0, NULL, err, sizeof err);
  CHECKF(rc == RT_EINVAL, "%s / %s / %d: rc %d", topo ? topo : "machine", placement, procs, rc);
  CHECKF(strstr(err, want1) && (!want2 || strstr(err, want2)), "message: %s", err);
}

static void test_errors(void) {
  expect_err(T4, "spread", 4, "placement 'spread': unknown (allowed: none, compact, scatter, numa)",
             NULL);
  expect_err(NULL, "", 4, "placement '': unknown (allowed: none, compact, scatter, numa)", NULL);
  expect_err("pack:2 foo:3 pu:1", "numa", 4,
             "topology 'pack:2 foo:3 pu:1': hwloc refuses this synthetic description at 'foo:3'",
             "e.g. \"pack:2 numa:2 core:2 pu:1\"");
  expect_err("pack:2 numa:2 core:0 pu:1", NULL, 1, "at 'core:0'", "TYPE:COUNT");
  expect_err("pack:2 numa:2", NULL, 1, "at its end (the last level must be pu:N)", NULL);
  expect_err("  ", NULL, 1, "topology '  ': empty", "\"machine\"");
  expect_err(T4, "none", -1, "procs must be in [0, 1024]", NULL);
  expect_err(T4, "none", RT_MAXPROCS + 1, "procs must be in [0, 1024]", NULL);

  /* rt_run refuses the same, through cfg->err, before anything starts */
  char err[1024] = "";
  rt_config cfg = {.procs = 2, .placement = "diagonal", .err = err, .errlen = sizeof err};
  CHECK_EQ(rt_run(&cfg, NULL, NULL), RT_EINVAL);
  CHECKF(strstr(err, "placement 'diagonal': unknown (allowed: none, compact"), "%s", err);
  cfg.placement = "numa";
  cfg.topology = "numa:two core:2 pu:1";
  CHECK_EQ(rt_run(&cfg, NULL, NULL), RT_EINVAL);
  CHECKF(strstr(err, "at 'numa:two'") && strstr(err, "pack:2 numa:2 core:2 pu:1"), "%s", err);
}

/* ==== a run on a synthetic topology ================================== */

/* Gs keep yielding until the Ps seen cover every P (or a bound runs out);
** each records, per P it ran on, the node the services report. */
#define RUN_GS 32
#define RUN_ROUNDS 20000
static _Atomic int seen_node[16], seen_nodeof[16], seen_nnodes[16], seen_count;
static rt_waitgroup run_wg;
static int run_procs;

static void run_g(void *arg) {
  (void)arg;
  for (int r = 0; r < RUN_ROUNDS && atomic_load(&seen_count) < run_procs; r++) {
    rt_sp *sp = sched_cur_sp();
    int id = sp->id;
    if (atomic_exchange(&seen_node[id], rt_sp_node(sp) + 1) == 0) atomic_fetch_add(&seen_count, 1);
    atomic_store(&seen_nodeof[id], rt_sp_node_of(id) + 1);
    atomic_store(&seen_nnodes[id], rt_sp_nnodes());
    volatile int x = 0;
    for (int i = 0; i < 1000; i++) x += i;
    rt_yield();
  }
  rt_wg_done(&run_wg);
}

static void run_main(void *arg) {
  (void)arg;
  rt_wg_add(&run_wg, RUN_GS);
  for (int i = 0; i < RUN_GS; i++) rt_go(run_g, NULL);
  rt_wg_wait(&run_wg);
}

static void test_run(const char *topo, const char *placement, int procs) {
  rt_place plan[16];
  CHECK_EQ(rt_topo_plan(topo, placement, procs, plan, 16, NULL, NULL, 0), procs);
  memset(seen_node, 0, sizeof seen_node);
  memset(seen_nodeof, 0, sizeof seen_nodeof);
  memset(seen_nnodes, 0, sizeof seen_nnodes);
  seen_count = 0;
  run_procs = procs;
  char err[512] = "";
  rt_config cfg = {.procs = procs, .sched = "randsteal", .placement = placement,
                   .topology = topo, .err = err, .errlen = sizeof err};
  CHECKF(rt_run(&cfg, run_main, NULL) == RT_OK, "%s", err);
  CHECK(!rt_topo_bound());  /* synthetic: nothing is bound */
  CHECK(seen_node[0] != 0); /* P 0 always runs Gs; the others most likely */
  rt_topo_info in;
  rt_topo_plan(topo, NULL, 1, NULL, 0, &in, NULL, 0);
  for (int p = 0; p < procs; p++) {
    if (!seen_node[p]) continue;
    CHECKF(seen_node[p] - 1 == plan[p].node, "%s / %s: P %d saw node %d, plan %d", topo,
           placement, p, seen_node[p] - 1, plan[p].node);
    CHECK_EQ(seen_nodeof[p] - 1, plan[p].node);
    CHECK_EQ(seen_nnodes[p], in.numa_nodes);
  }
  CHECK_EQ(rt_sp_nnodes(), 1);  /* outside a run */
  CHECK_EQ(rt_sp_node_of(1), 0);
}

/* ==== a run on this machine: binding ================================= */

static _Atomic int bind_cpus[4], bind_cpu[4];

static void bind_g(void *arg) {
  (void)arg;
  for (int r = 0; r < RUN_ROUNDS && atomic_load(&seen_count) < run_procs; r++) {
    int id = sched_cur_sp()->id;
    cpu_set_t s;
    CPU_ZERO(&s);
    if (pthread_getaffinity_np(pthread_self(), sizeof s, &s) == 0 &&
        atomic_exchange(&bind_cpus[id], CPU_COUNT(&s)) == 0) {
      for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &s)) {
          bind_cpu[id] = c;
          break;
        }
      atomic_fetch_add(&seen_count, 1);
    }
    volatile int x = 0;
    for (int i = 0; i < 1000; i++) x += i;
    rt_yield();
  }
  rt_wg_done(&run_wg);
}

static void bind_main(void *arg) {
  (void)arg;
  rt_wg_add(&run_wg, RUN_GS);
  for (int i = 0; i < RUN_GS; i++) rt_go(bind_g, NULL);
  rt_wg_wait(&run_wg);
}

static void test_bind(const char *placement) {
  rt_topo_info in;
  int procs = rt_topo_plan(NULL, placement, 0, NULL, 0, &in, NULL, 0);
  if (procs > 2) procs = 2;
  cpu_set_t before, after;
  pthread_getaffinity_np(pthread_self(), sizeof before, &before);
  memset(bind_cpus, 0, sizeof bind_cpus);
  seen_count = 0;
  run_procs = procs;
  char err[512] = "";
  rt_config cfg = {.procs = procs, .sched = "randsteal", .placement = placement,
                   .err = err, .errlen = sizeof err};
  CHECKF(rt_run(&cfg, bind_main, NULL) == RT_OK, "%s", err);
  bool bound = rt_topo_bound();
  fprintf(stderr, "this machine (%s), placement %s: Ms %sbound\n", in.summary, placement,
          bound ? "" : "not ");
  CHECK(bound == (in.bindable && strcmp(placement, "none") != 0));
  pthread_getaffinity_np(pthread_self(), sizeof after, &after);
  CHECKF(CPU_EQUAL(&before, &after), "the caller's binding was not restored");
  if (!bound) return;
  for (int p = 0; p < procs; p++) {
    if (!bind_cpus[p]) continue;
    if (!strcmp(placement, "compact"))
      CHECKF(bind_cpus[p] == 1, "P %d's M may run on %d CPUs", p, bind_cpus[p]);
    else if (in.numa_nodes == 1)  /* numa: the whole (only) node */
      CHECKF(bind_cpus[p] == in.pus, "P %d's M may run on %d CPUs", p, bind_cpus[p]);
  }
  if (!strcmp(placement, "compact") && procs == 2 && bind_cpus[0] && bind_cpus[1])
    CHECKF(bind_cpu[0] != bind_cpu[1], "P 0 and P 1 are both on CPU %d", bind_cpu[0]);
}

int main(void) {
  test_plans();
  test_plan_edges();
  test_info();
  test_errors();
  test_run(T4, "numa", 4);
  test_run(T4, "numa", 8);
  test_run(T2, "scatter", 3);
  test_run(T2, "none", 8);
  test_bind("compact");
  test_bind("numa");
  test_bind("none");
  return check_done("test_topo");
}
