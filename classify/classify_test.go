package classify

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
)

func mustContract(t *testing.T, name string) *contract.Contract {
	t.Helper()
	c, err := contract.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func load(t *testing.T, name string) *inventory.Snapshot {
	t.Helper()
	s, err := inventory.ReadFile(filepath.Join("..", "testdata", "accounts", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		account, contract string
		role              string
		kind              Kind
		node              string
		wantReason        string
	}{
		{"sample.json", "pennsieve", "Pennsieve-Compute-prod-a3f1b20c", CrossAccount, "", "name matches"},
		{"sample.json", "pennsieve", "pennsieve-7f3a9c21-orchestrator", Child, "7f3a9c21", "carries boundary pennsieve-boundary-7f3a9c21"},
		{"sample.json", "pennsieve", "pennsieve-b24e11d0-processor-ecs", Processor, "b24e11d0", "name contains compute node identifier b24e11d0"},
		{"sample.json", "pennsieve", "pennsieve-b24e11d0-processor-ecs", Processor, "b24e11d0", "tagged pennsieve:compute-node=b24e11d0"},
		{"sample.json", "pennsieve", "pennsieve-7f3a9c21-processor-lambda", Processor, "7f3a9c21", "runs customer code"},
		{"sample.json", "pennsieve", "ROLE-481516234201", Legacy, "", "legacy role pattern"},
		{"sample.json", "pennsieve", "AWSServiceRoleForECS", Other, "", "excluded"},
		{"sample.json", "pennsieve", "OrganizationAccountAccessRole", Other, "", ""},
		{"sample.json", "pennsieve", "github-actions-deploy", Other, "", ""},
		{"par-compliant.json", "par", "pixell-agent-runtime-task-role", PARTask, "", "PAR task role"},
		{"par-compliant.json", "par", "pixell-agent-runtime-execution-role", PARExecution, "", "PAR execution role"},
		{"par-sample.json", "par", "ROLE-481516234201", Legacy, "", "legacy role pattern"},
	}
	for _, tc := range tests {
		t.Run(tc.account+"/"+tc.role+"/"+tc.wantReason, func(t *testing.T) {
			t.Parallel()
			res := Classify(load(t, tc.account), mustContract(t, tc.contract), Options{})
			rc, ok := res.Find(tc.role)
			if !ok {
				t.Fatalf("role %s not classified", tc.role)
			}
			if rc.Kind != tc.kind || rc.NodeID != tc.node {
				t.Errorf("kind/node = %s/%q, want %s/%q (reasons %v)", rc.Kind, rc.NodeID, tc.kind, tc.node, rc.Reasons)
			}
			if tc.wantReason != "" && !slices.ContainsFunc(rc.Reasons, func(r string) bool { return strings.Contains(r, tc.wantReason) }) {
				t.Errorf("reasons %v lack %q", rc.Reasons, tc.wantReason)
			}
			if tc.kind == Other && tc.wantReason == "" && len(rc.Reasons) > 0 {
				t.Errorf("unexpected reasons for an other role: %v", rc.Reasons)
			}
		})
	}
}

func TestNodeIDs(t *testing.T) {
	t.Parallel()
	c := mustContract(t, "pennsieve")
	res := Classify(load(t, "sample.json"), c, Options{})
	if got, want := res.NodeIDs, []string{"7f3a9c21", "b24e11d0"}; !slices.Equal(got, want) {
		t.Errorf("node IDs = %v, want %v", got, want)
	}
	c.Parameters.NodeIDs = []string{"0000aaaa", "7f3a9c21"}
	res = Classify(load(t, "sample.json"), c, Options{})
	if got, want := res.NodeIDs, []string{"0000aaaa", "7f3a9c21", "b24e11d0"}; !slices.Equal(got, want) {
		t.Errorf("node IDs with the node_ids parameter = %v, want %v", got, want)
	}
	if got := len(res.Children()); got == 0 {
		t.Error("no child roles")
	}
	for _, rc := range res.Children() {
		if !rc.Kind.IsChild() || !rc.Kind.Provider() {
			t.Errorf("%s: kind %s in Children()", rc.Role.Name, rc.Kind)
		}
	}
}

// TestClassifyProviderCreated: CloudTrail's word that the provider created a
// role makes it a child role, whatever its name, path or boundary.
func TestClassifyProviderCreated(t *testing.T) {
	t.Parallel()
	snap := load(t, "sample.json")
	created := map[string]string{
		"lab-notebook-sagemaker":          "CreateRole under session ASIAX at 2026-11-20T09:03:40Z",
		"AWSServiceRoleForECS":            "CreateRole under session ASIAX at 2026-11-20T09:04:00Z",
		"pennsieve-7f3a9c21-orchestrator": "CreateRole under session ASIAX at 2026-11-20T09:02:00Z",
	}
	tests := []struct {
		role    string
		created map[string]string
		kind    Kind
		reasons int
	}{
		{"lab-notebook-sagemaker", nil, Other, 0},
		{"lab-notebook-sagemaker", created, Child, 1},
		{"AWSServiceRoleForECS", created, Child, 2}, // excluded path, but the trail says so
		{"pennsieve-7f3a9c21-orchestrator", created, Child, 4},
		{"github-actions-deploy", created, Other, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/trail=%v", tc.role, tc.created != nil), func(t *testing.T) {
			t.Parallel()
			res := Classify(snap, mustContract(t, "pennsieve"), Options{ProviderCreated: tc.created})
			rc, ok := res.Find(tc.role)
			if !ok {
				t.Fatalf("role %s not classified", tc.role)
			}
			if rc.Kind != tc.kind || len(rc.Reasons) != tc.reasons {
				t.Errorf("kind %s reasons %v, want %s with %d reason(s)", rc.Kind, rc.Reasons, tc.kind, tc.reasons)
			}
			if tc.kind == Child && !slices.ContainsFunc(rc.Reasons, func(r string) bool {
				return strings.HasPrefix(r, "created by the provider: CreateRole under session ASIAX")
			}) {
				t.Errorf("reasons %v lack the CloudTrail evidence", rc.Reasons)
			}
		})
	}
}
