package finding

import (
	"fmt"
	"strings"
	"testing"
)

func fd(id string, st Status, sev Severity, suppressed bool) Finding {
	f := Finding{CheckID: id, Status: st, Severity: sev, Resource: "r-" + id}
	if suppressed {
		f.Suppressed = &Suppression{Reason: "accepted", Expires: "2027-01-31"}
	}
	f.Finalize()
	return f
}

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fs       []Finding
		gaps     int
		failOn   Severity
		want     Outcome
		accepted int
		reason   string
	}{
		{"nothing", nil, 0, High, Clean, 0, ""},
		{"pass only", []Finding{fd("A", Pass, High, false)}, 0, High, Clean, 0, ""},
		{"warn never fails", []Finding{fd("A", Warn, Critical, false)}, 0, Info, Clean, 0, ""},
		{"fail at fail-on", []Finding{fd("A", Fail, High, false)}, 0, High, Failed, 0, ""},
		{"fail below fail-on", []Finding{fd("A", Fail, Medium, false)}, 0, High, Clean, 0, ""},
		{"suppressed fail", []Finding{fd("A", Fail, Critical, true)}, 0, Info, Clean, 0, ""},
		{"error", []Finding{fd("A", Error, Low, false)}, 0, Critical, Incomplete, 0, "could not be evaluated"},
		{"not evaluated", []Finding{fd("A", NotEvaluated, Low, false)}, 0, Critical, Incomplete, 0, "could not be evaluated"},
		{"suppressed error stays incomplete", []Finding{fd("A", Error, Medium, true)}, 0, High, Incomplete, 1, "accepts a risk"},
		{"suppressed not-evaluated stays incomplete", []Finding{fd("A", NotEvaluated, High, true)}, 0, High, Incomplete, 1, "accepts a risk"},
		{"coverage gap", []Finding{fd("A", Pass, High, false)}, 1, High, Incomplete, 0, "coverage gap"},
		{"incomplete beats failed", []Finding{fd("A", Fail, Critical, false), fd("B", Error, Low, true)}, 0, High, Incomplete, 1, "accepts a risk"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := Decide(tc.fs, tc.gaps, tc.failOn)
			if v.Outcome != tc.want || len(v.Accepted) != tc.accepted {
				t.Errorf("outcome %s with %d accepted gap(s), want %s with %d", v.Outcome, len(v.Accepted), tc.want, tc.accepted)
			}
			if got := strings.Join(v.Reasons, "; "); !strings.Contains(got, tc.reason) {
				t.Errorf("reasons %q lack %q", got, tc.reason)
			}
			line := v.Line(Summarize(tc.fs))
			word := map[Outcome]string{Clean: "Summary: clean", Failed: "Summary: FAILED", Incomplete: "Summary: INCOMPLETE"}[tc.want]
			if !strings.HasPrefix(line, word) {
				t.Errorf("line %q does not start with %q: words and outcome disagree", line, word)
			}
		})
	}
}

// TestDecideFailOnMatrix: a FAIL of every severity against every --fail-on.
func TestDecideFailOnMatrix(t *testing.T) {
	t.Parallel()
	for sev := Info; sev <= Critical; sev++ {
		for failOn := Info; failOn <= Critical; failOn++ {
			t.Run(fmt.Sprintf("%s-fail/fail-on-%s", sev, failOn), func(t *testing.T) {
				t.Parallel()
				v := Decide([]Finding{fd("A", Fail, sev, false)}, 0, failOn)
				want := Clean
				if sev >= failOn {
					want = Failed
				}
				if v.Outcome != want {
					t.Errorf("outcome %s, want %s", v.Outcome, want)
				}
				if (v.Failing == 1) != (want == Failed) || (v.BelowFailOn == 1) == (want == Failed) {
					t.Errorf("failing %d below %d", v.Failing, v.BelowFailOn)
				}
			})
		}
	}
}
