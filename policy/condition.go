package policy

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// condFamily is the kind of comparison a condition operator makes.
type condFamily uint8

const (
	famString           condFamily = iota // StringEquals, StringNotEquals
	famStringIgnoreCase                   // StringEqualsIgnoreCase, StringNotEqualsIgnoreCase
	famStringLike                         // StringLike, StringNotLike
	famNumeric                            // Numeric*
	famDate                               // Date*
	famBool                               // Bool
	famBinary                             // BinaryEquals
	famIP                                 // IpAddress, NotIpAddress
	famARN                                // ArnEquals, ArnLike, ArnNotEquals, ArnNotLike
	famNull                               // Null
)

// cmpKind is the ordering a Numeric* or Date* operator tests.
type cmpKind uint8

const (
	cmpEq cmpKind = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// setQualifier is the ForAllValues:/ForAnyValue: prefix.
type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAll
	setForAny
)

// opInfo describes a base operator (no qualifier, no IfExists).
type opInfo struct {
	fam    condFamily
	negate bool
	cmp    cmpKind
}

// baseOperator describes a lower-cased base operator name.
func baseOperator(lower string) (opInfo, bool) {
	switch lower {
	case "stringequals":
		return opInfo{fam: famString}, true
	case "stringnotequals":
		return opInfo{fam: famString, negate: true}, true
	case "stringequalsignorecase":
		return opInfo{fam: famStringIgnoreCase}, true
	case "stringnotequalsignorecase":
		return opInfo{fam: famStringIgnoreCase, negate: true}, true
	case "stringlike":
		return opInfo{fam: famStringLike}, true
	case "stringnotlike":
		return opInfo{fam: famStringLike, negate: true}, true
	case "numericequals":
		return opInfo{fam: famNumeric, cmp: cmpEq}, true
	case "numericnotequals":
		return opInfo{fam: famNumeric, cmp: cmpEq, negate: true}, true
	case "numericlessthan":
		return opInfo{fam: famNumeric, cmp: cmpLt}, true
	case "numericlessthanequals":
		return opInfo{fam: famNumeric, cmp: cmpLe}, true
	case "numericgreaterthan":
		return opInfo{fam: famNumeric, cmp: cmpGt}, true
	case "numericgreaterthanequals":
		return opInfo{fam: famNumeric, cmp: cmpGe}, true
	case "dateequals":
		return opInfo{fam: famDate, cmp: cmpEq}, true
	case "datenotequals":
		return opInfo{fam: famDate, cmp: cmpEq, negate: true}, true
	case "datelessthan":
		return opInfo{fam: famDate, cmp: cmpLt}, true
	case "datelessthanequals":
		return opInfo{fam: famDate, cmp: cmpLe}, true
	case "dategreaterthan":
		return opInfo{fam: famDate, cmp: cmpGt}, true
	case "dategreaterthanequals":
		return opInfo{fam: famDate, cmp: cmpGe}, true
	case "bool":
		return opInfo{fam: famBool}, true
	case "binaryequals":
		return opInfo{fam: famBinary}, true
	case "ipaddress":
		return opInfo{fam: famIP}, true
	case "notipaddress":
		return opInfo{fam: famIP, negate: true}, true
	case "arnequals", "arnlike":
		return opInfo{fam: famARN}, true
	case "arnnotequals", "arnnotlike":
		return opInfo{fam: famARN, negate: true}, true
	case "null":
		return opInfo{fam: famNull}, true
	}
	return opInfo{}, false
}

// parsedOperator is a full operator: qualifier, base operator, IfExists.
type parsedOperator struct {
	opInfo
	set      setQualifier
	ifExists bool
}

// parseOperator parses an operator name case-insensitively.
func parseOperator(op string) (parsedOperator, bool) {
	lower := strings.ToLower(op)
	var po parsedOperator
	if q, rest, ok := strings.Cut(lower, ":"); ok {
		switch q {
		case "forallvalues":
			po.set = setForAll
		case "foranyvalue":
			po.set = setForAny
		default:
			return po, false
		}
		lower = rest
	}
	if base, ok := strings.CutSuffix(lower, "ifexists"); ok {
		if base == "null" {
			return po, false
		}
		po.ifExists = true
		lower = base
	}
	info, ok := baseOperator(lower)
	if !ok {
		return po, false
	}
	po.opInfo = info
	return po, true
}

// KnownOperator reports whether op is a condition operator IAM accepts,
// including ForAllValues:/ForAnyValue: qualifiers and the IfExists suffix.
// Operator names are compared case-insensitively.
func KnownOperator(op string) bool {
	_, ok := parseOperator(op)
	return ok
}

// number is a parsed Numeric* value: integers compare exactly, anything
// else as float64.
type number struct {
	isInt bool
	i     int64
	f     float64
}

func parseNumber(s string) (number, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{isInt: true, i: i, f: float64(i)}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return number{}, false
	}
	return number{f: f}, true
}

// compareNumbers returns -1, 0 or 1.
func compareNumbers(a, b number) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

// parseDate parses a date the way AWS documents Date operator values: the
// W3C profile of ISO 8601 (YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mmTZD,
// YYYY-MM-DDThh:mm:ssTZD, YYYY-MM-DDThh:mm:ss.sTZD; also the basic format
// YYYYMMDDThhmmssZ) or epoch seconds. Times without a zone are UTC. A bare
// four-digit year (the W3C "YYYY") is refused: it is also an epoch time, and
// which one AWS takes is not documented.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if len(s) == 4 && isDigits(s) {
		return time.Time{}, false
	}
	if c := s[0]; c == '-' || (c >= '0' && c <= '9') {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if n < -62135596800 || n > 253402300799 { // years 1..9999
				return time.Time{}, false
			}
			return time.Unix(n, 0).UTC(), true
		}
	}
	// ISO 8601 forms accepted besides integer epoch seconds.
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"20060102T150405Z",
		"2006-01-02",
		"2006-01",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func compareOrdering(c int, k cmpKind) bool {
	switch k {
	case cmpLt:
		return c < 0
	case cmpLe:
		return c <= 0
	case cmpGt:
		return c > 0
	case cmpGe:
		return c >= 0
	}
	return c == 0
}

// condValue is one compiled policy value of a condition.
type condValue struct {
	raw  string
	str  pattern    // String*, Binary
	toks []rtok     // str without variables, resolved at compile time
	arn  arnPattern // Arn*
	num  number
	date time.Time
	ip   netip.Prefix
	b    bool
}

// compiledCond is one (operator, key) pair of a Condition block.
type compiledCond struct {
	op     string
	key    string
	ref    keyRef
	po     parsedOperator
	values []condValue
	// bad, when set, makes the condition unevaluable (e.g. a Numeric value
	// that is not a number).
	bad string
}

// compileConditions turns a Condition element into a slice sorted by
// operator then key, so evaluation and messages are deterministic.
func compileConditions(c Condition, vars bool) []compiledCond {
	if len(c) == 0 {
		return nil
	}
	var out []compiledCond
	for _, op := range sortedKeys(c) {
		po, ok := parseOperator(op)
		keys := c[op]
		for _, key := range sortedKeys(keys) {
			cc := compiledCond{op: op, key: key, ref: newKeyRef(key), po: po}
			if !ok {
				cc.bad = fmt.Sprintf("unknown condition operator %q", op)
				out = append(out, cc)
				continue
			}
			if po.fam == famNull && po.set != setNone {
				cc.bad = fmt.Sprintf("operator %q: a set qualifier on Null has no documented meaning", op)
			}
			if len(keys[key]) == 0 {
				// IAM has no documented meaning for a key with no values;
				// "matches nothing" would make a negated Deny always apply
				// and a positive one never, so say so instead of guessing.
				cc.bad = fmt.Sprintf("%s %s: no values", op, key)
			}
			for _, v := range keys[key] {
				cv, why := compileCondValue(po, v, vars)
				if why != "" && cc.bad == "" {
					cc.bad = fmt.Sprintf("%s %s: %s", op, key, why)
				}
				cc.values = append(cc.values, cv)
			}
			out = append(out, cc)
		}
	}
	return out
}

func compileCondValue(po parsedOperator, v string, vars bool) (condValue, string) {
	cv := condValue{raw: v}
	switch po.fam {
	case famString, famStringIgnoreCase, famBinary:
		cv.str = compilePattern(v, patternOpts{vars: vars && po.fam != famBinary})
		if cv.str.bad != "" {
			return cv, cv.str.bad
		}
		if !cv.str.hasVar {
			cv.toks = staticToks(cv.str.toks)
		}
	case famStringLike:
		cv.str = compilePattern(v, patternOpts{wild: true, vars: vars})
		if cv.str.bad != "" {
			return cv, cv.str.bad
		}
		if !cv.str.hasVar {
			cv.toks = staticToks(cv.str.toks)
		}
	case famARN:
		cv.arn = compileARNPattern(v, patternOpts{wild: true, vars: vars})
		if cv.arn.bad != "" {
			return cv, cv.arn.bad
		}
	case famNumeric:
		n, ok := parseNumber(v)
		if !ok {
			return cv, fmt.Sprintf("value %q is not a number", v)
		}
		cv.num = n
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return cv, fmt.Sprintf("value %q is not an ISO 8601 date or epoch time", v)
		}
		cv.date = t
	case famBool, famNull:
		switch strings.ToLower(v) {
		case "true":
			cv.b = true
		case "false":
		default:
			return cv, fmt.Sprintf("value %q is not true or false", v)
		}
	case famIP:
		if p, err := netip.ParsePrefix(v); err == nil {
			cv.ip = p.Masked()
		} else if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
			cv.ip = netip.PrefixFrom(a, a.BitLen())
		} else {
			return cv, fmt.Sprintf("value %q is not an IP address or CIDR block", v)
		}
	}
	return cv, ""
}

// tri is a three-valued truth: the engine may not know.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

// eval evaluates the condition against the request. When the result is
// triUnknown, the string says why.
//
// Semantics, from AWS's documentation of condition operators:
//   - a key missing from the request (or present with no values): the
//     condition is false, except that negated operators (StringNotEquals,
//     NotIpAddress, ArnNotLike …) are true; ...IfExists is true;
//     ForAllValues: is true; ForAnyValue: is false;
//   - several policy values: any may match (OR); a negated operator is true
//     when none matches;
//   - no qualifier and several request values: the positive operator holds
//     when any request value matches any policy value, and a negated
//     operator is its negation;
//   - ForAllValues: every request value must satisfy the operator (for a
//     negated operator: match none of the policy values); ForAnyValue: at
//     least one must.
//   - Null: "true" holds when the key is absent, "false" when present.
func (c *compiledCond) eval(ev *evalCtx) (tri, string) {
	if c.bad != "" {
		return triUnknown, c.bad
	}
	vals, present := ev.lookup(c.ref)
	if !present && c.ref.derived.alwaysPresent() {
		return triUnknown, fmt.Sprintf("%s %s: every AWS request carries %s, and this one does not (set it or Request.Now)", c.op, c.key, c.key)
	}
	if c.po.fam == famNull {
		for i := range c.values {
			if c.values[i].b != present {
				return triTrue, ""
			}
		}
		return triFalse, ""
	}
	if !present {
		switch {
		case c.po.ifExists, c.po.set == setForAll:
			return triTrue, ""
		case c.po.set == setForAny:
			return triFalse, ""
		case c.po.negate:
			return triTrue, ""
		}
		return triFalse, ""
	}
	switch c.po.set {
	case setForAll:
		unknown := ""
		for i := 0; i < vals.len(); i++ {
			m, why := c.matchOne(vals.at(i), ev)
			if m == triUnknown {
				unknown = why
				continue
			}
			if (m == triTrue) == c.po.negate {
				return triFalse, ""
			}
		}
		if unknown != "" {
			return triUnknown, unknown
		}
		return triTrue, ""
	case setForAny:
		unknown := ""
		for i := 0; i < vals.len(); i++ {
			m, why := c.matchOne(vals.at(i), ev)
			if m == triUnknown {
				unknown = why
				continue
			}
			if (m == triTrue) != c.po.negate {
				return triTrue, ""
			}
		}
		if unknown != "" {
			return triUnknown, unknown
		}
		return triFalse, ""
	}
	unknown := ""
	for i := 0; i < vals.len(); i++ {
		m, why := c.matchOne(vals.at(i), ev)
		if m == triUnknown {
			unknown = why
			continue
		}
		if m == triTrue {
			if c.po.negate {
				return triFalse, ""
			}
			return triTrue, ""
		}
	}
	if unknown != "" {
		return triUnknown, unknown
	}
	if c.po.negate {
		return triTrue, ""
	}
	return triFalse, ""
}

// matchOne reports whether one request value matches any policy value under
// the positive form of the operator.
func (c *compiledCond) matchOne(v string, ev *evalCtx) (tri, string) {
	switch c.po.fam {
	case famString, famStringIgnoreCase, famStringLike, famBinary, famARN:
		var fields arnFields
		if c.po.fam == famARN {
			fields = splitARN(v)
		}
		unknown := ""
		for i := range c.values {
			ok, st, why := c.matchValue(i, v, &fields, ev)
			if st == resolvedBad {
				unknown = why
				continue
			}
			if ok {
				return triTrue, ""
			}
		}
		if unknown != "" {
			return triUnknown, unknown
		}
		return triFalse, ""
	case famNumeric:
		n, ok := parseNumber(v)
		if !ok {
			return triUnknown, fmt.Sprintf("%s %s: request value %q is not a number", c.op, c.key, v)
		}
		for i := range c.values {
			if compareOrdering(compareNumbers(n, c.values[i].num), c.po.cmp) {
				return triTrue, ""
			}
		}
		return triFalse, ""
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return triUnknown, fmt.Sprintf("%s %s: request value %q is not a date", c.op, c.key, v)
		}
		for i := range c.values {
			if compareOrdering(t.Compare(c.values[i].date), c.po.cmp) {
				return triTrue, ""
			}
		}
		return triFalse, ""
	case famBool:
		var b bool
		switch {
		case strings.EqualFold(v, "true"):
			b = true
		case strings.EqualFold(v, "false"):
		default:
			return triUnknown, fmt.Sprintf("%s %s: request value %q is not true or false", c.op, c.key, v)
		}
		for i := range c.values {
			if c.values[i].b == b {
				return triTrue, ""
			}
		}
		return triFalse, ""
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return triUnknown, fmt.Sprintf("%s %s: request value %q is not an IP address", c.op, c.key, v)
		}
		a = a.Unmap().WithZone("")
		for i := range c.values {
			p := c.values[i].ip
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			if p.Contains(a) {
				return triTrue, ""
			}
		}
		return triFalse, ""
	}
	return triUnknown, fmt.Sprintf("operator %q is not supported", c.op)
}

// matchValue matches one request value against policy value i of a string,
// binary or ARN condition under the positive operator. fields is v split
// (ARN family only). A variable with no value makes the value match nothing
// (resolvedMissing); one that cannot be resolved faithfully, resolvedBad.
func (c *compiledCond) matchValue(i int, v string, fields *arnFields, ev *evalCtx) (bool, resolveState, string) {
	cv := &c.values[i]
	if c.po.fam == famARN {
		return cv.arn.match(v, fields, ev)
	}
	fold := foldNone
	if c.po.fam == famStringIgnoreCase {
		fold = foldFull
	}
	toks := cv.toks
	if cv.str.hasVar {
		var buf [16]rtok
		var st resolveState
		var why string
		toks, st, why = cv.str.resolve(buf[:0], ev)
		if st != resolvedOK {
			return false, st, why
		}
	}
	return globMatch(toks, v, fold), resolvedOK, ""
}
