package baseline

// This file compares trust policies: AssumeRole by every principal either
// version names, and by an unrelated account.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// compareTrust evaluates AssumeRole by every principal either trust policy
// names (and one of any other account) before and after.
func (e *engine) compareTrust(roleARN string, before, after json.RawMessage) (PrincipalEffect, int) {
	pe := PrincipalEffect{NewlyAllowed: []Request{}, NewlyDenied: []Request{}}
	compile := func(raw json.RawMessage, when string) (*policy.CompiledTrust, *policy.Document) {
		if raw == nil {
			return nil, nil
		}
		d, err := e.parse(raw)
		if err != nil {
			pe.Incomplete = appendUnique(pe.Incomplete, when+": "+err.Error())
			return nil, nil
		}
		c, err := policy.CompileTrust("trust", d)
		if err != nil {
			pe.Incomplete = appendUnique(pe.Incomplete, when+": "+err.Error())
			return nil, d
		}
		return c, d
	}
	cb, db := compile(before, "before")
	ca, da := compile(after, "after")
	callers := []string{"arn:aws:iam::000000000000:root"}
	if e.provider != "" {
		callers = append(callers, e.provider)
	}
	for _, d := range []*policy.Document{db, da} {
		if d == nil {
			continue
		}
		for _, st := range d.Statements {
			for _, p := range []*policy.Principal{st.Principal, st.NotPrincipal} {
				if p == nil {
					continue
				}
				for _, v := range p.Values() {
					if _, val, ok := strings.Cut(v, ":"); ok && v != "*" {
						callers = append(callers, val)
					}
				}
			}
		}
	}
	slices.Sort(callers)
	callers = slices.Compact(callers)
	var bdocs, adocs []*policy.Document
	if db != nil {
		bdocs = []*policy.Document{db}
	}
	if da != nil {
		adocs = []*policy.Document{da}
	}
	ctxs := contexts(bdocs, adocs)
	account := inventory.AccountFromARN(roleARN)
	n, unevaluable := 0, 0
	decideT := func(c *policy.CompiledTrust, req *policy.Request) (bool, bool) {
		if c == nil {
			return false, true
		}
		r := c.Evaluate(req)
		if !r.Evaluable() {
			return false, false
		}
		return r.Decision == policy.Allow, true
	}
	for _, caller := range callers {
		for _, action := range []string{"sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"} {
			var gotAllow, gotDeny bool
			for _, ctx := range ctxs {
				req := &policy.Request{Principal: caller, Action: action, Resource: roleARN, Context: ctx}
				b, okb := decideT(cb, req)
				a, oka := decideT(ca, req)
				n += 2
				if !okb || !oka {
					unevaluable++
					continue
				}
				if a == b {
					continue
				}
				x := Request{Action: action, Access: "Write", Resource: roleARN, Caller: caller, Context: flat(ctx)}
				if a && !gotAllow {
					gotAllow = true
					x.Severity = trustSeverity(caller, account)
					pe.NewlyAllowed = append(pe.NewlyAllowed, x)
				}
				if b && !gotDeny {
					gotDeny = true
					x.Severity = finding.Info
					pe.NewlyDenied = append(pe.NewlyDenied, x)
				}
			}
		}
	}
	if unevaluable > 0 {
		pe.Incomplete = appendUnique(pe.Incomplete, fmt.Sprintf("%d AssumeRole request(s) could not be decided", unevaluable))
	}
	sortRequests(pe.NewlyAllowed)
	sortRequests(pe.NewlyDenied)
	pe.Effect = effectOf(len(pe.NewlyAllowed) > 0, len(pe.NewlyDenied) > 0, len(pe.Incomplete) > 0)
	return pe, n
}

// trustSeverity: trust newly given to another account (or anyone) is
// critical; to a principal of the account or a service, high.
func trustSeverity(caller, account string) finding.Severity {
	acct := inventory.AccountFromARN(caller)
	if strings.HasPrefix(caller, "arn:") && acct != "" && acct != account {
		return finding.Critical
	}
	return finding.High
}
