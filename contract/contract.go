// Package contract holds what the provider's documents promise, as data:
// role name patterns, the boundary pattern, how child roles are recognised.
// Built-in contracts are embedded; users may supply their own YAML file.
package contract

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/yamlstrict"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Contract is one provider's promises.
type Contract struct {
	Name        string `yaml:"name"`
	Title       string `yaml:"title"`
	Document    string `yaml:"document"` // the document the promises come from
	Description string `yaml:"description,omitempty"`

	// Parameters are the customer's values (provisioner account, buckets,
	// node IDs …). The contract gives defaults; a pvaudit.yaml config file
	// and command-line flags override them (see Parameters.Merge).
	Parameters Parameters `yaml:"parameters,omitempty"`

	CrossAccountRole CrossAccountRole `yaml:"cross_account_role"`
	Boundary         Boundary         `yaml:"boundary"`
	ChildRoles       ChildRoleRules   `yaml:"child_roles"`
	Scenarios        []Scenario       `yaml:"scenarios,omitempty"` // scenario tables, proved by package probes

	// AllowedServices are the services the documents say the provider
	// uses; anything else the cross-account role or a boundary allows is a
	// finding.
	AllowedServices []Service `yaml:"allowed_services,omitempty"`
	// Forbidden lists what the provider's roles must never be able to do.
	Forbidden Forbidden `yaml:"forbidden,omitempty"`
	// ServiceProbes is one representative action per service, used to
	// find out which services a policy that says "*" or NotAction really
	// opens. Customers may add rows.
	ServiceProbes []string `yaml:"service_probes,omitempty"`
	// ProviderResources name the provider's own resources, so that the
	// escalation checks can tell them from the customer's.
	ProviderResources ProviderResources `yaml:"provider_resources,omitempty"`
	// ProcessorRoles are the child roles that run customer code.
	ProcessorRoles ProcessorRoles `yaml:"processor_roles,omitempty"`
	// PAR describes the PAR task and execution roles.
	PAR *PAR `yaml:"par,omitempty"`
	// Account holds account-level rules: provider IAM users, legacy roles.
	Account AccountRules `yaml:"account,omitempty"`
	// Deployment recognises compute nodes' runtime resources and declared
	// deployment modes (the MODE-* checks); nil when the contract makes no
	// deployment-mode promise.
	Deployment *Deployment `yaml:"deployment,omitempty"`
}

// CrossAccountRole describes the role the provider assumes.
type CrossAccountRole struct {
	// NamePattern is a regular expression the role name must match in full,
	// e.g. ^Pennsieve-Compute-(?P<env>[a-z0-9]+)-(?P<id>[0-9a-f]{8})$.
	NamePattern string `yaml:"name_pattern"`
	// Required says whether the account must have such a role.
	Required bool `yaml:"required"`
	// NameTemplate is a glob with parameters (e.g. Pennsieve-Compute-{env}-*)
	// the role name must match when those parameters are set.
	NameTemplate string `yaml:"name_template,omitempty"`
	// TrustedPrincipals are the only AWS principals the trust policy may
	// name (templates such as {provisioner_account_id} are expanded; an
	// entry whose parameter is unset is skipped).
	TrustedPrincipals []string `yaml:"trusted_principals,omitempty"`
	// RequireExternalID: the trust policy must demand sts:ExternalId.
	RequireExternalID bool `yaml:"require_external_id,omitempty"`
	// MaxSessionDuration is the longest session, in seconds, the documents
	// promise (0: no promise).
	MaxSessionDuration int `yaml:"max_session_duration,omitempty"`
	// ForbiddenManagedPolicies may never be attached to the role.
	ForbiddenManagedPolicies []string `yaml:"forbidden_managed_policies,omitempty"`

	nameRE *regexp.Regexp
}

// Boundary describes the permissions boundary child roles carry.
type Boundary struct {
	// NamePattern is a glob on the boundary policy's name, e.g.
	// "pennsieve-boundary-*". The node identifier is the part '*' matches.
	NamePattern string `yaml:"name_pattern"`
	// SameAccount requires the boundary policy to live in the scanned account.
	SameAccount bool `yaml:"same_account"`
}

// ARNPattern is the boundary ARN pattern pinned to the scanned account:
// arn:aws:iam::ACCOUNT:policy/pennsieve-boundary-*.
func (b Boundary) ARNPattern(account string) string {
	return "arn:aws:iam::" + account + ":policy/" + b.NamePattern
}

// ChildRoleRules say how a role created for a compute node is recognised.
// A role is a child role when any rule matches; the scan reports which one.
type ChildRoleRules struct {
	// ByBoundary: the role carries a boundary matching Boundary.NamePattern.
	ByBoundary bool `yaml:"by_boundary"`
	// ByNodeID: the role name contains the identifier of a compute node known
	// from the account's boundary policies or the NodeIDs parameter.
	ByNodeID bool `yaml:"by_node_id"`
	// NamePatterns: globs on the role name.
	NamePatterns []string `yaml:"name_patterns,omitempty"`
	// PathPrefixes: IAM path prefixes, e.g. "/pennsieve/".
	PathPrefixes []string `yaml:"path_prefixes,omitempty"`
	// TagKeys: the role has one of these tags (any value).
	TagKeys []string `yaml:"tag_keys,omitempty"`
	// ExcludePathPrefixes: never child roles (e.g. "/aws-service-role/").
	ExcludePathPrefixes []string `yaml:"exclude_path_prefixes,omitempty"`
	// TrustedServices are the AWS service principals child roles may trust.
	TrustedServices []string `yaml:"trusted_services,omitempty"`
	// SourceConditionExempt are service principals for which
	// aws:SourceAccount/aws:SourceArn is not expected in the trust policy.
	SourceConditionExempt []string `yaml:"source_condition_exempt,omitempty"`
}

// Names lists the built-in contracts.
func Names() []string {
	entries, err := builtinFS.ReadDir("builtin")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Builtin returns the YAML source of a built-in contract.
func Builtin(name string) ([]byte, error) {
	b, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no built-in contract %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// Load returns a built-in contract by name, or reads a YAML file when
// nameOrFile is not a built-in name. The file is opened without blocking
// and must be a regular file of at most fsutil.MaxContractBytes.
func Load(nameOrFile string) (*Contract, error) {
	c, _, err := LoadSource(nameOrFile)
	return c, err
}

// LoadSource is Load that also returns the YAML source the contract was
// parsed from (a baseline records its hash).
func LoadSource(nameOrFile string) (*Contract, []byte, error) {
	if b, err := Builtin(nameOrFile); err == nil {
		c, err := Parse(b, "builtin:"+nameOrFile)
		return c, b, err
	}
	b, err := fsutil.ReadFile(nameOrFile, fsutil.Contract)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("contract %q is neither a built-in (%s) nor a readable file: %w", nameOrFile, strings.Join(Names(), ", "), err)
		}
		return nil, nil, fmt.Errorf("read contract: %w", err)
	}
	c, err := Parse(b, nameOrFile)
	return c, b, err
}

// Parse decodes a contract strictly (see yamlstrict.Decode: one document,
// known keys given once, typed values; errors are file:line:col) and
// validates it.
func Parse(data []byte, source string) (*Contract, error) {
	var c Contract
	if err := yamlstrict.Decode(data, source, &c); err != nil {
		if errors.Is(err, yamlstrict.ErrEmpty) {
			return nil, fmt.Errorf("%s: empty contract", source)
		}
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return &c, nil
}

// Validate checks the contract and compiles its patterns.
func (c *Contract) Validate() error {
	if c.Name == "" {
		return errors.New("contract has no name")
	}
	wrap := func(field string, err error) error { return fmt.Errorf("contract %q: %s: %w", c.Name, field, err) }
	if c.CrossAccountRole.NamePattern != "" {
		re, err := regexp.Compile(c.CrossAccountRole.NamePattern)
		if err != nil {
			return wrap("cross_account_role.name_pattern", err)
		}
		c.CrossAccountRole.nameRE = re
	} else if c.CrossAccountRole.Required {
		return wrap("cross_account_role.name_pattern", errors.New("required role has no name pattern"))
	}
	if c.Boundary.NamePattern != "" && strings.Count(c.Boundary.NamePattern, "*") != 1 {
		return wrap("boundary.name_pattern", fmt.Errorf("%q must contain exactly one '*' (the node identifier)", c.Boundary.NamePattern))
	}
	if c.ChildRoles.ByBoundary && c.Boundary.NamePattern == "" {
		return wrap("child_roles.by_boundary", errors.New("needs boundary.name_pattern"))
	}
	if c.ChildRoles.ByNodeID && c.Boundary.NamePattern == "" {
		return wrap("child_roles.by_node_id", errors.New("needs boundary.name_pattern to learn node identifiers"))
	}
	if err := validateScenarios(c.Scenarios); err != nil {
		return wrap("scenarios", err)
	}
	for _, p := range c.ChildRoles.NamePatterns {
		if p == "" {
			return wrap("child_roles.name_patterns", errors.New("empty pattern"))
		}
	}
	if err := c.validateRules(wrap); err != nil {
		return err
	}
	return c.validateRuntime(wrap)
}

// CrossAccountRoleRegexp returns the compiled cross-account role name
// pattern, or nil when the contract names no cross-account role.
func (c *Contract) CrossAccountRoleRegexp() *regexp.Regexp { return c.CrossAccountRole.nameRE }

// IsCrossAccountRole reports whether name matches the cross-account role pattern.
func (c *Contract) IsCrossAccountRole(name string) bool {
	return c.CrossAccountRole.nameRE != nil && c.CrossAccountRole.nameRE.MatchString(name)
}

// BoundaryNodeID returns the node identifier of a boundary policy name
// ("pennsieve-boundary-7f3a9c21" → "7f3a9c21") and whether it matches.
func (c *Contract) BoundaryNodeID(policyName string) (string, bool) {
	prefix, suffix, _ := strings.Cut(c.Boundary.NamePattern, "*")
	if c.Boundary.NamePattern == "" || len(policyName) < len(prefix)+len(suffix)+1 {
		return "", false
	}
	if !strings.HasPrefix(policyName, prefix) || !strings.HasSuffix(policyName, suffix) {
		return "", false
	}
	return policyName[len(prefix) : len(policyName)-len(suffix)], true
}

// Glob reports whether s matches pattern, where '*' matches any run of
// characters and '?' any one character. Matching is case-sensitive.
func Glob(pattern, s string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[n]):
			p++
			n++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
