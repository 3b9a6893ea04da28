#!/bin/sh
# test_cli.sh: the rtlab command as a user meets it: exit codes, the exact
# messages for bad names and values, `list` in both forms, and every field
# of `trial --json`.  No Python: grep -E on the one JSON line (when python3
# happens to be installed, it also checks that the line parses).
#
# usage: test_cli.sh RTLAB [REGMOD_DIR]
# Exit code 0 when every check passes, 1 otherwise.

RTLAB=$1
MODDIR=${2:-.}
. "$(dirname "$0")/lib.sh"


# ---- help and verbs ----
expect 0
has out "usage: rtlab VERB"
has out "trial"
has out "list"
expect 0 help
has out "trial"
expect 0 help trial
has out "--workload"
expect 0 trial --help
has out "--procs"
expect 2 frobnicate
has err "rtlab: unknown verb 'frobnicate' (allowed: list, trial, run, report, merge, topo, help)"
expect 2 help frobnicate

# ---- list ----
expect 0 list
for w in yield spawn skynet pingpong chanbuf pipeline; do has out "  $w "; done
has out "  go "
has out "global_every"
has out "[1, 1000000]"
has out "runtime options (--runtime k=v[,k=v...]; runtime = { k = v, ... } in Lua):"
has out "      preempt          enum   coop     off|coop|signal "
has out "      time_slice_ms    int    10 "
has out "      sysmon           bool   on       on|off "
has out "  runtime      the runtime's own options"
expect 0 list --json
[ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "list --json: not one line"
has out '"sched":[{"name":"go"'
has out '"workloads":[{"name":"yield"'
has out '{"name":"runnext","type":"bool","default":true,'
has out '{"name":"cap","type":"int","default":128,"min":0,"max":100000000,'
has out '"settings":[{"name":"workload","default":null,'
has out '{"name":"placement","default":"none","allowed":"none|compact|scatter|numa",'
has out '"runtime":{"summary":"the runtime'"'"'s own options'
has out '"params":[{"name":"preempt","type":"enum","default":"coop","choices":["off","coop","signal"],'
has out '{"name":"time_slice_ms","type":"int","default":10,'
has out '{"name":"sysmon","type":"bool","default":true,'
has out '{"name":"runtime","default":null,"allowed":"k=v pairs of preempt=off|coop|signal, time_slice_ms=['
expect 2 list --bogus
has err "rtlab list: unknown option '--bogus' (allowed: --json)"

# ---- trial: bad input is exit 2 with a message saying what is allowed ----
expect 2 trial
has err "rtlab trial: --workload is required"
has err "usage: rtlab trial"
expect 2 trial --workload foo
has err "rtlab trial: unknown workload 'foo' (allowed: yield, spawn, skynet, pingpong, chanbuf, pipeline, churn, frag, large, larson, xmalloc, binarytrees, gcbench, lru, roots, mutate, timers, hog, syscall, echo, fault)"
expect 2 trial --workload yield,m=3
has err "rtlab trial: workload 'yield': unknown parameter 'm' (allowed: n, gs)"
expect 2 trial --workload skynet,n=500
has err "workload 'skynet': parameter 'n' must be a power of 10 (1, 10, 100, ...), got 500"
expect 2 trial --workload yield --sched foo
has err "rtlab trial: unknown sched 'foo' (allowed: go, "
has err "or a path to a .so)"
expect 2 trial --workload yield --sched go,globl_every=31
has err "rtlab trial: sched 'go': unknown parameter 'globl_every' (allowed: local_size, global_every, steal_fraction, runnext)"
expect 2 trial --workload yield --sched go,global_every=abc
has err "sched 'go': parameter 'global_every' wants an integer in [1, 1000000], got 'abc'"
expect 2 trial --workload yield --sched go,runnext=maybe
has err "sched 'go': parameter 'runnext' wants on|off, got 'maybe'"
expect 2 trial --workload yield --sched go,local_size=100
has err "rtlab trial: sched 'go': parameter 'local_size' "
expect 2 trial --workload yield --sched "$MODDIR/regmod_abi.so"
has err "sched module '$MODDIR/regmod_abi.so': built for ABI 7, this rtlab has ABI 4"
expect 2 trial --workload yield --sched ./no_such_module.so
has err "sched module './no_such_module.so': cannot load"
for p in 0 1025 -1 x 2x ''; do
  expect 2 trial --workload yield --procs "$p"
  if [ -n "$p" ]; then
    has err "rtlab trial: procs: bad value '$p' (allowed: an integer in [1, 1024])"
  else
    has err "rtlab trial: procs: empty value '' (allowed: an integer in [1, 1024])"
  fi
done
expect 2 trial --workload yield --stack 8
has err "rtlab trial: stack: bad value '8' (allowed: an integer in [16, 1048576])"
# The environment gives defaults, checked the same way; the command line wins.
RTLAB_PROCS=0 expect 2 trial --workload yield,n=10
has err "rtlab trial: RTLAB_PROCS: procs: bad value '0' (allowed: an integer in [1, 1024])"
RTLAB_PROCS=2 RTLAB_SCHED=fifo expect 0 trial --workload yield,n=10 --json
json '"sched":\{"name":"fifo"'
json '"procs":2,'
RTLAB_PROCS=2 expect 0 trial --workload yield,n=10 --procs 1 --json
json '"procs":1,'
RTLAB_PLACEMENT=compct expect 2 trial --workload yield,n=10
has err "RTLAB_PLACEMENT: placement: unknown value 'compct' (allowed: none|compact|scatter|numa)"
expect 2 trial --workload yield --procs
has err "option '--procs' needs a value (N)"
expect 2 trial --workload yield --frob
has err "unknown option '--frob' (allowed: --workload, --sched, --alloc, --gc, --procs, --stack, --placement, --topology, --runtime, --config, --json)"
expect 2 trial --workload yield --json=yes
has err "option '--json' takes no value"
# The runtime's own options: bad ones name the option and what is allowed.
expect 2 trial --workload yield --runtime preempt=sig
has err "rtlab trial: runtime: parameter 'preempt' wants off|coop|signal, got 'sig'"
expect 2 trial --workload yield --runtime time_slice=5
has err "rtlab trial: runtime: unknown parameter 'time_slice' (allowed: preempt, time_slice_ms, max_ms, sysmon, max_threads)"
expect 2 trial --workload yield --runtime preempt
has err "rtlab trial: runtime: expected key=value, got 'preempt'"
RTLAB_RUNTIME=sysmon=maybe expect 2 trial --workload yield,n=10
has err "rtlab trial: RTLAB_RUNTIME: runtime: parameter 'sysmon' wants on|off, got 'maybe'"
expect 0 trial --workload yield,n=100 --runtime preempt=signal,time_slice_ms=5 --json
json '"topology":"machine","runtime":\{"preempt":"signal","time_slice_ms":5,"max_ms":10,"sysmon":true,"max_threads":10000\},'
RTLAB_RUNTIME=sysmon=off expect 0 trial --workload yield,n=100 --json
json '"runtime":\{"preempt":"coop","time_slice_ms":10,"max_ms":10,"sysmon":false,"max_threads":10000\},'
RTLAB_RUNTIME=sysmon=off expect 0 trial --workload yield,n=100 --runtime preempt=off --json
json '"runtime":\{"preempt":"off","time_slice_ms":10,"max_ms":10,"sysmon":true,"max_threads":10000\},'
expect 0 trial --workload yield,n=100 --runtime max_ms=20
has out " procs=1 runtime(preempt=coop,time_slice_ms=10,max_ms=20,sysmon=on,max_threads=10000): ok,"

# ---- trial: the readable line ----
expect 0 trial --workload pingpong,n=100
has out "pingpong(n=100) sched=go(local_size=256,global_every=61,steal_fraction=0.5,runnext=on) alloc=system() gc=none() procs=1: ok,"
has out "100 ops"
has out "switches "

# ---- trial --json: every field ----
expect 0 trial --workload=yield,n=1000,gs=3 --sched go,global_every=31,runnext=off --procs 2 --stack 32 --json
[ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "trial --json: not exactly one line"
[ -s "$TMP/err" ] && fail "trial --json wrote to stderr: $(cat "$TMP/err")"
N='[0-9]+'
json '^\{"workload":"yield",'
json '"params":\{"n":1000,"gs":3\}'
json '"sched":\{"name":"go","params":\{"local_size":256,"global_every":31,"steal_fraction":0\.5,"runnext":false\},"spec":"go,global_every=31,runnext=off"\}'
json '"procs":2,'
json '"stack_kb":32,'
json '"runtime":\{"preempt":"coop","time_slice_ms":10,"max_ms":10,"sysmon":true,"max_threads":10000\},'
json '"status":"ok",'
json '"alloc":\{"name":"system","params":\{\},"spec":"system"\}'
json '"heap":\{"peak_live":[0-9]+,"peak_sys":[0-9]+,"released":[0-9]+,"live_end":0,"allocs":[0-9]+,"frees":[0-9]+,"failed":0,"frag":null\}'
json "\"wall_ns\":$N,"
json "\"user_ns\":$N,"
json "\"sys_ns\":$N,"
json '"ops":1000,'
json '"ns_per_op":[0-9.e+-]+,'
json "\"maxrss_kb\":$N,"
C="\"switches\":$N,\"steals\":$N,\"global\":$N,\"spills\":$N,\"parks\":$N,\"wakeups\":$N,\"spawns\":$N,\"idles\":$N,\"preempts\":$N,\"retakes\":$N,\"stacks\":$N"
P="\\[$N(,$N){10}\\]"
json "\"counters\":\\{$C,\"per_p\":\\[$P,$P\\]\\}"
json '"rev":"[^"]+",'
json '"host":"[^"]+",'
json '"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"\}$'
grep -q '"error"' "$TMP/out" && fail "a passing trial has an error field"
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/out" || fail "trial --json does not parse"
  run list --json
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/out" || fail "list --json does not parse"
fi

# a loaded module works like a built-in in a trial's resolution (its ops are stubs,
# so only resolution is checked, through a bad parameter)
expect 2 trial --workload yield --sched "$MODDIR/regmod_ok.so,dpeth=3"
has err "sched 'regtest': unknown parameter 'dpeth' (allowed: depth, ratio, fast, order)"

# ---- RTLAB_GCTRACE: one line per cycle, Go's gctrace in spirit ----
export RTLAB_GCTRACE=1
expect 0 trial --workload binarytrees,depth=14 --gc marksweep --alloc segregated --procs 2
unset RTLAB_GCTRACE
grep -qE '^gc 1 @[0-9]+\.[0-9]{3}s [0-9]+%: pause [0-9.]+ ms \(ttsp [0-9.]+, mark [0-9.]+, sweep [0-9.]+\), [0-9]+ -> [0-9]+ -> [0-9]+ KiB, 2 P$' "$TMP/err" ||
  fail "no gctrace line for cycle 1 in: $(head -c 600 "$TMP/err")"
[ "$(grep -c '^gc [0-9]* @' "$TMP/err")" -ge 2 ] || fail "fewer than 2 gctrace lines: $(head -c 600 "$TMP/err")"
expect 0 trial --workload binarytrees,depth=14 --gc marksweep --alloc segregated
lacks err "gc 1 @"

finish test_cli
