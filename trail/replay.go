package trail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options control a replay.
type Options struct {
	Expect Expectations
	// Since and Until keep records in [Since, Until]; zero is open.
	Since, Until time.Time
	// Workers decode files in parallel; 0 means one per CPU.
	Workers int
	// FullDecode disables the byte pre-filter: every record is decoded
	// (and every malformed one counted), relevant or not. Slower; used to
	// validate archives.
	FullDecode bool
	// Progress, when set, is called with the input bytes read so far and
	// the total (0 when unknown). It is called from several goroutines.
	Progress func(done, total int64)
}

// Problem is a record or file that could not be read.
type Problem struct {
	Origin string `json:"origin"`
	Offset int64  `json:"offset"` // byte offset in the decompressed stream; -1 for the whole file
	Error  string `json:"error"`
}

func (p Problem) String() string {
	if p.Offset < 0 {
		return p.Origin + ": " + p.Error
	}
	return fmt.Sprintf("%s@%d: %s", p.Origin, p.Offset, p.Error)
}

// maxProblems bounds the problems kept in detail; all are counted.
const maxProblems = 1000

// Stats counts what a replay read, skipped and kept. Nothing leaves a
// replay without being counted in one of these.
type Stats struct {
	Walk              WalkStats      `json:"walk"`
	Files             int            `json:"files"`
	FilesUnread       int            `json:"files_unread"`        // could not be opened or decompressed at all
	FilesSkippedWhole int            `json:"files_skipped_whole"` // no byte of the file names a selected role
	Shapes            map[string]int `json:"shapes"`
	BytesIn           int64          `json:"bytes_in"`
	BytesDecoded      int64          `json:"bytes_decoded"`
	RecordsSplit      int64          `json:"records_split"`    // cut out of files that were split
	RecordsFiltered   int64          `json:"records_filtered"` // dropped by the byte pre-filter
	RecordsDecoded    int64          `json:"records_decoded"`
	RecordsKept       int64          `json:"records_kept"` // about a selected role
	RecordsOutOfRange int64          `json:"records_out_of_range"`
	Duplicates        int64          `json:"duplicates"` // same eventID / sharedEventID seen again
	Undecodable       int64          `json:"undecodable"`
	Problems          []Problem      `json:"problems,omitempty"`
	LookupRequests    int            `json:"lookup_requests,omitempty"`
	LookupThrottled   int            `json:"lookup_throttled,omitempty"`
	LookupRetried     int            `json:"lookup_retried,omitempty"` // failed below the API and retried
	Elapsed           time.Duration  `json:"-"`                        // wall time; not in reports, which must be reproducible
}

// Collection holds the records a replay kept, deduplicated, and its
// counts. It is safe for concurrent use while collecting.
type Collection struct {
	mu     sync.Mutex
	expect Expectations
	since  time.Time
	until  time.Time
	byKey  map[string]*Record
	stats  Stats
	// iamChanges keeps every IAM write event, whoever made it (drift
	// attribution); set before reading, read-only after.
	iamChanges bool
}

// NewCollection starts an empty collection for the selected roles.
func NewCollection(expect Expectations, since, until time.Time) *Collection {
	return &Collection{expect: expect, since: since, until: until, byKey: map[string]*Record{},
		stats: Stats{Shapes: map[string]int{}}}
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

// Add keeps r if it is relevant and in range, dropping duplicates. It
// reports whether r was kept.
func (c *Collection) Add(r Record) bool {
	inRange := (c.since.IsZero() || !r.EventTime.Before(c.since)) && (c.until.IsZero() || !r.EventTime.After(c.until))
	rel := c.relevant(&r)
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
	key := r.SharedEventID
	if key == "" {
		key = r.EventID
	}
	if key == "" {
		key = fmt.Sprintf("%s@%d", r.Origin, r.Offset)
	}
	if old, ok := c.byKey[key]; ok {
		c.stats.Duplicates++
		if better(&r, old) {
			c.byKey[key] = &r
		}
		return false
	}
	c.byKey[key] = &r
	c.stats.RecordsKept++
	return true
}

// better chooses between two copies of one event: the copy that names the
// principal and carries the response wins; ties go to the lower origin.
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

func (c *Collection) problem(p Problem, record bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if record {
		c.stats.Undecodable++
	} else {
		c.stats.FilesUnread++
	}
	if len(c.stats.Problems) < maxProblems {
		c.stats.Problems = append(c.stats.Problems, p)
	}
}

func (c *Collection) addFile(fs fileStats) {
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
}

// Records returns the kept records in time order.
func (c *Collection) Records() []*Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*Record, 0, len(c.byKey))
	for _, r := range c.byKey {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return recordLess(out[i], out[j]) })
	return out
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

// Stats returns a copy of the counts, with problems sorted.
func (c *Collection) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Shapes = make(map[string]int, len(c.stats.Shapes))
	for k, v := range c.stats.Shapes {
		s.Shapes[k] = v
	}
	s.Problems = append([]Problem(nil), c.stats.Problems...)
	sort.Slice(s.Problems, func(i, j int) bool {
		if s.Problems[i].Origin != s.Problems[j].Origin {
			return s.Problems[i].Origin < s.Problems[j].Origin
		}
		return s.Problems[i].Offset < s.Problems[j].Offset
	})
	return s
}

// SetWalk records the folder walk's counts.
func (c *Collection) SetWalk(w WalkStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Walk = w
}

func (c *Collection) addLookup(requests, throttled, transient int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.LookupRequests += requests
	c.stats.LookupThrottled += throttled
	c.stats.LookupRetried += transient
}

// ReadFiles decodes inputs in parallel into c. A file that cannot be read
// is counted and reported, and the replay goes on; only a cancelled context
// stops it.
func ReadFiles(ctx context.Context, c *Collection, inputs []Input, opts Options) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(inputs), 1))
	var total int64
	for _, in := range inputs {
		total += in.Size
	}
	var done atomic.Int64
	progress := func(n int64) {
		d := done.Add(n)
		if opts.Progress != nil {
			opts.Progress(d, total)
		}
	}
	lits := opts.Expect.literals()
	if lits != nil && c.iamChanges {
		lits = append(lits, []byte(iamSource))
	}
	if opts.FullDecode {
		lits = nil
	}
	jobs := make(chan Input)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			d := &fileDecoder{literals: lits, full: opts.FullDecode, whole: wholeFileLimit, chunk: chunkSize}
			for in := range jobs {
				d.decode(ctx, c, in, progress)
			}
		})
	}
	var err error
loop:
	for _, in := range inputs {
		select {
		case jobs <- in:
		case <-ctx.Done():
			err = ctx.Err()
			break loop
		}
	}
	close(jobs)
	wg.Wait()
	c.mu.Lock()
	c.stats.BytesIn += done.Load()
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}

// fileDecoder decodes one file at a time, reusing its buffer and readers
// so that memory does not grow with the number of files.
type fileDecoder struct {
	buf      []byte
	br       *bufio.Reader
	zr       *gzip.Reader
	literals [][]byte
	full     bool
	whole    int // wholeFileLimit; smaller in tests
	chunk    int // chunkSize; smaller in tests
}

type fileStats struct {
	shape        Shape
	skippedWhole bool
	decoded      int64
	split        int64
	filtered     int64
}

const (
	// wholeFileLimit is how much of a file is read before deciding whether
	// it can be skipped whole; delivered CloudTrail files fit.
	wholeFileLimit = 32 << 20
	// chunkSize is the read size for inputs larger than wholeFileLimit,
	// which are split as a stream.
	chunkSize = 4 << 20
)

// countingReader reports bytes read from the raw input.
type countingReader struct {
	r io.Reader
	f func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 && c.f != nil {
		c.f(int64(n))
	}
	return n, err
}

func (d *fileDecoder) decode(ctx context.Context, c *Collection, in Input, progress func(int64)) {
	if ctx.Err() != nil {
		return
	}
	rc, err := in.Open()
	if err != nil {
		c.problem(Problem{Origin: in.Name, Offset: -1, Error: err.Error()}, false)
		return
	}
	defer rc.Close()
	cr := &countingReader{r: rc, f: progress}
	if d.br == nil {
		d.br = bufio.NewReaderSize(cr, 64<<10)
	} else {
		d.br.Reset(cr)
	}
	br := d.br
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		var err error
		if d.zr == nil {
			d.zr, err = gzip.NewReader(br)
		} else {
			err = d.zr.Reset(br)
		}
		if err != nil {
			d.zr = nil
			c.problem(Problem{Origin: in.Name, Offset: -1, Error: fmt.Sprintf("gzip: %v", err)}, false)
			return
		}
		r = d.zr
	}
	var fs fileStats
	defer func() { c.addFile(fs) }()

	buf := d.buf[:0]
	buf, readErr := fill(r, buf, d.whole)
	eof := readErr != nil
	fs.decoded = int64(len(buf))
	if readErr != nil && !errors.Is(readErr, io.EOF) {
		// A damaged stream: replay what was read, then report the damage.
		defer c.problem(Problem{Origin: in.Name, Offset: fs.decoded, Error: readErr.Error()}, true)
	}
	if eof && d.literals != nil && !containsAny(buf, d.literals) {
		fs.skippedWhole = true
		fs.shape = detectOnly(buf)
		return
	}
	sp := &splitter{}
	var base int64
	emit := func(off int64, rec []byte) {
		fs.split++
		if d.literals != nil && !containsAny(rec, d.literals) {
			fs.filtered++
			return
		}
		r, err := DecodeRecord(rec)
		if err != nil {
			c.problem(Problem{Origin: in.Name, Offset: off, Error: err.Error()}, true)
			return
		}
		r.Origin, r.Offset = in.Name, off
		c.Add(r)
	}
	bad := func(off int64, err error) {
		c.problem(Problem{Origin: in.Name, Offset: off, Error: err.Error()}, true)
	}
	for {
		n := sp.run(buf, base, eof, emit, bad)
		if eof || sp.done || ctx.Err() != nil {
			break
		}
		rest := copy(buf, buf[n:])
		buf = buf[:rest]
		base += int64(n)
		limit := max(d.chunk, 2*rest) // grow for a record longer than a chunk
		before := len(buf)
		buf, readErr = fill(r, buf, limit)
		fs.decoded += int64(len(buf) - before)
		if readErr != nil {
			eof = true
			if !errors.Is(readErr, io.EOF) {
				defer c.problem(Problem{Origin: in.Name, Offset: base + int64(len(buf)), Error: readErr.Error()}, true)
			}
		}
	}
	fs.shape = sp.shape
	if cap(buf) <= d.whole {
		d.buf = buf[:0]
	}
}

// fill reads from r into buf until it holds limit bytes or r ends; the
// error is io.EOF at the end. The buffer grows as needed, never past limit
// (unless it already was larger).
func fill(r io.Reader, buf []byte, limit int) ([]byte, error) {
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(limit, max(2*cap(buf), 1<<20)))
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), limit)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

func containsAny(b []byte, lits [][]byte) bool {
	for _, l := range lits {
		if bytes.Contains(b, l) {
			return true
		}
	}
	return false
}

// detectOnly names the shape of a buffer without splitting it.
func detectOnly(b []byte) Shape {
	i := skipSpace(b, 0)
	if bytes.HasPrefix(b[i:], []byte("\xef\xbb\xbf")) {
		i = skipSpace(b, i+3)
	}
	if i >= len(b) {
		return ShapeUnknown
	}
	s, _, ok := detect(b, i, true)
	if !ok {
		return ShapeUnknown
	}
	return s
}
