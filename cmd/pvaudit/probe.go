package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/reports"
)

type probeOpts struct {
	src         sourceOpts
	ct          contractFlags
	out         outputFlags
	failOn      failOnFlag
	engine      string
	awsRate     float64
	vars        map[string]string
	noGenerated bool
}

func (o *probeOpts) validate() error {
	if err := firstErr(o.src.validate(), o.failOn.validate(), o.out.validate()); err != nil {
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
  pvaudit probe --profile audit --engine both --aws-rate 2 -o json=probes.json
  pvaudit probe --from account.json --contract par --var task_role=my-par-task-role`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			cfg, err := o.ct.resolve()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			in := audit.ProbeInput{Engine: o.engine, Vars: o.vars, NoGenerated: o.noGenerated}
			if in.Source, err = o.src.load(ctx, a); err != nil {
				return err
			}
			if o.engine != "aws" {
				in.Local = true
			}
			if o.engine != "local" {
				if in.Remote, err = o.awsEngine(ctx, a); err != nil {
					return err
				}
			}
			stop := func() {}
			if in.Remote != nil {
				stop = a.spinner("probing with iam:SimulatePrincipalPolicy…")
			}
			rep, err := audit.Probe(ctx, a.run("probe", cfg, o.failOn.sev), in)
			stop()
			if err != nil {
				return usageErr("%w", err)
			}
			return o.out.finish(a, rep)
		},
	}
	f := cmd.Flags()
	o.src.register(f)
	o.ct.register(f, true, true)
	o.out.register(f, reports.KindProbe, "table")
	o.failOn.register(f)
	f.StringVar(&o.engine, "engine", "local", "who decides: local (offline evaluator), aws (iam:SimulatePrincipalPolicy) or both")
	f.Float64Var(&o.awsRate, "aws-rate", 5, "most iam:SimulatePrincipalPolicy calls per second (halved on throttling)")
	f.StringToStringVar(&o.vars, "var", nil, "set a template variable, e.g. --var task_role=my-role (repeatable)")
	f.BoolVar(&o.noGenerated, "no-generated", false, "only the contract's scenario rows, not the generated escalation and isolation probes")
	return cmd
}

// awsEngine builds the simulator engine from the AWS flags.
func (o *probeOpts) awsEngine(ctx context.Context, a *app) (*probes.AWS, error) {
	cfg, err := o.src.aws.config(ctx, a)
	if err != nil {
		return nil, err
	}
	return &probes.AWS{
		API:      iam.NewFromConfig(cfg),
		Limiter:  rate.NewLimiter(rate.Limit(o.awsRate), 1),
		Log:      a.log,
		RetryFor: a.callTimeout(),
	}, nil
}
