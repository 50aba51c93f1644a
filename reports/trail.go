package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/trail"
)

// TrailReport is what `pvaudit trail sessions` (kind trail-sessions) and
// `pvaudit trail show` (kind trail-session, with every call) produced.
type TrailReport struct {
	Header
	Outcome
	Sessions     []Session         `json:"sessions"`
	Findings     []finding.Finding `json:"findings"`
	Summary      finding.Summary   `json:"summary"`
	CoverageGaps []inventory.Gap   `json:"coverage_gaps"`
	Stats        trail.Stats       `json:"stats"`
	// ProviderCreatedRoles feed the scanner's child-role identification.
	ProviderCreatedRoles []string `json:"provider_created_roles"`
}

// Session is one session with its counts; Calls are kept only in a
// trail-session report.
type Session struct {
	*trail.Session
	// Calls shadows the session's calls: present in a trail-session
	// report, left out of a trail-sessions one (CallCount counts them).
	Calls           []trail.Call `json:"calls,omitempty"`
	DurationSeconds int64        `json:"duration_seconds"`
	CallCount       int          `json:"call_count"`
	DeniedCount     int          `json:"denied_count"`
	FindingCount    int          `json:"finding_count"`
}

// Result returns the verdict and the counts.
func (r *TrailReport) Result() (finding.Verdict, finding.Summary) { return r.Verdict, r.Summary }

func (r *TrailReport) normalizeJSON() {
	r.Sessions = nonNil(r.Sessions)
	r.Findings = nonNil(r.Findings)
	r.CoverageGaps = nonNil(r.CoverageGaps)
	r.ProviderCreatedRoles = nonNil(r.ProviderCreatedRoles)
	if r.Verdict.Accepted == nil {
		r.Verdict.Accepted = []finding.AcceptedGap{}
	}
}

// NewSessions wraps sessions with their counts; withCalls keeps each
// session's calls.
func NewSessions(ss []*trail.Session, fs []finding.Finding, withCalls bool) []Session {
	counts := trail.FindingCounts(fs)
	out := make([]Session, 0, len(ss))
	for _, s := range ss {
		x := Session{Session: s, DurationSeconds: int64(s.Duration() / time.Second),
			CallCount: len(s.Calls), DeniedCount: s.Denied(), FindingCount: counts[s.ID]}
		if withCalls {
			x.Calls = nonNil(s.Calls)
		}
		out = append(out, x)
	}
	return out
}

func assumerOf(s *trail.Session) string {
	switch {
	case s.Orphan:
		return "(AssumeRole not in input)"
	case s.Assumer.ARN != "":
		return ShortResource(s.Assumer.ARN) + " (" + s.Assumer.AccountID + ")"
	case s.Assumer.InvokedBy != "":
		return s.Assumer.InvokedBy
	case s.Assumer.AccountID != "":
		return "account " + s.Assumer.AccountID
	}
	return "(unknown)"
}

func fmtDuration(s *trail.Session) string {
	if s.Attempt {
		return "refused: " + s.ErrorCode
	}
	if d := s.Duration(); d > 0 {
		return d.String()
	}
	return "-"
}

func writeSessionsTable(w io.Writer, rep Report, o Options) error {
	r := rep.(*TrailReport)
	t := newTable(w, o.width(), "SESSION", "ROLE", "ASSUMER", "SOURCE IP", "START", "DURATION", "CALLS", "DENIED", "FINDINGS")
	for _, s := range r.Sessions {
		if err := t.Append([]string{s.ID, s.RoleName, assumerOf(s.Session), s.SourceIP, s.Start.Format(time.RFC3339), fmtDuration(s.Session),
			fmt.Sprint(s.CallCount), fmt.Sprint(s.DeniedCount), fmt.Sprint(s.FindingCount)}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(r.ProviderCreatedRoles) > 0 {
		if _, err := fmt.Fprintf(w, "\nRoles created under these sessions (provider-created): %s\n", strings.Join(r.ProviderCreatedRoles, ", ")); err != nil {
			return err
		}
	}
	if err := writeFindingLines(w, r.Findings, o); err != nil {
		return err
	}
	return writeTrailFooter(w, r)
}

func writeTrailFooter(w io.Writer, r *TrailReport) error {
	if err := writeStatsLine(w, r.Stats); err != nil {
		return err
	}
	writeGaps(w, r.CoverageGaps)
	writeAccepted(w, r.Verdict)
	_, err := fmt.Fprintf(w, "\n%s\n", SummaryLine(r))
	return err
}

func writeFindingLines(w io.Writer, fs []finding.Finding, o Options) error {
	if len(fs) == 0 {
		_, err := fmt.Fprintln(w, "\nNo findings.")
		return err
	}
	var b strings.Builder
	p := painter(o.Color)
	writeByResource(&b, p, fs, nil, o, o.width())
	writeSuppressed(&b, p, fs, o.width())
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStatsLine(w io.Writer, st trail.Stats) error {
	_, err := fmt.Fprintf(w, "\nRead %d file(s) (%d skipped whole by the pre-filter, %d unreadable; walk: %d digest and %d other file(s) skipped, %d dated folder(s) pruned); "+
		"%d record(s) split, %d decoded, %d kept, %d duplicate(s), %d undecodable; %d LookupEvents request(s).\n",
		st.Files, st.FilesSkippedWhole, st.FilesUnread, st.Walk.DigestFiles, st.Walk.OtherFiles, st.Walk.PrunedDirs,
		st.RecordsSplit, st.RecordsDecoded, st.RecordsKept, st.Duplicates, st.Undecodable, st.LookupRequests)
	if err != nil {
		return err
	}
	for i, p := range st.Problems {
		if i == 10 {
			_, err = fmt.Fprintf(w, "  … and %d more\n", len(st.Problems)-10)
			return err
		}
		if _, err = fmt.Fprintf(w, "  undecodable: %s\n", p); err != nil {
			return err
		}
	}
	return nil
}

// writeTimeline prints one session's timeline (a trail-session report
// holds exactly one session).
func writeTimeline(w io.Writer, rep Report, o Options) error {
	r := rep.(*TrailReport)
	if len(r.Sessions) != 1 {
		return fmt.Errorf("a session timeline needs exactly one session, got %d", len(r.Sessions))
	}
	s := r.Sessions[0].Session
	kind := "session"
	if s.Attempt {
		kind = "refused attempt"
	} else if s.Orphan {
		kind = "calls without a recorded AssumeRole"
	}
	fmt.Fprintf(w, "Session %s (%s)\n", s.ID, kind)
	fmt.Fprintf(w, "  role:         %s\n", s.RoleARN)
	fmt.Fprintf(w, "  assumer:      %s\n", assumerOf(s))
	if s.SourceIP != "" || s.UserAgent != "" {
		fmt.Fprintf(w, "  from:         %s  %s\n", s.SourceIP, s.UserAgent)
	}
	if !s.Orphan {
		fmt.Fprintf(w, "  external id:  %v\n", s.ExternalID)
		fmt.Fprintf(w, "  start:        %s   expiry: %s   requested: %ds\n", s.Start.Format(time.RFC3339), fmtTime(s.Expiry),
			int64(time.Duration(s.Requested)/time.Second))
	}
	if s.Attempt {
		fmt.Fprintf(w, "  refused:      %s: %s\n", s.ErrorCode, s.ErrorMsg)
	}
	if s.Origin != "" {
		fmt.Fprintf(w, "  recorded at:  %s\n", s.Origin)
	}
	fmt.Fprintln(w)
	t := newTable(w, o.width(), "TIME", "ACTION", "REGION", "RESULT", "TARGET", "ATTACHED BY")
	for _, c := range s.Calls {
		result := "ok"
		if c.ErrorCode != "" {
			result = c.ErrorCode
			if c.Denied {
				result = "DENIED " + c.ErrorCode
			}
		}
		if !s.Expiry.IsZero() && c.Time.After(s.Expiry) {
			result += " (after expiry)"
		}
		if err := t.Append([]string{c.Time.Format(time.RFC3339), c.Action(), c.Region, result, c.Target(), c.AttachedBy}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if err := writeFindingLines(w, r.Findings, o); err != nil {
		return err
	}
	return writeTrailFooter(w, r)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}
