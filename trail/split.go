package trail

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Shape is the container form of a CloudTrail file.
type Shape int

// Shapes a file can have; detected from its first bytes.
const (
	ShapeUnknown Shape = iota
	ShapeRecords       // a delivered file: {"Records":[…]}
	ShapeArray         // a JSON array of records
	ShapeLines         // one record per line (NDJSON)
	ShapeObjects       // records one after another, possibly pretty-printed
)

func (s Shape) String() string {
	switch s {
	case ShapeRecords:
		return "records"
	case ShapeArray:
		return "array"
	case ShapeLines:
		return "ndjson"
	case ShapeObjects:
		return "objects"
	}
	return "unknown"
}

var (
	errTrailing  = errors.New("unexpected data after the Records array (not a delivered CloudTrail file)")
	errTruncated = errors.New("record is truncated")
	errNotObject = errors.New("record is not a JSON object")
	errNotJSON   = errors.New("input is not JSON (want {\"Records\":[…]}, an array or one record per line)")
)

// splitter cuts records out of a byte stream without decoding them. It is
// incremental: run consumes whole records from the front of a buffer and
// says how many bytes it used, so the caller can refill the rest.
type splitter struct {
	shape  Shape
	done   bool // at a fatal error
	resync bool // ShapeObjects: skipping to the next line that starts a record
	// closing: past the ']' of {"Records":[…]}, expecting its '}'.
	closing bool
	// ended: a document ended; run goes on with what follows.
	ended bool
	// scan, when set, may read the record starting at b[i] (stream
	// offset off) in its own way and return the index after it, or -1 to
	// leave it to skipComposite. Only records in arrays are offered.
	scan func(b []byte, i int, off int64) int
}

// emitFunc receives a record and its offset in the stream.
type emitFunc func(off int64, rec []byte)

// badFunc receives an undecodable stretch and its offset.
type badFunc func(off int64, err error)

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// run splits b (the stream from offset base) and returns how many bytes it
// consumed. With atEOF false it stops before a record that may continue in
// the next read.
func (s *splitter) run(b []byte, base int64, atEOF bool, emit emitFunc, bad badFunc) int {
	n := 0
	for {
		n += s.step(b[n:], base+int64(n), atEOF, emit, bad)
		if !s.ended {
			return n
		}
		s.ended = false
	}
}

// step is run up to the end of one document ({"Records":[…]} or an
// array), setting ended there.
func (s *splitter) step(b []byte, base int64, atEOF bool, emit emitFunc, bad badFunc) int {
	i := 0
	if s.closing {
		i = skipSpace(b, 0)
		if i == len(b) {
			if atEOF {
				bad(base+int64(i), errors.New("the {\"Records\":[…]} object is not closed"))
				s.done = true
				return len(b)
			}
			return i
		}
		if b[i] != '}' {
			bad(base+int64(i), errTrailing)
			s.done = true
			return len(b)
		}
		s.closing = false
		i++
	}
	if s.shape == ShapeUnknown {
		i = skipSpace(b, i)
		bom := []byte("\xef\xbb\xbf")
		if len(b)-i < len(bom) && bytes.HasPrefix(bom, b[i:]) && !atEOF {
			return i // maybe a BOM: need more bytes
		}
		if bytes.HasPrefix(b[i:], bom) {
			i = skipSpace(b, i+len(bom))
		}
		if i == len(b) {
			if atEOF {
				s.done = true
				return len(b)
			}
			return i
		}
		shape, start, ok := detect(b, i, atEOF)
		if !ok {
			return i // need more bytes to decide
		}
		if shape == ShapeUnknown {
			bad(base+int64(i), errNotJSON)
			s.done = true
			return len(b)
		}
		s.shape = shape
		i = start
	}
	if s.done {
		return len(b)
	}
	switch s.shape {
	case ShapeRecords, ShapeArray:
		return s.runArray(b, i, base, atEOF, emit, bad)
	case ShapeLines:
		return s.runLines(b, i, base, atEOF, emit, bad)
	default:
		return s.runObjects(b, i, base, atEOF, emit, bad)
	}
}

// detect decides the shape from the first value at b[i]; start is where
// records begin. ok is false when more bytes are needed.
func detect(b []byte, i int, atEOF bool) (shape Shape, start int, ok bool) {
	switch b[i] {
	case '[':
		return ShapeArray, i + 1, true
	case '{':
	default:
		return ShapeUnknown, i, true
	}
	// {"Records": [ … ] } — look at the first key.
	j := skipSpace(b, i+1)
	const key = `"Records"`
	if len(b)-j < len(key)+4 && !atEOF {
		return 0, 0, false
	}
	if bytes.HasPrefix(b[j:], []byte(key)) {
		k := skipSpace(b, j+len(key))
		if k < len(b) && b[k] == ':' {
			k = skipSpace(b, k+1)
			if k < len(b) && b[k] == '[' {
				return ShapeRecords, k + 1, true
			}
		}
	}
	// A sequence of records: one per line when the first one ends before
	// the first newline.
	end, err := skipComposite(b, i)
	if err != nil {
		if !atEOF {
			return 0, 0, false
		}
		return ShapeLines, i, true
	}
	if bytes.IndexByte(b[i:end], '\n') < 0 {
		return ShapeLines, i, true
	}
	return ShapeObjects, i, true
}

// skipComposite returns the index just past the object or array starting at
// b[i], or errTruncated when b ends first.
func skipComposite(b []byte, i int) (int, error) {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			j, err := skipString(b, i)
			if err != nil {
				return 0, err
			}
			i = j
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		}
		i++
	}
	return 0, errTruncated
}

// skipString returns the index just past the string starting at b[i]. It
// looks for the closing quote eight bytes at a time.
func skipString(b []byte, i int) (int, error) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	j := i + 1
	for {
		for j+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[j:])
			q, bs := x^('"'*lo), x^('\\'*lo)
			if ((q-lo)&^q|(bs-lo)&^bs)&hi != 0 {
				break
			}
			j += 8
		}
		for j < len(b) && b[j] != '"' && b[j] != '\\' {
			j++
		}
		if j >= len(b) {
			return 0, errTruncated
		}
		if b[j] == '"' {
			return j + 1, nil
		}
		j += 2 // an escape: the next byte cannot close the string
	}
}

func (s *splitter) runArray(b []byte, i int, base int64, atEOF bool, emit emitFunc, bad badFunc) int {
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			if atEOF {
				bad(base+int64(i), errors.New("array of records is not closed"))
				s.done = true
			}
			return i
		}
		switch c := b[i]; c {
		case ']':
			// The document ends; another may follow (files concatenated,
			// gzip members): its shape is detected again, and nothing
			// after the records is dropped unread.
			s.closing = s.shape == ShapeRecords
			s.shape, s.ended = ShapeUnknown, true
			return i + 1
		case ',':
			i++
		case '{':
			if s.scan != nil {
				if end := s.scan(b, i, base+int64(i)); end > 0 {
					emit(base+int64(i), b[i:end])
					i = end
					continue
				}
			}
			end, err := skipComposite(b, i)
			if err != nil {
				if !atEOF {
					return i
				}
				bad(base+int64(i), err)
				s.done = true
				return len(b)
			}
			emit(base+int64(i), b[i:end])
			i = end
		default:
			// Not an object: skip the scalar or composite and report it.
			start := i
			var end int
			var err error
			if c == '[' || c == '"' {
				if c == '[' {
					end, err = skipComposite(b, i)
				} else {
					end, err = skipString(b, i)
				}
			} else {
				end = i
				for end < len(b) && b[end] != ',' && b[end] != ']' && !isSpace(b[end]) {
					end++
				}
				if end == len(b) && !atEOF {
					return start
				}
			}
			if err != nil {
				if !atEOF {
					return start
				}
				bad(base+int64(start), err)
				s.done = true
				return len(b)
			}
			bad(base+int64(start), errNotObject)
			i = end
		}
	}
}

func (s *splitter) runLines(b []byte, i int, base int64, atEOF bool, emit emitFunc, bad badFunc) int {
	for i < len(b) {
		nl := bytes.IndexByte(b[i:], '\n')
		var line []byte
		next := 0
		if nl < 0 {
			if !atEOF {
				return i
			}
			line, next = b[i:], len(b)
		} else {
			line, next = b[i:i+nl], i+nl+1
		}
		start := i
		// Trim spaces without allocating.
		for len(line) > 0 && isSpace(line[0]) {
			line = line[1:]
			start++
		}
		for len(line) > 0 && isSpace(line[len(line)-1]) {
			line = line[:len(line)-1]
		}
		if len(line) > 0 {
			if line[0] == '{' && line[len(line)-1] == '}' {
				emit(base+int64(start), line)
			} else if line[0] == '{' {
				bad(base+int64(start), errTruncated)
			} else {
				bad(base+int64(start), errNotObject)
			}
		}
		i = next
	}
	return i
}

func (s *splitter) runObjects(b []byte, i int, base int64, atEOF bool, emit emitFunc, bad badFunc) int {
	for {
		if s.resync {
			k := bytes.Index(b[i:], []byte("\n{"))
			if k < 0 {
				if atEOF {
					s.done = true
					return len(b)
				}
				return max(i, len(b)-1) // keep a trailing '\n' for the next read
			}
			i += k + 1
			s.resync = false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i
		}
		if b[i] == '{' {
			end, err := skipComposite(b, i)
			if err == nil {
				emit(base+int64(i), b[i:end])
				i = end
				continue
			}
			if !atEOF {
				return i
			}
			bad(base+int64(i), err)
		} else {
			bad(base+int64(i), errNotObject)
		}
		// Resynchronise on the next line that starts a record.
		s.resync = true
		i++
	}
}
