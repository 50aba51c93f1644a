package awsfake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestThrottlingIsRetriedBySDK(t *testing.T) {
	s, _, _ := start(t, Options{Seed: 7, Faults: Faults{ThrottleRate: 0.5}})
	c := newClients(s.URL(), s.AdminCredentials(), 12)
	cx := ctx(t)
	const n = 40
	for i := range n {
		if _, err := c.iam.ListRoles(cx, &iam.ListRolesInput{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	var throttled, ok int
	for _, call := range s.CallsTo("ListRoles") {
		switch call.ErrorCode {
		case "Throttling":
			throttled++
			if call.HTTPStatus != 400 {
				t.Errorf("throttled call status: got %d, want 400", call.HTTPStatus)
			}
		case "":
			ok++
		}
	}
	if ok != n || throttled < n/4 {
		t.Errorf("got %d successes and %d throttles, want %d and about %d", ok, throttled, n, n)
	}
	if got := len(s.Records()); got != n {
		t.Errorf("CloudTrail records: got %d, want %d (throttled calls are not recorded)", got, n)
	}

	t.Run("deterministic for a seed", func(t *testing.T) {
		pattern := func() string {
			s2, _, _ := start(t, Options{Seed: 7, Faults: Faults{ThrottleRate: 0.5}})
			c2 := newClients(s2.URL(), s2.AdminCredentials(), 12)
			for range 10 {
				_, err := c2.iam.ListRoles(cx, &iam.ListRolesInput{})
				mustOK(t, err)
			}
			var b strings.Builder
			for _, call := range s2.Calls() {
				b.WriteString(call.ErrorCode + ",")
			}
			return b.String()
		}
		if a, b := pattern(), pattern(); a != b {
			t.Errorf("throttling differs between runs with one seed:\n%s\n%s", a, b)
		}
	})
	t.Run("limited to named actions", func(t *testing.T) {
		s.SetFaults(Faults{ThrottleRate: 1, ThrottleActions: []string{"GetRole"}})
		defer s.SetFaults(Faults{})
		one := newClients(s.URL(), s.AdminCredentials(), 1)
		_, err := one.iam.ListRoles(cx, &iam.ListRolesInput{})
		mustOK(t, err)
		_, err = one.iam.GetRole(cx, &iam.GetRoleInput{RoleName: aws.String("x")})
		if code, _ := apiErr(t, err); code != "Throttling" {
			t.Errorf("GetRole: got %s, want Throttling", code)
		}
	})
}

func TestFaults(t *testing.T) {
	s, c, _ := start(t, Options{})
	cx := ctx(t)
	seedRoles(t, c, 3)

	t.Run("latency", func(t *testing.T) {
		s.SetFaults(Faults{Latency: 60 * time.Millisecond})
		defer s.SetFaults(Faults{})
		began := time.Now()
		_, err := c.sts.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
		mustOK(t, err)
		if d := time.Since(began); d < 60*time.Millisecond {
			t.Errorf("call took %v, want at least 60ms", d)
		}
	})
	t.Run("latency respects the caller's deadline", func(t *testing.T) {
		s.SetFaults(Faults{Latency: 5 * time.Second})
		defer s.SetFaults(Faults{})
		short, cancel := context.WithTimeout(cx, 100*time.Millisecond)
		defer cancel()
		one := newClients(s.URL(), s.AdminCredentials(), 1)
		_, err := one.sts.GetCallerIdentity(short, &sts.GetCallerIdentityInput{})
		if err == nil {
			t.Fatal("got no error past the deadline")
		}
	})
	truncTests := []struct {
		name string
		call func(context.Context, clients) error
	}{
		{"GetAccountAuthorizationDetails", func(cx context.Context, c clients) error {
			_, err := c.iam.GetAccountAuthorizationDetails(cx, &iam.GetAccountAuthorizationDetailsInput{})
			return err
		}},
		{"LookupEvents", func(cx context.Context, c clients) error {
			_, err := c.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{})
			return err
		}},
		{"GetCallerIdentity", func(cx context.Context, c clients) error {
			_, err := c.sts.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
			return err
		}},
	}
	for _, tt := range truncTests {
		t.Run("truncated body "+tt.name, func(t *testing.T) {
			s.SetFaults(Faults{TruncateBody: []string{tt.name}})
			defer s.SetFaults(Faults{})
			bounded, cancel := context.WithTimeout(cx, 3*time.Second)
			defer cancel()
			began := time.Now()
			err := tt.call(bounded, c)
			if err == nil {
				t.Fatal("got no error from a truncated body")
			}
			if errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 2*time.Second {
				t.Errorf("truncated body hung: %v after %v", err, time.Since(began))
			}
		})
	}
	t.Run("short LookupEvents pages stay valid", func(t *testing.T) {
		s.SetFaults(Faults{PageSize: 7})
		defer s.SetFaults(Faults{})
		want := len(s.Records())
		events, pages := lookupAll(t, c, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(50)})
		if len(events) != want || pages != (want+6)/7 {
			t.Errorf("got %d events in %d pages, want %d in %d", len(events), pages, want, (want+6)/7)
		}
	})
	t.Run("faults can be read back", func(t *testing.T) {
		f := Faults{Fail: map[string]FaultKind{"ListRoles": FaultAccessDenied}}
		s.SetFaults(f)
		defer s.SetFaults(Faults{})
		f.Fail["ListRoles"] = FaultServiceFailure // the server holds a copy
		if got := s.Faults().Fail["ListRoles"]; got != FaultAccessDenied {
			t.Errorf("got %s, want AccessDenied", got)
		}
	})
}

func TestCallLogReadOnly(t *testing.T) {
	tests := []struct {
		action   string
		readOnly bool
	}{
		{"GetAccountAuthorizationDetails", true},
		{"ListRoles", true},
		{"GetRole", true},
		{"SimulatePrincipalPolicy", true},
		{"GetCallerIdentity", true},
		{"AssumeRole", true},
		{"LookupEvents", true},
		{"CreateRole", false},
		{"PutRolePolicy", false},
		{"DeleteRolePermissionsBoundary", false},
		{"TagRole", false},
		{"CreateAccessKey", false},
		{"UpdateAssumeRolePolicy", false},
		{"SetDefaultPolicyVersion", false},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			if got := isReadOnly(tt.action); got != tt.readOnly {
				t.Errorf("got read-only=%v, want %v", got, tt.readOnly)
			}
		})
	}

	t.Run("a read-only session makes no mutating calls", func(t *testing.T) {
		s, c, _ := start(t, Options{})
		cx := ctx(t)
		seedRoles(t, c, 2)
		s.ResetCalls()
		_, err := c.iam.GetAccountAuthorizationDetails(cx, &iam.GetAccountAuthorizationDetailsInput{})
		mustOK(t, err)
		_, err = c.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{})
		mustOK(t, err)
		_, err = c.sts.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
		mustOK(t, err)
		if m := s.MutatingCalls(); len(m) != 0 {
			t.Errorf("got mutating calls %+v", m)
		}
		calls := s.Calls()
		if len(calls) != 3 || calls[0].Service != "iam" || calls[1].Service != "cloudtrail" || calls[2].Service != "sts" {
			t.Fatalf("call log: got %+v", calls)
		}
		for _, call := range calls {
			if call.PrincipalARN != "arn:aws:iam::123456789012:user/admin" || call.AccessKeyID != s.AdminCredentials().AccessKeyID {
				t.Errorf("call %s: principal %s key %s", call.Action, call.PrincipalARN, call.AccessKeyID)
			}
		}
		_, err = c.iam.TagRole(cx, &iam.TagRoleInput{RoleName: aws.String("role-00"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		mustOK(t, err)
		if m := s.MutatingCalls(); len(m) != 1 || m[0].Action != "TagRole" {
			t.Errorf("got mutating calls %+v, want TagRole", m)
		}
	})
}
