package provision

import "fmt"

// IAM's default quotas on document size, in characters without white space.
const (
	MaxRoleInlineChars  = 10240
	MaxManagedChars     = 6144
	MaxTrustPolicyChars = 2048
)

// Chars is a document's size as IAM counts it: white space excluded.
func Chars(doc string) int {
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

// checkQuotas refuses a desired state IAM would reject, before any call.
func checkQuotas(d *Desired) error {
	for _, r := range d.Roles {
		if n := Chars(r.Trust.JSON); n > MaxTrustPolicyChars {
			return fmt.Errorf("role %s: the trust policy has %d characters; IAM allows %d", r.Name, n, MaxTrustPolicyChars)
		}
		total := 0
		for _, in := range r.Inline {
			total += Chars(in.Doc.JSON)
		}
		if total > MaxRoleInlineChars {
			return fmt.Errorf("role %s: its inline policies have %d characters; IAM allows %d per role (each node adds its namespace and boundary; use one cross-account role per environment for fewer nodes)", r.Name, total, MaxRoleInlineChars)
		}
	}
	for _, p := range d.Policies {
		if n := Chars(p.Doc.JSON); n > MaxManagedChars {
			return fmt.Errorf("policy %s has %d characters; IAM allows %d", p.Name, n, MaxManagedChars)
		}
	}
	return nil
}
