package trail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Collection holds the records a replay kept, deduplicated, and its
// counts. It is safe for concurrent use while collecting.
//
// Records are deduplicated by eventID. Two copies of one eventID are the
// same event when their bytes are identical, or, failing that, when their
// canonical JSON is (keys sorted, insignificant white space removed,
// strings re-escaped, numbers kept as written); records added without
// their bytes (Add) compare by their decoded fields. Identical copies are
// merged and counted (Stats.Duplicates). Copies that differ are all kept
// and analysed, and reported as TRAIL-012: one eventID with two contents
// is a forgery or a broken copy, and letting either win would let a forged
// record hide the real one.
//
// The copies of one cross-account event logged in each account (same
// sharedEventID, different eventIDs) are merged into the copy that names
// the principal, but only when they agree on what the event did; when
// they disagree every copy is kept and the disagreement is a TRAIL-012.
type Collection struct {
	mu     sync.Mutex
	expect Expectations
	since  time.Time
	until  time.Time
	now    func() time.Time
	byID   map[string]*eventGroup
	stats  Stats
	cov    coverage
	walk   WalkStats
	// hashes are the SHA-256 of each input's decompressed content, kept
	// for digest verification.
	hashes map[string]fileHash
	// digest verification results.
	digest *digestReport
	// iamChanges keeps every IAM write event, whoever made it (drift
	// attribution); set before reading, read-only after.
	iamChanges bool
}

// eventGroup is every kept version of one eventID.
type eventGroup struct {
	variants []*variant
}

// variant is one content of an eventID and the copies that had it.
type variant struct {
	rec    *Record
	raw    []byte // the record's bytes; nil when added without them
	canon  []byte // canonical JSON, computed when first needed
	copies []string
}

// fileHash is the SHA-256 of a file's decompressed content, or why it is
// not known.
type fileHash struct {
	sum string
	err string
}

// NewCollection starts an empty collection for the selected roles.
func NewCollection(expect Expectations, since, until time.Time) *Collection {
	return &Collection{expect: expect, since: since, until: until, now: time.Now, byID: map[string]*eventGroup{},
		stats: Stats{Shapes: map[string]int{}}}
}

// SetClock sets the clock used to judge whether a requested window lies in
// the future (time.Now by default).
func (c *Collection) SetClock(now func() time.Time) {
	if now == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// relevant reports whether a decoded record concerns a selected role: an
// AssumeRole on it, or a call made under it.
func (c *Collection) relevant(r *Record) bool {
	if c.iamChanges && IsIAMChange(r) {
		return true
	}
	if isAssume(r.EventName) && c.expect.MatchRole(RoleNameFromARN(r.RoleARN)) {
		return true
	}
	return c.expect.MatchRole(sessionRole(r.Identity))
}

// relevantFast is relevant for a record read by the fast path. lits are
// the pre-filter's literals (nil for none): a record about a selected role
// has one in the ARN that names the role (the caller's, its session
// issuer's, the roleArn requested or the error message's), so a record
// without one, and not kept as an IAM change, is not relevant and needs no
// Record built. It returns the Record when relevant.
func (c *Collection) relevantFast(f *fastRecord, lits [][]byte) (Record, bool) {
	if lits != nil && !(c.iamChanges && string(f.bytesOf(fEventSource)) == iamSource) &&
		!containsAny(f.bytesOf(fUARN), lits) && !containsAny(f.bytesOf(fIssuerARN), lits) &&
		!containsAny(f.bytesOf(fQRoleARN), lits) && !containsAny(f.bytesOf(fErrorMessage), lits) {
		return Record{}, false
	}
	if c.iamChanges && string(f.bytesOf(fEventSource)) == iamSource {
		r := f.record()
		return r, c.relevant(&r)
	}
	// relevant's two other questions, asked of the few fields they read
	// before a whole Record is built.
	rel := false
	if name := f.bytesOf(fEventName); isAssume(string(name)) {
		arn := ""
		if f.isObject(lRequest) {
			arn = f.str(fQRoleARN)
		}
		if arn == "" {
			arn = roleARNFromMessage(f.str(fErrorMessage))
		}
		rel = c.expect.MatchRole(RoleNameFromARN(arn))
	}
	if !rel && f.isObject(lIdentity) {
		id := Identity{ARN: f.str(fUARN)}
		if f.isObject(lSession) && f.isObject(lIssuer) {
			id.IssuerARN = f.str(fIssuerARN)
		}
		rel = c.expect.MatchRole(sessionRole(id))
	}
	if !rel {
		return Record{}, false
	}
	r := f.record()
	return r, c.relevant(&r)
}

// sessionRole is the role a call was made under, "" when the caller is not
// an assumed role.
func sessionRole(id Identity) string {
	if n := RoleNameFromARN(id.IssuerARN); n != "" {
		return n
	}
	if strings.Contains(id.ARN, ":assumed-role/") {
		return RoleNameFromARN(id.ARN)
	}
	return ""
}

func isAssume(name string) bool {
	return name == "AssumeRole" || name == "AssumeRoleWithSAML" || name == "AssumeRoleWithWebIdentity"
}

// Add keeps r if it is relevant and in range, merging identical copies of
// an eventID (compared by their decoded fields, as Add has no bytes). It
// reports whether r was kept as a new record or version.
func (c *Collection) Add(r Record) bool { return c.add(r, nil) }

// add is Add with the record's bytes, which are copied if the record is
// kept.
func (c *Collection) add(r Record, raw []byte) bool {
	inRange := (c.since.IsZero() || !r.EventTime.Before(c.since)) && (c.until.IsZero() || !r.EventTime.After(c.until))
	rel := c.relevant(&r)
	if rel && inRange && raw != nil {
		raw = bytes.Clone(raw)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.RecordsDecoded++
	if !rel {
		return false
	}
	if !inRange {
		c.stats.RecordsOutOfRange++
		return false
	}
	r.Conflicting = false
	key := "id:" + r.EventID
	if r.EventID == "" {
		key = fmt.Sprintf("at:%s@%d", r.Origin, r.Offset)
	}
	loc := originOf(&r)
	g := c.byID[key]
	if g == nil {
		c.byID[key] = &eventGroup{variants: []*variant{{rec: &r, raw: raw, copies: []string{loc}}}}
		c.stats.RecordsKept++
		return true
	}
	for _, v := range g.variants {
		if v.same(&r, raw) {
			v.copies = append(v.copies, loc)
			c.stats.Duplicates++
			return false
		}
	}
	g.variants = append(g.variants, &variant{rec: &r, raw: raw, copies: []string{loc}})
	c.stats.Conflicts++
	c.stats.RecordsKept++
	return true
}

// same reports whether r (with bytes raw, or nil) is this variant's event.
func (v *variant) same(r *Record, raw []byte) bool {
	if v.raw != nil && raw != nil {
		if bytes.Equal(v.raw, raw) {
			return true
		}
		if v.canon == nil {
			v.canon, _ = canonicalJSON(v.raw)
		}
		if b, err := canonicalJSON(raw); err == nil && v.canon != nil {
			return bytes.Equal(v.canon, b)
		}
	}
	return sameRecord(v.rec, r)
}

// canonicalJSON re-encodes a JSON value with sorted keys, no insignificant
// white space, uniform string escapes and numbers as written.
func canonicalJSON(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	return json.Marshal(v)
}

// sameRecord compares the decoded fields of two records, ignoring where
// they were read.
func sameRecord(a, b *Record) bool {
	x, y := *a, *b
	if !x.EventTime.Equal(y.EventTime) || !x.CredExpiration.Equal(y.CredExpiration) {
		return false
	}
	x.EventTime, y.EventTime = time.Time{}, time.Time{}
	x.CredExpiration, y.CredExpiration = time.Time{}, time.Time{}
	x.Origin, x.Offset, y.Origin, y.Offset = "", 0, "", 0
	x.Conflicting, y.Conflicting = false, false
	return x == y
}

// better chooses between two copies of one cross-account event: the copy
// that names the principal and carries the response wins; ties go to the
// lower origin.
func better(a, b *Record) bool {
	score := func(r *Record) int {
		s := 0
		if r.Identity.ARN != "" {
			s += 2
		}
		if r.CredAccessKeyID != "" || r.AssumedRoleARN != "" {
			s++
		}
		return s
	}
	if sa, sb := score(a), score(b); sa != sb {
		return sa > sb
	}
	if a.Origin != b.Origin {
		return a.Origin < b.Origin
	}
	return a.Offset < b.Offset
}

// agree reports whether two accounts' copies of one cross-account event
// (same sharedEventID) describe the same call. Fields a copy may leave
// out (the principal's ARN in the resource owner's copy) are compared only
// when both carry them.
func agree(a, b *Record) bool {
	opt := func(x, y string) bool { return x == "" || y == "" || x == y }
	return a.EventTime.Equal(b.EventTime) && a.EventName == b.EventName && a.EventSource == b.EventSource &&
		a.ErrorCode == b.ErrorCode && a.RoleARN == b.RoleARN && a.RoleSessionName == b.RoleSessionName &&
		a.ExternalIDPresent == b.ExternalIDPresent && a.DurationSeconds == b.DurationSeconds &&
		opt(a.CredAccessKeyID, b.CredAccessKeyID) && opt(a.AssumedRoleARN, b.AssumedRoleARN) &&
		(a.CredExpiration.IsZero() || b.CredExpiration.IsZero() || a.CredExpiration.Equal(b.CredExpiration)) &&
		a.RoleName == b.RoleName && a.UserName == b.UserName && a.PolicyARN == b.PolicyARN &&
		a.PermissionsBoundary == b.PermissionsBoundary && a.CreatedRoleARN == b.CreatedRoleARN &&
		opt(a.Identity.AccountID, b.Identity.AccountID) && opt(a.Identity.ARN, b.Identity.ARN) &&
		opt(a.Identity.IssuerARN, b.Identity.IssuerARN)
}

// Conflict is an event recorded with two or more different contents:
// several versions of one eventID, or accounts' copies of one
// cross-account event (sharedEventID) that disagree.
type Conflict struct {
	// EventID or SharedEventID names the event.
	EventID       string `json:"event_id,omitempty"`
	SharedEventID string `json:"shared_event_id,omitempty"`
	// Versions are the distinct contents, sorted by where they were read.
	Versions []ConflictVersion `json:"versions"`
}

// ConflictVersion is one content of a conflicting event.
type ConflictVersion struct {
	EventID   string    `json:"event_id"`
	EventTime time.Time `json:"event_time"`
	EventName string    `json:"event_name"`
	// Copies are file@offset of every identical copy of this version.
	Copies []string `json:"copies"`
	// SHA256 is the hash of the version's canonical JSON ("" when the
	// record was added without its bytes).
	SHA256 string `json:"sha256,omitempty"`
}

// resolve returns the records to analyse, in time order, and the
// conflicts, sorted; merged counts the cross-account copies merged.
func (c *Collection) resolve() (recs []*Record, conflicts []Conflict, merged int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.byID))
	for k := range c.byID {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	shared := map[string][]*Record{}
	var sharedKeys []string
	for _, k := range keys {
		g := c.byID[k]
		if len(g.variants) == 1 {
			r := *g.variants[0].rec
			if r.SharedEventID != "" {
				if shared[r.SharedEventID] == nil {
					sharedKeys = append(sharedKeys, r.SharedEventID)
				}
				shared[r.SharedEventID] = append(shared[r.SharedEventID], &r)
				continue
			}
			recs = append(recs, &r)
			continue
		}
		cf := Conflict{EventID: g.variants[0].rec.EventID}
		for _, v := range g.variants {
			r := *v.rec
			r.Conflicting = true
			recs = append(recs, &r)
			cf.Versions = append(cf.Versions, versionOf(v))
		}
		conflicts = append(conflicts, sortedConflict(cf))
	}
	sort.Strings(sharedKeys)
	for _, sk := range sharedKeys {
		copies := shared[sk]
		if len(copies) == 1 {
			recs = append(recs, copies[0])
			continue
		}
		consistent := true
		for _, r := range copies[1:] {
			if !agree(copies[0], r) {
				consistent = false
			}
		}
		if consistent {
			best := copies[0]
			for _, r := range copies[1:] {
				if better(r, best) {
					best = r
				}
			}
			recs = append(recs, best)
			merged += int64(len(copies) - 1)
			continue
		}
		cf := Conflict{SharedEventID: sk}
		for _, r := range copies {
			r.Conflicting = true
			recs = append(recs, r)
			v := c.byID["id:"+r.EventID].variants[0]
			cf.Versions = append(cf.Versions, versionOf(v))
		}
		conflicts = append(conflicts, sortedConflict(cf))
	}
	sort.Slice(recs, func(i, j int) bool { return recordLess(recs[i], recs[j]) })
	sort.Slice(conflicts, func(i, j int) bool {
		return conflicts[i].EventID+"\x00"+conflicts[i].SharedEventID < conflicts[j].EventID+"\x00"+conflicts[j].SharedEventID
	})
	return recs, conflicts, merged
}

func versionOf(v *variant) ConflictVersion {
	cv := ConflictVersion{EventID: v.rec.EventID, EventTime: v.rec.EventTime, EventName: v.rec.Action(),
		Copies: append([]string(nil), v.copies...)}
	sort.Strings(cv.Copies)
	if v.raw != nil {
		if v.canon == nil {
			v.canon, _ = canonicalJSON(v.raw)
		}
		b := v.canon
		if b == nil {
			b = v.raw
		}
		sum := sha256.Sum256(b)
		cv.SHA256 = hex.EncodeToString(sum[:])
	}
	return cv
}

func sortedConflict(cf Conflict) Conflict {
	sort.Slice(cf.Versions, func(i, j int) bool { return cf.Versions[i].Copies[0] < cf.Versions[j].Copies[0] })
	return cf
}

// Records returns the records to analyse in time order: one per event,
// and every version of a conflicting event (marked Conflicting).
func (c *Collection) Records() []*Record {
	recs, _, _ := c.resolve()
	return recs
}

func recordLess(a, b *Record) bool {
	if !a.EventTime.Equal(b.EventTime) {
		return a.EventTime.Before(b.EventTime)
	}
	if a.EventID != b.EventID {
		return a.EventID < b.EventID
	}
	if a.Origin != b.Origin {
		return a.Origin < b.Origin
	}
	return a.Offset < b.Offset
}

func (c *Collection) problem(p Problem, record bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case record:
		c.stats.Undecodable++
	case p.Kind == ProblemUnrecognised:
		c.stats.FilesUnread++
		c.stats.FilesRefused++
	default:
		c.stats.FilesUnread++
	}
	if p.Kind == ProblemDamaged {
		c.stats.FilesDamaged++
	}
	if len(c.stats.Problems) < maxProblems {
		c.stats.Problems = append(c.stats.Problems, p)
	}
}

func (c *Collection) addFile(fs *fileStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Files++
	if fs.skippedWhole {
		c.stats.FilesSkippedWhole++
	}
	if fs.shape != ShapeUnknown {
		c.stats.Shapes[fs.shape.String()]++
	}
	c.stats.BytesDecoded += fs.decoded
	c.stats.RecordsSplit += fs.split
	c.stats.RecordsFiltered += fs.filtered
	c.stats.RecordsDecoded += fs.judged
	if fs.identified {
		c.cov.addFile(fs.span())
	}
	if fs.hashed || fs.hashErr != "" {
		if c.hashes == nil {
			c.hashes = map[string]fileHash{}
		}
		c.hashes[fs.name] = fileHash{sum: fs.hash, err: fs.hashErr}
	}
}

// Stats returns a copy of the counts, with problems sorted.
func (c *Collection) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Walk = c.walk
	s.Shapes = make(map[string]int, len(c.stats.Shapes))
	for k, v := range c.stats.Shapes {
		s.Shapes[k] = v
	}
	s.Problems = append([]Problem(nil), c.stats.Problems...)
	s.Queries = append([]QueryStat(nil), c.stats.Queries...)
	sort.Slice(s.Problems, func(i, j int) bool {
		if s.Problems[i].Origin != s.Problems[j].Origin {
			return s.Problems[i].Origin < s.Problems[j].Origin
		}
		return s.Problems[i].Offset < s.Problems[j].Offset
	})
	return s
}

// SetWalk records the folder walk: its counts, and for the coverage and
// digest checks its root and the digest files it found. One folder per
// collection: a second call replaces the first.
func (c *Collection) SetWalk(w WalkStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.walk = w
}

func (c *Collection) addLookup(requests, throttled, transient int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.LookupRequests += requests
	c.stats.LookupThrottled += throttled
	c.stats.LookupRetried += transient
}
