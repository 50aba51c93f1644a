package main

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/trail"
)

type probeOpts struct {
	src         sourceOpts
	ct          contractOpts
	output      string
	engine      string
	awsRate     float64
	vars        map[string]string
	failOn      string
	noGenerated bool

	failOnSev finding.Severity
}

func (o *probeOpts) validate() error {
	if err := o.src.validate(); err != nil {
		return err
	}
	switch o.engine {
	case "local":
	case "aws", "both":
		if o.src.from != "" {
			return usageErr("--engine %s simulates the live account's principals; it cannot be combined with --from", o.engine)
		}
	default:
		return usageErr("--engine %q: want local, aws or both", o.engine)
	}
	if o.awsRate <= 0 {
		return usageErr("--aws-rate must be positive (calls per second), got %v", o.awsRate)
	}
	switch o.output {
	case "table", "json":
	default:
		return usageErr("-o: unknown output format %q (want json, table)", o.output)
	}
	sev, err := finding.ParseSeverity(o.failOn)
	if err != nil {
		return usageErr("--fail-on: %w", err)
	}
	o.failOnSev = sev
	return nil
}

func newProbeCmd(a *app) *cobra.Command {
	o := &probeOpts{}
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Prove each documented scenario (\"… → Blocked\") against the account's real policies",
		Long: `probe turns every row of the contract's scenario tables into concrete IAM
requests — who acts (the cross-account role, each child role, processor roles,
a named role), what they try, the promised outcome — and decides each one:

  --engine local  pvaudit's evaluator over the account's policies (offline)
  --engine aws    AWS's policy simulator, iam:SimulatePrincipalPolicy (live)
  --engine both   both; a disagreement between them is itself a finding

It also generates escalation probes for the cross-account role (rewriting a
boundary policy, creating a role with a boundary it made itself, changing
the customer's roles, passing an uncapped role) and, for each pair of compute
nodes, node A's roles against node B's resources.

Every row shows the document's sentence it proves; failing rows show the
statement that allowed the request. Template variables (${account}, ${node},
${package_bucket} …) can be set with --var NAME=VALUE.

Exit codes: 0 every promise holds; 1 a FAIL at or above --fail-on; 2 usage or
runtime error, or a probe that could not be evaluated.`,
		Example: `  pvaudit probe --from testdata/accounts/sample.json
  pvaudit probe --profile audit --engine both --aws-rate 2 -o json > probes.json
  pvaudit probe --from account.json --contract par --var task_role=my-par-task-role`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			c, _, err := o.ct.load()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			snap, input, err := o.src.load(ctx, a)
			if err != nil {
				return err
			}
			env := checks.NewEnv(snap, c, a.now())
			ps := probes.Expand(env, c, probes.Options{Vars: o.vars, NoGenerated: o.noGenerated})
			var local, remote probes.Engine
			if o.engine != "aws" {
				local = probes.NewLocal(snap)
			}
			if o.engine != "local" {
				remote, err = o.awsEngine(ctx, a)
				if err != nil {
					return err
				}
			}
			a.log.Info("probing", "probes", len(ps), "engine", o.engine)
			rs, err := probes.Run(ctx, ps, local, remote)
			if err != nil {
				return err
			}
			rep := &probes.Report{
				Schema: probes.ReportSchema, Tool: "pvaudit", Version: a.version,
				GeneratedAt: a.now().UTC().Truncate(1e9), Contract: c.Name, Engine: o.engine,
				Account:      reports.Account{ID: snap.AccountID, Source: snap.Source, Input: input, CapturedAt: snap.CapturedAt, CallerARN: snap.CallerARN},
				FailOn:       o.failOnSev.String(),
				Summary:      probes.Summarize(rs),
				CoverageGaps: snap.Gaps,
				Results:      rs,
				Findings:     probes.Findings(rs),
			}
			o.ct.applySuppressions(a, rep.Findings)
			rep.Complete = snap.Complete() && rep.Summary.NotEvaluated == 0
			write := probes.WriteTable
			if o.output == "json" {
				write = probes.WriteJSON
			}
			if err := write(a.stdout, rep); err != nil {
				return err
			}
			return withCode(probeVerdict(rep, o.failOnSev))
		},
	}
	f := cmd.Flags()
	o.src.register(f)
	o.ct.register(f)
	o.ct.registerSuppress(f)
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.StringVar(&o.engine, "engine", "local", "who decides: local (offline evaluator), aws (iam:SimulatePrincipalPolicy) or both")
	f.Float64Var(&o.awsRate, "aws-rate", 5, "most iam:SimulatePrincipalPolicy calls per second (halved on throttling)")
	f.StringToStringVar(&o.vars, "var", nil, "set a template variable, e.g. --var task_role=my-role (repeatable)")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a FAIL has this severity or higher: info, low, medium, high, critical")
	f.BoolVar(&o.noGenerated, "no-generated", false, "only the contract's scenario rows, not the generated escalation and isolation probes")
	return cmd
}

// awsEngine builds the simulator engine from the AWS flags.
func (o *probeOpts) awsEngine(ctx context.Context, a *app) (*probes.AWS, error) {
	cfg, err := o.src.aws.config(ctx)
	if err != nil {
		return nil, err
	}
	return &probes.AWS{
		API:     iam.NewFromConfig(cfg),
		Limiter: rate.NewLimiter(rate.Limit(o.awsRate), 1),
		Log:     a.log,
	}, nil
}

// probeVerdict decides the probe command's exit code like scan's: 2 when
// anything could not be evaluated, 1 when a FAIL (or an engine
// disagreement) is at or above failOn, else 0.
func probeVerdict(rep *probes.Report, failOn finding.Severity) int {
	if !rep.Complete {
		return exitError
	}
	for _, f := range rep.Findings {
		if f.Status == finding.Fail && f.Suppressed == nil && f.Severity >= failOn {
			return exitFindings
		}
	}
	return exitClean
}

// scanSelection is what --checks/--skip-checks choose for scan: checks
// from the catalogue and probe check IDs (PV-PRB-…), whose findings come
// from the probes run with the local engine.
type scanSelection struct {
	checks []*checks.Check
	probes map[string]bool
	trail  map[string]bool // TRAIL-… findings kept when scan replays CloudTrail
}

// selectScanChecks splits the IDs between the catalogue and the probes.
func selectScanChecks(include, skip []string) (*scanSelection, error) {
	kind := map[string]string{}
	for _, id := range probes.CheckIDs() {
		kind[id] = "probe"
	}
	for _, id := range trail.CheckIDs() {
		kind[id] = "trail"
	}
	split := func(ids []string) (cat, prb, trl []string) {
		for _, id := range ids {
			switch up := strings.ToUpper(id); kind[up] {
			case "probe":
				prb = append(prb, up)
			case "trail":
				trl = append(trl, up)
			default:
				cat = append(cat, id)
			}
		}
		return cat, prb, trl
	}
	incCat, incPrb, incTrl := split(include)
	skipCat, skipPrb, skipTrl := split(skip)
	sel := &scanSelection{probes: map[string]bool{}, trail: map[string]bool{}}
	if len(include) == 0 || len(incCat) > 0 {
		cs, err := checks.Select(checks.Catalogue(), incCat, skipCat)
		if err != nil {
			return nil, err
		}
		sel.checks = cs
	}
	if len(include) == 0 {
		incPrb, incTrl = probes.CheckIDs(), trail.CheckIDs()
	}
	for _, id := range incPrb {
		sel.probes[id] = true
	}
	for _, id := range skipPrb {
		delete(sel.probes, id)
	}
	for _, id := range incTrl {
		sel.trail[id] = true
	}
	for _, id := range skipTrl {
		delete(sel.trail, id)
	}
	return sel, nil
}

// run runs the selected checks and probes (local engine) and returns the
// findings, sorted.
func (s *scanSelection) run(ctx context.Context, env *checks.Env) ([]finding.Finding, error) {
	fs := checks.Run(env, s.checks)
	if len(s.probes) == 0 {
		return fs, nil
	}
	// Isolation probes (every pair of nodes) are decided node by node so
	// that a large account does not hold them all at once.
	local := probes.NewLocal(env.Snap)
	ps := probes.Expand(env, env.Contract, probes.Options{NoIsolation: true})
	rs, err := probes.Run(ctx, ps, local, nil)
	if err != nil {
		return nil, err
	}
	pfs := probes.Findings(rs)
	if s.probes[probes.CheckIsolation] {
		ifs, err := probes.IsolationFindings(ctx, env, env.Contract, probes.Options{}, local)
		if err != nil {
			return nil, err
		}
		pfs = append(pfs, ifs...)
	}
	for _, f := range pfs {
		if s.probes[f.CheckID] {
			fs = append(fs, f)
		}
	}
	finding.Sort(fs)
	return fs, nil
}
