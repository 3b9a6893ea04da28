-- killme.lua: quick trials around a slow one, so a test can kill the
-- runner while a trial is in flight and resume it.
local rtlab = require "rtlab"
return rtlab.experiment {
  name = "killme",
  workloads = { { "yield", n = 100 }, { "fault", mode = "hang" }, { "pingpong", n = 100 } },
  matrix = { sched = { "go", "fifo" } },
  reps = 3,
  timeout = 2,
}
