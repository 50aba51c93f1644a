package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

func report(fs ...finding.Finding) *Report {
	return &Report{Schema: SchemaVersion, Tool: "pvaudit", Command: "scan", Contract: "pennsieve",
		Account: Account{ID: "481516234201", Source: "aws-cli"}, Complete: true, FailOn: "high",
		Summary: finding.Summarize(fs), Findings: fs}
}

func fnd(id string, st finding.Status, sev finding.Severity) finding.Finding {
	f := finding.Finding{CheckID: id, Status: st, Severity: sev, Resource: "arn:aws:iam::481516234201:role/" + id,
		Message: id + " message", Remediation: "fix " + id}
	f.Finalize()
	return f
}

func TestSummaryLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rep  *Report
		want []string
	}{
		{"clean", report(fnd("A", finding.Pass, finding.High)), []string{"Summary: clean", "1 checked", "1 pass"}},
		{"failed", report(fnd("A", finding.Fail, finding.High), fnd("B", finding.Pass, finding.Low)), []string{"Summary: FAILED", "2 checked", "1 fail"}},
		{"incomplete-beats-failed", func() *Report {
			r := report(fnd("A", finding.Fail, finding.High), fnd("B", finding.NotEvaluated, finding.High))
			r.Complete = false
			r.CoverageGaps = []inventory.Gap{{Operation: "iam:ListRoles", Code: "AccessDenied", Message: "denied"}}
			return r
		}(), []string{"Summary: INCOMPLETE", "1 not evaluated", "1 coverage gap(s)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := SummaryLine(tc.rep)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
		})
	}
}

func TestTableWriter(t *testing.T) {
	t.Parallel()
	supp := fnd("D", finding.Fail, finding.Critical)
	supp.Suppressed = &finding.Suppression{Reason: "accepted"}
	r := report(fnd("A", finding.Pass, finding.High), fnd("B", finding.Fail, finding.Low), fnd("C", finding.Error, finding.Medium), supp)
	r.Complete = false
	r.CoverageGaps = []inventory.Gap{{Operation: "iam:GetAccountAuthorizationDetails", Resource: "page 2", Code: "Throttling", Message: "gave up"}}
	r.Trail = &TrailSummary{Sources: []string{"dir:AWSLogs"}, FilesRead: 3, Sessions: 1,
		ProviderCreated: []ProviderCreatedRole{{Role: "etl", Session: "ASIAX", Time: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), InAccount: false}}}
	var b bytes.Buffer
	if err := (tableWriter{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// Failing rows first, then errors, then passes; suppressed last.
	order := []string{"role/B", "role/C", "role/A", "role/D"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < 0 || i < last {
			t.Fatalf("row %s missing or out of order (want %v):\n%s", s, order, out)
		}
		last = i
	}
	for _, want := range []string{
		"FAIL (suppressed)",
		"iam:GetAccountAuthorizationDetails [page 2]: Throttling: gave up",
		"provider-created: etl (no longer in the account) by session ASIAX at 2026-11-20T09:00:00Z",
		"B  fix B", "C  fix C",
		"Summary: INCOMPLETE",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "A  fix A") {
		t.Error("a PASS row's remediation is listed under How to fix")
	}
}

func TestJSONWriterNeverNull(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := (jsonWriter{}).Write(&b, &Report{Schema: SchemaVersion}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"findings", "coverage_gaps"} {
		if _, ok := doc[k].([]any); !ok {
			t.Errorf("%s = %v, want an array", k, doc[k])
		}
	}
	if _, ok := doc["trail"]; ok {
		t.Error("trail present without a replay")
	}
}

func TestForFormat(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"table", "JSON", "json"} {
		if _, err := ForFormat(name); err != nil {
			t.Errorf("ForFormat(%q): %v", name, err)
		}
	}
	if _, err := ForFormat("xml"); err == nil || !strings.Contains(err.Error(), "table") {
		t.Errorf("ForFormat(xml) = %v, want an error listing the formats", err)
	}
}
