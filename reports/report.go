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
	"github.com/pvaudit/pvaudit/rules"
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
	KindPlan          Kind = "plan"
	KindControls      Kind = "controls"
	KindDrift         Kind = "drift"
)

// Kinds lists every report kind.
func Kinds() []Kind {
	return []Kind{KindScan, KindProbe, KindTrailSessions, KindTrailSession, KindSimulate, KindRoles, KindChecks, KindPlan, KindControls, KindDrift, KindOrg}
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
	// Filter says which findings the report lists when --severity or
	// --status left some out; the verdict and the counts are always those
	// of every finding.
	Filter string `json:"filter,omitempty"`
	// Rules is the rule registry the run used: SARIF, HTML and the control
	// matrix read rule metadata from it. Not part of the JSON form.
	Rules *rules.Registry `json:"-"`

	// all are every finding of the run when Filter left some out.
	all []finding.Finding
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

// Options are what a writer may adapt to; they never change what a report
// says, only how it is laid out. The zero value is the machine-stable
// layout: DefaultWidth columns, no colour, PASS rows left out of tables.
type Options struct {
	// Width is the number of columns to fit (0: DefaultWidth).
	Width int
	// Color allows ANSI colours (only on a terminal that wants them).
	Color bool
	// ShowPass lists PASS findings in the layouts for people (table,
	// markdown) and as "pass" results in SARIF; they are always in json,
	// yaml, csv, junit, html, ocsf and asff.
	ShowPass bool
}

// DefaultWidth is the width of a report when nothing says otherwise.
const DefaultWidth = 100

func (o Options) width() int {
	if o.Width <= 0 {
		return DefaultWidth
	}
	return max(o.Width, 40)
}

// WriteFunc renders a report in one format.
type WriteFunc func(w io.Writer, r Report, o Options) error

// plain adapts a writer that has no use for the options.
func plain(f func(w io.Writer, r Report) error) WriteFunc {
	return func(w io.Writer, r Report, _ Options) error { return f(w, r) }
}

// findingFormats are the writers that work for every report with findings
// (scan, probe, trail sessions, one session, drift): add a kind's table
// writer and these.
func findingFormats(table WriteFunc) map[string]WriteFunc {
	return map[string]WriteFunc{
		"table": table, "json": plain(writeJSON), "yaml": plain(writeYAML), "csv": plain(writeFindingsCSV),
		"junit": plain(writeJUnit), "sarif": writeSARIF, "markdown": writeMarkdown, "html": plain(writeHTML),
		"ocsf": plain(writeOCSF), "asff": plain(writeASFF),
	}
}

// listFormats are the writers of reports that are lists, not findings.
func listFormats(table WriteFunc, csv func(io.Writer, Report) error) map[string]WriteFunc {
	return map[string]WriteFunc{"table": table, "json": plain(writeJSON), "yaml": plain(writeYAML), "csv": plain(csv), "markdown": writeMarkdown}
}

// writers is the registry: for each kind, its formats.
func writers() map[Kind]map[string]WriteFunc {
	return map[Kind]map[string]WriteFunc{
		KindScan:          findingFormats(writeScanTable),
		KindProbe:         findingFormats(writeProbeTable),
		KindTrailSessions: findingFormats(writeSessionsTable),
		KindTrailSession:  findingFormats(writeTimeline),
		KindOrg:           findingFormats(writeOrgTable),
		KindSimulate:      listFormats(writeSimulateTable, writeSimulateCSV),
		KindRoles:         listFormats(writeRolesTable, writeRolesCSV),
		KindChecks:        listFormats(writeChecksTable, writeChecksCSV),
		KindControls:      listFormats(writeControlsTable, writeControlsCSV),
		KindPlan:          {"table": plain(writePlanTable), "json": plain(writeJSON), "yaml": plain(writeYAML)},
		KindDrift:         findingFormats(plain(writeDriftTable)),
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

// Write renders r in format with the default options.
func Write(w io.Writer, r Report, format string) error {
	return WriteOptions(w, r, format, Options{})
}

// WriteOptions renders r in format with o.
func WriteOptions(w io.Writer, r Report, format string, o Options) error {
	wf, err := Lookup(r.Head().Kind, format)
	if err != nil {
		return err
	}
	return wf(w, r, o)
}
