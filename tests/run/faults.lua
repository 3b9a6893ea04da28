-- faults.lua: one trial of each way a trial can end.
local rtlab = require "rtlab"
return rtlab.experiment {
  name = "faults",
  workloads = {
    { "fault", mode = "ok", n = 10 },
    { "fault", mode = "segv" },
    { "fault", mode = "abort" },
    { "fault", mode = "hang" },
    { "fault", mode = "error" },
  },
  reps = 1,
  timeout = 1,
}
