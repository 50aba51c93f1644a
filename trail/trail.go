package trail

import (
	"context"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// Result is a finished replay. Complete and Gaps say whether it can vouch
// for everything it was asked to read.
type Result struct {
	Sessions []*Session        `json:"sessions"`
	Findings []finding.Finding `json:"findings"`
	Stats    Stats             `json:"stats"`
	// Conflicts are events recorded with different contents (TRAIL-012).
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// Changes are the IAM write events kept when the collection keeps
	// them (Collection.KeepIAMChanges), in time order.
	Changes []*Record `json:"-"`
}

// Finish builds sessions and findings from a collection: the session
// findings, TRAIL-012 for conflicting copies, TRAIL-013 for the digest
// verification, and an ERROR finding for each gap.
func Finish(c *Collection, e Expectations, elapsed time.Duration) *Result {
	recs, conflicts, merged := c.resolve()
	st := c.Stats()
	st.Elapsed = elapsed
	st.Duplicates += merged
	st.SharedCopies = merged
	st.RecordsKept -= merged
	c.mu.Lock()
	st.Coverage = coverageOf(c.cov, c.since, c.until)
	now := c.now().UTC()
	dr := c.digest
	c.mu.Unlock()
	sessions := BuildSessions(recs, e)
	fs := Analyze(sessions, e)
	fs = append(fs, conflictFindings(conflicts)...)
	st.Gaps = readGaps(st, now)
	if dr != nil {
		ds := dr.stats
		st.Digests = &ds
		fs = append(fs, dr.findings...)
		st.Gaps = append(st.Gaps, dr.gaps...)
	}
	sortGaps(st.Gaps)
	if st.Gaps == nil {
		st.Gaps = []Gap{}
	}
	fs = append(fs, gapFindings(st.Gaps)...)
	finding.Sort(fs)
	if sessions == nil {
		sessions = []*Session{}
	}
	if fs == nil {
		fs = []finding.Finding{}
	}
	res := &Result{Sessions: sessions, Findings: fs, Stats: st, Conflicts: conflicts}
	if c.iamChanges {
		for _, r := range recs {
			if IsIAMChange(r) {
				res.Changes = append(res.Changes, r)
			}
		}
	}
	return res
}

// ReplayFiles decodes inputs and reconstructs sessions: the whole pipeline
// for local sources.
func ReplayFiles(ctx context.Context, inputs []Input, opts Options) (*Result, error) {
	if err := opts.Expect.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	c := NewCollection(opts.Expect, opts.Since, opts.Until)
	if err := ReadFiles(ctx, c, inputs, opts); err != nil {
		return nil, err
	}
	return Finish(c, opts.Expect, time.Since(start)), nil
}

// ReplayDir walks a local copy of a trail's S3 prefix (WalkDir, within
// opts.Since/Until) and replays it, verifying its digests when
// opts.VerifyDigests is set.
func ReplayDir(ctx context.Context, root string, opts Options) (*Result, error) {
	if err := opts.Expect.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	ins, ws, err := WalkDir(root, opts.Since, opts.Until)
	if err != nil {
		return nil, err
	}
	c := NewCollection(opts.Expect, opts.Since, opts.Until)
	c.SetWalk(ws)
	if err := ReadFiles(ctx, c, ins, opts); err != nil {
		return nil, err
	}
	return Finish(c, opts.Expect, time.Since(start)), nil
}

// FindingCounts returns, per session ID, how many active findings name it.
func FindingCounts(fs []finding.Finding) map[string]int {
	out := map[string]int{}
	for _, f := range fs {
		if !f.Active() {
			continue
		}
		if s, ok := f.Evidence["session"].(string); ok {
			out[s]++
		}
	}
	return out
}
