package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// The shapes below follow IAM's GetAccountAuthorizationDetails response as
// the AWS CLI prints it (`aws iam get-account-authorization-details`).
// Policy documents stay raw: they may be objects or URL-encoded strings.

type cliPolicyRef struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

type cliInline struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
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
	Path                string            `json:"Path"`
	InstanceProfileName string            `json:"InstanceProfileName"`
	InstanceProfileId   string            `json:"InstanceProfileId"`
	Arn                 string            `json:"Arn"`
	CreateDate          time.Time         `json:"CreateDate"`
	Roles               []json.RawMessage `json:"Roles"`
	Tags                []cliTag          `json:"Tags"`
}

type cliRole struct {
	Path                     string               `json:"Path"`
	RoleName                 string               `json:"RoleName"`
	RoleId                   string               `json:"RoleId"`
	Arn                      string               `json:"Arn"`
	CreateDate               time.Time            `json:"CreateDate"`
	AssumeRolePolicyDocument json.RawMessage      `json:"AssumeRolePolicyDocument"`
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
	Document         json.RawMessage `json:"Document"`
	VersionId        string          `json:"VersionId"`
	IsDefaultVersion bool            `json:"IsDefaultVersion"`
	CreateDate       time.Time       `json:"CreateDate"`
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
	Path                     string          `json:"Path"`
	RoleName                 string          `json:"RoleName"`
	RoleId                   string          `json:"RoleId"`
	Arn                      string          `json:"Arn"`
	CreateDate               time.Time       `json:"CreateDate"`
	AssumeRolePolicyDocument json.RawMessage `json:"AssumeRolePolicyDocument"`
	Description              string          `json:"Description"`
	MaxSessionDuration       int             `json:"MaxSessionDuration"`
	PermissionsBoundary      *cliBoundary    `json:"PermissionsBoundary"`
	Tags                     []cliTag        `json:"Tags"`
	RoleLastUsed             json.RawMessage `json:"RoleLastUsed"`
}

func (d *decoder) cliFormat(top objFields) (*Snapshot, error) {
	snap := &Snapshot{Schema: SchemaVersion, Source: "aws-cli"}
	for _, k := range sortedFieldKeys(top) {
		switch k {
		case "RoleDetailList", "UserDetailList", "GroupDetailList", "Policies", "IsTruncated", "Marker", "Roles":
		default:
			return nil, d.errAt(max(0, top[k].off-int64(len(k))-3), "", fmt.Errorf("unknown top-level key %q in get-account-authorization-details output", k))
		}
	}
	if f, ok := top["IsTruncated"]; ok {
		var t bool
		if err := json.Unmarshal(f.raw, &t); err != nil {
			return nil, d.errAt(f.off, "IsTruncated", errors.New("must be true or false"))
		}
		if t {
			return nil, d.errAt(f.off, "IsTruncated", errors.New("the export is truncated (IsTruncated is true): run the AWS CLI without --max-items so it pages through everything"))
		}
	}
	if f, ok := top["RoleDetailList"]; ok {
		roles, err := decodeAll(d, f, "RoleDetailList", func(i int, el field) (Role, error) {
			where := fmt.Sprintf("RoleDetailList[%d]%s", i, nameHint(el.raw, "RoleName"))
			var c cliRole
			if err := d.strict(el, where, &c); err != nil {
				return Role{}, err
			}
			return d.convertRole(c, el.off, where)
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
		err := d.elements(f, "Roles", func(i int, el field) error {
			var lr listRolesEntry
			if err := d.strict(el, fmt.Sprintf("Roles[%d]%s", i, nameHint(el.raw, "RoleName")), &lr); err != nil {
				return err
			}
			if j, ok := byName[lr.RoleName]; ok && lr.MaxSessionDuration > 0 {
				snap.Roles[j].MaxSessionDuration = lr.MaxSessionDuration
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if f, ok := top["Policies"]; ok {
		pols, err := decodeAll(d, f, "Policies", func(i int, el field) (ManagedPolicy, error) {
			where := fmt.Sprintf("Policies[%d]%s", i, nameHint(el.raw, "PolicyName"))
			var c cliPolicy
			if err := d.strict(el, where, &c); err != nil {
				return ManagedPolicy{}, err
			}
			p := ManagedPolicy{
				Name: c.PolicyName, ARN: c.Arn, ID: c.PolicyId, Path: c.Path, DefaultVersionID: c.DefaultVersionId,
				AttachmentCount: c.AttachmentCount, PermissionsBoundaryUsageCount: c.PermissionsBoundaryUsageCount,
				IsAttachable: c.IsAttachable, CreateDate: c.CreateDate, UpdateDate: c.UpdateDate,
			}
			for _, v := range c.PolicyVersionList {
				doc, err := d.docAt(v.Document, el.off, fmt.Sprintf("%s version %s", where, v.VersionId))
				if err != nil {
					return ManagedPolicy{}, err
				}
				p.Versions = append(p.Versions, PolicyVersion{VersionID: v.VersionId, IsDefault: v.IsDefaultVersion, CreateDate: v.CreateDate, Document: doc})
			}
			return p, nil
		})
		if err != nil {
			return nil, err
		}
		snap.Policies = pols
	}
	if f, ok := top["UserDetailList"]; ok {
		err := d.elements(f, "UserDetailList", func(i int, el field) error {
			where := fmt.Sprintf("UserDetailList[%d]%s", i, nameHint(el.raw, "UserName"))
			var c cliUser
			if err := d.strict(el, where, &c); err != nil {
				return err
			}
			u := User{Name: c.UserName, ARN: c.Arn, Path: c.Path, ID: c.UserId, CreateDate: c.CreateDate, Groups: c.GroupList, Tags: tagMap(c.Tags)}
			var err error
			if u.InlinePolicies, err = d.inline(c.UserPolicyList, el.off, where); err != nil {
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
			snap.Users = append(snap.Users, u)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if f, ok := top["GroupDetailList"]; ok {
		err := d.elements(f, "GroupDetailList", func(i int, el field) error {
			where := fmt.Sprintf("GroupDetailList[%d]%s", i, nameHint(el.raw, "GroupName"))
			var c cliGroup
			if err := d.strict(el, where, &c); err != nil {
				return err
			}
			g := Group{Name: c.GroupName, ARN: c.Arn, Path: c.Path, ID: c.GroupId, CreateDate: c.CreateDate, AttachedPolicies: attached(c.AttachedManagedPolicies)}
			var err error
			if g.InlinePolicies, err = d.inline(c.GroupPolicyList, el.off, where); err != nil {
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
	return snap, nil
}

func (d *decoder) convertRole(c cliRole, off int64, where string) (Role, error) {
	r := Role{
		Name: c.RoleName, ARN: c.Arn, Path: c.Path, ID: c.RoleId, CreateDate: c.CreateDate,
		Tags: tagMap(c.Tags), MaxSessionDuration: c.MaxSessionDuration,
		AttachedPolicies: attached(c.AttachedManagedPolicies), PermissionsBoundary: boundary(c.PermissionsBoundary),
	}
	if c.RoleName == "" || c.Arn == "" {
		return r, d.errAt(off, where, errors.New("role has no RoleName or Arn"))
	}
	trust, err := d.docAt(c.AssumeRolePolicyDocument, off, where+" trust policy (AssumeRolePolicyDocument)")
	if err != nil {
		return r, err
	}
	r.TrustPolicy = trust
	if r.InlinePolicies, err = d.inline(c.RolePolicyList, off, where); err != nil {
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

func (d *decoder) inline(list []cliInline, off int64, where string) ([]InlinePolicy, error) {
	var out []InlinePolicy
	for _, p := range list {
		doc, err := d.docAt(p.PolicyDocument, off, fmt.Sprintf("%s inline policy %q", where, p.PolicyName))
		if err != nil {
			return nil, err
		}
		out = append(out, InlinePolicy{Name: p.PolicyName, Document: doc})
	}
	return out, nil
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

func tagMap(tags []cliTag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
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
