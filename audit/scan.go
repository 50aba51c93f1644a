package audit

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/pvaudit/pvaudit/baseline"
	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/rules"
	"github.com/pvaudit/pvaudit/trail"
)

// ScanInput is what `pvaudit scan` examines.
type ScanInput struct {
	Source Source
	// Checks and SkipChecks select rule IDs of any source (--checks,
	// --skip-checks); empty Checks runs everything. Coverage gaps are
	// reported whatever they select.
	Checks, SkipChecks []string
	// Trail, when it names a source, replays CloudTrail: every role
	// created under a provider session is a child role whatever its name,
	// and the session findings join the report.
	Trail TrailSources
	// ProviderCreated are roles known to be provider-created (role name →
	// evidence) without replaying CloudTrail here: an evidence bundle
	// records them, so re-analysing it classifies the same child roles.
	ProviderCreated map[string]string
	// Gaps are coverage gaps the caller knows of (a bundle exported with
	// CloudTrail re-analysed without it): the scan is incomplete.
	Gaps []inventory.Gap
	// Baseline, when set, is a baseline file: its drift findings (DRIFT-…)
	// join the report; BaselineKey, when set, must have signed it.
	Baseline    string
	BaselineKey ed25519.PublicKey
	// BaselineMissing, when set (and Baseline is not), says why drift was
	// asked of the account but no baseline exists for it: the report gets
	// a DRIFT-015 NOT_EVALUATED finding with this reason, so the account's
	// verdict is incomplete, never clean.
	BaselineMissing string

	// drift is drift already computed against Baseline (evidence export).
	drift *scanDrift
}

// Scan runs the check catalogue, the probes (local engine) and, with
// trail sources, CloudTrail replay over one account, and returns the report
// with its verdict.
func Scan(ctx context.Context, r *Run, in ScanInput) (*reports.ScanReport, error) {
	rep, _, err := r.scan(ctx, in)
	return rep, err
}

// scan is Scan that also returns the CloudTrail replay (nil without
// trail sources), for the evidence bundle's sessions.
func (r *Run) scan(ctx context.Context, in ScanInput) (*reports.ScanReport, *replayed, error) {
	c := r.contract()
	reg, err := Registry(c)
	if err != nil {
		return nil, nil, err
	}
	sel, err := reg.Select(in.Checks, in.SkipChecks)
	if err != nil {
		return nil, nil, err
	}
	snap := in.Source.Snapshot
	rep := &reports.ScanReport{Header: r.header(reports.KindScan, in.Source.account())}
	rep.CoverageGaps = append(rep.CoverageGaps, snap.Gaps...)
	rep.CoverageGaps = append(rep.CoverageGaps, in.Gaps...)

	var trailFindings []finding.Finding
	var rp *replayed
	created := map[string]string{}
	for k, v := range in.ProviderCreated {
		created[k] = v
	}
	if in.Trail.Given() {
		tr, err := r.scanTrail(ctx, &in.Trail, snap, rep)
		if err != nil {
			return nil, nil, err
		}
		for k, v := range tr.created {
			created[k] = v
		}
		trailFindings = tr.findings
		rp = tr.replay
	}
	var opts []checks.EnvOption
	if len(created) > 0 {
		opts = append(opts, checks.WithProviderCreated(created))
	}
	env := checks.NewEnv(snap, c, r.now(), opts...)
	var cs []*checks.Check
	for _, chk := range checks.Catalogue() {
		if sel[chk.ID] {
			cs = append(cs, chk)
		}
	}
	fs := checks.Run(env, cs)
	pfs, err := scanProbes(ctx, env, reg, sel)
	if err != nil {
		return nil, nil, err
	}
	fs = append(fs, pfs...)
	for _, f := range trailFindings {
		if sel[f.CheckID] {
			fs = append(fs, f)
		}
	}
	if in.drift != nil || in.Baseline != "" {
		d := in.drift
		if d == nil {
			d = &scanDrift{}
			if d.findings, d.gaps, d.info, err = r.driftFindings(ctx, in.Baseline, in.BaselineKey, in.Source); err != nil {
				return nil, nil, err
			}
		}
		dfs, gaps, info := d.findings, d.gaps, d.info
		for _, f := range dfs {
			if sel[f.CheckID] {
				fs = append(fs, f)
			}
		}
		rep.CoverageGaps = append(rep.CoverageGaps, gaps...)
		rep.Baseline = info
	} else if in.BaselineMissing != "" && sel[baseline.RuleNotEvaluated] {
		f, err := missingBaseline(reg, snap.AccountID, in.BaselineMissing)
		if err != nil {
			return nil, nil, err
		}
		fs = append(fs, f)
	}
	failClosedOnGaps(fs, snap.Gaps, reg)
	finding.Sort(fs)
	r.suppress(fs)
	rep.Findings = fs
	rep.Summary = finding.Summarize(fs)
	rep.Outcome = reports.NewOutcome(fs, len(rep.CoverageGaps), r.FailOn)
	rep.RulesEvaluated = evaluated(reg, sel, in.Trail.Given(), in.drift != nil || in.Baseline != "" || in.BaselineMissing != "")
	for _, rc := range env.Roles {
		rep.Roles = append(rep.Roles, reports.RoleSummary{Name: rc.Role.Name, ARN: rc.Role.ARN, Kind: string(rc.Kind), NodeID: rc.NodeID, Reasons: rc.Reasons})
	}
	return rep, rp, nil
}

// scanProbes decides the selected probe checks with the local engine.
// Isolation probes (every pair of nodes) are decided node by node so that
// a large account does not hold them all at once.
func scanProbes(ctx context.Context, env *checks.Env, reg *rules.Registry, sel map[string]bool) ([]finding.Finding, error) {
	want := map[string]bool{}
	for id := range sel {
		if reg.Source(id) == rules.SourceProbe {
			want[id] = true
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	local := probes.NewLocal(env.Snap, env.PrincipalQuestion)
	ps := probes.Expand(env, env.Contract, probes.Options{NoIsolation: true})
	rs, err := probes.Run(ctx, ps, local, nil)
	if err != nil {
		return nil, err
	}
	pfs := probes.Findings(rs)
	if want[probes.CheckIsolation] {
		ifs, err := probes.IsolationFindings(ctx, env, env.Contract, probes.Options{}, local)
		if err != nil {
			return nil, err
		}
		pfs = append(pfs, ifs...)
	}
	var out []finding.Finding
	for _, f := range pfs {
		if want[f.CheckID] {
			out = append(out, f)
		}
	}
	return out, nil
}

// scanTrailResult is what CloudTrail replay adds to a scan.
type scanTrailResult struct {
	created  map[string]string // role name → evidence
	findings []finding.Finding
	replay   *replayed
}

// scanTrail replays the trail sources with the contract's expectations and
// fills the report's trail summary and coverage gaps.
func (r *Run) scanTrail(ctx context.Context, src *TrailSources, snap *inventory.Snapshot, rep *reports.ScanReport) (*scanTrailResult, error) {
	expect, err := Expectations(r.contract(), TrailOverrides{})
	if err != nil {
		return nil, err
	}
	rp, err := r.replay(ctx, src, expect)
	if err != nil {
		return nil, err
	}
	rep.CoverageGaps = append(rep.CoverageGaps, rp.gaps...)
	st := rp.res.Stats
	sum := &reports.TrailSummary{Sources: src.Describe(), FilesRead: st.Files, FilesUnread: st.FilesUnread, Undecodable: st.Undecodable,
		LookupRequests: st.LookupRequests, Sessions: len(rp.res.Sessions), ProviderCreated: []reports.ProviderCreatedRole{}, Queries: st.Queries}
	out := &scanTrailResult{created: map[string]string{}, findings: rp.res.Findings, replay: rp}
	for _, cr := range trail.ProviderCreations(rp.res.Sessions) {
		out.created[cr.RoleName] = fmt.Sprintf("CreateRole under session %s at %s", cr.SessionID, cr.Time.UTC().Format(time.RFC3339))
		sum.ProviderCreated = append(sum.ProviderCreated, reports.ProviderCreatedRole{Role: cr.RoleName,
			Session: cr.SessionID, Time: cr.Time.UTC(), EventID: cr.EventID, Boundary: cr.Boundary, InAccount: snap.Role(cr.RoleName) != nil})
	}
	rep.Trail = sum
	r.log().Info("CloudTrail replayed for child-role identification", "sessions", len(rp.res.Sessions), "provider_created", len(out.created))
	return out, nil
}

// evaluated lists the selected rules a scan really ran: the catalogue and
// the local-engine probe checks, the CloudTrail checks only with CloudTrail
// input and the drift rules only with a baseline. PV-PRB-004 (engines
// disagree) needs two engines, which scan never has.
func evaluated(reg *rules.Registry, sel map[string]bool, trail, drift bool) []string {
	var out []string
	for _, x := range reg.All() {
		if !sel[x.ID] {
			continue
		}
		switch {
		case x.Source == rules.SourceTrail && !trail:
		case x.ID == probes.CheckDisagree:
		case x.Source == rules.SourceDrift && !drift:
		default:
			out = append(out, x.ID)
		}
	}
	return out
}

// missingBaseline is the DRIFT-015 finding of an account drift was asked
// of but that has no baseline.
func missingBaseline(reg *rules.Registry, account, why string) (finding.Finding, error) {
	rule, ok := reg.Get(baseline.RuleNotEvaluated)
	if !ok {
		return finding.Finding{}, fmt.Errorf("rule %s is not registered", baseline.RuleNotEvaluated)
	}
	f := finding.Finding{Severity: finding.High, Status: finding.NotEvaluated, Resource: account, Key: "baseline:missing",
		Message:  "drift not evaluated: " + why,
		Evidence: map[string]any{"kind": "not-evaluated", "subject": "account", "summary": why}}
	rule.Apply(&f)
	return f, nil
}
