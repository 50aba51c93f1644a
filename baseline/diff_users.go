package baseline

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/pvaudit/pvaudit/internal/finding"
)

func (d *differ) users() {
	for _, name := range unionNames(len(d.base.Users), func(i int) string { return d.base.Users[i].Name },
		len(d.cur.Users), func(i int) string { return d.cur.Users[i].Name }) {
		b, c := d.base.User(name), d.cur.User(name)
		switch {
		case b == nil:
			d.add(Item{Rule: RuleUser, Kind: UserAdded, Resource: c.ARN, Subject: "user/" + name, user: name, Severity: finding.High,
				Summary: "IAM user " + name + " was added", After: map[string]any{"arn": c.ARN, "path": c.Path, "groups": c.Groups},
				patch: func(v *view) { u := *v.cur.User(name); v.users[name] = &u }}, "iam")
			d.keys(name, c.ARN, []AccessKey{}, c.AccessKeys)
		case c == nil:
			d.add(Item{Rule: RuleUser, Kind: UserRemoved, Resource: b.ARN, Subject: "user/" + name, user: name, Key: "removed", Severity: finding.Low,
				Summary: "IAM user " + name + " was removed", Before: map[string]any{"arn": b.ARN, "path": b.Path},
				patch: func(v *view) { v.users[name] = nil }}, "iam")
		default:
			d.userChanges(b, c)
		}
	}
}

func (d *differ) userChanges(b, c *User) {
	name := c.Name
	base := Item{Resource: c.ARN, Subject: "user/" + name, user: name}
	if b.ID != "" && c.ID != "" && b.ID != c.ID {
		it := base
		it.Rule, it.Kind, it.Key, it.Severity = RuleUser, UserRecreated, "recreated", finding.High
		it.Summary = fmt.Sprintf("IAM user %s was deleted and created again (ID %s → %s)", name, b.ID, c.ID)
		it.patch = func(v *view) {
			u := v.editUser(name)
			u.ID, u.CreateDate = v.cur.User(name).ID, v.cur.User(name).CreateDate
		}
		d.add(it, "iam")
	}
	perm := func(key, summary string, before, after any, diff []string, patch func(u *User, cu *User)) {
		it := base
		it.Rule, it.Kind, it.Key, it.Severity, it.Summary = RuleUserPerms, UserPermsChanged, key, finding.Medium, summary
		it.Before, it.After, it.Diff = before, after, diff
		it.patch = func(v *view) { patch(v.editUser(name), v.cur.User(name)) }
		d.add(it, "iam")
	}
	for _, pn := range unionNames(len(b.Inline), func(i int) string { return b.Inline[i].Name }, len(c.Inline), func(i int) string { return c.Inline[i].Name }) {
		bd, cd := inlineDoc(b.Inline, pn), inlineDoc(c.Inline, pn)
		if !bytes.Equal(bd, cd) {
			perm("inline:"+pn, "inline policy "+pn+" "+changeWord(bd, cd), docValue(bd), docValue(cd), docDiff(bd, cd),
				func(u, cu *User) { u.Inline = setInline(u.Inline, pn, inlineDoc(cu.Inline, pn)) })
		}
	}
	for _, arn := range symDiff(b.Attached, c.Attached) {
		on := slices.Contains(c.Attached, arn)
		perm("attached:"+arn, "managed policy "+policyName(arn)+" "+map[bool]string{true: "attached", false: "detached"}[on], nil, nil, nil,
			func(u, _ *User) { u.Attached = setMember(u.Attached, arn, on) })
	}
	if b.Boundary != c.Boundary {
		perm("boundary", fmt.Sprintf("permissions boundary %s → %s", orNone(policyName(b.Boundary)), orNone(policyName(c.Boundary))), orNil(b.Boundary), orNil(c.Boundary), nil,
			func(u, cu *User) { u.Boundary = cu.Boundary })
	}
	for _, g := range symDiff(b.Groups, c.Groups) {
		in := slices.Contains(c.Groups, g)
		perm("group:"+g, map[bool]string{true: "added to group ", false: "removed from group "}[in]+g, nil, nil, nil,
			func(u, _ *User) { u.Groups = setMember(u.Groups, g, in) })
	}
	d.keys(name, c.ARN, b.AccessKeys, c.AccessKeys)
}

// keys compares access keys; a side that did not list them makes the
// user's keys unknown.
func (d *differ) keys(name, arn string, b, c []AccessKey) {
	if b == nil || c == nil {
		d.unknownKeys = append(d.unknownKeys, name)
		return
	}
	ids := func(ks []AccessKey) []string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = k.ID
		}
		return out
	}
	for _, id := range symDiff(ids(b), ids(c)) {
		added := slices.ContainsFunc(c, func(k AccessKey) bool { return k.ID == id })
		it := Item{Rule: RuleAccessKey, Resource: arn, Subject: "user/" + name, user: name, Key: id}
		if added {
			it.Kind, it.Severity, it.Summary, it.After = AccessKeyAdded, finding.High, "access key "+id+" added to user "+name, id
		} else {
			it.Kind, it.Severity, it.Summary, it.Before = AccessKeyRemoved, finding.Info, "access key "+id+" of user "+name+" removed", id
		}
		it.patch = func(v *view) {
			u := v.editUser(name)
			keep := []AccessKey{}
			for _, k := range u.AccessKeys {
				if k.ID != id {
					keep = append(keep, k)
				}
			}
			if added {
				for _, k := range v.cur.User(name).AccessKeys {
					if k.ID == id {
						keep = append(keep, k)
					}
				}
			}
			u.AccessKeys = keep
		}
		d.add(it, "access-keys")
	}
}

func (d *differ) groups() {
	for _, name := range unionNames(len(d.base.Groups), func(i int) string { return d.base.Groups[i].Name },
		len(d.cur.Groups), func(i int) string { return d.cur.Groups[i].Name }) {
		b, c := d.base.Group(name), d.cur.Group(name)
		it := Item{Rule: RuleUserPerms, Kind: GroupChanged, Subject: "group/" + name, group: name, Severity: finding.Medium}
		switch {
		case b == nil:
			it.Resource, it.Key, it.Summary, it.Severity = c.ARN, "added", "group "+name+" was added", finding.Low
			it.patch = func(v *view) { g := *v.cur.Group(name); v.groups[name] = &g }
			d.add(it, "iam")
			continue
		case c == nil:
			it.Resource, it.Key, it.Summary, it.Severity = b.ARN, "removed", "group "+name+" was removed", finding.Low
			it.patch = func(v *view) { v.groups[name] = nil }
			d.add(it, "iam")
			continue
		}
		it.Resource = c.ARN
		for _, pn := range unionNames(len(b.Inline), func(i int) string { return b.Inline[i].Name }, len(c.Inline), func(i int) string { return c.Inline[i].Name }) {
			bd, cd := inlineDoc(b.Inline, pn), inlineDoc(c.Inline, pn)
			if bytes.Equal(bd, cd) {
				continue
			}
			g := it
			g.Key, g.Summary = "inline:"+pn, "group inline policy "+pn+" "+changeWord(bd, cd)
			g.Before, g.After, g.Diff = docValue(bd), docValue(cd), docDiff(bd, cd)
			g.patch = func(v *view) {
				x := v.editGroup(name)
				x.Inline = setInline(x.Inline, pn, inlineDoc(v.cur.Group(name).Inline, pn))
			}
			d.add(g, "iam")
		}
		for _, arn := range symDiff(b.Attached, c.Attached) {
			on := slices.Contains(c.Attached, arn)
			g := it
			g.Key, g.Summary = "attached:"+arn, "managed policy "+policyName(arn)+" "+map[bool]string{true: "attached to", false: "detached from"}[on]+" group "+name
			g.patch = func(v *view) { x := v.editGroup(name); x.Attached = setMember(x.Attached, arn, on) }
			d.add(g, "iam")
		}
	}
}
