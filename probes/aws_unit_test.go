package probes

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// pagedSim answers one result per action, one page at a time, with the
// top-level decision only (no ResourceSpecificResults), as IAM may when a
// call names a single resource.
type pagedSim struct {
	calls int
	ins   []*iam.SimulatePrincipalPolicyInput
}

func (p *pagedSim) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	p.calls++
	cp := *in
	p.ins = append(p.ins, &cp)
	i := 0
	if in.Marker != nil {
		i = int(aws.ToString(in.Marker)[0] - '0')
	}
	a := in.ActionNames[i]
	res := types.EvaluationResult{EvalActionName: aws.String(a), EvalResourceName: aws.String("*"), EvalDecision: types.PolicyEvaluationDecisionTypeImplicitDeny,
		PermissionsBoundaryDecisionDetail: &types.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: false}}
	if a == "s3:GetObject" {
		res.EvalDecision = types.PolicyEvaluationDecisionTypeAllowed
		res.MatchedStatements = []types.Statement{{SourcePolicyId: aws.String("inline"), SourcePolicyType: types.PolicySourceTypeRole, StartPosition: &types.Position{Line: 3}}}
		res.PermissionsBoundaryDecisionDetail = &types.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: true}
	}
	out := &iam.SimulatePrincipalPolicyOutput{EvaluationResults: []types.EvaluationResult{res}}
	if i+1 < len(in.ActionNames) {
		out.IsTruncated = true
		out.Marker = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func TestAWSEnginePagesAndTopLevelResults(t *testing.T) {
	t.Parallel()
	sim := &pagedSim{}
	eng := &AWS{API: sim}
	role := "arn:aws:iam::111122223333:role/r"
	ctx := []ContextEntry{{Key: "aws:SourceVpce", Type: "string", Values: []string{"vpce-1"}}}
	qs := []Query{
		{role, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx}},
		{role, Request{Action: "iam:CreateRole", Resource: "arn:aws:s3:::b/k", Context: ctx}},
		{role, Request{Action: "sqs:SendMessage", Resource: "arn:aws:s3:::b/k", Context: ctx}},
	}
	as, err := eng.Decide(context.Background(), qs)
	if err != nil {
		t.Fatal(err)
	}
	if sim.calls != 3 {
		t.Errorf("%d calls, want 3 pages of one batch", sim.calls)
	}
	first := sim.ins[0]
	if len(first.ActionNames) != 3 || len(first.ResourceArns) != 1 || len(first.ContextEntries) != 1 ||
		first.ContextEntries[0].ContextKeyType != types.ContextKeyTypeEnumString || aws.ToString(first.PolicySourceArn) != role {
		t.Errorf("request %+v: want 3 actions, 1 resource, the typed context entry and the role", first)
	}
	tests := []struct {
		name         string
		i            int
		decision     string
		boundary     bool
		wantStatemnt string
	}{
		{"allowed with statement", 0, Allowed, true, "inline (role) line 3"},
		{"denied on a later page", 1, ImplicitDeny, false, ""},
		{"last page", 2, ImplicitDeny, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := as[tc.i]
			if a.Decision != tc.decision || a.BoundaryAllowed == nil || *a.BoundaryAllowed != tc.boundary || a.NotEvaluated != "" {
				t.Fatalf("answer %+v, want %s with boundary %v", a, tc.decision, tc.boundary)
			}
			if tc.wantStatemnt != "" && (len(a.Statements) != 1 || a.Statements[0] != tc.wantStatemnt) {
				t.Errorf("statements %v, want %q", a.Statements, tc.wantStatemnt)
			}
		})
	}
}

// failingSim answers every call with a server error.
type failingSim struct{ calls int }

func (f *failingSim) SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	f.calls++
	return nil, &smithy.GenericAPIError{Code: "ServiceFailure", Message: "down"}
}

// TestAWSEngineGivesUp: after GiveUpAfter failed calls in a row the engine
// stops asking; every query is NotEvaluated with the reason, none decided.
func TestAWSEngineGivesUp(t *testing.T) {
	t.Parallel()
	sim := &failingSim{}
	eng := &AWS{API: sim, GiveUpAfter: 2, MaxActions: 1}
	var qs []Query
	for i := range 10 {
		qs = append(qs, Query{fmt.Sprintf("arn:aws:iam::111122223333:role/r%d", i), Request{Action: "s3:GetObject", Resource: "*"}})
	}
	as, err := eng.Decide(context.Background(), qs)
	if err != nil {
		t.Fatal(err)
	}
	if sim.calls != 2 {
		t.Errorf("%d calls, want 2 before giving up", sim.calls)
	}
	for i, a := range as {
		if a.NotEvaluated == "" || a.Decision != "" {
			t.Errorf("query %d: %+v, want NotEvaluated", i, a)
		}
	}
	if !strings.Contains(as[9].NotEvaluated, "failed 2 times in a row") {
		t.Errorf("reason %q", as[9].NotEvaluated)
	}
}
