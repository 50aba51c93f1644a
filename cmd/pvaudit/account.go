package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/inventory/live"
	"github.com/pvaudit/pvaudit/provision"
	"github.com/pvaudit/pvaudit/reports"
)

func newAccountCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "account",
		Short:   "Account-level operations: deregister the provider",
		Example: "  pvaudit account deregister --dry-run",
	}
	cmd.AddCommand(newDeregisterCmd(a))
	return cmd
}

func newDeregisterCmd(a *app) *cobra.Command {
	o := &provisionFlags{}
	var force, dryRun bool
	cmd := &cobra.Command{
		Use:   "deregister",
		Short: "Remove the cross-account role pvaudit created, and say what is left",
		Long: `deregister removes the pvaudit-managed cross-account role cleanly: out of its
instance profiles, inline policies deleted and managed policies detached
first. It refuses while compute nodes remain (boundary policies or child
roles), naming them, unless --force. Afterwards it lists what is left in the
account — boundary policies, child roles, legacy roles such as ROLE-<account>,
cross-account roles pvaudit does not manage — so that nothing is orphaned
silently.`,
		Example: `  pvaudit account deregister --dry-run
  pvaudit account deregister --yes
  pvaudit account deregister --force --yes -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := firstErr(o.validate(), o.out.validate()); err != nil {
				return err
			}
			cfg, in, err := o.inputs()
			if err != nil {
				return err
			}
			w, err := o.loadState(cmd, a, cfg, &in)
			if err != nil {
				return err
			}
			run := a.run("account deregister", cfg, finding.High)
			rep, err := audit.ProvisionDeregister(run, in, force)
			if err != nil {
				return usageErr("%w", err)
			}
			if dryRun {
				rep.DryRun = true
				return o.out.finish(a, rep)
			}
			return o.execute(cmd, a, run, in, rep, w)
		},
	}
	o.register(cmd.Flags(), false, false)
	cmd.Flags().BoolVar(&force, "force", false, "deregister although compute nodes remain (their resources stay)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only show what would be removed and what would be left")
	cmd.Flags().BoolVar(&o.yes, "yes", false, "remove without asking for confirmation")
	o.out.register(cmd.Flags(), reports.KindPlan, "table")
	return cmd
}

// loadState reads the account: from --from, or live (read-only collector,
// then the managed policies' tags). Live, it also returns the IAM client as
// the write-only provision.Writer — the only place outside tests where a
// client with mutating methods is handed on.
func (o *provisionFlags) loadState(cmd *cobra.Command, a *app, cfg *config.Resolved, in *audit.ProvisionInput) (provision.Writer, error) {
	ctx := cmd.Context()
	if o.from != "" {
		snap, raw, err := inventory.ReadFileRaw(o.from)
		if err != nil {
			return nil, err
		}
		in.Source = audit.Source{Snapshot: snap, Input: o.from, Raw: raw}
		return nil, nil
	}
	awsCfg, err := o.aws.config(ctx, a)
	if err != nil {
		return nil, err
	}
	client := iam.NewFromConfig(awsCfg)
	a.log.Info("reading account live (read-only)", "region", awsCfg.Region)
	col := &live.Collector{IAM: client, STS: sts.NewFromConfig(awsCfg), Caller: o.aws.caller, Now: a.now, Log: a.log,
		Runtime: []*live.RuntimeClients{live.NewRuntimeClients(awsCfg)}}
	snap, err := col.Collect(ctx)
	if err != nil {
		return nil, fmt.Errorf("collect account: %w", err)
	}
	in.Source = audit.Source{Snapshot: snap}
	if in.PolicyTags, in.TagGaps, err = provision.ReadPolicyTags(ctx, client, snap, cfg.Contract); err != nil {
		return nil, fmt.Errorf("read policy tags: %w", err)
	}
	return client, nil
}

// execute confirms and runs a planned report's calls, then writes it.
func (o *provisionFlags) execute(cmd *cobra.Command, a *app, run *audit.Run, in audit.ProvisionInput, rep *reports.PlanReport, w provision.Writer) error {
	if len(rep.Plan.Steps) > 0 && len(rep.Plan.Blockers()) == 0 {
		if err := confirm(cmd.InOrStdin(), a.stderr, isTerminal(cmd.InOrStdin()), o.yes, rep); err != nil {
			return err
		}
	}
	if w == nil {
		return usageErr("%s needs the live account (it cannot write to a file)", rep.Operation)
	}
	rep = audit.ProvisionExecute(cmd.Context(), run, in, rep, w, provision.ApplyOptions{Log: a.log})
	return o.out.finish(a, rep)
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm asks on a terminal, after showing the plan on stderr; --yes
// skips the question; without a terminal and --yes it refuses.
func confirm(in io.Reader, out io.Writer, tty, yes bool, rep *reports.PlanReport) error {
	if yes {
		return nil
	}
	if !tty {
		return usageErr("standard input is not a terminal: pass --yes to %s without confirmation (nothing was changed)", rep.Plan.Operation)
	}
	var b bytes.Buffer
	if err := reports.Write(&b, rep, "table"); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\nMake these %d call(s) to account %s? Only 'yes' is accepted: ", b.String(), len(rep.Plan.Steps), rep.Plan.Account)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return usageErr("no answer: nothing was changed")
	}
	if strings.TrimSpace(line) != "yes" {
		return usageErr("not confirmed: nothing was changed")
	}
	return nil
}
