package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
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
