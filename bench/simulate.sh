#!/usr/bin/env bash
# Batch simulation throughput, in one run: pvaudit simulate --batch (this
# revision, as a process, its start included) against the peer
# @cloud-copilot/iam-simulate (its own in-process runUnsafeSimulation loop,
# pinned version, installed from npm into bench/out/peer) and the pvaudit of
# REV (default: the revision before the batch cache), on the same generated
# requests: policy sets repeated from line to line, and all distinct.
#
#   bench/simulate.sh
#   REPEATED=100000 DISTINCT=20000 RUNS=5 bench/simulate.sh
#   PEER_PARSE_LOOP=1 bench/simulate.sh   # also time the peer with JSON.parse in its loop
#
# Needs go, node and npm (apt-get install -y nodejs npm). Inputs, binaries
# and the peer go to the git-ignored bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

PEER_VERSION=0.1.173
REV=${REV:-ee72ca9}
REPEATED=${REPEATED:-20000}
DISTINCT=${DISTINCT:-5000}
SETS=${SETS:-8}
RUNS=${RUNS:-5}
OUT=${OUT:-bench/out}
BIN=$OUT/bin
mkdir -p "$BIN"
for c in node npm; do
  command -v "$c" >/dev/null || { echo "$c is required (apt-get install -y nodejs npm)" >&2; exit 2; }
done

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), load: $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$BIN/pvaudit" ./cmd/pvaudit
go build -o "$BIN/simgen" ./bench/simgen
old=$(mktemp -d)
git worktree add -q --detach "$old/src" "$REV"
(cd "$old/src" && go build -o "$old/pvaudit" ./cmd/pvaudit)
git worktree remove --force "$old/src"
if [ "$(npm ls --prefix "$OUT/peer" --depth 0 2>/dev/null | grep -c "iam-simulate@$PEER_VERSION")" = 0 ]; then
  npm install --prefix "$OUT/peer" --no-audit --no-fund --silent "@cloud-copilot/iam-simulate@$PEER_VERSION" >/dev/null
fi
echo "== pvaudit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/out' || echo '+changes') vs $(git rev-parse --short "$REV"), $(go version | cut -d' ' -f3), node $(node --version), @cloud-copilot/iam-simulate $PEER_VERSION"

R=$OUT/sim-repeated-$REPEATED.jsonl
D=$OUT/sim-distinct-$DISTINCT.jsonl
[ -f "$R" ] || "$BIN/simgen" -mode repeated -lines "$REPEATED" -sets "$SETS" -o "$R"
[ -f "$D" ] || "$BIN/simgen" -mode distinct -lines "$DISTINCT" -o "$D"
cat "$R" "$D" > /dev/null # into the page cache

# median SECONDS of RUNS runs of CMD… (stdout to $OUT/last.out)
median() {
  local ts=()
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" > "$OUT/last.out"
    t1=$(date +%s%N)
    ts+=("$(( t1 - t0 ))")
  done
  printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1e9}'
}
decisions() { # the decisions of a pvaudit answer file, as the peer names them
  python3 -c 'import json,sys
m={"Allow":"Allowed","ExplicitDeny":"ExplicitlyDenied","ImplicitDeny":"ImplicitlyDenied"}
for l in open(sys.argv[1]): print(m.get(json.loads(l).get("decision"),"error"))' "$1"
}

for shape in repeated distinct; do
  f=$R
  [ $shape = distinct ] && f=$D
  n=$(wc -l < "$f")
  echo
  echo "== $shape policy sets: $f ($n lines, $(du -h "$f" | cut -f1))"
  peer=$(NODE_PATH="$OUT/peer/node_modules" node bench/peer/run.js "$f" "$OUT/peer.out")
  ps=$(echo "$peer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["loop_seconds"])')
  new=$(median "$BIN/pvaudit" simulate --batch "$f"); cp "$OUT/last.out" "$OUT/new.out"
  one=$(median "$BIN/pvaudit" simulate --batch "$f" --workers 1)
  prev=$(median "$old/pvaudit" simulate --batch "$f"); cp "$OUT/last.out" "$OUT/old.out"
  row() { awk -v name="$1" -v s="$2" -v n="$n" -v ps="$ps" 'BEGIN {printf "  %-58s %8.3f s %10.0f decisions/s %7.1fx the peer\n", name, s, n/s, ps/s}'; }
  row "peer runUnsafeSimulation loop (in-process, JIT warm)" "$ps"
  pp=$(echo "$peer" | python3 -c 'import json,sys; v=json.load(sys.stdin)["parse_loop_seconds"]; print(v if v is not None else "")')
  [ -n "$pp" ] && row "peer loop with JSON.parse of each line" "$pp"
  row "pvaudit simulate --batch (process, 2 workers)" "$new"
  row "pvaudit simulate --batch --workers 1 (process)" "$one"
  row "pvaudit $(git rev-parse --short "$REV") simulate --batch (process)" "$prev"
  cmp -s "$OUT/new.out" "$OUT/old.out" && same="byte-identical" || same="DIFFERENT"
  agree=$(paste -d' ' <(decisions "$OUT/new.out") "$OUT/peer.out" | awk '$1==$2 {a++} END {printf "%d of %d", a, NR}')
  echo "  answers: this revision vs $(git rev-parse --short "$REV"): $same; decisions the peer agrees with: $agree; peer: $(echo "$peer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["decisions"])')"
done
rm -rf "$old"
echo
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
