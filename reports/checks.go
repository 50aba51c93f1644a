package reports

import (
	"io"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/rules"
)

// ChecksReport is `pvaudit checks list`: every rule of the registry.
type ChecksReport struct {
	Header
	Checks []CheckInfo `json:"checks"`
}

// CheckInfo is one rule as `checks list` shows it.
type CheckInfo struct {
	rules.Rule
	// Severities lists every severity the rule can emit, highest first;
	// SeverityText says when, for people.
	Severities   []finding.Severity `json:"severities"`
	SeverityText string             `json:"severity_text"`
}

// NewCheckInfo describes a rule.
func NewCheckInfo(r rules.Rule) CheckInfo {
	return CheckInfo{Rule: r, Severities: r.Severities(), SeverityText: r.SeverityText()}
}

func (r *ChecksReport) normalizeJSON() {
	r.Checks = nonNil(r.Checks)
	for i := range r.Checks {
		r.Checks[i].Controls = nonNil(r.Checks[i].Controls)
	}
}

func writeChecksTable(w io.Writer, rep Report, o Options) error {
	r := rep.(*ChecksReport)
	t := newTable(w, o.width(), "ID", "SOURCE", "SEVERITY", "TITLE", "CONTROLS")
	for _, c := range r.Checks {
		ctl := make([]string, 0, len(c.Controls))
		for _, x := range c.Controls {
			ctl = append(ctl, x.String())
		}
		if err := t.Append([]string{c.ID, c.Source, c.SeverityText, c.Title, strings.Join(ctl, " ")}); err != nil {
			return err
		}
	}
	return t.Render()
}
