package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// JUnit XML, in the shape CI dashboards (Jenkins, GitLab, GitHub test
// reporters) read: one suite per check, one test case per check and
// resource. FAIL is a <failure>; ERROR and NOT_EVALUATED are an <error>
// (never a pass), also when suppressed; a suppressed FAIL or WARN is
// <skipped> with its reason; each coverage gap is an <error> in a
// "coverage" suite; a "verdict" suite carries the run's outcome.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func writeJUnit(w io.Writer, rep Report) error {
	r := rep.(FindingReport)
	h := r.Head()
	stamp := h.GeneratedAt.UTC().Format(time.RFC3339)
	props := []junitProperty{{"tool", h.Tool + " " + h.Version}, {"command", h.Command}, {"contract", h.Contract}}
	if h.Account != nil {
		props = append(props, junitProperty{"account", h.Account.ID}, junitProperty{"source", h.Account.Source})
	}
	if h.Filter != "" {
		props = append(props, junitProperty{"filter", h.Filter})
	}
	byCheck := map[string][]finding.Finding{}
	for _, f := range r.FindingList() {
		byCheck[f.CheckID] = append(byCheck[f.CheckID], f)
	}
	ids := make([]string, 0, len(byCheck))
	for id := range byCheck {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	doc := junitSuites{Name: "pvaudit " + h.Command, Time: "0"}
	for _, id := range ids {
		fs := byCheck[id]
		s := junitSuite{Name: id + " " + fs[0].Title, Time: "0", Timestamp: stamp, Properties: props}
		for i := range fs {
			s.Cases = append(s.Cases, junitCaseOf(&fs[i]))
		}
		doc.Suites = append(doc.Suites, s)
	}
	if gaps := r.Gaps(); len(gaps) > 0 {
		s := junitSuite{Name: "coverage: what could not be read", Time: "0", Timestamp: stamp, Properties: props}
		for _, g := range gaps {
			s.Cases = append(s.Cases, junitCase{Name: firstNonEmpty(g.Resource, g.Operation), Classname: "coverage", Time: "0",
				Error: &junitProblem{Message: gapText(g), Type: "coverage-gap", Text: gapText(g)}})
		}
		doc.Suites = append(doc.Suites, s)
	}
	v, sum := r.Result()
	vc := junitCase{Name: "verdict (fail-on " + v.FailOn.String() + ")", Classname: "verdict", Time: "0", SystemOut: v.Line(sum)}
	switch v.Outcome {
	case finding.Failed:
		vc.Failure = &junitProblem{Message: v.Line(sum), Type: string(v.Outcome), Text: v.Line(sum)}
	case finding.Incomplete:
		vc.Error = &junitProblem{Message: v.Line(sum), Type: string(v.Outcome), Text: strings.Join(v.Reasons, "\n")}
	}
	doc.Suites = append(doc.Suites, junitSuite{Name: "verdict", Time: "0", Timestamp: stamp, Properties: props, Cases: []junitCase{vc}})
	for i := range doc.Suites {
		s := &doc.Suites[i]
		for _, c := range s.Cases {
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitCaseOf(f *finding.Finding) junitCase {
	name := ShortResource(f.Resource)
	if f.Key != "" {
		name += " [" + f.Key + "]"
	}
	c := junitCase{Name: name, Classname: f.CheckID, Time: "0"}
	detail := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s %s\nresource: %s\nfingerprint: %s\n%s\n", f.Status, f.Severity, f.CheckID, f.Resource, f.Fingerprint, f.Message)
		if fx := Fix(f); fx != "" {
			fmt.Fprintf(&b, "fix: %s\n", fx)
		}
		return b.String()
	}
	msg := string(f.Status) + " " + f.Severity.String() + ": " + f.Message
	switch {
	case f.Incomplete():
		t := "not-evaluated"
		if f.Status == finding.Error {
			t = "error"
		}
		if f.Suppressed != nil {
			msg = "accepted gap (" + suppressionText(f.Suppressed) + "): " + msg
		}
		c.Error = &junitProblem{Message: msg, Type: t, Text: detail()}
	case f.Suppressed != nil:
		c.Skipped = &junitSkipped{Message: "suppressed " + string(f.Status) + ": " + suppressionText(f.Suppressed)}
	case f.Status == finding.Fail:
		c.Failure = &junitProblem{Message: msg, Type: f.Severity.String(), Text: detail()}
	case f.Status == finding.Warn:
		c.SystemOut = detail()
	}
	return c
}
