package checks

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// request is one question for the evaluator, with what an Allow would mean.
type request struct {
	Action   string
	Resource string
	Context  map[string][]string
	// Key distinguishes findings of one check on one principal.
	Key string
	// Gains completes "who → action → what it gains" when allowed.
	Gains string
}

// decideAll asks every request as role r: one FAIL per allowed request
// (message "who → action on resource → gains"), NOT_EVALUATED per
// undecidable one, and one PASS naming how many were denied when none was
// allowed.
func (c *Check) decideAll(env *Env, r *inventory.Role, reqs []request, passMsg string) []finding.Finding {
	comp, err := env.Evaluator(r)
	if err != nil {
		return []finding.Finding{c.evalError(r, err)}
	}
	var out []finding.Finding
	fails := 0
	for _, q := range reqs {
		res := comp.Evaluate(&policy.Request{Principal: r.ARN, Action: q.Action, Resource: q.Resource, Context: q.Context})
		if res.Evaluable() && res.Decision != policy.Allow {
			continue // denied, as promised: counted in the PASS line
		}
		key := q.Key
		if key == "" {
			key = q.Action + " " + q.Resource
		}
		ev := map[string]any{"action": q.Action, "resource": q.Resource}
		if len(q.Context) > 0 {
			ev["context"] = q.Context
		}
		switch {
		case !res.Evaluable():
			out = append(out, c.unevaluable(r.ARN, key, q.Action+" on "+q.Resource, res))
			fails++
		case res.Decision == policy.Allow:
			ev["deciding_statements"] = matchedStrings(res)
			out = append(out, c.finding(finding.Fail, r.ARN, key,
				fmt.Sprintf("%s → %s on %s → %s", r.Name, q.Action, shortARN(q.Resource), q.Gains), ev))
			fails++
		}
	}
	if fails == 0 {
		out = append(out, c.finding(finding.Pass, r.ARN, "",
			fmt.Sprintf("%s (%d requests denied)", passMsg, len(reqs)), nil))
	}
	return out
}

// shortARN drops the arn:aws:service:region:account: prefix for messages.
func shortARN(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[5]
	}
	return s
}

func roleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

func policyARN(account, name string) string { return "arn:aws:iam::" + account + ":policy/" + name }

const adminPolicy = "arn:aws:iam::aws:policy/AdministratorAccess"

// boundaryProbeName is a boundary policy name that matches the contract's
// pattern but is not one the account has: a policy the role could write.
func (e *Env) boundaryProbeName() string {
	return strings.Replace(e.Contract.Boundary.NamePattern, "*", "pvaudit-probe", 1)
}

// probeRoleNames are role names the cross-account role might be allowed to
// create: one per known compute node, in the child naming, plus a generic one.
func (e *Env) probeRoleNames() []string {
	out := []string{"pvaudit-probe-role"}
	for _, id := range e.NodeIDs {
		out = append(out, "pennsieve-"+id+"-pvaudit-probe")
	}
	return out
}

// boundedRole reports whether r carries a contract boundary that lives in
// the scanned account and exists in the snapshot.
func (e *Env) boundedRole(r *inventory.Role) bool {
	if r.PermissionsBoundary == nil {
		return false
	}
	arn := r.PermissionsBoundary.ARN
	if _, ok := e.Contract.BoundaryNodeID(classify.PolicyName(arn)); !ok {
		return false
	}
	return inventory.AccountFromARN(arn) == e.Account(r) && e.Snap.Policy(arn) != nil
}

func guardCreateRoleBoundary() *Check {
	c := &Check{
		ID:       "PV-GRD-001",
		Title:    "Cross-account role cannot create a role without the boundary",
		Severity: finding.Critical,
		Rationale: "\"Must attach boundary on role creation\": a role created without the Pennsieve boundary, or with " +
			"some other policy as its boundary, is unrestricted. Decided by the evaluator for CreateRole requests " +
			"with no boundary, with AdministratorAccess and with a customer policy as boundary.",
		Remediation: "Add to the role's inline policy a Deny of iam:CreateRole and iam:PutRolePermissionsBoundary with " +
			"\"Condition\": {\"StringNotEquals\": {\"iam:PermissionsBoundary\": [\"arn:aws:iam::ACCOUNT:policy/pennsieve-boundary-NODE\", …]}} " +
			"(aws iam put-role-policy).",
		Controls: []finding.Control{nistAC6, nistAC3, nistCM5, hipaaAccessControl, nist171AC5, nist171AC7},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			acct := env.Account(r)
			var reqs []request
			for _, name := range env.probeRoleNames() {
				arn := roleARN(acct, name)
				reqs = append(reqs,
					request{Action: "iam:CreateRole", Resource: arn, Key: "no-boundary " + name,
						Gains: "a new role with no permissions boundary"},
					request{Action: "iam:CreateRole", Resource: arn, Key: "admin-boundary " + name,
						Context: map[string][]string{"iam:PermissionsBoundary": {adminPolicy}},
						Gains:   "a new role whose boundary is AdministratorAccess (no cap)"},
					request{Action: "iam:CreateRole", Resource: arn, Key: "other-boundary " + name,
						Context: map[string][]string{"iam:PermissionsBoundary": {policyARN(acct, "pvaudit-probe-policy")}},
						Gains:   "a new role whose boundary is not a Pennsieve boundary"},
				)
			}
			out = append(out, c.decideAll(env, r, reqs, "CreateRole without a Pennsieve boundary is denied")...)
		}
		return out
	}
	return c
}

func guardBoundaryRemoval() *Check {
	c := &Check{
		ID:       "PV-GRD-002",
		Title:    "Cross-account role cannot remove or replace a child role's boundary",
		Severity: finding.Critical,
		Rationale: "\"Cannot remove boundaries\": DeleteRolePermissionsBoundary must be denied on every role, and " +
			"replacing a boundary with a broader policy is removal by another name.",
		Remediation: "Add a Deny of iam:DeleteRolePermissionsBoundary on \"*\" to the role's inline policy, and a Deny " +
			"of iam:PutRolePermissionsBoundary unless iam:PermissionsBoundary is one of the node boundaries " +
			"(aws iam put-role-policy).",
		Controls: []finding.Control{nistAC6, nistCM5, hipaaAccessControl, hipaaIntegrity, nist171AC5, nist171CM5},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			acct := env.Account(r)
			targets := []string{roleARN(acct, "pvaudit-probe-role")}
			for _, ch := range env.Class.Children() {
				targets = append(targets, ch.Role.ARN)
			}
			var reqs []request
			for _, t := range targets {
				reqs = append(reqs,
					request{Action: "iam:DeleteRolePermissionsBoundary", Resource: t, Key: "delete " + t,
						Gains: "the role loses its boundary"},
					request{Action: "iam:PutRolePermissionsBoundary", Resource: t, Key: "replace " + t,
						Context: map[string][]string{"iam:PermissionsBoundary": {adminPolicy}},
						Gains:   "the boundary becomes AdministratorAccess (no cap)"},
				)
			}
			out = append(out, c.decideAll(env, r, reqs, "removing or replacing boundaries is denied")...)
		}
		return out
	}
	return c
}

func guardSelfModification() *Check {
	c := &Check{
		ID:       "PV-GRD-003",
		Title:    "Cross-account role cannot change its own policies, trust, boundary or session length",
		Severity: finding.Critical,
		Rationale: "\"Cannot modify itself\": a role that can edit its own policy can delete every deny rule the " +
			"document relies on; one that can edit its own trust can let anyone in.",
		Remediation: "Add a Deny of iam:* (except Get*/List*) on arn:aws:iam::ACCOUNT:role/Pennsieve-Compute-* to the " +
			"role's inline policy (aws iam put-role-policy), and of iam:CreatePolicyVersion/SetDefaultPolicyVersion " +
			"on any managed policy attached to it.",
		Controls: []finding.Control{nistAC6, nistAC5, nistCM5, hipaaAccessControl, hipaaIntegrity, nist171AC5, nist171CM5},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			self := r.ARN
			reqs := []request{
				{Action: "iam:PutRolePolicy", Resource: self, Gains: "rewrites its own inline policy, deny rules included"},
				{Action: "iam:DeleteRolePolicy", Resource: self, Gains: "deletes its own inline policy with its deny rules"},
				{Action: "iam:AttachRolePolicy", Resource: self, Context: map[string][]string{"iam:PolicyARN": {adminPolicy}},
					Gains: "attaches AdministratorAccess to itself"},
				{Action: "iam:DetachRolePolicy", Resource: self, Gains: "detaches its own managed policies"},
				{Action: "iam:UpdateAssumeRolePolicy", Resource: self, Gains: "rewrites who may assume it"},
				{Action: "iam:PutRolePermissionsBoundary", Resource: self, Context: map[string][]string{"iam:PermissionsBoundary": {adminPolicy}},
					Gains: "sets its own boundary"},
				{Action: "iam:DeleteRolePermissionsBoundary", Resource: self, Gains: "removes its own boundary"},
				{Action: "iam:UpdateRole", Resource: self, Gains: "raises its own MaxSessionDuration beyond 1 hour"},
			}
			for _, a := range r.AttachedPolicies {
				if strings.Contains(a.ARN, ":iam::aws:policy/") {
					continue
				}
				reqs = append(reqs,
					request{Action: "iam:CreatePolicyVersion", Resource: a.ARN, Gains: "rewrites a managed policy attached to itself"},
					request{Action: "iam:SetDefaultPolicyVersion", Resource: a.ARN, Gains: "switches a managed policy attached to itself to another version"})
			}
			out = append(out, c.decideAll(env, r, reqs, "IAM changes to itself are denied")...)
		}
		return out
	}
	return c
}

func guardUsersAndKeys() *Check {
	c := &Check{
		ID:       "PV-GRD-004",
		Title:    "Cross-account role cannot create IAM users or access keys",
		Severity: finding.High,
		Rationale: "\"Cannot create IAM users or access keys\" and \"does not store long-lived keys\": a user or an " +
			"access key outlives the temporary credential window and survives deleting the cross-account role.",
		Remediation: "Add a Deny of iam:CreateUser, iam:CreateAccessKey, iam:CreateLoginProfile, iam:UpdateLoginProfile " +
			"and iam:CreateServiceSpecificCredential on \"*\" to the role's inline policy (aws iam put-role-policy).",
		Controls: []finding.Control{nistAC2, nistIA5, hipaaAccessMgmt, hipaaWorkforce, nist171AC1, nist171IA2},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			acct := env.Account(r)
			users := []string{"arn:aws:iam::" + acct + ":user/pvaudit-probe-user"}
			for _, u := range env.Snap.Users {
				users = append(users, u.ARN)
			}
			var reqs []request
			for _, a := range env.Contract.Forbidden.UserAndKeyActions {
				for _, u := range users {
					if a == "iam:CreateUser" && u != users[0] {
						continue
					}
					reqs = append(reqs, request{Action: a, Resource: u, Gains: "long-lived credentials in your account"})
				}
			}
			out = append(out, c.decideAll(env, r, reqs, "creating users, keys and passwords is denied")...)
		}
		return out
	}
	return c
}

func guardAccountSettings() *Check {
	c := &Check{
		ID:       "PV-GRD-005",
		Title:    "Cross-account role cannot touch billing or account settings",
		Severity: finding.High,
		Rationale: "\"Cannot modify billing or account settings\": billing, contacts, regions, the organization and the " +
			"password policy belong to the account owner.",
		Remediation: "Add a Deny of aws-portal:*, account:*, billing:*, payments:*, organizations:* and " +
			"iam:UpdateAccountPasswordPolicy/CreateAccountAlias/DeleteAccountAlias to the role's inline policy.",
		Controls: []finding.Control{nistAC6, nistAC6_10, hipaaAccessControl, nist171AC7, nist171AC5},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			var reqs []request
			for _, a := range env.Contract.Forbidden.AccountActions {
				reqs = append(reqs, request{Action: a, Resource: "*", Gains: "changes billing or account settings"})
			}
			out = append(out, c.decideAll(env, rc.Role, reqs, "billing and account settings are out of reach")...)
		}
		return out
	}
	return c
}
