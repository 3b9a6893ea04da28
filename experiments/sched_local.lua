-- sched_local.lua: go's local run queue capacity, swept (see sched.lua).
local rtlab = require "rtlab"

return rtlab.experiment {
  name = "sched-local",
  workloads = { { "spawn", n = 50000, batch = 10000 }, { "skynet", n = 10000 } },
  matrix = {
    sched = rtlab.sweep("go", "local_size", rtlab.range(16, 1024, "*2")),
    procs = { 2 },
  },
  reps = 3,
  baseline = { sched = "go,local_size=256" },
}
