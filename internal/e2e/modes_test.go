package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// runtimeChecks selects the deployment-mode and PAR runtime checks.
var runtimeChecks = []string{"--checks", "MODE-*,PV-NET-*,PV-LOG-*"}

// statusCounts counts a report's findings by check and status: the
// endpoint gives its own resource IDs, so a live scan and a scan of the
// file name resources differently but must decide the same.
func statusCounts(rep jsonReport) string {
	n := map[string]int{}
	for _, f := range rep.Findings {
		n[f.CheckID+" "+f.Status]++
	}
	var out []string
	for k, v := range n {
		out = append(out, fmt.Sprintf("%s ×%d", k, v))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestModesLiveMatchesFile: an account built through the endpoint's APIs
// from a sample file, scanned live, gives the same MODE / PV-NET / PV-LOG
// verdicts as a scan of the file, with the same exit code.
func TestModesLiveMatchesFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, contract string }{
		{"modes-compliant.json", "pennsieve"},
		{"modes-compliant-broken.json", "pennsieve"},
		{"modes-secure-broken.json", "pennsieve"},
		{"modes-basic-broken.json", "pennsieve"},
		{"par-sample.json", "par"},
		{"par-no-alarms.json", "par"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, tc.file)
			args := append([]string{"scan", "-o", "json", "--contract", tc.contract}, runtimeChecks...)
			live := a.pvaudit(t, args...)
			file := offline(t, append(args, "--from", filepath.Join("..", "..", "testdata", "accounts", tc.file))...)
			if live.code != file.code {
				t.Errorf("exit %d live, %d from the file\n%s", live.code, file.code, live.stderr)
			}
			lr, fr := parseReport(t, live), parseReport(t, file)
			if len(lr.CoverageGaps) != 0 {
				t.Errorf("live scan gaps: %+v", lr.CoverageGaps)
			}
			if g, w := statusCounts(lr), statusCounts(fr); g != w || g == "" {
				t.Errorf("live:\n%s\nfrom the file:\n%s", g, w)
			}
		})
	}
}

// TestModesTamper: compliant.json (node 7f3a9c21 compliant, b24e11d0
// secure) scans clean, every check; an administrator adds a NAT route to
// the compliant node's subnets or opens its processors' security group to
// the internet through the EC2 API; the next scan fails with exactly the
// findings for that change.
func TestModesTamper(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper func(ctx context.Context, c *ec2.Client, ids func(string) string) error
		want   []string // the findings that appear, as "CHECK STATUS RESOURCE-SUFFIX"
	}{
		{
			name: "NAT route",
			tamper: func(ctx context.Context, c *ec2.Client, ids func(string) string) error {
				nat, err := c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(ids("subnet-07f3a9c211"))})
				if err != nil {
					return err
				}
				_, err = c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(ids("rtb-07f3a9c211")),
					DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: nat.NatGateway.NatGatewayId})
				return err
			},
			want: []string{"MODE-005 FAIL subnet/{subnet-07f3a9c211}", "MODE-005 FAIL subnet/{subnet-07f3a9c212}", "PV-PRB-001 FAIL role/pennsieve-7f3a9c21-processor-ecs",
				"PV-PRB-001 FAIL role/pennsieve-7f3a9c21-processor-lambda"},
		},
		{
			name: "open security group",
			tamper: func(ctx context.Context, c *ec2.Client, ids func(string) string) error {
				_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(ids("sg-07f3a9c211")),
					IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
						IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
				return err
			},
			want: []string{"MODE-012 FAIL security-group/{sg-07f3a9c211}"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, "compliant.json")
			args := []string{"scan", "-o", "json"}
			clean := a.pvaudit(t, args...)
			before := parseReport(t, clean)
			if clean.code != 0 {
				t.Fatalf("scan of the compliant account: exit %d\n%s", clean.code, before.statusKey())
			}
			c := ec2.NewFromConfig(sdkConfig(a.srv.URL(), a.srv.AdminCredentials()))
			if err := tc.tamper(context.Background(), c, a.ids.Of); err != nil {
				t.Fatal(err)
			}
			a.srv.ResetCalls()
			r := a.pvaudit(t, args...)
			after := parseReport(t, r)
			if r.code != 1 {
				t.Errorf("scan after the change: exit %d, want 1", r.code)
			}
			was := map[string]bool{}
			for _, f := range before.Findings {
				was[f.CheckID+" "+f.Status+" "+f.Resource] = true
			}
			var appeared []string
			for _, f := range after.Findings {
				if k := f.CheckID + " " + f.Status + " " + f.Resource; !was[k] && f.Status != "PASS" {
					appeared = append(appeared, k)
				}
			}
			sort.Strings(appeared)
			if len(appeared) != len(tc.want) {
				t.Fatalf("new findings:\n%s\nwant %d: %v", strings.Join(appeared, "\n"), len(tc.want), tc.want)
			}
			for _, w := range tc.want {
				for old := range strings.SplitSeq(w, "{") {
					if id, _, ok := strings.Cut(old, "}"); ok {
						w = strings.Replace(w, "{"+id+"}", a.ids.Of(id), 1)
					}
				}
				parts := strings.SplitN(w, " ", 3)
				found := false
				for _, got := range appeared {
					if strings.HasPrefix(got, parts[0]+" "+parts[1]+" ") && strings.HasSuffix(got, parts[2]) {
						found = true
					}
				}
				if !found {
					t.Errorf("no new finding %q among:\n%s", w, strings.Join(appeared, "\n"))
				}
			}
			if m := a.srv.MutatingCalls(); len(m) != 0 {
				t.Errorf("scan made mutating calls: %+v", m)
			}
		})
	}
}
