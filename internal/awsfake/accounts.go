package awsfake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Accounts puts several endpoints, one per account, behind one URL: an
// organisation. The management account's Server answers its own callers
// (Organizations, Lake, Athena, its IAM); sts:AssumeRole goes to the
// account of the role it names; every other call goes to the account that
// issued the caller's access key. The management account's admin can
// assume the roles that trust it in every member (AddExternalCredentials).
type Accounts struct {
	mgmt *Server

	mu      sync.Mutex
	members map[string]*Server
	byKey   map[string]*Server

	httpSrv *http.Server
	url     string
	done    chan struct{}
}

// NewAccounts fronts mgmt, the management account.
func NewAccounts(mgmt *Server) *Accounts {
	return &Accounts{mgmt: mgmt, members: map[string]*Server{}, byKey: map[string]*Server{}}
}

// Add makes s a member account; the management admin's key is known there
// as an external principal of the management account.
func (a *Accounts) Add(s *Server) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.members[s.account]; dup || s.account == a.mgmt.account {
		return fmt.Errorf("awsfake: account %s added twice", s.account)
	}
	if err := s.AddExternalCredentials(a.mgmt.account, a.mgmt.adminName(), a.mgmt.AdminCredentials()); err != nil {
		return err
	}
	a.members[s.account] = s
	return nil
}

// Member is the Server of a member account (nil when unknown).
func (a *Accounts) Member(id string) *Server {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.members[id]
}

// Management is the management account's Server.
func (a *Accounts) Management() *Server { return a.mgmt }

// ServeHTTP routes one request to its account.
func (a *Accounts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	a.route(r, body).ServeHTTP(w, r)
}

func (a *Accounts) route(r *http.Request, body []byte) *Server {
	if r.Header.Get("X-Amz-Target") == "" {
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") == "AssumeRole" {
			if acct := accountOfARN(v.Get("RoleArn")); acct != "" {
				a.mu.Lock()
				m := a.members[acct]
				a.mu.Unlock()
				if m != nil {
					return m
				}
			}
		}
	}
	key, _, _ := accessKeyFromAuth(r)
	a.mu.Lock()
	s := a.byKey[key]
	a.mu.Unlock()
	if s != nil {
		return s
	}
	if a.mgmt.knowsKey(key) {
		return a.mgmt
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range a.members {
		if m.ownsKey(key) {
			a.byKey[key] = m
			return m
		}
	}
	return a.mgmt
}

func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// knowsKey reports whether key authenticates here.
func (s *Server) knowsKey(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, k := s.st.keys[key]
	_, x := s.st.sessions[key]
	return k || x
}

// ownsKey reports whether key was issued here (a user key or a session),
// not an external principal's.
func (s *Server) ownsKey(key string) bool { return s.knowsKey(key) }

func (s *Server) adminName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.st.keys {
		if k.id == s.admin.AccessKeyID {
			return k.userName
		}
	}
	return "admin"
}

// AddExternalCredentials registers another account's IAM user with the
// key pair it already has there, so that it can assume the roles that
// trust it here (an organisation's management user in a member account).
func (s *Server) AddExternalCredentials(account, name string, c Credentials) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if account == s.account {
		return fmt.Errorf("awsfake: add external credentials: %s is this endpoint's own account", account)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return errors.New("awsfake: add external credentials: empty key")
	}
	s.st.external[c.AccessKeyID] = &externalUser{account: account, name: name, id: s.newID("AIDA", 17),
		arn: "arn:aws:iam::" + account + ":user/" + name, keyID: c.AccessKeyID, secret: c.SecretAccessKey}
	return nil
}

// ServeAccounts runs the organisation on 127.0.0.1 with a random port.
func ServeAccounts(ctx context.Context, a *Accounts) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("awsfake: listen: %w", err)
	}
	a.url = "http://" + ln.Addr().String()
	a.httpSrv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	a.done = make(chan struct{})
	go func() {
		defer close(a.done)
		_ = a.httpSrv.Serve(ln)
	}()
	return nil
}

// StartAccounts is ServeAccounts for tests; the organisation stops when the
// test ends.
func StartAccounts(tb testing.TB, a *Accounts) string {
	tb.Helper()
	if err := ServeAccounts(context.Background(), a); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = a.Close() })
	return a.url
}

// URL is the organisation's base URL once served.
func (a *Accounts) URL() string { return a.url }

// Close stops a served organisation.
func (a *Accounts) Close() error {
	if a.httpSrv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := a.httpSrv.Shutdown(ctx)
	if err != nil {
		err = a.httpSrv.Close()
	}
	<-a.done
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("awsfake: close: %w", err)
	}
	return nil
}

// Calls returns every account's call log, by account.
func (a *Accounts) Calls() map[string][]Call {
	out := map[string][]Call{a.mgmt.account: a.mgmt.Calls()}
	a.mu.Lock()
	ms := make([]*Server, 0, len(a.members))
	for _, m := range a.members {
		ms = append(ms, m)
	}
	a.mu.Unlock()
	for _, m := range ms {
		out[m.account] = m.Calls()
	}
	return out
}

// InProcess returns an HTTP client that serves every request with h in
// this process, without a listener (fast seeding of many accounts).
func InProcess(h http.Handler) *http.Client {
	return &http.Client{Transport: roundTripper{h}}
}

type roundTripper struct{ h http.Handler }

func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	in := r.Clone(r.Context())
	if in.Host == "" {
		in.Host = in.URL.Host
	}
	in.RequestURI = in.URL.RequestURI()
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RemoteAddr = "127.0.0.1:0"
	t.h.ServeHTTP(rec, in)
	return &http.Response{StatusCode: rec.status, Status: http.StatusText(rec.status), Header: rec.header,
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), ContentLength: int64(rec.body.Len()), Request: r,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
