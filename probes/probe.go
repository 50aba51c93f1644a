// Package probes proves the scenario tables of a provider's documents
// against an account: each row of a contract's scenarios (and the
// escalation and isolation probes generated from the account itself) is
// expanded into concrete IAM requests for every principal it concerns, and
// each request is decided by one or two engines — pvaudit's own evaluator
// over the snapshot (Local) and AWS's policy simulator (AWS) — and compared
// with the promised outcome.
package probes

import (
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
)

// Origin says where a probe comes from.
type Origin string

// Origins.
const (
	// FromScenario: a row of the contract's scenario tables.
	FromScenario Origin = "scenario"
	// FromEscalation: generated from the account, a privilege-escalation
	// path of the cross-account role.
	FromEscalation Origin = "escalation"
	// FromIsolation: generated from the account, one compute node's role
	// against another node's resources.
	FromIsolation Origin = "isolation"
)

// ContextEntry is one condition key of a request.
type ContextEntry struct {
	Key    string   `json:"key"`
	Type   string   `json:"type"`
	Values []string `json:"values"`
}

// Request is one concrete authorization request.
type Request struct {
	Action   string         `json:"action"`
	Resource string         `json:"resource"`
	Context  []ContextEntry `json:"context,omitempty"`
}

// key identifies a request for one principal.
func (r Request) key(principal string) string {
	var b strings.Builder
	b.WriteString(principal)
	b.WriteByte(0)
	b.WriteString(r.Action)
	b.WriteByte(0)
	b.WriteString(r.Resource)
	b.WriteString(contextKey(r.Context))
	return b.String()
}

func contextKey(c []ContextEntry) string {
	var b strings.Builder
	for _, e := range c {
		b.WriteByte(0)
		b.WriteString(e.Key)
		b.WriteByte(1)
		b.WriteString(e.Type)
		for _, v := range e.Values {
			b.WriteByte(2)
			b.WriteString(v)
		}
	}
	return b.String()
}

// Principal is who acts in a probe.
type Principal struct {
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
	Kind string `json:"kind,omitempty"` // cross-account, child, other
	Node string `json:"node,omitempty"`
}

// Probe is one attempt by one principal. Most probes are one request; an
// escalation may need several (create a policy, then use it): the attempt
// succeeds only when every step is allowed.
type Probe struct {
	Origin     Origin               `json:"origin"`
	ScenarioID string               `json:"scenario"`
	Section    string               `json:"section,omitempty"`
	Text       string               `json:"text"`
	Principal  Principal            `json:"principal"`
	Steps      []Request            `json:"steps,omitempty"`
	Expect     contract.Expectation `json:"expect"`
	When       string               `json:"when,omitempty"`
	Severity   finding.Severity     `json:"severity"`
	// Notes explain choices made while expanding (a hypothetical node,
	// a variable's value).
	Notes []string `json:"notes,omitempty"`
	// Manual is set for rows IAM simulation cannot prove.
	Manual string `json:"manual,omitempty"`
	// Network is set for rows decided from the network facts of the
	// snapshot's runtime section instead of IAM (see network.go); both
	// engines report it.
	Network *NetworkDecision `json:"network,omitempty"`
	// Unexpanded says why the row could not be turned into requests (no
	// principal matches, a variable has no value); the probe is then not
	// evaluated.
	Unexpanded string `json:"unexpanded,omitempty"`
	// Group is the scenario the probe is reported under when it is not
	// ScenarioID: isolation probes are generated per pair of nodes
	// ("isolation-A-to-B") and reported once per principal ("isolation-A"),
	// or N nodes would give N² findings.
	Group string `json:"-"`
}

// group is the scenario a probe's result is reported under.
func (p *Probe) group() string {
	if p.Group != "" {
		return p.Group
	}
	return p.ScenarioID
}

// Action is the probe's actions joined for display.
func (p *Probe) Action() string {
	if p.Network != nil && len(p.Steps) == 0 {
		return "network:" + p.Network.Question
	}
	var a []string
	for _, s := range p.Steps {
		a = append(a, s.Action)
	}
	return strings.Join(a, " → ")
}

// Resource is the probe's last step's resource (the target of the attempt).
func (p *Probe) Resource() string {
	if p.Network != nil && len(p.Steps) == 0 {
		return p.Network.Where
	}
	if len(p.Steps) == 0 {
		return ""
	}
	return p.Steps[len(p.Steps)-1].Resource
}

// sortKey orders probes deterministically.
func (p *Probe) sortKey() string {
	var b strings.Builder
	b.WriteString(string(p.Origin))
	b.WriteByte(0)
	b.WriteString(p.ScenarioID)
	b.WriteByte(0)
	b.WriteString(p.Principal.Name)
	for _, s := range p.Steps {
		b.WriteString(s.key(""))
	}
	return b.String()
}

// originRank orders scenario rows first, in contract order.
func originRank(o Origin) int {
	switch o {
	case FromScenario:
		return 0
	case FromEscalation:
		return 1
	}
	return 2
}

// SortProbes orders probes: contract rows in contract order (order gives
// each row's index), then generated probes; within a row by principal and
// request.
func SortProbes(ps []Probe, order map[string]int) {
	// Keys are built once per probe, not once per comparison: a large
	// account has hundreds of thousands of generated probes.
	keys := make([]string, len(ps))
	for i := range ps {
		keys[i] = ps[i].sortKey()
	}
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := &ps[idx[i]], &ps[idx[j]]
		if ra, rb := originRank(a.Origin), originRank(b.Origin); ra != rb {
			return ra < rb
		}
		if a.ScenarioID != b.ScenarioID {
			oa, oka := order[a.ScenarioID]
			ob, okb := order[b.ScenarioID]
			if oka && okb {
				return oa < ob
			}
			return a.ScenarioID < b.ScenarioID
		}
		return keys[idx[i]] < keys[idx[j]]
	})
	sorted := make([]Probe, len(ps))
	for i, k := range idx {
		sorted[i] = ps[k]
	}
	copy(ps, sorted)
}
