package audit

import (
	"container/list"
	"sync"

	"github.com/pvaudit/pvaudit/policy"
)

// The batch cache keeps what repeats between lines: the policy fields of a
// line (identity_policies, boundary, scp_levels, scps, session_policies),
// keyed by their exact bytes, with the documents parsed from them; and the
// compiled policy sets, keyed by the fields they were built from. Both are
// bounded by count and by bytes (the policy text they hold; parsed and
// compiled forms take a small multiple of it) and evict the least recently
// used entry. A field is cached only when it is a list, an object or a string,
// values whose end is given by their first bytes, so that a line whose bytes
// at a field's place start with a cached value has exactly that value there.

// fieldTag names a policy field of a batch line.
type fieldTag uint8

const (
	tagIdentity fieldTag = iota
	tagBoundary
	tagSCPLevels
	tagSCPs
	tagSession
	numTags
)

// tagOf returns the field a (raw, unescaped) key names, or numTags.
func tagOf(key []byte) fieldTag {
	switch string(key) {
	case "identity_policies":
		return tagIdentity
	case "boundary":
		return tagBoundary
	case "scp_levels":
		return tagSCPLevels
	case "scps":
		return tagSCPs
	case "session_policies":
		return tagSession
	}
	return numTags
}

// prefixLen is how many leading bytes index a long cached field; probe
// how many of the fields sharing a prefix are compared with the line
// before the value's end is looked for.
const (
	prefixLen = 64
	probe     = 8
)

// fieldEntry is a policy field as written and the policies it holds.
type fieldEntry struct {
	tag fieldTag
	raw string // the JSON value as written
	id  uint64 // unique for the cache's life; 0 is "absent"
	// docs holds identity, boundary (one) or session policies; levels the
	// SCP levels (scps: one level).
	docs   []policy.NamedPolicy
	levels [][]policy.NamedPolicy
	// err is the first policy of the field that cannot be parsed.
	err  error
	elem *list.Element
}

// setKey identifies a policy set by the fields it was built from.
type setKey struct{ identity, boundary, scp, session uint64 }

type setEntry struct {
	key  setKey
	comp *policy.Compiled
	err  error
	cost int64
	elem *list.Element
}

// BatchStats counts what a batch did.
type BatchStats struct {
	Lines, Answers, Errors int64
	// FieldHits and FieldMisses count the policy fields found in the cache
	// or parsed; SetHits and SetMisses the compiled policy sets.
	FieldHits, FieldMisses, SetHits, SetMisses int64
	// FastLines is how many lines took the fast path (every policy field
	// found by its bytes, only the rest of the line checked and decoded).
	FastLines int64
}

type batchCache struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	nextID     uint64
	disabled   bool

	// exact finds a field by its bytes; prefix lists the fields of at
	// least prefixLen bytes by their first prefixLen bytes, most recently
	// used first.
	exact      [numTags]map[string]*fieldEntry
	prefix     [numTags]map[string][]*fieldEntry
	fields     list.List // *fieldEntry, most recently used first
	fieldBytes int64
	sets       map[setKey]*setEntry
	setList    list.List // *setEntry
	setBytes   int64
	stats      BatchStats
}

func newBatchCache(maxEntries int, maxBytes int64) *batchCache {
	c := &batchCache{maxEntries: maxEntries, maxBytes: maxBytes, disabled: maxEntries <= 0 || maxBytes <= 0,
		sets: map[setKey]*setEntry{}}
	for i := range c.exact {
		c.exact[i] = map[string]*fieldEntry{}
		c.prefix[i] = map[string][]*fieldEntry{}
	}
	return c
}

// lookupAt finds the cached field whose bytes line has at i, whatever
// follows them; nil when none. A cached field is a list, an object or a
// string, whose end its bytes give, so the value at i is exactly that field.
func (c *batchCache) lookupAt(tag fieldTag, line []byte, i int) *fieldEntry {
	rest := line[i:]
	if end := valueEnd(rest[:min(len(rest), prefixLen-1)], 0); end > 0 {
		return c.lookup(tag, rest[:end]) // a short value
	}
	if len(rest) < prefixLen {
		return nil
	}
	c.mu.Lock()
	b := c.prefix[tag][string(rest[:prefixLen])]
	for k, e := range b[:min(len(b), probe)] {
		if len(rest) >= len(e.raw) && string(rest[:len(e.raw)]) == e.raw {
			c.hit(e, b, k)
			c.mu.Unlock()
			return e
		}
	}
	more := len(b) > probe
	c.mu.Unlock()
	if !more {
		return nil // every field with this prefix was compared
	}
	end := valueEnd(rest, 0)
	if end < 0 {
		return nil
	}
	return c.lookup(tag, rest[:end])
}

// lookup finds the cached field with exactly these bytes.
func (c *batchCache) lookup(tag fieldTag, raw []byte) *fieldEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.exact[tag][string(raw)]
	if e == nil {
		return nil
	}
	k := -1
	var b []*fieldEntry
	if len(e.raw) >= prefixLen {
		b = c.prefix[tag][e.raw[:prefixLen]]
		for i, o := range b {
			if o == e {
				k = i
				break
			}
		}
	}
	c.hit(e, b, k)
	return e
}

// hit counts a hit on e, b[k] (k -1: e is short), and makes it the most
// recently used.
func (c *batchCache) hit(e *fieldEntry, b []*fieldEntry, k int) {
	c.stats.FieldHits++
	c.fields.MoveToFront(e.elem)
	if k > 0 {
		copy(b[1:k+1], b[:k])
		b[0] = e
	}
}

// addField gives e its own id (sets are cached by the ids of their
// fields, so no two different fields may share one) and, when keep is set,
// keeps it (unless the cache is off or e is bigger than the cache). It
// returns the entry to use: an equal one another worker added meanwhile, or
// e.
func (c *batchCache) addField(e *fieldEntry, keep bool) *fieldEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.FieldMisses++
	if o := c.exact[e.tag][e.raw]; o != nil && keep {
		return o
	}
	c.nextID++
	e.id = c.nextID
	if !keep || c.disabled || int64(len(e.raw)) > c.maxBytes {
		return e
	}
	c.exact[e.tag][e.raw] = e
	if len(e.raw) >= prefixLen {
		key := e.raw[:prefixLen]
		c.prefix[e.tag][key] = append([]*fieldEntry{e}, c.prefix[e.tag][key]...)
	}
	e.elem = c.fields.PushFront(e)
	c.fieldBytes += int64(len(e.raw))
	for c.fields.Len() > c.maxEntries || c.fieldBytes > c.maxBytes {
		c.removeField(c.fields.Back().Value.(*fieldEntry))
	}
	return e
}

func (c *batchCache) removeField(e *fieldEntry) {
	delete(c.exact[e.tag], e.raw)
	if len(e.raw) >= prefixLen {
		key := e.raw[:prefixLen]
		b := c.prefix[e.tag][key]
		for i, o := range b {
			if o == e {
				b = append(b[:i:i], b[i+1:]...)
				break
			}
		}
		if len(b) == 0 {
			delete(c.prefix[e.tag], key)
		} else {
			c.prefix[e.tag][key] = b
		}
	}
	c.fields.Remove(e.elem)
	e.elem = nil
	c.fieldBytes -= int64(len(e.raw))
}

// set returns the compiled set for key, building it with build on a miss;
// cost is the policy text the set was built from.
func (c *batchCache) set(key setKey, cost int64, build func() (*policy.Compiled, error)) (*policy.Compiled, error) {
	c.mu.Lock()
	if s, ok := c.sets[key]; ok {
		c.stats.SetHits++
		c.setList.MoveToFront(s.elem)
		c.mu.Unlock()
		return s.comp, s.err
	}
	c.stats.SetMisses++
	c.mu.Unlock()
	comp, err := build()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.disabled {
		return comp, err
	}
	if s, ok := c.sets[key]; ok { // another worker was faster
		return s.comp, s.err
	}
	if cost > c.maxBytes {
		return comp, err
	}
	s := &setEntry{key: key, comp: comp, err: err, cost: cost}
	s.elem = c.setList.PushFront(s)
	c.sets[key] = s
	c.setBytes += cost
	for c.setList.Len() > c.maxEntries || c.setBytes > c.maxBytes {
		old := c.setList.Back().Value.(*setEntry)
		c.setList.Remove(old.elem)
		delete(c.sets, old.key)
		c.setBytes -= old.cost
	}
	return comp, err
}
