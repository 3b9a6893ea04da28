-- alloc.lua: allocators on allocation workloads, at 1 and 2 Ps.
--
-- rtlab's first, next and best fit against the real allocators rtlab
-- wraps (glibc, jemalloc, mimalloc, tcmalloc: `make deps` installs them
-- from Debian) on churn.  The segregated (Go-modelled) allocator and the
-- larson, xmalloc, frag and large workloads join as they land (issue 4).
-- Two Gs churn, each on its own working set.
--
--   build/rtlab run experiments/alloc.lua
--   build/rtlab report results/alloc --metric heap.frag     (peak heap / peak live;
--                                                             own allocators only)

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "alloc",
  workloads = {
    { "churn", n = 2000000, gs = 2 },
  },
  matrix = {
    alloc = { "system", "jemalloc", "mimalloc", "tcmalloc", "first_fit", "next_fit", "best_fit",
              { "next_fit", order = "lifo" } },
    procs = { 1, 2 },
  },
  baseline = { alloc = "system" },
  reps = 5,
}
