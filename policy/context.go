package policy

import (
	"strconv"
	"strings"
)

// evalCtx is the per-request state of one evaluation. It lives on the
// stack of Evaluate; nothing in it is retained.
type evalCtx struct {
	req *Request
	// resource is req.Resource split, computed on first use.
	resource      arnFields
	resourceSplit bool
	// principal is req.Principal split, computed on first use.
	principal      arnFields
	principalSplit bool
	// folded caches the context entries for case-insensitive lookups
	// (filled on the first lookup whose exact spelling misses), so the map
	// is iterated at most once per evaluation. When the context has more
	// entries than fit, lookups fall back to iterating the map.
	folded     [8]ctxEntry
	nFolded    int
	foldedInit bool
	foldedAll  bool
}

type ctxEntry struct {
	key  string
	vals []string
}

func (ev *evalCtx) resourceARN() *arnFields {
	if !ev.resourceSplit {
		ev.resource = splitARN(ev.req.Resource)
		ev.resourceSplit = true
	}
	return &ev.resource
}

func (ev *evalCtx) principalARN() *arnFields {
	if !ev.principalSplit {
		ev.principal = splitARN(ev.req.Principal)
		ev.principalSplit = true
	}
	return &ev.principal
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

// derivedKey names the keys the engine can derive from Request.Principal.
type derivedKey uint8

const (
	derivedNone derivedKey = iota
	derivedPrincipalArn
	derivedPrincipalAccount
	derivedUsername
	derivedResourceAccount
	// The request time: every AWS request carries both keys.
	derivedCurrentTime
	derivedEpochTime
)

// alwaysPresent reports whether AWS puts the key on every request, so that
// "absent" is not a state a real request can be in.
func (d derivedKey) alwaysPresent() bool {
	return d == derivedCurrentTime || d == derivedEpochTime
}

// currentTimeLayout is how aws:CurrentTime values are written (UTC, whole
// seconds), e.g. 2024-06-01T12:00:00Z.
const currentTimeLayout = "2006-01-02T15:04:05Z"

// keyRef is a condition key or variable name, resolved once at compile
// time to the derived key it may stand for.
type keyRef struct {
	name    string
	derived derivedKey
}

func newKeyRef(name string) keyRef {
	r := keyRef{name: name}
	switch {
	case strings.EqualFold(name, "aws:PrincipalArn"):
		r.derived = derivedPrincipalArn
	case strings.EqualFold(name, "aws:PrincipalAccount"):
		r.derived = derivedPrincipalAccount
	case strings.EqualFold(name, "aws:username"):
		r.derived = derivedUsername
	case strings.EqualFold(name, "aws:ResourceAccount"):
		r.derived = derivedResourceAccount
	case strings.EqualFold(name, "aws:CurrentTime"):
		r.derived = derivedCurrentTime
	case strings.EqualFold(name, "aws:EpochTime"):
		r.derived = derivedEpochTime
	}
	return r
}

// lookup returns the request's values for a condition key. Key names are
// case-insensitive. A key present with no values counts as absent.
//
// When the context does not carry them, three keys are derived from
// Request.Principal: aws:PrincipalArn (the principal as given),
// aws:PrincipalAccount (its account field) and, for IAM users,
// aws:username (the last path element of the user ARN); and
// aws:ResourceAccount is Request.ResourceAccount when that is set. The
// request time keys come from Request.Now, or one from the other
// (aws:EpochTime is aws:CurrentTime in whole seconds since 1970).
func (ev *evalCtx) lookup(key keyRef) (values, bool) {
	if ctx := ev.req.Context; len(ctx) > 0 {
		if v, ok := ctx[key.name]; ok && (len(v) > 0 || !key.derived.alwaysPresent()) {
			return values{list: v}, len(v) > 0
		}
		if v, ok := ev.foldedLookup(key.name); ok && (len(v) > 0 || !key.derived.alwaysPresent()) {
			return values{list: v}, len(v) > 0
		}
	}
	if key.derived.alwaysPresent() {
		return ev.requestTime(key.derived)
	}
	if key.derived == derivedResourceAccount {
		if a := ev.req.ResourceAccount; a != "" {
			return values{one: a, isOne: true}, true
		}
		return values{}, false
	}
	p := ev.req.Principal
	if p == "" {
		return values{}, false
	}
	switch key.derived {
	case derivedPrincipalArn:
		return values{one: p, isOne: true}, true
	case derivedPrincipalAccount:
		a := ev.principalARN()
		if a.isARN() && a.f[4] != "" {
			return values{one: a.f[4], isOne: true}, true
		}
	case derivedUsername:
		a := ev.principalARN()
		if a.isARN() && a.f[2] == "iam" && strings.HasPrefix(a.f[5], "user/") {
			name := a.f[5][strings.LastIndexByte(a.f[5], '/')+1:]
			if name != "" {
				return values{one: name, isOne: true}, true
			}
		}
	}
	return values{}, false
}

// requestTime derives aws:CurrentTime or aws:EpochTime from Request.Now or
// from the other key.
func (ev *evalCtx) requestTime(d derivedKey) (values, bool) {
	t := ev.req.Now
	if t.IsZero() {
		other := keyRef{name: "aws:EpochTime", derived: derivedEpochTime}
		if d == derivedEpochTime {
			other = keyRef{name: "aws:CurrentTime", derived: derivedCurrentTime}
		}
		v, ok := ev.contextValues(other.name)
		if !ok || len(v) != 1 {
			return values{}, false
		}
		pt, ok := parseDate(v[0])
		if !ok {
			return values{}, false
		}
		t = pt
	}
	if d == derivedEpochTime {
		return values{one: strconv.FormatInt(t.Unix(), 10), isOne: true}, true
	}
	return values{one: t.UTC().Format(currentTimeLayout), isOne: true}, true
}

// contextValues is the context's entry for key, compared case-insensitively.
func (ev *evalCtx) contextValues(key string) ([]string, bool) {
	ctx := ev.req.Context
	if len(ctx) == 0 {
		return nil, false
	}
	if v, ok := ctx[key]; ok {
		return v, true
	}
	return ev.foldedLookup(key)
}

func (ev *evalCtx) foldedLookup(key string) ([]string, bool) {
	ctx := ev.req.Context
	if !ev.foldedInit {
		ev.foldedInit = true
		ev.foldedAll = len(ctx) <= len(ev.folded)
		if ev.foldedAll {
			for k, v := range ctx {
				ev.folded[ev.nFolded] = ctxEntry{key: k, vals: v}
				ev.nFolded++
			}
		}
	}
	if ev.foldedAll {
		for i := 0; i < ev.nFolded; i++ {
			if strings.EqualFold(ev.folded[i].key, key) {
				return ev.folded[i].vals, true
			}
		}
		return nil, false
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
