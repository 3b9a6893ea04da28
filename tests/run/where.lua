-- where.lua: a filter over cells, warm-ups, a sweep and a range.
local rtlab = require "rtlab"
return rtlab.experiment {
  name = "where",
  workloads = { { "yield", n = 100 } },
  matrix = {
    sched = rtlab.sweep("go", "global_every", rtlab.range(1, 8, "*2")),  -- 1 2 4 8
    procs = rtlab.range(1, 3),                                           -- 1 2 3
  },
  where = function(c) return not (c.procs == 3 and c.sched == "go,global_every=8") end,
  warmup = 1,
  reps = 2,
}
