package main

import (
	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/reports"
)

type rolesOpts struct {
	src sourceOpts
	ct  contractFlags
	out outputFlags
}

func newRolesCmd(a *app) *cobra.Command {
	o := &rolesOpts{}
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "List the account's roles: kind, boundary, trusted principals, last use, max session",
		Long: `roles is the quick first look: every IAM role with what the contract makes of it
(cross-account, child of a compute node, processor, PAR task or execution
role, legacy provider role, or other, and why — the same classification scan
uses), its permissions boundary, who may assume it, when it was last used and
its maximum session.

Exit codes: 0 the account was read completely; 2 usage or runtime error, or
coverage gaps.`,
		Example: `  pvaudit roles --from testdata/accounts/sample.json
  pvaudit roles --profile audit -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := firstErr(o.src.validate(), o.out.validate()); err != nil {
				return err
			}
			cfg, err := o.ct.resolve()
			if err != nil {
				return err
			}
			src, err := o.src.load(cmd.Context(), a)
			if err != nil {
				return err
			}
			return o.out.finish(a, audit.Roles(a.run("roles", cfg, finding.Info), src))
		},
	}
	o.src.register(cmd.Flags())
	o.ct.register(cmd.Flags(), true, false)
	o.out.register(cmd.Flags(), reports.KindRoles, "table")
	return cmd
}
