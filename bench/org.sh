#!/usr/bin/env bash
# Organisation fan-out on the loopback endpoint: a simulated organisation of
# N accounts (SIZES, default "50 500") seeded from compliant.json, each with
# the audit role; `pvaudit scan --org` over it. Prints wall time, peak RSS
# of pvaudit, API calls per account (from the report) and the verdict.
# CONCURRENCY (default 8) and RATE (per account, default 10; overall 40×)
# are passed on. Outputs go to the git-ignored bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go build -o bench/out/pvaudit ./cmd/pvaudit
go build -o bench/out/orgfake ./bench/orgfake
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for n in ${SIZES-50 500}; do
  env_file="bench/out/org-$n.env"
  bench/out/orgfake -accounts "$n" >"$env_file" 2>"bench/out/org-$n.fake.log" &
  fake=$!
  for _ in $(seq 600); do [ -s "$env_file" ] && break; sleep 0.2; done
  # shellcheck disable=SC1090
  . "$env_file"
  rm -f "bench/out/org-$n.state" && rm -rf "bench/out/org-$n.state.d"
  /usr/bin/time -f "$n accounts: %e s wall, %M KB peak RSS (pvaudit)" \
    bench/out/pvaudit scan --org --endpoint-url "$AWSFAKE_URL" --audit-role-name "$AUDIT_ROLE" --external-id "$EXTERNAL_ID" \
      --org-concurrency "${CONCURRENCY:-8}" --org-rate-per-account "${RATE:-10}" --org-rate "$(( ${RATE:-10} * 40 ))" --fleet \
      --resume "bench/out/org-$n.state" -o json="bench/out/org-$n.json" -q 2>"bench/out/org-$n.log" || true
  tail -1 "bench/out/org-$n.log"
  python3 - "bench/out/org-$n.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
calls = [a["api_calls"] for a in d["accounts"]]
outcomes = {}
for a in d["accounts"]:
    outcomes[a["outcome"]] = outcomes.get(a["outcome"], 0) + 1
print(f"  rows {len(calls)}, API calls per account min {min(calls)} max {max(calls)} mean {sum(calls)/len(calls):.1f}, outcomes {outcomes}, verdict {d['verdict']['outcome']}")
PY
  kill "$fake"; wait "$fake" 2>/dev/null || true
done
