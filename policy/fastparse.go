package policy

// parseFast decodes the common shape of a policy document in one pass: an
// object with Version, Id and Statement; statements with the keys Parse
// knows; every value a string or a flat list of strings, every string
// printable ASCII without escapes; no key twice in one object; at most
// MaxStatements statements; a document that validates. It returns ok false
// for anything else (numbers, booleans, null, escapes, other bytes,
// duplicate or unknown keys, bad syntax, a document Validate refuses), and
// Parse then decodes the document the general, strict way, errors and
// their positions included. What it accepts is a subset of what the
// strict decoder accepts, and the Document is the one it builds (a test
// compares the two on every document pvaudit has and on variants, and a
// fuzz target on any input): an account's documents are most of the time
// spent reading it.
func parseFast(data []byte) (*Document, bool) {
	p := &fastParser{b: data}
	doc := &Document{}
	seen := 0
	const version, id, statement = 1, 2, 4
	ok := p.object(func(key string) bool {
		switch key {
		case "Version":
			if seen&version != 0 {
				return false
			}
			seen |= version
			s, ok := p.str()
			doc.Version = s
			return ok
		case "Id":
			if seen&id != 0 {
				return false
			}
			seen |= id
			s, ok := p.str()
			doc.ID = s
			return ok
		case "Statement":
			if seen&statement != 0 {
				return false
			}
			seen |= statement
			return p.statements(doc)
		}
		return false
	})
	if !ok || seen&statement == 0 {
		return nil, false
	}
	p.space()
	if p.i != len(p.b) || len(doc.Statements) > MaxStatements || doc.Validate() != nil {
		return nil, false
	}
	return doc, true
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte (0 at the end).
func (p *fastParser) peek() byte {
	p.space()
	if p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

func (p *fastParser) eat(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// str reads a string of printable ASCII without escapes.
func (p *fastParser) str() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return "", false
		}
		p.i++
	}
	return "", false
}

// object reads {"key": value, …}, calling value for each key (which must
// read the value); a key seen twice is refused.
func (p *fastParser) object(value func(key string) bool) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	var keys []string
	for {
		k, ok := p.str()
		if !ok || !p.eat(':') {
			return false
		}
		for _, x := range keys {
			if x == k {
				return false
			}
		}
		keys = append(keys, k)
		if !value(k) {
			return false
		}
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}

// list reads a string or a flat list of strings.
func (p *fastParser) list() (StringList, bool) {
	if p.peek() == '"' {
		s, ok := p.str()
		return StringList{s}, ok
	}
	if !p.eat('[') {
		return nil, false
	}
	out := StringList{}
	if p.eat(']') {
		return out, true
	}
	for {
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if p.eat(',') {
			continue
		}
		return out, p.eat(']')
	}
}

func (p *fastParser) statements(doc *Document) bool {
	if p.peek() == '{' {
		st, ok := p.statement()
		doc.Statements = []Statement{st}
		return ok
	}
	if !p.eat('[') {
		return false
	}
	doc.Statements = []Statement{}
	if p.eat(']') {
		return true
	}
	for {
		st, ok := p.statement()
		if !ok {
			return false
		}
		doc.Statements = append(doc.Statements, st)
		if p.eat(',') {
			continue
		}
		return p.eat(']')
	}
}

func (p *fastParser) statement() (Statement, bool) {
	var st Statement
	ok := p.object(func(key string) bool {
		var ok bool
		switch key {
		case "Sid":
			st.Sid, ok = p.str()
		case "Effect":
			var e string
			e, ok = p.str()
			st.Effect = Effect(e)
		case "Principal":
			st.Principal, ok = p.principal()
		case "NotPrincipal":
			st.NotPrincipal, ok = p.principal()
		case "Action":
			st.Action, ok = p.list()
		case "NotAction":
			st.NotAction, ok = p.list()
		case "Resource":
			st.Resource, ok = p.list()
		case "NotResource":
			st.NotResource, ok = p.list()
		case "Condition":
			st.Condition, ok = p.condition()
		}
		return ok
	})
	return st, ok
}

func (p *fastParser) principal() (*Principal, bool) {
	if p.peek() == '"' {
		s, ok := p.str()
		if !ok || s != "*" {
			return nil, false // the general path says what is wrong
		}
		return &Principal{Wildcard: true}, true
	}
	out := &Principal{}
	ok := p.object(func(key string) bool {
		var dst *StringList
		switch key {
		case "AWS":
			dst = &out.AWS
		case "Service":
			dst = &out.Service
		case "Federated":
			dst = &out.Federated
		case "CanonicalUser":
			dst = &out.CanonicalUser
		default:
			return false
		}
		l, ok := p.list()
		*dst = l
		return ok
	})
	return out, ok
}

func (p *fastParser) condition() (Condition, bool) {
	out := Condition{}
	ok := p.object(func(op string) bool {
		keys := map[string]StringList{}
		out[op] = keys
		return p.object(func(key string) bool {
			l, ok := p.list()
			keys[key] = l
			return ok
		})
	})
	return out, ok
}
