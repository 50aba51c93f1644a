package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/rules/controls"
)

// ControlsReport is `pvaudit controls list`: every control of a framework
// that pvaudit's rules evidence, the rules, and — when a scan ran — what
// they found. It is the control matrix of an evidence bundle too.
type ControlsReport struct {
	Header
	// Outcome is present when a scan ran (the controls' statuses come from
	// it); absent for the catalogue only.
	*Outcome
	Framework FrameworkInfo           `json:"framework"`
	Summary   map[controls.Status]int `json:"summary"`
	Controls  []controls.Row          `json:"controls"`
}

// FrameworkInfo names a framework.
type FrameworkInfo struct {
	ID    string `json:"id"`
	Key   string `json:"key"`
	Title string `json:"title"`
}

// Result returns the scan's verdict, or clean for the catalogue only.
func (r *ControlsReport) Result() (finding.Verdict, finding.Summary) {
	if r.Outcome == nil {
		return finding.Verdict{Outcome: finding.Clean, Accepted: []finding.AcceptedGap{}}, finding.Summary{}
	}
	return r.Verdict, finding.Summary{}
}

func (r *ControlsReport) normalizeJSON() {
	r.Controls = nonNil(r.Controls)
	if r.Summary == nil {
		r.Summary = map[controls.Status]int{}
	}
	for i := range r.Controls {
		r.Controls[i].Rules = nonNil(r.Controls[i].Rules)
	}
	if r.Outcome != nil && r.Verdict.Accepted == nil {
		r.Verdict.Accepted = []finding.AcceptedGap{}
	}
}

// ruleCell lists a row's rules with their statuses.
func ruleCell(row controls.Row, sep string) string {
	parts := make([]string, len(row.Rules))
	for i, r := range row.Rules {
		parts[i] = r.ID
		if r.Status != controls.NotAssessed {
			parts[i] += " " + string(r.Status)
		}
	}
	return strings.Join(parts, sep)
}

func writeControlsTable(w io.Writer, rep Report, o Options) error {
	r := rep.(*ControlsReport)
	fmt.Fprintf(w, "%s: %d control(s) evidenced by pvaudit's rules\n\n", r.Framework.Title, len(r.Controls))
	assessed := r.Outcome != nil
	heads := []string{"CONTROL", "TITLE", "RULES"}
	if assessed {
		heads = []string{"CONTROL", "TITLE", "STATUS", "RULES"}
	}
	t := newTable(w, o.width(), heads...)
	for _, row := range r.Controls {
		cells := []string{row.ID, row.Title, ruleCell(row, "\n")}
		if assessed {
			st := string(row.Status)
			if len(row.Reasons) > 0 {
				st += "\n(" + strings.Join(row.Reasons, "; ") + ")"
			}
			cells = []string{row.ID, row.Title, st, ruleCell(row, "\n")}
		}
		if err := t.Append(cells); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if !assessed {
		_, err := fmt.Fprintln(w, "\nNo scan ran: give --from FILE (or AWS flags) to see each control's status.")
		return err
	}
	var parts []string
	for _, s := range []controls.Status{controls.Fail, controls.NotEvaluated, controls.Accepted, controls.Warn, controls.Pass, controls.NotApplicable, controls.NotAssessed} {
		if n := r.Summary[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	_, err := fmt.Fprintf(w, "\nControls: %s. A control is PASS only when every rule mapped to it ran, without coverage gaps, and found nothing wrong.\n", strings.Join(parts, ", "))
	return err
}

func writeControlsCSV(w io.Writer, rep Report) error {
	r := rep.(*ControlsReport)
	c := newCSV(w)
	c.row("framework", "control", "title", "status", "reasons", "rule", "rule_title", "rule_status", "pass", "fail", "warn", "error", "not_evaluated", "suppressed", "evidence_files")
	for _, row := range r.Controls {
		for _, x := range row.Rules {
			c.row(row.Framework, row.ID, row.Title, string(row.Status), strings.Join(row.Reasons, "; "), x.ID, x.Title, string(x.Status),
				fmt.Sprint(x.Pass), fmt.Sprint(x.Fail), fmt.Sprint(x.Warn), fmt.Sprint(x.Error), fmt.Sprint(x.NotEvaluated), fmt.Sprint(x.Suppressed),
				strings.Join(row.Evidence, " "))
		}
	}
	return c.done()
}

// mdControls is the control matrix in Markdown.
func mdControls(b *strings.Builder, r *ControlsReport) {
	fmt.Fprintf(b, "## %s\n\n", mdText(r.Framework.Title))
	mdTable(b, []string{"Control", "Title", "Status", "Rules", "Evidence"}, func(add func(...string)) {
		for _, row := range r.Controls {
			st := string(row.Status)
			if len(row.Reasons) > 0 {
				st += " (" + strings.Join(row.Reasons, "; ") + ")"
			}
			add(row.ID, row.Title, st, ruleCell(row, ", "), strings.Join(row.Evidence, ", "))
		}
	})
}
