package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/pvaudit/pvaudit/internal/finding"
)

type tableWriter struct{}

// Write renders findings as a table, then coverage gaps, then a summary line.
// PASS rows are listed too: an auditor wants to see what was checked.
func (tableWriter) Write(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "pvaudit %s: account %s (%s), contract %s\n\n", r.Command, orUnknown(r.Account.ID), r.Account.Source, r.Contract)
	t := NewTable(w, "STATUS", "SEVERITY", "CHECK", "RESOURCE", "MESSAGE")
	for _, f := range failingFirst(r.Findings) {
		status := string(f.Status)
		if f.Suppressed != nil {
			status += " (suppressed)"
		}
		if err := t.Append([]string{status, f.Severity.String(), f.CheckID, ShortResource(f.Resource), f.Message}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(r.CoverageGaps) > 0 {
		fmt.Fprintf(w, "\nCoverage gaps (could not read; the scan is incomplete):\n")
		for _, g := range r.CoverageGaps {
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

// SummaryLine is the one-line verdict printed under every table.
func SummaryLine(r *Report) string {
	s := r.Summary
	verdict := "clean"
	switch {
	case !r.Complete:
		verdict = "INCOMPLETE"
	case s.Fail > 0:
		verdict = "FAILED"
	}
	parts := []string{
		fmt.Sprintf("%d checked", s.Total),
		fmt.Sprintf("%d pass", s.Pass),
		fmt.Sprintf("%d fail", s.Fail),
		fmt.Sprintf("%d warn", s.Warn),
		fmt.Sprintf("%d error", s.Error),
	}
	if s.NotEvaluated > 0 {
		parts = append(parts, fmt.Sprintf("%d not evaluated", s.NotEvaluated))
	}
	if s.Suppressed > 0 {
		parts = append(parts, fmt.Sprintf("%d suppressed", s.Suppressed))
	}
	if len(r.CoverageGaps) > 0 {
		parts = append(parts, fmt.Sprintf("%d coverage gap(s)", len(r.CoverageGaps)))
	}
	return fmt.Sprintf("Summary: %s — %s (fail-on: %s)", verdict, strings.Join(parts, ", "), r.FailOn)
}

// NewTable returns a table in pvaudit's house style.
func NewTable(w io.Writer, headers ...string) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithMaxWidth(200),
	)
	t.Header(toAny(headers)...)
	return t
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// ShortResource trims an ARN to what identifies it within one account
// ("arn:aws:iam::123456789012:role/x" → "role/x").
func ShortResource(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[5] != "" {
		return parts[5]
	}
	return arn
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
