package baseline

import (
	"encoding/json"
	"slices"
)

// view is a State with some entities replaced: the baseline with one drift
// item applied (to measure that item's effect alone), or with the accepted
// items applied (baseline update --accept). Policies the base lacks are
// looked up in cur, so that a newly attached policy can be evaluated.
type view struct {
	base, cur *State
	roles     map[string]*Role // nil value: removed
	policies  map[string]*Policy
	users     map[string]*User
	groups    map[string]*Group
}

func newView(base, cur *State) *view {
	return &view{base: base, cur: cur, roles: map[string]*Role{}, policies: map[string]*Policy{}, users: map[string]*User{}, groups: map[string]*Group{}}
}

func (v *view) role(name string) *Role {
	if r, ok := v.roles[name]; ok {
		return r
	}
	return v.base.Role(name)
}

func (v *view) policy(arn string) *Policy {
	if p, ok := v.policies[arn]; ok {
		return p
	}
	if p := v.base.Policy(arn); p != nil {
		return p
	}
	if v.cur == nil {
		return nil
	}
	return v.cur.Policy(arn)
}

func (v *view) user(name string) *User {
	if u, ok := v.users[name]; ok {
		return u
	}
	return v.base.User(name)
}

func (v *view) group(name string) *Group {
	if g, ok := v.groups[name]; ok {
		return g
	}
	return v.base.Group(name)
}

// editRole returns a private copy of the role in the view (created from
// the base, else cur) for a patch to change.
func (v *view) editRole(name string) *Role {
	if r, ok := v.roles[name]; ok && r != nil {
		return r
	}
	src := v.base.Role(name)
	if src == nil {
		src = v.cur.Role(name)
	}
	if src == nil {
		return &Role{Name: name}
	}
	c := cloneRole(*src)
	v.roles[name] = &c
	return &c
}

func (v *view) editUser(name string) *User {
	if u, ok := v.users[name]; ok && u != nil {
		return u
	}
	src := v.base.User(name)
	if src == nil {
		src = v.cur.User(name)
	}
	if src == nil {
		return &User{Name: name}
	}
	c := *src
	c.Groups, c.Inline, c.Attached = slices.Clone(c.Groups), slices.Clone(c.Inline), slices.Clone(c.Attached)
	c.Tags = cloneTags(c.Tags)
	if src.AccessKeys != nil {
		c.AccessKeys = slices.Clone(src.AccessKeys)
	}
	v.users[name] = &c
	return &c
}

func (v *view) editGroup(name string) *Group {
	if g, ok := v.groups[name]; ok && g != nil {
		return g
	}
	src := v.base.Group(name)
	if src == nil {
		src = v.cur.Group(name)
	}
	if src == nil {
		return &Group{Name: name}
	}
	c := *src
	c.Inline, c.Attached = slices.Clone(c.Inline), slices.Clone(c.Attached)
	v.groups[name] = &c
	return &c
}

func cloneRole(r Role) Role {
	r.Inline, r.Attached, r.Reasons = slices.Clone(r.Inline), slices.Clone(r.Attached), slices.Clone(r.Reasons)
	r.Tags = cloneTags(r.Tags)
	return r
}

// setInline puts (doc non-nil) or removes an inline policy.
func setInline(list []Inline, name string, doc json.RawMessage) []Inline {
	out := make([]Inline, 0, len(list)+1)
	for _, p := range list {
		if p.Name != name {
			out = append(out, p)
		}
	}
	if doc != nil {
		out = append(out, Inline{Name: name, Document: doc})
	}
	return out
}

// setMember adds or removes s from a list.
func setMember(list []string, s string, present bool) []string {
	out := make([]string, 0, len(list)+1)
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	if present {
		out = append(out, s)
	}
	return out
}

func inlineDoc(list []Inline, name string) json.RawMessage {
	for _, p := range list {
		if p.Name == name {
			return p.Document
		}
	}
	return nil
}

// materialize returns the base with the view's replacements, normalized.
func (v *view) materialize() *State {
	out := *v.base
	out.idx = nil
	out.Roles = mergeByName(v.base.Roles, v.roles, func(r Role) string { return r.Name })
	out.Policies = mergeByName(v.base.Policies, v.policies, func(p Policy) string { return p.ARN })
	out.Users = mergeByName(v.base.Users, v.users, func(u User) string { return u.Name })
	out.Groups = mergeByName(v.base.Groups, v.groups, func(g Group) string { return g.Name })
	out.NodeIDs = slices.Clone(v.base.NodeIDs)
	for _, r := range out.Roles {
		if r.NodeID != "" && !slices.Contains(out.NodeIDs, r.NodeID) {
			out.NodeIDs = append(out.NodeIDs, r.NodeID)
		}
	}
	out.Gaps = slices.Clone(v.base.Gaps)
	out.Normalize()
	return &out
}

func mergeByName[T any](base []T, repl map[string]*T, key func(T) string) []T {
	out := make([]T, 0, len(base)+len(repl))
	for _, x := range base {
		k := key(x)
		if r, ok := repl[k]; ok {
			if r != nil {
				out = append(out, *r)
			}
			continue
		}
		out = append(out, x)
	}
	have := map[string]bool{}
	for _, x := range base {
		have[key(x)] = true
	}
	keys := make([]string, 0, len(repl))
	for k := range repl {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if r := repl[k]; r != nil && !have[k] {
			out = append(out, *r)
		}
	}
	return out
}

// Apply returns base with the given items applied: their part of the
// account takes its state in cur. Items that cannot be accepted (not
// evaluated) are an error of the caller; Apply skips them.
func Apply(base, cur *State, items []Item) *State {
	v := newView(base, cur)
	for i := range items {
		if items[i].Acceptable() {
			items[i].patch(v)
		}
	}
	// A role a patch touched takes its classification from cur.
	for name, r := range v.roles {
		if r == nil {
			continue
		}
		if c := cur.Role(name); c != nil {
			r.Kind, r.NodeID, r.Reasons = c.Kind, c.NodeID, slices.Clone(c.Reasons)
		}
	}
	return v.materialize()
}
