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
		var reqs []request
		for _, fam := range par.TaskRole.Forbidden {
			reqs = append(reqs, request{Action: fam.Pattern, Key: fam.Pattern, Gains: "a permission family the document says the task role must never have"})
		}
		var out []finding.Finding
		for _, r := range env.parRoles(par.TaskRole) {
			out = append(out, c.decideAll(env, r, reqs, fmt.Sprintf("none of the %d forbidden families is allowed", len(reqs)))...)
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
			ans, err := env.ask(r, allowListQuestion(par.TaskRole.Allowed, env.Vars(r, "")))
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			out = append(out, c.allowListFindings(r, ans, "task role "+r.Name, "s3:GetObject and s3:ListBucket on the package bucket")...)
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
			var fails []finding.Finding
			for _, a := range r.AttachedPolicies {
				if !slices.Contains(pr.ManagedPolicies, a.ARN) {
					fails = append(fails, c.finding(finding.Fail, r.ARN, a.ARN,
						fmt.Sprintf("managed policy %s is attached; the document names only %s", a.Name, strings.Join(pr.ManagedPolicies, ", ")),
						map[string]any{"policy_arn": a.ARN}))
				}
			}
			// The documented managed policy is the document's; what the
			// role's inline policies add must be on the allow-list.
			var set policy.PolicySet
			for _, p := range r.InlinePolicies {
				set.Identity = append(set.Identity, policy.NamedPolicy{Name: p.Name, Doc: p.Document})
			}
			if len(set.Identity) == 0 {
				if len(fails) == 0 {
					fails = append(fails, c.finding(finding.Pass, r.ARN, "", "only the ECS task execution policy", nil))
				}
				out = append(out, fails...)
				continue
			}
			comp, err := policy.Compile(set)
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			ev := &RoleEvaluator{c: comp, account: env.Account(r), now: env.Now}
			vars := env.Vars(r, "")
			ans, err := env.askWith(r, ev, allowListQuestion(pr.Allowed, vars))
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			var inline []finding.Finding
			for _, f := range c.allowListFindings(r, ans, "execution role "+r.Name, "the ECS task execution policy and EFS scoped by access point") {
				if f.Status != finding.Pass {
					inline = append(inline, f)
				}
			}
			for _, q := range env.requiredKeyQuestions(ev, pr.Allowed, vars) {
				got, err := env.askWith(r, ev, q.question())
				if err != nil {
					continue
				}
				if len(got.hits) > 0 {
					inline = append(inline, c.finding(finding.Fail, r.ARN, q.Key,
						fmt.Sprintf("%s → %s → %s", r.Name, describeHit(got.hits[0]), q.Gains), map[string]any{"allowed": hitEvidence(got.hits)}))
				} else if len(got.unknown) > 0 {
					inline = append(inline, c.finding(finding.NotEvaluated, r.ARN, q.Key, "cannot decide "+q.Key+": "+listSome(uniqStrings(got.unknown), 3), nil))
				}
			}
			fails = append(fails, inline...)
			if len(fails) == 0 {
				fails = append(fails, c.finding(finding.Pass, r.ARN, "", "only the ECS task execution policy and access-point-scoped EFS", nil))
			}
			out = append(out, fails...)
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
