package org

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// Budget spreads API calls: each account's calls within PerAccount
// requests per second (IAM and STS rate limits are account-wide), and all
// accounts' within Overall. When AWS throttles an account's call, that
// account's rate halves (down to a tenth of PerAccount) and creeps back up
// by a tenth after each call that is not throttled: additive increase,
// multiplicative decrease.
type Budget struct {
	PerAccount float64
	Overall    float64

	overall *rate.Limiter
	mu      sync.Mutex
	accts   map[string]*pace
}

// pace is one account's limiter and counts.
type pace struct {
	lim       *rate.Limiter
	calls     int
	throttled int
}

// NewBudget builds a budget; non-positive rates mean 10 per account and 40
// overall.
func NewBudget(perAccount, overall float64) *Budget {
	if perAccount <= 0 {
		perAccount = 10
	}
	if overall <= 0 {
		overall = 40
	}
	return &Budget{PerAccount: perAccount, Overall: overall, overall: rate.NewLimiter(rate.Limit(overall), max(1, int(overall/4))),
		accts: map[string]*pace{}}
}

func (b *Budget) pace(account string) *pace {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.accts[account]
	if p == nil {
		p = &pace{lim: rate.NewLimiter(rate.Limit(b.PerAccount), max(1, int(b.PerAccount/2)))}
		b.accts[account] = p
	}
	return p
}

// Counts returns an account's API calls (every attempt, retries included)
// and how many were throttled.
func (b *Budget) Counts(account string) (calls, throttled int) {
	p := b.pace(account)
	b.mu.Lock()
	defer b.mu.Unlock()
	return p.calls, p.throttled
}

// wait blocks until the account and the whole run may make a call.
func (b *Budget) wait(ctx context.Context, account string) error {
	p := b.pace(account)
	if err := p.lim.Wait(ctx); err != nil {
		return err
	}
	return b.overall.Wait(ctx)
}

// done records a call's outcome and adapts the account's pace.
func (b *Budget) done(account string, err error) {
	p := b.pace(account)
	b.mu.Lock()
	defer b.mu.Unlock()
	p.calls++
	cur := float64(p.lim.Limit())
	if isThrottle(err) {
		p.throttled++
		p.lim.SetLimit(rate.Limit(max(cur/2, b.PerAccount/10)))
		return
	}
	if cur < b.PerAccount {
		p.lim.SetLimit(rate.Limit(min(cur+b.PerAccount/10, b.PerAccount)))
	}
}

func isThrottle(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown", "ThrottledException":
		return true
	}
	return false
}

// Apply makes every call of clients built from cfg go through the
// account's budget: each attempt (retries too) waits for its turn and
// reports whether it was throttled.
func (b *Budget) Apply(cfg *aws.Config, account string) {
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...), func(st *middleware.Stack) error {
		return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("pvaudit-org-budget",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := b.wait(ctx, account); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				out, md, err := next.HandleFinalize(ctx, in)
				b.done(account, err)
				return out, md, err
			}), "Retry", middleware.After)
	})
}
