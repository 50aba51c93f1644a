package provision_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/provision"
)

const (
	testAccount     = "481516234201"
	testProvisioner = "941377122013"
	ecsExecDoc      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
)

func loadContract(t *testing.T, name string) *contract.Contract {
	t.Helper()
	c, err := contract.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pennsieveParams() provision.Params {
	return provision.Params{
		Account: testAccount, Region: "us-east-1", Env: "prod", RoleID: "a3f1b20c",
		ProvisionerAccount: testProvisioner, ExternalID: "pn-ext-4c1d9e7a52", LLMGovernor: true,
		WorkflowBucket: "pennsieve-7f3a9c21-workflow",
		Nodes:          []provision.Node{{ID: "7f3a9c21", FileSystem: "fs-07f3a9c21"}, {ID: "b24e11d0", FileSystem: "fs-0b24e11d0"}},
	}
}

// snapshotOf is the snapshot of an account holding exactly the desired
// state (plus the AWS managed policies it attaches).
func snapshotOf(t *testing.T, d *provision.Desired) *inventory.Snapshot {
	t.Helper()
	s := &inventory.Snapshot{AccountID: d.Account, Source: "snapshot"}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range d.Policies {
		uses := 0
		for _, r := range d.Roles {
			if r.Boundary == p.ARN {
				uses++
			}
		}
		s.Policies = append(s.Policies, inventory.ManagedPolicy{Name: p.Name, ARN: p.ARN, Path: p.Path, DefaultVersionID: "v1",
			PermissionsBoundaryUsageCount: uses, IsAttachable: true, CreateDate: at, UpdateDate: at,
			Versions: []inventory.PolicyVersion{{VersionID: "v1", IsDefault: true, CreateDate: at, Document: p.Doc.Document()}}})
	}
	for _, r := range d.Roles {
		ir := inventory.Role{Name: r.Name, Path: r.Path, ARN: "arn:aws:iam::" + d.Account + ":role" + r.Path + r.Name, ID: "AROA" + strings.ToUpper(r.Name[:4]),
			CreateDate: at, TrustPolicy: r.Trust.Document(), MaxSessionDuration: r.MaxSessionDuration, Tags: r.Tags}
		if r.Boundary != "" {
			ir.PermissionsBoundary = &inventory.Boundary{ARN: r.Boundary, Type: "PermissionsBoundaryPolicy"}
		}
		for _, in := range r.Inline {
			ir.InlinePolicies = append(ir.InlinePolicies, inventory.InlinePolicy{Name: in.Name, Document: in.Doc.Document()})
		}
		for _, a := range r.Attached {
			ir.AttachedPolicies = append(ir.AttachedPolicies, inventory.AttachedPolicy{Name: a[strings.LastIndex(a, "/")+1:], ARN: a})
			if s.Policy(a) == nil {
				doc, err := policy.ParseString(ecsExecDoc)
				if err != nil {
					t.Fatal(err)
				}
				s.Policies = append(s.Policies, inventory.ManagedPolicy{Name: a[strings.LastIndex(a, "/")+1:], ARN: a, Path: "/service-role/",
					DefaultVersionID: "v1", AttachmentCount: 1, IsAttachable: true,
					Versions: []inventory.PolicyVersion{{VersionID: "v1", IsDefault: true, Document: doc}}})
			}
		}
		s.Roles = append(s.Roles, ir)
	}
	s.Normalize()
	return s
}

// runtimeUnread reports a finding that is NOT_EVALUATED only because the
// snapshot holds IAM alone: the desired state is roles and policies, and
// the network, logs and compute a mode needs are not rendered, so the
// runtime checks (MODE-*, PV-LOG-*, PV-NET-*, the internet row) must say
// they could not look, never PASS.
func runtimeUnread(f finding.Finding) bool {
	return f.Status == finding.NotEvaluated && strings.Contains(f.Message, "the snapshot has no runtime section")
}

// scanClean scans a snapshot and fails the test on any FAIL, ERROR or
// NOT_EVALUATED finding but the runtime checks' (see runtimeUnread), and
// checks that those make the verdict incomplete.
func scanClean(t *testing.T, c *contract.Contract, snap *inventory.Snapshot) {
	t.Helper()
	run := &audit.Run{Tool: "pvaudit", Version: "test", Command: "scan", Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		Config: &config.Resolved{Contract: c, ContractSource: c.Name}, FailOn: finding.High}
	rep, err := audit.Scan(context.Background(), run, audit.ScanInput{Source: audit.Source{Snapshot: snap}})
	if err != nil {
		t.Fatal(err)
	}
	bad, unread := 0, 0
	for _, f := range rep.Findings {
		if runtimeUnread(f) {
			unread++
			continue
		}
		if f.Status == finding.Fail || f.Status == finding.Error || f.Status == finding.NotEvaluated {
			bad++
			t.Errorf("%s %s %s: %s", f.CheckID, f.Status, f.Resource, f.Message)
		}
	}
	if pass := rep.Summary.Pass; pass < 15 {
		t.Errorf("only %d PASS findings: the scan did not look", pass)
	}
	t.Logf("%d findings, summary %+v", len(rep.Findings), rep.Summary)
	want := finding.Clean
	if unread > 0 {
		want = finding.Incomplete
	}
	if snap.Runtime == nil && unread == 0 {
		t.Errorf("no runtime check said it could not look at an IAM-only snapshot")
	}
	if rep.Verdict.Outcome != want || bad > 0 {
		t.Errorf("verdict %s with %d bad finding(s) of %d, want %s", rep.Verdict.Outcome, bad, len(rep.Findings), want)
	}
}

func TestDesiredStateScansClean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		contract string
		params   func() provision.Params
	}{
		{"pennsieve two nodes", "pennsieve", pennsieveParams},
		{"pennsieve one node without governor", "pennsieve", func() provision.Params {
			p := pennsieveParams()
			p.Nodes, p.LLMGovernor, p.WorkflowBucket = p.Nodes[:1], false, ""
			return p
		}},
		{"par", "par", func() provision.Params { return provision.Params{Account: testAccount} }},
		{"par with EFS", "par", func() provision.Params {
			return provision.Params{Account: testAccount, Region: "us-east-2", EFSFileSystem: "fs-0123456789abcdef0", EFSAccessPoint: "fsap-0123456789abcdef0"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := loadContract(t, tc.contract)
			c.Parameters = c.Parameters.Merge(contract.Parameters{ProvisionerAccountID: tc.params().ProvisionerAccount, ExternalID: tc.params().ExternalID,
				Env: tc.params().Env, WorkflowBucket: tc.params().WorkflowBucket})
			d, err := provision.Build(c, tc.params())
			if err != nil {
				t.Fatal(err)
			}
			scanClean(t, c, snapshotOf(t, d))
		})
	}
}
