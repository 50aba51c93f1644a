package posture

import (
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
)

func TestCoversPublic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dest string
		want bool
	}{
		{"0.0.0.0/0", true}, {"0.0.0.0/1", true}, {"128.0.0.0/1", true}, {"52.95.0.0/16", true},
		{"10.0.0.0/8", false}, {"10.1.2.0/24", false}, {"172.16.0.0/12", false}, {"172.32.0.0/16", true},
		{"192.168.1.0/24", false}, {"100.64.0.0/10", false}, {"::/0", true}, {"2600:1f18::/32", true},
		{"fd00::/8", false}, {"pl-63a5400a", true}, {"garbage", true}, {"10.0.0.0/7", true},
	}
	for _, tc := range tests {
		if got := CoversPublic(tc.dest); got != tc.want {
			t.Errorf("CoversPublic(%q) = %v, want %v", tc.dest, got, tc.want)
		}
	}
	if !Within("10.1.2.0/24", "10.0.0.0/8") || Within("10.0.0.0/8", "10.1.0.0/16") {
		t.Error("Within is wrong")
	}
}

// net builds a snapshot with one region's EC2 section.
func net(e *inventory.EC2) *inventory.Snapshot {
	s := &inventory.Snapshot{AccountID: "111122223333", Runtime: &inventory.Runtime{Regions: []inventory.RegionRuntime{{
		Region: "us-east-1", EC2: e, Lambda: &inventory.Lambda{}, ECS: &inventory.ECS{}, EFS: &inventory.EFS{}}}}}
	s.Normalize()
	return s
}

func facts(t *testing.T, s *inventory.Snapshot, c *contract.Contract) *Facts {
	t.Helper()
	return Analyze(s, c, classify.Classify(s, c, classify.Options{}))
}

func pennsieve(t *testing.T) *contract.Contract {
	t.Helper()
	c, err := contract.Load("pennsieve")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func vpc(id, cidr string) inventory.VPC { return inventory.VPC{ID: id, CIDRs: []string{cidr}} }
func subnet(id, v string) inventory.Subnet {
	return inventory.Subnet{ID: id, VPCID: v, CIDRs: []string{"10.0.0.0/24"}}
}
func rt(id, v string, main bool, routes ...inventory.Route) inventory.RouteTable {
	return inventory.RouteTable{ID: id, VPCID: v, Main: main, Routes: routes}
}
func route(dest, target string) inventory.Route {
	return inventory.Route{Destination: dest, Target: target, State: "active"}
}

func TestEgress(t *testing.T) {
	t.Parallel()
	c := pennsieve(t)
	tests := []struct {
		name             string
		ec2              inventory.EC2
		paths, unknowns  int
		unknownSubstring string
	}{
		{"isolated", inventory.EC2{VPCs: []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16")}, Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001")},
			RouteTables: []inventory.RouteTable{rt("rtb-00000001", "vpc-00000001", true, route("10.0.0.0/16", "local"))}}, 0, 0, ""},
		{"main table nat", inventory.EC2{VPCs: []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16")}, Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001")},
			RouteTables: []inventory.RouteTable{rt("rtb-00000001", "vpc-00000001", true, route("0.0.0.0/0", "nat-00000001"))}}, 1, 0, ""},
		{"no route table", inventory.EC2{VPCs: []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16")}, Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001")}}, 0, 1, "no route table"},
		{"vpn for private range only", inventory.EC2{VPCs: []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16")}, Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001")},
			RouteTables: []inventory.RouteTable{rt("rtb-00000001", "vpc-00000001", true, route("192.168.0.0/16", "vgw-00000001"))}}, 0, 0, ""},
		{"vpn default route", inventory.EC2{VPCs: []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16")}, Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001")},
			RouteTables: []inventory.RouteTable{rt("rtb-00000001", "vpc-00000001", true, route("0.0.0.0/0", "vgw-00000001"))}}, 0, 1, "virtual private gateway"},
		{"peering loop", inventory.EC2{
			VPCs:    []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16"), vpc("vpc-00000002", "10.1.0.0/16")},
			Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001"), subnet("subnet-00000002", "vpc-00000002")},
			RouteTables: []inventory.RouteTable{rt("rtb-00000001", "vpc-00000001", true, route("10.1.0.0/16", "pcx-00000001")),
				rt("rtb-00000002", "vpc-00000002", true, route("10.0.0.0/16", "pcx-00000001"))},
			PeeringConnections: []inventory.PeeringConnection{{ID: "pcx-00000001", Requester: inventory.PeeringVPCInfo{VPCID: "vpc-00000001"},
				Accepter: inventory.PeeringVPCInfo{VPCID: "vpc-00000002"}, Status: "active"}}}, 0, 0, ""},
		{"peer in another account", inventory.EC2{
			VPCs: []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16")}, Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001")},
			RouteTables: []inventory.RouteTable{rt("rtb-00000001", "vpc-00000001", true, route("0.0.0.0/0", "pcx-00000001"))},
			PeeringConnections: []inventory.PeeringConnection{{ID: "pcx-00000001", Requester: inventory.PeeringVPCInfo{VPCID: "vpc-00000001"},
				Accepter: inventory.PeeringVPCInfo{VPCID: "vpc-00000009", OwnerID: "999988887777"}, Status: "active"}}}, 0, 1, "account 999988887777"},
		{"transit gateway without attachment", inventory.EC2{VPCs: []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16")}, Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001")},
			RouteTables: []inventory.RouteTable{rt("rtb-00000001", "vpc-00000001", true, route("0.0.0.0/0", "tgw-00000001"))}}, 0, 1, "no attachment"},
		{"gateway load balancer endpoint", inventory.EC2{VPCs: []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16")}, Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001")},
			RouteTables:  []inventory.RouteTable{rt("rtb-00000001", "vpc-00000001", true, route("0.0.0.0/0", "vpce-00000001"))},
			VPCEndpoints: []inventory.VPCEndpoint{{ID: "vpce-00000001", VPCID: "vpc-00000001", Type: "GatewayLoadBalancer", State: "available"}}}, 0, 1, "Gateway Load Balancer"},
		{"blackhole", inventory.EC2{VPCs: []inventory.VPC{vpc("vpc-00000001", "10.0.0.0/16")}, Subnets: []inventory.Subnet{subnet("subnet-00000001", "vpc-00000001")},
			RouteTables: []inventory.RouteTable{rt("rtb-00000001", "vpc-00000001", true, inventory.Route{Destination: "0.0.0.0/0", Target: "igw-00000001", State: "blackhole"})}}, 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := tc.ec2
			f := facts(t, net(&e), c)
			eg := f.Egress([]string{"subnet-00000001"})
			if len(eg.Paths) != tc.paths || len(eg.Unknown) != tc.unknowns {
				t.Fatalf("paths %v unknown %v, want %d and %d", eg.Paths, eg.Unknown, tc.paths, tc.unknowns)
			}
			if tc.unknownSubstring != "" && !strings.Contains(eg.Unknown[0].String(), tc.unknownSubstring) {
				t.Errorf("unknown %q lacks %q", eg.Unknown[0], tc.unknownSubstring)
			}
		})
	}
}

func TestMissing(t *testing.T) {
	t.Parallel()
	c := pennsieve(t)
	f := facts(t, &inventory.Snapshot{AccountID: "111122223333"}, c)
	if f.HasRuntime() || !strings.Contains(f.Missing(EC2), "no runtime section") {
		t.Errorf("IAM-only snapshot: Missing = %q", f.Missing(EC2))
	}
	s := net(&inventory.EC2{})
	s.Runtime.Regions = append(s.Runtime.Regions, inventory.RegionRuntime{Region: "us-west-2"})
	f = facts(t, s, c)
	if got := f.Missing(EC2); !strings.Contains(got, "ec2 was not read in us-west-2") {
		t.Errorf("Missing = %q, want the region without ec2", got)
	}
	if got := f.Missing(S3); !strings.Contains(got, "bucket list") {
		t.Errorf("Missing(S3) = %q", got)
	}
}

// TestModePrecedence: the customer's parameter wins over tags, tags that
// disagree are conflicts (and the strictest is used), and no declaration
// means inference.
func TestModePrecedence(t *testing.T) {
	t.Parallel()
	base := func(tags ...string) *inventory.Snapshot {
		e := &inventory.EC2{
			VPCs: []inventory.VPC{{ID: "vpc-00000001", CIDRs: []string{"10.0.0.0/16"}, Tags: map[string]string{"pennsieve:compute-node": "n1"}}},
		}
		for i, tv := range tags {
			if i == 0 {
				e.VPCs[0].Tags["pennsieve:deployment-mode"] = tv
			}
		}
		s := net(e)
		if len(tags) > 1 {
			s.Runtime.Regions[0].Lambda.Functions = []inventory.Function{{Name: "pennsieve-n1-f", ARN: "arn:aws:lambda:us-east-1:111122223333:function:pennsieve-n1-f",
				Tags: map[string]string{"pennsieve:deployment-mode": tags[1]}}}
		}
		return s
	}
	tests := []struct {
		name, param string
		tags        []string
		mode, src   string
		conflicts   int
	}{
		{"parameter", "compliant", nil, "compliant", FromParameter, 0},
		{"parameter over tag", "compliant", []string{"basic"}, "compliant", FromParameter, 1},
		{"tag", "", []string{"Secure"}, "secure", FromTag, 0},
		{"tags disagree", "", []string{"basic", "compliant"}, "compliant", FromTag, 1},
		{"bad tag", "", []string{"hipaa"}, "compliant", FromInference, 1},
		{"inferred", "", nil, "compliant", FromInference, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := pennsieve(t)
			c.Parameters.DeploymentMode = tc.param
			c.Parameters.NodeIDs = []string{"n1"}
			f := facts(t, base(tc.tags...), c)
			m := f.Nodes[0].Mode
			if m.Mode != tc.mode || m.Source != tc.src || len(m.Conflicts) != tc.conflicts {
				t.Errorf("mode %+v, want %s from %s with %d conflict(s)", m, tc.mode, tc.src, tc.conflicts)
			}
		})
	}
}
