package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports/evidence"
)

var exportNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Marker values: none of them may appear in any file of a bundle.
const (
	markerParam   = "MARKER-param-extid-7d1f2c"
	markerAudit   = "MARKER-audit-extid-93ab01"
	markerInTrust = "pn-ext-4c1d9e7a52" // the sample's trust policy and trail carry it
)

func exportSample(t *testing.T, withTrail bool) *Exported {
	t.Helper()
	snap, raw, err := inventory.ReadFileRaw(filepath.Join("..", "testdata", "accounts", "sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := contract.Load("pennsieve")
	if err != nil {
		t.Fatal(err)
	}
	c.Parameters.ExternalID = markerParam
	c.Parameters.ProvisionerAccountID = "941377122013"
	r := &Run{Tool: "pvaudit", Version: "test", Revision: "abc123", Command: "evidence export", Now: func() time.Time { return exportNow },
		Config: &config.Resolved{Contract: c, ContractSource: "pennsieve"}, FailOn: finding.High}
	in := ExportInput{Source: Source{Snapshot: snap, Input: "sample.json", Raw: raw}, Framework: "hipaa",
		CommandLine: []string{"pvaudit", "evidence", "export", "--external-id", markerAudit, "--required-external-id=" + markerParam},
		SecretFlags: []string{"external-id", "required-external-id"}, Secrets: []string{markerAudit}}
	if withTrail {
		in.Trail = TrailSources{Files: []string{filepath.Join("..", "testdata", "accounts", "sample-trail.ndjson")}, LookupRate: 2}
	}
	ex, err := Export(context.Background(), r, in)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestExportKeepsSecretsOut(t *testing.T) {
	t.Parallel()
	ex := exportSample(t, true)
	names := map[string]bool{}
	for _, f := range ex.Files {
		names[f.Path] = true
		for _, m := range []string{markerParam, markerAudit, markerInTrust, "IQoJb3JpZ2lu", "FwoGZXIvYXdz"} {
			if bytes.Contains(f.Data, []byte(m)) {
				t.Errorf("%s contains the secret %q", f.Path, m)
			}
		}
	}
	for _, want := range []string{"manifest.json", "findings.json", "snapshot.json", "probes.json", "sessions.json", "controls.csv", "controls.md",
		"coverage.json", "coverage.md", "report.html", "assessment-results.json", "contract.yaml"} {
		if !names[want] {
			t.Errorf("bundle lacks %s", want)
		}
	}
	if len(ex.Manifest.Redactions) == 0 {
		t.Error("manifest records no redaction")
	}
	if !ex.Manifest.Reproduction.Same {
		t.Errorf("re-analysis differs: %v", ex.Manifest.Reproduction.Differences)
	}
}

func TestExportIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := exportSample(t, false), exportSample(t, false)
	za, err := evidence.Encode(evidence.Zip, a.Files, exportNow)
	if err != nil {
		t.Fatal(err)
	}
	zb, _ := evidence.Encode(evidence.Zip, b.Files, exportNow)
	if !bytes.Equal(za, zb) {
		t.Error("two exports of the same inputs and clock differ")
	}
}

// TestVerify: export → verify passes in every format; altering, adding or
// removing any file fails; a signature made with one key fails with
// another and with an altered manifest.
func TestVerify(t *testing.T) {
	t.Parallel()
	ex := exportSample(t, false)
	privPEM, pubPEM, err := evidence.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := evidence.ParsePrivateKey(privPEM)
	pub, _ := evidence.ParsePublicKey(pubPEM)
	_, otherPEM, _ := evidence.GenerateKey()
	other, _ := evidence.ParsePublicKey(otherPEM)
	var manifest []byte
	for _, f := range ex.Files {
		if f.Path == evidence.ManifestFile {
			manifest = f.Data
		}
	}
	sig, err := evidence.Sign(manifest, priv)
	if err != nil {
		t.Fatal(err)
	}
	signed := append(append([]evidence.File(nil), ex.Files...), evidence.File{Path: evidence.SignatureFile, Data: sig})
	for _, dst := range []string{"bundle", "bundle.zip", "bundle.tar.gz"} {
		t.Run(dst, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), dst)
			if err := evidence.Write(p, signed, exportNow); err != nil {
				t.Fatal(err)
			}
			check := func(key ed25519.PublicKey) *evidence.Result {
				b, err := evidence.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				res, err := evidence.Verify(b, key)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			if res := check(pub); !res.OK() || res.Signature != evidence.Valid {
				t.Fatalf("fresh bundle: %+v", res)
			}
			if res := check(other); res.OK() {
				t.Error("a signature made with one key verifies with another")
			}
			if res := check(nil); !res.OK() || res.Signature != evidence.NotChecked {
				t.Errorf("without a key: %+v", res)
			}
		})
	}
	// Every kind of tampering, on a folder bundle.
	tamper := map[string]func(t *testing.T, dir string){
		"alter a file": func(t *testing.T, dir string) { appendTo(t, filepath.Join(dir, "findings.json"), " ") },
		"add a file":   func(t *testing.T, dir string) { writeTo(t, filepath.Join(dir, "extra.txt"), "x") },
		"remove a file": func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "snapshot.json")); err != nil {
				t.Fatal(err)
			}
		},
		"alter the manifest": func(t *testing.T, dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, evidence.ManifestFile))
			writeTo(t, filepath.Join(dir, evidence.ManifestFile), strings.Replace(string(b), `"outcome": "failed"`, `"outcome": "clean"`, 1))
		},
	}
	for _, f := range ex.Files {
		name := f.Path
		if name == evidence.ManifestFile {
			continue
		}
		tamper["alter "+name] = func(t *testing.T, dir string) { appendTo(t, filepath.Join(dir, name), "\n") }
	}
	for name, fn := range tamper {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "b")
			if err := evidence.Write(dir, signed, exportNow); err != nil {
				t.Fatal(err)
			}
			fn(t, dir)
			b, err := evidence.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			res, err := evidence.Verify(b, pub)
			if err != nil {
				return // an unreadable manifest fails too
			}
			if res.OK() {
				t.Errorf("verify passes after %s", name)
			}
		})
	}
}

// TestBundleReanalysis: scan --from BUNDLE reproduces the bundle's
// findings (the same fingerprints, statuses and severities).
func TestBundleReanalysis(t *testing.T) {
	t.Parallel()
	ex := exportSample(t, true)
	p := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := evidence.Write(p, ex.Files, exportNow); err != nil {
		t.Fatal(err)
	}
	bs, err := OpenBundle(p)
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{Tool: "pvaudit", Version: "test", Command: "scan", Now: func() time.Time { return exportNow }, Config: bs.Config, FailOn: finding.High}
	rep, err := Scan(context.Background(), r, ScanInput{Source: bs.Source, ProviderCreated: bs.ProviderCreated})
	if err != nil {
		t.Fatal(err)
	}
	if d := CompareFindings(ex.Scan.Findings, rep.Findings); len(d) > 0 {
		t.Errorf("re-analysis of the bundle differs:\n%s", strings.Join(d, "\n"))
	}
	if len(bs.Gaps) != 1 {
		t.Errorf("a bundle exported with CloudTrail re-analyses without it with %d gaps, want 1 (never complete)", len(bs.Gaps))
	}
	if len(bs.ProviderCreated) == 0 {
		t.Error("the bundle lost the provider-created roles the CloudTrail replay found")
	}
}

func TestOpenRejectsUnsafeBundles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := evidence.Write(good, []evidence.File{{Path: "manifest.json", Data: []byte("{}")}}, exportNow); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(good, "link")); err != nil {
		t.Skip("no symlinks here")
	}
	if _, err := evidence.Open(good); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a symlink in a bundle: %v", err)
	}
	if err := evidence.Write(filepath.Join(dir, "x.zip"), []evidence.File{{Path: "../escape", Data: nil}}, exportNow); err == nil {
		t.Error("a name with .. was written")
	}
}

func appendTo(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func writeTo(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOSCALAssessmentResults checks the OSCAL document against the rules
// of the OSCAL 1.0.4 assessment-results JSON schema that apply to what
// pvaudit writes: required fields, UUID and token patterns, date-times with
// a time zone, and a control satisfied only when the matrix says PASS.
func TestOSCALAssessmentResults(t *testing.T) {
	t.Parallel()
	ex := exportSample(t, false)
	var raw []byte
	for _, f := range ex.Files {
		if f.Path == "assessment-results.json" {
			raw = f.Data
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	uuidRE := regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)
	tokenRE := regexp.MustCompile(`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`)
	timeRE := regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)
	obj := func(v any, path string, required ...string) map[string]any {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is not an object", path)
		}
		for _, r := range required {
			if _, ok := m[r]; !ok {
				t.Errorf("%s lacks required %q", path, r)
			}
		}
		return m
	}
	arr := func(v any, path string) []any {
		a, ok := v.([]any)
		if !ok || len(a) == 0 {
			t.Fatalf("%s is not a non-empty array (minItems 1)", path)
		}
		return a
	}
	ar := obj(doc["assessment-results"], "assessment-results", "uuid", "metadata", "import-ap", "results")
	if len(doc) != 1 {
		t.Errorf("top level has %d keys", len(doc))
	}
	md := obj(ar["metadata"], "metadata", "title", "last-modified", "version", "oscal-version")
	if !timeRE.MatchString(md["last-modified"].(string)) {
		t.Error("metadata.last-modified is not a date-time with a time zone")
	}
	obj(ar["import-ap"], "import-ap", "href")
	uuids := map[string]bool{}
	checkUUID := func(v any, path string) {
		s, _ := v.(string)
		if !uuidRE.MatchString(s) {
			t.Errorf("%s: %q is not an OSCAL UUID", path, s)
		}
		if uuids[s] {
			t.Errorf("%s: UUID %s used twice", path, s)
		}
		uuids[s] = true
	}
	checkUUID(ar["uuid"], "uuid")
	for _, r := range arr(ar["results"], "results") {
		res := obj(r, "result", "uuid", "title", "description", "start", "reviewed-controls")
		checkUUID(res["uuid"], "result.uuid")
		rc := obj(res["reviewed-controls"], "reviewed-controls", "control-selections")
		for _, sel := range arr(rc["control-selections"], "control-selections") {
			for _, c := range arr(obj(sel, "selection")["include-controls"], "include-controls") {
				if id := obj(c, "include-control", "control-id")["control-id"].(string); !tokenRE.MatchString(id) {
					t.Errorf("control-id %q is not an OSCAL token", id)
				}
			}
		}
		obsIDs := map[string]bool{}
		for _, o := range arr(res["observations"], "observations") {
			om := obj(o, "observation", "uuid", "description", "methods", "collected")
			checkUUID(om["uuid"], "observation.uuid")
			obsIDs[om["uuid"].(string)] = true
		}
		satisfied := 0
		for _, f := range arr(res["findings"], "findings") {
			fm := obj(f, "finding", "uuid", "title", "description", "target")
			checkUUID(fm["uuid"], "finding.uuid")
			tg := obj(fm["target"], "target", "type", "target-id", "status")
			if ty := tg["type"]; ty != "objective-id" && ty != "statement-id" {
				t.Errorf("target type %v", ty)
			}
			if !tokenRE.MatchString(tg["target-id"].(string)) {
				t.Errorf("target-id %q is not a token", tg["target-id"])
			}
			st := obj(tg["status"], "status", "state")["state"]
			if st == "satisfied" {
				satisfied++
			} else if st != "not-satisfied" {
				t.Errorf("state %v", st)
			}
			if rel, ok := fm["related-observations"].([]any); ok {
				for _, x := range rel {
					if !obsIDs[obj(x, "related-observation", "observation-uuid")["observation-uuid"].(string)] {
						t.Error("a finding points at an observation that is not there")
					}
				}
			}
		}
		if want := ex.Controls.Summary["PASS"]; satisfied != want {
			t.Errorf("%d controls satisfied, the matrix has %d PASS", satisfied, want)
		}
	}
	for _, r := range arr(obj(ar["back-matter"], "back-matter", "resources")["resources"], "resources") {
		checkUUID(obj(r, "resource", "uuid")["uuid"], "resource.uuid")
	}
}
