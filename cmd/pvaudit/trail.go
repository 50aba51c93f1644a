package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/trail"
)

// overrideFlags override what the contract promises about the provider's
// sessions.
type overrideFlags struct {
	fs         *pflag.FlagSet
	roles      []string
	accounts   []string
	principals []string
	requireExt bool
	maxSession time.Duration
}

func (o *overrideFlags) register(f *pflag.FlagSet) {
	o.fs = f
	f.StringSliceVar(&o.roles, "role", nil, "role name glob(s) to replay (default: the contract's cross-account role name pattern)")
	f.StringSliceVar(&o.accounts, "trusted-account", nil, "account(s) allowed to assume the role, besides the contract's provisioner (--provisioner-account)")
	f.StringSliceVar(&o.principals, "trusted-principal", nil, "principal ARN(s) allowed to assume the role (glob; arn:aws:iam::ACCOUNT:root means the whole account)")
	f.BoolVar(&o.requireExt, "require-external-id", false, "report sessions opened without an ExternalId (default: the contract's require_external_id)")
	f.DurationVar(&o.maxSession, "max-session", 0, "promised maximum session length (default: the contract's max_session_duration)")
}

func (o *overrideFlags) overrides() audit.TrailOverrides {
	out := audit.TrailOverrides{Roles: o.roles, TrustedAccounts: o.accounts, TrustedPrincipals: o.principals}
	if o.fs.Changed("require-external-id") {
		out.RequireExternalID = &o.requireExt
	}
	if o.fs.Changed("max-session") {
		out.MaxSession = &o.maxSession
	}
	return out
}

type trailOpts struct {
	src    trailFlags
	exp    overrideFlags
	ct     contractFlags
	out    outputFlags
	failOn failOnFlag
	aws    awsOpts
}

func (o *trailOpts) register(f *pflag.FlagSet, kind reports.Kind) {
	o.src.register(f, "")
	o.exp.register(f)
	o.ct.register(f, false, true)
	o.out.register(f, kind, "table")
	o.failOn.register(f)
	o.aws.register(f)
}

// inputs validates the flags and builds the replay input.
func (o *trailOpts) inputs(cmd *cobra.Command, a *app) (*audit.Run, audit.ReplayInput, error) {
	var in audit.ReplayInput
	if !o.src.given() {
		return nil, in, usageErr("%w", trail.ErrNoInput)
	}
	if err := firstErr(o.failOn.validate(), o.out.validate(), o.aws.validate()); err != nil {
		return nil, in, err
	}
	cfg, err := o.ct.resolve()
	if err != nil {
		return nil, in, err
	}
	if in.Sources, err = o.src.sources(a, cmd.InOrStdin()); err != nil {
		return nil, in, err
	}
	if o.src.lookup {
		if in.Sources.Lookup, err = lookupClients(cmd.Context(), a, &o.aws, o.src.regions); err != nil {
			return nil, in, err
		}
		in.Sources.LookupRetryFor = a.callTimeout()
	}
	if err := o.src.liveDigestKeys(cmd.Context(), a, &o.aws, &in.Sources); err != nil {
		return nil, in, err
	}
	in.Overrides = o.exp.overrides()
	return a.run("trail "+cmd.Name(), cfg, o.failOn.sev), in, nil
}

// lookupClients builds a LookupEvents client per region: the given ones,
// else --region, else us-east-1 (where IAM and global STS events live).
func lookupClients(ctx context.Context, a *app, ao *awsOpts, regions []string) ([]trail.RegionalAPI, error) {
	cfg, err := ao.config(ctx, a)
	if err != nil {
		return nil, err
	}
	switch {
	case len(regions) > 0:
	case ao.region != "":
		regions = []string{ao.region}
	default:
		regions = []string{"us-east-1"}
	}
	apis := make([]trail.RegionalAPI, 0, len(regions))
	for _, r := range regions {
		apis = append(apis, trail.RegionalAPI{Region: r, API: cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = r })})
	}
	return apis, nil
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
an unreadable file or record, or a finding that could not be evaluated.`,
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
			run, in, err := o.inputs(cmd, a)
			if err != nil {
				return err
			}
			rep, err := audit.Sessions(cmd.Context(), run, in)
			if err != nil {
				return err
			}
			return o.out.finish(a, rep)
		},
	}
	o.register(cmd.Flags(), reports.KindTrailSessions)
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
			run, in, err := o.inputs(cmd, a)
			if err != nil {
				return err
			}
			rep, err := audit.Session(cmd.Context(), run, in, args[0])
			if err != nil {
				return err
			}
			return o.out.finish(a, rep)
		},
	}
	o.register(cmd.Flags(), reports.KindTrailSession)
	return cmd
}
