// Package inventory is the account snapshot every analysis reads: one
// normalized, sorted model of what IAM holds, whether it was collected live
// (see package inventory/live) or read from a file.
package inventory

import (
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/policy"
)

// SchemaVersion is written in every snapshot pvaudit produces.
const SchemaVersion = "pvaudit.snapshot/v1"

// Snapshot is one account's IAM state at one time.
type Snapshot struct {
	Schema     string    `json:"schema"`
	AccountID  string    `json:"account_id"`
	CapturedAt time.Time `json:"captured_at,omitzero"`
	// Source says where the snapshot came from: "live", "aws-cli" (a
	// get-account-authorization-details file) or "snapshot".
	Source    string          `json:"source"`
	CallerARN string          `json:"caller_arn,omitempty"`
	Roles     []Role          `json:"roles"`
	Policies  []ManagedPolicy `json:"policies"`
	Users     []User          `json:"users"`
	Groups    []Group         `json:"groups"`
	// Gaps lists what could not be read. A snapshot with gaps is incomplete:
	// analyses must not report PASS for what a gap hides.
	Gaps []Gap `json:"gaps,omitempty"`
	// Runtime is the network, logging and compute posture beyond IAM
	// (see Runtime); nil for an IAM-only snapshot.
	Runtime *Runtime `json:"runtime,omitempty"`
}

// Gap is one thing the collector could not read.
type Gap struct {
	Operation string `json:"operation"`          // e.g. "iam:GetAccountAuthorizationDetails"
	Resource  string `json:"resource,omitempty"` // what it was reading, if known
	Code      string `json:"code,omitempty"`     // AWS error code, e.g. AccessDenied
	Message   string `json:"message"`
}

// Role is an IAM role.
type Role struct {
	Name                string            `json:"name"`
	ARN                 string            `json:"arn"`
	Path                string            `json:"path"`
	ID                  string            `json:"id"`
	CreateDate          time.Time         `json:"create_date"`
	TrustPolicy         *policy.Document  `json:"trust_policy,omitempty"`
	InlinePolicies      []InlinePolicy    `json:"inline_policies,omitempty"`
	AttachedPolicies    []AttachedPolicy  `json:"attached_policies,omitempty"`
	PermissionsBoundary *Boundary         `json:"permissions_boundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	LastUsed            *LastUsed         `json:"last_used,omitempty"`
	// MaxSessionDuration in seconds; 0 when the source did not say (the AWS
	// CLI's get-account-authorization-details output does not carry it).
	MaxSessionDuration int      `json:"max_session_duration,omitempty"`
	InstanceProfiles   []string `json:"instance_profiles,omitempty"`
}

// InlinePolicy is a policy embedded in a role, user or group.
type InlinePolicy struct {
	Name     string           `json:"name"`
	Document *policy.Document `json:"document"`
}

// AttachedPolicy is a reference to a managed policy.
type AttachedPolicy struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

// Boundary is a permissions boundary reference.
type Boundary struct {
	ARN  string `json:"arn"`
	Type string `json:"type,omitempty"` // IAM's PermissionsBoundaryType: "PermissionsBoundaryPolicy"
}

// LastUsed is when and where a role was last used.
type LastUsed struct {
	Date   time.Time `json:"date"`
	Region string    `json:"region,omitempty"`
}

// ManagedPolicy is a customer or AWS managed policy.
type ManagedPolicy struct {
	Name                          string          `json:"name"`
	ARN                           string          `json:"arn"`
	ID                            string          `json:"id,omitempty"`
	Path                          string          `json:"path"`
	DefaultVersionID              string          `json:"default_version_id"`
	AttachmentCount               int             `json:"attachment_count"`
	PermissionsBoundaryUsageCount int             `json:"permissions_boundary_usage_count"`
	IsAttachable                  bool            `json:"is_attachable"`
	CreateDate                    time.Time       `json:"create_date"`
	UpdateDate                    time.Time       `json:"update_date"`
	Versions                      []PolicyVersion `json:"versions"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID  string           `json:"version_id"`
	IsDefault  bool             `json:"is_default"`
	CreateDate time.Time        `json:"create_date"`
	Document   *policy.Document `json:"document"`
}

// AWSManaged reports whether the policy is AWS managed (arn:…:iam::aws:policy/…).
func (p *ManagedPolicy) AWSManaged() bool {
	return strings.Contains(p.ARN, ":iam::aws:policy/")
}

// DefaultDocument returns the default version's document, or nil when the
// source did not include it or when DefaultVersionId and the
// IsDefaultVersion markers disagree (see DefaultVersionConflict): no
// version is picked silently.
func (p *ManagedPolicy) DefaultDocument() *policy.Document {
	if p.DefaultVersionConflict() != nil {
		return nil
	}
	for i := range p.Versions {
		v := &p.Versions[i]
		if v.IsDefault || (p.DefaultVersionID != "" && v.VersionID == p.DefaultVersionID) {
			return v.Document
		}
	}
	return nil
}

// User is an IAM user.
type User struct {
	Name                string            `json:"name"`
	ARN                 string            `json:"arn"`
	Path                string            `json:"path"`
	ID                  string            `json:"id"`
	CreateDate          time.Time         `json:"create_date"`
	Groups              []string          `json:"groups,omitempty"`
	InlinePolicies      []InlinePolicy    `json:"inline_policies,omitempty"`
	AttachedPolicies    []AttachedPolicy  `json:"attached_policies,omitempty"`
	PermissionsBoundary *Boundary         `json:"permissions_boundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	// AccessKeys is nil when the source did not list keys (an AWS CLI file)
	// and non-nil (possibly empty) when it did. The JSON form keeps the
	// difference: null for "not listed", [] for "none".
	AccessKeys []AccessKey `json:"access_keys"`
}

// AccessKey is an IAM user's access key (metadata only, never the secret).
type AccessKey struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	CreateDate time.Time `json:"create_date"`
}

// Group is an IAM group.
type Group struct {
	Name             string           `json:"name"`
	ARN              string           `json:"arn"`
	Path             string           `json:"path"`
	ID               string           `json:"id"`
	CreateDate       time.Time        `json:"create_date"`
	InlinePolicies   []InlinePolicy   `json:"inline_policies,omitempty"`
	AttachedPolicies []AttachedPolicy `json:"attached_policies,omitempty"`
}

// Complete reports whether nothing is missing from the snapshot.
func (s *Snapshot) Complete() bool { return len(s.Gaps) == 0 }

// Role returns the role with the given name, or nil.
func (s *Snapshot) Role(name string) *Role {
	i := sort.Search(len(s.Roles), func(i int) bool { return s.Roles[i].Name >= name })
	if i < len(s.Roles) && s.Roles[i].Name == name {
		return &s.Roles[i]
	}
	return nil
}

// Policy returns the managed policy with the given ARN, or nil.
func (s *Snapshot) Policy(arn string) *ManagedPolicy {
	for i := range s.Policies {
		if s.Policies[i].ARN == arn {
			return &s.Policies[i]
		}
	}
	return nil
}

// Normalize sorts every list so that equal accounts give equal snapshots.
// Readers and the collector call it; code that builds snapshots by hand
// should too.
func (s *Snapshot) Normalize() {
	if s.Schema == "" {
		s.Schema = SchemaVersion
	}
	sort.Slice(s.Roles, func(i, j int) bool { return s.Roles[i].Name < s.Roles[j].Name })
	for i := range s.Roles {
		r := &s.Roles[i]
		sortInline(r.InlinePolicies)
		sortAttached(r.AttachedPolicies)
		sort.Strings(r.InstanceProfiles)
		r.InlinePolicies = nilIfEmpty(r.InlinePolicies)
		r.AttachedPolicies = nilIfEmpty(r.AttachedPolicies)
		r.InstanceProfiles = nilIfEmpty(r.InstanceProfiles)
		if len(r.Tags) == 0 {
			r.Tags = nil
		}
	}
	sort.Slice(s.Policies, func(i, j int) bool { return s.Policies[i].ARN < s.Policies[j].ARN })
	for i := range s.Policies {
		v := s.Policies[i].Versions
		sort.Slice(v, func(a, b int) bool { return versionLess(v[a].VersionID, v[b].VersionID) })
	}
	sort.Slice(s.Users, func(i, j int) bool { return s.Users[i].Name < s.Users[j].Name })
	for i := range s.Users {
		u := &s.Users[i]
		sort.Strings(u.Groups)
		sortInline(u.InlinePolicies)
		sortAttached(u.AttachedPolicies)
		sort.Slice(u.AccessKeys, func(a, b int) bool { return u.AccessKeys[a].ID < u.AccessKeys[b].ID })
		u.Groups = nilIfEmpty(u.Groups)
		u.InlinePolicies = nilIfEmpty(u.InlinePolicies)
		u.AttachedPolicies = nilIfEmpty(u.AttachedPolicies)
		if len(u.Tags) == 0 {
			u.Tags = nil
		}
	}
	sort.Slice(s.Groups, func(i, j int) bool { return s.Groups[i].Name < s.Groups[j].Name })
	for i := range s.Groups {
		g := &s.Groups[i]
		sortInline(g.InlinePolicies)
		sortAttached(g.AttachedPolicies)
		g.InlinePolicies = nilIfEmpty(g.InlinePolicies)
		g.AttachedPolicies = nilIfEmpty(g.AttachedPolicies)
	}
	s.Runtime.normalize()
	sort.Slice(s.Gaps, func(i, j int) bool {
		if s.Gaps[i].Operation != s.Gaps[j].Operation {
			return s.Gaps[i].Operation < s.Gaps[j].Operation
		}
		return s.Gaps[i].Resource < s.Gaps[j].Resource
	})
}

// nilIfEmpty makes "present but empty" and "absent" the same, as the JSON
// form (omitempty) does.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func sortInline(p []InlinePolicy) {
	sort.Slice(p, func(i, j int) bool { return p[i].Name < p[j].Name })
}

func sortAttached(p []AttachedPolicy) {
	sort.Slice(p, func(i, j int) bool { return p[i].ARN < p[j].ARN })
}

// versionLess orders "v2" before "v10".
func versionLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// AccountFromARN returns the account ID field of an ARN, or "".
func AccountFromARN(arn string) string {
	// arn:partition:service:region:account:resource, without allocating:
	// it runs once per policy evaluation in a scan.
	rest := arn
	for range 4 {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return ""
	}
	return rest[:i]
}
