-- sched.lua: how go's two queue constants shape its cost.
--
-- global_every: every how many schedule ticks a P checks the global queue
-- before its own (Go hard-codes 61).  local_size: the capacity of a P's
-- lock-free run queue (Go hard-codes 256); when it fills, half spills to
-- the global queue.  spawn with large batches fills the local queues, so
-- it shows the spill cost; pingpong and yield show the tick's.
--
--   rtlab run experiments/sched.lua      -> a table and, with gnuplot,
--                                           plot-*.svg of ns/op over global_every

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "sched",
  workloads = {
    { "yield", n = 500000, gs = 8 },
    { "pingpong", n = 100000 },
    { "spawn", n = 50000, batch = 10000 },
  },
  matrix = {
    -- go,global_every=1, 2, 4, ... 128, plus Go's 61
    sched = rtlab.sweep("go", "global_every", { 1, 2, 4, 8, 16, 32, 61, 64, 128 }),
    procs = { 1, 2 },
  },
  reps = 3,
  baseline = { sched = "go,global_every=61" },
}
