package audit

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/reports"
)

// ProbeInput is what `pvaudit probe` proves.
type ProbeInput struct {
	Source Source
	// Engine names the engines for the report: local, aws or both.
	Engine string
	// Local asks pvaudit's evaluator (over the snapshot); Remote, when set,
	// decides too (AWS's policy simulator). At least one of them.
	Local  bool
	Remote probes.Engine
	// Vars set template variables (--var); each must be known to the
	// contract.
	Vars map[string]string
	// NoGenerated leaves out the generated escalation and isolation probes.
	NoGenerated bool
}

// Probe turns every scenario row of the contract (and, unless told not
// to, the generated escalation and isolation probes) into requests, decides
// them with the engines and compares each decision with the promise.
func Probe(ctx context.Context, r *Run, in ProbeInput) (*reports.ProbeReport, error) {
	c := r.contract()
	var unknown []string
	for name := range in.Vars {
		if !c.KnownVariable(name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("--var %s: no such template variable in contract %s (built-ins: account, region, node, other_node, … and the contract parameters; or a row's vars)",
			strings.Join(unknown, ", "), c.Name)
	}
	if !in.Local && in.Remote == nil {
		return nil, fmt.Errorf("probe: no engine")
	}
	snap := in.Source.Snapshot
	env := checks.NewEnv(snap, c, r.now())
	ps := probes.Expand(env, c, probes.Options{Vars: in.Vars, NoGenerated: in.NoGenerated})
	r.log().Info("probing", "probes", len(ps), "engine", in.Engine)
	var local probes.Engine
	if in.Local {
		local = probes.NewLocal(snap, env.PrincipalQuestion)
	}
	rs, err := probes.Run(ctx, ps, local, in.Remote)
	if err != nil {
		return nil, err
	}
	failClosedProbeRows(rs, snap.Gaps)
	fs := probes.Findings(rs)
	if reg, err := Registry(c); err == nil {
		failClosedOnGaps(fs, snap.Gaps, reg)
	} else {
		return nil, err
	}
	r.suppress(fs)
	return &reports.ProbeReport{
		Header:         r.header(reports.KindProbe, in.Source.account()),
		Outcome:        reports.NewOutcome(fs, len(snap.Gaps), r.FailOn),
		Engine:         in.Engine,
		Summary:        probes.Summarize(rs),
		FindingSummary: finding.Summarize(fs),
		CoverageGaps:   snap.Gaps,
		Results:        rs,
		Findings:       fs,
	}, nil
}
