package trail

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// span is a period an input is known to cover.
type span struct{ lo, hi time.Time }

func (s span) zero() bool { return s.lo.IsZero() && s.hi.IsZero() }

// overlaps reports whether s meets [since, until] (a zero bound is open).
func (s span) overlaps(since, until time.Time) bool {
	return (since.IsZero() || !s.hi.Before(since)) && (until.IsZero() || !s.lo.After(until))
}

// coverage gathers the spans of a replay's inputs.
type coverage struct {
	files []span // one per identified file whose times are known
	other []span // LookupEvents queries, verified digests
}

func (c *coverage) addFile(s span) {
	if !s.zero() {
		c.files = append(c.files, s)
	}
}

// addCoverage records a period a non-file source covers.
func (c *Collection) addCoverage(s span) {
	if s.zero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cov.other = append(c.cov.other, s)
}

// Coverage is the time a replay's inputs are known to cover, and the
// window it was asked about.
//
// A file covers from the oldest to the newest of: the delivery time in its
// name (CloudTrail's ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_… names),
// its first record's eventTime, and the eventTime of every record decoded
// from it; for a file whose name gives no delivery time, every eventTime
// in its bytes. A LookupEvents query covers the period it asked for
// (within the 90 days LookupEvents keeps). A digest whose signature
// verified covers its digestStartTime … digestEndTime, the proof that an
// hour without log files had no events.
//
// A replay with a Since or Until bound is incomplete unless some input
// overlaps the window, the earliest time covered is at most CoverageSlack
// after Since, and the latest at most CoverageSlack before Until (or
// before now, when Until is in the future).
type Coverage struct {
	Since    time.Time `json:"since,omitzero"`
	Until    time.Time `json:"until,omitzero"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
	Inputs   int       `json:"inputs"`    // files and queries with a known span
	InWindow int       `json:"in_window"` // of which overlap the window
}

// CoverageSlack is how far the covered time may stop short of a window
// bound: CloudTrail delivers a file about every five minutes per region
// and a digest every hour, so an hour without either is not assumed.
const CoverageSlack = time.Hour

// coverageOf summarises the spans for the window [since, until].
func coverageOf(cv coverage, since, until time.Time) Coverage {
	out := Coverage{Since: since, Until: until}
	for _, group := range [][]span{cv.files, cv.other} {
		for _, s := range group {
			out.Inputs++
			if s.overlaps(since, until) {
				out.InWindow++
			}
			if out.From.IsZero() || s.lo.Before(out.From) {
				out.From = s.lo
			}
			if out.To.IsZero() || s.hi.After(out.To) {
				out.To = s.hi
			}
		}
	}
	return out
}

// GapReason says why a replay is incomplete.
type GapReason string

// Reasons a replay is incomplete.
const (
	GapUnreadableFiles    GapReason = "unreadable-files"     // files that could not be opened or decompressed
	GapUnrecognisedFiles  GapReason = "unrecognised-files"   // files that are not CloudTrail
	GapDamagedFiles       GapReason = "damaged-files"        // files whose stream broke part-way
	GapUndecodableRecords GapReason = "undecodable-records"  // records that could not be decoded
	GapNoLogFiles         GapReason = "no-log-files"         // a folder without CloudTrail log files
	GapWindowNotCovered   GapReason = "window-not-covered"   // part of the requested window no input covers
	GapNoDigests          GapReason = "no-digests"           // digest verification asked for, no digest found
	GapDigestKeyMissing   GapReason = "digest-key-missing"   // no public key for a digest's fingerprint
	GapDigestUnsigned     GapReason = "digest-unsigned"      // a digest whose signature is not in the copy
	GapDigestUnverifiable GapReason = "digest-unverifiable"  // a digest that could not be checked otherwise
	GapUnverifiedLogFiles GapReason = "unverified-log-files" // log files read that no verified digest vouches for
	GapQueryFailed        GapReason = "query-failed"         // a Lake or Athena query that failed, was cancelled or timed out
	GapQueryTruncated     GapReason = "query-truncated"      // a query whose result was not read in full
	GapNotEvaluated       GapReason = "not-evaluated"        // a finding that could not be evaluated
	GapIncompleteFindings GapReason = "error"                // a finding that records an error
)

const (
	maxGapWhere            = 20 // files named in a gap
	gapResource            = "cloudtrail"
	incompleteReplaySuffix = "; the replay is incomplete"
)

// Gap is a reason a replay cannot vouch for everything it was asked to
// read: an input it could not read or recognise, a record it could not
// decode, a part of the requested window no input covers, a log file no
// verified digest vouches for, or a finding that could not be evaluated.
// Each gap is also reported as an ERROR finding of its check (a
// NOT_EVALUATED finding is its own gap).
type Gap struct {
	Check   string    `json:"check"` // TRAIL-011, TRAIL-013, or the check of a finding that could not be evaluated
	Reason  GapReason `json:"reason"`
	Message string    `json:"message"`
	// Count is how many files, records or digests are concerned.
	Count int64 `json:"count,omitempty"`
	// Where names the first of them (file, file@offset, digest).
	Where []string `json:"where,omitempty"`
}

func (g Gap) String() string { return g.Check + " " + string(g.Reason) + ": " + g.Message }

// gapMessageNames is how many of a gap's files its finding's message names.
const gapMessageNames = 5

// named are the files or records a gap's finding names in its message
// (the evidence lists more).
func (g Gap) named() []string {
	switch g.Reason {
	case GapNoLogFiles, GapWindowNotCovered, GapNoDigests:
		return nil // the message says it
	}
	return g.Where[:min(len(g.Where), gapMessageNames)]
}

// Gaps returns every reason the replay is incomplete: the coverage gaps
// found while reading, and every finding that could not be evaluated
// (ERROR or NOT_EVALUATED, suppressed or not). Sorted; empty when the
// replay is complete.
func (r *Result) Gaps() []Gap {
	out := append([]Gap(nil), r.Stats.Gaps...)
	have := map[string]bool{}
	for _, g := range out {
		have[g.Check+"\x00"+string(g.Reason)] = true
	}
	for _, f := range r.Findings {
		if !f.Incomplete() || have[f.CheckID+"\x00"+f.Key] {
			continue
		}
		reason := GapIncompleteFindings
		if f.Status == finding.NotEvaluated {
			reason = GapNotEvaluated
		}
		out = append(out, Gap{Check: f.CheckID, Reason: reason, Message: f.Message, Where: []string{f.Resource}})
	}
	sortGaps(out)
	return out
}

// Complete reports whether the replay read and evaluated everything it
// was asked to: no gap. Every caller decides "incomplete" (exit 2) by
// this.
func (r *Result) Complete() bool { return len(r.Gaps()) == 0 }

// ForSession returns the result narrowed to one session (FindSession's
// rules): the session, its findings, and every finding about the replay
// as a whole (TRAIL-011, TRAIL-012, TRAIL-013, a provisioner that is not
// configured), with the same stats and gaps, so that a caller judging one
// session judges it as the whole replay would.
func (r *Result) ForSession(id string) (*Result, bool) {
	s, ok := FindSession(r.Sessions, id)
	if !ok {
		return nil, false
	}
	out := &Result{Sessions: []*Session{s}, Findings: []finding.Finding{}, Stats: r.Stats, Conflicts: r.Conflicts}
	for _, f := range r.Findings {
		sid, named := f.Evidence["session"].(string)
		if !named || sid == s.ID {
			out.Findings = append(out.Findings, f)
		}
	}
	return out, true
}

func sortGaps(gs []Gap) {
	sort.SliceStable(gs, func(i, j int) bool {
		if gs[i].Check != gs[j].Check {
			return gs[i].Check < gs[j].Check
		}
		return gs[i].Reason < gs[j].Reason
	})
}

// problemsOf lists the problems of one kind, at most maxGapWhere.
func problemsOf(ps []Problem, kinds ...string) []string {
	var out []string
	for _, p := range ps {
		for _, k := range kinds {
			if p.Kind == k && len(out) < maxGapWhere {
				out = append(out, p.String())
			}
		}
	}
	return out
}

// readGaps are the gaps found while reading: files and records not read,
// an empty folder, a window the inputs do not cover.
func readGaps(st Stats, now time.Time) []Gap {
	var out []Gap
	if n := st.FilesUnread - st.FilesRefused; n > 0 {
		out = append(out, Gap{Check: CheckUndecodable, Reason: GapUnreadableFiles, Count: int64(n),
			Message: fmt.Sprintf("%d file(s) could not be opened or decompressed", n),
			Where:   problemsOf(st.Problems, ProblemUnreadable)})
	}
	if n := st.FilesRefused; n > 0 {
		out = append(out, Gap{Check: CheckUndecodable, Reason: GapUnrecognisedFiles, Count: int64(n),
			Message: fmt.Sprintf("%d file(s) are not CloudTrail logs and were not read (delivered {\"Records\":[…]}, a JSON array of records or one record per line, plain or gzip, are read)", n),
			Where:   problemsOf(st.Problems, ProblemUnrecognised)})
	}
	if n := st.FilesDamaged; n > 0 {
		out = append(out, Gap{Check: CheckUndecodable, Reason: GapDamagedFiles, Count: int64(n),
			Message: fmt.Sprintf("%d file(s) broke part-way (truncated or corrupt); the records after the break were not read", n),
			Where:   problemsOf(st.Problems, ProblemDamaged)})
	}
	if n := st.Undecodable - int64(st.FilesDamaged); n > 0 {
		out = append(out, Gap{Check: CheckUndecodable, Reason: GapUndecodableRecords, Count: n,
			Message: fmt.Sprintf("%d record(s) could not be decoded (offsets are in the decompressed stream)", n),
			Where:   problemsOf(st.Problems, ProblemUndecodable)})
	}
	if w := st.Walk; w.Root != "" && w.LogFiles == 0 {
		msg := fmt.Sprintf("no CloudTrail log files under %s — is this the AWSLogs/ level of the S3 copy?", w.Root)
		if w.PrunedDirs > 0 {
			msg = fmt.Sprintf("no CloudTrail log files under %s in the requested window (%d dated folder(s) outside it were not read)", w.Root, w.PrunedDirs)
		}
		if w.DigestFiles > 0 || w.OtherFiles > 0 {
			msg += fmt.Sprintf("; %d digest and %d other file(s) were skipped", w.DigestFiles, w.OtherFiles)
		}
		out = append(out, Gap{Check: CheckUndecodable, Reason: GapNoLogFiles, Message: msg, Where: []string{w.Root}})
	}
	out = append(out, queryGaps(st.Queries)...)
	if g, ok := windowGap(st.Coverage, now); ok {
		out = append(out, g)
	}
	return out
}

// windowGap reports a requested window the inputs do not cover.
func windowGap(cv Coverage, now time.Time) (Gap, bool) {
	since, until := cv.Since, cv.Until
	if since.IsZero() && until.IsZero() {
		return Gap{}, false
	}
	if !until.IsZero() && !now.IsZero() && until.After(now) {
		until = now
	}
	window := fmtWindow(since, until)
	g := Gap{Check: CheckUndecodable, Reason: GapWindowNotCovered}
	switch {
	case cv.Inputs == 0:
		g.Message = "no input covers the requested window " + window + ": no file or query with a known time was read"
	case cv.InWindow == 0:
		g.Message = fmt.Sprintf("no input covers the requested window %s: the inputs cover %s", window, fmtWindow(cv.From, cv.To))
	default:
		var short []string
		if !since.IsZero() && cv.From.After(since.Add(CoverageSlack)) {
			short = append(short, fmt.Sprintf("nothing before %s", cv.From.Format(time.RFC3339)))
		}
		if !until.IsZero() && cv.To.Before(until.Add(-CoverageSlack)) {
			short = append(short, fmt.Sprintf("nothing after %s", cv.To.Format(time.RFC3339)))
		}
		if len(short) == 0 {
			return Gap{}, false
		}
		g.Message = fmt.Sprintf("the inputs do not cover all of the requested window %s: %s (verified digests prove quiet hours; or narrow --since/--until)",
			window, strings.Join(short, ", "))
	}
	return g, true
}

func fmtWindow(since, until time.Time) string {
	f := func(t time.Time, open string) string {
		if t.IsZero() {
			return open
		}
		return t.UTC().Format(time.RFC3339)
	}
	return f(since, "(open)") + " … " + f(until, "(open)")
}

// gapFindings turns gaps into ERROR findings of their checks.
func gapFindings(gs []Gap) []finding.Finding {
	out := make([]finding.Finding, 0, len(gs))
	for _, g := range gs {
		sev := finding.Low
		if g.Check == CheckDigest {
			sev = finding.High
		}
		ev := map[string]any{"reason": string(g.Reason)}
		if g.Count > 0 {
			ev["count"] = g.Count
		}
		if len(g.Where) > 0 {
			ev["first"] = g.Where
		}
		msg := g.Message
		if named := g.named(); len(named) > 0 {
			msg += ": " + strings.Join(named, "; ")
			if more := g.Count - int64(len(named)); more > 0 {
				msg += fmt.Sprintf("; … and %d more", more)
			}
		}
		out = append(out, newFinding(g.Check, sev, finding.Error, gapResource, string(g.Reason), msg+incompleteReplaySuffix, ev))
	}
	return out
}
