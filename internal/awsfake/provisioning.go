package awsfake

import (
	"fmt"
)

// What a provisioner needs beyond the scanner's calls: tags on managed
// policies, IAM's size quotas, AWS managed policies other than the two
// seeded ones, and the eventual-consistency mode (Faults.InvisibleFor).

// IAM's default quotas on document size, in characters without white
// space (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
const (
	maxRoleInlineChars   = 10240 // all inline policies of one role together
	maxManagedChars      = 6144  // one managed policy version
	maxTrustPolicyChars  = 2048  // a role's trust policy (default quota)
	maxPolicyVersions    = 5
	maxTagsPerEntity     = 50
	policyTagListingKind = "ListPolicyTags"
)

// docChars is a document's size as IAM counts it: white space excluded.
func docChars(doc string) int {
	n := 0
	for i := 0; i < len(doc); i++ {
		switch doc[i] {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}

func checkTrustSize(doc string) *apiError {
	if n := docChars(doc); n > maxTrustPolicyChars {
		return errLimit("Cannot exceed quota for ACLSizePerRole: %d (the document has %d characters)", maxTrustPolicyChars, n)
	}
	return nil
}

func checkManagedSize(doc string) *apiError {
	if n := docChars(doc); n > maxManagedChars {
		return errLimit("Cannot exceed quota for PolicySize: %d (the document has %d characters)", maxManagedChars, n)
	}
	return nil
}

// checkInlineSize checks the role's inline policies with name set to doc.
func checkInlineSize(r *role, name, doc string) *apiError {
	total := docChars(doc)
	for n, d := range r.inline {
		if n != name {
			total += docChars(d)
		}
	}
	if total > maxRoleInlineChars {
		return errLimit("Maximum policy size of %d bytes exceeded for role %s (its inline policies would have %d characters)", maxRoleInlineChars, r.name, total)
	}
	return nil
}

// AddAWSManagedPolicy adds an AWS managed policy (arn:aws:iam::aws:policy
// PATH NAME) with one version, so that roles can attach it. path is "/"
// when empty. Adding an existing one is an error.
func (s *Server) AddAWSManagedPolicy(path, name, doc string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path == "" {
		path = "/"
	}
	if aerr := validPath(path); aerr != nil {
		return fmt.Errorf("awsfake: add AWS managed policy %s: %w", name, aerr)
	}
	if aerr := validName("policyName", name, 128); aerr != nil {
		return fmt.Errorf("awsfake: add AWS managed policy: %w", aerr)
	}
	if aerr := validateDoc(doc, false); aerr != nil {
		return fmt.Errorf("awsfake: add AWS managed policy %s: %w", name, aerr)
	}
	arn := "arn:aws:iam::aws:policy" + path + name
	if _, ok := s.st.policies[arn]; ok {
		return fmt.Errorf("awsfake: add AWS managed policy: %s exists", arn)
	}
	p := s.st.addAWSManagedPolicy(s, name, doc, s.now())
	delete(s.st.policies, p.arn)
	p.path, p.arn = path, arn
	s.st.policies[arn] = p
	return nil
}

// hide makes a just-created entity invisible for the configured number of
// lookups (Faults.InvisibleFor). key is "role/NAME" or "policy/ARN".
func (s *Server) hide(key string) {
	if n := s.faults.InvisibleFor; n > 0 {
		s.st.hidden[key] = n
	}
}

// hiddenNow reports whether a lookup of key must answer NoSuchEntity, and
// uses up one of its invisible lookups.
func (s *Server) hiddenNow(key string) bool {
	n := s.st.hidden[key]
	if n <= 0 {
		return false
	}
	if n == 1 {
		delete(s.st.hidden, key)
	} else {
		s.st.hidden[key] = n - 1
	}
	return true
}

// ---- tags on managed policies ---------------------------------------------

func (s *Server) customerPolicy(ex *exchange, action string) (*managedPolicy, *apiError) {
	p, aerr := s.managedPolicy(ex.form.get("PolicyArn"))
	if aerr != nil {
		return nil, aerr
	}
	if p.awsManaged {
		return nil, s.accessDenied(ex, "iam:"+action, p.arn, "because AWS managed policies cannot be modified")
	}
	return p, nil
}

func (s *Server) iamTagPolicy(ex *exchange) (*xmlBuilder, *apiError) {
	p, aerr := s.customerPolicy(ex, "TagPolicy")
	if aerr != nil {
		return nil, aerr
	}
	tags := setTags(append([]tag(nil), p.tags...), ex.form.tags())
	if len(tags) > maxTagsPerEntity {
		return nil, errLimit("The number of tags has reached the maximum limit.")
	}
	p.tags = tags
	ex.addResource("AWS::IAM::Policy", p.arn)
	return nil, nil
}

func (s *Server) iamUntagPolicy(ex *exchange) (*xmlBuilder, *apiError) {
	p, aerr := s.customerPolicy(ex, "UntagPolicy")
	if aerr != nil {
		return nil, aerr
	}
	p.tags = removeTags(p.tags, ex.form.list("TagKeys"))
	ex.addResource("AWS::IAM::Policy", p.arn)
	return nil, nil
}

func (s *Server) iamListPolicyTags(ex *exchange) (*xmlBuilder, *apiError) {
	p, aerr := s.managedPolicy(ex.form.get("PolicyArn"))
	if aerr != nil {
		return nil, aerr
	}
	start, end, next, aerr := s.page(ex, policyTagListingKind, len(p.tags))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("Tags")
	for _, t := range p.tags[start:end] {
		x.open("member")
		x.el("Key", t.key)
		x.el("Value", t.value)
		x.close("member")
	}
	x.close("Tags")
	writePage(x, next)
	return x, nil
}
