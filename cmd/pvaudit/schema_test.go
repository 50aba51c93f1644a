package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFor maps a report kind to its schema file under docs/schema.
var schemaFor = map[string]string{
	"scan": "scan.schema.json", "probe": "probe.schema.json", "trail-sessions": "trail.schema.json",
	"trail-session": "trail.schema.json", "simulate": "simulate.schema.json", "roles": "roles.schema.json", "checks": "checks.schema.json",
	"plan":     "plan.schema.json",
	"controls": "controls.schema.json", "evidence-manifest": "evidence-manifest.schema.json",
	"org":   "org.schema.json",
	"drift": "drift.schema.json",
}

func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	dir := repoPath("docs", "schema")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if err := c.AddResource("https://pvaudit.dev/schema/"+e.Name(), doc); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for kind, file := range schemaFor {
		s, err := c.Compile("https://pvaudit.dev/schema/" + file)
		if err != nil {
			t.Fatalf("compile %s: %v", file, err)
		}
		out[kind] = s
	}
	return out
}

// TestJSONOutputsMatchSchemas runs the sample commands with -o json and
// validates every output against docs/schema/<kind>.schema.json. The
// schemas forbid unknown top-level fields, so a new field must be added to
// its schema too.
func TestJSONOutputsMatchSchemas(t *testing.T) {
	t.Parallel()
	schemas := compileSchemas(t)
	sample := repoPath("testdata", "accounts", "sample.json")
	unknown := repoPath("testdata", "checks", "PV-XAR-004", "fire-unknown-duration.json")
	supp := writeFile(t, t.TempDir(), "s.yaml", "suppressions:\n  - {check: PV-XAR-004, resource: 'arn:aws:iam::481516234201:role/Pennsieve-Compute-prod-a3f1b20c', reason: ticket, expires: 2027-01-31}\n")
	messy := repoPath("testdata", "trail", "messy.ndjson")
	accounts := writeFile(t, t.TempDir(), "accounts.yaml", "accounts:\n  - {id: '481516234201', name: sample, from: '"+sample+"'}\n"+
		"  - {id: '481516234202', name: compliant, from: '"+repoPath("testdata", "accounts", "compliant.json")+"'}\n"+
		"  - {id: '481516234203', name: missing, from: '"+repoPath("testdata", "accounts", "no-such.json")+"'}\n")
	approved := filepath.Join(t.TempDir(), "approved.json")
	if code, _, stderr := runTest(t, "baseline", "save", "--from", repoPath("testdata", "accounts", "compliant.json"), "--baseline", approved); code != 0 {
		t.Fatalf("baseline save: exit %d: %s", code, stderr)
	}
	runs := []struct {
		name string
		kind string
		args []string
	}{
		{"scan sample", "scan", []string{"scan", "--from", sample}},
		{"scan with trail", "scan", []string{"scan", "--from", sample, "--trail-file", repoPath("testdata", "accounts", "sample-trail.ndjson"), "--provisioner-account", "941377122013"}},
		{"scan with an accepted gap", "scan", []string{"scan", "--from", unknown, "--suppress", supp}},
		{"scan par", "scan", []string{"scan", "--from", repoPath("testdata", "accounts", "par-sample.json"), "--contract", "par"}},
		{"probe sample", "probe", []string{"probe", "--from", sample}},
		{"trail sessions", "trail-sessions", []string{"trail", "sessions", "--file", messy, "--provisioner-account", "999988887777"}},
		{"trail show", "trail-session", []string{"trail", "show", "ASIAFIXTURE0000001", "--file", messy, "--provisioner-account", "999988887777"}},
		{"simulate", "simulate", []string{"simulate", "--from", sample, "--role", "Pennsieve-Compute-prod-a3f1b20c", "--action", "iam:CreateUser", "--action", "route53:ChangeResourceRecordSets"}},
		{"roles", "roles", []string{"roles", "--from", sample}},
		{"checks", "checks", []string{"checks", "list"}},
		{"provision plan", "plan", []string{"provision", "plan", "--from", repoPath("testdata", "accounts", "compliant.json"), "--env", "prod",
			"--provisioner-account", "941377122013", "--external-id", "x-1", "--node", "7f3a9c21", "--file-system", "7f3a9c21=fs-07f3a9c21"}},
		{"provision plan par", "plan", []string{"provision", "plan", "--from", repoPath("testdata", "accounts", "par-compliant.json"), "--contract", "par"}},
		{"controls catalogue", "controls", []string{"controls", "list", "--framework", "nist-800-53"}},
		{"controls of the sample", "controls", []string{"controls", "list", "--framework", "hipaa", "--from", sample}},
		{"scan filtered", "scan", []string{"scan", "--from", sample, "--severity", "critical", "--status", "FAIL"}},
		{"scan over accounts with the fleet view", "org", []string{"scan", "--accounts", accounts, "--fleet"}},
		{"drift with trail", "drift", []string{"drift", "--from", repoPath("testdata", "accounts", "compliant-drifted.json"), "--baseline", approved,
			"--trail-file", repoPath("testdata", "accounts", "drift-trail.ndjson"), "--provisioner-account", "941377122013"}},
		{"scan with a baseline", "scan", []string{"scan", "--from", repoPath("testdata", "accounts", "compliant-drifted.json"), "--baseline", approved}},
		{"drift clean", "drift", []string{"drift", "--from", repoPath("testdata", "accounts", "compliant.json"), "--baseline", approved}},
	}
	for _, tc := range runs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runTest(t, append(tc.args, "-o", "json")...)
			if code == exitError && tc.kind != "scan" && tc.kind != "plan" && tc.kind != "org" && tc.kind != "drift" {
				t.Fatalf("exit 2: %s", stderr)
			}
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(stdout))
			if err != nil {
				t.Fatalf("output is not JSON: %v", err)
			}
			var head struct{ Kind string }
			if err := json.Unmarshal([]byte(stdout), &head); err != nil || head.Kind != tc.kind {
				t.Fatalf("kind %q, want %q (%v)", head.Kind, tc.kind, err)
			}
			if err := schemas[tc.kind].Validate(doc); err != nil {
				t.Errorf("%s output does not match %s:\n%v", tc.kind, schemaFor[tc.kind], err)
			}
		})
	}
}

// TestSchemasRejectWrongOutput: the schemas are strict enough to fail a
// report with a missing verdict, an unknown status or an extra field.
func TestSchemasRejectWrongOutput(t *testing.T) {
	t.Parallel()
	schemas := compileSchemas(t)
	_, stdout, _ := runTest(t, "scan", "--from", repoPath("testdata", "accounts", "compliant.json"), "-o", "json")
	mutations := map[string]func(m map[string]any){
		"no verdict":      func(m map[string]any) { delete(m, "verdict") },
		"unknown field":   func(m map[string]any) { m["surprise"] = 1 },
		"bad status":      func(m map[string]any) { m["findings"].([]any)[0].(map[string]any)["status"] = "OK" },
		"null findings":   func(m map[string]any) { m["findings"] = nil },
		"bad schema name": func(m map[string]any) { m["schema"] = "pvaudit.report/v1" },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var m map[string]any
			if err := json.Unmarshal([]byte(stdout), &m); err != nil {
				t.Fatal(err)
			}
			mutate(m)
			b, _ := json.Marshal(m)
			doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err := schemas["scan"].Validate(doc); err == nil {
				t.Error("the mutated report validates")
			}
		})
	}
}
