-- alloc.lua: allocators on allocation workloads, at 1 and 2 Ps.
--
-- For now the real allocators rtlab wraps (glibc, jemalloc, mimalloc,
-- tcmalloc: `make deps` installs them from Debian) on churn; rtlab's own
-- first/next/best/segregated-fit allocators and the larson, xmalloc, frag
-- and large workloads join as they land (issue 4).  At P=2 two Gs churn,
-- each on its own working set.
--
--   build/rtlab run experiments/alloc.lua
--   build/rtlab report results/alloc --metric heap.peak_live

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "alloc",
  workloads = {
    { "churn", n = 2000000, gs = 2 },
  },
  matrix = {
    alloc = { "system", "jemalloc", "mimalloc", "tcmalloc" },
    procs = { 1, 2 },
  },
  baseline = { alloc = "system" },
  reps = 5,
}
