package org

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/inventory/live"
	"github.com/pvaudit/pvaudit/reports"
)

// Job is one account's work, handed to a pipeline.
type Job struct {
	Account Account
	// Run is the account's run: the base run with the account's contract.
	Run *audit.Run
	// Source is the account's snapshot, read through the audit role.
	Source audit.Source
	// AWS reaches the account (through the budget) for pipelines that
	// read more than the snapshot.
	AWS aws.Config
}

// File is one of an account's own outputs, named relative to its folder.
type File struct {
	Name string
	Data []byte
}

// Output is what a pipeline produced for one account.
type Output struct {
	Report reports.FindingReport
	Files  []File
	// Facts feed the fleet view (nil: none).
	Facts *Facts
}

// Pipeline is what runs in each account: Name names it in the report
// ("scan", "evidence", "drift"). Scan, Evidence and Drift build the
// pipelines pvaudit ships; any function of this type plugs in.
type Pipeline struct {
	Name string
	Run  func(ctx context.Context, job *Job) (*Output, error)
}

// Connector returns the AWS configuration that reads one account.
type Connector func(ctx context.Context, a Account) (aws.Config, error)

// AssumeAuditRole assumes roleName in each account (arn:PARTITION:iam::ID:
// role/NAME, with externalID when given) from the base credentials; the
// AssumeRole calls count in the account's budget (nil: not counted).
func AssumeAuditRole(base aws.Config, partition, roleName, externalID string, b *Budget) Connector {
	if partition == "" {
		partition = "aws"
	}
	return func(ctx context.Context, a Account) (aws.Config, error) {
		cfg, stsCfg := base.Copy(), base.Copy()
		if b != nil {
			b.Apply(&stsCfg, a.ID)
		}
		arn := "arn:" + partition + ":iam::" + a.ID + ":role/" + roleName
		p := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(stsCfg), arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "pvaudit-org"
			if externalID != "" {
				o.ExternalID = aws.String(externalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(p)
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return aws.Config{}, fmt.Errorf("assume %s: %w", arn, err)
		}
		return cfg, nil
	}
}

// Collector reads an account's snapshot.
type Collector func(ctx context.Context, cfg aws.Config) (*inventory.Snapshot, error)

// LiveCollector is the read-only live collector.
func LiveCollector(r *audit.Run) Collector {
	return func(ctx context.Context, cfg aws.Config) (*inventory.Snapshot, error) {
		col := &live.Collector{IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg), Now: r.Now, Runtime: []*live.RuntimeClients{live.NewRuntimeClients(cfg)}}
		return col.Collect(ctx)
	}
}

// Options configure a fan-out.
type Options struct {
	Accounts []Account
	// Source names where the accounts came from (for the report).
	Source  string
	Skipped []string
	// Run is the base run; ConfigFor resolves an account's contract when
	// it overrides the contract or its parameters (nil: the base config).
	Run       *audit.Run
	ConfigFor func(a Account) (*config.Resolved, error)
	Pipeline  Pipeline
	Connect   Connector
	Collect   Collector
	// Concurrency is how many accounts run at once (0: 8).
	Concurrency int
	Budget      *Budget
	// State, when set, records each finished account and skips those a
	// previous run finished.
	State *State
	// Sink writes an account's files as soon as it finishes (nil: none).
	Sink func(account string, f File) (string, error)
	// Fleet computes the provider's fleet view.
	Fleet bool
	// Progress is told when an account finishes.
	Progress func(done, total int, row reports.OrgAccount)
}

// result is one account's outcome, as the state file keeps it.
type result struct {
	Row      reports.OrgAccount `json:"row"`
	Findings []finding.Finding  `json:"findings"`
	Gaps     []inventory.Gap    `json:"gaps"`
	Facts    *Facts             `json:"facts,omitempty"`
}

// Run audits every account and returns the consolidated report. An
// account that cannot be reached, read or analysed is an error row and a
// coverage gap: the report is then incomplete, never clean. Only a
// cancelled context (or a state file that cannot be written) stops it.
func Run(ctx context.Context, o Options) (*reports.OrgReport, error) {
	if o.Pipeline.Run == nil || o.Run == nil {
		return nil, errors.New("org: a pipeline and a run are required")
	}
	if o.Collect == nil {
		o.Collect = LiveCollector(o.Run)
	}
	if o.Budget == nil {
		o.Budget = NewBudget(0, 0)
	}
	n := o.Concurrency
	if n <= 0 {
		n = 8
	}
	results := make([]*result, len(o.Accounts))
	var todo []int
	for i, a := range o.Accounts {
		if o.State != nil {
			if r, ok, err := o.State.finished(a.ID); err != nil {
				return nil, err
			} else if ok {
				r.Row.Resumed = true
				results[i] = r
				continue
			}
		}
		todo = append(todo, i)
	}
	var mu sync.Mutex
	done := len(o.Accounts) - len(todo)
	var firstErr error
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, i := range todo {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := o.account(ctx, o.Accounts[i])
			if ctx.Err() != nil {
				return // interrupted: not finished, not recorded
			}
			mu.Lock()
			defer mu.Unlock()
			results[i] = r
			done++
			if o.State != nil {
				if err := o.State.record(r); err != nil && firstErr == nil {
					firstErr = err
				}
			}
			if o.Progress != nil {
				o.Progress(done, len(o.Accounts), r.Row)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("org run interrupted after %d of %d account(s) (resume with --resume): %w", done, len(o.Accounts), err)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return o.consolidate(results), nil
}

// account runs the pipeline in one account; every failure becomes the
// account's error row.
func (o *Options) account(ctx context.Context, a Account) *result {
	row := reports.OrgAccount{ID: a.ID, Name: a.Name, OU: a.OU}
	fail := func(stage string, err error) *result {
		row.Outcome = "error"
		row.Error = stage + ": " + err.Error()
		row.Calls, row.Throttled = o.Budget.Counts(a.ID)
		return &result{Row: row, Gaps: []inventory.Gap{{Operation: "org:" + stage, Resource: a.ID, Code: "AccountNotAudited", Message: err.Error()}}}
	}
	run := *o.Run
	if o.ConfigFor != nil && overrides(a) {
		cfg, err := o.ConfigFor(a)
		if err != nil {
			return fail("contract", err)
		}
		run.Config = cfg
	}
	var cfg aws.Config
	var snap *inventory.Snapshot
	src := audit.Source{}
	if a.From != "" {
		s, raw, err := inventory.ReadFileRaw(a.From)
		if err != nil {
			return fail("read", err)
		}
		snap, src.Input, src.Raw = s, a.From, raw
	} else {
		if o.Connect == nil {
			return fail("assume-role", errors.New("no audit role to assume (--audit-role-name)"))
		}
		c, err := o.Connect(ctx, a)
		if err != nil {
			return fail("assume-role", err)
		}
		cfg = c
		o.Budget.Apply(&cfg, a.ID)
		if snap, err = o.Collect(ctx, cfg); err != nil {
			return fail("collect", err)
		}
	}
	src.Snapshot = snap
	if snap.AccountID != "" && snap.AccountID != a.ID {
		what := "the audit role read"
		if a.From != "" {
			what = a.From + " is a snapshot of"
		}
		return fail("collect", fmt.Errorf("%s account %s, not %s", what, snap.AccountID, a.ID))
	}
	out, err := o.Pipeline.Run(ctx, &Job{Account: a, Run: &run, Source: src, AWS: cfg})
	if err != nil {
		return fail(o.Pipeline.Name, err)
	}
	v, sum := out.Report.Result()
	row.Outcome = string(v.Outcome)
	row.Summary = &sum
	row.Failing = v.Failing
	row.Gaps = len(out.Report.Gaps())
	if out.Facts != nil {
		row.Contract = out.Facts.Contract
	}
	for _, f := range out.Files {
		if o.Sink == nil {
			break
		}
		p, err := o.Sink(a.ID, f)
		if err != nil {
			return fail("write", err)
		}
		row.Outputs = append(row.Outputs, p)
	}
	row.Calls, row.Throttled = o.Budget.Counts(a.ID)
	r := &result{Row: row, Facts: out.Facts}
	for _, f := range out.Report.FindingList() {
		if f.Status != finding.Pass {
			r.Findings = append(r.Findings, inAccount(f, a.ID))
		}
	}
	for _, g := range out.Report.Gaps() {
		g.Resource = strings.TrimPrefix(a.ID+":"+g.Resource, ":")
		r.Gaps = append(r.Gaps, g)
	}
	return r
}

// overrides reports whether an account has its own contract or
// parameters.
func overrides(a Account) bool {
	p := a.Parameters
	return a.Contract != "" || p.ProvisionerAccountID != "" || p.Env != "" || len(p.NodeIDs) > 0 || p.ExternalID != "" ||
		p.WorkflowBucket != "" || p.PackageBucket != "" || p.LLMGovernorFunctionARN != ""
}

// inAccount makes a finding's resource name its account when it does not.
func inAccount(f finding.Finding, id string) finding.Finding {
	if !strings.Contains(f.Resource, id) {
		f.Resource = id + ":" + f.Resource
		f.Fingerprint = f.ComputeFingerprint()
	}
	return f
}

// consolidate builds the report from every account's result.
func (o *Options) consolidate(results []*result) *reports.OrgReport {
	rep := &reports.OrgReport{Pipeline: o.Pipeline.Name, Source: o.Source, Skipped: o.Skipped}
	rep.Header = o.Run.Header(reports.KindOrg, nil)
	var fs []finding.Finding
	var sum finding.Summary
	var facts []*Facts
	for _, r := range results {
		rep.Accounts = append(rep.Accounts, r.Row)
		fs = append(fs, r.Findings...)
		rep.CoverageGaps = append(rep.CoverageGaps, r.Gaps...)
		if r.Row.Summary != nil {
			sum = addSummary(sum, *r.Row.Summary)
		}
		if r.Facts != nil {
			facts = append(facts, r.Facts)
		}
	}
	if o.Fleet {
		fl, ffs := fleetOf(results)
		rep.Fleet = fl
		fs = append(fs, ffs...)
		sum = addSummary(sum, finding.Summarize(ffs))
	}
	finding.Sort(fs)
	sort.SliceStable(rep.CoverageGaps, func(i, j int) bool { return rep.CoverageGaps[i].Resource < rep.CoverageGaps[j].Resource })
	rep.Findings = fs
	rep.Summary = sum
	rep.Outcome = reports.NewOutcome(fs, len(rep.CoverageGaps), o.Run.FailOn)
	return rep
}

func addSummary(a, b finding.Summary) finding.Summary {
	return finding.Summary{Total: a.Total + b.Total, Pass: a.Pass + b.Pass, Fail: a.Fail + b.Fail, Warn: a.Warn + b.Warn,
		Error: a.Error + b.Error, NotEvaluated: a.NotEvaluated + b.NotEvaluated, Suppressed: a.Suppressed + b.Suppressed}
}
