package awsfake

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// clients are the real SDK clients pointed at one fake server.
type clients struct {
	iam *iam.Client
	sts *sts.Client
	ct  *cloudtrail.Client
}

// sdkConfig builds an SDK config with static credentials and a fast
// retryer (maxAttempts, tiny backoff, no client-side retry quota).
func sdkConfig(creds Credentials, maxAttempts int) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

func newClients(url string, creds Credentials, maxAttempts int) clients {
	cfg := sdkConfig(creds, maxAttempts)
	return clients{
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) }),
		sts: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(url) }),
		ct:  cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(url) }),
	}
}

// start runs a server with a fake clock and returns admin clients.
func start(t *testing.T, opts Options) (*Server, clients, *fakeClock) {
	t.Helper()
	clk := newClock()
	if opts.Clock == nil {
		opts.Clock = clk.Now
	}
	s, u := Start(t, opts)
	return s, newClients(u, s.AdminCredentials(), 3), clk
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // generous: CI machines may be loaded
	t.Cleanup(cancel)
	return c
}

// apiErr returns the error code and HTTP status of an SDK error.
func apiErr(t *testing.T, err error) (string, int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want an API error")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not a smithy.APIError", err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func decodeDoc(t *testing.T, enc string) string {
	t.Helper()
	s, err := url.QueryUnescape(enc)
	if err != nil {
		t.Fatalf("policy document %q is not URL-encoded: %v", enc, err)
	}
	return s
}

const (
	trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	readS3   = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`
)
