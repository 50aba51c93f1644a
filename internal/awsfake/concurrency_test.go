package awsfake

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestConcurrentClientsAndRuntimeFaults(t *testing.T) {
	s, _, _ := start(t, Options{Seed: 3})
	c := newClients(s.URL(), s.AdminCredentials(), 15)
	cx := ctx(t)
	const workers, calls = 4, 12
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				var err error
				switch i % 3 {
				case 0:
					_, err = c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("r-%d-%d", w, i)), AssumeRolePolicyDocument: aws.String(trustEC2)})
				case 1:
					_, err = c.iam.ListRoles(cx, &iam.ListRolesInput{})
				default:
					_, err = c.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{})
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			s.SetFaults(Faults{ThrottleRate: float64(i%3) * 0.2})
			_ = s.Faults()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("call failed: %v", err)
	}
	calls2 := s.Calls()
	for i, c := range calls2 {
		if c.Seq != i+1 {
			t.Fatalf("call %d has Seq %d", i, c.Seq)
		}
	}
	if n := len(s.CallsTo("CreateRole")); n < workers*calls/3 {
		t.Errorf("CreateRole calls: got %d, want at least %d", n, workers*calls/3)
	}
}

func TestUnroutableRequests(t *testing.T) {
	s, _, _ := start(t, Options{SkipSignatureVerification: true})
	tests := []struct {
		name       string
		body       string
		auth       bool
		wantStatus int
		wantCode   string
	}{
		{"unknown version", "Action=GetRole&Version=1999-01-01", true, 400, "InvalidAction"},
		{"unknown IAM action", "Action=DeleteAccount&Version=2010-05-08", true, 400, "InvalidAction"},
		{"no credentials", "Action=ListRoles&Version=2010-05-08", false, 403, "MissingAuthenticationToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, s.URL(), strings.NewReader(tt.body))
			mustOK(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.auth {
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+s.AdminCredentials().AccessKeyID+"/20261123/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
			}
			resp, err := http.DefaultClient.Do(req)
			mustOK(t, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			mustOK(t, err)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(b), "<Code>"+tt.wantCode+"</Code>") {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, b, tt.wantStatus, tt.wantCode)
			}
		})
	}
}
