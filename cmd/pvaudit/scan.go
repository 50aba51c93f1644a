package main

import (
	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/reports"
)

type scanOpts struct {
	src        sourceOpts
	trail      trailSource
	ct         contractOpts
	output     string
	failOn     string
	checks     []string
	skipChecks []string

	failOnSev finding.Severity
	writer    reports.Writer
}

func (o *scanOpts) validate() error {
	o.src.awsWithFile = o.trail.lookup // --from FILE --trail-lookup --profile P reads the trail live
	if err := o.src.validate(); err != nil {
		return err
	}
	sev, err := finding.ParseSeverity(o.failOn)
	if err != nil {
		return usageErr("--fail-on: %w", err)
	}
	o.failOnSev = sev
	if o.trail.given() {
		if err := o.trail.validate(); err != nil {
			return err
		}
	}
	w, err := reports.ForFormat(o.output)
	if err != nil {
		return usageErr("-o: %w", err)
	}
	o.writer = w
	return nil
}

func newScanCmd(a *app) *cobra.Command {
	o := &scanOpts{}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Check the account against the contract's promises",
		Long: `scan reads the account (live and read-only, or --from a file), identifies the
cross-account role and the child roles created for compute nodes, and runs the
check catalogue. Every finding names the resource, the evidence and the fix.
A check that could not look reports ERROR, never PASS.

With --trail-dir, --trail-file or --trail-lookup, scan also replays CloudTrail:
every role created under a provider session on the cross-account role is a
child role whatever its name (and must carry the boundary), and the session
findings (TRAIL-…) join the report.

Exit codes: 0 clean; 1 a FAIL at or above --fail-on; 2 usage or runtime error,
or an incomplete scan (coverage gaps, ERROR or NOT_EVALUATED findings).`,
		Example: `  pvaudit scan --from testdata/accounts/sample.json
  pvaudit scan --profile audit -o json > report.json
  pvaudit scan --from account.json --fail-on critical
  pvaudit scan --from account.json --trail-dir ./AWSLogs --trail-since 2026-01-01 --provisioner-account 941377122013`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			c, _, err := o.ct.load()
			if err != nil {
				return err
			}
			cs, err := selectScanChecks(o.checks, o.skipChecks) // catalogue checks and probe findings (probe.go)
			if err != nil {
				return usageErr("%w", err)
			}
			snap, input, err := o.src.load(cmd.Context(), a)
			if err != nil {
				return err
			}
			var tev *trailEvidence
			var opts []checks.EnvOption
			if o.trail.given() {
				if tev, err = replayForScan(cmd.Context(), a, cmd.InOrStdin(), &o.trail, c, &o.src.aws, snap); err != nil {
					return err
				}
				opts = append(opts, tev.option)
				snap.Gaps = append(snap.Gaps, tev.gaps...)
			}
			env := checks.NewEnv(snap, c, a.now(), opts...)
			fs, err := cs.run(cmd.Context(), env)
			if err != nil {
				return err
			}
			if tev != nil {
				for _, f := range tev.findings {
					if cs.trail[f.CheckID] {
						fs = append(fs, f)
					}
				}
				finding.Sort(fs)
			}
			o.ct.applySuppressions(a, fs)
			rep := &reports.Report{
				Schema: reports.SchemaVersion, Tool: "pvaudit", Version: a.version,
				GeneratedAt: a.now().UTC().Truncate(1e9), Command: "scan", Contract: c.Name,
				Account:      reports.Account{ID: snap.AccountID, Source: snap.Source, Input: input, CapturedAt: snap.CapturedAt, CallerARN: snap.CallerARN},
				FailOn:       o.failOnSev.String(),
				Summary:      finding.Summarize(fs),
				CoverageGaps: snap.Gaps,
				Findings:     fs,
			}
			if tev != nil {
				rep.Trail = tev.summary
			}
			for _, rc := range env.Roles {
				rep.Roles = append(rep.Roles, reports.RoleSummary{Name: rc.Role.Name, ARN: rc.Role.ARN, Kind: string(rc.Kind), NodeID: rc.NodeID, Reasons: rc.Reasons})
			}
			rep.Complete = snap.Complete() && rep.Summary.Error == 0 && rep.Summary.NotEvaluated == 0
			if err := o.writer.Write(a.stdout, rep); err != nil {
				return err
			}
			return withCode(verdict(rep, o.failOnSev))
		},
	}
	f := cmd.Flags()
	o.src.register(f)
	o.trail.register(f, "trail-")
	o.ct.register(f)
	o.ct.registerSuppress(f)
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a FAIL has this severity or higher: info, low, medium, high, critical")
	f.StringSliceVar(&o.checks, "checks", nil, "run only these check IDs (comma-separated)")
	f.StringSliceVar(&o.skipChecks, "skip-checks", nil, "skip these check IDs (comma-separated)")
	return cmd
}

// verdict decides a report's exit code: 2 when anything could not be read or
// evaluated, 1 when an unsuppressed FAIL is at or above failOn, else 0.
func verdict(rep *reports.Report, failOn finding.Severity) int {
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
