package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/internal/fsutil"
)

type snapshotOpts struct {
	src    sourceOpts
	output string
}

func newSnapshotCmd(a *app) *cobra.Command {
	o := &snapshotOpts{}
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save the account's IAM state to a snapshot file (read-only)",
		Long: `snapshot reads the account (live, read-only) and writes pvaudit's snapshot
format: every later command accepts the file with --from, so an auditor can
re-run an analysis without credentials. The file is written atomically: it
appears complete or not at all. With --from it converts an AWS CLI export.`,
		Example: `  pvaudit snapshot -o account.json
  pvaudit snapshot --profile audit --role-arn arn:aws:iam::123456789012:role/Audit -o account.json
  pvaudit snapshot --from authz-details.json -o account.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.src.validate(); err != nil {
				return err
			}
			snap, _, err := o.src.load(cmd.Context(), a)
			if err != nil {
				return err
			}
			if o.output == "" || o.output == "-" {
				err = snap.WriteJSON(a.stdout)
			} else {
				err = fsutil.WriteFileAtomic(o.output, 0o600, func(w io.Writer) error { return snap.WriteJSON(w) })
			}
			if err != nil {
				return err
			}
			if !snap.Complete() {
				for _, g := range snap.Gaps {
					a.log.Warn("coverage gap", "operation", g.Operation, "resource", g.Resource, "code", g.Code, "message", g.Message)
				}
				return &exitErr{code: exitError, err: fmt.Errorf("snapshot is incomplete: %d call(s) failed (listed in the file's \"gaps\")", len(snap.Gaps))}
			}
			return nil
		},
	}
	o.src.register(cmd.Flags())
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "file to write (default: stdout)")
	return cmd
}
