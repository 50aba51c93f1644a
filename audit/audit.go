// Package audit holds pvaudit's pipelines as plain Go: Scan, Probe, Replay,
// Roles and Simulate take decoded inputs (the snapshot and its raw bytes,
// the resolved contract, trail sources, suppressions, the clock) and return
// one report value with its verdict. Nothing here parses flags, loads AWS
// configuration or prints: cmd/pvaudit does that, and drift, evidence
// export, scheduled runs and organisation fan-out call these functions.
package audit

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/pvaudit/pvaudit/baseline"
	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/rules"
	"github.com/pvaudit/pvaudit/trail"
)

// Run is what every pipeline shares.
type Run struct {
	// Tool and Version go into every report header.
	Tool, Version string
	// Revision is the VCS revision pvaudit was built from (evidence
	// manifests record it).
	Revision string
	// Command names the command for the report ("scan", "trail sessions").
	Command string
	// Now is the clock (injected, so reports are reproducible).
	Now func() time.Time
	// Log receives progress and warnings (stderr in the CLI).
	Log *slog.Logger
	// Config is the resolved contract, config file and suppressions.
	Config *config.Resolved
	// FailOn is the severity at or above which a FAIL fails the run.
	FailOn finding.Severity
}

func (r *Run) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Run) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

func (r *Run) contract() *contract.Contract { return r.Config.Contract }

// header builds a report header.
func (r *Run) header(kind reports.Kind, acct *reports.Account) reports.Header {
	h := reports.Header{Schema: reports.Schema, Kind: kind, Tool: r.Tool, Version: r.Version,
		GeneratedAt: r.now().UTC().Truncate(time.Second), Command: r.Command, Account: acct}
	if r.Config != nil {
		h.ConfigFile = r.Config.ConfigFile
		if r.Config.Contract != nil {
			h.Contract = r.Config.Contract.Name
		}
	}
	if h.Tool == "" {
		h.Tool = "pvaudit"
	}
	switch kind {
	case reports.KindScan, reports.KindProbe, reports.KindTrailSessions, reports.KindTrailSession:
		// SARIF and HTML read the rules' metadata; a registry that does not
		// build is reported by the pipelines that need it.
		var c *contract.Contract
		if r.Config != nil {
			c = r.Config.Contract
		}
		if reg, err := Registry(c); err == nil {
			h.Rules = reg
		}
	}
	return h
}

// suppress marks suppressed findings and warns about expired rules and
// rules that matched nothing, naming each rule and its line.
func (r *Run) suppress(fs []finding.Finding) { r.applySuppressions(fs, true) }

// applySuppressions is suppress; warnUnused false leaves out the warnings
// about rules that matched nothing.
func (r *Run) applySuppressions(fs []finding.Finding, warnUnused bool) {
	f := r.Config.Suppressions
	if f == nil {
		return
	}
	res := f.Apply(fs, r.now())
	for _, x := range res.Expired {
		r.log().Warn("suppression expired; the finding is reported again", "rule", x.Describe(), "at", f.Where(x), "expired", x.Expires, "reason", x.Reason)
	}
	for _, x := range res.Unused {
		if !warnUnused {
			break
		}
		r.log().Warn("suppression matches no finding that is not a PASS (fixed, or a typo?)", "rule", x.Describe(), "at", f.Where(x))
	}
}

// Source is an account snapshot as the pipelines take it.
type Source struct {
	Snapshot *inventory.Snapshot
	// Input names the file it was read from ("" for a live read).
	Input string
	// Raw are the bytes it was decoded from, when it came from a file: an
	// evidence bundle hashes exactly what was analysed.
	Raw []byte
}

func (s Source) account() *reports.Account { return reports.AccountOf(s.Snapshot, s.Input) }

// Registry returns the one rule registry: the check catalogue, the probe
// checks (with the severities c's scenario rows use; c may be nil), the
// CloudTrail session checks and the drift rules.
func Registry(c *contract.Contract) (*rules.Registry, error) {
	reg, err := rules.New(checks.Rules(), probes.Rules(c), trail.Rules(), baseline.Rules())
	if err != nil {
		return nil, fmt.Errorf("rule registry: %w", err)
	}
	return reg, nil
}

// Catalogue is the checks report: every rule of the registry.
func Catalogue(r *Run) (*reports.ChecksReport, error) {
	var c *contract.Contract
	if r.Config != nil {
		c = r.Config.Contract
	}
	reg, err := Registry(c)
	if err != nil {
		return nil, err
	}
	rep := &reports.ChecksReport{Header: r.header(reports.KindChecks, nil)}
	for _, x := range reg.All() {
		rep.Checks = append(rep.Checks, reports.NewCheckInfo(x))
	}
	return rep, nil
}
