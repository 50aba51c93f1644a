// Package live collects an account snapshot from the IAM and STS APIs. It is
// read-only by construction: the interfaces it accepts have no write methods.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// IAMAPI is the read-only slice of IAM the collector uses.
type IAMAPI interface {
	iam.GetAccountAuthorizationDetailsAPIClient
	iam.ListRolesAPIClient
	iam.ListAccessKeysAPIClient
}

// STSAPI is the read-only slice of STS the collector uses.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Identity is the caller as sts:GetCallerIdentity names it.
type Identity struct {
	Account, ARN string
}

// Collector reads an account into a snapshot.
type Collector struct {
	IAM IAMAPI
	STS STSAPI
	// Caller, when set, is the identity already checked (the command asks
	// STS before anything else); the collector then does not ask again.
	Caller *Identity
	Now    func() time.Time
	Log    *slog.Logger
	// PageSize is MaxItems for paged calls (IAM allows up to 1000).
	PageSize int32
	// Runtime, when set, are the clients of the regions whose runtime
	// section (network, logs, alarms, compute) is read (see runtime.go);
	// without them the snapshot holds IAM only.
	Runtime []*RuntimeClients
}

// Collect reads the account. Calls that fail are recorded as gaps in the
// snapshot and collection goes on where it can; the error is non-nil only
// when ctx is done.
func (c *Collector) Collect(ctx context.Context) (*inventory.Snapshot, error) {
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	pageSize := c.PageSize
	if pageSize == 0 {
		pageSize = 1000
	}
	snap := &inventory.Snapshot{Schema: inventory.SchemaVersion, Source: "live", CapturedAt: now().UTC().Truncate(time.Second)}

	if c.Caller != nil {
		snap.AccountID, snap.CallerARN = c.Caller.Account, c.Caller.ARN
	} else if id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		snap.Gaps = append(snap.Gaps, gap("sts:GetCallerIdentity", "", err))
	} else {
		snap.AccountID = aws.ToString(id.Account)
		snap.CallerARN = aws.ToString(id.Arn)
		log.Info("caller identity", "account", snap.AccountID, "arn", snap.CallerARN)
	}

	if err := c.authDetails(ctx, snap, pageSize, log); err != nil {
		return nil, err
	}
	if err := c.sessionDurations(ctx, snap, pageSize); err != nil {
		return nil, err
	}
	if err := c.accessKeys(ctx, snap, pageSize); err != nil {
		return nil, err
	}
	if err := c.runtime(ctx, snap); err != nil {
		return nil, err
	}
	if snap.AccountID == "" {
		for _, r := range snap.Roles {
			if a := inventory.AccountFromARN(r.ARN); a != "" {
				snap.AccountID = a
				break
			}
		}
	}
	snap.Normalize()
	log.Info("collected", "roles", len(snap.Roles), "policies", len(snap.Policies), "users", len(snap.Users), "gaps", len(snap.Gaps))
	return snap, nil
}

func (c *Collector) authDetails(ctx context.Context, snap *inventory.Snapshot, pageSize int32, log *slog.Logger) error {
	in := &iam.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{
			iamtypes.EntityTypeRole, iamtypes.EntityTypeUser, iamtypes.EntityTypeGroup,
			iamtypes.EntityTypeLocalManagedPolicy, iamtypes.EntityTypeAWSManagedPolicy,
		},
		MaxItems: aws.Int32(pageSize),
	}
	const op = "iam:GetAccountAuthorizationDetails"
	var pages pager
	for {
		out, err := c.IAM.GetAccountAuthorizationDetails(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			snap.Gaps = append(snap.Gaps, pages.gap(op, "", err))
			return nil
		}
		log.Debug("authorization details page", "page", pages.n+1, "roles", len(out.RoleDetailList), "policies", len(out.Policies), "truncated", out.IsTruncated)
		for _, r := range out.RoleDetailList {
			snap.Roles = append(snap.Roles, convertRole(snap, r))
		}
		for _, u := range out.UserDetailList {
			snap.Users = append(snap.Users, convertUser(snap, u))
		}
		for _, g := range out.GroupDetailList {
			snap.Groups = append(snap.Groups, convertGroup(snap, g))
		}
		for _, mp := range out.Policies {
			snap.Policies = append(snap.Policies, convertPolicy(snap, mp))
		}
		next, g := pages.next(op, "", out.IsTruncated, out.Marker)
		if g != nil {
			snap.Gaps = append(snap.Gaps, *g)
			return nil
		}
		if next == nil {
			return nil
		}
		in.Marker = next
	}
}

// sessionDurations fills MaxSessionDuration, which GetAccountAuthorizationDetails lacks.
// A role the listing does not name keeps an unknown duration: a gap.
func (c *Collector) sessionDurations(ctx context.Context, snap *inventory.Snapshot, pageSize int32) error {
	byName := make(map[string]*inventory.Role, len(snap.Roles))
	for i := range snap.Roles {
		byName[snap.Roles[i].Name] = &snap.Roles[i]
	}
	const op, what = "iam:ListRoles", "MaxSessionDuration of roles"
	in := &iam.ListRolesInput{MaxItems: aws.Int32(pageSize)}
	seen := map[string]bool{}
	var pages pager
	for {
		out, err := c.IAM.ListRoles(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			snap.Gaps = append(snap.Gaps, pages.gap(op, what, err))
			return nil
		}
		for _, r := range out.Roles {
			name := aws.ToString(r.RoleName)
			if role, ok := byName[name]; ok && r.MaxSessionDuration != nil {
				role.MaxSessionDuration = int(aws.ToInt32(r.MaxSessionDuration))
				seen[name] = true
			}
		}
		next, g := pages.next(op, what, out.IsTruncated, out.Marker)
		if g != nil {
			snap.Gaps = append(snap.Gaps, *g)
			return nil
		}
		if next == nil {
			break
		}
		in.Marker = next
	}
	for i := range snap.Roles {
		if r := &snap.Roles[i]; !seen[r.Name] {
			snap.Gaps = append(snap.Gaps, inventory.Gap{Operation: op, Resource: r.ARN, Code: "NotListed",
				Message: "the role list did not name this role: its MaxSessionDuration is unknown"})
		}
	}
	return nil
}

// maxConsecutiveFailures is how many per-user ListAccessKeys calls in a
// row may fail before the collector stops asking (throttling or an outage
// that outlasts the retries would otherwise cost one timeout per user);
// the users not asked are one gap.
const maxConsecutiveFailures = 3

func (c *Collector) accessKeys(ctx context.Context, snap *inventory.Snapshot, pageSize int32) error {
	const op = "iam:ListAccessKeys"
	failures := 0
	for i := range snap.Users {
		u := &snap.Users[i]
		if failures >= maxConsecutiveFailures {
			var names []string
			for _, v := range snap.Users[i:] {
				names = append(names, v.Name)
			}
			snap.Gaps = append(snap.Gaps, inventory.Gap{Operation: op, Resource: "users: " + strings.Join(names, ", "), Code: "NotAttempted",
				Message: fmt.Sprintf("not asked after %d consecutive failures: the access keys of %d user(s) are unknown", failures, len(names))})
			return nil
		}
		keys := []inventory.AccessKey{}
		in := &iam.ListAccessKeysInput{UserName: aws.String(u.Name), MaxItems: aws.Int32(pageSize)}
		var pages pager
		var failed *inventory.Gap
		for {
			out, err := c.IAM.ListAccessKeys(ctx, in)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				g := pages.gap(op, u.ARN, err)
				failed = &g
				break
			}
			for _, k := range out.AccessKeyMetadata {
				keys = append(keys, inventory.AccessKey{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status), CreateDate: aws.ToTime(k.CreateDate)})
			}
			next, g := pages.next(op, u.ARN, out.IsTruncated, out.Marker)
			if g != nil {
				failed = g
				break
			}
			if next == nil {
				break
			}
			in.Marker = next
		}
		if failed != nil {
			snap.Gaps = append(snap.Gaps, *failed)
			failures++
			continue
		}
		failures = 0
		u.AccessKeys = keys
	}
	return nil
}

// pager follows IAM's Marker paging and refuses a listing it cannot trust:
// a page that says more follow but gives no marker, or a marker seen
// before (a loop), ends the listing with a gap, never silently.
type pager struct {
	n    int
	seen map[string]bool
}

// next counts a page and returns the marker of the next one (nil at the
// end), or the gap that ends the listing.
func (p *pager) next(op, resource string, truncated bool, marker *string) (*string, *inventory.Gap) {
	p.n++
	if !truncated {
		return nil, nil
	}
	m := aws.ToString(marker)
	switch {
	case m == "":
		return nil, &inventory.Gap{Operation: op, Resource: resource, Code: "BrokenPagination",
			Message: fmt.Sprintf("page %d says more follow (IsTruncated) but gives no Marker: the listing is incomplete", p.n)}
	case p.seen[m]:
		return nil, &inventory.Gap{Operation: op, Resource: resource, Code: "BrokenPagination",
			Message: fmt.Sprintf("page %d repeats an earlier Marker: the listing loops and is incomplete", p.n)}
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	p.seen[m] = true
	return marker, nil
}

// gap is the coverage gap of a failed page, saying how far the listing got.
func (p *pager) gap(op, resource string, err error) inventory.Gap {
	g := gap(op, resource, err)
	if p.n > 0 {
		g.Message = fmt.Sprintf("listing stopped after %d page(s): %s", p.n, g.Message)
	}
	return g
}

// GapOf is the coverage gap of a call that failed, as the collector
// records it (see gap); other live readers use it too.
func GapOf(op, resource string, err error) inventory.Gap { return gap(op, resource, err) }

// gap turns a failed call into a coverage gap with the AWS error code,
// or for a failure below the API what it was: NoAnswer (the call's time
// ran out), Undecodable (a body that is not the protocol's), Transport.
func gap(op, resource string, err error) inventory.Gap {
	g := inventory.Gap{Operation: op, Resource: resource, Message: lastCause(err)}
	var ae smithy.APIError
	var de *smithy.DeserializationError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		g.Code = "NoAnswer"
	case errors.As(err, &de):
		g.Code = "Undecodable"
	case !errors.As(err, &ae):
		g.Code = "Transport"
	}
	if errors.As(err, &ae) {
		g.Code = ae.ErrorCode()
		g.Message = ae.ErrorMessage()
		if g.Message == "" {
			g.Message = ae.ErrorCode()
		}
	}
	return g
}

// doc parses a URL-encoded document; a document IAM returned but pvaudit
// cannot parse is a gap on that resource, never silently dropped.
func doc(snap *inventory.Snapshot, raw *string, op, resource string) *policy.Document {
	if raw == nil {
		return nil
	}
	d, err := policy.ParseString(*raw)
	if err != nil {
		snap.Gaps = append(snap.Gaps, inventory.Gap{Operation: op, Resource: resource, Code: "UnparseablePolicy", Message: err.Error()})
		return nil
	}
	return d
}

func convertRole(snap *inventory.Snapshot, r iamtypes.RoleDetail) inventory.Role {
	arn := aws.ToString(r.Arn)
	out := inventory.Role{
		Name: aws.ToString(r.RoleName), ARN: arn, Path: aws.ToString(r.Path), ID: aws.ToString(r.RoleId),
		CreateDate:  aws.ToTime(r.CreateDate).UTC(),
		TrustPolicy: doc(snap, r.AssumeRolePolicyDocument, "iam:GetAccountAuthorizationDetails", arn+" (trust policy)"),
		Tags:        tags(r.Tags),
	}
	for _, p := range r.RolePolicyList {
		name := aws.ToString(p.PolicyName)
		if d := doc(snap, p.PolicyDocument, "iam:GetAccountAuthorizationDetails", arn+" (inline policy "+name+")"); d != nil {
			out.InlinePolicies = append(out.InlinePolicies, inventory.InlinePolicy{Name: name, Document: d})
		}
	}
	out.AttachedPolicies = attached(r.AttachedManagedPolicies)
	if b := r.PermissionsBoundary; b != nil && aws.ToString(b.PermissionsBoundaryArn) != "" {
		out.PermissionsBoundary = &inventory.Boundary{ARN: aws.ToString(b.PermissionsBoundaryArn), Type: string(b.PermissionsBoundaryType)}
	}
	if lu := r.RoleLastUsed; lu != nil && lu.LastUsedDate != nil {
		out.LastUsed = &inventory.LastUsed{Date: lu.LastUsedDate.UTC(), Region: aws.ToString(lu.Region)}
	}
	for _, ip := range r.InstanceProfileList {
		out.InstanceProfiles = append(out.InstanceProfiles, aws.ToString(ip.InstanceProfileName))
	}
	return out
}

func convertUser(snap *inventory.Snapshot, u iamtypes.UserDetail) inventory.User {
	arn := aws.ToString(u.Arn)
	out := inventory.User{
		Name: aws.ToString(u.UserName), ARN: arn, Path: aws.ToString(u.Path), ID: aws.ToString(u.UserId),
		CreateDate: aws.ToTime(u.CreateDate).UTC(), Groups: u.GroupList, Tags: tags(u.Tags),
		AttachedPolicies: attached(u.AttachedManagedPolicies),
	}
	for _, p := range u.UserPolicyList {
		name := aws.ToString(p.PolicyName)
		if d := doc(snap, p.PolicyDocument, "iam:GetAccountAuthorizationDetails", arn+" (inline policy "+name+")"); d != nil {
			out.InlinePolicies = append(out.InlinePolicies, inventory.InlinePolicy{Name: name, Document: d})
		}
	}
	if b := u.PermissionsBoundary; b != nil && aws.ToString(b.PermissionsBoundaryArn) != "" {
		out.PermissionsBoundary = &inventory.Boundary{ARN: aws.ToString(b.PermissionsBoundaryArn), Type: string(b.PermissionsBoundaryType)}
	}
	return out
}

func convertGroup(snap *inventory.Snapshot, g iamtypes.GroupDetail) inventory.Group {
	arn := aws.ToString(g.Arn)
	out := inventory.Group{
		Name: aws.ToString(g.GroupName), ARN: arn, Path: aws.ToString(g.Path), ID: aws.ToString(g.GroupId),
		CreateDate: aws.ToTime(g.CreateDate).UTC(), AttachedPolicies: attached(g.AttachedManagedPolicies),
	}
	for _, p := range g.GroupPolicyList {
		name := aws.ToString(p.PolicyName)
		if d := doc(snap, p.PolicyDocument, "iam:GetAccountAuthorizationDetails", arn+" (inline policy "+name+")"); d != nil {
			out.InlinePolicies = append(out.InlinePolicies, inventory.InlinePolicy{Name: name, Document: d})
		}
	}
	return out
}

func convertPolicy(snap *inventory.Snapshot, p iamtypes.ManagedPolicyDetail) inventory.ManagedPolicy {
	arn := aws.ToString(p.Arn)
	out := inventory.ManagedPolicy{
		Name: aws.ToString(p.PolicyName), ARN: arn, ID: aws.ToString(p.PolicyId), Path: aws.ToString(p.Path),
		DefaultVersionID: aws.ToString(p.DefaultVersionId), AttachmentCount: int(aws.ToInt32(p.AttachmentCount)),
		PermissionsBoundaryUsageCount: int(aws.ToInt32(p.PermissionsBoundaryUsageCount)), IsAttachable: p.IsAttachable,
		CreateDate: aws.ToTime(p.CreateDate).UTC(), UpdateDate: aws.ToTime(p.UpdateDate).UTC(),
	}
	for _, v := range p.PolicyVersionList {
		vid := aws.ToString(v.VersionId)
		d := doc(snap, v.Document, "iam:GetAccountAuthorizationDetails", arn+" (version "+vid+")")
		out.Versions = append(out.Versions, inventory.PolicyVersion{VersionID: vid, IsDefault: v.IsDefaultVersion, CreateDate: aws.ToTime(v.CreateDate).UTC(), Document: d})
	}
	return out
}

func attached(refs []iamtypes.AttachedPolicy) []inventory.AttachedPolicy {
	var out []inventory.AttachedPolicy
	for _, r := range refs {
		out = append(out, inventory.AttachedPolicy{Name: aws.ToString(r.PolicyName), ARN: aws.ToString(r.PolicyArn)})
	}
	return out
}

func tags(ts []iamtypes.Tag) map[string]string {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// lastCause is an SDK error without its "operation error …" chain.
func lastCause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ", "); i >= 0 && strings.HasPrefix(msg, "operation error") {
		return msg[i+2:]
	}
	return msg
}
