package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/internal/fsutil"
)

type snapshotOpts struct {
	src   sourceOpts
	specs []string
}

// destinations parses -o for snapshot: json (stdout) or json=FILE. The
// old form -o FILE still works, with a deprecation warning.
func (o *snapshotOpts) destinations(a *app) ([]string, error) {
	if len(o.specs) == 0 {
		return []string{""}, nil
	}
	var out []string
	for _, s := range o.specs {
		format, file, hasFile := strings.Cut(s, "=")
		switch {
		case !hasFile && strings.EqualFold(format, "json"):
			out = append(out, "")
		case hasFile && strings.EqualFold(format, "json") && file != "":
			out = append(out, file)
		case !hasFile && (strings.ContainsAny(s, "./\\") || strings.HasSuffix(s, ".json")):
			a.log.Warn("snapshot -o FILE is deprecated: -o names a format in every command; use -o json=FILE", "file", s)
			out = append(out, s)
		default:
			return nil, usageErr("-o %q: snapshot writes json; use -o json (stdout) or -o json=FILE", s)
		}
	}
	return out, nil
}

func newSnapshotCmd(a *app) *cobra.Command {
	o := &snapshotOpts{}
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save the account's IAM state to a snapshot file (read-only)",
		Long: `snapshot reads the account (live, read-only) and writes pvaudit's snapshot
format: every later command accepts the file with --from, so an auditor can
re-run an analysis without credentials. A file is written atomically: it
appears complete or not at all. An incomplete snapshot (some call failed) never
replaces an existing file. With --from it converts an AWS CLI export.

Exit codes: 0 complete; 2 usage or runtime error, or an incomplete snapshot.`,
		Example: `  pvaudit snapshot -o json=account.json
  pvaudit snapshot --profile audit --role-arn arn:aws:iam::123456789012:role/Audit -o json=account.json
  pvaudit snapshot --from authz-details.json -o json=account.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.src.validate(); err != nil {
				return err
			}
			dests, err := o.destinations(a)
			if err != nil {
				return err
			}
			src, err := o.src.load(cmd.Context(), a)
			if err != nil {
				return err
			}
			snap := src.Snapshot
			for _, d := range dests {
				if d == "" {
					err = snap.WriteJSON(a.stdout)
				} else if _, statErr := os.Stat(d); statErr == nil && !snap.Complete() {
					err = fmt.Errorf("the snapshot is incomplete (%d call(s) failed); %s is kept as it was", len(snap.Gaps), d)
				} else if statErr != nil && !errors.Is(statErr, os.ErrNotExist) {
					err = statErr
				} else {
					err = fsutil.WriteFileAtomic(d, 0o600, func(w io.Writer) error { return snap.WriteJSON(w) })
				}
				if err != nil {
					return err
				}
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
	cmd.Flags().StringArrayVarP(&o.specs, "output", "o", nil, "json (standard output, the default) or json=FILE (repeatable)")
	return cmd
}
