package contract

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Parameters are the customer-specific values a contract's templates refer
// to as {name}. Empty means "not configured": checks that need a value
// then fall back to what the account shows and say so in their evidence.
type Parameters struct {
	// ProvisionerAccountID is the provider account allowed to assume the
	// cross-account role.
	ProvisionerAccountID string `yaml:"provisioner_account_id,omitempty"`
	// Env is the environment part of the cross-account role name.
	Env string `yaml:"env,omitempty"`
	// NodeIDs are compute node identifiers the customer knows of; they are
	// added to the ones learned from boundary policies.
	NodeIDs []string `yaml:"node_ids,omitempty"`
	// ExternalID is the sts:ExternalId the trust policy must require.
	ExternalID string `yaml:"external_id,omitempty"`
	// WorkflowBucket is the only bucket processor roles may reach.
	WorkflowBucket string `yaml:"workflow_bucket,omitempty"`
	// PackageBucket is the PAR agent package bucket.
	PackageBucket string `yaml:"package_bucket,omitempty"`
	// LLMGovernorFunctionARN is the LLM governor Lambda function (may use
	// {node_id} and {account_id}).
	LLMGovernorFunctionARN string `yaml:"llm_governor_function_arn,omitempty"`
	// DeploymentMode is the mode the customer bought for its compute
	// nodes (basic, secure or compliant): the MODE-* checks hold every node
	// to it, whatever the nodes' own tags say.
	DeploymentMode string `yaml:"deployment_mode,omitempty"`
}

// Merge returns p overridden by every non-empty field of o.
func (p Parameters) Merge(o Parameters) Parameters {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.ProvisionerAccountID, o.ProvisionerAccountID)
	set(&p.Env, o.Env)
	set(&p.ExternalID, o.ExternalID)
	set(&p.WorkflowBucket, o.WorkflowBucket)
	set(&p.PackageBucket, o.PackageBucket)
	set(&p.LLMGovernorFunctionARN, o.LLMGovernorFunctionARN)
	set(&p.DeploymentMode, o.DeploymentMode)
	if len(o.NodeIDs) > 0 {
		p.NodeIDs = append([]string(nil), o.NodeIDs...)
	}
	return p
}

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// Validate checks parameter syntax.
func (p Parameters) Validate() error {
	if p.ProvisionerAccountID != "" && !accountIDRE.MatchString(p.ProvisionerAccountID) {
		return fmt.Errorf("provisioner_account_id %q is not a 12-digit account ID", p.ProvisionerAccountID)
	}
	if p.LLMGovernorFunctionARN != "" && !strings.HasPrefix(p.LLMGovernorFunctionARN, "arn:") {
		return fmt.Errorf("llm_governor_function_arn %q is not an ARN", p.LLMGovernorFunctionARN)
	}
	for _, b := range []struct{ name, v string }{{"workflow_bucket", p.WorkflowBucket}, {"package_bucket", p.PackageBucket}} {
		if strings.ContainsAny(b.v, "/:*") {
			return fmt.Errorf("%s %q must be a bucket name, not an ARN or pattern", b.name, b.v)
		}
	}
	if p.DeploymentMode != "" && !ValidMode(p.DeploymentMode) {
		return fmt.Errorf("deployment_mode %q is not a deployment mode (want basic, secure or compliant)", p.DeploymentMode)
	}
	for _, id := range p.NodeIDs {
		if id == "" || strings.ContainsAny(id, "*?/") {
			return fmt.Errorf("node_ids: %q is not a node identifier", id)
		}
	}
	return nil
}

// Vars returns the template variables of the parameters plus extra ones
// (e.g. account_id, node_id) supplied by the caller.
func (p Parameters) Vars(extra map[string]string) map[string]string {
	v := map[string]string{
		"provisioner_account_id":    p.ProvisionerAccountID,
		"env":                       p.Env,
		"external_id":               p.ExternalID,
		"workflow_bucket":           p.WorkflowBucket,
		"package_bucket":            p.PackageBucket,
		"llm_governor_function_arn": p.LLMGovernorFunctionARN,
	}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// ErrUnsetParameter is returned by Expand when a template refers to a
// parameter that has no value.
var ErrUnsetParameter = errors.New("parameter not set")

var templateRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// Expand replaces {name} in s with vars[name]. Values may themselves hold
// templates (one more level is expanded). A reference to an unknown or
// empty variable is an error wrapping ErrUnsetParameter.
func Expand(s string, vars map[string]string) (string, error) {
	var missing []string
	expand := func(in string) string {
		return templateRE.ReplaceAllStringFunc(in, func(m string) string {
			name := m[1 : len(m)-1]
			v, ok := vars[name]
			if !ok || v == "" {
				missing = append(missing, name)
				return m
			}
			return v
		})
	}
	out := expand(expand(s))
	if len(missing) > 0 {
		sort.Strings(missing)
		return out, fmt.Errorf("%q needs %s: %w", s, strings.Join(missing, ", "), ErrUnsetParameter)
	}
	return out, nil
}

// Service is one documented service and the IAM action prefixes it uses.
type Service struct {
	Name     string   `yaml:"name"`
	Prefixes []string `yaml:"prefixes"`
}

// Forbidden lists what the provider's roles must never be able to do.
type Forbidden struct {
	// Services the document names as out of reach (any service not in
	// allowed_services is out of reach too; these are the named ones).
	Services []string `yaml:"services,omitempty"`
	// UserAndKeyActions: creating IAM users, keys or passwords (action
	// globs; the checks count only actions that change something).
	UserAndKeyActions []string `yaml:"user_and_key_actions,omitempty"`
	// AccountActions: billing and account settings (action globs).
	AccountActions []string `yaml:"account_actions,omitempty"`
	// IAMMutationActions: what a boundary must never allow (action globs;
	// iam:PassRole, handing a role to a service, is not a mutation).
	IAMMutationActions []string `yaml:"iam_mutation_actions,omitempty"`
	// ResourceGrantActions: writing a resource policy, an ACL, a grant or a
	// sharing attribute, which can let another account in for as long as
	// the resource lives (action globs; "Persist access beyond the
	// temporary credential window").
	ResourceGrantActions []string `yaml:"resource_grant_actions,omitempty"`
}

// ProviderResources say which resources belong to the provider. Patterns
// are ARN globs and may use {account_id}.
type ProviderResources struct {
	// LambdaFunctions: the provider's own functions.
	LambdaFunctions []string `yaml:"lambda_functions,omitempty"`
	// InstanceTagKeys: EC2 instances carrying one of these tags are the
	// provider's.
	InstanceTagKeys []string `yaml:"instance_tag_keys,omitempty"`
}

// Grant is one allowed action on one resource pattern (ARN glob; templates
// allowed).
type Grant struct {
	Action   string `yaml:"action"`
	Resource string `yaml:"resource"`
	// RequireKeys are condition keys the grant must depend on: a request
	// without them must be denied (e.g. elasticfilesystem:AccessPointArn).
	RequireKeys []string `yaml:"require_keys,omitempty"`
}

// ProcessorRoles say how the child roles that run customer code are
// recognised and what they may do.
type ProcessorRoles struct {
	// NamePatterns are globs on the role name.
	NamePatterns []string `yaml:"name_patterns,omitempty"`
	// Allowed is the allow-list; anything else is a finding.
	Allowed []Grant `yaml:"allowed,omitempty"`
}

// IsProcessor reports whether a role name is a processor role's.
func (p ProcessorRoles) IsProcessor(name string) bool {
	for _, g := range p.NamePatterns {
		if Glob(g, name) {
			return true
		}
	}
	return false
}

// PAR describes the Pixell Agent Runtime roles.
type PAR struct {
	TaskRole      PARRole `yaml:"task_role"`
	ExecutionRole PARRole `yaml:"execution_role"`
	// Runtime is the log group and alarms the document asks for around
	// the roles (PV-LOG-*, PV-NET-*); nil when not promised.
	Runtime *PARRuntime `yaml:"runtime,omitempty"`
}

// ForbiddenFamily is an action family a role must never have, with a
// representative action to ask the evaluator about.
type ForbiddenFamily struct {
	Pattern string `yaml:"pattern"` // e.g. "ecs:*"
	Probe   string `yaml:"probe"`   // e.g. "ecs:ListTasks"
}

// PARRole is one PAR role.
type PARRole struct {
	NamePatterns    []string `yaml:"name_patterns"`
	TrustedServices []string `yaml:"trusted_services"`
	// ManagedPolicies are the only managed policies it may have attached.
	ManagedPolicies []string `yaml:"managed_policies,omitempty"`
	// Allowed is the allow-list for its inline policies; anything else is a
	// finding (managed policies in ManagedPolicies are exempt).
	Allowed []Grant `yaml:"allowed,omitempty"`
	// Forbidden families: a finding even when an allow-list would catch it
	// anyway, with a higher severity.
	Forbidden []ForbiddenFamily `yaml:"forbidden,omitempty"`
	// DeniedProbes are requests the document's verification section says
	// must fail, as "action resource".
	DeniedProbes []string `yaml:"denied_probes,omitempty"`
}

// Matches reports whether name is this PAR role's.
func (r PARRole) Matches(name string) bool {
	for _, g := range r.NamePatterns {
		if Glob(g, name) {
			return true
		}
	}
	return false
}

// AccountRules recognise the provider's IAM users and legacy roles.
type AccountRules struct {
	// ProviderUserPatterns: regular expressions on IAM user names.
	ProviderUserPatterns []string `yaml:"provider_user_patterns,omitempty"`
	// ProviderUserPathPrefixes and ProviderUserTagKeys: other ways an IAM
	// user is recognised as the provider's.
	ProviderUserPathPrefixes []string `yaml:"provider_user_path_prefixes,omitempty"`
	ProviderUserTagKeys      []string `yaml:"provider_user_tag_keys,omitempty"`
	// LegacyRolePatterns: regular expressions on role names of roles the
	// provider used before the current model; {account_id} is expanded.
	LegacyRolePatterns []string `yaml:"legacy_role_patterns,omitempty"`

	userREs []*regexp.Regexp
}

// GroupRef is a group an IAM user belongs to.
type GroupRef struct{ Name, Path string }

// IsProviderUser reports whether a user is recognised as the provider's,
// and why. Anything written about the user may give it away, in any case:
// the name, a path segment (/vendors/pennsieve/), a tag key or value
// (vendor=pennsieve, Pennsieve:Account), or a group it belongs to.
func (a AccountRules) IsProviderUser(name, path string, tags map[string]string, groups ...GroupRef) (string, bool) {
	if why, ok := a.namedForProvider(name, path); ok {
		return why, true
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, want := range a.ProviderUserTagKeys {
		for _, k := range keys {
			if strings.EqualFold(k, want) {
				return "tagged " + k, true
			}
		}
	}
	for _, k := range keys {
		for i, re := range a.userREs {
			switch {
			case re.MatchString(k):
				return "tag key " + k + " matches " + a.ProviderUserPatterns[i], true
			case re.MatchString(tags[k]):
				return "tag " + k + "=" + tags[k] + " matches " + a.ProviderUserPatterns[i], true
			}
		}
	}
	for _, g := range groups {
		if why, ok := a.namedForProvider(g.Name, g.Path); ok {
			return "member of group " + g.Path + g.Name + ": " + why, true
		}
	}
	return "", false
}

// namedForProvider matches a name and path against the user rules.
func (a AccountRules) namedForProvider(name, path string) (string, bool) {
	for i, re := range a.userREs {
		if re.MatchString(name) {
			return "name matches " + a.ProviderUserPatterns[i], true
		}
	}
	for _, p := range a.ProviderUserPathPrefixes {
		if len(path) >= len(p) && strings.EqualFold(path[:len(p)], p) {
			return "path starts with " + p, true
		}
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "" {
			continue
		}
		for i, re := range a.userREs {
			if re.MatchString(seg) {
				return "path " + path + " matches " + a.ProviderUserPatterns[i], true
			}
		}
	}
	return "", false
}

// AllowsService reports whether an IAM action prefix belongs to a
// documented service, and which.
func (c *Contract) AllowsService(prefix string) (string, bool) {
	for _, s := range c.AllowedServices {
		for _, p := range s.Prefixes {
			if strings.EqualFold(p, prefix) {
				return s.Name, true
			}
		}
	}
	return "", false
}

func (c *Contract) validateRules(wrap func(string, error) error) error {
	if err := c.Parameters.Validate(); err != nil {
		return wrap("parameters", err)
	}
	if c.CrossAccountRole.MaxSessionDuration < 0 || c.CrossAccountRole.MaxSessionDuration > 43200 {
		return wrap("cross_account_role.max_session_duration", fmt.Errorf("%d is outside IAM's 0–43200 seconds", c.CrossAccountRole.MaxSessionDuration))
	}
	if c.CrossAccountRole.RequireExternalID && c.CrossAccountRole.NamePattern == "" {
		return wrap("cross_account_role.require_external_id", errors.New("needs name_pattern"))
	}
	seen := map[string]string{}
	for i, s := range c.AllowedServices {
		if s.Name == "" || len(s.Prefixes) == 0 {
			return wrap(fmt.Sprintf("allowed_services[%d]", i), errors.New("needs name and prefixes"))
		}
		for _, p := range s.Prefixes {
			if p == "" || strings.ContainsAny(p, ":*? ") {
				return wrap(fmt.Sprintf("allowed_services[%d]", i), fmt.Errorf("prefix %q is not an IAM service prefix", p))
			}
			if other, dup := seen[strings.ToLower(p)]; dup {
				return wrap(fmt.Sprintf("allowed_services[%d]", i), fmt.Errorf("prefix %q already belongs to %s", p, other))
			}
			seen[strings.ToLower(p)] = s.Name
		}
	}
	for _, s := range c.Forbidden.Services {
		if _, ok := c.AllowsService(s); ok {
			return wrap("forbidden.services", fmt.Errorf("%q is also an allowed service", s))
		}
	}
	// The forbidden families are globs over the action catalogue; service
	// probes are concrete requests.
	actionLists := map[string][]string{
		"service_probes": c.ServiceProbes,
	}
	for name, l := range map[string][]string{
		"forbidden.user_and_key_actions":   c.Forbidden.UserAndKeyActions,
		"forbidden.account_actions":        c.Forbidden.AccountActions,
		"forbidden.iam_mutation_actions":   c.Forbidden.IAMMutationActions,
		"forbidden.resource_grant_actions": c.Forbidden.ResourceGrantActions,
	} {
		for _, a := range l {
			if err := validAction(a, true); err != nil {
				return wrap(name, err)
			}
		}
	}
	for field, l := range actionLists {
		for _, a := range l {
			if err := validAction(a, false); err != nil {
				return wrap(field, err)
			}
		}
	}
	grants := map[string][]Grant{"processor_roles.allowed": c.ProcessorRoles.Allowed}
	if c.PAR != nil {
		for _, r := range []struct {
			field string
			role  PARRole
		}{{"par.task_role", c.PAR.TaskRole}, {"par.execution_role", c.PAR.ExecutionRole}} {
			if len(r.role.NamePatterns) == 0 {
				return wrap(r.field+".name_patterns", errors.New("at least one pattern is needed"))
			}
			grants[r.field+".allowed"] = r.role.Allowed
			for _, f := range r.role.Forbidden {
				if err := validAction(f.Pattern, true); err != nil {
					return wrap(r.field+".forbidden", err)
				}
				if err := validAction(f.Probe, false); err != nil {
					return wrap(r.field+".forbidden", err)
				}
				if !Glob(strings.ToLower(f.Pattern), strings.ToLower(f.Probe)) {
					return wrap(r.field+".forbidden", fmt.Errorf("probe %q is not in family %q", f.Probe, f.Pattern))
				}
			}
			for _, p := range r.role.DeniedProbes {
				a, res, ok := strings.Cut(p, " ")
				if !ok || res == "" {
					return wrap(r.field+".denied_probes", fmt.Errorf("%q: want \"ACTION RESOURCE\"", p))
				}
				if err := validAction(a, false); err != nil {
					return wrap(r.field+".denied_probes", err)
				}
			}
		}
	}
	for field, gs := range grants {
		for i, g := range gs {
			if err := validAction(g.Action, true); err != nil {
				return wrap(fmt.Sprintf("%s[%d]", field, i), err)
			}
			if g.Resource == "" {
				return wrap(fmt.Sprintf("%s[%d]", field, i), errors.New("no resource"))
			}
		}
	}
	c.Account.userREs = nil
	for _, p := range c.Account.ProviderUserPatterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return wrap("account.provider_user_patterns", err)
		}
		c.Account.userREs = append(c.Account.userREs, re)
	}
	for _, p := range c.Account.LegacyRolePatterns {
		if _, err := regexp.Compile(p); err != nil {
			return wrap("account.legacy_role_patterns", err)
		}
	}
	return nil
}

// validAction accepts "service:Action" (wildcards only when glob is true).
func validAction(a string, glob bool) error {
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" || strings.ContainsAny(svc, "*? ") {
		return fmt.Errorf("%q is not a service:Action", a)
	}
	if !glob && strings.ContainsAny(name, "*?") {
		return fmt.Errorf("%q must be a concrete action", a)
	}
	return nil
}

// LegacyRoleRE compiles the legacy role patterns for an account.
func (a AccountRules) LegacyRoleRE(account string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, p := range a.LegacyRolePatterns {
		re, err := regexp.Compile(strings.ReplaceAll(p, "{account_id}", regexp.QuoteMeta(account)))
		if err != nil {
			return nil, fmt.Errorf("legacy_role_patterns %q: %w", p, err)
		}
		out = append(out, re)
	}
	return out, nil
}
