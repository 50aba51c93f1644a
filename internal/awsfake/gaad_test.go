package awsfake

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/pvaudit/pvaudit/policy"
)

// seedRoles creates n roles, each with an inline policy, a local managed
// policy attached and a boundary.
func seedRoles(t *testing.T, c clients, n int) {
	t.Helper()
	cx := ctx(t)
	bp, err := c.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("pv-boundary"), PolicyDocument: aws.String(readS3)})
	mustOK(t, err)
	for i := range n {
		name := fmt.Sprintf("role-%02d", i)
		_, err := c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustEC2), PermissionsBoundary: bp.Policy.Arn})
		mustOK(t, err)
		_, err = c.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(readS3)})
		mustOK(t, err)
		_, err = c.iam.AttachRolePolicy(cx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: bp.Policy.Arn})
		mustOK(t, err)
	}
}

func TestGetAccountAuthorizationDetailsPaging(t *testing.T) {
	s, c, _ := start(t, Options{})
	seedRoles(t, c, 7)
	cx := ctx(t)

	// Users: admin. Roles: 7. Policies: pv-boundary (local) and
	// AdministratorAccess (AWS managed, attached to admin).
	tests := []struct {
		name      string
		maxItems  *int32
		pageFault int
		filter    []types.EntityType
		wantPages int
		wantRoles int
		wantUsers int
		wantPols  int
	}{
		{name: "one page", wantPages: 1, wantRoles: 7, wantUsers: 1, wantPols: 2},
		{name: "MaxItems=1", maxItems: aws.Int32(1), wantPages: 10, wantRoles: 7, wantUsers: 1, wantPols: 2},
		{name: "short pages despite MaxItems", maxItems: aws.Int32(100), pageFault: 3, wantPages: 4, wantRoles: 7, wantUsers: 1, wantPols: 2},
		{name: "Role filter", maxItems: aws.Int32(2), filter: []types.EntityType{types.EntityTypeRole}, wantPages: 4, wantRoles: 7},
		{name: "LocalManagedPolicy filter", filter: []types.EntityType{types.EntityTypeLocalManagedPolicy}, wantPages: 1, wantPols: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetFaults(Faults{PageSize: tt.pageFault})
			defer s.SetFaults(Faults{})
			p := iam.NewGetAccountAuthorizationDetailsPaginator(c.iam, &iam.GetAccountAuthorizationDetailsInput{MaxItems: tt.maxItems, Filter: tt.filter})
			var pages, roles, users, pols int
			for p.HasMorePages() {
				out, err := p.NextPage(cx)
				mustOK(t, err)
				pages++
				if out.IsTruncated != (out.Marker != nil) {
					t.Errorf("page %d: IsTruncated=%v but Marker=%v", pages, out.IsTruncated, out.Marker)
				}
				users += len(out.UserDetailList)
				pols += len(out.Policies)
				for _, r := range out.RoleDetailList {
					roles++
					if _, err := policy.ParseString(aws.ToString(r.AssumeRolePolicyDocument)); err != nil {
						t.Errorf("role %s trust: %v", aws.ToString(r.RoleName), err)
					}
					if len(r.RolePolicyList) != 1 || decodeDoc(t, aws.ToString(r.RolePolicyList[0].PolicyDocument)) != readS3 {
						t.Errorf("role %s inline policies: %+v", aws.ToString(r.RoleName), r.RolePolicyList)
					}
					if len(r.AttachedManagedPolicies) != 1 || r.PermissionsBoundary == nil {
						t.Errorf("role %s: attached %v boundary %v", aws.ToString(r.RoleName), r.AttachedManagedPolicies, r.PermissionsBoundary)
					}
				}
				for _, mp := range out.Policies {
					if len(mp.PolicyVersionList) == 0 {
						t.Errorf("policy %s has no versions", aws.ToString(mp.PolicyName))
					}
					for _, v := range mp.PolicyVersionList {
						if _, err := policy.ParseString(aws.ToString(v.Document)); err != nil {
							t.Errorf("policy %s %s: %v", aws.ToString(mp.PolicyName), aws.ToString(v.VersionId), err)
						}
					}
				}
			}
			if pages != tt.wantPages || roles != tt.wantRoles || users != tt.wantUsers || pols != tt.wantPols {
				t.Errorf("got pages=%d roles=%d users=%d policies=%d, want %d/%d/%d/%d",
					pages, roles, users, pols, tt.wantPages, tt.wantRoles, tt.wantUsers, tt.wantPols)
			}
		})
	}
	t.Run("ListRoles pages with MaxItems", func(t *testing.T) {
		p := iam.NewListRolesPaginator(c.iam, &iam.ListRolesInput{MaxItems: aws.Int32(3)})
		var n, pages int
		for p.HasMorePages() {
			out, err := p.NextPage(cx)
			mustOK(t, err)
			n += len(out.Roles)
			pages++
		}
		if n != 7 || pages != 3 {
			t.Errorf("got %d roles in %d pages, want 7 in 3", n, pages)
		}
	})
	t.Run("bad marker", func(t *testing.T) {
		_, err := c.iam.ListRoles(cx, &iam.ListRolesInput{Marker: aws.String("garbage")})
		if code, status := apiErr(t, err); code != "ValidationError" || status != 400 {
			t.Errorf("got %s/%d, want ValidationError/400", code, status)
		}
	})
}
