-- numa.lua: placement x policy on a synthetic two-node machine.
--
-- The topology is hwloc's synthetic "pack:2 numa:1 core:2 pu:1" (two
-- packages, one NUMA node each, two cores per node), so the placement
-- plans and numasteal's local-first stealing can be studied on any
-- machine.  Ms are not bound on a synthetic topology: times come from this
-- machine; the plan and the steal counters come from the model.
--
--   rtlab run experiments/numa.lua
--   rtlab topo --topology "pack:2 numa:1 core:2 pu:1" --procs 4 --placement scatter

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "numa",
  workloads = { { "spawn", n = 50000, batch = 10000 }, { "skynet", n = 10000 } },
  matrix = {
    sched = { "go", "randsteal", "numasteal", { "numasteal", local_rounds = 0 } },
    placement = { "compact", "scatter", "numa" },
    procs = { 2, 4 },
  },
  fixed = { topology = "pack:2 numa:1 core:2 pu:1" },
  reps = 3,
  baseline = { sched = "go" },
}
