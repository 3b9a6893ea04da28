# lib.sh: what the shell tests share.  Source it after setting
#   RTLAB    the program under test
#   RT_VERB  optional words put before every command's arguments ("topo")
# It makes a scratch directory $TMP (removed on exit) and defines:
#   run ARGS...          runs $RTLAB: stdout in $TMP/out, stderr in $TMP/err, code in $rc
#   expect CODE ARGS...  run, and check the exit code
#   has FILE TEXT        $TMP/FILE holds TEXT literally
#   lacks FILE TEXT      $TMP/FILE does not hold TEXT
#   json REGEX           $TMP/out (one JSON line) matches the extended regex
#   fail MESSAGE         count a failure
#   finish NAME          exit 0 when nothing failed, else 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rtlab_test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

run() {
  # shellcheck disable=SC2086  # RT_VERB is words on purpose
  "$RTLAB" ${RT_VERB:-} "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
}

expect() {
  want=$1; shift
  run "$@"
  [ "$rc" = "$want" ] ||
    fail "rtlab ${RT_VERB:+$RT_VERB }$*: exit $rc, want $want (stderr: $(head -c 600 "$TMP/err"))"
}

has() {
  grep -qF -- "$2" "$TMP/$1" || fail "$1 of the last command lacks: $2 (got: $(head -c 600 "$TMP/$1"))"
}

lacks() {
  grep -qF -- "$2" "$TMP/$1" && fail "$1 of the last command holds: $2"
  return 0
}

json() {
  grep -qE -- "$1" "$TMP/out" || fail "JSON lacks /$1/ in: $(head -c 800 "$TMP/out")"
}

finish() {
  [ "$fails" = 0 ] && echo "$1: all checks passed"
  exit $((fails > 0))
}
