package trail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/pvaudit/pvaudit/trail/trailsql"
)

// QueryEngine runs one SQL query over a trail kept elsewhere — CloudTrail
// Lake or Athena — and pages through its result.
type QueryEngine interface {
	// Name is the engine ("lake", "athena") and Target what it queries
	// (the event data store, DATABASE.TABLE).
	Name() string
	Target() string
	// Start submits the query and returns its ID.
	Start(ctx context.Context, sql string) (string, error)
	// Status reports the query's state.
	Status(ctx context.Context, id string) (QueryStatus, error)
	// Page returns one page of result rows (never a header row) and the
	// token of the next page ("" after the last).
	Page(ctx context.Context, id, token string) (QueryPage, error)
}

// QueryStatus is a query's state as its engine reports it.
type QueryStatus struct {
	// State is the engine's own word (FINISHED, SUCCEEDED, FAILED,
	// CANCELLED, TIMED_OUT, QUEUED, RUNNING).
	State string
	// Done: the state is final; OK: it finished with a complete result.
	Done, OK bool
	// Reason is the engine's message for a query that did not succeed.
	Reason       string
	BytesScanned int64
}

// QueryPage is one page of a result.
type QueryPage struct {
	Rows []trailsql.Row
	Next string
	// Total is the result's row count when the engine states it (Lake's
	// TotalResultsCount), -1 when it does not.
	Total int64
	// BytesScanned, when the engine reports it with the page (> 0).
	BytesScanned int64
}

// QueryStat is what one query did: the report and the coverage statement
// name it by its ID.
type QueryStat struct {
	Engine       string    `json:"engine"`
	Target       string    `json:"target"`
	ID           string    `json:"query_id,omitempty"`
	State        string    `json:"state"`
	Reason       string    `json:"reason,omitempty"`
	Complete     bool      `json:"complete"`
	BytesScanned int64     `json:"bytes_scanned"`
	Rows         int64     `json:"rows"`
	TotalRows    int64     `json:"total_rows"`
	Pages        int       `json:"pages"`
	SQLSHA256    string    `json:"sql_sha256"`
	Since        time.Time `json:"since,omitzero"`
	Until        time.Time `json:"until,omitzero"`
}

// String names the query for a gap or a log line.
func (q QueryStat) String() string {
	id := q.ID
	if id == "" {
		id = "(not started)"
	}
	return fmt.Sprintf("%s %s query %s", q.Engine, q.Target, id)
}

// QueryOptions control a query replay.
type QueryOptions struct {
	// Since and Until are the window the SQL selects (zero: open).
	Since, Until time.Time
	// Poll is the first wait between status checks (0: 500 ms); it doubles
	// up to 5 s.
	Poll time.Duration
	// Timeout bounds the wait for the query to finish (0: 30 minutes).
	Timeout time.Duration
	// MaxRows stops reading a result larger than this (0: 2,000,000): the
	// rest is a coverage gap, never silently dropped.
	MaxRows int64
	// Now is the clock for the covered window's end when Until is open.
	Now func() time.Time
}

// Query runs sql on eng and adds every returned row to c, through the same
// decoder as log files. A query that fails, is cancelled, times out or
// returns fewer rows than it counted is recorded as a coverage gap
// (TRAIL-011), never as an empty trail; only a cancelled ctx is an error.
func Query(ctx context.Context, eng QueryEngine, c *Collection, sql string, opts QueryOptions) (QueryStat, error) {
	sum := sha256.Sum256([]byte(sql))
	st := QueryStat{Engine: eng.Name(), Target: eng.Target(), SQLSHA256: hex.EncodeToString(sum[:]), Since: opts.Since, Until: opts.Until, TotalRows: -1}
	err := runQuery(ctx, eng, c, sql, opts, &st)
	if st.TotalRows < 0 {
		st.TotalRows = st.Rows
	}
	c.addQuery(st)
	if err != nil {
		return st, err
	}
	if st.Complete {
		c.addCoverage(queryCovers(st, opts))
	}
	return st, nil
}

func runQuery(ctx context.Context, eng QueryEngine, c *Collection, sql string, opts QueryOptions, st *QueryStat) error {
	id, err := eng.Start(ctx, sql)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		st.State, st.Reason = "NOT_STARTED", err.Error()
		return nil
	}
	st.ID = id
	status, err := wait(ctx, eng, id, opts)
	st.BytesScanned = status.BytesScanned
	st.State, st.Reason = status.State, status.Reason
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		st.Reason = err.Error()
		return nil
	}
	if !status.OK {
		return nil
	}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = 2_000_000
	}
	origin := eng.Name() + ":" + id
	token := ""
	for {
		p, err := eng.Page(ctx, id, token)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			st.Reason = fmt.Sprintf("result page %d could not be read: %v", st.Pages+1, err)
			return nil
		}
		st.Pages++
		if p.BytesScanned > st.BytesScanned {
			st.BytesScanned = p.BytesScanned
		}
		if p.Total >= 0 {
			st.TotalRows = p.Total
		}
		for _, row := range p.Rows {
			if n, err := row.Total(); err == nil {
				if st.TotalRows >= 0 && st.TotalRows != n && p.Total < 0 {
					st.Reason = fmt.Sprintf("rows disagree on the row count (%d, %d)", st.TotalRows, n)
					return nil
				}
				st.TotalRows = n
			}
			if st.Rows >= maxRows {
				st.Reason = fmt.Sprintf("the result has more than %d rows; the rest was not read", maxRows)
				return nil
			}
			st.Rows++
			raw, err := trailsql.Record(row)
			var rec Record
			if err == nil {
				rec, err = DecodeRecord(raw)
			}
			if err != nil {
				c.problem(Problem{Origin: origin, Offset: st.Rows, Kind: ProblemUndecodable, Error: err.Error()}, true)
				continue
			}
			rec.Origin, rec.Offset = origin, st.Rows
			c.add(rec, raw)
		}
		if p.Next == "" {
			break
		}
		token = p.Next
	}
	if st.TotalRows >= 0 && st.Rows != st.TotalRows {
		st.Reason = fmt.Sprintf("the result returned %d of the %d rows it counted", st.Rows, st.TotalRows)
		return nil
	}
	st.Complete = true
	return nil
}

// wait polls the query until it is done.
func wait(ctx context.Context, eng QueryEngine, id string, opts QueryOptions) (QueryStatus, error) {
	poll := opts.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	deadline := time.Now().Add(timeout)
	for {
		s, err := eng.Status(ctx, id)
		if err != nil {
			return s, fmt.Errorf("query status: %w", err)
		}
		if s.Done {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("still %s after %s; pvaudit stopped waiting", s.State, timeout)
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return s, ctx.Err()
		case <-t.C:
		}
		poll = min(poll*2, 5*time.Second)
	}
}

// queryCovers is the window a complete query vouches for.
func queryCovers(st QueryStat, opts QueryOptions) span {
	s := span{lo: st.Since, hi: st.Until}
	if s.hi.IsZero() {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		s.hi = now().UTC()
	}
	if s.lo.IsZero() {
		s.lo = time.Unix(0, 0).UTC()
	}
	return s
}

func (c *Collection) addQuery(q QueryStat) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Queries = append(c.stats.Queries, q)
}

// queryGaps are the queries that did not return their whole result.
func queryGaps(qs []QueryStat) []Gap {
	var out []Gap
	for _, q := range qs {
		if q.Complete {
			continue
		}
		reason := GapQueryFailed
		msg := fmt.Sprintf("%s ended %s", q, q.State)
		if q.State == "SUCCEEDED" || q.State == "FINISHED" {
			reason = GapQueryTruncated
			msg = fmt.Sprintf("%s: %d row(s) read", q, q.Rows)
		}
		if q.Reason != "" {
			msg += ": " + q.Reason
		}
		out = append(out, Gap{Check: CheckUndecodable, Reason: reason, Count: 1, Message: msg + " (the records it did not return may hold a session)", Where: []string{q.String()}})
	}
	return out
}

// ErrNoQuery is returned when a query source is given no engine.
var ErrNoQuery = errors.New("trail query: no engine")
