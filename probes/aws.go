package probes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"
)

// SimulateAPI is all the AWS engine may call: IAM's read-only policy
// simulator.
type SimulateAPI interface {
	iam.SimulatePrincipalPolicyAPIClient
}

// AWS decides queries with iam:SimulatePrincipalPolicy on the live
// principals. Queries of one principal with the same context are sent
// together (batches of up to MaxActions actions × MaxResources resources);
// calls are paced by Limiter; throttling slows the pace and is retried.
type AWS struct {
	API SimulateAPI
	// Limiter paces calls (every page counts); nil means unpaced.
	Limiter *rate.Limiter
	// Log receives progress at debug level; nil discards it.
	Log *slog.Logger
	// MaxActions and MaxResources bound one call (default 20 and 20).
	MaxActions, MaxResources int
	// Retries is how often a throttled call is retried (default 5), after
	// Backoff, doubled each time (default 500ms).
	Retries int
	Backoff time.Duration
	// RetryFor bounds in time how long one call is retried when throttled
	// (default 1 min): persistent throttling gives up after RetryFor.
	RetryFor time.Duration
	// GiveUpAfter is how many calls in a row may fail (throttling that
	// outlasts the retries, 5xx, no answer) before the engine stops asking:
	// every query not yet decided is then NotEvaluated with the last
	// reason, instead of one timeout per remaining batch (default 3).
	GiveUpAfter int

	// base is the Limiter's configured rate, learnt on the first call:
	// throttling halves the pace (down to base/16), successes restore it
	// step by step.
	base rate.Limit
}

// Name is "aws".
func (*AWS) Name() string { return "aws" }

// isThrottle reports whether an AWS error code means throttling.
func isThrottle(code string) bool {
	switch code {
	case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled":
		return true
	}
	return false
}

type batchKey struct{ principal, ctx string }

// Decide simulates every query. Answers for calls that fail (access
// denied, unknown principal, throttling that outlasts the retries) carry
// NotEvaluated with the reason; only a cancelled context is an error.
func (e *AWS) Decide(ctx context.Context, qs []Query) ([]Answer, error) {
	out := make([]Answer, len(qs))
	groups := map[batchKey][]int{}
	var keys []batchKey
	for i, q := range qs {
		k := batchKey{q.PrincipalARN, contextKey(q.Request.Context)}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].principal != keys[j].principal {
			return keys[i].principal < keys[j].principal
		}
		return keys[i].ctx < keys[j].ctx
	})
	// A principal the simulator refused once is not asked again; after
	// GiveUpAfter failed calls in a row nobody is.
	refused := map[string]string{}
	giveUp := e.GiveUpAfter
	if giveUp <= 0 {
		giveUp = 3
	}
	failures, stopped := 0, ""
	for _, k := range keys {
		idx := groups[k]
		if stopped != "" {
			for _, i := range idx {
				out[i] = Answer{NotEvaluated: stopped}
			}
			continue
		}
		if why, ok := refused[k.principal]; ok {
			for _, i := range idx {
				out[i] = Answer{NotEvaluated: why}
			}
			continue
		}
		actions, resources := uniqueActionsResources(qs, idx)
		results := map[[2]string]Answer{}
		var failed string
	batches:
		for _, ac := range chunk(actions, e.maxActions()) {
			for _, rc := range chunk(resources, e.maxResources()) {
				why, fatal, err := e.simulate(ctx, k.principal, qs[idx[0]].Request.Context, ac, rc, results)
				if err != nil {
					return nil, err
				}
				if why == "" || fatal {
					failures = 0
				}
				if why != "" {
					failed = why
					if fatal {
						refused[k.principal] = why
						break batches
					}
					if failures++; failures >= giveUp {
						stopped = fmt.Sprintf("not asked: iam:SimulatePrincipalPolicy failed %d times in a row (last: %s)", failures, why)
						break batches
					}
				}
			}
		}
		for _, i := range idx {
			a, ok := results[[2]string{qs[i].Request.Action, qs[i].Request.Resource}]
			switch {
			case ok:
				out[i] = a
			case failed != "":
				out[i] = Answer{NotEvaluated: failed}
			default:
				out[i] = Answer{NotEvaluated: "the simulator returned no result for this action and resource"}
			}
		}
	}
	return out, nil
}

func (e *AWS) maxActions() int {
	if e.MaxActions > 0 {
		return e.MaxActions
	}
	return 20
}

func (e *AWS) maxResources() int {
	if e.MaxResources > 0 {
		return e.MaxResources
	}
	return 20
}

func uniqueActionsResources(qs []Query, idx []int) (actions, resources []string) {
	as, rs := map[string]bool{}, map[string]bool{}
	for _, i := range idx {
		as[qs[i].Request.Action] = true
		rs[qs[i].Request.Resource] = true
	}
	return sortedSet(as), sortedSet(rs)
}

func chunk(s []string, n int) [][]string {
	var out [][]string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

// simulate runs one batch (all its pages) and stores the answers. why is
// set when the batch could not be decided; fatal when no other batch of
// the principal will fare better (access denied, no such principal).
func (e *AWS) simulate(ctx context.Context, principal string, c []ContextEntry, actions, resources []string, into map[[2]string]Answer) (why string, fatal bool, err error) {
	in := &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(principal),
		ActionNames:     actions,
		ResourceArns:    resources,
	}
	for _, ce := range c {
		in.ContextEntries = append(in.ContextEntries, types.ContextEntry{
			ContextKeyName:   aws.String(ce.Key),
			ContextKeyType:   types.ContextKeyTypeEnum(ce.Type),
			ContextKeyValues: ce.Values,
		})
	}
	for {
		outp, why, fatal, err := e.call(ctx, in)
		if err != nil || why != "" {
			return why, fatal, err
		}
		for _, r := range outp.EvaluationResults {
			storeResult(r, resources, into)
		}
		if !outp.IsTruncated || outp.Marker == nil {
			return "", false, nil
		}
		in.Marker = outp.Marker
	}
}

// call sends one page, pacing it and retrying throttling.
func (e *AWS) call(ctx context.Context, in *iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, string, bool, error) {
	retries := e.Retries
	if retries <= 0 {
		retries = 5
	}
	backoff := e.Backoff
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	if e.Limiter != nil && e.base == 0 {
		e.base = e.Limiter.Limit()
	}
	retryFor := e.RetryFor
	if retryFor <= 0 {
		retryFor = time.Minute
	}
	start := time.Now()
	for attempt := 0; ; attempt++ {
		if e.Limiter != nil {
			if err := e.Limiter.Wait(ctx); err != nil {
				return nil, "", false, fmt.Errorf("aws engine: %w", err)
			}
		}
		out, err := e.API.SimulatePrincipalPolicy(ctx, in)
		if err == nil {
			if e.Limiter != nil && e.Limiter.Limit() < e.base {
				e.Limiter.SetLimit(min(e.base, e.Limiter.Limit()*1.25))
			}
			return out, "", false, nil
		}
		if ctx.Err() != nil {
			return nil, "", false, fmt.Errorf("aws engine: %w", ctx.Err())
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			// A dropped or reset connection is retried like throttling
			// (the client may come without the SDK's retryer); any other
			// failure is the answer.
			if attempt < retries && time.Since(start)+backoff<<attempt <= retryFor &&
				(retry.RetryableConnectionError{}).IsErrorRetryable(err) == aws.TrueTernary {
				t := time.NewTimer(backoff << attempt)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil, "", false, fmt.Errorf("aws engine: %w", ctx.Err())
				case <-t.C:
				}
				continue
			}
			return nil, "iam:SimulatePrincipalPolicy failed: " + lastCause(err), false, nil
		}
		code := ae.ErrorCode()
		switch {
		case isThrottle(code):
			if attempt >= retries || time.Since(start)+backoff<<attempt > retryFor {
				return nil, fmt.Sprintf("iam:SimulatePrincipalPolicy throttled (%s) %d times in %s; lower --aws-rate", code, attempt+1, time.Since(start).Round(100*time.Millisecond)), false, nil
			}
			if e.Limiter != nil && e.Limiter.Limit() != rate.Inf {
				e.Limiter.SetLimit(max(e.Limiter.Limit()/2, e.base/16))
			}
			if e.Log != nil {
				e.Log.Debug("throttled; slowing down", "code", code, "attempt", attempt+1)
			}
			t := time.NewTimer(backoff << attempt)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, "", false, fmt.Errorf("aws engine: %w", ctx.Err())
			case <-t.C:
			}
		case code == "AccessDenied" || code == "AccessDeniedException":
			return nil, "AccessDenied: the caller may not call iam:SimulatePrincipalPolicy on " + aws.ToString(in.PolicySourceArn) + " (" + ae.ErrorMessage() + ")", true, nil
		case code == "NoSuchEntity":
			return nil, "the simulator cannot find " + aws.ToString(in.PolicySourceArn) + " in the live account (" + ae.ErrorMessage() + ")", true, nil
		default:
			return nil, fmt.Sprintf("iam:SimulatePrincipalPolicy failed: %s: %s", code, ae.ErrorMessage()), false, nil
		}
	}
}

// storeResult records the answers of one EvaluationResult: one per
// resource-specific result, or the top-level decision when the call had a
// single resource and no per-resource results.
func storeResult(r types.EvaluationResult, resources []string, into map[[2]string]Answer) {
	action := aws.ToString(r.EvalActionName)
	if len(r.ResourceSpecificResults) > 0 {
		for _, rr := range r.ResourceSpecificResults {
			a := Answer{Decision: string(rr.EvalResourceDecision), Statements: statements(rr.MatchedStatements), MissingContext: rr.MissingContextValues}
			a.BoundaryAllowed = boundaryAllowed(rr.PermissionsBoundaryDecisionDetail, r.PermissionsBoundaryDecisionDetail)
			into[[2]string{action, aws.ToString(rr.EvalResourceName)}] = a
		}
		return
	}
	res := aws.ToString(r.EvalResourceName)
	if len(resources) == 1 {
		res = resources[0]
	}
	a := Answer{Decision: string(r.EvalDecision), Statements: statements(r.MatchedStatements), MissingContext: r.MissingContextValues}
	a.BoundaryAllowed = boundaryAllowed(r.PermissionsBoundaryDecisionDetail, nil)
	into[[2]string{action, res}] = a
}

func boundaryAllowed(d, fallback *types.PermissionsBoundaryDecisionDetail) *bool {
	if d == nil {
		d = fallback
	}
	if d == nil {
		return nil
	}
	v := d.AllowedByPermissionsBoundary
	return &v
}

// statements renders matched statements as "policy (type) line N".
func statements(ms []types.Statement) []string {
	var out []string
	for _, m := range ms {
		var b strings.Builder
		b.WriteString(aws.ToString(m.SourcePolicyId))
		if m.SourcePolicyType != "" {
			fmt.Fprintf(&b, " (%s)", m.SourcePolicyType)
		}
		if m.StartPosition != nil {
			fmt.Fprintf(&b, " line %d", m.StartPosition.Line)
		}
		out = append(out, b.String())
	}
	return out
}

// lastCause is an SDK error without its "operation error …" chain: the
// innermost message, which says what happened (no answer, a connection
// refused, a body that could not be decoded).
func lastCause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ", "); i >= 0 && strings.HasPrefix(msg, "operation error") {
		return msg[i+2:]
	}
	return msg
}
