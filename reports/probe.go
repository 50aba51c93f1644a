package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/probes"
)

// ProbeReport is what `pvaudit probe` produced.
type ProbeReport struct {
	Header
	Outcome
	Engine string `json:"engine"`
	// Summary counts probe results by verdict; FindingSummary counts the
	// findings they give.
	Summary        probes.Summary    `json:"summary"`
	FindingSummary finding.Summary   `json:"finding_summary"`
	CoverageGaps   []inventory.Gap   `json:"coverage_gaps"`
	Results        []probes.Result   `json:"results"`
	Findings       []finding.Finding `json:"findings"`
}

// Result returns the verdict and the finding counts.
func (r *ProbeReport) Result() (finding.Verdict, finding.Summary) { return r.Verdict, r.FindingSummary }

func (r *ProbeReport) normalizeJSON() {
	r.Results = nonNil(r.Results)
	r.Findings = nonNil(r.Findings)
	r.CoverageGaps = nonNil(r.CoverageGaps)
	if r.Verdict.Accepted == nil {
		r.Verdict.Accepted = []finding.AcceptedGap{}
	}
}

// writeProbeTable renders one row per request — Scenario | Principal |
// Action | Resource | Expected | Local | AWS | Verdict — with the document's
// sentence on the first row of each scenario, then what decided every
// broken promise, what could not be evaluated, and a summary line.
func writeProbeTable(w io.Writer, rep Report, o Options) error {
	r := rep.(*ProbeReport)
	fmt.Fprintf(w, "pvaudit probe: account %s (%s), contract %s%s, engine %s\n\n", orUnknown(r.Account.ID), r.Account.Source, r.Contract, configNote(r.Header), r.Engine)
	t := newTable(w, o.width(), "SCENARIO", "PRINCIPAL", "ACTION", "RESOURCE", "EXPECTED", "LOCAL", "AWS", "VERDICT")
	last := ""
	hidden := 0
	for i := range r.Results {
		res := &r.Results[i]
		if res.Verdict == probes.Pass && !res.Disagree && !o.ShowPass {
			hidden++
			continue
		}
		scen := ""
		if k := string(res.Origin) + res.ScenarioID; k != last {
			scen = res.ScenarioID + "\n“" + res.Text + "”"
			last = k
		}
		verdict := string(res.Verdict)
		if res.Disagree {
			verdict += " (engines disagree)"
		}
		if err := t.Append([]string{scen, res.Principal.Name, dash(res.Action()), dash(ShortResource(res.Resource())),
			string(res.Expect), engineCell(res.Local), engineCell(res.AWS), verdict}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(w, "%d PASS row(s) not listed: --show-pass lists them.\n", hidden)
	}
	var broken, unevaluated, manual []string
	for i := range r.Results {
		res := &r.Results[i]
		head := fmt.Sprintf("%s  %s  %s %s", res.ScenarioID, res.Principal.Name, res.Action(), ShortResource(res.Resource()))
		switch res.Verdict {
		case probes.Fail, probes.Warn:
			line := fmt.Sprintf("  %s %s: promised %s", res.Verdict, head, res.Expect)
			for _, er := range []*probes.EngineResult{res.Local, res.AWS} {
				if er != nil {
					line += fmt.Sprintf("\n      %s: %s", er.Engine, er.Explain())
				}
			}
			if res.When != "" {
				line += "\n      (promised only when " + res.When + ")"
			}
			broken = append(broken, line)
		case probes.NotEvaluated:
			unevaluated = append(unevaluated, fmt.Sprintf("  %s: %s", head, res.Reason()))
		case probes.Manual:
			manual = append(manual, fmt.Sprintf("  %s  %s: %s", res.ScenarioID, res.Principal.Name, res.Manual))
		}
		if res.Disagree && res.Verdict == probes.Pass {
			broken = append(broken, fmt.Sprintf("  DISAGREE %s\n      local: %s\n      aws: %s", head, res.Local.Explain(), res.AWS.Explain()))
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
	writeGaps(w, r.CoverageGaps)
	writeAccepted(w, r.Verdict)
	_, err := fmt.Fprintf(w, "\n%s\n", probeSummaryLine(r))
	return err
}

// probeSummaryLine is the verdict line under the probe table: the word
// from the verdict, the counts of probe results.
func probeSummaryLine(r *ProbeReport) string {
	s := r.Summary
	word := map[finding.Outcome]string{finding.Clean: "clean", finding.Failed: "FAILED", finding.Incomplete: "INCOMPLETE"}[r.Verdict.Outcome]
	extra := ""
	if n := r.Verdict.BelowFailOn; n > 0 {
		extra += fmt.Sprintf(", %d failing finding(s) below fail-on", n)
	}
	if n := len(r.Verdict.Accepted); n > 0 {
		extra += fmt.Sprintf(", %d accepted gap(s)", n)
	}
	return fmt.Sprintf("Summary: %s — %d probes, %d pass, %d fail, %d warn, %d not evaluated, %d manual, %d disagreement(s)%s (engine: %s, fail-on: %s)",
		word, s.Total, s.Pass, s.Fail, s.Warn, s.NotEvaluated, s.Manual, s.Disagree, extra, r.Engine, r.FailOn)
}

func engineCell(er *probes.EngineResult) string {
	switch {
	case er == nil:
		return "-"
	case er.Verdict == probes.Manual:
		return "manual"
	case er.Outcome == "":
		return "n/e"
	}
	return er.Outcome
}
