package org

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/reports"
)

// ScanOptions configure the scan pipeline.
type ScanOptions struct {
	Checks, SkipChecks []string
	// Baseline, when set, names each account's baseline file and whether
	// drift was asked of the account (a file "" then means it has none):
	// its drift joins the account's report and the fleet view. BaselineKey,
	// when set, must have signed every baseline.
	Baseline    func(Account) (file string, asked bool)
	BaselineKey ed25519.PublicKey
	// Formats are the account's own report files: format → file name
	// ("json" → "scan.json").
	Formats map[string]string
}

// Scan runs audit.Scan in each account and writes its report in Formats.
func Scan(o ScanOptions) Pipeline {
	return Pipeline{Name: "scan", Run: func(ctx context.Context, job *Job) (*Output, error) {
		in := audit.ScanInput{Source: job.Source, Checks: o.Checks, SkipChecks: o.SkipChecks}
		asked := false
		if o.Baseline != nil {
			in.Baseline, asked = o.Baseline(job.Account)
			in.BaselineKey = o.BaselineKey
			if asked && in.Baseline == "" {
				in.BaselineMissing = "no baseline for account " + job.Account.ID + " (save one with pvaudit baseline save, under the --baseline-dir given or as baseline: in the accounts file)"
			}
		}
		rep, err := audit.Scan(ctx, job.Run, in)
		if err != nil {
			return nil, err
		}
		out := &Output{Report: rep, Facts: FactsOf(job.Source.Snapshot, job.Run.Config.Contract, rep)}
		if asked {
			out.Facts.Drift = driftOf(rep, in.Baseline != "")
		}
		files, err := render(rep, o.Formats)
		if err != nil {
			return nil, err
		}
		out.Files = files
		return out, nil
	}}
}

func render(rep reports.Report, formats map[string]string) ([]File, error) {
	var out []File
	for _, format := range sortedFormats(formats) {
		var b bytes.Buffer
		if err := reports.Write(&b, rep, format); err != nil {
			return nil, fmt.Errorf("render %s: %w", format, err)
		}
		out = append(out, File{Name: formats[format], Data: b.Bytes()})
	}
	return out, nil
}

func sortedFormats(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// EvidenceOptions configure the evidence pipeline.
type EvidenceOptions struct {
	Framework   string
	CommandLine []string
	SecretFlags []string
	Secrets     []string
	// Sign, when set, returns the manifest's detached signature file(s).
	Sign func(files []File) ([]File, error)
}

// Evidence exports an evidence bundle per account: its files go under
// evidence/ in the account's folder; the bundle's scan is the row.
func Evidence(o EvidenceOptions) Pipeline {
	return Pipeline{Name: "evidence", Run: func(ctx context.Context, job *Job) (*Output, error) {
		ex, err := audit.Export(ctx, job.Run, audit.ExportInput{Source: job.Source, Framework: o.Framework,
			CommandLine: o.CommandLine, SecretFlags: o.SecretFlags, Secrets: o.Secrets})
		if err != nil {
			return nil, err
		}
		out := &Output{Report: ex.Scan, Facts: FactsOf(job.Source.Snapshot, job.Run.Config.Contract, ex.Scan)}
		for _, f := range ex.Files {
			out.Files = append(out.Files, File{Name: "evidence/" + f.Path, Data: f.Data})
		}
		if o.Sign != nil {
			sigs, err := o.Sign(out.Files)
			if err != nil {
				return nil, err
			}
			out.Files = append(out.Files, sigs...)
		}
		return out, nil
	}}
}

// Drift is the hook for drift per account: run returns the account's drift
// report (against its baseline); its verdict goes into the fleet view.
// pvaudit drift is merged separately; until cmd wires it, nothing calls
// this.
func Drift(run func(ctx context.Context, job *Job) (reports.FindingReport, error)) Pipeline {
	return Pipeline{Name: "drift", Run: func(ctx context.Context, job *Job) (*Output, error) {
		rep, err := run(ctx, job)
		if err != nil {
			return nil, err
		}
		v, _ := rep.Result()
		f := &Facts{Contract: ContractVersion(job.Run.Config.Contract), Roles: []RoleFacts{}, Boundaries: []BoundaryFacts{}, Drift: string(v.Outcome)}
		return &Output{Report: rep, Facts: f}, nil
	}}
}

// driftOf says what a scan's drift findings (DRIFT-…) came to, for the
// fleet view: a count of failing items, "not evaluated" when a side could
// not be read or no baseline was given, or "no drift".
func driftOf(rep *reports.ScanReport, hadBaseline bool) string {
	if !hadBaseline {
		return "not evaluated: no baseline for this account"
	}
	fails, unknown := 0, 0
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.CheckID, "DRIFT-") {
			continue
		}
		switch f.Status {
		case finding.Fail:
			if f.Suppressed == nil {
				fails++
			}
		case finding.Error, finding.NotEvaluated:
			unknown++
		}
	}
	switch {
	case unknown > 0 && fails > 0:
		return fmt.Sprintf("%d drift item(s) failing; incomplete: %d not evaluated", fails, unknown)
	case unknown > 0:
		return fmt.Sprintf("not evaluated: %d drift item(s) could not be evaluated", unknown)
	case fails > 0:
		return fmt.Sprintf("%d drift item(s) failing", fails)
	}
	return "no drift"
}
