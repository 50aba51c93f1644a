package awsfake

import (
	"fmt"
	"sort"
	"strings"
)

// UserSpec describes an IAM user to seed with AddUser.
type UserSpec struct {
	Name string
	Path string // "/" when empty
	// Inline maps policy name to document (plain JSON).
	Inline map[string]string
	// Attached lists managed policy ARNs; they must exist (AWS managed
	// AdministratorAccess and ReadOnlyAccess are seeded).
	Attached []string
	// Boundary is a managed policy ARN, or "".
	Boundary string
	// Tags become the user's tags (and aws:PrincipalTag keys).
	Tags map[string]string
}

// AddUser creates a user with policies and one access key, without going
// through the API (IAM's user-policy actions are not served), and returns
// the key. Use it to seed callers such as a read-only auditor.
func (s *Server) AddUser(spec UserSpec) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if aerr := validName("userName", spec.Name, 64); aerr != nil {
		return Credentials{}, fmt.Errorf("awsfake: add user: %w", aerr)
	}
	if _, ok := s.st.users[spec.Name]; ok {
		return Credentials{}, fmt.Errorf("awsfake: add user %s: %w", spec.Name, errAlreadyExists("User with name %s already exists.", spec.Name))
	}
	for name, doc := range spec.Inline {
		if aerr := validateDoc(doc, false); aerr != nil {
			return Credentials{}, fmt.Errorf("awsfake: add user %s: inline policy %s: %w", spec.Name, name, aerr)
		}
	}
	for _, arn := range append(append([]string(nil), spec.Attached...), spec.Boundary) {
		if _, ok := s.st.policies[arn]; arn != "" && !ok {
			return Credentials{}, fmt.Errorf("awsfake: add user %s: %w", spec.Name, errNoSuchEntity("Policy %s does not exist or is not attachable.", arn))
		}
	}
	path := spec.Path
	if path == "" {
		path = "/"
	}
	now := s.now()
	u := s.st.addUser(s, spec.Name, path, now)
	for name, doc := range spec.Inline {
		u.inline[name] = doc
	}
	for _, arn := range spec.Attached {
		u.attached = append(u.attached, arn)
		s.st.policies[arn].attachments++
	}
	if spec.Boundary != "" {
		u.boundary = spec.Boundary
		s.st.policies[spec.Boundary].boundaryUses++
	}
	keys := make([]string, 0, len(spec.Tags))
	for k := range spec.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		u.tags = append(u.tags, tag{key: k, value: spec.Tags[k]})
	}
	k := s.st.addAccessKey(s, u.name, now)
	return Credentials{AccessKeyID: k.id, SecretAccessKey: k.secret}, nil
}

// AddExternalUser creates an IAM user of another account (for example a
// provider's provisioner) with an access key. It may call STS here and
// assume the roles whose trust policy admits it or its account, but it has
// no permissions in this account. Its CloudTrail records carry its own
// account ID.
func (s *Server) AddExternalUser(account, name string) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(account) != 12 || strings.Trim(account, "0123456789") != "" {
		return Credentials{}, fmt.Errorf("awsfake: add external user: account %q is not 12 digits", account)
	}
	if account == s.account {
		return Credentials{}, fmt.Errorf("awsfake: add external user: %s is this endpoint's own account; use AddUser", account)
	}
	if aerr := validName("userName", name, 64); aerr != nil {
		return Credentials{}, fmt.Errorf("awsfake: add external user: %w", aerr)
	}
	x := &externalUser{account: account, name: name, id: s.newID("AIDA", 17), arn: "arn:aws:iam::" + account + ":user/" + name,
		keyID: s.newID("AKIA", 16), secret: s.newSecret()}
	s.st.external[x.keyID] = x
	return Credentials{AccessKeyID: x.keyID, SecretAccessKey: x.secret}, nil
}
