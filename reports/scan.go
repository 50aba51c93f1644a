package reports

import (
	"fmt"
	"io"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/trail"
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
	// RulesEvaluated are the IDs of the rules that ran (selected, and
	// given their input: TRAIL-… only with CloudTrail).
	RulesEvaluated []string `json:"rules_evaluated"`
	// SinceLastRun compares with the previous run in --output-dir.
	SinceLastRun *Delta `json:"since_last_run,omitempty"`
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
	// Queries are the CloudTrail Lake and Athena queries run (IDs, bytes
	// scanned, rows).
	Queries []trail.QueryStat `json:"queries,omitempty"`
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

// SummaryLine is the one-line verdict printed under every judged report,
// from the report's verdict.
func SummaryLine(r Judged) string {
	v, s := r.Result()
	return v.Line(s)
}

// SummaryOf is the one line -q prints: the verdict line of a judged
// report ("" for reports without a verdict).
func SummaryOf(r Report) string {
	switch x := r.(type) {
	case *ProbeReport:
		return probeSummaryLine(x)
	case *RolesReport:
		v, _ := x.Result()
		if v.Outcome == finding.Incomplete {
			return fmt.Sprintf("Summary: INCOMPLETE — %d role(s), %d coverage gap(s)", len(x.Roles), len(x.CoverageGaps))
		}
		return fmt.Sprintf("Summary: complete — %d role(s)", len(x.Roles))
	case *ControlsReport:
		if x.Outcome == nil {
			return ""
		}
		return SummaryLine(x)
	case Judged:
		return SummaryLine(x)
	}
	return ""
}
