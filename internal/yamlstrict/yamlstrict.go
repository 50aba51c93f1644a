// Package yamlstrict decodes the YAML files people write for pvaudit
// (contracts, suppression files, pvaudit.yaml) strictly, with errors a
// person can act on: `pvaudit.yaml:3:1: unknown key "paramters" (did you
// mean "parameters"?)`.
//
// A file must hold exactly one YAML document (yaml.v3 would silently
// ignore every document after the first); keys are known fields of the
// target, given once; values have the target's types; the file is at most
// MaxBytes long and expands to at most maxNodes nodes (aliases included).
package yamlstrict

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxBytes is the largest input Decode accepts (the largest YAML limit of
// package fsutil, for suppression files).
const MaxBytes = 4 << 20

// maxNodes bounds the nodes the checker visits, aliases expanded, so that
// an alias bomb ("billion laughs") is refused rather than walked.
const maxNodes = 1 << 20

// ErrEmpty is wrapped when the input holds no document (empty, or only
// comments). Callers decide whether that is an error.
var ErrEmpty = errors.New("no YAML document")

// Error is a problem at a place in a YAML file. Column is 0 when yaml.v3
// does not say (syntax errors).
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// Decode decodes the single YAML document in data into v (a pointer),
// strictly (see the package comment). name is the file name errors start
// with. Errors are *Error, or wrap ErrEmpty.
func Decode(data []byte, name string, v any) error {
	if len(data) > MaxBytes {
		return &Error{File: name, Msg: fmt.Sprintf("%d bytes is over the %d-byte limit for a YAML file", len(data), MaxBytes)}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("yamlstrict.Decode of %s: need a non-nil pointer, got %T", name, v)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w", name, ErrEmpty)
		}
		return yamlErr(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return yamlErr(name, err)
	default:
		line := next.Line
		if len(next.Content) > 0 {
			line = next.Content[0].Line
		}
		if len(doc.Content) > 0 {
			if sep := separatorLine(data, doc.Content[0].Line); sep > 0 && sep <= line {
				line = sep
			}
		}
		return &Error{File: name, Line: line, Column: 1, Msg: "a second YAML document starts here: a file holds exactly one (remove the --- separator and what follows, or merge them)"}
	}
	if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null" && doc.Content[0].Value == "") {
		return fmt.Errorf("%s: %w", name, ErrEmpty)
	}
	c := &checker{file: name}
	if err := c.check(doc.Content[0], rv.Type().Elem(), ""); err != nil {
		return err
	}
	// The checker has found what it knows to look for; yaml.v3 decodes,
	// strictly as well, so nothing the checker missed gets through.
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(v); err != nil {
		return yamlErr(name, err)
	}
	return nil
}

// separatorLine returns the first line after line `after` that starts a
// document ("---"), or 0.
func separatorLine(data []byte, after int) int {
	for i, l := range bytes.Split(data, []byte("\n")) {
		if i+1 > after && bytes.HasPrefix(l, []byte("---")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r') {
			return i + 1
		}
	}
	return 0
}

type checker struct {
	file  string
	nodes int
}

func (c *checker) errAt(n *yaml.Node, format string, args ...any) error {
	return &Error{File: c.file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// check walks node against type t. path names the place for messages
// ("parameters", "suppressions[2]").
func (c *checker) check(n *yaml.Node, t reflect.Type, path string) error {
	c.nodes++
	if c.nodes > maxNodes {
		return c.errAt(n, "more than %d YAML nodes (aliases expanded): refused", maxNodes)
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return c.errAt(n, "alias to nothing")
		}
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // null leaves the zero value, as yaml.v3 does
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Kind() == reflect.Interface {
		return nil
	}
	where := ""
	if path != "" {
		where = " in " + path
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return c.errAt(n, "expected a mapping (key: value lines)%s, got %s", where, kindName(n))
		}
		fields := yamlFields(t)
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				continue // merge keys: yaml.v3's own strict decode checks them
			}
			if first, dup := seen[k.Value]; dup {
				return c.errAt(k, "key %q given twice%s (first at line %d, column %d)", k.Value, where, first.Line, first.Column)
			}
			seen[k.Value] = k
			ft, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown key %q%s", k.Value, where)
				if s := suggest(k.Value, fields); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return c.errAt(k, "%s", msg)
			}
			if err := c.check(val, ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return c.errAt(n, "expected a mapping%s, got %s", where, kindName(n))
		}
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if first, dup := seen[k.Value]; dup {
				return c.errAt(k, "key %q given twice%s (first at line %d, column %d)", k.Value, where, first.Line, first.Column)
			}
			seen[k.Value] = k
			if err := c.scalar(k, t.Key(), path); err != nil {
				return err
			}
			if err := c.check(val, t.Elem(), join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return c.errAt(n, "expected a list%s, got %s", where, kindName(n))
		}
		for i, e := range n.Content {
			if err := c.check(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		return c.scalar(n, t, path)
	}
	return nil
}

// scalar checks that a node decodes into the scalar type t.
func (c *checker) scalar(n *yaml.Node, t reflect.Type, path string) error {
	where := ""
	if path != "" {
		where = " for " + path
	}
	if n.Kind != yaml.ScalarNode {
		return c.errAt(n, "expected a single value%s, got %s", where, kindName(n))
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		return c.errAt(n, "%q is not %s%s", n.Value, typeName(t), where)
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	default:
		return "something else"
	}
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	default:
		return "a " + t.String()
	}
}

// yamlFields maps a struct's YAML keys to field types, with ",inline"
// structs' keys included as yaml.v3 does.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name) // yaml.v3's default key
		}
		out[name] = f.Type
	}
	return out
}

// suggest returns the known key closest to key when it is close enough
// to be a typo, "" otherwise.
func suggest(key string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	best, bestD := "", 1<<30
	for _, n := range names {
		d := distance(strings.ToLower(key), n)
		if d < bestD {
			best, bestD = n, d
		}
	}
	limit := 2
	if len(key) >= 8 {
		limit = 3
	}
	if bestD <= limit && bestD < len(key) {
		return best
	}
	return ""
}

// distance is the Levenshtein edit distance between a and b, counting an
// adjacent transposition ("paramteres") as one edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 30
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErr turns a yaml.v3 error ("yaml: line 3: …", or a TypeError with
// one "line N: …" per problem) into an *Error for the first problem.
func yamlErr(name string, err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	}
	m := lineRE.FindStringSubmatch(strings.TrimSpace(msgs[0]))
	if m == nil {
		return &Error{File: name, Msg: msgs[0]}
	}
	line, _ := strconv.Atoi(m[1])
	return &Error{File: name, Line: line, Msg: m[2]}
}
