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

func report(gaps []inventory.Gap, fs ...finding.Finding) *ScanReport {
	return &ScanReport{
		Header:  Header{Schema: Schema, Kind: KindScan, Tool: "pvaudit", Command: "scan", Contract: "pennsieve", Account: &Account{ID: "481516234201", Source: "aws-cli"}},
		Outcome: NewOutcome(fs, len(gaps), finding.High), Summary: finding.Summarize(fs), CoverageGaps: gaps, Findings: fs}
}

func fnd(id string, st finding.Status, sev finding.Severity) finding.Finding {
	f := finding.Finding{CheckID: id, Status: st, Severity: sev, Resource: "arn:aws:iam::481516234201:role/" + id,
		Message: id + " message", Remediation: "fix " + id}
	f.Finalize()
	return f
}

func TestSummaryLine(t *testing.T) {
	t.Parallel()
	gap := []inventory.Gap{{Operation: "iam:ListRoles", Code: "AccessDenied", Message: "denied"}}
	tests := []struct {
		name string
		rep  *ScanReport
		want []string
	}{
		{"clean", report(nil, fnd("A", finding.Pass, finding.High)), []string{"Summary: clean", "1 checked", "1 pass"}},
		{"failed", report(nil, fnd("A", finding.Fail, finding.High), fnd("B", finding.Pass, finding.Low)), []string{"Summary: FAILED", "2 checked", "1 fail"}},
		{"fail below fail-on is clean and says so", report(nil, fnd("A", finding.Fail, finding.Medium)), []string{"Summary: clean", "1 fail (all below fail-on high)"}},
		{"incomplete-beats-failed", report(gap, fnd("A", finding.Fail, finding.High), fnd("B", finding.NotEvaluated, finding.High)),
			[]string{"Summary: INCOMPLETE", "1 not evaluated", "1 coverage gap(s)"}},
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

func TestScanTable(t *testing.T) {
	t.Parallel()
	supp := fnd("D", finding.Fail, finding.Critical)
	supp.Suppressed = &finding.Suppression{Reason: "accepted"}
	r := report([]inventory.Gap{{Operation: "iam:GetAccountAuthorizationDetails", Resource: "page 2", Code: "Throttling", Message: "gave up"}},
		fnd("A", finding.Pass, finding.High), fnd("B", finding.Fail, finding.Low), fnd("C", finding.Error, finding.Medium), supp)
	r.Trail = &TrailSummary{Sources: []string{"dir:AWSLogs"}, FilesRead: 3, Sessions: 1,
		ProviderCreated: []ProviderCreatedRole{{Role: "etl", Session: "ASIAX", Time: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), InAccount: false}}}
	var b bytes.Buffer
	if err := Write(&b, r, "table"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// Failing rows first, then errors; PASS rows are not listed without
	// ShowPass; suppressed findings have their own section.
	order := []string{"role/B  1 FAIL", "role/C  1 ERROR", "Suppressed (1)", "FAIL critical D on role/D: accepted"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order (want %v):\n%s", s, order, out)
		}
		last = i
	}
	for _, want := range []string{
		"iam:GetAccountAuthorizationDetails [page 2]: Throttling: gave up",
		"provider-created: etl (no longer in the account) by session ASIAX at 2026-11-20T09:00:00Z",
		"1 PASS not listed",
		"fix    fix B",
		"Summary: INCOMPLETE",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "role/A") {
		t.Error("a PASS row is listed without ShowPass")
	}
	b.Reset()
	if err := WriteOptions(&b, r, "table", Options{ShowPass: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "role/A  1 PASS") {
		t.Errorf("ShowPass does not list the PASS row:\n%s", b.String())
	}
}

func TestAcceptedGapShown(t *testing.T) {
	t.Parallel()
	e := fnd("PV-XAR-004", finding.Error, finding.Medium)
	e.Suppressed = &finding.Suppression{Reason: "ticket PN-1", Expires: "2027-01-31"}
	r := report(nil, e)
	var b bytes.Buffer
	if err := Write(&b, r, "table"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Accepted gaps", "ERROR PV-XAR-004 on role/PV-XAR-004: ticket PN-1, until 2027-01-31", "Summary: INCOMPLETE", "accepted gaps, still incomplete"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestJSONNeverNull(t *testing.T) {
	t.Parallel()
	for _, r := range []Report{
		&ScanReport{Header: Header{Kind: KindScan}},
		&ProbeReport{Header: Header{Kind: KindProbe}},
		&TrailReport{Header: Header{Kind: KindTrailSessions}},
		&RolesReport{Header: Header{Kind: KindRoles}},
		&SimulateReport{Header: Header{Kind: KindSimulate}},
		&ChecksReport{Header: Header{Kind: KindChecks}},
	} {
		t.Run(string(r.Head().Kind), func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := Write(&b, r, "json"); err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			for k, v := range doc {
				if v == nil {
					t.Errorf("%s is null", k)
				}
			}
			if _, ok := doc["trail"]; ok {
				t.Error("trail present without a replay")
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	for _, k := range Kinds() {
		for _, f := range []string{"table", "JSON", "json"} {
			if _, err := Lookup(k, f); err != nil {
				t.Errorf("Lookup(%s, %q): %v", k, f, err)
			}
		}
	}
	if _, err := Lookup(KindScan, "xml"); err == nil || !strings.Contains(err.Error(), "table") {
		t.Errorf("Lookup(scan, xml) = %v, want an error listing the formats", err)
	}
}
