package live

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/testaccount"
	"github.com/pvaudit/pvaudit/inventory"
)

// seedRuntime starts an endpoint holding an account file's IAM and runtime,
// both created through the APIs.
func seedRuntime(t *testing.T, file string) (*awsfake.Server, string, *inventory.Snapshot) {
	t.Helper()
	want, err := inventory.ReadFile(filepath.Join("..", "..", "testdata", "accounts", file))
	if err != nil {
		t.Fatal(err)
	}
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: want.AccountID, Clock: func() time.Time { return testNow }, Seed: 11})
	cfg := sdkConfig(url, srv.AdminCredentials())
	if _, err := testaccount.Seed(context.Background(), iam.NewFromConfig(cfg), want); err != nil {
		t.Fatalf("seed IAM: %v", err)
	}
	if _, err := testaccount.BuildRuntime(context.Background(), testaccount.NewRuntimeWriters(cfg), srv, want.Runtime); err != nil {
		t.Fatalf("seed runtime: %v", err)
	}
	srv.ResetCalls()
	return srv, url, want
}

func collectRuntime(t *testing.T, url string, srv *awsfake.Server) *inventory.Snapshot {
	t.Helper()
	cfg := sdkConfig(url, srv.AdminCredentials())
	c := &Collector{IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg), Now: func() time.Time { return testNow },
		Runtime: []*RuntimeClients{NewRuntimeClients(cfg)}}
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return snap
}

// shape counts a region's resources, for comparing what was written with
// what was read (the endpoint gives new IDs).
func shape(r *inventory.RegionRuntime) string {
	e := r.EC2
	rules := 0
	for _, g := range e.SecurityGroups {
		rules += len(g.Ingress) + len(g.Egress)
	}
	routes := 0
	for _, t := range e.RouteTables {
		routes += len(t.Routes)
	}
	policies := 0
	for _, ep := range e.VPCEndpoints {
		if ep.Policy != nil {
			policies++
		}
	}
	return fmt.Sprintf("vpcs=%d subnets=%d rtb=%d routes=%d igw=%d nat=%d endpoints=%d/%d flowlogs=%d sgs=%d rules=%d | groups=%d filters=%d alarms=%d | sfn=%d efs=%d/%d/%d lambda=%d ecs=%d/%d/%d elb=%d/%d",
		len(e.VPCs), len(e.Subnets), len(e.RouteTables), routes, len(e.InternetGateways), len(e.NATGateways), len(e.VPCEndpoints), policies,
		len(e.FlowLogs), len(e.SecurityGroups), rules, len(r.Logs.LogGroups), len(r.Logs.MetricFilters), len(r.CloudWatch.Alarms),
		len(r.StepFunctions.StateMachines), len(r.EFS.FileSystems), len(r.EFS.MountTargets), len(r.EFS.AccessPoints), len(r.Lambda.Functions),
		len(r.ECS.Clusters), len(r.ECS.Services), len(r.ECS.TaskDefinitions), len(r.ELB.LoadBalancers), len(r.ELB.TargetGroups))
}

// verdicts are the runtime checks' statuses by check, for comparing a scan
// of the file with a scan of what the collector read back.
func verdicts(t *testing.T, snap *inventory.Snapshot, contractName string) string {
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
	count := map[string]int{}
	for _, f := range checks.Run(checks.NewEnv(snap, c, testNow), cs) {
		count[f.CheckID+" "+string(f.Status)]++
	}
	var out []string
	for k, n := range count {
		out = append(out, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestRuntimeRoundTrip writes an account's runtime through every service's
// API (EC2 Query, ELBv2 Query, CloudWatch CBOR, Logs/ECS JSON 1.1, Step
// Functions JSON 1.0, Lambda/EFS REST, S3 REST-XML), reads it back with the
// collector, and checks that what was read is what was written and that
// the runtime checks decide the same.
func TestRuntimeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, contract string }{
		{"modes-compliant.json", "pennsieve"},
		{"modes-secure-broken.json", "pennsieve"},
		{"modes-compliant-broken.json", "pennsieve"}, // transit gateway to a NAT, open endpoint policy
		{"par-compliant.json", "par"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			srv, url, want := seedRuntime(t, tc.file)
			got := collectRuntime(t, url, srv)
			if len(got.Gaps) != 0 {
				t.Fatalf("gaps: %+v", got.Gaps)
			}
			if got.Runtime == nil || len(got.Runtime.Regions) != 1 {
				t.Fatalf("runtime = %+v", got.Runtime)
			}
			if g, w := shape(&got.Runtime.Regions[0]), shape(&want.Runtime.Regions[0]); g != w {
				t.Errorf("read back\n  %s\nwrote\n  %s", g, w)
			}
			if g, w := got.Runtime.S3.Buckets, want.Runtime.S3.Buckets; !slices.Equal(g, w) {
				t.Errorf("buckets %v, want %v", g, w)
			}
			if g, w := verdicts(t, got, tc.contract), verdicts(t, want, tc.contract); g != w {
				t.Errorf("runtime checks on what was read back:\n%s\nwant (on the file):\n%s", g, w)
			}
			for _, c := range srv.Calls() {
				if c.Mutating() {
					t.Errorf("collection made a mutating call: %s:%s", c.Service, c.Action)
				}
				if c.ErrorCode != "" && c.ErrorCode != "PolicyNotFound" {
					t.Errorf("%s:%s failed: %s", c.Service, c.Action, c.ErrorCode)
				}
				if !slices.Contains(append(NetworkReadActions(), "iam:GetAccountAuthorizationDetails", "iam:ListRoles", "iam:ListAccessKeys", "sts:GetCallerIdentity"),
					c.Service+":"+c.Action) {
					t.Errorf("call %s:%s is not in NetworkReadActions", c.Service, c.Action)
				}
			}
		})
	}
}
