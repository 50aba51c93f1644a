package main

import (
	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/rules/controls"
)

func newControlsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "controls",
		Short:   "Show the HIPAA / NIST controls pvaudit's rules evidence",
		Example: "  pvaudit controls list --framework hipaa\n  pvaudit controls list --framework nist-800-53 --from testdata/accounts/sample.json",
	}
	type opts struct {
		src       sourceOpts
		ct        contractFlags
		out       outputFlags
		failOn    failOnFlag
		framework string
	}
	o := &opts{}
	list := &cobra.Command{
		Use:   "list",
		Short: "List a framework's controls, the rules that evidence each, and (with an account) their status",
		Long: `list shows every control of --framework (hipaa: HIPAA Security Rule 164.308 and
164.312; nist-800-53: NIST SP 800-53 rev. 5; nist-800-171: NIST SP 800-171 rev. 2)
that some rule maps to, with its title and rules. With --from FILE (or AWS flags
and --live) the account is scanned and each control gets a status: PASS only when
every rule mapped to it ran, with no coverage gap, and found nothing wrong;
NOT_EVALUATED says which rules did not run and why.

Exit codes: 0 for the catalogue; with a scan, as scan.`,
		Example: `  pvaudit controls list --framework hipaa
  pvaudit controls list --framework nist-800-171 --from testdata/accounts/sample.json
  pvaudit controls list --framework nist-800-53 -o csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := firstErr(o.src.validate(), o.out.validate(), o.failOn.validate()); err != nil {
				return err
			}
			cat, err := controls.Load()
			if err != nil {
				return err
			}
			if _, err := cat.Framework(o.framework); err != nil {
				return usageErr("--framework: %w", err)
			}
			live, _ := cmd.Flags().GetBool("live")
			var in *audit.ScanInput
			bundle, err := o.src.bundle()
			if err != nil {
				return err
			}
			cfg, err := o.ct.resolveFor(bundle)
			if err != nil {
				return err
			}
			if o.src.from != "" || live {
				in = &audit.ScanInput{}
				if in.Source, err = o.src.load(cmd.Context(), a); err != nil {
					return err
				}
				if bundle != nil {
					in.ProviderCreated, in.Gaps = bundle.ProviderCreated, bundle.Gaps
				}
			}
			rep, err := audit.Controls(cmd.Context(), a.run("controls list", cfg, o.failOn.sev), o.framework, in)
			if err != nil {
				return err
			}
			if in == nil {
				return o.out.write(a, rep)
			}
			return o.out.finish(a, rep)
		},
	}
	f := list.Flags()
	o.src.register(f)
	o.ct.register(f, true, true)
	o.out.register(f, reports.KindControls, "table")
	o.failOn.register(f)
	f.StringVar(&o.framework, "framework", "hipaa", "hipaa, nist-800-53 or nist-800-171")
	f.Bool("live", false, "scan the live account (AWS flags) to show each control's status")
	cmd.AddCommand(list)
	return cmd
}
