package main

import (
	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/reports"
)

type scanOpts struct {
	src        sourceOpts
	trail      trailFlags
	ct         contractFlags
	out        outputFlags
	runs       runDirFlags
	failOn     failOnFlag
	checks     []string
	skipChecks []string
	org        orgFlags
	baseline   string
	keys       keyFlags
	// baselineDir holds each account's baseline as <account-id>.json
	// (--org, --accounts).
	baselineDir string
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
findings (TRAIL-…) join the report. With --baseline FILE the drift findings
(DRIFT-…) against that approved state join it too (pvaudit drift attributes them).

Exit codes: 0 clean; 1 a FAIL at or above --fail-on; 2 usage or runtime error,
or an incomplete scan (coverage gaps, ERROR or NOT_EVALUATED findings — also
when a suppression accepts them).`,
		Example: `  pvaudit scan --from testdata/accounts/sample.json
  pvaudit scan --profile audit -o table -o json=report.json
  pvaudit scan --from account.json --fail-on critical
  pvaudit scan --from evidence.zip                      # re-analyse an evidence bundle
  pvaudit scan --profile audit --output-dir /var/lib/pvaudit --keep 30 -q
  pvaudit scan --from account.json --trail-dir ./AWSLogs --trail-since 2026-01-01 --provisioner-account 941377122013
  pvaudit scan --org --audit-role-name pvaudit-audit --external-id "$EXT" --fleet --resume org.state -o json=org.json --org-output-dir out/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.org.given() {
				return runOrgScan(cmd, a, o)
			}
			if o.baselineDir != "" {
				return usageErr("--baseline-dir is for --org/--accounts; one account takes --baseline FILE")
			}
			// flags → inputs
			o.src.awsWithFile = o.trail.lookup || o.trail.keysLive || o.trail.query.given() // --from FILE --trail-lookup --profile P reads the trail live
			if err := firstErr(o.src.validate(), o.failOn.validate(), o.out.validate(), o.runs.validate(reports.KindScan)); err != nil {
				return err
			}
			in := audit.ScanInput{Checks: o.checks, SkipChecks: o.skipChecks, Baseline: o.baseline}
			bundle, err := o.src.bundle()
			if err != nil {
				return err
			}
			cfg, err := o.ct.resolveFor(bundle)
			if err != nil {
				return err
			}
			if bundle != nil {
				in.ProviderCreated = bundle.ProviderCreated
				if !o.trail.given() {
					in.Gaps = bundle.Gaps
				}
			}
			if in.BaselineKey, err = o.keys.verifyKey(); err != nil {
				return err
			}
			if o.trail.given() {
				if in.Trail, err = o.trailSources(cmd, a); err != nil {
					return err
				}
			}
			if in.Source, err = o.src.load(cmd.Context(), a); err != nil {
				return err
			}
			// pipeline → writers → exit code
			rep, err := audit.Scan(cmd.Context(), a.run("scan", cfg, o.failOn.sev), in)
			if err != nil {
				return err
			}
			if o.runs.dir != "" {
				if err := o.runs.runDir().SinceLastRun(rep); err != nil {
					return err
				}
				if err := o.runs.publish(a, "scan", rep.GeneratedAt, rep); err != nil {
					return err
				}
			}
			return o.out.finish(a, rep)
		},
	}
	f := cmd.Flags()
	o.src.register(f)
	o.trail.register(f, "trail-")
	o.ct.register(f, true, true)
	o.out.register(f, reports.KindScan, "table")
	o.failOn.register(f)
	o.runs.register(f, true)
	f.StringSliceVar(&o.checks, "checks", nil, "run only these check IDs (comma-separated; see pvaudit checks list)")
	f.StringSliceVar(&o.skipChecks, "skip-checks", nil, "skip these check IDs (comma-separated)")
	o.org.register(f)
	f.StringVar(&o.baselineDir, "baseline-dir", "", "with --org/--accounts: compare each account with `DIR`/<account-id>.json (its approved baseline); the fleet view reports drift per tenant")
	f.StringVar(&o.baseline, "baseline", "", "also report drift (DRIFT-…) against this baseline `FILE` (see pvaudit baseline save)")
	o.keys.register(f, false, true)
	return cmd
}

// trailSources builds scan's CloudTrail sources, with live LookupEvents
// clients when --trail-lookup is given.
func (o *scanOpts) trailSources(cmd *cobra.Command, a *app) (audit.TrailSources, error) {
	src, err := o.trail.sources(a, cmd.InOrStdin())
	if err != nil {
		return src, err
	}
	if o.trail.lookup {
		if src.Lookup, err = lookupClients(cmd.Context(), a, &o.src.aws, o.trail.regions); err != nil {
			return src, err
		}
		src.LookupRetryFor = a.callTimeout()
	}
	return src, o.trail.liveDigestKeys(cmd.Context(), a, &o.src.aws, &src)
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
