// Package finding holds the one result type every analysis (checks, probes,
// trail replay, drift) produces, and the severities and statuses it uses.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Severity orders findings; the zero value is Info.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Status is the verdict of one finding.
type Status string

// Statuses. ERROR and NOT_EVALUATED mean the check could not look: they are
// never a pass, and an ERROR makes the run incomplete.
const (
	Pass         Status = "PASS"
	Fail         Status = "FAIL"
	Warn         Status = "WARN"
	Error        Status = "ERROR"
	NotEvaluated Status = "NOT_EVALUATED"
)

// Control is one compliance control a finding maps to.
type Control struct {
	Framework string `json:"framework" yaml:"framework"` // "HIPAA", "NIST-800-53r5", "NIST-800-171r2"
	ID        string `json:"id" yaml:"id"`
}

func (c Control) String() string { return c.Framework + ":" + c.ID }

// Suppression records why a finding is suppressed.
type Suppression struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD
	Source  string `json:"source,omitempty"`  // suppression file
}

// Finding is one verdict about one resource.
type Finding struct {
	CheckID  string   `json:"check_id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	Status   Status   `json:"status"`
	// Resource is the ARN (or, for account-level findings, the account ID).
	Resource string `json:"resource"`
	// Key distinguishes several findings of one check on one resource (for
	// example the extra service a role can use). Part of the fingerprint.
	Key         string         `json:"key,omitempty"`
	Message     string         `json:"message"`
	Evidence    map[string]any `json:"evidence,omitempty"`
	Remediation string         `json:"remediation,omitempty"`
	Controls    []Control      `json:"controls,omitempty"`
	Fingerprint string         `json:"fingerprint"`
	Suppressed  *Suppression   `json:"suppressed,omitempty"`
}

// ComputeFingerprint returns a stable identifier of the finding's subject:
// the same check on the same resource and key gives the same fingerprint in
// every run, whatever the status or message.
func (f *Finding) ComputeFingerprint() string {
	h := sha256.Sum256([]byte(f.CheckID + "\x00" + f.Resource + "\x00" + f.Key))
	return hex.EncodeToString(h[:8])
}

// Finalize fills the fingerprint and sorts the controls.
func (f *Finding) Finalize() {
	f.Fingerprint = f.ComputeFingerprint()
	SortControls(f.Controls)
}

// SortControls sorts controls by framework and ID, in place, and returns
// the slice.
func SortControls(cs []Control) []Control {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Framework != cs[j].Framework {
			return cs[i].Framework < cs[j].Framework
		}
		return cs[i].ID < cs[j].ID
	})
	return cs
}

// Active reports whether the finding counts against the exit code: a FAIL or
// WARN that is not suppressed.
func (f *Finding) Active() bool {
	return f.Suppressed == nil && (f.Status == Fail || f.Status == Warn)
}

// Incomplete reports whether the finding records something that could not
// be evaluated.
func (f *Finding) Incomplete() bool {
	return f.Status == Error || f.Status == NotEvaluated
}

// Sort orders findings deterministically: severity (highest first), check ID,
// resource, key, status.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Status < b.Status
	})
}

// Summary counts findings by status.
type Summary struct {
	Total        int `json:"total"`
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Warn         int `json:"warn"`
	Error        int `json:"error"`
	NotEvaluated int `json:"not_evaluated"`
	Suppressed   int `json:"suppressed"`
}

// Summarize counts fs.
func Summarize(fs []Finding) Summary {
	var s Summary
	for _, f := range fs {
		s.Total++
		if f.Suppressed != nil {
			s.Suppressed++
			continue
		}
		switch f.Status {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Warn:
			s.Warn++
		case Error:
			s.Error++
		case NotEvaluated:
			s.NotEvaluated++
		}
	}
	return s
}

// MarshalJSON writes the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var n string
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	return s.UnmarshalText([]byte(n))
}
