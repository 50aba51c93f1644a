package probes

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// Local decides queries with pvaudit's evaluator over a snapshot: the
// principal's inline and attached policies and its permissions boundary.
// SCPs, session policies and resource-based policies are not in a snapshot
// and are not considered.
type Local struct {
	snap *inventory.Snapshot
	base func(r *inventory.Role, resource string) *policy.Question
	// roles caches each principal's compiled policies across Decide
	// calls (the isolation probes call Decide once per node).
	mu    sync.Mutex
	roles map[string]*compiledRole
}

// NewLocal returns the local engine for a snapshot. A request is decided
// existentially: "allowed" when some value of the keys the caller chooses
// lets it through (every row's own context is fixed), "denied" when none
// does. base gives each principal's facts and context model (see
// checks.Env.PrincipalQuestion); nil knows nothing but the principal's ARN
// and cannot decide a condition on the request time.
func NewLocal(snap *inventory.Snapshot, base func(r *inventory.Role, resource string) *policy.Question) *Local {
	return &Local{snap: snap, base: base}
}

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
	role            *inventory.Role
	// questions caches the base questions of the role (see question).
	questions map[string]*policy.Question
}

// Decide evaluates every query. It never fails except on a cancelled
// context.
func (l *Local) Decide(ctx context.Context, qs []Query) ([]Answer, error) {
	out := make([]Answer, len(qs))
	for i, q := range qs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("local engine: %w", err)
		}
		cr := l.role(q.PrincipalARN)
		if cr.err != "" {
			out[i] = Answer{NotEvaluated: cr.err}
			continue
		}
		out[i] = decideLocal(cr, q, l.question(cr, q))
	}
	return out, nil
}

// role returns the principal's compiled policies, compiling them once.
func (l *Local) role(arn string) *compiledRole {
	l.mu.Lock()
	defer l.mu.Unlock()
	cr, ok := l.roles[arn]
	if !ok {
		cr = l.compile(arn)
		if l.roles == nil {
			l.roles = map[string]*compiledRole{}
		}
		l.roles[arn] = cr
	}
	return cr
}

// deniedForSure reports whether no context can let the principal make the
// request (see policy.Compiled.CannotAllow): such a request needs no
// search, and a probe that expects it denied passes. False means "decide
// it": the principal may be unknown or its policies broken, which Decide
// reports.
func (l *Local) deniedForSure(arn string, r Request) bool {
	cr := l.role(arn)
	return cr.err == "" && cr.all.CannotAllow(r.Action, r.Resource)
}

// question is the existential question of one query: the principal's
// base question with the row's own context fixed.
func (l *Local) question(cr *compiledRole, q Query) *policy.Question {
	svc, _, _ := strings.Cut(q.Request.Action, ":")
	// The base question depends on the principal, the action's service
	// and only the kind of resource (a role of the snapshot, an ARN with an
	// account, one without): built once per kind, shared read-only.
	kind := "acct"
	switch acct := inventory.AccountFromARN(q.Request.Resource); {
	case strings.Contains(q.Request.Resource, ":role/"):
		kind = "role " + q.Request.Resource
	case q.Request.Resource == "*":
		kind = "*"
	case acct == "" || acct == "aws":
		kind = "no-acct"
	}
	key := svc + "\x00" + kind
	// The base questions are built under the engine's lock: base reads
	// the scan's Env, which is not safe for concurrent use.
	l.mu.Lock()
	defer l.mu.Unlock()
	base, ok := cr.questions[key]
	if !ok {
		base = &policy.Question{Principal: q.PrincipalARN}
		if l.base != nil && cr.role != nil {
			base = l.base(cr.role, q.Request.Resource)
		}
		// A row describes one request: its service's own keys (the
		// request's parameters: iam:PermissionsBoundary,
		// iam:PassedToService …) are what the row says, absent when it
		// says nothing. What the caller chooses besides is the ambient
		// context (time, address, session name, tags).
		keys := make(map[string]policy.KeyInfo, len(base.Keys)+1)
		for k, v := range base.Keys {
			keys[k] = v
		}
		keys[svc+":*"] = policy.KeyInfo{Class: policy.KeyFixed}
		base.Keys = keys
		if cr.questions == nil {
			cr.questions = map[string]*policy.Question{}
		}
		cr.questions[key] = base
	}
	pq := *base
	pq.Action, pq.Resource = q.Request.Action, q.Request.Resource
	if kind == "acct" {
		pq.ResourceAccount = inventory.AccountFromARN(q.Request.Resource)
	}
	if len(q.Request.Context) > 0 {
		fixed := make(map[string][]string, len(base.Fixed)+len(q.Request.Context))
		for k, v := range base.Fixed {
			fixed[k] = v
		}
		keys := make(map[string]policy.KeyInfo, len(base.Keys))
		for k, v := range base.Keys {
			keys[k] = v
		}
		for _, c := range q.Request.Context {
			fixed[c.Key] = c.Values
			delete(keys, c.Key) // the row says what it is
		}
		pq.Fixed, pq.Keys = fixed, keys
	}
	return &pq
}

// decide answers one request existentially: the witness that allows it, or
// the concrete decision (with its statements) when none does.
func decide(c *policy.Compiled, pq *policy.Question) (policy.Result, string) {
	a := c.ExistsAllowed(pq)
	switch a.Outcome() {
	case policy.Exists:
		return a.Found.Result, ""
	case policy.Undecided:
		return policy.Result{}, a.Reason
	}
	// None allows: explain with the request as it would be sent.
	req := &policy.Request{Principal: pq.Principal, Action: pq.Action, Resource: pq.Resource, Context: pq.Fixed, Now: pq.Now,
		ResourceAccount: pq.ResourceAccount}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	res := c.Evaluate(req)
	if res.Decision == policy.Allow || !res.Evaluable() {
		// Only a context the search ruled out allows it: report the
		// plain denial without statements.
		return policy.Result{Decision: policy.ImplicitDeny}, ""
	}
	return res, ""
}

func decideLocal(cr *compiledRole, q Query, pq *policy.Question) Answer {
	res, why := decide(cr.all, pq)
	if why != "" {
		return Answer{NotEvaluated: "the evaluator cannot decide: " + why}
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
		br, why := decide(cr.boundary, pq)
		if why != "" {
			return Answer{NotEvaluated: "the evaluator cannot decide the boundary: " + why}
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
	cr := &compiledRole{all: all, role: role, boundaryMissing: missing, boundaryForeign: foreign}
	if bset != nil {
		b, err := policy.Compile(*bset)
		if err != nil {
			return &compiledRole{err: fmt.Sprintf("boundary of %s does not compile: %v", arn, err)}
		}
		cr.boundary = b
	}
	return cr
}
