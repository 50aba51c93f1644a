package trail

import (
	"context"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// Result is a finished replay.
type Result struct {
	Sessions []*Session        `json:"sessions"`
	Findings []finding.Finding `json:"findings"`
	Stats    Stats             `json:"stats"`
	// Changes are the IAM write events kept when the collection keeps
	// them (Collection.KeepIAMChanges), in time order.
	Changes []*Record `json:"-"`
}

// Finish builds sessions and findings from a collection.
func Finish(c *Collection, e Expectations, elapsed time.Duration) *Result {
	st := c.Stats()
	st.Elapsed = elapsed
	sessions := BuildSessions(c.Records(), e)
	fs := Analyze(sessions, e)
	fs = append(fs, StatsFindings(st, "cloudtrail")...)
	finding.Sort(fs)
	if sessions == nil {
		sessions = []*Session{}
	}
	if fs == nil {
		fs = []finding.Finding{}
	}
	res := &Result{Sessions: sessions, Findings: fs, Stats: st}
	if c.iamChanges {
		for _, r := range c.Records() {
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
