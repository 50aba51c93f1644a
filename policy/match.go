package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the compiled form of the strings a statement matches
// against: action names, resource ARNs and condition values. A pattern is a
// sequence of tokens (literal text, "*", "?", and policy variables) produced
// once at compile time; matching walks the tokens without building strings.

type tokKind uint8

const (
	tokLit   tokKind = iota // literal text
	tokStar                 // "*": any run of characters
	tokQuest                // "?": exactly one character
	tokVar                  // ${key} or ${key, 'default'}
)

// token is one element of a pattern. For tokVar, text is the condition key
// (as written) and def the default value when hasDef is set.
type token struct {
	kind   tokKind
	text   string
	def    string
	hasDef bool
	ref    keyRef // tokVar: the key, resolved at compile time
}

// pattern is a compiled string pattern.
type pattern struct {
	raw    string
	toks   []token
	hasVar bool
	// any is set for the pattern "*" (when wildcards are enabled).
	any bool
	// bad explains a malformed policy variable; matching such a pattern is
	// unevaluable.
	bad string
}

// patternOpts says which syntax a pattern string uses.
type patternOpts struct {
	wild bool // "*" and "?" are wildcards
	vars bool // "${…}" are policy variables (Version 2012-10-17 only)
}

// compilePattern tokenizes s. The ${*}, ${?} and ${$} escapes always yield
// literal characters when variables are enabled.
func compilePattern(s string, o patternOpts) pattern {
	if !o.vars || !strings.Contains(s, "${") {
		return compilePlainPattern(s, o.wild)
	}
	return compileGeneralPattern(s, o)
}

// compileGeneralPattern is compilePattern for any string.
func compileGeneralPattern(s string, o patternOpts) pattern {
	p := pattern{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, token{kind: tokLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case o.wild && c == '*':
			flush()
			// Collapse consecutive stars: they mean the same thing.
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != tokStar {
				p.toks = append(p.toks, token{kind: tokStar})
			}
			i++
		case o.wild && c == '?':
			flush()
			p.toks = append(p.toks, token{kind: tokQuest})
			i++
		case o.vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			tok, n, err := parseVariable(s[i:])
			if err != "" {
				if p.bad == "" {
					p.bad = err
				}
				lit.WriteString(s[i:])
				i = len(s)
				continue
			}
			if tok.kind == tokLit {
				lit.WriteString(tok.text)
			} else {
				flush()
				p.toks = append(p.toks, tok)
				p.hasVar = true
			}
			i += n
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	p.any = len(p.toks) == 1 && p.toks[0].kind == tokStar
	return p
}

// compilePlainPattern is compilePattern for a string without policy
// variables: the same tokens, with literal text taken as substrings of s
// and the token list allocated once.
func compilePlainPattern(s string, wild bool) pattern {
	p := pattern{raw: s}
	if !wild || !strings.ContainsAny(s, "*?") {
		if s != "" {
			p.toks = []token{{kind: tokLit, text: s}}
		}
		return p
	}
	n := 1
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' {
			n += 2
		}
	}
	p.toks = make([]token, 0, n)
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '*' && c != '?' {
			continue
		}
		if i > start {
			p.toks = append(p.toks, token{kind: tokLit, text: s[start:i]})
		}
		start = i + 1
		if c == '?' {
			p.toks = append(p.toks, token{kind: tokQuest})
		} else if k := len(p.toks); k == 0 || p.toks[k-1].kind != tokStar {
			// Collapse consecutive stars: they mean the same thing.
			p.toks = append(p.toks, token{kind: tokStar})
		}
	}
	if start < len(s) {
		p.toks = append(p.toks, token{kind: tokLit, text: s[start:]})
	}
	p.any = len(p.toks) == 1 && p.toks[0].kind == tokStar
	return p
}

// compileActionPattern is an Action or NotAction entry: the tokens of
// compilePattern(a, patternOpts{wild: true}), made rtoks directly.
func compileActionPattern(a string) actionPattern {
	if !strings.ContainsAny(a, "*?") {
		if a == "" {
			return actionPattern{toks: []rtok{}}
		}
		return actionPattern{toks: []rtok{{kind: tokLit, text: a}}}
	}
	n := 1
	for i := 0; i < len(a); i++ {
		if a[i] == '*' || a[i] == '?' {
			n += 2
		}
	}
	toks := make([]rtok, 0, n)
	start := 0
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c != '*' && c != '?' {
			continue
		}
		if i > start {
			toks = append(toks, rtok{kind: tokLit, text: a[start:i]})
		}
		start = i + 1
		if c == '?' {
			toks = append(toks, rtok{kind: tokQuest})
		} else if k := len(toks); k == 0 || toks[k-1].kind != tokStar {
			toks = append(toks, rtok{kind: tokStar})
		}
	}
	if start < len(a) {
		toks = append(toks, rtok{kind: tokLit, text: a[start:]})
	}
	return actionPattern{any: len(toks) == 1 && toks[0].kind == tokStar, toks: toks}
}

// parseVariable parses "${…}" at the start of s and returns the token, the
// number of bytes consumed, or a description of what is malformed.
// Grammar (from AWS's documentation of policy variables):
//
//	${*} ${?} ${$}            literal *, ? and $
//	${key}                    the request's value for key
//	${key, 'default text'}    the default is used when key has no value;
//	                          '' inside the quotes is one quote
func parseVariable(s string) (token, int, string) {
	body := s[2:]
	switch {
	case strings.HasPrefix(body, "*}"):
		return token{kind: tokLit, text: "*"}, 4, ""
	case strings.HasPrefix(body, "?}"):
		return token{kind: tokLit, text: "?"}, 4, ""
	case strings.HasPrefix(body, "$}"):
		return token{kind: tokLit, text: "$"}, 4, ""
	}
	i := 0
	for i < len(body) && body[i] != ',' && body[i] != '}' {
		i++
	}
	if i == len(body) {
		return token{}, 0, "unterminated policy variable in " + quote(s)
	}
	key := strings.TrimSpace(body[:i])
	if key == "" || strings.ContainsAny(key, " \t${") {
		return token{}, 0, "malformed policy variable name in " + quote(s)
	}
	tok := token{kind: tokVar, text: key, ref: newKeyRef(key)}
	if body[i] == '}' {
		return tok, 2 + i + 1, ""
	}
	// Default value: , 'text'}
	j := i + 1
	for j < len(body) && body[j] == ' ' {
		j++
	}
	if j >= len(body) || body[j] != '\'' {
		return token{}, 0, "policy variable default must be in single quotes in " + quote(s)
	}
	j++
	var def strings.Builder
	closed := false
	for j < len(body) {
		if body[j] == '\'' {
			if j+1 < len(body) && body[j+1] == '\'' {
				def.WriteByte('\'')
				j += 2
				continue
			}
			closed = true
			j++
			break
		}
		def.WriteByte(body[j])
		j++
	}
	if !closed {
		return token{}, 0, "unterminated policy variable default in " + quote(s)
	}
	for j < len(body) && body[j] == ' ' {
		j++
	}
	if j >= len(body) || body[j] != '}' {
		return token{}, 0, "unterminated policy variable in " + quote(s)
	}
	tok.def, tok.hasDef = def.String(), true
	return tok, 2 + j + 1, ""
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + s + "\""
}

// rtok is a token with variables resolved to literal text.
type rtok struct {
	kind tokKind
	text string
}

// resolveState is the outcome of resolving a pattern's variables.
type resolveState uint8

const (
	resolvedOK      resolveState = iota
	resolvedMissing              // a variable had no value and no default: the pattern matches nothing
	resolvedBad                  // a variable could not be resolved faithfully (e.g. multi-valued key)
)

// resolve appends the pattern's tokens to buf with variables replaced by the
// request's values. The substituted text is literal: a "*" inside a tag
// value is not a wildcard.
func (p *pattern) resolve(buf []rtok, ev *evalCtx) ([]rtok, resolveState, string) {
	for _, t := range p.toks {
		if t.kind != tokVar {
			buf = append(buf, rtok{kind: t.kind, text: t.text})
			continue
		}
		vals, ok := ev.lookup(t.ref)
		switch {
		case ok && vals.len() == 1:
			buf = append(buf, rtok{kind: tokLit, text: vals.at(0)})
		case ok && vals.len() > 1:
			if t.hasDef {
				buf = append(buf, rtok{kind: tokLit, text: t.def})
				continue
			}
			return buf, resolvedBad, "policy variable ${" + t.text + "} refers to a multi-valued key"
		case t.ref.derived.alwaysPresent():
			// Every AWS request has a time; "no value" is not a state a
			// real request can be in.
			return buf, resolvedBad, "policy variable ${" + t.text + "}: every AWS request carries it, and this one does not"
		case t.hasDef:
			buf = append(buf, rtok{kind: tokLit, text: t.def})
		default:
			return buf, resolvedMissing, ""
		}
	}
	return buf, resolvedOK, ""
}

// staticToks converts a variable-free token list once, at compile time.
func staticToks(toks []token) []rtok {
	out := make([]rtok, len(toks))
	for i, t := range toks {
		out[i] = rtok{kind: t.kind, text: t.text}
	}
	return out
}

// fold modes for matching.
type foldMode uint8

const (
	foldNone  foldMode = iota // case-sensitive
	foldASCII                 // ASCII case-insensitive (action names)
	foldFull                  // Unicode simple case folding
)

// globMatch reports whether s matches the token sequence. Stars match any
// run of characters (including none), "?" exactly one character (rune).
//
// The tokens are split at stars into groups of fixed rune length; the first
// group is anchored at the start, the last at the end, and the middle groups
// are matched at their leftmost position, which is optimal for this class of
// patterns. Time is O(len(s) * len(pattern)) in the worst case, no recursion.
func globMatch(toks []rtok, s string, fold foldMode) bool {
	// Fast paths.
	if len(toks) == 0 {
		return s == ""
	}
	if len(toks) == 1 {
		switch toks[0].kind {
		case tokStar:
			return true
		case tokLit:
			return equalMode(toks[0].text, s, fold)
		}
	}
	// Leading group.
	start := 0
	i := 0
	for i < len(toks) && toks[i].kind != tokStar {
		i++
	}
	if i == len(toks) {
		// No star at all: the whole string must match the single group.
		end, ok := matchGroupAt(toks, s, 0, fold)
		return ok && end == len(s)
	}
	if i > 0 {
		end, ok := matchGroupAt(toks[:i], s, 0, fold)
		if !ok {
			return false
		}
		start = end
	}
	// toks[i] is a star. Walk the middle groups.
	for {
		// Skip the star(s).
		for i < len(toks) && toks[i].kind == tokStar {
			i++
		}
		if i == len(toks) {
			return true // trailing star
		}
		j := i
		for j < len(toks) && toks[j].kind != tokStar {
			j++
		}
		group := toks[i:j]
		if j == len(toks) {
			// Last group: anchored at the end.
			return matchSuffixGroup(group, s, start, fold)
		}
		found := false
		for pos := start; pos <= len(s); {
			if end, ok := matchGroupAt(group, s, pos, fold); ok {
				start = end
				found = true
				break
			}
			if pos == len(s) {
				break
			}
			_, w := utf8.DecodeRuneInString(s[pos:])
			pos += w
		}
		if !found {
			return false
		}
		i = j
	}
}

// matchSuffixGroup reports whether group matches s[k:] for some k >= start
// with the match ending exactly at len(s).
func matchSuffixGroup(group []rtok, s string, start int, fold foldMode) bool {
	fixed := true
	n := 0
	for _, t := range group {
		if t.kind == tokQuest || fold == foldFull {
			fixed = false
			break
		}
		n += len(t.text)
	}
	if fixed {
		pos := len(s) - n
		if pos < start {
			return false
		}
		end, ok := matchGroupAt(group, s, pos, fold)
		return ok && end == len(s)
	}
	for pos := start; pos <= len(s); {
		if end, ok := matchGroupAt(group, s, pos, fold); ok && end == len(s) {
			return true
		}
		if pos == len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[pos:])
		pos += w
	}
	return false
}

// matchGroupAt matches a star-free token group at s[pos:] and returns where
// the match ends.
func matchGroupAt(group []rtok, s string, pos int, fold foldMode) (int, bool) {
	for _, t := range group {
		switch t.kind {
		case tokQuest:
			if pos >= len(s) {
				return 0, false
			}
			_, w := utf8.DecodeRuneInString(s[pos:])
			pos += w
		default:
			n, ok := prefixMode(s[pos:], t.text, fold)
			if !ok {
				return 0, false
			}
			pos += n
		}
	}
	return pos, true
}

// equalMode compares a and b under the fold mode.
func equalMode(a, b string, fold foldMode) bool {
	switch fold {
	case foldASCII:
		return equalASCIIFold(a, b)
	case foldFull:
		return strings.EqualFold(a, b)
	default:
		return a == b
	}
}

// prefixMode reports whether s starts with p under the fold mode and how
// many bytes of s the prefix covers.
func prefixMode(s, p string, fold foldMode) (int, bool) {
	switch fold {
	case foldASCII:
		if len(s) < len(p) || !equalASCIIFold(s[:len(p)], p) {
			return 0, false
		}
		return len(p), true
	case foldFull:
		return prefixFold(s, p)
	default:
		if strings.HasPrefix(s, p) {
			return len(p), true
		}
		return 0, false
	}
}

func equalASCIIFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// prefixFold is strings.HasPrefix under Unicode simple case folding.
func prefixFold(s, p string) (int, bool) {
	i := 0
	for _, pr := range p {
		if i >= len(s) {
			return 0, false
		}
		sr, w := utf8.DecodeRuneInString(s[i:])
		if sr != pr && !runesFoldEqual(sr, pr) {
			return 0, false
		}
		i += w
	}
	return i, true
}

func runesFoldEqual(a, b rune) bool {
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		return toLowerASCII(byte(a)) == toLowerASCII(byte(b))
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

func toLowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// arnFields splits an ARN into at most six colon-separated fields
// (arn, partition, service, region, account, resource); the resource keeps
// any further colons. n is the number of fields found.
type arnFields struct {
	f     [6]string
	start [6]int
	n     int
}

func splitARN(s string) arnFields {
	var a arnFields
	start := 0
	for i := 0; i < len(s) && a.n < 5; i++ {
		if s[i] == ':' {
			a.f[a.n], a.start[a.n] = s[start:i], start
			a.n++
			start = i + 1
		}
	}
	a.f[a.n], a.start[a.n] = s[start:], start
	a.n++
	return a
}

// isARN reports whether s looks like an ARN: "arn:" and six fields.
func (a *arnFields) isARN() bool { return a.n == 6 && a.f[0] == "arn" }

// arnPattern is a compiled Resource/NotResource entry or Arn* condition value.
//
// AWS matches resource ARNs segment by segment: a wildcard within one of
// the first five colon-separated fields does not run into the next field.
// Following AWS's documentation, a "*" that ends the pattern's last field
// may run past colons; so "arn:aws:s3:*" covers every S3 ARN and "*" covers
// everything. Values that are not ARNs are matched as plain strings.
type arnPattern struct {
	pattern
	// fields holds the tokens of each colon-separated field when the
	// pattern starts with "arn:"; nil otherwise.
	fields [][]token
	static [][]rtok // fields with no variables, resolved at compile time
	whole  []rtok   // whole pattern, when variable-free
}

func compileARNPattern(s string, o patternOpts) arnPattern {
	ap := arnPattern{pattern: compilePattern(s, o)}
	if !ap.hasVar {
		ap.whole = staticToks(ap.toks)
	}
	if !strings.HasPrefix(s, "arn:") {
		return ap
	}
	// Split the token list at literal colons, at most five times. The
	// fields share one backing array (splitting adds at most one token
	// per colon); an empty field is nil, as appending to nothing leaves it.
	backing := make([]token, 0, len(ap.toks)+5)
	ap.fields = make([][]token, 0, 6)
	start := 0
	field := func() {
		var f []token
		if len(backing) > start {
			f = backing[start:len(backing):len(backing)]
		}
		ap.fields = append(ap.fields, f)
		start = len(backing)
	}
	splits := 0
	for _, t := range ap.toks {
		if t.kind != tokLit || splits == 5 {
			backing = append(backing, t)
			continue
		}
		text := t.text
		for splits < 5 {
			k := strings.IndexByte(text, ':')
			if k < 0 {
				break
			}
			if k > 0 {
				backing = append(backing, token{kind: tokLit, text: text[:k]})
			}
			field()
			splits++
			text = text[k+1:]
		}
		if text != "" {
			backing = append(backing, token{kind: tokLit, text: text})
		}
	}
	field()
	if !ap.hasVar {
		all := staticToks(backing)
		ap.static = make([][]rtok, len(ap.fields))
		off := 0
		for i, f := range ap.fields {
			if f == nil {
				ap.static[i] = []rtok{}
				continue
			}
			ap.static[i] = all[off : off+len(f) : off+len(f)]
			off += len(f)
		}
	}
	return ap
}

// matchARN matches the pattern against a request value already split into
// fields. It returns the match, or a resolve state other than resolvedOK
// when a variable was missing (no match) or bad (unevaluable).
func (ap *arnPattern) match(v string, fields *arnFields, ev *evalCtx) (bool, resolveState, string) {
	if ap.bad != "" {
		return false, resolvedBad, ap.bad
	}
	if ap.any {
		return true, resolvedOK, ""
	}
	if ap.fields == nil || !fields.isARN() {
		toks := ap.whole
		if ap.hasVar {
			var buf [16]rtok
			var st resolveState
			var why string
			toks, st, why = ap.resolve(buf[:0], ev)
			if st != resolvedOK {
				return false, st, why
			}
		}
		return globMatch(toks, v, foldNone), resolvedOK, ""
	}
	k := len(ap.fields)
	for n := 0; n < k; n++ {
		// Try the last field (the resource part, the most selective) first.
		i := n - 1
		if n == 0 {
			i = k - 1
		}
		var toks []rtok
		if ap.hasVar {
			var buf [16]rtok
			p := pattern{toks: ap.fields[i]}
			var st resolveState
			var why string
			toks, st, why = p.resolve(buf[:0], ev)
			if st != resolvedOK {
				return false, st, why
			}
		} else {
			toks = ap.static[i]
		}
		target := fields.f[i]
		if i == k-1 && k < 6 {
			// A short pattern: its last field must end with "*" to cover the
			// rest of the ARN, colons included.
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				return false, resolvedOK, ""
			}
			target = v[fields.start[i]:]
		}
		if !globMatch(toks, target, foldNone) {
			return false, resolvedOK, ""
		}
	}
	return true, resolvedOK, ""
}
