#!/usr/bin/env bash
# Scan time and peak memory as an account grows: compliant.json with more
# compute nodes (NODES, default "8 32 60 120"), and sample.json (planted
# problems in every node) with 300 nodes and 1,500 customer roles.
# Accounts are written once into the git-ignored bench/out/.
# REV=<commit> times the binary of that revision instead (built from a
# temporary git worktree), to compare before and after a change.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
if [ -n "${REV:-}" ]; then
  wt=$(mktemp -d)
  git worktree add -q --detach "$wt" "$REV"
  (cd "$wt" && go build -o "$OLDPWD/bench/out/pvaudit" ./cmd/pvaudit)
  git worktree remove --force "$wt"
  echo "binary of $REV"
else
  go build -o bench/out/pvaudit ./cmd/pvaudit
fi
run() {
  local name=$1
  /usr/bin/time -f "$name: %e s wall, %M KB peak RSS" bench/out/pvaudit scan --from "bench/out/$name.json" -o json >"bench/out/$name.report.json" 2>"bench/out/$name.log" || true
  tail -1 "bench/out/$name.log"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("  roles", len(d["roles"]), "findings", len(d["findings"]), d["summary"])' "bench/out/$name.report.json"
}
for n in ${NODES-8 32 60 120}; do
  [ -f "bench/out/compliant-$n.json" ] || go run ./bench/accountgen -from testdata/accounts/compliant.json -nodes "$n" -o "bench/out/compliant-$n.json"
  run "compliant-$n"
done
if [ -z "${SKIP_HUGE:-}" ]; then
  [ -f bench/out/sample-300.json ] || go run ./bench/accountgen -from testdata/accounts/sample.json -nodes 300 -other-roles 1500 -o bench/out/sample-300.json
  run sample-300
fi
