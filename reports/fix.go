package reports

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// placeholderRE finds upper-case words; Fix replaces those that are
// placeholders (ROLE, ACCOUNT, POLICY, …) and stand alone.
var placeholderRE = regexp.MustCompile(`[A-Z][A-Z_]*[A-Z0-9]`)

// Fix returns a finding's remediation with the placeholders it can fill
// from the finding itself: the role, user or policy of its resource, the
// account, the node, the policy version, the inline policy its deciding
// statement belongs to. Placeholders it cannot know stay as they are.
func Fix(f *finding.Finding) string {
	if f.Remediation == "" {
		return ""
	}
	vals := fixValues(f)
	if len(vals) == 0 {
		return f.Remediation
	}
	src := f.Remediation
	word := func(b byte) bool {
		return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
	}
	var b strings.Builder
	last := 0
	for _, m := range placeholderRE.FindAllStringIndex(src, -1) {
		i, j := m[0], m[1]
		if (i > 0 && word(src[i-1])) || (j < len(src) && word(src[j])) {
			continue
		}
		v, ok := vals[src[i:j]]
		if !ok {
			continue
		}
		b.WriteString(src[last:i])
		b.WriteString(v)
		last = j
	}
	b.WriteString(src[last:])
	return b.String()
}

// fixValues are the placeholder values a finding determines.
func fixValues(f *finding.Finding) map[string]string {
	vals := map[string]string{}
	acct, typ, name := splitARN(f.Resource)
	if acct != "" {
		vals["ACCOUNT"] = acct
	}
	switch typ {
	case "role":
		vals["ROLE"] = name
	case "user":
		vals["USER"] = name
	case "policy":
		vals["POLICY_ARN"] = f.Resource
		vals["POLICY"] = name
	}
	ev := f.Evidence
	if s := evString(ev, "node_id"); s != "" {
		vals["NODE"] = s
	} else if s := evString(ev, "node"); s != "" {
		vals["NODE"] = s
	} else if b := evString(ev, "boundary_arn"); b != "" {
		if _, _, n := splitARN(b); strings.HasPrefix(n, "pennsieve-boundary-") {
			vals["NODE"] = strings.TrimPrefix(n, "pennsieve-boundary-")
		}
	}
	if typ == "policy" {
		if v := evString(ev, "version"); v != "" {
			vals["VERSION"] = v
		}
	}
	if s := evString(ev, "workflow_bucket"); s != "" {
		vals["WORKFLOW_BUCKET"] = s
	}
	if typ == "role" {
		// The inline policy a deciding identity statement belongs to:
		// "identity/PennsieveComputeAccess[0] …" (not a managed policy ARN).
		// Filled only when every deciding identity statement is in the
		// same inline policy: a wrong name in a command is worse than none.
		inline := map[string]bool{}
		for _, st := range DecidingStatements(f) {
			p, ok := strings.CutPrefix(st, "identity/")
			if !ok {
				continue
			}
			i := strings.IndexByte(p, '[')
			if i <= 0 || strings.HasPrefix(p, "arn:") {
				inline["\x00managed"] = true
				continue
			}
			inline[p[:i]] = true
		}
		if len(inline) == 1 {
			for p := range inline {
				if p != "\x00managed" {
					vals["POLICY"] = p
				}
			}
		}
	}
	if keys := evStrings(ev, "access_keys"); len(keys) == 1 {
		vals["KEY"] = keys[0]
	}
	return vals
}

// splitARN returns an IAM ARN's account, resource type and name
// ("arn:aws:iam::1:role/path/x" → "1", "role", "x").
func splitARN(arn string) (account, typ, name string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", "", ""
	}
	res := parts[5]
	t, rest, ok := strings.Cut(res, "/")
	if !ok {
		return parts[4], "", ""
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		rest = rest[i+1:]
	}
	return parts[4], t, rest
}

func evString(ev map[string]any, k string) string {
	s, _ := ev[k].(string)
	return s
}

func evStrings(ev map[string]any, k string) []string {
	switch v := ev[k].(type) {
	case []string:
		return v
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// DecidingStatements returns the policy statements that decided a
// finding, from its evidence ("identity/Policy[1] "Sid" (Allow)"), without
// the engine prefix probes add; sorted, without duplicates.
func DecidingStatements(f *finding.Finding) []string {
	set := map[string]bool{}
	for _, k := range []string{"deciding_statements", "create_policy_statements", "create_role_statements"} {
		for _, s := range evStrings(f.Evidence, k) {
			set[s] = true
		}
	}
	if b, ok := f.Evidence["broken"]; ok {
		var broken []struct {
			Deciding []string `json:"deciding"`
		}
		if raw, err := json.Marshal(b); err == nil && json.Unmarshal(raw, &broken) == nil {
			for _, x := range broken {
				for _, s := range x.Deciding {
					_, s, _ = cutEngine(s)
					set[s] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func cutEngine(s string) (string, string, bool) {
	for _, e := range []string{"local: ", "aws: "} {
		if rest, ok := strings.CutPrefix(s, e); ok {
			return e[:len(e)-2], rest, true
		}
	}
	return "", s, false
}
