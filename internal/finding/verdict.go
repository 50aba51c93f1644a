package finding

import (
	"fmt"
	"strings"
)

// Outcome is the one answer of a run.
type Outcome string

// Outcomes. Incomplete beats Failed: a run that could not look everywhere
// cannot be called clean, and its failures are reported all the same.
const (
	Clean      Outcome = "clean"
	Failed     Outcome = "failed"
	Incomplete Outcome = "incomplete"
)

// AcceptedGap is an ERROR or NOT_EVALUATED finding that a suppression
// accepted: the risk is accepted, but the run still could not look, so it
// stays incomplete.
type AcceptedGap struct {
	CheckID     string `json:"check_id"`
	Resource    string `json:"resource"`
	Key         string `json:"key,omitempty"`
	Fingerprint string `json:"fingerprint"`
	Status      Status `json:"status"`
	Reason      string `json:"reason"`
	Expires     string `json:"expires,omitempty"`
}

// Verdict is what a run's findings and coverage gaps add up to. Every
// command decides its exit code and prints its summary line from this one
// value, so words and exit code cannot disagree.
type Verdict struct {
	Outcome Outcome  `json:"outcome"`
	FailOn  Severity `json:"fail_on"`
	// Failing counts unsuppressed FAILs at or above FailOn.
	Failing int `json:"failing"`
	// BelowFailOn counts unsuppressed FAILs below FailOn: reported, not
	// failing the run.
	BelowFailOn int `json:"below_fail_on"`
	// CoverageGaps counts what could not be read.
	CoverageGaps int `json:"coverage_gaps"`
	// Unevaluated counts unsuppressed ERROR and NOT_EVALUATED findings.
	Unevaluated int `json:"unevaluated"`
	// Accepted lists the suppressed ERROR/NOT_EVALUATED findings.
	Accepted []AcceptedGap `json:"accepted_gaps"`
	// Reasons says, for an incomplete run, why, in words.
	Reasons []string `json:"reasons,omitempty"`
}

// Decide computes the verdict of a run: incomplete when anything could
// not be read (coverageGaps) or evaluated — suppressed or not —, failed
// when an unsuppressed FAIL is at or above failOn, else clean. WARN never
// changes the outcome.
func Decide(fs []Finding, coverageGaps int, failOn Severity) Verdict {
	v := Verdict{FailOn: failOn, CoverageGaps: coverageGaps, Accepted: []AcceptedGap{}}
	for i := range fs {
		f := &fs[i]
		switch {
		case f.Incomplete() && f.Suppressed != nil:
			v.Accepted = append(v.Accepted, AcceptedGap{CheckID: f.CheckID, Resource: f.Resource, Key: f.Key, Fingerprint: f.Fingerprint,
				Status: f.Status, Reason: f.Suppressed.Reason, Expires: f.Suppressed.Expires})
		case f.Incomplete():
			v.Unevaluated++
		case f.Status == Fail && f.Suppressed == nil && f.Severity >= failOn:
			v.Failing++
		case f.Status == Fail && f.Suppressed == nil:
			v.BelowFailOn++
		}
	}
	if coverageGaps > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d coverage gap(s): input that could not be read", coverageGaps))
	}
	if v.Unevaluated > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d finding(s) could not be evaluated (ERROR or NOT_EVALUATED)", v.Unevaluated))
	}
	if n := len(v.Accepted); n > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d suppressed finding(s) could not be evaluated: a suppression accepts a risk, it does not make a gap evaluated", n))
	}
	switch {
	case len(v.Reasons) > 0:
		v.Outcome = Incomplete
	case v.Failing > 0:
		v.Outcome = Failed
	default:
		v.Outcome = Clean
	}
	return v
}

// Line is the one-line verdict printed under every report:
// "Summary: FAILED — 291 checked, 221 pass, 70 fail (62 at or above high), …".
func (v Verdict) Line(s Summary) string {
	word := map[Outcome]string{Clean: "clean", Failed: "FAILED", Incomplete: "INCOMPLETE"}[v.Outcome]
	fail := fmt.Sprintf("%d fail", s.Fail)
	switch {
	case s.Fail > 0 && v.BelowFailOn == s.Fail:
		fail += fmt.Sprintf(" (all below fail-on %s)", v.FailOn)
	case v.BelowFailOn > 0:
		fail += fmt.Sprintf(" (%d at or above %s)", v.Failing, v.FailOn)
	}
	parts := []string{
		fmt.Sprintf("%d checked", s.Total),
		fmt.Sprintf("%d pass", s.Pass),
		fail,
		fmt.Sprintf("%d warn", s.Warn),
		fmt.Sprintf("%d error", s.Error),
	}
	if s.NotEvaluated > 0 {
		parts = append(parts, fmt.Sprintf("%d not evaluated", s.NotEvaluated))
	}
	if s.Suppressed > 0 {
		p := fmt.Sprintf("%d suppressed", s.Suppressed)
		if n := len(v.Accepted); n > 0 {
			p += fmt.Sprintf(" (%d of them accepted gaps, still incomplete)", n)
		}
		parts = append(parts, p)
	}
	if v.CoverageGaps > 0 {
		parts = append(parts, fmt.Sprintf("%d coverage gap(s)", v.CoverageGaps))
	}
	return fmt.Sprintf("Summary: %s — %s (fail-on: %s)", word, strings.Join(parts, ", "), v.FailOn)
}
