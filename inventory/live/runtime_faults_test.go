package live

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// runtimeFindings are the runtime checks' findings as "CHECK STATUS
// RESOURCE KEY" lines.
func runtimeFindings(t *testing.T, snap *inventory.Snapshot, contractName string) map[string]finding.Status {
	t.Helper()
	c, err := contract.Load(contractName)
	if err != nil {
		t.Fatal(err)
	}
	var cs []*checks.Check
	for _, chk := range checks.Catalogue() {
		if strings.HasPrefix(chk.ID, "MODE-") || strings.HasPrefix(chk.ID, "PV-NET-") || strings.HasPrefix(chk.ID, "PV-LOG-") {
			cs = append(cs, chk)
		}
	}
	out := map[string]finding.Status{}
	for _, f := range checks.Run(checks.NewEnv(snap, c, testNow), cs) {
		out[f.CheckID+" "+f.Resource+" "+f.Key] = f.Status
	}
	return out
}

// TestRuntimePaging: with every page cut to one item the collector follows
// every token and reads exactly what it reads in one page per call.
func TestRuntimePaging(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, contract string }{
		{"modes-compliant.json", "pennsieve"},
		{"par-compliant.json", "par"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			srv, url, _ := seedRuntime(t, tc.file)
			whole := collectRuntime(t, url, srv)
			srv.SetFaults(awsfake.Faults{PageSize: 1})
			srv.ResetCalls()
			paged := collectRuntime(t, url, srv)
			if len(paged.Gaps) != 0 {
				t.Fatalf("gaps: %+v", paged.Gaps)
			}
			a, _ := json.Marshal(whole.Runtime)
			b, _ := json.Marshal(paged.Runtime)
			if string(a) != string(b) {
				t.Errorf("the paged read differs from the unpaged one:\n got %s\nwant %s", b, a)
			}
			// Every listing of more than one item took one call per item.
			r := whole.Runtime.Regions[0]
			for action, items := range map[string]int{"DescribeSubnets": len(r.EC2.Subnets), "DescribeRouteTables": len(r.EC2.RouteTables),
				"DescribeSecurityGroups": len(r.EC2.SecurityGroups), "DescribeVpcEndpoints": len(r.EC2.VPCEndpoints),
				"DescribeLogGroups": len(r.Logs.LogGroups), "DescribeAlarms": len(r.CloudWatch.Alarms), "ListAllMyBuckets": len(whole.Runtime.S3.Buckets)} {
				if n := len(srv.CallsTo(action)); items > 1 && n < items {
					t.Errorf("%s: %d call(s) for %d items one to a page", action, n, items)
				}
			}
			if g, w := verdicts(t, paged, tc.contract), verdicts(t, whole, tc.contract); g != w {
				t.Errorf("runtime checks on the paged read:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

// TestRuntimeFaults: a runtime call that is denied, fails, is throttled for
// good or answers garbage leaves its section out (nil: not read) with a
// gap naming the call; the runtime checks then report no PASS they did not
// report on the complete read, and the checks reading the section say
// NOT_EVALUATED. Throttling that retries away changes nothing.
func TestRuntimeFaults(t *testing.T) {
	t.Parallel()
	type section func(r *inventory.RegionRuntime) bool // reports whether it was read
	ec2 := func(r *inventory.RegionRuntime) bool { return r.EC2 != nil }
	tests := []struct {
		name, file, contract string
		faults               awsfake.Faults
		read                 section // the section that must be absent (nil: none)
		gapOp                string  // the gap's operation
		unevaluated          string  // a check that must have no PASS and a NOT_EVALUATED
	}{
		{name: "route tables denied", file: "modes-compliant.json", contract: "pennsieve",
			faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"ec2:DescribeRouteTables": awsfake.FaultAccessDenied}},
			read:   ec2, gapOp: "ec2:DescribeRouteTables", unevaluated: "MODE-005"},
		{name: "transit gateway routes fail", file: "modes-compliant-broken.json", contract: "pennsieve",
			faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"SearchTransitGatewayRoutes": awsfake.FaultServiceFailure}},
			read:   ec2, gapOp: "ec2:SearchTransitGatewayRoutes", unevaluated: "MODE-005"},
		{name: "security groups garbled", file: "modes-compliant.json", contract: "pennsieve",
			faults: awsfake.Faults{TruncateBody: []string{"DescribeSecurityGroups"}},
			read:   ec2, gapOp: "ec2:DescribeSecurityGroups", unevaluated: "MODE-012"},
		{name: "log groups denied", file: "modes-compliant.json", contract: "pennsieve",
			faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"logs:DescribeLogGroups": awsfake.FaultAccessDenied}},
			read:   func(r *inventory.RegionRuntime) bool { return r.Logs != nil }, gapOp: "logs:DescribeLogGroups", unevaluated: "MODE-008"},
		{name: "state machine unavailable", file: "modes-compliant.json", contract: "pennsieve",
			faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"DescribeStateMachine": awsfake.FaultUnavailable}},
			read:   func(r *inventory.RegionRuntime) bool { return r.StepFunctions != nil }, gapOp: "states:DescribeStateMachine", unevaluated: "MODE-009"},
		{name: "file system policy denied", file: "modes-compliant.json", contract: "pennsieve",
			faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"DescribeFileSystemPolicy": awsfake.FaultAccessDenied}},
			read:   func(r *inventory.RegionRuntime) bool { return r.EFS != nil }, gapOp: "elasticfilesystem:DescribeFileSystemPolicy", unevaluated: "MODE-010"},
		{name: "lambda tags denied", file: "modes-compliant.json", contract: "pennsieve",
			faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"lambda:ListTags": awsfake.FaultAccessDenied}},
			read:   func(r *inventory.RegionRuntime) bool { return r.Lambda != nil }, gapOp: "lambda:ListTags", unevaluated: "MODE-002"},
		{name: "alarms denied", file: "par-compliant.json", contract: "par",
			faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"cloudwatch:DescribeAlarms": awsfake.FaultAccessDenied}},
			read:   func(r *inventory.RegionRuntime) bool { return r.CloudWatch != nil }, gapOp: "cloudwatch:DescribeAlarms", unevaluated: "PV-LOG-003"},
		{name: "load balancers denied", file: "par-compliant.json", contract: "par",
			faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"DescribeLoadBalancers": awsfake.FaultAccessDenied}},
			read:   func(r *inventory.RegionRuntime) bool { return r.ELB != nil }, gapOp: "elasticloadbalancing:DescribeLoadBalancers", unevaluated: "PV-NET-001"},
		{name: "task definition denied", file: "par-compliant.json", contract: "par",
			faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"ecs:DescribeTaskDefinition": awsfake.FaultAccessDenied}},
			read:   func(r *inventory.RegionRuntime) bool { return r.ECS != nil }, gapOp: "ecs:DescribeTaskDefinition", unevaluated: "PV-LOG-002"},
		{name: "throttling retried away", file: "modes-compliant.json", contract: "pennsieve",
			faults: awsfake.Faults{ThrottleRate: 0.3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, url, _ := seedRuntime(t, tc.file)
			whole := collectRuntime(t, url, srv)
			want := runtimeFindings(t, whole, tc.contract)
			srv.SetFaults(tc.faults)
			got := collectRuntime(t, url, srv)
			srv.SetFaults(awsfake.Faults{})
			if got.Runtime == nil || len(got.Runtime.Regions) != 1 {
				t.Fatalf("runtime = %+v", got.Runtime)
			}
			findings := runtimeFindings(t, got, tc.contract)
			if tc.read == nil {
				if len(got.Gaps) != 0 {
					t.Errorf("gaps: %+v", got.Gaps)
				}
				a, _ := json.Marshal(findings)
				b, _ := json.Marshal(want)
				if string(a) != string(b) {
					t.Errorf("findings under throttling differ:\n got %s\nwant %s", a, b)
				}
				return
			}
			if tc.read(&got.Runtime.Regions[0]) {
				t.Errorf("the section was kept although %s failed", tc.gapOp)
			}
			found := false
			for _, g := range got.Gaps {
				if g.Operation == tc.gapOp && g.Resource == "region us-east-1" {
					found = true
				}
			}
			if !found {
				t.Errorf("no gap for %s: %+v", tc.gapOp, got.Gaps)
			}
			ne := false
			for k, st := range findings {
				if st == finding.Pass && want[k] != finding.Pass {
					t.Errorf("%s: PASS only when a section was not read", k)
				}
				if st == finding.Fail && want[k] != finding.Fail {
					t.Errorf("%s: FAIL made up from a section that was not read", k)
				}
				if strings.HasPrefix(k, tc.unevaluated+" ") {
					if st == finding.Pass {
						t.Errorf("%s: PASS without the section it reads", k)
					}
					if st == finding.NotEvaluated {
						ne = true
					}
				}
			}
			if !ne {
				t.Errorf("%s reports no NOT_EVALUATED without its section", tc.unevaluated)
			}
		})
	}
}

// TestRuntimeDeniedByPolicy: a scanner whose policy allows the IAM reads
// but none of the runtime reads (the endpoint authorizes every call with
// the evaluator) gets an IAM snapshot whose runtime sections are all
// absent, each with an AccessDenied gap.
func TestRuntimeDeniedByPolicy(t *testing.T) {
	t.Parallel()
	srv, url, _ := seedRuntime(t, "modes-compliant.json")
	creds, err := srv.AddUser(awsfake.UserSpec{Name: "iam-reader", Inline: map[string]string{"read": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`}})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetAuthorize(true)
	cfg := sdkConfig(url, creds)
	c := &Collector{IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg), Now: func() time.Time { return testNow },
		Runtime: []*RuntimeClients{NewRuntimeClients(cfg)}}
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Roles) == 0 {
		t.Fatal("the IAM reads were denied too: the test proves nothing")
	}
	r := snap.Runtime.Region("us-east-1")
	if r == nil || r.EC2 != nil || r.Logs != nil || r.CloudWatch != nil || r.StepFunctions != nil || r.EFS != nil || r.Lambda != nil || r.ECS != nil || r.ELB != nil || snap.Runtime.S3 != nil {
		t.Fatalf("sections read without permission: %+v", r)
	}
	denied := 0
	for _, g := range snap.Gaps {
		if strings.Contains(g.Code, "Denied") || g.Code == "UnauthorizedOperation" {
			denied++
		}
	}
	if denied != 9 {
		t.Errorf("%d access-denied gaps, want 9 (8 regional sections and the bucket list): %+v", denied, snap.Gaps)
	}
	for k, st := range runtimeFindings(t, snap, "pennsieve") {
		if st == finding.Pass {
			t.Errorf("%s: PASS with no runtime section read", k)
		}
	}
}
