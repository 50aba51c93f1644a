package reports

import (
	"encoding/json"
	"io"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// jsonReady is implemented by reports that must fill nil slices before
// they are written, so consumers can iterate without checks.
type jsonReady interface {
	normalizeJSON()
}

// writeJSON renders any report as indented JSON (no HTML escaping: ARNs
// and policy text stay readable).
func writeJSON(w io.Writer, r Report) error {
	if n, ok := r.(jsonReady); ok {
		n.normalizeJSON()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func (r *ScanReport) normalizeJSON() {
	r.Findings = nonNil(r.Findings)
	r.CoverageGaps = nonNil(r.CoverageGaps)
	r.Roles = nonNil(r.Roles)
	r.RulesEvaluated = nonNil(r.RulesEvaluated)
	if r.Verdict.Accepted == nil {
		r.Verdict.Accepted = []finding.AcceptedGap{}
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
