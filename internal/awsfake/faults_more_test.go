package awsfake

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestMoreFaults(t *testing.T) {
	s, c, _ := start(t, Options{})
	cx := ctx(t)
	seedRoles(t, c, 3)
	one := newClients(s.URL(), s.AdminCredentials(), 1) // no retries: every answer is seen

	t.Run("throttle burst", func(t *testing.T) {
		s.SetFaults(Faults{ThrottleFirst: 2, ThrottleActions: []string{"ListRoles"}})
		for i, want := range []string{"Throttling", "Throttling", ""} {
			_, err := one.iam.ListRoles(cx, &iam.ListRolesInput{})
			if got := code(t, err); got != want {
				t.Errorf("call %d: got %q, want %q", i+1, got, want)
			}
		}
	})
	t.Run("fail after", func(t *testing.T) {
		s.SetFaults(Faults{Fail: map[string]FaultKind{"ListRoles": FaultServiceFailure}, FailAfter: map[string]int{"ListRoles": 1}})
		for i, want := range []string{"", "ServiceFailure", "ServiceFailure"} {
			_, err := one.iam.ListRoles(cx, &iam.ListRolesInput{})
			if got := code(t, err); got != want {
				t.Errorf("call %d: got %q, want %q", i+1, got, want)
			}
		}
	})
	t.Run("throttle forever", func(t *testing.T) {
		s.SetFaults(Faults{Fail: map[string]FaultKind{"iam:ListRoles": FaultThrottle}})
		if _, err := one.iam.ListRoles(cx, &iam.ListRolesInput{}); code(t, err) != "Throttling" {
			t.Errorf("got %v", err)
		}
	})
	t.Run("page without marker", func(t *testing.T) {
		s.SetFaults(Faults{PageSize: 1, DropMarker: []string{"ListRoles"}})
		out, err := one.iam.ListRoles(cx, &iam.ListRolesInput{})
		if err != nil || !out.IsTruncated || out.Marker != nil {
			t.Errorf("got truncated=%v marker=%v err=%v, want truncated without marker", out != nil && out.IsTruncated, out, err)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		s.SetFaults(Faults{MalformedBody: []string{"ListRoles"}})
		if _, err := one.iam.ListRoles(cx, &iam.ListRolesInput{}); err == nil {
			t.Error("an HTML page decoded as a role list")
		}
	})
	t.Run("hang", func(t *testing.T) {
		s.SetFaults(Faults{Hang: []string{"ListRoles"}})
		hc, cancel := context.WithTimeout(cx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := one.iam.ListRoles(hc, &iam.ListRolesInput{}); err == nil {
			t.Error("a hung call answered")
		}
		if el := time.Since(start); el < 250*time.Millisecond {
			t.Errorf("answered after %s", el)
		}
		calls := s.CallsTo("ListRoles")
		if len(calls) == 0 || calls[len(calls)-1].ErrorCode != "NoResponse" {
			t.Errorf("the call log does not record the unanswered call: %+v", calls)
		}
	})
	t.Run("latency on one action", func(t *testing.T) {
		s.SetFaults(Faults{Latency: 200 * time.Millisecond, LatencyActions: []string{"GetRole"}})
		start := time.Now()
		if _, err := one.iam.ListRoles(cx, &iam.ListRolesInput{}); err != nil || time.Since(start) > 150*time.Millisecond {
			t.Errorf("ListRoles slowed (%s, %v)", time.Since(start), err)
		}
	})
	s.SetFaults(Faults{})
	t.Run("list public keys", func(t *testing.T) {
		var ders [][]byte
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 1024)
			if err != nil {
				t.Fatal(err)
			}
			der := x509.MarshalPKCS1PublicKey(&k.PublicKey)
			ders = append(ders, der)
			s.AddDigestPublicKey(der, time.Unix(1000, 0), time.Unix(2000, 0))
		}
		s.SetFaults(Faults{PageSize: 2})
		defer s.SetFaults(Faults{})
		p := cloudtrail.NewListPublicKeysPaginator(one.ct, &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(time.Unix(1500, 0))})
		n := 0
		for p.HasMorePages() {
			page, err := p.NextPage(cx)
			if err != nil {
				t.Fatal(err)
			}
			n += len(page.PublicKeyList)
		}
		if n != len(ders) {
			t.Errorf("listed %d keys, want %d", n, len(ders))
		}
		page, err := one.ct.ListPublicKeys(cx, &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(time.Unix(3000, 0))})
		if err != nil || len(page.PublicKeyList) != 0 {
			t.Errorf("keys outside the window: %v %v", page, err)
		}
	})
}

func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	c, _ := apiErr(t, err)
	return c
}
