package baseline

import (
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/rules"
)

// Rule IDs of drift items.
const (
	RuleRoleAdded      = "DRIFT-001"
	RuleRoleRemoved    = "DRIFT-002"
	RuleTrust          = "DRIFT-003"
	RuleBoundary       = "DRIFT-004"
	RuleInline         = "DRIFT-005"
	RuleAttached       = "DRIFT-006"
	RulePolicyDocument = "DRIFT-007"
	RuleMaxSession     = "DRIFT-008"
	RulePathTags       = "DRIFT-009"
	RuleUser           = "DRIFT-010"
	RuleAccessKey      = "DRIFT-011"
	RulePolicyCreated  = "DRIFT-012"
	RuleUserPerms      = "DRIFT-013"
	RuleContract       = "DRIFT-014"
	RuleNotEvaluated   = "DRIFT-015"
)

func ctl(framework, id string) finding.Control { return finding.Control{Framework: framework, ID: id} }

var (
	cm2     = ctl("NIST-800-53r5", "CM-2")
	cm3     = ctl("NIST-800-53r5", "CM-3")
	cm6     = ctl("NIST-800-53r5", "CM-6")
	cm8     = ctl("NIST-800-53r5", "CM-8")
	ac2     = ctl("NIST-800-53r5", "AC-2")
	ac6     = ctl("NIST-800-53r5", "AC-6")
	au6     = ctl("NIST-800-53r5", "AU-6")
	ia5     = ctl("NIST-800-53r5", "IA-5")
	ca7     = ctl("NIST-800-53r5", "CA-7")
	hAudit  = ctl("HIPAA", "164.312(b)")
	hReview = ctl("HIPAA", "164.308(a)(1)(ii)(D)")
	hAccess = ctl("HIPAA", "164.312(a)(1)")
	hMgmt   = ctl("HIPAA", "164.308(a)(4)(ii)(B)")
	hEval   = ctl("HIPAA", "164.308(a)(8)")
	n341    = ctl("NIST-800-171r2", "3.4.1")
	n342    = ctl("NIST-800-171r2", "3.4.2")
	n343    = ctl("NIST-800-171r2", "3.4.3")
	n331    = ctl("NIST-800-171r2", "3.3.1")
	n315    = ctl("NIST-800-171r2", "3.1.5")
	n311    = ctl("NIST-800-171r2", "3.1.1")
	n352    = ctl("NIST-800-171r2", "3.5.2")
)

// changeControls apply to every drift item: a deviation from the approved
// baseline configuration, found by monitoring, for change control.
var changeControls = []finding.Control{cm2, cm3, cm6, au6, ca7, hAudit, hReview, hEval, n341, n342, n343, n331}

func with(extra ...finding.Control) []finding.Control {
	return append(append([]finding.Control{}, changeControls...), extra...)
}

const effectNote = "severity follows the effect: critical when the change newly allows an IAM mutation, an escalation " +
	"or forbidden action, trust by another account, or removes a boundary; info when it only narrows access"

var effectVariants = []rules.Variant{
	{Severity: finding.Critical, When: "newly allows an IAM mutation, escalation or forbidden action, or trust by another account"},
	{Severity: finding.High, When: "newly allows other writes, or the effect could not be fully evaluated"},
	{Severity: finding.Info, When: "it only narrows access"},
}

// Rules returns the drift rules for the rule registry.
func Rules() []rules.Rule {
	r := func(id, title string, sev finding.Severity, variants []rules.Variant, remediation string, ctls []finding.Control) rules.Rule {
		return rules.Rule{ID: id, Source: rules.SourceDrift, Title: title, Severity: sev, Variants: variants,
			Rationale: effectNote, Remediation: remediation, Controls: ctls}
	}
	approve := "If the change was approved, accept it: pvaudit baseline update --baseline FILE --accept FINGERPRINT; otherwise "
	return []rules.Rule{
		r(RuleRoleAdded, "Drift: a role was added", finding.Medium, effectVariants,
			approve+"find who created it (the item's CloudTrail events) and delete it: aws iam delete-role --role-name ROLE.", with(ac2, ac6, cm8, hAccess, hMgmt, n311, n315)),
		r(RuleRoleRemoved, "Drift: a role was removed or recreated", finding.Low, []rules.Variant{{Severity: finding.Medium, When: "recreated under the same name"}},
			approve+"restore it from the baseline's state (trust, policies, boundary) or confirm the provider removed it.", with(ac2, cm8, n311)),
		r(RuleTrust, "Drift: a role's trust policy changed (principals or conditions)", finding.Medium, effectVariants,
			approve+"restore the baseline's trust policy: aws iam update-assume-role-policy --role-name ROLE --policy-document file://trust.json (the item's before document).", with(ac2, ac6, hAccess, n311, n315)),
		r(RuleBoundary, "Drift: a role's permissions boundary was added, removed or replaced", finding.Medium,
			append([]rules.Variant{{Severity: finding.Critical, When: "the boundary was removed"}}, effectVariants...),
			approve+"put the baseline's boundary back: aws iam put-role-permissions-boundary --role-name ROLE --permissions-boundary ARN.", with(ac6, hAccess, n315)),
		r(RuleInline, "Drift: a role's inline policy was added, removed or changed", finding.Medium, effectVariants,
			approve+"restore the baseline's document: aws iam put-role-policy --role-name ROLE --policy-name NAME --policy-document file://before.json, or delete the added policy.", with(ac6, hAccess, n315)),
		r(RuleAttached, "Drift: a managed policy was attached to or detached from a role", finding.Medium, effectVariants,
			approve+"detach what was attached (aws iam detach-role-policy --role-name ROLE --policy-arn ARN) or re-attach what was removed.", with(ac6, hAccess, n315)),
		r(RulePolicyDocument, "Drift: a managed policy's default version or document changed (boundary policies included)", finding.Medium,
			append(effectVariants, rules.Variant{Severity: finding.Low, When: "a new non-default version was staged"}),
			approve+"set the baseline's version back as default: aws iam set-default-policy-version --policy-arn ARN --version-id vN, and delete the new version.", with(ac6, hAccess, n315)),
		r(RuleMaxSession, "Drift: a role's MaxSessionDuration changed", finding.Medium, []rules.Variant{
			{Severity: finding.High, When: "the cross-account role now allows sessions longer than the contract promises"},
			{Severity: finding.Info, When: "it was shortened"}},
			approve+"restore it: aws iam update-role --role-name ROLE --max-session-duration SECONDS.", with(ac2, hAccess, n311)),
		r(RulePathTags, "Drift: a role's path or tags changed", finding.Low, []rules.Variant{{Severity: finding.Medium, When: "the role's classification changed with it"}},
			approve+"restore the tags (aws iam tag-role / untag-role); a path change means the role was recreated.", with(cm8)),
		r(RuleUser, "Drift: an IAM user was added, removed or recreated", finding.High, []rules.Variant{
			{Severity: finding.Critical, When: "created under the provider's cross-account session"},
			{Severity: finding.Low, When: "removed"}},
			approve+"find who created it and delete it with its keys: aws iam delete-user --user-name USER (after removing keys, policies, groups).", with(ac2, ia5, hMgmt, n311, n352)),
		r(RuleAccessKey, "Drift: an access key was added or removed", finding.High, []rules.Variant{
			{Severity: finding.Critical, When: "created under the provider's cross-account session"},
			{Severity: finding.Info, When: "removed"}},
			approve+"deactivate and delete the key: aws iam update-access-key --user-name USER --access-key-id KEY --status Inactive; aws iam delete-access-key …", with(ac2, ia5, hMgmt, n311, n352)),
		r(RulePolicyCreated, "Drift: a customer managed policy was created or deleted", finding.Low, []rules.Variant{
			{Severity: finding.Medium, When: "its name matches the contract's boundary pattern"}},
			approve+"delete the policy if nobody approved it: aws iam delete-policy --policy-arn ARN.", with(cm8, n311)),
		r(RuleUserPerms, "Drift: an IAM user's or group's permissions changed", finding.Medium, effectVariants,
			approve+"restore the user's or group's policies and memberships from the baseline's state.", with(ac2, ac6, hAccess, n311, n315)),
		r(RuleContract, "Drift: the contract or its parameters differ from the baseline's", finding.Medium, nil,
			"Judge against the contract the baseline was approved with, or accept the new one: pvaudit baseline update --baseline FILE --accept DRIFT-014.", changeControls),
		r(RuleNotEvaluated, "Drift could not be evaluated: the baseline or the current account misses a part", finding.High, nil,
			"Give the reader the permissions it lacked (iam:GetAccountAuthorizationDetails, iam:ListRoles, iam:ListAccessKeys) or read live instead of from an AWS CLI export, then run drift again; save a new baseline from a complete read.", changeControls),
	}
}
