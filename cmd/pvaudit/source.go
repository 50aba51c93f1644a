package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/inventory/live"
	"github.com/pvaudit/pvaudit/reports/evidence"
)

// awsOpts are the flags that reach a live account, shared by every command
// that talks to AWS.
type awsOpts struct {
	profile     string
	region      string
	roleARN     string
	externalID  string
	endpointURL string
	// audit: an organisation run, where --external-id goes with the audit
	// role assumed in each account (--audit-role-name), not --role-arn.
	audit bool

	// Loaded once per command (see awsconfig.go).
	cfg    *aws.Config
	caller *live.Identity
}

func (o *awsOpts) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.profile, "profile", "", "named AWS profile from ~/.aws/config, as the AWS CLI uses it")
	fs.StringVar(&o.region, "region", "", "AWS region for API calls (default: the profile's, else us-east-1)")
	fs.StringVar(&o.roleARN, "role-arn", "", "assume this (audit) role before reading the account")
	fs.StringVar(&o.externalID, "external-id", "", "external ID to pass when assuming --role-arn")
	fs.StringVar(&o.endpointURL, "endpoint-url", "", "send every AWS call to this endpoint (LocalStack-style test endpoints)")
}

func (o *awsOpts) validate() error {
	if o.externalID != "" && o.roleARN == "" && !o.audit {
		return usageErr("--external-id needs --role-arn")
	}
	if o.endpointURL != "" {
		u, err := url.Parse(o.endpointURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return usageErr("--endpoint-url %q is not an absolute URL", o.endpointURL)
		}
	}
	return nil
}

// sourceOpts choose where a snapshot comes from: --from FILE or live.
type sourceOpts struct {
	from string
	aws  awsOpts
	// awsWithFile allows AWS flags next to --from, for commands that also
	// call AWS for something else (scan --trail-lookup).
	awsWithFile bool
	opened      *audit.BundleSource
}

func (o *sourceOpts) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.from, "from", "", "read the account from `FILE` (a pvaudit snapshot, the output of aws iam get-account-authorization-details, or an evidence bundle: folder, .zip, .tar.gz) instead of AWS")
	o.aws.register(fs)
}

func (o *sourceOpts) validate() error {
	if o.from != "" && !o.awsWithFile && (o.aws.profile != "" || o.aws.roleARN != "" || o.aws.endpointURL != "") {
		return usageErr("--from reads a file; it cannot be combined with --profile, --role-arn or --endpoint-url")
	}
	return o.aws.validate()
}

// bundle opens --from when it names an evidence bundle (a folder with a
// manifest.json, a .zip or a .tar.gz), nil otherwise.
func (o *sourceOpts) bundle() (*audit.BundleSource, error) {
	if o.from == "" || !evidence.IsBundle(o.from) {
		return nil, nil
	}
	if o.opened == nil {
		b, err := audit.OpenBundle(o.from)
		if err != nil {
			return nil, err
		}
		o.opened = b
	}
	return o.opened, nil
}

// load reads the snapshot: from --from (with its bytes; a file or an
// evidence bundle's snapshot), or live.
func (o *sourceOpts) load(ctx context.Context, a *app) (audit.Source, error) {
	if b, err := o.bundle(); err != nil || b != nil {
		if b == nil {
			return audit.Source{}, err
		}
		a.log.Info("reading the snapshot of an evidence bundle (verify it first: pvaudit evidence verify)", "bundle", o.from)
		return b.Source, nil
	}
	if o.from != "" {
		a.log.Info("reading snapshot", "file", o.from)
		snap, raw, err := inventory.ReadFileRaw(o.from)
		if err != nil {
			return audit.Source{}, err
		}
		return audit.Source{Snapshot: snap, Input: o.from, Raw: raw}, nil
	}
	cfg, err := o.aws.config(ctx, a)
	if err != nil {
		return audit.Source{}, err
	}
	a.log.Info("reading account live (read-only)", "region", cfg.Region)
	col := &live.Collector{IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg), Caller: o.aws.caller, Now: a.now, Log: a.log,
		Runtime: []*live.RuntimeClients{live.NewRuntimeClients(cfg)}}
	stop := a.spinner("reading the account (read-only)…")
	snap, err := col.Collect(ctx)
	stop()
	if err != nil {
		return audit.Source{}, fmt.Errorf("collect account: %w", err)
	}
	return audit.Source{Snapshot: snap}, nil
}
