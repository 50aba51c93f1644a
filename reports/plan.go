package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/provision"
)

// PlanReport is `pvaudit provision plan|apply|destroy` and `pvaudit
// account deregister`: the plan, resource by resource and call by call,
// and, once it ran, what each call did and what is left.
type PlanReport struct {
	Header
	Outcome
	// Operation is plan, apply, destroy or deregister.
	Operation string `json:"operation"`
	// DryRun: the operation only planned (destroy/deregister --dry-run).
	DryRun bool `json:"dry_run,omitempty"`
	// Node is the compute node a destroy removes.
	Node string          `json:"node,omitempty"`
	Plan *provision.Plan `json:"plan"`
	// Applied is what the calls did; absent when nothing ran.
	Applied *provision.Result `json:"applied,omitempty"`
	// Leftovers are the provider resources left in the account
	// (deregister and destroy).
	Leftovers    []provision.Leftover `json:"leftovers,omitempty"`
	CoverageGaps []inventory.Gap      `json:"coverage_gaps"`
}

// Result returns the verdict; a plan has no findings.
func (r *PlanReport) Result() (finding.Verdict, finding.Summary) { return r.Verdict, finding.Summary{} }

func (r *PlanReport) normalizeJSON() {
	r.CoverageGaps = nonNil(r.CoverageGaps)
	if r.Verdict.Accepted == nil {
		r.Verdict.Accepted = []finding.AcceptedGap{}
	}
	if r.Plan != nil {
		r.Plan.Changes = nonNil(r.Plan.Changes)
		r.Plan.Steps = nonNil(r.Plan.Steps)
	}
}

var actionMark = map[provision.Action]string{
	provision.ActCreate: "+", provision.ActUpdate: "~", provision.ActDelete: "-", provision.ActNoOp: " ",
	provision.ActLeftAlone: "=", provision.ActConflict: "!", provision.ActBlocked: "!", provision.ActUnverified: "?",
}

var detailMark = map[provision.Action]string{provision.ActCreate: "+ ", provision.ActUpdate: "~ ", provision.ActDelete: "- "}

func writePlanTable(w io.Writer, rep Report) error {
	r := rep.(*PlanReport)
	p := r.Plan
	what := r.Operation
	if r.DryRun {
		what += " (dry run)"
	}
	fmt.Fprintf(w, "pvaudit %s: account %s, contract %s%s\n\n", what, orUnknown(p.Account), p.Contract, configNote(r.Header))
	t := NewTable(w, "", "ACTION", "TYPE", "RESOURCE", "NODE", "WHAT")
	for _, ch := range p.Changes {
		var attrs []string
		for _, d := range ch.Details {
			attrs = append(attrs, detailMark[d.Action]+d.Attribute)
		}
		what := strings.Join(attrs, "\n")
		if ch.Reason != "" {
			what = strings.TrimSpace(what + "\n" + ch.Reason)
		}
		if err := t.Append([]string{actionMark[ch.Action], string(ch.Action), ch.Type, ch.Name, dash(ch.Node), what}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, ch := range p.Changes {
		for _, d := range ch.Details {
			if len(d.Diff) == 0 && (ch.Action != provision.ActUpdate || (d.Before == "" && d.After == "")) {
				continue
			}
			fmt.Fprintf(w, "\n~ %s %s: %s %s\n", ch.Type, ch.Name, d.Action, d.Attribute)
			for _, l := range d.Diff {
				fmt.Fprintf(w, "    %s\n", l)
			}
			if len(d.Diff) == 0 {
				fmt.Fprintf(w, "    - %s\n    + %s\n", dash(d.Before), dash(d.After))
			}
		}
	}
	if len(p.Steps) > 0 {
		fmt.Fprintf(w, "\nCalls, in order:\n")
		status := map[int]provision.StepResult{}
		if r.Applied != nil {
			for _, s := range r.Applied.Steps {
				status[s.Seq] = s
			}
		}
		for _, s := range p.Steps {
			line := fmt.Sprintf("  %3d  %-30s %s", s.Seq, s.Op, s.Target())
			if sr, ok := status[s.Seq]; ok {
				line = fmt.Sprintf("  %3d  %-8s %-30s %s", s.Seq, sr.Status, s.Op, s.Target())
				if sr.Attempts > 1 {
					line += fmt.Sprintf(" (%d attempts)", sr.Attempts)
				}
				if sr.Error != "" {
					line += "\n         " + sr.Error
				}
			}
			fmt.Fprintln(w, line)
		}
	}
	if len(r.Leftovers) == 0 && (r.Operation == "destroy" || r.Operation == "deregister") {
		fmt.Fprintf(w, "\nLeft in the account: no provider role or boundary policy.\n")
	}
	if len(r.Leftovers) > 0 {
		fmt.Fprintf(w, "\nLeft in the account:\n")
		for _, l := range r.Leftovers {
			m := "not managed by pvaudit"
			if l.Managed {
				m = "managed by pvaudit"
			}
			node := ""
			if l.Node != "" {
				node = ", node " + l.Node
			}
			fmt.Fprintf(w, "  %-18s %s (%s%s)\n", l.Kind, l.Name, m, node)
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "\nNote: %s\n", n)
	}
	writeGaps(w, r.CoverageGaps)
	c := p.Counts()
	fmt.Fprintf(w, "\n%s: %d to create, %d to update, %d to delete, %d unchanged, %d left alone, %d conflict(s), %d blocked",
		planWord(r), c.Create, c.Update, c.Delete, c.NoOp, c.LeftAlone+c.Unverified, c.Conflict, c.Blocked)
	if a := r.Applied; a != nil {
		fmt.Fprintf(w, "; %d call(s) done, %d failed, %d not run", a.Done, a.Failed, a.NotRun)
	}
	fmt.Fprintln(w, ".")
	if p.Refused != "" {
		fmt.Fprintf(w, "Refused: %s\n", p.Refused)
	}
	for _, reason := range r.Verdict.Reasons {
		if !strings.HasPrefix(reason, "refused: ") {
			fmt.Fprintf(w, "Incomplete: %s\n", reason)
		}
	}
	return nil
}

func planWord(r *PlanReport) string {
	switch {
	case r.Applied != nil && r.Applied.Complete:
		return "Applied"
	case r.Applied != nil:
		return "STOPPED"
	}
	return "Plan"
}
