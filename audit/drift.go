package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/pvaudit/pvaudit/baseline"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/trail"
)

// DriftInput is what `pvaudit drift` compares.
type DriftInput struct {
	// Source is the current account. Load, when set instead, reads it
	// while the baseline is read and checked.
	Source Source
	Load   func(context.Context) (Source, error)
	// Baseline is the baseline file; VerifyKey, when set, must have signed it.
	Baseline  string
	VerifyKey ed25519.PublicKey
	// Trail, when it names a source, attributes every item to the
	// CloudTrail events that explain it.
	Trail TrailSources
}

// driftRun is one comparison, before it becomes a report.
type driftRun struct {
	base  *baseline.Baseline
	integ baseline.Integrity
	// fileSHA256 and fileSize describe the baseline file as read.
	fileSHA256 string
	fileSize   int
	src        Source
	cur        *baseline.State
	items      []baseline.Item
	// baseGaps are the baseline's own gaps; gaps are every gap of the
	// comparison (the baseline's, the current snapshot's, the trail's).
	baseGaps []inventory.Gap
	gaps     []inventory.Gap
}

// scanDrift is drift already computed for a scan (evidence export): its
// findings (not yet suppressed), the baseline's gaps and the baseline.
type scanDrift struct {
	findings []finding.Finding
	gaps     []inventory.Gap
	info     *reports.DriftBaseline
}

// compare reads the baseline and the current account (concurrently when
// in.Load is set), and diffs them.
func (r *Run) compare(ctx context.Context, in DriftInput) (*driftRun, error) {
	d := &driftRun{src: in.Source}
	start := time.Now()
	var wg sync.WaitGroup
	var loadErr error
	if in.Load != nil {
		wg.Go(func() {
			d.src, loadErr = in.Load(ctx)
			r.log().Debug("account read", "elapsed", time.Since(start))
		})
	}
	b, integ, raw, err := ReadBaseline(in.Baseline, in.VerifyKey)
	r.log().Debug("baseline read and checked", "elapsed", time.Since(start))
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if loadErr != nil {
		return nil, loadErr
	}
	d.base, d.integ = b, integ
	sum := sha256.Sum256(raw)
	d.fileSHA256, d.fileSize = hex.EncodeToString(sum[:]), len(raw)
	if d.src.Snapshot == nil {
		return nil, fmt.Errorf("drift: no current account")
	}
	if got, want := d.src.Snapshot.AccountID, b.State.AccountID; got != want {
		return nil, fmt.Errorf("the baseline %s is of account %s, the current account is %s: nothing to compare", in.Baseline, want, got)
	}
	if integ.Signature == "not verified" {
		r.log().Warn("the baseline is signed, but no --verify-key was given: its signature was not checked", "key_id", integ.KeyID)
	}
	if d.cur, err = r.stateOf(d.src); err != nil {
		return nil, err
	}
	r.log().Debug("account state built", "elapsed", time.Since(start))
	if d.items, err = baseline.Diff(&b.State, d.cur, r.diffOptions(b)); err != nil {
		return nil, err
	}
	r.log().Debug("diff done", "items", len(d.items), "elapsed", time.Since(start))
	for _, g := range b.State.Gaps {
		g.Message = "baseline: " + g.Message
		d.baseGaps = append(d.baseGaps, g)
	}
	d.gaps = append(append(d.gaps, d.baseGaps...), d.src.Snapshot.Gaps...)
	return d, nil
}

// window is when the drift happened: from the baseline's capture to the
// current read. A side whose capture time is unknown (an AWS CLI export
// says nothing) leaves that end open: a saved-at time is not when the
// account was read.
func (d *driftRun) window() baseline.Window {
	return baseline.Window{From: d.base.State.CapturedAt, To: d.src.Snapshot.CapturedAt}
}

// Drift compares the account with an approved baseline: every deviation
// is a finding (DRIFT-…) with its before and after, its effect on access
// (widening is critical, narrowing info) and, with trail sources, the
// CloudTrail events that explain it. A modified or unverifiable baseline
// is an error; what either side could not read is NOT_EVALUATED.
func Drift(ctx context.Context, r *Run, in DriftInput) (*reports.DriftReport, error) {
	rep, _, err := r.drift(ctx, in, true)
	return rep, err
}

// drift is Drift that also returns the comparison; warnUnused says
// whether suppressions that match no drift finding are worth a warning
// (not when the drift joins a scan, whose findings they may match).
func (r *Run) drift(ctx context.Context, in DriftInput, warnUnused bool) (*reports.DriftReport, *driftRun, error) {
	d, err := r.compare(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	rep := &reports.DriftReport{Header: r.header(reports.KindDrift, d.src.account()), Baseline: baselineInfo(in.Baseline, d.base, d.integ)}
	if in.Trail.Given() {
		tr, err := r.attribute(ctx, &in.Trail, d)
		if err != nil {
			return nil, nil, err
		}
		rep.Trail = tr
	}
	reg, err := Registry(r.contract())
	if err != nil {
		return nil, nil, err
	}
	fs, err := baseline.Findings(d.items, reg)
	if err != nil {
		return nil, nil, err
	}
	r.applySuppressions(fs, warnUnused)
	rep.Findings = fs
	rep.CoverageGaps = d.gaps
	rep.Summary = finding.Summarize(fs)
	rep.Outcome = reports.NewOutcome(fs, len(rep.CoverageGaps), r.FailOn)
	rep.Items = len(fs)
	return rep, d, nil
}

// driftFindings is drift for scan --baseline: the findings and gaps only.
func (r *Run) driftFindings(ctx context.Context, file string, key ed25519.PublicKey, src Source) ([]finding.Finding, []inventory.Gap, *reports.DriftBaseline, error) {
	d, err := r.compare(ctx, DriftInput{Source: src, Baseline: file, VerifyKey: key})
	if err != nil {
		return nil, nil, nil, err
	}
	reg, err := Registry(r.contract())
	if err != nil {
		return nil, nil, nil, err
	}
	fs, err := baseline.Findings(d.items, reg)
	if err != nil {
		return nil, nil, nil, err
	}
	info := baselineInfo(file, d.base, d.integ)
	return fs, d.baseGaps, &info, nil
}

func baselineInfo(file string, b *baseline.Baseline, integ baseline.Integrity) reports.DriftBaseline {
	return reports.DriftBaseline{File: file, SavedAt: b.SavedAt, SavedBy: b.Tool + " " + b.Version, Account: b.State.AccountID,
		CapturedAt: b.State.CapturedAt, Contract: b.Contract.Name, ContractSHA256: b.Contract.SHA256, Complete: b.Complete,
		ContentSHA256: integ.ContentSHA256, Signature: integ.Signature, KeyID: integ.KeyID, Previous: b.Previous}
}

// attribute replays the trail keeping every IAM change and names, for each
// item, the events that explain it.
func (r *Run) attribute(ctx context.Context, src *TrailSources, d *driftRun) (*reports.DriftTrail, error) {
	expect, err := Expectations(r.contract(), TrailOverrides{})
	if err != nil {
		return nil, err
	}
	w := d.window()
	// Read the window (and a little before, for the sessions that made
	// the changes) unless the user bounded the trail.
	s := *src
	if s.Since.IsZero() && !w.From.IsZero() {
		s.Since = w.From.Add(-12 * time.Hour)
	}
	rp, err := r.replayWith(ctx, &s, expect, true)
	if err != nil {
		return nil, err
	}
	d.gaps = append(d.gaps, rp.gaps...)
	events := eventsOf(rp.res, expect)
	explained, unexplained := baseline.Attribute(d.items, events, w)
	st := rp.res.Stats
	r.log().Info("drift attributed to CloudTrail", "events", len(events), "explained", explained, "unexplained", unexplained)
	return &reports.DriftTrail{Sources: src.Describe(), FilesRead: st.Files, FilesUnread: st.FilesUnread, Undecodable: st.Undecodable,
		LookupRequests: st.LookupRequests, Events: len(events), From: w.From, To: w.To, Explained: explained, Unexplained: unexplained}, nil
}

// eventsOf turns the replay's IAM changes into attribution events, each
// marked when it was made under a provider session.
func eventsOf(res *trail.Result, expect trail.Expectations) []baseline.Event {
	byEvent := map[string]*trail.Session{}
	for _, s := range res.Sessions {
		for i := range s.Calls {
			if id := s.Calls[i].EventID; id != "" {
				byEvent[id] = s
			}
		}
	}
	out := make([]baseline.Event, 0, len(res.Changes))
	for _, rec := range res.Changes {
		ev := baseline.Event{Time: rec.EventTime, EventID: rec.EventID, EventSource: rec.EventSource, EventName: rec.EventName,
			Principal: rec.Identity.ARN, AccountID: rec.Identity.AccountID, Session: rec.Identity.AccessKeyID, SourceIP: rec.SourceIP,
			Region: rec.Region, UserAgent: rec.UserAgent, ErrorCode: rec.ErrorCode, Origin: rec.Origin,
			RoleName: rec.RoleName, UserName: rec.UserName, GroupName: rec.GroupName, PolicyARN: rec.PolicyARN, PolicyName: rec.PolicyName,
			Conflicting: rec.Conflicting}
		if ev.UserName == "" && rec.EventName == "CreateAccessKey" && rec.Identity.Type == "IAMUser" {
			ev.UserName = rec.Identity.UserName // a user creating its own key
		}
		if ev.RoleName == "" && rec.CreatedRoleARN != "" {
			ev.RoleName = trail.RoleNameFromARN(rec.CreatedRoleARN)
		}
		if s := byEvent[rec.EventID]; s != nil && rec.EventID != "" {
			ev.ProviderSession, ev.ProviderAssumer = s.ID, s.Assumer.AccountID
		} else if role := sessionRoleOf(rec.Identity); role != "" && expect.MatchRole(role) {
			ev.ProviderSession = "orphan-" + rec.Identity.AccessKeyID
		}
		out = append(out, ev)
	}
	return out
}

// sessionRoleOf is the role a call was made under, "" when the caller is
// not an assumed role.
func sessionRoleOf(id trail.Identity) string {
	if n := trail.RoleNameFromARN(id.IssuerARN); n != "" {
		return n
	}
	return trail.RoleNameFromARN(id.ARN)
}
