package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/spf13/pflag"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/trail"
)

// contractFlags choose the contract, its parameters, the config file and
// the suppressions; every command resolves them with config.Resolve.
type contractFlags struct {
	fs       *pflag.FlagSet
	name     string
	config   string
	suppress string
	params   contract.Parameters
}

// register adds the flags; params says whether the contract parameter
// flags apply (the trail commands take only --provisioner-account).
func (o *contractFlags) register(fs *pflag.FlagSet, params, suppress bool) {
	o.fs = fs
	fs.StringVar(&o.name, "contract", config.DefaultContract, "contract: built-in name ("+strings.Join(contract.Names(), ", ")+") or YAML file")
	fs.StringVar(&o.config, "config", "", "config file (default: ./"+config.DefaultFile+" when present)")
	fs.StringVar(&o.params.ProvisionerAccountID, "provisioner-account", "", "the provider's provisioner account ID, trusted to assume the cross-account role")
	if params {
		fs.StringVar(&o.params.Env, "env", "", "environment part of the cross-account role name")
		fs.StringSliceVar(&o.params.NodeIDs, "node-id", nil, "compute node identifiers you know of (comma-separated, repeatable)")
		fs.StringVar(&o.params.ExternalID, "required-external-id", "", "the sts:ExternalId the cross-account role's trust must require")
		fs.StringVar(&o.params.WorkflowBucket, "workflow-bucket", "", "the only S3 bucket child roles may reach")
		fs.StringVar(&o.params.PackageBucket, "package-bucket", "", "the PAR agent package bucket (par contract default: pixell-agent-packages)")
		fs.StringVar(&o.params.LLMGovernorFunctionARN, "llm-governor-arn", "", "the LLM governor Lambda function ARN processor roles may invoke")
		fs.StringVar(&o.params.DeploymentMode, "deployment-mode", "", "the deployment mode you bought for the compute nodes (basic, secure, compliant): the MODE-* checks hold every node to it")
	}
	if suppress {
		fs.StringVar(&o.suppress, "suppress", "", "suppression file (YAML): findings to mark suppressed, with reason and expiry")
	}
}

// resolve loads the config file, the contract and the suppressions.
func (o *contractFlags) resolve() (*config.Resolved, error) {
	opts := config.Options{ConfigPath: o.config, Params: o.params, Suppress: o.suppress}
	if o.fs != nil && o.fs.Changed("contract") {
		opts.Contract = o.name
	}
	res, err := config.Resolve(opts)
	if err != nil {
		return nil, usageErr("%w", err)
	}
	return res, nil
}

// resolveFor is resolve for a source that may be an evidence bundle: with
// neither --contract nor --config given, the bundle's own contract (as
// resolved for the export) and suppressions apply, so the bundle
// re-analyses as it was analysed.
func (o *contractFlags) resolveFor(b *audit.BundleSource) (*config.Resolved, error) {
	if b == nil || (o.fs != nil && (o.fs.Changed("contract") || o.fs.Changed("config") || o.fs.Changed("suppress"))) {
		return o.resolve()
	}
	return b.Config, nil
}

// failOnFlag is --fail-on.
type failOnFlag struct {
	name string
	sev  finding.Severity
}

func (o *failOnFlag) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.name, "fail-on", "high", "exit 1 when a FAIL has this severity or higher: info, low, medium, high, critical")
}

func (o *failOnFlag) validate() error {
	sev, err := finding.ParseSeverity(o.name)
	if err != nil {
		return usageErr("--fail-on: %w", err)
	}
	o.sev = sev
	return nil
}

// trailFlags are the CloudTrail sources. The trail commands register them
// bare (--dir); scan with a "trail-" prefix (--trail-dir).
type trailFlags struct {
	prefix     string
	dir        string
	files      []string
	lookup     bool
	lookupRate float64
	regions    []string
	since      string
	until      string
	workers    int
	fullDecode bool
	digests    bool
	digestKeys []string
	keysLive   bool
	digestSigs map[string]string
	query      queryFlags
}

func (s *trailFlags) register(f *pflag.FlagSet, prefix string) {
	s.prefix = prefix
	f.StringVar(&s.dir, prefix+"dir", "", "local copy of a trail's S3 prefix (AWSLogs/…), read recursively")
	f.StringArrayVar(&s.files, prefix+"file", nil, "a CloudTrail file: {\"Records\":[…]}, a JSON array or one record per line; .gz or plain; - for stdin (repeatable)")
	f.BoolVar(&s.lookup, prefix+"lookup", false, "read the last 90 days from the CloudTrail LookupEvents API (regions: --"+prefix+"lookup-region)")
	f.Float64Var(&s.lookupRate, prefix+"lookup-rate", 2, "LookupEvents requests per second and region (the API allows 2 per account and region)")
	f.StringSliceVar(&s.regions, prefix+"lookup-region", nil, "regions whose event history to read (default: --region, else us-east-1, where IAM records its events); a session's calls are looked up in each")
	f.StringVar(&s.since, prefix+"since", "", "keep events at or after this time (RFC 3339 or YYYY-MM-DD); dated folders before it are not read")
	f.StringVar(&s.until, prefix+"until", "", "keep events at or before this time (RFC 3339 or YYYY-MM-DD)")
	f.IntVar(&s.workers, prefix+"workers", 0, "files decoded in parallel (default: one per CPU)")
	f.BoolVar(&s.fullDecode, prefix+"full-decode", false, "decode every record, not only those naming the role (slower; validates archives)")
	f.BoolVar(&s.digests, prefix+"verify-digests", false, "verify the log files of --"+prefix+"dir against CloudTrail's digest files (hash chain and RSA signatures)")
	f.StringArrayVar(&s.digestKeys, prefix+"digest-public-key", nil, "`FILE` with CloudTrail's public key(s) for digests: PEM, DER, base64, or aws cloudtrail list-public-keys output (repeatable)")
	f.BoolVar(&s.keysLive, prefix+"digest-keys-live", false, "fetch the digest public keys with cloudtrail:ListPublicKeys (AWS flags apply)")
	f.StringToStringVar(&s.digestSigs, prefix+"digest-signature", nil, "S3KEY=HEX: the signature of a digest file whose x-amz-meta-signature is not beside it (repeatable)")
	s.query.register(f, prefix)
}

// given reports whether any CloudTrail input was named.
func (s *trailFlags) given() bool {
	return s.dir != "" || len(s.files) > 0 || s.lookup || s.query.given()
}

// sources validates the flags and builds the sources; the live lookup's
// clients are added by the caller (they need AWS configuration).
func (s *trailFlags) sources(a *app, stdin interface{ Read([]byte) (int, error) }) (audit.TrailSources, error) {
	src := audit.TrailSources{Dir: s.dir, Files: s.files, Stdin: stdin, LookupRate: s.lookupRate, Workers: s.workers, FullDecode: s.fullDecode}
	if s.lookupRate <= 0 {
		return src, usageErr("--%slookup-rate must be positive", s.prefix)
	}
	if err := s.query.validate(); err != nil {
		return src, err
	}
	var err error
	if src.Since, err = parseWhen(s.prefix+"since", s.since, false); err != nil {
		return src, err
	}
	if src.Until, err = parseWhen(s.prefix+"until", s.until, true); err != nil {
		return src, err
	}
	if !src.Since.IsZero() && !src.Until.IsZero() && src.Until.Before(src.Since) {
		return src, usageErr("--%suntil is before --%ssince", s.prefix, s.prefix)
	}
	for _, f := range s.files {
		if f == "-" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return src, usageErr("--%sfile: %w", s.prefix, err)
		}
	}
	if s.digests && s.dir == "" {
		return src, usageErr("--%sverify-digests needs --%sdir (digest files live beside the logs)", s.prefix, s.prefix)
	}
	src.VerifyDigests, src.DigestSignatures = s.digests, s.digestSigs
	for _, f := range s.digestKeys {
		b, err := fsutil.ReadFile(f, fsutil.Policy)
		if err != nil {
			return src, usageErr("--%sdigest-public-key: %w", s.prefix, err)
		}
		keys, err := trail.ParsePublicKeys(f, b)
		if err != nil {
			return src, usageErr("--%sdigest-public-key: %w", s.prefix, err)
		}
		src.DigestKeys = append(src.DigestKeys, keys...)
	}
	if bar := newProgressBar(a.stderr); bar != nil {
		src.Progress = bar.update
	}
	return src, nil
}

// liveDigestKeys adds the live parts of the sources: the CloudTrail Lake
// and Athena engines (--lake, --athena) and the digest public keys of the
// replay window, read with cloudtrail:ListPublicKeys in each region, when
// --digest-keys-live.
func (s *trailFlags) liveDigestKeys(ctx context.Context, a *app, ao *awsOpts, src *audit.TrailSources) error {
	if err := s.query.engines(ctx, a, ao, src); err != nil {
		return err
	}
	if !s.keysLive {
		return nil
	}
	cfg, err := ao.config(ctx, a)
	if err != nil {
		return err
	}
	regions := s.regions
	if len(regions) == 0 {
		regions = []string{cfg.Region}
	}
	for _, r := range regions {
		api := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = r })
		keys, err := trail.FetchPublicKeys(ctx, api, src.Since, src.Until)
		if err != nil {
			return fmt.Errorf("digest public keys (%s): %w", r, err)
		}
		src.DigestKeys = append(src.DigestKeys, keys...)
	}
	return nil
}

func parseWhen(flag, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, usageErr("--%s %q: want RFC 3339 or YYYY-MM-DD", flag, s)
	}
	if end {
		t = t.Add(24*time.Hour - time.Second)
	}
	return t, nil
}
