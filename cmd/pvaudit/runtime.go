package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// awsRuntime is what bounds and watches a command's AWS calls: --timeout per
// call, --deadline for the whole command, the call being waited for, and
// the secrets no log line may carry.
type awsRuntime struct {
	timeout  time.Duration
	deadline time.Duration
	// cancel ends the --deadline context; deadlineAt is when it expires.
	cancel     context.CancelFunc
	deadlineAt time.Time
	// current is the AWS call most recently started (for the deadline's
	// message).
	current atomic.Pointer[string]
	secrets *secretSet
}

func (a *app) callTimeout() time.Duration {
	if a.rt.timeout > 0 {
		return a.rt.timeout
	}
	return defaultCallTimeout
}

// startDeadline bounds the command by --deadline.
func (a *app) startDeadline(ctx context.Context) context.Context {
	if a.rt.deadline <= 0 {
		return ctx
	}
	a.rt.deadlineAt = time.Now().Add(a.rt.deadline)
	ctx, a.rt.cancel = context.WithDeadline(ctx, a.rt.deadlineAt)
	return ctx
}

// deadlineError rewrites an error caused by --deadline into one saying so
// and naming what was being waited for; other errors pass unchanged.
func (a *app) deadlineError(err error) error {
	if a.rt.cancel != nil {
		a.rt.cancel()
	}
	if err == nil || a.rt.deadline <= 0 || !errors.Is(err, context.DeadlineExceeded) || time.Now().Before(a.rt.deadlineAt) {
		return err
	}
	what := "the command"
	if p := a.rt.current.Load(); p != nil {
		what = *p
	}
	return &exitErr{code: exitError, err: fmt.Errorf("--deadline %s reached while waiting for %s; nothing was reported as complete: %w", a.rt.deadline, what, err)}
}

// watch names a call on stderr when it takes long: first after a few
// seconds (or half the timeout), then every 10 s until stop is called.
func (a *app) watch(op string, timeout time.Duration) (stop func()) {
	a.rt.current.Store(&op)
	start := time.Now()
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	var tick func()
	tick = func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if a.log != nil {
			a.log.Warn("still waiting for AWS", "call", op, "waited", time.Since(start).Round(100*time.Millisecond).String(), "timeout", timeout.String())
		}
		t = time.AfterFunc(10*time.Second, tick)
	}
	t = time.AfterFunc(min(5*time.Second, timeout/2), tick)
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}

// waiting says what the command waits for: a log line, and a spinner when
// stderr is a terminal.
func (a *app) waiting(what string) (stop func()) {
	if a.log != nil {
		a.log.Info(what)
	}
	return a.spinner(what + "…")
}

// addSecret registers values no log line, error line or report may show.
func (a *app) addSecret(values ...string) {
	if a.rt.secrets == nil {
		a.rt.secrets = &secretSet{}
	}
	a.rt.secrets.add(values...)
}

// redact replaces every registered secret in s.
func (a *app) redact(s string) string {
	if a.rt.secrets == nil {
		return s
	}
	return a.rt.secrets.redact(s)
}

// secretSet holds secret values; safe for concurrent use.
type secretSet struct {
	mu     sync.RWMutex
	values []string
}

// minSecret is the shortest value treated as a secret: shorter ones would
// redact ordinary words.
const minSecret = 6

func (s *secretSet) add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) >= minSecret {
			s.values = append(s.values, v)
		}
	}
}

func (s *secretSet) redact(v string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sec := range s.values {
		if strings.Contains(v, sec) {
			v = strings.ReplaceAll(v, sec, "REDACTED")
		}
	}
	return v
}

// redactHandler removes secrets from every log record: message and
// attributes, at every level.
type redactHandler struct {
	inner   slog.Handler
	secrets *secretSet
}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.secrets.redact(r.Message), r.PC)
	r.Attrs(func(at slog.Attr) bool {
		out.AddAttrs(h.attr(at))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactHandler) attr(at slog.Attr) slog.Attr {
	v := at.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(at.Key, h.secrets.redact(v.String()))
	case slog.KindGroup:
		var as []any
		for _, g := range v.Group() {
			as = append(as, h.attr(g))
		}
		return slog.Group(at.Key, as...)
	case slog.KindAny:
		return slog.String(at.Key, h.secrets.redact(fmt.Sprint(v.Any())))
	}
	return slog.Attr{Key: at.Key, Value: v}
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, at := range as {
		red[i] = h.attr(at)
	}
	return redactHandler{inner: h.inner.WithAttrs(red), secrets: h.secrets}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{inner: h.inner.WithGroup(name), secrets: h.secrets}
}
