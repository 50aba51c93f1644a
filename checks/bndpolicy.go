package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// ceilingProbes are the requests that tell what a boundary document lets
// through: its own statements, every service probe, and every IAM mutation
// the contract forbids (on "*" and on a role ARN).
func (e *Env) ceilingProbes(docs []policy.NamedPolicy) []probe {
	ps := append(statementProbes(docs, e.Contract.ServiceProbes), serviceProbeRequests(e.Contract.ServiceProbes)...)
	role := roleARN(e.Account(nil), "pvaudit-probe-role")
	for _, a := range e.Contract.Forbidden.IAMMutationActions {
		ps = append(ps,
			probe{Action: a, Resource: "*", Pattern: a, ResourcePattern: "*", Source: "IAM mutation probe"},
			probe{Action: a, Resource: role, Pattern: a, ResourcePattern: role, Source: "IAM mutation probe"})
	}
	return ps
}

func compileOne(name string, doc *policy.Document) (*policy.Compiled, error) {
	return policy.Compile(policy.PolicySet{Identity: []policy.NamedPolicy{{Name: name, Doc: doc}}})
}

func (e *Env) isIAMMutation(action string) bool {
	return slices.ContainsFunc(e.Contract.Forbidden.IAMMutationActions, func(a string) bool { return strings.EqualFold(a, action) })
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
				out = append(out, c.finding(finding.Error, p.ARN, "", "the snapshot lacks the default version's document", nil))
				continue
			}
			comp, err := compileOne(p.ARN, doc)
			if err != nil {
				out = append(out, c.finding(finding.Error, p.ARN, "", "cannot compile: "+err.Error(), nil))
				continue
			}
			svcs := map[string][]string{}
			var muts []string
			var stmts []string
			n := 0
			for _, pr := range env.ceilingProbes([]policy.NamedPolicy{{Name: p.Name, Doc: doc}}) {
				_, okSvc := env.Contract.AllowsService(pr.service())
				mut := env.isIAMMutation(pr.Action)
				if okSvc && !mut {
					continue
				}
				res := comp.Evaluate(&policy.Request{Principal: roleARN(env.Account(nil), "pvaudit-probe-role"), Action: pr.Action, Resource: pr.Resource, Context: pr.Context})
				if !res.Evaluable() {
					out = append(out, c.unevaluable(p.ARN, pr.Action+" "+pr.Resource, pr.Action, res))
					n++
					continue
				}
				if res.Decision != policy.Allow {
					continue
				}
				stmts = append(stmts, matchedStrings(res)...)
				if mut {
					if !slices.Contains(muts, pr.Action) {
						muts = append(muts, pr.Action)
					}
				} else {
					svcs[pr.service()] = append(svcs[pr.service()], pr.Action)
				}
			}
			slices.Sort(stmts)
			stmts = slices.Compact(stmts)
			for _, s := range sortedKeys(svcs) {
				out = append(out, c.finding(finding.Fail, p.ARN, "service "+s,
					fmt.Sprintf("%s lets %s through (e.g. %s); the document lists no such service", p.Name, s, svcs[s][0]),
					map[string]any{"service": s, "actions": svcs[s], "deciding_statements": stmts, "version": p.DefaultVersionID}))
				n++
			}
			if len(muts) > 0 {
				slices.Sort(muts)
				out = append(out, c.finding(finding.Fail, p.ARN, "iam-mutation",
					fmt.Sprintf("%s allows IAM mutation: %s", p.Name, strings.Join(muts, ", ")),
					map[string]any{"actions": muts, "deciding_statements": stmts, "version": p.DefaultVersionID}))
				n++
			}
			if n == 0 {
				out = append(out, c.finding(finding.Pass, p.ARN, "", p.Name+" ("+p.DefaultVersionID+") stays within the documented services and allows no IAM mutation", nil))
			}
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
				out = append(out, c.finding(finding.Error, p.ARN, "", "the snapshot lacks the default version's document", nil))
				continue
			}
			defComp, err := compileOne(p.ARN+" "+p.DefaultVersionID, def)
			if err != nil {
				out = append(out, c.finding(finding.Error, p.ARN, "", "cannot compile the default version: "+err.Error(), nil))
				continue
			}
			var docs []policy.NamedPolicy
			for _, v := range p.Versions {
				if v.Document != nil {
					docs = append(docs, policy.NamedPolicy{Name: v.VersionID, Doc: v.Document})
				}
			}
			probes := env.ceilingProbes(docs)
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
				vc, err := compileOne(p.ARN+" "+v.VersionID, v.Document)
				if err != nil {
					out = append(out, c.finding(finding.Error, p.ARN, v.VersionID, "cannot compile "+v.VersionID+": "+err.Error(), nil))
					n++
					continue
				}
				var wider []string
				seen := map[string]bool{}
				for _, pr := range probes {
					req := &policy.Request{Principal: roleARN(env.Account(nil), "pvaudit-probe-role"), Action: pr.Action, Resource: pr.Resource, Context: pr.Context}
					a, b := vc.Evaluate(req), defComp.Evaluate(req)
					if !a.Evaluable() || !b.Evaluable() {
						out = append(out, c.finding(finding.NotEvaluated, p.ARN, v.VersionID+" "+pr.Action,
							"cannot compare "+pr.Action+": "+strings.Join(append(a.Unevaluable, b.Unevaluable...), "; "), nil))
						n++
						continue
					}
					k := pr.Action + " on " + pr.Resource
					if a.Decision == policy.Allow && b.Decision != policy.Allow && !seen[k] {
						seen[k] = true
						wider = append(wider, k)
					}
				}
				if len(wider) > 0 {
					// Show the most telling example: IAM mutation, then an
					// undocumented service, then anything.
					example := wider[0]
					rank := func(w string) int {
						a, _, _ := strings.Cut(w, " ")
						svc, _, _ := strings.Cut(a, ":")
						if env.isIAMMutation(a) {
							return 0
						}
						if _, ok := env.Contract.AllowsService(svc); !ok {
							return 1
						}
						return 2
					}
					for _, w := range wider {
						if rank(w) < rank(example) {
							example = w
						}
					}
					out = append(out, c.finding(finding.Fail, p.ARN, v.VersionID,
						fmt.Sprintf("version %s (not default) allows %d request(s) the default %s denies, e.g. %s: SetDefaultPolicyVersion would widen the boundary",
							v.VersionID, len(wider), p.DefaultVersionID, example),
						map[string]any{"version": v.VersionID, "default_version": p.DefaultVersionID, "wider_requests": wider}))
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
