#!/bin/sh
# test_run.sh: the experiment loop as a user meets it: config errors with
# FILE:LINE and the allowed values, matrix expansion (where, warm-ups,
# sweeps, interleaving), every way a trial can end, resume after kill -9
# (no row lost, none twice), shards that add up to the whole, and merge.
#
# usage: test_run.sh RTLAB FIXTURE_DIR
# Exit code 0 when every check passes, 1 otherwise.

RTLAB=$1
FIX=$2
. "$(dirname "$0")/lib.sh"

# edit N OLD NEW: $BASE (base.lua unless set) with OLD replaced by NEW on
# line N, as $TMP/cfg.lua.
BASE=base.lua
edit() {
  awk -v n="$1" -v old="$2" -v new="$3" \
    'NR == n { i = index($0, old); if (i) $0 = substr($0, 1, i - 1) new substr($0, i + length(old)) } { print }' \
    "$FIX/$BASE" >"$TMP/cfg.lua"
  grep -qF -- "$3" "$TMP/cfg.lua" || fail "edit: line $1 of $BASE lacks '$2'"
}

# bad N OLD NEW MESSAGE: the edited config is refused with exit 2 and
# exactly "cfg.lua:LINE: MESSAGE" (LINE = N unless MESSAGE names it).
bad() {
  edit "$1" "$2" "$3"
  expect 2 run "$TMP/cfg.lua" --dry-run --out "$TMP/never"
  has err "cfg.lua:$1: $4"
  [ ! -e "$TMP/never" ] || fail "a refused config created its output directory"
}

# keys FILE: the sorted trial keys of a results.jsonl.
keys() { grep -o '"key":"[0-9a-f]*"' "$1" | sort; }

# ==== config errors: FILE:LINE and what is allowed ====
bad 8 "global_every = 31" "globl_every = 31" \
  "sched 'go': unknown parameter 'globl_every' (allowed: local_size, global_every, steal_fraction, runnext)"
bad 8 "global_every = 31" "global_every = 0" \
  "sched 'go': parameter 'global_every' wants an integer in [1, 1000000], got '0'"
bad 8 "global_every = 31" "global_every = {}" \
  "sched 'go': parameter 'global_every' wants a number, boolean or string, got a table"
bad 8 '"fifo"' '"fifoo"' "unknown sched 'fifoo' (allowed: go, fifo, lifo, randsteal"
bad 9 "procs = { 1, 2 }" "procs = { 1, 0 }" \
  "procs: bad value '0' (allowed: an integer in [1, 1024])"
bad 9 "procs = { 1, 2 }" "procs = { 1, 1.5 }" \
  "procs: bad value 1.5 (allowed: an integer in [1, 1024])"
bad 9 "procs = { 1, 2 }" "procz = { 1, 2 }" \
  "unknown setting 'procz' (allowed: sched, alloc, gc, procs, stack, placement, topology, runtime)"
bad 9 "procs = { 1, 2 }" "procs = 2" "an axis is a list of values, e.g. procs = { 1, 2 }"
bad 6 '"yield", n = 1000' '"yeld", n = 1000' \
  "unknown workload 'yeld' (allowed: yield, spawn, skynet, pingpong, chanbuf, pipeline, churn, frag, large, larson, xmalloc, binarytrees, gcbench, lru, roots, mutate, timers, hog, syscall, echo, fault"
bad 6 '"yield", n = 1000' '"yield", m = 1000' \
  "workload 'yield': unknown parameter 'm' (allowed: n, gs)"
bad 11 '"none"' '"nun"' "placement: unknown value 'nun' (allowed: none|compact|scatter|numa)"
bad 11 'placement = "none"' 'procs = 2' "procs is both fixed and an axis of the matrix"
bad 12 "reps = 2" "repz = 2" "rtlab.experiment: unknown key 'repz' (allowed: name, workloads,"
bad 12 "reps = 2" "reps = 0" "reps: wants an integer in [1, 100000], got 0"
bad 12 "timeout = 30" "timeout = -1" "timeout: wants seconds per trial"
bad 13 '"go"' '"lifo"' \
  "'lifo' is not a value of the sched axis (values: go, fifo, go,global_every=31)"
bad 13 "sched =" "placement =" "placement is not an axis of the matrix (axes: sched, procs)"
bad 14 "ns_per_op" "ns_per_opp" "metric: unknown 'ns_per_opp' (allowed: ns_per_op,"
bad 8 '{ "go", global_every = 31 }' '{ global_every = 31 }' \
  "sched: a table value starts with the module name"
bad 8 '{ "go", global_every = 31 }' '"go", global_every = 31' \
  "a list of values cannot hold key 'global_every'"
bad 11 'placement = "none"' 'runtime = { preempt = "sig" }' \
  "runtime: parameter 'preempt' wants off|coop|signal, got 'sig'"
bad 11 'placement = "none"' 'runtime = 5' \
  "runtime: wants a string \"k=v,...\" or { k = v, ... }, got a number (allowed: k=v pairs of preempt=off|coop|signal,"
# The runtime's options as an axis (runtime.lua): each pair is checked on
# its own line.
BASE=runtime.lua
bad 11 '"signal"' '"sig"' "runtime: parameter 'preempt' wants off|coop|signal, got 'sig'"
bad 11 'time_slice_ms = 5' 'time_slice = 5' \
  "runtime: unknown parameter 'time_slice' (allowed: preempt, time_slice_ms, max_ms, sysmon, max_threads)"
bad 12 '"sysmon=off"' '"sysmon=maybe"' "runtime: parameter 'sysmon' wants on|off, got 'maybe'"
bad 10 '{ preempt = "coop" }' '{ "coop" }' \
  "runtime: a table value holds only key = value pairs, e.g. { preempt = ... }"
bad 9 'runtime = {' 'runtime = { preempt = "off",' \
  "a list of values cannot hold key 'preempt'; options are one value: runtime = { { preempt = ... } }"
bad 16 '"coop"' '"off"' \
  "'preempt=off' is not a value of the runtime axis (values: preempt=coop, preempt=signal,time_slice_ms=5, sysmon=off)"
BASE=base.lua
# Errors of Lua itself come with a traceback; a script that returns
# something else is told what it must return.
printf 'local x = nil\nreturn x.y\n' >"$TMP/lua.lua"
expect 2 run "$TMP/lua.lua"
has err "lua.lua:2: attempt to index a nil value (local 'x')"
has err "stack traceback:"
printf 'return 42\n' >"$TMP/ret.lua"
expect 2 run "$TMP/ret.lua"
has err "ret.lua: the script must return rtlab.experiment{...} (it returned number)"
expect 2 run "$TMP/no_such.lua"
has err "no_such.lua: cannot open"
expect 2 run "$FIX/base.lua" --shard 3/2
has err "option '--shard' wants I/N with 1 <= I <= N, got '3/2'"
# The sandbox: no os.execute, io.popen, debug, binary chunks or C modules.
expect 0 run "$FIX/sandbox.lua" --dry-run
# rtlab trial --config takes a runtime table, checked the same way.
printf 'local rtlab = require "rtlab"\nreturn rtlab.runtime {\n  sched = { "go", globl_every = 7 },\n}\n' >"$TMP/rt.lua"
expect 2 trial --workload yield,n=10 --config "$TMP/rt.lua"
has err "rt.lua:3: sched 'go': unknown parameter 'globl_every'"
printf 'local rtlab = require "rtlab"\nreturn rtlab.runtime { sched = { "go", global_every = 7 }, procs = 2 }\n' >"$TMP/rt.lua"
expect 0 trial --workload yield,n=10 --config "$TMP/rt.lua" --json
has out '"spec":"go,global_every=7"'
has out '"procs":2,'
printf 'local rtlab = require "rtlab"\nreturn rtlab.runtime {\n  runtime = {\n    preempt = "off",\n    sysmon = "maybe",\n  },\n}\n' >"$TMP/rt.lua"
expect 2 trial --workload yield,n=10 --config "$TMP/rt.lua"
has err "rt.lua:5: runtime: parameter 'sysmon' wants on|off, got 'maybe'"
printf 'local rtlab = require "rtlab"\nreturn rtlab.runtime { runtime = { preempt = "off", sysmon = false } }\n' >"$TMP/rt.lua"
expect 0 trial --workload yield,n=10 --config "$TMP/rt.lua" --json
has out '"runtime":{"preempt":"off","time_slice_ms":10,"max_ms":10,"sysmon":false,"max_threads":10000}'

# ==== expansion ====
expect 0 run "$FIX/base.lua" --dry-run
has out "# base: 12 cells x (2 reps + 0 warm-up) = 24 trials"
[ "$(grep -c '^[0-9a-f]\{16\} ' "$TMP/out")" = 24 ] || fail "base: want 24 trial lines"
# Repetition-major: every cell's rep 0 before any rep 1.
awk '/^[0-9a-f]/ { print $2 }' "$TMP/out" | tr '\n' ' ' >"$TMP/reps"
[ "$(cat "$TMP/reps")" = "0 0 0 0 0 0 0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 " ] ||
  fail "trials are not interleaved by repetition: $(cat "$TMP/reps")"
has out "yield,n=1000|go,global_every=31|2  -> "
has out " trial --workload pingpong,n=500 --sched fifo --alloc system --gc none --procs 1 "
# Keys of trials without runtime options are what they always were; a
# fixed runtime (here from the environment) makes them other trials.
has out "41f7b1f227551f30  0   yield,n=1000|go|1  -> "
lacks out "--runtime"
RTLAB_RUNTIME=preempt=off expect 0 run "$FIX/base.lua" --dry-run
has out " --placement none --runtime preempt=off --json"
lacks out "41f7b1f227551f30"
RTLAB_RUNTIME=preempt=maybe expect 2 run "$FIX/base.lua" --dry-run
has err "RTLAB_RUNTIME: runtime: parameter 'preempt' wants off|coop|signal, got 'maybe'"
# A runtime axis: tables and strings, in canonical "k=v,..." form, one
# cell each; keys differ by the options alone.
expect 0 run "$FIX/runtime.lua" --dry-run
has out "# runtime: 6 cells x (1 reps + 0 warm-up) = 6 trials"
has out "yield,n=1000|1|preempt=coop  -> "
has out "yield,n=1000|2|preempt=signal,time_slice_ms=5  -> "
has out " --procs 2 --stack 64 --placement none --runtime preempt=signal,time_slice_ms=5 --json"
has out "yield,n=1000|2|sysmon=off  -> "
[ "$(awk '/^[0-9a-f]/ { print $1 }' "$TMP/out" | sort -u | wc -l)" = 6 ] ||
  fail "runtime: trial keys are not unique"
expect 0 run "$FIX/base.lua" --dry-run --reps 3
has out "= 36 trials"
# where drops one of 12 cells; one warm-up pass comes first.
expect 0 run "$FIX/where.lua" --dry-run
has out "# where: 11 cells x (2 reps + 1 warm-up) = 33 trials"
grep -q "go,global_every=8|3" "$TMP/out" && fail "where: the filtered cell is still there"
head -n 13 "$TMP/out" | tail -n 11 | grep -qv ' w0 ' && fail "where: warm-ups do not come first"
has out "yield,n=100|go,global_every=4|3"
# Keys are stable: the same config gives the same keys.
"$RTLAB" run "$FIX/base.lua" --dry-run | awk '/^[0-9a-f]/ { print $1 }' >"$TMP/k1"
"$RTLAB" run "$FIX/base.lua" --dry-run | awk '/^[0-9a-f]/ { print $1 }' >"$TMP/k2"
cmp -s "$TMP/k1" "$TMP/k2" || fail "trial keys differ between two expansions"
[ "$(sort -u "$TMP/k1" | wc -l)" = 24 ] || fail "trial keys are not unique"

# ==== a runtime axis, run and reported ====
expect 0 run "$FIX/runtime.lua" --out "$TMP/rt"
R=$TMP/rt/results.jsonl
[ "$(wc -l <"$R")" = 6 ] || fail "runtime: want 6 rows, got $(wc -l <"$R")"
grep -qF '"axes":{"workload":"yield,n=1000","procs":"2","runtime":"preempt=signal,time_slice_ms=5"}' "$R" ||
  fail "runtime: no row with the runtime axis: $(head -c 600 "$R")"
grep -qF '"runtime":{"preempt":"signal","time_slice_ms":5,"max_ms":10,"sysmon":true,"max_threads":10000}' "$R" ||
  fail "runtime: a trial lacks its resolved options"
grep -qF '"runtime":{"preempt":"coop","time_slice_ms":10,"max_ms":10,"sysmon":false,"max_threads":10000}' "$R" ||
  fail "runtime: sysmon=off is not resolved in the trial"
grep -qF '"runtime":[{"spec":"preempt=coop","options":{"preempt":"coop","time_slice_ms":10,' \
  "$TMP/rt/experiment.json" || fail "runtime: experiment.json header lacks the runtime values"
has out "- runtime: preempt=signal,time_slice_ms=5 (preempt=signal, time_slice_ms=5, max_ms=10, sysmon=true, max_threads=10000)"
has out "| workload     | procs | runtime                        |"
has out "| yield,n=1000 |     2 | preempt=signal,time_slice_ms=5 |"
has out "- ratio: median / median of the baseline cell (runtime=preempt=coop, the other axes alike)"

# ==== every way a trial ends ====
expect 1 run "$FIX/faults.lua" --out "$TMP/faults" --no-report
R=$TMP/faults/results.jsonl
[ "$(wc -l <"$R")" = 5 ] || fail "faults: want 5 rows, got $(wc -l <"$R")"
row() { grep -F "\"cell\":\"$1\"" "$R"; }
row "fault,n=10,mode=ok" | grep -q '"status":"ok".*"trial":{"workload":"fault"' || fail "ok row: $(row fault,n=10,mode=ok)"
# (under ASan, ASan catches the SIGSEGV itself and exits 1: an error row)
row "fault,mode=segv" | grep -qE '"status":"crash","signal":11,|"status":"error".*AddressSanitizer: SEGV' ||
  fail "segv row: $(row fault,mode=segv)"
row "fault,mode=abort" | grep -q '"status":"crash","signal":6,' || fail "abort row: $(row fault,mode=abort)"
row "fault,mode=hang" | grep -q '"status":"timeout","signal":15,' || fail "hang row: $(row fault,mode=hang)"
row "fault,mode=error" | grep -q '"status":"error","signal":null,"exit":1,"error":"rtlab trial: fault: failing on purpose' ||
  fail "error row: $(row fault,mode=error)"
has err "[5/5] error   fault,mode=error rep 0"
has err "rtlab run: 5 trials in "
has err ", 4 failed; results in $TMP/faults/results.jsonl"
[ -s "$TMP/faults/experiment.json" ] || fail "no experiment.json"
grep -q '"axes":\["workload"\]' "$TMP/faults/experiment.json" || fail "experiment.json axes"

# ==== resume after kill -9: nothing lost, nothing twice ====
D=$TMP/kill
"$RTLAB" run "$FIX/killme.lua" --out "$D" --no-report >/dev/null 2>&1 &
pid=$!
i=0  # wait until a hang trial is in flight and some rows are written
while [ $i -lt 300 ]; do
  # only this runner's own child: other runs may share the machine
  child=$(pgrep -P $pid -f "fault,mode=hang")
  if [ -s "$D/results.jsonl" ] && [ -n "$child" ]; then break; fi
  sleep 0.05; i=$((i + 1))
done
kill -9 $pid
wait $pid 2>/dev/null
sleep 0.3
[ -n "$child" ] || fail "kill: no hung trial was in flight"
# gone, or a zombie waiting for its new parent to reap it
state=$(awk '{ print $3 }' "/proc/$child/stat" 2>/dev/null)
[ -n "$child" ] && [ -n "$state" ] && [ "$state" != Z ] &&
  fail "a hung trial outlived its killed runner (pid $child, state $state)"
before=$(wc -l <"$D/results.jsonl")
[ "$before" -ge 1 ] && [ "$before" -lt 18 ] || fail "kill: want a partial run, got $before rows"
printf '{"key":"00000000' >>"$D/results.jsonl"  # as if killed mid-write
expect 1 run "$FIX/killme.lua" --out "$D" --resume --no-report
has err "ended in a partial line"
has err "resuming: $before trials already recorded"
[ "$(wc -l <"$D/results.jsonl")" = 18 ] || fail "resume: want 18 rows, got $(wc -l <"$D/results.jsonl")"
"$RTLAB" run "$FIX/killme.lua" --dry-run | awk '/^[0-9a-f]/ { print "\"key\":\"" $1 "\"" }' | sort >"$TMP/want"
keys "$D/results.jsonl" >"$TMP/got"
cmp -s "$TMP/want" "$TMP/got" || fail "resume: keys differ from the plan: $(diff "$TMP/want" "$TMP/got" | head -5)"
expect 0 run "$FIX/killme.lua" --out "$D" --resume --no-report
has err "resuming: 18 trials already recorded"
[ "$(wc -l <"$D/results.jsonl")" = 18 ] || fail "a second resume ran trials again"
# Without --resume an old result set is kept aside, never overwritten.
expect 0 run "$FIX/sandbox.lua" --out "$TMP/again" --no-report
expect 0 run "$FIX/sandbox.lua" --out "$TMP/again" --no-report
has err "kept the previous results as $TMP/again/results-"

# ==== shards add up to the whole; merge joins them ====
"$RTLAB" run "$FIX/base.lua" --dry-run | awk '/^[0-9a-f]/ { print $1 }' | sort >"$TMP/all"
: >"$TMP/union"
for s in 1 2 3; do
  "$RTLAB" run "$FIX/base.lua" --dry-run --shard $s/3 | awk '/^[0-9a-f]/ { print $1 }' >>"$TMP/union"
done
sort "$TMP/union" >"$TMP/union.s"
cmp -s "$TMP/all" "$TMP/union.s" || fail "shards 1..3 of 3 are not the whole plan, each trial once"
for s in 1 2 3; do
  expect 0 run "$FIX/base.lua" --shard $s/3 --out "$TMP/shard-$s" --no-report
done
expect 0 merge "$TMP/shard-1" "$TMP/shard-2" "$TMP/shard-3" --out "$TMP/merged"
sed 's/^/"key":"/; s/$/"/' "$TMP/all" >"$TMP/allk"
keys "$TMP/merged/results.jsonl" >"$TMP/mk"
cmp -s "$TMP/allk" "$TMP/mk" || fail "merge of the shards differs from the plan"
has out "| workload"

# ==== slurm ====
expect 0 run "$FIX/base.lua" --emit-slurm --shards 4 --out "$TMP/cluster"
has out "wrote $TMP/cluster/slurm/array.sbatch (4 shards of 24 trials)"
grep -q '^#SBATCH --array=1-4$' "$TMP/cluster/slurm/array.sbatch" || fail "sbatch array line"
grep -q -- '--shard "$SLURM_ARRAY_TASK_ID"/4 --resume' "$TMP/cluster/slurm/array.sbatch" || fail "sbatch shard line"
grep -q " merge '$TMP/cluster/slurm'/shard-\* --out '$TMP/cluster'" "$TMP/cluster/slurm/merge.sbatch" || fail "merge.sbatch"

finish test_run
