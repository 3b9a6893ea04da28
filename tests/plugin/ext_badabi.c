/*
** ext_badabi.c: a module that claims an ABI this rtlab does not have
** (999), as a .so built against a future rt_module.h would.  The loader
** must refuse it with a message that names the ABI, before calling any op.
*/
#include "rt_module.h"

static void bad_ready(rt_sp *p, rt_g *g, rt_why why) {}
static rt_g *bad_pick(rt_sp *p, bool *inherit) { return NULL; }
static bool bad_runnable(const rt_sp *p) { return false; }

static const rt_sched_ops bad_ops = {
  .abi = 999,
  .name = "badabi",
  .summary = "claims ABI 999; must never be run",
  .ready = bad_ready,
  .pick = bad_pick,
  .runnable = bad_runnable,
};

const rt_sched_ops *rt_module_sched(void);
const rt_sched_ops *rt_module_sched(void) { return &bad_ops; }
