package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// parRoles returns the roles matching a PAR role's name patterns.
func (e *Env) parRoles(pr contract.PARRole) []*inventory.Role {
	var out []*inventory.Role
	for i := range e.Snap.Roles {
		if pr.Matches(e.Snap.Roles[i].Name) {
			out = append(out, &e.Snap.Roles[i])
		}
	}
	return out
}

func parRolesPresent() *Check {
	c := &Check{
		ID:       "PV-PAR-001",
		Title:    "PAR task and execution roles exist under the documented names",
		Severity: finding.High,
		Rationale: "The PAR document defines exactly two roles, pixell-agent-runtime-task-role and " +
			"pixell-agent-runtime-execution-role; the other PAR checks need to find them.",
		Remediation: "Create the roles as the document shows (aws iam create-role --role-name pixell-agent-runtime-task-role " +
			"--assume-role-policy-document file://task-role-trust-policy.json), or pass a contract whose par.*.name_patterns match your names.",
		Controls: []finding.Control{nistAC2, nistCM2, hipaaAccessMgmt, nist171AC1},
	}
	c.Run = func(env *Env) []finding.Finding {
		par := env.Contract.PAR
		if par == nil {
			return nil
		}
		var out []finding.Finding
		for _, k := range []struct {
			key  string
			role contract.PARRole
		}{{"task-role", par.TaskRole}, {"execution-role", par.ExecutionRole}} {
			rs := env.parRoles(k.role)
			ev := map[string]any{"name_patterns": k.role.NamePatterns}
			switch {
			case len(rs) > 0:
				for _, r := range rs {
					out = append(out, c.finding(finding.Pass, r.ARN, k.key, "PAR "+strings.ReplaceAll(k.key, "-", " ")+" "+r.Name, ev))
				}
			case !env.Snap.Complete():
				out = append(out, c.finding(finding.Error, accountResource(env.Snap), k.key, "no PAR "+k.key+" found, but the role list is incomplete", ev))
			default:
				out = append(out, c.finding(finding.Fail, accountResource(env.Snap), k.key,
					fmt.Sprintf("no role matches %s", strings.Join(k.role.NamePatterns, ", ")), ev))
			}
		}
		return out
	}
	return c
}

func parForbidden() *Check {
	c := &Check{
		ID:       "PV-PAR-002",
		Title:    "PAR task role has none of the forbidden permission families",
		Severity: finding.Critical,
		Rationale: "\"PAR Task Role should NEVER have: ecs:*, elasticloadbalancing:*, servicediscovery:*, dynamodb:*, rds:*, " +
			"iam:*.\" Each family is probed with the evaluator (e.g. the document's own `aws ecs list-tasks` must fail).",
		Remediation: "Remove the statements granting the family from the task role (aws iam put-role-policy / " +
			"aws iam detach-role-policy), or add an explicit Deny for it.",
		Controls: []finding.Control{nistAC6, nistCM7, hipaaAccessControl, nist171AC5, nist171CM7},
	}
	c.Run = func(env *Env) []finding.Finding {
		par := env.Contract.PAR
		if par == nil {
			return nil
		}
		var out []finding.Finding
		for _, r := range env.parRoles(par.TaskRole) {
			comp, err := env.Evaluator(r)
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			stmtProbes := statementProbes(env.identityDocs(r), env.Contract.ServiceProbes)
			fails := 0
			for _, fam := range par.TaskRole.Forbidden {
				probes := []probe{{Action: fam.Probe, Resource: "*", Pattern: fam.Probe, ResourcePattern: "*"}}
				for _, p := range stmtProbes {
					if contract.Glob(strings.ToLower(fam.Pattern), strings.ToLower(p.Action)) {
						probes = append(probes, p)
					}
				}
				var hits, stmts []string
				for _, p := range probes {
					res := comp.Evaluate(&policy.Request{Principal: r.ARN, Action: p.Action, Resource: p.Resource, Context: p.Context})
					if !res.Evaluable() {
						out = append(out, c.unevaluable(r.ARN, fam.Pattern+" "+p.Action, p.Action, res))
						fails++
						continue
					}
					if res.Decision == policy.Allow {
						hits = append(hits, p.Pattern+" on "+p.ResourcePattern)
						stmts = append(stmts, matchedStrings(res)...)
					}
				}
				if len(hits) > 0 {
					slices.Sort(stmts)
					out = append(out, c.finding(finding.Fail, r.ARN, fam.Pattern,
						fmt.Sprintf("task role has %s (e.g. %s), which the document says it must never have", fam.Pattern, hits[0]),
						map[string]any{"family": fam.Pattern, "allowed_requests": hits, "deciding_statements": slices.Compact(stmts)}))
					fails++
				}
			}
			if fails == 0 {
				out = append(out, c.finding(finding.Pass, r.ARN, "", fmt.Sprintf("none of the %d forbidden families is allowed", len(par.TaskRole.Forbidden)), nil))
			}
		}
		return out
	}
	return c
}

func parTaskAllowList() *Check {
	c := &Check{
		ID:       "PV-PAR-003",
		Title:    "PAR task role grants nothing beyond s3:GetObject/ListBucket on the package bucket",
		Severity: finding.High,
		Rationale: "\"Task Role has only S3 GetObject access\" to the package bucket (plus ListBucket on it). The allow-list " +
			"is the rule: a permission not in the document is a finding even if it is not on the forbidden list.",
		Remediation: "Replace the task role's policies with the document's S3PackageAccess policy (aws iam put-role-policy " +
			"--role-name pixell-agent-runtime-task-role --policy-name S3PackageAccess --policy-document file://task-role-policy.json) " +
			"and detach any managed policy.",
		Controls: []finding.Control{nistAC6, nistCM7, hipaaAccessControl, nist171AC5, nist171CM7},
	}
	c.Run = func(env *Env) []finding.Finding {
		par := env.Contract.PAR
		if par == nil {
			return nil
		}
		var out []finding.Finding
		for _, r := range env.parRoles(par.TaskRole) {
			vars := env.Vars(r, "")
			probes := append(statementProbes(env.identityDocs(r), env.Contract.ServiceProbes), serviceProbeRequests(env.Contract.ServiceProbes)...)
			for _, d := range par.TaskRole.DeniedProbes {
				a, res, _ := strings.Cut(d, " ")
				probes = append(probes, probe{Action: a, Resource: res, Pattern: a, ResourcePattern: res, Source: "document verification"})
			}
			allowed, unknown, err := env.allowedOutside(r, probes, func(p probe) bool {
				_, ok := grantCovers(par.TaskRole.Allowed, vars, p.Action, p.Resource)
				return ok
			})
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			for _, u := range unknown {
				out = append(out, c.unevaluable(r.ARN, u.probe.Pattern+" "+u.probe.ResourcePattern, u.probe.Action, u.result))
			}
			for _, x := range allowed {
				out = append(out, c.finding(finding.Fail, r.ARN, x.probe.Pattern+" "+x.probe.ResourcePattern,
					fmt.Sprintf("task role can %s on %s (%s); the document allows only s3:GetObject and s3:ListBucket on the package bucket",
						x.probe.Pattern, x.probe.ResourcePattern, x.probe.Source),
					map[string]any{"action": x.probe.Action, "resource": x.probe.Resource, "deciding_statements": matchedStrings(x.result)}))
			}
			if len(allowed) == 0 && len(unknown) == 0 {
				out = append(out, c.finding(finding.Pass, r.ARN, "", fmt.Sprintf("only the documented S3 access (%d requests evaluated)", len(probes)), nil))
			}
		}
		return out
	}
	return c
}

func parTrust() *Check {
	c := &Check{
		ID:       "PV-PAR-004",
		Title:    "PAR roles trust only ecs-tasks.amazonaws.com",
		Severity: finding.High,
		Rationale: "Both PAR trust policies name exactly one principal, the ECS tasks service. Any other principal can " +
			"take the role outside ECS.",
		Remediation: "aws iam update-assume-role-policy --role-name ROLE --policy-document file://task-role-trust-policy.json " +
			"(the document's trust policy: Principal {\"Service\": \"ecs-tasks.amazonaws.com\"}).",
		Controls: []finding.Control{nistAC3, nistIA2, hipaaAccessControl, hipaaAuthn, nist171AC1, nist171IA2},
	}
	c.Run = func(env *Env) []finding.Finding {
		par := env.Contract.PAR
		if par == nil {
			return nil
		}
		var out []finding.Finding
		for _, pr := range []contract.PARRole{par.TaskRole, par.ExecutionRole} {
			for _, r := range env.parRoles(pr) {
				if r.TrustPolicy == nil {
					out = append(out, c.finding(finding.Error, r.ARN, "", "the snapshot has no trust policy for the role", nil))
					continue
				}
				grants, bad := childTrustProblems(r, pr.TrustedServices)
				ev := map[string]any{"trust_principals": grants, "allowed": pr.TrustedServices}
				if len(bad) > 0 {
					ev["unexpected"] = bad
					out = append(out, c.finding(finding.Fail, r.ARN, "", "trust admits "+strings.Join(bad, ", "), ev))
					continue
				}
				if len(grants) == 0 {
					out = append(out, c.finding(finding.Warn, r.ARN, "", "trust allows no principal; ECS cannot use the role", ev))
					continue
				}
				out = append(out, c.finding(finding.Pass, r.ARN, "", "trusts "+strings.Join(grants, ", "), ev))
			}
		}
		return out
	}
	return c
}

func parExecutionRole() *Check {
	c := &Check{
		ID:       "PV-PAR-005",
		Title:    "PAR execution role has AmazonECSTaskExecutionRolePolicy plus EFS scoped by access point, nothing else",
		Severity: finding.High,
		Rationale: "The document gives the execution role the AWS managed AmazonECSTaskExecutionRolePolicy and an EFS " +
			"ClientMount/ClientWrite statement conditioned on elasticfilesystem:AccessPointArn. Another managed policy, " +
			"another action, or EFS access without the access point condition is beyond the document.",
		Remediation: "Detach other policies (aws iam detach-role-policy), and scope the EFS statement with " +
			"\"Condition\": {\"StringEquals\": {\"elasticfilesystem:AccessPointArn\": \"arn:aws:elasticfilesystem:REGION:ACCOUNT:access-point/ACCESS_POINT_ID\"}}.",
		Controls: []finding.Control{nistAC6, nistCM7, hipaaAccessControl, nist171AC5, nist171CM7},
	}
	c.Run = func(env *Env) []finding.Finding {
		par := env.Contract.PAR
		if par == nil {
			return nil
		}
		pr := par.ExecutionRole
		var out []finding.Finding
		for _, r := range env.parRoles(pr) {
			comp, err := env.Evaluator(r)
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			fails := 0
			for _, a := range r.AttachedPolicies {
				if !slices.Contains(pr.ManagedPolicies, a.ARN) {
					out = append(out, c.finding(finding.Fail, r.ARN, a.ARN,
						fmt.Sprintf("managed policy %s is attached; the document names only %s", a.Name, strings.Join(pr.ManagedPolicies, ", ")),
						map[string]any{"policy_arn": a.ARN}))
					fails++
				}
			}
			var inline []policy.NamedPolicy
			for _, p := range r.InlinePolicies {
				inline = append(inline, policy.NamedPolicy{Name: p.Name, Doc: p.Document})
			}
			vars := env.Vars(r, "")
			seen := map[string]bool{}
			for _, p := range statementProbes(inline, env.Contract.ServiceProbes) {
				res := comp.Evaluate(&policy.Request{Principal: r.ARN, Action: p.Action, Resource: p.Resource, Context: p.Context})
				key := p.Pattern + " " + p.ResourcePattern
				if seen[key] {
					continue
				}
				if !res.Evaluable() {
					seen[key] = true
					out = append(out, c.unevaluable(r.ARN, key, p.Action, res))
					fails++
					continue
				}
				if res.Decision != policy.Allow {
					continue
				}
				g, ok := grantCovers(pr.Allowed, vars, p.Action, p.Resource)
				if !ok {
					seen[key] = true
					out = append(out, c.finding(finding.Fail, r.ARN, key,
						fmt.Sprintf("execution role can %s on %s (%s), beyond the document", p.Pattern, p.ResourcePattern, p.Source),
						map[string]any{"action": p.Action, "resource": p.Resource, "deciding_statements": matchedStrings(res)}))
					fails++
					continue
				}
				// The grant must depend on its required keys: ask again without them.
				for _, k := range g.RequireKeys {
					ctx := map[string][]string{}
					for ck, cv := range p.Context {
						if !strings.EqualFold(ck, k) {
							ctx[ck] = cv
						}
					}
					res2 := comp.Evaluate(&policy.Request{Principal: r.ARN, Action: p.Action, Resource: p.Resource, Context: ctx})
					if !res2.Evaluable() {
						out = append(out, c.unevaluable(r.ARN, key+" without "+k, p.Action, res2))
						fails++
						continue
					}
					if res2.Decision == policy.Allow && !seen[key+k] {
						seen[key+k] = true
						out = append(out, c.finding(finding.Fail, r.ARN, key+" without "+k,
							fmt.Sprintf("%s on %s is allowed without %s: any access point (or none) can be used", p.Action, p.ResourcePattern, k),
							map[string]any{"action": p.Action, "resource": p.Resource, "missing_condition_key": k, "deciding_statements": matchedStrings(res2)}))
						fails++
					}
				}
			}
			if fails == 0 {
				out = append(out, c.finding(finding.Pass, r.ARN, "", "only the ECS task execution policy and access-point-scoped EFS", nil))
			}
		}
		return out
	}
	return c
}

func parExecutionEFS() *Check {
	c := &Check{
		ID:       "PV-PAR-006",
		Title:    "EFS permissions sit on the role ECS uses for EFS IAM authorization",
		Severity: finding.Low,
		Rationale: "When a task definition enables IAM authorization for an EFS volume, ECS mounts it with the task role, " +
			"not the execution role. An EFS statement on the execution role is not used for that authorization: either " +
			"the mount is not IAM-authorized at all, or it fails — in both cases the document's EFS scoping protects nothing.",
		Remediation: "Move the access-point-scoped ClientMount/ClientWrite statement to the task role (reviewing it against the " +
			"task role's allow-list) and set authorizationConfig {\"iam\": \"ENABLED\", \"accessPointId\": …} in the task definition, " +
			"or remove it from the execution role if EFS is not used.",
		Controls: []finding.Control{nistAC3, nistCM6, hipaaAccessControl, nist171CM5},
	}
	c.Run = func(env *Env) []finding.Finding {
		par := env.Contract.PAR
		if par == nil {
			return nil
		}
		var out []finding.Finding
		for _, r := range env.parRoles(par.ExecutionRole) {
			var efs []string
			for _, p := range r.InlinePolicies {
				if p.Document == nil {
					continue
				}
				for i, st := range p.Document.Statements {
					if st.Effect == policy.EffectAllow && (actionListCovers(st, "elasticfilesystem:ClientMount") || actionListCovers(st, "elasticfilesystem:ClientWrite")) {
						efs = append(efs, p.Name+"["+st.Label(i)+"]")
					}
				}
			}
			if len(efs) == 0 {
				out = append(out, c.finding(finding.Pass, r.ARN, "", "no EFS client statement on the execution role", nil))
				continue
			}
			out = append(out, c.finding(finding.Warn, r.ARN, "",
				fmt.Sprintf("EFS statement(s) %s are on the execution role, which ECS does not use for EFS IAM authorization (the task role is used)", strings.Join(efs, ", ")),
				map[string]any{"statements": efs}))
		}
		return out
	}
	return c
}
