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

# median RUNS CMD…: the median wall seconds and the median CPU seconds
# (user + system) of RUNS runs of CMD (stdout to $OUT/last.out).
median() {
  local walls=() cpus=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S" -o "$OUT/t" "$@" > "$OUT/last.out"
    read -r e u s < <(tail -1 "$OUT/t")
    walls+=("$e")
    cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
  done
  local mid=$(( (RUNS + 1) / 2 ))
  echo "$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "${mid}p") $(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "${mid}p")"
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
  ps=$(echo "$peer" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["loop_seconds"], d["loop_cpu_seconds"])')
  new=$(median "$BIN/pvaudit" simulate --batch "$f"); cp "$OUT/last.out" "$OUT/new.out"
  one=$(median "$BIN/pvaudit" simulate --batch "$f" --workers 1)
  prev=$(median "$old/pvaudit" simulate --batch "$f"); cp "$OUT/last.out" "$OUT/old.out"
  # row NAME "WALL CPU": decisions per wall second and per CPU second, and
  # the ratio of decisions per wall second to the peer's.
  row() {
    awk -v name="$1" -v t="$2" -v n="$n" -v p="$ps" 'BEGIN {
      split(t, a, " "); split(p, b, " ")
      printf "  %-52s %8.2f s %9.0f /s %7.1fx | CPU %7.2f s %9.0f /CPU-s\n", name, a[1], n/a[1], b[1]/a[1], a[2], n/a[2]
    }'
  }
  printf "  %-52s %10s %11s %8s | %-24s\n" "contender" "wall" "decisions" "vs peer" "CPU (user+sys)"
  row "peer runUnsafeSimulation loop (in-process, warm)" "$ps"
  pp=$(echo "$peer" | python3 -c 'import json,sys; v=json.load(sys.stdin)["parse_loop_seconds"]; print(v if v is not None else "")')
  [ -n "$pp" ] && row "peer loop with JSON.parse of each line" "$pp $pp"
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
