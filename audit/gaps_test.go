package audit

import (
	"context"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// TestNoPassFromAPartialAccount: a check that found nothing wrong in a
// role list that failed, or stopped after its first page, has not shown
// that nothing is wrong. On main PV-ACC-002 said PASS ("no legacy provider
// role") in both cases.
func TestNoPassFromAPartialAccount(t *testing.T) {
	ids := []string{"PV-ACC-001", "PV-ACC-002", "PV-XAR-001", "PV-XAR-004", "PV-BND-001", "PV-PRB-001"}
	tests := []struct {
		name string
		// cut changes the snapshot as a failed collection leaves it.
		cut        func(s *inventory.Snapshot)
		wantPass   []string // checks that still PASS
		wantNotVal []string // checks that must be NOT_EVALUATED or ERROR
	}{
		{name: "complete", cut: func(*inventory.Snapshot) {}, wantPass: []string{"PV-ACC-001", "PV-ACC-002", "PV-XAR-004"}},
		{name: "authorization details denied", cut: func(s *inventory.Snapshot) {
			s.Roles, s.Policies, s.Users, s.Groups = nil, nil, nil, nil
			s.Gaps = append(s.Gaps, inventory.Gap{Operation: "iam:GetAccountAuthorizationDetails", Code: "AccessDenied", Message: "denied"})
		}, wantNotVal: []string{"PV-ACC-001", "PV-ACC-002"}},
		{name: "role list stopped after page 1", cut: func(s *inventory.Snapshot) {
			s.Roles = s.Roles[:1]
			s.Gaps = append(s.Gaps, inventory.Gap{Operation: "iam:GetAccountAuthorizationDetails", Code: "ServiceFailure", Message: "listing stopped after 1 page(s): ServiceFailure"})
		}, wantNotVal: []string{"PV-ACC-001", "PV-ACC-002"}},
		{name: "page without marker", cut: func(s *inventory.Snapshot) {
			s.Gaps = append(s.Gaps, inventory.Gap{Operation: "iam:GetAccountAuthorizationDetails", Code: "BrokenPagination", Message: "page 1 says more follow"})
		}, wantNotVal: []string{"PV-ACC-002", "PV-XAR-004"}},
		{name: "session durations unread", cut: func(s *inventory.Snapshot) {
			for i := range s.Roles {
				s.Roles[i].MaxSessionDuration = 0
			}
			s.Gaps = append(s.Gaps, inventory.Gap{Operation: "iam:ListRoles", Code: "AccessDenied", Resource: "MaxSessionDuration of roles"})
		}, wantPass: []string{"PV-ACC-002"}, wantNotVal: []string{"PV-XAR-004"}},
		{name: "access keys unread", cut: func(s *inventory.Snapshot) {
			for i := range s.Users {
				s.Users[i].AccessKeys = nil
			}
			s.Gaps = append(s.Gaps, inventory.Gap{Operation: "iam:ListAccessKeys", Code: "Throttling"})
		}, wantPass: []string{"PV-ACC-002"}, wantNotVal: []string{"PV-ACC-001"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := source(t, "testdata", "accounts", "compliant.json")
			tc.cut(src.Snapshot)
			r := &Run{Now: testClock, Config: &config.Resolved{Contract: mustContract(t, "pennsieve", contract.Parameters{ProvisionerAccountID: "941377122013"})}, FailOn: finding.High}
			rep, err := Scan(context.Background(), r, ScanInput{Source: src, Checks: ids})
			if err != nil {
				t.Fatal(err)
			}
			status := map[string][]finding.Status{}
			for _, f := range rep.Findings {
				status[f.CheckID] = append(status[f.CheckID], f.Status)
			}
			for _, id := range tc.wantPass {
				if !allAre(status[id], finding.Pass) {
					t.Errorf("%s: got %v, want PASS", id, status[id])
				}
			}
			for _, id := range tc.wantNotVal {
				if len(status[id]) == 0 {
					t.Errorf("%s: no finding", id)
				}
				for _, s := range status[id] {
					if s != finding.NotEvaluated && s != finding.Error {
						t.Errorf("%s: got %s on a partial account, want NOT_EVALUATED or ERROR", id, s)
					}
				}
			}
			partial := len(src.Snapshot.Gaps) > 0
			if partial && rep.Verdict.Outcome != finding.Incomplete {
				t.Errorf("verdict %s, want incomplete", rep.Verdict.Outcome)
			}
			if partial && !strings.HasPrefix(tc.name, "session") && !strings.HasPrefix(tc.name, "access") {
				for _, f := range rep.Findings {
					if f.Status == finding.Pass {
						t.Errorf("%s PASS on %s although the role list is partial: %s", f.CheckID, f.Resource, f.Message)
					}
				}
			}
		})
	}
}

func allAre(ss []finding.Status, want finding.Status) bool {
	for _, s := range ss {
		if s != want {
			return false
		}
	}
	return len(ss) > 0
}
