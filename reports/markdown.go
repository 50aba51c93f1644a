package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// writeMarkdown renders a report as GitHub-flavoured Markdown, for pull
// requests and tickets: the verdict first, counts, root causes, the
// findings that need action (PASS only with o.ShowPass), gaps and
// suppressions. List reports (roles, checks, controls, simulate) are one
// table.
func writeMarkdown(w io.Writer, rep Report, o Options) error {
	var b strings.Builder
	h := rep.Head()
	fmt.Fprintf(&b, "# pvaudit %s\n\n", mdText(h.Command))
	if j, ok := rep.(Judged); ok {
		v, s := j.Result()
		if _, isProbe := rep.(*ProbeReport); isProbe {
			fmt.Fprintf(&b, "**%s**\n\n", mdText(probeSummaryLine(rep.(*ProbeReport))))
		} else if _, isRoles := rep.(*RolesReport); !isRoles {
			fmt.Fprintf(&b, "**%s**\n\n", mdText(v.Line(s)))
		} else if v.Outcome == finding.Incomplete {
			fmt.Fprintf(&b, "**INCOMPLETE: %s**\n\n", mdText(strings.Join(v.Reasons, "; ")))
		}
	}
	mdHeader(&b, h, metaRows(rep))
	switch r := rep.(type) {
	case FindingReport:
		mdFindings(&b, r, o)
	case *RolesReport:
		mdTable(&b, []string{"Role", "Kind", "Boundary", "Trusted principals", "Last used", "Max session"}, func(add func(...string)) {
			for _, x := range r.Roles {
				add(x.Name, x.Kind, ShortResource(x.Boundary), strings.Join(x.Trusted, ", "), x.LastUsed, x.MaxSession)
			}
		})
		mdGaps(&b, r.CoverageGaps)
	case *ChecksReport:
		mdTable(&b, []string{"ID", "Source", "Severity", "Title", "Controls"}, func(add func(...string)) {
			for _, c := range r.Checks {
				add(c.ID, c.Source, c.SeverityText, c.Title, controlList(c.Controls))
			}
		})
	case *SimulateReport:
		mdTable(&b, []string{"Action", "Resource", "Decision", "Decided by"}, func(add func(...string)) {
			for _, d := range r.Results {
				add(d.Action, d.Resource, d.Decision, d.DecidedBy())
			}
		})
	case *ControlsReport:
		mdControls(&b, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdHeader(b *strings.Builder, h *Header, extra [][2]string) {
	rows := [][2]string{}
	if a := h.Account; a != nil {
		rows = append(rows, [2]string{"Account", a.ID})
		src := a.Source
		if a.Input != "" {
			src += " (" + a.Input + ")"
		}
		rows = append(rows, [2]string{"Source", src})
		if !a.CapturedAt.IsZero() {
			rows = append(rows, [2]string{"Captured", a.CapturedAt.UTC().Format(time.RFC3339)})
		}
		if a.CallerARN != "" {
			rows = append(rows, [2]string{"Caller", a.CallerARN})
		}
	}
	if h.Contract != "" {
		rows = append(rows, [2]string{"Contract", h.Contract})
	}
	if h.ConfigFile != "" {
		rows = append(rows, [2]string{"Config", h.ConfigFile})
	}
	rows = append(rows, [2]string{"Generated", h.GeneratedAt.UTC().Format(time.RFC3339) + " by " + h.Tool + " " + h.Version})
	if h.Filter != "" {
		rows = append(rows, [2]string{"Filter", h.Filter + " (counts and verdict include every finding)"})
	}
	rows = append(rows, extra...)
	mdTable(b, []string{"", ""}, func(add func(...string)) {
		for _, r := range rows {
			add("**"+r[0]+"**", r[1])
		}
	})
}

func mdFindings(b *strings.Builder, r FindingReport, o Options) {
	all := allFindings(r)
	b.WriteString("## Findings by severity and status\n\n")
	heads := []string{"Severity", "FAIL", "WARN", "ERROR", "NOT_EVALUATED", "PASS", "Suppressed"}
	mdTable(b, heads, func(add func(...string)) {
		for sev := finding.Critical; sev >= finding.Info; sev-- {
			c := countRow(all, &sev)
			add(append([]string{sev.String()}, c...)...)
		}
		add(append([]string{"**total**"}, countRow(all, nil)...)...)
	})
	if rcs := RootCauses(r.FindingList()); len(rcs) > 0 {
		b.WriteString("## Fix first\n\n")
		mdTable(b, []string{"#", "Severity", "Check", "Findings", "Root cause", "Resources", "Fix"}, func(add func(...string)) {
			for i, rc := range rcs {
				cause := rc.Title
				if len(rc.Statements) > 0 {
					cause += " — " + strings.Join(rc.Statements, "; ")
				}
				fix := ""
				if len(rc.Fixes) > 0 {
					fix = rc.Fixes[0]
					if len(rc.Fixes) > 1 {
						fix += fmt.Sprintf(" (and %d more, one per resource)", len(rc.Fixes)-1)
					}
				}
				add(fmt.Sprint(i+1), rc.Severity.String(), rc.CheckID, fmt.Sprint(rc.Count), cause, listSome(shortAll(rc.Resources), 5), fix)
			}
		})
	}
	b.WriteString("## Findings\n\n")
	var rows []finding.Finding
	pass := 0
	for _, f := range r.FindingList() {
		if f.Status == finding.Pass && !o.ShowPass {
			pass++
			continue
		}
		rows = append(rows, f)
	}
	sortRows(rows)
	if len(rows) == 0 {
		b.WriteString("None.\n\n")
	} else {
		mdTable(b, []string{"Status", "Severity", "Check", "Resource", "Message"}, func(add func(...string)) {
			for _, f := range rows {
				st := string(f.Status)
				if f.Suppressed != nil {
					st += " (suppressed: " + suppressionText(f.Suppressed) + ")"
				}
				add(st, f.Severity.String(), f.CheckID, "`"+ShortResource(f.Resource)+"`", f.Message)
			}
		})
	}
	if pass > 0 {
		fmt.Fprintf(b, "%d PASS finding(s) not listed (`--show-pass` lists them).\n\n", pass)
	}
	mdGaps(b, r.Gaps())
	v, _ := r.Result()
	if len(v.Accepted) > 0 {
		b.WriteString("## Accepted gaps (still incomplete)\n\n")
		for _, a := range v.Accepted {
			b.WriteString("- " + mdText(acceptedText(a)) + "\n")
		}
		b.WriteString("\n")
	}
	if d := sinceLastRun(r); d != nil {
		fmt.Fprintf(b, "## Since the last run\n\n%d new, %d resolved, %d no longer reported, %d still open %s.\n\n",
			len(d.New), len(d.Resolved), len(d.Gone), d.StillOpen, mdText(d.describePrevious()))
		for _, sec := range []struct {
			name  string
			items []DeltaItem
		}{{"New", d.New}, {"Resolved", d.Resolved}, {"No longer reported", d.Gone}} {
			for _, it := range sec.items {
				fmt.Fprintf(b, "- %s: %s %s `%s` (%s)\n", sec.name, it.CheckID, it.Severity, ShortResource(it.Resource), mdText(it.Title))
			}
		}
		b.WriteString("\n")
	}
}

func countRow(fs []finding.Finding, sev *finding.Severity) []string {
	var c [6]int
	for _, f := range fs {
		if sev != nil && f.Severity != *sev {
			continue
		}
		col := 5
		if f.Suppressed == nil {
			for i, s := range statusColumns {
				if f.Status == s {
					col = i
				}
			}
		}
		c[col]++
	}
	out := make([]string, len(c))
	for i, n := range c {
		out[i] = fmt.Sprint(n)
	}
	return out
}

func mdGaps(b *strings.Builder, gaps []inventory.Gap) {
	if len(gaps) == 0 {
		return
	}
	b.WriteString("## Coverage gaps (could not read: the run is incomplete)\n\n")
	for _, g := range gaps {
		b.WriteString("- " + mdText(gapText(g)) + "\n")
	}
	b.WriteString("\n")
}

// mdTable writes a table; add appends a row.
func mdTable(b *strings.Builder, heads []string, rows func(add func(...string))) {
	b.WriteString("|")
	for _, h := range heads {
		b.WriteString(" " + h + " |")
	}
	b.WriteString("\n|")
	for range heads {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	rows(func(cells ...string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + mdCell(c) + " |")
		}
		b.WriteString("\n")
	})
	b.WriteString("\n")
}

// mdCell escapes a table cell: pipes, newlines and HTML.
func mdCell(s string) string {
	s = mdText(s)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}

// mdText escapes what Markdown renderers would turn into HTML or links.
func mdText(s string) string {
	r := strings.NewReplacer("<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}
