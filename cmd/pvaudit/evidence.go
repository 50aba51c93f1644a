package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/reports/evidence"
	"github.com/pvaudit/pvaudit/rules/controls"
)

func newEvidenceCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Export, sign and verify HIPAA / NIST evidence bundles",
		Long: `An evidence bundle is what an auditor keeps: the findings, the snapshot that was
analysed, the probe results, the CloudTrail sessions, the control matrix of a
framework, an HTML report, an OSCAL assessment-results document, a coverage
statement and a manifest.json with every file's SHA-256 — optionally signed with
Ed25519. Secrets (ExternalIds, session tokens, credentials) never enter a bundle.`,
		Example: `  pvaudit evidence export --framework hipaa --from testdata/accounts/sample.json --out evidence.zip
  pvaudit evidence verify evidence.zip
  pvaudit scan --from evidence.zip`,
	}
	cmd.AddCommand(newEvidenceExportCmd(a), newEvidenceVerifyCmd(a), newEvidenceKeygenCmd(a))
	return cmd
}

type exportOpts struct {
	src       sourceOpts
	trail     trailFlags
	ct        contractFlags
	failOn    failOnFlag
	runs      runDirFlags
	framework string
	out       string
	signKey   string
	// org runs the export in many accounts (--org, --accounts); orgOut is
	// the consolidated report's output.
	org    orgFlags
	orgOut outputFlags
	// baseline is --baseline and baselineKey --baseline-verify-key (see
	// audit.ExportInput.Baseline).
	baseline    string
	baselineKey string
}

func newEvidenceExportCmd(a *app) *cobra.Command {
	o := &exportOpts{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Scan the account and write an evidence bundle (folder, .zip or .tar.gz)",
		Long: `export scans the account (live and read-only, or --from a file), with CloudTrail
when --trail-* is given, runs the probes with the local evaluator, builds the
control matrix of --framework and writes the bundle to --out: a folder (new or
empty), FILE.zip or FILE.tar.gz. With --output-dir it writes
evidence-FRAMEWORK-STAMP.zip and evidence-FRAMEWORK-latest.zip instead and
says what changed since the previous bundle there. --sign-key signs the
manifest (make a key with pvaudit evidence keygen). With --baseline FILE the
drift against that approved baseline joins the findings, the verdict and the
control matrix (CM-2, CM-3, CM-6 …), drift.json holds the full drift report,
and manifest.json records the baseline file and how its signature was checked
(--baseline-verify-key: refused unless that key signed it). A baseline that
cannot be read or verified fails the export.

Exit codes: as scan (0 clean, 1 a FAIL at or above --fail-on, 2 usage or
runtime error or an incomplete scan); the bundle is written in every case
but a usage or runtime error.`,
		Example: `  pvaudit evidence export --framework hipaa --from testdata/accounts/sample.json --out evidence.zip
  pvaudit evidence export --framework nist-800-53 --profile audit --trail-lookup --out bundle/ --sign-key pvaudit.key
  pvaudit evidence export --framework nist-800-171 --profile audit --output-dir /var/lib/pvaudit --keep 12
  pvaudit evidence export --framework nist-800-53 --from account.json --baseline approved.json --baseline-verify-key baseline.pub --out evidence.zip`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.src.awsWithFile = o.trail.lookup || o.trail.keysLive
			if err := firstErr(o.src.validate(), o.failOn.validate(), o.runs.validate(reports.KindScan)); err != nil {
				return err
			}
			if o.org.given() {
				return runOrgEvidence(cmd, a, o)
			}
			if (o.out == "") == (o.runs.dir == "") {
				return usageErr("give one of --out DIR|FILE.zip|FILE.tar.gz and --output-dir DIR")
			}
			cat, err := controls.Load()
			if err != nil {
				return err
			}
			if _, err := cat.Framework(o.framework); err != nil {
				return usageErr("--framework: %w", err)
			}
			key, err := o.loadKey()
			if err != nil {
				return err
			}
			bundle, err := o.src.bundle()
			if err != nil {
				return err
			}
			cfg, err := o.ct.resolveFor(bundle)
			if err != nil {
				return err
			}
			in := audit.ExportInput{Framework: o.framework, CommandLine: append([]string{"pvaudit"}, a.args...),
				SecretFlags: []string{"external-id", "required-external-id"}, Secrets: []string{o.src.aws.externalID}, Baseline: o.baseline}
			if o.baselineKey != "" {
				if o.baseline == "" {
					return usageErr("--baseline-verify-key needs --baseline")
				}
				if in.VerifyKey, err = audit.ReadVerifyKey(o.baselineKey); err != nil {
					return usageErr("--baseline-verify-key: %w", err)
				}
			}
			if o.trail.given() {
				s := scanOpts{src: o.src, trail: o.trail}
				if in.Trail, err = s.trailSources(cmd, a); err != nil {
					return err
				}
			}
			if in.Source, err = o.src.load(cmd.Context(), a); err != nil {
				return err
			}
			run := a.run("evidence export", cfg, o.failOn.sev)
			ex, err := audit.Export(cmd.Context(), run, in)
			if err != nil {
				return err
			}
			return o.write(a, ex, key)
		},
	}
	f := cmd.Flags()
	o.src.register(f)
	o.trail.register(f, "trail-")
	o.ct.register(f, true, true)
	o.failOn.register(f)
	o.runs.register(f, false)
	f.StringVar(&o.framework, "framework", "", "control framework of the matrix: hipaa, nist-800-53 or nist-800-171 (required)")
	f.StringVar(&o.out, "out", "", "write the bundle to `DIR` (new or empty), FILE.zip or FILE.tar.gz")
	f.StringVar(&o.signKey, "sign-key", "", "sign manifest.json with this Ed25519 private key (PEM; pvaudit evidence keygen)")
	o.org.register(f)
	o.orgOut.register(f, reports.KindOrg, "table")
	f.StringVar(&o.baseline, "baseline", "", "also compare with this approved baseline `FILE` (pvaudit baseline save): drift.json, drift in the findings and the control matrix")
	f.StringVar(&o.baselineKey, "baseline-verify-key", "", "refuse the baseline unless this Ed25519 public key (PEM) signed it")
	_ = cmd.MarkFlagRequired("framework")
	return cmd
}

func (o *exportOpts) loadKey() ([]byte, error) {
	if o.signKey == "" {
		return nil, nil
	}
	b, err := fsutil.ReadFile(o.signKey, fsutil.Key)
	if err != nil {
		return nil, usageErr("--sign-key: %w", err)
	}
	if _, err := evidence.ParsePrivateKey(b); err != nil {
		return nil, usageErr("--sign-key %s: %w", o.signKey, err)
	}
	return b, nil
}

// write signs and writes the bundle, prints what was written and returns
// the scan's exit code.
func (o *exportOpts) write(a *app, ex *audit.Exported, key []byte) error {
	files := ex.Files
	if key != nil {
		k, _ := evidence.ParsePrivateKey(key)
		var manifest []byte
		for _, f := range files {
			if f.Path == evidence.ManifestFile {
				manifest = f.Data
			}
		}
		sig, err := evidence.Sign(manifest, k)
		if err != nil {
			return err
		}
		files = append(files, evidence.File{Path: evidence.SignatureFile, Data: sig})
	}
	dest := o.out
	if o.runs.dir != "" {
		d := o.runs.runDir()
		delta, err := d.EvidenceSinceLastRun(ex.Manifest.Framework.ID, ex.Scan.Findings)
		if err != nil {
			return err
		}
		zip, err := evidence.Encode(evidence.Zip, files, ex.Manifest.GeneratedAt)
		if err != nil {
			return err
		}
		written, err := d.Publish("evidence-"+ex.Manifest.Framework.ID, ex.Manifest.GeneratedAt, map[string][]byte{"zip": zip})
		if err != nil {
			return err
		}
		dest = written[0]
		if delta != nil {
			fmt.Fprintf(a.stdout, "Since the last bundle (%s): %d new, %d resolved, %d no longer reported, %d still open\n",
				delta.Previous, len(delta.New), len(delta.Resolved), len(delta.Gone), delta.StillOpen)
		}
	} else if err := evidence.Write(dest, files, ex.Manifest.GeneratedAt); err != nil {
		return err
	}
	signed := ""
	if key != nil {
		signed = ", signed"
	}
	rep := ""
	if !ex.Manifest.Reproduction.Same {
		rep = fmt.Sprintf("; re-analysis differs for %d finding(s), see manifest.json reproduction", len(ex.Manifest.Reproduction.Differences))
	}
	fmt.Fprintf(a.stdout, "Evidence bundle written: %s (%d files%s; framework %s%s)\n", dest, len(files), signed, ex.Manifest.Framework.Title, rep)
	fmt.Fprintln(a.stdout, reports.SummaryLine(ex.Scan))
	v, _ := ex.Scan.Result()
	return withCode(exitFor(v))
}

func newEvidenceVerifyCmd(a *app) *cobra.Command {
	var key string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify BUNDLE",
		Short: "Recompute every hash of a bundle; report added, missing or altered files",
		Long: `verify reads the bundle (folder, .zip or .tar.gz), recomputes the SHA-256 and
size of every file against manifest.json, and reports each file added, missing or
altered. With --verify-key it also checks the Ed25519 signature (manifest.sig).

Exit codes: 0 intact (and signed by the key, when given); 1 anything added,
missing or altered, or a bad or missing signature; 2 unreadable bundle or usage
error.`,
		Example: `  pvaudit evidence verify evidence.zip
  pvaudit evidence verify bundle/ --verify-key pvaudit.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pub []byte
			if key != "" {
				b, err := fsutil.ReadFile(key, fsutil.Key)
				if err != nil {
					return usageErr("--verify-key: %w", err)
				}
				pk, err := evidence.ParsePublicKey(b)
				if err != nil {
					return usageErr("--verify-key %s: %w", key, err)
				}
				pub = pk
			}
			b, err := evidence.Open(args[0])
			if err != nil {
				return &exitErr{code: exitError, err: err}
			}
			res, err := evidence.Verify(b, pub)
			if err != nil {
				return &exitErr{code: exitError, err: err}
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				printVerify(a, res)
			}
			if !res.OK() {
				return withCode(exitFindings)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "verify-key", "", "check manifest.sig with this Ed25519 public key (PEM)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func printVerify(a *app, res *evidence.Result) {
	for _, p := range res.Problems {
		fmt.Fprintf(a.stdout, "  FAIL  %s\n", p)
	}
	sig := map[evidence.SignatureState]string{
		evidence.Unsigned:   "not signed",
		evidence.NotChecked: "signed by " + res.KeyID + ", not checked (give --verify-key)",
		evidence.Valid:      "signature valid (" + res.KeyID + ")",
	}[res.Signature]
	if sig == "" {
		sig = "signature " + string(res.Signature)
	}
	if res.OK() {
		fmt.Fprintf(a.stdout, "Verified: %s — %d file(s) match manifest.json; %s\n", res.Source, res.Files, sig)
		return
	}
	fmt.Fprintf(a.stdout, "NOT verified: %s — %d added, %d missing, %d altered; %s\n", res.Source, len(res.Added), len(res.Missing), len(res.Altered), sig)
}

func newEvidenceKeygenCmd(a *app) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make an Ed25519 key pair to sign bundles (PREFIX.key and PREFIX.pub)",
		Example: `  pvaudit evidence keygen --out pvaudit
  pvaudit evidence export --framework hipaa --from account.json --out evidence.zip --sign-key pvaudit.key
  pvaudit evidence verify evidence.zip --verify-key pvaudit.pub`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			priv, pub, err := evidence.GenerateKey()
			if err != nil {
				return err
			}
			for _, p := range []string{out + ".key", out + ".pub"} {
				if _, err := os.Stat(p); err == nil {
					return usageErr("%s exists; not overwriting a key", p)
				}
			}
			if err := os.MkdirAll(filepath.Dir(out+".key"), 0o755); err != nil {
				return err
			}
			if err := fsutil.WriteFileAtomic(out+".key", 0o600, writeBytes(priv)); err != nil {
				return err
			}
			if err := fsutil.WriteFileAtomic(out+".pub", 0o644, writeBytes(pub)); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Wrote %s.key (private: keep it secret) and %s.pub (give it to whoever verifies).\n", out, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "pvaudit", "path prefix of the key files")
	return cmd
}

func writeBytes(b []byte) func(w io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}
