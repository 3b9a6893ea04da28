-- alloc.lua: allocators on allocation workloads, at 1 and 2 Ps.
--
-- rtlab's first, next and best fit against the real allocators rtlab
-- wraps (glibc, jemalloc, mimalloc, tcmalloc: `make deps` installs them
-- from Debian) on churn, larson, xmalloc, frag and large, with the
-- segregated allocator (Go's design).  Two Gs churn, each on its own
-- working set; larson and xmalloc free
-- objects on other Gs than their makers (at 2 Ps often on the other P).
-- Sized for 0.1-0.5 s a trial on glibc at 1 or 2 Ps (2-core machine);
-- frag is small because best fit and LIFO next fit take 30+ us per
-- allocation on it.  heap.frag is exact at 1 P; at 2 Ps it divides sums of
-- per-P peaks, loose when objects die on another P (larson, xmalloc).
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
    { "frag", n = 10000, rounds = 4 },
    { "large", n = 2000, live = 8 },
  },
  matrix = {
    alloc = { "system", "jemalloc", "mimalloc", "tcmalloc", "segregated", "first_fit", "next_fit",
              "best_fit", { "next_fit", order = "lifo" },
              { "first_fit", cache = 64 }, { "next_fit", cache = 64 }, { "best_fit", cache = 64 } },
    procs = { 1, 2 },
  },
  baseline = { alloc = "system" },
  reps = 5,
}
