// Package reports renders every command's results. Each report is a value
// of one kind (scan, probe, trail sessions, …) under a common header with a
// schema version; one registry maps (kind, format) to a writer. Writers
// render to an io.Writer: they never open files or read flags.
package reports

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// Schema is the version of every report's JSON form; Kind says which
// report it is. docs/schema/<kind>.schema.json describes each.
const Schema = "pvaudit.report/v2"

// Kind names a kind of report.
type Kind string

// Report kinds.
const (
	KindScan          Kind = "scan"
	KindProbe         Kind = "probe"
	KindTrailSessions Kind = "trail-sessions"
	KindTrailSession  Kind = "trail-session"
	KindSimulate      Kind = "simulate"
	KindRoles         Kind = "roles"
	KindChecks        Kind = "checks"
	KindDrift         Kind = "drift"
)

// Kinds lists every report kind.
func Kinds() []Kind {
	return []Kind{KindScan, KindProbe, KindTrailSessions, KindTrailSession, KindSimulate, KindRoles, KindChecks, KindDrift}
}

// Header is what every report starts with.
type Header struct {
	Schema      string    `json:"schema"`
	Kind        Kind      `json:"kind"`
	Tool        string    `json:"tool"`
	Version     string    `json:"version"`
	GeneratedAt time.Time `json:"generated_at"`
	// Command is the pvaudit command that produced the report.
	Command string `json:"command"`
	// Contract is the contract the account was judged against.
	Contract string `json:"contract,omitempty"`
	// ConfigFile is the config file that was applied, if any.
	ConfigFile string `json:"config_file,omitempty"`
	// Account is what was examined (absent for reports of no account).
	Account *Account `json:"account,omitempty"`
}

// Head returns the header; every report embeds one.
func (h *Header) Head() *Header { return h }

// Report is any report value.
type Report interface {
	Head() *Header
}

// Account says what was scanned.
type Account struct {
	ID         string    `json:"id"`
	Source     string    `json:"source"`
	Input      string    `json:"input,omitempty"` // file name, when read from a file
	CapturedAt time.Time `json:"captured_at,omitzero"`
	CallerARN  string    `json:"caller_arn,omitempty"`
}

// AccountOf describes a snapshot; input is the file it was read from.
func AccountOf(s *inventory.Snapshot, input string) *Account {
	return &Account{ID: s.AccountID, Source: s.Source, Input: input, CapturedAt: s.CapturedAt, CallerARN: s.CallerARN}
}

// Outcome is the verdict part every judged report carries.
type Outcome struct {
	// Complete is false when something could not be read or evaluated;
	// the run then exits 2 whatever the findings say.
	Complete bool            `json:"complete"`
	FailOn   string          `json:"fail_on"`
	Verdict  finding.Verdict `json:"verdict"`
}

// NewOutcome decides the verdict of findings and coverage gaps.
func NewOutcome(fs []finding.Finding, gaps int, failOn finding.Severity) Outcome {
	v := finding.Decide(fs, gaps, failOn)
	return Outcome{Complete: v.Outcome != finding.Incomplete, FailOn: failOn.String(), Verdict: v}
}

// Judged is a report with a verdict.
type Judged interface {
	Report
	Result() (finding.Verdict, finding.Summary)
}

// WriteFunc renders a report in one format.
type WriteFunc func(w io.Writer, r Report) error

// writers is the registry: for each kind, its formats.
func writers() map[Kind]map[string]WriteFunc {
	return map[Kind]map[string]WriteFunc{
		KindScan:          {"table": writeScanTable, "json": writeJSON},
		KindProbe:         {"table": writeProbeTable, "json": writeJSON},
		KindTrailSessions: {"table": writeSessionsTable, "json": writeJSON},
		KindTrailSession:  {"table": writeTimeline, "json": writeJSON},
		KindSimulate:      {"table": writeSimulateTable, "json": writeJSON},
		KindRoles:         {"table": writeRolesTable, "json": writeJSON},
		KindChecks:        {"table": writeChecksTable, "json": writeJSON},
		KindDrift:         {"table": writeDriftTable, "json": writeJSON},
	}
}

// Formats returns the formats a kind of report can be written in, sorted.
func Formats(k Kind) []string {
	var out []string
	for f := range writers()[k] {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// AllFormats returns every format some report can be written in, sorted.
func AllFormats() []string {
	set := map[string]bool{}
	for _, fs := range writers() {
		for f := range fs {
			set[f] = true
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the writer of a format for a kind of report.
func Lookup(k Kind, format string) (WriteFunc, error) {
	fs, ok := writers()[k]
	if !ok {
		return nil, fmt.Errorf("unknown report kind %q", k)
	}
	w, ok := fs[strings.ToLower(format)]
	if !ok {
		if slices.Contains(AllFormats(), strings.ToLower(format)) {
			return nil, fmt.Errorf("output format %q is not available for %s reports (want one of %s)", format, k, strings.Join(Formats(k), ", "))
		}
		return nil, fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats(k), ", "))
	}
	return w, nil
}

// Write renders r in format.
func Write(w io.Writer, r Report, format string) error {
	wf, err := Lookup(r.Head().Kind, format)
	if err != nil {
		return err
	}
	return wf(w, r)
}
