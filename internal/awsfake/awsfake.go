// Package awsfake is a stateful loopback AWS endpoint for tests. It speaks the
// real wire protocols of IAM and STS (Query protocol, XML responses) and
// CloudTrail (LookupEvents and the Lake queries), Athena and Organizations
// (JSON 1.1 with X-Amz-Target), so the real aws-sdk-go-v2 clients — and the
// pvaudit binary run with --endpoint-url — work against it unchanged. Lake
// and Athena serve canned result pages (SetQueryResult); Organizations the
// tree set with SetOrganization; Accounts puts many endpoints, one per
// account, behind one URL.
//
// One Server holds one account's IAM state in memory, maps SigV4 access key
// IDs to principals (a seeded admin user, users created through the API and
// sessions issued by AssumeRole), writes a CloudTrail record for every call it
// serves, logs every call for assertions, and can inject faults (throttling,
// AccessDenied or 5xx on an action, latency, short pages, truncated bodies).
// When Options.Authorize is set each call is authorized against the caller's
// identity policies and permissions boundary by pvaudit's own evaluator.
//
// IAM and STS share one URL: requests are routed by their Version parameter
// (2010-05-08 is IAM, 2011-06-15 is STS); CloudTrail requests are recognised
// by their X-Amz-Target header.
//
// Using it from a test:
//
//	srv, url := awsfake.Start(t, awsfake.Options{Clock: clk, Seed: 1})
//	admin := srv.AdminCredentials()          // AKIA… key of user "admin" (AdministratorAccess)
//	// seed through the real SDK with BaseEndpoint = url, or:
//	auditor, _ := srv.AddUser(awsfake.UserSpec{Name: "auditor", Attached: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
//	srv.SeedRecords(oldCloudTrailRecords...) // extra CloudTrail history
//	srv.SetAuthorize(true)                   // every call checked against the caller's policies
//	srv.SetFaults(awsfake.Faults{ThrottleRate: 0.5, PageSize: 2})
//	// run pvaudit --endpoint-url url with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_REGION set
//	srv.MutatingCalls(); srv.CallsTo("GetAccountAuthorizationDetails"); srv.Calls()
//	srv.Records(); srv.ExportTrail(dir)      // the CloudTrail it wrote, as JSON or an S3-layout folder
//
// Serve is the same without testing.TB, for a non-test binary; Close stops it.
// Generated IDs, keys and request IDs are reproducible for a given Seed and
// call order; all times come from Options.Clock.
package awsfake

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// DefaultAccountID is the account the endpoint pretends to be when
// Options.AccountID is empty.
const DefaultAccountID = "123456789012"

// DefaultRegion is the region written into CloudTrail records of global
// services and used when a request does not name one.
const DefaultRegion = "us-east-1"

// Options configure a Server. The zero value is usable.
type Options struct {
	// AccountID of the fake account; DefaultAccountID when empty.
	AccountID string
	// Region reported for STS and CloudTrail; DefaultRegion when empty.
	Region string
	// AdminUserName is the seeded administrator ("admin" when empty). It has
	// AdministratorAccess attached and one access key, see AdminCredentials.
	AdminUserName string
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// Seed makes generated IDs, request IDs and throttling decisions
	// reproducible. Zero is a valid seed.
	Seed uint64
	// Authorize makes every call (except sts:GetCallerIdentity) subject to
	// the caller's identity policies and permissions boundary.
	Authorize bool
	// Evaluator decides authorization and SimulatePrincipalPolicy. When nil
	// the pvaudit policy evaluator is used.
	Evaluator Evaluator
	// Faults to inject from the start; change them later with SetFaults.
	Faults Faults
	// SkipSignatureVerification turns off the SigV4 check. By default each
	// request's signature is verified against the secret of its access key
	// (SignatureDoesNotMatch / InvalidSignatureException when wrong); with
	// the check off only the access key ID is used to find the caller, so
	// hand-made requests can carry any signature.
	SkipSignatureVerification bool
}

// Credentials are an access key pair (and session token for sessions).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Server is the fake endpoint. It is an http.Handler; Serve and Start also
// run it on a loopback listener. All methods are safe for concurrent use.
type Server struct {
	account string
	region  string
	clock   func() time.Time
	eval    Evaluator

	mu        sync.Mutex
	rng       *rand.Rand
	st        *state
	authorize bool
	verifySig bool
	faults    Faults
	faultRNG  *rand.Rand
	// writes counts the mutating IAM calls since the faults were set
	// (Faults.FailWrite).
	writes int
	// throttleSeen counts the calls Faults.ThrottleFirst may throttle;
	// actionCalls counts each action's calls (Faults.FailAfter). Both
	// restart when the faults are set.
	throttleSeen int
	actionCalls  map[string]int
	calls        []Call
	digestKeys   []digestKey
	records      []record
	admin        Credentials
	// queries are the Lake and Athena queries started, by ID; queryResults
	// the canned result of each engine; org the organisation.
	queries      map[string]*runningQuery
	queryOrder   []string
	queryResults map[string]QueryResult
	org          *Organization
	// rt is the network, logging and compute state (runtime.go).
	rt *runtimeState

	httpSrv *http.Server
	ln      net.Listener
	url     string
	done    chan struct{}
}

// New builds a Server holding a fresh account with the seeded admin user. It
// does not listen; use it as an http.Handler or call Serve/Start instead.
func New(opts Options) *Server {
	s := &Server{
		account:   opts.AccountID,
		region:    opts.Region,
		clock:     opts.Clock,
		eval:      opts.Evaluator,
		authorize: opts.Authorize,
		verifySig: !opts.SkipSignatureVerification,
		faults:    opts.Faults.clone(),
		rng:       rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15)),
		faultRNG:  rand.New(rand.NewPCG(opts.Seed, 0x5851f42d4c957f2d)),
	}
	if s.account == "" {
		s.account = DefaultAccountID
	}
	if s.region == "" {
		s.region = DefaultRegion
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.eval == nil {
		s.eval = policyEvaluator{}
	}
	name := opts.AdminUserName
	if name == "" {
		name = "admin"
	}
	s.st = newState(s.account)
	now := s.clock().UTC()
	s.st.addAWSManagedPolicy(s, "AdministratorAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, now)
	s.st.addAWSManagedPolicy(s, "ReadOnlyAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","iam:Simulate*","sts:GetCallerIdentity","cloudtrail:LookupEvents","ec2:Describe*","ec2:Search*","logs:Describe*","cloudwatch:Describe*","states:Describe*","states:List*","elasticfilesystem:Describe*","lambda:Get*","lambda:List*","ecs:Describe*","ecs:List*","elasticloadbalancing:Describe*","s3:List*"],"Resource":"*"}]}`, now)
	u := s.st.addUser(s, name, "/", now)
	u.attached = append(u.attached, "arn:aws:iam::aws:policy/AdministratorAccess")
	s.st.policies["arn:aws:iam::aws:policy/AdministratorAccess"].attachments++
	k := s.st.addAccessKey(s, name, now)
	s.admin = Credentials{AccessKeyID: k.id, SecretAccessKey: k.secret}
	return s
}

// Serve starts a Server on 127.0.0.1 with a random port. ctx bounds only the
// start-up; stop the server with Close.
func Serve(ctx context.Context, opts Options) (*Server, error) {
	s := New(opts)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("awsfake: listen: %w", err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		// Serve returns ErrServerClosed after Close; any other error means
		// the listener died, which the next request will show the caller.
		_ = s.httpSrv.Serve(ln)
	}()
	return s, nil
}

// Start is Serve for tests: it fails tb on error and closes the server when
// the test ends. It returns the server and its base URL.
func Start(tb testing.TB, opts Options) (*Server, string) {
	tb.Helper()
	s, err := Serve(context.Background(), opts)
	if err != nil {
		tb.Fatalf("awsfake.Start: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s, s.url
}

// URL is the base URL of a server started with Serve or Start ("" for New).
func (s *Server) URL() string { return s.url }

// Close stops a server started with Serve or Start. It is safe to call more
// than once and on a Server made by New.
func (s *Server) Close() error {
	if s.httpSrv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.httpSrv.Shutdown(ctx)
	if err != nil {
		err = s.httpSrv.Close()
	}
	<-s.done
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("awsfake: close: %w", err)
	}
	return nil
}

// AccountID is the fake account's ID.
func (s *Server) AccountID() string { return s.account }

// Region is the region the server reports for STS and CloudTrail.
func (s *Server) Region() string { return s.region }

// AdminCredentials are the seeded admin user's access key pair.
func (s *Server) AdminCredentials() Credentials { return s.admin }

// SetAuthorize turns authorization of every call on or off.
func (s *Server) SetAuthorize(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorize = on
}

func (s *Server) now() time.Time { return s.clock().UTC() }
