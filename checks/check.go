// Package checks is pvaudit's rule catalogue. Each check is metadata (ID,
// title, severity, rationale, remediation, control mappings) plus a pure
// function of the environment (snapshot, contract, role classification)
// returning findings. Checks never call AWS.
package checks

import (
	"fmt"
	"sort"
	"time"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/policy/catalog"
	"github.com/pvaudit/pvaudit/posture"
	"github.com/pvaudit/pvaudit/rules"
)

// Check is one rule.
type Check struct {
	ID          string
	Title       string
	Severity    finding.Severity
	Rationale   string
	Remediation string
	Controls    []finding.Control
	// Variants are the other severities the check emits, and when.
	Variants []rules.Variant
	// Run returns the check's findings. It must report ERROR (never PASS)
	// for anything it could not evaluate.
	Run func(env *Env) []finding.Finding
}

// Env is what every check reads.
type Env struct {
	Snap     *inventory.Snapshot
	Contract *contract.Contract
	// Class is the classification of every role (see package classify).
	Class *classify.Result
	// Roles is Class.Roles: every role, classified, sorted by name.
	Roles []classify.Role
	// NodeIDs is Class.NodeIDs: the compute node identifiers known to the scan.
	NodeIDs []string
	Now     time.Time
	// ProviderCreated are roles CloudTrail shows the provider created
	// (role name → evidence); see WithProviderCreated.
	ProviderCreated map[string]string

	evals map[string]*roleEval // per-role compiled policies, see Evaluator
	// Caches of the existential questions (see ask.go).
	cat         *catalog.Catalog
	wc          *policy.WitnessCache
	rolesByARN  map[string]*inventory.Role
	sessionTags map[string]bool
	keyTypes    map[string]policy.ValueType
	keyMultis   map[string]bool
	classes     map[string][]catalog.Class
	// facts is the runtime posture, see Posture (modes.go).
	facts *posture.Facts
}

// EnvOption adds what a scan knows beyond the snapshot.
type EnvOption func(*Env)

// WithProviderCreated names the roles CloudTrail replay shows were created
// under the provider's sessions (role name → evidence: session and time).
// They are classified as child roles whatever their name, path or boundary.
func WithProviderCreated(roles map[string]string) EnvOption {
	return func(e *Env) { e.ProviderCreated = roles }
}

// NewEnv classifies the snapshot's roles for the contract.
func NewEnv(snap *inventory.Snapshot, c *contract.Contract, now time.Time, opts ...EnvOption) *Env {
	env := &Env{Snap: snap, Contract: c, Now: now}
	for _, o := range opts {
		o(env)
	}
	env.Class = classify.Classify(snap, c, classify.Options{ProviderCreated: env.ProviderCreated})
	env.Roles, env.NodeIDs = env.Class.Roles, env.Class.NodeIDs
	return env
}

// finding builds a finding of check c with the check's metadata filled in.
func (c *Check) finding(status finding.Status, resource, key, msg string, evidence map[string]any) finding.Finding {
	f := finding.Finding{
		CheckID: c.ID, Title: c.Title, Severity: c.Severity, Status: status,
		Resource: resource, Key: key, Message: msg, Evidence: evidence,
		Controls: append([]finding.Control(nil), c.Controls...),
	}
	if status != finding.Pass {
		f.Remediation = c.Remediation
	}
	f.Finalize()
	return f
}

// Catalogue returns every check, sorted by ID.
func Catalogue() []*Check {
	all := []*Check{
		crossAccountRoleExists(),
		childRoleBoundary(),
		boundaryPolicyExists(),
		inventoryComplete(),
		trustPrincipals(),
		trustExternalID(),
		sessionDuration(),
		managedPolicies(),
		effectiveServices(),
		otherAccounts(),
		guardCreateRoleBoundary(),
		guardBoundaryRemoval(),
		guardSelfModification(),
		guardUsersAndKeys(),
		guardAccountSettings(),
		guardResourceGrants(),
		escBoundaryEdit(),
		escOwnBoundary(),
		escAttachUnbounded(),
		escPassRoleUnbounded(),
		escPassRoleAnyService(),
		escOutsideTrust(),
		escUpdateChildTrust(),
		escCodeOutsideBoundary(),
		escChain(),
		boundaryScope(),
		boundaryVersions(),
		boundaryOrphans(),
		childTrust(),
		childTrustSource(),
		processorAllowList(),
		childS3(),
		childOtherNodes(),
		parRolesPresent(),
		parForbidden(),
		parTaskAllowList(),
		parTrust(),
		parExecutionRole(),
		parExecutionEFS(),
		providerUsers(),
		legacyRoles(),
	}
	all = append(all, runtimeChecks()...)
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// Rule is the check's entry in the rule registry.
func (c *Check) Rule() rules.Rule {
	return rules.Rule{ID: c.ID, Source: rules.SourceCatalogue, Title: c.Title, Severity: c.Severity, Variants: c.Variants,
		Rationale: c.Rationale, Remediation: c.Remediation, Controls: append([]finding.Control(nil), c.Controls...)}
}

// Rules returns the catalogue's entries for the rule registry.
func Rules() []rules.Rule {
	cs := Catalogue()
	out := make([]rules.Rule, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Rule())
	}
	return out
}

// Select filters the catalogue: only the IDs in include (all when empty),
// minus those in skip. Unknown IDs are an error.
func Select(all []*Check, include, skip []string) ([]*Check, error) {
	known := map[string]bool{}
	for _, c := range all {
		known[c.ID] = true
	}
	for _, id := range append(append([]string(nil), include...), skip...) {
		if !known[id] {
			return nil, fmt.Errorf("unknown check %q (see `pvaudit checks list`)", id)
		}
	}
	in := map[string]bool{}
	for _, id := range include {
		in[id] = true
	}
	out := map[string]bool{}
	for _, id := range skip {
		out[id] = true
	}
	var sel []*Check
	for _, c := range all {
		if (len(in) == 0 || in[c.ID]) && !out[c.ID] {
			sel = append(sel, c)
		}
	}
	return sel, nil
}

// Run runs the checks and returns their findings, sorted.
func Run(env *Env, cs []*Check) []finding.Finding {
	var out []finding.Finding
	for _, c := range cs {
		out = append(out, c.Run(env)...)
	}
	finding.Sort(out)
	return out
}

// Controls used by several checks.
var (
	hipaaAccessControl = finding.Control{Framework: "HIPAA", ID: "164.312(a)(1)"}
	hipaaAudit         = finding.Control{Framework: "HIPAA", ID: "164.312(b)"}
	hipaaRiskMgmt      = finding.Control{Framework: "HIPAA", ID: "164.308(a)(1)(ii)(B)"}
	hipaaAccessMgmt    = finding.Control{Framework: "HIPAA", ID: "164.308(a)(4)(ii)(B)"}
	nistAC2            = finding.Control{Framework: "NIST-800-53r5", ID: "AC-2"}
	nistAC3            = finding.Control{Framework: "NIST-800-53r5", ID: "AC-3"}
	nistAC6            = finding.Control{Framework: "NIST-800-53r5", ID: "AC-6"}
	nistCA7            = finding.Control{Framework: "NIST-800-53r5", ID: "CA-7"}
	nistCM2            = finding.Control{Framework: "NIST-800-53r5", ID: "CM-2"}
	nist171AC1         = finding.Control{Framework: "NIST-800-171r2", ID: "3.1.1"}
	nist171AC5         = finding.Control{Framework: "NIST-800-171r2", ID: "3.1.5"}
	nist171CA3         = finding.Control{Framework: "NIST-800-171r2", ID: "3.12.3"}

	hipaaAuthn        = finding.Control{Framework: "HIPAA", ID: "164.312(d)"}
	hipaaAutoLogoff   = finding.Control{Framework: "HIPAA", ID: "164.312(a)(2)(iii)"}
	hipaaWorkforce    = finding.Control{Framework: "HIPAA", ID: "164.308(a)(3)(ii)(C)"}
	hipaaActivity     = finding.Control{Framework: "HIPAA", ID: "164.308(a)(1)(ii)(D)"}
	hipaaIntegrity    = finding.Control{Framework: "HIPAA", ID: "164.312(c)(1)"}
	nistAC5           = finding.Control{Framework: "NIST-800-53r5", ID: "AC-5"}
	hipaaTransmission = finding.Control{Framework: "HIPAA", ID: "164.312(e)(1)"}
	nistAC4           = finding.Control{Framework: "NIST-800-53r5", ID: "AC-4"}
	nist171AC3        = finding.Control{Framework: "NIST-800-171r2", ID: "3.1.3"}
	nistAC6_1         = finding.Control{Framework: "NIST-800-53r5", ID: "AC-6(1)"}
	nistAC6_10        = finding.Control{Framework: "NIST-800-53r5", ID: "AC-6(10)"}
	nistAC12          = finding.Control{Framework: "NIST-800-53r5", ID: "AC-12"}
	nistAC20          = finding.Control{Framework: "NIST-800-53r5", ID: "AC-20"}
	nistIA2           = finding.Control{Framework: "NIST-800-53r5", ID: "IA-2"}
	nistIA5           = finding.Control{Framework: "NIST-800-53r5", ID: "IA-5"}
	nistCM5           = finding.Control{Framework: "NIST-800-53r5", ID: "CM-5"}
	nistCM6           = finding.Control{Framework: "NIST-800-53r5", ID: "CM-6"}
	nistCM7           = finding.Control{Framework: "NIST-800-53r5", ID: "CM-7"}
	nistSC7           = finding.Control{Framework: "NIST-800-53r5", ID: "SC-7"}
	nist171AC2        = finding.Control{Framework: "NIST-800-171r2", ID: "3.1.2"}
	nist171AC4        = finding.Control{Framework: "NIST-800-171r2", ID: "3.1.4"}
	nist171AC7        = finding.Control{Framework: "NIST-800-171r2", ID: "3.1.7"}
	nist171AC11       = finding.Control{Framework: "NIST-800-171r2", ID: "3.1.11"}
	nist171AC20       = finding.Control{Framework: "NIST-800-171r2", ID: "3.1.20"}
	nist171CM5        = finding.Control{Framework: "NIST-800-171r2", ID: "3.4.5"}
	nist171CM7        = finding.Control{Framework: "NIST-800-171r2", ID: "3.4.6"}
	nist171IA2        = finding.Control{Framework: "NIST-800-171r2", ID: "3.5.2"}
	nist171SC1        = finding.Control{Framework: "NIST-800-171r2", ID: "3.13.1"}
)
