// Package rules is the one registry of everything pvaudit can report: the
// check catalogue (PV-…), the probe checks (PV-PRB-…), the CloudTrail session
// checks (TRAIL-…) and, as they come, the drift rules. Each rule carries its
// ID, title, the severities it can emit, its controls, remediation and
// source. `pvaudit checks list`, scan's --checks and the evidence control
// matrix all read this registry.
package rules

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// Sources of rules.
const (
	SourceCatalogue = "catalogue" // static checks over the snapshot (package checks)
	SourceProbe     = "probe"     // scenario rows and generated probes (package probes)
	SourceTrail     = "trail"     // CloudTrail session checks (package trail)
	SourceDrift     = "drift"     // drift against a baseline (package baseline)
)

// Variant is a severity a rule emits in some cases besides its default.
type Variant struct {
	Severity finding.Severity `json:"severity"`
	// When says in which case, e.g. "refused attempt (WARN)".
	When string `json:"when"`
}

// Rule is one thing pvaudit can report.
type Rule struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Title  string `json:"title"`
	// Severity is the default severity of the rule's findings.
	Severity finding.Severity `json:"severity"`
	// Variants are the other severities it can emit, and when.
	Variants []Variant `json:"variants,omitempty"`
	// SeverityFrom, when set, says that findings take their severity from
	// somewhere else (e.g. "the scenario row's severity"); Severity and
	// Variants then list the values found in the loaded contract.
	SeverityFrom string            `json:"severity_from,omitempty"`
	Rationale    string            `json:"rationale,omitempty"`
	Remediation  string            `json:"remediation"`
	Controls     []finding.Control `json:"controls"`
}

// Severities returns every severity the rule can emit, highest first.
func (r Rule) Severities() []finding.Severity {
	out := []finding.Severity{r.Severity}
	for _, v := range r.Variants {
		if !slices.Contains(out, v.Severity) {
			out = append(out, v.Severity)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out
}

// SeverityText renders the severities for people: "critical",
// "critical (medium when refused attempt)".
func (r Rule) SeverityText() string {
	s := r.Severity.String()
	var extra []string
	for _, v := range r.Variants {
		extra = append(extra, v.Severity.String()+" when "+v.When)
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, "; ") + ")"
	}
	if r.SeverityFrom != "" {
		s += " [" + r.SeverityFrom + "]"
	}
	return s
}

// Apply fills a finding's rule metadata (title, controls, remediation when
// it is not a PASS) and its fingerprint.
func (r Rule) Apply(f *finding.Finding) {
	f.CheckID = r.ID
	if f.Title == "" {
		f.Title = r.Title
	}
	if f.Controls == nil {
		f.Controls = slices.Clone(r.Controls)
	}
	if f.Remediation == "" && f.Status != finding.Pass {
		f.Remediation = r.Remediation
	}
	f.Finalize()
}

// Registry holds rules by ID.
type Registry struct {
	rules []Rule
	byID  map[string]int
}

var (
	idRE      = regexp.MustCompile(`^(PV-[A-Z]{3}-[0-9]{3}|TRAIL-[0-9]{3}|DRIFT-[0-9]{3}|MODE-[0-9]{3})$`)
	controlRE = map[string]*regexp.Regexp{
		"HIPAA":          regexp.MustCompile(`^164\.(308|310|312|314|316)\([a-z]\)(\([0-9]+\))?(\((i|ii|iii|iv|v|vi|vii|viii|ix|x)\))?(\([A-Z]\))?$`),
		"NIST-800-53r5":  regexp.MustCompile(`^[A-Z]{2}-[0-9]{1,2}(\([0-9]{1,2}\))?$`),
		"NIST-800-171r2": regexp.MustCompile(`^3\.[0-9]{1,2}\.[0-9]{1,2}$`),
	}
)

// New builds a registry from lists of rules and validates it: IDs are
// well-formed and unique, every rule has a title, a source, a remediation
// and at least one control, and every control ID is well-formed for its
// framework.
func New(lists ...[]Rule) (*Registry, error) {
	reg := &Registry{byID: map[string]int{}}
	for _, l := range lists {
		for _, r := range l {
			if err := validate(r); err != nil {
				return nil, err
			}
			if _, dup := reg.byID[r.ID]; dup {
				return nil, fmt.Errorf("rule %s: registered twice", r.ID)
			}
			r.Controls = finding.SortControls(slices.Clone(r.Controls))
			reg.byID[r.ID] = len(reg.rules)
			reg.rules = append(reg.rules, r)
		}
	}
	sort.Slice(reg.rules, func(i, j int) bool { return reg.rules[i].ID < reg.rules[j].ID })
	for i, r := range reg.rules {
		reg.byID[r.ID] = i
	}
	return reg, nil
}

func validate(r Rule) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("rule %q: %s", r.ID, fmt.Sprintf(format, args...))
	}
	switch {
	case !idRE.MatchString(r.ID):
		return bad("malformed ID")
	case r.Title == "":
		return bad("no title")
	case r.Source == "":
		return bad("no source")
	case r.Remediation == "":
		return bad("no remediation")
	case len(r.Controls) == 0:
		return bad("no control mapping")
	}
	for _, c := range r.Controls {
		if err := ValidControl(c); err != nil {
			return bad("%v", err)
		}
	}
	return nil
}

// Frameworks are the control frameworks rules map to.
func Frameworks() []string { return []string{"HIPAA", "NIST-800-171r2", "NIST-800-53r5"} }

// ValidControl checks that a control's framework is known and its ID is
// well-formed for it.
func ValidControl(c finding.Control) error {
	re, ok := controlRE[c.Framework]
	if !ok {
		return fmt.Errorf("control %s: unknown framework %q", c, c.Framework)
	}
	if !re.MatchString(c.ID) {
		return fmt.Errorf("control %s: malformed %s control ID", c, c.Framework)
	}
	return nil
}

// All returns every rule, sorted by ID.
func (reg *Registry) All() []Rule { return slices.Clone(reg.rules) }

// Get returns a rule by ID (case-insensitive).
func (reg *Registry) Get(id string) (Rule, bool) {
	i, ok := reg.byID[strings.ToUpper(id)]
	if !ok {
		return Rule{}, false
	}
	return reg.rules[i], true
}

// Source returns the source of a rule ID, or "" when it is unknown.
func (reg *Registry) Source(id string) string {
	r, ok := reg.Get(id)
	if !ok {
		return ""
	}
	return r.Source
}

// Select resolves --checks and --skip-checks: the IDs of the rules to
// report (all when include is empty), minus skip. An entry with '*' is a
// glob over the IDs ("MODE-*", "PV-NET-*"). Unknown IDs, and globs that
// match none, are an error naming them.
func (reg *Registry) Select(include, skip []string) (map[string]bool, error) {
	var unknown []string
	expand := func(list []string) []string {
		var out []string
		for _, id := range list {
			if !strings.ContainsAny(id, "*?") {
				if _, ok := reg.Get(id); !ok {
					unknown = append(unknown, id)
				}
				out = append(out, strings.ToUpper(id))
				continue
			}
			n := 0
			for _, r := range reg.rules {
				if globMatch(strings.ToUpper(id), r.ID) {
					out = append(out, r.ID)
					n++
				}
			}
			if n == 0 {
				unknown = append(unknown, id)
			}
		}
		return out
	}
	in, out := expand(include), expand(skip)
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown check %s (see `pvaudit checks list`)", strings.Join(quoteAll(unknown), ", "))
	}
	sel := map[string]bool{}
	if len(include) == 0 {
		for _, r := range reg.rules {
			sel[r.ID] = true
		}
	}
	for _, id := range in {
		sel[id] = true
	}
	for _, id := range out {
		delete(sel, id)
	}
	return sel, nil
}

// globMatch matches s against p, where '*' is any run and '?' one character.
func globMatch(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(p[1:], s[1:])
	}
	return s != "" && s[0] == p[0] && globMatch(p[1:], s[1:])
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
