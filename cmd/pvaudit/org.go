package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/org"
	"github.com/pvaudit/pvaudit/reports"
)

// orgFlags run a command over many accounts: --org lists them through AWS
// Organizations, --accounts reads them from a file.
type orgFlags struct {
	org          bool
	accounts     string
	ous          []string
	exclude      []string
	roleName     string
	partition    string
	concurrency  int
	ratePer      float64
	rateAll      float64
	resume       string
	outDir       string
	formats      []string
	fleet        bool
	withInactive bool
}

func (o *orgFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&o.org, "org", false, "run over every ACTIVE account of the AWS Organization (the caller is its management or delegated administrator account)")
	f.StringVar(&o.accounts, "accounts", "", "run over the accounts in `FILE` (YAML: accounts: [{id, name, parameters, from}])")
	f.StringArrayVar(&o.ous, "ou", nil, "with --org, only accounts under this OU (ID ou-… or name path Tenants/EU; repeatable)")
	f.StringArrayVar(&o.exclude, "exclude-account", nil, "leave this account out (repeatable)")
	f.StringVar(&o.roleName, "audit-role-name", "", "the read-only audit role to assume in each account (with --external-id)")
	f.StringVar(&o.partition, "partition", "aws", "the partition of the audit role ARNs (aws, aws-us-gov, aws-cn)")
	f.IntVar(&o.concurrency, "org-concurrency", 8, "accounts audited at once")
	f.Float64Var(&o.ratePer, "org-rate-per-account", 10, "API requests per second per account (halved on throttling, then recovers)")
	f.Float64Var(&o.rateAll, "org-rate", 40, "API requests per second over all accounts")
	f.StringVar(&o.resume, "resume", "", "state `FILE`: record finished accounts, and skip those an interrupted run with the same options finished")
	f.StringVar(&o.outDir, "org-output-dir", "", "write each account's own outputs under `DIR`/<account-id>/")
	f.StringSliceVar(&o.formats, "account-format", []string{"json"}, "formats of each account's own report in --org-output-dir")
	f.BoolVar(&o.fleet, "fleet", false, "add the provider's fleet view: ExternalIds required and not shared, one contract version, boundaries identical in intent")
	f.BoolVar(&o.withInactive, "include-suspended", false, "with --org, also list accounts that are not ACTIVE (each is an error row)")
}

func (o *orgFlags) given() bool { return o.org || o.accounts != "" }

func (o *orgFlags) validate(src *sourceOpts) error {
	switch {
	case o.org && o.accounts != "":
		return usageErr("--org and --accounts: give one")
	case len(o.ous) > 0 && !o.org:
		return usageErr("--ou needs --org")
	case src.from != "":
		return usageErr("--from reads one account; with --org or --accounts each account is read through --audit-role-name (or its own from: in the accounts file)")
	case o.org && o.roleName == "":
		return usageErr("--org needs --audit-role-name (the role pvaudit assumes in each account)")
	case o.concurrency < 1 || o.ratePer <= 0 || o.rateAll <= 0:
		return usageErr("--org-concurrency, --org-rate-per-account and --org-rate must be positive")
	case len(o.formats) > 0 && o.outDir == "" && o.formats[0] != "json":
		return usageErr("--account-format needs --org-output-dir")
	}
	src.aws.audit = true
	return src.validate()
}

// accountList lists the accounts to run over.
func (o *orgFlags) accountList(ctx context.Context, a *app, ao *awsOpts) ([]org.Account, []string, string, error) {
	var accts []org.Account
	var skipped []string
	source := "accounts file " + o.accounts
	if o.accounts != "" {
		var err error
		if accts, err = org.ReadAccounts(o.accounts); err != nil {
			return nil, nil, "", usageErr("--accounts: %w", err)
		}
	} else {
		cfg, err := ao.config(ctx, a)
		if err != nil {
			return nil, nil, "", err
		}
		accts, skipped, err = org.List(ctx, organizations.NewFromConfig(cfg), org.ListOptions{OUs: o.ous, Exclude: o.exclude, IncludeSuspended: o.withInactive})
		if err != nil {
			return nil, nil, "", err
		}
		source = "organizations"
		if len(o.ous) > 0 {
			source += " (OUs " + strings.Join(o.ous, ", ") + ")"
		}
	}
	excluded := map[string]bool{}
	for _, id := range o.exclude {
		excluded[id] = true
	}
	kept := accts[:0]
	for _, x := range accts {
		if !excluded[x.ID] {
			kept = append(kept, x)
		}
	}
	if len(kept) == 0 {
		return nil, nil, "", usageErr("no account to audit (%s)", source)
	}
	a.log.Info("accounts to audit", "count", len(kept), "source", source, "skipped", len(skipped))
	return kept, skipped, source, nil
}

// run audits every account with the pipeline and writes the consolidated
// report.
func (o *orgFlags) run(cmd *cobra.Command, a *app, src *sourceOpts, ct *contractFlags, out *outputFlags, run *audit.Run, p org.Pipeline, key ...string) error {
	ctx := cmd.Context()
	out.kind = reports.KindOrg
	if err := out.validate(); err != nil {
		return err
	}
	accts, skipped, source, err := o.accountList(ctx, a, &src.aws)
	if err != nil {
		return err
	}
	opts := org.Options{Accounts: accts, Source: source, Skipped: skipped, Run: run, Pipeline: p, Concurrency: o.concurrency,
		Budget: org.NewBudget(o.ratePer, o.rateAll), Fleet: o.fleet}
	opts.ConfigFor = func(x org.Account) (*config.Resolved, error) {
		params := ct.params.Merge(x.Parameters)
		c := x.Contract
		if c == "" && ct.fs != nil && ct.fs.Changed("contract") {
			c = ct.name
		}
		return config.Resolve(config.Options{ConfigPath: ct.config, Contract: c, Params: params, Suppress: ct.suppress})
	}
	needRole := false
	for _, x := range accts {
		needRole = needRole || x.From == ""
	}
	if needRole {
		if o.roleName == "" {
			return usageErr("accounts without from: need --audit-role-name")
		}
		base, err := src.aws.config(ctx, a)
		if err != nil {
			return err
		}
		opts.Connect = org.AssumeAuditRole(base, o.partition, o.roleName, src.aws.externalID, opts.Budget)
	}
	if o.outDir != "" {
		opts.Sink = func(acct string, f org.File) (string, error) {
			rel := filepath.Join(acct, filepath.FromSlash(f.Name))
			path := filepath.Join(o.outDir, rel)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return "", err
			}
			return filepath.ToSlash(rel), fsutil.WriteFileAtomic(path, 0o644, func(w io.Writer) error { _, err := w.Write(f.Data); return err })
		}
	}
	if o.resume != "" {
		ids := make([]string, 0, len(accts))
		for _, x := range accts {
			ids = append(ids, x.ID)
		}
		sort.Strings(ids)
		parts := append([]string{p.Name, run.Config.ContractSource, org.ContractVersion(run.Config.Contract), o.roleName, strings.Join(ids, ","),
			strings.Join(o.formats, ","), o.outDir, boolWord(o.fleet)}, key...)
		if opts.State, err = org.OpenState(o.resume, org.RunKey(parts...), a.now()); err != nil {
			return usageErr("%w", err)
		}
		if n := len(opts.State.Finished()); n > 0 {
			a.log.Warn("resuming: accounts finished by the interrupted run are not audited again", "finished", n, "state", o.resume)
		}
	}
	opts.Progress = func(done, total int, row reports.OrgAccount) {
		a.log.Info("account done", "account", row.ID, "outcome", row.Outcome, "error", row.Error, "done", done, "of", total)
	}
	rep, err := org.Run(ctx, opts)
	if err != nil {
		return err
	}
	return out.finish(a, rep)
}

// accountFormats maps each per-account format to its file name.
func (o *orgFlags) accountFormats(kind string) (map[string]string, error) {
	if o.outDir == "" {
		return nil, nil
	}
	m := map[string]string{}
	for _, f := range splitList(o.formats) {
		if _, err := reports.Lookup(reports.KindScan, f); err != nil {
			return nil, usageErr("--account-format: %w", err)
		}
		m[strings.ToLower(f)] = kind + "." + extFor(f)
	}
	return m, nil
}

func extFor(format string) string {
	switch strings.ToLower(format) {
	case "table":
		return "txt"
	case "markdown":
		return "md"
	case "junit":
		return "junit.xml"
	case "sarif":
		return "sarif"
	case "ocsf", "asff":
		return strings.ToLower(format) + ".json"
	}
	return strings.ToLower(format)
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// runOrgScan is scan --org / --accounts.
func runOrgScan(cmd *cobra.Command, a *app, o *scanOpts) error {
	if err := firstErr(o.org.validate(&o.src), o.failOn.validate()); err != nil {
		return err
	}
	if o.trail.given() || o.runs.dir != "" {
		return usageErr("--org/--accounts: CloudTrail flags and --output-dir are not supported over many accounts yet (use --org-output-dir)")
	}
	if o.baseline != "" {
		return usageErr("--baseline is one account's baseline; with --org/--accounts give --baseline-dir DIR (DIR/<account-id>.json) or baseline: per account in the accounts file")
	}
	if o.baselineDir != "" {
		if fi, err := os.Stat(o.baselineDir); err != nil || !fi.IsDir() {
			return usageErr("--baseline-dir %s: not a folder", o.baselineDir)
		}
	}
	cfg, err := o.ct.resolve()
	if err != nil {
		return err
	}
	formats, err := o.org.accountFormats("scan")
	if err != nil {
		return err
	}
	so := org.ScanOptions{Checks: o.checks, SkipChecks: o.skipChecks, Formats: formats}
	if so.BaselineKey, err = o.keys.verifyKey(); err != nil {
		return err
	}
	dir := o.baselineDir
	so.Baseline = func(acct org.Account) (string, bool) {
		if acct.Baseline != "" {
			return acct.Baseline, true
		}
		if dir == "" {
			return "", false
		}
		p := filepath.Join(dir, acct.ID+".json")
		if _, err := os.Lstat(p); err != nil {
			return "", true // asked, and the account has none: not evaluated
		}
		return p, true
	}
	p := org.Scan(so)
	return o.org.run(cmd, a, &o.src, &o.ct, &o.out, a.run("scan", cfg, o.failOn.sev), p, strings.Join(o.checks, ","), strings.Join(o.skipChecks, ","))
}

// runOrgEvidence is evidence export --org / --accounts: one bundle per
// account under --org-output-dir/<account-id>/evidence/.
func runOrgEvidence(cmd *cobra.Command, a *app, o *exportOpts) error {
	if err := firstErr(o.org.validate(&o.src), o.failOn.validate()); err != nil {
		return err
	}
	switch {
	case o.org.outDir == "":
		return usageErr("evidence export --org writes one bundle per account: give --org-output-dir DIR")
	case o.out != "" || o.runs.dir != "":
		return usageErr("--out and --output-dir write one bundle; with --org use --org-output-dir")
	case o.trail.given():
		return usageErr("--org/--accounts: CloudTrail flags are not supported over many accounts yet")
	case o.signKey != "":
		return usageErr("--sign-key is not supported with --org yet: sign each bundle with pvaudit evidence export per account")
	}
	cfg, err := o.ct.resolve()
	if err != nil {
		return err
	}
	p := org.Evidence(org.EvidenceOptions{Framework: o.framework, CommandLine: append([]string{"pvaudit"}, a.args...),
		SecretFlags: []string{"external-id", "required-external-id"}, Secrets: []string{o.src.aws.externalID}})
	return o.org.run(cmd, a, &o.src, &o.ct, &o.orgOut, a.run("evidence export", cfg, o.failOn.sev), p, o.framework)
}
