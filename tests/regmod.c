/*
** regmod.c: tiny scheduler modules for test_registry's loader checks,
** built as several shared objects from this one file:
**   REGMOD_VARIANT 0  a well-formed module "regtest" with one parameter
**                     of each type and a check op (never run: its ops
**                     are stubs)
**   REGMOD_VARIANT 1  the same, but built for ABI 7
**   REGMOD_VARIANT 2  no rt_module_sched symbol at all
**   REGMOD_VARIANT 3  a table without pick
*/
#include "rt_module.h"

#include <stdio.h>

static void rm_ready(rt_sp *p, rt_g *g, rt_why why) { (void)p; (void)g; (void)why; }
static rt_g *rm_pick(rt_sp *p, bool *inherit) { (void)p; (void)inherit; return NULL; }
static bool rm_runnable(const rt_sp *p) { (void)p; return false; }
/* depth 13 is refused with a message, depth 14 without one. */
static int rm_check(const rt_pval *v, char *err, size_t errlen) {
  if (v[0].i == 13 && err) snprintf(err, errlen, "sched 'regtest': parameter 'depth' must not be 13");
  return v[0].i == 13 || v[0].i == 14 ? RT_EINVAL : RT_OK;
}

static const rt_param rm_params[] = {
  {"depth", RT_PT_INT, 4, 1, 64, NULL, "an integer"},
  {"ratio", RT_PT_DOUBLE, 0.25, 0, 1, NULL, "a real"},
  {"fast", RT_PT_BOOL, 0, 0, 1, NULL, "a switch"},
  {"order", RT_PT_ENUM, 1, 0, 0, "fifo|lifo|random", "a choice"},
};

#if REGMOD_VARIANT != 2
static const rt_sched_ops rm_ops = {
  .abi = REGMOD_VARIANT == 1 ? 7 : RT_ABI_VERSION,
  .name = "regtest",
  .summary = "test module for the registry's loader",
  .params = rm_params,
  .nparams = 4,
  .ready = rm_ready,
  .pick = REGMOD_VARIANT == 3 ? NULL : rm_pick,
  .runnable = rm_runnable,
  .check = rm_check,
};

const rt_sched_ops *rt_module_sched(void);
const rt_sched_ops *rt_module_sched(void) { return &rm_ops; }
#else
/* Exported under the wrong name, so the loader finds nothing. */
const rt_param *rt_module_params(void);
const rt_param *rt_module_params(void) { (void)rm_ready; (void)rm_pick; (void)rm_runnable;
  (void)rm_check; return rm_params; }
#endif
