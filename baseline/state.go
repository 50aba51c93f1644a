package baseline

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// State is an account's IAM as drift compares it: the normalized snapshot
// with every policy document in canonical form (see CanonicalDocument) and
// every role's classification. Volatile facts (when a role was last used,
// attachment counts) are left out: they are not configuration. Both sides
// of a comparison are States, the approved one read from a baseline file
// and the current one built from a snapshot with FromSnapshot.
type State struct {
	AccountID  string    `json:"account_id"`
	CapturedAt time.Time `json:"captured_at,omitzero"`
	// Source is where the snapshot came from ("live", "aws-cli", "snapshot").
	Source    string   `json:"source"`
	CallerARN string   `json:"caller_arn,omitempty"`
	NodeIDs   []string `json:"node_ids"`
	Roles     []Role   `json:"roles"`
	Policies  []Policy `json:"policies"`
	Users     []User   `json:"users"`
	Groups    []Group  `json:"groups"`
	// Gaps is what the snapshot could not read: drift of those parts is not
	// evaluated.
	Gaps []inventory.Gap `json:"gaps"`

	idx *stateIndex
}

// Role is a role and its classification.
type Role struct {
	Name       string    `json:"name"`
	ARN        string    `json:"arn"`
	Path       string    `json:"path"`
	ID         string    `json:"id"`
	CreateDate time.Time `json:"create_date,omitzero"`
	// Kind, NodeID and Reasons are the role's classification.
	Kind    string   `json:"kind"`
	NodeID  string   `json:"node_id,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	// Trust is the canonical trust policy (absent when the source had none).
	Trust    json.RawMessage   `json:"trust_policy,omitempty"`
	Inline   []Inline          `json:"inline_policies,omitempty"`
	Attached []string          `json:"attached_policies,omitempty"` // ARNs, sorted
	Boundary string            `json:"permissions_boundary,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	// MaxSessionDuration in seconds; 0 when the source did not say.
	MaxSessionDuration int `json:"max_session_duration,omitempty"`
}

// Inline is an inline policy with its canonical document.
type Inline struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
}

// Policy is a managed policy with every version's canonical document.
type Policy struct {
	Name             string    `json:"name"`
	ARN              string    `json:"arn"`
	Path             string    `json:"path"`
	DefaultVersionID string    `json:"default_version_id"`
	Versions         []Version `json:"versions"`
}

// Version is one version of a managed policy; Document is null when the
// source did not include it.
type Version struct {
	ID       string          `json:"id"`
	Document json.RawMessage `json:"document"`
}

// User is an IAM user. AccessKeys is null when the source did not list
// keys (an AWS CLI export), and a list (possibly empty) when it did.
type User struct {
	Name       string            `json:"name"`
	ARN        string            `json:"arn"`
	Path       string            `json:"path"`
	ID         string            `json:"id"`
	CreateDate time.Time         `json:"create_date,omitzero"`
	Groups     []string          `json:"groups,omitempty"`
	Inline     []Inline          `json:"inline_policies,omitempty"`
	Attached   []string          `json:"attached_policies,omitempty"`
	Boundary   string            `json:"permissions_boundary,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	AccessKeys []AccessKey       `json:"access_keys"`
}

// AccessKey is an access key's metadata (never a secret).
type AccessKey struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	CreateDate time.Time `json:"create_date,omitzero"`
}

// Group is an IAM group.
type Group struct {
	Name     string   `json:"name"`
	ARN      string   `json:"arn"`
	Path     string   `json:"path"`
	ID       string   `json:"id"`
	Inline   []Inline `json:"inline_policies,omitempty"`
	Attached []string `json:"attached_policies,omitempty"`
}

// Complete reports whether the state's snapshot read everything.
func (s *State) Complete() bool { return len(s.Gaps) == 0 }

// FromSnapshot builds the State of a snapshot classified by cls (the
// classification of the same snapshot). Documents are canonicalized in
// parallel.
func FromSnapshot(snap *inventory.Snapshot, cls *classify.Result) (*State, error) {
	st := &State{AccountID: snap.AccountID, CapturedAt: snap.CapturedAt, Source: snap.Source, CallerARN: snap.CallerARN,
		Gaps: append([]inventory.Gap{}, snap.Gaps...)}
	var jobs []canonJob
	doc := func(d *policy.Document, dst *json.RawMessage) {
		if d != nil {
			jobs = append(jobs, canonJob{d, dst})
		}
	}
	inline := func(ps []inventory.InlinePolicy) []Inline {
		if len(ps) == 0 {
			return nil
		}
		out := make([]Inline, len(ps))
		for i, p := range ps {
			out[i].Name = p.Name
			doc(p.Document, &out[i].Document)
		}
		return out
	}
	st.Roles = make([]Role, len(snap.Roles))
	for i := range snap.Roles {
		r := &snap.Roles[i]
		out := &st.Roles[i]
		*out = Role{Name: r.Name, ARN: r.ARN, Path: r.Path, ID: r.ID, CreateDate: r.CreateDate, Kind: string(classify.Other),
			Attached: attachedARNs(r.AttachedPolicies), Tags: cloneTags(r.Tags), MaxSessionDuration: r.MaxSessionDuration}
		if r.PermissionsBoundary != nil {
			out.Boundary = r.PermissionsBoundary.ARN
		}
		doc(r.TrustPolicy, &out.Trust)
		out.Inline = inline(r.InlinePolicies)
	}
	st.Policies = make([]Policy, len(snap.Policies))
	for i := range snap.Policies {
		p := &snap.Policies[i]
		out := &st.Policies[i]
		*out = Policy{Name: p.Name, ARN: p.ARN, Path: p.Path, DefaultVersionID: p.DefaultVersionID, Versions: make([]Version, len(p.Versions))}
		for j := range p.Versions {
			v := &p.Versions[j]
			out.Versions[j].ID = v.VersionID
			if v.IsDefault && out.DefaultVersionID == "" {
				out.DefaultVersionID = v.VersionID
			}
			doc(v.Document, &out.Versions[j].Document)
		}
	}
	st.Users = make([]User, len(snap.Users))
	for i := range snap.Users {
		u := &snap.Users[i]
		out := &st.Users[i]
		*out = User{Name: u.Name, ARN: u.ARN, Path: u.Path, ID: u.ID, CreateDate: u.CreateDate, Groups: cloneStrings(u.Groups),
			Attached: attachedARNs(u.AttachedPolicies), Tags: cloneTags(u.Tags)}
		if u.PermissionsBoundary != nil {
			out.Boundary = u.PermissionsBoundary.ARN
		}
		if u.AccessKeys != nil {
			out.AccessKeys = make([]AccessKey, len(u.AccessKeys))
			for j, k := range u.AccessKeys {
				out.AccessKeys[j] = AccessKey{ID: k.ID, Status: k.Status, CreateDate: k.CreateDate}
			}
		}
		out.Inline = inline(u.InlinePolicies)
	}
	st.Groups = make([]Group, len(snap.Groups))
	for i := range snap.Groups {
		g := &snap.Groups[i]
		st.Groups[i] = Group{Name: g.Name, ARN: g.ARN, Path: g.Path, ID: g.ID, Attached: attachedARNs(g.AttachedPolicies)}
		st.Groups[i].Inline = inline(g.InlinePolicies)
	}
	if err := canonicalizeAll(jobs); err != nil {
		return nil, err
	}
	st.Classify(cls)
	st.Normalize()
	return st, nil
}

// Classify sets every role's classification from cls (the classification
// of the snapshot the state was built from); roles cls does not know are
// "other". A nil cls leaves the state as it is.
func (s *State) Classify(cls *classify.Result) {
	if cls == nil {
		return
	}
	s.NodeIDs = append([]string{}, cls.NodeIDs...)
	for i := range s.Roles {
		r := &s.Roles[i]
		r.Kind, r.NodeID, r.Reasons = string(classify.Other), "", nil
		if rc, ok := cls.Find(r.Name); ok {
			r.Kind, r.NodeID, r.Reasons = string(rc.Kind), rc.NodeID, append([]string(nil), rc.Reasons...)
		}
	}
	sort.Strings(s.NodeIDs)
}

type canonJob struct {
	doc *policy.Document
	dst *json.RawMessage
}

// canonicalizeAll runs CanonicalDocument over jobs with one worker per CPU.
func canonicalizeAll(jobs []canonJob) error {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(jobs)/64))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(jobs); i += workers {
				raw, err := CanonicalDocument(jobs[i].doc)
				if err != nil {
					errs[w] = err
					return
				}
				*jobs[i].dst = raw
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func attachedARNs(ps []inventory.AttachedPolicy) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ARN
	}
	return out
}

func cloneTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cloneStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// Normalize sorts every list and makes empty lists absent, so that equal
// accounts give byte-identical states. Access key lists keep the
// difference between "not listed" (nil) and "none" (empty).
func (s *State) Normalize() {
	s.idx = nil
	sort.Strings(s.NodeIDs)
	if s.NodeIDs == nil {
		s.NodeIDs = []string{}
	}
	sort.Slice(s.Roles, func(i, j int) bool { return s.Roles[i].Name < s.Roles[j].Name })
	for i := range s.Roles {
		r := &s.Roles[i]
		sortInline(&r.Inline)
		sortStrings(&r.Attached)
		if len(r.Tags) == 0 {
			r.Tags = nil
		}
		if len(r.Reasons) == 0 {
			r.Reasons = nil
		}
	}
	sort.Slice(s.Policies, func(i, j int) bool { return s.Policies[i].ARN < s.Policies[j].ARN })
	for i := range s.Policies {
		v := s.Policies[i].Versions
		sort.Slice(v, func(a, b int) bool { return versionLess(v[a].ID, v[b].ID) })
		if s.Policies[i].Versions == nil {
			s.Policies[i].Versions = []Version{}
		}
	}
	sort.Slice(s.Users, func(i, j int) bool { return s.Users[i].Name < s.Users[j].Name })
	for i := range s.Users {
		u := &s.Users[i]
		sortStrings(&u.Groups)
		sortInline(&u.Inline)
		sortStrings(&u.Attached)
		sort.Slice(u.AccessKeys, func(a, b int) bool { return u.AccessKeys[a].ID < u.AccessKeys[b].ID })
		if len(u.Tags) == 0 {
			u.Tags = nil
		}
	}
	sort.Slice(s.Groups, func(i, j int) bool { return s.Groups[i].Name < s.Groups[j].Name })
	for i := range s.Groups {
		sortInline(&s.Groups[i].Inline)
		sortStrings(&s.Groups[i].Attached)
	}
	sort.Slice(s.Gaps, func(i, j int) bool {
		if s.Gaps[i].Operation != s.Gaps[j].Operation {
			return s.Gaps[i].Operation < s.Gaps[j].Operation
		}
		return s.Gaps[i].Resource < s.Gaps[j].Resource
	})
	if s.Roles == nil {
		s.Roles = []Role{}
	}
	if s.Policies == nil {
		s.Policies = []Policy{}
	}
	if s.Users == nil {
		s.Users = []User{}
	}
	if s.Groups == nil {
		s.Groups = []Group{}
	}
	if s.Gaps == nil {
		s.Gaps = []inventory.Gap{}
	}
}

func sortInline(p *[]Inline) {
	sort.Slice(*p, func(i, j int) bool { return (*p)[i].Name < (*p)[j].Name })
	if len(*p) == 0 {
		*p = nil
	}
}

func sortStrings(p *[]string) {
	sort.Strings(*p)
	if len(*p) == 0 {
		*p = nil
	}
}

// versionLess orders "v2" before "v10".
func versionLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// stateIndex finds entities by name or ARN.
type stateIndex struct {
	roles    map[string]int
	policies map[string]int
	users    map[string]int
	groups   map[string]int
}

func (s *State) index() *stateIndex {
	if s.idx != nil {
		return s.idx
	}
	x := &stateIndex{roles: make(map[string]int, len(s.Roles)), policies: make(map[string]int, len(s.Policies)),
		users: make(map[string]int, len(s.Users)), groups: make(map[string]int, len(s.Groups))}
	for i := range s.Roles {
		x.roles[s.Roles[i].Name] = i
	}
	for i := range s.Policies {
		x.policies[s.Policies[i].ARN] = i
	}
	for i := range s.Users {
		x.users[s.Users[i].Name] = i
	}
	for i := range s.Groups {
		x.groups[s.Groups[i].Name] = i
	}
	s.idx = x
	return x
}

// Role returns the role with the name, or nil.
func (s *State) Role(name string) *Role {
	if i, ok := s.index().roles[name]; ok {
		return &s.Roles[i]
	}
	return nil
}

// Policy returns the managed policy with the ARN, or nil.
func (s *State) Policy(arn string) *Policy {
	if i, ok := s.index().policies[arn]; ok {
		return &s.Policies[i]
	}
	return nil
}

// User returns the user with the name, or nil.
func (s *State) User(name string) *User {
	if i, ok := s.index().users[name]; ok {
		return &s.Users[i]
	}
	return nil
}

// Group returns the group with the name, or nil.
func (s *State) Group(name string) *Group {
	if i, ok := s.index().groups[name]; ok {
		return &s.Groups[i]
	}
	return nil
}

// DefaultDocument returns the policy's default version document, or nil.
func (p *Policy) DefaultDocument() json.RawMessage {
	for _, v := range p.Versions {
		if v.ID == p.DefaultVersionID {
			return v.Document
		}
	}
	return nil
}

// AWSManaged reports whether the policy is AWS managed.
func (p *Policy) AWSManaged() bool { return strings.Contains(p.ARN, ":iam::aws:policy/") }

// validate checks what a decoded state must hold; a state read from a file
// is attacker-controlled until its signature says otherwise.
func (s *State) validate() error {
	if s.AccountID == "" {
		return fmt.Errorf("state has no account_id")
	}
	seen := map[string]bool{}
	for _, r := range s.Roles {
		if r.Name == "" || r.ARN == "" {
			return fmt.Errorf("a role without name or ARN")
		}
		if seen["role/"+r.Name] {
			return fmt.Errorf("role %s listed twice", r.Name)
		}
		seen["role/"+r.Name] = true
	}
	for _, p := range s.Policies {
		if p.ARN == "" {
			return fmt.Errorf("a policy without ARN")
		}
		if seen["policy/"+p.ARN] {
			return fmt.Errorf("policy %s listed twice", p.ARN)
		}
		seen["policy/"+p.ARN] = true
	}
	for _, u := range s.Users {
		if u.Name == "" {
			return fmt.Errorf("a user without name")
		}
		if seen["user/"+u.Name] {
			return fmt.Errorf("user %s listed twice", u.Name)
		}
		seen["user/"+u.Name] = true
	}
	for _, g := range s.Groups {
		if seen["group/"+g.Name] {
			return fmt.Errorf("group %s listed twice", g.Name)
		}
		seen["group/"+g.Name] = true
	}
	return nil
}
