-- gc_targets.lua: issue 6's target cells and the other collector
-- workloads, quicker than gc.lua (about 3.5 minutes on 2 vCPUs): the
-- concurrent collector and marksweep (eager and, on binarytrees, lazy
-- sweep) over segregated, at 1 and 2 Ps, beside Go's and Boehm GC's
-- peers.  Targets (P=1, binarytrees depth 18): concurrent's time <= 1.0x
-- Go's and its max pause <= 2x Go's; marksweep's time <= 1.0x Boehm's and
-- its peak RSS <= 1.5x.
--
--   make peers && build/rtlab run experiments/gc_targets.lua
--   build/rtlab report results/gc_targets --metric gcstats.pause_max_ns
--   build/rtlab report results/gc_targets --metric maxrss_kb

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "gc_targets",
  workloads = {
    { "binarytrees", depth = 18 },
    { "gcbench" },
    { "lru", n = 200000 },
    { "roots" },             -- Go's peer only: Boehm's has no goroutines
    { "mutate" },
  },
  matrix = {
    gc = { "concurrent", "marksweep", "marksweep,sweep=lazy" },
    alloc = { "segregated" },
    procs = { 1, 2 },
  },
  where = function(c) return c.gc ~= "marksweep,sweep=lazy" or c.workload_name == "binarytrees" end,
  peers = { "go", "boehm" },
  baseline = { sched = "peer:go" },
  reps = 5,
  timeout = 300,
}
