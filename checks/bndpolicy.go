package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/policy/catalog"
)

func compileOne(name string, doc *policy.Document) (*policy.Compiled, error) {
	return policy.Compile(policy.PolicySet{Identity: []policy.NamedPolicy{{Name: name, Doc: doc}}})
}

// isIAMMutation reports whether an action is one the contract says a
// boundary must never allow: inside its forbidden IAM families and one that
// changes something (iam:PassRole is not a mutation).
func (e *Env) isIAMMutation(a *catalog.Action) bool {
	if !changesIAM(a) {
		return false
	}
	return slices.ContainsFunc(e.Contract.Forbidden.IAMMutationActions, func(p string) bool { return catalog.Matches(p, a) })
}

// outsideCeiling keeps the actions a boundary must not let through:
// services the document does not list, and IAM mutation.
func (e *Env) outsideCeiling(a *catalog.Action) bool {
	if _, ok := e.Contract.AllowsService(a.Service()); !ok {
		return true
	}
	return e.isIAMMutation(a)
}

// ceilingGroup names what a hit breaks: "iam-mutation" or "service S".
func (e *Env) ceilingGroup(h hit) string {
	if e.isIAMMutation(h.action) {
		return "iam-mutation"
	}
	return "service " + h.action.Service()
}

func boundaryScope() *Check {
	c := &Check{
		ID:       "PV-BND-003",
		Title:    "Boundary policies allow only the documented services and no IAM mutation",
		Severity: finding.High,
		Rationale: "\"Our boundary allows only the services listed above. Critically, it does not allow IAM mutation " +
			"actions.\" The boundary is the ceiling of every child role; what it lets through, a child role can be given.",
		Remediation: "Publish a corrected version and make it the default: aws iam create-policy-version --policy-arn " +
			"arn:aws:iam::ACCOUNT:policy/pennsieve-boundary-NODE --policy-document file://boundary.json --set-as-default " +
			"(an Allow limited to the documented services and a Deny of iam:Create*/Put*/Attach*/Update*/Delete*…).",
		Controls: []finding.Control{nistAC6, nistCM7, nistCM5, hipaaAccessControl, nist171AC5, nist171CM7},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, p := range env.boundaryPolicies() {
			doc := p.DefaultDocument()
			if doc == nil {
				out = append(out, c.finding(finding.Error, p.ARN, "", env.missingDefault(p), nil))
				continue
			}
			ans, err := env.askPolicies(policy.PolicySet{Identity: []policy.NamedPolicy{{Name: p.Name, Doc: doc}}},
				question{actions: []string{"*"}, keep: env.outsideCeiling})
			if err != nil {
				out = append(out, c.finding(finding.Error, p.ARN, "", "cannot compile: "+err.Error(), nil))
				continue
			}
			out = append(out, c.reportOn(p.ARN, ans, env.ceilingGroup, func(g string, hs []hit) string {
				if g == "iam-mutation" {
					return fmt.Sprintf("%s (%s) allows IAM mutation: %s", p.Name, p.DefaultVersionID, countPhrase(hs))
				}
				return fmt.Sprintf("%s (%s) lets %s through (%s); the document lists no such service", p.Name, p.DefaultVersionID, hs[0].action.Service(), countPhrase(hs))
			}, p.Name+" ("+p.DefaultVersionID+") stays within the documented services and allows no IAM mutation")...)
		}
		return out
	}
	return c
}

func boundaryVersions() *Check {
	c := &Check{
		ID:       "PV-BND-004",
		Title:    "No stored boundary version is broader than the default",
		Severity: finding.High,
		Rationale: "IAM keeps up to five versions of a managed policy. A non-default version broader than the default " +
			"is one SetDefaultPolicyVersion away from being the boundary, and shows the boundary was once wider.",
		Remediation: "Delete the broader version: aws iam delete-policy-version --policy-arn POLICY_ARN --version-id VERSION",
		Controls:    []finding.Control{nistCM2, nistCM5, nistAC6, hipaaIntegrity, hipaaAccessControl, nist171CM5, nist171AC5},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, p := range env.boundaryPolicies() {
			def := p.DefaultDocument()
			if def == nil {
				out = append(out, c.finding(finding.Error, p.ARN, "", env.missingDefault(p), nil))
				continue
			}
			defComp, err := compileOne(p.ARN+" "+p.DefaultVersionID, def)
			if err != nil {
				out = append(out, c.finding(finding.Error, p.ARN, "", "cannot compile the default version: "+err.Error(), nil))
				continue
			}
			n := 0
			for _, v := range p.Versions {
				if v.IsDefault || v.VersionID == p.DefaultVersionID {
					continue
				}
				if v.Document == nil {
					out = append(out, c.finding(finding.Error, p.ARN, v.VersionID, "the snapshot lacks version "+v.VersionID+"'s document", nil))
					n++
					continue
				}
				vComp, err := compileOne(p.ARN+" "+v.VersionID, v.Document)
				if err != nil {
					out = append(out, c.finding(finding.Error, p.ARN, v.VersionID, "cannot compile "+v.VersionID+": "+err.Error(), nil))
					n++
					continue
				}
				// Asked of both versions together, so that the classes,
				// resources and context regions split where either does;
				// a witness breaks the promise when the stored version
				// allows it and the default does not.
				set := policy.PolicySet{Identity: []policy.NamedPolicy{{Name: v.VersionID, Doc: v.Document}, {Name: p.DefaultVersionID, Doc: def}}}
				var unknown []string
				ans, err := env.askPolicies(set, question{actions: []string{"*"},
					breaksRequest: func(action, res string, w *policy.Witness) bool {
						req := &policy.Request{Principal: w.Principal, Action: action, Resource: res, Context: w.Context, Now: env.Now}
						if req.Principal == "" {
							req.Principal = roleARN(env.Account(nil), "pvaudit-witness-role")
						}
						a, b := vComp.Evaluate(req), defComp.Evaluate(req)
						if !a.Evaluable() || !b.Evaluable() {
							unknown = append(unknown, action+" on "+res+": "+strings.Join(append(a.Unevaluable, b.Unevaluable...), "; "))
							return false
						}
						return a.Decision == policy.Allow && b.Decision != policy.Allow
					}})
				if err != nil {
					out = append(out, c.finding(finding.Error, p.ARN, v.VersionID, "cannot compile: "+err.Error(), nil))
					n++
					continue
				}
				ans.unknown = append(ans.unknown, unknown...)
				if len(ans.hits) > 0 {
					out = append(out, c.finding(finding.Fail, p.ARN, v.VersionID,
						fmt.Sprintf("version %s (not default) allows what the default %s denies, e.g. %s: SetDefaultPolicyVersion would widen the boundary",
							v.VersionID, p.DefaultVersionID, countPhrase(ans.hits)),
						map[string]any{"version": v.VersionID, "default_version": p.DefaultVersionID, "wider": hitEvidence(ans.hits), "actions": listSomeSlice(ans.allHitActions(), 50)}))
					n++
				} else if len(ans.unknown) > 0 {
					u := uniqStrings(ans.unknown)
					out = append(out, c.finding(finding.NotEvaluated, p.ARN, v.VersionID, "cannot compare version "+v.VersionID+" with the default: "+listSome(u, 3),
						map[string]any{"unevaluable": u}))
					n++
				}
			}
			if n == 0 {
				out = append(out, c.finding(finding.Pass, p.ARN, "",
					fmt.Sprintf("%d version(s); none broader than the default %s", len(p.Versions), p.DefaultVersionID), nil))
			}
		}
		return out
	}
	return c
}

func boundaryOrphans() *Check {
	c := &Check{
		ID:       "PV-BND-005",
		Title:    "Every boundary policy is in use",
		Severity: finding.Low,
		Rationale: "A pennsieve-boundary-* policy no role uses is left over from a deleted node, or was created for a " +
			"role that does not carry it. Either way it is an unreviewed policy with a trusted name.",
		Remediation: "If its node is gone, delete it: aws iam list-policy-versions, aws iam delete-policy-version for the " +
			"non-default ones, then aws iam delete-policy --policy-arn POLICY_ARN.",
		Controls: []finding.Control{nistCM2, nistAC2, hipaaRiskMgmt, nist171CM5},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, p := range env.boundaryPolicies() {
			users := env.rolesUsingBoundary(p.ARN)
			ev := map[string]any{"roles": users, "permissions_boundary_usage_count": p.PermissionsBoundaryUsageCount}
			switch {
			case len(users) > 0 || p.PermissionsBoundaryUsageCount > 0:
				out = append(out, c.finding(finding.Pass, p.ARN, "", fmt.Sprintf("boundary of %d role(s)", max(len(users), p.PermissionsBoundaryUsageCount)), ev))
			case !env.Snap.Complete():
				out = append(out, c.finding(finding.Error, p.ARN, "", "no role in the snapshot uses it, but the role list is incomplete", ev))
			default:
				out = append(out, c.finding(finding.Fail, p.ARN, "", p.Name+" is the boundary of no role (orphan)", ev))
			}
		}
		return out
	}
	return c
}

// childTrustedServices returns the child role's trust grants that are not an
// allowed service principal.
func childTrustProblems(r *inventory.Role, services []string) (grants []string, bad []string) {
	for _, g := range trustGrants(r.TrustPolicy) {
		grants = append(grants, g.String())
		if g.Kind != "Service" || !slices.ContainsFunc(services, func(s string) bool { return strings.EqualFold(s, g.Value) }) {
			bad = append(bad, g.String())
		}
	}
	return grants, bad
}

// missingDefault explains a managed policy whose default version cannot be
// read: the snapshot lacks it, or its version markers disagree.
func (e *Env) missingDefault(p *inventory.ManagedPolicy) string {
	if err := p.DefaultVersionConflict(); err != nil {
		return "inconsistent input: " + err.Error()
	}
	return "the snapshot lacks the default version's document"
}
