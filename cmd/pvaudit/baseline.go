package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/audit"
)

func newBaselineCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Save, check and update the approved state that drift compares against",
		Long: `A baseline is the approved state of the account's IAM: the normalized snapshot
with canonical policy documents, every role's classification, the contract and
the SHA-256 of its source, the parameters, and capture metadata, with a SHA-256
content hash over its canonical serialization (and, with --sign-key, an Ed25519
signature). pvaudit refuses a baseline whose hash does not match ("baseline was
modified after it was saved") and, with --verify-key, one the key did not sign.

A hash proves the file was not edited by accident; only a signature proves it
was not rewritten by someone who can write the file. Keep the private key away
from the machine that runs drift.`,
		Example: `  pvaudit baseline save --from testdata/accounts/compliant.json --baseline approved.json
  pvaudit baseline keygen --private-key baseline.key --public-key baseline.pub
  pvaudit baseline save --profile audit --baseline approved.json --sign-key baseline.key
  pvaudit baseline update --profile audit --baseline approved.json --accept 3f2a9c0d11b7e845`,
	}
	cmd.AddCommand(newBaselineSaveCmd(a), newBaselineUpdateCmd(a), newBaselineVerifyCmd(a), newBaselineKeygenCmd(a))
	return cmd
}

type baselineSaveOpts struct {
	src   sourceOpts
	ct    contractFlags
	keys  keyFlags
	file  string
	force bool
}

func newBaselineSaveCmd(a *app) *cobra.Command {
	o := &baselineSaveOpts{}
	cmd := &cobra.Command{
		Use:   "save",
		Short: "Write the account's approved state (live or --from FILE) to a baseline file",
		Long: `save reads the account (live and read-only, or --from a file) and writes the
approved state to --baseline FILE, atomically. An existing file is replaced only
with --force (baseline update keeps the previous one instead). A snapshot that
could not read everything is saved marked incomplete, and save exits 2: drift
against the parts it misses is NOT_EVALUATED, never "no drift".

Exit codes: 0 saved; 2 usage or runtime error, or an incomplete baseline.`,
		Example: `  pvaudit baseline save --from testdata/accounts/compliant.json --baseline approved.json
  pvaudit baseline save --profile audit --baseline approved.json --sign-key baseline.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defer lessGC()()
			if o.file == "" {
				return usageErr("--baseline FILE is required")
			}
			if err := o.src.validate(); err != nil {
				return err
			}
			key, err := o.keys.signKey()
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
			if !o.force {
				if _, err := os.Lstat(o.file); err == nil {
					return usageErr("%s exists; pass --force to replace it, or use `pvaudit baseline update`, which keeps the previous one", o.file)
				}
			}
			src, err := o.src.load(cmd.Context(), a)
			if err != nil {
				return err
			}
			res, err := audit.SaveBaseline(cmd.Context(), a.run("baseline save", cfg, 0), audit.SaveInput{Source: src, File: o.file, Force: o.force, SignKey: key})
			if err != nil {
				return err
			}
			return a.reportSaved(res)
		},
	}
	f := cmd.Flags()
	o.src.register(f)
	o.ct.register(f, true, false)
	o.keys.register(f, true, false)
	f.StringVar(&o.file, "baseline", "", "the baseline `FILE` to write")
	f.BoolVar(&o.force, "force", false, "replace an existing baseline file")
	return cmd
}

// reportSaved prints what a save or update wrote; an incomplete baseline
// exits 2.
func (a *app) reportSaved(res *audit.SaveResult) error {
	b := res.Baseline
	st := &b.State
	sig := "unsigned"
	if res.Integrity.KeyID != "" {
		sig = "signed by " + res.Integrity.KeyID
	}
	fmt.Fprintf(a.stdout, "baseline %s written: account %s, %d role(s), %d policy(ies), %d user(s); contract %s (sha256 %.12s); content sha256 %s, %s\n",
		res.File, st.AccountID, len(st.Roles), len(st.Policies), len(st.Users), b.Contract.Name, b.Contract.SHA256, res.Integrity.ContentSHA256, sig)
	for _, x := range res.Accepted {
		fmt.Fprintf(a.stdout, "  accepted %s %s on %s: %s\n", x.Rule, x.Fingerprint, x.Resource, x.Summary)
	}
	if res.PrevFile != "" {
		fmt.Fprintf(a.stdout, "the previous baseline is kept as %s\n", res.PrevFile)
	}
	if !b.Complete {
		return &exitErr{code: exitError, err: fmt.Errorf("the baseline is incomplete: the snapshot could not read %d part(s) (listed in the file's state.gaps); drift against them will be NOT_EVALUATED", len(st.Gaps))}
	}
	return nil
}

type baselineUpdateOpts struct {
	src    sourceOpts
	ct     contractFlags
	keys   keyFlags
	file   string
	accept []string
}

func newBaselineUpdateCmd(a *app) *cobra.Command {
	o := &baselineUpdateOpts{}
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Approve the current state (or single drift items) into the baseline, keeping FILE.prev",
		Long: `update reads the account (live or --from FILE) and writes it as the new approved
state into --baseline FILE; the previous file is kept as FILE.prev. Both are
written atomically (never a half-written file). With --accept only the named
drift items (a fingerprint from pvaudit drift, or a rule ID such as DRIFT-006 for
all of its items) take their current state; everything else stays as approved.
What was not evaluated cannot be accepted.

Exit codes: 0 updated; 2 usage or runtime error, a baseline that fails its
check, or an incomplete new baseline.`,
		Example: `  pvaudit baseline update --from account.json --baseline approved.json
  pvaudit baseline update --profile audit --baseline approved.json --accept 3f2a9c0d11b7e845 --accept DRIFT-009`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defer lessGC()()
			if o.file == "" {
				return usageErr("--baseline FILE is required")
			}
			if err := o.src.validate(); err != nil {
				return err
			}
			sk, err := o.keys.signKey()
			if err != nil {
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
			src, err := o.src.load(cmd.Context(), a)
			if err != nil {
				return err
			}
			res, err := audit.UpdateBaseline(cmd.Context(), a.run("baseline update", cfg, 0),
				audit.UpdateInput{Source: src, File: o.file, Accept: o.accept, SignKey: sk, VerifyKey: vk})
			if err != nil {
				return err
			}
			return a.reportSaved(res)
		},
	}
	f := cmd.Flags()
	o.src.register(f)
	o.ct.register(f, true, false)
	o.keys.register(f, true, true)
	f.StringVar(&o.file, "baseline", "", "the baseline `FILE` to update")
	f.StringSliceVar(&o.accept, "accept", nil, "accept only these drift items: fingerprints or rule IDs (comma-separated, repeatable)")
	return cmd
}

func newBaselineVerifyCmd(a *app) *cobra.Command {
	var file string
	var keys keyFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check a baseline file's content hash (and signature) without reading the account",
		Long: `verify recomputes a baseline's content hash and, with --verify-key, checks its
signature, then prints what the baseline holds.

Exit codes: 0 the baseline checks out; 2 it was modified, its signature does
not verify, it is unsigned while --verify-key was given, or it is incomplete.`,
		Example: `  pvaudit baseline verify --baseline approved.json
  pvaudit baseline verify --baseline approved.json --verify-key baseline.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usageErr("--baseline FILE is required")
			}
			vk, err := keys.verifyKey()
			if err != nil {
				return err
			}
			b, integ, _, err := audit.ReadBaseline(file, vk)
			if err != nil {
				return err
			}
			st := &b.State
			fmt.Fprintf(a.stdout, "baseline %s: content sha256 %s matches; signature %s%s\n", file, integ.ContentSHA256, integ.Signature, keyNote(integ.KeyID))
			fmt.Fprintf(a.stdout, "  saved %s by %s %s (%s); account %s captured %s from %s\n", b.SavedAt.Format("2006-01-02T15:04:05Z07:00"), b.Tool, b.Version, b.Command,
				st.AccountID, st.CapturedAt.Format("2006-01-02T15:04:05Z07:00"), st.Source)
			fmt.Fprintf(a.stdout, "  contract %s (%s, sha256 %s); %d role(s), %d policy(ies), %d user(s), %d group(s)\n", b.Contract.Name, b.Contract.Source, b.Contract.SHA256,
				len(st.Roles), len(st.Policies), len(st.Users), len(st.Groups))
			if !b.Complete {
				return &exitErr{code: exitError, err: fmt.Errorf("the baseline is incomplete: %d part(s) of the account could not be read when it was saved", len(st.Gaps))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "baseline", "", "the baseline `FILE` to check")
	keys.register(cmd.Flags(), false, true)
	return cmd
}

func keyNote(id string) string {
	if id == "" {
		return ""
	}
	return " (key " + id + ")"
}
