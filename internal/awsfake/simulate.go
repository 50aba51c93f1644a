package awsfake

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/policy"
)

// contextKeyTypes are the ContextKeyType values IAM accepts.
func validContextKeyType(t string) bool {
	switch t {
	case "string", "stringList", "numeric", "numericList", "boolean", "booleanList",
		"ip", "ipList", "binary", "binaryList", "date", "dateList":
		return true
	}
	return false
}

// simDoc is a document taking part in a simulation, with the
// SourcePolicyType IAM reports for it.
type simDoc struct {
	NamedDoc
	sourceType string
}

// iamSimulatePrincipalPolicy answers SimulatePrincipalPolicy with
// pvaudit's own evaluator (Options.Evaluator), over the source user's or
// role's identity policies and permissions boundary plus any
// PolicyInputList / PermissionsBoundaryPolicyInputList documents. It tests
// the wire path — request serialization, typed ContextEntries, result
// decoding — not AWS's judgement: a decision here is only as right as
// pvaudit's evaluator, so it can never confirm that evaluator against AWS.
func (s *Server) iamSimulatePrincipalPolicy(ex *exchange) (*xmlBuilder, *apiError) {
	f := ex.form
	if aerr := f.required("PolicySourceArn"); aerr != nil {
		return nil, aerr
	}
	source := f.get("PolicySourceArn")
	actions := f.list("ActionNames")
	if len(actions) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	resources := f.list("ResourceArns")
	explicitResources := len(resources) > 0
	if !explicitResources {
		resources = []string{"*"}
	}

	var docs []simDoc
	var boundary *simDoc
	kindOf := func(arn string) string {
		if strings.HasPrefix(arn, "arn:aws:iam::aws:") {
			return "aws-managed"
		}
		return "user-managed"
	}
	addEntity := func(inlineType string, inline map[string]string, attached []string, b string) {
		ids, bd := s.entityPolicies(inline, attached, b)
		for _, d := range ids {
			t := inlineType
			if _, isInline := inline[d.Name]; !isInline {
				t = kindOf(d.Name)
			}
			docs = append(docs, simDoc{NamedDoc: d, sourceType: t})
		}
		if bd != nil {
			boundary = &simDoc{NamedDoc: *bd, sourceType: kindOf(bd.Name)}
		}
	}
	switch {
	case strings.Contains(source, ":user/"):
		u, ok := s.userByARN(source)
		if !ok {
			return nil, errNoSuchEntity("The user with ARN %s cannot be found.", source)
		}
		addEntity("user", u.inline, u.attached, u.boundary)
	case strings.Contains(source, ":role/"):
		r := s.roleByARN(source)
		if r == nil {
			return nil, errNoSuchEntity("The role with ARN %s cannot be found.", source)
		}
		addEntity("role", r.inline, r.attached, r.boundary)
	default:
		return nil, errInvalidInput("Invalid ARN %s: the policy source must be a user or a role.", source)
	}
	for i, d := range f.list("PolicyInputList") {
		if aerr := validateDoc(d, false); aerr != nil {
			return nil, aerr
		}
		docs = append(docs, simDoc{NamedDoc: NamedDoc{Name: fmt.Sprintf("PolicyInputList.%d", i+1), Doc: d}, sourceType: "none"})
	}
	if bl := f.list("PermissionsBoundaryPolicyInputList"); len(bl) > 0 {
		if aerr := validateDoc(bl[0], false); aerr != nil {
			return nil, aerr
		}
		boundary = &simDoc{NamedDoc: NamedDoc{Name: "PermissionsBoundaryPolicyInputList.1", Doc: bl[0]}, sourceType: "none"}
	}

	ctx, aerr := contextEntries(f)
	if aerr != nil {
		return nil, aerr
	}
	typeOf := map[string]string{}
	identity := make([]NamedDoc, 0, len(docs))
	for _, d := range docs {
		identity = append(identity, d.NamedDoc)
		typeOf[d.Name] = d.sourceType
	}
	var bdoc *NamedDoc
	if boundary != nil {
		bdoc = &boundary.NamedDoc
		typeOf[boundary.Name] = boundary.sourceType
	}
	principalARN := source
	simDocs := append([]NamedDoc(nil), identity...)
	if bdoc != nil {
		simDocs = append(simDocs, *bdoc)
	}

	type result struct {
		action, resource string
		decision         Decision
		matched          []MatchedStatement
		missing          []string
		boundaryAllows   *bool
		perResource      []result
	}
	evalOne := func(action, resource string) (result, *apiError) {
		out, err := s.eval.Evaluate(EvalInput{Identity: identity, Boundary: bdoc, Principal: principalARN, Action: action, Resource: resource, Context: ctx})
		if err != nil {
			return result{}, errMalformed("%v", err)
		}
		r := result{action: action, resource: resource, decision: out.Decision, matched: out.Matched, missing: missingContextKeys(simDocs, action, ctx)}
		if bdoc != nil {
			bo, err := s.eval.Evaluate(EvalInput{Identity: []NamedDoc{*bdoc}, Principal: principalARN, Action: action, Resource: resource, Context: ctx})
			if err != nil {
				return result{}, errMalformed("%v", err)
			}
			allowed := bo.Decision == Allowed
			r.boundaryAllows = &allowed
		}
		return r, nil
	}
	var results []result
	for _, a := range actions {
		if len(resources) == 1 {
			r, aerr := evalOne(a, resources[0])
			if aerr != nil {
				return nil, aerr
			}
			if explicitResources {
				r.perResource = []result{r}
			}
			results = append(results, r)
			continue
		}
		top := result{action: a, resource: "*", decision: Allowed}
		for _, res := range resources {
			r, aerr := evalOne(a, res)
			if aerr != nil {
				return nil, aerr
			}
			top.perResource = append(top.perResource, r)
			switch {
			case r.decision == ExplicitDeny:
				top.decision = ExplicitDeny
			case r.decision == ImplicitDeny && top.decision == Allowed:
				top.decision = ImplicitDeny
			}
			top.matched = append(top.matched, r.matched...)
		}
		results = append(results, top)
	}

	start, end, next, aerr := s.page(ex, "SimulatePrincipalPolicy", len(results))
	if aerr != nil {
		return nil, aerr
	}
	writeMatched := func(x *xmlBuilder, ms []MatchedStatement) {
		x.open("MatchedStatements")
		for _, m := range ms {
			x.open("member")
			x.el("SourcePolicyId", m.Policy)
			x.el("SourcePolicyType", typeOf[m.Policy])
			x.close("member")
		}
		x.close("MatchedStatements")
	}
	writeMissing := func(x *xmlBuilder, missing []string) {
		x.open("MissingContextValues")
		for _, m := range missing {
			x.el("member", m)
		}
		x.close("MissingContextValues")
	}
	writeBoundaryDetail := func(x *xmlBuilder, b *bool) {
		if b == nil {
			return
		}
		x.open("PermissionsBoundaryDecisionDetail")
		x.bool("AllowedByPermissionsBoundary", *b)
		x.close("PermissionsBoundaryDecisionDetail")
	}
	x := &xmlBuilder{}
	x.open("EvaluationResults")
	for _, r := range results[start:end] {
		x.open("member")
		x.el("EvalActionName", r.action)
		x.el("EvalResourceName", r.resource)
		x.el("EvalDecision", string(r.decision))
		writeMatched(x, r.matched)
		writeMissing(x, r.missing)
		writeBoundaryDetail(x, r.boundaryAllows)
		if len(r.perResource) > 0 {
			x.open("ResourceSpecificResults")
			for _, pr := range r.perResource {
				x.open("member")
				x.el("EvalResourceName", pr.resource)
				x.el("EvalResourceDecision", string(pr.decision))
				writeMatched(x, pr.matched)
				writeMissing(x, pr.missing)
				writeBoundaryDetail(x, pr.boundaryAllows)
				x.close("member")
			}
			x.close("ResourceSpecificResults")
		}
		x.close("member")
	}
	x.close("EvaluationResults")
	writePage(x, next)
	return x, nil
}

// contextEntries decodes ContextEntries.member.N.{ContextKeyName,
// ContextKeyType, ContextKeyValues.member.M}. Values are passed to the
// evaluator as strings; the type is checked against IAM's enumeration.
func contextEntries(f form) (map[string][]string, *apiError) {
	ctx := map[string][]string{}
	for i := 1; ; i++ {
		pfx := fmt.Sprintf("ContextEntries.member.%d.", i)
		name := f.get(pfx + "ContextKeyName")
		typ := f.get(pfx + "ContextKeyType")
		if name == "" && typ == "" {
			return ctx, nil
		}
		if name == "" {
			return nil, errInvalidInput("Context entry %d has no ContextKeyName.", i)
		}
		if !validContextKeyType(typ) {
			return nil, errInvalidInput("Invalid ContextKeyType %q for context key %s.", typ, name)
		}
		vals := f.list(pfx + "ContextKeyValues")
		if !strings.HasSuffix(typ, "List") && len(vals) > 1 {
			return nil, errInvalidInput("Context key %s of type %s takes one value, got %d.", name, typ, len(vals))
		}
		ctx[name] = vals
	}
}

// missingContextKeys lists, sorted, the condition keys used by statements
// that concern action but that ctx does not supply — IAM's
// MissingContextValues. Keys the evaluator derives from the simulated
// principal (aws:PrincipalArn, aws:PrincipalAccount, aws:username) count
// as supplied.
func missingContextKeys(docs []NamedDoc, action string, ctx map[string][]string) []string {
	have := map[string]bool{"aws:principalarn": true, "aws:principalaccount": true, "aws:username": true}
	for k := range ctx {
		have[strings.ToLower(k)] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, nd := range docs {
		d, err := policy.ParseString(nd.Doc)
		if err != nil {
			continue
		}
		for _, st := range d.Statements {
			if !statementCovers(st, action) {
				continue
			}
			for _, keys := range st.Condition {
				for k := range keys {
					lk := strings.ToLower(k)
					if !have[lk] && !seen[lk] {
						seen[lk] = true
						out = append(out, k)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func statementCovers(st policy.Statement, action string) bool {
	a := strings.ToLower(action)
	if st.NotAction != nil {
		for _, p := range st.NotAction {
			if globMatch(strings.ToLower(p), a) {
				return false
			}
		}
		return true
	}
	for _, p := range st.Action {
		if globMatch(strings.ToLower(p), a) {
			return true
		}
	}
	return false
}

// globMatch matches IAM wildcards: * any run, ? one character.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

func (s *Server) userByARN(arn string) (*user, bool) {
	name := arn[strings.LastIndex(arn, "/")+1:]
	u, ok := s.st.users[name]
	if !ok || u.arn != arn {
		return nil, false
	}
	return u, true
}
