#!/usr/bin/env bash
# Fuzz every Go fuzz target of the module for a short while each, for CI:
#   scripts/fuzz-short.sh [SECONDS]     (default 10 per target)
# Targets are found by their `func FuzzXxx(f *testing.F)` declarations.
# A failure leaves the failing input under the package's testdata/fuzz/
# (commit it as a regression seed once fixed) and makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
case "$secs" in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
failed=0
while IFS=: read -r file name; do
  pkg="./$(dirname "$file")"
  echo "== $pkg $name (${secs}s)"
  # -run '^$' skips the ordinary tests; one target per invocation, as go test requires.
  # Minimizing a new interesting input (a 19 KB built-in contract) runs
  # uncounted for up to a minute by default; keep it short for CI.
  if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" -fuzzminimizetime 2s 2>&1 | tail -n 3; then
    failed=1
  fi
done < <(grep -rEo --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' . \
          | sed -E 's#^\./##; s#:func (Fuzz[A-Za-z0-9_]+)\(.*#:\1#' | sort -u)
exit "$failed"
