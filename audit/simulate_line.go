package audit

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pvaudit/pvaudit/internal/strictjson"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/reports"
)

// errBatchLine marks a line that cannot be evaluated.
var errBatchLine = errors.New("bad request line")

// placeholder stands for a cached field in the shortened line the fast
// path checks.
const placeholder = '0'

// maxInterned bounds a worker's table of repeated request strings.
const maxInterned = 8192

// batchWorker decides lines; one per goroutine.
type batchWorker struct {
	cache *batchCache
	// the line being decided
	fields  [numTags]*fieldEntry
	request bool
	req     policy.Request
	ctx     map[string][]string
	vals    []string
	// compact is the line with each cached field replaced by a placeholder
	// at phOff (-1: none).
	compact []byte
	phOff   [numTags]int
	intern  map[string]string
	lines   int64
	fast    int64
}

func newBatchWorker(c *batchCache) *batchWorker {
	return &batchWorker{cache: c, ctx: map[string][]string{}, intern: map[string]string{}}
}

// answer appends the answer to line n (without its newline) to dst, and
// says whether it is an error.
func (w *batchWorker) answer(dst []byte, line []byte, n int) ([]byte, bool) {
	w.lines++
	err := w.parse(line)
	if err == nil {
		var d reports.Decision
		if d, err = w.decide(); err == nil {
			return appendDecision(dst, &d), false
		}
	}
	return appendErrorLine(dst, fmt.Sprintf("line %d: %v", n, err)), true
}

func (w *batchWorker) reset() {
	w.fields = [numTags]*fieldEntry{}
	w.request = false
	w.req = policy.Request{}
	clear(w.ctx)
	w.vals = w.vals[:0]
}

// parse reads line into w.fields and w.req: the fast path when every
// policy field is in the cache, otherwise the whole line checked and
// decoded.
func (w *batchWorker) parse(line []byte) error {
	w.reset()
	if w.fastParse(line) {
		w.fast++
		return nil
	}
	w.reset()
	return w.slowParse(line)
}

// fastParse copies line into w.compact without the policy fields it finds
// in the cache, checks the copy strictly, confirms that each placeholder is
// a whole member value of the top-level object, and decodes the request from
// it. The line is then valid (a cached field is a valid JSON value that was
// checked at the same depth, and a value may stand wherever another
// could). Anything unexpected, including every error, returns false, and
// the slow path gives the answer.
func (w *batchWorker) fastParse(line []byte) bool {
	w.compact = w.compact[:0]
	w.phOff = [numTags]int{-1, -1, -1, -1, -1}
	i := wsAt(line, 0)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	w.compact = append(w.compact, '{')
	i = wsAt(line, i+1)
	if i < len(line) && line[i] == '}' {
		return false // an empty line object: the slow path explains
	}
	for {
		if i >= len(line) || line[i] != '"' {
			return false
		}
		kend := stringEnd(line, i)
		if kend < 0 || bytes.IndexByte(line[i:kend], '\\') >= 0 {
			return false
		}
		tag := tagOf(line[i+1 : kend-1])
		w.compact = append(w.compact, line[i:kend]...)
		j := wsAt(line, kend)
		if j >= len(line) || line[j] != ':' {
			return false
		}
		w.compact = append(w.compact, ':')
		j = wsAt(line, j+1)
		if j >= len(line) {
			return false
		}
		if tag < numTags && line[j] != 'n' {
			if w.fields[tag] != nil {
				return false // given twice
			}
			e := w.cache.lookupAt(tag, line, j)
			if e == nil {
				return false
			}
			w.fields[tag] = e
			w.phOff[tag] = len(w.compact)
			w.compact = append(w.compact, placeholder)
			j += len(e.raw)
		} else {
			end := valueEnd(line, j)
			if end < 0 {
				return false
			}
			w.compact = append(w.compact, line[j:end]...)
			j = end
		}
		j = wsAt(line, j)
		if j >= len(line) {
			return false
		}
		switch line[j] {
		case ',':
			w.compact = append(w.compact, ',')
			i = wsAt(line, j+1)
			continue
		case '}':
			w.compact = append(w.compact, '}')
			if wsAt(line, j+1) != len(line) {
				return false
			}
		default:
			return false
		}
		break
	}
	if _, err := strictjson.Parse(w.compact, strictjson.Options{}); err != nil {
		return false
	}
	// The copy is valid: walk its top-level members.
	found := 0
	ok := true
	eachMember(w.compact, 0, func(qkey []byte, vs, ve int) bool {
		key := qkey[1 : len(qkey)-1]
		tag := tagOf(key)
		switch {
		case tag < numTags:
			if w.phOff[tag] >= 0 {
				if vs != w.phOff[tag] || ve != vs+1 {
					ok = false
				}
				found++
			} else if w.compact[vs] != 'n' { // null: absent
				ok = false
			}
		case string(key) == "request":
			ok = w.decodeRequest(w.compact[vs:ve]) == nil
		default:
			ok = false
		}
		return ok
	})
	if !ok {
		return false
	}
	for _, off := range w.phOff {
		if off >= 0 {
			found--
		}
	}
	return found == 0
}

// slowParse checks the whole line strictly and decodes it; policy fields
// not in the cache are parsed and added to it.
func (w *batchWorker) slowParse(line []byte) error {
	top, err := strictjson.Parse(line, strictjson.Options{})
	if err != nil {
		return fmt.Errorf("%w: %v", errBatchLine, err)
	}
	if top.Kind() != strictjson.Object {
		return fmt.Errorf("%w: a request line must be a JSON object, got %s", errBatchLine, top.Kind())
	}
	for _, m := range top.Members() {
		tag := tagOf([]byte(m.Key))
		if tag == numTags {
			if m.Key != "request" {
				return fmt.Errorf("%w: unknown key %q (want identity_policies, boundary, scp_levels, scps, session_policies, request)", errBatchLine, m.Key)
			}
			if err := w.decodeRequest(m.Value.Raw()); err != nil {
				return err
			}
			continue
		}
		v := m.Value
		k := v.Kind()
		if k == strictjson.Null {
			continue
		}
		if tag != tagBoundary && k != strictjson.Array {
			return fmt.Errorf("%w: %s: must be a list of policies, got %s", errBatchLine, m.Key, k)
		}
		if tag == tagSCPLevels {
			for l, lvl := range v.Elements() {
				if lvl.Kind() != strictjson.Array {
					return fmt.Errorf("%w: scp_levels[%d]: must be a list of policies, got %s", errBatchLine, l, lvl.Kind())
				}
			}
		}
		e := w.cache.lookup(tag, v.Raw())
		if e == nil {
			// Only values whose end their bytes give are kept (see
			// lookupAt); every value gets an id of its own.
			keep := k == strictjson.Array || k == strictjson.Object || k == strictjson.String
			e = w.cache.addField(parseField(tag, v), keep)
		}
		w.fields[tag] = e
	}
	return nil
}

// parseField parses the policies of a (type-checked) field.
func parseField(tag fieldTag, v strictjson.Value) *fieldEntry {
	e := &fieldEntry{tag: tag, raw: string(v.Raw())}
	add := func(list *[]policy.NamedPolicy, p strictjson.Value, name string) {
		np, err := parseDoc(p, name)
		if err != nil && e.err == nil {
			e.err = err
		}
		*list = append(*list, np)
	}
	switch tag {
	case tagBoundary:
		add(&e.docs, v, "boundary")
	case tagIdentity, tagSession:
		name := "identity_policies"
		if tag == tagSession {
			name = "session_policies"
		}
		for i, p := range v.Elements() {
			add(&e.docs, p, fmt.Sprintf("%s[%d]", name, i))
		}
	case tagSCPs:
		level := []policy.NamedPolicy{}
		for i, p := range v.Elements() {
			add(&level, p, fmt.Sprintf("scp_levels[0][%d]", i))
		}
		e.levels = [][]policy.NamedPolicy{level}
	case tagSCPLevels:
		for l, lvl := range v.Elements() {
			level := []policy.NamedPolicy{}
			for i, p := range lvl.Elements() {
				add(&level, p, fmt.Sprintf("scp_levels[%d][%d]", l, i))
			}
			e.levels = append(e.levels, level)
		}
	}
	return e
}

// parseDoc parses a policy given as a JSON object or as a JSON string
// holding the (possibly URL-encoded) document.
func parseDoc(v strictjson.Value, name string) (policy.NamedPolicy, error) {
	data := v.Raw()
	if s, ok := v.Str(); ok {
		data = []byte(s)
	}
	doc, err := policy.Parse(data)
	if err != nil {
		return policy.NamedPolicy{}, fmt.Errorf("%s: %w", name, err)
	}
	return policy.NamedPolicy{Name: name, Doc: doc}, nil
}

// decide evaluates the decoded line.
func (w *batchWorker) decide() (reports.Decision, error) {
	if !w.request || w.req.Action == "" {
		return reports.Decision{}, fmt.Errorf("%w: request.action is required", errBatchLine)
	}
	if w.fields[tagSCPLevels] != nil && w.fields[tagSCPs] != nil {
		return reports.Decision{}, fmt.Errorf("%w: give scp_levels or scps, not both", errBatchLine)
	}
	scp := w.fields[tagSCPLevels]
	if scp == nil {
		scp = w.fields[tagSCPs]
	}
	ordered := [...]*fieldEntry{w.fields[tagIdentity], w.fields[tagBoundary], scp, w.fields[tagSession]}
	var key [4]uint64
	var cost int64
	cacheable := true
	for i, e := range ordered {
		if e != nil {
			// Sets are cached by the ids of their fields, 0 meaning absent:
			// a field without an id must not find a cached set.
			cacheable = cacheable && e.id != 0
			key[i] = e.id
			cost += int64(len(e.raw))
		}
	}
	build := func() (*policy.Compiled, error) {
		var set policy.PolicySet
		for _, e := range ordered {
			if e != nil && e.err != nil {
				return nil, e.err
			}
		}
		if e := ordered[0]; e != nil {
			set.Identity = e.docs
		}
		if e := ordered[1]; e != nil && len(e.docs) > 0 {
			set.Boundary = &e.docs[0]
		}
		if e := ordered[2]; e != nil {
			set.SCPLevels = e.levels
		}
		if e := ordered[3]; e != nil {
			set.Session = e.docs
		}
		return policy.Compile(set)
	}
	var comp *policy.Compiled
	var err error
	if cacheable {
		comp, err = w.cache.set(setKey{key[0], key[1], key[2], key[3]}, cost, build)
	} else {
		comp, err = build()
	}
	if err != nil {
		return reports.Decision{}, err
	}
	if w.req.Resource == "" {
		w.req.Resource = "*"
	}
	if len(w.ctx) > 0 {
		w.req.Context = w.ctx
	}
	return reports.NewDecision(comp.Evaluate(&w.req)), nil
}

// decodeRequest decodes a checked "request" value.
func (w *batchWorker) decodeRequest(raw []byte) error {
	if raw[0] == 'n' {
		return nil // null: no request
	}
	if raw[0] != '{' {
		return fmt.Errorf("%w: request: must be an object, got %s", errBatchLine, kindOfRaw(raw))
	}
	w.request = true
	var err error
	eachMember(raw, 0, func(qkey []byte, vs, ve int) bool {
		v := raw[vs:ve]
		switch string(qkey[1 : len(qkey)-1]) {
		case "principal":
			w.req.Principal, err = w.reqString("principal", v)
		case "action":
			w.req.Action, err = w.reqString("action", v)
		case "resource":
			w.req.Resource, err = w.reqString("resource", v)
		case "context":
			err = w.decodeContext(v)
		default:
			k, kerr := w.str(qkey)
			if kerr != nil {
				err = kerr
			} else if k == "principal" || k == "action" || k == "resource" || k == "context" {
				// an escaped spelling of a known key
				err = w.decodeRequestKey(k, v)
			} else {
				err = fmt.Errorf("%w: request: unknown key %q (want principal, action, resource, context)", errBatchLine, k)
			}
		}
		return err == nil
	})
	return err
}

func (w *batchWorker) decodeRequestKey(k string, v []byte) error {
	var err error
	switch k {
	case "principal":
		w.req.Principal, err = w.reqString(k, v)
	case "action":
		w.req.Action, err = w.reqString(k, v)
	case "resource":
		w.req.Resource, err = w.reqString(k, v)
	default:
		err = w.decodeContext(v)
	}
	return err
}

func (w *batchWorker) reqString(name string, v []byte) (string, error) {
	switch v[0] {
	case 'n':
		return "", nil
	case '"':
		return w.str(v)
	}
	return "", fmt.Errorf("%w: request.%s: must be a string, got %s", errBatchLine, name, kindOfRaw(v))
}

// decodeContext decodes request.context: condition keys to a value or a
// list of values (strings, numbers and booleans, kept as written).
func (w *batchWorker) decodeContext(v []byte) error {
	if v[0] == 'n' {
		return nil
	}
	if v[0] != '{' {
		return fmt.Errorf("%w: request.context: must be an object, got %s", errBatchLine, kindOfRaw(v))
	}
	var err error
	eachMember(v, 0, func(qkey []byte, vs, ve int) bool {
		var k string
		if k, err = w.str(qkey); err != nil {
			return false
		}
		val := v[vs:ve]
		start := len(w.vals)
		if val[0] == '[' {
			i := 0
			eachElement(val, func(es, ee int) bool {
				var s string
				if s, err = w.scalar(val[es:ee]); err != nil {
					err = fmt.Errorf("%w: request.context[%q]: element %d: %v", errBatchLine, k, i, err)
					return false
				}
				w.vals = append(w.vals, s)
				i++
				return true
			})
			if err != nil {
				return false
			}
		} else {
			var s string
			if s, err = w.scalar(val); err != nil {
				err = fmt.Errorf("%w: request.context[%q]: %v", errBatchLine, k, err)
				return false
			}
			w.vals = append(w.vals, s)
		}
		w.ctx[k] = w.vals[start:len(w.vals):len(w.vals)]
		return true
	})
	return err
}

// scalar is a context value: a string, or a number or boolean as written.
func (w *batchWorker) scalar(v []byte) (string, error) {
	switch v[0] {
	case '"':
		return w.str(v)
	case 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return w.internBytes(v), nil
	case 'n':
		return "", errors.New("expected a string or a list of strings, got null")
	}
	return "", fmt.Errorf("expected a string or a list of strings, got %s", kindOfRaw(v))
}

// str returns a checked JSON string's value.
func (w *batchWorker) str(q []byte) (string, error) {
	body := q[1 : len(q)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return w.internBytes(body), nil
	}
	v, err := strictjson.Parse(q, strictjson.Options{})
	if err != nil {
		return "", fmt.Errorf("%w: %v", errBatchLine, err)
	}
	s, _ := v.Str()
	return s, nil
}

// internBytes returns b as a string, shared with earlier lines that had
// the same bytes.
func (w *batchWorker) internBytes(b []byte) string {
	if s, ok := w.intern[string(b)]; ok {
		return s
	}
	if len(w.intern) >= maxInterned {
		clear(w.intern)
	}
	s := string(b)
	w.intern[s] = s
	return s
}

func kindOfRaw(v []byte) string {
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// ---- walking JSON ----

func wsAt(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the offset past the string starting at b[i] ('"'), or
// -1 when it does not end within b.
func stringEnd(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		// the quote is escaped when an odd number of backslashes precede it
		n := 0
		for k := j - 1; k >= i && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		i = j + 1
	}
}

// valueEnd returns the offset past the JSON value starting at b[i], judged
// by its brackets and strings only, or -1 when it does not end within b.
// It does not check validity; callers check what they rely on.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				if i < 0 {
					return -1
				}
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
		return -1
	default:
		start := i
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if i == start {
					return -1
				}
				return i
			}
			i++
		}
		if i == start {
			return -1
		}
		return i
	}
}

// eachMember calls fn with the key as written (quotes included) and the
// value's span of each member of the checked object at b[i], until fn
// returns false.
func eachMember(b []byte, i int, fn func(qkey []byte, vs, ve int) bool) {
	i = wsAt(b, i+1)
	for i < len(b) && b[i] == '"' {
		kend := stringEnd(b, i)
		key := b[i:kend]
		vs := wsAt(b, wsAt(b, kend)+1)
		ve := valueEnd(b, vs)
		if !fn(key, vs, ve) {
			return
		}
		i = wsAt(b, ve)
		if i < len(b) && b[i] == ',' {
			i = wsAt(b, i+1)
		}
	}
}

// eachElement calls fn with the span of each element of the checked list
// b, until fn returns false.
func eachElement(b []byte, fn func(es, ee int) bool) {
	i := wsAt(b, 1)
	for i < len(b) && b[i] != ']' {
		ee := valueEnd(b, i)
		if !fn(i, ee) {
			return
		}
		i = wsAt(b, ee)
		if i < len(b) && b[i] == ',' {
			i = wsAt(b, i+1)
		}
	}
}
