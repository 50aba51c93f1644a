package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/pvaudit/pvaudit/policy"
)

// NotEvaluated is the decision shown when the engine could not decide.
const NotEvaluated = "NotEvaluated"

// SimulateReport is what `pvaudit simulate` decided.
type SimulateReport struct {
	Header
	Principal string              `json:"principal,omitempty"`
	Context   map[string][]string `json:"context,omitempty"`
	Results   []Decision          `json:"results"`
}

// Decision is one decision as simulate reports it; simulate --batch writes
// one per line.
type Decision struct {
	Principal    string                    `json:"principal,omitempty"`
	Action       string                    `json:"action,omitempty"`
	Resource     string                    `json:"resource,omitempty"`
	Decision     string                    `json:"decision"`
	Matched      []policy.MatchedStatement `json:"matched"`
	MissingLayer policy.Layer              `json:"missing_layer,omitempty"`
	MissingLevel *int                      `json:"missing_level,omitempty"`
	Unevaluable  []string                  `json:"unevaluable,omitempty"`
}

// NewDecision renders an evaluator result.
func NewDecision(r policy.Result) Decision {
	s := Decision{Decision: r.Decision.String(), Matched: r.Matched, Unevaluable: r.Unevaluable}
	if s.Matched == nil {
		s.Matched = []policy.MatchedStatement{}
	}
	if !r.Evaluable() {
		s.Decision = NotEvaluated
		return s
	}
	if r.Decision == policy.ImplicitDeny {
		s.MissingLayer = r.MissingLayer
		if r.MissingLayer == policy.LayerSCP {
			lvl := r.MissingLevel
			s.MissingLevel = &lvl
		}
	}
	return s
}

func (r *SimulateReport) normalizeJSON() { r.Results = nonNil(r.Results) }

func writeSimulateTable(w io.Writer, rep Report, o Options) error {
	r := rep.(*SimulateReport)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tRESOURCE\tDECISION\tDECIDED BY")
	for _, d := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Action, d.Resource, d.Decision, d.DecidedBy())
	}
	return tw.Flush()
}

// DecidedBy explains a decision in one line.
func (d Decision) DecidedBy() string {
	switch {
	case d.Decision == NotEvaluated:
		if len(d.Unevaluable) > 0 {
			return "cannot decide: " + d.Unevaluable[0]
		}
		return "cannot decide"
	case len(d.Matched) > 0:
		parts := make([]string, 0, len(d.Matched))
		for _, m := range d.Matched {
			s := string(m.Layer)
			if m.Layer == policy.LayerSCP {
				s += fmt.Sprintf("[%d]", m.Level)
			}
			s += fmt.Sprintf("/%s[%d]", m.Policy, m.Index)
			if m.Sid != "" {
				s += fmt.Sprintf(" %q", m.Sid)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", ")
	case d.MissingLayer == policy.LayerSCP && d.MissingLevel != nil:
		return fmt.Sprintf("no Allow in SCP level %d", *d.MissingLevel)
	case d.MissingLayer != "":
		return fmt.Sprintf("no Allow in the %s policies", d.MissingLayer)
	}
	return ""
}
