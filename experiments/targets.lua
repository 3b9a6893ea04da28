-- targets.lua: the runtime core's benchmark targets (issue 2), rtlab's `go`
-- policy against Go's own runtime on the same workloads, same sizes.
-- The ratio column is rtlab / Go: lower is better for rtlab.
--
--   make peers && build/rtlab run experiments/targets.lua

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "targets",
  workloads = {
    { "yield", n = 1000000 },
    { "pingpong", n = 500000 },
    { "spawn", n = 100000, batch = 10000 },
    { "skynet", n = 1000000 },
    { "chanbuf", n = 2000000 },
    { "pipeline", n = 100000 },
  },
  matrix = { sched = { "go" }, procs = { 1, 2 } },
  peers = { "go" },
  baseline = { sched = "peer:go" },
  reps = 5,
  timeout = 120,
}
