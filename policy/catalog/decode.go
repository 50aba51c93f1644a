package catalog

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The file format is described in internal/build, which writes it. Parse
// checks everything the matching code relies on (order, uniqueness, the
// characters of names, indices in range), so a damaged or hand-edited file
// is refused rather than half-read.

const magic = "pvaudit-action-catalog 1"

// maxText bounds the decompressed size, so a hostile file cannot exhaust
// memory. The current catalogue is about 1 MB.
const maxText = 64 << 20

// Parse decodes a catalogue file (gzip-compressed text, as written by
// scripts/update-catalog.sh). Use it to load a catalogue other than the
// embedded one, e.g. a newer one an auditor supplies.
func Parse(data []byte) (*Catalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("catalog: not a gzip file: %w", err)
	}
	// The gzip trailer's last four bytes hold the size (mod 2³²): a hint
	// for the buffer, no more.
	var buf strings.Builder
	if n := len(data); n >= 4 {
		if size := int(binary.LittleEndian.Uint32(data[n-4:])); size <= maxText {
			buf.Grow(size)
		}
	}
	if _, err := io.Copy(&buf, io.LimitReader(zr, maxText+1)); err != nil {
		return nil, fmt.Errorf("catalog: decompress: %w", err)
	}
	if buf.Len() > maxText {
		return nil, fmt.Errorf("catalog: more than %d bytes of text", maxText)
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("catalog: decompress: %w", err)
	}
	p := &parser{s: buf.String()}
	c, err := p.catalog()
	if err != nil {
		return nil, fmt.Errorf("catalog: line %d: %w", p.line, err)
	}
	return c, nil
}

type parser struct {
	s    string
	pos  int
	line int
	// buf backs the fields of the current line: a caller keeps no field
	// slice past the next call (only the strings, or a copy).
	buf [8]string
}

// next returns the next line, which must end in "\n".
func (p *parser) next() (string, error) {
	if p.pos >= len(p.s) {
		return "", io.ErrUnexpectedEOF
	}
	i := strings.IndexByte(p.s[p.pos:], '\n')
	if i < 0 {
		return "", fmt.Errorf("last line has no line break: %w", io.ErrUnexpectedEOF)
	}
	l := p.s[p.pos : p.pos+i]
	p.pos += i + 1
	p.line++
	return l, nil
}

// fields returns the next line's tab-separated fields; want > 0 requires
// exactly that many, want < 0 at least -want.
func (p *parser) fields(want int) ([]string, error) {
	l, err := p.next()
	if err != nil {
		return nil, err
	}
	n := strings.Count(l, "\t") + 1
	if want > 0 && n != want || want < 0 && n < -want {
		return nil, fmt.Errorf("%d fields, want %d", n, abs(want))
	}
	f := p.buf[:0]
	if n > cap(f) {
		f = make([]string, 0, n)
	}
	for range n - 1 {
		i := strings.IndexByte(l, '\t')
		f = append(f, l[:i])
		l = l[i+1:]
	}
	return append(f, l), nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// header reads "tag <TAB> count".
func (p *parser) header(tag string) (int, error) {
	f, err := p.fields(2)
	if err != nil {
		return 0, err
	}
	if f[0] != tag {
		return 0, fmt.Errorf("found %q, want %q", f[0], tag)
	}
	return p.count(f[1])
}

// count parses a count, bounded by the bytes left (each counted record is
// at least a line break), so no allocation is sized by a lie.
func (p *parser) count(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > len(p.s)-p.pos {
		return 0, fmt.Errorf("bad count %q", s)
	}
	return n, nil
}

type refTable struct {
	strs  []string
	arena []string
}

// refs parses "i,j,k" into strings of the table; the indices must be
// strictly increasing (the table is sorted and lists are sorted and
// unique). The result is a capacity-limited window on an arena.
func (t *refTable) refs(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	start := len(t.arena)
	prev := -1
	for s != "" {
		var tok string
		tok, s, _ = strings.Cut(s, ",")
		i, err := strconv.Atoi(tok)
		if err != nil || i <= prev || i >= len(t.strs) {
			return nil, fmt.Errorf("bad condition key reference %q", tok)
		}
		prev = i
		t.arena = append(t.arena, t.strs[i])
	}
	return t.arena[start:len(t.arena):len(t.arena)], nil
}

func (p *parser) catalog() (*Catalog, error) {
	l, err := p.next()
	if err != nil {
		return nil, err
	}
	if l != magic {
		return nil, fmt.Errorf("not a pvaudit action catalogue (first line %.40q)", l)
	}
	f, err := p.fields(5)
	if err != nil {
		return nil, err
	}
	if f[0] != "source" || f[1] == "" || f[2] == "" {
		return nil, fmt.Errorf("bad source line")
	}
	c := &Catalog{src: Source{Package: f[1], Version: f[2], License: f[3], UpdatedAt: f[4]}}

	n, err := p.header("strings")
	if err != nil {
		return nil, err
	}
	t := &refTable{strs: make([]string, n)}
	for i := range n {
		if t.strs[i], err = p.next(); err != nil {
			return nil, err
		}
		if t.strs[i] == "" || strings.Contains(t.strs[i], "\t") || i > 0 && t.strs[i] <= t.strs[i-1] {
			return nil, fmt.Errorf("condition key table: %q out of order, repeated or empty", t.strs[i])
		}
	}

	if n, err = p.header("global"); err != nil {
		return nil, err
	}
	c.globals = make([]ConditionKey, n)
	for i := range n {
		f, err := p.fields(3)
		if err != nil {
			return nil, err
		}
		k, err := t.refs(f[0])
		if err != nil || len(k) != 1 || f[1] == "" {
			return nil, fmt.Errorf("bad global condition key")
		}
		c.globals[i] = ConditionKey{Name: k[0], Type: f[1], Category: f[2]}
		if i > 0 && c.globals[i].Name <= c.globals[i-1].Name {
			return nil, fmt.Errorf("global condition key %q out of order", k[0])
		}
	}

	f, err = p.fields(4)
	if err != nil {
		return nil, err
	}
	if f[0] != "services" {
		return nil, fmt.Errorf("found %q, want \"services\"", f[0])
	}
	var na, nr int
	for i, dst := range []*int{&n, &na, &nr} {
		if *dst, err = p.count(f[1+i]); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("no services")
	}
	// Sizes only: the arena and the action list grow if they lie.
	c.actions = make([]Action, 0, na)
	t.arena = make([]string, 0, nr)
	c.services = make([]Service, n)
	for i := range n {
		if err := p.service(c, t, &c.services[i]); err != nil {
			return nil, err
		}
		if i > 0 && c.services[i].prefix+":" <= c.services[i-1].prefix+":" {
			return nil, fmt.Errorf("service %q out of order", c.services[i].prefix)
		}
	}
	if p.pos != len(p.s) {
		p.line++
		return nil, fmt.Errorf("data after the last service")
	}
	c.index()
	return c, nil
}

func (p *parser) service(c *Catalog, t *refTable, s *Service) error {
	f, err := p.fields(6)
	if err != nil {
		return err
	}
	if f[0] != "service" {
		return fmt.Errorf("found %q, want \"service\"", f[0])
	}
	if err := checkPrefix(f[1]); err != nil {
		return err
	}
	if f[2] == "" {
		return fmt.Errorf("service %q has no name", f[1])
	}
	s.prefix, s.name = f[1], f[2]
	var nk, nr, na int
	for i, dst := range []*int{&nk, &nr, &na} {
		if *dst, err = p.count(f[3+i]); err != nil {
			return fmt.Errorf("service %q: %w", s.prefix, err)
		}
	}
	if na == 0 {
		return fmt.Errorf("service %q has no actions", s.prefix)
	}

	s.keys = make([]ConditionKey, nk)
	for i := range nk {
		f, err := p.fields(2)
		if err != nil {
			return err
		}
		k, err := t.refs(f[0])
		if err != nil || len(k) != 1 || f[1] == "" {
			return fmt.Errorf("service %q: bad condition key", s.prefix)
		}
		s.keys[i] = ConditionKey{Name: k[0], Type: f[1]}
		if i > 0 && s.keys[i].Name <= s.keys[i-1].Name {
			return fmt.Errorf("service %q: condition key %q out of order", s.prefix, k[0])
		}
	}

	s.res = make([]ResourceType, nr)
	prevName := ""
	for i := range nr {
		f, err := p.fields(-3)
		if err != nil {
			return err
		}
		lname := strings.ToLower(f[0])
		if f[0] == "" || i > 0 && lname <= prevName {
			return fmt.Errorf("service %q: resource type %q empty, out of order or repeated", s.prefix, f[0])
		}
		prevName = lname
		keys, err := t.refs(f[1])
		if err != nil {
			return fmt.Errorf("service %q: resource type %q: %w", s.prefix, f[0], err)
		}
		for _, a := range f[2:] {
			if !strings.HasPrefix(a, "arn:") {
				return fmt.Errorf("service %q: resource type %q: bad ARN format %q", s.prefix, f[0], a)
			}
		}
		s.res[i] = ResourceType{service: s.prefix, name: f[0], arns: slices.Clone(f[2:]), keys: keys}
	}

	s.lo = len(c.actions)
	prevName = ""
	for i := range na {
		f, err := p.fields(4)
		if err != nil {
			return err
		}
		if err := checkActionName(f[0]); err != nil {
			return fmt.Errorf("service %q: %w", s.prefix, err)
		}
		if i > 0 && compareFoldASCII(f[0], prevName) <= 0 {
			return fmt.Errorf("action %s:%s out of order or repeated", s.prefix, f[0])
		}
		prevName = f[0]
		// full is set by index, from one string for all actions.
		a := Action{service: s.prefix, name: f[0], id: len(c.actions), known: true}
		if len(f[1]) != 1 {
			return fmt.Errorf("action %s: bad access level %q", a.String(), f[1])
		}
		if a.access = levelCode(f[1][0]); a.access == AccessUnknown {
			return fmt.Errorf("action %s: bad access level %q", a.String(), f[1])
		}
		if a.keys, err = t.refs(f[2]); err != nil {
			return fmt.Errorf("action %s: %w", a.String(), err)
		}
		if a.res, err = actionResources(f[3], s); err != nil {
			return fmt.Errorf("action %s: %w", a.String(), err)
		}
		for j := range a.res {
			if a.res[j].keys, err = t.refs(keysOf(f[3], j)); err != nil {
				return fmt.Errorf("action %s: %w", a.String(), err)
			}
		}
		c.actions = append(c.actions, a)
	}
	s.hi = len(c.actions)
	return nil
}

// actionResources parses "r", "r+", "r=keys" entries separated by spaces;
// the condition keys are filled in by the caller (keysOf).
func actionResources(s string, svc *Service) ([]ActionResource, error) {
	if s == "" {
		return nil, nil
	}
	n := strings.Count(s, " ") + 1
	out := make([]ActionResource, 0, n)
	prev := -1
	for s != "" {
		var e string
		e, s, _ = strings.Cut(s, " ")
		e, _, _ = strings.Cut(e, "=")
		req := strings.HasSuffix(e, "+")
		i, err := strconv.Atoi(strings.TrimSuffix(e, "+"))
		if err != nil || i <= prev || i >= len(svc.res) {
			return nil, fmt.Errorf("bad resource type reference %q", e)
		}
		prev = i
		out = append(out, ActionResource{typ: &svc.res[i], required: req})
	}
	return out, nil
}

// keysOf returns the key references of the j-th resource entry.
func keysOf(s string, j int) string {
	for ; j > 0; j-- {
		_, s, _ = strings.Cut(s, " ")
	}
	e, _, _ := strings.Cut(s, " ")
	_, k, _ := strings.Cut(e, "=")
	return k
}

func levelCode(b byte) AccessLevel {
	switch b {
	case 'L':
		return AccessList
	case 'R':
		return AccessRead
	case 'W':
		return AccessWrite
	case 'P':
		return AccessPermissionsManagement
	case 'T':
		return AccessTagging
	}
	return AccessUnknown
}

// index builds the lookup structures once the actions are in place.
func (c *Catalog) index() {
	c.ptrs = make([]*Action, len(c.actions))
	c.lower = make([]string, len(c.actions))
	c.lowerName = make([]string, len(c.actions))
	var all strings.Builder
	n := 0
	for i := range c.actions {
		n += len(c.actions[i].service) + 1 + len(c.actions[i].name)
	}
	all.Grow(n)
	for i := range c.actions {
		all.WriteString(c.actions[i].service)
		all.WriteByte(':')
		all.WriteString(c.actions[i].name)
	}
	full := all.String()
	low := lowerASCII(full)
	pos := 0
	for i := range c.actions {
		a := &c.actions[i]
		n := len(a.service) + 1 + len(a.name)
		a.full = full[pos : pos+n]
		c.ptrs[i] = a
		c.lower[i] = low[pos : pos+n]
		c.lowerName[i] = low[pos+len(a.service)+1 : pos+n]
		pos += n
	}
	c.byPrefix = make(map[string]*Service, len(c.services))
	c.prefixes = make([]string, len(c.services))
	for i := range c.services {
		s := &c.services[i]
		s.actions = c.ptrs[s.lo:s.hi:s.hi]
		c.byPrefix[s.prefix] = s
		c.prefixes[i] = s.prefix
	}
	slices.Sort(c.prefixes)
	// Only patterns like "*:Create*" need the name index: built on first
	// use, once, safely for concurrent callers.
	c.byName = sync.OnceValue(func() []int32 {
		ids := make([]int32, len(c.actions))
		for i := range ids {
			ids[i] = int32(i)
		}
		slices.SortFunc(ids, func(x, y int32) int {
			if d := strings.Compare(c.nameLower(int(x)), c.nameLower(int(y))); d != 0 {
				return d
			}
			return int(x - y)
		})
		return ids
	})
}

// nameLower is the lower-case name part of action id.
func (c *Catalog) nameLower(id int) string { return c.lowerName[id] }

// checkPrefix accepts a lower-case ASCII service prefix (the characters
// AWS uses, and nothing that is a wildcard, a separator or upper case).
func checkPrefix(p string) error {
	if p == "" {
		return fmt.Errorf("empty service prefix")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("service prefix %q: character %q not allowed", p, c)
		}
	}
	return nil
}

// checkActionName accepts ASCII letters, digits, '-' and '_'.
func checkActionName(n string) error {
	if n == "" {
		return fmt.Errorf("empty action name")
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("action name %q: character %q not allowed", n, c)
		}
	}
	return nil
}

// compareFoldASCII compares lowerASCII(a) and lowerASCII(b) without
// building them.
func compareFoldASCII(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}
