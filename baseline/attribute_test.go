package baseline

import (
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

func TestAttribute(t *testing.T) {
	t.Parallel()
	items := diffEdited(t, func(s *inventory.Snapshot) {
		role(s, procECS).PermissionsBoundary = nil
		r := role(s, crossRole)
		r.AttachedPolicies = append(r.AttachedPolicies, inventory.AttachedPolicy{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess"})
		role(s, "github-actions-deploy").Tags = map[string]string{"x": "y"}
		s.Users = append(s.Users, inventory.User{Name: "svc", ARN: "arn:aws:iam::" + acct + ":user/svc", AccessKeys: []inventory.AccessKey{}})
	})
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	w := Window{From: t0, To: t0.Add(72 * time.Hour)}
	ev := func(name, role, user, policy string, at time.Duration) Event {
		return Event{Time: t0.Add(at), EventID: name + "-id", EventSource: "iam.amazonaws.com", EventName: name, RoleName: role, UserName: user, PolicyARN: policy,
			Principal: "arn:aws:iam::" + acct + ":user/admin", SourceIP: "203.0.113.7"}
	}
	denied := ev("DeleteRolePermissionsBoundary", procECS, "", "", time.Hour)
	denied.ErrorCode, denied.EventID = "AccessDenied", "denied-id"
	attach := ev("AttachRolePolicy", crossRole, "", "arn:aws:iam::aws:policy/AdministratorAccess", 2*time.Hour)
	attach.ProviderSession, attach.ProviderAssumer, attach.Principal = "ASIAPROVIDER", "941377122013", "arn:aws:sts::"+acct+":assumed-role/"+crossRole+"/terraform"
	events := []Event{
		denied,
		ev("DeleteRolePermissionsBoundary", procECS, "", "", 3*time.Hour),
		attach,
		ev("TagRole", "github-actions-deploy", "", "", -48*time.Hour), // before the baseline: explains nothing
		ev("CreateUser", "", "svc", "", 4*time.Hour),
	}
	explained, unexplained := Attribute(items, events, w)
	if explained != 3 || unexplained != 1 {
		t.Errorf("explained %d, unexplained %d, want 3 and 1", explained, unexplained)
	}
	for _, it := range items {
		a := it.Attribution
		switch it.Kind {
		case BoundaryRemoved:
			if a.Status != "explained" || len(a.Events) != 1 || a.Events[0].EventID != "DeleteRolePermissionsBoundary-id" {
				t.Errorf("boundary: %+v (the denied call must not explain it)", a)
			}
			if !strings.Contains(Message(&it), "203.0.113.7") {
				t.Errorf("message %q does not say where from", Message(&it))
			}
		case PolicyAttached:
			if !a.ByProviderSession || !strings.Contains(Message(&it), "under the provider's cross-account session ASIAPROVIDER (assumed by account 941377122013)") {
				t.Errorf("attach: %+v\n%s", a, Message(&it))
			}
		case TagsChanged:
			if a.Status != "unexplained" || !strings.Contains(Message(&it), "unexplained: no CloudTrail event") {
				t.Errorf("tags: %+v", a)
			}
		case UserAdded:
			if a.Status != "explained" {
				t.Errorf("user: %+v", a)
			}
		}
	}
	t.Run("a user created under the provider's session is critical", func(t *testing.T) {
		t.Parallel()
		items := diffEdited(t, func(s *inventory.Snapshot) {
			s.Users = append(s.Users, inventory.User{Name: "svc", ARN: "arn:aws:iam::" + acct + ":user/svc", AccessKeys: []inventory.AccessKey{}})
		})
		e := ev("CreateUser", "", "svc", "", time.Hour)
		e.ProviderSession = "ASIAPROVIDER"
		Attribute(items, []Event{e}, w)
		if items[0].Severity != finding.Critical {
			t.Errorf("severity %s, want critical", items[0].Severity)
		}
	})
}
