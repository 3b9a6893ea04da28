-- io.lua: timers, the netpoller, system calls and preemption against
-- Go's runtime (issue 5).  The targets: echo ns_per_op <= Go's at P=1 and
-- P=2 (16 clients, 64 B); timers latency.p99_ns <= Go's; hog with
-- preempt=signal: latency.p99_ns under 2 x time_slice (20 ms) on one P,
-- and about the hog's length (500 ms) with preempt=off.
--
--   make peers && build/rtlab run experiments/io.lua
--   build/rtlab report results/io                          # ns_per_op
--   build/rtlab report results/io --metric latency.p99_ns  # timers, hog, syscall
--
-- Only hog differs between the preemption modes, so the other workloads
-- run with the default (coop) alone.  Go's peer runs with Go's defaults
-- (asynchronous preemption on); it has no syscall workload.

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "io",
  workloads = {
    { "echo", n = 2000, clients = 16, size = 64 },
    { "timers", n = 100000, gs = 1000, max_us = 1000 },
    { "timers", n = 20000, gs = 16, max_us = 1000 },
    { "hog", n = 1, ms = 500 },
    { "syscall", n = 2000, readers = 4, workers = 1 },
    { "syscall", n = 2000, readers = 4, workers = 1, block = "on" },
  },
  matrix = {
    procs = { 1, 2 },
    runtime = { "preempt=coop", "preempt=signal", "preempt=off" },
  },
  where = function(c) return c.workload_name == "hog" or c.runtime == "preempt=coop" end,
  peers = { "go" },
  baseline = { sched = "peer:go" },
  reps = 5,
  timeout = 120,
}
