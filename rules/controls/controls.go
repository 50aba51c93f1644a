// Package controls is the control catalogue: the frameworks pvaudit's
// rules map to (HIPAA Security Rule, NIST SP 800-53 rev. 5, NIST SP 800-171
// rev. 2), each control with its title, as embedded data; and the control
// matrix, which says for each control of a framework which rules evidence
// it and what they found. Which rules map to which controls is the rule
// registry's (rules.Rule.Controls); Validate checks the two agree.
package controls

import (
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/yamlstrict"
	"github.com/pvaudit/pvaudit/rules"
)

//go:embed controls.yaml
var catalogueYAML []byte

// Control is one control of a framework.
type Control struct {
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title" json:"title"`
}

// Framework is one control framework.
type Framework struct {
	// ID is the name users type (hipaa, nist-800-53, nist-800-171).
	ID string `yaml:"id" json:"id"`
	// Key is the framework as findings name it (HIPAA, NIST-800-53r5, …).
	Key      string    `yaml:"key" json:"key"`
	Title    string    `yaml:"title" json:"title"`
	Aliases  []string  `yaml:"aliases" json:"-"`
	Controls []Control `yaml:"controls" json:"-"`
}

// Catalogue is every framework.
type Catalogue struct {
	Frameworks []Framework `yaml:"frameworks"`
}

// Load returns the embedded catalogue, decoded strictly and validated once.
var Load = sync.OnceValues(func() (*Catalogue, error) {
	var c Catalogue
	if err := yamlstrict.Decode(catalogueYAML, "rules/controls/controls.yaml", &c); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
})

func (c *Catalogue) validate() error {
	seenFW := map[string]bool{}
	for _, fw := range c.Frameworks {
		if fw.ID == "" || fw.Title == "" || !slices.Contains(rules.Frameworks(), fw.Key) {
			return fmt.Errorf("controls: framework %q (%s): needs an id, a title and a key among %v", fw.ID, fw.Key, rules.Frameworks())
		}
		if seenFW[fw.ID] || seenFW[fw.Key] {
			return fmt.Errorf("controls: framework %s listed twice", fw.ID)
		}
		seenFW[fw.ID], seenFW[fw.Key] = true, true
		seen := map[string]bool{}
		for _, ctl := range fw.Controls {
			if err := rules.ValidControl(finding.Control{Framework: fw.Key, ID: ctl.ID}); err != nil {
				return fmt.Errorf("controls: %w", err)
			}
			if strings.TrimSpace(ctl.Title) == "" {
				return fmt.Errorf("controls: %s %s has no title", fw.Key, ctl.ID)
			}
			if seen[ctl.ID] {
				return fmt.Errorf("controls: %s %s listed twice", fw.Key, ctl.ID)
			}
			seen[ctl.ID] = true
		}
	}
	return nil
}

// Names lists the framework IDs users can give.
func (c *Catalogue) Names() []string {
	out := make([]string, len(c.Frameworks))
	for i, fw := range c.Frameworks {
		out[i] = fw.ID
	}
	return out
}

// Framework finds a framework by ID, key or alias (case-insensitive).
func (c *Catalogue) Framework(name string) (*Framework, error) {
	for i := range c.Frameworks {
		fw := &c.Frameworks[i]
		if strings.EqualFold(name, fw.ID) || strings.EqualFold(name, fw.Key) || slices.ContainsFunc(fw.Aliases, func(a string) bool { return strings.EqualFold(a, name) }) {
			return fw, nil
		}
	}
	return nil, fmt.Errorf("unknown framework %q (want one of %s)", name, strings.Join(c.Names(), ", "))
}

// ControlTitle returns a control's title.
func (fw *Framework) ControlTitle(id string) (string, bool) {
	for _, ctl := range fw.Controls {
		if ctl.ID == id {
			return ctl.Title, true
		}
	}
	return "", false
}

// Validate checks the registry against the catalogue: every control a
// rule names is in the catalogue (so has a title).
func (c *Catalogue) Validate(reg *rules.Registry) error {
	var missing []string
	for _, r := range reg.All() {
		for _, ctl := range r.Controls {
			fw, err := c.Framework(ctl.Framework)
			if err != nil {
				missing = append(missing, fmt.Sprintf("%s (rule %s: %v)", ctl, r.ID, err))
				continue
			}
			if _, ok := fw.ControlTitle(ctl.ID); !ok {
				missing = append(missing, fmt.Sprintf("%s (rule %s)", ctl, r.ID))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("controls without a title in rules/controls/controls.yaml: %s", strings.Join(missing, "; "))
	}
	return nil
}

// Status is what a control's (or a rule's) evidence says.
type Status string

// Statuses, worst first. Only PASS says the control's rules ran and found
// nothing wrong; a rule that did not run, a finding that could not be
// evaluated and a coverage gap keep a control from PASS.
const (
	Fail          Status = "FAIL"
	NotEvaluated  Status = "NOT_EVALUATED"
	Accepted      Status = "ACCEPTED" // a suppressed FAIL or WARN: risk accepted, not satisfied
	Warn          Status = "WARN"
	Pass          Status = "PASS"
	NotApplicable Status = "NOT_APPLICABLE" // the rules ran and found nothing to check
	NotRun        Status = "NOT_RUN"        // the rule did not run in this run
	NotAssessed   Status = "NOT_ASSESSED"   // no run: the catalogue only
)

var rank = map[Status]int{Fail: 0, NotEvaluated: 1, Accepted: 2, Warn: 3, Pass: 4, NotApplicable: 5, NotRun: 6, NotAssessed: 7}

// RuleState is one rule of a control row.
type RuleState struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Source string `json:"source"`
	Status Status `json:"status"`
	// Counts are the rule's findings by status (unsuppressed) and the
	// suppressed ones.
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Warn         int `json:"warn"`
	Error        int `json:"error"`
	NotEvaluated int `json:"not_evaluated"`
	Suppressed   int `json:"suppressed"`
	// Fingerprints of the rule's findings that are not a PASS.
	Fingerprints []string `json:"fingerprints,omitempty"`
}

// Row is one control of the matrix.
type Row struct {
	Framework string      `json:"framework"`
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	Status    Status      `json:"status"`
	Rules     []RuleState `json:"rules"`
	// Reasons say why a control is not PASS when no finding says it
	// (rules not run, coverage gaps).
	Reasons []string `json:"reasons,omitempty"`
	// Evidence names the files of an evidence bundle that hold the
	// findings and inputs behind the row (set by the bundle writer).
	Evidence []string `json:"evidence_files,omitempty"`
}

// Run is what a run evaluated, for the matrix: nil for the catalogue only.
type Run struct {
	Findings []finding.Finding
	// Ran are the IDs of the rules that ran.
	Ran map[string]bool
	// NotRunWhy says why a rule did not run, by rule source (e.g. trail:
	// "needs CloudTrail input (--trail-*)"); optional.
	NotRunWhy map[string]string
	// CoverageGaps counts what could not be read.
	CoverageGaps int
}

// Matrix is the control matrix of a framework: every control of the
// catalogue that some rule maps to, with the rules that evidence it, in
// catalogue order. With run nil it lists the mapping only.
func Matrix(fw *Framework, reg *rules.Registry, run *Run) []Row {
	byControl := map[string][]rules.Rule{}
	for _, r := range reg.All() {
		for _, ctl := range r.Controls {
			if ctl.Framework == fw.Key {
				byControl[ctl.ID] = append(byControl[ctl.ID], r)
			}
		}
	}
	states := map[string]RuleState{}
	if run != nil {
		states = ruleStates(reg, run)
	}
	var out []Row
	for _, ctl := range fw.Controls {
		rs := byControl[ctl.ID]
		if len(rs) == 0 {
			continue
		}
		row := Row{Framework: fw.Key, ID: ctl.ID, Title: ctl.Title}
		notRun := map[string][]string{}
		for _, r := range rs {
			st, ok := states[r.ID]
			if !ok {
				st = RuleState{ID: r.ID, Title: r.Title, Source: r.Source, Status: NotAssessed}
				if run != nil {
					st.Status = NotRun
				}
			}
			if st.Status == NotRun {
				notRun[r.Source] = append(notRun[r.Source], r.ID)
			}
			row.Rules = append(row.Rules, st)
		}
		row.Status, row.Reasons = decide(row.Rules, run, notRun)
		out = append(out, row)
	}
	return out
}

// decide combines a control's rules, failing closed.
func decide(rs []RuleState, run *Run, notRun map[string][]string) (Status, []string) {
	if run == nil {
		return NotAssessed, nil
	}
	st := NotRun
	for _, r := range rs {
		if rank[r.Status] < rank[st] {
			st = r.Status
		}
	}
	var reasons []string
	srcs := make([]string, 0, len(notRun))
	for s := range notRun {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	for _, s := range srcs {
		why := run.NotRunWhy[s]
		if why == "" {
			why = "not selected or not applicable to this command"
		}
		reasons = append(reasons, fmt.Sprintf("%s not run: %s", strings.Join(notRun[s], ", "), why))
	}
	if run.CoverageGaps > 0 {
		reasons = append(reasons, fmt.Sprintf("%d coverage gap(s): part of the account could not be read", run.CoverageGaps))
	}
	switch {
	case st == NotRun:
		return NotAssessed, reasons
	case (st == Pass || st == Warn || st == NotApplicable || st == Accepted) && len(reasons) > 0:
		return NotEvaluated, reasons
	}
	return st, reasons
}

func ruleStates(reg *rules.Registry, run *Run) map[string]RuleState {
	out := map[string]RuleState{}
	for _, r := range reg.All() {
		if run.Ran[r.ID] {
			out[r.ID] = RuleState{ID: r.ID, Title: r.Title, Source: r.Source}
		} else {
			out[r.ID] = RuleState{ID: r.ID, Title: r.Title, Source: r.Source, Status: NotRun}
		}
	}
	for _, f := range run.Findings {
		st, ok := out[f.CheckID]
		if !ok || st.Status == NotRun {
			// A finding of a rule said not to have run: it ran.
			r, _ := reg.Get(f.CheckID)
			st = RuleState{ID: f.CheckID, Title: firstNonEmpty(r.Title, f.Title), Source: r.Source}
		}
		switch {
		case f.Suppressed != nil:
			st.Suppressed++
			if f.Incomplete() {
				st.NotEvaluated++
			}
		case f.Status == finding.Pass:
			st.Pass++
		case f.Status == finding.Fail:
			st.Fail++
		case f.Status == finding.Warn:
			st.Warn++
		case f.Status == finding.Error:
			st.Error++
		case f.Status == finding.NotEvaluated:
			st.NotEvaluated++
		}
		if f.Status != finding.Pass {
			st.Fingerprints = append(st.Fingerprints, f.Fingerprint)
		}
		out[f.CheckID] = st
	}
	for id, st := range out {
		if st.Status == NotRun {
			continue
		}
		sort.Strings(st.Fingerprints)
		switch {
		case st.Fail > 0:
			st.Status = Fail
		case st.Error > 0 || st.NotEvaluated > 0:
			st.Status = NotEvaluated
		case st.Suppressed > 0:
			st.Status = Accepted
		case st.Warn > 0:
			st.Status = Warn
		case st.Pass > 0:
			st.Status = Pass
		default:
			st.Status = NotApplicable
		}
		out[id] = st
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Summary counts rows by status.
func Summary(rows []Row) map[Status]int {
	out := map[Status]int{}
	for _, r := range rows {
		out[r.Status]++
	}
	return out
}
