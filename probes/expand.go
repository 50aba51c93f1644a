package probes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// Hypothetical node identifiers, used when the account reveals too few
// compute nodes for a row that needs one (or another one). A guardrail
// written as a pattern must hold for them as for real nodes.
const (
	hypotheticalNode      = "00000000"
	hypotheticalOtherNode = "ffffffff"
	defaultOtherAccount   = "999999999999"
	defaultRegion         = "us-east-1"
)

// Options tune expansion.
type Options struct {
	// Vars override template variables, built-in or declared by a row.
	Vars map[string]string
	// NoGenerated leaves out the escalation and isolation probes.
	NoGenerated bool
	// NoIsolation leaves out the isolation probes only (IsolationFindings
	// decides them node by node in bounded memory).
	NoIsolation bool
}

// Expand turns the contract's scenario rows and, unless opts.NoGenerated,
// the escalation and isolation probes generated from the account into
// concrete probes, sorted.
func Expand(env *checks.Env, c *contract.Contract, opts Options) []Probe {
	x := newExpander(env, c, opts)
	var out []Probe
	order := map[string]int{}
	for i := range c.Scenarios {
		order[c.Scenarios[i].ID] = i
		out = append(out, x.scenario(&c.Scenarios[i])...)
	}
	if !opts.NoGenerated {
		out = append(out, x.escalations()...)
		if !opts.NoIsolation {
			out = append(out, x.isolation()...)
		}
	}
	SortProbes(out, order)
	return out
}

type expander struct {
	env    *checks.Env
	c      *contract.Contract
	opts   Options
	region string
	// byNode lists the child roles of each compute node.
	byNode map[string][]classify.Role
}

func newExpander(env *checks.Env, c *contract.Contract, opts Options) *expander {
	x := &expander{env: env, c: c, opts: opts, byNode: map[string][]classify.Role{}}
	for _, rc := range env.Roles {
		if rc.Kind.IsChild() && rc.NodeID != "" {
			x.byNode[rc.NodeID] = append(x.byNode[rc.NodeID], rc)
		}
	}
	x.region = x.guessRegion()
	return x
}

// guessRegion returns the region most used in the resources of child-role
// policies, so that templated ARNs look like the account's own.
func (x *expander) guessRegion() string {
	if v, ok := x.opts.Vars["region"]; ok {
		return v
	}
	count := map[string]int{}
	for _, rc := range x.env.Roles {
		if !rc.Kind.IsChild() {
			continue
		}
		for _, d := range roleDocs(x.env.Snap, rc.Role) {
			for _, st := range d.Statements {
				for _, r := range st.Resource {
					f := strings.SplitN(r, ":", 6)
					if len(f) == 6 && f[3] != "" && !strings.ContainsAny(f[3], "*?$") {
						count[f[3]]++
					}
				}
			}
		}
	}
	best, n := defaultRegion, 0
	for r, c := range count {
		if c > n || (c == n && r < best) {
			best, n = r, c
		}
	}
	return best
}

// roleDocs returns the identity policy documents of a role that the
// snapshot holds (inline and the default version of attached policies).
func roleDocs(snap *inventory.Snapshot, r *inventory.Role) []*policy.Document {
	var out []*policy.Document
	for _, ip := range r.InlinePolicies {
		if ip.Document != nil {
			out = append(out, ip.Document)
		}
	}
	for _, ap := range r.AttachedPolicies {
		if mp := snap.Policy(ap.ARN); mp != nil && !mp.AWSManaged() {
			if d := mp.DefaultDocument(); d != nil {
				out = append(out, d)
			}
		}
	}
	return out
}

// selectPrincipals returns the roles a selector picks.
func (x *expander) selectPrincipals(sel contract.Selector, nameGlob string) []classify.Role {
	var out []classify.Role
	for _, rc := range x.env.Roles {
		switch sel.Kind {
		case contract.SelectCrossAccount:
			if rc.Kind == classify.CrossAccount {
				out = append(out, rc)
			}
		case contract.SelectChild:
			if rc.Kind.IsChild() {
				out = append(out, rc)
			}
		case contract.SelectProcessor:
			if rc.Kind.IsChild() && x.isProcessor(rc.Role) && runtimeMatches(rc.Role, sel.Runtime) {
				out = append(out, rc)
			}
		case contract.SelectRole:
			if contract.Glob(nameGlob, rc.Role.Name) {
				out = append(out, rc)
			}
		}
	}
	return out
}

// isProcessor recognises the child roles that run customer code: by the
// contract's processor_roles patterns, or, when it has none, by a name
// that says "processor".
func (x *expander) isProcessor(r *inventory.Role) bool {
	if len(x.c.ProcessorRoles.NamePatterns) > 0 {
		return x.c.ProcessorRoles.IsProcessor(r.Name)
	}
	return strings.Contains(strings.ToLower(r.Name), "processor")
}

// runtimeMatches narrows processors to ECS or Lambda by the service their
// trust policy admits, or by name when the trust policy is unknown.
func runtimeMatches(r *inventory.Role, runtime string) bool {
	if runtime == "" {
		return true
	}
	service := map[string]string{"ecs": "ecs-tasks.amazonaws.com", "lambda": "lambda.amazonaws.com"}[runtime]
	if r.TrustPolicy != nil {
		for _, s := range trustedServices(r.TrustPolicy) {
			if s == service {
				return true
			}
		}
		return false
	}
	return strings.Contains(strings.ToLower(r.Name), runtime)
}

// trustedServices lists the service principals a trust policy allows.
func trustedServices(d *policy.Document) []string {
	var out []string
	for _, st := range d.Statements {
		if st.Effect != policy.EffectAllow || st.Principal == nil {
			continue
		}
		out = append(out, st.Principal.Service...)
	}
	sort.Strings(out)
	return out
}

func principalOf(rc classify.Role) Principal {
	return Principal{Name: rc.Role.Name, ARN: rc.Role.ARN, Kind: string(rc.Kind), Node: rc.NodeID}
}

// binding is one assignment of the multi-valued variables.
type binding struct {
	node, otherNode, fileSystem string
	// othersTotal is set when ${other_node} took only maxOtherNodes of the
	// other nodes: how many there are.
	othersTotal int
}

// maxOtherNodes bounds the ${other_node} values of a scenario row per
// node, so a row costs nodes × maxOtherNodes, not nodes². Every pair of
// nodes is still probed by the generated isolation probes (PV-PRB-003).
const maxOtherNodes = 8

// scenario expands one row.
func (x *expander) scenario(s *contract.Scenario) []Probe {
	sev, _ := finding.ParseSeverity(s.SeverityName())
	base := Probe{
		Origin: FromScenario, ScenarioID: s.ID, Section: s.Section, Text: s.Text,
		Expect: s.Expect, When: s.When, Severity: sev,
	}
	sel, err := contract.ParseSelector(s.Principal)
	if err != nil {
		base.Principal = Principal{Name: s.Principal}
		base.Unexpanded = err.Error()
		return []Probe{base}
	}
	if s.Manual != "" {
		base.Principal = Principal{Name: sel.String()}
		base.Manual = s.Manual
		return []Probe{base}
	}
	glob := ""
	if sel.Kind == contract.SelectRole {
		v := x.vars(s, nil, binding{})
		glob, err = contract.ExpandTemplate(sel.Name, v.lookup)
		if err != nil {
			base.Principal = Principal{Name: sel.String()}
			base.Unexpanded = err.Error()
			return []Probe{base}
		}
	}
	principals := x.selectPrincipals(sel, glob)
	if len(principals) == 0 {
		p := base
		name := sel.String()
		if glob != "" {
			name = "role:" + glob
		}
		p.Principal = Principal{Name: name}
		p.Unexpanded = fmt.Sprintf("no role in the account matches the selector %s", name)
		return []Probe{p}
	}
	if s.Network != "" {
		var out []Probe
		for _, rc := range principals {
			p := base
			p.Principal = principalOf(rc)
			p.Network = x.network(s.Network, rc)
			out = append(out, p)
		}
		return out
	}
	used := x.usedVars(s)
	var out []Probe
	for _, rc := range principals {
		for _, b := range x.bindings(rc, used) {
			v := x.vars(s, &rc, b)
			p := base
			p.Principal = principalOf(rc)
			p.Notes = append(p.Notes, v.notes(used)...)
			reqs, err := x.requests(s, v)
			if err != nil {
				p.Unexpanded = err.Error()
				out = append(out, p)
				continue
			}
			for _, r := range reqs {
				q := p
				q.Steps = []Request{r}
				out = append(out, q)
			}
		}
	}
	return out
}

// usedVars returns every variable the row uses, directly or through the
// values of its vars.
func (x *expander) usedVars(s *contract.Scenario) map[string]bool {
	used := map[string]bool{}
	var visit func(t string, depth int)
	visit = func(t string, depth int) {
		for _, v := range contract.TemplateVars(t) {
			if used[v] {
				continue
			}
			used[v] = true
			if depth < 8 {
				if def, ok := x.opts.Vars[v]; ok {
					visit(def, depth+1)
				} else if def, ok := s.Vars[v]; ok {
					visit(def, depth+1)
				}
			}
		}
	}
	for _, t := range s.Templates() {
		visit(t, 0)
	}
	return used
}

// bindings enumerates the values of the multi-valued variables a row uses
// for one principal.
func (x *expander) bindings(rc classify.Role, used map[string]bool) []binding {
	needNode := used["node"] || used["other_node"] || used["file_system"] || used["boundary_arn"] ||
		(used["llm_governor_function_arn"] && strings.Contains(x.c.Parameters.LLMGovernorFunctionARN, "{node_id}"))
	if !needNode {
		return []binding{{}}
	}
	var nodes []string
	switch {
	case x.override("node") != "":
		nodes = []string{x.override("node")}
	case rc.NodeID != "":
		nodes = []string{rc.NodeID}
	case len(x.env.NodeIDs) > 0:
		nodes = x.env.NodeIDs
	default:
		nodes = []string{hypotheticalNode}
	}
	var out []binding
	for _, n := range nodes {
		others, total := []string{""}, 0
		if used["other_node"] {
			others, total = x.otherNodes(n)
		}
		fss := []string{""}
		if used["file_system"] {
			fss = x.fileSystems(n)
			if len(fss) == 0 {
				fss = []string{""}
			}
		}
		for _, o := range others {
			for _, fs := range fss {
				out = append(out, binding{node: n, otherNode: o, fileSystem: fs, othersTotal: total})
			}
		}
	}
	return out
}

func (x *expander) override(name string) string { return x.opts.Vars[name] }

// otherNodes returns the values of ${other_node} for a node and, when they
// are a sample (more than maxOtherNodes other nodes), how many there are.
func (x *expander) otherNodes(node string) (nodes []string, sampledFrom int) {
	if v := x.override("other_node"); v != "" {
		return []string{v}, 0
	}
	var out []string
	for _, n := range x.env.NodeIDs {
		if n != node {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return []string{hypotheticalOtherNode}, 0
	}
	if len(out) <= maxOtherNodes {
		return out, 0
	}
	// The nodes that follow this one in order, wrapping around: each node
	// looks at different neighbours, and the result does not depend on
	// map order.
	start := sort.SearchStrings(out, node)
	picked := make([]string, 0, maxOtherNodes)
	for i := range maxOtherNodes {
		picked = append(picked, out[(start+i)%len(out)])
	}
	return picked, len(out)
}

// fileSystems returns the EFS file systems the node's roles name in their
// policies.
func (x *expander) fileSystems(node string) []string {
	if v := x.override("file_system"); v != "" {
		return []string{v}
	}
	set := map[string]bool{}
	for _, rc := range x.byNode[node] {
		for _, d := range roleDocs(x.env.Snap, rc.Role) {
			for _, st := range d.Statements {
				for _, r := range st.Resource {
					if strings.Contains(r, ":elasticfilesystem:") && strings.Contains(r, ":file-system/") && !strings.ContainsAny(r, "*?$") {
						set[r] = true
					}
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// varSet resolves the variables of one row for one principal and binding.
type varSet struct {
	x    *expander
	row  map[string]string
	self *classify.Role
	b    binding
}

func (x *expander) vars(s *contract.Scenario, rc *classify.Role, b binding) *varSet {
	return &varSet{x: x, row: s.Vars, self: rc, b: b}
}

// value returns a variable's raw value (before expanding variables inside
// it) and whether it has one.
func (v *varSet) value(name string) (string, bool) {
	if o, ok := v.x.opts.Vars[name]; ok {
		return o, o != ""
	}
	switch name {
	case "account":
		return v.x.env.Snap.AccountID, v.x.env.Snap.AccountID != ""
	case "partition":
		return "aws", true
	case "region":
		return v.x.region, true
	case "other_account":
		return defaultOtherAccount, true
	case "self":
		if v.self == nil {
			return "", false
		}
		return v.self.Role.ARN, true
	case "self_name":
		if v.self == nil {
			return "", false
		}
		return v.self.Role.Name, true
	case "node":
		return v.b.node, v.b.node != ""
	case "other_node":
		return v.b.otherNode, v.b.otherNode != ""
	case "file_system":
		return v.b.fileSystem, v.b.fileSystem != ""
	case "boundary_arn":
		pat := v.x.c.Boundary.NamePattern
		if pat == "" || v.b.node == "" {
			return "", false
		}
		return "arn:aws:iam::" + v.x.env.Snap.AccountID + ":policy/" + strings.Replace(pat, "*", v.b.node, 1), true
	}
	if p, ok := v.parameter(name); ok {
		return p, true
	}
	if d, ok := v.row[name]; ok {
		return d, d != ""
	}
	return "", false
}

// parameter returns a contract parameter's value, its {account_id} and
// {node_id} expanded and a wildcard region made concrete.
func (v *varSet) parameter(name string) (string, bool) {
	vars := v.x.c.Parameters.Vars(map[string]string{"account_id": v.x.env.Snap.AccountID, "node_id": v.b.node})
	raw, ok := vars[name]
	if !ok || raw == "" {
		return "", false
	}
	s, err := contract.Expand(raw, vars)
	if err != nil {
		return "", false
	}
	if f := strings.SplitN(s, ":", 6); len(f) == 6 && f[0] == "arn" && f[3] == "*" {
		f[3] = v.x.region
		s = strings.Join(f, ":")
	}
	return s, true
}

// expand expands a template, following variables inside values.
func (v *varSet) expand(tmpl string) (string, error) {
	return v.expandDepth(tmpl, 0)
}

func (v *varSet) expandDepth(tmpl string, depth int) (string, error) {
	if depth > 8 {
		return "", fmt.Errorf("template %q: variables nest too deep", tmpl)
	}
	var inner error
	out, err := contract.ExpandTemplate(tmpl, func(name string) (string, bool) {
		raw, ok := v.value(name)
		if !ok {
			return "", false
		}
		s, err := v.expandDepth(raw, depth+1)
		if err != nil {
			inner = err
			return "", false
		}
		return s, true
	})
	if inner != nil {
		return "", inner
	}
	if err != nil {
		return "", fmt.Errorf("%w (set it with --var NAME=VALUE)", err)
	}
	return out, nil
}

func (v *varSet) lookup(name string) (string, bool) {
	s, err := v.expand("${" + name + "}")
	return s, err == nil
}

// notes explains values a reader might not guess.
func (v *varSet) notes(used map[string]bool) []string {
	var out []string
	if used["node"] && v.b.node == hypotheticalNode {
		out = append(out, "the account reveals no compute node; used hypothetical node "+hypotheticalNode)
	}
	if used["other_node"] && v.b.otherNode == hypotheticalOtherNode {
		out = append(out, "the account reveals no other compute node; used hypothetical node "+hypotheticalOtherNode)
	}
	if used["other_node"] && v.b.othersTotal > 0 {
		out = append(out, fmt.Sprintf("checked against %d of the %d other compute nodes (the next ones in order); PV-PRB-003 probes every pair of nodes",
			maxOtherNodes, v.b.othersTotal))
	}
	return out
}

// requests builds the row's requests: every action on every resource.
func (x *expander) requests(s *contract.Scenario, v *varSet) ([]Request, error) {
	resources := s.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	var ctx []ContextEntry
	for _, c := range s.Context {
		e := ContextEntry{Key: c.Key, Type: c.Type}
		if e.Type == "" {
			e.Type = "string"
		}
		for _, val := range c.Values {
			ev, err := v.expand(val)
			if err != nil {
				return nil, fmt.Errorf("context %s: %w", c.Key, err)
			}
			e.Values = append(e.Values, ev)
		}
		ctx = append(ctx, e)
	}
	var out []Request
	for _, rt := range resources {
		r, err := v.expand(rt)
		if err != nil {
			return nil, fmt.Errorf("resource: %w", err)
		}
		for _, a := range s.Actions {
			out = append(out, Request{Action: a, Resource: r, Context: ctx})
		}
	}
	return out, nil
}
