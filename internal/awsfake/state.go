package awsfake

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// state is the account's IAM data. Every access holds Server.mu.
type state struct {
	account  string
	roles    map[string]*role // by name
	users    map[string]*user // by name
	policies map[string]*managedPolicy
	profiles map[string]*instanceProfile // by name
	keys     map[string]*accessKey       // by access key ID
	sessions map[string]*session         // by access key ID
	// external are IAM users of other accounts (e.g. a provider's
	// provisioner) that may assume roles here; by access key ID.
	external map[string]*externalUser
	// hidden counts the lookups for which a just-created entity ("role/NAME",
	// "policy/ARN") is still invisible (Faults.InvisibleFor).
	hidden map[string]int
}

// externalUser is a principal of another account. It can call STS (to
// assume roles whose trust admits it) but holds no permissions in this
// account.
type externalUser struct {
	account, name, id, arn, keyID, secret string
}

type tag struct{ key, value string }

type role struct {
	name, id, path, arn, description string
	created                          time.Time
	trust                            string // document as submitted
	maxSession                       int32
	boundary                         string // policy ARN or ""
	inline                           map[string]string
	attached                         []string // policy ARNs in attach order
	tags                             []tag
	lastUsed                         time.Time
}

type user struct {
	name, id, path, arn string
	created             time.Time
	inline              map[string]string
	attached            []string
	boundary            string
	tags                []tag
}

type managedPolicy struct {
	name, id, path, arn, description string
	created, updated                 time.Time
	defaultVersion                   string
	versions                         []*policyVersion // oldest first
	nextVersion                      int
	awsManaged                       bool
	attachments                      int
	boundaryUses                     int
	tags                             []tag
}

type policyVersion struct {
	id      string
	doc     string
	created time.Time
}

type instanceProfile struct {
	name, id, path, arn string
	created             time.Time
	roles               []string // role names
}

type accessKey struct {
	id, secret, userName, status string
	created                      time.Time
}

type session struct {
	keyID, secret, token      string
	roleName, roleARN, roleID string
	sessionName, arn          string
	created, expires          time.Time
	sourceIdentity            string
	policies                  []NamedDoc // session policies (inline and PolicyArns)
	chained                   bool       // assumed with another session's credentials
}

func newState(account string) *state {
	return &state{
		account:  account,
		roles:    map[string]*role{},
		users:    map[string]*user{},
		policies: map[string]*managedPolicy{},
		profiles: map[string]*instanceProfile{},
		keys:     map[string]*accessKey{},
		sessions: map[string]*session{},
		external: map[string]*externalUser{},
		hidden:   map[string]int{},
	}
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newID returns prefix followed by n random characters from IAM's alphabet.
// The caller holds s.mu or is New.
func (s *Server) newID(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for range n {
		b.WriteByte(idAlphabet[s.rng.IntN(len(idAlphabet))])
	}
	return b.String()
}

func (s *Server) newSecret() string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, 40)
	for i := range b {
		b[i] = alpha[s.rng.IntN(len(alpha))]
	}
	return string(b)
}

func (s *Server) newRequestID() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hex[s.rng.IntN(16)]
		}
	}
	return string(b)
}

func (st *state) arn(kind, path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:%s%s%s", st.account, kind, path, name)
}

func (st *state) addAWSManagedPolicy(s *Server, name, doc string, now time.Time) *managedPolicy {
	p := &managedPolicy{
		name: name, id: s.newID("ANPA", 17), path: "/", arn: "arn:aws:iam::aws:policy/" + name,
		created: now, updated: now, defaultVersion: "v1", nextVersion: 2, awsManaged: true,
		versions: []*policyVersion{{id: "v1", doc: doc, created: now}},
	}
	st.policies[p.arn] = p
	return p
}

func (st *state) addUser(s *Server, name, path string, now time.Time) *user {
	u := &user{name: name, id: s.newID("AIDA", 17), path: path, arn: st.arn("user", path, name), created: now, inline: map[string]string{}}
	st.users[name] = u
	return u
}

func (st *state) addAccessKey(s *Server, userName string, now time.Time) *accessKey {
	k := &accessKey{id: s.newID("AKIA", 16), secret: s.newSecret(), userName: userName, status: "Active", created: now}
	st.keys[k.id] = k
	return k
}

func (p *managedPolicy) version(id string) *policyVersion {
	for _, v := range p.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

func (p *managedPolicy) defaultDoc() string {
	if v := p.version(p.defaultVersion); v != nil {
		return v.doc
	}
	return ""
}

// profilesOf lists the instance profiles holding a role, sorted by name.
func (st *state) profilesOf(roleName string) []*instanceProfile {
	var out []*instanceProfile
	for _, p := range st.profiles {
		for _, r := range p.roles {
			if r == roleName {
				out = append(out, p)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func sortedRoles(m map[string]*role) []*role {
	out := make([]*role, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func sortedUsers(m map[string]*user) []*user {
	out := make([]*user, 0, len(m))
	for _, u := range m {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func sortedPolicies(m map[string]*managedPolicy) []*managedPolicy {
	out := make([]*managedPolicy, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].arn < out[j].arn })
	return out
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func setTags(tags []tag, add []tag) []tag {
	for _, a := range add {
		found := false
		for i := range tags {
			if tags[i].key == a.key {
				tags[i].value = a.value
				found = true
			}
		}
		if !found {
			tags = append(tags, a)
		}
	}
	return tags
}

func removeTags(tags []tag, keys []string) []tag {
	out := tags[:0:0]
	for _, t := range tags {
		drop := false
		for _, k := range keys {
			if t.key == k {
				drop = true
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}
