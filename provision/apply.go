package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// Writer is the write-only slice of IAM that Apply uses. Only the
// provisioner and account deregistration hold a client of this interface;
// the scanner's interfaces (inventory/live, the probes, the trail) have no
// mutating method.
type Writer interface {
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, optFns ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, optFns ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
	UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, optFns ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	UpdateRole(ctx context.Context, in *iam.UpdateRoleInput, optFns ...func(*iam.Options)) (*iam.UpdateRoleOutput, error)
	PutRolePermissionsBoundary(ctx context.Context, in *iam.PutRolePermissionsBoundaryInput, optFns ...func(*iam.Options)) (*iam.PutRolePermissionsBoundaryOutput, error)
	DeleteRolePermissionsBoundary(ctx context.Context, in *iam.DeleteRolePermissionsBoundaryInput, optFns ...func(*iam.Options)) (*iam.DeleteRolePermissionsBoundaryOutput, error)
	PutRolePolicy(ctx context.Context, in *iam.PutRolePolicyInput, optFns ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	DetachRolePolicy(ctx context.Context, in *iam.DetachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	TagRole(ctx context.Context, in *iam.TagRoleInput, optFns ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	UntagRole(ctx context.Context, in *iam.UntagRoleInput, optFns ...func(*iam.Options)) (*iam.UntagRoleOutput, error)
	RemoveRoleFromInstanceProfile(ctx context.Context, in *iam.RemoveRoleFromInstanceProfileInput, optFns ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	CreatePolicy(ctx context.Context, in *iam.CreatePolicyInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
	CreatePolicyVersion(ctx context.Context, in *iam.CreatePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
	DeletePolicyVersion(ctx context.Context, in *iam.DeletePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
	DeletePolicy(ctx context.Context, in *iam.DeletePolicyInput, optFns ...func(*iam.Options)) (*iam.DeletePolicyOutput, error)
	TagPolicy(ctx context.Context, in *iam.TagPolicyInput, optFns ...func(*iam.Options)) (*iam.TagPolicyOutput, error)
	UntagPolicy(ctx context.Context, in *iam.UntagPolicyInput, optFns ...func(*iam.Options)) (*iam.UntagPolicyOutput, error)
}

// Step statuses in a Result.
const (
	StatusDone   = "done"
	StatusFailed = "failed"
	StatusNotRun = "not-run"
)

// StepResult is what happened to one step.
type StepResult struct {
	Seq       int    `json:"seq"`
	Op        string `json:"op"`
	Target    string `json:"target"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Result is the outcome of Apply: every step of the plan, done, failed
// (the first failure stops the run) or not run.
type Result struct {
	Steps    []StepResult `json:"steps"`
	Done     int          `json:"done"`
	Failed   int          `json:"failed"`
	NotRun   int          `json:"not_run"`
	Complete bool         `json:"complete"`
}

// ApplyOptions tune Apply. The zero value is usable.
type ApplyOptions struct {
	// MaxAttempts bounds the tries of a call that finds an entity created
	// earlier in the run not yet visible (IAM is eventually consistent);
	// 6 when zero.
	MaxAttempts int
	// BaseDelay is the first wait between such tries, doubled each time
	// and capped at 8 s; 250 ms when zero.
	BaseDelay time.Duration
	// Sleep waits (tests inject one that does not); a timer honouring ctx
	// when nil.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
}

func (o *ApplyOptions) defaults() {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 250 * time.Millisecond
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Apply runs the plan's steps in order. It stops at the first failure and
// reports exactly which steps were done, which failed and which did not
// run; a new plan of the same account then continues where it stopped. A
// step that finds an entity this run created not yet visible (NoSuchEntity)
// is retried with exponential backoff, a bounded number of times.
func Apply(ctx context.Context, w Writer, p *Plan, o ApplyOptions) *Result {
	o.defaults()
	res := &Result{Steps: make([]StepResult, 0, len(p.Steps))}
	created := map[string]bool{}
	stopped := false
	for _, s := range p.Steps {
		sr := StepResult{Seq: s.Seq, Op: s.Op, Target: s.Target(), Status: StatusNotRun}
		if stopped {
			res.Steps = append(res.Steps, sr)
			res.NotRun++
			continue
		}
		for attempt := 1; ; attempt++ {
			sr.Attempts = attempt
			err := call(ctx, w, s)
			if err == nil {
				sr.Status = StatusDone
				if s.Creates != "" {
					created[s.Creates] = true
				}
				o.Log.Info("applied", "seq", s.Seq, "op", s.Op, "target", sr.Target)
				break
			}
			var ae smithy.APIError
			if errors.As(err, &ae) {
				sr.ErrorCode = ae.ErrorCode()
			}
			if sr.ErrorCode == "NoSuchEntity" && needsCreated(s, created) && attempt < o.MaxAttempts {
				d := min(o.BaseDelay<<(attempt-1), 8*time.Second)
				o.Log.Info("not yet visible, retrying", "seq", s.Seq, "op", s.Op, "target", sr.Target, "attempt", attempt, "wait", d)
				if serr := o.Sleep(ctx, d); serr == nil {
					continue
				}
			}
			sr.Status, sr.Error = StatusFailed, err.Error()
			stopped = true
			break
		}
		switch sr.Status {
		case StatusDone:
			res.Done++
		case StatusFailed:
			res.Failed++
		}
		res.Steps = append(res.Steps, sr)
	}
	res.Complete = res.Failed == 0 && res.NotRun == 0
	return res
}

func needsCreated(s Step, created map[string]bool) bool {
	for _, n := range s.Needs {
		if created[n] {
			return true
		}
	}
	return false
}

func iamTags(m map[string]string) []iamtypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]iamtypes.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// call makes one step's IAM call, sending the step's document as it is.
func call(ctx context.Context, w Writer, s Step) error {
	var err error
	role := optString(s.Role)
	switch s.Op {
	case "CreateRole":
		in := &iam.CreateRoleInput{RoleName: role, Path: optString(s.Path), AssumeRolePolicyDocument: aws.String(s.Document),
			PermissionsBoundary: optString(s.Boundary), Tags: iamTags(s.Tags)}
		if s.MaxSessionDuration > 0 {
			in.MaxSessionDuration = aws.Int32(int32(s.MaxSessionDuration))
		}
		_, err = w.CreateRole(ctx, in)
	case "DeleteRole":
		_, err = w.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role})
	case "UpdateAssumeRolePolicy":
		_, err = w.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: role, PolicyDocument: aws.String(s.Document)})
	case "UpdateRole":
		_, err = w.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: role, MaxSessionDuration: aws.Int32(int32(s.MaxSessionDuration))})
	case "PutRolePermissionsBoundary":
		_, err = w.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: role, PermissionsBoundary: aws.String(s.Boundary)})
	case "DeleteRolePermissionsBoundary":
		_, err = w.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: role})
	case "PutRolePolicy":
		_, err = w.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String(s.PolicyName), PolicyDocument: aws.String(s.Document)})
	case "DeleteRolePolicy":
		_, err = w.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String(s.PolicyName)})
	case "AttachRolePolicy":
		_, err = w.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: role, PolicyArn: aws.String(s.PolicyARN)})
	case "DetachRolePolicy":
		_, err = w.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: role, PolicyArn: aws.String(s.PolicyARN)})
	case "TagRole":
		_, err = w.TagRole(ctx, &iam.TagRoleInput{RoleName: role, Tags: iamTags(s.Tags)})
	case "UntagRole":
		_, err = w.UntagRole(ctx, &iam.UntagRoleInput{RoleName: role, TagKeys: s.TagKeys})
	case "RemoveRoleFromInstanceProfile":
		_, err = w.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{RoleName: role, InstanceProfileName: aws.String(s.InstanceProfile)})
	case "CreatePolicy":
		_, err = w.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(s.PolicyName), Path: optString(s.Path),
			PolicyDocument: aws.String(s.Document), Tags: iamTags(s.Tags)})
	case "CreatePolicyVersion":
		_, err = w.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(s.PolicyARN), PolicyDocument: aws.String(s.Document), SetAsDefault: true})
	case "DeletePolicyVersion":
		_, err = w.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(s.PolicyARN), VersionId: aws.String(s.VersionID)})
	case "DeletePolicy":
		_, err = w.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(s.PolicyARN)})
	case "TagPolicy":
		_, err = w.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(s.PolicyARN), Tags: iamTags(s.Tags)})
	case "UntagPolicy":
		_, err = w.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(s.PolicyARN), TagKeys: s.TagKeys})
	default:
		return fmt.Errorf("provision: unknown step %q", s.Op)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", s.Op, s.Target(), err)
	}
	return nil
}
