package provision_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/provision"
)

// stateOf is the state of an account holding exactly d, with the managed
// policies' tags known.
func stateOf(t *testing.T, d *provision.Desired) *provision.State {
	t.Helper()
	st := &provision.State{Snapshot: snapshotOf(t, d), PolicyTags: map[string]map[string]string{}}
	for _, p := range d.Policies {
		st.PolicyTags[p.ARN] = p.Tags
	}
	for i := range st.Snapshot.Roles {
		st.Snapshot.Roles[i].Tags = copyTags(st.Snapshot.Roles[i].Tags)
	}
	return st
}

func copyTags(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func build(t *testing.T, name string, p provision.Params) *provision.Desired {
	t.Helper()
	d, err := provision.Build(loadContract(t, name), p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func actions(p *provision.Plan) map[string]provision.Action {
	out := map[string]provision.Action{}
	for _, c := range p.Changes {
		out[c.Type+" "+c.Name] = c.Action
	}
	return out
}

func ops(p *provision.Plan) string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Op+" "+s.Target())
	}
	return strings.Join(out, "\n")
}

func doc(t *testing.T, s string) *policy.Document {
	t.Helper()
	d, err := policy.ParseString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDiff(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "pennsieve")
	d := build(t, "pennsieve", pennsieveParams())
	const ecs = "pennsieve-7f3a9c21-processor-ecs"
	tests := []struct {
		name   string
		mutate func(st *provision.State)
		// want maps "type name" to the action; others must be no-op.
		want       map[string]provision.Action
		steps      string
		incomplete bool
	}{
		{name: "in sync", mutate: func(*provision.State) {}, steps: ""},
		{name: "empty account", mutate: func(st *provision.State) { st.Snapshot.Roles, st.Snapshot.Policies = nil, nil },
			want: map[string]provision.Action{"role Pennsieve-Compute-prod-a3f1b20c": "create", "role " + ecs: "create", "role pennsieve-7f3a9c21-processor-lambda": "create",
				"role pennsieve-b24e11d0-processor-ecs": "create", "role pennsieve-b24e11d0-processor-lambda": "create",
				"policy pennsieve-boundary-7f3a9c21": "create", "policy pennsieve-boundary-b24e11d0": "create"},
			steps: strings.Join([]string{
				"CreatePolicy policy/pennsieve-boundary-7f3a9c21", "CreatePolicy policy/pennsieve-boundary-b24e11d0",
				"CreateRole role/Pennsieve-Compute-prod-a3f1b20c", "PutRolePolicy role/Pennsieve-Compute-prod-a3f1b20c inline PennsieveComputeAccess",
				"CreateRole role/pennsieve-7f3a9c21-processor-ecs boundary pennsieve-boundary-7f3a9c21", "PutRolePolicy role/pennsieve-7f3a9c21-processor-ecs inline processor",
				"CreateRole role/pennsieve-7f3a9c21-processor-lambda boundary pennsieve-boundary-7f3a9c21", "PutRolePolicy role/pennsieve-7f3a9c21-processor-lambda inline processor",
				"CreateRole role/pennsieve-b24e11d0-processor-ecs boundary pennsieve-boundary-b24e11d0", "PutRolePolicy role/pennsieve-b24e11d0-processor-ecs inline processor",
				"CreateRole role/pennsieve-b24e11d0-processor-lambda boundary pennsieve-boundary-b24e11d0", "PutRolePolicy role/pennsieve-b24e11d0-processor-lambda inline processor",
			}, "\n")},
		{name: "cosmetic differences are no change", mutate: func(st *provision.State) {
			r := st.Snapshot.Role(ecs)
			r.InlinePolicies[0].Document = doc(t, `{"Version":"2012-10-17","Statement":[
				{"Sid":"Logs","Effect":"Allow","Action":["LOGS:PutLogEvents","logs:createlogstream"],"Resource":["arn:aws:logs:us-east-1:481516234201:log-group:/pennsieve/7f3a9c21/*"]},
				{"Sid":"LLMGovernor","Effect":"Allow","Action":["lambda:InvokeFunction"],"Resource":"arn:aws:lambda:us-east-1:481516234201:function:pennsieve-7f3a9c21-llm-governor"},
				{"Sid":"EFSReadWrite","Effect":"Allow","Action":["elasticfilesystem:ClientWrite","elasticfilesystem:ClientMount","elasticfilesystem:ClientMount"],"Resource":"arn:aws:elasticfilesystem:us-east-1:481516234201:file-system/fs-07f3a9c21"}]}`)
		}, steps: ""},
		{name: "a widened inline policy", mutate: func(st *provision.State) {
			r := st.Snapshot.Role(ecs)
			r.InlinePolicies[0].Document = doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
		}, want: map[string]provision.Action{"role " + ecs: "update"}, steps: "PutRolePolicy role/" + ecs + " inline processor"},
		{name: "an extra inline policy, an attachment, a lost boundary, a longer session, a trust and a tag", mutate: func(st *provision.State) {
			r := st.Snapshot.Role(ecs)
			r.InlinePolicies = append(r.InlinePolicies, inventory.InlinePolicy{Name: "extra", Document: doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
			r.AttachedPolicies = []inventory.AttachedPolicy{{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
			r.PermissionsBoundary = nil
			r.MaxSessionDuration = 43200
			r.TrustPolicy = doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::941377122013:root"},"Action":"sts:AssumeRole"}]}`)
			r.Tags["owner"] = "someone"
			delete(r.Tags, "pennsieve:compute-node")
		}, want: map[string]provision.Action{"role " + ecs: "update"}, steps: strings.Join([]string{
			"TagRole role/" + ecs, "UntagRole role/" + ecs + " owner", "UpdateAssumeRolePolicy role/" + ecs, "UpdateRole role/" + ecs,
			"PutRolePermissionsBoundary role/" + ecs + " boundary pennsieve-boundary-7f3a9c21", "DeleteRolePolicy role/" + ecs + " inline extra",
			"DetachRolePolicy role/" + ecs + " arn:aws:iam::aws:policy/AdministratorAccess"}, "\n")},
		{name: "a boundary edited, with an old version kept", mutate: func(st *provision.State) {
			p := st.Snapshot.Policy("arn:aws:iam::481516234201:policy/pennsieve-boundary-b24e11d0")
			p.Versions = []inventory.PolicyVersion{{VersionID: "v1", Document: p.Versions[0].Document},
				{VersionID: "v2", IsDefault: true, Document: doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}
			p.DefaultVersionID = "v2"
		}, want: map[string]provision.Action{"policy pennsieve-boundary-b24e11d0": "update"}, steps: strings.Join([]string{
			"DeletePolicyVersion policy/pennsieve-boundary-b24e11d0 v1", "CreatePolicyVersion policy/pennsieve-boundary-b24e11d0",
			"DeletePolicyVersion policy/pennsieve-boundary-b24e11d0 v2"}, "\n")},
		{name: "an unmanaged role under a desired name is a conflict", mutate: func(st *provision.State) {
			st.Snapshot.Role(ecs).Tags = map[string]string{"team": "data"}
		}, want: map[string]provision.Action{"role " + ecs: "conflict"}, steps: ""},
		{name: "a managed tag under a name pvaudit does not give is left alone", mutate: func(st *provision.State) {
			r := *st.Snapshot.Role(ecs)
			r.Name, r.ARN, r.Tags = "customer-admin", "arn:aws:iam::481516234201:role/customer-admin", copyTags(r.Tags)
			st.Snapshot.Roles = append(st.Snapshot.Roles, r)
			st.Snapshot.Normalize()
		}, want: map[string]provision.Action{"role customer-admin": "left-alone"}, steps: ""},
		{name: "a managed node no longer desired is deleted, roles before their boundary", mutate: func(st *provision.State) {
			r := *st.Snapshot.Role(ecs)
			r.Name, r.ARN = "pennsieve-00c0ffee-processor-ecs", "arn:aws:iam::481516234201:role/pennsieve-00c0ffee-processor-ecs"
			r.Tags = map[string]string{provision.TagManagedBy: provision.ManagedByValue, provision.TagComponent: provision.CompProcessorECS, provision.TagNode: "00c0ffee"}
			r.PermissionsBoundary = &inventory.Boundary{ARN: "arn:aws:iam::481516234201:policy/pennsieve-boundary-00c0ffee"}
			r.InstanceProfiles = []string{"gpu"}
			st.Snapshot.Roles = append(st.Snapshot.Roles, r)
			p := st.Snapshot.Policies[0]
			p.Name, p.ARN = "pennsieve-boundary-00c0ffee", "arn:aws:iam::481516234201:policy/pennsieve-boundary-00c0ffee"
			st.Snapshot.Policies = append(st.Snapshot.Policies, p)
			st.PolicyTags[p.ARN] = map[string]string{provision.TagManagedBy: provision.ManagedByValue, provision.TagComponent: provision.CompBoundary, provision.TagNode: "00c0ffee"}
			st.Snapshot.Normalize()
		}, want: map[string]provision.Action{"role pennsieve-00c0ffee-processor-ecs": "delete", "policy pennsieve-boundary-00c0ffee": "delete"},
			steps: strings.Join([]string{
				"RemoveRoleFromInstanceProfile role/pennsieve-00c0ffee-processor-ecs instance-profile/gpu",
				"DeleteRolePolicy role/pennsieve-00c0ffee-processor-ecs inline processor", "DeleteRole role/pennsieve-00c0ffee-processor-ecs",
				"DeletePolicy policy/pennsieve-boundary-00c0ffee"}, "\n")},
		{name: "a boundary still used by a role pvaudit does not manage is blocked", mutate: func(st *provision.State) {
			p := st.Snapshot.Policies[0]
			p.Name, p.ARN = "pennsieve-boundary-00c0ffee", "arn:aws:iam::481516234201:policy/pennsieve-boundary-00c0ffee"
			st.Snapshot.Policies = append(st.Snapshot.Policies, p)
			st.PolicyTags[p.ARN] = map[string]string{provision.TagManagedBy: provision.ManagedByValue, provision.TagComponent: provision.CompBoundary, provision.TagNode: "00c0ffee"}
			r := *st.Snapshot.Role(ecs)
			r.Name, r.ARN, r.Tags = "pennsieve-00c0ffee-orchestrator", "arn:aws:iam::481516234201:role/pennsieve-00c0ffee-orchestrator", nil
			r.PermissionsBoundary = &inventory.Boundary{ARN: p.ARN}
			st.Snapshot.Roles = append(st.Snapshot.Roles, r)
			st.Snapshot.Normalize()
		}, want: map[string]provision.Action{"policy pennsieve-boundary-00c0ffee": "blocked", "role pennsieve-00c0ffee-orchestrator": "left-alone"}, steps: ""},
		{name: "policy tags unknown (a file)", mutate: func(st *provision.State) { st.PolicyTags = nil },
			want: map[string]provision.Action{"policy pennsieve-boundary-7f3a9c21": "unverified", "policy pennsieve-boundary-b24e11d0": "unverified"}, steps: "", incomplete: true},
		{name: "session length unknown", mutate: func(st *provision.State) { st.Snapshot.Role(ecs).MaxSessionDuration = 0 }, steps: "", incomplete: true},
		{name: "coverage gaps", mutate: func(st *provision.State) {
			st.Snapshot.Gaps = []inventory.Gap{{Operation: "iam:ListRoles", Message: "denied"}}
		}, steps: "", incomplete: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := stateOf(t, d)
			tc.mutate(st)
			p := provision.Diff(d, st, c)
			for k, got := range actions(p) {
				want, ok := tc.want[k]
				if !ok {
					want = provision.ActNoOp
				}
				if got != want {
					t.Errorf("%s: %s, want %s", k, got, want)
				}
			}
			for k := range tc.want {
				if _, ok := actions(p)[k]; !ok {
					t.Errorf("%s: missing from the plan", k)
				}
			}
			if got := ops(p); got != tc.steps {
				t.Errorf("steps:\n%s\nwant:\n%s", got, tc.steps)
			}
			if got := len(p.Incomplete) > 0; got != tc.incomplete {
				t.Errorf("incomplete %v (%v), want %v", got, p.Incomplete, tc.incomplete)
			}
			for i, s := range p.Steps {
				if s.Seq != i+1 {
					t.Errorf("step %d has seq %d", i, s.Seq)
				}
			}
		})
	}
}

func TestDiffShowsOnlyTheChange(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "pennsieve")
	d := build(t, "pennsieve", pennsieveParams())
	st := stateOf(t, d)
	r := st.Snapshot.Role("pennsieve-7f3a9c21-processor-lambda")
	r.InlinePolicies[0].Document = doc(t, strings.Replace(d.Role(r.Name).Inline[0].Doc.JSON, `"logs:PutLogEvents"`, `"logs:PutLogEvents","logs:DeleteLogGroup"`, 1))
	p := provision.Diff(d, st, c)
	var lines []string
	for _, ch := range p.Changes {
		for _, det := range ch.Details {
			for _, l := range det.Diff {
				if !strings.HasPrefix(l, "  ") {
					lines = append(lines, l)
				}
			}
		}
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "- ") || strings.TrimSpace(lines[0][2:]) != `"logs:deleteloggroup",` {
		t.Errorf("diff lines %q, want only the removed action", lines)
	}
}

func TestDestroyNode(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "pennsieve")
	d := build(t, "pennsieve", pennsieveParams())
	st := stateOf(t, d)
	p, err := provision.DestroyNode(c, st, "7f3a9c21")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]provision.Action{"role pennsieve-7f3a9c21-processor-ecs": "delete", "role pennsieve-7f3a9c21-processor-lambda": "delete", "policy pennsieve-boundary-7f3a9c21": "delete"}
	if got := actions(p); len(got) != len(want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	for k, v := range want {
		if actions(p)[k] != v {
			t.Errorf("%s: %s, want %s", k, actions(p)[k], v)
		}
	}
	if last := p.Steps[len(p.Steps)-1]; last.Op != "DeletePolicy" {
		t.Errorf("the boundary is not deleted last: %s", ops(p))
	}
	for _, l := range provision.Leftovers(c, st, p, nil, "7f3a9c21") {
		t.Errorf("left after destroying the node: %+v", l)
	}
	if _, err := provision.DestroyNode(c, st, "bad-node"); !errors.Is(err, provision.ErrParams) {
		t.Errorf("a bad node ID: %v", err)
	}
	if _, err := provision.DestroyNode(loadContract(t, "par"), st, "7f3a9c21"); err == nil {
		t.Error("par has no nodes, destroy worked")
	}
}

func TestDeregister(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "pennsieve")
	d := build(t, "pennsieve", pennsieveParams())
	st := stateOf(t, d)
	legacy := *st.Snapshot.Role("pennsieve-7f3a9c21-processor-ecs")
	legacy.Name, legacy.ARN, legacy.Tags, legacy.PermissionsBoundary = "ROLE-481516234201", "arn:aws:iam::481516234201:role/ROLE-481516234201", nil, nil
	st.Snapshot.Roles = append(st.Snapshot.Roles, legacy)
	st.Snapshot.Normalize()

	refused, err := provision.Deregister(c, st, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(refused.Refused, "7f3a9c21") || !strings.Contains(refused.Refused, "b24e11d0") || len(refused.Blockers()) == 0 {
		t.Errorf("refused %q, want both nodes named", refused.Refused)
	}
	forced, err := provision.Deregister(c, st, true)
	if err != nil {
		t.Fatal(err)
	}
	if forced.Refused != "" || ops(forced) != "DeleteRolePolicy role/Pennsieve-Compute-prod-a3f1b20c inline PennsieveComputeAccess\nDeleteRole role/Pennsieve-Compute-prod-a3f1b20c" {
		t.Errorf("forced: refused %q, steps\n%s", forced.Refused, ops(forced))
	}
	kinds := map[string]int{}
	for _, l := range provision.Leftovers(c, st, forced, nil, "") {
		kinds[l.Kind]++
		if l.Name == "Pennsieve-Compute-prod-a3f1b20c" {
			t.Error("the deleted role is a leftover")
		}
	}
	if kinds["boundary-policy"] != 2 || kinds["child-role"] != 4 || kinds["legacy-role"] != 1 {
		t.Errorf("leftovers by kind: %v", kinds)
	}
	// Unmanaged, it is left alone.
	st.Snapshot.Role("Pennsieve-Compute-prod-a3f1b20c").Tags = nil
	p, err := provision.Deregister(c, st, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 0 || actions(p)["role Pennsieve-Compute-prod-a3f1b20c"] != provision.ActLeftAlone {
		t.Errorf("an unmanaged cross-account role: %v %s", actions(p), ops(p))
	}
}

func TestBuildRefuses(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "pennsieve")
	for _, tc := range []struct {
		name   string
		mutate func(*provision.Params)
	}{
		{"no env", func(p *provision.Params) { p.Env = "" }},
		{"provisioner is the account", func(p *provision.Params) { p.ProvisionerAccount = testAccount }},
		{"no external ID", func(p *provision.Params) { p.ExternalID = "" }},
		{"node with a hyphen", func(p *provision.Params) { p.Nodes[0].ID = "a-b" }},
		{"node without a file system", func(p *provision.Params) { p.Nodes[0].FileSystem = "" }},
		{"bad file system", func(p *provision.Params) { p.Nodes[0].FileSystem = "fs-*" }},
		{"duplicate node", func(p *provision.Params) { p.Nodes[1] = p.Nodes[0] }},
		{"bad account", func(p *provision.Params) { p.Account = "1234" }},
		{"wildcard governor", func(p *provision.Params) { p.LLMGovernorARN = "arn:aws:lambda:us-east-1:{account_id}:function:*" }},
		{"too many nodes for one inline policy", func(p *provision.Params) {
			for i := range 12 {
				p.Nodes = append(p.Nodes, provision.Node{ID: "n" + strings.Repeat("0", 6) + string(rune('a'+i)), FileSystem: "fs-0123456789"})
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := pennsieveParams()
			p.Nodes = append([]provision.Node(nil), p.Nodes...)
			tc.mutate(&p)
			if _, err := provision.Build(c, p); err == nil {
				t.Error("built")
			}
		})
	}
	if _, err := provision.Build(loadContract(t, "par"), provision.Params{Account: testAccount, EFSFileSystem: "fs-0123456789"}); err == nil {
		t.Error("par: a file system without an access point was accepted")
	}
}
