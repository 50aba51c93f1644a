package trail

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Expectations is what the contract promises about the provider's sessions,
// as plain data. The CLI fills it from the contract; DefaultExpectations
// holds the Pennsieve document's values.
type Expectations struct {
	// RolePatterns select the cross-account roles (globs on the role name).
	RolePatterns []string `json:"role_patterns"`
	// RoleRegexp also selects roles (a contract's name_pattern); a role is
	// selected when a glob or the expression matches its name.
	RoleRegexp *regexp.Regexp `json:"-"`
	// TrustedAccounts may assume the roles.
	TrustedAccounts []string `json:"trusted_accounts,omitempty"`
	// TrustedPrincipals may assume the roles: ARN globs, matched against the
	// caller's ARN and its session issuer (an assumed-role ARN matches the
	// role ARN it was issued by).
	TrustedPrincipals []string `json:"trusted_principals,omitempty"`
	// RequireExternalID: every AssumeRole must carry an ExternalId.
	RequireExternalID bool `json:"require_external_id"`
	// MaxSession is the promised credential lifetime.
	MaxSession time.Duration `json:"max_session"`
	// BoundaryPattern is the permissions boundary policy name glob that
	// every role the provider creates must carry.
	BoundaryPattern string `json:"boundary_pattern"`
	// AllowedServices are the documented services (event source prefixes:
	// "ecs" for ecs.amazonaws.com).
	AllowedServices []string `json:"allowed_services"`
}

// DefaultExpectations returns the promises of the Pennsieve cross-account
// access document. No trusted provisioner is known without a contract.
func DefaultExpectations() Expectations {
	return Expectations{
		RolePatterns:      []string{"Pennsieve-Compute-*"},
		RequireExternalID: false,
		MaxSession:        time.Hour,
		BoundaryPattern:   "pennsieve-boundary-*",
		AllowedServices: []string{
			"autoscaling", "dynamodb", "ec2", "ecs", "elasticfilesystem", "iam", "kms",
			"lambda", "logs", "s3", "secretsmanager", "ssm", "states", "sts",
		},
	}
}

// Validate reports unusable expectations.
func (e Expectations) Validate() error {
	if len(e.RolePatterns) == 0 && e.RoleRegexp == nil {
		return fmt.Errorf("trail expectations: no role pattern")
	}
	for _, p := range e.RolePatterns {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("trail expectations: empty role pattern")
		}
	}
	if e.MaxSession < 0 {
		return fmt.Errorf("trail expectations: negative max session %s", e.MaxSession)
	}
	return nil
}

// MatchRole reports whether a role name is one of the selected roles.
func (e Expectations) MatchRole(name string) bool {
	if name == "" {
		return false
	}
	for _, p := range e.RolePatterns {
		if glob(p, name) {
			return true
		}
	}
	return e.RoleRegexp != nil && e.RoleRegexp.MatchString(name)
}

// literals returns the byte strings at least one of which every record
// about a selected role contains: the longest literal run of each pattern.
// nil means no pre-filter is possible (a pattern is all wildcards).
func (e Expectations) literals() [][]byte {
	var out [][]byte
	for _, p := range e.RolePatterns {
		best := ""
		for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '*' || r == '?' }) {
			if len(part) > len(best) {
				best = part
			}
		}
		if len(best) < 3 {
			return nil
		}
		out = append(out, []byte(best))
	}
	if e.RoleRegexp != nil {
		// Every name the expression matches starts with its literal
		// prefix (anchored or not, the match contains it).
		prefix, _ := e.RoleRegexp.LiteralPrefix()
		if len(prefix) < 3 {
			return nil
		}
		out = append(out, []byte(prefix))
	}
	return out
}

func (e Expectations) serviceAllowed(service string) bool {
	return slices.Contains(e.AllowedServices, service)
}

func (e Expectations) boundaryOK(policyARN string) bool {
	if policyARN == "" {
		return false
	}
	name := policyARN
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return glob(e.BoundaryPattern, name)
}

// trust is the verdict on who assumed a role.
type trust int

const (
	trustUnknown trust = iota // no trusted provisioner configured
	trustYes
	trustNo
)

// trusted judges an assumer. A copy of a cross-account event logged in the
// role's account names only the caller's account; it is judged by account.
func (e Expectations) trusted(id Identity) (trust, string) {
	if len(e.TrustedAccounts) == 0 && len(e.TrustedPrincipals) == 0 {
		return trustUnknown, "no trusted provisioner is configured"
	}
	acct := id.AccountID
	if acct == "" {
		acct = AccountFromARN(id.ARN)
	}
	if id.Type == "AWSService" || (id.ARN == "" && id.InvokedBy != "") {
		for _, p := range e.TrustedPrincipals {
			if glob(p, id.InvokedBy) {
				return trustYes, "service " + id.InvokedBy + " is trusted"
			}
		}
		return trustNo, "assumed by the AWS service " + id.InvokedBy
	}
	if len(e.TrustedPrincipals) > 0 && (id.ARN != "" || id.IssuerARN != "") {
		for _, p := range e.TrustedPrincipals {
			// arn:aws:iam::A:root names every principal of account A, as
			// in a trust policy.
			if a, ok := accountRoot(p); ok && acct != "" && a == acct {
				return trustYes, "account " + a + " is trusted (" + p + ")"
			}
			for _, a := range []string{id.ARN, id.IssuerARN, assumedToRoleARN(id.ARN)} {
				if a != "" && (glob(p, a) || sameRole(p, a)) {
					return trustYes, "principal " + p + " is trusted"
				}
			}
		}
		return trustNo, "principal " + firstNonEmpty(id.ARN, id.IssuerARN) + " is not a trusted provisioner"
	}
	accounts := slices.Clone(e.TrustedAccounts)
	for _, p := range e.TrustedPrincipals {
		if a := AccountFromARN(p); a != "" {
			accounts = append(accounts, a)
		}
	}
	if acct != "" && slices.Contains(accounts, acct) {
		if len(e.TrustedPrincipals) > 0 {
			return trustYes, "account " + acct + " is trusted (this copy of the event does not name the principal)"
		}
		return trustYes, "account " + acct + " is trusted"
	}
	if acct == "" {
		return trustNo, "the assumer's account is not recorded"
	}
	return trustNo, "account " + acct + " is not a trusted provisioner account"
}

// accountRoot reports whether p names a whole account
// (arn:aws:iam::A:root, or a bare 12-digit account ID) and which.
func accountRoot(p string) (string, bool) {
	if len(p) == 12 && strings.Trim(p, "0123456789") == "" {
		return p, true
	}
	if strings.HasPrefix(p, "arn:") && strings.HasSuffix(p, ":root") {
		if a := AccountFromARN(p); a != "" && !strings.ContainsAny(a, "*?") {
			return a, true
		}
	}
	return "", false
}

// assumedToRoleARN maps arn:aws:sts::A:assumed-role/R/S to
// arn:aws:iam::A:role/R; "" for other ARNs.
func assumedToRoleARN(arn string) string {
	name := RoleNameFromARN(arn)
	if name == "" || !strings.Contains(arn, ":assumed-role/") {
		return ""
	}
	return "arn:aws:iam::" + AccountFromARN(arn) + ":role/" + name
}

// sameRole compares two role ARNs ignoring the role path, which
// assumed-role ARNs do not carry.
func sameRole(a, b string) bool {
	if !strings.Contains(a, ":role/") || !strings.Contains(b, ":role/") {
		return false
	}
	return AccountFromARN(a) == AccountFromARN(b) && RoleNameFromARN(a) != "" &&
		RoleNameFromARN(a) == RoleNameFromARN(b)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// glob matches s against a pattern where '*' matches any run of characters
// (including '/') and '?' one character. Matching is case-sensitive, as
// role names are in CloudTrail.
func glob(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
