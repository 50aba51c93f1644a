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

// writeScanTable is the scan report for people: a header, the counts by
// severity and status, the root causes to fix first, the findings that
// need action grouped by resource, what could not be read, what was
// suppressed, and the verdict line. It fits o.Width; PASS rows appear only
// with o.ShowPass.
func writeScanTable(w io.Writer, rep Report, o Options) error {
	r := rep.(*ScanReport)
	p := painter(o.Color)
	width := o.width()
	var b strings.Builder
	writeHeaderBlock(&b, p, r.Header, width)
	for i, m := range baselineMeta(r.Baseline) {
		k := "baseline"
		if i > 0 {
			k = ""
		}
		hanging(&b, "  "+pad(k, 10), 12, m[1], width)
	}
	all := allFindings(r)
	writeCounts(&b, p, all, width)
	writeRootCauses(&b, p, RootCauses(r.Findings), width)
	kinds := map[string]string{}
	for _, x := range r.Roles {
		kinds[x.ARN] = x.Kind
	}
	writeByResource(&b, p, r.Findings, kinds, o, width)
	writeSuppressed(&b, p, r.Findings, width)
	writeGapsTo(&b, p, r.CoverageGaps, width)
	writeAcceptedTo(&b, r.Verdict, width)
	if tr := r.Trail; tr != nil {
		hanging(&b, "\n"+p.bold("CloudTrail")+" ", 2, fmt.Sprintf("(%s): %d file(s) read, %d unreadable, %d undecodable record(s), %d session(s) on the cross-account role.",
			strings.Join(tr.Sources, ", "), tr.FilesRead, tr.FilesUnread, tr.Undecodable, tr.Sessions), width)
		for _, c := range tr.ProviderCreated {
			state := "child role"
			if !c.InAccount {
				state = "no longer in the account"
			}
			hanging(&b, "  provider-created: ", 4, fmt.Sprintf("%s (%s) by session %s at %s", c.Role, state, c.Session, c.Time.Format(time.RFC3339)), width)
		}
	}
	writeDelta(&b, p, r.SinceLastRun, width)
	v, s := r.Result()
	fmt.Fprintf(&b, "\n%s\n", p.outcome(v.Outcome, v.Line(s)))
	_, err := io.WriteString(w, b.String())
	return err
}

// allFindings returns every finding of the run, also when a filter left
// some out of the report's list.
func allFindings(r FindingReport) []finding.Finding {
	if all := r.Head().all; all != nil {
		return all
	}
	return r.FindingList()
}

// writeHeaderBlock says what was examined, against what, when.
func writeHeaderBlock(b *strings.Builder, p painter, h Header, width int) {
	title := "pvaudit " + h.Command
	if h.Account != nil {
		title += " — account " + orUnknown(h.Account.ID)
	}
	b.WriteString(p.bold(title) + "\n")
	row := func(k, v string) {
		if v != "" {
			hanging(b, "  "+pad(k, 10), 12, v, width)
		}
	}
	if a := h.Account; a != nil {
		src := a.Source
		if a.Input != "" {
			src += ", " + a.Input
		}
		if !a.CapturedAt.IsZero() {
			src += ", captured " + a.CapturedAt.UTC().Format(time.RFC3339)
		}
		row("source", src)
		row("caller", a.CallerARN)
	}
	row("contract", h.Contract)
	row("config", h.ConfigFile)
	row("generated", h.GeneratedAt.UTC().Format(time.RFC3339)+" by "+h.Tool+" "+h.Version)
	if h.Filter != "" {
		row("filter", h.Filter+" (the counts and the verdict include every finding)")
	}
}

// statusColumns are the columns of the counts table.
var statusColumns = []finding.Status{finding.Fail, finding.Warn, finding.Error, finding.NotEvaluated, finding.Pass}

// writeCounts prints findings by severity and status; suppressed findings
// are counted in their own column, not under their status.
func writeCounts(b *strings.Builder, p painter, fs []finding.Finding, width int) {
	type row [6]int
	var rows [finding.Critical + 1]row
	var total row
	for _, f := range fs {
		col := 5
		if f.Suppressed == nil {
			for i, s := range statusColumns {
				if f.Status == s {
					col = i
				}
			}
		}
		if f.Severity >= finding.Info && f.Severity <= finding.Critical {
			rows[f.Severity][col]++
		}
		total[col]++
	}
	b.WriteString("\n" + p.bold("Findings by severity and status") + "\n")
	heads := []string{"FAIL", "WARN", "ERROR", "NOT_EVALUATED", "PASS", "SUPPRESSED"}
	if width < 70 {
		heads = []string{"FAIL", "WARN", "ERROR", "N/E", "PASS", "SUPP"}
	}
	b.WriteString("  " + pad("", 9))
	for _, h := range heads {
		b.WriteString("  " + h)
	}
	b.WriteByte('\n')
	line := func(label string, sev finding.Severity, r row, bold bool) {
		l := pad(label, 9)
		if bold {
			l = p.bold(l)
		} else {
			l = p.severity(sev, l)
		}
		b.WriteString("  " + l)
		for i, h := range heads {
			cell := "·"
			if r[i] > 0 {
				cell = fmt.Sprint(r[i])
				if i < len(statusColumns) {
					cell = p.status(statusColumns[i], padLeft(cell, len(h)))
				} else {
					cell = padLeft(cell, len(h))
				}
			} else {
				cell = p.dim(padLeft(cell, len(h)))
			}
			b.WriteString("  " + cell)
		}
		b.WriteByte('\n')
	}
	for sev := finding.Critical; sev >= finding.Info; sev-- {
		line(sev.String(), sev, rows[sev], false)
	}
	line("total", 0, total, true)
}

// writeRootCauses prints the "fix first" block.
func writeRootCauses(b *strings.Builder, p painter, rcs []RootCause, width int) {
	if len(rcs) == 0 {
		return
	}
	n := 0
	for _, rc := range rcs {
		n += rc.Count
	}
	b.WriteByte('\n')
	heading(b, p, fmt.Sprintf("Fix first: %d root cause(s) behind %d failing finding(s), most severe first", len(rcs), n), width)
	for i, rc := range rcs {
		head := fmt.Sprintf("%2d. %s  %s ×%d  ", i+1, p.severity(rc.Severity, pad(rc.Severity.String(), 8)), p.bold(rc.CheckID), rc.Count)
		hanging(b, head, 6, rc.Title, width)
		if len(rc.Statements) > 0 {
			hanging(b, "      cause  ", 13, strings.Join(rc.Statements, "; "), width)
		}
		hanging(b, "      where  ", 13, listSome(shortAll(rc.Resources), 4), width)
		for j, fx := range rc.Fixes {
			if j == 2 {
				hanging(b, "      fix    ", 13, fmt.Sprintf("… and %d more (one per resource; -o json has each finding)", len(rc.Fixes)-2), width)
				break
			}
			hanging(b, "      fix    ", 13, fx, width)
		}
	}
}

// writeByResource prints the findings that need action, grouped by
// resource, worst first; PASS rows only with o.ShowPass. Suppressed
// findings have their own section.
func writeByResource(b *strings.Builder, p painter, fs []finding.Finding, kinds map[string]string, o Options, width int) {
	groups := map[string][]finding.Finding{}
	pass := 0
	for _, f := range fs {
		if f.Suppressed != nil {
			continue
		}
		if f.Status == finding.Pass && !o.ShowPass {
			pass++
			continue
		}
		groups[f.Resource] = append(groups[f.Resource], f)
	}
	title := "Findings by resource"
	if pass > 0 {
		title += fmt.Sprintf(" (%d PASS not listed: --show-pass lists them)", pass)
	}
	b.WriteByte('\n')
	heading(b, p, title, width)
	if len(groups) == 0 {
		b.WriteString("  none\n")
		return
	}
	res := make([]string, 0, len(groups))
	for k := range groups {
		sortRows(groups[k])
		res = append(res, k)
	}
	sort.Slice(res, func(i, j int) bool {
		a, c := groups[res[i]][0], groups[res[j]][0]
		if ra, rc := statusRank(a.Status), statusRank(c.Status); ra != rc {
			return ra < rc
		}
		if a.Severity != c.Severity {
			return a.Severity > c.Severity
		}
		return res[i] < res[j]
	})
	stw := 4
	for _, k := range res {
		for _, f := range groups[k] {
			stw = max(stw, len(f.Status))
		}
	}
	for _, k := range res {
		name := ShortResource(k)
		if kd := kinds[k]; kd != "" {
			name += " (" + kd + ")"
		}
		fmt.Fprintf(b, "%s  %s\n", p.bold(clip(name, width-20)), p.dim(countWords(groups[k])))
		for _, f := range groups[k] {
			prefix := "  " + p.status(f.Status, pad(string(f.Status), stw)) + "  " + p.severity(f.Severity, pad(f.Severity.String(), 8)) + "  " + pad(f.CheckID, 10) + "  "
			indent := 2 + stw + 2 + 8 + 2 + 10 + 2
			msg := f.Message
			if width-indent < 30 {
				b.WriteString(prefix + "\n")
				hanging(b, "      ", 6, msg, width)
				continue
			}
			lines := wrap(msg, width-indent)
			for i, l := range lines {
				if i == 0 {
					b.WriteString(prefix + l + "\n")
				} else {
					b.WriteString(strings.Repeat(" ", indent) + l + "\n")
				}
			}
		}
	}
}

func countWords(fs []finding.Finding) string {
	c := map[finding.Status]int{}
	for _, f := range fs {
		c[f.Status]++
	}
	var parts []string
	for _, s := range []finding.Status{finding.Fail, finding.Error, finding.NotEvaluated, finding.Warn, finding.Pass} {
		if c[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// statusRank orders statuses by how much they need attention.
func statusRank(s finding.Status) int {
	switch s {
	case finding.Fail:
		return 0
	case finding.Error:
		return 1
	case finding.NotEvaluated:
		return 2
	case finding.Warn:
		return 3
	}
	return 4
}

// sortRows orders a resource's findings: status rank, severity, check, key.
func sortRows(fs []finding.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, c := fs[i], fs[j]
		if ra, rc := statusRank(a.Status), statusRank(c.Status); ra != rc {
			return ra < rc
		}
		if a.Severity != c.Severity {
			return a.Severity > c.Severity
		}
		if a.CheckID != c.CheckID {
			return a.CheckID < c.CheckID
		}
		return a.Key < c.Key
	})
}

// writeSuppressed lists suppressed findings with who accepted them (the
// suppression file), why and until when.
func writeSuppressed(b *strings.Builder, p painter, fs []finding.Finding, width int) {
	var sup []finding.Finding
	for _, f := range fs {
		if f.Suppressed != nil {
			sup = append(sup, f)
		}
	}
	if len(sup) == 0 {
		return
	}
	sortRows(sup)
	b.WriteByte('\n')
	heading(b, p, fmt.Sprintf("Suppressed (%d): reported, not counted against the run", len(sup)), width)
	for _, f := range sup {
		hanging(b, "  ", 4, fmt.Sprintf("%s %s %s on %s: %s", f.Status, f.Severity, f.CheckID, ShortResource(f.Resource), suppressionText(f.Suppressed)), width)
	}
}

// suppressionText says why, until when and where a suppression is.
func suppressionText(s *finding.Suppression) string {
	t := s.Reason
	if s.Expires != "" {
		t += "; until " + s.Expires
	}
	if s.Source != "" {
		t += "; " + s.Source
	}
	return t
}

// writeGapsTo lists what could not be read.
func writeGapsTo(b *strings.Builder, p painter, gaps []inventory.Gap, width int) {
	if len(gaps) == 0 {
		return
	}
	b.WriteByte('\n')
	for _, l := range wrap("Coverage gaps (could not read; the run is incomplete):", width) {
		b.WriteString(p.paint(ansiBold+ansiMag, l) + "\n")
	}
	for _, g := range gaps {
		hanging(b, "  - ", 4, gapText(g), width)
	}
}

func gapText(g inventory.Gap) string {
	code := ""
	if g.Code != "" {
		code = g.Code + ": "
	}
	res := ""
	if g.Resource != "" {
		res = " [" + g.Resource + "]"
	}
	return fmt.Sprintf("%s%s: %s%s", g.Operation, res, code, g.Message)
}

// writeAcceptedTo lists the gaps a suppression accepted: still gaps.
func writeAcceptedTo(b *strings.Builder, v finding.Verdict, width int) {
	if len(v.Accepted) == 0 {
		return
	}
	b.WriteString("\nAccepted gaps (suppressed, but still not evaluated; the run stays incomplete):\n")
	for _, a := range v.Accepted {
		hanging(b, "  - ", 4, acceptedText(a), width)
	}
}

func acceptedText(a finding.AcceptedGap) string {
	exp := ""
	if a.Expires != "" {
		exp = ", until " + a.Expires
	}
	what := ShortResource(a.Resource)
	if a.Key != "" {
		what += " (" + a.Key + ")"
	}
	return fmt.Sprintf("%s %s on %s: %s%s", a.Status, a.CheckID, what, a.Reason, exp)
}

// writeDelta prints the "since last run" section.
func writeDelta(b *strings.Builder, p painter, d *Delta, width int) {
	if d == nil {
		return
	}
	b.WriteString("\n" + p.bold("Since the last run") + " " + p.dim(d.describePrevious()) + "\n")
	fmt.Fprintf(b, "  %d new, %d resolved, %d no longer reported, %d still open\n", len(d.New), len(d.Resolved), len(d.Gone), d.StillOpen)
	section := func(label string, items []DeltaItem) {
		for i, it := range items {
			if i == 10 {
				fmt.Fprintf(b, "  %s … and %d more\n", label, len(items)-10)
				return
			}
			hanging(b, "  "+label+" ", 4, fmt.Sprintf("%s %s %s on %s", it.Status, it.Severity, it.CheckID, ShortResource(it.Resource)), width)
		}
	}
	section("new     ", d.New)
	section("resolved", d.Resolved)
	section("gone    ", d.Gone)
}

func shortAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = ShortResource(s)
	}
	return out
}

// listSome joins up to n items and says how many more there are.
func listSome(ss []string, n int) string {
	if len(ss) <= n {
		return strings.Join(ss, ", ")
	}
	return strings.Join(ss[:n], ", ") + fmt.Sprintf(" (+%d more)", len(ss)-n)
}

// stripANSI removes colour codes (to measure coloured text).
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// heading writes a bold heading wrapped to width.
func heading(b *strings.Builder, p painter, text string, width int) {
	for _, l := range wrap(text, width) {
		b.WriteString(p.bold(l) + "\n")
	}
}
