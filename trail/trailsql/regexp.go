package trailsql

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// portable rewrites a Go regular expression into one that Trino (Joni and
// Java's syntax), DuckDB (RE2) and Go read alike, or reports that it cannot:
// literals, ASCII character classes, '.', concatenation, alternation,
// groups, repetition and the text anchors ^ and $. Case folding is spelled
// out as classes; anything else (word boundaries, multi-line anchors,
// non-ASCII classes, (?s)) is refused and the caller falls back to a
// superset.
func portable(re *regexp.Regexp) (string, bool) {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return "", false
	}
	t = t.Simplify()
	var b strings.Builder
	if !emit(&b, t) {
		return "", false
	}
	return b.String(), true
}

func emit(b *strings.Builder, t *syntax.Regexp) bool {
	switch t.Op {
	case syntax.OpEmptyMatch:
		b.WriteString("(?:)")
	case syntax.OpLiteral:
		for _, r := range t.Rune {
			if r > 0x7e || r < 0x20 {
				return false
			}
			if t.Flags&syntax.FoldCase != 0 && isLetter(r) {
				lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
				b.WriteString("[" + up + lo + "]")
				continue
			}
			b.WriteString(escapeRune(r))
		}
	case syntax.OpCharClass:
		if len(t.Rune) == 0 {
			return false
		}
		b.WriteByte('[')
		for i := 0; i+1 < len(t.Rune); i += 2 {
			lo, hi := t.Rune[i], t.Rune[i+1]
			if lo < 0x20 || hi > 0x7e {
				return false
			}
			b.WriteString(escapeRune(lo))
			if hi != lo {
				b.WriteString("-" + escapeRune(hi))
			}
		}
		b.WriteByte(']')
	case syntax.OpAnyCharNotNL:
		b.WriteByte('.')
	case syntax.OpBeginText:
		b.WriteByte('^')
	case syntax.OpEndText:
		b.WriteByte('$')
	case syntax.OpCapture:
		b.WriteString("(?:")
		if !emit(b, t.Sub[0]) {
			return false
		}
		b.WriteByte(')')
	case syntax.OpConcat:
		for _, s := range t.Sub {
			if !emit(b, s) {
				return false
			}
		}
	case syntax.OpAlternate:
		b.WriteString("(?:")
		for i, s := range t.Sub {
			if i > 0 {
				b.WriteByte('|')
			}
			if !emit(b, s) {
				return false
			}
		}
		b.WriteByte(')')
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		b.WriteString("(?:")
		if !emit(b, t.Sub[0]) {
			return false
		}
		b.WriteByte(')')
		b.WriteString(map[syntax.Op]string{syntax.OpStar: "*", syntax.OpPlus: "+", syntax.OpQuest: "?"}[t.Op])
	case syntax.OpRepeat:
		b.WriteString("(?:")
		if !emit(b, t.Sub[0]) {
			return false
		}
		b.WriteString("){" + strconv.Itoa(t.Min) + ",")
		if t.Max >= 0 {
			b.WriteString(strconv.Itoa(t.Max))
		}
		b.WriteByte('}')
	default:
		return false
	}
	return true
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// escapeRune writes r so that it stands for itself inside and outside a
// class in every engine.
func escapeRune(r rune) string {
	if isLetter(r) || r >= '0' && r <= '9' || r == '_' || r == ' ' {
		return string(r)
	}
	return `\` + string(r)
}

// requiredPrefix is a literal every match of re contains: the literal
// after a leading ^, or Go's literal prefix.
func requiredPrefix(re *regexp.Regexp) string {
	if p, _ := re.LiteralPrefix(); p != "" {
		return p
	}
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return ""
	}
	t = t.Simplify()
	if t.Op != syntax.OpConcat || len(t.Sub) < 2 || t.Sub[0].Op != syntax.OpBeginText {
		return ""
	}
	if l := t.Sub[1]; l.Op == syntax.OpLiteral && l.Flags&syntax.FoldCase == 0 {
		return string(l.Rune)
	}
	return ""
}
