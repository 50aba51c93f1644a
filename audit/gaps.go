package audit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/rules"
)

// fieldGaps are the operations whose failure leaves one field unknown and
// marks it so in the snapshot, where the checks reading it see it: a
// MaxSessionDuration of 0 (iam:ListRoles), AccessKeys nil
// (iam:ListAccessKeys). Every other gap — the authorization details not
// read or read in part, a document that could not be parsed, the caller
// unknown — may hide a role, a policy or a statement from any check.
var fieldGaps = map[string]bool{"iam:ListRoles": true, "iam:ListAccessKeys": true}

// unreadReason says which gaps of the snapshot may hide what a check reads
// ("" when none do).
func unreadReason(gaps []inventory.Gap) string {
	var ops []string
	seen := map[string]bool{}
	for _, g := range gaps {
		if fieldGaps[g.Operation] {
			continue
		}
		what := g.Operation
		if g.Code != "" {
			what += " (" + g.Code + ")"
		}
		if !seen[what] {
			seen[what] = true
			ops = append(ops, what)
		}
	}
	if len(ops) == 0 {
		return ""
	}
	sort.Strings(ops)
	return "the account was not read completely: " + strings.Join(ops, ", ") + " failed"
}

// failClosedOnGaps turns every PASS of a check over the snapshot (the
// catalogue and the probes) into NOT_EVALUATED when the snapshot may lack
// what the check reads: a check that found nothing wrong in a partial role
// list has not shown that nothing is wrong. FAIL and WARN stand: what was
// read is wrong whatever else exists.
func failClosedOnGaps(fs []finding.Finding, gaps []inventory.Gap, reg *rules.Registry) {
	why := unreadReason(gaps)
	if why == "" {
		return
	}
	for i := range fs {
		f := &fs[i]
		if f.Status != finding.Pass {
			continue
		}
		switch reg.Source(f.CheckID) {
		case rules.SourceCatalogue, rules.SourceProbe:
		default:
			continue
		}
		ev := map[string]any{"would_pass_on_what_was_read": f.Message, "coverage_gaps": why}
		for k, v := range f.Evidence {
			ev[k] = v
		}
		f.Status = finding.NotEvaluated
		f.Message = fmt.Sprintf("not evaluated: %s (on what was read: %s)", why, f.Message)
		f.Evidence = ev
		f.Remediation = "Give the scanning principal what `pvaudit iam-policy --for scan` prints, then scan again."
	}
}

// failClosedProbeRows does the same for probe rows: a row that passes on
// a partial snapshot is NOT_EVALUATED.
func failClosedProbeRows(rs []probes.Result, gaps []inventory.Gap) {
	if unreadReason(gaps) == "" {
		return
	}
	for i := range rs {
		if rs[i].Verdict == probes.Pass {
			rs[i].Verdict = probes.NotEvaluated
		}
	}
}
