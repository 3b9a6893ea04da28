-- io.lua: timers, the netpoller and preemption against Go's runtime
-- (issue 5).  So far the timers workload: Gs sleeping random short
-- durations, how late each wake-up comes (latency.p99_ns is the target:
-- <= Go's).  echo, hog and syscall join as they land.
--
--   make peers && build/rtlab run experiments/io.lua
--   build/rtlab report results/io --metric latency.p99_ns

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "io",
  workloads = {
    { "timers", n = 100000, gs = 1000, max_us = 1000 },
    { "timers", n = 20000, gs = 16, max_us = 1000 },
  },
  matrix = { sched = { "go" }, procs = { 1, 2 } },
  peers = { "go" },
  baseline = { sched = "peer:go" },
  reps = 5,
  timeout = 120,
}
