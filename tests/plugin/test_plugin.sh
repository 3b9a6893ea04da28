#!/bin/sh
# test_plugin.sh: an out-of-tree policy (.so) through the rtlab command.
#   test_plugin.sh trial RTLAB EXT_SO   runs workloads under the plugin
#   test_plugin.sh abi   RTLAB BAD_SO   a wrong ABI is refused by name
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
