package awsfake

import (
	"fmt"

	"github.com/pvaudit/pvaudit/policy"
)

// policyEvaluator is the default Evaluator: pvaudit's own policy package.
type policyEvaluator struct{}

// Evaluate compiles the input's documents and decides the request.
func (policyEvaluator) Evaluate(in EvalInput) (EvalOutput, error) {
	var set policy.PolicySet
	for _, nd := range in.Identity {
		doc, err := policy.ParseString(nd.Doc)
		if err != nil {
			return EvalOutput{}, fmt.Errorf("identity policy %s: %w", nd.Name, err)
		}
		set.Identity = append(set.Identity, policy.NamedPolicy{Name: nd.Name, Doc: doc})
	}
	if in.Boundary != nil {
		doc, err := policy.ParseString(in.Boundary.Doc)
		if err != nil {
			return EvalOutput{}, fmt.Errorf("permissions boundary %s: %w", in.Boundary.Name, err)
		}
		set.Boundary = &policy.NamedPolicy{Name: in.Boundary.Name, Doc: doc}
	}
	for _, nd := range in.Session {
		doc, err := policy.ParseString(nd.Doc)
		if err != nil {
			return EvalOutput{}, fmt.Errorf("session policy %s: %w", nd.Name, err)
		}
		set.Session = append(set.Session, policy.NamedPolicy{Name: nd.Name, Doc: doc})
	}
	c, err := policy.Compile(set)
	if err != nil {
		return EvalOutput{}, fmt.Errorf("compiling policies: %w", err)
	}
	res := c.Evaluate(&policy.Request{Principal: in.Principal, Action: in.Action, Resource: in.Resource, Context: in.Context})
	return fromResult(res), nil
}

func fromResult(res policy.Result) EvalOutput {
	out := EvalOutput{Decision: ImplicitDeny, MissingLayer: string(res.MissingLayer), Unevaluable: res.Unevaluable}
	switch {
	case !res.Evaluable():
		out.Decision = ImplicitDeny
	case res.Decision == policy.Allow:
		out.Decision = Allowed
	case res.Decision == policy.ExplicitDeny:
		out.Decision = ExplicitDeny
	}
	for _, m := range res.Matched {
		out.Matched = append(out.Matched, MatchedStatement{
			Layer: string(m.Layer), Policy: m.Policy, Index: m.Index, Sid: m.Sid, Effect: string(m.Effect),
		})
	}
	return out
}
