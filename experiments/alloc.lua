-- alloc.lua: allocators on allocation workloads, at 1 and 2 Ps.
--
-- rtlab's first, next and best fit against the real allocators rtlab
-- wraps (glibc, jemalloc, mimalloc, tcmalloc: `make deps` installs them
-- from Debian) on churn, larson and xmalloc.  The segregated (Go-modelled)
-- allocator and the frag and large workloads join as they land (issue 4).
-- Two Gs churn, each on its own working set; larson and xmalloc free
-- objects on other Gs than their makers (at 2 Ps often on the other P).
-- Sized for 0.1-0.5 s a trial on glibc at 1 or 2 Ps (2-core machine).
--
--   build/rtlab run experiments/alloc.lua
--   build/rtlab report results/alloc --metric heap.frag     (peak heap / peak live;
--                                                             own allocators only)

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "alloc",
  workloads = {
    { "churn", n = 2000000, gs = 2 },
    { "larson", n = 3000000 },
    { "xmalloc", n = 2000000 },
  },
  matrix = {
    alloc = { "system", "jemalloc", "mimalloc", "tcmalloc", "first_fit", "next_fit", "best_fit",
              { "next_fit", order = "lifo" } },
    procs = { 1, 2 },
  },
  baseline = { alloc = "system" },
  reps = 5,
}
