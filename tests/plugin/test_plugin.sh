#!/bin/sh
# test_plugin.sh: an out-of-tree policy (.so) through the rtlab command.
#   test_plugin.sh trial RTLAB EXT_SO   runs workloads under the plugin
#   test_plugin.sh abi   RTLAB BAD_SO   a wrong ABI is refused by name
#   test_plugin.sh gc    RTLAB GC_SO    a collector that finds objects, and
#                                         the allocators it may not run over
# Exit status: the number of failed checks.
mode=$1 rtlab=$2 so=$3
fails=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# run EXPECTED_EXIT ARGS...: runs rtlab, checks the exit code
run() {
  want=$1; shift
  "$rtlab" "$@" >"$out" 2>"$err"
  rc=$?
  [ "$rc" -eq "$want" ] || { fail "rtlab $* exited $rc, want $want"; cat "$err" >&2; }
}
# has FILE STRING: FILE contains STRING
has() {
  grep -qF -- "$2" "$1" || { fail "$1 lacks '$2'; it has:"; cat "$1" >&2; }
}

case $mode in
gc)
  # a collector that finds objects runs over an allocator that can...
  for alloc in first_fit segregated; do
    run 0 trial --workload churn,n=2000,slots=64 --gc "$so" --alloc $alloc --json
    has "$out" '"status":"ok"'
    has "$out" '"gc":{"name":"extgc"'
    has "$out" '"gcstats":{"cycles":0,'
  done
  # ...and is refused over one that cannot, naming those that can
  run 2 trial --workload churn,n=10 --gc "$so"
  has "$err" "gc 'extgc' finds objects in the heap, which alloc 'system' cannot (it does not know its objects); use it with one of: first_fit, next_fit, best_fit, segregated"
  # an experiment with such a cell is refused before any trial runs
  lua=$(mktemp --suffix=.lua)
  cat >"$lua" <<EOF2
local rtlab = require "rtlab"
return rtlab.experiment {
  name = "gcpair", workloads = { { "churn", n = 100 } }, reps = 1,
  matrix = { alloc = { "first_fit", "system" }, gc = { "none", "$so" } },
}
EOF2
  run 2 run "$lua" --dry-run
  has "$err" "alloc 'system' cannot (it does not know its objects); use it with one of: first_fit, next_fit, best_fit, segregated (drop such cells with where = function(c) ... end)"
  rm -f "$lua"
  ;;
trial)
  run 0 trial --workload yield,n=1000 --sched "$so" --json
  has "$out" '"status":"ok"'
  has "$out" '"sched":{"name":"extfifo"'
  has "$out" '"woken_front":false'
  # the parameter reaches the module, and hand-offs run under it
  for procs in 1 2; do
    for wl in pingpong,n=2000 spawn,n=2000,batch=500 skynet,n=1000; do
      run 0 trial --workload $wl --sched "$so,woken_front=on" --procs $procs --json
      has "$out" '"status":"ok"'
      has "$out" '"woken_front":true'
    done
  done
  # a parameter the module does not declare is refused, naming the allowed one
  run 2 trial --workload yield,n=10 --sched "$so,woken_frnt=on"
  has "$err" "woken_frnt"
  has "$err" "woken_front"
  ;;
abi)
  run 2 trial --workload yield,n=10 --sched "$so" --json
  has "$err" "ABI 999"
  [ -s "$out" ] && fail "a refused module still printed a result: $(cat "$out")"
  ;;
*)
  echo "usage: test_plugin.sh trial|abi RTLAB SO" >&2
  exit 2
  ;;
esac
[ "$fails" -eq 0 ] && echo "test_plugin $mode: ok"
exit "$fails"
