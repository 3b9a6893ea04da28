-- base.lua: the experiment the runner tests edit line by line (keep the
-- line numbers: test_run.sh's golden messages name them).
local rtlab = require "rtlab"
return rtlab.experiment {
  name = "base",
  workloads = { { "yield", n = 1000 }, { "pingpong", n = 500 } },
  matrix = {
    sched = { "go", "fifo", { "go", global_every = 31 } },
    procs = { 1, 2 },
  },
  fixed = { placement = "none" },
  reps = 2, timeout = 30,
  baseline = { sched = "go" },
  metric = "ns_per_op",
}
