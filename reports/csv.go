package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// csvWriter writes RFC 4180 CSV. A cell that a spreadsheet would run as a
// formula (it starts with = + - @, a tab or a carriage return: IAM names
// may start with + = - @) gets a leading apostrophe.
type csvWriter struct{ w *csv.Writer }

func newCSV(w io.Writer) *csvWriter { return &csvWriter{w: csv.NewWriter(w)} }

func (c *csvWriter) row(cells ...string) {
	out := make([]string, len(cells))
	for i, s := range cells {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			s = "'" + s
		}
		out[i] = s
	}
	_ = c.w.Write(out) // the error is kept by the csv.Writer and returned by done
}

func (c *csvWriter) done() error {
	c.w.Flush()
	return c.w.Error()
}

// writeFindingsCSV writes one row per finding, every finding of the report
// (PASS included), with the fix filled in and the evidence as JSON.
func writeFindingsCSV(w io.Writer, rep Report) error {
	r := rep.(FindingReport)
	c := newCSV(w)
	c.row("account", "check_id", "title", "severity", "status", "suppressed", "suppression_reason", "suppression_expires",
		"resource", "key", "message", "remediation", "controls", "fingerprint", "evidence")
	acct := ""
	if a := r.Head().Account; a != nil {
		acct = a.ID
	}
	for i := range r.FindingList() {
		f := &r.FindingList()[i]
		sup, reason, exp := "false", "", ""
		if f.Suppressed != nil {
			sup, reason, exp = "true", f.Suppressed.Reason, f.Suppressed.Expires
		}
		ev := ""
		if len(f.Evidence) > 0 {
			b, err := json.Marshal(f.Evidence)
			if err != nil {
				return fmt.Errorf("csv: evidence of %s: %w", f.Fingerprint, err)
			}
			ev = string(b)
		}
		c.row(acct, f.CheckID, f.Title, f.Severity.String(), string(f.Status), sup, reason, exp,
			f.Resource, f.Key, f.Message, Fix(f), controlList(f.Controls), f.Fingerprint, ev)
	}
	// What could not be read is a row too: a list of findings alone would
	// read as complete.
	for _, g := range r.Gaps() {
		c.row(acct, "", "Coverage gap: could not read", "", string(finding.Error), "false", "", "", firstNonEmpty(g.Resource, g.Operation), g.Operation, gapText(g), "", "", "", "")
	}
	return c.done()
}

func controlList(cs []finding.Control) string {
	s := make([]string, len(cs))
	for i, x := range cs {
		s[i] = x.String()
	}
	return strings.Join(s, " ")
}

func writeRolesCSV(w io.Writer, rep Report) error {
	r := rep.(*RolesReport)
	c := newCSV(w)
	c.row("name", "arn", "kind", "node_id", "reasons", "boundary", "boundary_foreign", "trusted_principals", "last_used", "max_session_duration")
	for _, x := range r.Roles {
		c.row(x.Name, x.ARN, x.Kind, x.NodeID, strings.Join(x.Reasons, "; "), x.Boundary, fmt.Sprint(x.BoundaryForeign),
			strings.Join(x.Trusted, " "), x.LastUsed, fmt.Sprint(x.MaxSessionDuration))
	}
	for _, g := range r.CoverageGaps {
		c.row("(coverage gap)", "", "", "", gapText(g))
	}
	return c.done()
}

func writeChecksCSV(w io.Writer, rep Report) error {
	r := rep.(*ChecksReport)
	c := newCSV(w)
	c.row("id", "source", "title", "severity", "severities", "remediation", "controls")
	for _, x := range r.Checks {
		sev := make([]string, len(x.Severities))
		for i, s := range x.Severities {
			sev[i] = s.String()
		}
		c.row(x.ID, x.Source, x.Title, x.Severity.String(), strings.Join(sev, " "), x.Remediation, controlList(x.Controls))
	}
	return c.done()
}

func writeSimulateCSV(w io.Writer, rep Report) error {
	r := rep.(*SimulateReport)
	c := newCSV(w)
	c.row("principal", "action", "resource", "decision", "decided_by")
	for _, d := range r.Results {
		p := d.Principal
		if p == "" {
			p = r.Principal
		}
		c.row(p, d.Action, d.Resource, d.Decision, d.DecidedBy())
	}
	return c.done()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
