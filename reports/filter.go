package reports

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// FindingReport is a judged report that carries findings: scan, probe,
// trail sessions, one session (and drift). Every finding format (csv,
// junit, sarif, markdown, html, ocsf, asff) works on this interface, so a
// new kind gets them all by implementing it.
type FindingReport interface {
	Judged
	// FindingList returns the report's findings (not a copy).
	FindingList() []finding.Finding
	// Gaps returns what could not be read.
	Gaps() []inventory.Gap
	// withFindings returns a shallow copy of the report with other
	// findings (the verdict and the counts are kept).
	withFindings(fs []finding.Finding) FindingReport
}

// FindingList returns the scan's findings.
func (r *ScanReport) FindingList() []finding.Finding { return r.Findings }

// Gaps returns the scan's coverage gaps.
func (r *ScanReport) Gaps() []inventory.Gap { return r.CoverageGaps }

func (r *ScanReport) withFindings(fs []finding.Finding) FindingReport {
	c := *r
	c.Findings = fs
	return &c
}

// FindingList returns the probe findings.
func (r *ProbeReport) FindingList() []finding.Finding { return r.Findings }

// Gaps returns the snapshot's coverage gaps.
func (r *ProbeReport) Gaps() []inventory.Gap { return r.CoverageGaps }

func (r *ProbeReport) withFindings(fs []finding.Finding) FindingReport {
	c := *r
	c.Findings = fs
	return &c
}

// FindingList returns the session findings.
func (r *TrailReport) FindingList() []finding.Finding { return r.Findings }

// Gaps returns the trail's coverage gaps.
func (r *TrailReport) Gaps() []inventory.Gap { return r.CoverageGaps }

func (r *TrailReport) withFindings(fs []finding.Finding) FindingReport {
	c := *r
	c.Findings = fs
	return &c
}

// Filter keeps findings of some severities and statuses (--severity,
// --status). It changes what is listed, never the verdict: a report keeps
// the verdict and the counts of every finding its run produced.
type Filter struct {
	Severities []finding.Severity
	Statuses   []finding.Status
}

// Empty reports whether the filter keeps everything.
func (f Filter) Empty() bool { return len(f.Severities) == 0 && len(f.Statuses) == 0 }

// Keeps reports whether a finding passes the filter.
func (f Filter) Keeps(x *finding.Finding) bool {
	if len(f.Severities) > 0 && !slices.Contains(f.Severities, x.Severity) {
		return false
	}
	if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, x.Status) {
		return false
	}
	return true
}

// WantsPass reports whether the filter names PASS explicitly.
func (f Filter) WantsPass() bool { return slices.Contains(f.Statuses, finding.Pass) }

// String describes the filter for the reports that show it.
func (f Filter) String() string {
	var parts []string
	if len(f.Severities) > 0 {
		s := make([]string, len(f.Severities))
		for i, v := range f.Severities {
			s[i] = v.String()
		}
		parts = append(parts, "severity "+strings.Join(s, ","))
	}
	if len(f.Statuses) > 0 {
		s := make([]string, len(f.Statuses))
		for i, v := range f.Statuses {
			s[i] = string(v)
		}
		parts = append(parts, "status "+strings.Join(s, ","))
	}
	return strings.Join(parts, "; ")
}

// ParseStatus reads a status name (case-insensitive; NOT_EVALUATED also
// as not-evaluated).
func ParseStatus(s string) (finding.Status, error) {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	for _, st := range []finding.Status{finding.Pass, finding.Fail, finding.Warn, finding.Error, finding.NotEvaluated} {
		if n == string(st) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown status %q (want PASS, FAIL, WARN, ERROR or NOT_EVALUATED)", s)
}

// ApplyFilter returns r with only the findings f keeps; reports without
// findings are returned as they are. The verdict, the summary counts and
// the exit code stay those of the whole run.
func ApplyFilter(r Report, f Filter) Report {
	fr, ok := r.(FindingReport)
	if !ok || f.Empty() {
		return r
	}
	var kept []finding.Finding
	for _, x := range fr.FindingList() {
		if f.Keeps(&x) {
			kept = append(kept, x)
		}
	}
	out := fr.withFindings(kept)
	h := out.Head()
	h.Filter = f.String()
	h.all = fr.FindingList()
	return out
}
