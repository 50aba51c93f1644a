// Package strictjson checks and walks JSON the way an auditor needs it read:
// exactly one value, valid UTF-8, no duplicate object keys at any depth (a
// duplicate "Effect" must not let the last one win), bounded nesting, and
// every error at a byte offset that converts to line and column. It walks a
// checked document without copying it: values are spans of the input.
//
// It imports only the standard library, so that package policy, which
// imports nothing else of pvaudit's, can use it.
package strictjson

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// DefaultMaxDepth is the nesting limit when Options.MaxDepth is 0. An IAM
// policy nests 6 deep; a snapshot holding policies about 14.
const DefaultMaxDepth = 64

// Options tune Parse.
type Options struct {
	// MaxDepth is the deepest nesting of objects and arrays allowed
	// (the top-level value is depth 1). 0 means DefaultMaxDepth.
	MaxDepth int
}

// Error is a problem at a byte offset of the input.
type Error struct {
	Offset int64 // byte offset in the input
	Line   int   // 1-based
	Column int   // 1-based, in bytes
	// Key is the duplicated key for a duplicate-key error.
	Key string
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Kind is the JSON type of a value.
type Kind int

// The JSON types.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "a boolean"
	case Number:
		return "a number"
	case String:
		return "a string"
	case Array:
		return "a list"
	case Object:
		return "an object"
	default:
		return "nothing"
	}
}

// Value is one value of a checked document: a span of the input.
type Value struct {
	doc        []byte
	start, end int
}

// Member is one key and value of an object.
type Member struct {
	Key    string
	KeyOff int64 // offset of the key's opening quote
	Value  Value
}

// Parse checks data (see the package comment) and returns its top-level
// value. Errors are *Error.
func Parse(data []byte, opt Options) (Value, error) {
	s := &scanner{data: data, maxDepth: opt.MaxDepth}
	if s.maxDepth <= 0 {
		s.maxDepth = DefaultMaxDepth
	}
	i := s.ws(0)
	if i >= len(data) {
		return Value{}, s.errAt(i, "", "no JSON value (empty input)")
	}
	end, err := s.value(i, 1)
	if err != nil {
		return Value{}, err
	}
	if j := s.ws(end); j < len(data) {
		return Value{}, s.errAt(j, "", "unexpected data after the JSON value")
	}
	return Value{doc: data, start: i, end: end}, nil
}

// Valid reports whether Parse would accept data.
func Valid(data []byte, opt Options) bool {
	_, err := Parse(data, opt)
	return err == nil
}

// Kind returns the value's JSON type.
func (v Value) Kind() Kind {
	if v.doc == nil || v.start >= v.end {
		return Invalid
	}
	switch v.doc[v.start] {
	case '{':
		return Object
	case '[':
		return Array
	case '"':
		return String
	case 't', 'f':
		return Bool
	case 'n':
		return Null
	default:
		return Number
	}
}

// Offset is where the value starts in the input.
func (v Value) Offset() int64 { return int64(v.start) }

// Raw is the value's text (a sub-slice of the input: do not modify).
func (v Value) Raw() []byte {
	if v.doc == nil {
		return nil
	}
	return v.doc[v.start:v.end:v.end]
}

// Members returns an object's members in input order, nil for other kinds.
func (v Value) Members() []Member {
	if v.Kind() != Object {
		return nil
	}
	var out []Member
	i := ws(v.doc, v.start+1)
	for v.doc[i] != '}' {
		keyEnd := skipString(v.doc, i)
		key, _ := unquote(v.doc[i:keyEnd])
		j := ws(v.doc, keyEnd) + 1 // past ':'
		j = ws(v.doc, j)
		end := skip(v.doc, j)
		out = append(out, Member{Key: key, KeyOff: int64(i), Value: Value{doc: v.doc, start: j, end: end}})
		i = ws(v.doc, end)
		if v.doc[i] == ',' {
			i = ws(v.doc, i+1)
		}
	}
	return out
}

// EachMember calls fn for an object's members in input order until fn
// returns false, without building a slice; nothing for other kinds.
func (v Value) EachMember(fn func(Member) bool) {
	if v.Kind() != Object {
		return
	}
	i := ws(v.doc, v.start+1)
	for v.doc[i] != '}' {
		keyEnd := skipString(v.doc, i)
		key, _ := unquote(v.doc[i:keyEnd])
		j := ws(v.doc, ws(v.doc, keyEnd)+1)
		end := skip(v.doc, j)
		if !fn(Member{Key: key, KeyOff: int64(i), Value: Value{doc: v.doc, start: j, end: end}}) {
			return
		}
		i = ws(v.doc, end)
		if v.doc[i] == ',' {
			i = ws(v.doc, i+1)
		}
	}
}

// Get returns the member of an object named key (keys are unique in a
// checked document) without allocating for keys that have no escapes.
func (v Value) Get(key string) (Member, bool) {
	if v.Kind() != Object {
		return Member{}, false
	}
	i := ws(v.doc, v.start+1)
	for v.doc[i] != '}' {
		keyEnd := skipString(v.doc, i)
		raw := v.doc[i+1 : keyEnd-1]
		match := string(raw) == key
		if !match && bytes.IndexByte(raw, '\\') >= 0 {
			k, _ := unquote(v.doc[i:keyEnd])
			match = k == key
		}
		j := ws(v.doc, ws(v.doc, keyEnd)+1)
		end := skip(v.doc, j)
		if match {
			return Member{Key: key, KeyOff: int64(i), Value: Value{doc: v.doc, start: j, end: end}}, true
		}
		i = ws(v.doc, end)
		if v.doc[i] == ',' {
			i = ws(v.doc, i+1)
		}
	}
	return Member{}, false
}

// Elements returns an array's elements, nil for other kinds.
func (v Value) Elements() []Value {
	if v.Kind() != Array {
		return nil
	}
	var out []Value
	i := ws(v.doc, v.start+1)
	for v.doc[i] != ']' {
		end := skip(v.doc, i)
		out = append(out, Value{doc: v.doc, start: i, end: end})
		i = ws(v.doc, end)
		if v.doc[i] == ',' {
			i = ws(v.doc, i+1)
		}
	}
	return out
}

// Len returns the number of elements of an array or members of an object
// without building them.
func (v Value) Len() int {
	k := v.Kind()
	if k != Array && k != Object {
		return 0
	}
	closer := byte(']')
	if k == Object {
		closer = '}'
	}
	n := 0
	i := ws(v.doc, v.start+1)
	for v.doc[i] != closer {
		if k == Object {
			i = ws(v.doc, skipString(v.doc, i)) + 1
			i = ws(v.doc, i)
		}
		i = ws(v.doc, skip(v.doc, i))
		n++
		if v.doc[i] == ',' {
			i = ws(v.doc, i+1)
		}
	}
	return n
}

// Str returns a string's value, unescaped.
func (v Value) Str() (string, bool) {
	if v.Kind() != String {
		return "", false
	}
	s, ok := unquote(v.Raw())
	return s, ok
}

// Bool returns a boolean's value.
func (v Value) Bool() (val, ok bool) {
	if v.Kind() != Bool {
		return false, false
	}
	return v.doc[v.start] == 't', true
}

// Number returns a number's text as written (e.g. "3600", "1e3").
func (v Value) Number() (string, bool) {
	if v.Kind() != Number {
		return "", false
	}
	return string(v.Raw()), true
}

// Int returns an integer number's value; false for other kinds, for
// fractions and exponents, and for values that do not fit an int64.
func (v Value) Int() (int64, bool) {
	s, ok := v.Number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// LineCol converts a byte offset in data to a 1-based line and column.
func LineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	prefix := data[:offset]
	line = 1 + bytes.Count(prefix, []byte{'\n'})
	col = int(offset) + 1
	if nl := bytes.LastIndexByte(prefix, '\n'); nl >= 0 {
		col = int(offset) - nl
	}
	return line, col
}

// ---- the checking scanner ----

type scanner struct {
	data     []byte
	maxDepth int
	keys     []seenKey // the keys of the objects being scanned, innermost last
}

type seenKey struct {
	key []byte // a sub-slice of the input, or the unescaped key
	off int
}

func (s *scanner) errAt(i int, key, format string, args ...any) *Error {
	line, col := LineCol(s.data, int64(i))
	return &Error{Offset: int64(i), Line: line, Column: col, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) ws(i int) int { return ws(s.data, i) }

// value checks the value starting at i (not whitespace) and returns the
// offset just past it.
func (s *scanner) value(i, depth int) (int, error) {
	if i >= len(s.data) {
		return i, s.errAt(i, "", "unexpected end of input (truncated JSON?)")
	}
	switch c := s.data[i]; {
	case c == '{':
		return s.object(i, depth)
	case c == '[':
		return s.array(i, depth)
	case c == '"':
		end, _, err := s.str(i)
		return end, err
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(i)
	default:
		return i, s.errAt(i, "", "invalid character %s looking for a JSON value", quoteChar(s.data, i))
	}
}

func (s *scanner) literal(i int, lit string) (int, error) {
	if !bytes.HasPrefix(s.data[i:], []byte(lit)) {
		if len(s.data)-i < len(lit) && bytes.HasPrefix([]byte(lit), s.data[i:]) {
			return i, s.errAt(len(s.data), "", "unexpected end of input (truncated JSON?)")
		}
		return i, s.errAt(i, "", "invalid literal (want %s)", lit)
	}
	return i + len(lit), nil
}

func (s *scanner) number(i int) (int, error) {
	start := i
	d := s.data
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return i, s.errAt(start, "", "invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return i, s.errAt(start, "", "invalid number (no digits after '.')")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return i, s.errAt(start, "", "invalid number (no digits in the exponent)")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	return i, nil
}

// str checks the string at i and returns the offset past it and whether
// it has escapes.
func (s *scanner) str(i int) (end int, escaped bool, err error) {
	d := s.data
	start := i
	i++
	for {
		if i >= len(d) {
			return i, escaped, s.errAt(start, "", "unterminated string (truncated JSON?)")
		}
		c := d[i]
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				return i, escaped, s.errAt(start, "", "unterminated string (truncated JSON?)")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, ok := hex4(d, i+2)
				if !ok {
					return i, escaped, s.errAt(i, "", "invalid \\u escape")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
						r2, ok = hex4(d, i+2)
					}
					if !ok || utf16.DecodeRune(r, r2) == utf8.RuneError {
						return i, escaped, s.errAt(i-6, "", "\\u escape of a lone UTF-16 surrogate")
					}
					i += 6
				}
			default:
				return i, escaped, s.errAt(i, "", "invalid escape \\%c in string", d[i+1])
			}
		case c < 0x20:
			return i, escaped, s.errAt(i, "", "control character 0x%02x in string (must be escaped)", c)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size <= 1 {
				return i, escaped, s.errAt(i, "", "invalid UTF-8 in string")
			}
			i += size
		}
	}
}

func (s *scanner) array(i, depth int) (int, error) {
	if depth > s.maxDepth {
		return i, s.errAt(i, "", "nested more than %d deep", s.maxDepth)
	}
	i = s.ws(i + 1)
	if i < len(s.data) && s.data[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := s.value(i, depth+1)
		if err != nil {
			return end, err
		}
		i = s.ws(end)
		if i >= len(s.data) {
			return i, s.errAt(i, "", "unexpected end of input in a list (truncated JSON?)")
		}
		switch s.data[i] {
		case ',':
			i = s.ws(i + 1)
		case ']':
			return i + 1, nil
		default:
			return i, s.errAt(i, "", "invalid character %s after a list element (want , or ])", quoteChar(s.data, i))
		}
	}
}

// smallObject is how many keys are compared pairwise before a map is used.
const smallObject = 16

func (s *scanner) object(i, depth int) (int, error) {
	if depth > s.maxDepth {
		return i, s.errAt(i, "", "nested more than %d deep", s.maxDepth)
	}
	// This object's keys sit on the shared stack s.keys from base on;
	// nested objects push theirs above and pop them before we go on.
	base := len(s.keys)
	defer func() { s.keys = s.keys[:base] }()
	var big map[string]int
	i = s.ws(i + 1)
	if i < len(s.data) && s.data[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(s.data) {
			return i, s.errAt(i, "", "unexpected end of input in an object (truncated JSON?)")
		}
		if s.data[i] != '"' {
			return i, s.errAt(i, "", "invalid character %s looking for an object key (a string)", quoteChar(s.data, i))
		}
		keyEnd, escaped, err := s.str(i)
		if err != nil {
			return keyEnd, err
		}
		key := s.data[i+1 : keyEnd-1]
		if escaped {
			k, _ := unquote(s.data[i:keyEnd])
			key = []byte(k)
		}
		first := -1
		if big != nil {
			if off, dup := big[string(key)]; dup {
				first = off
			} else {
				big[string(key)] = i
			}
		} else {
			for _, k := range s.keys[base:] {
				if bytes.Equal(k.key, key) {
					first = k.off
					break
				}
			}
			if first < 0 {
				s.keys = append(s.keys, seenKey{key, i})
				if len(s.keys)-base > smallObject {
					big = make(map[string]int, 2*smallObject)
					for _, k := range s.keys[base:] {
						big[string(k.key)] = k.off
					}
				}
			}
		}
		if first >= 0 {
			l, c := LineCol(s.data, int64(first))
			return i, s.errAt(i, string(key), "duplicate key %q (first at line %d, column %d)", key, l, c)
		}
		j := s.ws(keyEnd)
		if j >= len(s.data) {
			return j, s.errAt(j, "", "unexpected end of input in an object (truncated JSON?)")
		}
		if s.data[j] != ':' {
			return j, s.errAt(j, "", "invalid character %s after object key %q (want :)", quoteChar(s.data, j), key)
		}
		j = s.ws(j + 1)
		end, err := s.value(j, depth+1)
		if err != nil {
			return end, err
		}
		i = s.ws(end)
		if i >= len(s.data) {
			return i, s.errAt(i, "", "unexpected end of input in an object (truncated JSON?)")
		}
		switch s.data[i] {
		case ',':
			i = s.ws(i + 1)
		case '}':
			return i + 1, nil
		default:
			return i, s.errAt(i, "", "invalid character %s after an object value (want , or })", quoteChar(s.data, i))
		}
	}
}

// ---- helpers for walking checked input (they assume validity) ----

func ws(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\n' || d[i] == '\t' || d[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset past the (checked) string at i.
func skipString(d []byte, i int) int {
	i++
	for i < len(d) {
		switch d[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		default:
			i++
		}
	}
	return i
}

// skip returns the offset past the (checked) value at i.
func skip(d []byte, i int) int {
	switch d[i] {
	case '"':
		return skipString(d, i)
	case '{', '[':
		depth := 0
		for i < len(d) {
			switch d[i] {
			case '"':
				i = skipString(d, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(d) {
			switch d[i] {
			case ',', '}', ']', ' ', '\n', '\t', '\r':
				return i
			}
			i++
		}
		return i
	}
}

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// unquote decodes a checked JSON string literal (with its quotes).
func unquote(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	b = b[1 : len(b)-1]
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b), true
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			return "", false
		}
		switch b[i+1] {
		case '"', '\\', '/':
			out = append(out, b[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b, i+2)
			if !ok {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := hex4(b, i+2)
				if !ok || i+1 >= len(b) || b[i] != '\\' {
					return "", false
				}
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(out), true
}

// quoteChar shows the byte at i for a message.
func quoteChar(d []byte, i int) string {
	if i >= len(d) {
		return "end of input"
	}
	c := d[i]
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("0x%02x", c)
}
