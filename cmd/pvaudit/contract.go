package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/reports"
)

func newContractCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contract",
		Short: "List, show or start a contract (the promises, as data)",
		Long: `A contract is what a provider's document promises, as YAML: the cross-account
role's naming, trust, ExternalId and session length, the boundary pattern, the
allowed and forbidden services, how child, processor and PAR roles are
recognised and what they may do. Built-ins: pennsieve (default) and par.`,
		Example: `  pvaudit contract list
  pvaudit contract init > my-contract.yaml
  pvaudit scan --from account.json --contract my-contract.yaml`,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:     "list",
			Short:   "List the built-in contracts",
			Example: "  pvaudit contract list",
			Args:    cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				t := reports.NewTable(a.stdout, "NAME", "TITLE", "DOCUMENT")
				for _, n := range contract.Names() {
					c, err := contract.Load(n)
					if err != nil {
						return err
					}
					if err := t.Append([]string{c.Name, c.Title, c.Document}); err != nil {
						return err
					}
				}
				return t.Render()
			},
		},
		&cobra.Command{
			Use:     "show NAME|FILE",
			Short:   "Print a contract's YAML",
			Example: "  pvaudit contract show pennsieve\n  pvaudit contract show par",
			Args:    cobra.ExactArgs(1),
			RunE: func(_ *cobra.Command, args []string) error {
				b, err := contract.Builtin(args[0])
				if err != nil {
					if b, err = os.ReadFile(args[0]); err != nil {
						return usageErr("contract %q is neither a built-in (%s) nor a readable file", args[0], strings.Join(contract.Names(), ", "))
					}
					if _, err := contract.Parse(b, args[0]); err != nil {
						return usageErr("%w", err)
					}
				}
				_, err = a.stdout.Write(b)
				return err
			},
		},
		newContractInitCmd(a),
	)
	return cmd
}

func newContractInitCmd(a *app) *cobra.Command {
	from := "pennsieve"
	name := "my-contract"
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Print a contract to start from (a copy of a built-in)",
		Example: `  pvaudit contract init > my-contract.yaml
  pvaudit contract init --from par --name our-par > par.yaml
  pvaudit scan --contract my-contract.yaml`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b, err := contract.Builtin(from)
			if err != nil {
				return usageErr("--from: %w", err)
			}
			src := strings.Replace(string(b), "name: "+from+"\n", "name: "+name+"\n", 1)
			out := "# Contract " + name + ", started from the built-in " + from + " (pvaudit contract init).\n" +
				"# Set parameters (provisioner_account_id, external_id, workflow_bucket, …), tighten the rules,\n" +
				"# then: pvaudit scan --contract THIS_FILE\n" + src
			if _, err := contract.Parse([]byte(out), "init"); err != nil {
				return fmt.Errorf("generated contract does not load: %w", err)
			}
			_, err = io.WriteString(a.stdout, out)
			return err
		},
	}
	cmd.Flags().StringVar(&from, "from", from, "built-in to copy: "+strings.Join(contract.Names(), ", "))
	cmd.Flags().StringVar(&name, "name", name, "name of the new contract")
	return cmd
}

func newChecksCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "checks",
		Short:   "Show the check catalogue",
		Example: "  pvaudit checks list\n  pvaudit checks list -o json | jq '.checks[] | select(.severities | index(\"critical\")) | .id'",
	}
	var ct contractFlags
	var out outputFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List every check with its severities and control mappings",
		Long: `list shows every rule scan can report, from the one rule registry: the
catalogue (PV-…), the probe checks (PV-PRB-…, one finding per scenario row,
with the row's severity: the severities listed are those the contract's rows
use) and the CloudTrail session checks (TRAIL-…, reported when scan is given
--trail-*). Each shows every severity it can emit and when. Any of these IDs
can be given to scan --checks and --skip-checks.`,
		Example: "  pvaudit checks list\n  pvaudit checks list -o json\n  pvaudit checks list --contract par",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			cfg, err := ct.resolve()
			if err != nil {
				return err
			}
			rep, err := audit.Catalogue(a.run("checks list", cfg, finding.Info))
			if err != nil {
				return err
			}
			return out.write(a, rep)
		},
	}
	ct.register(list.Flags(), false, false)
	out.register(list.Flags(), reports.KindChecks, "table")
	cmd.AddCommand(list)
	return cmd
}
