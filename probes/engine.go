package probes

import (
	"context"
	"fmt"
)

// Decisions as IAM's simulator spells them.
const (
	Allowed      = "allowed"
	ExplicitDeny = "explicitDeny"
	ImplicitDeny = "implicitDeny"
)

// Query is one request by one principal.
type Query struct {
	PrincipalARN string
	Request      Request
}

// Answer is one engine's decision on one query.
type Answer struct {
	// Decision is allowed, explicitDeny or implicitDeny; empty when the
	// engine could not decide (see NotEvaluated).
	Decision string `json:"decision,omitempty"`
	// BoundaryAllowed says whether the principal's permissions boundary
	// alone allows the request; nil when the principal has none.
	BoundaryAllowed *bool `json:"boundary_allowed,omitempty"`
	// BoundaryUnreadable says why the principal's boundary could not be
	// read (the decision is then one the boundary cannot change: a deny by
	// the identity policies). BoundaryForeign: the boundary is a policy of
	// another account, so it is not the provider's boundary in this one.
	BoundaryUnreadable string `json:"boundary_unreadable,omitempty"`
	BoundaryForeign    bool   `json:"boundary_foreign,omitempty"`
	// Statements are the statements that decided: the denying ones for a
	// deny, the allowing ones for an allow.
	Statements []string `json:"statements,omitempty"`
	// MissingLayer is, for an implicit deny, the first policy layer with
	// no allowing statement (local engine only).
	MissingLayer string `json:"missing_layer,omitempty"`
	// MissingContext lists condition keys the policies use that the
	// request did not carry (AWS engine).
	MissingContext []string `json:"missing_context,omitempty"`
	// NotEvaluated is why the engine could not decide.
	NotEvaluated string `json:"not_evaluated,omitempty"`
}

// Explain renders the answer in one line.
func (a Answer) Explain() string {
	if a.NotEvaluated != "" {
		return "not evaluated: " + a.NotEvaluated
	}
	s := a.Decision
	switch {
	case len(a.Statements) > 0:
		s += " by " + joinStatements(a.Statements)
	case a.MissingLayer != "":
		s += fmt.Sprintf(" (no %s policy allows it)", a.MissingLayer)
	}
	switch {
	case a.BoundaryForeign:
		s += "; its boundary is another account's policy"
	case a.BoundaryUnreadable != "":
		s += "; boundary unreadable"
	case a.Decision == Allowed:
	case a.BoundaryAllowed == nil:
		s += "; no permissions boundary"
	case *a.BoundaryAllowed:
		s += "; boundary allows it"
	default:
		s += "; boundary does not allow it"
	}
	return s
}

func joinStatements(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// Engine decides queries. Decide returns one answer per query, in order;
// a query the engine cannot decide gets an answer with NotEvaluated. The
// error is reserved for the run being cut short (a cancelled context).
type Engine interface {
	Name() string
	Decide(ctx context.Context, qs []Query) ([]Answer, error)
}
