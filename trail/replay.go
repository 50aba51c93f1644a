package trail

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// Options control a replay.
type Options struct {
	Expect Expectations
	// Since and Until keep records in [Since, Until]; zero is open. A
	// bound that is set must also be covered by the inputs (see Coverage),
	// else the replay is incomplete.
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
	// Now is the clock (time.Now when nil): a window bound in the future
	// is judged against it.
	Now func() time.Time

	// VerifyDigests checks the log files of the walked folder (SetWalk,
	// ReplayDir) against CloudTrail's digest files: every log file a digest
	// lists must be present with the listed SHA-256, every log file read
	// must be listed, the digests must chain, and each digest's signature
	// must verify with DigestKeys. Failures are TRAIL-013 findings; a log
	// file no signed digest vouches for makes the replay incomplete.
	VerifyDigests bool
	// DigestKeys verify the digests' signatures (ParsePublicKeys,
	// FetchPublicKeys); a digest is checked with the key whose fingerprint
	// it names.
	DigestKeys []PublicKey
	// DigestSignatures are signatures of digest files, keyed by the
	// digest's S3 object key (digestS3Object): hex, as S3 keeps them in the
	// x-amz-meta-signature metadata. A digest's signature is otherwise read
	// from the next digest of its chain, or from a "<digest file>.sig" file
	// beside it; the newest digest of a chain has no next one.
	DigestSignatures map[string]string
}

// Kinds of problems.
const (
	ProblemUnreadable   = "unreadable"   // the file could not be opened or its compression header read
	ProblemUnrecognised = "unrecognised" // the file is not CloudTrail (what it looked like is in Error)
	ProblemDamaged      = "damaged"      // the stream broke part-way (truncated or corrupt gzip); what came before was replayed
	ProblemUndecodable  = "undecodable"  // a record could not be decoded
)

// Problem is a record or file that could not be read.
type Problem struct {
	Origin string `json:"origin"`
	Offset int64  `json:"offset"` // byte offset in the decompressed stream; -1 for the whole file
	Kind   string `json:"kind"`
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
	Walk WalkStats `json:"walk"`
	// Files is every input opened or attempted.
	Files int `json:"files"`
	// FilesUnread could not be opened, decompressed or identified as
	// CloudTrail; it includes FilesRefused.
	FilesUnread int `json:"files_unread"`
	// FilesRefused were read but are not CloudTrail (another compression,
	// gzip inside gzip, HTML, empty, JSON of another shape…).
	FilesRefused int `json:"files_refused"`
	// FilesDamaged broke part-way (truncated or corrupt gzip): what was
	// read was replayed, and the break counts as an undecodable record.
	FilesDamaged      int            `json:"files_damaged"`
	FilesSkippedWhole int            `json:"files_skipped_whole"` // identified, and no byte names a selected role
	Shapes            map[string]int `json:"shapes"`
	BytesIn           int64          `json:"bytes_in"`
	BytesDecoded      int64          `json:"bytes_decoded"`
	RecordsSplit      int64          `json:"records_split"`    // cut out of files that were split
	RecordsFiltered   int64          `json:"records_filtered"` // dropped by the byte pre-filter
	RecordsDecoded    int64          `json:"records_decoded"`
	RecordsKept       int64          `json:"records_kept"` // about a selected role, one per eventID and version
	RecordsOutOfRange int64          `json:"records_out_of_range"`
	// Duplicates are copies merged into a kept record: identical copies
	// of an eventID, and the other accounts' copies of a cross-account
	// event (SharedCopies).
	Duplicates   int64 `json:"duplicates"`
	SharedCopies int64 `json:"shared_copies"`
	// Conflicts are extra versions of eventIDs recorded with different
	// content; every version is kept and analysed (TRAIL-012).
	Conflicts   int64     `json:"conflicts"`
	Undecodable int64     `json:"undecodable"`
	Problems    []Problem `json:"problems,omitempty"`
	// Coverage is the time the inputs are known to cover.
	Coverage Coverage `json:"coverage"`
	// Digests are the digest verification's counts (Options.VerifyDigests).
	Digests *DigestStats `json:"digests,omitempty"`
	// Gaps are why the replay cannot vouch for everything it was asked to
	// read; empty when it is complete. See Result.Complete.
	Gaps            []Gap `json:"gaps"`
	LookupRequests  int   `json:"lookup_requests,omitempty"`
	LookupThrottled int   `json:"lookup_throttled,omitempty"`
	LookupRetried   int   `json:"lookup_retried,omitempty"` // failed below the API and retried
	// Queries are the CloudTrail Lake and Athena queries run, with their
	// IDs, scanned bytes and row counts.
	Queries []QueryStat   `json:"queries,omitempty"`
	Elapsed time.Duration `json:"-"` // wall time; not in reports, which must be reproducible
}

// ReadFiles decodes inputs in parallel into c. A file that cannot be read
// or is not CloudTrail is counted and reported, and the replay goes on;
// only a cancelled context stops it. With opts.VerifyDigests the walked
// folder's digests are verified once the files are read.
func ReadFiles(ctx context.Context, c *Collection, inputs []Input, opts Options) error {
	c.SetClock(opts.Now)
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
	lits = prefilterNeedles(lits)
	if opts.FullDecode {
		lits = nil
	}
	jobs := make(chan Input)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			d := &fileDecoder{literals: lits, full: opts.FullDecode, whole: wholeFileLimit, chunk: chunkSize, hash: opts.VerifyDigests}
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
	if opts.VerifyDigests {
		if err := c.verifyDigests(ctx, inputs, opts); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	return nil
}

// fileDecoder decodes one file at a time, reusing its buffer and readers
// so that memory does not grow with the number of files.
type fileDecoder struct {
	buf      []byte
	br       *bufio.Reader
	zbuf     []byte       // a compressed file read whole
	zsrc     bytes.Reader // reads zbuf
	zr       *gzip.Reader
	sha      hash.Hash
	literals [][]byte
	hits     []hit      // where the literals occur in buf
	fr       fastRecord // the fast path's scratch record
	full     bool
	hash     bool // hash the decompressed content (digest verification)
	whole    int  // wholeFileLimit; smaller in tests
	chunk    int  // chunkSize; smaller in tests
}

// fileStats is what decoding one file found.
type fileStats struct {
	name         string
	shape        Shape
	identified   bool // recognised as CloudTrail
	skippedWhole bool
	decoded      int64
	split        int64
	filtered     int64
	// judged: records decoded by the fast path and found not relevant
	// (counted as decoded).
	judged int64
	// Times the file is known to cover: its delivery time (from a
	// CloudTrail file name), its first record's, and the records seen.
	delivered, first, lo, hi time.Time
	// scanTimes: no delivery time in the name, so record times are
	// searched for in the bytes.
	scanTimes bool
	hashed    bool
	hash      string
	hashErr   string
}

func (fs *fileStats) seen(t time.Time) {
	if t.IsZero() {
		return
	}
	if fs.lo.IsZero() || t.Before(fs.lo) {
		fs.lo = t
	}
	if fs.hi.IsZero() || t.After(fs.hi) {
		fs.hi = t
	}
}

// span is the time the file is known to cover; zero when nothing is known.
func (fs *fileStats) span() span {
	s := span{lo: fs.lo, hi: fs.hi}
	for _, t := range []time.Time{fs.delivered, fs.first} {
		if t.IsZero() {
			continue
		}
		if s.lo.IsZero() || t.Before(s.lo) {
			s.lo = t
		}
		if s.hi.IsZero() || t.After(s.hi) {
			s.hi = t
		}
	}
	return s
}

const (
	// wholeFileLimit is how much of a file is read before deciding whether
	// it can be skipped whole; delivered CloudTrail files fit.
	wholeFileLimit = 32 << 20
	// chunkSize is the read size for inputs larger than wholeFileLimit,
	// which are split as a stream.
	chunkSize = 4 << 20
	// compressedWhole is the largest compressed file read whole before
	// it is inflated.
	compressedWhole = 8 << 20
	// identifyLimit is how much of a stream identification reads at most
	// (a first record longer than that cannot be judged).
	identifyLimit = wholeFileLimit
)

// errReader returns its error.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

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
	fs := &fileStats{name: in.Name, delivered: logFileTime(in.Name)}
	fs.scanTimes = fs.delivered.IsZero()
	defer func() { c.addFile(fs) }()
	fileProblem := func(kind, msg string) {
		c.problem(Problem{Origin: in.Name, Offset: -1, Kind: kind, Error: msg}, false)
	}
	rc, err := in.Open()
	if err != nil {
		fileProblem(ProblemUnreadable, err.Error())
		fs.hashErr = "unreadable: " + err.Error()
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
	gz := false
	magic, _ := br.Peek(magicLen)
	switch kind := compression(magic); kind {
	case "":
	case "gzip":
		// A compressed file that fits (every delivered one) is read whole
		// first: the inflater is fastest on bytes in memory.
		var src io.Reader
		zb, err := fill(br, d.zbuf[:0], compressedWhole)
		switch {
		case errors.Is(err, io.EOF):
			d.zsrc.Reset(zb)
			src = &d.zsrc
		case err != nil:
			src = io.MultiReader(bytes.NewReader(zb), errReader{err})
		default:
			src = io.MultiReader(bytes.NewReader(zb), br)
		}
		if cap(zb) <= compressedWhole {
			d.zbuf = zb
		}
		if d.zr == nil {
			d.zr, err = gzip.NewReader(src)
		} else {
			err = d.zr.Reset(src)
		}
		if err != nil {
			d.zr = nil
			fileProblem(ProblemUnreadable, "gzip: "+gzipError(err))
			fs.hashErr = "gzip: " + gzipError(err)
			return
		}
		r, gz = d.zr, true
	default:
		fileProblem(ProblemUnrecognised, "not CloudTrail: "+kind+"-compressed data (decompress it first)")
		fs.hashErr = kind + "-compressed"
		return
	}
	var h hash.Hash
	if d.hash {
		if d.sha == nil {
			d.sha = sha256.New()
		}
		h = d.sha
		h.Reset()
	}
	// hashed feeds newly read bytes to the hash and the time scan.
	hashed := func(b []byte) {
		if h != nil {
			h.Write(b)
		}
		if fs.scanTimes {
			scanEventTimes(b, fs)
		}
	}

	buf := d.buf[:0]
	buf, readErr := fill(r, buf, d.whole)
	hashed(buf)
	eof := readErr != nil
	// Identify the content before anything may skip it, reading more when
	// the first record is longer than what was read.
	id := identify(buf, eof)
	for id.more && !eof && len(buf) < identifyLimit {
		before := len(buf)
		buf, readErr = fill(r, buf, min(max(2*len(buf), 4<<10), identifyLimit))
		hashed(buf[before:])
		eof = readErr != nil
		id = identify(buf, eof)
	}
	if id.more {
		id = identify(buf, true)
	}
	fs.decoded = int64(len(buf))
	damaged := readErr != nil && !errors.Is(readErr, io.EOF)
	if damaged && len(buf) == 0 {
		fileProblem(ProblemUnreadable, streamError(gz, readErr))
		fs.hashErr = streamError(gz, readErr)
		return
	}
	if damaged {
		// A damaged stream: replay what was read, then report the damage.
		off := fs.decoded
		defer c.problem(Problem{Origin: in.Name, Offset: off, Kind: ProblemDamaged, Error: streamError(gz, readErr)}, true)
		fs.hashErr = streamError(gz, readErr)
	}
	finish := func() {
		if h == nil || fs.hashErr != "" {
			return
		}
		if !eof {
			n, err := io.Copy(h, r)
			fs.decoded += n
			if err != nil {
				fs.hashErr = streamError(gz, err)
				return
			}
		}
		fs.hashed, fs.hash = true, hex.EncodeToString(h.Sum(nil))
	}
	if id.refusal != "" {
		what := id.refusal
		if gz {
			if inner := compression(buf); inner != "" {
				what = inner + " inside gzip"
			} else {
				what += " (gzip-compressed)"
			}
		}
		fileProblem(ProblemUnrecognised, "not CloudTrail: "+what)
		finish()
		d.keep(buf)
		return
	}
	fs.identified, fs.shape, fs.first = true, id.shape, id.first

	if eof && d.literals != nil && !containsAny(buf, d.literals) {
		fs.skippedWhole = true
		finish()
		d.keep(buf)
		return
	}
	sp := &splitter{}
	var base int64
	// The literals are searched once per buffer; a record is passed on
	// when a whole occurrence lies inside it.
	d.findHits(buf)
	next := 0
	// A record a literal occurs in is read by the fast path while it is
	// split, rather than skipped and then read: the next hit is taken to
	// be in the record when it starts within an average record's length.
	prescanned := int64(-1)
	var splitBytes int64
	if d.literals != nil && !d.full {
		sp.scan = func(b []byte, i int, off int64) int {
			k := next
			at := int(off - base)
			for k < len(d.hits) && d.hits[k].start < at {
				k++
			}
			guess := 2048
			if fs.split > 0 {
				guess = int(splitBytes / fs.split)
			}
			if k == len(d.hits) || d.hits[k].start-at > guess {
				return -1
			}
			end, ok := scanFastAt(b, i, &d.fr)
			if !ok {
				return -1
			}
			prescanned = off
			return end
		}
	}
	emit := func(off int64, rec []byte) {
		splitBytes += int64(len(rec))
		fs.split++
		if d.literals != nil {
			var hit bool
			hit, next = d.hitIn(next, int(off-base), int(off-base)+len(rec))
			if !hit {
				fs.filtered++
				return
			}
		}
		pre := prescanned == off
		prescanned = -1
		if !d.full && (pre || scanFast(rec, &d.fr)) {
			// The fast path read the record as DecodeRecord would.
			fs.seen(d.fr.time)
			r, rel := c.relevantFast(&d.fr, d.literals)
			if !rel {
				fs.judged++
				return
			}
			r.Origin, r.Offset = in.Name, off
			c.add(r, rec)
			return
		}
		r, err := DecodeRecord(rec)
		if err != nil {
			c.problem(Problem{Origin: in.Name, Offset: off, Kind: ProblemUndecodable, Error: err.Error()}, true)
			return
		}
		fs.seen(r.EventTime)
		r.Origin, r.Offset = in.Name, off
		c.add(r, rec)
	}
	bad := func(off int64, err error) {
		c.problem(Problem{Origin: in.Name, Offset: off, Kind: ProblemUndecodable, Error: err.Error()}, true)
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
		hashed(buf[before:])
		fs.decoded += int64(len(buf) - before)
		d.findHits(buf)
		next = 0
		if readErr != nil {
			eof = true
			if !errors.Is(readErr, io.EOF) {
				off := base + int64(len(buf))
				defer c.problem(Problem{Origin: in.Name, Offset: off, Kind: ProblemDamaged, Error: streamError(gz, readErr)}, true)
				fs.hashErr = streamError(gz, readErr)
			}
		}
	}
	if ctx.Err() == nil {
		finish()
	}
	d.keep(buf)
}

// keep keeps buf for the next file unless it grew past the whole-file
// limit.
func (d *fileDecoder) keep(buf []byte) {
	if cap(buf) <= d.whole {
		d.buf = buf[:0]
	}
}

// streamError says how a stream broke.
func streamError(gz bool, err error) string {
	if !gz {
		return err.Error()
	}
	return gzipError(err)
}

func gzipError(err error) string {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated gzip (the stream ends early)"
	case errors.Is(err, gzip.ErrChecksum):
		return "gzip checksum mismatch (the file is corrupted)"
	case errors.Is(err, gzip.ErrHeader):
		return "invalid gzip header (or garbage after the gzip data)"
	case errors.As(err, &ce):
		return "corrupt gzip data: " + err.Error()
	}
	return "gzip: " + err.Error()
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

// prefilterNeedles adds to the literals the escapes that could spell one
// in a record's bytes without the literal itself appearing: "\\u" (any
// character can be written \uXXXX), or a bare backslash when a literal
// holds a character with a short escape. A record with an escaped
// spelling of the role's name is thus decoded, never filtered.
func prefilterNeedles(lits [][]byte) [][]byte {
	if lits == nil {
		return nil
	}
	esc := []byte(`\u`)
	for _, l := range lits {
		if bytes.ContainsAny(l, "\"\\/\b\f\n\r\t") {
			esc = []byte(`\`)
		}
	}
	return append(slices.Clip(lits), esc)
}

// hit is an occurrence of a literal: buf[start:end].
type hit struct{ start, end int }

// findHits finds every occurrence of the literals in buf, in order.
func (d *fileDecoder) findHits(buf []byte) {
	d.hits = d.hits[:0]
	if d.literals == nil {
		return
	}
	for _, l := range d.literals {
		for i := 0; ; {
			k := bytes.Index(buf[i:], l)
			if k < 0 {
				break
			}
			d.hits = append(d.hits, hit{i + k, i + k + len(l)})
			i += k + 1
		}
	}
	if len(d.literals) > 1 {
		slices.SortFunc(d.hits, func(a, b hit) int { return a.start - b.start })
	}
}

// hitIn reports whether an occurrence lies wholly inside buf[start:end],
// looking from hits[from]; it returns where the next record (which starts
// at or after end) should look from.
func (d *fileDecoder) hitIn(from, start, end int) (bool, int) {
	for from < len(d.hits) && d.hits[from].start < start {
		from++
	}
	for k := from; k < len(d.hits) && d.hits[k].start < end; k++ {
		if d.hits[k].end <= end {
			return true, from
		}
	}
	return false, from
}

func containsAny(b []byte, lits [][]byte) bool {
	for _, l := range lits {
		if bytes.Contains(b, l) {
			return true
		}
	}
	return false
}

// logFileTime is the delivery time in a CloudTrail log file's name
// (ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz), zero for other
// names.
func logFileTime(name string) time.Time {
	base := filepath.Base(name)
	parts := strings.Split(base, "_")
	if len(parts) < 5 || parts[1] != "CloudTrail" {
		return time.Time{}
	}
	t, err := time.Parse("20060102T1504Z", parts[3])
	if err != nil {
		return time.Time{}
	}
	return t
}

// scanEventTimes widens fs's span by every "eventTime" value in b: the
// span of files whose name gives no delivery time. Records cut by a read
// boundary are missed, which only narrows the span.
func scanEventTimes(b []byte, fs *fileStats) {
	const key = `"eventTime"`
	for {
		i := bytes.Index(b, []byte(key))
		if i < 0 {
			return
		}
		b = b[i+len(key):]
		j := skipSpace(b, 0)
		if j < len(b) && b[j] == ':' {
			j = skipSpace(b, j+1)
			if s := stringAt(b, j); s != "" {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					fs.seen(t.UTC())
				}
			}
		}
	}
}
