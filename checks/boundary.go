package checks

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/rules"
)

func crossAccountRoleExists() *Check {
	c := &Check{
		ID:       "PV-XAR-001",
		Title:    "Cross-account role exists and matches the documented naming",
		Severity: finding.High,
		Rationale: "The provider is documented to act only through one cross-account role named " +
			"after the documented pattern; finding it is the start of every other check.",
		Remediation: "Create the cross-account role through the provider's onboarding, or pass a contract " +
			"whose cross_account_role.name_pattern matches the role's real name.",
		Controls: []finding.Control{nistAC2, hipaaAccessMgmt, nist171AC1},
	}
	c.Run = func(env *Env) []finding.Finding {
		if !env.Contract.CrossAccountRole.Required {
			return nil
		}
		xs := env.Class.Of(classify.CrossAccount)
		if len(xs) == 0 {
			status := finding.Fail
			msg := fmt.Sprintf("no role matches %s", env.Contract.CrossAccountRole.NamePattern)
			if !env.Snap.Complete() {
				status = finding.Error
				msg += ", but the role list is incomplete (see coverage gaps)"
			}
			return []finding.Finding{c.finding(status, accountResource(env.Snap), "", msg,
				map[string]any{"name_pattern": env.Contract.CrossAccountRole.NamePattern, "roles_scanned": len(env.Snap.Roles)})}
		}
		var out []finding.Finding
		for _, x := range xs {
			ev := map[string]any{"reasons": x.Reasons}
			if tmpl := env.Contract.CrossAccountRole.NameTemplate; tmpl != "" {
				if want, err := contract.Expand(tmpl, env.Vars(x.Role, "")); err == nil {
					ev["name_template"] = want
					if !contract.Glob(want, x.Role.Name) {
						out = append(out, c.finding(finding.Fail, x.Role.ARN, "",
							fmt.Sprintf("cross-account role %s does not match %s (the configured environment)", x.Role.Name, want), ev))
						continue
					}
				}
			}
			out = append(out, c.finding(finding.Pass, x.Role.ARN, "", "cross-account role "+x.Role.Name, ev))
		}
		return out
	}
	return c
}

func childRoleBoundary() *Check {
	c := &Check{
		ID:       "PV-BND-001",
		Title:    "Every child role carries a pennsieve-boundary-* permissions boundary",
		Severity: finding.High,
		Rationale: "The document promises that every IAM role the provider creates has a permissions " +
			"boundary that caps it to the documented services and forbids IAM mutation. A child role " +
			"without it is limited only by its own policies.",
		Remediation: "Attach the node's boundary: aws iam put-role-permissions-boundary --role-name ROLE " +
			"--permissions-boundary arn:aws:iam::ACCOUNT:policy/pennsieve-boundary-NODE; then find out " +
			"(CloudTrail: DeleteRolePermissionsBoundary, CreateRole) how the role came to lack it.",
		Controls: []finding.Control{nistAC6, nistAC3, hipaaAccessControl, nist171AC5},
		Variants: []rules.Variant{{Severity: finding.Info, When: "no child role is recognised (WARN)"}},
	}
	c.Run = func(env *Env) []finding.Finding {
		if env.Contract.Boundary.NamePattern == "" {
			return nil // the contract promises no boundary
		}
		children := env.Class.Children()
		if len(children) == 0 {
			f := c.finding(finding.Warn, accountResource(env.Snap), "",
				"no child roles recognised; if the provider has deployed compute nodes, the contract's child_roles rules may not fit this account",
				map[string]any{"node_ids": env.NodeIDs})
			f.Severity = finding.Info
			return []finding.Finding{f}
		}
		var out []finding.Finding
		for _, rc := range children {
			r := rc.Role
			ev := map[string]any{"child_role_reasons": rc.Reasons}
			if rc.NodeID != "" {
				ev["node_id"] = rc.NodeID
			}
			switch {
			case r.PermissionsBoundary == nil:
				out = append(out, c.finding(finding.Fail, r.ARN, "",
					fmt.Sprintf("no permissions boundary (child role because: %s)", strings.Join(rc.Reasons, "; ")), ev))
			default:
				ev["boundary_arn"] = r.PermissionsBoundary.ARN
				name := classify.PolicyName(r.PermissionsBoundary.ARN)
				if _, ok := env.Contract.BoundaryNodeID(name); !ok {
					out = append(out, c.finding(finding.Fail, r.ARN, "",
						fmt.Sprintf("boundary %s is not a %s boundary", name, env.Contract.Boundary.NamePattern), ev))
					continue
				}
				out = append(out, c.finding(finding.Pass, r.ARN, "",
					fmt.Sprintf("carries %s", name), ev))
			}
		}
		return out
	}
	return c
}

func boundaryPolicyExists() *Check {
	c := &Check{
		ID:       "PV-BND-002",
		Title:    "Each child role's boundary policy exists in this account",
		Severity: finding.High,
		Rationale: "A boundary that names a policy which does not exist in the account, or a policy in " +
			"another account, is not the boundary the document describes and cannot be inspected.",
		Remediation: "Point the role's boundary at the node's pennsieve-boundary-NODE policy in this account " +
			"(aws iam put-role-permissions-boundary), or restore the deleted boundary policy.",
		Controls: []finding.Control{nistAC6, nistCM2, hipaaAccessControl, nist171AC5},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Children() {
			r := rc.Role
			if r.PermissionsBoundary == nil {
				continue // PV-BND-001 reports it
			}
			arn := r.PermissionsBoundary.ARN
			name := classify.PolicyName(arn)
			if _, ok := env.Contract.BoundaryNodeID(name); !ok {
				continue // PV-BND-001 reports it
			}
			ev := map[string]any{"boundary_arn": arn}
			acct := inventory.AccountFromARN(arn)
			switch {
			case env.Snap.AccountID == "":
				out = append(out, c.finding(finding.Error, r.ARN, "", "the scanned account's ID is unknown, so the boundary's account cannot be compared", ev))
			case env.Contract.Boundary.SameAccount && acct != env.Snap.AccountID:
				ev["boundary_account"] = acct
				ev["scanned_account"] = env.Snap.AccountID
				out = append(out, c.finding(finding.Fail, r.ARN, "",
					fmt.Sprintf("boundary %s is in account %s, not this account %s", name, acct, env.Snap.AccountID), ev))
			case env.Snap.Policy(arn) != nil:
				out = append(out, c.finding(finding.Pass, r.ARN, "",
					fmt.Sprintf("boundary %s exists in this account", name), ev))
			case !env.Snap.Complete():
				out = append(out, c.finding(finding.Error, r.ARN, "",
					fmt.Sprintf("boundary %s not found, but the policy list is incomplete (see coverage gaps)", name), ev))
			default:
				out = append(out, c.finding(finding.Fail, r.ARN, "",
					fmt.Sprintf("boundary %s does not exist in this account", arn), ev))
			}
		}
		return out
	}
	return c
}

func inventoryComplete() *Check {
	c := &Check{
		ID:       "PV-COV-001",
		Title:    "The account inventory could be read completely",
		Severity: finding.High,
		Rationale: "A check cannot pass on what it could not read. Every call the collector could not make " +
			"is reported here, and the scan exits 2.",
		Remediation: "Give the scanning principal the read-only permissions listed in README.md " +
			"(iam:GetAccountAuthorizationDetails, iam:ListRoles, iam:ListAccessKeys, sts:GetCallerIdentity) and scan again.",
		Controls: []finding.Control{nistCA7, hipaaAudit, nist171CA3},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, g := range env.Snap.Gaps {
			ev := map[string]any{"operation": g.Operation}
			if g.Code != "" {
				ev["error_code"] = g.Code
			}
			res := g.Resource
			if res == "" {
				res = accountResource(env.Snap)
			}
			out = append(out, c.finding(finding.Error, res, g.Operation, fmt.Sprintf("could not read via %s: %s", g.Operation, g.Message), ev))
		}
		return out
	}
	return c
}

func accountResource(s *inventory.Snapshot) string {
	if s.AccountID == "" {
		return "account:unknown"
	}
	return "arn:aws:iam::" + s.AccountID + ":root"
}
