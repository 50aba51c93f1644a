package provision_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/provision"
)

// runtimeCheck reports whether a check reads the runtime section.
func runtimeCheck(id string) bool {
	return strings.HasPrefix(id, "MODE-") || strings.HasPrefix(id, "PV-NET-") || strings.HasPrefix(id, "PV-LOG-")
}

// runtimeFindings runs the real runtime checks over the IAM snapshot of d
// with rt as its runtime section.
func runtimeFindings(t *testing.T, c *contract.Contract, d *provision.Desired, rt *inventory.Runtime) []finding.Finding {
	t.Helper()
	snap := snapshotOf(t, d)
	snap.Runtime = rt
	snap.Normalize()
	var cs []*checks.Check
	for _, ch := range checks.Catalogue() {
		if runtimeCheck(ch.ID) {
			cs = append(cs, ch)
		}
	}
	if len(cs) < 15 {
		t.Fatalf("only %d runtime checks in the catalogue", len(cs))
	}
	return checks.Run(checks.NewEnv(snap, c, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)), cs)
}

// verdicts maps each check to its worst status.
func verdicts(fs []finding.Finding) map[string]finding.Status {
	rank := map[finding.Status]int{finding.Pass: 0, finding.Warn: 1, finding.NotEvaluated: 2, finding.Error: 3, finding.Fail: 4}
	out := map[string]finding.Status{}
	for _, f := range fs {
		if cur, ok := out[f.CheckID]; !ok || rank[f.Status] > rank[cur] {
			out[f.CheckID] = f.Status
		}
	}
	return out
}

func describe(fs []finding.Finding, id string) string {
	var b strings.Builder
	for _, f := range fs {
		if id == "" || f.CheckID == id {
			fmt.Fprintf(&b, "\n  %s %s %s: %s", f.CheckID, f.Status, f.Resource, f.Message)
		}
	}
	return b.String()
}

type loopCase struct {
	name     string
	contract string
	params   func() provision.Params
	// want are checks that must PASS (every other runtime check must
	// PASS or report nothing).
	want []string
}

func loopCases() []loopCase {
	mode := func(m string) func() provision.Params {
		return func() provision.Params { p := pennsieveParams(); p.DeploymentMode = m; return p }
	}
	return []loopCase{
		{"compliant", "pennsieve", mode(contract.ModeCompliant), []string{"MODE-001", "MODE-002", "MODE-004", "MODE-005", "MODE-006", "MODE-007",
			"MODE-008", "MODE-009", "MODE-010", "MODE-011", "MODE-012"}},
		{"secure", "pennsieve", mode(contract.ModeSecure), []string{"MODE-001", "MODE-002", "MODE-003", "MODE-004", "MODE-007", "MODE-008", "MODE-009", "MODE-012"}},
		{"basic", "pennsieve", mode(contract.ModeBasic), []string{"MODE-001", "MODE-007", "MODE-012"}},
		{"par", "par", func() provision.Params { return provision.Params{Account: testAccount} }, []string{"PV-LOG-001", "PV-LOG-002", "PV-LOG-003",
			"PV-NET-001", "PV-NET-002", "PV-NET-003"}},
	}
}

func buildLoop(t *testing.T, tc loopCase) (*contract.Contract, *provision.Desired) {
	t.Helper()
	c := loadContract(t, tc.contract)
	p := tc.params()
	c.Parameters = c.Parameters.Merge(contract.Parameters{ProvisionerAccountID: p.ProvisionerAccount, ExternalID: p.ExternalID, Env: p.Env, WorkflowBucket: p.WorkflowBucket, DeploymentMode: p.DeploymentMode})
	// The mode comes from the contract's deployment_mode parameter, as
	// --deployment-mode sets it for render and for scan alike.
	p.DeploymentMode = ""
	d, err := provision.Build(c, p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Network == nil {
		t.Fatal("no network built")
	}
	return c, d
}

// TestRenderedRuntimePasses is the closed loop: the runtime the rendered
// template produces passes every runtime check of its mode.
func TestRenderedRuntimePasses(t *testing.T) {
	t.Parallel()
	for _, tc := range loopCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, d := buildLoop(t, tc)
			fs := runtimeFindings(t, c, d, d.Runtime())
			v := verdicts(fs)
			for id, s := range v {
				if s != finding.Pass {
					t.Errorf("%s is %s:%s", id, s, describe(fs, id))
				}
			}
			for _, id := range tc.want {
				if v[id] != finding.Pass {
					t.Errorf("%s did not PASS (got %q)", id, v[id])
				}
			}
			ids := make([]string, 0, len(v))
			for id := range v {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			t.Logf("%d findings, checks %v", len(fs), ids)
		})
	}
}

// TestRenderedRuntimeMutations changes one thing of the rendered desired
// state and wants exactly the matching check to FAIL.
func TestRenderedRuntimeMutations(t *testing.T) {
	t.Parallel()
	cases := map[string]loopCase{}
	for _, tc := range loopCases() {
		cases[tc.name] = tc
	}
	node := func(d *provision.Desired) *provision.NodeNetwork { return &d.Network.Nodes[0] }
	group := func(v *provision.NetVPC, name string) *provision.NetGroup {
		for i := range v.Groups {
			if v.Groups[i].Name == name {
				return &v.Groups[i]
			}
		}
		panic("no group " + name)
	}
	for _, tc := range []struct {
		name, base, fails string
		mutate            func(d *provision.Desired)
	}{
		{"compliant: a NAT route added", "compliant", "MODE-005", func(d *provision.Desired) {
			v := node(d).VPC
			v.NATSubnet = v.Subnets[0].Name
			v.RouteTables[0].Routes = append(v.RouteTables[0].Routes, provision.NetRoute{Destination: "0.0.0.0/0", Target: provision.TargetNAT})
		}},
		{"compliant: 0.0.0.0/0 ingress", "compliant", "MODE-012", func(d *provision.Desired) {
			g := group(node(d).VPC, "pennsieve-7f3a9c21-compute")
			g.Ingress = append(g.Ingress, provision.NetRule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"})
		}},
		{"compliant: ::/0 ingress", "compliant", "MODE-012", func(d *provision.Desired) {
			g := group(node(d).VPC, "pennsieve-7f3a9c21-endpoints")
			g.Ingress = append(g.Ingress, provision.NetRule{Protocol: "-1", CIDR: "::/0"})
		}},
		{"compliant: the logs endpoint removed", "compliant", "MODE-006", func(d *provision.Desired) {
			v := node(d).VPC
			for i, e := range v.Endpoints {
				if e.Service == "logs" {
					v.Endpoints = append(v.Endpoints[:i], v.Endpoints[i+1:]...)
					return
				}
			}
			panic("no logs endpoint")
		}},
		{"compliant: an endpoint policy opened to every account", "compliant", "MODE-007", func(d *provision.Desired) {
			doc, err := provision.ParseDoc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)
			if err != nil {
				panic(err)
			}
			node(d).VPC.Endpoints[0].Policy = doc
		}},
		{"compliant: no flow log", "compliant", "MODE-004", func(d *provision.Desired) { node(d).FlowLogGroup = "" }},
		{"compliant: a log group without the key", "compliant", "MODE-008", func(d *provision.Desired) { node(d).LogGroups[1].Encrypted = false }},
		{"compliant: state machines without the key", "compliant", "MODE-009", func(d *provision.Desired) { node(d).Compute.StateMachineKMS = false }},
		{"compliant: file system not encrypted", "compliant", "MODE-010", func(d *provision.Desired) { node(d).Compute.EFSEncrypted = false }},
		{"compliant: no file system policy", "compliant", "MODE-011", func(d *provision.Desired) { node(d).FSPolicy = nil }},
		{"secure: the VPC's mode tag disagrees with the declared mode", "secure", "MODE-001", func(d *provision.Desired) {
			node(d).VPC.Tags["pennsieve:deployment-mode"] = "compliant"
		}},
		{"secure: 0.0.0.0/0 ingress", "secure", "MODE-012", func(d *provision.Desired) {
			g := group(node(d).VPC, "pennsieve-7f3a9c21-efs")
			g.Ingress = append(g.Ingress, provision.NetRule{Protocol: "tcp", FromPort: 2049, ToPort: 2049, CIDR: "0.0.0.0/0"})
		}},
		{"secure: compute in the public subnet", "secure", "MODE-003", func(d *provision.Desired) {
			n := node(d)
			n.Compute.Subnets = []string{"pennsieve-7f3a9c21-public-a"}
		}},
		{"par: retention 7 days", "par", "PV-LOG-001", func(d *provision.Desired) { d.Network.PAR.LogGroup.RetentionDays = 7 }},
		{"par: an alarm removed", "par", "PV-LOG-003", func(d *provision.Desired) {
			a := d.Network.PAR.Alarms
			d.Network.PAR.Alarms = append(a[:2:2], a[3:]...) // the CPU alarm
		}},
		{"par: the boot failure threshold raised", "par", "PV-LOG-003", func(d *provision.Desired) { d.Network.PAR.Alarms[0].Threshold = 10 }},
		{"par: 0.0.0.0/0 ingress on the service", "par", "PV-NET-001", func(d *provision.Desired) {
			g := group(&d.Network.PAR.VPC, "pixell-agent-runtime-service")
			g.Ingress = append(g.Ingress, provision.NetRule{Protocol: "tcp", FromPort: 8080, ToPort: 8080, CIDR: "0.0.0.0/0"})
		}},
		{"par: egress anywhere", "par", "PV-NET-003", func(d *provision.Desired) {
			g := group(&d.Network.PAR.VPC, "pixell-agent-runtime-service")
			g.Egress = append(g.Egress, provision.NetRule{Protocol: "-1", CIDR: "0.0.0.0/0"})
		}},
		{"par: the S3 endpoint off the route table", "par", "PV-NET-002", func(d *provision.Desired) {
			for i := range d.Network.PAR.VPC.Endpoints {
				if d.Network.PAR.VPC.Endpoints[i].Service == "s3" {
					d.Network.PAR.VPC.Endpoints[i].RouteTables = nil
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, d := buildLoop(t, cases[tc.base])
			tc.mutate(d)
			fs := runtimeFindings(t, c, d, d.Runtime())
			var failed []string
			for id, s := range verdicts(fs) {
				if s == finding.Fail {
					failed = append(failed, id)
				}
			}
			sort.Strings(failed)
			if strings.Join(failed, ",") != tc.fails {
				t.Errorf("FAIL checks %v, want exactly %s:%s", failed, tc.fails, describe(fs, ""))
			}
		})
	}
}
