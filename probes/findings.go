package probes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// Check IDs of probe findings.
const (
	CheckScenario   = "PV-PRB-001"
	CheckEscalation = "PV-PRB-002"
	CheckIsolation  = "PV-PRB-003"
	CheckDisagree   = "PV-PRB-004"
)

// CheckIDs lists the IDs probe findings use.
func CheckIDs() []string {
	return []string{CheckScenario, CheckEscalation, CheckIsolation, CheckDisagree}
}

// Describe returns a probe check's title, remediation and controls.
func Describe(id string) (title, remediation string, controls []finding.Control) {
	m := metaFor(id)
	return m.title, m.remediation, append([]finding.Control(nil), m.controls...)
}

type checkMeta struct {
	title, remediation string
	controls           []finding.Control
}

func metaFor(id string) checkMeta {
	ac3 := finding.Control{Framework: "NIST-800-53r5", ID: "AC-3"}
	ac6 := finding.Control{Framework: "NIST-800-53r5", ID: "AC-6"}
	ca7 := finding.Control{Framework: "NIST-800-53r5", ID: "CA-7"}
	hipaa := finding.Control{Framework: "HIPAA", ID: "164.312(a)(1)"}
	nist171 := finding.Control{Framework: "NIST-800-171r2", ID: "3.1.5"}
	switch id {
	case CheckScenario:
		return checkMeta{"Documented scenario holds when simulated",
			"Change the principal's policies (or its permissions boundary) so that the request has the documented outcome; " +
				"the evidence names the statement that decided it. Ask the provider to correct its deployment if the role is theirs.",
			[]finding.Control{ac3, ac6, hipaa, nist171}}
	case CheckEscalation:
		return checkMeta{"No privilege-escalation path for the cross-account role",
			"Deny the listed request to the cross-account role (for example: deny iam:CreatePolicy on the boundary name pattern, " +
				"scope iam:PassRole to roles that carry the provider boundary, deny IAM writes on roles that are not the provider's).",
			[]finding.Control{ac6, ac3, hipaa, nist171}}
	case CheckIsolation:
		return checkMeta{"Compute nodes are isolated from each other",
			"Scope the role's statements to its own node's resources (names containing its node identifier) instead of a wildcard.",
			[]finding.Control{ac3, ac6, nist171}}
	}
	return checkMeta{"Local evaluator and AWS policy simulator agree",
		"Read both explanations: one engine sees a policy, condition or organization control the other does not. " +
			"Trust neither verdict until the difference is understood.",
		[]finding.Control{ca7}}
}

func checkFor(o Origin) string {
	switch o {
	case FromEscalation:
		return CheckEscalation
	case FromIsolation:
		return CheckIsolation
	}
	return CheckScenario
}

// FailureDetail is one broken request in a finding's evidence.
type FailureDetail struct {
	Action   string   `json:"action"`
	Resource string   `json:"resource"`
	Expected string   `json:"expected"`
	Local    string   `json:"local,omitempty"`
	AWS      string   `json:"aws,omitempty"`
	Deciding []string `json:"deciding,omitempty"`
}

// Findings turns results into findings: one per scenario and principal,
// with the worst verdict of its requests, plus one per disagreement of the
// engines. Manual rows give no finding.
func Findings(rs []Result) []finding.Finding { return findings(rs, nil) }

// passedGroup counts the requests of one finding that were decided
// denied, as the probe expected, without materialising their results.
type passedGroup struct {
	first Probe
	n     int
	// failed counts requests decided allowed (the probe fails) beyond
	// the maxDetails failing results the group keeps: they are counted
	// in the finding, never listed; failedVerdict is their verdict (Fail,
	// or Warn for a probe with a When).
	failed        int
	failedVerdict Verdict
}

func groupKey(p *Probe) string {
	return string(p.Origin) + "\x00" + p.group() + "\x00" + p.Principal.Name
}

func findings(rs []Result, passed map[string]*passedGroup) []finding.Finding {
	type group struct {
		first  *Result
		rs     []*Result
		extra  int
		failed int
		fv     Verdict
	}
	groups := map[string]*group{}
	var order []string
	for i := range rs {
		r := &rs[i]
		if r.Verdict == Manual {
			continue
		}
		k := groupKey(&r.Probe)
		g, ok := groups[k]
		if !ok {
			g = &group{first: r}
			groups[k] = g
			order = append(order, k)
		}
		g.rs = append(g.rs, r)
	}
	for k, pg := range passed {
		g, ok := groups[k]
		if !ok {
			first := &Result{Probe: pg.first, Verdict: Pass}
			g = &group{first: first}
			groups[k] = g
			order = append(order, k)
		}
		g.extra += pg.n
		g.failed += pg.failed
		if verdictRank(pg.failedVerdict) > verdictRank(g.fv) {
			g.fv = pg.failedVerdict
		}
	}
	var out []finding.Finding
	for _, k := range order {
		g := groups[k]
		out = append(out, groupFinding(g.first, g.rs, g.extra, g.failed, g.fv))
	}
	for i := range rs {
		if rs[i].Disagree {
			out = append(out, disagreement(&rs[i]))
		}
	}
	finding.Sort(out)
	return out
}

// maxDetails bounds the broken requests listed in one finding's evidence.
const maxDetails = 20

func statusOf(v Verdict) finding.Status {
	switch v {
	case Pass:
		return finding.Pass
	case Fail:
		return finding.Fail
	case Warn:
		return finding.Warn
	}
	return finding.NotEvaluated
}

// groupFinding judges one scenario for one principal over its results
// and passed more requests decided as promised without a result.
// passed counts requests decided as promised and failed requests that
// broke the promise, beyond the results rs holds (see passedGroup).
func groupFinding(first *Result, rs []*Result, passed, failed int, failedVerdict Verdict) finding.Finding {
	id := checkFor(first.Origin)
	m := metaFor(id)
	worst := Pass
	for _, r := range rs {
		if verdictRank(r.Verdict) > verdictRank(worst) {
			worst = r.Verdict
		}
	}
	resource := first.Principal.ARN
	if resource == "" {
		resource = first.Principal.Name
	}
	ev := map[string]any{
		"scenario": first.group(),
		"text":     first.Text,
		"expected": string(first.Expect),
		"requests": len(rs) + passed + failed,
	}
	if first.Section != "" {
		ev["section"] = first.Section
	}
	var details []FailureDetail
	var reasons []string
	for _, r := range rs {
		if r.Verdict == Pass {
			continue
		}
		if r.Verdict == NotEvaluated {
			reasons = append(reasons, reasonOf(r))
			continue
		}
		d := FailureDetail{Action: r.Action(), Resource: r.Resource(), Expected: string(r.Expect), Deciding: r.Deciding()}
		if r.Local != nil {
			d.Local = r.Local.Outcome
		}
		if r.AWS != nil {
			d.AWS = r.AWS.Outcome
		}
		details = append(details, d)
	}
	if failed > 0 && verdictRank(failedVerdict) > verdictRank(worst) {
		worst = failedVerdict
	}
	broken := len(details) + failed
	if len(details) > 0 {
		ev["broken"] = details[:min(len(details), maxDetails)]
		if broken > maxDetails {
			ev["broken_total"] = broken
		}
	}
	if len(reasons) > 0 {
		ev["not_evaluated"] = uniq(reasons)
	}
	var msg string
	switch worst {
	case Pass:
		msg = fmt.Sprintf("%s: %d request(s) %s as promised", first.Text, len(rs)+passed+failed, first.Expect)
	case NotEvaluated:
		msg = fmt.Sprintf("%s: not evaluated: %s", first.Text, uniq(reasons)[0])
	default:
		d := details[0]
		outcome := d.Local
		if outcome == "" {
			outcome = d.AWS
		}
		msg = fmt.Sprintf("%s: %s on %s is %s, promised %s", first.Text, d.Action, d.Resource, outcome, d.Expected)
		if len(d.Deciding) > 0 {
			msg += " (" + d.Deciding[0] + ")"
		}
		if broken > 1 {
			msg += fmt.Sprintf("; %d more", broken-1)
		}
		if first.When != "" {
			msg += "; expected only when " + first.When
		}
	}
	f := finding.Finding{
		CheckID: id, Title: m.title, Severity: first.Severity, Status: statusOf(worst),
		Resource: resource, Key: first.group(), Message: msg, Evidence: ev,
		Controls: append([]finding.Control(nil), m.controls...),
	}
	if worst != Pass {
		f.Remediation = m.remediation
	}
	f.Finalize()
	return f
}

// Reason says why a result could not be evaluated (or why its row could
// not be expanded).
func (r *Result) Reason() string { return reasonOf(r) }

func reasonOf(r *Result) string {
	for _, er := range []*EngineResult{r.Local, r.AWS} {
		if er != nil && er.Reason != "" {
			return er.Reason
		}
	}
	return r.Unexpanded
}

func disagreement(r *Result) finding.Finding {
	m := metaFor(CheckDisagree)
	local, remote := explain(r.Local), explain(r.AWS)
	f := finding.Finding{
		CheckID: CheckDisagree, Title: m.title, Severity: finding.Medium, Status: finding.Fail,
		Resource: r.Principal.ARN, Key: r.ScenarioID + " " + r.Action() + " " + r.Resource(),
		Message: fmt.Sprintf("%s on %s: local says %s; AWS says %s", r.Action(), r.Resource(), local, remote),
		Evidence: map[string]any{
			"scenario": r.ScenarioID, "text": r.Text, "action": r.Action(), "resource": r.Resource(),
			"local": local, "aws": remote,
		},
		Remediation: m.remediation,
		Controls:    append([]finding.Control(nil), m.controls...),
	}
	f.Finalize()
	return f
}

// Explain renders what decided an engine result, step by step; a result
// that could not be evaluated says why.
func (er *EngineResult) Explain() string {
	if er == nil {
		return "-"
	}
	if er.Reason != "" {
		return "not evaluated: " + er.Reason
	}
	return explain(er)
}

func explain(er *EngineResult) string {
	if er == nil {
		return ""
	}
	var parts []string
	for _, a := range er.Steps {
		parts = append(parts, a.Explain())
	}
	return strings.Join(parts, " → ")
}

func uniq(ss []string) []string {
	set := map[string]bool{}
	for _, s := range ss {
		set[s] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
