/*
** topo.c: the machine under the runtime, read with hwloc: this machine's
** topology or a synthetic one, a placement plan (a PU and a NUMA node per
** P; the placements are described in rt.h), binding Ms to their places,
** and binding arena pages to the node of the P that asks (topo_membind).
**
** Synthetic topologies exist so that node-aware policies can be tested and
** compared on any laptop: the plan, rt_sp_node and the policies' choices
** are the same as on a real machine of that shape; only the binding is
** left out (hwloc's synthetic backend would pretend to bind).
**
** Everything is numbered by hwloc's logical index.  A topology is read
** once per rt_run (about a millisecond on a real machine, tens of
** microseconds for a synthetic one) into a topo_map: per PU its node, and
** the PUs in "compact" and "scatter" order; a plan is then a lookup per P.
** Binding happens when an M takes a P whose place differs from the one it
** is bound to (topo_bind, called from proc.c), never on the switch path.
*/
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <hwloc.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fail.h"
#include "rt_module.h"
#include "topo.h"

/* ==== placements ===================================================== */

enum { TOPO_NONE, TOPO_COMPACT, TOPO_SCATTER, TOPO_NUMA, TOPO__N };

static const char *const topo_names[TOPO__N] = {"none", "compact", "scatter", "numa"};

#define TOPO_EXAMPLE "\"pack:2 numa:2 core:2 pu:1\""


/* The placement's TOPO_* value, or RT_EINVAL with the allowed names. */
static int topo_kind(const char *placement, char *err, size_t errlen) {
  if (!placement) return TOPO_NONE;
  for (int k = 0; k < TOPO__N; k++)
    if (strcmp(placement, topo_names[k]) == 0) return k;
  return fw_fail(RT_EINVAL, err, errlen,
                   "placement '%s': unknown (allowed: none, compact, scatter, numa)",
                   placement);
}

/* ==== reading a topology ============================================= */

typedef struct topo_map {
  hwloc_topology_t h;        /* the loaded topology; NULL when none */
  bool synthetic;            /* not this machine */
  bool bindable;             /* this machine, and hwloc binds a thread */
  int npus, nnodes;          /* PUs and NUMA nodes (both >= 1) */
  int ncores, npkgs;         /* cores and packages (may be 0) */
  int *pu_node;              /* per PU: its node (the first covering it) */
  int *compact;              /* PUs node by node, cores first */
  int *first;                /* per node: its PUs in compact start here;
                                first[nnodes] == npus */
  int *scatter;              /* PUs round-robin over the nodes */
  int *live;                 /* nodes holding PUs, in order */
  int nlive;                 /* how many, >= 1 */
} topo_map;

static void map_free(topo_map *m) {
  if (m->h) hwloc_topology_destroy(m->h);
  free(m->pu_node);
  free(m->compact);
  free(m->first);
  free(m->scatter);
  free(m->live);
  memset(m, 0, sizeof *m);
}

static bool synth_ok(const char *s) {
  hwloc_topology_t t;
  if (hwloc_topology_init(&t) != 0) return true;  /* cannot tell: blame none */
  bool ok = hwloc_topology_set_synthetic(t, s) == 0;
  hwloc_topology_destroy(t);
  return ok;
}

/* hwloc says only "invalid" (its reasons go to stderr, and only with
** HWLOC_SYNTHETIC_VERBOSE set), so find the first level it refuses:
** parse growing prefixes, each closed with a PU level unless it ends in
** one.  Leaves "" when every prefix passes (then the end is wrong). */
static void synth_blame(const char *s, char *at, size_t atlen) {
  char buf[512];
  at[0] = 0;
  for (const char *p = s; *p;) {
    while (isspace((unsigned char)*p)) p++;
    const char *e = p;
    while (*e && !isspace((unsigned char)*e)) e++;
    if (e == p) break;
    bool pu = strncasecmp(p, "pu", 2) == 0;
    snprintf(buf, sizeof buf, "%.*s%s", (int)(e - s), s, pu ? "" : " pu:1");
    if (!synth_ok(buf)) {
      snprintf(at, atlen, "%.*s", (int)(e - p), p);
      return;
    }
    p = e;
  }
}

static int map_refuse(const char *topology, char *err, size_t errlen) {
  char at[128];
  synth_blame(topology, at, sizeof at);
  char where[160];
  if (at[0]) snprintf(where, sizeof where, "at '%s'", at);
  else snprintf(where, sizeof where, "at its end (the last level must be pu:N)");
  return fw_fail(RT_EINVAL, err, errlen,
                   "topology '%s': hwloc refuses this synthetic description %s; give "
                   "TYPE:COUNT levels from the top down, e.g. " TOPO_EXAMPLE
                   " (types: pack, numa, group, l3, l2, l1, core, pu), or leave it "
                   "unset (or \"machine\") for this machine",
                   topology, where);
}

/* Per PU: its node, and its rank among its core's PUs (hyperthread 0, 1..). */
static int map_pus(topo_map *m, int *rank, int *maxrank) {
  int *seen = calloc((size_t)m->ncores + 1, sizeof *seen);
  if (!seen) return RT_ENOMEM;
  *maxrank = 0;
  for (int i = 0; i < m->npus; i++) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(m->h, HWLOC_OBJ_PU, (unsigned)i);
    m->pu_node[i] = 0;
    for (int n = 0; n < m->nnodes; n++) {
      hwloc_obj_t nd = hwloc_get_obj_by_type(m->h, HWLOC_OBJ_NUMANODE, (unsigned)n);
      if (nd && nd->cpuset && hwloc_bitmap_isset(nd->cpuset, pu->os_index)) {
        m->pu_node[i] = n;
        break;
      }
    }
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(m->h, HWLOC_OBJ_CORE, pu);
    rank[i] = core && (int)core->logical_index < m->ncores ? seen[core->logical_index]++ : 0;
    if (rank[i] > *maxrank) *maxrank = rank[i];
  }
  free(seen);
  return RT_OK;
}

/* The compact and scatter orders and the nodes that hold PUs. */
static void map_orders(topo_map *m, const int *rank, int maxrank) {
  int k = 0;
  m->nlive = 0;
  for (int n = 0; n < m->nnodes; n++) {
    m->first[n] = k;
    for (int r = 0; r <= maxrank; r++)
      for (int i = 0; i < m->npus; i++)
        if (m->pu_node[i] == n && rank[i] == r) m->compact[k++] = i;
    if (k > m->first[n]) m->live[m->nlive++] = n;
  }
  m->first[m->nnodes] = k;
  k = 0;
  for (int r = 0; k < m->npus; r++)
    for (int j = 0; j < m->nlive; j++) {
      int n = m->live[j];
      if (m->first[n] + r < m->first[n + 1]) m->scatter[k++] = m->compact[m->first[n] + r];
    }
}

static int map_load(topo_map *m, const char *topology, char *err, size_t errlen) {
  memset(m, 0, sizeof *m);
  bool real = !topology || strcmp(topology, "machine") == 0;
  if (!real) {
    const char *p = topology;
    while (isspace((unsigned char)*p)) p++;
    if (!*p)
      return fw_fail(RT_EINVAL, err, errlen,
                       "topology '%s': empty; give a synthetic description such as "
                       TOPO_EXAMPLE ", or leave it unset (or \"machine\") for this machine",
                       topology);
  }
  if (hwloc_topology_init(&m->h) != 0) {
    m->h = NULL;
    return fw_fail(RT_ENOMEM, err, errlen, "hwloc: cannot set up a topology");
  }
  if (!real && hwloc_topology_set_synthetic(m->h, topology) != 0) {
    map_free(m);
    return map_refuse(topology, err, errlen);
  }
  if (hwloc_topology_load(m->h) != 0) {
    int e = errno;
    map_free(m);
    return fw_fail(RT_EINVAL, err, errlen, "hwloc cannot read %s topology (%s)",
                     real ? "this machine's" : "the synthetic", strerror(e));
  }
  /* hwloc's environment (HWLOC_XMLFILE...) may replace this machine too. */
  m->synthetic = !real || !hwloc_topology_is_thissystem(m->h);
  const struct hwloc_topology_support *sup = hwloc_topology_get_support(m->h);
  m->bindable = !m->synthetic && sup && sup->cpubind && sup->cpubind->set_thisthread_cpubind;
  m->npus = hwloc_get_nbobjs_by_type(m->h, HWLOC_OBJ_PU);
  m->nnodes = hwloc_get_nbobjs_by_type(m->h, HWLOC_OBJ_NUMANODE);
  m->ncores = hwloc_get_nbobjs_by_type(m->h, HWLOC_OBJ_CORE);
  m->npkgs = hwloc_get_nbobjs_by_type(m->h, HWLOC_OBJ_PACKAGE);
  if (m->npus < 1) {
    map_free(m);
    return fw_fail(RT_EINVAL, err, errlen, "topology '%s' has no PU",
                     real ? "machine" : topology);
  }
  if (m->nnodes < 1) m->nnodes = 1;  /* hwloc always makes one; be safe */
  m->pu_node = malloc(sizeof(int) * (size_t)m->npus);
  m->compact = malloc(sizeof(int) * (size_t)m->npus);
  m->scatter = malloc(sizeof(int) * (size_t)m->npus);
  m->first = malloc(sizeof(int) * ((size_t)m->nnodes + 1));
  m->live = malloc(sizeof(int) * (size_t)m->nnodes);
  int *rank = malloc(sizeof(int) * (size_t)m->npus), maxrank;
  if (!m->pu_node || !m->compact || !m->scatter || !m->first || !m->live || !rank ||
      map_pus(m, rank, &maxrank) != RT_OK) {
    free(rank);
    map_free(m);
    return fw_fail(RT_ENOMEM, err, errlen, "out of memory reading the topology");
  }
  map_orders(m, rank, maxrank);
  free(rank);
  return RT_OK;
}

/* ==== plans ========================================================== */

/* The place of P p of procs under placement kind. */
static rt_place map_place(const topo_map *m, int kind, int p, int procs) {
  int pu;
  switch (kind) {
  case TOPO_COMPACT: pu = m->compact[p % m->npus]; break;
  case TOPO_SCATTER: pu = m->scatter[p % m->npus]; break;
  case TOPO_NUMA: {
    int b = (int)((int64_t)p * m->nlive / procs), n = m->live[b];
    int p0 = (int)(((int64_t)b * procs + m->nlive - 1) / m->nlive);  /* block start */
    int cnt = m->first[n + 1] - m->first[n];
    pu = m->compact[m->first[n] + (p - p0) % cnt];
    return (rt_place){p, pu, n};
  }
  default: pu = p % m->npus;
  }
  return (rt_place){p, pu, m->pu_node[pu]};
}

/* Appends "2 cores" (", " first unless at the start) to s[0..len) at n. */
static size_t topo_part(char *s, size_t len, size_t n, int cnt, const char *one,
                        const char *many) {
  if (n >= len) return n;
  int w = snprintf(s + n, len - n, "%s%d %s", n ? ", " : "", cnt, cnt == 1 ? one : many);
  return w > 0 ? n + (size_t)w : n;
}

static void map_info(const topo_map *m, rt_topo_info *info) {
  memset(info, 0, sizeof *info);
  info->packages = m->npkgs;
  info->numa_nodes = m->nnodes;
  info->cores = m->ncores;
  info->pus = m->npus;
  info->synthetic = m->synthetic;
  info->bindable = m->bindable;
  char *s = info->summary;
  size_t len = sizeof info->summary, n = 0;
  if (m->npkgs) n = topo_part(s, len, n, m->npkgs, "package", "packages");
  n = topo_part(s, len, n, m->nnodes, "NUMA node", "NUMA nodes");
  if (m->ncores) n = topo_part(s, len, n, m->ncores, "core", "cores");
  topo_part(s, len, n, m->npus, "PU", "PUs");
}

/* ==== the run's plan and binding ===================================== */

static struct {
  topo_map map;              /* the run's topology (map.h NULL between runs) */
  rt_place *plan;            /* per P; NULL outside a run */
  int nprocs;                /* Ps in plan */
  hwloc_const_cpuset_t *set; /* per P: where its M is bound; NULL: no binding */
  hwloc_bitmap_t m0set;      /* M0's binding before the run, restored after */
  _Atomic bool failed;       /* a bind call failed this run */
  bool bound;                /* Ms are (were, last run) bound to places */
} T;

int topo_start(const char *topology, const char *placement, int procs,
               char *err, size_t errlen) {
  int kind = topo_kind(placement, err, errlen);
  if (kind < 0) return kind;
  if (T.plan) return fw_fail(RT_EBUSY, err, errlen, "a placement plan is already in use");
  if (procs < 1 || procs > RT_MAXPROCS)
    return fw_fail(RT_EINVAL, err, errlen, "procs must be in [1, %d], got %d",
                     RT_MAXPROCS, procs);
  int rc = map_load(&T.map, topology, err, errlen);
  if (rc != RT_OK) return rc;
  T.plan = malloc(sizeof(rt_place) * (size_t)procs);
  bool bind = kind != TOPO_NONE && T.map.bindable;
  T.set = bind ? malloc(sizeof(hwloc_const_cpuset_t) * (size_t)procs) : NULL;
  if (!T.plan || (bind && !T.set)) {
    topo_stop();
    return fw_fail(RT_ENOMEM, err, errlen, "out of memory planning the placement");
  }
  T.nprocs = procs;
  for (int p = 0; p < procs; p++) {
    T.plan[p] = map_place(&T.map, kind, p, procs);
    if (!bind) continue;
    hwloc_obj_t o = kind == TOPO_NUMA
      ? hwloc_get_obj_by_type(T.map.h, HWLOC_OBJ_NUMANODE, (unsigned)T.plan[p].node)
      : hwloc_get_obj_by_type(T.map.h, HWLOC_OBJ_PU, (unsigned)T.plan[p].pu);
    T.set[p] = o->cpuset;
  }
  atomic_store(&T.failed, false);
  T.bound = bind;
  if (bind && (T.m0set = hwloc_bitmap_alloc()) != NULL &&
      hwloc_get_cpubind(T.map.h, T.m0set, HWLOC_CPUBIND_THREAD) != 0) {
    hwloc_bitmap_free(T.m0set);  /* unknown: leave M0 as the run leaves it */
    T.m0set = NULL;
  }
  return RT_OK;
}

void topo_bind(int pid, int prev) {
  if (!T.set || pid < 0 || pid >= T.nprocs) return;
  if (prev >= 0 && prev < T.nprocs && hwloc_bitmap_isequal(T.set[prev], T.set[pid])) return;
  if (hwloc_set_cpubind(T.map.h, T.set[pid], HWLOC_CPUBIND_THREAD) != 0)
    atomic_store(&T.failed, true);
}

int topo_membind(void *addr, size_t len, int node) {
  if (node < 0 || !T.plan || T.map.synthetic || T.map.nnodes < 2) return 0;
  if (node >= T.map.nnodes) return RT_EINVAL;
  const struct hwloc_topology_support *sup = hwloc_topology_get_support(T.map.h);
  if (!sup || !sup->membind || !sup->membind->set_area_membind ||
      !sup->membind->bind_membind)
    return -ENOSYS;
  hwloc_obj_t o = hwloc_get_obj_by_type(T.map.h, HWLOC_OBJ_NUMANODE, (unsigned)node);
  if (!o || !o->nodeset) return RT_EINVAL;
  errno = 0;
  if (hwloc_set_area_membind(T.map.h, addr, len, o->nodeset, HWLOC_MEMBIND_BIND,
                             HWLOC_MEMBIND_BYNODESET) != 0)
    return errno ? -errno : RT_EINVAL;
  return 1;
}

void topo_stop(void) {
  if (T.m0set) {
    hwloc_set_cpubind(T.map.h, T.m0set, HWLOC_CPUBIND_THREAD);
    hwloc_bitmap_free(T.m0set);
    T.m0set = NULL;
  }
  free(T.plan);
  free(T.set);
  T.plan = NULL;
  T.set = NULL;
  T.nprocs = 0;
  map_free(&T.map);
}

bool rt_topo_bound(void) {
  return T.bound && !atomic_load(&T.failed);
}

/* ==== services for policies (rt_module.h) ============================ */

int rt_sp_node_of(int pid) {
  return T.plan && pid >= 0 && pid < T.nprocs ? T.plan[pid].node : 0;
}

int rt_sp_node(const rt_sp *p) {
  return p ? rt_sp_node_of(p->id) : 0;
}

int rt_sp_nnodes(void) {
  return T.plan ? T.map.nnodes : 1;
}

/* ==== the public face: plans and trees (rt.h) ======================== */

int rt_topo_plan(const char *topology, const char *placement, int procs,
                 rt_place *out, int max, rt_topo_info *info, char *err,
                 size_t errlen) {
  int kind = topo_kind(placement, err, errlen);
  if (kind < 0) return kind;
  if (procs < 0 || procs > RT_MAXPROCS)
    return fw_fail(RT_EINVAL, err, errlen,
                     "procs must be in [0, %d] (0: one per PU), got %d", RT_MAXPROCS, procs);
  topo_map m;
  int rc = map_load(&m, topology, err, errlen);
  if (rc != RT_OK) return rc;
  if (procs == 0) procs = m.npus < RT_MAXPROCS ? m.npus : RT_MAXPROCS;
  for (int p = 0; out && p < procs && p < max; p++) out[p] = map_place(&m, kind, p, procs);
  if (info) map_info(&m, info);
  map_free(&m);
  return procs;
}

int rt_topo_summary(const char *topology, char *buf, size_t len) {
  rt_topo_info info;
  int rc = rt_topo_plan(topology, NULL, 1, NULL, 0, &info, buf, len);
  if (rc < 0) return rc;
  if (buf && len) snprintf(buf, len, "%s", info.summary);
  return RT_OK;
}

static void topo_print(hwloc_obj_t o, FILE *f, int depth) {
  char type[64], attr[128];
  hwloc_obj_type_snprintf(type, sizeof type, o, 0);
  hwloc_obj_attr_snprintf(attr, sizeof attr, o, " ", 0);
  fprintf(f, "%*s%s L#%u", 2 * depth, "", type, o->logical_index);
  if (o->type == HWLOC_OBJ_PU || o->type == HWLOC_OBJ_NUMANODE) fprintf(f, " P#%u", o->os_index);
  if (attr[0]) fprintf(f, " (%s)", attr);
  fputc('\n', f);
  for (hwloc_obj_t c = o->memory_first_child; c; c = c->next_sibling) topo_print(c, f, depth + 1);
  for (hwloc_obj_t c = o->first_child; c; c = c->next_sibling) topo_print(c, f, depth + 1);
}

int rt_topo_describe(const char *topology, FILE *f, char *err, size_t errlen) {
  topo_map m;
  int rc = map_load(&m, topology, err, errlen);
  if (rc != RT_OK) return rc;
  topo_print(hwloc_get_root_obj(m.h), f, 0);
  map_free(&m);
  return RT_OK;
}
