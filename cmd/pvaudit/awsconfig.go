package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/pvaudit/pvaudit/inventory/live"
)

// Defaults of --timeout and the metadata service's budget.
const (
	defaultCallTimeout = 30 * time.Second
	// imdsTimeout bounds one call to the EC2 instance metadata service, the
	// last place the SDK looks for credentials. On EC2 it answers in
	// milliseconds; off EC2 it never answers, and waiting for it is how a
	// missing credential used to cost 15 s of silence.
	imdsTimeout = 500 * time.Millisecond
	// maxAttempts is how often the SDK tries a call AWS says to retry
	// (throttling, 5xx, a dropped connection); --timeout bounds them in time.
	maxAttempts = 6
)

// config loads AWS configuration the way the AWS CLI does (environment,
// shared config and credentials files, SSO, IMDS), assumes --role-arn when
// given, and checks the credentials first (sts:GetCallerIdentity): without
// usable credentials the command stops with one line saying what to give.
// Every call is bounded by --timeout (retries included), retries back off
// within that bound, a call that takes long is named on stderr, and the
// SDK's own log lines go through pvaudit's logger. It runs once per command.
func (o *awsOpts) config(ctx context.Context, a *app) (aws.Config, error) {
	if o.cfg != nil {
		return *o.cfg, nil
	}
	timeout := a.callTimeout()
	sdkLog := sdkLogger{log: a.log}
	opts := []func(*config.LoadOptions) error{
		config.WithLogger(sdkLog),
		config.WithClientLogMode(0),
		config.WithLogConfigurationWarnings(false),
		// Standard retries (throttling, 5xx, dropped connections) with the
		// backoff scaled to --timeout, so that a burst is ridden out within
		// it; the adaptive mode's client-side pacing spent the time budget
		// waiting instead of retrying.
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = maxAttempts
				so.MaxBackoff = max(100*time.Millisecond, min(20*time.Second, timeout/4))
			})
		}),
		config.WithAPIOptions([]func(*middleware.Stack) error{a.callBound(timeout), wellFormed}),
		config.WithEC2RoleCredentialOptions(func(eo *ec2rolecreds.Options) {
			eo.Client = imds.New(imds.Options{Retryer: aws.NopRetryer{}, Logger: sdkLogger{log: a.log, quiet: true}}, func(io *imds.Options) {
				io.APIOptions = append(io.APIOptions, boundEach("pvauditIMDSTimeout", imdsTimeout))
			})
		}),
	}
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	a.addSecret(os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"), o.externalID)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, &exitErr{code: exitError, err: fmt.Errorf("load AWS configuration: %w (give --profile NAME, --role-arn ARN, or --from FILE to read a saved snapshot)", err)}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if o.endpointURL != "" {
		cfg.BaseEndpoint = aws.String(o.endpointURL)
	}
	if o.roleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), o.roleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = "pvaudit"
			if o.externalID != "" && !o.audit {
				ao.ExternalID = aws.String(o.externalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	id, err := o.checkCredentials(ctx, a, cfg)
	if err != nil {
		return aws.Config{}, err
	}
	o.cfg, o.caller = &cfg, id
	return cfg, nil
}

// checkCredentials retrieves the credentials and asks STS who they belong
// to, before anything else is read. Each failure is one line naming what to
// give instead; the SDK's full error goes to the debug log.
func (o *awsOpts) checkCredentials(ctx context.Context, a *app, cfg aws.Config) (*live.Identity, error) {
	hint := "give --profile NAME (a profile of ~/.aws/config), --role-arn ARN (an audit role to assume), or --from FILE (a saved snapshot, no AWS call)"
	stop := a.waiting("checking AWS credentials (sts:GetCallerIdentity)")
	defer stop()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("checking AWS credentials: %w", ctx.Err())
		}
		a.log.Debug("credentials", "error", err.Error())
		if o.roleARN != "" {
			return nil, &exitErr{code: exitError, err: fmt.Errorf("cannot assume --role-arn %s: %s; %s", o.roleARN, shortAWSError(err), hint)}
		}
		return nil, &exitErr{code: exitError, err: fmt.Errorf("no AWS credentials found: %s", hint)}
	}
	a.addSecret(creds.SecretAccessKey, creds.SessionToken)
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("checking AWS credentials: %w", ctx.Err())
		}
		a.log.Debug("sts:GetCallerIdentity", "error", err.Error())
		return nil, &exitErr{code: exitError, err: fmt.Errorf("the AWS credentials could not be checked (sts:GetCallerIdentity: %s): %s", shortAWSError(err), hint)}
	}
	id := &live.Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}
	a.log.Info("caller identity", "account", id.Account, "arn", id.ARN)
	return id, nil
}

// shortAWSError is an SDK error without its "operation error …" prefix:
// the API's code and message, or the last cause.
func shortAWSError(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	var te *callTimeoutError
	if errors.As(err, &te) {
		return te.Error()
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ", "); i >= 0 && strings.HasPrefix(msg, "operation error") {
		msg = msg[i+2:]
	}
	return msg
}

// callTimeoutError is a call that did not finish within --timeout.
type callTimeoutError struct {
	op      string
	timeout time.Duration
	err     error
}

func (e *callTimeoutError) Error() string {
	return fmt.Sprintf("no answer within --timeout %s", e.timeout)
}

func (e *callTimeoutError) Unwrap() error { return e.err }

// callBound bounds every AWS call, retries included, by timeout and names
// a call that takes long on stderr: what is being waited for, and for how
// long already. It wraps the whole retry loop (the Initialize step).
func (a *app) callBound(timeout time.Duration) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("pvauditCallBound",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				op := strings.ToLower(awsmiddleware.GetServiceID(ctx)) + ":" + awsmiddleware.GetOperationName(ctx)
				op = strings.ReplaceAll(op, " ", "")
				cctx, cancel := context.WithTimeout(ctx, timeout)
				defer cancel()
				stop := a.watch(op, timeout)
				out, md, err := next.HandleInitialize(cctx, in)
				stop()
				if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
					err = &callTimeoutError{op: op, timeout: timeout, err: err}
				}
				return out, md, err
			}), middleware.After)
	}
}

// maxResponse bounds one response body read by wellFormed.
const maxResponse = 256 << 20

// wellFormed refuses a successful answer whose body is not the protocol's:
// an HTML page (a proxy or a captive portal in the way), or XML / JSON cut
// short or broken. The SDK ignores the body of calls that return nothing
// (PutRolePolicy, AttachRolePolicy, …), so without this a write answered by
// an error page would pass for done. It runs closest to the wire and hands
// the SDK the same bytes.
func wellFormed(st *middleware.Stack) error {
	return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("pvauditWellFormed",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 || resp.Body == nil {
				return out, md, err
			}
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			if rerr != nil {
				return out, md, &smithy.DeserializationError{Err: fmt.Errorf("reading the answer: %w", rerr)}
			}
			if why := malformed(resp.Header.Get("Content-Type"), body); why != "" {
				return out, md, &smithy.DeserializationError{Err: errors.New(why)}
			}
			return out, md, nil
		}), middleware.After)
}

// malformed says why a successful answer's body is not the protocol's ("" when it is).
func malformed(contentType string, body []byte) string {
	ct := strings.ToLower(contentType)
	switch {
	case len(body) > maxResponse:
		return fmt.Sprintf("the answer is larger than %d MiB", maxResponse>>20)
	case strings.Contains(ct, "html"):
		return "the answer is an HTML page, not the API's response (is a proxy in the way?)"
	case strings.Contains(ct, "json"):
		if len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
			return "the answer is not valid JSON (cut short?)"
		}
	case strings.Contains(ct, "xml"):
		d := xml.NewDecoder(bytes.NewReader(body))
		depth, seen := 0, false
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				return "the answer is not well-formed XML (cut short?): " + err.Error()
			}
			switch tok.(type) {
			case xml.StartElement:
				depth++
				seen = true
			case xml.EndElement:
				depth--
			}
		}
		if !seen || depth != 0 {
			return "the answer is not a complete XML document (cut short?)"
		}
	}
	return ""
}

// boundEach bounds each call of a client by d.
func boundEach(id string, d time.Duration) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc(id,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				ctx, cancel := context.WithTimeout(ctx, d)
				defer cancel()
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

// sdkLogger sends the SDK's own log lines through pvaudit's logger (the
// same format, the same level filter, the same redaction), as warnings for
// its warnings and debug lines for the rest. quiet makes every line debug:
// the metadata client's chatter ("falling back to IMDSv1") only matters
// when pvaudit runs on EC2 and says nothing when credentials are missing.
type sdkLogger struct {
	log   *slog.Logger
	quiet bool
}

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	if l.log == nil {
		return
	}
	msg := fmt.Sprintf(format, v...)
	if c == logging.Warn && !l.quiet {
		l.log.Warn("aws sdk", "message", msg)
		return
	}
	l.log.Debug("aws sdk", "message", msg)
}
