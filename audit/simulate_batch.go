package audit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/pvaudit/pvaudit/internal/fsutil"
)

// BatchOptions tune SimulateBatchWith; zero values take the defaults.
type BatchOptions struct {
	// Workers decide lines in parallel (default GOMAXPROCS); answers keep
	// the order of the lines whatever the number.
	Workers int
	// CacheEntries bounds the policy fields and the compiled policy sets
	// kept (each; default 1024). CacheBytes bounds the policy text they
	// hold (each; default 1 MiB; the parsed and compiled forms take a few
	// times more). A negative value turns the cache off.
	CacheEntries int
	CacheBytes   int64
	// ChunkBytes is about how much input a worker takes at once (default
	// 128 KiB); tests make it small to mix lines across workers.
	ChunkBytes int
}

func (o BatchOptions) withDefaults() BatchOptions {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.CacheEntries == 0 {
		o.CacheEntries = 1024
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = 1 << 20
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = 128 << 10
	}
	return o
}

// SimulateBatch answers a JSON Lines stream (name is its file, for errors)
// with the default options; see SimulateBatchWith.
func SimulateBatch(ctx context.Context, name string, in io.Reader, out io.Writer) error {
	_, err := SimulateBatchWith(ctx, name, in, out, BatchOptions{})
	return err
}

// SimulateBatchWith answers a JSON Lines stream line by line, in order: a
// decision per request, or {"error": …} naming the line for a line it
// cannot use (and it goes on). A line over fsutil.MaxBatchLine bytes (its
// newline included) or a read error stops the batch with an error after
// the answers to the lines before it; so does ctx ending. Policy fields and
// compiled policy sets that repeat between lines are taken from a bounded
// cache; the answers are the same as without it.
func SimulateBatchWith(ctx context.Context, name string, in io.Reader, out io.Writer, opt BatchOptions) (BatchStats, error) {
	opt = opt.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cache := newBatchCache(opt.CacheEntries, opt.CacheBytes)
	inFlight := 4 * opt.Workers
	free := make(chan *batchChunk, inFlight)
	for range inFlight {
		free <- &batchChunk{}
	}
	work := make(chan *batchChunk, inFlight)
	order := make(chan *batchChunk, inFlight)

	workers := make([]*batchWorker, opt.Workers)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = newBatchWorker(cache)
		wg.Add(1)
		go func(w *batchWorker) {
			defer wg.Done()
			for c := range work {
				c.answer(w)
				close(c.done)
			}
		}(workers[i])
	}
	rd := &batchReader{in: in, name: name, chunk: opt.ChunkBytes, limit: fsutil.MaxBatchLine, next: 1}
	go func() {
		defer close(order)
		defer close(work)
		for {
			var c *batchChunk
			select {
			case c = <-free:
			case <-ctx.Done():
				return
			}
			more := rd.fill(ctx, c)
			c.done = make(chan struct{})
			order <- c
			work <- c
			if !more {
				return
			}
		}
	}()

	bw := bufio.NewWriterSize(out, 64<<10)
	var stats BatchStats
	var failed error
	for c := range order {
		<-c.done
		if failed == nil {
			stats.Answers += int64(c.answers)
			stats.Errors += int64(c.errors)
			if _, err := bw.Write(c.out); err != nil {
				failed = err
			} else if c.fatal != nil {
				failed = c.fatal
			}
			if failed != nil {
				cancel()
			}
		}
		c.recycle(opt.ChunkBytes)
		free <- c
	}
	wg.Wait()
	if err := bw.Flush(); err != nil && failed == nil {
		failed = err
	}
	for _, w := range workers {
		stats.Lines += w.lines
		stats.FastLines += w.fast
	}
	cache.mu.Lock()
	s := cache.stats
	cache.mu.Unlock()
	stats.FieldHits, stats.FieldMisses, stats.SetHits, stats.SetMisses = s.FieldHits, s.FieldMisses, s.SetHits, s.SetMisses
	if failed == nil && !rd.done {
		failed = ctx.Err() // the reader stopped because ctx ended
	}
	return stats, failed
}

// batchChunk is a run of whole lines and their answers.
type batchChunk struct {
	buf   []byte // the lines, each with its newline but perhaps the last
	first int    // number of the first line
	out   []byte
	fatal error // the batch stops after these lines' answers
	done  chan struct{}

	answers, errors int
}

func (c *batchChunk) answer(w *batchWorker) {
	c.out = c.out[:0]
	c.answers, c.errors = 0, 0
	n := c.first
	for rest := c.buf; len(rest) > 0; n++ {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(bytes.TrimSpace(line)) == 0 { // blank, as bytes.TrimSpace sees it
			continue
		}
		var bad bool
		c.out, bad = w.answer(c.out, line, n)
		c.answers++
		if bad {
			c.errors++
		}
	}
}

// recycle drops buffers a huge line grew, so that memory goes back to the
// chunk size.
func (c *batchChunk) recycle(chunk int) {
	if cap(c.buf) > 4*chunk {
		c.buf = nil
	}
	if cap(c.out) > 4*chunk {
		c.out = nil
	}
	c.buf = c.buf[:0]
	c.fatal = nil
}

// batchReader cuts the input into chunks of whole lines, reading straight
// into the chunks' buffers; the part of a line a read leaves is carried to
// the next chunk.
type batchReader struct {
	in    io.Reader
	name  string
	chunk int
	limit int
	carry []byte
	next  int  // number of the next line
	done  bool // the input ended cleanly
	eof   bool
}

// fill puts the next lines into c; false when the batch ends with c.
func (r *batchReader) fill(ctx context.Context, c *batchChunk) bool {
	c.buf = append(c.buf[:0], r.carry...)
	r.carry = r.carry[:0]
	c.first = r.next
	if err := ctx.Err(); err != nil {
		c.buf = c.buf[:0]
		c.fatal = err
		return false
	}
	// scanned: bytes of c.buf already searched for newlines; lineStart:
	// where the current line starts.
	scanned, lineStart, lines := 0, 0, 0
	var readErr error
	for {
		// Check the lines read so far.
		for {
			i := bytes.IndexByte(c.buf[scanned:], '\n')
			if i < 0 {
				scanned = len(c.buf)
				break
			}
			end := scanned + i + 1
			if end-lineStart > r.limit {
				return r.tooLong(c, lineStart, lines)
			}
			lines++
			lineStart, scanned = end, end
		}
		if len(c.buf)-lineStart > r.limit {
			return r.tooLong(c, lineStart, lines)
		}
		if r.eof || readErr != nil || (lineStart >= r.chunk && lineStart > 0) {
			break
		}
		if cap(c.buf)-len(c.buf) < 4096 {
			c.buf = slices.Grow(c.buf, min(max(r.chunk, len(c.buf)), r.limit+4096))
		}
		n, err := r.in.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+n]
		if errors.Is(err, io.EOF) {
			r.eof = true
		} else if err != nil {
			readErr = err
		}
	}
	switch {
	case readErr != nil:
		// The line the error cut is not answered: it may be incomplete.
		c.buf = c.buf[:lineStart]
		r.next += lines
		c.fatal = fmt.Errorf("%s: read line %d: %w", r.name, r.next, readErr)
		return false
	case r.eof:
		r.next += lines
		r.done = true
		return false
	}
	r.carry = append(r.carry, c.buf[lineStart:]...)
	c.buf = c.buf[:lineStart]
	r.next += lines
	return true
}

func (r *batchReader) tooLong(c *batchChunk, lineStart, lines int) bool {
	c.buf = c.buf[:lineStart]
	n := r.next + lines
	c.fatal = fmt.Errorf("%s: line %d is over the %s limit; the batch cannot go on past it", r.name, n, fsutil.HumanSize(int64(r.limit)))
	return false
}
