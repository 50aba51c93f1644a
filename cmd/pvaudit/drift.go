package main

import (
	"context"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/reports"
)

type driftOpts struct {
	src    sourceOpts
	trail  trailFlags
	ct     contractFlags
	out    outputFlags
	runs   runDirFlags
	failOn failOnFlag
	keys   keyFlags
	file   string
}

func newDriftCmd(a *app) *cobra.Command {
	o := &driftOpts{}
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Compare the account with an approved baseline: what changed, whether it widened access, who did it",
		Long: `drift reads the account (live and read-only, or --from a file) and compares it
with the approved state in --baseline FILE. Every deviation is a DRIFT-… finding
with its before and after (a diff of the canonical documents) and its effect on
access, found by evaluating representative requests before and after the change:
a removed boundary, trust given to another account or a newly allowed IAM
mutation is critical; a change that only narrows access is info. Cosmetic
rewrites (statement order, a string for a one-element list, URL-encoding, key
order, whitespace, Sids) are not drift.

With --trail-dir, --trail-file or --trail-lookup, each item names the CloudTrail
events that explain it (who, when, from where, under which session); an item no
event explains is flagged, and a change made under the provider's cross-account
session says so.

Exit codes: 0 no drift at or above --fail-on; 1 drift at or above --fail-on;
2 usage or runtime error, a baseline that fails its check, or an incomplete
comparison (either side could not read part of the account: drift there is
NOT_EVALUATED, never "no drift").`,
		Example: `  pvaudit drift --from account.json --baseline approved.json
  pvaudit drift --profile audit --baseline approved.json --trail-lookup -o table -o json=drift.json
  pvaudit drift --from account.json --baseline approved.json --verify-key baseline.pub --fail-on critical
  pvaudit drift --profile audit --baseline approved.json --verify-key baseline.pub --output-dir /var/lib/pvaudit --keep 30 -q`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defer lessGC()()
			o.src.awsWithFile = o.trail.lookup || o.trail.keysLive
			if o.file == "" {
				return usageErr("--baseline FILE is required")
			}
			if err := firstErr(o.src.validate(), o.failOn.validate(), o.out.validate(), o.runs.validate(reports.KindDrift)); err != nil {
				return err
			}
			vk, err := o.keys.verifyKey()
			if err != nil {
				return err
			}
			bundle, err := o.src.bundle()
			if err != nil {
				return err
			}
			cfg, err := o.ct.resolveFor(bundle) // a bundle's own contract, as scan takes it
			if err != nil {
				return err
			}
			in := audit.DriftInput{Baseline: o.file, VerifyKey: vk,
				Load: func(ctx context.Context) (audit.Source, error) { return o.src.load(ctx, a) }}
			if o.trail.given() {
				// The same CloudTrail sources as scan (LookupEvents, digest keys).
				s := scanOpts{src: o.src, trail: o.trail}
				if in.Trail, err = s.trailSources(cmd, a); err != nil {
					return err
				}
			}
			rep, err := audit.Drift(cmd.Context(), a.run("drift", cfg, o.failOn.sev), in)
			if err != nil {
				return err
			}
			if o.runs.dir != "" {
				if err := o.runs.runDir().DriftSinceLastRun(rep); err != nil {
					return err
				}
				if err := o.runs.publish(a, "drift", rep.GeneratedAt, rep); err != nil {
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
	o.out.register(f, reports.KindDrift, "table")
	o.failOn.register(f)
	o.runs.register(f, true)
	o.keys.register(f, false, true)
	f.StringVar(&o.file, "baseline", "", "the approved baseline `FILE` (pvaudit baseline save)")
	return cmd
}

// lessGC makes the garbage collector run less often for the rest of a
// command that decodes two large files (drift, baseline save and update):
// the process is short-lived and decoding allocates a lot, so a heap
// allowed to grow to 5× the live data (GOGC=400) costs about twice the
// memory and saves about a third of the CPU (docs/performance.md). A GOGC
// the user set wins. The returned function restores the setting.
func lessGC() func() {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(400)
	return func() { debug.SetGCPercent(old) }
}
