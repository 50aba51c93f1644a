package probes

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// flakyAPI fails its first calls with a connection error, then answers.
type flakyAPI struct {
	fail  int
	calls int
	err   error
}

func (f *flakyAPI) SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	f.calls++
	if f.calls <= f.fail {
		return nil, f.err
	}
	return &iam.SimulatePrincipalPolicyOutput{}, nil
}

// TestAWSEngineConnectionErrors: a dropped connection is retried (the
// client may have no SDK retryer); one that keeps failing, or another
// kind of error, is the answer: NOT_EVALUATED with its cause, never PASS.
func TestAWSEngineConnectionErrors(t *testing.T) {
	t.Parallel()
	closed := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("use of closed network connection")}
	tests := []struct {
		name    string
		api     *flakyAPI
		wantWhy bool
		calls   int
	}{
		{"one dropped connection is retried", &flakyAPI{fail: 1, err: closed}, false, 2},
		{"a connection that keeps dropping gives up", &flakyAPI{fail: 100, err: closed}, true, 4},
		{"another error is not retried", &flakyAPI{fail: 1, err: errors.New("no such host")}, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &AWS{API: tc.api, Backoff: 1, Retries: 3}
			_, why, _, err := e.call(context.Background(), &iam.SimulatePrincipalPolicyInput{})
			if err != nil {
				t.Fatal(err)
			}
			if (why != "") != tc.wantWhy {
				t.Errorf("why = %q, want a reason: %v", why, tc.wantWhy)
			}
			if tc.api.calls != tc.calls {
				t.Errorf("%d calls, want %d", tc.api.calls, tc.calls)
			}
		})
	}
}
