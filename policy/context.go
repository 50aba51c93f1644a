package policy

import "strings"

// evalCtx is the per-request state of one evaluation. It lives on the
// stack of Evaluate; nothing in it is retained.
type evalCtx struct {
	req      *Request
	resource arnFields
}

// values is a view of a context key's values that can also hold one value
// derived from the request without allocating a slice.
type values struct {
	list  []string
	one   string
	isOne bool
}

func (v values) len() int {
	if v.isOne {
		return 1
	}
	return len(v.list)
}

func (v values) at(i int) string {
	if v.isOne {
		return v.one
	}
	return v.list[i]
}

// lookup returns the request's values for a condition key. Key names are
// case-insensitive. A key present with no values counts as absent.
//
// When the context does not carry them, three keys are derived from
// Request.Principal: aws:PrincipalArn (the principal as given),
// aws:PrincipalAccount (its account field) and, for IAM users,
// aws:username (the last path element of the user ARN).
func (ev *evalCtx) lookup(key string) (values, bool) {
	if ctx := ev.req.Context; len(ctx) > 0 {
		if v, ok := ctx[key]; ok {
			return values{list: v}, len(v) > 0
		}
		for k, v := range ctx {
			if strings.EqualFold(k, key) {
				return values{list: v}, len(v) > 0
			}
		}
	}
	p := ev.req.Principal
	if p == "" {
		return values{}, false
	}
	switch {
	case strings.EqualFold(key, "aws:PrincipalArn"):
		return values{one: p, isOne: true}, true
	case strings.EqualFold(key, "aws:PrincipalAccount"):
		a := splitARN(p)
		if a.isARN() && a.f[4] != "" {
			return values{one: a.f[4], isOne: true}, true
		}
	case strings.EqualFold(key, "aws:username"):
		a := splitARN(p)
		if a.isARN() && a.f[2] == "iam" && strings.HasPrefix(a.f[5], "user/") {
			name := a.f[5][strings.LastIndexByte(a.f[5], '/')+1:]
			if name != "" {
				return values{one: name, isOne: true}, true
			}
		}
	}
	return values{}, false
}
