package checks

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// TestEvaluatorMissingPolicies: a boundary missing from the snapshot leaves
// denials certain but makes allows unevaluable; a missing identity policy
// makes the role unevaluable altogether.
func TestEvaluatorMissingPolicies(t *testing.T) {
	t.Parallel()
	c := mustContract(t, "pennsieve")
	base := filepath.Join("..", "testdata", "checks", "PV-ESC-003", "quiet-clean.json")
	role := "pennsieve-7f3a9c21-orchestrator"
	tests := []struct {
		name    string
		mutate  func(s *inventory.Snapshot)
		action  string
		wantErr bool
		want    string // "Allow", "ImplicitDeny", "unevaluable"
	}{
		{"all present, allowed", func(*inventory.Snapshot) {}, "states:StartExecution", false, "Allow"},
		{"boundary missing, identity allows", dropPolicy("pennsieve-boundary-7f3a9c21"), "states:StartExecution", false, "unevaluable"},
		{"boundary missing, identity denies", dropPolicy("pennsieve-boundary-7f3a9c21"), "iam:CreateRole", false, "ImplicitDeny"},
		{"attached policy missing", func(s *inventory.Snapshot) {
			s.Role(role).AttachedPolicies = append(s.Role(role).AttachedPolicies, inventory.AttachedPolicy{Name: "gone", ARN: "arn:aws:iam::481516234201:policy/gone"})
		}, "states:StartExecution", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			snap := load(t, base)
			tc.mutate(snap)
			env := NewEnv(snap, c, testNow)
			ev, err := env.Evaluator(snap.Role(role))
			if tc.wantErr {
				if !errors.Is(err, ErrPolicyMissing) {
					t.Fatalf("got error %v, want ErrPolicyMissing", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res := ev.Evaluate(&policy.Request{Principal: snap.Role(role).ARN, Action: tc.action,
				Resource: "arn:aws:states:us-east-1:481516234201:stateMachine:pennsieve-7f3a9c21-main"})
			got := res.Decision.String()
			if !res.Evaluable() {
				got = "unevaluable"
			}
			if got != tc.want {
				t.Errorf("got %s, want %s (%+v)", got, tc.want, res)
			}
		})
	}
}

func dropPolicy(name string) func(s *inventory.Snapshot) {
	return func(s *inventory.Snapshot) {
		s.Policies = slices.DeleteFunc(s.Policies, func(p inventory.ManagedPolicy) bool { return p.Name == name })
	}
}

// TestEvaluatorChecksFailClosed: every evaluator-based check reports ERROR
// or NOT_EVALUATED, never PASS, for a role whose policies are missing.
func TestEvaluatorChecksFailClosed(t *testing.T) {
	t.Parallel()
	c := mustContract(t, "pennsieve")
	snap := load(t, filepath.Join("..", "testdata", "checks", "PV-ESC-003", "quiet-clean.json"))
	xa := snap.Role("Pennsieve-Compute-prod-a3f1b20c")
	xa.AttachedPolicies = append(xa.AttachedPolicies, inventory.AttachedPolicy{Name: "gone", ARN: "arn:aws:iam::481516234201:policy/gone"})
	fs := Run(NewEnv(snap, c, testNow), Catalogue())
	for _, id := range []string{"PV-XAR-006", "PV-GRD-001", "PV-GRD-002", "PV-GRD-003", "PV-GRD-004", "PV-GRD-005",
		"PV-ESC-001", "PV-ESC-002", "PV-ESC-003", "PV-ESC-004", "PV-ESC-005", "PV-ESC-007", "PV-ESC-008"} {
		t.Run(id, func(t *testing.T) {
			var got []finding.Status
			for _, f := range findingsOf(fs, id) {
				if f.Resource == xa.ARN {
					got = append(got, f.Status)
				}
			}
			if len(got) == 0 || slices.Contains(got, finding.Pass) || !slices.Contains(got, finding.Error) {
				t.Errorf("statuses for the cross-account role = %v, want ERROR and no PASS", got)
			}
		})
	}
}
