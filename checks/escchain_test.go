package checks

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/policy"
)

// TestChainSearchBound: a principal at the depth bound that may take no
// step is a dead end (PASS is earned); one that may take a step leaves the
// search unfinished (NOT_EVALUATED, never PASS).
func TestChainSearchBound(t *testing.T) {
	t.Parallel()
	c := mustContract(t, "pennsieve")
	tests := []struct {
		fixture string
		want    finding.Status
	}{
		{"quiet-chain-dead-end-at-bound.json", finding.Pass},
		{"bound-chain-past-four-steps.json", finding.NotEvaluated},
		{"fire-chain-of-four-steps.json", finding.Fail},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			snap := load(t, filepath.Join("..", "testdata", "checks", "PV-ESC-009", tc.fixture))
			fs := findingsOf(Run(NewEnv(snap, c, testNow), Catalogue()), "PV-ESC-009")
			if len(fs) != 1 || fs[0].Status != tc.want {
				t.Fatalf("PV-ESC-009 = %+v, want one %s", fs, tc.want)
			}
		})
	}
}

// TestTrustForNewRole: only principals naming one role by its exact ARN
// are left out of the trust a role created later is asked against.
func TestTrustForNewRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, trust string
		want        int // statements kept
		wantAWS     []string
	}{
		{"exact role only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/a"},"Action":"sts:AssumeRole"}]}`, 0, nil},
		{"exact role beside root", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/a","arn:aws:iam::111122223333:root"]},"Action":"sts:AssumeRole"}]}`, 1, []string{"arn:aws:iam::111122223333:root"}},
		{"wildcard role kept", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/pennsieve-*"},"Action":"sts:AssumeRole"}]}`, 1, []string{"arn:aws:iam::111122223333:role/pennsieve-*"}},
		{"variable kept", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/${aws:username}"},"Action":"sts:AssumeRole"}]}`, 1, []string{"arn:aws:iam::111122223333:role/${aws:username}"}},
		{"service kept", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com","AWS":"arn:aws:iam::111122223333:role/a"},"Action":"sts:AssumeRole"}]}`, 1, nil},
		{"star kept", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, 1, nil},
		{"user kept", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/u"},"Action":"sts:AssumeRole"}]}`, 1, []string{"arn:aws:iam::111122223333:user/u"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc policy.Document
			if err := json.Unmarshal([]byte(tc.trust), &doc); err != nil {
				t.Fatal(err)
			}
			got := trustForNewRole(&doc)
			if len(got.Statements) != tc.want {
				t.Fatalf("%d statements kept, want %d", len(got.Statements), tc.want)
			}
			if tc.want == 1 && tc.wantAWS != nil {
				aws := []string(got.Statements[0].Principal.AWS)
				if len(aws) != len(tc.wantAWS) || aws[0] != tc.wantAWS[0] {
					t.Errorf("AWS principals %v, want %v", aws, tc.wantAWS)
				}
			}
			if len(doc.Statements[0].Principal.AWS) == 0 && !doc.Statements[0].Principal.Wildcard && tc.name != "service kept" {
				t.Errorf("the input document was changed")
			}
		})
	}
}
