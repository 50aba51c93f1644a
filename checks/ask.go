package checks

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/policy/catalog"
)

// Existential questions. A promise is universal ("the role cannot use any
// service but these"), so a check asks: is there any request — any action
// of the whole AWS catalogue the question covers, any resource of the kind
// the action takes, any value of the condition keys the caller chooses —
// that the role's policies allow and that breaks the promise? ask answers
// that completely, or says why it could not (the check then reports
// NOT_EVALUATED, never PASS).
//
// How: the catalogue's actions in scope are split into classes that every
// statement of the role treats alike (catalog.Classes over the statements'
// own Action/NotAction patterns, by service, then by the resource types the
// actions take); one action per class is asked. Its witness resources are
// one per region of the statements' Resource patterns inside the action's
// ARN formats (policy.ResourceWitnesses); for each, policy.Exists searches
// the caller-chosen context.

// question is one existential question about a role.
type question struct {
	// actions are the IAM action globs the promise is about ("rds:*", "*").
	actions []string
	// keep narrows the catalogue's actions (by access level, say).
	keep func(*catalog.Action) bool
	// resources, when set, are the ARN globs the promise is about: every
	// witness resource lies inside them too.
	resources []string
	// partition splits witness resources so that breaks can tell inside
	// the promise from outside.
	partition []string
	// fixed are facts of the request besides the principal's.
	fixed map[string][]string
	// keys override the context model (a partition for
	// iam:PermissionsBoundary, say).
	keys map[string]policy.KeyInfo
	// breaks says whether an allowed request breaks the promise; nil means
	// every allowed request does. It must depend on the resource and the
	// witness only, never on which action of a class was asked: every
	// action of a class is decided by one of them.
	breaks func(resource string, w *policy.Witness) bool
	// breaksRequest is breaks for promises that depend on the action too:
	// it may depend on the action only through the policies the question
	// is asked of (the classes are theirs), e.g. "another policy decides
	// this request differently" when both are in the set asked.
	breaksRequest func(action, resource string, w *policy.Witness) bool
	// classBy are action patterns the promise itself distinguishes (an
	// allow-list): classes are split by them too, so that breaksRequest
	// may depend on them.
	classBy []string
}

// hit is an allowed request that breaks the promise.
type hit struct {
	action *catalog.Action
	// classSize counts the actions of its class: the same answer holds for
	// each of them.
	class    []*catalog.Action
	resource string
	witness  *policy.Witness
}

// answer is what a question found.
type answer struct {
	hits []hit
	// unknown explains the requests that could not be decided.
	unknown []string
	// actions counts the catalogue actions the question covered; asked the
	// requests decided.
	actions, asked int
}

// allHitActions counts every action of the hits' classes.
func (a *answer) allHitActions() []string {
	var out []string
	for _, h := range a.hits {
		for _, x := range h.class {
			out = append(out, x.String())
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// catalogue returns the embedded action catalogue.
func (e *Env) catalogue() (*catalog.Catalog, error) {
	if e.cat == nil {
		c, err := catalog.Default()
		if err != nil {
			return nil, fmt.Errorf("action catalogue: %w", err)
		}
		e.cat = c
	}
	return e.cat, nil
}

// ask answers a question about role r.
func (e *Env) ask(r *inventory.Role, q question) (answer, error) {
	ev, err := e.Evaluator(r)
	if err != nil {
		return answer{}, err
	}
	return e.askCached(r, ev, q)
}

// askPolicies answers a question about what a policy set lets through on
// its own (a boundary's ceiling, say): the caller is any role of the
// account that could carry it, whose tags are unknown.
func (e *Env) askPolicies(set policy.PolicySet, q question) (answer, error) {
	c, err := policy.Compile(set)
	if err != nil {
		return answer{}, err
	}
	acct := e.Account(nil)
	r := &inventory.Role{Name: "a role carrying it", ARN: roleARN(acct, "pvaudit-witness-role")}
	return e.askWith(r, &RoleEvaluator{c: c, account: acct, now: e.Now}, q)
}

// askWith answers a question about principal r deciding with ev.
func (e *Env) askWith(r *inventory.Role, ev *RoleEvaluator, q question) (answer, error) {
	return e.askCached(r, ev, q)
}

// askCached is askWith; the action classes of a question are computed
// once per set of action patterns (see RoleEvaluator.actions).
func (e *Env) askCached(r *inventory.Role, ev *RoleEvaluator, q question) (answer, error) {
	var ans answer
	cat, err := e.catalogue()
	if err != nil {
		return ans, err
	}
	stmts, patterns, sig := ev.actions()
	var classes [][]*catalog.Action
	all := append(patterns[:len(patterns):len(patterns)], q.classBy...)
	for _, cl := range e.classesFor(cat, sig, q, all) {
		if !possiblyAllowed(stmts, cl.Matches) {
			continue
		}
		var kept []*catalog.Action
		for _, a := range cl.Actions {
			if q.keep == nil || q.keep(a) {
				kept = append(kept, a)
			}
		}
		if len(kept) > 0 {
			classes = append(classes, kept)
		}
	}
	for _, a := range uncatalogued(cat, ev, stmts, q.actions) {
		if q.keep == nil || q.keep(a) {
			classes = append(classes, []*catalog.Action{a})
		}
	}
	for _, cl := range classes {
		ans.actions += len(cl)
		e.askClass(r, ev, q, cl, &ans)
	}
	return ans, nil
}

// askClass asks a class of actions that every statement treats alike. The
// regions of the statements' Resource patterns are computed per resource
// type the class's actions take (cheaper automata, shared by every class
// whose actions take the type), and each witness is asked as an action of
// the class that takes it.
func (e *Env) askClass(r *inventory.Role, ev *RoleEvaluator, q question, class []*catalog.Action, ans *answer) {
	type kind struct {
		pattern string
		actions []*catalog.Action
	}
	var kinds []*kind
	index := map[string]*kind{}
	for _, a := range class {
		for _, p := range a.ResourcePatterns() {
			k, ok := index[p]
			if !ok {
				k = &kind{pattern: p}
				index[p] = k
				kinds = append(kinds, k)
			}
			k.actions = append(k.actions, a)
		}
	}
	for _, k := range kinds {
		a := k.actions[0]
		var resources []string
		if k.pattern == "*" {
			if q.resources != nil {
				continue // the action takes no resource: not what the promise is about
			}
			resources = []string{"*"}
		} else {
			var why string
			resources, why = ev.c.ResourceWitnesses(&policy.ResourceQuestion{Action: a.String(), Domain: []string{k.pattern}, Within: q.resources,
				Partition: q.partition, Principal: r.ARN, Fixed: e.principalFacts(r), Cache: e.witnessCache()})
			if why != "" {
				ans.unknown = append(ans.unknown, a.String()+": "+why)
			}
		}
		for i := 0; i < len(resources); i++ {
			res := resources[i]
			ans.asked++
			pq := e.principalQuestion(r, q)
			pq.Action, pq.Resource = a.String(), res
			e.resourceFacts(pq, res)
			want := func(w policy.Witness) bool {
				if w.Result.Decision != policy.Allow {
					return false
				}
				if q.breaksRequest != nil {
					return q.breaksRequest(a.String(), res, &w)
				}
				return q.breaks == nil || q.breaks(res, &w)
			}
			got := ev.c.Exists(pq, want)
			switch got.Outcome() {
			case policy.Exists:
				if ev.missingBoundary != "" {
					ans.unknown = append(ans.unknown, fmt.Sprintf("%s on %s: the identity policies allow it, but the permissions boundary %s is not in the snapshot",
						a, res, ev.missingBoundary))
					continue
				}
				if key, ok := orgDependent(ev.c, pq, want, got.Found); ok {
					ans.unknown = append(ans.unknown, fmt.Sprintf("%s on %s is allowed only if the account's organization is as the witness chose (%s); "+
						"an IAM snapshot does not record the organization", a, res, key))
					continue
				}
				ans.hits = append(ans.hits, hit{action: a, class: k.actions, resource: res, witness: got.Found})
				resources = nil // one witness per resource type is enough
			case policy.Undecided:
				ans.unknown = append(ans.unknown, fmt.Sprintf("%s on %s: %s", a, res, got.Reason))
			}
		}
	}
}

// classesFor partitions the question's actions by the patterns, by
// service. A small scope (a few named actions) is grouped directly; the
// whole catalogue goes through catalog's bitsets. Results are cached per
// set of action patterns (cacheKey) and question: escalation checks ask the
// same actions of many targets, and the nodes' roles name the same actions.
func (e *Env) classesFor(cat *catalog.Catalog, cacheKey string, q question, patterns []string) []catalog.Class {
	key := cacheKey + "\x00" + strings.Join(q.actions, "\x01") + "\x00" + strings.Join(q.classBy, "\x01")
	if cl, ok := e.classes[key]; ok {
		return cl
	}
	scope := cat.MatchAny(q.actions, false)
	var out []catalog.Class
	if scope.Len() > 256 {
		out = scope.Classes(patterns, catalog.ByService)
	} else {
		index := map[string]int{}
		for _, a := range scope.Actions() {
			m := make([]bool, len(patterns))
			var sig strings.Builder
			sig.WriteString(a.Service())
			sig.WriteByte(0)
			for i, p := range patterns {
				m[i] = catalog.Matches(p, a)
				if m[i] {
					sig.WriteByte('1')
				} else {
					sig.WriteByte('0')
				}
			}
			k := sig.String()
			if i, ok := index[k]; ok {
				out[i].Actions = append(out[i].Actions, a)
				continue
			}
			index[k] = len(out)
			out = append(out, catalog.Class{Actions: []*catalog.Action{a}, Matches: m})
		}
	}
	if e.classes == nil {
		e.classes = map[string][]catalog.Class{}
	}
	e.classes[key] = out
	return out
}

// possiblyAllowed reports whether some identity-layer Allow statement can
// match the class (matches holds, per pattern in statement order, whether
// the class's actions match it).
func possiblyAllowed(stmts []policy.StatementActions, matches []bool) bool {
	i := 0
	for _, s := range stmts {
		any := false
		for range s.Patterns {
			any = any || matches[i]
			i++
		}
		if s.Layer == policy.LayerIdentity && !s.Deny && any != s.Not {
			return true
		}
	}
	return false
}

// uncatalogued returns actions the role's Allow statements name that the
// catalogue lacks (newer than it): a literal name is asked as it is, a
// wildcard on a service the catalogue does not know as one filled-in name.
// Each must be inside the question's action globs. The candidates depend on
// the statements only and are computed once per evaluator (ev.unknown); a
// question filters them by its scope.
func uncatalogued(cat *catalog.Catalog, ev *RoleEvaluator, stmts []policy.StatementActions, scope []string) []*catalog.Action {
	if !ev.unknownDone {
		ev.unknown = unknownCandidates(cat, stmts)
		ev.unknownDone = true
	}
	if len(ev.unknown) == 0 {
		return nil
	}
	var out []*catalog.Action
	seen := map[string]bool{}
	for _, u := range ev.unknown {
		a, lower := u.action, u.lower
		if seen[lower] {
			continue
		}
		in := false
		for _, g := range scope {
			in = in || catalog.Matches(g, a)
		}
		if in {
			seen[lower] = true
			out = append(out, a)
		}
	}
	return out
}

// unknownCandidates lists, in statement order, the synthetic actions of
// the identity Allow statements' patterns the catalogue does not match.
func unknownCandidates(cat *catalog.Catalog, stmts []policy.StatementActions) []unknownAction {
	var out []unknownAction
	for _, s := range stmts {
		if s.Deny || s.Not || s.Layer != policy.LayerIdentity {
			continue
		}
		for _, p := range cat.Unmatched(s.Patterns) {
			name := strings.NewReplacer("*", "Pvaudit", "?", "X").Replace(p)
			a, err := cat.Resolve(name)
			if err != nil || a.Known() {
				continue
			}
			out = append(out, unknownAction{action: a, lower: strings.ToLower(name)})
		}
	}
	return out
}

// unknownAction is a synthetic action and its name as written, lower-cased.
type unknownAction struct {
	action *catalog.Action
	lower  string
}

// principalFacts are what the snapshot says about role r as a caller:
// its tags (aws:PrincipalTag/…) and type.
func (e *Env) principalFacts(r *inventory.Role) map[string][]string {
	f := map[string][]string{
		"aws:PrincipalType":         {"AssumedRole"},
		"aws:PrincipalIsAWSService": {"false"},
	}
	for k, v := range r.Tags {
		f["aws:PrincipalTag/"+k] = []string{v}
	}
	return f
}

// principalQuestion is the base question for role r: its facts, the
// session name part of aws:userid chosen by the caller, the facts the
// snapshot does not know (the organization) chosen too, and the principal
// tags chosen when the role's trust lets the caller set session tags.
func (e *Env) principalQuestion(r *inventory.Role, q question) *policy.Question {
	fixed := e.principalFacts(r)
	for k, v := range q.fixed {
		fixed[k] = v
	}
	keys := map[string]policy.KeyInfo{
		"aws:PrincipalOrgID":    {Class: policy.KeyCallerChosen},
		"aws:PrincipalOrgPaths": {Class: policy.KeyCallerChosen},
		"aws:ResourceOrgID":     {Class: policy.KeyCallerChosen},
		"aws:ResourceOrgPaths":  {Class: policy.KeyCallerChosen},
	}
	roleID := r.ID
	if roleID == "" {
		roleID = "?*"
	}
	// Every request of a role session carries aws:userid.
	keys["aws:userid"] = policy.KeyInfo{Domain: []string{roleID + ":?*"}, Present: true}
	if e.sessionTagsPossible(r) {
		keys["aws:PrincipalTag/*"] = policy.KeyInfo{Class: policy.KeyCallerChosen}
	}
	for k, v := range q.keys {
		keys[k] = v
	}
	return &policy.Question{Principal: r.ARN, Fixed: fixed, Keys: keys, Now: e.Now, Cache: e.witnessCache(), KeyType: e.keyType, KeyMulti: e.keyMulti}
}

// PrincipalQuestion is the base existential question for role r acting on
// resource: the principal's facts and context model (see principalQuestion)
// and what is known of the resource. Probes ask their rows with it.
func (e *Env) PrincipalQuestion(r *inventory.Role, resource string) *policy.Question {
	pq := e.principalQuestion(r, question{})
	pq.Resource = resource
	e.resourceFacts(pq, resource)
	return pq
}

// resourceFacts fills what the question knows of a witness resource: its
// account (from the ARN; an S3 ARN names none, so the bucket's owner is
// any account) and, for a role of the snapshot, its tags (any other
// resource's tags are unknown: the caller picks a resource with the tags
// it likes).
func (e *Env) resourceFacts(pq *policy.Question, res string) {
	acct := inventory.AccountFromARN(res)
	switch {
	case res == "*":
		pq.ResourceAccount = e.Account(nil)
	case acct == "" || acct == "aws":
		// The question's hints for the key (its partition) stay.
		ki := pq.Keys["aws:ResourceAccount"]
		ki.Class = policy.KeyCallerChosen
		pq.Keys["aws:ResourceAccount"] = ki
	default:
		pq.ResourceAccount = acct
	}
	if x := e.roleByARN(res); x != nil {
		for k, v := range x.Tags {
			pq.Fixed["aws:ResourceTag/"+k] = []string{v}
		}
		return
	}
	pq.Keys["aws:ResourceTag/*"] = policy.KeyInfo{Class: policy.KeyCallerChosen}
}

// roleByARN finds a role of the snapshot by ARN.
func (e *Env) roleByARN(arn string) *inventory.Role {
	if !strings.Contains(arn, ":role/") {
		return nil
	}
	if e.rolesByARN == nil {
		e.rolesByARN = map[string]*inventory.Role{}
		for i := range e.Snap.Roles {
			e.rolesByARN[e.Snap.Roles[i].ARN] = &e.Snap.Roles[i]
		}
	}
	return e.rolesByARN[arn]
}

// sessionTagsPossible reports whether a caller the role's trust admits
// may pass session tags (sts:TagSession), which then replace the role's
// own tags as aws:PrincipalTag values. Unknown trust counts as possible.
func (e *Env) sessionTagsPossible(r *inventory.Role) bool {
	if r.TrustPolicy == nil {
		return true
	}
	if v, ok := e.sessionTags[r.ARN]; ok {
		return v
	}
	possible := true
	if t, err := policy.CompileTrust(r.Name, r.TrustPolicy); err == nil {
		a := t.ExistsAllowed(&policy.Question{Action: "sts:TagSession", Resource: r.ARN, Now: e.Now, Cache: e.witnessCache()})
		possible = a.Outcome() != policy.NoneExists
	}
	if e.sessionTags == nil {
		e.sessionTags = map[string]bool{}
	}
	e.sessionTags[r.ARN] = possible
	return possible
}

// witnessCache is shared by every question of the scan: many roles carry
// the same policies.
func (e *Env) witnessCache() *policy.WitnessCache {
	if e.wc == nil {
		e.wc = &policy.WitnessCache{}
	}
	return e.wc
}

// hitEvidence renders hits for a finding's evidence.
func hitEvidence(hs []hit) []map[string]any {
	out := make([]map[string]any, 0, len(hs))
	for _, h := range hs {
		m := map[string]any{"action": h.action.String(), "resource": h.resource, "deciding_statements": matchedStrings(h.witness.Result)}
		if len(h.class) > 1 {
			m["same_for"] = len(h.class)
		}
		if s := h.witness.String(); s != "(no caller-chosen key)" {
			m["with"] = s
		}
		out = append(out, m)
	}
	return out
}

// describeHit renders one hit for a message: "rds:CreateDBInstance on *
// (with aws:CurrentTime=…)".
func describeHit(h hit) string {
	s := h.action.String() + " on " + shortARN(h.resource)
	if w := h.witness.String(); w != "(no caller-chosen key)" {
		s += " (with " + w + ")"
	}
	return s
}

// report turns one answer into findings of check c about role r: one FAIL
// per group of hits (group names the group of a hit: its service, say; ""
// puts every hit in one finding), NOT_EVALUATED when something could not
// be decided, PASS when neither. describe writes the FAIL message of a
// group from its hits.
func (c *Check) report(r *inventory.Role, ans answer, group func(hit) string, describe func(key string, hs []hit) string, pass string) []finding.Finding {
	return c.reportOn(r.ARN, ans, group, describe, pass)
}

// reportOn is report about any resource (a policy, say).
func (c *Check) reportOn(resource string, ans answer, group func(hit) string, describe func(key string, hs []hit) string, pass string) []finding.Finding {
	var out []finding.Finding
	groups := map[string][]hit{}
	var order []string
	for _, h := range ans.hits {
		k := ""
		if group != nil {
			k = group(h)
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], h)
	}
	sort.Strings(order)
	for _, k := range order {
		hs := groups[k]
		var actions []string
		for _, h := range hs {
			for _, a := range h.class {
				actions = append(actions, a.String())
			}
		}
		sort.Strings(actions)
		actions = slices.Compact(actions)
		ev := map[string]any{"allowed": hitEvidence(hs), "actions": listSomeSlice(actions, 50), "action_count": len(actions)}
		out = append(out, c.finding(finding.Fail, resource, k, describe(k, hs), ev))
	}
	if len(ans.unknown) > 0 {
		out = append(out, c.finding(finding.NotEvaluated, resource, "undecided",
			fmt.Sprintf("cannot decide every request: %s", listSome(uniqStrings(ans.unknown), 3)),
			map[string]any{"unevaluable": uniqStrings(ans.unknown)}))
	}
	if len(out) == 0 {
		out = append(out, c.finding(finding.Pass, resource, "", fmt.Sprintf("%s (%d actions of the catalogue covered, %d requests decided)", pass, ans.actions, ans.asked), nil))
	}
	return out
}

// listSomeSlice keeps the first n items.
func listSomeSlice(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(slices.Clone(items[:n]), fmt.Sprintf("… and %d more", len(items)-n))
}

func uniqStrings(ss []string) []string {
	out := slices.Clone(ss)
	sort.Strings(out)
	return slices.Compact(out)
}

// serviceOf is a hit's service prefix.
func serviceOf(h hit) string { return h.action.Service() }

// countPhrase says how many actions a group of hits stands for:
// "rds:CreateDBInstance and 212 more rds actions".
func countPhrase(hs []hit) string {
	set := map[string]bool{}
	for _, h := range hs {
		for _, a := range h.class {
			set[a.String()] = true
		}
	}
	n := len(set)
	first := describeHit(hs[0])
	if n > 1 {
		return fmt.Sprintf("%s and %d more", first, n-1)
	}
	return first
}

// keyType gives the value type the catalogue records for a service's
// condition key (kms:GrantIsForAWSResource is a Bool): a Bool condition on
// it then meets only true and false, as AWS sends.
func (e *Env) keyType(key string) policy.ValueType {
	e.loadKeyFacts()
	return e.keyTypes[strings.ToLower(key)]
}

// keyMulti says whether the catalogue records a service key as
// multi-valued (ArrayOf…); iam:PermissionsBoundary is single-valued, so a
// ForAllValues condition on it meets one boundary or none, never a set.
func (e *Env) keyMulti(key string) (multi, known bool) {
	e.loadKeyFacts()
	multi, known = e.keyMultis[strings.ToLower(key)]
	return multi, known
}

// loadKeyFacts reads the condition keys' types and multiplicity from the
// catalogue once.
func (e *Env) loadKeyFacts() {
	if e.keyTypes == nil {
		e.keyTypes = map[string]policy.ValueType{}
		e.keyMultis = map[string]bool{}
		if cat, err := e.catalogue(); err == nil {
			for _, svc := range cat.Services() {
				s, _ := cat.Service(svc)
				for _, k := range s.ConditionKeys() {
					if strings.Contains(k.Name, "${") {
						continue
					}
					e.keyMultis[strings.ToLower(k.Name)] = strings.HasPrefix(k.Type, "ArrayOf")
					var t policy.ValueType
					switch strings.TrimPrefix(k.Type, "ArrayOf") {
					case "Bool":
						t = policy.TypeBool
					case "Numeric":
						t = policy.TypeNumber
					case "Date":
						t = policy.TypeDate
					case "IPAddress":
						t = policy.TypeIP
					default:
						continue
					}
					e.keyTypes[strings.ToLower(k.Name)] = t
				}
			}
		}
	}
}

// orgKeys are facts about the account's AWS Organization that a snapshot
// does not hold. The question leaves them to the caller (a witness may
// pick any organization), but they are not the caller's to choose: a hit
// that needs them is only a hit in some organizations.
var orgKeys = [...]string{"aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:ResourceOrgID", "aws:ResourceOrgPaths"}

// orgDependent reports whether the witness chose an organization key and
// the request is not also allowed both outside any organization and in an
// organization no policy names: the answer then depends on a fact the
// snapshot does not have (NOT_EVALUATED, never PASS). The returned text
// names the chosen values.
func orgDependent(c *policy.Compiled, pq *policy.Question, want func(policy.Witness) bool, w *policy.Witness) (string, bool) {
	var chosenKeys []string
	for _, k := range orgKeys {
		if v, ok := chosenOK(w, k); ok {
			chosenKeys = append(chosenKeys, k+"="+v)
		}
	}
	if len(chosenKeys) == 0 {
		return "", false
	}
	for _, other := range [][]string{nil, {"o-pvaudit00000"}} {
		alt := *pq
		alt.Keys = make(map[string]policy.KeyInfo, len(pq.Keys))
		for k, v := range pq.Keys {
			alt.Keys[k] = v
		}
		alt.Fixed = make(map[string][]string, len(pq.Fixed)+len(orgKeys))
		for k, v := range pq.Fixed {
			alt.Fixed[k] = v
		}
		for _, k := range orgKeys {
			alt.Keys[k] = policy.KeyInfo{Class: policy.KeyFixed}
			if other != nil {
				val := other[0]
				if strings.HasSuffix(k, "Paths") {
					val = other[0] + "/r-pvau/"
				}
				alt.Fixed[k] = []string{val}
			}
		}
		if c.Exists(&alt, want).Outcome() != policy.Exists {
			return strings.Join(chosenKeys, ", "), true
		}
	}
	return "", false
}
