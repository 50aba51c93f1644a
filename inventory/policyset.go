package inventory

import (
	"errors"
	"fmt"

	"github.com/pvaudit/pvaudit/policy"
)

// ErrPolicyMissing is wrapped when a policy a role references is not in the
// snapshot (or has no default version document), so the role's
// permissions cannot be decided from it.
var ErrPolicyMissing = errors.New("referenced policy is not in the snapshot")

// RolePolicySet assembles the policies IAM evaluates for a role: its inline
// policies, the default versions of its attached managed policies (the
// identity layer) and the default version of its permissions boundary.
//
// A missing inline document or attached policy is an error wrapping
// ErrPolicyMissing: without it nothing about the role can be decided. A
// boundary the snapshot lacks is not an error; the set is returned without
// it and missingBoundary names its ARN, because what that means differs by
// caller (the checks treat the identity layer as an upper bound, the probes
// report not evaluated, simulate refuses).
func (s *Snapshot) RolePolicySet(r *Role) (set policy.PolicySet, missingBoundary string, err error) {
	for _, p := range r.InlinePolicies {
		if p.Document == nil {
			return policy.PolicySet{}, "", fmt.Errorf("inline policy %s of role %s has no document: %w", p.Name, r.Name, ErrPolicyMissing)
		}
		set.Identity = append(set.Identity, policy.NamedPolicy{Name: p.Name, Doc: p.Document})
	}
	for _, a := range r.AttachedPolicies {
		doc, err := s.DefaultPolicyDocument(a.ARN)
		if err != nil {
			return policy.PolicySet{}, "", fmt.Errorf("attached policy of role %s: %w", r.Name, err)
		}
		set.Identity = append(set.Identity, policy.NamedPolicy{Name: a.ARN, Doc: doc})
	}
	if r.PermissionsBoundary != nil {
		doc, err := s.DefaultPolicyDocument(r.PermissionsBoundary.ARN)
		if err != nil {
			return set, r.PermissionsBoundary.ARN, nil
		}
		set.Boundary = &policy.NamedPolicy{Name: r.PermissionsBoundary.ARN, Doc: doc}
	}
	return set, "", nil
}

// DefaultPolicyDocument returns the default version document of a managed
// policy, or an error wrapping ErrPolicyMissing.
func (s *Snapshot) DefaultPolicyDocument(arn string) (*policy.Document, error) {
	p := s.Policy(arn)
	if p == nil {
		return nil, fmt.Errorf("%s: %w", arn, ErrPolicyMissing)
	}
	if err := p.DefaultVersionConflict(); err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrPolicyMissing)
	}
	doc := p.DefaultDocument()
	if doc == nil {
		return nil, fmt.Errorf("%s has no default version document: %w", arn, ErrPolicyMissing)
	}
	return doc, nil
}
