package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// ScanReport is what `pvaudit scan` produced.
type ScanReport struct {
	Header
	Outcome
	Summary      finding.Summary `json:"summary"`
	CoverageGaps []inventory.Gap `json:"coverage_gaps"`
	Roles        []RoleSummary   `json:"roles"`
	// Trail is present when the scan replayed CloudTrail (--trail-*).
	Trail *TrailSummary `json:"trail,omitempty"`
	// Baseline is present when the scan compared with one (--baseline):
	// the drift findings are among Findings.
	Baseline *DriftBaseline    `json:"baseline,omitempty"`
	Findings []finding.Finding `json:"findings"`
}

// Result returns the verdict and the counts.
func (r *ScanReport) Result() (finding.Verdict, finding.Summary) { return r.Verdict, r.Summary }

// TrailSummary says what CloudTrail replay added to a scan.
type TrailSummary struct {
	Sources        []string `json:"sources"`
	FilesRead      int      `json:"files_read"`
	FilesUnread    int      `json:"files_unread"`
	Undecodable    int64    `json:"undecodable_records"`
	LookupRequests int      `json:"lookup_requests,omitempty"`
	Sessions       int      `json:"sessions"`
	// ProviderCreated are the roles created under the provider's sessions:
	// the scan classifies each as a child role.
	ProviderCreated []ProviderCreatedRole `json:"provider_created_roles"`
}

// ProviderCreatedRole is a CreateRole seen under a provider session.
type ProviderCreatedRole struct {
	Role     string    `json:"role"`
	Session  string    `json:"session"`
	Time     time.Time `json:"time"`
	EventID  string    `json:"event_id,omitempty"`
	Boundary string    `json:"permissions_boundary,omitempty"`
	// InAccount is false when the role no longer exists in the snapshot.
	InAccount bool `json:"in_account"`
}

// RoleSummary is how the scan classified one role, and why.
type RoleSummary struct {
	Name    string   `json:"name"`
	ARN     string   `json:"arn"`
	Kind    string   `json:"kind"`
	NodeID  string   `json:"node_id,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
}

// writeScanTable renders findings as a table, then coverage gaps, the
// trail summary, the fixes and the summary line. PASS rows are listed too:
// an auditor wants to see what was checked.
func writeScanTable(w io.Writer, rep Report) error {
	r := rep.(*ScanReport)
	fmt.Fprintf(w, "pvaudit %s: account %s (%s), contract %s%s\n\n", r.Command, orUnknown(r.Account.ID), r.Account.Source, r.Contract, configNote(r.Header))
	t := NewTable(w, "STATUS", "SEVERITY", "CHECK", "RESOURCE", "MESSAGE")
	for _, f := range failingFirst(r.Findings) {
		if err := t.Append([]string{statusCell(f), f.Severity.String(), f.CheckID, ShortResource(f.Resource), f.Message}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	writeGaps(w, r.CoverageGaps)
	writeAccepted(w, r.Verdict)
	if tr := r.Trail; tr != nil {
		fmt.Fprintf(w, "\nCloudTrail (%s): %d file(s) read, %d unreadable, %d undecodable record(s), %d session(s) on the cross-account role.\n",
			strings.Join(tr.Sources, ", "), tr.FilesRead, tr.FilesUnread, tr.Undecodable, tr.Sessions)
		for _, c := range tr.ProviderCreated {
			state := "child role"
			if !c.InAccount {
				state = "no longer in the account"
			}
			fmt.Fprintf(w, "  provider-created: %s (%s) by session %s at %s\n", c.Role, state, c.Session, c.Time.Format(time.RFC3339))
		}
	}
	fixes := remediations(r.Findings)
	if len(fixes) > 0 {
		fmt.Fprintf(w, "\nHow to fix:\n")
		for _, f := range fixes {
			fmt.Fprintf(w, "  %s  %s\n", f[0], f[1])
		}
	}
	_, err := fmt.Fprintf(w, "\n%s\n", SummaryLine(r))
	return err
}

// configNote names the config file that was applied, if any.
func configNote(h Header) string {
	if h.ConfigFile == "" {
		return ""
	}
	return ", config " + h.ConfigFile
}

// statusCell shows a finding's status, and the reason when it is
// suppressed.
func statusCell(f finding.Finding) string {
	s := string(f.Status)
	if f.Suppressed != nil {
		s += " (suppressed: " + f.Suppressed.Reason + ")"
	}
	return s
}

// writeGaps lists what could not be read.
func writeGaps(w io.Writer, gaps []inventory.Gap) {
	if len(gaps) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCoverage gaps (could not read; the run is incomplete):\n")
	for _, g := range gaps {
		code := ""
		if g.Code != "" {
			code = g.Code + ": "
		}
		res := ""
		if g.Resource != "" {
			res = " [" + g.Resource + "]"
		}
		fmt.Fprintf(w, "  - %s%s: %s%s\n", g.Operation, res, code, g.Message)
	}
}

// writeAccepted lists the gaps a suppression accepted: still gaps.
func writeAccepted(w io.Writer, v finding.Verdict) {
	if len(v.Accepted) == 0 {
		return
	}
	fmt.Fprintf(w, "\nAccepted gaps (suppressed, but still not evaluated; the run stays incomplete):\n")
	for _, a := range v.Accepted {
		exp := ""
		if a.Expires != "" {
			exp = ", until " + a.Expires
		}
		what := ShortResource(a.Resource)
		if a.Key != "" {
			what += " (" + a.Key + ")"
		}
		fmt.Fprintf(w, "  - %s %s on %s: %s%s\n", a.Status, a.CheckID, what, a.Reason, exp)
	}
}

// failingFirst orders rows so that what needs action comes first; the
// report's own order is kept within each group.
func failingFirst(fs []finding.Finding) []finding.Finding {
	rank := func(f finding.Finding) int {
		switch {
		case f.Suppressed != nil:
			return 5
		case f.Status == finding.Fail:
			return 0
		case f.Status == finding.Error:
			return 1
		case f.Status == finding.NotEvaluated:
			return 2
		case f.Status == finding.Warn:
			return 3
		default:
			return 4
		}
	}
	out := append([]finding.Finding(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

// remediations lists each failing check's fix once.
func remediations(fs []finding.Finding) [][2]string {
	seen := map[string]bool{}
	var out [][2]string
	for _, f := range fs {
		if f.Remediation == "" || seen[f.CheckID] || f.Status == finding.Pass {
			continue
		}
		seen[f.CheckID] = true
		out = append(out, [2]string{f.CheckID, f.Remediation})
	}
	return out
}

// SummaryLine is the one-line verdict printed under every judged report,
// from the report's verdict.
func SummaryLine(r Judged) string {
	v, s := r.Result()
	return v.Line(s)
}
