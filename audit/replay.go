package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/trail"
	"github.com/pvaudit/pvaudit/trail/trailsql"
)

// TrailSources say where CloudTrail records come from.
type TrailSources struct {
	// Dir is a local copy of a trail's S3 prefix, read recursively.
	Dir string
	// Files are CloudTrail files; "-" reads Stdin (once).
	Files []string
	Stdin io.Reader
	// Lookup reads LookupEvents from these regions (nil: no lookup).
	Lookup     []trail.RegionalAPI
	LookupRate float64
	// LookupRetryFor bounds in time the retries of one LookupEvents page
	// (see trail.LookupOptions.RetryFor).
	LookupRetryFor time.Duration
	// Since and Until bound the events kept (zero: unbounded).
	Since, Until time.Time
	// Workers decode files in parallel (0: one per CPU).
	Workers int
	// FullDecode decodes every record, not only those naming the role.
	FullDecode bool
	// Progress, when set, is told how many bytes of how many were read.
	Progress func(done, total int64)
	// VerifyDigests checks Dir's log files against CloudTrail's digest
	// files, with DigestKeys (and DigestSignatures for digests whose
	// signature is not beside them); see trail.Options.
	VerifyDigests    bool
	DigestKeys       []trail.PublicKey
	DigestSignatures map[string]string
	// Queries run the replay's SQL on CloudTrail Lake or Athena (see
	// TrailQuery): the engine scans, pvaudit fetches only the rows the
	// replay keeps.
	Queries []TrailQuery
}

// TrailQuery is a trail kept in CloudTrail Lake or Athena.
type TrailQuery struct {
	Engine  trail.QueryEngine
	Dialect trailsql.Dialect
	// Poll and Timeout bound the wait for the query (0: defaults).
	Poll, Timeout time.Duration
}

// Given reports whether any CloudTrail input was named.
func (s *TrailSources) Given() bool {
	return s.Dir != "" || len(s.Files) > 0 || len(s.Lookup) > 0 || len(s.Queries) > 0
}

// Describe names the sources for reports.
func (s *TrailSources) Describe() []string {
	var out []string
	if s.Dir != "" {
		out = append(out, "dir:"+s.Dir)
	}
	for _, f := range s.Files {
		out = append(out, "file:"+f)
	}
	if len(s.Lookup) > 0 {
		var regions []string
		for _, l := range s.Lookup {
			regions = append(regions, l.Region)
		}
		out = append(out, strings.TrimSuffix("lookup:"+strings.Join(regions, ","), ":"))
	}
	for _, q := range s.Queries {
		out = append(out, q.Engine.Name()+":"+q.Engine.Target())
	}
	return out
}

// TrailOverrides override what the contract promises about the provider's
// sessions (the trail commands' --role, --trusted-account, … flags). nil
// pointers leave the contract's value.
type TrailOverrides struct {
	Roles             []string
	TrustedAccounts   []string
	TrustedPrincipals []string
	RequireExternalID *bool
	MaxSession        *time.Duration
}

// Expectations turns the contract's promises about the cross-account role
// into what replay checks; the overrides win.
func Expectations(c *contract.Contract, o TrailOverrides) (trail.Expectations, error) {
	e := trail.DefaultExpectations()
	car := c.CrossAccountRole
	e.RolePatterns = nil
	switch {
	case len(o.Roles) > 0:
		e.RolePatterns = o.Roles
	case c.CrossAccountRoleRegexp() != nil:
		e.RoleRegexp = c.CrossAccountRoleRegexp()
	default:
		return e, fmt.Errorf("contract %s names no cross-account role: pass --role", c.Name)
	}
	vars := c.Parameters.Vars(nil)
	for _, p := range car.TrustedPrincipals {
		if v, err := contract.Expand(p, vars); err == nil {
			e.TrustedPrincipals = append(e.TrustedPrincipals, v)
		}
	}
	e.TrustedPrincipals = append(e.TrustedPrincipals, o.TrustedPrincipals...)
	e.TrustedAccounts = append(e.TrustedAccounts, o.TrustedAccounts...)
	e.RequireExternalID = car.RequireExternalID
	if o.RequireExternalID != nil {
		e.RequireExternalID = *o.RequireExternalID
	}
	e.MaxSession = time.Duration(car.MaxSessionDuration) * time.Second
	if o.MaxSession != nil {
		e.MaxSession = *o.MaxSession
	}
	if c.Boundary.NamePattern != "" {
		e.BoundaryPattern = c.Boundary.NamePattern
	}
	if len(c.AllowedServices) > 0 {
		e.AllowedServices = []string{"sts"} // the session itself
		for _, s := range c.AllowedServices {
			e.AllowedServices = append(e.AllowedServices, s.Prefixes...)
		}
	}
	if err := e.Validate(); err != nil {
		return e, err
	}
	return e, nil
}

// replayed is one replay: its result and what it could not read.
type replayed struct {
	res  *trail.Result
	gaps []inventory.Gap
}

// replay reads every source into one collection. Unreadable files and
// undecodable records are coverage gaps: a CreateRole or a broken promise
// may be in them.
func (r *Run) replay(ctx context.Context, src *TrailSources, expect trail.Expectations) (*replayed, error) {
	return r.replayWith(ctx, src, expect, false)
}

// replayWith is replay that, with iamChanges, also keeps every IAM write
// event whoever made it (drift attribution; see trail.Result.Changes).
func (r *Run) replayWith(ctx context.Context, src *TrailSources, expect trail.Expectations, iamChanges bool) (*replayed, error) {
	if !src.Given() {
		return nil, trail.ErrNoInput
	}
	start := time.Now()
	c := trail.NewCollection(expect, src.Since, src.Until)
	c.SetClock(r.now)
	if iamChanges {
		c.KeepIAMChanges()
	}
	var inputs []trail.Input
	if src.Dir != "" {
		ins, ws, err := trail.WalkDir(src.Dir, src.Since, src.Until)
		if err != nil {
			return nil, err
		}
		c.SetWalk(ws)
		inputs = append(inputs, ins...)
	}
	stdinUsed := false
	for _, f := range src.Files {
		if f == "-" {
			if stdinUsed {
				return nil, errors.New("a CloudTrail file - (stdin) is given twice")
			}
			if src.Stdin == nil {
				return nil, errors.New("a CloudTrail file - (stdin) is given, but there is no standard input")
			}
			stdinUsed = true
			inputs = append(inputs, trail.ReaderInput("-", src.Stdin))
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("CloudTrail file: %w", err)
		}
		inputs = append(inputs, trail.FileInput(f))
	}
	opts := trail.Options{Expect: expect, Since: src.Since, Until: src.Until, Workers: src.Workers, FullDecode: src.FullDecode, Progress: src.Progress,
		Now: r.now, VerifyDigests: src.VerifyDigests, DigestKeys: src.DigestKeys, DigestSignatures: src.DigestSignatures}
	if err := trail.ReadFiles(ctx, c, inputs, opts); err != nil {
		return nil, err
	}
	if len(src.Lookup) > 0 {
		var regions []string
		for _, l := range src.Lookup {
			regions = append(regions, l.Region)
		}
		if !slices.Contains(regions, "us-east-1") {
			r.log().Warn("us-east-1 is not among the lookup regions; IAM events (CreateRole …) of the commercial partition are recorded there", "regions", regions)
		}
		r.log().Info("looking up CloudTrail events", "regions", regions, "rate_per_region", src.LookupRate)
		err := trail.LookupRegions(ctx, src.Lookup, c, trail.LookupOptions{Since: src.Since, Until: src.Until, Rate: src.LookupRate, RetryFor: src.LookupRetryFor, Now: r.now})
		if err != nil {
			return nil, err
		}
	}
	for _, q := range src.Queries {
		if err := r.query(ctx, q, c, expect, src.Since, src.Until); err != nil {
			return nil, err
		}
	}
	res := trail.Finish(c, expect, time.Since(start))
	st := res.Stats
	r.log().Info("replay done", "files", st.Files, "skipped_whole", st.FilesSkippedWhole, "records_split", st.RecordsSplit,
		"decoded", st.RecordsDecoded, "kept", st.RecordsKept, "undecodable", st.Undecodable, "elapsed", st.Elapsed)
	// The replay's own account of what it could not read or decide: gaps
	// whatever --checks selects (a lost record may be a CreateRole).
	out := &replayed{res: res}
	for _, g := range res.Gaps() {
		if g.Reason == trail.GapNotEvaluated || g.Reason == trail.GapIncompleteFindings {
			continue // a finding's own gap: the finding counts for the verdict when it is selected
		}
		out.gaps = append(out.gaps, inventory.Gap{Operation: "cloudtrail:" + string(g.Reason), Code: g.Check,
			Resource: strings.Join(g.Where, ", "), Message: g.Message})
	}
	return out, nil
}

// query runs the replay's SQL on a Lake or Athena source into c.
func (r *Run) query(ctx context.Context, q TrailQuery, c *trail.Collection, expect trail.Expectations, since, until time.Time) error {
	sql, err := trailsql.Build(trailsql.Query{Dialect: q.Dialect, Table: q.Engine.Target(),
		Roles: trailsql.Roles{Globs: expect.RolePatterns, Regexp: expect.RoleRegexp}, Since: since, Until: until})
	if err != nil {
		return fmt.Errorf("%s: %w", q.Engine.Name(), err)
	}
	if since.IsZero() && q.Dialect == trailsql.Athena {
		r.log().Warn("no --since: the Athena query reads every partition of the table (give a window to prune partitions)", "table", q.Engine.Target())
	}
	r.log().Info("querying CloudTrail", "engine", q.Engine.Name(), "target", q.Engine.Target())
	st, err := trail.Query(ctx, q.Engine, c, sql, trail.QueryOptions{Since: since, Until: until, Poll: q.Poll, Timeout: q.Timeout, Now: r.now})
	if err != nil {
		return fmt.Errorf("%s query: %w", q.Engine.Name(), err)
	}
	lvl := slog.LevelInfo
	if !st.Complete {
		lvl = slog.LevelWarn
	}
	r.log().Log(ctx, lvl, "query done", "engine", st.Engine, "query_id", st.ID, "state", st.State, "rows", st.Rows, "bytes_scanned", st.BytesScanned, "complete", st.Complete, "reason", st.Reason)
	return nil
}

// ReplayInput is what `pvaudit trail sessions|show` replays.
type ReplayInput struct {
	Sources   TrailSources
	Overrides TrailOverrides
}

// Sessions replays CloudTrail: every session on the cross-account role,
// the calls made under it, and the findings.
func Sessions(ctx context.Context, r *Run, in ReplayInput) (*reports.TrailReport, error) {
	rp, err := r.replayFor(ctx, in)
	if err != nil {
		return nil, err
	}
	return r.trailReport(reports.KindTrailSessions, rp, rp.res.Sessions, rp.res.Findings, false), nil
}

// Session replays CloudTrail and reports one session's timeline: id is its
// session ID (access key), AssumeRole event ID, or an unambiguous prefix.
func Session(ctx context.Context, r *Run, in ReplayInput, id string) (*reports.TrailReport, error) {
	rp, err := r.replayFor(ctx, in)
	if err != nil {
		return nil, err
	}
	one, ok := rp.res.ForSession(id)
	if !ok {
		return nil, fmt.Errorf("no session %q among %d replayed (or the prefix is ambiguous)", id, len(rp.res.Sessions))
	}
	// The session's own findings and those about the replay itself
	// (unreadable input, gaps): they decide whether the timeline is complete.
	return r.trailReport(reports.KindTrailSession, rp, one.Sessions, one.Findings, true), nil
}

func (r *Run) replayFor(ctx context.Context, in ReplayInput) (*replayed, error) {
	expect, err := Expectations(r.contract(), in.Overrides)
	if err != nil {
		return nil, err
	}
	rp, err := r.replay(ctx, &in.Sources, expect)
	if err != nil {
		return nil, err
	}
	r.suppress(rp.res.Findings)
	return rp, nil
}

func (r *Run) trailReport(kind reports.Kind, rp *replayed, ss []*trail.Session, fs []finding.Finding, withCalls bool) *reports.TrailReport {
	return &reports.TrailReport{
		Header:               r.header(kind, nil),
		Outcome:              reports.NewOutcome(fs, len(rp.gaps), r.FailOn),
		Sessions:             reports.NewSessions(ss, fs, withCalls),
		Findings:             fs,
		Summary:              finding.Summarize(fs),
		CoverageGaps:         rp.gaps,
		Stats:                rp.res.Stats,
		ProviderCreatedRoles: trail.ProviderCreatedRoles(ss),
	}
}
