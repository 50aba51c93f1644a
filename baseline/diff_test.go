package baseline

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// TestDriftKinds edits the compliant fixture once per drift kind and
// checks the one item it must give: rule, kind, resource, severity, and
// what the item must say about access.
func TestDriftKinds(t *testing.T) {
	t.Parallel()
	roleARN := func(n string) string { return "arn:aws:iam::" + acct + ":role/" + n }
	userARN := "arn:aws:iam::" + acct + ":user/maria.chen"
	wideDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`
	cases := []struct {
		name     string
		edit     func(s *inventory.Snapshot)
		rule     string
		kind     Kind
		resource string
		sev      finding.Severity
		check    func(t *testing.T, it *Item)
	}{
		{"role added", func(s *inventory.Snapshot) {
			r := *role(s, orch)
			r.Name, r.ARN, r.ID = "pennsieve-7f3a9c21-extra", roleARN("pennsieve-7f3a9c21-extra"), "AROANEW"
			s.Roles = append(s.Roles, r)
		}, RuleRoleAdded, RoleAdded, roleARN("pennsieve-7f3a9c21-extra"), finding.High, func(t *testing.T, it *Item) {
			if got := allowed(it.Access, "role/pennsieve-7f3a9c21-extra"); !slices.Contains(got, "states:StartExecution") {
				t.Errorf("newly allowed %v, want states:StartExecution among them", got)
			}
		}},
		{"role removed", func(s *inventory.Snapshot) {
			s.Roles = slices.DeleteFunc(s.Roles, func(r inventory.Role) bool { return r.Name == "lab-notebook-sagemaker" })
		}, RuleRoleRemoved, RoleRemoved, roleARN("lab-notebook-sagemaker"), finding.Low, nil},
		{"role recreated", func(s *inventory.Snapshot) {
			r := role(s, orch)
			r.ID, r.CreateDate = "AROARECREATED", r.CreateDate.Add(time.Hour)
		}, RuleRoleRemoved, RoleRecreated, roleARN(orch), finding.Medium, nil},
		{"trust widened to another account", func(s *inventory.Snapshot) {
			st := &role(s, crossRole).TrustPolicy.Statements[0]
			st.Principal.AWS = append(st.Principal.AWS, "444455556666")
		}, RuleTrust, TrustChanged, roleARN(crossRole), finding.Critical, func(t *testing.T, it *Item) {
			if !slices.Contains(callers(it.Access), "arn:aws:iam::444455556666:root") {
				t.Errorf("newly allowed callers %v, want account 444455556666", callers(it.Access))
			}
			if !strings.Contains(Message(it), "444455556666") {
				t.Errorf("message %q does not name the account", Message(it))
			}
			if !slices.ContainsFunc(it.Diff, func(l string) bool { return strings.HasPrefix(l, "+") && strings.Contains(l, "444455556666") }) {
				t.Errorf("diff %v has no + line for the account", it.Diff)
			}
		}},
		{"trust condition removed", func(s *inventory.Snapshot) {
			role(s, crossRole).TrustPolicy.Statements[0].Condition = nil
		}, RuleTrust, TrustChanged, roleARN(crossRole), finding.Critical, func(t *testing.T, it *Item) {
			var found bool
			for _, p := range it.Access.Principals {
				for _, r := range p.NewlyAllowed {
					found = found || (r.Caller == "arn:aws:iam::941377122013:root" && len(r.Context) == 0)
				}
			}
			if !found {
				t.Errorf("the provider without ExternalId is not newly allowed: %+v", it.Access)
			}
		}},
		{"trust narrowed", func(s *inventory.Snapshot) {
			st := &role(s, "OrganizationAccountAccessRole").TrustPolicy.Statements[0]
			st.Condition = policy.Condition{"Bool": {"aws:MultiFactorAuthPresent": {"true"}}}
		}, RuleTrust, TrustChanged, roleARN("OrganizationAccountAccessRole"), finding.Info, nil},
		{"boundary removed", func(s *inventory.Snapshot) {
			role(s, procECS).PermissionsBoundary = nil
		}, RuleBoundary, BoundaryRemoved, roleARN(procECS), finding.Critical, func(t *testing.T, it *Item) {
			got := allowed(it.Access, "boundary ceiling")
			for _, want := range []string{"iam:CreateRole", "iam:PassRole", "iam:PutRolePolicy"} {
				if !slices.Contains(got, want) {
					t.Errorf("ceiling newly allows %v, want %s among them", got, want)
				}
			}
		}},
		{"boundary added", func(s *inventory.Snapshot) {
			role(s, "lab-notebook-sagemaker").PermissionsBoundary = &inventory.Boundary{ARN: boundary1}
		}, RuleBoundary, BoundaryAdded, roleARN("lab-notebook-sagemaker"), finding.Info, nil},
		{"boundary replaced", func(s *inventory.Snapshot) {
			role(s, orch).PermissionsBoundary = &inventory.Boundary{ARN: boundary2}
		}, RuleBoundary, BoundaryReplaced, roleARN(orch), finding.Critical, func(t *testing.T, it *Item) {
			// Another node's boundary lets the role pass that node's roles.
			if !strings.Contains(it.Summary, "pennsieve-boundary-b24e11d0") || !strings.Contains(Message(it), "iam:PassRole on arn:aws:iam::481516234201:role/pennsieve-b24e11d0-") {
				t.Errorf("message %q", Message(it))
			}
		}},
		{"inline policy added", func(s *inventory.Snapshot) {
			r := role(s, orch)
			r.InlinePolicies = append(r.InlinePolicies, inventory.InlinePolicy{Name: "extra", Document: mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`)})
		}, RuleInline, InlineAdded, roleARN(orch), finding.Medium, func(t *testing.T, it *Item) {
			// sqs is outside the boundary: the effective permissions do not
			// change; the item is still drift.
			if it.Access == nil || it.Access.Effect != "no evaluated request changed" {
				t.Errorf("access %+v, want no change (the boundary caps sqs)", it.Access)
			}
		}},
		{"inline policy removed", func(s *inventory.Snapshot) {
			role(s, orch).InlinePolicies = nil
		}, RuleInline, InlineRemoved, roleARN(orch), finding.Info, nil},
		{"inline policy changed", func(s *inventory.Snapshot) {
			st := &role(s, crossRole).InlinePolicies[0].Document.Statements[0]
			st.Action = append(st.Action, "iam:*")
		}, RuleInline, InlineChanged, roleARN(crossRole), finding.Critical, func(t *testing.T, it *Item) {
			if got := allowed(it.Access, "role/"+crossRole); !slices.Contains(got, "iam:CreatePolicy") {
				t.Errorf("newly allowed %v, want iam:CreatePolicy", got)
			}
		}},
		{"managed policy attached", func(s *inventory.Snapshot) {
			r := role(s, crossRole)
			r.AttachedPolicies = append(r.AttachedPolicies, inventory.AttachedPolicy{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess"})
		}, RuleAttached, PolicyAttached, roleARN(crossRole), finding.Critical, func(t *testing.T, it *Item) {
			if got := allowed(it.Access, "role/"+crossRole); !slices.Contains(got, "iam:PassRole") {
				t.Errorf("newly allowed %v, want iam:PassRole", got)
			}
		}},
		{"managed policy detached", func(s *inventory.Snapshot) {
			role(s, "pennsieve-7f3a9c21-task-execution").AttachedPolicies = nil
		}, RuleAttached, PolicyDetached, roleARN("pennsieve-7f3a9c21-task-execution"), finding.Info, nil},
		{"default version switched", func(s *inventory.Snapshot) {
			p := managed(s, boundary1)
			p.Versions[0].IsDefault = false
			p.Versions = append(p.Versions, inventory.PolicyVersion{VersionID: "v2", IsDefault: true, Document: mustDoc(t, wideDoc)})
			p.DefaultVersionID = "v2"
		}, RulePolicyDocument, DefaultVersionSwitch, boundary1, finding.Critical, nil},
		{"document changed in place", func(s *inventory.Snapshot) {
			d := managed(s, boundary1).Versions[0].Document
			d.Statements = d.Statements[:len(d.Statements)-1] // the DenyIAMMutation statement
		}, RulePolicyDocument, DocumentChanged, boundary1, finding.Medium, nil},
		{"version staged", func(s *inventory.Snapshot) {
			p := managed(s, boundary1)
			p.Versions = append(p.Versions, inventory.PolicyVersion{VersionID: "v2", Document: mustDoc(t, wideDoc)})
		}, RulePolicyDocument, VersionStaged, boundary1, finding.Low, nil},
		{"max session raised past the promise", func(s *inventory.Snapshot) {
			role(s, crossRole).MaxSessionDuration = 43200
		}, RuleMaxSession, MaxSessionChanged, roleARN(crossRole), finding.High, nil},
		{"max session shortened", func(s *inventory.Snapshot) {
			role(s, "lab-notebook-sagemaker").MaxSessionDuration = 3600
		}, RuleMaxSession, MaxSessionChanged, roleARN("lab-notebook-sagemaker"), finding.Info, nil},
		{"path changed", func(s *inventory.Snapshot) {
			role(s, "lab-notebook-sagemaker").Path = "/lab/"
		}, RulePathTags, PathChanged, roleARN("lab-notebook-sagemaker"), finding.Low, nil},
		{"tags changed", func(s *inventory.Snapshot) {
			role(s, "github-actions-deploy").Tags = map[string]string{"owner": "someone-else"}
		}, RulePathTags, TagsChanged, roleARN("github-actions-deploy"), finding.Low, nil},
		{"tag makes a role a child role", func(s *inventory.Snapshot) {
			role(s, "github-actions-deploy").Tags = map[string]string{"pennsieve:compute-node": "7f3a9c21"}
		}, RulePathTags, TagsChanged, roleARN("github-actions-deploy"), finding.Medium, func(t *testing.T, it *Item) {
			if it.Classification == nil || it.Classification.After != "child" {
				t.Errorf("classification %+v, want → child", it.Classification)
			}
		}},
		{"user added", func(s *inventory.Snapshot) {
			s.Users = append(s.Users, inventory.User{Name: "intruder", ARN: "arn:aws:iam::" + acct + ":user/intruder", Path: "/", ID: "AIDANEW", AccessKeys: []inventory.AccessKey{}})
		}, RuleUser, UserAdded, "arn:aws:iam::" + acct + ":user/intruder", finding.High, nil},
		{"user removed", func(s *inventory.Snapshot) {
			s.Users = slices.DeleteFunc(s.Users, func(u inventory.User) bool { return u.Name == "backup-exporter" })
		}, RuleUser, UserRemoved, "arn:aws:iam::" + acct + ":user/service/backup-exporter", finding.Low, nil},
		{"access key added", func(s *inventory.Snapshot) {
			u := &s.Users[slices.IndexFunc(s.Users, func(u inventory.User) bool { return u.Name == "maria.chen" })]
			u.AccessKeys = []inventory.AccessKey{{ID: "AKIANEWKEY", Status: "Active"}}
		}, RuleAccessKey, AccessKeyAdded, userARN, finding.High, nil},
		{"customer policy created", func(s *inventory.Snapshot) {
			s.Policies = append(s.Policies, inventory.ManagedPolicy{Name: "pennsieve-boundary-deadbeef", ARN: "arn:aws:iam::" + acct + ":policy/pennsieve-boundary-deadbeef",
				DefaultVersionID: "v1", Versions: []inventory.PolicyVersion{{VersionID: "v1", IsDefault: true, Document: mustDoc(t, wideDoc)}}})
		}, RulePolicyCreated, PolicyCreated, "arn:aws:iam::" + acct + ":policy/pennsieve-boundary-deadbeef", finding.Medium, nil},
		{"user permissions changed", func(s *inventory.Snapshot) {
			u := &s.Users[slices.IndexFunc(s.Users, func(u inventory.User) bool { return u.Name == "backup-exporter" })]
			u.AttachedPolicies = append(u.AttachedPolicies, inventory.AttachedPolicy{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess"})
		}, RuleUserPerms, UserPermsChanged, "arn:aws:iam::" + acct + ":user/service/backup-exporter", finding.Critical, nil},
		{"group policy changed", func(s *inventory.Snapshot) {
			s.Groups[0].InlinePolicies = []inventory.InlinePolicy{{Name: "deny-all", Document: mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)}}
		}, RuleUserPerms, GroupChanged, "arn:aws:iam::" + acct + ":group/Administrators", finding.Info, func(t *testing.T, it *Item) {
			if it.Access == nil || len(it.Access.Principals) != 1 || it.Access.Principals[0].Principal != "user/maria.chen" {
				t.Errorf("access %+v, want the group's member maria.chen", it.Access)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			items := diffEdited(t, tc.edit)
			if len(items) != 1 {
				t.Fatalf("got %d items, want 1:\n%s", len(items), strings.Join(kinds(items), "\n"))
			}
			it := &items[0]
			if it.Rule != tc.rule || it.Kind != tc.kind || it.Resource != tc.resource {
				t.Errorf("got %s %s on %s, want %s %s on %s", it.Rule, it.Kind, it.Resource, tc.rule, tc.kind, tc.resource)
			}
			if it.Severity != tc.sev {
				t.Errorf("severity %s, want %s (%s)", it.Severity, tc.sev, Message(it))
			}
			if it.Status != finding.Fail {
				t.Errorf("status %s, want FAIL", it.Status)
			}
			if !it.Acceptable() {
				t.Error("the item cannot be accepted")
			}
			if tc.check != nil {
				tc.check(t, it)
			}
		})
	}
}

// TestWidenedBoundaryEachRole: a new default version of a node's boundary
// shows its effect on every role that carries it, and on the effective
// permissions of a role whose identity policies reach past the old
// boundary.
func TestWidenedBoundaryEachRole(t *testing.T) {
	t.Parallel()
	c := testContract(t)
	before := fixture(t)
	// A child role whose inline policy asks for more than the boundary
	// allows: the boundary is what stops it.
	grab := inventory.InlinePolicy{Name: "grab", Document: mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateRole","iam:PassRole"],"Resource":"*"}]}`)}
	role(before, orch).InlinePolicies = append(role(before, orch).InlinePolicies, grab)
	after := fixture(t)
	role(after, orch).InlinePolicies = append(role(after, orch).InlinePolicies, grab)
	p := managed(after, boundary1)
	p.Versions[0].IsDefault = false
	p.Versions = append(p.Versions, inventory.PolicyVersion{VersionID: "v2", IsDefault: true,
		Document: mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	p.DefaultVersionID = "v2"
	items, err := Diff(stateOf(t, before, c), stateOf(t, after, c), Options{Contract: c})
	if err != nil {
		t.Fatal(err)
	}
	it := findItem(items, DefaultVersionSwitch)
	if it == nil {
		t.Fatalf("no default-version item: %v", kinds(items))
	}
	if it.Severity != finding.Critical {
		t.Errorf("severity %s, want critical", it.Severity)
	}
	carriers := []string{}
	for _, r := range before.Roles {
		if r.PermissionsBoundary != nil && r.PermissionsBoundary.ARN == boundary1 {
			carriers = append(carriers, "role/"+r.Name)
		}
	}
	if len(carriers) < 2 {
		t.Fatalf("fixture: %d roles carry the boundary", len(carriers))
	}
	var listed []string
	for _, pe := range it.Access.Principals {
		if strings.HasPrefix(pe.Principal, "role/") {
			listed = append(listed, pe.Principal)
		}
	}
	if !slices.Equal(listed, carriers) {
		t.Errorf("effects listed for %v, want every carrier %v", listed, carriers)
	}
	if got := allowed(it.Access, "role/"+orch); !slices.Contains(got, "iam:CreateRole") || !slices.Contains(got, "iam:PassRole") {
		t.Errorf("%s newly allows %v, want iam:CreateRole and iam:PassRole", orch, got)
	}
	if got := allowed(it.Access, "boundary ceiling"); !slices.Contains(got, "iam:CreateUser") {
		t.Errorf("ceiling newly allows %v, want iam:CreateUser", got)
	}
	if !strings.Contains(Message(it), "iam:") {
		t.Errorf("message %q does not show the widening", Message(it))
	}
}

// TestNotEvaluated: what either side could not read is NOT_EVALUATED, never
// "no drift".
func TestNotEvaluated(t *testing.T) {
	t.Parallel()
	c := testContract(t)
	t.Run("baseline listing failed", func(t *testing.T) {
		t.Parallel()
		b := fixture(t)
		b.Roles = b.Roles[:3]
		b.Gaps = []inventory.Gap{{Operation: "iam:GetAccountAuthorizationDetails", Code: "AccessDenied", Message: "denied"}}
		items, err := Diff(stateOf(t, b, c), stateOf(t, fixture(t), c), Options{Contract: c})
		if err != nil {
			t.Fatal(err)
		}
		var added, gap int
		for _, it := range items {
			switch {
			case it.Kind == RoleAdded && it.Status == finding.NotEvaluated:
				added++
			case it.Kind == RoleAdded:
				t.Errorf("role added reported as %s though the baseline could not list roles", it.Status)
			case it.Rule == RuleNotEvaluated:
				gap++
			}
		}
		if added == 0 || gap != 1 {
			t.Errorf("added NOT_EVALUATED %d, gap items %d:\n%s", added, gap, strings.Join(kinds(items), "\n"))
		}
	})
	t.Run("access keys not listed", func(t *testing.T) {
		t.Parallel()
		cur := fixture(t)
		cur.Users[0].AccessKeys = nil
		items, err := Diff(stateOf(t, fixture(t), c), stateOf(t, cur, c), Options{Contract: c})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].Rule != RuleAccessKey || items[0].Status != finding.NotEvaluated {
			t.Fatalf("items %v, want one NOT_EVALUATED DRIFT-011", kinds(items))
		}
	})
	t.Run("one user's keys failed", func(t *testing.T) {
		t.Parallel()
		cur := fixture(t)
		u := &cur.Users[0]
		u.AccessKeys = []inventory.AccessKey{{ID: "AKIANEW", Status: "Active"}}
		cur.Gaps = []inventory.Gap{{Operation: "iam:ListAccessKeys", Resource: u.ARN, Code: "Throttling", Message: "rate"}}
		items, err := Diff(stateOf(t, fixture(t), c), stateOf(t, cur, c), Options{Contract: c})
		if err != nil {
			t.Fatal(err)
		}
		it := findItem(items, AccessKeyAdded)
		if it == nil || it.Status != finding.NotEvaluated {
			t.Errorf("items %v, want the key NOT_EVALUATED", kinds(items))
		}
	})
	t.Run("max session unknown", func(t *testing.T) {
		t.Parallel()
		cur := fixture(t)
		role(cur, crossRole).MaxSessionDuration = 0
		items, err := Diff(stateOf(t, fixture(t), c), stateOf(t, cur, c), Options{Contract: c})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].Rule != RuleMaxSession || items[0].Status != finding.NotEvaluated {
			t.Errorf("items %v, want one NOT_EVALUATED DRIFT-008", kinds(items))
		}
	})
	t.Run("a referenced policy missing from one side", func(t *testing.T) {
		t.Parallel()
		cur := fixture(t)
		admin := "arn:aws:iam::aws:policy/AdministratorAccess"
		cur.Policies = slices.DeleteFunc(cur.Policies, func(p inventory.ManagedPolicy) bool { return p.ARN == admin })
		items, err := Diff(stateOf(t, fixture(t), c), stateOf(t, cur, c), Options{Contract: c})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].Resource != admin || items[0].Status != finding.NotEvaluated {
			t.Errorf("items %v, want AdministratorAccess NOT_EVALUATED (the group still attaches it)", kinds(items))
		}
	})
	t.Run("policy document missing", func(t *testing.T) {
		t.Parallel()
		cur := fixture(t)
		managed(cur, boundary1).Versions[0].Document = nil
		items, err := Diff(stateOf(t, fixture(t), c), stateOf(t, cur, c), Options{Contract: c})
		if err != nil {
			t.Fatal(err)
		}
		it := findItem(items, DocumentChanged)
		if it == nil || it.Status != finding.NotEvaluated {
			t.Errorf("items %v, want the boundary document NOT_EVALUATED", kinds(items))
		}
	})
}

func TestContractChanged(t *testing.T) {
	t.Parallel()
	c := testContract(t)
	st := stateOf(t, fixture(t), c)
	ref := ContractRef{Name: "pennsieve", Source: "pennsieve", SHA256: "aa"}
	cases := []struct {
		name       string
		cur        ContractRef
		curParams  Parameters
		wantDrift  bool
		wantInText string
	}{
		{"same", ref, Parameters{}, false, ""},
		{"source changed", ContractRef{Name: "pennsieve", SHA256: "bb"}, Parameters{}, true, "source changed"},
		{"other contract", ContractRef{Name: "par", SHA256: "cc"}, Parameters{}, true, "pennsieve → par"},
		{"parameters", ref, Parameters{ProvisionerAccountID: "999988887777"}, true, "parameters changed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			items, err := Diff(st, st, Options{Contract: c, BaseContract: ref, CurContract: tc.cur, CurParams: tc.curParams})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(items) == 1 && items[0].Rule == RuleContract; got != tc.wantDrift {
				t.Fatalf("items %v, want contract drift %v", kinds(items), tc.wantDrift)
			}
			if tc.wantDrift && !strings.Contains(items[0].Summary, tc.wantInText) {
				t.Errorf("summary %q, want %q", items[0].Summary, tc.wantInText)
			}
		})
	}
}

// TestApply: accepting items makes them disappear from the next diff, and
// accepting all of them gives the current state.
func TestApply(t *testing.T) {
	t.Parallel()
	c := testContract(t)
	base := stateOf(t, fixture(t), c)
	cur := fixture(t)
	role(cur, procECS).PermissionsBoundary = nil
	role(cur, crossRole).MaxSessionDuration = 7200
	cur.Users = append(cur.Users, inventory.User{Name: "intruder", ARN: "arn:aws:iam::" + acct + ":user/intruder", AccessKeys: []inventory.AccessKey{}})
	curState := stateOf(t, cur, c)
	items, err := Diff(base, curState, Options{Contract: c})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("items %v, want 3", kinds(items))
	}
	one := Apply(base, curState, []Item{*findItem(items, MaxSessionChanged)})
	rest, err := Diff(one, curState, Options{Contract: c})
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 2 || findItem(rest, MaxSessionChanged) != nil {
		t.Errorf("after accepting the session change: %v", kinds(rest))
	}
	all := Apply(base, curState, items)
	if left, _ := Diff(all, curState, Options{Contract: c}); len(left) != 0 {
		t.Errorf("after accepting everything: %v", kinds(left))
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	edit := func(s *inventory.Snapshot) {
		role(s, procECS).PermissionsBoundary = nil
		role(s, crossRole).TrustPolicy.Statements[0].Condition = nil
		managed(s, boundary2).Versions[0].Document.Statements = managed(s, boundary2).Versions[0].Document.Statements[:1]
	}
	a, b := diffEdited(t, edit), diffEdited(t, edit)
	if !slices.EqualFunc(a, b, func(x, y Item) bool { return Message(&x) == Message(&y) && x.Severity == y.Severity }) {
		t.Errorf("two diffs differ:\n%v\n%v", kinds(a), kinds(b))
	}
}

// TestExternalIDChangedAndRedacted: a new ExternalId is drift (the new
// value is newly allowed), and neither value appears in what is reported.
func TestExternalIDChangedAndRedacted(t *testing.T) {
	t.Parallel()
	items := diffEdited(t, func(s *inventory.Snapshot) {
		role(s, crossRole).TrustPolicy.Statements[0].Condition["StringEquals"]["sts:ExternalId"] = policy.StringList{"rotated-secret-91"}
	})
	if len(items) != 1 || items[0].Kind != TrustChanged || items[0].Severity != finding.Critical {
		t.Fatalf("items %v, want one critical trust change", kinds(items))
	}
	out, err := json.Marshal(Evidence(&items[0]))
	if err != nil {
		t.Fatal(err)
	}
	text := string(out) + Message(&items[0])
	for _, secret := range []string{"pn-ext-4c1d9e7a52", "rotated-secret-91"} {
		if strings.Contains(text, secret) {
			t.Errorf("the report shows the ExternalId %s:\n%s", secret, text)
		}
	}
	if !strings.Contains(text, "<redacted sha256:") {
		t.Errorf("no redaction marker:\n%s", text)
	}
}
