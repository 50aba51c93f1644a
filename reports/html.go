package reports

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/rules/controls"
	"github.com/pvaudit/pvaudit/trail"
)

//go:embed html/report.html.tmpl
var htmlTemplate string

// HTMLSection is a table a report kind adds to its HTML page (drift adds
// its items this way): implement HTMLSections on the report.
type HTMLSection struct {
	Title   string
	Columns []string
	Rows    [][]string
	// Status of each row (one of the finding statuses), for the page's
	// status filter; optional.
	Status []string
}

// htmlSectioner is implemented by reports with sections of their own.
type htmlSectioner interface {
	HTMLSections() []HTMLSection
}

type htmlPage struct {
	Title       string
	Meta        [][2]string
	Outcome     string
	SummaryLine string
	Reasons     []string
	Filter      string
	Counts      []htmlCountRow
	Statuses    []string
	Severities  []string
	RootCauses  []htmlRootCause
	Findings    []htmlFinding
	PassCount   int
	Gaps        []string
	Accepted    []string
	Suppressed  []string
	Frameworks  []htmlFramework
	Probes      []htmlProbe
	ProbeLine   string
	Sessions    []htmlSession
	Trail       []string
	Delta       *Delta
	Sections    []HTMLSection
}

type htmlCountRow struct {
	Label string
	Key   string
	Cells []htmlCount
}

type htmlCount struct {
	Status string
	Key    string
	N      int
}

type htmlRootCause struct {
	N         int
	Severity  string
	CheckID   string
	Title     string
	Count     int
	Cause     string
	Resources string
	Fixes     []string
}

type htmlFinding struct {
	Status, Severity, CheckID, Title string
	Resource, Short, Key, Message    string
	Fix, Evidence, Controls          string
	Fingerprint, Suppressed          string
}

type htmlFramework struct {
	Title   string
	Summary string
	Rows    []controls.Row
}

type htmlProbe struct {
	Scenario, Text, Principal, Action, Resource string
	Expected, Local, AWS, Verdict, Status       string
	Explain                                     string
}

type htmlSession struct {
	ID, Kind, Role, Assumer, From, Start, Duration string
	Calls                                          []htmlCall
	Findings                                       int
}

type htmlCall struct {
	Time, Action, Region, Result, Target string
	Denied                               bool
}

func writeHTML(w io.Writer, rep Report) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"lower": strings.ToLower,
		"statusClass": func(s string) string {
			return strings.ToLower(strings.ReplaceAll(s, "_", "-"))
		},
	}).Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("html template: %w", err)
	}
	page := buildPage(rep)
	return t.Execute(w, page)
}

func buildPage(rep Report) *htmlPage {
	h := rep.Head()
	p := &htmlPage{Title: "pvaudit " + h.Command, Filter: h.Filter,
		Statuses:   []string{"FAIL", "ERROR", "NOT_EVALUATED", "WARN", "PASS"},
		Severities: []string{"critical", "high", "medium", "low", "info"}}
	if h.Account != nil {
		p.Title += " — account " + orUnknown(h.Account.ID)
		src := h.Account.Source
		if h.Account.Input != "" {
			src += " (" + h.Account.Input + ")"
		}
		p.Meta = append(p.Meta, [2]string{"Account", orUnknown(h.Account.ID)}, [2]string{"Source", src})
		if !h.Account.CapturedAt.IsZero() {
			p.Meta = append(p.Meta, [2]string{"Captured", h.Account.CapturedAt.UTC().Format(time.RFC3339)})
		}
		if h.Account.CallerARN != "" {
			p.Meta = append(p.Meta, [2]string{"Caller", h.Account.CallerARN})
		}
	}
	if h.Contract != "" {
		p.Meta = append(p.Meta, [2]string{"Contract", h.Contract})
	}
	if h.ConfigFile != "" {
		p.Meta = append(p.Meta, [2]string{"Config file", h.ConfigFile})
	}
	p.Meta = append(p.Meta, [2]string{"Generated", h.GeneratedAt.UTC().Format(time.RFC3339) + " by " + h.Tool + " " + h.Version})
	p.Meta = append(p.Meta, metaRows(rep)...)
	if j, ok := rep.(Judged); ok {
		v, s := j.Result()
		p.Outcome, p.SummaryLine, p.Reasons = string(v.Outcome), v.Line(s), v.Reasons
		for _, a := range v.Accepted {
			p.Accepted = append(p.Accepted, acceptedText(a))
		}
	}
	if fr, ok := rep.(FindingReport); ok {
		fillFindings(p, fr)
	}
	switch r := rep.(type) {
	case *ScanReport:
		p.Frameworks = scanFrameworks(r)
		p.Delta = r.SinceLastRun
		if tr := r.Trail; tr != nil {
			p.Trail = append(p.Trail, fmt.Sprintf("Sources %s: %d file(s) read, %d unreadable, %d undecodable record(s), %d session(s) on the cross-account role.",
				strings.Join(tr.Sources, ", "), tr.FilesRead, tr.FilesUnread, tr.Undecodable, tr.Sessions))
			for _, c := range tr.ProviderCreated {
				state := "child role"
				if !c.InAccount {
					state = "no longer in the account"
				}
				p.Trail = append(p.Trail, fmt.Sprintf("Provider-created: %s (%s) by session %s at %s", c.Role, state, c.Session, c.Time.UTC().Format(time.RFC3339)))
			}
		}
	case *ProbeReport:
		p.SummaryLine = probeSummaryLine(r)
		p.ProbeLine = fmt.Sprintf("engine %s", r.Engine)
		for i := range r.Results {
			p.Probes = append(p.Probes, probeRow(&r.Results[i]))
		}
	case *DriftReport:
		p.Delta = r.SinceLastRun
	case *TrailReport:
		for _, s := range r.Sessions {
			p.Sessions = append(p.Sessions, sessionOf(s))
		}
	}
	if s, ok := rep.(htmlSectioner); ok {
		p.Sections = s.HTMLSections()
	}
	return p
}

func fillFindings(p *htmlPage, r FindingReport) {
	all := allFindings(r)
	labels := []struct{ label, key string }{{"critical", "critical"}, {"high", "high"}, {"medium", "medium"}, {"low", "low"}, {"info", "info"}}
	heads := []string{"FAIL", "WARN", "ERROR", "NOT_EVALUATED", "PASS", "SUPPRESSED"}
	row := func(label, key string, sev *finding.Severity) htmlCountRow {
		c := countRow(all, sev)
		out := htmlCountRow{Label: label, Key: key}
		for i, h := range heads {
			n := 0
			fmt.Sscan(c[i], &n)
			out.Cells = append(out.Cells, htmlCount{Status: h, Key: strings.ToLower(h) + "-" + key, N: n})
		}
		return out
	}
	for i, l := range labels {
		sev := finding.Critical - finding.Severity(i)
		p.Counts = append(p.Counts, row(l.label, l.key, &sev))
	}
	p.Counts = append(p.Counts, row("total", "total", nil))
	for i, rc := range RootCauses(r.FindingList()) {
		p.RootCauses = append(p.RootCauses, htmlRootCause{N: i + 1, Severity: rc.Severity.String(), CheckID: rc.CheckID, Title: rc.Title, Count: rc.Count,
			Cause: strings.Join(rc.Statements, "; "), Resources: strings.Join(shortAll(rc.Resources), ", "), Fixes: rc.Fixes})
	}
	fs := append([]finding.Finding(nil), r.FindingList()...)
	sortRows(fs)
	for i := range fs {
		f := &fs[i]
		if f.Status == finding.Pass {
			p.PassCount++
		}
		hf := htmlFinding{Status: string(f.Status), Severity: f.Severity.String(), CheckID: f.CheckID, Title: f.Title, Resource: f.Resource,
			Short: ShortResource(f.Resource), Key: f.Key, Message: f.Message, Controls: controlList(f.Controls), Fingerprint: f.Fingerprint}
		if f.Status != finding.Pass {
			hf.Fix = Fix(f)
		}
		if len(f.Evidence) > 0 {
			if b, err := json.MarshalIndent(f.Evidence, "", "  "); err == nil {
				hf.Evidence = string(b)
			}
		}
		if f.Suppressed != nil {
			hf.Suppressed = suppressionText(f.Suppressed)
			p.Suppressed = append(p.Suppressed, fmt.Sprintf("%s %s %s on %s: %s", f.Status, f.Severity, f.CheckID, ShortResource(f.Resource), hf.Suppressed))
		}
		p.Findings = append(p.Findings, hf)
	}
	for _, g := range r.Gaps() {
		p.Gaps = append(p.Gaps, gapText(g))
	}
}

// scanFrameworks is the per-control status of a scan, for each framework.
func scanFrameworks(r *ScanReport) []htmlFramework {
	cat, err := controls.Load()
	if err != nil || r.Rules == nil {
		return nil
	}
	run := ControlRun(r)
	var out []htmlFramework
	for i := range cat.Frameworks {
		fw := &cat.Frameworks[i]
		rows := controls.Matrix(fw, r.Rules, run)
		sum := controls.Summary(rows)
		var parts []string
		for _, s := range []controls.Status{controls.Fail, controls.NotEvaluated, controls.Accepted, controls.Warn, controls.Pass, controls.NotApplicable, controls.NotAssessed} {
			if sum[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", sum[s], s))
			}
		}
		out = append(out, htmlFramework{Title: fw.Title, Summary: strings.Join(parts, ", "), Rows: rows})
	}
	return out
}

// ControlRun is what a scan evaluated, for the control matrix.
func ControlRun(r *ScanReport) *controls.Run {
	ran := map[string]bool{}
	for _, id := range r.RulesEvaluated {
		ran[id] = true
	}
	return &controls.Run{Findings: allFindings(r), Ran: ran, CoverageGaps: len(r.CoverageGaps), NotRunWhy: NotRunWhy(r.Trail != nil)}
}

// NotRunWhy says why a rule family did not run in a scan.
func NotRunWhy(trail bool) map[string]string {
	m := map[string]string{
		"probe": "needs two engines (pvaudit probe --engine both against the live account)",
		"drift": "needs a baseline (--baseline)",
	}
	if !trail {
		m["trail"] = "needs CloudTrail input (--trail-dir, --trail-file or --trail-lookup)"
	}
	return m
}

func probeRow(r *probes.Result) htmlProbe {
	hp := htmlProbe{Scenario: r.ScenarioID, Text: r.Text, Principal: r.Principal.Name, Action: r.Action(), Resource: ShortResource(r.Resource()),
		Expected: string(r.Expect), Local: engineCell(r.Local), AWS: engineCell(r.AWS), Verdict: string(r.Verdict)}
	switch r.Verdict {
	case probes.Pass, probes.Fail, probes.Warn, probes.NotEvaluated:
		hp.Status = string(r.Verdict)
	default:
		hp.Status = "NOT_EVALUATED" // MANUAL: not proved by simulation
	}
	if r.Disagree {
		hp.Verdict += " (engines disagree)"
		hp.Status = "FAIL"
	}
	var ex []string
	for _, er := range []*probes.EngineResult{r.Local, r.AWS} {
		if er != nil {
			ex = append(ex, er.Engine+": "+er.Explain())
		}
	}
	if r.Verdict == probes.NotEvaluated {
		ex = append(ex, r.Reason())
	}
	if r.Manual != "" {
		ex = append(ex, "check by hand: "+r.Manual)
	}
	hp.Explain = strings.Join(ex, "\n")
	return hp
}

func sessionOf(s Session) htmlSession {
	kind := "session"
	if s.Attempt {
		kind = "refused attempt"
	} else if s.Orphan {
		kind = "calls without a recorded AssumeRole"
	}
	hs := htmlSession{ID: s.ID, Kind: kind, Role: s.RoleARN, Assumer: assumerOf(s.Session), From: strings.TrimSpace(s.SourceIP + " " + s.UserAgent),
		Start: fmtTime(s.Start), Duration: fmtDuration(s.Session), Findings: s.FindingCount}
	calls := s.Calls
	if calls == nil {
		calls = s.Session.Calls
	}
	calls = append([]trail.Call(nil), calls...)
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].Time.Before(calls[j].Time) })
	for _, c := range calls {
		res := "ok"
		if c.ErrorCode != "" {
			res = c.ErrorCode
			if c.Denied {
				res = "DENIED " + c.ErrorCode
			}
		}
		if !s.Expiry.IsZero() && c.Time.After(s.Expiry) {
			res += " (after expiry)"
		}
		hs.Calls = append(hs.Calls, htmlCall{Time: c.Time.UTC().Format(time.RFC3339), Action: c.Action(), Region: c.Region, Result: res, Target: c.Target(), Denied: c.Denied})
	}
	return hs
}
