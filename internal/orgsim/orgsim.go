// Package orgsim builds a simulated AWS Organization on the loopback
// endpoint: a management account that lists its member accounts, and
// members seeded from an account snapshot, each with an audit role that
// trusts the management account with an ExternalId, and planted failures.
// It is test and bench support.
package orgsim

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/testaccount"
	"github.com/pvaudit/pvaudit/inventory"
)

// Defaults of a simulated organisation.
const (
	Management = "900000000001"
	AuditRole  = "pvaudit-audit"
	ExternalID = "pvaudit-audit-7f3e1c"
	templateID = "481516234201"
	templateX  = "pn-ext-4c1d9e7a52"
)

// Config says what to build.
type Config struct {
	Accounts int
	// Template is the snapshot every member is seeded from (its account ID
	// and cross-account ExternalId are replaced per member).
	Template string
	Clock    func() time.Time
	// NoAuditRole members lack the audit role (AssumeRole is denied);
	// Suspended members are SUSPENDED in Organizations; DenyRead members
	// refuse GetAccountAuthorizationDetails; SharedExternalID members'
	// cross-account roles require member 0's ExternalId. By index.
	NoAuditRole, Suspended, DenyRead, SharedExternalID []int
	// Throttle is every member's ThrottleRate.
	Throttle float64
	// Authorize checks every call against the caller's policies.
	Authorize bool
}

// Org is the built organisation.
type Org struct {
	*awsfake.Accounts
	IDs []string
}

// ID is member i's account ID.
func ID(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }

const auditTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"%s"}}}]}`

// Build seeds the organisation (in process, without a listener).
func Build(ctx context.Context, cfg Config) (*Org, error) {
	tpl, err := os.ReadFile(cfg.Template)
	if err != nil {
		return nil, err
	}
	has := func(list []int, i int) bool {
		for _, x := range list {
			if x == i {
				return true
			}
		}
		return false
	}
	mgmt := awsfake.New(awsfake.Options{AccountID: Management, Clock: cfg.Clock, Seed: 1, Authorize: cfg.Authorize})
	org := &Org{Accounts: awsfake.NewAccounts(mgmt)}
	o := awsfake.Organization{ID: "o-sim0000001", RootID: "r-sim0", Units: []awsfake.OrgUnit{
		{ID: "ou-sim0-tenants", Name: "Tenants", Parent: "r-sim0"}, {ID: "ou-sim0-eu", Name: "EU", Parent: "ou-sim0-tenants"}}}
	for i := 0; i < cfg.Accounts; i++ {
		id := ID(i)
		org.IDs = append(org.IDs, id)
		parent := "ou-sim0-tenants"
		if i%2 == 1 {
			parent = "ou-sim0-eu"
		}
		st := "ACTIVE"
		if has(cfg.Suspended, i) {
			st = "SUSPENDED"
		}
		o.Accounts = append(o.Accounts, awsfake.OrgAccount{ID: id, Name: fmt.Sprintf("tenant-%03d", i), Email: "t" + id + "@example.com", Status: st, Parent: parent})
		m := awsfake.New(awsfake.Options{AccountID: id, Clock: cfg.Clock, Seed: uint64(i + 2)})
		ext := "pn-ext-" + id
		if has(cfg.SharedExternalID, i) {
			ext = "pn-ext-" + ID(0)
		}
		doc := strings.ReplaceAll(strings.ReplaceAll(string(tpl), templateID, id), templateX, ext)
		snap, err := inventory.Decode([]byte(doc), cfg.Template)
		if err != nil {
			return nil, fmt.Errorf("orgsim: template: %w", err)
		}
		acfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://awsfake.local"), HTTPClient: awsfake.InProcess(m),
			Credentials: credentials.NewStaticCredentialsProvider(m.AdminCredentials().AccessKeyID, m.AdminCredentials().SecretAccessKey, ""),
			Retryer: func() aws.Retryer {
				return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
			}}
		c := iam.NewFromConfig(acfg)
		if _, err := testaccount.Seed(ctx, c, snap); err != nil {
			return nil, fmt.Errorf("orgsim: seed %s: %w", id, err)
		}
		// The template's runtime section (network, logs, compute), as the
		// tenant's deployment built it: without it every tenant's scan is
		// incomplete.
		if _, err := testaccount.BuildRuntime(ctx, testaccount.NewRuntimeWriters(acfg), m, snap.Runtime); err != nil {
			return nil, fmt.Errorf("orgsim: seed runtime %s: %w", id, err)
		}
		if !has(cfg.NoAuditRole, i) {
			if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(AuditRole), AssumeRolePolicyDocument: aws.String(fmt.Sprintf(auditTrust, Management, ExternalID))}); err != nil {
				return nil, fmt.Errorf("orgsim: audit role %s: %w", id, err)
			}
			if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(AuditRole), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
				return nil, fmt.Errorf("orgsim: audit role %s: %w", id, err)
			}
		}
		m.ResetCalls()
		m.SetAuthorize(cfg.Authorize)
		f := awsfake.Faults{ThrottleRate: cfg.Throttle}
		if has(cfg.DenyRead, i) {
			f.Fail = map[string]awsfake.FaultKind{"GetAccountAuthorizationDetails": awsfake.FaultAccessDenied}
		}
		m.SetFaults(f)
		if err := org.Add(m); err != nil {
			return nil, err
		}
	}
	mgmt.SetOrganization(o)
	return org, nil
}
