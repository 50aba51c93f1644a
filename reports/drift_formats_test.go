package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
)

// sampleDrift is the README's drift example: compliant.json approved,
// compliant-drifted.json now, attributed to drift-trail.ndjson.
func sampleDrift(t *testing.T) *reports.DriftReport {
	t.Helper()
	file := filepath.Join(t.TempDir(), "approved.json")
	run := testRun(t, "baseline save")
	run.Config.Contract.Parameters.ProvisionerAccountID = "941377122013"
	if _, err := audit.SaveBaseline(context.Background(), run, audit.SaveInput{Source: source(t, "compliant.json"), File: file}); err != nil {
		t.Fatal(err)
	}
	run = testRun(t, "drift")
	run.Config.Contract.Parameters.ProvisionerAccountID = "941377122013"
	rep, err := audit.Drift(context.Background(), run, audit.DriftInput{Source: source(t, "compliant-drifted.json"), Baseline: file,
		Trail: audit.TrailSources{Files: []string{filepath.Join("..", "testdata", "accounts", "drift-trail.ndjson")}}})
	if err != nil {
		t.Fatal(err)
	}
	rep.Baseline.File = "approved.json" // not the temporary path
	return rep
}

// TestDriftFormatGoldens: the drift report in every format against golden
// files, deterministic, with the baseline it was compared with named in
// the layouts for people.
func TestDriftFormatGoldens(t *testing.T) {
	t.Parallel()
	rep := sampleDrift(t)
	formats := reports.Formats(reports.KindDrift)
	for _, want := range []string{"asff", "csv", "html", "json", "junit", "markdown", "ocsf", "sarif", "table", "yaml"} {
		if !strings.Contains(strings.Join(formats, " "), want) {
			t.Errorf("drift has no %s format (formats: %v)", want, formats)
		}
	}
	for _, f := range formats {
		t.Run(f, func(t *testing.T) {
			a := render(t, rep, f, reports.Options{})
			b := render(t, rep, f, reports.Options{})
			if !bytes.Equal(a, b) {
				t.Fatal("two renderings differ")
			}
			golden(t, "drift-sample."+ext[f], a)
			switch f {
			case "table", "markdown", "html":
				for _, want := range []string{"approved.json", "DRIFT-004", "maria.chen", "INCOMPLETE"} {
					if !bytes.Contains(a, []byte(want)) {
						t.Errorf("%s lacks %q", f, want)
					}
				}
			}
		})
	}
	t.Run("html drift items", func(t *testing.T) {
		out := string(render(t, rep, "html", reports.Options{}))
		if !strings.Contains(out, "Drift items") || !strings.Contains(out, "now allows iam:PassRole on *") {
			t.Error("the HTML page has no drift item table with the effect on access")
		}
	})
}

// TestNoDriftOnlyWhenComplete: a drift report that lists no item says "no
// drift" only when the comparison was complete and nothing was filtered
// out; the JSON form never claims complete with a gap.
func TestNoDriftOnlyWhenComplete(t *testing.T) {
	t.Parallel()
	mk := func(fs []finding.Finding, gaps []inventory.Gap) *reports.DriftReport {
		return &reports.DriftReport{
			Header:  reports.Header{Schema: reports.Schema, Kind: reports.KindDrift, Tool: "pvaudit", Version: "t", GeneratedAt: testNow, Command: "drift", Account: &reports.Account{ID: "111122223333", Source: "live"}},
			Outcome: reports.NewOutcome(fs, len(gaps), finding.High), Summary: finding.Summarize(fs), CoverageGaps: gaps, Findings: fs,
			Baseline: reports.DriftBaseline{File: "approved.json", Complete: true, Signature: "unsigned"}}
	}
	gap := []inventory.Gap{{Operation: "iam:ListAccessKeys", Code: "AccessDenied", Message: "denied"}}
	low := []finding.Finding{{CheckID: "DRIFT-009", Severity: finding.Low, Status: finding.Fail, Resource: "arn:aws:iam::111122223333:role/x", Message: "tags changed"}}
	cases := []struct {
		name   string
		rep    reports.Report
		noSay  bool
		reason string
	}{
		{"complete and empty", mk(nil, nil), true, ""},
		{"a gap", mk(nil, gap), false, "INCOMPLETE"},
		{"filtered out", reports.ApplyFilter(mk(low, nil), reports.Filter{Severities: []finding.Severity{finding.Critical}}), false, "matches the filter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := string(render(t, tc.rep, "table", reports.Options{}))
			if got := strings.Contains(out, "No drift: the account matches the baseline."); got != tc.noSay {
				t.Errorf("says no drift: %v, want %v:\n%s", got, tc.noSay, out)
			}
			if !strings.Contains(out, tc.reason) {
				t.Errorf("lacks %q:\n%s", tc.reason, out)
			}
			var doc struct{ Complete bool }
			if err := json.Unmarshal(render(t, tc.rep, "json", reports.Options{}), &doc); err != nil {
				t.Fatal(err)
			}
			if tc.name == "a gap" && doc.Complete {
				t.Error("JSON says complete with a coverage gap")
			}
		})
	}
}

// TestScanNamesItsBaseline: scan --baseline says in every layout for
// people which baseline the drift findings are against.
func TestScanNamesItsBaseline(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "approved.json")
	if _, err := audit.SaveBaseline(context.Background(), testRun(t, "baseline save"), audit.SaveInput{Source: source(t, "compliant.json"), File: file}); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Scan(context.Background(), testRun(t, "scan"), audit.ScanInput{Source: source(t, "compliant-drifted.json"), Baseline: file})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Baseline == nil || !strings.Contains(strings.Join(rep.RulesEvaluated, " "), "DRIFT-004") {
		t.Fatalf("baseline %+v, rules %v", rep.Baseline, rep.RulesEvaluated)
	}
	for _, f := range []string{"table", "markdown", "html"} {
		out := string(render(t, rep, f, reports.Options{}))
		if !strings.Contains(out, file) || !strings.Contains(out, rep.Baseline.ContentSHA256) {
			t.Errorf("%s does not name the baseline %s (sha256 %s)", f, file, rep.Baseline.ContentSHA256)
		}
	}
}
