package controls_test

import (
	"testing"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/rules"
	"github.com/pvaudit/pvaudit/rules/controls"
)

// TestCatalogueCoversTheRegistry: every control a rule of any contract's
// registry names is in the catalogue, well-formed and titled.
func TestCatalogueCoversTheRegistry(t *testing.T) {
	t.Parallel()
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range contract.Names() {
		c, err := contract.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		reg, err := audit.Registry(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := cat.Validate(reg); err != nil {
			t.Errorf("contract %s: %v", name, err)
		}
	}
	for _, want := range []string{"hipaa", "nist-800-53", "nist-800-171", "NIST-800-53r5", "800-171"} {
		if _, err := cat.Framework(want); err != nil {
			t.Errorf("framework %q: %v", want, err)
		}
	}
}

func TestValidateCatchesAnUntitledControl(t *testing.T) {
	t.Parallel()
	cat, _ := controls.Load()
	reg, err := rules.New([]rules.Rule{{ID: "PV-TST-001", Source: "catalogue", Title: "t", Remediation: "r",
		Controls: []finding.Control{{Framework: "NIST-800-53r5", ID: "ZZ-99"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Validate(reg); err == nil {
		t.Error("a control missing from the catalogue validates")
	}
}

// TestMatrixFailsClosed: a control is PASS only when every mapped rule
// ran and passed, without gaps.
func TestMatrixFailsClosed(t *testing.T) {
	t.Parallel()
	ctl := []finding.Control{{Framework: "HIPAA", ID: "164.312(b)"}}
	reg, err := rules.New([]rules.Rule{
		{ID: "PV-TST-001", Source: "catalogue", Title: "a", Remediation: "r", Controls: ctl},
		{ID: "TRAIL-099", Source: "trail", Title: "b", Remediation: "r", Controls: ctl},
	})
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := controls.Load()
	fw, _ := cat.Framework("hipaa")
	pass := finding.Finding{CheckID: "PV-TST-001", Status: finding.Pass, Resource: "x"}
	pass.Finalize()
	ne := pass
	ne.Status = finding.NotEvaluated
	supp := pass
	supp.Status, supp.Suppressed = finding.Fail, &finding.Suppression{Reason: "r"}
	tests := []struct {
		name string
		run  *controls.Run
		want controls.Status
	}{
		{"catalogue only", nil, controls.NotAssessed},
		{"all ran and passed", &controls.Run{Findings: []finding.Finding{pass}, Ran: map[string]bool{"PV-TST-001": true, "TRAIL-099": true}}, controls.Pass},
		{"a mapped rule did not run", &controls.Run{Findings: []finding.Finding{pass}, Ran: map[string]bool{"PV-TST-001": true}}, controls.NotEvaluated},
		{"a coverage gap", &controls.Run{Findings: []finding.Finding{pass}, Ran: map[string]bool{"PV-TST-001": true, "TRAIL-099": true}, CoverageGaps: 1}, controls.NotEvaluated},
		{"not evaluated", &controls.Run{Findings: []finding.Finding{ne}, Ran: map[string]bool{"PV-TST-001": true, "TRAIL-099": true}}, controls.NotEvaluated},
		{"suppressed fail", &controls.Run{Findings: []finding.Finding{supp}, Ran: map[string]bool{"PV-TST-001": true, "TRAIL-099": true}}, controls.Accepted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows := controls.Matrix(fw, reg, tc.run)
			if len(rows) != 1 || rows[0].Status != tc.want {
				t.Fatalf("rows %+v, want one %s", rows, tc.want)
			}
		})
	}
}
