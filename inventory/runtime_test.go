package inventory

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// ownRuntime is an own-format snapshot whose runtime has one region with
// the given ec2 section.
func ownRuntime(ec2 string) string {
	return `{"schema":"pvaudit.snapshot/v1","account_id":"111122223333","source":"snapshot","roles":[],` +
		`"runtime":{"regions":[{"region":"us-east-1","ec2":` + ec2 + `}]}}`
}

const okEC2 = `{"vpcs":[{"id":"vpc-0a1b2c3d4","cidrs":["10.0.0.0/16"],"is_default":false}],"subnets":[],"route_tables":[],` +
	`"internet_gateways":[],"egress_only_internet_gateways":[],"nat_gateways":[],"peering_connections":[],` +
	`"transit_gateway_attachments":[],"transit_gateway_route_tables":[],"vpc_endpoints":[],"flow_logs":[],` +
	`"security_groups":[],"network_acls":[]}`

func TestRuntimeDecode(t *testing.T) {
	t.Parallel()
	t.Run("absent is nil", func(t *testing.T) {
		t.Parallel()
		s, err := Decode([]byte(`{"schema":"pvaudit.snapshot/v1","account_id":"111122223333","source":"snapshot","roles":[]}`), "a.json")
		if err != nil {
			t.Fatal(err)
		}
		if s.Runtime != nil {
			t.Errorf("runtime = %+v, want nil for an IAM-only snapshot", s.Runtime)
		}
	})
	t.Run("sections absent and present", func(t *testing.T) {
		t.Parallel()
		s, err := Decode([]byte(ownRuntime(okEC2)), "a.json")
		if err != nil {
			t.Fatal(err)
		}
		r := s.Runtime.Region("us-east-1")
		if r == nil || r.EC2 == nil || len(r.EC2.VPCs) != 1 {
			t.Fatalf("region = %+v", r)
		}
		if r.Logs != nil || r.Lambda != nil {
			t.Errorf("sections not in the file must stay nil (not read), got logs %v lambda %v", r.Logs, r.Lambda)
		}
		if r.EC2.Subnets == nil {
			t.Error("a read, empty list must stay non-nil")
		}
	})
	t.Run("round trip", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"modes-compliant.json", "par-compliant.json", "sample.json"} {
			s, err := ReadFile(filepath.Join("..", "testdata", "accounts", name))
			if err != nil {
				t.Fatal(err)
			}
			if s.Runtime == nil {
				t.Fatalf("%s: no runtime", name)
			}
			var a bytes.Buffer
			if err := s.WriteJSON(&a); err != nil {
				t.Fatal(err)
			}
			s2, err := Decode(a.Bytes(), "again.json")
			if err != nil {
				t.Fatalf("%s: own format does not read back: %v", name, err)
			}
			var b bytes.Buffer
			if err := s2.WriteJSON(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("%s: write → read → write differs", name)
			}
		}
	})
}

func TestRuntimeDecodeStrict(t *testing.T) {
	t.Parallel()
	rep := func(old, new string) string { return ownRuntime(strings.Replace(okEC2, old, new, 1)) }
	tests := []struct {
		name, data string
		want       []string
	}{
		{"unknown key", rep(`"is_default":false`, `"is_default":false,"isDefault":true`), []string{`unknown field "isDefault"`}},
		{"bad vpc id", rep(`vpc-0a1b2c3d4`, `vpc-XYZ`), []string{`vpc "vpc-XYZ" is not a vpc- ID`}},
		{"bad cidr", rep(`10.0.0.0/16`, `10.0.0.0/33`), []string{`"10.0.0.0/33" is not a CIDR block`}},
		{"duplicate vpc", rep(`"vpcs":[{"id":"vpc-0a1b2c3d4","cidrs":["10.0.0.0/16"],"is_default":false}]`,
			`"vpcs":[{"id":"vpc-0a1b2c3d4","cidrs":[],"is_default":false},{"id":"vpc-0a1b2c3d4","cidrs":[],"is_default":true}]`), []string{"vpc vpc-0a1b2c3d4 given twice"}},
		{"rule with two peers", rep(`"security_groups":[]`, `"security_groups":[{"id":"sg-0a1b2c3d4","name":"x","vpc_id":"vpc-0a1b2c3d4","ingress":[{"protocol":"tcp","from_port":22,"to_port":22,"cidr":"10.0.0.0/8","group":"sg-0a1b2c3d4"}],"egress":[]}]`),
			[]string{"give exactly one of cidr, prefix_list and group"}},
		{"route state", rep(`"route_tables":[]`, `"route_tables":[{"id":"rtb-0a1b2c3d4","vpc_id":"vpc-0a1b2c3d4","routes":[{"destination":"0.0.0.0/0","target":"igw-0a1b2c3d4","state":"up"}]}]`),
			[]string{`route state "up"`}},
		{"route destination", rep(`"route_tables":[]`, `"route_tables":[{"id":"rtb-0a1b2c3d4","vpc_id":"vpc-0a1b2c3d4","routes":[{"destination":"everywhere","target":"igw-0a1b2c3d4"}]}]`),
			[]string{`"everywhere" is not a CIDR block`}},
		{"duplicate key", rep(`"is_default":false`, `"is_default":false,"is_default":true`), []string{`duplicate key "is_default"`}},
		{"bad region", strings.Replace(ownRuntime(okEC2), `"us-east-1"`, `"mars-1"`, 1), []string{`"mars-1" is not an AWS region name`}},
		{"region twice", `{"schema":"pvaudit.snapshot/v1","account_id":"111122223333","source":"snapshot","runtime":{"regions":[{"region":"us-east-1"},{"region":"us-east-1"}]}}`,
			[]string{"region us-east-1 given twice"}},
		{"endpoint policy invalid", rep(`"vpc_endpoints":[]`, `"vpc_endpoints":[{"id":"vpce-0a1b2c3d4","vpc_id":"vpc-0a1b2c3d4","service_name":"com.amazonaws.us-east-1.s3","type":"Gateway","state":"available","policy":{"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}}]`),
			[]string{"Maybe"}},
		{"lambda arn", `{"schema":"pvaudit.snapshot/v1","account_id":"111122223333","source":"snapshot","runtime":{"regions":[{"region":"us-east-1","lambda":{"functions":[{"name":"f","arn":"arn:aws:s3:::f","role":"r"}]}}]}}`,
			[]string{`"arn:aws:s3:::f" is not an arn:…:lambda: ARN`}},
		{"cli export with runtime", `{"RoleDetailList":[],"runtime":{"regions":[{"region":"us-east-1","ec2":` + strings.Replace(okEC2, "vpc-0a1b2c3d4", "vpc-1", 1) + `}]}}`,
			[]string{`"vpc-1" is not a vpc- ID`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tc.data), "bad.json")
			if err == nil {
				t.Fatal("decoded, want an error")
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error %v does not wrap ErrInvalidInput", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "bad.json:") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}
