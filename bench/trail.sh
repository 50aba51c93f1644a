#!/usr/bin/env bash
# Benchmark CloudTrail replay on two archive shapes, side by side in one
# sitting: this revision's pvaudit, the pvaudit of REV, `gzip -dc` of the
# same files and a `gzip -dc | jq` AssumeRole filter, alternating run by run
# so that load changes hit every contender; then peak memory of pvaudit on
# the 1x and the 4x archive of each shape.
#
# Shapes (bench/trailgen):
#   synthetic  -profile synthetic: ~1,000 records per file, the role named
#              in few files (SYN events, default 1,000,000)
#   delivered  -profile delivered: one file per region and 5 minutes with
#              tens of records, the role's prefix in other resources' names,
#              calls under the role in two thirds of the files (DLV events,
#              default 290,000: about 5,500 files, 40 MB gzipped)
#
#   bench/trail.sh
#   RUNS=7 JQ_RUNS=1 REV=2b518b1 SYN=1000000 DLV=290000 bench/trail.sh
#
# Archives and binaries go to the git-ignored bench/out/ and are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

REV=${REV:-2b518b1}
SYN=${SYN:-1000000}
DLV=${DLV:-290000}
RUNS=${RUNS:-5}
JQ_RUNS=${JQ_RUNS:-1}
OUT=${OUT:-bench/out}
BIN=$OUT/bin
mkdir -p "$BIN"
command -v jq >/dev/null || { echo "jq is required (apt-get install -y jq)" >&2; exit 2; }

go build -o "$BIN/pvaudit" ./cmd/pvaudit
go build -o "$BIN/trailgen" ./bench/trailgen
old=$BIN/pvaudit-$(git rev-parse --short "$REV")
if [ ! -x "$old" ]; then
  src=$(mktemp -d)
  git archive "$REV" | tar -x -C "$src"
  (cd "$src" && go build -o "$OLDPWD/$old" ./cmd/pvaudit)
  rm -rf "$src"
fi

gen() { # gen PROFILE EVENTS DIR
  [ -d "$3/AWSLogs" ] || "$BIN/trailgen" -profile "$1" -events "$2" -out "$3" -seed 42 >/dev/null
}
logs() { find "$1/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' -print0; }

# measure NAME CMD…: one run; appends "NAME wall user+sys rss" to $OUT/runs.
# pvaudit exits 1 when it reports findings, which the planted sessions cause.
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$OUT/t" "$@" >/dev/null 2>&1 || true
  tail -1 "$OUT/t" | awk -v n="$name" '{printf "%s\t%.2f\t%.2f\t%d\n", n, $1, $2 + $3, $4}' >> "$OUT/runs"
}

# report: median wall (min–max), median CPU, peak RSS per contender, and
# wall and CPU against gzip -dc.
report() {
  python3 - "$OUT/runs" <<'EOF'
import sys, statistics as st
rows = {}
for line in open(sys.argv[1]):
    n, w, c, m = line.rstrip("\n").split("\t")
    rows.setdefault(n, []).append((float(w), float(c), int(m)))
gz = rows.get("gzip -dc")
gw = st.median(r[0] for r in gz) if gz else None
gc = st.median(r[1] for r in gz) if gz else None
print(f"  {'contender':<34} {'runs':>4} {'wall median (min-max)':>22} {'CPU median':>10} {'peak RSS':>9} {'wall/gzip':>9} {'CPU/gzip':>8}")
for n, rs in rows.items():
    w = st.median(r[0] for r in rs); c = st.median(r[1] for r in rs); m = max(r[2] for r in rs)
    rw = f"{w / gw:.2f}x" if gw else "-"
    rc = f"{c / gc:.2f}x" if gc else "-"
    span = f"{w:.2f} s ({min(r[0] for r in rs):.2f}-{max(r[0] for r in rs):.2f})"
    print(f"  {n:<34} {len(rs):>4} {span:>22} {c:>8.2f} s {m / 1024:>6.0f} MB {rw:>9} {rc:>8}")
EOF
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), $(go version | cut -d' ' -f3), $(gzip --version | head -1), $(jq --version)"
echo "== pvaudit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/out' || echo '+changes') vs $(basename "$old")"

for shape in synthetic delivered; do
  n=$SYN
  [ "$shape" = delivered ] && n=$DLV
  A1=$OUT/$shape-$n
  A4=$OUT/$shape-$((n * 4))
  gen "$shape" "$n" "$A1"
  gen "$shape" "$((n * 4))" "$A4"
  logs "$A1" | xargs -0 cat > /dev/null # page cache
  files=$(logs "$A1" | tr -cd '\0' | wc -c)
  echo
  echo "== $shape: $A1: $files files, $(du -sh "$A1/AWSLogs" | cut -f1) gzipped, $(logs "$A1" | xargs -0 gzip -dc | wc -c | awk '{printf "%.0f MB", $1/1048576}') decompressed; load at start: $(load)"
  PV=(trail sessions --dir "$A1" --trusted-account 999988887777 -o json)
  "$BIN/pvaudit" "${PV[@]}" > "$OUT/$shape-sessions.json" || true
  "$old" "${PV[@]}" > "$OUT/$shape-sessions-rev.json" || true
  same=$(cmp -s <(jq -S 'del(.generated_at, .tool, .version)' "$OUT/$shape-sessions.json") \
    <(jq -S 'del(.generated_at, .tool, .version)' "$OUT/$shape-sessions-rev.json") && echo identical || echo DIFFERENT)
  jq -r '"  pvaudit: \(.sessions | length) sessions, \(.stats.files) files (\(.stats.files_skipped_whole) skipped whole), \(.stats.records_split) records split, \(.stats.records_filtered) filtered by bytes, \(.stats.records_decoded) decoded, \(.stats.records_kept) kept, \(.stats.undecodable) undecodable"' "$OUT/$shape-sessions.json"
  echo "  report of this revision vs $(basename "$old"): $same"
  : > "$OUT/runs"
  for i in $(seq "$RUNS"); do
    measure "pvaudit (2 workers)" "$BIN/pvaudit" "${PV[@]}"
    measure "pvaudit $(basename "$old" | cut -d- -f2)" "$old" "${PV[@]}"
    measure "gzip -dc" sh -c "find '$A1/AWSLogs' -path '*/CloudTrail/*' -name '*.json.gz' -print0 | xargs -0 gzip -dc"
    measure "pvaudit --workers 1" "$BIN/pvaudit" "${PV[@]}" --workers 1
    if [ "$i" -le "$JQ_RUNS" ]; then
      measure "gzip -dc | jq AssumeRole" sh -c "find '$A1/AWSLogs' -path '*/CloudTrail/*' -name '*.json.gz' -print0 | xargs -0 gzip -dc | jq -c '.Records[] | select(.eventName | startswith(\"AssumeRole\"))'"
    fi
  done
  report
  echo "  load at end: $(load)"
  : > "$OUT/runs"
  measure "pvaudit 1x ($n events)" "$BIN/pvaudit" "${PV[@]}"
  measure "pvaudit 4x ($((n * 4)) events)" "$BIN/pvaudit" trail sessions --dir "$A4" --trusted-account 999988887777 -o json
  measure "pvaudit 4x --full-decode" "$BIN/pvaudit" trail sessions --dir "$A4" --trusted-account 999988887777 -o json --full-decode
  report
done
