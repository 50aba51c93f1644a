package checks

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// roleEval is a role's compiled policy set, or why it could not be built.
type roleEval struct {
	set      policy.PolicySet
	compiled *RoleEvaluator
	err      error
}

// RoleEvaluator decides requests for one role. When the role's boundary
// policy is not in the snapshot, it evaluates the identity policies alone:
// a denial is then still certain (a boundary only takes away), but an Allow
// is reported as unevaluable.
type RoleEvaluator struct {
	c *policy.Compiled
	// missingBoundary is set when the boundary could not be read.
	missingBoundary string
	// account is the scanned account, the default aws:ResourceAccount.
	account string
	// now is the scan's clock: aws:CurrentTime of every request.
	now time.Time
	// stmts and patterns are the compiled policies' action patterns
	// (see actions), sig the patterns written out.
	stmts    []policy.StatementActions
	patterns []string
	sig      string
	// unknown are the actions the statements name that the catalogue
	// lacks (see uncatalogued), computed once.
	unknown     []unknownAction
	unknownDone bool
}

// actions returns the action patterns of the evaluator's statements in
// statement order, all of them flattened, and a string that determines
// them: roles whose policies name the same actions share action classes.
func (ev *RoleEvaluator) actions() ([]policy.StatementActions, []string, string) {
	if ev.stmts == nil {
		ev.stmts = ev.c.Actions()
		var b strings.Builder
		for _, s := range ev.stmts {
			fmt.Fprintf(&b, "%s/%t/%t/%d\x01", s.Layer, s.Deny, s.Not, len(s.Patterns))
			for _, p := range s.Patterns {
				b.WriteString(p)
				b.WriteByte(0)
			}
			ev.patterns = append(ev.patterns, s.Patterns...)
		}
		ev.sig = b.String()
	}
	return ev.stmts, ev.patterns, ev.sig
}

// Evaluate decides one request. Like AWS, it supplies aws:ResourceAccount
// when the request does not carry it: the resource ARN's account, or the
// scanned account for ARNs without one (S3) and "*".
func (r *RoleEvaluator) Evaluate(req *policy.Request) policy.Result {
	if req.Now.IsZero() && !r.now.IsZero() {
		cp := *req
		cp.Now = r.now
		req = &cp
	}
	if r.account != "" && req.ResourceAccount == "" {
		acct := inventory.AccountFromARN(req.Resource)
		if acct == "" || acct == "aws" {
			acct = r.account
		}
		cp := *req
		cp.ResourceAccount = acct // used only when Context lacks the key
		req = &cp
	}
	res := r.c.Evaluate(req)
	if r.missingBoundary != "" && res.Evaluable() && res.Decision == policy.Allow {
		return policy.Result{Unevaluable: []string{"identity policies allow it, but the permissions boundary " + r.missingBoundary + " is not in the snapshot"}}
	}
	return res
}

// ErrPolicyMissing is wrapped when a policy a role references is not in the
// snapshot, so the role's permissions cannot be decided.
var ErrPolicyMissing = inventory.ErrPolicyMissing

// Evaluator returns the compiled policy set of a role: its inline policies,
// the default versions of its attached managed policies, and the default
// version of its permissions boundary. A policy the role references but the
// snapshot lacks is an error (checks then report ERROR for the role). The
// result is cached in the Env; Env is not safe for concurrent use.
func (e *Env) Evaluator(r *inventory.Role) (*RoleEvaluator, error) {
	if e.evals == nil {
		e.evals = map[string]*roleEval{}
	}
	if ev, ok := e.evals[r.ARN]; ok {
		return ev.compiled, ev.err
	}
	ev := &roleEval{}
	var missing string
	ev.set, missing, ev.err = e.Snap.RolePolicySet(r)
	if ev.err == nil {
		c, err := policy.Compile(ev.set)
		if err != nil {
			ev.err = fmt.Errorf("compile policies of %s: %w", r.Name, err)
		} else {
			ev.compiled = &RoleEvaluator{c: c, missingBoundary: missing, account: e.Account(r), now: e.Now}
		}
	}
	e.evals[r.ARN] = ev
	return ev.compiled, ev.err
}

// identityDocs returns the documents of a role's identity layer, named.
func (e *Env) identityDocs(r *inventory.Role) []policy.NamedPolicy {
	if _, err := e.Evaluator(r); err != nil {
		return nil
	}
	return e.evals[r.ARN].set.Identity
}

// Account returns the scanned account ID, or the role's account when the
// snapshot does not say.
func (e *Env) Account(r *inventory.Role) string {
	if e.Snap.AccountID != "" {
		return e.Snap.AccountID
	}
	if r != nil {
		return inventory.AccountFromARN(r.ARN)
	}
	return ""
}

// Vars returns the contract's template variables for the scanned account
// and, when given, a compute node.
func (e *Env) Vars(r *inventory.Role, node string) map[string]string {
	extra := map[string]string{"account_id": e.Account(r)}
	if node != "" {
		extra["node_id"] = node
	}
	return e.Contract.Parameters.Vars(extra)
}

// decide evaluates one request as the role.
func (e *Env) decide(r *inventory.Role, action, resource string, ctx map[string][]string) (policy.Result, error) {
	c, err := e.Evaluator(r)
	if err != nil {
		return policy.Result{}, err
	}
	return c.Evaluate(&policy.Request{Principal: r.ARN, Action: action, Resource: resource, Context: ctx}), nil
}

// matchedStrings renders the statements that decided.
func matchedStrings(r policy.Result) []string {
	out := make([]string, 0, len(r.Matched))
	for _, m := range r.Matched {
		out = append(out, m.String())
	}
	return out
}

// unevaluable builds the NOT_EVALUATED finding for a result the engine could
// not decide.
func (c *Check) unevaluable(resource, key, what string, res policy.Result) finding.Finding {
	return c.finding(finding.NotEvaluated, resource, key,
		fmt.Sprintf("cannot decide %s: %s", what, strings.Join(res.Unevaluable, "; ")),
		map[string]any{"unevaluable": res.Unevaluable})
}

// evalError builds the ERROR finding for a role whose policies could not be
// assembled or compiled.
func (c *Check) evalError(r *inventory.Role, err error) finding.Finding {
	return c.finding(finding.Error, r.ARN, "evaluator",
		fmt.Sprintf("cannot evaluate %s's permissions: %v", r.Name, err),
		map[string]any{"error": err.Error()})
}

// grantCovers reports whether a concrete request is inside an allow-list.
func grantCovers(grants []contract.Grant, vars map[string]string, action, resource string) (contract.Grant, bool) {
	for _, g := range grants {
		if !contract.Glob(strings.ToLower(g.Action), strings.ToLower(action)) {
			continue
		}
		pat, err := contract.Expand(g.Resource, vars)
		if err != nil {
			continue // an unset parameter allows nothing
		}
		if contract.Glob(pat, resource) {
			return g, true
		}
	}
	return contract.Grant{}, false
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
