// Package testaccount replays a snapshot into an IAM endpoint through the
// real SDK, so that tests can run the live code paths against an account
// whose content they know (the loopback endpoint in internal/awsfake).
// It is test support: it writes, and nothing outside tests may use it.
package testaccount

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// IAMWriter is the slice of IAM seeding needs.
type IAMWriter interface {
	CreatePolicy(ctx context.Context, in *iam.CreatePolicyInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
	CreatePolicyVersion(ctx context.Context, in *iam.CreatePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, optFns ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	PutRolePolicy(ctx context.Context, in *iam.PutRolePolicyInput, optFns ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	CreateUser(ctx context.Context, in *iam.CreateUserInput, optFns ...func(*iam.Options)) (*iam.CreateUserOutput, error)
}

// Result says what could not be seeded (e.g. AWS managed policies the
// endpoint does not know), so tests can compare only what exists.
type Result struct {
	Skipped []string
}

// Seed creates the snapshot's customer managed policies (every version,
// with the same default), roles (trust, path, tags, boundary, inline
// policies, attachments, max session) and users. Boundaries that name a
// policy the endpoint rejects are skipped and reported.
func Seed(ctx context.Context, c IAMWriter, snap *inventory.Snapshot) (Result, error) {
	var res Result
	skip := func(what string, err error) error {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchEntity" || ae.ErrorCode() == "InvalidInput") {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %s", what, ae.ErrorCode()))
			return nil
		}
		return fmt.Errorf("seed %s: %w", what, err)
	}
	for i := range snap.Policies {
		p := &snap.Policies[i]
		if p.AWSManaged() {
			continue
		}
		versions := append([]inventory.PolicyVersion(nil), p.Versions...)
		sort.SliceStable(versions, func(a, b int) bool { return versions[a].IsDefault && !versions[b].IsDefault })
		if len(versions) == 0 {
			return res, fmt.Errorf("policy %s has no versions", p.ARN)
		}
		first, err := docString(versions[0].Document)
		if err != nil {
			return res, err
		}
		if _, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(p.Name), Path: aws.String(p.Path), PolicyDocument: aws.String(first)}); err != nil {
			return res, fmt.Errorf("seed policy %s: %w", p.Name, err)
		}
		for _, v := range versions[1:] {
			d, err := docString(v.Document)
			if err != nil {
				return res, err
			}
			arn := "arn:aws:iam::" + snap.AccountID + ":policy" + p.Path + p.Name
			if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(d)}); err != nil {
				return res, fmt.Errorf("seed policy %s version: %w", p.Name, err)
			}
		}
	}
	for i := range snap.Roles {
		r := &snap.Roles[i]
		trust, err := docString(r.TrustPolicy)
		if err != nil {
			return res, err
		}
		in := &iam.CreateRoleInput{RoleName: aws.String(r.Name), Path: aws.String(r.Path), AssumeRolePolicyDocument: aws.String(trust)}
		if r.MaxSessionDuration > 0 {
			in.MaxSessionDuration = aws.Int32(int32(r.MaxSessionDuration))
		}
		for _, k := range sortedKeys(r.Tags) {
			in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(r.Tags[k])})
		}
		if r.PermissionsBoundary != nil {
			in.PermissionsBoundary = aws.String(r.PermissionsBoundary.ARN)
		}
		if _, err := c.CreateRole(ctx, in); err != nil {
			if in.PermissionsBoundary == nil {
				return res, fmt.Errorf("seed role %s: %w", r.Name, err)
			}
			// The boundary may name a policy the endpoint rejects
			// (another account's): create the role without it.
			if serr := skip("boundary of "+r.Name, err); serr != nil {
				return res, serr
			}
			in.PermissionsBoundary = nil
			if _, err := c.CreateRole(ctx, in); err != nil {
				return res, fmt.Errorf("seed role %s: %w", r.Name, err)
			}
		}
		for _, p := range r.InlinePolicies {
			d, err := docString(p.Document)
			if err != nil {
				return res, err
			}
			if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(p.Name), PolicyDocument: aws.String(d)}); err != nil {
				return res, fmt.Errorf("seed role %s inline %s: %w", r.Name, p.Name, err)
			}
		}
		for _, a := range r.AttachedPolicies {
			if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r.Name), PolicyArn: aws.String(a.ARN)}); err != nil {
				if serr := skip("attachment "+a.ARN+" to "+r.Name, err); serr != nil {
					return res, serr
				}
			}
		}
	}
	for _, u := range snap.Users {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.Name), Path: aws.String(u.Path)}); err != nil {
			return res, fmt.Errorf("seed user %s: %w", u.Name, err)
		}
	}
	return res, nil
}

func docString(d *policy.Document) (string, error) {
	if d == nil {
		return "", errors.New("document missing")
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
