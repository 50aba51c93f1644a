#!/usr/bin/env bash
# Benchmark CloudTrail replay: pvaudit vs `gzip -dc` vs a jq AssumeRole filter
# on one generated archive (default 1,000,000 events), then peak memory of
# pvaudit on a 1x and a 4x archive. Archives are generated once into
# bench/out/ (git-ignored) and reused.
#
#   bench/trail.sh            # 1M events, 4M for the memory comparison
#   EVENTS=200000 bench/trail.sh
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-1000000}
OUT=${OUT:-bench/out}
BIN=$OUT/bin
mkdir -p "$BIN"
go build -o "$BIN/pvaudit" ./cmd/pvaudit
go build -o "$BIN/trailgen" ./bench/trailgen
command -v jq >/dev/null || { echo "jq is required (apt-get install -y jq)" >&2; exit 2; }

gen() { # gen EVENTS DIR
  if [ ! -d "$2/AWSLogs" ]; then
    "$BIN/trailgen" -events "$1" -out "$2" -seed 42
  fi
}
A1=$OUT/archive-$EVENTS
A4=$OUT/archive-$((EVENTS * 4))
gen "$EVENTS" "$A1"
gen "$((EVENTS * 4))" "$A4"

logs() { find "$1/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' -print0; }
# secs OUTFILE CMD…: run CMD with stdout to OUTFILE, print wall seconds.
# pvaudit exits 1 when it reports findings, which the planted sessions cause.
secs() { local o=$1; shift; /usr/bin/time -f %e -o "$OUT/t" "$@" > "$o" || true; tail -1 "$OUT/t"; }

echo "== machine: $(nproc) CPU(s), $(go version | cut -d' ' -f3), $(gzip --version | head -1), $(jq --version)"
echo "== archive: $A1: $(logs "$A1" | tr -cd '\0' | wc -c) files, $(du -sh "$A1/AWSLogs" | cut -f1) gzipped, $(logs "$A1" | xargs -0 gzip -dc | wc -c | awk '{printf "%.0f MB", $1/1048576}') decompressed"
# Warm the page cache so every contender reads from memory.
logs "$A1" | xargs -0 cat > /dev/null

PV=("$BIN/pvaudit" trail sessions --dir "$A1" --trusted-account 999988887777 -o json)
echo "pvaudit replay (2 workers):     $(secs "$OUT/sessions.json" "${PV[@]}") s"
echo "pvaudit replay (--workers 1):   $(secs /dev/null "${PV[@]}" --workers 1) s"
echo "pvaudit replay (--full-decode): $(secs /dev/null "${PV[@]}" --full-decode) s"
echo "gzip -dc > /dev/null:           $(secs /dev/null sh -c "find '$A1/AWSLogs' -path '*/CloudTrail/*' -name '*.json.gz' -print0 | xargs -0 gzip -dc") s"
echo "gzip -dc | jq AssumeRole:       $(secs "$OUT/jq.out" sh -c "find '$A1/AWSLogs' -path '*/CloudTrail/*' -name '*.json.gz' -print0 | xargs -0 gzip -dc | jq -c '.Records[] | select(.eventName | startswith(\"AssumeRole\"))'") s"
echo "   jq selected $(wc -l < "$OUT/jq.out") AssumeRole records"
jq -r '"   pvaudit: \(.sessions | length) sessions, \(.stats.files) files (\(.stats.files_skipped_whole) skipped whole), \(.stats.records_split) records split, \(.stats.records_decoded) decoded, \(.stats.records_kept) kept"' "$OUT/sessions.json"

peak() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }
echo "peak RSS 1x ($EVENTS events):   $(peak "$BIN/pvaudit" trail sessions --dir "$A1" --trusted-account 999988887777 -o json) KB"
echo "peak RSS 4x ($((EVENTS * 4)) events):   $(peak "$BIN/pvaudit" trail sessions --dir "$A4" --trusted-account 999988887777 -o json) KB"
echo "peak RSS 4x --full-decode:      $(peak "$BIN/pvaudit" trail sessions --dir "$A4" --trusted-account 999988887777 -o json --full-decode) KB"
