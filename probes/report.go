package probes

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
)

// ReportSchema is the version of the probe report's JSON schema.
const ReportSchema = "pvaudit.probe-report/v1"

// Report is what `pvaudit probe` produced.
type Report struct {
	Schema      string          `json:"schema"`
	Tool        string          `json:"tool"`
	Version     string          `json:"version"`
	GeneratedAt time.Time       `json:"generated_at"`
	Contract    string          `json:"contract"`
	Engine      string          `json:"engine"`
	Account     reports.Account `json:"account"`
	// Complete is false when a probe could not be evaluated or the
	// snapshot has gaps.
	Complete     bool              `json:"complete"`
	FailOn       string            `json:"fail_on"`
	Summary      Summary           `json:"summary"`
	CoverageGaps []inventory.Gap   `json:"coverage_gaps"`
	Results      []Result          `json:"results"`
	Findings     []finding.Finding `json:"findings"`
}

// Summary counts results by verdict.
type Summary struct {
	Total        int `json:"total"`
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Warn         int `json:"warn"`
	NotEvaluated int `json:"not_evaluated"`
	Manual       int `json:"manual"`
	Disagree     int `json:"disagree"`
}

// Summarize counts results.
func Summarize(rs []Result) Summary {
	var s Summary
	for _, r := range rs {
		s.Total++
		switch r.Verdict {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Warn:
			s.Warn++
		case NotEvaluated:
			s.NotEvaluated++
		case Manual:
			s.Manual++
		}
		if r.Disagree {
			s.Disagree++
		}
	}
	return s
}

// WriteJSON renders the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	out := *r
	if out.Results == nil {
		out.Results = []Result{}
	}
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if out.CoverageGaps == nil {
		out.CoverageGaps = []inventory.Gap{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(&out)
}

// WriteTable renders one row per request — Scenario | Principal | Action |
// Resource | Expected | Local | AWS | Verdict — with the document's
// sentence on the first row of each scenario, then what decided every
// broken promise, what could not be evaluated, and a summary line.
func WriteTable(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "pvaudit probe: account %s (%s), contract %s, engine %s\n\n", orUnknown(r.Account.ID), r.Account.Source, r.Contract, r.Engine)
	t := reports.NewTable(w, "SCENARIO", "PRINCIPAL", "ACTION", "RESOURCE", "EXPECTED", "LOCAL", "AWS", "VERDICT")
	last := ""
	for i := range r.Results {
		res := &r.Results[i]
		scen := ""
		if k := string(res.Origin) + res.ScenarioID; k != last {
			scen = res.ScenarioID + "\n“" + res.Text + "”"
			last = k
		}
		verdict := string(res.Verdict)
		if res.Disagree {
			verdict += " (engines disagree)"
		}
		if err := t.Append([]string{scen, res.Principal.Name, dash(res.Action()), dash(reports.ShortResource(res.Resource())),
			string(res.Expect), engineCell(res.Local), engineCell(res.AWS), verdict}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	var broken, unevaluated, manual []string
	for i := range r.Results {
		res := &r.Results[i]
		head := fmt.Sprintf("%s  %s  %s %s", res.ScenarioID, res.Principal.Name, res.Action(), reports.ShortResource(res.Resource()))
		switch res.Verdict {
		case Fail, Warn:
			line := fmt.Sprintf("  %s %s: promised %s", res.Verdict, head, res.Expect)
			for _, er := range []*EngineResult{res.Local, res.AWS} {
				if er != nil {
					line += fmt.Sprintf("\n      %s: %s", er.Engine, explainResult(er))
				}
			}
			if res.When != "" {
				line += "\n      (promised only when " + res.When + ")"
			}
			broken = append(broken, line)
		case NotEvaluated:
			unevaluated = append(unevaluated, fmt.Sprintf("  %s: %s", head, reasonOf(res)))
		case Manual:
			manual = append(manual, fmt.Sprintf("  %s  %s: %s", res.ScenarioID, res.Principal.Name, res.Manual))
		}
		if res.Disagree && res.Verdict == Pass {
			broken = append(broken, fmt.Sprintf("  DISAGREE %s\n      local: %s\n      aws: %s", head, explainResult(res.Local), explainResult(res.AWS)))
		}
	}
	section := func(title string, lines []string) {
		if len(lines) > 0 {
			fmt.Fprintf(w, "\n%s\n%s\n", title, strings.Join(lines, "\n"))
		}
	}
	section("Broken promises (the statements that decided):", broken)
	section("Not evaluated (never a pass):", unevaluated)
	section("Not provable by IAM simulation (check by hand):", manual)
	if len(r.CoverageGaps) > 0 {
		var gaps []string
		for _, g := range r.CoverageGaps {
			gaps = append(gaps, fmt.Sprintf("  - %s: %s", g.Operation, g.Message))
		}
		section("Coverage gaps (the snapshot is incomplete):", gaps)
	}
	_, err := fmt.Fprintf(w, "\n%s\n", SummaryLine(r))
	return err
}

// SummaryLine is the one-line verdict under the table.
func SummaryLine(r *Report) string {
	s := r.Summary
	verdict := "clean"
	switch {
	case !r.Complete:
		verdict = "INCOMPLETE"
	case s.Fail > 0:
		verdict = "FAILED"
	}
	return fmt.Sprintf("Summary: %s — %d probes, %d pass, %d fail, %d warn, %d not evaluated, %d manual, %d disagreement(s) (engine: %s, fail-on: %s)",
		verdict, s.Total, s.Pass, s.Fail, s.Warn, s.NotEvaluated, s.Manual, s.Disagree, r.Engine, r.FailOn)
}

func explainResult(er *EngineResult) string {
	if er == nil {
		return "-"
	}
	if er.Reason != "" {
		return "not evaluated: " + er.Reason
	}
	return explain(er)
}

func engineCell(er *EngineResult) string {
	switch {
	case er == nil:
		return "-"
	case er.Verdict == Manual:
		return "manual"
	case er.Outcome == "":
		return "n/e"
	}
	return er.Outcome
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
