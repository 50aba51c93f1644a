package contract

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Scenario is one row or bullet of a provider document's scenario tables
// ("Someone tries to create a role without the boundary → Blocked"), as a
// probe: who acts (a principal selector), what they try (actions on
// resource templates, with request context) and what the document promises
// (the expected outcome). Package probes expands a scenario into concrete
// requests for every principal the selector picks and decides them.
type Scenario struct {
	// ID is unique within the contract, e.g. "practice-create-role-without-boundary".
	ID string `yaml:"id"`
	// Section is the heading of the document the row comes from.
	Section string `yaml:"section"`
	// Text is the row or bullet as the document words it; it is shown with
	// every result so that each verdict maps back to its sentence.
	Text string `yaml:"text"`
	// Principal selects who acts; see ParseSelector.
	Principal string `yaml:"principal"`
	// Actions are "service:Action" names (no wildcards: a probe is a
	// concrete request).
	Actions []string `yaml:"actions"`
	// Resources are ARN templates; "*" when empty. See Variables.
	Resources []string `yaml:"resources,omitempty"`
	// Context entries are sent with every request of the scenario.
	Context []ContextEntry `yaml:"context,omitempty"`
	// Expect is the promised outcome.
	Expect Expectation `yaml:"expect"`
	// When, for rows the document makes conditional ("If LLM access is
	// enabled …"), names the condition; an outcome that differs from the
	// promise is then a warning, not a failure.
	When string `yaml:"when,omitempty"`
	// Severity of a broken promise: info, low, medium, high (default),
	// critical.
	Severity string `yaml:"severity,omitempty"`
	// Vars give defaults for the scenario's own template variables; a
	// value may itself use variables. Users override them with
	// `pvaudit probe --var name=value`. An empty default means the value
	// must be supplied.
	Vars map[string]string `yaml:"vars,omitempty"`
	// Manual, when set, says why the row cannot be proved by simulating
	// IAM (e.g. network reachability); the row is listed with that reason
	// and no requests.
	Manual string `yaml:"manual,omitempty"`
	// Network, when set, names a question IAM cannot answer but the
	// snapshot's network facts can (internet-egress: can the principal's
	// compute reach the internet?); the row has no actions and is decided
	// from the runtime section (NOT_EVALUATED without it).
	Network string `yaml:"network,omitempty"`
}

// ContextEntry is one condition key sent with a request.
type ContextEntry struct {
	Key string `yaml:"key"`
	// Type is IAM's ContextKeyType: string (default), stringList, numeric,
	// numericList, boolean, booleanList, ip, ipList, binary, binaryList,
	// date, dateList.
	Type string `yaml:"type,omitempty"`
	// Values are templates, like resources.
	Values []string `yaml:"values"`
}

// Expectation is a promised outcome.
type Expectation string

// Expectations.
const (
	// ExpectAllowed: the request must be allowed.
	ExpectAllowed Expectation = "allowed"
	// ExpectDenied: the request must be denied (explicitly or implicitly).
	ExpectDenied Expectation = "denied"
	// ExpectCapped: the principal's permissions boundary itself must not
	// allow the request, whatever its identity policies say ("capped by
	// the permissions boundary"). A principal without a boundary breaks it.
	ExpectCapped Expectation = "capped"
)

// SelectorKind is what a principal selector picks.
type SelectorKind string

// Selector kinds.
const (
	// SelectCrossAccount picks the cross-account role(s).
	SelectCrossAccount SelectorKind = "cross-account"
	// SelectChild picks every child role (created for a compute node).
	SelectChild SelectorKind = "child"
	// SelectProcessor picks the child roles that run customer code;
	// "processor/ecs" and "processor/lambda" narrow it to roles whose trust
	// policy admits ecs-tasks.amazonaws.com or lambda.amazonaws.com.
	SelectProcessor SelectorKind = "processor"
	// SelectRole picks roles by name: "role:NAME" where NAME may be a glob
	// ('*', '?') and may use template variables.
	SelectRole SelectorKind = "role"
)

// Selector is a parsed principal selector.
type Selector struct {
	Kind SelectorKind
	// Runtime narrows processor selectors: "ecs", "lambda" or "".
	Runtime string
	// Name is the role name template or glob of a role selector.
	Name string
}

func (s Selector) String() string {
	switch {
	case s.Kind == SelectRole:
		return "role:" + s.Name
	case s.Runtime != "":
		return string(s.Kind) + "/" + s.Runtime
	}
	return string(s.Kind)
}

// ParseSelector reads "cross-account", "child", "processor",
// "processor/ecs", "processor/lambda" or "role:NAME".
func ParseSelector(s string) (Selector, error) {
	switch s {
	case "cross-account":
		return Selector{Kind: SelectCrossAccount}, nil
	case "child":
		return Selector{Kind: SelectChild}, nil
	case "processor":
		return Selector{Kind: SelectProcessor}, nil
	case "processor/ecs":
		return Selector{Kind: SelectProcessor, Runtime: "ecs"}, nil
	case "processor/lambda":
		return Selector{Kind: SelectProcessor, Runtime: "lambda"}, nil
	}
	if name, ok := strings.CutPrefix(s, "role:"); ok {
		if name == "" {
			return Selector{}, errors.New(`"role:" needs a role name`)
		}
		return Selector{Kind: SelectRole, Name: name}, nil
	}
	return Selector{}, fmt.Errorf("unknown principal selector %q (want cross-account, child, processor, processor/ecs, processor/lambda or role:NAME)", s)
}

// BuiltinVariable reports whether name is a template variable the probe
// engine fills from the account and the selected principal:
//
//	account        the scanned account ID
//	partition      aws
//	region         the region most used in the account's child-role policies (us-east-1 when none)
//	self           the acting principal's ARN
//	self_name      the acting principal's name
//	node           the compute node of the principal; every known node for principals of none
//	other_node     every compute node other than ${node}
//	other_account  an account that is not the scanned one (999999999999)
//	file_system    the EFS file systems ${node}'s roles reference
//	boundary_arn   the permissions boundary policy ARN of ${node}
//
// The contract parameters (${workflow_bucket}, ${package_bucket},
// ${llm_governor_function_arn} …) are variables too. Every variable may be
// overridden with --var.
func BuiltinVariable(name string) bool {
	if _, ok := (Parameters{}).Vars(nil)[name]; ok {
		return true
	}
	switch name {
	case "account", "partition", "region", "self", "self_name", "node", "other_node",
		"other_account", "file_system", "boundary_arn":
		return true
	}
	return false
}

var varRE = regexp.MustCompile(`\$\{([^}]*)\}`)

var varNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// TemplateVars returns the variable names a template uses, in order of
// first use.
func TemplateVars(tmpl string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range varRE.FindAllStringSubmatch(tmpl, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// ExpandTemplate replaces every ${name} in tmpl with lookup(name). It fails
// on an unterminated "${" or a variable lookup does not know.
func ExpandTemplate(tmpl string, lookup func(name string) (string, bool)) (string, error) {
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("template %q: unterminated ${", tmpl)
		}
		name := rest[i+2 : i+j]
		v, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("template %q: no value for ${%s}", tmpl, name)
		}
		b.WriteString(v)
		rest = rest[i+j+1:]
	}
}

// Templates returns every template of the scenario: selector name,
// resources and context values.
func (s *Scenario) Templates() []string {
	var out []string
	if sel, err := ParseSelector(s.Principal); err == nil && sel.Kind == SelectRole {
		out = append(out, sel.Name)
	}
	out = append(out, s.Resources...)
	for _, c := range s.Context {
		out = append(out, c.Values...)
	}
	return out
}

// SeverityName is the scenario's severity, "high" when unset.
func (s *Scenario) SeverityName() string {
	if s.Severity == "" {
		return "high"
	}
	return s.Severity
}

// validContextType reports whether t is one of IAM's ContextKeyType values.
func validContextType(t string) bool {
	switch t {
	case "string", "stringList", "numeric", "numericList", "boolean", "booleanList",
		"ip", "ipList", "binary", "binaryList", "date", "dateList":
		return true
	}
	return false
}

var actionRE = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9]+$`)

// Validate checks one scenario.
func (s *Scenario) Validate() error {
	if s.ID == "" {
		return errors.New("scenario without id")
	}
	wrap := func(format string, args ...any) error {
		return fmt.Errorf("scenario %q: %s", s.ID, fmt.Sprintf(format, args...))
	}
	if s.Text == "" {
		return wrap("no text (the document's sentence)")
	}
	if s.Section == "" {
		return wrap("no section")
	}
	switch s.Expect {
	case ExpectAllowed, ExpectDenied, ExpectCapped:
	case "":
		return wrap("no expect (allowed, denied or capped)")
	default:
		return wrap("expect %q: want allowed, denied or capped", s.Expect)
	}
	if s.When != "" && s.Expect != ExpectAllowed {
		return wrap("when is only meaningful for expect: allowed")
	}
	switch s.SeverityName() {
	case "info", "low", "medium", "high", "critical":
	default:
		return wrap("severity %q: want info, low, medium, high or critical", s.Severity)
	}
	if _, err := ParseSelector(s.Principal); err != nil {
		return wrap("principal: %v", err)
	}
	if s.Manual != "" && s.Network != "" {
		return wrap("a row is either manual or decided from the network, not both")
	}
	if s.Manual != "" || s.Network != "" {
		if len(s.Actions) > 0 || len(s.Resources) > 0 || len(s.Context) > 0 {
			return wrap("a manual or network row has no actions, resources or context")
		}
		if s.Network != "" && s.Network != NetworkInternetEgress {
			return wrap("network %q: want %s", s.Network, NetworkInternetEgress)
		}
		return nil
	}
	if len(s.Actions) == 0 {
		return wrap("no actions")
	}
	for _, a := range s.Actions {
		if !actionRE.MatchString(a) {
			return wrap("action %q: want service:Action without wildcards", a)
		}
	}
	for _, r := range s.Resources {
		if r == "" {
			return wrap("empty resource")
		}
	}
	for name := range s.Vars {
		if !varNameRE.MatchString(name) {
			return wrap("vars: bad variable name %q", name)
		}
	}
	for _, c := range s.Context {
		if c.Key == "" {
			return wrap("context entry without key")
		}
		t := c.Type
		if t == "" {
			t = "string"
		}
		if !validContextType(t) {
			return wrap("context %s: unknown type %q", c.Key, c.Type)
		}
		if len(c.Values) == 0 {
			return wrap("context %s: no values", c.Key)
		}
		if !strings.HasSuffix(t, "List") && len(c.Values) > 1 {
			return wrap("context %s: type %s takes one value, got %d", c.Key, t, len(c.Values))
		}
	}
	// Every variable must be a built-in or declared in vars, so that a
	// misspelt ${nod} is caught when the contract loads.
	check := func(tmpl string) error {
		if strings.Count(tmpl, "${") != len(varRE.FindAllString(tmpl, -1)) {
			return wrap("template %q: malformed ${…}", tmpl)
		}
		for _, v := range TemplateVars(tmpl) {
			if !varNameRE.MatchString(v) {
				return wrap("template %q: bad variable name %q", tmpl, v)
			}
			if _, ok := s.Vars[v]; !ok && !BuiltinVariable(v) {
				return wrap("template %q: unknown variable ${%s} (declare a default under vars)", tmpl, v)
			}
		}
		return nil
	}
	for _, t := range s.Templates() {
		if err := check(t); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(s.Vars))
	for n := range s.Vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := check(s.Vars[n]); err != nil {
			return err
		}
	}
	return nil
}

// validateScenarios checks every scenario and that IDs are unique.
func validateScenarios(ss []Scenario) error {
	seen := map[string]bool{}
	for i := range ss {
		if err := ss[i].Validate(); err != nil {
			return fmt.Errorf("scenarios[%d]: %w", i, err)
		}
		if seen[ss[i].ID] {
			return fmt.Errorf("scenarios[%d]: duplicate scenario id %q", i, ss[i].ID)
		}
		seen[ss[i].ID] = true
	}
	return nil
}

// KnownVariable reports whether a template variable can be set with
// --var: a built-in, or one a scenario row of c declares.
func (c *Contract) KnownVariable(name string) bool {
	if BuiltinVariable(name) {
		return true
	}
	for i := range c.Scenarios {
		if _, ok := c.Scenarios[i].Vars[name]; ok {
			return true
		}
	}
	return false
}
