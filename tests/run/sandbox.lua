-- sandbox.lua: what a script must not reach.
local rtlab = require "rtlab"
local refused = {}
local function check(name, ok) if not ok then refused[#refused + 1] = name end end
check("os.execute", os.execute == nil)
check("io.popen", io.popen == nil)
check("os.exit", os.exit == nil)
check("os.remove", os.remove == nil)
check("debug", debug == nil)
check("package.loadlib", package.loadlib == nil)
check("string.dump", string.dump == nil)
local f, err = load("\27Lua\84\0\25\147\13\10\26\10")
check("binary load", f == nil and err:find("binary"))
check("C module searchers", #package.searchers == 2 and package.cpath == "")
assert(#refused == 0, "sandbox leaks: " .. table.concat(refused, ", "))
local m = rtlab.modules()
assert(m.sched[1].name == "go" and m.workloads[1].name == "yield", "rtlab.modules()")
assert(m.runtime.params[1].name == "preempt" and m.runtime.params[1].default == "coop",
       "rtlab.modules().runtime")
return rtlab.experiment { name = "sandbox", workloads = { { "yield", n = 10 } }, reps = 1 }
