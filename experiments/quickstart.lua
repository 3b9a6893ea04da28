-- quickstart.lua: the experiment behind `make demo`.
--
-- Five scheduler policies on four small scheduling workloads, at 1 and 2
-- Ps, five repetitions each, every trial in its own process; Go's own
-- runtime runs the same workloads as a peer when it is built (make peers).
-- The table compares every policy with `go`, rtlab's model of Go's
-- scheduler.  About 15 seconds on 2 cores.
--
--   rtlab run experiments/quickstart.lua            (results in results/quickstart/)
--   rtlab run experiments/quickstart.lua --dry-run  (the trials it would run)

local rtlab = require "rtlab"

return rtlab.experiment {
  name = "quickstart",
  workloads = {
    { "yield", n = 200000 },               -- the cost of a voluntary switch
    { "pingpong", n = 50000 },             -- two Gs over an unbuffered channel
    { "spawn", n = 20000, batch = 5000 },  -- creating and finishing Gs
    { "skynet", n = 10000 },               -- a tree of 11111 Gs summing leaves
  },
  matrix = {
    sched = { "go", "fifo", "lifo", "randsteal", "numasteal" },
    procs = { 1, 2 },
  },
  reps = 5,
  timeout = 30,
  peers = { "go" },
  baseline = { sched = "go" },
  metric = "ns_per_op",
}
