package checks

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/rules"
)

func providerUsers() *Check {
	c := &Check{
		ID:       "PV-ACC-001",
		Title:    "No IAM users or access keys created for the provider",
		Severity: finding.High,
		Rationale: "The provider promises it \"does not store long-lived keys for your account\" and acts only through " +
			"temporary credentials. An IAM user for the provider, and worse an access key, is standing access that " +
			"survives deleting the cross-account role.",
		Remediation: "Deactivate and delete the keys, then the user: aws iam update-access-key --user-name USER " +
			"--access-key-id KEY --status Inactive; aws iam delete-access-key …; aws iam delete-user --user-name USER " +
			"(after removing its policies, groups and login profile).",
		Controls: []finding.Control{nistAC2, nistIA5, nistIA2, hipaaAccessMgmt, hipaaWorkforce, nist171AC1, nist171IA2},
	}
	c.Run = func(env *Env) []finding.Finding {
		rules := env.Contract.Account
		if len(rules.ProviderUserPatterns)+len(rules.ProviderUserPathPrefixes)+len(rules.ProviderUserTagKeys) == 0 {
			return nil
		}
		var out []finding.Finding
		groups := map[string]contract.GroupRef{}
		for _, g := range env.Snap.Groups {
			groups[g.Name] = contract.GroupRef{Name: g.Name, Path: g.Path}
		}
		for _, u := range env.Snap.Users {
			var refs []contract.GroupRef
			for _, name := range u.Groups {
				g, ok := groups[name]
				if !ok {
					g = contract.GroupRef{Name: name, Path: "/"}
				}
				refs = append(refs, g)
			}
			why, ok := rules.IsProviderUser(u.Name, u.Path, u.Tags, refs...)
			if !ok {
				continue
			}
			ev := map[string]any{"recognised_because": why}
			msg := "IAM user " + u.Name + " belongs to the provider (" + why + ")"
			if u.AccessKeys == nil {
				ev["access_keys"] = "not listed by this source"
				msg += "; its access keys are unknown (scan live to list them)"
			} else {
				var keys []string
				active := 0
				for _, k := range u.AccessKeys {
					keys = append(keys, k.ID+" "+k.Status)
					if strings.EqualFold(k.Status, "Active") {
						active++
					}
				}
				ev["access_keys"] = keys
				if len(keys) > 0 {
					msg += fmt.Sprintf(" with %d access key(s), %d active", len(keys), active)
				}
			}
			out = append(out, c.finding(finding.Fail, u.ARN, "", msg, ev))
		}
		if len(out) == 0 {
			status, msg := finding.Pass, fmt.Sprintf("none of the %d IAM users belongs to the provider", len(env.Snap.Users))
			if !env.Snap.Complete() {
				status, msg = finding.Error, "no provider IAM user found, but the user list may be incomplete"
			}
			out = append(out, c.finding(status, accountResource(env.Snap), "", msg, nil))
		}
		return out
	}
	return c
}

func legacyRoles() *Check {
	c := &Check{
		ID:       "PV-ACC-002",
		Title:    "No legacy provider roles (e.g. ROLE-<account>) remain",
		Severity: finding.High,
		Rationale: "Roles from an older integration, such as ROLE-<account> with * on *, are outside every promise of the " +
			"current document: no boundary, no deny rules, often trust in the provider's account.",
		Remediation: "Confirm with the provider that nothing uses it, then delete it: aws iam list-role-policies / " +
			"list-attached-role-policies, delete or detach each, aws iam delete-role --role-name ROLE.",
		Controls: []finding.Control{nistAC2, nistAC6, nistCM2, hipaaAccessMgmt, hipaaRiskMgmt, nist171AC1, nist171AC5},
		Variants: []rules.Variant{{Severity: finding.Critical, When: "the role is allowed * on *"}},
	}
	c.Run = func(env *Env) []finding.Finding {
		if len(env.Contract.Account.LegacyRolePatterns) == 0 {
			return nil
		}
		res, err := env.Contract.Account.LegacyRoleRE(env.Account(nil))
		if err != nil {
			return []finding.Finding{c.finding(finding.Error, accountResource(env.Snap), "", err.Error(), nil)}
		}
		var out []finding.Finding
		for _, rc := range env.Roles {
			r := rc.Role
			if rc.Kind == classify.CrossAccount {
				continue
			}
			matched := ""
			for i, re := range res {
				if re.MatchString(r.Name) {
					matched = env.Contract.Account.LegacyRolePatterns[i]
					break
				}
			}
			if matched == "" {
				continue
			}
			var trust []string
			if r.TrustPolicy != nil {
				for _, g := range trustGrants(r.TrustPolicy) {
					trust = append(trust, g.String())
				}
			}
			ev := map[string]any{"pattern": matched, "trust_principals": trust}
			sev := c.Severity
			what := ""
			dec, derr := env.decide(r, "pvauditprobe:AnyAction", "arn:aws:pvauditprobe:us-east-1:"+env.Account(r)+":anything", nil)
			switch {
			case derr != nil:
				ev["evaluator_error"] = derr.Error()
				what = "; its permissions cannot be evaluated"
			case !dec.Evaluable():
				ev["unevaluable"] = dec.Unevaluable
			case dec.Decision == policy.Allow:
				sev = finding.Critical
				what = "; it is allowed * on * (" + strings.Join(matchedStrings(dec), ", ") + ")"
				ev["deciding_statements"] = matchedStrings(dec)
			}
			f := c.finding(finding.Fail, r.ARN, "", fmt.Sprintf("legacy provider role %s is still present (trusts %s)%s", r.Name, strings.Join(trust, ", "), what), ev)
			f.Severity = sev
			out = append(out, f)
		}
		if len(out) == 0 {
			out = append(out, c.finding(finding.Pass, accountResource(env.Snap), "", "no legacy provider role", nil))
		}
		return out
	}
	return c
}
