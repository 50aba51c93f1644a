#!/usr/bin/env bash
# Benchmark drift: a 5,000-role account against its baseline with one
# boundary policy widened, side by side with `jq -S` merely canonicalizing
# the same two files (the baseline and the current export). Accounts are
# generated once into the git-ignored bench/out/ and reused.
#
#   bench/drift.sh           # 5 runs of each contender
#   RUNS=10 bench/drift.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
OUT=${OUT:-bench/out}
BIN=$OUT/bin
mkdir -p "$BIN"
go build -o "$BIN/pvaudit" ./cmd/pvaudit
go build -o "$BIN/accountgen" ./bench/accountgen
command -v jq >/dev/null || { echo "jq is required (apt-get install -y jq)" >&2; exit 2; }

# compliant.json (16 roles) + 900 copies of node 7f3a9c21 (5 roles and a
# boundary each) + 484 customer roles = 5,000 roles, 905 managed policies.
BASE=$OUT/drift-5000.json
CUR=$OUT/drift-5000-changed.json
BL=$OUT/drift-5000.baseline.json
[ -f "$BASE" ] || "$BIN/accountgen" -from testdata/accounts/compliant.json -nodes 900 -other-roles 484 -o "$BASE"
[ -f "$CUR" ] || "$BIN/accountgen" -from testdata/accounts/compliant.json -nodes 900 -other-roles 484 -widen-boundary 10000000 -o "$CUR"
"$BIN/pvaudit" baseline save --from "$BASE" --baseline "$BL" --force > /dev/null

echo "== machine: $(nproc) CPU(s), $(go version | cut -d' ' -f3), $(jq --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== files: baseline $(du -h "$BL" | cut -f1), current export $(du -h "$CUR" | cut -f1)"
cat "$BL" "$CUR" > /dev/null # page cache

# times LABEL CMD…: RUNS runs; prints the median wall time (and every
# run's), the median user CPU time and the largest peak RSS. The two
# contenders alternate, so that a change in the machine's load hits both.
times() {
  local label=$1; shift
  /usr/bin/time -f "%e %U %M" -o "$OUT/t" "$@" > /dev/null || true
  tail -1 "$OUT/t" >> "$OUT/times.$label"
}
report() {
  sort -n "$OUT/times.$1" | awk -v l="$1" '{w[NR]=$1; s=s" "$1; if ($3>m) m=$3} END {printf "%-8s wall median %.2f s (runs:%s)", l, w[int((NR+1)/2)], s; printf ", peak RSS %d KB\n", m}'
  sort -n -k2 "$OUT/times.$1" | awk -v l="$1" '{u[NR]=$2} END {printf "%-8s user CPU median %.2f s\n", l, u[int((NR+1)/2)]}'
}
rm -f "$OUT/times.pvaudit" "$OUT/times.jq"
for _ in $(seq "$RUNS"); do
  times pvaudit "$BIN/pvaudit" drift --from "$CUR" --baseline "$BL" -o json
  times jq sh -c "jq -S . '$BL' > /dev/null && jq -S . '$CUR' > /dev/null"
done
echo "== pvaudit = pvaudit drift --from $CUR --baseline $BL -o json"
echo "== jq      = jq -S . $BL > /dev/null && jq -S . $CUR > /dev/null"
report pvaudit
report jq

# What drift found: the widened boundary, with its effect on each role.
"$BIN/pvaudit" drift --from "$CUR" --baseline "$BL" -o json > "$OUT/drift-5000.report.json" || true
jq -r '.findings[] | "  \(.status) \(.severity) \(.check_id) \(.resource): \(.evidence.summary) [\(.evidence.access.effect // "-")]"' "$OUT/drift-5000.report.json"
