package probes

import (
	"context"
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// Local decides queries with pvaudit's evaluator over a snapshot: the
// principal's inline and attached policies and its permissions boundary.
// SCPs, session policies and resource-based policies are not in a snapshot
// and are not considered.
type Local struct {
	snap *inventory.Snapshot
}

// NewLocal returns the local engine for a snapshot.
func NewLocal(snap *inventory.Snapshot) *Local { return &Local{snap: snap} }

// Name is "local".
func (*Local) Name() string { return "local" }

// compiledRole is a role's policies ready for evaluation.
type compiledRole struct {
	all      *policy.Compiled
	boundary *policy.Compiled // nil without a boundary
	// boundaryMissing says why the boundary is not in the snapshot; all
	// then holds the identity policies only.
	boundaryMissing string
	boundaryForeign bool
	err             string
}

// Decide evaluates every query. It never fails except on a cancelled
// context.
func (l *Local) Decide(ctx context.Context, qs []Query) ([]Answer, error) {
	cache := map[string]*compiledRole{}
	out := make([]Answer, len(qs))
	for i, q := range qs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("local engine: %w", err)
		}
		cr, ok := cache[q.PrincipalARN]
		if !ok {
			cr = l.compile(q.PrincipalARN)
			cache[q.PrincipalARN] = cr
		}
		if cr.err != "" {
			out[i] = Answer{NotEvaluated: cr.err}
			continue
		}
		out[i] = decideLocal(cr, q)
	}
	return out, nil
}

func decideLocal(cr *compiledRole, q Query) Answer {
	req := &policy.Request{Principal: q.PrincipalARN, Action: q.Request.Action, Resource: q.Request.Resource}
	if len(q.Request.Context) > 0 {
		req.Context = map[string][]string{}
		for _, c := range q.Request.Context {
			req.Context[c.Key] = c.Values
		}
	}
	res := cr.all.Evaluate(req)
	if !res.Evaluable() {
		return Answer{NotEvaluated: "the evaluator cannot decide: " + strings.Join(res.Unevaluable, "; ")}
	}
	a := Answer{}
	switch res.Decision {
	case policy.Allow:
		a.Decision = Allowed
	case policy.ExplicitDeny:
		a.Decision = ExplicitDeny
	default:
		a.Decision = ImplicitDeny
		a.MissingLayer = string(res.MissingLayer)
	}
	for _, m := range res.Matched {
		a.Statements = append(a.Statements, m.String())
	}
	if cr.boundaryMissing != "" {
		if a.Decision == Allowed {
			// The unread boundary could still deny it.
			return Answer{NotEvaluated: cr.boundaryMissing}
		}
		a.BoundaryUnreadable, a.BoundaryForeign = cr.boundaryMissing, cr.boundaryForeign
		return a
	}
	if cr.boundary != nil {
		br := cr.boundary.Evaluate(req)
		if !br.Evaluable() {
			return Answer{NotEvaluated: "the evaluator cannot decide the boundary: " + strings.Join(br.Unevaluable, "; ")}
		}
		allowed := br.Decision == policy.Allow
		a.BoundaryAllowed = &allowed
	}
	return a
}

// compile gathers a role's policies from the snapshot. A policy the
// snapshot does not hold makes every query of the role not evaluated.
func (l *Local) compile(arn string) *compiledRole {
	var role *inventory.Role
	for i := range l.snap.Roles {
		if l.snap.Roles[i].ARN == arn {
			role = &l.snap.Roles[i]
			break
		}
	}
	if role == nil {
		return &compiledRole{err: "principal " + arn + " is not in the snapshot"}
	}
	set, barn, err := l.snap.RolePolicySet(role)
	if err != nil {
		return &compiledRole{err: err.Error()}
	}
	var bset *policy.PolicySet
	var missing string
	foreign := false
	switch {
	case barn == "":
		if set.Boundary != nil {
			bset = &policy.PolicySet{Identity: []policy.NamedPolicy{*set.Boundary}}
		}
	case inventory.AccountFromARN(barn) != "aws" && inventory.AccountFromARN(barn) != l.snap.AccountID:
		missing, foreign = "permissions boundary "+barn+" belongs to another account and cannot be read", true
	default:
		missing = "permissions boundary " + barn + " is not in the snapshot"
	}
	all, err := policy.Compile(set)
	if err != nil {
		return &compiledRole{err: fmt.Sprintf("policies of %s do not compile: %v", arn, err)}
	}
	cr := &compiledRole{all: all, boundaryMissing: missing, boundaryForeign: foreign}
	if bset != nil {
		b, err := policy.Compile(*bset)
		if err != nil {
			return &compiledRole{err: fmt.Sprintf("boundary of %s does not compile: %v", arn, err)}
		}
		cr.boundary = b
	}
	return cr
}
