package policy

import (
	"errors"
	"strings"
)

// MatchesPrincipal reports whether the Principal element names the caller.
// caller is an ARN (IAM user or role, assumed-role session, account root),
// a 12-digit account ID, a service principal ("lambda.amazonaws.com"), a
// federated provider (an identity provider ARN or a name such as
// "cognito-identity.amazonaws.com") or a canonical user ID.
//
// Rules, from AWS's documentation of the Principal element:
//   - "*" and {"AWS": "*"} name everyone;
//   - an account ("123456789012" or "arn:aws:iam::123456789012:root")
//     names every principal of that account (the account's own policies
//     must then allow too);
//   - a role ARN names the role and every session of it
//     ("arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION"); the role's path
//     is not part of the session ARN, so sessions are matched by name;
//   - a user ARN or session ARN names exactly that principal;
//   - Service, Federated and CanonicalUser values are compared exactly
//     (service principals case-insensitively).
//
// Wildcards other than a lone "*" are not supported in Principal by AWS
// and match literally here.
func (p *Principal) MatchesPrincipal(caller string) bool {
	if p == nil {
		return false
	}
	if p.Wildcard {
		return true
	}
	for _, v := range p.AWS {
		if awsPrincipalMatches(v, caller) {
			return true
		}
	}
	for _, v := range p.Service {
		if strings.EqualFold(v, caller) {
			return true
		}
	}
	for _, v := range p.Federated {
		if v == caller {
			return true
		}
	}
	for _, v := range p.CanonicalUser {
		if v == caller {
			return true
		}
	}
	return false
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// awsPrincipalMatches matches one "AWS" principal value against the caller.
func awsPrincipalMatches(v, caller string) bool {
	if v == "*" {
		return true
	}
	if v == caller {
		return true
	}
	c := splitARN(caller)
	callerAccount := ""
	if c.isARN() {
		callerAccount = c.f[4]
	} else if isAccountID(caller) {
		callerAccount = caller
	}
	if isAccountID(v) {
		return v == callerAccount
	}
	p := splitARN(v)
	if !p.isARN() || p.f[2] != "iam" {
		return false
	}
	if p.f[5] == "root" {
		return p.f[4] != "" && p.f[4] == callerAccount && (!c.isARN() || c.f[1] == p.f[1])
	}
	// A role ARN also names the role's sessions.
	if strings.HasPrefix(p.f[5], "role/") && c.isARN() && c.f[2] == "sts" &&
		strings.HasPrefix(c.f[5], "assumed-role/") && c.f[1] == p.f[1] && c.f[4] == p.f[4] {
		roleName := p.f[5][strings.LastIndexByte(p.f[5], '/')+1:]
		rest := strings.TrimPrefix(c.f[5], "assumed-role/")
		sessRole, _, _ := strings.Cut(rest, "/")
		return roleName == sessRole
	}
	// Role ARN given with a path vs. without: compare account and name.
	if strings.HasPrefix(p.f[5], "role/") && c.isARN() && c.f[2] == "iam" &&
		strings.HasPrefix(c.f[5], "role/") && c.f[1] == p.f[1] && c.f[4] == p.f[4] {
		return p.f[5] == c.f[5]
	}
	return false
}

// CompiledTrust is a compiled resource-based policy such as a role's trust
// policy. It is safe for concurrent use.
type CompiledTrust struct {
	stmts []cStmt
	// wc caches the witness computations of Exists.
	wc *witnessCache
}

// CompileTrust compiles a resource-based policy. Statements must name a
// Principal or NotPrincipal; Resource may be absent (as in trust policies),
// in which case the statement covers the policy's own resource.
func CompileTrust(name string, doc *Document) (*CompiledTrust, error) {
	stmts, err := compileDocument(LayerResource, 0, NamedPolicy{Name: name, Doc: doc})
	if err != nil {
		return nil, err
	}
	for i := range stmts {
		if stmts[i].principal == nil {
			st := doc.Statements[i]
			return nil, &CompileError{Layer: LayerResource, Policy: name, Index: i, Sid: st.Sid, Err: ErrNoPrincipal}
		}
	}
	return &CompiledTrust{stmts: stmts, wc: &witnessCache{}}, nil
}

// ErrNoPrincipal is returned (wrapped in a *CompileError) by CompileTrust
// for a statement that names no Principal or NotPrincipal.
var ErrNoPrincipal = errors.New("resource-based policy statement has neither Principal nor NotPrincipal")

// Evaluate decides whether the policy lets req.Principal perform
// req.Action on req.Resource: ExplicitDeny when a Deny statement applies to
// the caller, Allow when an Allow statement does, ImplicitDeny otherwise
// (MissingLayer "resource"). For a trust policy use Action
// "sts:AssumeRole" (or AssumeRoleWithWebIdentity / AssumeRoleWithSAML) and
// Resource the role ARN or "*". An Allow here is not the whole story: for
// a caller in another account, its own identity policies must allow too.
func (t *CompiledTrust) Evaluate(req *Request) Result {
	ev := evalCtx{req: req}
	var denies, allows []MatchedStatement
	var unknownDeny, unknownAllow []string
	for i := range t.stmts {
		s := &t.stmts[i]
		if s.principal.MatchesPrincipal(req.Principal) == s.notPrincipal {
			continue
		}
		switch r, why := s.applies(&ev); r {
		case triTrue:
			if s.deny {
				denies = append(denies, s.ms[0])
			} else {
				allows = append(allows, s.ms[0])
			}
		case triUnknown:
			if s.deny {
				unknownDeny = append(unknownDeny, s.label()+": "+why)
			} else {
				unknownAllow = append(unknownAllow, s.label()+": "+why)
			}
		}
	}
	switch {
	case len(denies) > 0:
		return Result{Decision: ExplicitDeny, Matched: denies}
	case len(unknownDeny) > 0:
		return Result{Unevaluable: unknownDeny}
	case len(allows) > 0:
		return Result{Decision: Allow, Matched: allows}
	case len(unknownAllow) > 0:
		return Result{Unevaluable: unknownAllow}
	}
	return Result{Decision: ImplicitDeny, MissingLayer: LayerResource}
}

// TrustAllows evaluates a trust policy for a caller assuming the role with
// sts:AssumeRole. context may be nil.
func TrustAllows(doc *Document, principal string, context map[string][]string) (Result, error) {
	t, err := CompileTrust("trust", doc)
	if err != nil {
		return Result{}, err
	}
	return t.Evaluate(&Request{Principal: principal, Action: "sts:AssumeRole", Resource: "*", Context: context}), nil
}
