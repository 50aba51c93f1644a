package provision_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/pvaudit/pvaudit/provision"
)

// recorder is a Writer that records calls and fails some of them: fail
// maps "Op target" to the errors to return, one per call, in order.
type recorder struct {
	provision.Writer // nil: a method not overridden below panics
	calls            []string
	fail             map[string][]error
}

func (r *recorder) do(op, target string) error {
	k := op + " " + target
	r.calls = append(r.calls, k)
	if errs := r.fail[k]; len(errs) > 0 {
		r.fail[k] = errs[1:]
		return errs[0]
	}
	return nil
}

func (r *recorder) CreatePolicy(_ context.Context, in *iam.CreatePolicyInput, _ ...func(*iam.Options)) (*iam.CreatePolicyOutput, error) {
	return &iam.CreatePolicyOutput{}, r.do("CreatePolicy", *in.PolicyName)
}

func (r *recorder) CreateRole(_ context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	return &iam.CreateRoleOutput{}, r.do("CreateRole", *in.RoleName)
}

func (r *recorder) PutRolePolicy(_ context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	return &iam.PutRolePolicyOutput{}, r.do("PutRolePolicy", *in.RoleName)
}

func noSuchEntity() error {
	return &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "not found"}
}

func TestApply(t *testing.T) {
	t.Parallel()
	d := build(t, "pennsieve", func() provision.Params { p := pennsieveParams(); p.Nodes = p.Nodes[:1]; return p }())
	st := stateOf(t, d)
	st.Snapshot.Roles, st.Snapshot.Policies = nil, nil
	plan := provision.Diff(d, st, loadContract(t, "pennsieve"))
	const ecs = "pennsieve-7f3a9c21-processor-ecs"
	tests := []struct {
		name       string
		fail       map[string][]error
		wantStatus string // one letter per step: d done, f failed, n not run
		attempts   map[int]int
		waits      []time.Duration
	}{
		{name: "all done", wantStatus: "ddddddd"},
		{name: "a just-created role not yet visible is retried",
			fail:       map[string][]error{"PutRolePolicy " + ecs: {noSuchEntity(), noSuchEntity()}},
			wantStatus: "ddddddd", attempts: map[int]int{5: 3}, waits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{name: "a just-created boundary not yet visible is retried",
			fail:       map[string][]error{"CreateRole " + ecs: {noSuchEntity()}},
			wantStatus: "ddddddd", attempts: map[int]int{4: 2}, waits: []time.Duration{250 * time.Millisecond}},
		{name: "the retries are bounded",
			fail:       map[string][]error{"PutRolePolicy " + ecs: {noSuchEntity(), noSuchEntity(), noSuchEntity(), noSuchEntity(), noSuchEntity(), noSuchEntity(), noSuchEntity()}},
			wantStatus: "ddddfnn", attempts: map[int]int{5: 6},
			waits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
		{name: "NoSuchEntity on what this run did not create is a failure at once",
			fail:       map[string][]error{"CreateRole Pennsieve-Compute-prod-a3f1b20c": {noSuchEntity()}},
			wantStatus: "dfnnnnn", attempts: map[int]int{2: 1}},
		{name: "a denied call stops the run",
			fail:       map[string][]error{"CreatePolicy pennsieve-boundary-7f3a9c21": {&smithy.GenericAPIError{Code: "AccessDenied"}}},
			wantStatus: "fnnnnnn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{fail: map[string][]error{}}
			for k, v := range tc.fail {
				rec.fail[k] = append([]error(nil), v...)
			}
			var waits []time.Duration
			res := provision.Apply(context.Background(), rec, plan, provision.ApplyOptions{Sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}})
			var got strings.Builder
			for _, s := range res.Steps {
				got.WriteByte(s.Status[0])
				if want, ok := tc.attempts[s.Seq]; ok && s.Attempts != want {
					t.Errorf("step %d: %d attempts, want %d", s.Seq, s.Attempts, want)
				}
				if s.Status == provision.StatusFailed && (s.ErrorCode == "" || s.Error == "") {
					t.Errorf("step %d failed without saying why: %+v", s.Seq, s)
				}
			}
			if got.String() != tc.wantStatus {
				t.Errorf("statuses %s, want %s (calls %v)", got.String(), tc.wantStatus, rec.calls)
			}
			if fmt.Sprint(waits) != fmt.Sprint(tc.waits) {
				t.Errorf("waits %v, want %v", waits, tc.waits)
			}
			if res.Complete != !strings.ContainsAny(tc.wantStatus, "fn") || res.Done+res.Failed+res.NotRun != len(plan.Steps) {
				t.Errorf("result %+v", res)
			}
		})
	}
}
