package awsfake

import (
	"strconv"
	"strings"
)

// Decision is an evaluation outcome, spelled as IAM's EvalDecision.
type Decision string

// The three decisions.
const (
	Allowed      Decision = "allowed"
	ExplicitDeny Decision = "explicitDeny"
	ImplicitDeny Decision = "implicitDeny"
)

// NamedDoc is a policy document (plain JSON) with the name it is known by.
type NamedDoc struct {
	Name string
	Doc  string
}

// EvalInput is one request to decide against a principal's policies.
type EvalInput struct {
	Identity []NamedDoc
	Boundary *NamedDoc
	// Session holds session policies; empty means none.
	Session   []NamedDoc
	Principal string // the caller's ARN
	Action    string // "iam:CreateRole"
	Resource  string
	Context   map[string][]string
}

// MatchedStatement is a statement that took part in a decision.
type MatchedStatement struct {
	Layer  string // "identity" or "boundary"
	Policy string // the NamedDoc's Name
	Index  int
	Sid    string
	Effect string
}

// EvalOutput is an Evaluator's answer.
type EvalOutput struct {
	Decision Decision
	Matched  []MatchedStatement
	// MissingLayer names, for an implicit deny, the first layer with no
	// allowing statement ("identity" or "boundary"); "" when unknown.
	MissingLayer string
	// Unevaluable explains why the evaluator could not decide faithfully
	// (conditions or variables it cannot evaluate). The decision is then
	// ImplicitDeny: authorization fails closed.
	Unevaluable []string
}

// Evaluator decides requests. The default is pvaudit's own evaluator (see
// policyEvaluator); tests may plug in another.
type Evaluator interface {
	Evaluate(in EvalInput) (EvalOutput, error)
}

type authzCheck struct {
	action, resource string
	ctx              map[string][]string
}

// principalPolicies returns the caller's identity policies, boundary and
// session policies.
func (s *Server) principalPolicies(p *principal) ([]NamedDoc, *NamedDoc, []NamedDoc) {
	var inline map[string]string
	var attached []string
	var boundary string
	if p.account != s.account {
		return nil, nil, nil // another account's principal holds no permissions here
	}
	switch p.kind {
	case "IAMUser":
		u, ok := s.st.users[p.userName]
		if !ok {
			return nil, nil, nil
		}
		inline, attached, boundary = u.inline, u.attached, u.boundary
	case "AssumedRole":
		r, ok := s.st.roles[p.roleName]
		if !ok {
			return nil, nil, nil
		}
		inline, attached, boundary = r.inline, r.attached, r.boundary
	}
	identity, b := s.entityPolicies(inline, attached, boundary)
	var session []NamedDoc
	if sess, ok := s.st.sessions[p.accessKeyID]; ok {
		session = sess.policies
	}
	return identity, b, session
}

func (s *Server) entityPolicies(inline map[string]string, attached []string, boundary string) ([]NamedDoc, *NamedDoc) {
	var docs []NamedDoc
	for _, n := range sortedNames(inline) {
		docs = append(docs, NamedDoc{Name: n, Doc: inline[n]})
	}
	for _, arn := range attached {
		if mp, ok := s.st.policies[arn]; ok {
			docs = append(docs, NamedDoc{Name: arn, Doc: mp.defaultDoc()})
		}
	}
	var b *NamedDoc
	if boundary != "" {
		if mp, ok := s.st.policies[boundary]; ok {
			b = &NamedDoc{Name: boundary, Doc: mp.defaultDoc()}
		} else {
			// A boundary whose policy is gone allows nothing.
			b = &NamedDoc{Name: boundary, Doc: `{"Version":"2012-10-17","Statement":[]}`}
		}
	}
	return docs, b
}

// globalContext fills the global condition keys AWS sets on every request.
func (s *Server) globalContext(ex *exchange) map[string][]string {
	ctx := map[string][]string{
		"aws:CurrentTime":      {isoTime(ex.now)},
		"aws:EpochTime":        {strconv.FormatInt(ex.now.Unix(), 10)},
		"aws:SecureTransport":  {"false"},
		"aws:SourceIp":         {ex.sourceIP},
		"aws:RequestedRegion":  {ex.region},
		"aws:PrincipalAccount": {s.account},
	}
	p := ex.p
	if p == nil {
		return ctx
	}
	if p.account != "" {
		ctx["aws:PrincipalAccount"] = []string{p.account}
	}
	ctx["aws:userid"] = []string{p.id}
	var tags []tag
	switch p.kind {
	case "IAMUser":
		ctx["aws:PrincipalArn"] = []string{p.arn}
		ctx["aws:PrincipalType"] = []string{"User"}
		ctx["aws:username"] = []string{p.userName}
		if u, ok := s.st.users[p.userName]; ok && p.account == s.account {
			tags = u.tags
		}
	case "AssumedRole":
		ctx["aws:PrincipalArn"] = []string{p.roleARN}
		ctx["aws:PrincipalType"] = []string{"AssumedRole"}
		ctx["aws:TokenIssueTime"] = []string{isoTime(p.sessionCreated)}
		ctx["aws:MultiFactorAuthPresent"] = []string{"false"}
		if r, ok := s.st.roles[p.roleName]; ok {
			tags = r.tags
		}
	}
	for _, t := range tags {
		ctx["aws:PrincipalTag/"+t.key] = []string{t.value}
	}
	return ctx
}

func addRequestTags(ctx map[string][]string, tags []tag) {
	if len(tags) == 0 {
		return
	}
	var keys []string
	for _, t := range tags {
		ctx["aws:RequestTag/"+t.key] = []string{t.value}
		keys = append(keys, t.key)
	}
	ctx["aws:TagKeys"] = keys
}

// addPolicyTags adds a customer managed policy's tags as resource tags.
func (s *Server) addPolicyTags(ctx map[string][]string, arn string) {
	if p, ok := s.st.policies[arn]; ok {
		addResourceTags(ctx, p.tags)
	}
}

func addResourceTags(ctx map[string][]string, tags []tag) {
	for _, t := range tags {
		ctx["aws:ResourceTag/"+t.key] = []string{t.value}
		ctx["iam:ResourceTag/"+t.key] = []string{t.value}
	}
}

// checksFor lists what must be allowed for the call to proceed, with the
// resource and the action-specific condition keys the IAM service
// authorization reference documents for it.
func (s *Server) checksFor(ex *exchange) []authzCheck {
	if ex.service == "sts" {
		// GetCallerIdentity needs no permission; AssumeRole is decided by
		// the trust policy in its handler.
		return nil
	}
	f := ex.form
	action := ex.service + ":" + ex.action
	ctx := s.globalContext(ex)
	check := authzCheck{action: action, resource: "*", ctx: ctx}
	if isJSON(ex.service) {
		return []authzCheck{check}
	}
	roleName := f.get("RoleName")
	var r *role
	if roleName != "" {
		r = s.st.roles[roleName]
		if r != nil {
			check.resource = r.arn
			addResourceTags(ctx, r.tags)
		} else {
			path := f.get("Path")
			if path == "" {
				path = "/"
			}
			check.resource = s.st.arn("role", path, roleName)
		}
	}
	currentBoundary := func() {
		if r != nil && r.boundary != "" {
			ctx["iam:PermissionsBoundary"] = []string{r.boundary}
		}
	}
	var extra []authzCheck
	switch ex.action {
	case "CreateRole":
		if b := f.get("PermissionsBoundary"); b != "" {
			ctx["iam:PermissionsBoundary"] = []string{b}
		}
		addRequestTags(ctx, f.tags())
	case "PutRolePermissionsBoundary":
		ctx["iam:PermissionsBoundary"] = []string{f.get("PermissionsBoundary")}
	case "DeleteRolePermissionsBoundary", "PutRolePolicy", "DeleteRolePolicy":
		currentBoundary()
	case "AttachRolePolicy", "DetachRolePolicy":
		ctx["iam:PolicyARN"] = []string{f.get("PolicyArn")}
		currentBoundary()
	case "TagRole":
		addRequestTags(ctx, f.tags())
	case "UntagRole":
		ctx["aws:TagKeys"] = f.list("TagKeys")
	case "CreatePolicy":
		path := f.get("Path")
		if path == "" {
			path = "/"
		}
		check.resource = s.st.arn("policy", path, f.get("PolicyName"))
		addRequestTags(ctx, f.tags())
	case "GetPolicy", "GetPolicyVersion", "CreatePolicyVersion", "DeletePolicyVersion",
		"SetDefaultPolicyVersion", "ListPolicyVersions", "DeletePolicy", "ListPolicyTags":
		check.resource = f.get("PolicyArn")
		s.addPolicyTags(ctx, check.resource)
	case "TagPolicy":
		check.resource = f.get("PolicyArn")
		s.addPolicyTags(ctx, check.resource)
		addRequestTags(ctx, f.tags())
	case "UntagPolicy":
		check.resource = f.get("PolicyArn")
		s.addPolicyTags(ctx, check.resource)
		ctx["aws:TagKeys"] = f.list("TagKeys")
	case "CreateInstanceProfile", "DeleteInstanceProfile", "AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile":
		name := f.get("InstanceProfileName")
		if ip, ok := s.st.profiles[name]; ok {
			check.resource = ip.arn
		} else {
			path := f.get("Path")
			if path == "" {
				path = "/"
			}
			check.resource = s.st.arn("instance-profile", path, name)
		}
		if ex.action == "AddRoleToInstanceProfile" && r != nil {
			// AWS requires iam:PassRole on the role as well.
			passCtx := s.globalContext(ex)
			passCtx["iam:PassedToService"] = []string{"ec2.amazonaws.com"}
			passCtx["iam:AssociatedResourceArn"] = []string{check.resource}
			addResourceTags(passCtx, r.tags)
			extra = append(extra, authzCheck{action: "iam:PassRole", resource: r.arn, ctx: passCtx})
		}
	case "CreateUser", "GetUser", "DeleteUser", "CreateAccessKey", "ListAccessKeys", "DeleteAccessKey":
		name := f.get("UserName")
		if name == "" && ex.p != nil {
			name = ex.p.userName
		}
		if u, ok := s.st.users[name]; ok {
			check.resource = u.arn
			addResourceTags(ctx, u.tags)
		} else {
			path := f.get("Path")
			if path == "" {
				path = "/"
			}
			check.resource = s.st.arn("user", path, name)
		}
		if ex.action == "CreateUser" {
			if b := f.get("PermissionsBoundary"); b != "" {
				ctx["iam:PermissionsBoundary"] = []string{b}
			}
			addRequestTags(ctx, f.tags())
		}
	case "SimulatePrincipalPolicy":
		check.resource = f.get("PolicySourceArn")
	}
	return append([]authzCheck{check}, extra...)
}

// authorizeCall decides every check of the call against the caller.
func (s *Server) authorizeCall(ex *exchange) *apiError {
	for _, c := range s.checksFor(ex) {
		if aerr := s.authorizeOne(ex, c); aerr != nil {
			return aerr
		}
	}
	return nil
}

func (s *Server) authorizeOne(ex *exchange, c authzCheck) *apiError {
	identity, boundary, session := s.principalPolicies(ex.p)
	principalARN := ex.p.arn
	if ex.p.roleARN != "" {
		// What AWS puts in aws:PrincipalArn for a role session.
		principalARN = ex.p.roleARN
	}
	out, err := s.eval.Evaluate(EvalInput{
		Identity: identity, Boundary: boundary, Session: session, Principal: principalARN,
		Action: c.action, Resource: c.resource, Context: c.ctx,
	})
	if err != nil {
		ex.skipTrail = true
		return newErr(500, "ServiceFailure", "awsfake: evaluating %s: %v", c.action, err)
	}
	switch out.Decision {
	case Allowed:
		return nil
	case ExplicitDeny:
		where := "an identity-based policy"
		for _, m := range out.Matched {
			if m.Effect == "Deny" && m.Layer == "boundary" {
				where = "a permissions boundary"
			}
		}
		return s.accessDenied(ex, c.action, c.resource, "with an explicit deny in "+where)
	default:
		why := ""
		switch {
		case len(out.Unevaluable) > 0:
			why = "because the policies could not be evaluated: " + strings.Join(out.Unevaluable, "; ")
		case out.MissingLayer == "boundary":
			why = "because no permissions boundary allows the " + c.action + " action"
		case out.MissingLayer == "session":
			why = "because no session policy allows the " + c.action + " action"
		}
		return s.accessDenied(ex, c.action, c.resource, why)
	}
}
