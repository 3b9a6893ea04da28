#!/bin/sh
# test_report.sh: `report` and `merge` on a hand-written result set
# (fixtures/report: 10 cells, 3 reps, with a crash, a timeout, an error,
# warm-ups, peer rows, a cell with no good rep and a partial last line).
# The table is compared line for line with numbers worked out by hand;
# results.csv and summary.json are checked field by field; merge must give
# back the same keys and the same table from three shards; bad input is
# exit 2 and a missing file exit 1, each with its message.
#
# usage: test_report.sh PROG FIXTURE_DIR
#   PROG is build/rtlab, run as `PROG report DIR ...` and `PROG merge DIR ...`.
# Exit code 0 when every check passes, 1 otherwise.

PROG=$1
FIX=$2
RTLAB=$PROG
. "$(dirname "$0")/lib.sh"


# fresh NAME: a copy of the fixture in $TMP/NAME
fresh() {
  rm -rf "${TMP:?}/$1"
  cp -r "$FIX" "$TMP/$1"
}

# keys FILE: the sorted keys of the complete lines of a results.jsonl
keys() {
  head -n "$(wc -l <"$1")" "$1" | sed 's/^{"key":"\([0-9a-f]*\)".*/\1/' | sort
}

# ==== the table ====
# By hand, ns/op per cell over reps 0, 1, 2 (warm-ups not counted):
#   pingpong go|1     250 260 255         median 255, min 250, max 260; baseline itself: 1.00
#   pingpong go|2     crash crash timeout no good rep: —, ratio —
#   pingpong fifo|1   1234.4 1100 1300    median 1234.4 -> "1234"; 1234.4/255 = 4.8408 -> 4.84
#   pingpong fifo|2   0.512 0.498 0.505   median 0.505; its baseline (go|2) has no median: —
#   yield go|1        10 12 11            median 11.0; 1.00
#   yield go|2        20 22 21.5          median 21.5; 1.00
#   yield fifo|1      13.3 crash 12.1     median (12.1+13.3)/2 = 12.7; 12.7/11 = 1.1545 -> 1.15
#   yield fifo|2      30 timeout error    median 30.0; 30/21.5 = 1.3953 -> 1.40
#   yield peer:go|1   8 9 8.5             median 8.50; against go|1: 8.5/11 = 0.77273 -> 0.773
#   yield peer:go|2   15 16 (partial)     median 15.5, 2/2; 15.5/21.5 = 0.72093 -> 0.721
# Order: workloads in natural order (pingpong < yield), sched as the
# experiment declared it (go, fifo), peers after, procs ascending.
cat >"$TMP/want" <<'EOF'
| workload       | sched   | procs | ns/op median | ns/op min | ns/op max | reps                     | ratio |
| :------------- | :------ | ----: | -----------: | --------: | --------: | :----------------------- | ----: |
| pingpong,n=500 | go      |     1 |          255 |       250 |       260 | 3/3                      |  1.00 |
| pingpong,n=500 | go      |     2 |            — |         — |         — | 0/3 (2 crash, 1 timeout) |     — |
| pingpong,n=500 | fifo    |     1 |         1234 |      1100 |      1300 | 3/3                      |  4.84 |
| pingpong,n=500 | fifo    |     2 |        0.505 |     0.498 |     0.512 | 3/3                      |     — |
| yield,n=1000   | go      |     1 |         11.0 |      10.0 |      12.0 | 3/3                      |  1.00 |
| yield,n=1000   | go      |     2 |         21.5 |      20.0 |      22.0 | 3/3                      |  1.00 |
| yield,n=1000   | fifo    |     1 |         12.7 |      12.1 |      13.3 | 2/3 (1 crash)            |  1.15 |
| yield,n=1000   | fifo    |     2 |         30.0 |      30.0 |      30.0 | 1/3 (1 timeout, 1 error) |  1.40 |
| yield,n=1000   | peer:go |     1 |         8.50 |      8.00 |      9.00 | 3/3                      | 0.773 |
| yield,n=1000   | peer:go |     2 |         15.5 |      15.0 |      16.0 | 2/2                      | 0.721 |
EOF
fresh run
D=$TMP/run
RTLAB_GNUPLOT= expect 0 report "$D"
grep '^|' "$TMP/out" >"$TMP/table"
diff "$TMP/want" "$TMP/table" >"$TMP/diff" || fail "report table differs:
$(cat "$TMP/diff")"
has err "rtlab: warning: $D/results.jsonl:32: ignored a partial last line (97 bytes;"
has out "## fixture"
has out "- experiment: fixture (/src/rtlab/tests/fixtures/report/fixture.lua)"
has out "- run date: 2026-11-23T10:00:00Z"
grep -qE '^- report date: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$TMP/out" || fail "no report date"
has out "- revision: d55db09"
has out "- host: vm"
has out "- cpu: AMD EPYC 7B13"
has out "- cores: 2"
has out "- topology: 1 package, 1 NUMA node, 2 cores, 2 PUs"
has out "- command: rtlab run tests/fixtures/report/fixture.lua --out results/fixture"
has out "- module: sched go (local_size=256, global_every=61, steal_fraction=0.5, runnext=true)"
has out "- module: sched fifo"
has out "- fixed: placement=none"
has out "- metric: ns_per_op (lower is better): median, min and max over the good repetitions"
has out "- ratio: median / median of the baseline cell (sched=go, the other axes alike)"
has out "- trials: 29 of 30 planned recorded (+2 warm-ups, not counted)"
grep -qx "files written:" "$TMP/out" || fail "no 'files written:' line"
grep -q "^- $D/results.csv$" "$TMP/out" || fail "results.csv not listed"
grep -q "^- $D/summary.json$" "$TMP/out" || fail "summary.json not listed"
ls "$D"/plot-* >/dev/null 2>&1 && fail "RTLAB_GNUPLOT= still drew plots"

# ==== results.csv: a row per record (31 complete lines), RFC 4180 quoting ====
[ "$(wc -l <"$D/results.csv")" -eq 32 ] || fail "results.csv: $(wc -l <"$D/results.csv") lines, want 32"
cp "$D/results.csv" "$TMP/csv"
has csv "key,workload,sched,procs,peer,rep,warmup,status,signal,ns_per_op,wall_ns,user_ns,sys_ns,maxrss_kb"
head -n 1 "$D/results.csv" | grep -qx "key,workload,sched,procs,peer,rep,warmup,status,signal,ns_per_op,wall_ns,user_ns,sys_ns,maxrss_kb" \
  || fail "results.csv header: $(head -n 1 "$D/results.csv")"
has csv '5eed0001000000f0,"yield,n=1000",go,1,,0,true,ok,,50,900000,450000,90000,1800'
has csv '5eed0007000000f0,"pingpong,n=500",fifo,1,,0,true,crash,11,,400000,200000,40000,1806'
has csv '5eed000300000000,"yield,n=1000",fifo,1,,0,false,ok,,13.3,1700000,850000,170000,1802'
has csv '5eed000300000001,"yield,n=1000",fifo,1,,1,false,crash,11,,1900000,950000,190000,1802'
has csv '5eed000400000001,"yield,n=1000",fifo,2,,1,false,timeout,15,,2000000,1000000,200000,1803'
has csv '5eed000400000002,"yield,n=1000",fifo,2,,2,false,error,,,1900000,950000,190000,1803'
has csv '5eed000900000000,"yield,n=1000",peer:go,1,go,0,false,ok,,8,2300000,1150000,230000,1808'
has csv '5eed000800000001,"pingpong,n=500",fifo,2,,1,false,ok,,0.498,2400000,1200000,240000,1807'
lacks csv '5eed000a00000002'

# ==== summary.json: the experiment, then the cells in table order ====
cp "$D/summary.json" "$TMP/sum"
[ "$(wc -l <"$D/summary.json")" -eq 1 ] || fail "summary.json: not one line"
has sum '{"experiment":{"name":"fixture","file":"/src/rtlab/tests/fixtures/report/fixture.lua","axes":["workload","sched","procs"],'
has sum '"metric":"ns_per_op","lower_is_better":true,"planned":30,"recorded":29,"warmups":2,"duplicates":0},"cells":['
has sum '{"cell":"pingpong,n=500|go|1","axes":{"workload":"pingpong,n=500","sched":"go","procs":"1"},"peer":null,"median":255,"min":250,"max":260,"good":3,"total":3,"statuses":{"ok":3},"no_metric":0,"ratio":1,"baseline":"pingpong,n=500|go|1"}'
has sum '{"cell":"pingpong,n=500|go|2","axes":{"workload":"pingpong,n=500","sched":"go","procs":"2"},"peer":null,"median":null,"min":null,"max":null,"good":0,"total":3,"statuses":{"crash":2,"timeout":1},"no_metric":0,"ratio":null,"baseline":"pingpong,n=500|go|2"}'
has sum '{"cell":"yield,n=1000|fifo|2","axes":{"workload":"yield,n=1000","sched":"fifo","procs":"2"},"peer":null,"median":30,"min":30,"max":30,"good":1,"total":3,"statuses":{"ok":1,"timeout":1,"error":1},"no_metric":0,"ratio":1.395348837209302'
has sum '"baseline":"yield,n=1000|go|2"}'
has sum '{"cell":"yield,n=1000|peer:go|2","axes":{"workload":"yield,n=1000","sched":"peer:go","procs":"2"},"peer":"go","median":15.5,"min":15,"max":16,"good":2,"total":2,"statuses":{"ok":2},"no_metric":0,"ratio":0.720930232558139'
grep -o '"cell":"[^"]*"' "$D/summary.json" | tr '\n' ' ' >"$TMP/order"
has order '"cell":"pingpong,n=500|go|1" "cell":"pingpong,n=500|go|2" "cell":"pingpong,n=500|fifo|1" "cell":"pingpong,n=500|fifo|2" "cell":"yield,n=1000|go|1" "cell":"yield,n=1000|go|2" "cell":"yield,n=1000|fifo|1" "cell":"yield,n=1000|fifo|2" "cell":"yield,n=1000|peer:go|1" "cell":"yield,n=1000|peer:go|2"'
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["cells"]) == 10' \
    "$D/summary.json" || fail "summary.json does not parse"
fi

# ==== another metric: a path the trial lacks is read from the runner's record ====
RTLAB_GNUPLOT= expect 0 report "$D" --metric wall_ns
has out "| wall ns median | wall ns min | wall ns max |"
has out "- metric: wall_ns (lower is better)"
# yield go|1: 1500000 1700000 1600000 -> median 1600000
grep -qE '^\| yield,n=1000 +\| go +\| +1 \| +1600000 \| +1500000 \| +1700000 \| 3/3 +\| +1\.00 \|$' "$TMP/out" \
  || fail "--metric wall_ns row: $(grep 'yield,n=1000 *| go *| *1 ' "$TMP/out")"
RTLAB_GNUPLOT= expect 0 report "$D" --metric=ops
grep -qE '^\| pingpong,n=500 +\| fifo +\| +1 \| +500 \| +500 \| +500 \| 3/3 +\| +1\.00 \|$' "$TMP/out" \
  || fail "--metric=ops row"

# ==== bad input: exit 2, a message saying what is wrong and what is allowed ====
expect 2 report
has err "rtlab report: which result directory? (usage: rtlab report DIR [--metric PATH])"
expect 2 report "$D" "$D"
has err "rtlab report: too many arguments at '$D'"
expect 2 report "$D" --frob
has err "rtlab report: unknown option '--frob' (allowed: --metric)"
expect 2 report "$D" --metric
has err "option '--metric' needs a value (PATH)"
expect 2 report "$D" --metric bogus
has err "rtlab report: $D/results.jsonl: metric 'bogus' is not a number in any ok trial (the first ok trial has: params.*, sched.*, procs, ops, ns_per_op)"
expect 2 report "$D" --metric 'latency..p99'
has err "metric 'latency..p99': want a dotted path of member names, such as ns_per_op or latency.p99_ns"
fresh bad
sed -i '5s/"rep":0,/"rep":0,,/' "$TMP/bad/results.jsonl"
expect 2 report "$TMP/bad"
has err "rtlab report: $TMP/bad/results.jsonl:5: byte "
has err ": expected a member name (a string) after ','"
fresh bad
sed -i '6s/"status":"ok"/"status":"fine"/' "$TMP/bad/results.jsonl"
expect 2 report "$TMP/bad"
has err "$TMP/bad/results.jsonl:6: status 'fine' (allowed: ok, crash, timeout, error)"
fresh bad
sed -i '7s/,"procs":"[0-9]"}/}/' "$TMP/bad/results.jsonl"
expect 2 report "$TMP/bad"
has err "$TMP/bad/results.jsonl:7: field \"axes.procs\" is missing or not a string (experiment.json lists 'procs' among the axes)"
fresh bad
sed -i '8s/"rep":[0-9]/"rep":"x"/' "$TMP/bad/results.jsonl"
expect 2 report "$TMP/bad"
has err "$TMP/bad/results.jsonl:8: field \"rep\" is a string, want an integer"
fresh bad
sed -i 's/"axes":\[[^]]*\]/"axes":"workload"/' "$TMP/bad/experiment.json"
expect 2 report "$TMP/bad"
has err "$TMP/bad/experiment.json: \"axes\" must be an array of 1 to 16 strings"
fresh bad
printf '{"name":"x",' >"$TMP/bad/experiment.json"
expect 2 report "$TMP/bad"
has err "$TMP/bad/experiment.json: byte 12: expected a member name (a string) after ','"

# ==== missing files: exit 1, naming the file and what to do ====
expect 1 report "$TMP/nothing"
has err "rtlab report: $TMP/nothing: No such file or directory: run \`rtlab run FILE.lua --out $TMP/nothing\` first"
mkdir -p "$TMP/empty"
expect 1 report "$TMP/empty"
has err "rtlab report: $TMP/empty/experiment.json: No such file or directory: run \`rtlab run FILE.lua --out $TMP/empty\` first"
cp "$FIX/experiment.json" "$TMP/empty/"
expect 1 report "$TMP/empty/"
has err "rtlab report: $TMP/empty/results.jsonl: No such file or directory"
: >"$TMP/empty/results.jsonl"
RTLAB_GNUPLOT= expect 0 report "$TMP/empty"
has out "- trials: 0 of 30 planned recorded"
has out "(no trial records yet)"

# ==== merge: three shards give back the same keys and the same table ====
n=$(wc -l <"$FIX/results.jsonl")
for s in 1 2 3; do
  mkdir -p "$TMP/shard-$s"
  cp "$FIX/experiment.json" "$TMP/shard-$s/"
  head -n "$n" "$FIX/results.jsonl" | awk -v s=$s 'NR % 3 == s % 3' >"$TMP/shard-$s/results.jsonl"
done
tail -n 1 "$FIX/results.jsonl" >>"$TMP/shard-3/results.jsonl"  # the partial line, still partial
expect 0 merge "$TMP/shard-1" "$TMP/shard-2" "$TMP/shard-3" --out "$TMP/merged"
has out "merged 31 trials from 3 result sets (29 of 30 planned trials present)"
lacks out "duplicate"
has err "$TMP/shard-3/results.jsonl:11: ignored a partial last line (97 bytes;"
cmp -s "$FIX/experiment.json" "$TMP/merged/experiment.json" || fail "merged experiment.json is not the first input's"
keys "$FIX/results.jsonl" >"$TMP/k0"
keys "$TMP/merged/results.jsonl" >"$TMP/k1"
cmp -s "$TMP/k0" "$TMP/k1" || fail "merged keys differ from the fixture's: $(diff "$TMP/k0" "$TMP/k1")"
[ "$(wc -l <"$TMP/k1")" -eq 31 ] || fail "merged: $(wc -l <"$TMP/k1") keys, want 31"
grep '^|' "$TMP/out" >"$TMP/mtable"
diff "$TMP/want" "$TMP/mtable" >"$TMP/diff" || fail "merged table differs:
$(cat "$TMP/diff")"
has out "- $TMP/merged/summary.json"
# The default output is ./merged; an input may appear twice (every key a duplicate).
mkdir -p "$TMP/cwd"
(cd "$TMP/cwd" && RTLAB_GNUPLOT= "$PROG" merge ../shard-1 ../shard-1/ >"$TMP/out" 2>"$TMP/err") \
  || fail "merge into ./merged: exit $? ($(cat "$TMP/err"))"
[ -s "$TMP/cwd/merged/results.jsonl" ] || fail "merge without --out did not write merged/results.jsonl"
has out "merged 11 trials from 2 result sets (10 of 30 planned trials present)"
has out "dropped 11 duplicate records (a key seen twice: kept the first ok one, else the first)"

# A key in two shards keeps the ok record, wherever it comes: yield fifo|1
# rep 1 crashed in the fixture; shard-4 holds it again, ok at 12.4 ns/op.
# Then fifo|1 has 13.3, 12.4, 12.1: median 12.4, 3/3, 12.4/11 = 1.127 -> 1.13.
mkdir -p "$TMP/shard-4"
cp "$FIX/experiment.json" "$TMP/shard-4/"
grep '"key":"5eed000300000001"' "$FIX/results.jsonl" |
  sed 's/"status":"crash","signal":11,"exit":null,"error":"crash"/"status":"ok","signal":null,"exit":0,"error":null/;
       s/"trial":null/"trial":{"workload":"yield","ns_per_op":12.4}/' >"$TMP/shard-4/results.jsonl"
grep -q '"status":"ok"' "$TMP/shard-4/results.jsonl" || fail "could not make shard-4"
want4='| yield,n=1000   | fifo    |     1 |         12.4 |      12.1 |      13.3 | 3/3                      |  1.13 |'
for order in "1 2 3 4" "4 1 2 3"; do
  set --
  for s in $order; do set -- "$@" "$TMP/shard-$s"; done
  RTLAB_GNUPLOT= expect 0 merge "$@" --out "$TMP/merged4"
  has out "merged 31 trials from 4 result sets (29 of 30 planned trials present)"
  has out "dropped 1 duplicate record (a key seen twice: kept the first ok one, else the first)"
  has out "$want4"
done

# Shards of different experiments are refused: exit 2, naming the directory.
mkdir -p "$TMP/other"
cp "$TMP/shard-2/results.jsonl" "$TMP/other/"
sed 's/"name":"fixture"/"name":"other"/' "$FIX/experiment.json" >"$TMP/other/experiment.json"
expect 2 merge "$TMP/shard-1" "$TMP/other" --out "$TMP/nomerge"
has err "rtlab merge: $TMP/other holds experiment 'other', but $TMP/shard-1 holds 'fixture' (all inputs must be result sets of one experiment)"
sed 's/"axes":\["workload","sched","procs"\]/"axes":["workload","sched"]/' "$FIX/experiment.json" >"$TMP/other/experiment.json"
expect 2 merge "$TMP/shard-1" "$TMP/other" --out "$TMP/nomerge"
has err "rtlab merge: $TMP/other has axes [workload, sched], but $TMP/shard-1 has [workload, sched, procs] (all inputs must be result sets of one experiment)"
[ -e "$TMP/nomerge" ] && fail "a refused merge wrote its output"
expect 1 merge "$TMP/shard-1" "$TMP/nope"
has err "rtlab merge: $TMP/nope: No such file or directory: run \`rtlab run FILE.lua --out $TMP/nope\` first"
expect 2 merge
has err "rtlab merge: no result directories given (usage: rtlab merge DIR... [--out DIR])"
expect 2 merge "$TMP/shard-1" --out
has err "option '--out' needs a value (DIR)"

# ==== plots: never required, never fatal ====
fresh plots
RTLAB_GNUPLOT=$(command -v false) expect 0 report "$TMP/plots"
has err "rtlab: warning: gnuplot failed on $TMP/plots/plot-yield_n_1000.gp (exit 1); the table, CSV and JSON are unaffected"
lacks out ".svg"
RTLAB_GNUPLOT=/no/such/gnuplot expect 0 report "$TMP/plots"
has err "rtlab: warning: RTLAB_GNUPLOT=/no/such/gnuplot: not found; no plots"
if command -v gnuplot >/dev/null 2>&1; then
  fresh plots
  expect 0 report "$TMP/plots"
  for w in yield_n_1000 pingpong_n_500; do
    grep -q "<svg" "$TMP/plots/plot-$w.svg" 2>/dev/null || fail "no bar chart plot-$w.svg"
    has out "- $TMP/plots/plot-$w.svg"
  done
  printf 'fifo procs=1\t12.699999999999999\t12.1\t13.300000000000001\n' >"$TMP/bar"
  grep -qF "$(cat "$TMP/bar")" "$TMP/plots/plot-yield_n_1000.dat" || fail "bar data: $(cat "$TMP/plots/plot-yield_n_1000.dat")"
  # a sweep: lines over sched.params.global_every (fifo and the peer have none)
  sed -i 's/"sweep":null/"sweep":{"axis":"sched","param":"global_every"}/' "$TMP/plots/experiment.json"
  rm -f "$TMP/plots"/plot-*
  expect 0 report "$TMP/plots"
  grep -q "<svg" "$TMP/plots/plot-yield_n_1000.svg" 2>/dev/null || fail "no sweep plot"
  printf '61\t11\t10\t12\n\n\n61\t21.5\t20\t22\n' >"$TMP/wantdat"
  cmp -s "$TMP/wantdat" "$TMP/plots/plot-yield_n_1000.dat" || fail "sweep data: $(cat "$TMP/plots/plot-yield_n_1000.dat")"
  grep -q "title 'go procs=2'" "$TMP/plots/plot-yield_n_1000.gp" || fail "sweep line titles"
fi

finish test_report
