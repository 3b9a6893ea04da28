#!/bin/sh
# compare.sh: the built-in policy comparison behind `make demo`, until the
# Lua experiments replace it.  Runs `rtlab trial --json` for every policy x
# workload x procs cell, REPS times each (a fresh process per trial), and
# prints a markdown table of the median ns/op per cell with its ratio to
# the go policy.  With the Go peer built (make peers), a go-runtime column
# shows Go's own runtime on the same workloads.
#
#   sh experiments/compare.sh [RTLAB [PEER]]
#   (defaults build/rtlab, build/peers/rtlab-peer-go; env REPS, POLICIES,
#    WORKLOADS, PROCS override the matrix)
#
# POSIX sh + awk only.  Progress goes to stderr, the table to stdout; the
# exit status is 1 when any trial failed (its cell names the status).
set -u
rtlab=${1:-build/rtlab}
peer=${2:-build/peers/rtlab-peer-go}
REPS=${REPS:-3}
POLICIES=${POLICIES:-"go fifo lifo randsteal"}
WORKLOADS=${WORKLOADS:-"yield,n=200000 pingpong,n=50000 spawn,n=50000,batch=10000 skynet,n=10000"}
PROCS=${PROCS:-"1 2"}

if [ ! -x "$rtlab" ]; then
  echo "compare.sh: no rtlab at '$rtlab' (run 'make build' first)" >&2
  exit 2
fi
scheds=$POLICIES
[ -x "$peer" ] && scheds="$scheds go-runtime"
rows=$(mktemp) errs=$(mktemp) firsterr=""
trap 'rm -f "$rows" "$errs"' EXIT

# One JSON line per trial into $rows; a trial that printed nothing (a
# crash, a refusal) becomes a line with status "no-result"; the first
# such trial's stderr is shown at the end.
total=0
for w in $WORKLOADS; do for p in $PROCS; do for s in $scheds; do
  total=$((total + REPS))
done; done; done
done=0 crashed=0
tty=false
[ -t 2 ] && tty=true
for w in $WORKLOADS; do
  for p in $PROCS; do
    for s in $scheds; do
      r=0
      while [ "$r" -lt "$REPS" ]; do
        if [ "$s" = go-runtime ]; then
          line=$("$peer" -workload "$w" -procs "$p" 2>"$errs" | tail -n 1)
        else
          line=$("$rtlab" trial --workload "$w" --sched "$s" --procs "$p" --json 2>"$errs" | tail -n 1)
        fi
        case $line in
          '{'*) ;;
          *) line="{\"workload\":\"${w%%,*}\",\"sched\":{\"name\":\"$s\"},\"procs\":$p,\"status\":\"no-result\"}"
             [ -n "$firsterr" ] || firsterr="$s $w procs=$p: $(head -c 500 "$errs")"
             crashed=$((crashed + 1)) ;;
        esac
        printf '%s\n' "$line" >>"$rows"
        r=$((r + 1))
        done=$((done + 1))
        $tty && printf '\rcompare.sh: %d/%d trials' "$done" "$total" >&2
      done
    done
  done
done
$tty && printf '\r' >&2
echo "compare.sh: $done trials, $crashed printed no result" >&2
[ -n "$firsterr" ] && echo "compare.sh: first of those: $firsterr" >&2

awk -v scheds="$scheds" -v workloads="$WORKLOADS" -v procs="$PROCS" '
# field(k): the value of "k": in this line ("sched" is read as its name)
function field(k,    s) {
  if (k == "sched") {
    if (!match($0, /"sched":\{"name":"[^"]*"/)) return ""
    s = substr($0, RSTART, RLENGTH); sub(/.*"name":"/, "", s); sub(/"$/, "", s)
    return s
  }
  if (!match($0, "\"" k "\":(\"[^\"]*\"|[^,}]*)")) return ""
  s = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
  gsub(/"/, "", s)
  return s
}
function median(key,    n, i, j, t, v) {
  n = cnt[key]
  for (i = 1; i <= n; i++) v[i] = val[key, i]
  for (i = 2; i <= n; i++)            # insertion sort: n is the rep count
    for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
  return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{
  key = field("workload") SUBSEP field("procs") SUBSEP field("sched")
  st = field("status")
  if (st != "ok") { bad[key] = st; nbad++; next }
  val[key, ++cnt[key]] = field("ns_per_op") + 0
}
END {
  ns = split(scheds, S, " "); nw = split(workloads, W, " "); np = split(procs, P, " ")
  printf "| workload | procs |"
  for (i = 1; i <= ns; i++) printf " %s |", S[i]
  printf "\n|---|---:|"
  for (i = 1; i <= ns; i++) printf "---:|"
  printf "\n"
  for (w = 1; w <= nw; w++) for (p = 1; p <= np; p++) {
    wl = W[w]; sub(/,.*/, "", wl)
    base = wl SUBSEP P[p] SUBSEP "go"
    g = (base in bad || !cnt[base]) ? 0 : median(base)
    printf "| %s | %s |", W[w], P[p]
    for (i = 1; i <= ns; i++) {
      key = wl SUBSEP P[p] SUBSEP S[i]
      if (key in bad) printf " %s |", bad[key]
      else if (!cnt[key]) printf " - |"
      else {
        m = median(key)
        if (g > 0) printf " %.1f (%.2fx) |", m, m / g
        else printf " %.1f |", m
      }
    }
    printf "\n"
  }
  printf "\nmedian ns/op of %d runs per cell (ratio to the go policy); lower is better.\n", '"$REPS"'
  exit nbad > 0                       # a failed trial fails the comparison
}' "$rows"
