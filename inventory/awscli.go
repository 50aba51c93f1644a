package inventory

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/strictjson"
)

// The shapes below follow IAM's GetAccountAuthorizationDetails response as
// the AWS CLI prints it (`aws iam get-account-authorization-details`).
// Policy documents stay raw: they may be objects or URL-encoded strings.

type cliPolicyRef struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

type cliInline struct {
	PolicyName     string  `json:"PolicyName"`
	PolicyDocument docSpan `json:"PolicyDocument"`
}

type cliBoundary struct {
	PermissionsBoundaryType string `json:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `json:"PermissionsBoundaryArn"`
}

type cliTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type cliInstanceProfile struct {
	Path                string    `json:"Path"`
	InstanceProfileName string    `json:"InstanceProfileName"`
	InstanceProfileId   string    `json:"InstanceProfileId"`
	Arn                 string    `json:"Arn"`
	CreateDate          time.Time `json:"CreateDate"`
	Roles               []docSpan `json:"Roles"`
	Tags                []cliTag  `json:"Tags"`
}

type cliRole struct {
	Path                     string               `json:"Path"`
	RoleName                 string               `json:"RoleName"`
	RoleId                   string               `json:"RoleId"`
	Arn                      string               `json:"Arn"`
	CreateDate               time.Time            `json:"CreateDate"`
	AssumeRolePolicyDocument docSpan              `json:"AssumeRolePolicyDocument"`
	Description              string               `json:"Description"`
	InstanceProfileList      []cliInstanceProfile `json:"InstanceProfileList"`
	RolePolicyList           []cliInline          `json:"RolePolicyList"`
	AttachedManagedPolicies  []cliPolicyRef       `json:"AttachedManagedPolicies"`
	PermissionsBoundary      *cliBoundary         `json:"PermissionsBoundary"`
	Tags                     []cliTag             `json:"Tags"`
	RoleLastUsed             *struct {
		LastUsedDate *time.Time `json:"LastUsedDate"`
		Region       string     `json:"Region"`
	} `json:"RoleLastUsed"`
	// MaxSessionDuration is not in get-account-authorization-details output;
	// it is accepted here (as in list-roles output) so that one file can
	// carry it. See also the top-level "Roles" list.
	MaxSessionDuration int `json:"MaxSessionDuration"`
}

type cliUser struct {
	Path                    string         `json:"Path"`
	UserName                string         `json:"UserName"`
	UserId                  string         `json:"UserId"`
	Arn                     string         `json:"Arn"`
	CreateDate              time.Time      `json:"CreateDate"`
	UserPolicyList          []cliInline    `json:"UserPolicyList"`
	GroupList               []string       `json:"GroupList"`
	AttachedManagedPolicies []cliPolicyRef `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *cliBoundary   `json:"PermissionsBoundary"`
	Tags                    []cliTag       `json:"Tags"`
	// AccessKeyMetadata is not in get-account-authorization-details output;
	// accepted in the shape `aws iam list-access-keys` prints.
	AccessKeyMetadata []struct {
		UserName    string    `json:"UserName"`
		AccessKeyId string    `json:"AccessKeyId"`
		Status      string    `json:"Status"`
		CreateDate  time.Time `json:"CreateDate"`
	} `json:"AccessKeyMetadata"`
}

type cliGroup struct {
	Path                    string         `json:"Path"`
	GroupName               string         `json:"GroupName"`
	GroupId                 string         `json:"GroupId"`
	Arn                     string         `json:"Arn"`
	CreateDate              time.Time      `json:"CreateDate"`
	GroupPolicyList         []cliInline    `json:"GroupPolicyList"`
	AttachedManagedPolicies []cliPolicyRef `json:"AttachedManagedPolicies"`
}

type cliPolicyVersion struct {
	Document         docSpan   `json:"Document"`
	VersionId        string    `json:"VersionId"`
	IsDefaultVersion bool      `json:"IsDefaultVersion"`
	CreateDate       time.Time `json:"CreateDate"`
}

type cliPolicy struct {
	PolicyName                    string             `json:"PolicyName"`
	PolicyId                      string             `json:"PolicyId"`
	Arn                           string             `json:"Arn"`
	Path                          string             `json:"Path"`
	DefaultVersionId              string             `json:"DefaultVersionId"`
	AttachmentCount               int                `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int                `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool               `json:"IsAttachable"`
	Description                   string             `json:"Description"`
	CreateDate                    time.Time          `json:"CreateDate"`
	UpdateDate                    time.Time          `json:"UpdateDate"`
	PolicyVersionList             []cliPolicyVersion `json:"PolicyVersionList"`
}

// listRolesEntry is one element of `aws iam list-roles` output ("Roles"),
// accepted at the top level to supply MaxSessionDuration.
type listRolesEntry struct {
	Path                     string       `json:"Path"`
	RoleName                 string       `json:"RoleName"`
	RoleId                   string       `json:"RoleId"`
	Arn                      string       `json:"Arn"`
	CreateDate               time.Time    `json:"CreateDate"`
	AssumeRolePolicyDocument docSpan      `json:"AssumeRolePolicyDocument"`
	Description              string       `json:"Description"`
	MaxSessionDuration       int          `json:"MaxSessionDuration"`
	PermissionsBoundary      *cliBoundary `json:"PermissionsBoundary"`
	Tags                     []cliTag     `json:"Tags"`
	RoleLastUsed             docSpan      `json:"RoleLastUsed"`
}

func (d *decoder) cliFormat(top objFields) (*Snapshot, error) {
	snap := &Snapshot{Schema: SchemaVersion, Source: "aws-cli"}
	for _, k := range sortedFieldKeys(top) {
		switch k {
		case "RoleDetailList", "UserDetailList", "GroupDetailList", "Policies", "IsTruncated", "Marker", "Roles":
		case "runtime":
			// pvaudit's runtime section (network, logs, compute) beside an
			// IAM export, in pvaudit's own shape (see Runtime).
		default:
			return nil, d.errAt(top[k].keyOff, "", fmt.Errorf("unknown top-level key %q in get-account-authorization-details output", k))
		}
	}
	if f, ok := top["IsTruncated"]; ok {
		t, isBool := f.Bool()
		if !isBool {
			return nil, d.errAt(f.Offset(), "IsTruncated", errors.New("must be true or false"))
		}
		if t {
			return nil, d.errAt(f.Offset(), "IsTruncated", errors.New("the export is truncated (IsTruncated is true): run the AWS CLI without --max-items so it pages through everything"))
		}
	}
	if f, ok := top["Marker"]; ok && f.Kind() != strictjson.String && f.Kind() != strictjson.Null {
		return nil, d.errAt(f.Offset(), "Marker", errors.New("must be a string"))
	}
	if f, ok := top["runtime"]; ok && f.Kind() != strictjson.Null {
		rt, err := d.runtime(f, "")
		if err != nil {
			return nil, err
		}
		snap.Runtime = rt
	}
	v := d.validator("")
	if f, ok := top["RoleDetailList"]; ok {
		roles, err := decodeAll(d, f, "RoleDetailList", func(i int, el strictjson.Value) (Role, error) {
			where := fmt.Sprintf("RoleDetailList[%d]%s", i, nameHint(el, "RoleName"))
			var c cliRole
			if err := d.strict(el, where, &c); err != nil {
				return Role{}, err
			}
			return d.convertRole(c, el, where)
		}, func(i int, el strictjson.Value, r *Role) error {
			return v.role(r, el, fmt.Sprintf("RoleDetailList[%d]%s", i, nameHint(el, "RoleName")), cliKeys)
		})
		if err != nil {
			return nil, err
		}
		snap.Roles = roles
	}
	if f, ok := top["Roles"]; ok {
		byName := map[string]int{}
		for i, r := range snap.Roles {
			byName[r.Name] = i
		}
		seen := map[string]bool{}
		err := d.elements(f, "Roles", func(i int, el strictjson.Value) error {
			where := fmt.Sprintf("Roles[%d]%s", i, nameHint(el, "RoleName"))
			var lr listRolesEntry
			if err := d.strict(el, where, &lr); err != nil {
				return err
			}
			if seen[strings.ToLower(lr.RoleName)] {
				return d.errAt(at(el, "RoleName"), where, fmt.Errorf("role %q appears twice in Roles", lr.RoleName))
			}
			seen[strings.ToLower(lr.RoleName)] = true
			mv := fieldValue(el, "MaxSessionDuration")
			if mv.Kind() == strictjson.Invalid {
				return nil
			}
			if err := v.sessionDuration(mv, where); err != nil {
				return err
			}
			if j, ok := byName[lr.RoleName]; ok {
				r := &snap.Roles[j]
				if r.MaxSessionDuration != 0 && r.MaxSessionDuration != lr.MaxSessionDuration {
					return d.errAt(mv.Offset(), where, fmt.Errorf("MaxSessionDuration %d disagrees with RoleDetailList's %d for role %q", lr.MaxSessionDuration, r.MaxSessionDuration, lr.RoleName))
				}
				r.MaxSessionDuration = lr.MaxSessionDuration
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if f, ok := top["Policies"]; ok {
		pols, err := decodeAll(d, f, "Policies", func(i int, el strictjson.Value) (ManagedPolicy, error) {
			where := fmt.Sprintf("Policies[%d]%s", i, nameHint(el, "PolicyName"))
			var c cliPolicy
			if err := d.strict(el, where, &c); err != nil {
				return ManagedPolicy{}, err
			}
			p := ManagedPolicy{
				Name: c.PolicyName, ARN: c.Arn, ID: c.PolicyId, Path: c.Path, DefaultVersionID: c.DefaultVersionId,
				AttachmentCount: c.AttachmentCount, PermissionsBoundaryUsageCount: c.PermissionsBoundaryUsageCount,
				IsAttachable: c.IsAttachable, CreateDate: c.CreateDate, UpdateDate: c.UpdateDate,
			}
			versions := fieldValue(el, "PolicyVersionList").Elements()
			for j, ver := range c.PolicyVersionList {
				doc, err := d.docAt(fieldValue(versions[j], "Document"), fmt.Sprintf("%s version %s", where, ver.VersionId))
				if err != nil {
					return ManagedPolicy{}, err
				}
				p.Versions = append(p.Versions, PolicyVersion{VersionID: ver.VersionId, IsDefault: ver.IsDefaultVersion, CreateDate: ver.CreateDate, Document: doc})
			}
			return p, nil
		}, func(i int, el strictjson.Value, p *ManagedPolicy) error {
			return v.policy(p, el, fmt.Sprintf("Policies[%d]%s", i, nameHint(el, "PolicyName")), cliKeys)
		})
		if err != nil {
			return nil, err
		}
		snap.Policies = pols
	}
	if f, ok := top["UserDetailList"]; ok {
		err := d.elements(f, "UserDetailList", func(i int, el strictjson.Value) error {
			where := fmt.Sprintf("UserDetailList[%d]%s", i, nameHint(el, "UserName"))
			var c cliUser
			if err := d.strict(el, where, &c); err != nil {
				return err
			}
			u := User{Name: c.UserName, ARN: c.Arn, Path: c.Path, ID: c.UserId, CreateDate: c.CreateDate, Groups: c.GroupList}
			var err error
			if u.Tags, err = d.tagMap(c.Tags, el, where); err != nil {
				return err
			}
			if u.InlinePolicies, err = d.inline(c.UserPolicyList, el, "UserPolicyList", where, v); err != nil {
				return err
			}
			u.AttachedPolicies = attached(c.AttachedManagedPolicies)
			u.PermissionsBoundary = boundary(c.PermissionsBoundary)
			if c.AccessKeyMetadata != nil {
				u.AccessKeys = []AccessKey{}
				for _, k := range c.AccessKeyMetadata {
					u.AccessKeys = append(u.AccessKeys, AccessKey{ID: k.AccessKeyId, Status: k.Status, CreateDate: k.CreateDate})
				}
			}
			if err := v.user(&u, el, where, cliKeys); err != nil {
				return err
			}
			snap.Users = append(snap.Users, u)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if f, ok := top["GroupDetailList"]; ok {
		err := d.elements(f, "GroupDetailList", func(i int, el strictjson.Value) error {
			where := fmt.Sprintf("GroupDetailList[%d]%s", i, nameHint(el, "GroupName"))
			var c cliGroup
			if err := d.strict(el, where, &c); err != nil {
				return err
			}
			g := Group{Name: c.GroupName, ARN: c.Arn, Path: c.Path, ID: c.GroupId, CreateDate: c.CreateDate, AttachedPolicies: attached(c.AttachedManagedPolicies)}
			var err error
			if g.InlinePolicies, err = d.inline(c.GroupPolicyList, el, "GroupPolicyList", where, v); err != nil {
				return err
			}
			if err := v.group(&g, el, where, cliKeys); err != nil {
				return err
			}
			snap.Groups = append(snap.Groups, g)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	snap.AccountID = accountOf(snap)
	if snap.AccountID == "" {
		// Without an account nothing can be pinned to it (the boundary ARN
		// pattern, "same account" rules): refuse rather than check against "".
		return nil, d.errAt(0, "", errors.New("cannot tell the account: the export has no role, user, group or customer managed policy to take it from"))
	}
	return snap, nil
}

func (d *decoder) convertRole(c cliRole, el strictjson.Value, where string) (Role, error) {
	r := Role{
		Name: c.RoleName, ARN: c.Arn, Path: c.Path, ID: c.RoleId, CreateDate: c.CreateDate,
		MaxSessionDuration: c.MaxSessionDuration,
		AttachedPolicies:   attached(c.AttachedManagedPolicies), PermissionsBoundary: boundary(c.PermissionsBoundary),
	}
	if c.RoleName == "" || c.Arn == "" {
		return r, d.errAt(el.Offset(), where, errors.New("role has no RoleName or Arn"))
	}
	var err error
	if r.Tags, err = d.tagMap(c.Tags, el, where); err != nil {
		return r, err
	}
	trust, err := d.docAt(fieldValue(el, "AssumeRolePolicyDocument"), where+" trust policy (AssumeRolePolicyDocument)")
	if err != nil {
		return r, err
	}
	r.TrustPolicy = trust
	v := d.validator("x") // only inlineNames is used, which needs no account
	if r.InlinePolicies, err = d.inline(c.RolePolicyList, el, "RolePolicyList", where, v); err != nil {
		return r, err
	}
	if c.RoleLastUsed != nil && c.RoleLastUsed.LastUsedDate != nil {
		r.LastUsed = &LastUsed{Date: *c.RoleLastUsed.LastUsedDate, Region: c.RoleLastUsed.Region}
	}
	for _, ip := range c.InstanceProfileList {
		r.InstanceProfiles = append(r.InstanceProfiles, ip.InstanceProfileName)
	}
	return r, nil
}

func (d *decoder) inline(list []cliInline, el strictjson.Value, key, where string, v *validator) ([]InlinePolicy, error) {
	var out []InlinePolicy
	docs := fieldValue(el, key).Elements()
	for i, p := range list {
		doc, err := d.docAt(fieldValue(docs[i], "PolicyDocument"), fmt.Sprintf("%s inline policy %q", where, p.PolicyName))
		if err != nil {
			return nil, err
		}
		out = append(out, InlinePolicy{Name: p.PolicyName, Document: doc})
	}
	return out, v.inlineNames(out, el, key, where)
}

// tagMap converts an AWS CLI tag list; a key given twice is an error (the
// map would keep only one value).
func (d *decoder) tagMap(tags []cliTag, el strictjson.Value, where string) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		if _, dup := m[t.Key]; dup {
			return nil, d.errAt(at(el, "Tags"), where, fmt.Errorf("tag %q appears twice", t.Key))
		}
		m[t.Key] = t.Value
	}
	return m, nil
}

func attached(refs []cliPolicyRef) []AttachedPolicy {
	var out []AttachedPolicy
	for _, r := range refs {
		out = append(out, AttachedPolicy{Name: r.PolicyName, ARN: r.PolicyArn})
	}
	return out
}

func boundary(b *cliBoundary) *Boundary {
	if b == nil || b.PermissionsBoundaryArn == "" {
		return nil
	}
	return &Boundary{ARN: b.PermissionsBoundaryArn, Type: b.PermissionsBoundaryType}
}

// accountOf derives the account ID from the export's own ARNs: the most
// common account among roles, users, groups and customer managed policies.
func accountOf(s *Snapshot) string {
	count := map[string]int{}
	for _, r := range s.Roles {
		count[AccountFromARN(r.ARN)]++
	}
	for _, u := range s.Users {
		count[AccountFromARN(u.ARN)]++
	}
	for _, g := range s.Groups {
		count[AccountFromARN(g.ARN)]++
	}
	for i := range s.Policies {
		if !s.Policies[i].AWSManaged() {
			count[AccountFromARN(s.Policies[i].ARN)]++
		}
	}
	delete(count, "")
	best, n := "", 0
	for acct, c := range count {
		if c > n || (c == n && acct < best) {
			best, n = acct, c
		}
	}
	return best
}

func sortedFieldKeys(o objFields) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
