package checks

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// escalationControls are shared by the escalation-path checks.
var escalationControls = []finding.Control{nistAC6, nistAC6_1, nistAC5, nistCM5, hipaaAccessControl, hipaaRiskMgmt, nist171AC5, nist171AC7, nist171CM5}

// actors are the principals whose escalation paths are examined: the
// cross-account role and every child role.
func (e *Env) actors() []classify.Role {
	var out []classify.Role
	for _, rc := range e.Roles {
		if rc.Kind == classify.CrossAccount || rc.Kind.IsChild() {
			out = append(out, rc)
		}
	}
	return out
}

// boundaryPolicies returns the customer managed policies of the account
// whose name matches the boundary pattern.
func (e *Env) boundaryPolicies() []*inventory.ManagedPolicy {
	var out []*inventory.ManagedPolicy
	for i := range e.Snap.Policies {
		p := &e.Snap.Policies[i]
		if p.AWSManaged() {
			continue
		}
		if _, ok := e.Contract.BoundaryNodeID(p.Name); ok {
			out = append(out, p)
		}
	}
	return out
}

// rolesUsingBoundary counts the roles whose boundary is arn.
func (e *Env) rolesUsingBoundary(arn string) []string {
	var out []string
	for _, r := range e.Snap.Roles {
		if r.PermissionsBoundary != nil && r.PermissionsBoundary.ARN == arn {
			out = append(out, r.Name)
		}
	}
	return out
}

// unboundedTargets are the roles outside the boundary: no valid contract
// boundary, not service-linked, not the actor itself (self may be nil).
func (e *Env) unboundedTargets(self *inventory.Role) []*inventory.Role {
	var out []*inventory.Role
	for i := range e.Snap.Roles {
		t := &e.Snap.Roles[i]
		if (self != nil && t.ARN == self.ARN) || strings.HasPrefix(t.Path, "/aws-service-role/") || e.boundedRole(t) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// roleWorth describes what a role outside the boundary is worth.
func roleWorth(t *inventory.Role) string {
	var parts []string
	for _, a := range t.AttachedPolicies {
		parts = append(parts, a.Name)
	}
	for _, p := range t.InlinePolicies {
		parts = append(parts, "inline "+p.Name)
	}
	what := "no boundary"
	if t.PermissionsBoundary != nil {
		what = "boundary " + classify.PolicyName(t.PermissionsBoundary.ARN) + " not in force in this account"
	}
	if len(parts) > 0 {
		return what + "; " + strings.Join(parts, ", ")
	}
	return what
}

func escBoundaryEdit() *Check {
	c := &Check{
		ID:       "PV-ESC-001",
		Title:    "Escalation: no provider role can edit a boundary policy",
		Severity: finding.Critical,
		Rationale: "A guardrail the guarded role can edit is no guardrail. CreatePolicyVersion (with --set-as-default), " +
			"SetDefaultPolicyVersion or DeletePolicyVersion on pennsieve-boundary-* lets the cross-account role " +
			"rewrite the ceiling of every role of a node, and with it everything the document promises.",
		Remediation: "Add to the cross-account role's inline policy: {\"Effect\": \"Deny\", \"Action\": [\"iam:CreatePolicyVersion\", " +
			"\"iam:SetDefaultPolicyVersion\", \"iam:DeletePolicyVersion\"], \"Resource\": \"arn:aws:iam::ACCOUNT:policy/pennsieve-boundary-*\"} " +
			"(aws iam put-role-policy). Boundary changes then go through the account owner.",
		Controls: escalationControls,
	}
	c.Run = func(env *Env) []finding.Finding {
		pols := env.boundaryPolicies()
		if len(pols) == 0 {
			return nil
		}
		// The same requests for every actor: built once.
		var reqs []request
		for _, p := range pols {
			users := env.rolesUsingBoundary(p.ARN)
			reqs = append(reqs, request{Action: "iam:*PolicyVersion", Resource: p.ARN, Keep: mutating, Key: "edit " + p.Name,
				Gains: fmt.Sprintf("rewrites the boundary of %d role(s) (%s): the cap becomes whatever it writes", len(users), listSome(users, 5))})
		}
		var out []finding.Finding
		for _, rc := range env.actors() {
			out = append(out, c.decideAll(env, rc.Role, reqs, fmt.Sprintf("cannot edit any of the %d boundary policies", len(pols)))...)
		}
		return out
	}
	return c
}

func escOwnBoundary() *Check {
	c := &Check{
		ID:       "PV-ESC-002",
		Title:    "Escalation: the boundary condition pins the account and the node boundaries",
		Severity: finding.Critical,
		Rationale: "A CreateRole deny conditioned on a name pattern (pennsieve-boundary-*) is satisfied by any policy " +
			"with that name: one the role writes itself with CreatePolicy, or one in another account. Either " +
			"gives a new role a ceiling of the provider's choosing.",
		Remediation: "Pin the condition to the exact boundary ARNs in this account: \"StringNotEquals\": {\"iam:PermissionsBoundary\": " +
			"[\"arn:aws:iam::ACCOUNT:policy/pennsieve-boundary-NODE1\", …]}, and deny iam:CreatePolicy on " +
			"arn:aws:iam::ACCOUNT:policy/pennsieve-boundary-* except through the account owner.",
		Controls: escalationControls,
	}
	c.Run = func(env *Env) []finding.Finding {
		pat := env.Contract.Boundary.NamePattern
		if pat == "" {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			acct := env.Account(r)
			existing := map[string]bool{}
			for _, p := range env.boundaryPolicies() {
				existing[p.ARN] = true
			}
			// Step 2, asked for every policy the role may create: may it
			// then give a role that policy as its boundary?
			usable := map[string]bool{}
			canUse := func(boundary string) bool {
				if v, ok := usable[boundary]; ok {
					return v
				}
				ans, err := env.ask(r, question{actions: []string{"iam:CreateRole", "iam:PutRolePermissionsBoundary"},
					resources: []string{roleARN(acct, "*")}, fixed: map[string][]string{"iam:PermissionsBoundary": {boundary}}})
				usable[boundary] = err == nil && len(ans.hits) > 0
				return usable[boundary]
			}
			// Step 1: a policy named like a boundary that does not exist yet
			// (or that the role may delete first) and that it may create.
			mayDelete := func(arn string) bool {
				ans, err := env.ask(r, question{actions: []string{"iam:DeletePolicy"}, resources: []string{arn}})
				return err == nil && len(ans.hits) > 0
			}
			// The names the role's boundary conditions tell apart (pins of
			// nodes not built yet among them) split the names it may create.
			var part []string
			for arn := range existing {
				part = append(part, arn)
			}
			if ev, err := env.Evaluator(r); err == nil {
				part = append(part, ev.c.ConditionValues("iam:PermissionsBoundary")...)
			}
			sort.Strings(part)
			reqs := []request{{Action: "iam:CreatePolicy", Resource: policyARN(acct, "*"), Key: "own-policy", Partition: append(part, policyARN(acct, pat), policyARN(acct, "*/"+pat)),
				Breaks: func(res string, _ *policy.Witness) bool {
					// Any policy it may write and then use as a boundary:
					// named like one or not, the ceiling is its own.
					if existing[res] && !mayDelete(res) {
						return false
					}
					return canUse(res)
				},
				Gains: "writes a policy, then gives a role that policy as its boundary: a ceiling of its own choosing"}}
			out = append(out, c.decideAll(env, r, reqs, "new roles can only get a boundary the role did not write itself")...)
		}
		return out
	}
	return c
}

func escAttachUnbounded() *Check {
	c := &Check{
		ID:       "PV-ESC-003",
		Title:    "Escalation: no provider role can put or attach policies on roles outside the boundary",
		Severity: finding.Critical,
		Rationale: "AttachRolePolicy or PutRolePolicy on a role without the boundary (an admin role, a child role that " +
			"lost its boundary) turns that role into whatever the provider writes, beyond any cap.",
		Remediation: "Scope the role's iam:AttachRolePolicy/PutRolePolicy with \"Condition\": {\"StringEquals\": " +
			"{\"iam:PermissionsBoundary\": \"arn:aws:iam::ACCOUNT:policy/pennsieve-boundary-NODE\"}}, and restore the " +
			"boundary of child roles that lack it (aws iam put-role-permissions-boundary). A role with no boundary " +
			"is in reach when nothing in the grant demands the boundary.",
		Controls: escalationControls,
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.actors() {
			self := rc.Role
			acct := env.Account(self)
			outside := func(res string, _ *policy.Witness) bool {
				if res == self.ARN {
					return false // its own policies: PV-GRD-003
				}
				t := env.roleByARN(res)
				return t == nil || !(env.boundedRole(t) || strings.HasPrefix(t.Path, "/aws-service-role/"))
			}
			// Any role that lacks a boundary, today or tomorrow: the grant
			// must itself demand the boundary.
			noBoundary := map[string]policy.KeyInfo{"iam:PermissionsBoundary": {Class: policy.KeyFixed}}
			reqs := []request{
				{Action: "iam:AttachRolePolicy", Resource: roleARN(acct, "*"), Keys: noBoundary, Breaks: outside, Key: "unconditioned attach",
					Gains: "gives a role that lacks the boundary any managed policy (the grant does not demand iam:PermissionsBoundary)"},
				{Action: "iam:PutRolePolicy", Resource: roleARN(acct, "*"), Keys: noBoundary, Breaks: outside, Key: "unconditioned put",
					Gains: "writes any inline policy on a role that lacks the boundary (the grant does not demand iam:PermissionsBoundary)"},
			}
			for _, t := range env.unboundedTargets(self) {
				if t.PermissionsBoundary == nil {
					continue // covered above
				}
				fixed := map[string][]string{"iam:PermissionsBoundary": {t.PermissionsBoundary.ARN}}
				gains := "gives " + t.Name + " (" + roleWorth(t) + ") any permission"
				reqs = append(reqs,
					request{Action: "iam:AttachRolePolicy", Resource: t.ARN, Fixed: fixed, Key: "attach " + t.Name, Gains: gains},
					request{Action: "iam:PutRolePolicy", Resource: t.ARN, Fixed: fixed, Key: "put " + t.Name, Gains: gains})
			}
			out = append(out, c.decideAll(env, self, reqs, "cannot change the policies of roles outside the boundary")...)
		}
		return out
	}
	return c
}

func escPassRoleUnbounded() *Check {
	c := &Check{
		ID:       "PV-ESC-004",
		Title:    "Escalation: no provider role can pass a role outside the boundary",
		Severity: finding.Critical,
		Rationale: "iam:PassRole on a role without the boundary lets the provider start a Lambda function, ECS task or " +
			"instance that runs as that role, with all of its permissions.",
		Remediation: "Limit iam:PassRole to the node's roles (Resource arn:aws:iam::ACCOUNT:role/pennsieve-NODE-*) with " +
			"\"Condition\": {\"StringEquals\": {\"iam:PassedToService\": [...]}}, and give every such role the boundary.",
		Controls: escalationControls,
	}
	c.Run = func(env *Env) []finding.Finding {
		// Only a service the role trusts can run as it: passing it
		// elsewhere gains nothing.
		type target struct {
			role     *inventory.Role
			services []string
		}
		var targets []target
		for _, t := range env.unboundedTargets(nil) {
			if t.TrustPolicy == nil {
				continue
			}
			if svcs := serviceGrants(t.TrustPolicy); len(svcs) > 0 {
				targets = append(targets, target{t, svcs})
			}
		}
		var out []finding.Finding
		for _, rc := range env.actors() {
			var reqs []request
			for _, t := range targets {
				if t.role.ARN == rc.Role.ARN {
					continue
				}
				svcs := t.services
				pq := passRoleTo(t.role.ARN, svcs)
				reqs = append(reqs, request{Action: "iam:PassRole", Resource: t.role.ARN, Key: "pass " + t.role.Name,
					Keys: pq.keys, Breaks: pq.breaks,
					Gains: "runs code on " + strings.Join(svcs, ", ") + " as " + t.role.Name + " (" + roleWorth(t.role) + ")"})
			}
			out = append(out, c.decideAll(env, rc.Role, reqs, "cannot pass roles outside the boundary")...)
		}
		return out
	}
	return c
}

func escPassRoleAnyService() *Check {
	c := &Check{
		ID:       "PV-ESC-005",
		Title:    "iam:PassRole is limited with iam:PassedToService",
		Severity: finding.Medium,
		Rationale: "Without iam:PassedToService, a role the provider may pass can be handed to any service, including " +
			"ones outside the documented list, which then act with that role.",
		Remediation: "Add \"Condition\": {\"StringEquals\": {\"iam:PassedToService\": [\"ecs-tasks.amazonaws.com\", " +
			"\"lambda.amazonaws.com\", \"states.amazonaws.com\", \"ec2.amazonaws.com\"]}} to every statement that allows iam:PassRole.",
		Controls: []finding.Control{nistAC6, nistCM7, hipaaAccessControl, nist171AC5, nist171CM7},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.actors() {
			r := rc.Role
			comp, err := env.Evaluator(r)
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			var passable, stmts []string
			unknown := false
			for i := range env.Snap.Roles {
				t := &env.Snap.Roles[i]
				if t.ARN == r.ARN {
					continue
				}
				res := comp.Evaluate(&policy.Request{Principal: r.ARN, Action: "iam:PassRole", Resource: t.ARN,
					Context: map[string][]string{"iam:PassedToService": {"pvaudit-probe.amazonaws.com"}}})
				if !res.Evaluable() {
					out = append(out, c.unevaluable(r.ARN, t.Name, "iam:PassRole of "+t.Name, res))
					unknown = true
					continue
				}
				if res.Decision == policy.Allow {
					passable = append(passable, t.Name)
					stmts = append(stmts, matchedStrings(res)...)
				}
			}
			slices.Sort(stmts)
			stmts = slices.Compact(stmts)
			switch {
			case len(passable) > 0:
				out = append(out, c.finding(finding.Fail, r.ARN, "",
					fmt.Sprintf("%s → iam:PassRole to any service → %d role(s) (%s) can be handed to services outside the document",
						r.Name, len(passable), strings.Join(passable, ", ")),
					map[string]any{"roles": passable, "deciding_statements": stmts}))
			case !unknown:
				out = append(out, c.finding(finding.Pass, r.ARN, "", "iam:PassRole, where allowed, is limited to named services", nil))
			}
		}
		return out
	}
	return c
}

func escOutsideTrust() *Check {
	c := &Check{
		ID:       "PV-ESC-006",
		Title:    "Escalation: no provider-created role trusts an outside account",
		Severity: finding.Critical,
		Rationale: "IAM has no condition key on the trust document of CreateRole, so a role that may create roles " +
			"can create one trusting any account. A child role, or any role other than the cross-account role, that " +
			"trusts an outside account (or the provisioner) is a second door: it bypasses the ExternalId, the 1-hour " +
			"promise and revocation by deleting the cross-account role.",
		Remediation: "Rewrite the role's trust to its AWS service principal (aws iam update-assume-role-policy), or delete " +
			"the role; find who created it in CloudTrail (CreateRole, UpdateAssumeRolePolicy).",
		Controls: []finding.Control{nistAC3, nistAC20, nistAC6, hipaaAccessControl, hipaaRiskMgmt, nist171AC20, nist171AC5},
	}
	c.Run = func(env *Env) []finding.Finding {
		if len(env.Class.Of(classify.CrossAccount)) == 0 && len(env.Class.Children()) == 0 {
			return nil
		}
		prov, _ := env.provisionerAccount()
		var out []finding.Finding
		for _, rc := range env.Roles {
			r := rc.Role
			if rc.Kind == classify.CrossAccount || r.TrustPolicy == nil {
				continue
			}
			if !rc.Kind.IsChild() && prov == "" {
				continue
			}
			acct := env.Account(r)
			// A child role may be assumed by AWS services and its own
			// account; any other role must not be assumable from the
			// provisioner's account.
			outside := func(p string) bool {
				if rc.Kind.IsChild() {
					return !isServicePrincipal(p) && principalAccount(p) != acct
				}
				return principalAccount(p) == prov
			}
			part := principalPartition("arn:aws:iam::" + acct + ":root")
			if prov != "" {
				part = append(part, principalPartition("arn:aws:iam::"+prov+":root")...)
			}
			t, err := policy.CompileTrust(r.Name, r.TrustPolicy)
			if err != nil {
				out = append(out, c.finding(finding.Error, r.ARN, "", "trust policy cannot be evaluated: "+err.Error(), nil))
				continue
			}
			var found *policy.Witness
			var unknown []string
			for _, action := range []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"} {
				a := t.Exists(&policy.Question{Action: action, Resource: r.ARN, PrincipalPartition: part, Now: env.Now, Cache: env.witnessCache(), KeyType: env.keyType, KeyMulti: env.keyMulti},
					func(w policy.Witness) bool { return w.Result.Decision == policy.Allow && outside(w.Principal) })
				switch a.Outcome() {
				case policy.Exists:
					found = a.Found
				case policy.Undecided:
					unknown = append(unknown, action+": "+a.Reason)
				}
				if found != nil {
					break
				}
			}
			ev := map[string]any{"role_kind": string(rc.Kind)}
			if prov != "" {
				ev["provisioner_account"] = prov
			}
			switch {
			case found != nil:
				ev["admitted"] = found.Principal
				if w := found.String(); w != "(no caller-chosen key)" {
					ev["with"] = w
				}
				ev["deciding_statements"] = matchedStrings(found.Result)
				var grants []string
				for _, g := range trustGrants(r.TrustPolicy) {
					grants = append(grants, g.String())
				}
				ev["outside_principals"] = grants
				out = append(out, c.finding(finding.Fail, r.ARN, "",
					fmt.Sprintf("%s → sts:AssumeRole on %s → a standing door outside the cross-account role's ExternalId, 1-hour limit and revocation",
						found.Principal, r.Name), ev))
			case len(unknown) > 0:
				out = append(out, c.finding(finding.NotEvaluated, r.ARN, "", "cannot decide who the trust admits: "+strings.Join(unknown, "; "), ev))
			case rc.Kind.IsChild():
				out = append(out, c.finding(finding.Pass, r.ARN, "", "trusts no outside account (every principal and caller-chosen value tried)", nil))
			}
		}
		return out
	}
	return c
}

// isServicePrincipal reports whether p is an AWS service principal
// (ecs-tasks.amazonaws.com). Web identity providers that take anyone's
// token (cognito-identity.amazonaws.com, accounts.google.com) are not.
func isServicePrincipal(p string) bool {
	p = strings.ToLower(p)
	if p == "cognito-identity.amazonaws.com" {
		return false
	}
	return strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazonaws.com.cn")
}

func escUpdateChildTrust() *Check {
	c := &Check{
		ID:       "PV-ESC-007",
		Title:    "Escalation: no provider role can rewrite a child role's trust",
		Severity: finding.Critical,
		Rationale: "UpdateAssumeRolePolicy on a child role lets the provider make it assumable from its own account, " +
			"a standing door that survives revocation of the cross-account role.",
		Remediation: "Remove iam:UpdateAssumeRolePolicy from the role's policies, or add an explicit Deny for it on " +
			"arn:aws:iam::ACCOUNT:role/* (aws iam put-role-policy). Terraform replaces roles whose trust changes.",
		Controls: escalationControls,
	}
	c.Run = func(env *Env) []finding.Finding {
		children := env.Class.Children()
		if len(children) == 0 {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.actors() {
			var reqs []request
			for _, ch := range children {
				if ch.Role.ARN == rc.Role.ARN {
					continue
				}
				reqs = append(reqs, request{Action: "iam:UpdateAssumeRolePolicy", Resource: ch.Role.ARN, Key: ch.Role.Name,
					Gains: "makes " + ch.Role.Name + " assumable from any account"})
			}
			out = append(out, c.decideAll(env, rc.Role, reqs, "cannot rewrite child roles' trust")...)
		}
		return out
	}
	return c
}

func escCodeOutsideBoundary() *Check {
	c := &Check{
		ID:       "PV-ESC-008",
		Title:    "Escalation: no provider role can change code or user data running as roles outside the boundary",
		Severity: finding.Critical,
		Rationale: "Updating an existing Lambda function's code, an instance's user data, or sending it SSM commands " +
			"runs the provider's code as that function's or instance's role, which the boundary does not cap.",
		Remediation: "Limit lambda:UpdateFunctionCode/UpdateFunctionConfiguration to arn:aws:lambda:*:ACCOUNT:function:pennsieve-*, " +
			"and deny ec2:ModifyInstanceAttribute and ssm:SendCommand unless aws:ResourceTag/pennsieve:compute-node is present.",
		Controls: escalationControls,
	}
	c.Run = func(env *Env) []finding.Finding {
		if len(env.Class.Of(classify.CrossAccount)) == 0 {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.actors() {
			acct := env.Account(rc.Role)
			var own []string
			for _, p := range env.Contract.ProviderResources.LambdaFunctions {
				if pat, err := contract.Expand(p, env.Vars(rc.Role, "")); err == nil {
					own = append(own, pat)
				}
			}
			notOwnFunction := func(res string, _ *policy.Witness) bool {
				return !slices.ContainsFunc(own, func(p string) bool { return contract.Glob(p, res) })
			}
			notOwnInstance := func(_ string, w *policy.Witness) bool {
				for _, k := range env.Contract.ProviderResources.InstanceTagKeys {
					if _, ok := chosenOK(w, "aws:ResourceTag/"+k); ok {
						return false
					}
				}
				return true
			}
			fn := "arn:aws:lambda:*:" + acct + ":function:*"
			inst := "arn:aws:ec2:*:" + acct + ":instance/*"
			reqs := []request{
				{Action: "lambda:UpdateFunctionCode", Resource: fn, Partition: own, Breaks: notOwnFunction, Key: "lambda code",
					Gains: "runs its code as the role of a function that is not the provider's"},
				{Action: "lambda:UpdateFunctionConfiguration", Resource: fn, Partition: own, Breaks: notOwnFunction, Key: "lambda configuration",
					Gains: "adds layers or environment to a function that is not the provider's"},
				{Action: "ec2:ModifyInstanceAttribute", Resource: inst, Breaks: notOwnInstance, Key: "instance user data",
					Gains: "rewrites the user data of an instance that is not the provider's (runs as its instance role at next start)"},
				{Action: "ssm:SendCommand", Resource: inst, Breaks: notOwnInstance, Key: "ssm command",
					Gains: "runs commands on an instance that is not the provider's, as its instance role"},
				{Action: "ssm:StartSession", Resource: inst, Breaks: notOwnInstance, Key: "ssm session",
					Gains: "opens a shell on an instance that is not the provider's, as its instance role"},
			}
			// Tagging a customer instance as the provider's lifts every deny
			// that spares provider instances: then the requests above pass.
			for _, k := range env.Contract.ProviderResources.InstanceTagKeys {
				k := k
				reqs = append(reqs, request{Action: "ec2:CreateTags", Resource: inst, Key: "tag flip " + k,
					Keys: map[string]policy.KeyInfo{"aws:RequestTag/" + k: {Present: true}, "aws:TagKeys": {Partition: []string{k}}},
					Breaks: func(res string, w *policy.Witness) bool {
						if _, creating := chosenOK(w, "ec2:CreateAction"); creating {
							return false // tagging a resource as it is created: the provider's own
						}
						return notOwnInstance(res, w) && sends(w, "aws:RequestTag/"+k, "") && sends(w, "aws:TagKeys", k)
					},
					Gains: "tags an instance that is not the provider's with " + k + ", which lifts the denies that spare the provider's instances"})
			}
			out = append(out, c.decideAll(env, rc.Role, reqs, "cannot change code running as roles outside the boundary")...)
		}
		return out
	}
	return c
}

// passRoleTo asks whether the role may pass role to one of the services
// (those its trust names): the service is the caller's choice and always
// present in the request, even under an Allow that does not test it.
func passRoleTo(role string, services []string) question {
	return question{actions: []string{"iam:PassRole"}, resources: []string{role},
		keys: map[string]policy.KeyInfo{"iam:PassedToService": {Partition: services, Present: true}},
		breaks: func(_ string, w *policy.Witness) bool {
			return slices.Contains(services, chosen(w, "iam:PassedToService"))
		}}
}

// serviceGrants lists the service principals a trust policy admits.
func serviceGrants(doc *policy.Document) []string {
	var out []string
	for _, g := range trustGrants(doc) {
		if g.Kind == "Service" && !slices.Contains(out, g.Value) {
			out = append(out, g.Value)
		}
	}
	sort.Strings(out)
	return out
}

// sends reports whether a witness request carries key (with value want
// among its values, when want is set). A key no policy tests is not in the
// witness: the caller may send it with any value, so it counts as sent.
func sends(w *policy.Witness, key, want string) bool {
	for _, c := range w.Chosen {
		if strings.EqualFold(c.Key, key) {
			if len(c.Values) == 0 {
				return false
			}
			return want == "" || slices.Contains(c.Values, want)
		}
	}
	return true
}
