package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/policy/catalog"
)

// outsiderAccount is an account that is neither the scanned account nor the
// provisioner; probes use it to ask "could anyone else …?".
const outsiderAccount = "999999999999"

// trustGrant is one principal a trust policy's Allow statements name for
// an sts:AssumeRole* action.
type trustGrant struct {
	Kind  string // AWS, Service, Federated, CanonicalUser, * (wildcard), NotPrincipal
	Value string
	Sid   string
}

func (g trustGrant) String() string {
	if g.Kind == "*" {
		return "*"
	}
	return g.Kind + ":" + g.Value
}

// trustGrants lists the principals of a trust policy's Allow statements.
func trustGrants(doc *policy.Document) []trustGrant {
	var out []trustGrant
	for i, st := range doc.Statements {
		if st.Effect != policy.EffectAllow {
			continue
		}
		if !actionListCovers(st, "sts:AssumeRole") && !actionListCovers(st, "sts:AssumeRoleWithWebIdentity") && !actionListCovers(st, "sts:AssumeRoleWithSAML") {
			continue
		}
		sid := st.Label(i)
		if st.NotPrincipal != nil {
			out = append(out, trustGrant{Kind: "NotPrincipal", Value: strings.Join(st.NotPrincipal.Values(), ","), Sid: sid})
			continue
		}
		p := st.Principal
		if p == nil {
			continue
		}
		if p.Wildcard {
			out = append(out, trustGrant{Kind: "*", Sid: sid})
			continue
		}
		for _, v := range p.AWS {
			k := "AWS"
			if v == "*" {
				k = "*"
			}
			out = append(out, trustGrant{Kind: k, Value: v, Sid: sid})
		}
		for _, v := range p.Service {
			out = append(out, trustGrant{Kind: "Service", Value: v, Sid: sid})
		}
		for _, v := range p.Federated {
			out = append(out, trustGrant{Kind: "Federated", Value: v, Sid: sid})
		}
		for _, v := range p.CanonicalUser {
			out = append(out, trustGrant{Kind: "CanonicalUser", Value: v, Sid: sid})
		}
	}
	return out
}

// actionListCovers reports whether a statement's Action/NotAction covers a
// concrete action.
func actionListCovers(st policy.Statement, action string) bool {
	if st.NotAction != nil {
		for _, a := range st.NotAction {
			if contract.Glob(strings.ToLower(a), strings.ToLower(action)) {
				return false
			}
		}
		return true
	}
	for _, a := range st.Action {
		if contract.Glob(strings.ToLower(a), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// principalAccount returns the account of an AWS principal value (account
// ID or ARN), or "".
func principalAccount(v string) string {
	if len(v) == 12 && strings.Trim(v, "0123456789") == "" {
		return v
	}
	return inventory.AccountFromARN(v)
}

// expectedProvisioners expands the contract's trusted principals; entries
// whose parameters are unset are dropped.
func (e *Env) expectedProvisioners(r *inventory.Role) []string {
	var out []string
	for _, t := range e.Contract.CrossAccountRole.TrustedPrincipals {
		if v, err := contract.Expand(t, e.Vars(r, "")); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// provisionerAccount returns the configured provisioner account, or the
// single outside account the cross-account roles trust ("learned").
func (e *Env) provisionerAccount() (acct string, learned bool) {
	if a := e.Contract.Parameters.ProvisionerAccountID; a != "" {
		return a, false
	}
	set := map[string]bool{}
	for _, rc := range e.Class.Of(classify.CrossAccount) {
		if rc.Role.TrustPolicy == nil {
			continue
		}
		for _, g := range trustGrants(rc.Role.TrustPolicy) {
			if g.Kind == "AWS" {
				if a := principalAccount(g.Value); a != "" && a != e.Account(rc.Role) {
					set[a] = true
				}
			}
		}
	}
	if len(set) == 1 {
		for a := range set {
			return a, true
		}
	}
	return "", true
}

func trustPrincipals() *Check {
	c := &Check{
		ID:       "PV-XAR-002",
		Title:    "Cross-account role trusts only the provisioner principal",
		Severity: finding.Critical,
		Rationale: "The document says the role trusts the Pennsieve provisioner account, nothing else. A wildcard, " +
			"a second account, a service or a federated principal in the trust policy lets someone other than the " +
			"provisioner take the role and everything it can do.",
		Remediation: "Rewrite the trust policy to name only the provisioner: aws iam update-assume-role-policy " +
			"--role-name ROLE --policy-document file://trust.json, where trust.json allows only " +
			"arn:aws:iam::PROVISIONER:root with a StringEquals sts:ExternalId condition.",
		Controls: []finding.Control{nistAC3, nistAC20, nistIA2, hipaaAccessControl, hipaaAuthn, nist171AC1, nist171AC20},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			if r.TrustPolicy == nil {
				out = append(out, c.finding(finding.Error, r.ARN, "", "the snapshot has no trust policy for the role", nil))
				continue
			}
			grants := trustGrants(r.TrustPolicy)
			var strs []string
			accounts := map[string]bool{}
			for _, g := range grants {
				strs = append(strs, g.String())
				if g.Kind == "AWS" {
					accounts[principalAccount(g.Value)] = true
				}
			}
			ev := map[string]any{"trust_principals": strs}
			prov, learned := env.provisionerAccount()
			expected := env.expectedProvisioners(r)
			if len(expected) == 0 && prov != "" {
				expected = []string{"arn:aws:iam::" + prov + ":root"}
			}
			if len(expected) > 0 {
				ev["expected_principals"] = expected
			}
			if learned && prov != "" {
				ev["provisioner_account_learned"] = prov
			}
			if len(grants) == 0 {
				out = append(out, c.finding(finding.Warn, r.ARN, "", "the trust policy allows no principal to assume the role", ev))
				continue
			}
			if len(expected) == 0 {
				ev["accounts"] = sortedKeys(accounts)
				out = append(out, c.finding(finding.Fail, r.ARN, "",
					fmt.Sprintf("trusts %d accounts and no provisioner is configured; the document names one provisioner (pin it with --provisioner-account)", len(accounts)), ev))
				continue
			}
			// Is there any caller, other than the provisioner, that the
			// trust admits under some context?
			t, err := policy.CompileTrust(r.Name, r.TrustPolicy)
			if err != nil {
				out = append(out, c.finding(finding.Error, r.ARN, "", "trust policy cannot be evaluated: "+err.Error(), ev))
				continue
			}
			var part []string
			for _, e := range expected {
				part = append(part, principalPartition(e)...)
			}
			var found *policy.Witness
			var unknown []string
			for _, action := range []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"} {
				a := t.Exists(&policy.Question{Action: action, Resource: r.ARN, PrincipalPartition: part, Now: env.Now, Cache: env.witnessCache(), KeyType: env.keyType, KeyMulti: env.keyMulti},
					func(w policy.Witness) bool {
						return w.Result.Decision == policy.Allow && !slices.ContainsFunc(expected, func(e string) bool { return principalCovers(e, w.Principal) })
					})
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
			switch {
			case found != nil:
				ev["admitted"] = found.Principal
				if s := found.String(); s != "(no caller-chosen key)" {
					ev["with"] = s
				}
				ev["deciding_statements"] = matchedStrings(found.Result)
				out = append(out, c.finding(finding.Fail, r.ARN, "",
					fmt.Sprintf("trust admits more than the provisioner: %s can assume the role (%s)", found.Principal, found.String()), ev))
			case len(unknown) > 0:
				out = append(out, c.finding(finding.NotEvaluated, r.ARN, "", "cannot decide who the trust admits: "+strings.Join(unknown, "; "), ev))
			default:
				msg := "admits only " + strings.Join(expected, ", ") + " (every principal and caller-chosen value tried)"
				if learned {
					msg += " (provisioner account learned from the trust; pin it with --provisioner-account)"
				}
				out = append(out, c.finding(finding.Pass, r.ARN, "", msg, ev))
			}
		}
		return out
	}
	return c
}

func trustExternalID() *Check {
	c := &Check{
		ID:       "PV-XAR-003",
		Title:    "Cross-account role's trust requires the sts:ExternalId",
		Severity: finding.High,
		Rationale: "Without an external ID condition, anyone who can make the provisioner's account assume roles on " +
			"their behalf (the confused-deputy problem) can reach this account. The condition must demand one exact " +
			"value; a wildcard value demands nothing.",
		Remediation: "Add to the trust statement: \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<the external ID " +
			"the provider gave you>\"}} and apply it with aws iam update-assume-role-policy --role-name ROLE " +
			"--policy-document file://trust.json.",
		Controls: []finding.Control{nistIA2, nistAC3, nistAC20, hipaaAuthn, hipaaAccessControl, nist171IA2, nist171AC20},
	}
	c.Run = func(env *Env) []finding.Finding {
		if !env.Contract.CrossAccountRole.RequireExternalID {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			if r.TrustPolicy == nil {
				out = append(out, c.finding(finding.Error, r.ARN, "", "the snapshot has no trust policy for the role", nil))
				continue
			}
			t, err := policy.CompileTrust(r.Name, r.TrustPolicy)
			if err != nil {
				out = append(out, c.finding(finding.Error, r.ARN, "", "trust policy cannot be evaluated: "+err.Error(), nil))
				continue
			}
			want := env.Contract.Parameters.ExternalID
			ev := map[string]any{}
			if want != "" {
				ev["required_external_id"] = want
			}
			// Without a configured value, the trust must at least demand
			// one of the exact values it names (a pattern demands nothing).
			exact := t.ConditionValues("sts:ExternalId")
			ok := func(id string, present bool) bool {
				switch {
				case !present:
					return false
				case want != "":
					return id == want
				}
				return slices.Contains(exact, id) && !strings.ContainsAny(id, "*?")
			}
			keys := map[string]policy.KeyInfo{"sts:ExternalId": {Partition: append([]string{want}, exact...)}}
			var found *policy.Witness
			var unknown []string
			for _, action := range []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"} {
				a := t.Exists(&policy.Question{Action: action, Resource: r.ARN, Keys: keys, Now: env.Now, Cache: env.witnessCache(), KeyType: env.keyType, KeyMulti: env.keyMulti},
					func(w policy.Witness) bool {
						id, present := chosenOK(&w, "sts:ExternalId")
						return w.Result.Decision == policy.Allow && !ok(id, present)
					})
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
			var problems []string
			if found != nil {
				id, present := chosenOK(found, "sts:ExternalId")
				what := "no external ID"
				if present {
					what = fmt.Sprintf("the external ID %q", id)
				}
				problems = append(problems, fmt.Sprintf("%s can assume the role with %s (%s)", found.Principal, what, found.String()))
				ev["deciding_statements"] = matchedStrings(found.Result)
			}
			// And the provider itself must get in with the configured value.
			if prov, _ := env.provisionerAccount(); want != "" && prov != "" {
				res, err := policy.TrustAllows(r.TrustPolicy, "arn:aws:iam::"+prov+":root", map[string][]string{"sts:ExternalId": {want}})
				if err == nil && res.Evaluable() && res.Decision != policy.Allow {
					problems = append(problems, "the provisioner cannot assume the role with the required external ID "+want)
				}
			}
			switch {
			case len(problems) > 0:
				ev["problems"] = problems
				out = append(out, c.finding(finding.Fail, r.ARN, "", strings.Join(problems, "; "), ev))
			case len(unknown) > 0:
				out = append(out, c.finding(finding.NotEvaluated, r.ARN, "", "cannot decide whether every way in demands the external ID: "+strings.Join(unknown, "; "), ev))
			default:
				msg := "every caller the trust admits must present the external ID (every caller-chosen value tried)"
				if want == "" {
					msg += " (value not configured; pin it with --required-external-id)"
				}
				out = append(out, c.finding(finding.Pass, r.ARN, "", msg, ev))
			}
		}
		return out
	}
	return c
}

func sessionDuration() *Check {
	c := &Check{
		ID:       "PV-XAR-004",
		Title:    "Cross-account role's maximum session is at most the promised 1 hour",
		Severity: finding.High,
		Rationale: "The document promises temporary credentials valid for up to 1 hour. A longer MaxSessionDuration " +
			"lets a provider session, or a stolen one, outlive that promise.",
		Remediation: "aws iam update-role --role-name ROLE --max-session-duration 3600",
		Controls:    []finding.Control{nistAC12, nistAC2, hipaaAutoLogoff, nist171AC11},
	}
	c.Run = func(env *Env) []finding.Finding {
		max := env.Contract.CrossAccountRole.MaxSessionDuration
		if max == 0 {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			ev := map[string]any{"max_session_duration": r.MaxSessionDuration, "promised": max}
			switch {
			case r.MaxSessionDuration == 0:
				out = append(out, c.finding(finding.Error, r.ARN, "",
					"the source does not say the role's MaxSessionDuration (an AWS CLI export lacks it; merge `aws iam list-roles` or scan live)", ev))
			case r.MaxSessionDuration > max:
				out = append(out, c.finding(finding.Fail, r.ARN, "",
					fmt.Sprintf("MaxSessionDuration is %d s (%s), above the promised %d s", r.MaxSessionDuration, hours(r.MaxSessionDuration), max), ev))
			default:
				out = append(out, c.finding(finding.Pass, r.ARN, "",
					fmt.Sprintf("MaxSessionDuration %d s", r.MaxSessionDuration), ev))
			}
		}
		return out
	}
	return c
}

func hours(s int) string {
	if s%3600 == 0 {
		return fmt.Sprintf("%d h", s/3600)
	}
	return fmt.Sprintf("%.1f h", float64(s)/3600)
}

func managedPolicies() *Check {
	c := &Check{
		ID:       "PV-XAR-005",
		Title:    "No managed policy widens the cross-account role",
		Severity: finding.Critical,
		Rationale: "The document describes the role's permissions as its inline policy. A managed policy such as " +
			"AdministratorAccess attached beside it adds permissions no deny rule anticipated.",
		Remediation: "Detach it: aws iam detach-role-policy --role-name ROLE --policy-arn POLICY_ARN",
		Controls:    []finding.Control{nistAC6, nistCM5, hipaaAccessControl, nist171AC5, nist171CM5},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			if len(r.AttachedPolicies) == 0 {
				out = append(out, c.finding(finding.Pass, r.ARN, "", "no managed policies attached", nil))
				continue
			}
			for _, a := range r.AttachedPolicies {
				ev := map[string]any{"policy_arn": a.ARN}
				if slices.Contains(env.Contract.CrossAccountRole.ForbiddenManagedPolicies, a.ARN) {
					out = append(out, c.finding(finding.Fail, r.ARN, a.ARN,
						fmt.Sprintf("%s is attached; the document's limits no longer hold", a.Name), ev))
					continue
				}
				doc, err := env.Snap.DefaultPolicyDocument(a.ARN)
				if err != nil {
					out = append(out, c.finding(finding.Error, r.ARN, a.ARN, "cannot read attached policy: "+err.Error(), ev))
					continue
				}
				extra, unknown, err := docServicesOutside(env, r, a.ARN, doc)
				switch {
				case err != nil:
					out = append(out, c.finding(finding.Error, r.ARN, a.ARN, err.Error(), ev))
				case len(unknown) > 0:
					out = append(out, c.finding(finding.NotEvaluated, r.ARN, a.ARN, "cannot decide what "+a.Name+" grants: "+strings.Join(unknown, "; "), ev))
				case len(extra) > 0:
					ev["services_outside_document"] = extra
					out = append(out, c.finding(finding.Fail, r.ARN, a.ARN,
						fmt.Sprintf("%s grants services the document does not list: %s", a.Name, strings.Join(extra, ", ")), ev))
				default:
					out = append(out, c.finding(finding.Pass, r.ARN, a.ARN, a.Name+" stays within the documented services", ev))
				}
			}
		}
		return out
	}
	return c
}

// docServicesOutside evaluates one document on its own, as role r's only
// policy, and returns the services outside the contract it allows: every
// action of the catalogue its patterns can match is asked, with the
// caller's context open (a time window or a tag the caller sets does not
// hide a grant).
func docServicesOutside(env *Env, r *inventory.Role, name string, doc *policy.Document) (extra, unknown []string, err error) {
	comp, err := policy.Compile(policy.PolicySet{Identity: []policy.NamedPolicy{{Name: name, Doc: doc}}})
	if err != nil {
		return nil, nil, fmt.Errorf("compile %s: %w", name, err)
	}
	ans, err := env.askWith(r, &RoleEvaluator{c: comp, account: env.Account(r), now: env.Now}, question{actions: []string{"*"}, keep: func(a *catalog.Action) bool {
		_, ok := env.Contract.AllowsService(a.Service())
		return !ok
	}})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	set := map[string]bool{}
	for _, h := range ans.hits {
		set[serviceOf(h)] = true
	}
	if len(set) == 0 {
		unknown = ans.unknown
	}
	return sortedKeys(set), unknown, nil
}

func effectiveServices() *Check {
	c := &Check{
		ID:       "PV-XAR-006",
		Title:    "Cross-account role's effective permissions stay within the documented services",
		Severity: finding.High,
		Rationale: "The document lists the services the provider uses and says the role cannot access any other " +
			"(e.g. RDS, SQS, SNS, Route 53, CloudFront). Each service the role can in fact use beyond the list is a " +
			"broken promise, decided by evaluating the role's policies, not by reading them.",
		Remediation: "Remove the service from the role's inline policy (aws iam put-role-policy --role-name ROLE " +
			"--policy-name POLICY --policy-document file://fixed.json), or add an explicit Deny for it.",
		Controls: []finding.Control{nistAC6, nistCM7, hipaaAccessControl, nist171AC5, nist171CM7},
	}
	c.Run = func(env *Env) []finding.Finding {
		if len(env.Contract.AllowedServices) == 0 {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			ans, err := env.ask(r, question{actions: []string{"*"}, keep: func(a *catalog.Action) bool {
				_, ok := env.Contract.AllowsService(a.Service())
				return !ok
			}})
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			out = append(out, c.report(r, ans, serviceOf, func(svc string, hs []hit) string {
				verb := "which the document does not list"
				if slices.Contains(env.Contract.Forbidden.Services, svc) {
					verb = "which the document says it cannot access"
				}
				return fmt.Sprintf("can use %s, %s: %s", svc, verb, countPhrase(hs))
			}, fmt.Sprintf("no service outside the documented %d can be used", len(env.Contract.AllowedServices)))...)
		}
		return out
	}
	return c
}

func otherAccounts() *Check {
	c := &Check{
		ID:       "PV-XAR-007",
		Title:    "Cross-account role cannot reach resources in other AWS accounts",
		Severity: finding.High,
		Rationale: "\"The cross-account role cannot access resources in other AWS accounts.\" Allowing s3:PutObject, " +
			"lambda:InvokeFunction or sts:AssumeRole on another account's resources lets data leave this account " +
			"through the provider's credentials (the other account's resource policy is then the only gate).",
		Remediation: "Add to the role's inline policy: {\"Effect\": \"Deny\", \"Action\": [\"s3:*\", \"lambda:*\", \"kms:*\", \"secretsmanager:*\", " +
			"\"dynamodb:*\", \"states:*\", \"ecs:*\", \"logs:*\", \"sts:*\"], \"Resource\": \"*\", \"Condition\": {\"StringNotEquals\": " +
			"{\"aws:ResourceAccount\": \"ACCOUNT\"}, \"Null\": {\"aws:ResourceAccount\": \"false\"}}} (aws iam put-role-policy).",
		Controls: []finding.Control{nistAC3, nistAC4, nistAC20, nistSC7, hipaaAccessControl, hipaaTransmission, nist171AC20, nist171AC3, nist171SC1},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			r := rc.Role
			acct := env.Account(r)
			part := []string{"arn:*:*:*:" + acct + ":*"}
			if prov, _ := env.provisionerAccount(); prov != "" && prov != acct {
				part = append(part, "arn:*:*:*:"+prov+":*")
			}
			ans, err := env.ask(r, question{actions: []string{"*"}, partition: part,
				keys: map[string]policy.KeyInfo{"aws:ResourceAccount": {Partition: []string{acct}}},
				breaks: func(res string, w *policy.Witness) bool {
					if launchSource(res) {
						return false
					}
					owner := inventory.AccountFromARN(res)
					if owner == "" {
						owner = chosen(w, "aws:ResourceAccount")
					}
					return owner != "" && owner != "aws" && owner != acct
				}})
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			out = append(out, c.report(r, ans, serviceOf, func(svc string, hs []hit) string {
				return fmt.Sprintf("%s → reaches %s resources in another account (%s) → data leaves this account through the provider's credentials",
					r.Name, svc, countPhrase(hs))
			}, "resources in other accounts are out of reach")...)
		}
		return out
	}
	return c
}

// launchSource reports whether res is what an instance launches from: an
// EC2 image or snapshot. AMIs and the snapshots behind them are routinely
// public or shared by AWS and vendors, and their ARNs name no account, so
// they are not counted as another account's resources (README: what
// pvaudit does not claim).
func launchSource(res string) bool {
	return strings.HasPrefix(res, "arn:aws:ec2:") && (strings.Contains(res, "::image/") || strings.Contains(res, "::snapshot/"))
}

// principalPartition are the principal patterns that tell a caller covered
// by e (an account root covers the account's every principal) from others.
func principalPartition(e string) []string {
	if acct, ok := strings.CutSuffix(strings.TrimPrefix(e, "arn:aws:iam::"), ":root"); ok && len(acct) == 12 {
		return []string{acct, "arn:aws:iam::" + acct + ":*", "arn:aws:sts::" + acct + ":*"}
	}
	return []string{e}
}

// principalCovers reports whether caller is covered by e: the same
// principal, a session of the same role, or any principal of e's account
// when e is the account's root.
func principalCovers(e, caller string) bool {
	if acct, ok := strings.CutSuffix(strings.TrimPrefix(e, "arn:aws:iam::"), ":root"); ok && len(acct) == 12 {
		return caller == acct || principalAccount(caller) == acct
	}
	if caller == e {
		return true
	}
	// arn:aws:sts::A:assumed-role/R/S is a session of arn:aws:iam::A:role/R.
	if rest, ok := strings.CutPrefix(caller, "arn:aws:sts::"); ok {
		acct, path, _ := strings.Cut(rest, ":assumed-role/")
		role, _, _ := strings.Cut(path, "/")
		return e == "arn:aws:iam::"+acct+":role/"+role
	}
	return false
}
