package baseline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/policy"
)

// CanonicalDocument returns a policy document in the form drift compares:
// compact JSON in which two documents IAM treats alike are byte-identical.
// On top of policy.Document.Canonical (lists vs strings, order and
// duplicates of list elements, action case, operator spelling, statement
// order) it erases what IAM ignores when it decides:
//
//   - Sid and the document's Id (labels, not semantics);
//   - an absent Version, which IAM reads as "2008-10-17";
//   - a 12-digit account in an AWS principal, which IAM stores as
//     arn:aws:iam::ACCOUNT:root;
//   - the case of condition key names, which IAM matches
//     case-insensitively (unless two spellings of a key are present under
//     one operator: they are ANDed, so they stay apart);
//   - repeated identical statements.
//
// Statement contents, resources, condition values and principals keep
// their case. A nil document gives nil.
func CanonicalDocument(d *policy.Document) (json.RawMessage, error) {
	if d == nil {
		return nil, nil
	}
	// A shallow copy with the erasures applied; CanonicalJSON canonicalizes
	// the rest (and copies what it sorts).
	c := &policy.Document{Version: d.Version, Statements: make([]policy.Statement, len(d.Statements))}
	if c.Version == "" {
		c.Version = "2008-10-17"
	}
	for i, st := range d.Statements {
		st.Sid = ""
		st.Principal = accountToRoot(st.Principal)
		st.NotPrincipal = accountToRoot(st.NotPrincipal)
		st.Condition = foldConditionKeys(st.Condition)
		c.Statements[i] = st
	}
	raw, err := c.CanonicalJSON()
	if err != nil {
		return nil, fmt.Errorf("canonical policy document: %w", err)
	}
	if len(c.Statements) < 2 {
		return raw, nil
	}
	var shape struct {
		Version   string            `json:"Version"`
		Statement []json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		return nil, fmt.Errorf("canonical policy document: %w", err)
	}
	// CanonicalJSON sorts statements by their JSON (Sids are gone), so
	// identical statements are neighbours.
	dup := false
	for i := 1; i < len(shape.Statement); i++ {
		dup = dup || bytes.Equal(shape.Statement[i], shape.Statement[i-1])
	}
	if !dup {
		return raw, nil
	}
	var b bytes.Buffer
	b.WriteString(`{"Version":`)
	v, _ := json.Marshal(shape.Version)
	b.Write(v)
	b.WriteString(`,"Statement":[`)
	for i, st := range shape.Statement {
		if i > 0 && bytes.Equal(st, shape.Statement[i-1]) {
			continue
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(st)
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// accountToRoot rewrites bare account IDs in an AWS principal to the root
// ARN IAM stores them as.
func accountToRoot(p *policy.Principal) *policy.Principal {
	if p == nil || !slices.ContainsFunc(p.AWS, isAccountID) {
		return p
	}
	c := *p
	c.AWS = make(policy.StringList, len(p.AWS))
	for i, v := range p.AWS {
		if isAccountID(v) {
			v = "arn:aws:iam::" + v + ":root"
		}
		c.AWS[i] = v
	}
	return &c
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// foldConditionKeys lower-cases condition key names where that merges
// nothing.
func foldConditionKeys(c policy.Condition) policy.Condition {
	if c == nil {
		return nil
	}
	lower := true
	for _, keys := range c {
		for k := range keys {
			lower = lower && k == strings.ToLower(k)
		}
	}
	if lower {
		return c
	}
	out := make(policy.Condition, len(c))
	for op, keys := range c {
		seen := map[string]int{}
		for k := range keys {
			seen[strings.ToLower(k)]++
		}
		m := make(map[string]policy.StringList, len(keys))
		for k, v := range keys {
			if seen[strings.ToLower(k)] == 1 {
				k = strings.ToLower(k)
			}
			m[k] = v
		}
		out[op] = m
	}
	return out
}
