package trail

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"
)

// LookupAPI is the one CloudTrail operation the live source needs.
type LookupAPI interface {
	cloudtrail.LookupEventsAPIClient
}

// LookupOptions control the LookupEvents source.
type LookupOptions struct {
	// Since and Until bound the lookup; LookupEvents keeps 90 days, which
	// is the default window ending now.
	Since, Until time.Time
	// Rate is the request rate per second (LookupEvents allows 2 per
	// account and region); 0 means 2.
	Rate float64
	// ThrottleRetries is how often a throttled request (or one that failed
	// below the API, e.g. a dropped connection) is retried after the SDK's
	// own retries gave up; 0 means 8.
	ThrottleRetries int
	// RetryFor bounds in time how long one page may be retried (throttled
	// or failed below the API), whatever ThrottleRetries says: persistent
	// throttling gives up after RetryFor, not after minutes; 0 means 1 min.
	RetryFor time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Origin names the source in evidence ("lookup:us-east-1").
	Origin string
}

// lookupWindow is how far back LookupEvents reaches.
const lookupWindow = 90 * 24 * time.Hour

// Lookup reads AssumeRole events from LookupEvents into c, then each
// session's calls by its access key ID, from one region's event history.
// Records go through the same decoder as files. IAM events (and STS events
// from the global endpoint) are recorded in us-east-1.
func Lookup(ctx context.Context, api LookupAPI, c *Collection, opts LookupOptions) error {
	return LookupRegions(ctx, []RegionalAPI{{API: api}}, c, opts)
}

// RegionalAPI is a LookupEvents client for one region's event history.
type RegionalAPI struct {
	Region string // names the source in evidence ("lookup:REGION")
	API    LookupAPI
}

// LookupRegions is Lookup over several regions' event histories. Event
// history is regional: an AssumeRole on a regional STS endpoint is
// recorded in that region, and a session's calls in each region it
// touched. Sessions are gathered from every region first, then each
// session's calls are looked up in every region. Regions run in parallel,
// each within its own rate (LookupEvents allows 2 requests per second per
// account and region).
func LookupRegions(ctx context.Context, regions []RegionalAPI, c *Collection, opts LookupOptions) error {
	if len(regions) == 0 {
		return errors.New("lookup: no region")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	until := opts.Until
	if until.IsZero() {
		until = now().UTC()
	}
	since := opts.Since
	if since.IsZero() {
		since = until.Add(-lookupWindow)
	}
	r := opts.Rate
	if r <= 0 {
		r = 2
	}
	retries := opts.ThrottleRetries
	if retries <= 0 {
		retries = 8
	}
	ls := make([]*lookup, len(regions))
	for i, reg := range regions {
		origin := opts.Origin
		switch {
		case reg.Region != "":
			origin = "lookup:" + reg.Region
		case origin == "":
			origin = "lookup"
		}
		retryFor := opts.RetryFor
		if retryFor <= 0 {
			retryFor = time.Minute
		}
		ls[i] = &lookup{api: reg.API, c: c, lim: rate.NewLimiter(rate.Limit(r), 1), retries: retries, retryFor: retryFor, origin: origin}
	}
	defer func() {
		for _, l := range ls {
			c.addLookup(l.requests, l.throttled, l.transient)
		}
	}()
	// Sessions, from every region.
	err := eachRegion(ctx, ls, func(ctx context.Context, l *lookup) error {
		for _, name := range []string{"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"} {
			attr := types.LookupAttribute{AttributeKey: types.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}
			if err := l.all(ctx, attr, since, until); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if c.iamChanges {
		// Every IAM write, whoever made it (drift attribution).
		err := eachRegion(ctx, ls, func(ctx context.Context, l *lookup) error {
			attr := types.LookupAttribute{AttributeKey: types.LookupAttributeKeyEventSource, AttributeValue: aws.String(iamSource)}
			return l.all(ctx, attr, since, until)
		})
		if err != nil {
			return err
		}
	}
	// Each session's calls, by the access key its AssumeRole returned, in
	// every region.
	type session struct {
		key, name  string
		from, to   time.Time
		byUsername bool
	}
	var sessions []session
	seen := map[string]bool{}
	for _, rec := range c.Records() {
		if !isAssume(rec.EventName) || rec.Failed() || rec.CredAccessKeyID == "" || seen[rec.CredAccessKeyID] {
			continue
		}
		if !c.expect.MatchRole(RoleNameFromARN(rec.RoleARN)) {
			continue
		}
		seen[rec.CredAccessKeyID] = true
		s := session{key: rec.CredAccessKeyID, name: rec.RoleSessionName, from: rec.EventTime.Add(-arnSkew)}
		if s.from.Before(since) {
			s.from = since
		}
		// Calls recorded without an access key ID are found by the
		// session's user name (the role session name) within its window.
		if rec.RoleSessionName != "" && !rec.CredExpiration.IsZero() {
			s.byUsername = true
			s.to = rec.CredExpiration.Add(arnSkew)
			if s.to.After(until) {
				s.to = until
			}
		}
		sessions = append(sessions, s)
	}
	// The event history covers the window, as far back as it keeps.
	covered := span{lo: since, hi: until}
	if oldest := now().UTC().Add(-lookupWindow); covered.lo.Before(oldest) {
		covered.lo = oldest
	}
	if covered.lo.Before(covered.hi) {
		c.addCoverage(covered)
	}
	return eachRegion(ctx, ls, func(ctx context.Context, l *lookup) error {
		for _, s := range sessions {
			attr := types.LookupAttribute{AttributeKey: types.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(s.key)}
			if err := l.all(ctx, attr, s.from, until); err != nil {
				return err
			}
			if s.byUsername {
				attr := types.LookupAttribute{AttributeKey: types.LookupAttributeKeyUsername, AttributeValue: aws.String(s.name)}
				if err := l.all(ctx, attr, s.from, s.to); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// eachRegion runs f for every region in parallel and returns the first
// error (the others are cancelled).
func eachRegion(ctx context.Context, ls []*lookup, f func(context.Context, *lookup) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(ls))
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx, l); err != nil {
				errs[i] = fmt.Errorf("%s: %w", l.origin, err)
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

type lookup struct {
	api       LookupAPI
	c         *Collection
	lim       *rate.Limiter
	retries   int
	retryFor  time.Duration
	origin    string
	requests  int
	throttled int
	transient int
	n         int64
}

// all pages through one lookup.
func (l *lookup) all(ctx context.Context, attr types.LookupAttribute, since, until time.Time) error {
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []types.LookupAttribute{attr},
		StartTime:        aws.Time(since),
		EndTime:          aws.Time(until),
		MaxResults:       aws.Int32(50),
	}
	for {
		out, err := l.page(ctx, in)
		if err != nil {
			return fmt.Errorf("lookup %s=%s: %w", attr.AttributeKey, aws.ToString(attr.AttributeValue), err)
		}
		for _, ev := range out.Events {
			l.n++
			raw := aws.ToString(ev.CloudTrailEvent)
			rec, err := DecodeRecord([]byte(raw))
			if err != nil {
				l.c.problem(Problem{Origin: l.origin + ":" + aws.ToString(ev.EventId), Offset: 0, Kind: ProblemUndecodable, Error: err.Error()}, true)
				continue
			}
			rec.Origin, rec.Offset = l.origin, l.n
			l.c.add(rec, []byte(raw))
		}
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}
}

// page makes one request within the rate, retrying when throttled.
func (l *lookup) page(ctx context.Context, in *cloudtrail.LookupEventsInput) (*cloudtrail.LookupEventsOutput, error) {
	start := time.Now()
	for attempt := 0; ; attempt++ {
		if err := l.lim.Wait(ctx); err != nil {
			return nil, err
		}
		l.requests++
		out, err := l.api.LookupEvents(ctx, in)
		if err == nil {
			return out, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if attempt >= l.retries || time.Since(start) >= l.retryFor {
			return nil, fmt.Errorf("gave up after %d attempt(s) in %s: %w", attempt+1, time.Since(start).Round(100*time.Millisecond), err)
		}
		switch {
		case isThrottle(err):
			l.throttled++
		case isTransient(err):
			l.transient++
		default:
			return nil, err
		}
		// Back off a little more each time, on top of the limiter.
		t := time.NewTimer(time.Duration(attempt+1) * 100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// isTransient reports errors below the API (a connection dropped while a
// page was read): worth retrying, like throttling.
func isTransient(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func isThrottle(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded":
		return true
	}
	return false
}
