package inventory

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/internal/strictjson"
)

// IAM's limits and formats the readers hold input to.
const (
	// MinSessionDuration and MaxSessionDurationLimit bound a role's
	// MaxSessionDuration (IAM CreateRole/UpdateRole: 3,600 to 43,200
	// seconds).
	MinSessionDuration      = 3600
	MaxSessionDurationLimit = 43200
)

// keyNames are the JSON keys of one format, so that an error can point at
// the offending value.
type keyNames struct {
	name, arn, path, id, maxSession, boundary, attached, attachedARN, versions, versionID, accessKeys, accessKeyID, status string
}

// The keys of pvaudit's own format and of the AWS CLI's output. Read-only
// tables.
var (
	ownKeys = keyNames{name: "name", arn: "arn", path: "path", id: "id", maxSession: "max_session_duration",
		boundary: "permissions_boundary", attached: "attached_policies", attachedARN: "arn", versions: "versions",
		versionID: "version_id", accessKeys: "access_keys", accessKeyID: "id", status: "status"}
	cliKeys = keyNames{arn: "Arn", path: "Path", maxSession: "MaxSessionDuration", boundary: "PermissionsBoundary",
		attached: "AttachedManagedPolicies", attachedARN: "PolicyArn", versions: "PolicyVersionList", versionID: "VersionId",
		accessKeys: "AccessKeyMetadata", accessKeyID: "AccessKeyId", status: "Status"}
)

// validator checks what the shapes cannot: ARNs and IDs of the right kind
// and account, IAM's ranges, names given once. IAM names are unique
// regardless of case, so "Admin" and "admin" are the same role.
type validator struct {
	d       *decoder
	account string // expected account; "" until the first ARN (AWS CLI output)
	acctOff int64
	roles   map[string]bool
	users   map[string]bool
	groups  map[string]bool
	pols    map[string]bool
}

func (d *decoder) validator(account string) *validator {
	return &validator{d: d, account: account, roles: map[string]bool{}, users: map[string]bool{}, groups: map[string]bool{}, pols: map[string]bool{}}
}

func (v *validator) fail(el strictjson.Value, key, where, format string, args ...any) error {
	off := el.Offset()
	if key != "" {
		off = at(el, key)
	}
	return v.d.errAt(off, where, fmt.Errorf(format, args...))
}

func (v *validator) role(r *Role, el strictjson.Value, where string, k keyNames) error {
	if r.Name == "" || r.ARN == "" {
		return v.fail(el, "", where, "role has no name or ARN")
	}
	if err := v.principalARN(r.ARN, "role", r.Path, r.Name, el, where, k); err != nil {
		return err
	}
	if err := v.unique(v.roles, r.Name, "role", el, where, pick(k.name, "RoleName", k == cliKeys)); err != nil {
		return err
	}
	if err := v.id(r.ID, "AROA", "role", el, where, k); err != nil {
		return err
	}
	if mv := fieldValue(el, k.maxSession); mv.Kind() != strictjson.Invalid {
		if err := v.sessionDuration(mv, where); err != nil {
			return err
		}
	}
	if r.PermissionsBoundary != nil {
		b := fieldValue(el, k.boundary)
		if !isPolicyARN(r.PermissionsBoundary.ARN) {
			return v.d.errAt(at(b, pick(k.attachedARN, "PermissionsBoundaryArn", k == cliKeys)), where, fmt.Errorf("permissions boundary %q is not a managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)", r.PermissionsBoundary.ARN))
		}
	}
	return v.attached(r.AttachedPolicies, el, where, k)
}

func (v *validator) user(u *User, el strictjson.Value, where string, k keyNames) error {
	if u.Name == "" || u.ARN == "" {
		return v.fail(el, "", where, "user has no name or ARN")
	}
	if err := v.principalARN(u.ARN, "user", u.Path, u.Name, el, where, k); err != nil {
		return err
	}
	if err := v.unique(v.users, u.Name, "user", el, where, pick(k.name, "UserName", k == cliKeys)); err != nil {
		return err
	}
	if err := v.id(u.ID, "AIDA", "user", el, where, k); err != nil {
		return err
	}
	if u.PermissionsBoundary != nil && !isPolicyARN(u.PermissionsBoundary.ARN) {
		return v.fail(el, k.boundary, where, "permissions boundary %q is not a managed policy ARN", u.PermissionsBoundary.ARN)
	}
	keys := fieldValue(el, k.accessKeys).Elements()
	for i, ak := range u.AccessKeys {
		kel := el
		if i < len(keys) {
			kel = keys[i]
		}
		if ak.ID != "" && !strings.HasPrefix(ak.ID, "AKIA") {
			return v.fail(kel, k.accessKeyID, where, "access key ID %q is not a user's long-term key ID (those start with AKIA)", ak.ID)
		}
		if ak.Status != "Active" && ak.Status != "Inactive" {
			return v.fail(kel, k.status, where, "access key status %q is neither Active nor Inactive", ak.Status)
		}
	}
	return v.attached(u.AttachedPolicies, el, where, k)
}

func (v *validator) group(g *Group, el strictjson.Value, where string, k keyNames) error {
	if g.Name == "" || g.ARN == "" {
		return v.fail(el, "", where, "group has no name or ARN")
	}
	if err := v.principalARN(g.ARN, "group", g.Path, g.Name, el, where, k); err != nil {
		return err
	}
	if err := v.unique(v.groups, g.Name, "group", el, where, pick(k.name, "GroupName", k == cliKeys)); err != nil {
		return err
	}
	if err := v.id(g.ID, "AGPA", "group", el, where, k); err != nil {
		return err
	}
	return v.attached(g.AttachedPolicies, el, where, k)
}

func (v *validator) policy(p *ManagedPolicy, el strictjson.Value, where string, k keyNames) error {
	acct, res, ok := splitIAMARN(p.ARN)
	if !ok || !strings.HasPrefix(res, "policy/") || (acct != "aws" && !isAccountID(acct)) {
		return v.fail(el, k.arn, where, "%q is not a managed policy ARN (arn:aws:iam::ACCOUNT:policy/PATH/NAME)", p.ARN)
	}
	if acct != "aws" {
		if err := v.sameAccount(acct, el, where, k); err != nil {
			return err
		}
	}
	if p.Name != "" && !strings.HasSuffix(res, "/"+p.Name) {
		return v.fail(el, k.arn, where, "ARN %q does not end in the policy's name %q", p.ARN, p.Name)
	}
	if p.Path != "" && res != "policy"+p.Path+p.Name {
		return v.fail(el, k.arn, where, "ARN %q does not match path %q and name %q", p.ARN, p.Path, p.Name)
	}
	if err := v.unique(v.pols, p.ARN, "managed policy", el, where, k.arn); err != nil {
		return err
	}
	if err := v.id(p.ID, "ANPA", "managed policy", el, where, k); err != nil {
		return err
	}
	seen := map[string]bool{}
	vels := fieldValue(el, k.versions).Elements()
	for i, pv := range p.Versions {
		vel := el
		if i < len(vels) {
			vel = vels[i]
		}
		if !isVersionID(pv.VersionID) {
			return v.fail(vel, k.versionID, where, "version ID %q is not of IAM's form v1, v2 …", pv.VersionID)
		}
		if seen[pv.VersionID] {
			return v.fail(vel, k.versionID, where, "version %s appears twice", pv.VersionID)
		}
		seen[pv.VersionID] = true
	}
	return nil
}

func (v *validator) attached(list []AttachedPolicy, el strictjson.Value, where string, k keyNames) error {
	els := fieldValue(el, k.attached).Elements()
	for i, a := range list {
		if !isPolicyARN(a.ARN) {
			ael := el
			if i < len(els) {
				ael = els[i]
			}
			return v.fail(ael, k.attachedARN, where, "attached policy %q is not a managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)", a.ARN)
		}
	}
	return nil
}

// inlineNames refuses two inline policies of one name on one principal.
func (v *validator) inlineNames(list []InlinePolicy, el strictjson.Value, key, where string) error {
	seen := map[string]bool{}
	for _, p := range list {
		n := strings.ToLower(p.Name)
		if seen[n] {
			return v.fail(el, key, where, "inline policy %q appears twice", p.Name)
		}
		seen[n] = true
	}
	return nil
}

func (v *validator) unique(seen map[string]bool, name, kind string, el strictjson.Value, where, key string) error {
	n := strings.ToLower(name)
	if seen[n] {
		return v.fail(el, key, where, "a second %s named %q (IAM names are unique regardless of case)", kind, name)
	}
	seen[n] = true
	return nil
}

func (v *validator) id(id, prefix, kind string, el strictjson.Value, where string, k keyNames) error {
	if id == "" {
		return nil
	}
	key := k.id
	if key == "" { // AWS CLI keys: RoleId, UserId, GroupId, PolicyId
		key = map[string]string{"role": "RoleId", "user": "UserId", "group": "GroupId", "managed policy": "PolicyId"}[kind]
	}
	if !strings.HasPrefix(id, prefix) || !isUpperAlnum(id) {
		return v.fail(el, key, where, "%q is not a %s ID (IAM's %s IDs start with %s)", id, kind, kind, prefix)
	}
	return nil
}

func (v *validator) sessionDuration(mv strictjson.Value, where string) error {
	n, ok := mv.Int()
	if !ok {
		return v.d.errAt(mv.Offset(), where, fmt.Errorf("MaxSessionDuration must be a whole number of seconds, got %s", mv.Raw()))
	}
	if n < MinSessionDuration || n > MaxSessionDurationLimit {
		return v.d.errAt(mv.Offset(), where, fmt.Errorf("MaxSessionDuration %d is outside IAM's %d–%d seconds (leave it out when the source does not say)", n, MinSessionDuration, MaxSessionDurationLimit))
	}
	return nil
}

// principalARN checks arn:PARTITION:iam::ACCOUNT:KIND/PATH/NAME.
func (v *validator) principalARN(arn, kind, path, name string, el strictjson.Value, where string, k keyNames) error {
	acct, res, ok := splitIAMARN(arn)
	if !ok || !isAccountID(acct) || !strings.HasPrefix(res, kind+"/") {
		return v.fail(el, k.arn, where, "%q is not an IAM %s ARN (arn:aws:iam::ACCOUNT:%s/NAME)", arn, kind, kind)
	}
	if path != "" && (!strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/")) {
		return v.fail(el, k.path, where, "path %q must begin and end with /", path)
	}
	want := kind + path + name
	if path == "" {
		if !strings.HasSuffix(res, "/"+name) {
			return v.fail(el, k.arn, where, "ARN %q does not end in the %s's name %q", arn, kind, name)
		}
	} else if res != want {
		return v.fail(el, k.arn, where, "ARN %q does not match path %q and name %q (want …:%s)", arn, path, name, want)
	}
	return v.sameAccount(acct, el, where, k)
}

func (v *validator) sameAccount(acct string, el strictjson.Value, where string, k keyNames) error {
	if v.account == "" {
		v.account, v.acctOff = acct, at(el, k.arn)
		return nil
	}
	if acct != v.account {
		if v.acctOff > 0 {
			l, c := strictjson.LineCol(v.d.data, v.acctOff)
			return v.fail(el, k.arn, where, "ARN is in account %s, but the export's first ARN (line %d, column %d) is in %s: one file holds one account", acct, l, c, v.account)
		}
		return v.fail(el, k.arn, where, "ARN is in account %s, not the snapshot's account_id %s", acct, v.account)
	}
	return nil
}

// splitIAMARN splits arn:PARTITION:iam::ACCOUNT:RESOURCE.
func splitIAMARN(arn string) (account, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !isPartition(parts[1]) || parts[2] != "iam" || parts[3] != "" {
		return "", "", false
	}
	return parts[4], parts[5], true
}

func isPolicyARN(arn string) bool {
	acct, res, ok := splitIAMARN(arn)
	return ok && (acct == "aws" || isAccountID(acct)) && strings.HasPrefix(res, "policy/") && len(res) > len("policy/")
}

// isPartition accepts aws, aws-cn, aws-us-gov, aws-iso-b …
func isPartition(p string) bool {
	if !strings.HasPrefix(p, "aws") {
		return false
	}
	for _, c := range p[3:] {
		if c != '-' && (c < 'a' || c > 'z') {
			return false
		}
	}
	return !strings.HasSuffix(p, "-") && !strings.Contains(p, "--")
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isVersionID(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isUpperAlnum(s string) bool {
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func pick(a, b string, second bool) string {
	if second {
		return b
	}
	return a
}
