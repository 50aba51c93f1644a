package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/testaccount"
	"github.com/pvaudit/pvaudit/inventory"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// sdkConfig points the real SDK at url with the given credentials and a
// fast retryer (no backoff sleeps, no retry quota) so throttling tests run
// quickly but still go through the SDK's retry logic.
func sdkConfig(url string, creds awsfake.Credentials) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 12
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}
}

// seeded starts an endpoint holding compliant.json's account.
func seeded(t *testing.T) (*awsfake.Server, *inventory.Snapshot, testaccount.Result) {
	t.Helper()
	want, err := inventory.ReadFile(filepath.Join("..", "..", "testdata", "accounts", "compliant.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: want.AccountID, Clock: func() time.Time { return testNow }, Seed: 7})
	res, err := testaccount.Seed(context.Background(), iam.NewFromConfig(sdkConfig(url, srv.AdminCredentials())), want)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	srv.ResetCalls()
	return srv, want, res
}

func collect(t *testing.T, url string, srv *awsfake.Server, pageSize int32) *inventory.Snapshot {
	t.Helper()
	cfg := sdkConfig(url, srv.AdminCredentials())
	c := &Collector{IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg), Now: func() time.Time { return testNow }, PageSize: pageSize}
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return snap
}

// sameAccount compares what seeding could reproduce.
func sameAccount(t *testing.T, got, want *inventory.Snapshot, skipped []string) {
	t.Helper()
	if got.AccountID != want.AccountID {
		t.Errorf("account = %q, want %q", got.AccountID, want.AccountID)
	}
	wantRoles := map[string]inventory.Role{}
	for _, r := range want.Roles {
		wantRoles[r.Name] = r
	}
	if len(got.Roles) != len(want.Roles) {
		t.Errorf("got %d roles, want %d", len(got.Roles), len(want.Roles))
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, g := range got.Roles {
		w, ok := wantRoles[g.Name]
		if !ok {
			t.Errorf("unexpected role %s", g.Name)
			continue
		}
		if g.ARN != w.ARN || g.Path != w.Path || g.MaxSessionDuration != w.MaxSessionDuration {
			t.Errorf("role %s: arn/path/session = %s %s %d, want %s %s %d", g.Name, g.ARN, g.Path, g.MaxSessionDuration, w.ARN, w.Path, w.MaxSessionDuration)
		}
		if js(g.PermissionsBoundary) != js(w.PermissionsBoundary) {
			t.Errorf("role %s boundary = %s, want %s", g.Name, js(g.PermissionsBoundary), js(w.PermissionsBoundary))
		}
		if js(g.TrustPolicy) != js(w.TrustPolicy) || js(g.InlinePolicies) != js(w.InlinePolicies) || js(g.Tags) != js(w.Tags) {
			t.Errorf("role %s documents or tags differ:\n got %s %s %s\nwant %s %s %s", g.Name, js(g.TrustPolicy), js(g.InlinePolicies), js(g.Tags), js(w.TrustPolicy), js(w.InlinePolicies), js(w.Tags))
		}
		var wantAttached []inventory.AttachedPolicy
		for _, a := range w.AttachedPolicies {
			if !skippedContains(skipped, a.ARN) {
				wantAttached = append(wantAttached, a)
			}
		}
		if js(g.AttachedPolicies) != js(wantAttached) {
			t.Errorf("role %s attachments = %s, want %s", g.Name, js(g.AttachedPolicies), js(wantAttached))
		}
	}
	for _, w := range want.Policies {
		if w.AWSManaged() {
			continue
		}
		g := got.Policy(w.ARN)
		if g == nil {
			t.Errorf("policy %s missing", w.ARN)
			continue
		}
		if js(g.DefaultDocument()) != js(w.DefaultDocument()) || g.PermissionsBoundaryUsageCount != w.PermissionsBoundaryUsageCount {
			t.Errorf("policy %s: default document or boundary usage differs (usage %d, want %d)", w.Name, g.PermissionsBoundaryUsageCount, w.PermissionsBoundaryUsageCount)
		}
	}
	for _, w := range want.Users {
		found := false
		for _, g := range got.Users {
			if g.Name == w.Name {
				found = true
				if g.AccessKeys == nil {
					t.Errorf("user %s: access keys not listed", g.Name)
				}
			}
		}
		if !found {
			t.Errorf("user %s missing", w.Name)
		}
	}
}

func skippedContains(skipped []string, arn string) bool {
	for _, s := range skipped {
		if strings.Contains(s, arn) {
			return true
		}
	}
	return false
}

func TestCollectMatchesAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		faults   awsfake.Faults
		pageSize int32
		// minAuthCalls is a lower bound of GetAccountAuthorizationDetails
		// calls, proving short pages were really followed.
		minAuthCalls int
	}{
		{name: "one page", pageSize: 1000, minAuthCalls: 1},
		{name: "short pages from the server", faults: awsfake.Faults{PageSize: 1}, pageSize: 1000, minAuthCalls: 10},
		{name: "small MaxItems", pageSize: 2, minAuthCalls: 5},
		{name: "throttling on half the calls", faults: awsfake.Faults{ThrottleRate: 0.5}, pageSize: 3, minAuthCalls: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, want, res := seeded(t)
			srv.SetFaults(tc.faults)
			got := collect(t, srv.URL(), srv, tc.pageSize)
			if len(got.Gaps) != 0 {
				t.Fatalf("unexpected coverage gaps: %+v", got.Gaps)
			}
			sameAccount(t, got, want, res.Skipped)
			if n := len(srv.CallsTo("GetAccountAuthorizationDetails")); n < tc.minAuthCalls {
				t.Errorf("GetAccountAuthorizationDetails called %d times, want at least %d", n, tc.minAuthCalls)
			}
			if m := srv.MutatingCalls(); len(m) != 0 {
				t.Errorf("collector made mutating calls: %+v", m)
			}
			if got.CallerARN == "" || got.Source != "live" || !got.CapturedAt.Equal(testNow) {
				t.Errorf("caller/source/time = %q %q %v", got.CallerARN, got.Source, got.CapturedAt)
			}
		})
	}
}

func TestCollectRecordsGaps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		faults    awsfake.Faults
		wantOp    string
		wantCode  string
		wantRoles bool // roles still collected
		check     func(t *testing.T, s *inventory.Snapshot)
	}{
		{
			name: "authorization details denied", faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"GetAccountAuthorizationDetails": awsfake.FaultAccessDenied}},
			wantOp: "iam:GetAccountAuthorizationDetails", wantCode: "AccessDenied",
		},
		{
			name: "list roles denied", faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"ListRoles": awsfake.FaultAccessDenied}},
			wantOp: "iam:ListRoles", wantCode: "AccessDenied", wantRoles: true,
			check: func(t *testing.T, s *inventory.Snapshot) {
				for _, r := range s.Roles {
					if r.MaxSessionDuration != 0 {
						t.Errorf("role %s has MaxSessionDuration %d although ListRoles was denied", r.Name, r.MaxSessionDuration)
					}
				}
			},
		},
		{
			name: "access keys denied", faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"ListAccessKeys": awsfake.FaultAccessDenied}},
			wantOp: "iam:ListAccessKeys", wantCode: "AccessDenied", wantRoles: true,
			check: func(t *testing.T, s *inventory.Snapshot) {
				for _, u := range s.Users {
					if u.AccessKeys != nil {
						t.Errorf("user %s has an access key list although listing was denied", u.Name)
					}
				}
			},
		},
		{
			name: "caller identity denied", faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"GetCallerIdentity": awsfake.FaultAccessDenied}},
			wantOp: "sts:GetCallerIdentity", wantCode: "AccessDenied", wantRoles: true,
			check: func(t *testing.T, s *inventory.Snapshot) {
				if s.AccountID != "481516234201" {
					t.Errorf("account = %q, want it derived from role ARNs", s.AccountID)
				}
			},
		},
		{
			name: "truncated response body", faults: awsfake.Faults{TruncateBody: []string{"GetAccountAuthorizationDetails"}},
			wantOp: "iam:GetAccountAuthorizationDetails",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _, _ := seeded(t)
			srv.SetFaults(tc.faults)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := sdkConfig(srv.URL(), srv.AdminCredentials())
			c := &Collector{IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg), PageSize: 5}
			got, err := c.Collect(ctx)
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			found := false
			for _, g := range got.Gaps {
				if g.Operation == tc.wantOp && (tc.wantCode == "" || g.Code == tc.wantCode) && g.Message != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("gaps = %+v, want one for %s (%s)", got.Gaps, tc.wantOp, tc.wantCode)
			}
			if got.Complete() {
				t.Error("snapshot with a failed call reports itself complete")
			}
			if tc.wantRoles != (len(got.Roles) > 0) {
				t.Errorf("roles collected = %d, want some: %v", len(got.Roles), tc.wantRoles)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// TestCollectStopsMidListing: a page that fails after others succeeded is a
// gap that says how far the listing got.
func TestCollectStopsMidListing(t *testing.T) {
	t.Parallel()
	srv, _, _ := seeded(t)
	var authCalls atomic.Int32
	wrapper := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") == "GetAccountAuthorizationDetails" && authCalls.Add(1) == 2 {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied on page 2</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`))
			return
		}
		srv.ServeHTTP(w, r)
	})
	hs := httptest.NewServer(wrapper)
	defer hs.Close()
	got := collect(t, hs.URL, srv, 3)
	if len(got.Gaps) != 1 || !strings.Contains(got.Gaps[0].Message, "after 1 page") || got.Gaps[0].Code != "AccessDenied" {
		t.Fatalf("gaps = %+v, want one saying the listing stopped after 1 page", got.Gaps)
	}
	if n := len(got.Roles) + len(got.Users) + len(got.Groups) + len(got.Policies); n != 3 {
		t.Errorf("kept %d entities from the first page (MaxItems 3), want 3", n)
	}
}

// TestCollectRefusesALoopingListing: a page that hands back a marker seen
// before would page forever (or, with the SDK's paginator, stop quietly);
// the collector stops with a gap instead.
func TestCollectRefusesALoopingListing(t *testing.T) {
	t.Parallel()
	srv, _, _ := seeded(t)
	var first atomic.Value
	markerRE := regexp.MustCompile(`<Marker>([^<]*)</Marker>`)
	wrapper := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		if form.Get("Action") == "GetAccountAuthorizationDetails" {
			if m := markerRE.FindSubmatch(out); m != nil {
				if f, ok := first.Load().(string); ok {
					out = markerRE.ReplaceAll(out, []byte("<Marker>"+f+"</Marker>"))
				} else {
					first.Store(string(m[1]))
				}
			}
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(out)
	})
	hs := httptest.NewServer(wrapper)
	defer hs.Close()
	got := collect(t, hs.URL, srv, 2)
	var codes []string
	for _, g := range got.Gaps {
		codes = append(codes, g.Operation+" "+g.Code)
	}
	if len(got.Gaps) != 1 || got.Gaps[0].Code != "BrokenPagination" || !strings.Contains(got.Gaps[0].Message, "repeats") {
		t.Fatalf("gaps %v, want one BrokenPagination of the authorization details", codes)
	}
}

// TestCollectStopsAskingAfterFailures: ListAccessKeys failing for every
// user costs three failures, then one gap for the users not asked.
func TestCollectStopsAskingAfterFailures(t *testing.T) {
	t.Parallel()
	srv, want, _ := seeded(t)
	if len(want.Users) <= maxConsecutiveFailures {
		for i := range 4 {
			if _, err := srv.AddUser(awsfake.UserSpec{Name: fmt.Sprintf("extra-%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv.SetFaults(awsfake.Faults{Fail: map[string]awsfake.FaultKind{"ListAccessKeys": awsfake.FaultAccessDenied}})
	got := collect(t, srv.URL(), srv, 100)
	calls := len(srv.CallsTo("ListAccessKeys"))
	var notAsked int
	for _, g := range got.Gaps {
		if g.Code == "NotAttempted" {
			notAsked++
		}
	}
	if calls != maxConsecutiveFailures || notAsked != 1 {
		t.Errorf("%d ListAccessKeys calls and %d NotAttempted gaps for %d users, want %d and 1", calls, notAsked, len(got.Users), maxConsecutiveFailures)
	}
	for _, u := range got.Users {
		if u.AccessKeys != nil {
			t.Errorf("user %s has access keys %v although none could be listed", u.Name, u.AccessKeys)
		}
	}
}
