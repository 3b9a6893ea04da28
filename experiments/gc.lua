-- gc.lua: collectors against Go's and Boehm GC's on the same programs
-- (issue 6).  none is the baseline that never frees; marksweep is the
-- stop-the-world collector, over segregated (Go's allocator) and
-- first_fit, with gogc 50/100/200/400 and its lazy sweep over
-- segregated; concurrent is the collector that
-- marks beside the program, over segregated, with the same gogc values
-- and each of its three write barriers.  The targets (P=1, binarytrees
-- depth 18): marksweep's time <= 1.0x Boehm GC's and its peak RSS <=
-- 1.5x; concurrent's time <= 1.0x Go's and its max pause <= 2x Go's.
--
--   make peers && build/rtlab run experiments/gc.lua
--   build/rtlab report results/gc                        # ns per node / request
--   build/rtlab report results/gc --metric maxrss_kb     # peak RSS
--   build/rtlab report results/gc --metric gcstats.pause_max_ns
--   build/rtlab report results/gc --metric latency.p99_ns   # lru

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "gc",
  workloads = {
    { "binarytrees", depth = 18 },
    { "gcbench" },
    { "lru", n = 200000 },
    { "roots" },             -- Go's peer only: Boehm's has no goroutines
    { "mutate" },
  },
  matrix = {
    gc = { "none", "marksweep,gogc=50", "marksweep", "marksweep,gogc=200", "marksweep,gogc=400",
           "marksweep,sweep=lazy",
           "concurrent,gogc=50", "concurrent", "concurrent,gogc=200", "concurrent,gogc=400",
           "concurrent,barrier=dijkstra", "concurrent,barrier=yuasa" },
    alloc = { "segregated", "first_fit" },
    procs = { 1, 2 },
  },
  -- none over 2 GB of never-freed nodes says what it says at depth 16
  -- already (README); the sweep of first_fit keeps to the default gogc.
  where = function(c)
    if c.gc == "none" then return c.workload_name ~= "binarytrees" end
    if c.gc == "marksweep,sweep=lazy" then return c.alloc == "segregated" end
    return c.alloc == "segregated" or c.gc == "marksweep"
  end,
  peers = { "go", "boehm" },
  baseline = { sched = "peer:boehm" },
  reps = 3,
  timeout = 300,
}
