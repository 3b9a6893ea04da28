#!/bin/sh
# test_topo_cli.sh: `rtlab topo` as a user meets it: the text form, the
# one JSON line and its contract fields (numa_nodes, pus, placement with
# p/pu/node per P), the exact plan on a synthetic topology, and exit 2
# with a message naming what is allowed for bad input.
#
# usage: test_topo_cli.sh PROGRAM
#   PROGRAM is build/rtlab.
# Exit 0 when every check passes, 1 otherwise.

PROG=$1
RTLAB=$PROG
RT_VERB=topo
. "$(dirname "$0")/lib.sh"


one_line() {
  [ "$(wc -l <"$TMP/out")" = 1 ] || fail "--json printed $(wc -l <"$TMP/out") lines"
}

# ---- help ----
expect 0 --help
has out "--topology"
has out "--placement"

# ---- this machine, text and JSON ----
expect 0
has out "topology machine: "
has out "PU L#0"
has out "placement none"
expect 0 --json
one_line
json '^\{.*\}$'
json '"numa_nodes":[1-9][0-9]*'
json '"pus":[1-9][0-9]*'
json '"placement":\[\{"p":0,"pu":[0-9]+,"node":[0-9]+\}'
json '"topology":"machine"'
json '"synthetic":false'
json '"bound":false'
expect 0 --placement compact --procs 1 --json
json '"placement":\[\{"p":0,"pu":0,"node":0\}\]'
json '"procs":1'

# ---- a synthetic topology: the exact plan ----
T="pack:2 numa:2 core:2 pu:1"
expect 0 --topology "$T" --placement scatter --procs 6 --json
one_line
json '"numa_nodes":4,'
json '"pus":8,'
json '"packages":2,'
json '"cores":8,'
json '"synthetic":true'
json '"bound":false'
json '"placement_name":"scatter"'
json '"summary":"2 packages, 4 NUMA nodes, 8 cores, 8 PUs"'
json '"placement":\[\{"p":0,"pu":0,"node":0\},\{"p":1,"pu":2,"node":1\},\{"p":2,"pu":4,"node":2\},\{"p":3,"pu":6,"node":3\},\{"p":4,"pu":1,"node":0\},\{"p":5,"pu":3,"node":1\}\]'
expect 0 --topology "$T" --placement numa --json
json '"procs":8'
json '\{"p":7,"pu":7,"node":3\}\]'
expect 0 --topology "numa:2 core:2 pu:2" --placement compact --procs 10
has out "topology \"numa:2 core:2 pu:2\": 2 NUMA nodes, 4 cores, 8 PUs"
has out "Ms not bound (synthetic topology)"
has out "NUMANode L#1"
if command -v python3 >/dev/null 2>&1; then
  expect 0 --topology "$T" --placement compact --json
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["placement"]) == 8' \
    <"$TMP/out" || fail "the JSON line does not parse: $(cat "$TMP/out")"
fi

# ---- bad input: exit 2, naming what is allowed ----
expect 2 --placement diagonal
has err "placement 'diagonal': unknown (allowed: none, compact, scatter, numa)"
expect 2 --topology "pack:2 foo:3 pu:1"
has err "at 'foo:3'"
has err "e.g. \"pack:2 numa:2 core:2 pu:1\""
expect 2 --topology ""
has err "empty"
expect 2 --procs 0
has err "option '--procs' wants an integer in [1, 1024], got '0'"
expect 2 --procs many
expect 2 --frobnicate
has err "unknown option '--frobnicate' (allowed: --topology, --procs, --placement, --json)"

finish test_topo_cli
