-- gc.lua: collectors against Go's and Boehm GC's on the same programs
-- (issue 6).  So far one collector: none, the baseline that never frees
-- (what a program costs with no collection at all), over the system
-- allocator and segregated.  marksweep and concurrent join this table,
-- and gogc = 50/100/200/400 as an axis, as they land.
--
--   make peers && build/rtlab run experiments/gc.lua
--   build/rtlab report results/gc                       # ns per node / request
--   build/rtlab report results/gc --metric maxrss_kb    # peak RSS
--   build/rtlab report results/gc --metric latency.p99_ns

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "gc",
  workloads = {
    { "binarytrees", depth = 16 },
    { "gcbench" },
    { "lru", n = 200000 },
  },
  matrix = {
    gc = { "none" },
    alloc = { "system", "segregated" },
    procs = { 1, 2 },
  },
  peers = { "go", "boehm" },
  baseline = { sched = "peer:boehm" },
  reps = 3,
  timeout = 120,
}
