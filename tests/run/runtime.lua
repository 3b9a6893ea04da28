-- runtime.lua: the runtime's own options as a matrix axis (keep the line
-- numbers: test_run.sh's golden messages name them).
local rtlab = require "rtlab"
return rtlab.experiment {
  name = "runtime",
  workloads = { { "yield", n = 1000 } },
  matrix = {
    procs = { 1, 2 },
    runtime = {
      { preempt = "coop" },
      { preempt = "signal", time_slice_ms = 5 },
      "sysmon=off",
    },
  },
  reps = 1, timeout = 30,
  baseline = { runtime = { preempt = "coop" } },
}
