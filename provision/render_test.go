package provision_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/provision"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/render")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "render", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./provision -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./provision -update, then review the diff)", path)
	}
}

type renderCase struct {
	name, contract string
	params         provision.Params
}

func renderCases() []renderCase {
	return []renderCase{
		{"pennsieve", "pennsieve", pennsieveParams()},
		{"pennsieve-basic", "pennsieve", withMode(contract.ModeBasic)},
		{"pennsieve-secure", "pennsieve", withMode(contract.ModeSecure)},
		{"pennsieve-compliant", "pennsieve", withMode(contract.ModeCompliant)},
		{"par", "par", provision.Params{Account: testAccount, Region: "us-east-2", EFSFileSystem: "fs-0123456789abcdef0", EFSAccessPoint: "fsap-0123456789abcdef0"}},
	}
}

func withMode(m string) provision.Params {
	p := pennsieveParams()
	p.DeploymentMode = m
	return p
}

func desiredFor(t *testing.T, tc renderCase, manager string) (*contract.Contract, *provision.Desired) {
	t.Helper()
	c := loadContract(t, tc.contract)
	c.Parameters = c.Parameters.Merge(contract.Parameters{ProvisionerAccountID: tc.params.ProvisionerAccount, ExternalID: tc.params.ExternalID,
		Env: tc.params.Env, WorkflowBucket: tc.params.WorkflowBucket})
	p := tc.params
	p.Manager = manager
	d, err := provision.Build(c, p)
	if err != nil {
		t.Fatal(err)
	}
	return c, d
}

// documents are every document apply sends for d.
func documents(d *provision.Desired) []string {
	var out []string
	for _, p := range d.Policies {
		out = append(out, p.Doc.JSON)
	}
	for _, r := range d.Roles {
		out = append(out, r.Trust.JSON)
		for _, in := range r.Inline {
			out = append(out, in.Doc.JSON)
		}
	}
	return out
}

func TestRenderTerraform(t *testing.T) {
	t.Parallel()
	for _, tc := range renderCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, d := desiredFor(t, tc, provision.ManagerTerraform)
			out, err := provision.RenderTerraform(d)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".tf.json", out)
			snap, strs := snapshotFromTerraform(t, out, d.Account)
			for _, want := range documents(d) {
				if !strs[want] {
					t.Errorf("the template lacks, byte for byte, the document %s", want)
				}
			}
			scanClean(t, c, snap)
		})
	}
}

func TestRenderCloudFormation(t *testing.T) {
	t.Parallel()
	for _, tc := range renderCases() {
		for _, format := range []string{"yaml", "json"} {
			t.Run(tc.name+" "+format, func(t *testing.T) {
				t.Parallel()
				c, d := desiredFor(t, tc, provision.ManagerCloudFormation)
				out, err := provision.RenderCloudFormation(d, format)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, tc.name+".cfn."+format, out)
				for _, want := range documents(d) {
					if !bytes.Contains(out, []byte(want)) {
						t.Errorf("the template lacks, byte for byte, the document %s", want)
					}
				}
				scanClean(t, c, snapshotFromCloudFormation(t, out, d.Account))
			})
		}
	}
	if _, err := provision.RenderCloudFormation(&provision.Desired{}, "xml"); err == nil {
		t.Error("format xml accepted")
	}
}

// ---- the converters: a rendered template back into a snapshot ----------

func parseDoc(t *testing.T, v any) *policy.Document {
	t.Helper()
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	default:
		var err error
		if b, err = json.Marshal(x); err != nil {
			t.Fatal(err)
		}
	}
	d, err := policy.Parse(b)
	if err != nil {
		t.Fatalf("document in the template: %v", err)
	}
	return d
}

var at = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func managedPolicy(name, path, arn string, doc *policy.Document) inventory.ManagedPolicy {
	return inventory.ManagedPolicy{Name: name, ARN: arn, Path: path, DefaultVersionID: "v1", IsAttachable: true, CreateDate: at, UpdateDate: at,
		Versions: []inventory.PolicyVersion{{VersionID: "v1", IsDefault: true, CreateDate: at, Document: doc}}}
}

// addAWSManaged adds the AWS managed policies the roles attach (the one
// the PAR execution role uses), as an account has them.
func addAWSManaged(t *testing.T, s *inventory.Snapshot) {
	for _, r := range s.Roles {
		for _, a := range r.AttachedPolicies {
			if s.Policy(a.ARN) == nil {
				s.Policies = append(s.Policies, managedPolicy(a.Name, "/service-role/", a.ARN, parseDoc(t, ecsExecDoc)))
			}
		}
	}
	for i := range s.Policies {
		for _, r := range s.Roles {
			if r.PermissionsBoundary != nil && r.PermissionsBoundary.ARN == s.Policies[i].ARN {
				s.Policies[i].PermissionsBoundaryUsageCount++
			}
		}
	}
	s.Normalize()
}

func snapshotFromTerraform(t *testing.T, tpl []byte, account string) (*inventory.Snapshot, map[string]bool) {
	t.Helper()
	var f struct {
		Resource map[string]map[string]map[string]any `json:"resource"`
	}
	if err := json.Unmarshal(tpl, &f); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	strs := map[string]bool{}
	s := &inventory.Snapshot{AccountID: account, Source: "snapshot"}
	ref := map[string]string{}
	for id, p := range f.Resource["aws_iam_policy"] {
		arn := "arn:aws:iam::" + account + ":policy" + p["path"].(string) + p["name"].(string)
		ref["${aws_iam_policy."+id+".arn}"] = arn
		strs[p["policy"].(string)] = true
		s.Policies = append(s.Policies, managedPolicy(p["name"].(string), p["path"].(string), arn, parseDoc(t, p["policy"])))
	}
	roles := map[string]*inventory.Role{}
	for id, r := range f.Resource["aws_iam_role"] {
		ir := &inventory.Role{Name: r["name"].(string), Path: r["path"].(string), CreateDate: at, ID: "AROA" + strings.ToUpper(id[:6]),
			MaxSessionDuration: int(r["max_session_duration"].(float64)), TrustPolicy: parseDoc(t, r["assume_role_policy"]), Tags: map[string]string{}}
		strs[r["assume_role_policy"].(string)] = true
		ir.ARN = "arn:aws:iam::" + account + ":role" + ir.Path + ir.Name
		if b, ok := r["permissions_boundary"].(string); ok {
			if v, ok := ref[b]; ok {
				b = v
			}
			ir.PermissionsBoundary = &inventory.Boundary{ARN: b, Type: "PermissionsBoundaryPolicy"}
		}
		for k, v := range r["tags"].(map[string]any) {
			ir.Tags[k] = v.(string)
		}
		roles["${aws_iam_role."+id+".name}"] = ir
	}
	for _, p := range f.Resource["aws_iam_role_policy"] {
		r := roles[p["role"].(string)]
		strs[p["policy"].(string)] = true
		r.InlinePolicies = append(r.InlinePolicies, inventory.InlinePolicy{Name: p["name"].(string), Document: parseDoc(t, p["policy"])})
	}
	for _, a := range f.Resource["aws_iam_role_policy_attachment"] {
		r := roles[a["role"].(string)]
		arn := a["policy_arn"].(string)
		r.AttachedPolicies = append(r.AttachedPolicies, inventory.AttachedPolicy{Name: arn[strings.LastIndex(arn, "/")+1:], ARN: arn})
	}
	for _, r := range roles {
		s.Roles = append(s.Roles, *r)
	}
	addAWSManaged(t, s)
	return s, strs
}

func snapshotFromCloudFormation(t *testing.T, tpl []byte, account string) *inventory.Snapshot {
	t.Helper()
	var f struct {
		Resources map[string]struct {
			Type       string         `yaml:"Type"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	// YAML is a superset of JSON: one decoder reads both forms.
	if err := yaml.Unmarshal(tpl, &f); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	s := &inventory.Snapshot{AccountID: account, Source: "snapshot"}
	ref := map[string]string{}
	for id, res := range f.Resources {
		if res.Type != "AWS::IAM::ManagedPolicy" {
			continue
		}
		p := res.Properties
		arn := "arn:aws:iam::" + account + ":policy" + p["Path"].(string) + p["ManagedPolicyName"].(string)
		ref[id] = arn
		s.Policies = append(s.Policies, managedPolicy(p["ManagedPolicyName"].(string), p["Path"].(string), arn, parseDoc(t, p["PolicyDocument"])))
	}
	for id, res := range f.Resources {
		if res.Type != "AWS::IAM::Role" {
			continue
		}
		p := res.Properties
		r := inventory.Role{Name: p["RoleName"].(string), Path: p["Path"].(string), CreateDate: at, ID: "AROA" + strings.ToUpper(id[:6]),
			MaxSessionDuration: p["MaxSessionDuration"].(int), TrustPolicy: parseDoc(t, p["AssumeRolePolicyDocument"]), Tags: map[string]string{}}
		r.ARN = "arn:aws:iam::" + account + ":role" + r.Path + r.Name
		switch b := p["PermissionsBoundary"].(type) {
		case map[string]any:
			r.PermissionsBoundary = &inventory.Boundary{ARN: ref[b["Ref"].(string)], Type: "PermissionsBoundaryPolicy"}
		case string:
			r.PermissionsBoundary = &inventory.Boundary{ARN: b, Type: "PermissionsBoundaryPolicy"}
		}
		pols, _ := p["Policies"].([]any)
		for _, x := range pols {
			in := x.(map[string]any)
			r.InlinePolicies = append(r.InlinePolicies, inventory.InlinePolicy{Name: in["PolicyName"].(string), Document: parseDoc(t, in["PolicyDocument"])})
		}
		arns, _ := p["ManagedPolicyArns"].([]any)
		for _, a := range arns {
			arn := a.(string)
			r.AttachedPolicies = append(r.AttachedPolicies, inventory.AttachedPolicy{Name: arn[strings.LastIndex(arn, "/")+1:], ARN: arn})
		}
		tags, _ := p["Tags"].([]any)
		for _, x := range tags {
			tg := x.(map[string]any)
			r.Tags[tg["Key"].(string)] = tg["Value"].(string)
		}
		s.Roles = append(s.Roles, r)
	}
	addAWSManaged(t, s)
	return s
}
