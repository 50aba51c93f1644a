#!/usr/bin/env bash
# Scans every adversarial case with the current pvaudit and says, per case,
# whether the scan gave the expected answer. Needs bash, go and python3.
#
#   testdata/adversarial/run.sh            build, scan every case, check the simulate proofs
#   testdata/adversarial/run.sh -q         summary lines only
#   PVAUDIT=/path/to/binary run.sh         use a binary instead of building one
#   run.sh --tsv FILE                      also write one tab-separated line per case to FILE
#
# A case is OK when
#   expect: fail           every listed check reports FAIL (on `resource` when given) and the
#                          exit code is not 0 (a broken written promise must fail a default run)
#   expect: not_evaluated  exit code 2 and no listed check reports PASS (each reports
#                          NOT_EVALUATED or ERROR, or the input is refused)
#   expect: pass           no FAIL, ERROR or NOT_EVALUATED finding that the base account's
#                          scan (same contract and parameters) does not have, and the base's exit code
# Exit code: 0 when every case is OK and every proof holds, 1 otherwise, 2 on a setup error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
quiet=0
tsv=""
while [ $# -gt 0 ]; do
  case "$1" in
    -q) quiet=1 ;;
    --tsv) tsv="$2"; shift ;;
    *) echo "usage: $0 [-q] [--tsv FILE]" >&2; exit 2 ;;
  esac
  shift
done

bin="${PVAUDIT:-/tmp/pvaudit-corpus}"
if [ -z "${PVAUDIT:-}" ]; then
  (cd "$root" && go build -o "$bin" ./cmd/pvaudit) || { echo "run.sh: go build failed" >&2; exit 2; }
fi

cd "$root"
exec python3 - "$bin" "$here/cases.yaml" "$here/proofs.json" "$quiet" "$tsv" <<'PY'
import json, os, subprocess, sys, tempfile

binary, cases_path, proofs_path, quiet, tsv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5]

FLAGS = {"provisioner_account_id": "--provisioner-account", "external_id": "--required-external-id",
         "workflow_bucket": "--workflow-bucket", "package_bucket": "--package-bucket", "env": "--env",
         "llm_governor_function_arn": "--llm-governor-arn", "node_ids": "--node-id"}


def load_cases(path):
    """cases.yaml as generate.py writes it: `  - id: x` starts an entry, each
    `    key: value` line holds a plain word or a JSON value (valid YAML flow)."""
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("  - id: "):
                out.append({"id": line[8:].strip()})
            elif line.startswith("    ") and out:
                k, _, v = line.strip().partition(": ")
                v = v.strip()
                if v.startswith(("\"", "{", "[")) and k in ("spec", "change", "proof", "params"):
                    v = json.loads(v)
                elif k == "checks":
                    v = [x.strip() for x in v.strip("[]").split(",") if x.strip()]
                out[-1][k] = v
    return out


def scan(path, contract, params):
    args = [binary, "scan", "--from", path, "--contract", contract, "-o", "json"]
    for k, v in sorted((params or {}).items()):
        args += [FLAGS[k], v]
    p = subprocess.run(args, capture_output=True, text=True)
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        rep = {"findings": [], "unreadable": (p.stderr.strip().splitlines() or ["no output"])[-1]}
    return p.returncode, rep


def bad_set(rep):
    return {(f["check_id"], f["status"], f.get("resource", ""), f.get("key", f.get("message", "")))
            for f in rep.get("findings", []) if f["status"] in ("FAIL", "ERROR", "NOT_EVALUATED") and not f.get("suppressed")}


cases = load_cases(cases_path)
bases = {}
results = []
for c in cases:
    params = c.get("params", {})
    rc, rep = scan(c["file"] if os.path.isabs(c["file"]) else os.path.join("testdata/adversarial", c["file"]), c["contract"], params)
    fs = rep.get("findings", [])
    by_check = {}
    for f in fs:
        by_check.setdefault(f["check_id"], []).append(f)
    detail = []
    if c["expect"] == "fail":
        ok = rc != 0
        for chk in c.get("checks", []):
            fails = [f for f in by_check.get(chk, []) if f["status"] == "FAIL"]
            on_res = [f for f in fails if not c.get("resource") or f.get("resource") == c["resource"]]
            if on_res:
                detail.append(f"{chk}:FAIL")
            elif fails:
                detail.append(f"{chk}:FAIL-elsewhere")
                ok = False
            else:
                st = sorted({f["status"] for f in by_check.get(chk, [])}) or ["none"]
                detail.append(f"{chk}:{'/'.join(st)}")
                ok = False
    elif c["expect"] == "not_evaluated":
        ok = rc == 2
        for chk in c.get("checks", []):
            sts = sorted({f["status"] for f in by_check.get(chk, [])
                          if not c.get("resource") or f.get("resource") == c["resource"]}) or ["none"]
            detail.append(f"{chk}:{'/'.join(sts)}")
            if "PASS" in sts:
                ok = False
    else:
        key = (c["base"], c["contract"], json.dumps(params, sort_keys=True))
        if key not in bases:
            bases[key] = scan(f"testdata/accounts/{c['base']}.json", c["contract"], params)
        brc, brep = bases[key]
        new = sorted(bad_set(rep) - bad_set(brep))
        ok = not new and rc == brc
        counts = {}
        for chk, st, _, _ in new:
            counts[f"{chk}:{st}"] = counts.get(f"{chk}:{st}", 0) + 1
        detail += [f"{k}x{n}" for k, n in sorted(counts.items())]
        if not new:
            detail.append("no new FAIL/ERROR/NOT_EVALUATED")
    if "unreadable" in rep:
        detail.append("unreadable: " + rep["unreadable"])
    results.append((c, rc, ok, detail))
    if not quiet:
        print(f"{c['id']:<52} {c['expect']:<13} exit={rc} {' '.join(detail):<60} {'OK' if ok else 'MISS'}")

# Proofs: each simulate request must give the promised decision on the case
# file and (when stated) the other decision class on the base.
with open(proofs_path) as f:
    proofs = json.load(f)


def simulate(p, path):
    args = [binary, "simulate", "--action", p["action"], "--resource", p["resource"], "-o", "json"]
    for k, vs in sorted(p["context"].items()):
        for v in vs:
            args += ["--context", f"{k}={v}"]
    tmp = None
    if p["version"]:
        with open(path) as f:
            acct = json.load(f)
        d = None
        for pol in acct["Policies"]:
            if pol["PolicyName"] == p["version"][0]:
                for v in pol["PolicyVersionList"]:
                    if v["VersionId"] == p["version"][1]:
                        d = v["Document"]
        if d is None:
            return "missing-version"
        tmp = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(d, tmp) if not isinstance(d, str) else tmp.write(d)
        tmp.close()
        args += ["--policy", tmp.name]
    else:
        args += ["--from", path, "--role", p["role"]]
    r = subprocess.run(args, capture_output=True, text=True)
    if tmp:
        os.unlink(tmp.name)
    if r.returncode != 0:
        return "error: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    return json.loads(r.stdout)["results"][0]["decision"]


bad_proofs = []
for p in proofs:
    got = simulate(p, p["file"])
    okp = got == p["want"]
    base_got = ""
    if p.get("base_want"):
        base_got = simulate(p, p["base_file"])
        if (base_got == "Allow") != (p["base_want"] == "allow"):
            okp = False
    if not okp:
        bad_proofs.append((p, got, base_got))

n = len(results)
by_exp = {}
for c, rc, ok, _ in results:
    e = by_exp.setdefault(c["expect"], [0, 0])
    e[0] += 1
    e[1] += ok
clean = [c["id"] for c, rc, ok, _ in results if c["expect"] != "pass" and rc == 0]
print()
for e in ("fail", "not_evaluated", "pass"):
    if e in by_exp:
        print(f"expect {e:<14} {by_exp[e][1]:>3} OK, {by_exp[e][0] - by_exp[e][1]:>3} MISS (of {by_exp[e][0]})")
print(f"must-fail / not_evaluated cases that scan clean (exit 0): {len(clean)}")
print(f"proofs: {len(proofs) - len(bad_proofs)} of {len(proofs)} hold")
for p, got, base_got in bad_proofs:
    print(f"  PROOF FAILS {p['id']}: {p['action']} on {p['resource']}: got {got}, want {p['want']}"
          + (f"; base got {base_got}, want {p['base_want']}" if p.get("base_want") else ""))
total_ok = sum(ok for _, _, ok, _ in results)
print(f"total: {total_ok} OK, {n - total_ok} MISS of {n} cases")
if tsv:
    with open(tsv, "w") as f:
        for c, rc, ok, detail in results:
            f.write("\t".join([c["id"], c["class"], c["expect"], ",".join(c.get("checks", [])), str(rc),
                               " ".join(detail), "OK" if ok else "MISS"]) + "\n")
sys.exit(0 if total_ok == n and not bad_proofs else 1)
PY
