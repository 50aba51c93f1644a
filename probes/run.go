package probes

import (
	"context"
	"fmt"

	"github.com/pvaudit/pvaudit/contract"
)

// Verdict is the outcome of a probe against its promise.
type Verdict string

// Verdicts. NotEvaluated is never a pass; Manual rows cannot be proved by
// IAM simulation and say how to check them instead.
const (
	Pass         Verdict = "PASS"
	Fail         Verdict = "FAIL"
	Warn         Verdict = "WARN"
	NotEvaluated Verdict = "NOT_EVALUATED"
	Manual       Verdict = "MANUAL"
)

// EngineResult is one engine's decision on a probe.
type EngineResult struct {
	Engine string `json:"engine"`
	// Outcome is allowed, denied or capped (the boundary does not allow
	// it) — or empty when not evaluated.
	Outcome string   `json:"outcome,omitempty"`
	Steps   []Answer `json:"steps"`
	Verdict Verdict  `json:"verdict"`
	// Reason explains a NOT_EVALUATED verdict.
	Reason string `json:"reason,omitempty"`
}

// Result is a probe with its decisions.
type Result struct {
	Probe
	Local *EngineResult `json:"local,omitempty"`
	AWS   *EngineResult `json:"aws,omitempty"`
	// Verdict combines the engines: FAIL if any fails, else NOT_EVALUATED
	// if any could not decide, else WARN, else PASS.
	Verdict Verdict `json:"verdict"`
	// Disagree is set when both engines decided and their decisions
	// differ.
	Disagree bool `json:"disagree,omitempty"`
}

// Run decides every probe with the given engines (local, aws, or both:
// pass nil for an engine not used). The error is only for a cancelled
// context.
func Run(ctx context.Context, ps []Probe, local, remote Engine) ([]Result, error) {
	out := make([]Result, len(ps))
	for i := range ps {
		out[i].Probe = ps[i]
	}
	for ei, eng := range []Engine{local, remote} {
		if eng == nil {
			continue
		}
		var qs []Query
		index := map[string]int{}
		for i := range ps {
			p := &ps[i]
			if p.Manual != "" || p.Unexpanded != "" || p.Network != nil {
				continue
			}
			for _, s := range p.Steps {
				k := s.key(p.Principal.ARN)
				if _, ok := index[k]; !ok {
					index[k] = len(qs)
					qs = append(qs, Query{PrincipalARN: p.Principal.ARN, Request: s})
				}
			}
		}
		answers, err := eng.Decide(ctx, qs)
		if err != nil {
			return nil, fmt.Errorf("%s engine: %w", eng.Name(), err)
		}
		if len(answers) != len(qs) {
			return nil, fmt.Errorf("%s engine: %d answers for %d queries", eng.Name(), len(answers), len(qs))
		}
		for i := range ps {
			p := &ps[i]
			if p.Network != nil {
				er := p.Network.result(eng.Name())
				if ei == 0 {
					out[i].Local = er
				} else {
					out[i].AWS = er
				}
				continue
			}
			er := &EngineResult{Engine: eng.Name()}
			for _, s := range p.Steps {
				er.Steps = append(er.Steps, answers[index[s.key(p.Principal.ARN)]])
			}
			judge(p, er)
			if ei == 0 {
				out[i].Local = er
			} else {
				out[i].AWS = er
			}
		}
	}
	for i := range out {
		combine(&out[i])
	}
	return out, nil
}

// judge sets an engine's outcome and verdict for a probe.
func judge(p *Probe, er *EngineResult) {
	switch {
	case p.Manual != "":
		er.Verdict, er.Reason = Manual, p.Manual
		return
	case p.Unexpanded != "":
		er.Verdict, er.Reason = NotEvaluated, p.Unexpanded
		return
	}
	succeeded := true
	cappedAll := true
	for _, a := range er.Steps {
		if a.NotEvaluated != "" {
			er.Verdict, er.Reason = NotEvaluated, a.NotEvaluated
			return
		}
		if p.Expect == contract.ExpectCapped && a.BoundaryUnreadable != "" && !a.BoundaryForeign {
			er.Verdict, er.Reason = NotEvaluated, a.BoundaryUnreadable
			return
		}
		if a.Decision != Allowed {
			succeeded = false
		}
		if a.BoundaryAllowed == nil || *a.BoundaryAllowed {
			cappedAll = false
		}
	}
	er.Outcome = "denied"
	if succeeded {
		er.Outcome = "allowed"
	}
	if p.Expect == contract.ExpectCapped {
		switch {
		case cappedAll:
			er.Outcome = "capped"
		case er.Steps[0].BoundaryForeign:
			er.Outcome += ", boundary of another account"
		case er.Steps[0].BoundaryAllowed == nil:
			er.Outcome += ", no boundary"
		default:
			er.Outcome += ", boundary allows"
		}
	}
	ok := false
	switch p.Expect {
	case contract.ExpectAllowed:
		ok = succeeded
	case contract.ExpectDenied:
		ok = !succeeded
	case contract.ExpectCapped:
		ok = cappedAll
	}
	switch {
	case ok:
		er.Verdict = Pass
	case p.When != "":
		er.Verdict = Warn
	default:
		er.Verdict = Fail
	}
}

func verdictRank(v Verdict) int {
	switch v {
	case Fail:
		return 4
	case NotEvaluated:
		return 3
	case Warn:
		return 2
	case Manual:
		return 1
	}
	return 0
}

func combine(r *Result) {
	r.Verdict = Pass
	if r.Local == nil && r.AWS == nil {
		r.Verdict = NotEvaluated
		return
	}
	for _, er := range []*EngineResult{r.Local, r.AWS} {
		if er != nil && verdictRank(er.Verdict) > verdictRank(r.Verdict) {
			r.Verdict = er.Verdict
		}
	}
	if r.Local != nil && r.AWS != nil && r.Local.Outcome != "" && r.AWS.Outcome != "" {
		for i := range r.Local.Steps {
			a, b := r.Local.Steps[i], r.AWS.Steps[i]
			if a.Decision != b.Decision || !sameBool(a.BoundaryAllowed, b.BoundaryAllowed) {
				r.Disagree = true
			}
		}
	}
}

func sameBool(a, b *bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Deciding returns the statements that decided a failing probe: for a
// probe that should have been denied, the statements that allowed each
// step.
func (r *Result) Deciding() []string {
	var out []string
	for _, er := range []*EngineResult{r.Local, r.AWS} {
		if er == nil {
			continue
		}
		for _, a := range er.Steps {
			for _, s := range a.Statements {
				out = append(out, er.Engine+": "+s)
			}
		}
	}
	return out
}
