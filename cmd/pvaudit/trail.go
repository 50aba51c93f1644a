package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/trail"
)

// trailSchema versions the JSON the trail commands write.
const trailSchema = "pvaudit.trail/v1"

// trailSource is where CloudTrail records come from. The trail commands
// register its flags bare (--dir); scan registers them with a "trail-"
// prefix (--trail-dir) to learn which roles the provider created.
type trailSource struct {
	prefix     string
	dir        string
	files      []string
	lookup     bool
	lookupRate float64
	regions    []string
	since      string
	until      string
	workers    int
	fullDecode bool

	sinceT, untilT time.Time
}

func (s *trailSource) register(f *pflag.FlagSet, prefix string) {
	s.prefix = prefix
	f.StringVar(&s.dir, prefix+"dir", "", "local copy of a trail's S3 prefix (AWSLogs/…), read recursively")
	f.StringArrayVar(&s.files, prefix+"file", nil, "a CloudTrail file: {\"Records\":[…]}, a JSON array or one record per line; .gz or plain; - for stdin (repeatable)")
	f.BoolVar(&s.lookup, prefix+"lookup", false, "read the last 90 days from the CloudTrail LookupEvents API (regions: --"+prefix+"lookup-region)")
	f.Float64Var(&s.lookupRate, prefix+"lookup-rate", 2, "LookupEvents requests per second and region (the API allows 2 per account and region)")
	f.StringSliceVar(&s.regions, prefix+"lookup-region", nil, "regions whose event history to read (default: --region, else us-east-1, where IAM records its events); a session's calls are looked up in each")
	f.StringVar(&s.since, prefix+"since", "", "keep events at or after this time (RFC 3339 or YYYY-MM-DD); dated folders before it are not read")
	f.StringVar(&s.until, prefix+"until", "", "keep events at or before this time (RFC 3339 or YYYY-MM-DD)")
	f.IntVar(&s.workers, prefix+"workers", 0, "files decoded in parallel (default: one per CPU)")
	f.BoolVar(&s.fullDecode, prefix+"full-decode", false, "decode every record, not only those naming the role (slower; validates archives)")
}

// given reports whether any CloudTrail input was named.
func (s *trailSource) given() bool { return s.dir != "" || len(s.files) > 0 || s.lookup }

func (s *trailSource) validate() error {
	if s.lookupRate <= 0 {
		return usageErr("--%slookup-rate must be positive", s.prefix)
	}
	var err error
	if s.sinceT, err = parseWhen(s.prefix+"since", s.since, false); err != nil {
		return err
	}
	if s.untilT, err = parseWhen(s.prefix+"until", s.until, true); err != nil {
		return err
	}
	if !s.sinceT.IsZero() && !s.untilT.IsZero() && s.untilT.Before(s.sinceT) {
		return usageErr("--%suntil is before --%ssince", s.prefix, s.prefix)
	}
	return nil
}

// expectOpts are the flags that override what the contract promises about
// the provider's sessions.
type expectOpts struct {
	roles      []string
	accounts   []string
	principals []string
	requireExt bool
	maxSession time.Duration
	flags      *pflag.FlagSet
}

func (o *expectOpts) register(f *pflag.FlagSet) {
	o.flags = f
	f.StringSliceVar(&o.roles, "role", nil, "role name glob(s) to replay (default: the contract's cross-account role name pattern)")
	f.StringSliceVar(&o.accounts, "trusted-account", nil, "account(s) allowed to assume the role, besides the contract's provisioner (--provisioner-account)")
	f.StringSliceVar(&o.principals, "trusted-principal", nil, "principal ARN(s) allowed to assume the role (glob; arn:aws:iam::ACCOUNT:root means the whole account)")
	f.BoolVar(&o.requireExt, "require-external-id", false, "report sessions opened without an ExternalId (default: the contract's require_external_id)")
	f.DurationVar(&o.maxSession, "max-session", 0, "promised maximum session length (default: the contract's max_session_duration)")
}

func (o *expectOpts) changed(name string) bool { return o.flags != nil && o.flags.Changed(name) }

// trailExpectations turns the contract's promises about the cross-account
// role into what replay checks; flags override them.
func trailExpectations(c *contract.Contract, o *expectOpts) (trail.Expectations, error) {
	e := trail.DefaultExpectations()
	car := c.CrossAccountRole
	e.RolePatterns = nil
	switch {
	case o.changed("role"):
		e.RolePatterns = o.roles
	case c.CrossAccountRoleRegexp() != nil:
		e.RoleRegexp = c.CrossAccountRoleRegexp()
	default:
		return e, usageErr("contract %s names no cross-account role: pass --role", c.Name)
	}
	vars := c.Parameters.Vars(nil)
	for _, p := range car.TrustedPrincipals {
		if v, err := contract.Expand(p, vars); err == nil {
			e.TrustedPrincipals = append(e.TrustedPrincipals, v)
		}
	}
	e.TrustedPrincipals = append(e.TrustedPrincipals, o.principals...)
	e.TrustedAccounts = append(e.TrustedAccounts, o.accounts...)
	e.RequireExternalID = car.RequireExternalID
	if o.changed("require-external-id") {
		e.RequireExternalID = o.requireExt
	}
	e.MaxSession = time.Duration(car.MaxSessionDuration) * time.Second
	if o.changed("max-session") {
		e.MaxSession = o.maxSession
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
		return e, usageErr("%w", err)
	}
	return e, nil
}

type trailOpts struct {
	src    trailSource
	exp    expectOpts
	ct     contractOpts
	output string
	failOn string
	aws    awsOpts

	failOnSev finding.Severity
	expect    trail.Expectations
}

func (o *trailOpts) register(f *pflag.FlagSet) {
	o.src.register(f, "")
	o.exp.register(f)
	o.ct.registerTrail(f)
	o.ct.registerSuppress(f)
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a FAIL has this severity or higher: info, low, medium, high, critical")
	o.aws.register(f)
}

func parseWhen(flag, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, usageErr("--%s %q: want RFC 3339 or YYYY-MM-DD", flag, s)
	}
	if end {
		t = t.Add(24*time.Hour - time.Second)
	}
	return t, nil
}

func (o *trailOpts) validate() error {
	if !o.src.given() {
		return usageErr("%w", trail.ErrNoInput)
	}
	if o.output != "table" && o.output != "json" {
		return usageErr("-o %q: want table or json", o.output)
	}
	if err := o.src.validate(); err != nil {
		return err
	}
	var err error
	if o.failOnSev, err = finding.ParseSeverity(o.failOn); err != nil {
		return usageErr("--fail-on: %w", err)
	}
	if err := o.aws.validate(); err != nil {
		return err
	}
	c, _, err := o.ct.load()
	if err != nil {
		return err
	}
	o.expect, err = trailExpectations(c, &o.exp)
	return err
}

// replay runs every chosen source into one collection.
func (s *trailSource) replay(ctx context.Context, a *app, stdin io.Reader, expect trail.Expectations, ao *awsOpts) (*trail.Result, error) {
	start := time.Now()
	c := trail.NewCollection(expect, s.sinceT, s.untilT)
	var inputs []trail.Input
	if s.dir != "" {
		ins, ws, err := trail.WalkDir(s.dir, s.sinceT, s.untilT)
		if err != nil {
			return nil, &exitErr{code: exitError, err: err}
		}
		c.SetWalk(ws)
		inputs = append(inputs, ins...)
	}
	stdinUsed := false
	for _, f := range s.files {
		if f == "-" {
			if stdinUsed {
				return nil, usageErr("--%sfile - given twice", s.prefix)
			}
			stdinUsed = true
			inputs = append(inputs, trail.ReaderInput("-", stdin))
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return nil, usageErr("--%sfile: %w", s.prefix, err)
		}
		inputs = append(inputs, trail.FileInput(f))
	}
	opts := trail.Options{Expect: expect, Since: s.sinceT, Until: s.untilT, Workers: s.workers, FullDecode: s.fullDecode}
	bar := newProgressBar(a.stderr)
	if bar != nil {
		opts.Progress = bar.update
	}
	if err := trail.ReadFiles(ctx, c, inputs, opts); err != nil {
		return nil, &exitErr{code: exitError, err: err}
	}
	bar.finish()
	if s.lookup {
		cfg, err := ao.config(ctx)
		if err != nil {
			return nil, &exitErr{code: exitError, err: err}
		}
		regions := s.regions
		switch {
		case len(regions) > 0:
		case ao.region != "":
			regions = []string{ao.region}
		default:
			regions = []string{"us-east-1"} // IAM and global STS events are recorded there
		}
		if !slices.Contains(regions, "us-east-1") {
			a.log.Warn("us-east-1 is not among the lookup regions; IAM events (CreateRole …) of the commercial partition are recorded there", "regions", regions)
		}
		apis := make([]trail.RegionalAPI, 0, len(regions))
		for _, r := range regions {
			apis = append(apis, trail.RegionalAPI{Region: r, API: cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = r })})
		}
		a.log.Info("looking up CloudTrail events", "regions", regions, "rate_per_region", s.lookupRate)
		err = trail.LookupRegions(ctx, apis, c, trail.LookupOptions{Since: s.sinceT, Until: s.untilT, Rate: s.lookupRate, Now: a.now})
		if err != nil {
			return nil, &exitErr{code: exitError, err: err}
		}
	}
	res := trail.Finish(c, expect, time.Since(start))
	st := res.Stats
	a.log.Info("replay done", "files", st.Files, "skipped_whole", st.FilesSkippedWhole, "records_split", st.RecordsSplit,
		"decoded", st.RecordsDecoded, "kept", st.RecordsKept, "undecodable", st.Undecodable, "elapsed", st.Elapsed)
	return res, nil
}

// trailVerdict: 2 when a file could not be read or a finding could not be
// evaluated, 1 for a FAIL at or above failOn, else 0.
func trailVerdict(res *trail.Result, failOn finding.Severity) int {
	if res.Stats.FilesUnread > 0 {
		return exitError
	}
	code := exitClean
	for _, f := range res.Findings {
		if f.Incomplete() {
			return exitError
		}
		if f.Status == finding.Fail && f.Suppressed == nil && f.Severity >= failOn {
			code = exitFindings
		}
	}
	return code
}

func newTrailCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trail",
		Short: "Replay CloudTrail: every session opened on the cross-account role and what it did",
		Long: `trail reads CloudTrail (a local copy of the trail's S3 prefix, exported files,
or the LookupEvents API), reconstructs every AssumeRole session on the
cross-account role, attaches every call made under it, and reports calls that
broke a promise. Denied calls are listed as evidence that the guardrails held.

What is promised comes from the contract (--contract, default pennsieve): the
cross-account role name pattern, the trusted provisioner (--provisioner-account
or pvaudit.yaml), the ExternalId requirement, the session length, the boundary
pattern and the documented services. --role, --trusted-account,
--trusted-principal, --require-external-id and --max-session override it.

Exit codes: 0 clean; 1 a FAIL at or above --fail-on; 2 usage or runtime error,
an unreadable file, or a finding that could not be evaluated.`,
		Example: `  pvaudit trail sessions --dir ./AWSLogs --provisioner-account 999988887777
  pvaudit trail show ASIAQZ9TXK1Z0CWVP7UC --dir ./AWSLogs --provisioner-account 999988887777`,
	}
	cmd.AddCommand(newTrailSessionsCmd(a), newTrailShowCmd(a))
	return cmd
}

func newTrailSessionsCmd(a *app) *cobra.Command {
	o := &trailOpts{}
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List the sessions opened on the cross-account role, with their findings",
		Example: `  pvaudit trail sessions --dir ./AWSLogs --provisioner-account 999988887777 --since 2025-03-01
  pvaudit trail sessions --file export.ndjson.gz --file - -o json
  pvaudit trail sessions --lookup --profile audit --provisioner-account 999988887777
  pvaudit trail sessions --dir ./AWSLogs --role 'Legacy-Deploy-*' --trusted-principal 'arn:aws:iam::999988887777:role/ci'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			res, err := o.src.replay(cmd.Context(), a, cmd.InOrStdin(), o.expect, &o.aws)
			if err != nil {
				return err
			}
			o.ct.applySuppressions(a, res.Findings)
			if o.output == "json" {
				if err := writeTrailJSON(a.stdout, a, res.Sessions, res.Findings, res.Stats, false); err != nil {
					return err
				}
			} else if err := writeSessionsTable(a.stdout, res); err != nil {
				return err
			}
			return withCode(trailVerdict(res, o.failOnSev))
		},
	}
	o.register(cmd.Flags())
	return cmd
}

func newTrailShowCmd(a *app) *cobra.Command {
	o := &trailOpts{}
	cmd := &cobra.Command{
		Use:   "show SESSION",
		Short: "Show one session's timeline: every call, denied calls and findings",
		Long: `show prints one session's timeline. SESSION is the session ID from
'trail sessions' (its access key ID), the AssumeRole event ID, or an
unambiguous prefix.`,
		Example: `  pvaudit trail show ASIAQZ9TXK1Z0CWVP7UC --dir ./AWSLogs --provisioner-account 999988887777
  pvaudit trail show attempt-7d54e28d --file export.json -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			res, err := o.src.replay(cmd.Context(), a, cmd.InOrStdin(), o.expect, &o.aws)
			if err != nil {
				return err
			}
			o.ct.applySuppressions(a, res.Findings)
			s, ok := trail.FindSession(res.Sessions, args[0])
			if !ok {
				return &exitErr{code: exitError, err: fmt.Errorf("no session %q among %d replayed (or the prefix is ambiguous)", args[0], len(res.Sessions))}
			}
			var fs []finding.Finding
			for _, f := range res.Findings {
				if id, _ := f.Evidence["session"].(string); id == s.ID {
					fs = append(fs, f)
				}
			}
			one := &trail.Result{Sessions: []*trail.Session{s}, Findings: fs, Stats: res.Stats}
			if o.output == "json" {
				if err := writeTrailJSON(a.stdout, a, one.Sessions, fs, res.Stats, true); err != nil {
					return err
				}
			} else if err := writeTimeline(a.stdout, s, fs); err != nil {
				return err
			}
			return withCode(trailVerdict(one, o.failOnSev))
		},
	}
	o.register(cmd.Flags())
	return cmd
}

type trailJSON struct {
	Schema   string            `json:"schema"`
	Version  string            `json:"version"`
	Sessions []sessionJSON     `json:"sessions"`
	Findings []finding.Finding `json:"findings"`
	Summary  finding.Summary   `json:"summary"`
	Stats    trail.Stats       `json:"stats"`
	// ProviderCreatedRoles feed the scanner's child-role identification.
	ProviderCreatedRoles []string `json:"provider_created_roles"`
}

type sessionJSON struct {
	*trail.Session
	DurationSeconds int64 `json:"duration_seconds"`
	CallCount       int   `json:"call_count"`
	DeniedCount     int   `json:"denied_count"`
	FindingCount    int   `json:"finding_count"`
}

func writeTrailJSON(w io.Writer, a *app, ss []*trail.Session, fs []finding.Finding, st trail.Stats, withCalls bool) error {
	counts := trail.FindingCounts(fs)
	out := trailJSON{Schema: trailSchema, Version: a.version, Findings: fs, Summary: finding.Summarize(fs), Stats: st,
		ProviderCreatedRoles: trail.ProviderCreatedRoles(ss), Sessions: make([]sessionJSON, 0, len(ss))}
	if out.ProviderCreatedRoles == nil {
		out.ProviderCreatedRoles = []string{}
	}
	for _, s := range ss {
		cp := *s
		if !withCalls {
			cp.Calls = nil
		}
		out.Sessions = append(out.Sessions, sessionJSON{Session: &cp, DurationSeconds: int64(s.Duration() / time.Second),
			CallCount: len(s.Calls), DeniedCount: s.Denied(), FindingCount: counts[s.ID]})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func assumerOf(s *trail.Session) string {
	switch {
	case s.Orphan:
		return "(AssumeRole not in input)"
	case s.Assumer.ARN != "":
		return reports.ShortResource(s.Assumer.ARN) + " (" + s.Assumer.AccountID + ")"
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

func writeSessionsTable(w io.Writer, res *trail.Result) error {
	counts := trail.FindingCounts(res.Findings)
	t := reports.NewTable(w, "SESSION", "ROLE", "ASSUMER", "SOURCE IP", "START", "DURATION", "CALLS", "DENIED", "FINDINGS")
	for _, s := range res.Sessions {
		if err := t.Append([]string{s.ID, s.RoleName, assumerOf(s), s.SourceIP, s.Start.Format(time.RFC3339), fmtDuration(s),
			fmt.Sprint(len(s.Calls)), fmt.Sprint(s.Denied()), fmt.Sprint(counts[s.ID])}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if roles := trail.ProviderCreatedRoles(res.Sessions); len(roles) > 0 {
		if _, err := fmt.Fprintf(w, "\nRoles created under these sessions (provider-created): %s\n", strings.Join(roles, ", ")); err != nil {
			return err
		}
	}
	if err := writeFindingLines(w, res.Findings); err != nil {
		return err
	}
	return writeStatsLine(w, res.Stats)
}

func writeFindingLines(w io.Writer, fs []finding.Finding) error {
	if len(fs) == 0 {
		_, err := fmt.Fprintln(w, "\nNo findings.")
		return err
	}
	fmt.Fprintln(w)
	t := reports.NewTable(w, "SEVERITY", "STATUS", "CHECK", "MESSAGE")
	for _, f := range fs {
		if err := t.Append([]string{f.Severity.String(), string(f.Status), f.CheckID, f.Message}); err != nil {
			return err
		}
	}
	return t.Render()
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

func writeTimeline(w io.Writer, s *trail.Session, fs []finding.Finding) error {
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
	t := reports.NewTable(w, "TIME", "ACTION", "REGION", "RESULT", "TARGET", "ATTACHED BY")
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
	return writeFindingLines(w, fs)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// progressBar draws replay progress on stderr when it is a terminal.
type progressBar struct {
	mu   sync.Mutex
	w    io.Writer
	last time.Time
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressBar{w: w}
}

func (p *progressBar) update(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	if total <= 0 {
		fmt.Fprintf(p.w, "\rreplaying: %d MB read", done>>20)
		return
	}
	const width = 30
	frac := float64(done) / float64(total)
	n := min(width, int(frac*width))
	fmt.Fprintf(p.w, "\rreplaying [%s%s] %3.0f%% %d/%d MB", strings.Repeat("#", n), strings.Repeat(" ", width-n), frac*100, done>>20, total>>20)
}

func (p *progressBar) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\033[K")
}
