#!/usr/bin/env bash
# Scan time, CPU and peak memory as an account grows, this revision side by
# side with the pvaudit of earlier revisions in one sitting, run by run
# alternating so that load changes hit every binary alike.
#
# Accounts (bench/accountgen, written once into the git-ignored bench/out/):
#   compliant-N   testdata/accounts/compliant.json plus N copies of node
#                 7f3a9c21 (roles, boundary and runtime), NODES="30 60 120"
#   customers     compliant.json plus 3 nodes (5 in all) and 3,000 customer
#                 roles (copies of github-actions-deploy); CUSTOMERS=0 skips it
#   NAME-iam      the same account without its runtime section (binaries
#                 before issue 17 refuse the section); IAM_ONLY=1 runs only these
#   sample-300    sample.json (planted problems in every node) plus 300 nodes
#                 and 1,500 customer roles; only with HUGE=1 (minutes per run)
#
#   bench/scan.sh                         # this revision only
#   REVS="92f123d ee72ca9" RUNS=3 bench/scan.sh
#   REV=92f123d bench/scan.sh             # one earlier revision (as before)
#
# Per account and binary: median wall (min-max), median CPU (user+sys),
# peak RSS, findings; and whether each earlier binary's JSON report equals
# this revision's apart from generated_at and version. Load average at the
# start and the end of every account.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-bench/out}
BIN=$OUT/bin
RUNS=${RUNS:-3}
REVS=${REVS:-${REV:-}}
NODES=${NODES-30 60 120}
mkdir -p "$BIN"

go build -o "$BIN/pvaudit" ./cmd/pvaudit
bins=("$BIN/pvaudit")
names=("this")
for rev in $REVS; do
  short=$(git rev-parse --short "$rev")
  old=$BIN/pvaudit-$short
  if [ ! -x "$old" ]; then
    src=$(mktemp -d)
    git archive "$short" | tar -x -C "$src"
    (cd "$src" && go build -o "$OLDPWD/$old" ./cmd/pvaudit)
    rm -rf "$src"
  fi
  bins+=("$old")
  names+=("$short")
done

accounts=()
for n in $NODES; do
  [ -f "$OUT/compliant-$n.json" ] || go run ./bench/accountgen -from testdata/accounts/compliant.json -nodes "$n" -o "$OUT/compliant-$n.json"
  accounts+=("compliant-$n")
done
if [ "${CUSTOMERS:-1}" != 0 ]; then
  [ -f "$OUT/customers.json" ] || go run ./bench/accountgen -from testdata/accounts/compliant.json -nodes 3 -other-roles 3000 -o "$OUT/customers.json"
  accounts+=("customers")
fi
if [ -n "${HUGE:-}" ]; then
  [ -f "$OUT/sample-300.json" ] || go run ./bench/accountgen -from testdata/accounts/sample.json -nodes 300 -other-roles 1500 -o "$OUT/sample-300.json"
  accounts+=("sample-300")
fi

# Binaries before the runtime section (issue 17) refuse accounts that carry
# one: every account is also scanned without it (NAME-iam.json, the IAM
# part only), which every binary reads.
for acc in "${accounts[@]}"; do
  [ -f "$OUT/$acc-iam.json" ] || python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("runtime",None); json.dump(d,open(sys.argv[2],"w"))' "$OUT/$acc.json" "$OUT/$acc-iam.json"
done
if [ -z "${IAM_ONLY:-}" ]; then
  all=()
  for acc in "${accounts[@]}"; do all+=("$acc" "$acc-iam"); done
  accounts=("${all[@]}")
else
  all=()
  for acc in "${accounts[@]}"; do all+=("$acc-iam"); done
  accounts=("${all[@]}")
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), $(go version | cut -d' ' -f3), runs $RUNS, binaries: ${names[*]}"
for acc in "${accounts[@]}"; do
  : >"$OUT/runs"
  l0=$(load)
  for r in $(seq "$RUNS"); do
    for i in "${!bins[@]}"; do
      rep=$OUT/$acc.${names[$i]}.report.json
      # scan exits 1 on findings (the copies of compliant.json fail one probe row).
      /usr/bin/time -f '%e %U %S %M' -o "$OUT/t" "${bins[$i]}" scan --from "$OUT/$acc.json" -o json >"$rep" 2>"$OUT/$acc.${names[$i]}.log" || true
      tail -1 "$OUT/t" | awk -v n="${names[$i]}" '{printf "%s\t%.2f\t%.2f\t%d\n", n, $1, $2 + $3, $4}' >>"$OUT/runs"
    done
  done
  echo "-- $acc (load $l0 .. $(load))"
  python3 - "$OUT" "$acc" "${names[@]}" <<'EOF'
import json, sys, statistics as st
out, acc, names = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = {}
for line in open(f"{out}/runs"):
    n, w, c, m = line.rstrip("\n").split("\t")
    rows.setdefault(n, []).append((float(w), float(c), int(m)))
def load(n):
    try:
        d = json.load(open(f"{out}/{acc}.{n}.report.json"))
    except Exception as e:
        return None
    d.pop("generated_at", None); d.pop("version", None)
    return d
base = load(names[0])
w0 = st.median(r[0] for r in rows[names[0]])
c0 = st.median(r[1] for r in rows[names[0]])
print(f"  {'binary':<9} {'wall median (min-max)':>22} {'CPU':>8} {'peak RSS':>9} {'roles':>6} {'findings':>9} {'this/it wall':>12} {'CPU':>6}  report")
for n in names:
    rs = rows[n]
    w = st.median(r[0] for r in rs); c = st.median(r[1] for r in rs); m = max(r[2] for r in rs)
    d = load(n)
    if not d or "roles" not in d:
        print(f"  {n:<9} refused the input ({open(f'{out}/{acc}.{n}.log').read().strip()[:100]})")
        continue
    roles = len(d["roles"])
    fs = len(d["findings"])
    same = "-" if n == names[0] else ("same" if d == base and d is not None else "DIFFERENT")
    span = f"{w:.2f} s ({min(r[0] for r in rs):.2f}-{max(r[0] for r in rs):.2f})"
    print(f"  {n:<9} {span:>22} {c:>6.2f} s {m / 1024:>6.0f} MB {roles:>6} {fs:>9} {w0 / w:>11.2f}x {c0 / c:>5.2f}x  {same}")
EOF
done

# ALLOC=1: bytes and allocations per scan, in process (read the file and
# scan it, no report written), for this revision and every REV that has the
# audit package (issue 10 on); go test's -benchmem, 3 scans each, of the
# accounts ALLOC_ACCOUNTS names (default: every account above).
if [ -n "${ALLOC:-}" ]; then
  echo "== allocation per scan (go test -bench BenchmarkScanFile -benchtime 3x -benchmem)"
  paths=""
  for acc in ${ALLOC_ACCOUNTS:-${accounts[*]}}; do paths="$paths $PWD/$OUT/$acc.json"; done
  benchfile=$(mktemp)
  sed -n '/^\/\/ BenchmarkScanFile/,/^}/p' audit/scan_bench_test.go >"$benchfile"
  alloc() { # alloc DIR NAME
    (cd "$1" && PVAUDIT_BENCH_ACCOUNTS="$paths" go test ./audit -run '^$' -bench BenchmarkScanFile -benchtime 3x -benchmem 2>&1) |
      awk -v n="$2" '/^BenchmarkScanFile/ {sub(/-[0-9]+$/, "", $1); sub(/^BenchmarkScanFile\//, "", $1); printf "  %-9s %-22s %8.2f s/op %10.0f MB/op %12d allocs/op\n", n, $1, $3 / 1e9, $5 / 1e6, $7}'
  }
  alloc . this
  for rev in $REVS; do
    short=$(git rev-parse --short "$rev")
    src=$(mktemp -d)
    git archive "$short" | tar -x -C "$src"
    if [ -f "$src/audit/scan.go" ]; then
      { printf 'package audit\n\nimport (\n\t"context"\n\t"os"\n\t"path/filepath"\n\t"strings"\n\t"testing"\n\t"time"\n\n\t"github.com/pvaudit/pvaudit/config"\n\t"github.com/pvaudit/pvaudit/contract"\n\t"github.com/pvaudit/pvaudit/internal/finding"\n\t"github.com/pvaudit/pvaudit/inventory"\n)\n\nfunc benchNow() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }\n\n'
        sed 's/Now: fixedNow/Now: benchNow/' "$benchfile"; } >"$src/audit/zz_scanfile_bench_test.go"
      alloc "$src" "$short"
    else
      echo "  $short: no audit package (before issue 10), not measured in process"
    fi
    rm -rf "$src"
  done
  rm -f "$benchfile"
fi
