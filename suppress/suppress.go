// Package suppress applies a suppression file to findings: each rule names a
// finding by fingerprint or by check and resource, says why, and expires.
// Suppressed findings stay in the report, marked; an expired rule no longer
// suppresses.
package suppress

import (
	"errors"
	"fmt"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/yamlstrict"
	"gopkg.in/yaml.v3"
)

// DateLayout is the format of Expires.
const DateLayout = "2006-01-02"

// Rule is one suppression.
type Rule struct {
	// Fingerprint, or Check and Resource, select the finding.
	Fingerprint string `yaml:"fingerprint,omitempty"`
	Check       string `yaml:"check,omitempty"`
	Resource    string `yaml:"resource,omitempty"`
	// Reason is required: an auditor must see why.
	Reason string `yaml:"reason"`
	// Expires is a date (YYYY-MM-DD, UTC); the rule suppresses until the
	// end of that day.
	Expires string `yaml:"expires"`

	until time.Time
	// line is where the rule starts in its file (0 when unknown).
	line int
}

// File is the suppression file.
type File struct {
	Suppressions []Rule `yaml:"suppressions"`

	source string
}

// ErrInvalid is wrapped by every error about a suppression file's content.
var ErrInvalid = errors.New("invalid suppression file")

// Load reads and validates a suppression file. The file is opened without
// blocking and must be a regular file of at most
// fsutil.MaxSuppressionsBytes.
func Load(path string) (*File, error) {
	b, err := fsutil.ReadFile(path, fsutil.Suppressions)
	if err != nil {
		return nil, fmt.Errorf("read suppressions: %w", err)
	}
	return Parse(b, path)
}

// Parse decodes a suppression file strictly (see yamlstrict.Decode: one
// document, known keys given once, typed values; errors are
// file:line:col). An empty file suppresses nothing.
func Parse(data []byte, source string) (*File, error) {
	var f File
	if err := yamlstrict.Decode(data, source, &f); err != nil && !errors.Is(err, yamlstrict.ErrEmpty) {
		return nil, fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	f.source = source
	lines := ruleLines(data)
	for i := range f.Suppressions {
		if i < len(lines) {
			f.Suppressions[i].line = lines[i]
		}
		r := &f.Suppressions[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s: suppressions[%d]: %w: %s", source, i, ErrInvalid, fmt.Sprintf(format, args...))
		}
		switch {
		case r.Fingerprint == "" && (r.Check == "" || r.Resource == ""):
			return nil, bad("needs fingerprint, or check and resource")
		case r.Fingerprint != "" && (r.Check != "" || r.Resource != ""):
			return nil, bad("give fingerprint or check and resource, not both")
		case r.Reason == "":
			return nil, bad("needs a reason")
		case r.Expires == "":
			return nil, bad("needs expires (YYYY-MM-DD)")
		}
		d, err := time.Parse(DateLayout, r.Expires)
		if err != nil {
			return nil, bad("expires %q is not a YYYY-MM-DD date", r.Expires)
		}
		r.until = d.AddDate(0, 0, 1) // end of that day, UTC
	}
	return &f, nil
}

// ruleLines returns the line of each entry of the suppressions list.
func ruleLines(data []byte) []int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "suppressions" {
			var out []int
			for _, item := range top.Content[i+1].Content {
				out = append(out, item.Line)
			}
			return out
		}
	}
	return nil
}

func (r *Rule) matches(f *finding.Finding) bool {
	if r.Fingerprint != "" {
		return r.Fingerprint == f.Fingerprint
	}
	return r.Check == f.CheckID && r.Resource == f.Resource
}

// Result says what applying a file did.
type Result struct {
	Suppressed int
	// Expired are rules past their date that matched a finding (which is
	// therefore reported as usual).
	Expired []Rule
	// Unused are rules that matched no finding.
	Unused []Rule
}

// Apply marks the findings that a live rule matches. PASS findings are never
// marked. now is the injected clock.
func (f *File) Apply(fs []finding.Finding, now time.Time) Result {
	var res Result
	used := make([]bool, len(f.Suppressions))
	expiredSeen := make([]bool, len(f.Suppressions))
	for i := range fs {
		fd := &fs[i]
		if fd.Status == finding.Pass {
			continue
		}
		for j := range f.Suppressions {
			r := &f.Suppressions[j]
			if !r.matches(fd) {
				continue
			}
			used[j] = true
			if !now.Before(r.until) {
				if !expiredSeen[j] {
					expiredSeen[j] = true
					res.Expired = append(res.Expired, *r)
				}
				continue
			}
			fd.Suppressed = &finding.Suppression{Reason: r.Reason, Expires: r.Expires, Source: f.source}
			res.Suppressed++
			break
		}
	}
	for j, u := range used {
		if !u {
			res.Unused = append(res.Unused, f.Suppressions[j])
		}
	}
	return res
}

// Describe names a rule for log messages.
func (r Rule) Describe() string {
	if r.Fingerprint != "" {
		return "fingerprint " + r.Fingerprint
	}
	return r.Check + " on " + r.Resource
}

// Where is the rule's place in its file, "suppressions.yaml:3" (the
// file alone when the line is unknown).
func (f *File) Where(r Rule) string {
	if r.line > 0 {
		return fmt.Sprintf("%s:%d", f.source, r.line)
	}
	return f.source
}
