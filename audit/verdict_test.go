package audit

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/suppress"
)

func repo(parts ...string) string { return filepath.Join(append([]string{".."}, parts...)...) }

func mustContract(t *testing.T, name string, p contract.Parameters) *contract.Contract {
	t.Helper()
	c, err := contract.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	c.Parameters = c.Parameters.Merge(p)
	return c
}

func source(t *testing.T, parts ...string) Source {
	t.Helper()
	p := repo(parts...)
	snap, raw, err := inventory.ReadFileRaw(p)
	if err != nil {
		t.Fatal(err)
	}
	return Source{Snapshot: snap, Input: p, Raw: raw}
}

// pipeline runs one of the judged pipelines and returns its findings and
// verdict.
type pipeline func(t *testing.T, r *Run) ([]finding.Finding, finding.Verdict)

func scanOf(parts ...string) pipeline { return scanChecks(nil, parts...) }

func scanChecks(ids []string, parts ...string) pipeline {
	return func(t *testing.T, r *Run) ([]finding.Finding, finding.Verdict) {
		rep, err := Scan(context.Background(), r, ScanInput{Source: source(t, parts...), Checks: ids})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Findings, rep.Verdict
	}
}

func probeOf(parts ...string) pipeline {
	return func(t *testing.T, r *Run) ([]finding.Finding, finding.Verdict) {
		src := source(t, parts...)
		rep, err := Probe(context.Background(), r, ProbeInput{Source: src, Engine: "local", Local: true})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Findings, rep.Verdict
	}
}

func trailOf(files ...string) pipeline {
	return func(t *testing.T, r *Run) ([]finding.Finding, finding.Verdict) {
		var paths []string
		for _, f := range files {
			paths = append(paths, repo("testdata", "trail", f))
		}
		rep, err := Sessions(context.Background(), r, ReplayInput{Sources: TrailSources{Files: paths, LookupRate: 2}})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Findings, rep.Verdict
	}
}

// suppressing writes a suppression file for the findings of one status.
func suppressing(t *testing.T, fs []finding.Finding, status finding.Status, expires string) (*suppress.File, int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("suppressions:\n")
	n := 0
	for _, f := range fs {
		if f.Status == status {
			fmt.Fprintf(&b, "  - fingerprint: %s\n    reason: accepted for the test\n    expires: %s\n", f.Fingerprint, expires)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no %s finding to suppress", status)
	}
	sf, err := suppress.Parse([]byte(b.String()), "test-suppressions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sf, n
}

var testClock = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }

// TestSuppressionNeverMakesAGapClean: for scan, probe and trail alike, a
// suppressed ERROR or NOT_EVALUATED is an accepted gap — the run stays
// incomplete —, a suppressed FAIL no longer fails the run, and an expired
// suppression suppresses nothing.
func TestSuppressionNeverMakesAGapClean(t *testing.T) {
	t.Parallel()
	unknown := []string{"testdata", "checks", "PV-XAR-004", "fire-unknown-duration.json"}
	sample := []string{"testdata", "accounts", "sample.json"}
	pennsieve := func(t *testing.T) *contract.Contract { return mustContract(t, "pennsieve", contract.Parameters{}) }
	trailed := func(t *testing.T) *contract.Contract {
		return mustContract(t, "pennsieve", contract.Parameters{ProvisionerAccountID: "999988887777"})
	}
	tests := []struct {
		name     string
		run      pipeline
		contract func(*testing.T) *contract.Contract
		status   finding.Status
		expires  string
		want     finding.Outcome
	}{
		{"scan/suppressed ERROR", scanOf(unknown...), pennsieve, finding.Error, "2027-01-31", finding.Incomplete},
		{"scan/suppressed NOT_EVALUATED", scanOf(unknown...), pennsieve, finding.NotEvaluated, "2027-01-31", finding.Incomplete},
		{"scan/suppressed FAIL", scanOf(sample...), pennsieve, finding.Fail, "2027-01-31", finding.Clean},
		{"scan/expired suppression", scanOf(sample...), pennsieve, finding.Fail, "2026-11-22", finding.Failed},
		{"probe/suppressed NOT_EVALUATED", probeOf(unknown...), pennsieve, finding.NotEvaluated, "2027-01-31", finding.Incomplete},
		{"probe/suppressed FAIL", probeOf(sample...), pennsieve, finding.Fail, "2027-01-31", finding.Clean},
		{"probe/expired suppression", probeOf(sample...), pennsieve, finding.Fail, "2026-11-22", finding.Failed},
		{"trail/suppressed NOT_EVALUATED", trailOf("messy.ndjson"), pennsieve, finding.NotEvaluated, "2027-01-31", finding.Incomplete},
		{"trail/suppressed ERROR", trailOf("damaged.ndjson"), trailed, finding.Error, "2027-01-31", finding.Incomplete},
		{"trail/suppressed FAIL", trailOf("messy.ndjson"), trailed, finding.Fail, "2027-01-31", finding.Clean},
		{"trail/expired suppression", trailOf("messy.ndjson"), trailed, finding.Fail, "2026-11-22", finding.Failed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Run{Now: testClock, Config: &config.Resolved{Contract: tc.contract(t)}, FailOn: finding.High}
			fs, _ := tc.run(t, r)
			sf, n := suppressing(t, fs, tc.status, tc.expires)
			r.Config.Suppressions = sf
			fs, v := tc.run(t, r)
			if v.Outcome != tc.want {
				t.Errorf("outcome %s with %d %s finding(s) suppressed until %s, want %s (reasons %v)", v.Outcome, n, tc.status, tc.expires, tc.want, v.Reasons)
			}
			if tc.status == finding.Error || tc.status == finding.NotEvaluated {
				if len(v.Accepted) != n {
					t.Errorf("%d accepted gap(s) listed, want %d", len(v.Accepted), n)
				}
			}
			if tc.expires < "2026-11-23" {
				for _, f := range fs {
					if f.Suppressed != nil {
						t.Errorf("%s %s suppressed by an expired rule", f.CheckID, f.Resource)
					}
				}
			}
		})
	}
}

// TestFailOnEachSeverity: for scan, probe and trail, --fail-on at each
// severity fails the run exactly when some unsuppressed FAIL is at or above
// it.
func TestFailOnEachSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		run      pipeline
		contract contract.Parameters
	}{
		{"scan", scanChecks([]string{"PV-XAR-004", "PV-XAR-001"}, "testdata", "checks", "PV-XAR-004", "fire-twelve-hours.json"), contract.Parameters{}},
		{"probe", probeOf("testdata", "accounts", "sample.json"), contract.Parameters{}},
		{"trail", trailOf("messy.ndjson"), contract.Parameters{ProvisionerAccountID: "999988887777"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seen := map[finding.Outcome]bool{}
			for failOn := finding.Info; failOn <= finding.Critical; failOn++ {
				r := &Run{Now: testClock, Config: &config.Resolved{Contract: mustContract(t, "pennsieve", tc.contract)}, FailOn: failOn}
				fs, v := tc.run(t, r)
				want := finding.Clean
				for _, f := range fs {
					if f.Incomplete() {
						want = finding.Incomplete
						break
					}
					if f.Status == finding.Fail && f.Severity >= failOn {
						want = finding.Failed
					}
				}
				if v.Outcome != want {
					t.Errorf("fail-on %s: outcome %s, want %s", failOn, v.Outcome, want)
				}
				seen[v.Outcome] = true
			}
			if !seen[finding.Failed] || !seen[finding.Clean] {
				t.Errorf("outcomes over the five fail-on levels: %v; the fixture must both fail and pass for the test to mean anything", seen)
			}
		})
	}
}
