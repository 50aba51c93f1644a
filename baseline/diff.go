package baseline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy/catalog"
)

// Options are what Diff needs besides the two states.
type Options struct {
	// Contract is the contract the current account is judged against: it
	// names actions every comparison asks about, the boundary pattern and
	// the promised session length. May be nil.
	Contract *contract.Contract
	// Catalog expands action patterns; nil loads the embedded one.
	Catalog *catalog.Catalog
	// The baseline's contract and parameters and the current ones: a
	// difference is drift too (DRIFT-014).
	BaseContract, CurContract ContractRef
	BaseParams, CurParams     Parameters
	// Workers evaluate effects in parallel (0: one per CPU).
	Workers int
}

// Diff compares the approved state with the current one and returns the
// drift items, sorted by resource, rule and key, each with its effect on
// access and its severity. Cosmetic differences (statement order, a string
// for a one-element list, URL-encoding, key order, whitespace, Sids, the
// order of lists) are not drift: both states hold canonical documents. A
// part of the account either side could not read gives NOT_EVALUATED
// items, never "no drift".
func Diff(base, cur *State, o Options) ([]Item, error) {
	if o.Catalog == nil {
		c, err := catalog.Default()
		if err != nil {
			return nil, err
		}
		o.Catalog = c
	}
	// The indexes are built here, once: the effects are evaluated in
	// parallel and only read the states.
	base.index()
	cur.index()
	d := &differ{base: base, cur: cur, o: o, bg: scopeOf(base.Gaps), cg: scopeOf(cur.Gaps)}
	d.roles()
	d.policies()
	d.missingPolicies()
	d.users()
	d.groups()
	d.contract()
	d.gaps()
	d.unknowns()
	eng := newEngine(o.Contract, o.Catalog, base, cur)
	eng.effects(d.items, o.Workers)
	for i := range d.items {
		finishSeverity(&d.items[i], o.Contract)
	}
	sortItems(d.items)
	return d.items, nil
}

type differ struct {
	base, cur   *State
	o           Options
	bg, cg      gapScope
	items       []Item
	unknownKeys []string // users whose keys a side did not list
	unknownMax  []string // roles whose MaxSessionDuration a side did not say
}

// add records an item, NOT_EVALUATED when a gap on either side hides its
// resource.
func (d *differ) add(it Item, area string) {
	it.Status = finding.Fail
	if why := d.bg.hides(area, it.Resource); why != "" {
		it.Status, it.Reason = finding.NotEvaluated, "the baseline could not read it: "+why
	} else if why := d.cg.hides(area, it.Resource); why != "" {
		it.Status, it.Reason = finding.NotEvaluated, "the current account could not be read fully: "+why
	}
	d.items = append(d.items, it)
}

// ---- roles ----

func (d *differ) roles() {
	for _, name := range unionNames(len(d.base.Roles), func(i int) string { return d.base.Roles[i].Name },
		len(d.cur.Roles), func(i int) string { return d.cur.Roles[i].Name }) {
		b, c := d.base.Role(name), d.cur.Role(name)
		switch {
		case b == nil:
			d.add(Item{Rule: RuleRoleAdded, Kind: RoleAdded, Resource: c.ARN, Subject: "role/" + name, role: name,
				Summary: fmt.Sprintf("role %s was added (%s)", name, c.Kind), After: roleValue(c), Severity: finding.Medium,
				patch: func(v *view) { r := cloneRole(*v.cur.Role(name)); v.roles[name] = &r }}, "iam")
		case c == nil:
			d.add(Item{Rule: RuleRoleRemoved, Kind: RoleRemoved, Resource: b.ARN, Subject: "role/" + name, role: name,
				Summary: fmt.Sprintf("role %s was removed (%s)", name, b.Kind), Before: roleValue(b), Severity: finding.Low,
				patch: func(v *view) { v.roles[name] = nil }}, "iam")
		default:
			d.roleChanges(b, c)
		}
	}
}

func roleValue(r *Role) map[string]any {
	m := map[string]any{"arn": r.ARN, "path": r.Path, "kind": r.Kind}
	if r.Trust != nil {
		m["trust_policy"] = r.Trust
	}
	if r.Boundary != "" {
		m["permissions_boundary"] = r.Boundary
	}
	if len(r.Inline) > 0 {
		names := make([]string, len(r.Inline))
		for i, p := range r.Inline {
			names[i] = p.Name
		}
		m["inline_policies"] = names
	}
	if len(r.Attached) > 0 {
		m["attached_policies"] = r.Attached
	}
	return m
}

func (d *differ) roleChanges(b, c *Role) {
	name := c.Name
	start := len(d.items)
	base := Item{Resource: c.ARN, Subject: "role/" + name, role: name}
	if (b.ID != "" && c.ID != "" && b.ID != c.ID) || (!b.CreateDate.IsZero() && !c.CreateDate.IsZero() && !b.CreateDate.Equal(c.CreateDate)) {
		it := base
		it.Rule, it.Kind, it.Key, it.Severity = RuleRoleRemoved, RoleRecreated, "recreated", finding.Medium
		it.Summary = fmt.Sprintf("role %s was deleted and created again (ID %s → %s)", name, orNone(b.ID), orNone(c.ID))
		it.Before, it.After = map[string]any{"id": b.ID, "create_date": b.CreateDate}, map[string]any{"id": c.ID, "create_date": c.CreateDate}
		it.patch = func(v *view) {
			r := v.editRole(name)
			r.ID, r.CreateDate = v.cur.Role(name).ID, v.cur.Role(name).CreateDate
		}
		d.add(it, "iam")
	}
	if !bytes.Equal(b.Trust, c.Trust) {
		it := base
		it.Rule, it.Kind, it.Severity = RuleTrust, TrustChanged, finding.Medium
		it.Summary = "trust policy changed"
		it.Before, it.After, it.Diff = docValue(b.Trust), docValue(c.Trust), docDiff(b.Trust, c.Trust)
		it.patch = func(v *view) { v.editRole(name).Trust = v.cur.Role(name).Trust }
		d.add(it, "iam")
	}
	if b.Boundary != c.Boundary {
		it := base
		it.Rule, it.Severity = RuleBoundary, finding.Medium
		it.Before, it.After = orNil(b.Boundary), orNil(c.Boundary)
		switch {
		case b.Boundary == "":
			it.Kind, it.Key, it.Severity = BoundaryAdded, "added", finding.Info
			it.Summary = "permissions boundary added: " + policyName(c.Boundary)
		case c.Boundary == "":
			it.Kind, it.Key, it.Severity = BoundaryRemoved, "removed", finding.Critical
			it.Summary = "permissions boundary removed (was " + policyName(b.Boundary) + ")"
		default:
			it.Kind, it.Key = BoundaryReplaced, "replaced"
			it.Summary = "permissions boundary replaced: " + policyName(b.Boundary) + " → " + policyName(c.Boundary)
		}
		it.patch = func(v *view) { v.editRole(name).Boundary = v.cur.Role(name).Boundary }
		d.add(it, "iam")
	}
	for _, pn := range unionNames(len(b.Inline), func(i int) string { return b.Inline[i].Name }, len(c.Inline), func(i int) string { return c.Inline[i].Name }) {
		bd, cd := inlineDoc(b.Inline, pn), inlineDoc(c.Inline, pn)
		if bytes.Equal(bd, cd) {
			continue
		}
		it := base
		it.Rule, it.Key, it.name, it.Severity = RuleInline, "inline:"+pn, pn, finding.Medium
		it.Before, it.After, it.Diff = docValue(bd), docValue(cd), docDiff(bd, cd)
		switch {
		case bd == nil:
			it.Kind, it.Summary = InlineAdded, "inline policy "+pn+" added"
		case cd == nil:
			it.Kind, it.Summary, it.Severity = InlineRemoved, "inline policy "+pn+" removed", finding.Low
		default:
			it.Kind, it.Summary = InlineChanged, "inline policy "+pn+" changed"
		}
		it.patch = func(v *view) {
			r := v.editRole(name)
			r.Inline = setInline(r.Inline, pn, inlineDoc(v.cur.Role(name).Inline, pn))
		}
		d.add(it, "iam")
	}
	for _, arn := range symDiff(b.Attached, c.Attached) {
		it := base
		it.Rule, it.Key, it.policy, it.Severity = RuleAttached, arn, arn, finding.Medium
		attached := slices.Contains(c.Attached, arn)
		if attached {
			it.Kind, it.Summary, it.After = PolicyAttached, "managed policy "+policyName(arn)+" attached", arn
		} else {
			it.Kind, it.Summary, it.Before, it.Severity = PolicyDetached, "managed policy "+policyName(arn)+" detached", arn, finding.Low
		}
		it.patch = func(v *view) { r := v.editRole(name); r.Attached = setMember(r.Attached, arn, attached) }
		d.add(it, "iam")
	}
	switch {
	case b.MaxSessionDuration == 0 || c.MaxSessionDuration == 0:
		d.unknownMax = append(d.unknownMax, name)
	case b.MaxSessionDuration != c.MaxSessionDuration:
		it := base
		it.Rule, it.Kind, it.Severity = RuleMaxSession, MaxSessionChanged, finding.Medium
		it.Summary = fmt.Sprintf("MaxSessionDuration %ds → %ds", b.MaxSessionDuration, c.MaxSessionDuration)
		it.Before, it.After = b.MaxSessionDuration, c.MaxSessionDuration
		if c.MaxSessionDuration < b.MaxSessionDuration {
			it.Severity = finding.Info
		} else if max := d.promisedSession(); c.Kind == "cross-account" && max > 0 && c.MaxSessionDuration > max {
			it.Severity = finding.High
			it.Summary += fmt.Sprintf(", longer than the %ds the contract promises", max)
		}
		it.patch = func(v *view) { v.editRole(name).MaxSessionDuration = v.cur.Role(name).MaxSessionDuration }
		d.add(it, "max-session")
	}
	if b.Path != c.Path {
		it := base
		it.Rule, it.Kind, it.Key, it.Severity = RulePathTags, PathChanged, "path", finding.Low
		it.Summary, it.Before, it.After = fmt.Sprintf("path %s → %s (the role was recreated)", b.Path, c.Path), b.Path, c.Path
		it.patch = func(v *view) { r := v.editRole(name); r.Path, r.ARN = v.cur.Role(name).Path, v.cur.Role(name).ARN }
		d.add(it, "iam")
	}
	if !maps.Equal(b.Tags, c.Tags) {
		it := base
		it.Rule, it.Kind, it.Key, it.Severity = RulePathTags, TagsChanged, "tags", finding.Low
		it.Summary, it.Before, it.After = "tags changed: "+tagChanges(b.Tags, c.Tags), orEmptyTags(b.Tags), orEmptyTags(c.Tags)
		it.patch = func(v *view) { v.editRole(name).Tags = cloneTags(v.cur.Role(name).Tags) }
		d.add(it, "iam")
	}
	if b.Kind != c.Kind {
		cc := &ClassChange{Before: b.Kind, After: c.Kind}
		for i := start; i < len(d.items); i++ {
			d.items[i].Classification = cc
			if d.items[i].Rule == RulePathTags && d.items[i].Severity < finding.Medium {
				d.items[i].Severity = finding.Medium
			}
		}
	}
}

func (d *differ) promisedSession() int {
	if d.o.Contract == nil {
		return 0
	}
	return d.o.Contract.CrossAccountRole.MaxSessionDuration
}

// ---- managed policies ----

func (d *differ) policies() {
	for _, arn := range unionNames(len(d.base.Policies), func(i int) string { return d.base.Policies[i].ARN },
		len(d.cur.Policies), func(i int) string { return d.cur.Policies[i].ARN }) {
		b, c := d.base.Policy(arn), d.cur.Policy(arn)
		switch {
		case b == nil && c.AWSManaged(), c == nil && b.AWSManaged():
			// AWS managed policies appear in a snapshot when something
			// uses them; attaching one is the drift, and it is reported.
		case b == nil:
			d.add(Item{Rule: RulePolicyCreated, Kind: PolicyCreated, Resource: arn, Subject: "policy/" + c.Name, policy: arn, name: c.Name,
				Summary: "customer managed policy " + c.Name + " created", After: docValue(c.DefaultDocument()), Severity: d.policySeverity(c.Name),
				patch: func(v *view) { p := *v.cur.Policy(arn); v.policies[arn] = &p }}, "iam")
		case c == nil:
			d.add(Item{Rule: RulePolicyCreated, Kind: PolicyDeleted, Resource: arn, Subject: "policy/" + b.Name, policy: arn, name: b.Name, Key: "deleted",
				Summary: "customer managed policy " + b.Name + " deleted", Before: docValue(b.DefaultDocument()), Severity: finding.Low,
				patch: func(v *view) { v.policies[arn] = nil }}, "iam")
		default:
			d.policyChanges(b, c)
		}
	}
}

// missingPolicies: a policy a role, user or group references but its side
// of the comparison does not hold (an AWS CLI export that left it out, a
// boundary in another account) cannot be compared: whether its document
// changed is not known, which is NOT_EVALUATED, never "unchanged".
func (d *differ) missingPolicies() {
	for _, side := range []struct {
		st   *State
		word string
	}{{d.base, "baseline"}, {d.cur, "current account"}} {
		for _, arn := range referencedPolicies(side.st) {
			if side.st.Policy(arn) != nil {
				continue
			}
			d.items = append(d.items, Item{Rule: RulePolicyDocument, Kind: NotEvaluated, Resource: arn, Subject: "policy/" + policyName(arn),
				Key: "missing:" + side.word, Severity: finding.High, Status: finding.NotEvaluated,
				Summary: "policy " + policyName(arn) + " is referenced, but the " + side.word + " snapshot does not hold it: a change of its document cannot be detected",
				Reason:  "the snapshot lacks the policy (an export without it, or a policy in another account)"})
		}
	}
}

// referencedPolicies are the managed policies a state's roles, users and
// groups attach or carry as boundary, sorted.
func referencedPolicies(st *State) []string {
	set := map[string]bool{}
	for _, r := range st.Roles {
		for _, a := range r.Attached {
			set[a] = true
		}
		if r.Boundary != "" {
			set[r.Boundary] = true
		}
	}
	for _, u := range st.Users {
		for _, a := range u.Attached {
			set[a] = true
		}
		if u.Boundary != "" {
			set[u.Boundary] = true
		}
	}
	for _, g := range st.Groups {
		for _, a := range g.Attached {
			set[a] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func (d *differ) policySeverity(name string) finding.Severity {
	if d.o.Contract != nil {
		if _, ok := d.o.Contract.BoundaryNodeID(name); ok {
			return finding.Medium
		}
	}
	return finding.Low
}

func (d *differ) policyChanges(b, c *Policy) {
	arn := c.ARN
	base := Item{Resource: arn, Subject: "policy/" + c.Name, policy: arn, name: c.Name, Rule: RulePolicyDocument, Severity: finding.Medium,
		patch: func(v *view) { p := *v.cur.Policy(arn); v.policies[arn] = &p }}
	bd, cd := b.DefaultDocument(), c.DefaultDocument()
	switch {
	case bd == nil || cd == nil:
		// A side without the default document cannot say whether it
		// changed: not evaluated, never "unchanged".
		it := base
		it.Kind, it.Key = DocumentChanged, "default"
		it.Summary = fmt.Sprintf("default version %s → %s", orNone(b.DefaultVersionID), orNone(c.DefaultVersionID))
		it.Before, it.After = docValue(bd), docValue(cd)
		d.add(it, "iam")
		d.items[len(d.items)-1].Status = finding.NotEvaluated
		d.items[len(d.items)-1].Reason = "the default version's document is missing from the " + missingSide(bd, cd)
	case !bytes.Equal(bd, cd):
		it := base
		it.Key, it.Before, it.After, it.Diff = "default", docValue(bd), docValue(cd), docDiff(bd, cd)
		if b.DefaultVersionID != c.DefaultVersionID {
			it.Kind, it.Summary = DefaultVersionSwitch, fmt.Sprintf("default version %s → %s with a different document", b.DefaultVersionID, c.DefaultVersionID)
		} else {
			it.Kind, it.Summary = DocumentChanged, fmt.Sprintf("document of the default version %s changed", c.DefaultVersionID)
		}
		d.add(it, "iam")
	}
	var staged []string
	for _, v := range c.Versions {
		if v.ID == c.DefaultVersionID || v.Document == nil {
			continue
		}
		known := false
		for _, bv := range b.Versions {
			if bytes.Equal(bv.Document, v.Document) {
				known = true
				break
			}
		}
		if !known {
			staged = append(staged, v.ID)
		}
	}
	if len(staged) > 0 {
		it := base
		it.Kind, it.Key, it.Severity = VersionStaged, "staged", finding.Low
		it.Summary = fmt.Sprintf("new non-default version(s) %s staged (not in force until made the default)", strings.Join(staged, ", "))
		it.After = staged
		d.add(it, "iam")
	}
}

func missingSide(bd, cd json.RawMessage) string {
	switch {
	case bd == nil && cd == nil:
		return "baseline and the current account"
	case bd == nil:
		return "baseline"
	}
	return "current account"
}

// ---- users and groups ----

// ---- contract, gaps, unknowns ----

func (d *differ) contract() {
	var what []string
	b, c := d.o.BaseContract, d.o.CurContract
	if c.Name == "" && c.SHA256 == "" {
		return // the caller did not say which contract is current
	}
	if b.Name != c.Name {
		what = append(what, fmt.Sprintf("contract %s → %s", orNone(b.Name), orNone(c.Name)))
	} else if b.SHA256 != c.SHA256 {
		what = append(what, fmt.Sprintf("contract %s's source changed (SHA-256 %s → %s)", c.Name, short(b.SHA256), short(c.SHA256)))
	}
	bp, _ := json.Marshal(d.o.BaseParams)
	cp, _ := json.Marshal(d.o.CurParams)
	if !bytes.Equal(bp, cp) {
		what = append(what, "parameters changed")
	}
	if len(what) == 0 {
		return
	}
	d.items = append(d.items, Item{Rule: RuleContract, Kind: ContractChanged, Resource: d.cur.AccountID, Subject: "contract", Key: "contract",
		Summary: strings.Join(what, "; ") + ": roles are classified and judged by other rules than the baseline's", Severity: finding.Medium, Status: finding.Fail,
		Before: map[string]any{"contract": b, "parameters": json.RawMessage(bp)}, After: map[string]any{"contract": c, "parameters": json.RawMessage(cp)}})
}

func (d *differ) gaps() {
	for side, gs := range map[string][]inventory.Gap{"baseline": d.base.Gaps, "current": d.cur.Gaps} {
		for _, g := range gs {
			res := g.Resource
			if !strings.HasPrefix(res, "arn:") {
				res = d.cur.AccountID
			}
			what := g.Operation
			if g.Resource != "" {
				what += " (" + g.Resource + ")"
			}
			sideWord := map[string]string{"baseline": "the baseline's snapshot", "current": "the current snapshot"}[side]
			d.items = append(d.items, Item{Rule: RuleNotEvaluated, Kind: NotEvaluated, Resource: res, Subject: "account",
				Key: side + ":" + g.Operation + ":" + g.Resource, Severity: finding.High, Status: finding.NotEvaluated,
				Summary: sideWord + " could not read " + what + ": drift of what it hides is not evaluated",
				Reason:  strings.TrimSpace(g.Code + " " + g.Message)})
		}
	}
}

func (d *differ) unknowns() {
	if len(d.unknownKeys) > 0 {
		sort.Strings(d.unknownKeys)
		d.items = append(d.items, Item{Rule: RuleAccessKey, Kind: NotEvaluated, Resource: d.cur.AccountID, Subject: "account", Key: "unknown",
			Severity: finding.High, Status: finding.NotEvaluated, After: d.unknownKeys,
			Summary: fmt.Sprintf("access keys of %d user(s) (%s) were not listed by the baseline or the current source: added keys cannot be detected", len(d.unknownKeys), joinShort(d.unknownKeys)),
			Reason:  "an AWS CLI export does not list access keys; read the account live (pvaudit snapshot) for both sides"})
	}
	if len(d.unknownMax) > 0 {
		sort.Strings(d.unknownMax)
		d.items = append(d.items, Item{Rule: RuleMaxSession, Kind: NotEvaluated, Resource: d.cur.AccountID, Subject: "account", Key: "unknown",
			Severity: finding.Medium, Status: finding.NotEvaluated, After: d.unknownMax,
			Summary: fmt.Sprintf("MaxSessionDuration of %d role(s) (%s) is not known on one side: a longer session cannot be detected", len(d.unknownMax), joinShort(d.unknownMax)),
			Reason:  "the source did not say (an AWS CLI export lacks it; read the account live)"})
	}
}

// ---- gap scopes ----

// gapScope is what one side's gaps hide.
type gapScope struct {
	all        string            // everything (a listing failed)
	maxSession string            // every role's MaxSessionDuration
	byResource map[string]string // one resource (any area)
	keys       map[string]string // one user's access keys
}

func scopeOf(gaps []inventory.Gap) gapScope {
	g := gapScope{byResource: map[string]string{}, keys: map[string]string{}}
	for _, x := range gaps {
		why := x.Operation
		if x.Code != "" {
			why += " " + x.Code
		}
		switch {
		case x.Operation == "sts:GetCallerIdentity":
			// Who read the account: no IAM entity is hidden.
		case x.Operation == "iam:ListAccessKeys" && strings.HasPrefix(x.Resource, "arn:"):
			g.keys[x.Resource] = why
		case x.Operation == "iam:ListRoles":
			g.maxSession = why
		case strings.HasPrefix(x.Resource, "arn:"):
			g.byResource[x.Resource] = why
		default:
			g.all = why
		}
	}
	return g
}

func (g gapScope) hides(area, arn string) string {
	switch {
	case g.all != "":
		return g.all
	case area == "max-session" && g.maxSession != "":
		return g.maxSession
	case area == "access-keys" && g.keys[arn] != "":
		return g.keys[arn]
	}
	return g.byResource[arn]
}

// ---- helpers ----

// unionNames merges two sorted name lists.
func unionNames(n int, a func(int) string, m int, b func(int) string) []string {
	set := make(map[string]struct{}, n+m)
	for i := range n {
		set[a(i)] = struct{}{}
	}
	for i := range m {
		set[b(i)] = struct{}{}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// symDiff returns the elements in exactly one of a and b, sorted.
func symDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func changeWord(before, after json.RawMessage) string {
	switch {
	case before == nil:
		return "added"
	case after == nil:
		return "removed"
	}
	return "changed"
}

// docValue is a document as an item shows it, secrets redacted.
func docValue(d json.RawMessage) any {
	if d == nil {
		return nil
	}
	return redactDoc(d)
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func orEmptyTags(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func policyName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return orNone(sum)
}

func joinShort(names []string) string {
	if len(names) <= 5 {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:5], ", ") + fmt.Sprintf(", … %d more", len(names)-5)
}

func tagChanges(b, c map[string]string) string {
	var parts []string
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range c {
		keys[k] = true
	}
	sorted := slices.Sorted(maps.Keys(keys))
	for _, k := range sorted {
		bv, bok := b[k]
		cv, cok := c[k]
		switch {
		case !bok:
			parts = append(parts, fmt.Sprintf("+%s=%s", k, cv))
		case !cok:
			parts = append(parts, fmt.Sprintf("-%s=%s", k, bv))
		case bv != cv:
			parts = append(parts, fmt.Sprintf("%s: %s → %s", k, bv, cv))
		}
	}
	return strings.Join(parts, ", ")
}
