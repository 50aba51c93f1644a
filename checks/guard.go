package checks

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/policy/catalog"
)

// request is one promise to ask the evaluator about, existentially: is
// there any action matching Action (a name or a glob, expanded over the
// whole catalogue), on any resource matching Resource (a glob; "*" or ""
// means any resource the action takes), with any value of the keys the
// caller chooses, that the role is allowed and that breaks the promise?
type request struct {
	Action   string
	Resource string
	// Keep narrows the actions (e.g. to those that change something).
	Keep func(*catalog.Action) bool
	// Fixed are facts of the request; Keys override the context model
	// (Partition patterns for a key the promise is about).
	Fixed map[string][]string
	Keys  map[string]policy.KeyInfo
	// Partition splits witness resources (the promise's own patterns).
	Partition []string
	// Breaks says whether an allowed request breaks the promise (nil:
	// every allowed request does).
	Breaks func(resource string, w *policy.Witness) bool
	// Key distinguishes findings of one check on one principal.
	Key string
	// Gains completes "who → action on resource → what it gains".
	Gains string
}

func (q request) question() question {
	out := question{actions: []string{q.Action}, keep: q.Keep, fixed: q.Fixed, keys: q.Keys, partition: q.Partition, breaks: q.Breaks}
	if q.Resource != "" && q.Resource != "*" {
		out.resources = []string{q.Resource}
	}
	return out
}

// decideAll asks every request as role r: one FAIL per request some
// request breaks (message "who → action on resource (with the values
// chosen) → gains"), NOT_EVALUATED per request that could not be decided,
// and one PASS when no request breaks its promise.
func (c *Check) decideAll(env *Env, r *inventory.Role, reqs []request, passMsg string) []finding.Finding {
	if _, err := env.Evaluator(r); err != nil {
		return []finding.Finding{c.evalError(r, err)}
	}
	var out []finding.Finding
	fails, actions := 0, 0
	for _, q := range reqs {
		ans, err := env.ask(r, q.question())
		if err != nil {
			return []finding.Finding{c.evalError(r, err)}
		}
		actions += ans.actions
		key := q.Key
		if key == "" {
			key = q.Action + " " + q.Resource
		}
		if len(ans.hits) > 0 {
			h := ans.hits[0]
			ev := map[string]any{"action": h.action.String(), "resource": h.resource, "allowed": hitEvidence(ans.hits),
				"deciding_statements": matchedStrings(h.witness.Result)}
			if n := len(ans.allHitActions()); n > 1 {
				ev["actions"] = listSomeSlice(ans.allHitActions(), 50)
				ev["action_count"] = n
			}
			msg := fmt.Sprintf("%s → %s → %s", r.Name, describeHit(h), q.Gains)
			if n := len(ans.allHitActions()); n > 1 {
				msg += fmt.Sprintf(" (and %d more action(s))", n-1)
			}
			out = append(out, c.finding(finding.Fail, r.ARN, key, msg, ev))
			fails++
			continue
		}
		if len(ans.unknown) > 0 {
			u := uniqStrings(ans.unknown)
			out = append(out, c.finding(finding.NotEvaluated, r.ARN, key,
				fmt.Sprintf("cannot decide %s on %s: %s", q.Action, shortARN(orAny(q.Resource)), listSome(u, 3)),
				map[string]any{"unevaluable": u}))
			fails++
		}
	}
	if fails == 0 {
		out = append(out, c.finding(finding.Pass, r.ARN, "",
			fmt.Sprintf("%s (%d promise(s), %d action(s) of the catalogue, every resource and caller-chosen value)", passMsg, len(reqs), actions), nil))
	}
	return out
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// mutating keeps the actions that change something (Write, Permissions
// management, Tagging, and actions the catalogue does not know).
func mutating(a *catalog.Action) bool { return a.Access().Mutating() }

// changesIAM keeps the IAM actions that change something, but PassRole
// (handing a role to a service is not changing it; PV-ESC-004 asks it).
func changesIAM(a *catalog.Action) bool {
	return mutating(a) && !strings.EqualFold(a.String(), "iam:PassRole")
}

// chosen returns the value a witness chose for a key ("" when absent).
func chosen(w *policy.Witness, key string) string {
	v, _ := chosenOK(w, key)
	return v
}

// chosenOK returns the value a witness chose for a key, and whether the key
// is present at all (a tag may be present with an empty value).
func chosenOK(w *policy.Witness, key string) (string, bool) {
	for k, v := range w.Context {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// promisedBoundary reports whether arn is a Pennsieve boundary of the
// account: in it, and named by the contract's boundary pattern.
func (e *Env) promisedBoundary(acct, arn string) bool {
	if arn == "" || inventory.AccountFromARN(arn) != acct || !strings.Contains(arn, ":policy/") {
		return false
	}
	_, ok := e.Contract.BoundaryNodeID(classify.PolicyName(arn))
	return ok
}

// boundaryKey is the context model of iam:PermissionsBoundary for
// promises about boundaries: caller-chosen, its witnesses split by the
// contract's boundary pattern in this account and by every boundary the
// account has, so a value inside the promise and one outside are both
// tried.
func (e *Env) boundaryKey(acct string) map[string]policy.KeyInfo {
	pat := e.Contract.Boundary.NamePattern
	if pat == "" {
		pat = "*"
	}
	pat = strings.Replace(pat, "*", "?*", 1) // a node identifier is not empty
	part := []string{policyARN(acct, pat), policyARN(acct, "*/"+pat)}
	for _, p := range e.boundaryPolicies() {
		part = append(part, p.ARN)
	}
	return map[string]policy.KeyInfo{"iam:PermissionsBoundary": {Partition: part}}
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
			reqs := []request{{Action: "iam:CreateRole", Resource: roleARN(acct, "*"), Key: "create-role",
				Keys: env.boundaryKey(acct),
				Breaks: func(_ string, w *policy.Witness) bool {
					return !env.promisedBoundary(acct, chosen(w, "iam:PermissionsBoundary"))
				},
				Gains: "a new role without a Pennsieve boundary (no cap on what it may be given)"}}
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
			reqs := []request{
				{Action: "iam:DeleteRolePermissionsBoundary", Resource: roleARN(acct, "*"), Key: "delete",
					Gains: "the role loses its boundary"},
				{Action: "iam:PutRolePermissionsBoundary", Resource: roleARN(acct, "*"), Key: "replace", Keys: env.boundaryKey(acct),
					Breaks: func(_ string, w *policy.Witness) bool {
						return !env.promisedBoundary(acct, chosen(w, "iam:PermissionsBoundary"))
					},
					Gains: "the role's boundary becomes a policy that is not a Pennsieve boundary"},
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
			reqs := []request{{Action: "iam:*", Resource: r.ARN, Key: "self", Keep: changesIAM,
				Gains: "changes itself: its policies, deny rules, trust, boundary, tags or session length"}}
			for _, a := range r.AttachedPolicies {
				if strings.Contains(a.ARN, ":iam::aws:policy/") {
					continue
				}
				reqs = append(reqs, request{Action: "iam:*", Resource: a.ARN, Key: "policy " + a.ARN, Keep: changesIAM,
					Gains: "rewrites a managed policy attached to itself"})
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
			var reqs []request
			for _, a := range env.Contract.Forbidden.UserAndKeyActions {
				reqs = append(reqs, request{Action: a, Key: a, Keep: mutating, Gains: "long-lived credentials or a standing way into your account"})
			}
			out = append(out, c.decideAll(env, rc.Role, reqs, "creating users, keys, passwords and identity providers is denied")...)
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
				reqs = append(reqs, request{Action: a, Key: a, Keep: mutating, Gains: "changes billing or account settings"})
			}
			out = append(out, c.decideAll(env, rc.Role, reqs, "billing and account settings are out of reach")...)
		}
		return out
	}
	return c
}

func guardResourceGrants() *Check {
	c := &Check{
		ID:       "PV-GRD-006",
		Title:    "Cross-account role cannot let an account in through resource policies, ACLs or grants",
		Severity: finding.High,
		Rationale: "\"Cannot persist access beyond the temporary credential window\": a bucket policy, ACL, key policy, KMS " +
			"grant, Lambda permission, secret or repository policy, or a shared snapshot or image written by the provider can " +
			"let its own (or any) account in for as long as the resource lives, after the cross-account role is deleted.",
		Remediation: "Add to the role's inline policy a Deny of the listed actions on \"*\" (aws iam put-role-policy); for " +
			"lambda:AddPermission deny it unless \"StringLike\": {\"lambda:Principal\": \"*.amazonaws.com\"}, for " +
			"kms:CreateGrant unless \"Bool\": {\"kms:GrantIsForAWSResource\": \"true\"}, for lambda function URLs unless " +
			"lambda:FunctionUrlAuthType is AWS_IAM.",
		Controls: []finding.Control{nistAC3, nistAC6, nistAC20, hipaaAccessControl, nist171AC20, nist171AC5},
	}
	c.Run = func(env *Env) []finding.Finding {
		if len(env.Contract.Forbidden.ResourceGrantActions) == 0 {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			var reqs []request
			for _, a := range env.Contract.Forbidden.ResourceGrantActions {
				reqs = append(reqs, request{Action: a, Key: a, Keep: mutating, Breaks: grantBreaks(a),
					Gains: "a way in for another account that outlives the cross-account role"})
			}
			out = append(out, c.decideAll(env, rc.Role, reqs, "resource policies, ACLs, grants and sharing are out of reach")...)
		}
		return out
	}
	return c
}

// grantBreaks says which allowed grants break the promise: every one but
// a Lambda permission for an AWS service, a KMS grant an AWS service makes
// for its own use, and a function URL that demands IAM authentication.
func grantBreaks(action string) func(string, *policy.Witness) bool {
	switch strings.ToLower(action) {
	case "lambda:addpermission":
		return func(_ string, w *policy.Witness) bool {
			p, ok := chosenOK(w, "lambda:Principal")
			return !ok || !isServicePrincipal(p)
		}
	case "kms:creategrant":
		return func(_ string, w *policy.Witness) bool {
			return !strings.EqualFold(chosen(w, "kms:GrantIsForAWSResource"), "true")
		}
	case "lambda:createfunctionurlconfig", "lambda:updatefunctionurlconfig":
		return func(_ string, w *policy.Witness) bool { return chosen(w, "lambda:FunctionUrlAuthType") != "AWS_IAM" }
	}
	return nil
}
