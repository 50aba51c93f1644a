package inventory

import (
	"errors"
	"testing"

	"github.com/pvaudit/pvaudit/policy"
)

func TestRolePolicySet(t *testing.T) {
	t.Parallel()
	doc, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	const (
		managed  = "arn:aws:iam::111122223333:policy/app"
		boundary = "arn:aws:iam::111122223333:policy/pennsieve-boundary-0001"
		noDoc    = "arn:aws:iam::111122223333:policy/no-default"
	)
	snap := &Snapshot{Policies: []ManagedPolicy{
		{Name: "app", ARN: managed, DefaultVersionID: "v1", Versions: []PolicyVersion{{VersionID: "v1", IsDefault: true, Document: doc}}},
		{Name: "pennsieve-boundary-0001", ARN: boundary, DefaultVersionID: "v2", Versions: []PolicyVersion{{VersionID: "v1", Document: doc}, {VersionID: "v2", IsDefault: true, Document: doc}}},
		{Name: "no-default", ARN: noDoc, DefaultVersionID: "v3"},
	}}
	tests := []struct {
		name        string
		role        Role
		identity    int
		hasBoundary bool
		missing     string
		wantErr     bool
	}{
		{name: "inline-attached-and-boundary", role: Role{Name: "r", InlinePolicies: []InlinePolicy{{Name: "i", Document: doc}},
			AttachedPolicies: []AttachedPolicy{{Name: "app", ARN: managed}}, PermissionsBoundary: &Boundary{ARN: boundary}},
			identity: 2, hasBoundary: true},
		{name: "no-policies", role: Role{Name: "r"}},
		{name: "inline-without-document", role: Role{Name: "r", InlinePolicies: []InlinePolicy{{Name: "i"}}}, wantErr: true},
		{name: "attached-not-in-snapshot", role: Role{Name: "r", AttachedPolicies: []AttachedPolicy{{Name: "x", ARN: "arn:aws:iam::111122223333:policy/x"}}}, wantErr: true},
		{name: "attached-without-default-document", role: Role{Name: "r", AttachedPolicies: []AttachedPolicy{{Name: "no-default", ARN: noDoc}}}, wantErr: true},
		{name: "boundary-not-in-snapshot", role: Role{Name: "r", InlinePolicies: []InlinePolicy{{Name: "i", Document: doc}},
			PermissionsBoundary: &Boundary{ARN: "arn:aws:iam::999988887777:policy/pennsieve-boundary-0001"}},
			identity: 1, missing: "arn:aws:iam::999988887777:policy/pennsieve-boundary-0001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set, missing, err := snap.RolePolicySet(&tc.role)
			if tc.wantErr {
				if !errors.Is(err, ErrPolicyMissing) {
					t.Fatalf("err = %v, want ErrPolicyMissing", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Identity) != tc.identity || (set.Boundary != nil) != tc.hasBoundary || missing != tc.missing {
				t.Errorf("identity %d boundary %v missing %q; want %d %v %q", len(set.Identity), set.Boundary != nil, missing, tc.identity, tc.hasBoundary, tc.missing)
			}
		})
	}
}

func TestAccountFromARN(t *testing.T) {
	t.Parallel()
	tests := []struct{ arn, want string }{
		{"arn:aws:iam::481516234201:role/x", "481516234201"},
		{"arn:aws:iam::aws:policy/AdministratorAccess", "aws"},
		{"arn:aws:s3:::bucket/key", ""},
		{"arn:aws:logs:us-east-1:111122223333:log-group:/a:*", "111122223333"},
		{"arn:aws:sts::1:assumed-role/r/s", "1"},
		{"arn:aws:iam::123", ""},
		{"*", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.arn, func(t *testing.T) {
			t.Parallel()
			if got := AccountFromARN(tc.arn); got != tc.want {
				t.Errorf("AccountFromARN(%q) = %q, want %q", tc.arn, got, tc.want)
			}
		})
	}
}

// TestAccountFromARNDoesNotAllocate: it runs once per policy evaluation in a
// scan. Not parallel: AllocsPerRun needs the process to itself.
func TestAccountFromARNDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = AccountFromARN("arn:aws:iam::481516234201:role/x") }); n != 0 {
		t.Errorf("AccountFromARN allocates %v times", n)
	}
}
