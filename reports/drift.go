package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/baseline"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// DriftReport is what `pvaudit drift` produced: every deviation of the
// account from an approved baseline, as findings.
type DriftReport struct {
	Header
	Outcome
	Summary finding.Summary `json:"summary"`
	// Items counts the drift items (findings) reported.
	Items        int             `json:"items"`
	Baseline     DriftBaseline   `json:"baseline"`
	CoverageGaps []inventory.Gap `json:"coverage_gaps"`
	// Trail is present when drift was attributed to CloudTrail events.
	Trail *DriftTrail `json:"trail,omitempty"`
	// SinceLastRun compares with the previous drift run in --output-dir.
	SinceLastRun *Delta            `json:"since_last_run,omitempty"`
	Findings     []finding.Finding `json:"findings"`
}

// Result returns the verdict and the counts.
func (r *DriftReport) Result() (finding.Verdict, finding.Summary) { return r.Verdict, r.Summary }

// DriftBaseline describes the baseline compared against.
type DriftBaseline struct {
	File           string    `json:"file"`
	SavedAt        time.Time `json:"saved_at"`
	SavedBy        string    `json:"saved_by"`
	Account        string    `json:"account"`
	CapturedAt     time.Time `json:"captured_at,omitzero"`
	Contract       string    `json:"contract"`
	ContractSHA256 string    `json:"contract_sha256"`
	// Complete is false when the baseline's snapshot had gaps.
	Complete      bool   `json:"complete"`
	ContentSHA256 string `json:"content_sha256"`
	// Signature is "verified", "unsigned" or "not verified".
	Signature string `json:"signature"`
	KeyID     string `json:"key_id,omitempty"`
	Previous  string `json:"previous_sha256,omitempty"`
}

// DriftTrail says what CloudTrail attribution read.
type DriftTrail struct {
	Sources        []string `json:"sources"`
	FilesRead      int      `json:"files_read"`
	FilesUnread    int      `json:"files_unread"`
	Undecodable    int64    `json:"undecodable_records"`
	LookupRequests int      `json:"lookup_requests,omitempty"`
	Events         int      `json:"iam_change_events"`
	// From and To bound the events that may explain an item; zero when
	// that side's capture time is unknown.
	From        time.Time `json:"window_from,omitzero"`
	To          time.Time `json:"window_to,omitzero"`
	Explained   int       `json:"explained"`
	Unexplained int       `json:"unexplained"`
}

// FindingList returns the drift findings.
func (r *DriftReport) FindingList() []finding.Finding { return r.Findings }

// Gaps returns what either side could not read.
func (r *DriftReport) Gaps() []inventory.Gap { return r.CoverageGaps }

func (r *DriftReport) withFindings(fs []finding.Finding) FindingReport {
	c := *r
	c.Findings = fs
	return &c
}

func (r *DriftReport) normalizeJSON() {
	r.Findings = nonNil(r.Findings)
	r.CoverageGaps = nonNil(r.CoverageGaps)
	if r.Verdict.Accepted == nil {
		r.Verdict.Accepted = []finding.AcceptedGap{}
	}
}

// writeDriftTable groups the items by resource; each shows what changed,
// its effect on access in one line and who made it.
func writeDriftTable(w io.Writer, rep Report) error {
	r := rep.(*DriftReport)
	b := r.Baseline
	sig := b.Signature
	if b.KeyID != "" {
		sig += " (" + b.KeyID + ")"
	}
	fmt.Fprintf(w, "pvaudit %s: account %s (%s), contract %s%s\n", r.Command, orUnknown(r.Account.ID), r.Account.Source, r.Contract, configNote(r.Header))
	fmt.Fprintf(w, "baseline %s: saved %s by %s, captured %s, sha256 %s, signature %s%s\n\n", b.File, b.SavedAt.UTC().Format(time.RFC3339),
		b.SavedBy, timeOr(b.CapturedAt), shortHash(b.ContentSHA256), sig, map[bool]string{true: "", false: ", INCOMPLETE"}[b.Complete])
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, noDriftLine(r))
	}
	groups := map[string][]finding.Finding{}
	var order []string
	for _, f := range r.Findings {
		if _, ok := groups[f.Resource]; !ok {
			order = append(order, f.Resource)
		}
		groups[f.Resource] = append(groups[f.Resource], f)
	}
	// Resources with the worst finding first, then by name.
	worst := func(fs []finding.Finding) finding.Severity {
		s := finding.Info
		for _, f := range fs {
			s = max(s, f.Severity)
		}
		return s
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := worst(groups[order[i]]), worst(groups[order[j]])
		if a != b {
			return a > b
		}
		return order[i] < order[j]
	})
	for _, res := range order {
		fs := groups[res]
		subject, _ := fs[0].Evidence["subject"].(string)
		head := ShortResource(res)
		if subject != "" && subject != head && subject != "account" {
			head += " (" + subject + ")"
		}
		fmt.Fprintf(w, "%s\n", head)
		for _, f := range driftRows(fs) {
			summary, _ := f.Evidence["summary"].(string)
			if summary == "" {
				summary = f.Message
			}
			fmt.Fprintf(w, "  %-13s %-8s %s  %s\n", statusCell(f), f.Severity, f.CheckID, summary)
			if c, ok := f.Evidence["classification"].(*baseline.ClassChange); ok {
				fmt.Fprintf(w, "      kind:   %s → %s\n", c.Before, c.After)
			}
			if a, ok := f.Evidence["access"].(*baseline.Access); ok {
				fmt.Fprintf(w, "      access: %s\n", baseline.EffectLine(a))
			}
			if why, ok := f.Evidence["not_evaluated_because"].(string); ok {
				fmt.Fprintf(w, "      why:    %s\n", why)
			}
			if a, ok := f.Evidence["attribution"].(*baseline.Attribution); ok {
				if a.Status == "unexplained" {
					fmt.Fprintf(w, "      who:    %s\n", a.Note)
				}
				for _, ev := range a.Events {
					fmt.Fprintf(w, "      who:    %s\n", baseline.EventLine(ev))
				}
			}
			fmt.Fprintf(w, "      id:     %s\n", f.Fingerprint)
		}
		fmt.Fprintln(w)
	}
	writeGaps(w, r.CoverageGaps)
	writeAccepted(w, r.Verdict)
	if t := r.Trail; t != nil {
		window := "any time (neither snapshot says when it was read)"
		if !t.From.IsZero() || !t.To.IsZero() {
			window = timeOr(t.From) + " – " + timeOr(t.To)
		}
		fmt.Fprintf(w, "\nCloudTrail (%s): %d file(s) read, %d unreadable, %d undecodable record(s); %d IAM change event(s), window %s; %d item(s) explained, %d unexplained.\n",
			strings.Join(t.Sources, ", "), t.FilesRead, t.FilesUnread, t.Undecodable, t.Events, window, t.Explained, t.Unexplained)
	}
	if r.SinceLastRun != nil {
		var b strings.Builder
		writeDelta(&b, painter(false), r.SinceLastRun, DefaultWidth)
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	if r.Summary.Fail > 0 {
		fmt.Fprintf(w, "\nAccept an approved change: pvaudit baseline update --baseline %s --accept ID (a fingerprint above, or a rule ID for all its items).\n", b.File)
	}
	_, err := fmt.Fprintf(w, "\n%s\n", SummaryLine(r))
	return err
}

func timeOr(t time.Time) string {
	if t.IsZero() {
		return "(unknown)"
	}
	return t.UTC().Format(time.RFC3339)
}

func shortHash(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// noDriftLine is what the table says when it lists no item: "no drift"
// only when every finding of the run is listed and the comparison is
// complete.
func noDriftLine(r *DriftReport) string {
	switch {
	case len(allFindings(r)) > 0:
		return "No drift item matches the filter (" + r.Filter + "); the counts below include every item."
	case !r.Complete:
		return "No drift found in what could be compared, but the comparison is INCOMPLETE (see below): this is not \"no drift\"."
	}
	return "No drift: the account matches the baseline."
}

// driftRows orders one resource's items: failing first, then errors, not
// evaluated, warnings, passes; suppressed items last.
func driftRows(fs []finding.Finding) []finding.Finding {
	out := append([]finding.Finding(nil), fs...)
	sortRows(out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Suppressed == nil && out[j].Suppressed != nil })
	return out
}

// baselineMeta describes a baseline in the header of the markdown and
// HTML forms.
func baselineMeta(b *DriftBaseline) [][2]string {
	if b == nil {
		return nil
	}
	sig := b.Signature
	if b.KeyID != "" {
		sig += " (key " + b.KeyID + ")"
	}
	state := "complete"
	if !b.Complete {
		state = "INCOMPLETE (saved from a snapshot with gaps)"
	}
	return [][2]string{
		{"Baseline", b.File + ", saved " + b.SavedAt.UTC().Format(time.RFC3339) + " by " + b.SavedBy},
		{"Baseline content", "sha256 " + b.ContentSHA256 + ", " + state + ", signature " + sig},
	}
}

// metaRows are the header rows a report adds for the markdown and HTML
// forms (the baseline of drift and of scan --baseline).
func metaRows(rep Report) [][2]string {
	switch r := rep.(type) {
	case *DriftReport:
		return baselineMeta(&r.Baseline)
	case *ScanReport:
		return baselineMeta(r.Baseline)
	}
	return nil
}

// HTMLSections is the drift items' own table on the HTML page: each
// item's effect on access and who made it.
func (r *DriftReport) HTMLSections() []HTMLSection {
	sec := HTMLSection{Title: "Drift items", Columns: []string{"Resource", "Rule", "Severity", "Status", "Change", "Access", "Who"}}
	fs := append([]finding.Finding(nil), r.Findings...)
	sortRows(fs)
	for _, f := range fs {
		summary, _ := f.Evidence["summary"].(string)
		if summary == "" {
			summary = f.Message
		}
		access, who := "", ""
		if a, ok := f.Evidence["access"].(*baseline.Access); ok {
			access = baseline.EffectLine(a)
		}
		if a, ok := f.Evidence["attribution"].(*baseline.Attribution); ok {
			var ws []string
			if a.Status == "unexplained" {
				ws = append(ws, a.Note)
			}
			for _, ev := range a.Events {
				ws = append(ws, baseline.EventLine(ev))
			}
			who = strings.Join(ws, "\n")
		}
		sec.Rows = append(sec.Rows, []string{ShortResource(f.Resource), f.CheckID, f.Severity.String(), string(f.Status), summary, access, who})
		sec.Status = append(sec.Status, string(f.Status))
	}
	return []HTMLSection{sec}
}
