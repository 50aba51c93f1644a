package baseline

import (
	"sort"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// Kind says what changed.
type Kind string

// Drift kinds.
const (
	RoleAdded            Kind = "role-added"
	RoleRemoved          Kind = "role-removed"
	RoleRecreated        Kind = "role-recreated"
	TrustChanged         Kind = "trust-changed"
	BoundaryAdded        Kind = "boundary-added"
	BoundaryRemoved      Kind = "boundary-removed"
	BoundaryReplaced     Kind = "boundary-replaced"
	InlineAdded          Kind = "inline-policy-added"
	InlineRemoved        Kind = "inline-policy-removed"
	InlineChanged        Kind = "inline-policy-changed"
	PolicyAttached       Kind = "managed-policy-attached"
	PolicyDetached       Kind = "managed-policy-detached"
	DefaultVersionSwitch Kind = "default-version-switched"
	DocumentChanged      Kind = "policy-document-changed"
	VersionStaged        Kind = "policy-version-staged"
	MaxSessionChanged    Kind = "max-session-duration-changed"
	PathChanged          Kind = "path-changed"
	TagsChanged          Kind = "tags-changed"
	UserAdded            Kind = "user-added"
	UserRemoved          Kind = "user-removed"
	UserRecreated        Kind = "user-recreated"
	AccessKeyAdded       Kind = "access-key-added"
	AccessKeyRemoved     Kind = "access-key-removed"
	PolicyCreated        Kind = "policy-created"
	PolicyDeleted        Kind = "policy-deleted"
	UserPermsChanged     Kind = "user-permissions-changed"
	GroupChanged         Kind = "group-changed"
	ContractChanged      Kind = "contract-changed"
	NotEvaluated         Kind = "not-evaluated"
)

// Item is one deviation from the baseline (or one part of the account
// whose drift could not be evaluated).
type Item struct {
	Rule     string `json:"rule"`
	Kind     Kind   `json:"kind"`
	Resource string `json:"resource"`
	// Key tells several items of one rule on one resource apart; with Rule
	// and Resource it makes the finding's fingerprint.
	Key string `json:"key,omitempty"`
	// Subject is the entity, "role/NAME", "policy/NAME", "user/NAME".
	Subject string `json:"subject"`
	Summary string `json:"summary"`
	// Before and After are the values (canonical documents as JSON).
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
	// Diff is a line diff of the canonical documents ("-", "+", " ").
	Diff []string `json:"diff,omitempty"`
	// Access is the effect on what principals can do.
	Access *Access `json:"access,omitempty"`
	// Classification is set when the role's kind changed.
	Classification *ClassChange     `json:"classification,omitempty"`
	Attribution    *Attribution     `json:"attribution,omitempty"`
	Severity       finding.Severity `json:"severity"`
	Status         finding.Status   `json:"status"`
	// Reason says why the item could not be evaluated (NOT_EVALUATED).
	Reason string `json:"reason,omitempty"`

	// What the item is about, for attribution and for applying it.
	role, policy, user, group, name string
	patch                           func(v *view)
}

// ClassChange is a role's classification before and after.
type ClassChange struct {
	Before string `json:"before"`
	After  string `json:"after"`
}

// Acceptable reports whether the item can be accepted into a baseline:
// what was not evaluated cannot.
func (it *Item) Acceptable() bool { return it.patch != nil && it.Status != finding.NotEvaluated }

// Fingerprint is the fingerprint of the item's finding.
func (it *Item) Fingerprint() string {
	f := finding.Finding{CheckID: it.Rule, Resource: it.Resource, Key: it.Key}
	return f.ComputeFingerprint()
}

// sortItems orders items by resource, rule and key.
func sortItems(items []Item) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := &items[i], &items[j]
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Key < b.Key
	})
}
