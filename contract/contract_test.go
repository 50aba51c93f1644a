package contract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuiltinsLoad loads every shipped contract.
func TestBuiltinsLoad(t *testing.T) {
	t.Parallel()
	names := Names()
	if len(names) < 2 {
		t.Fatalf("built-in contracts = %v, want at least pennsieve and par", names)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			c, err := Load(n)
			if err != nil {
				t.Fatalf("Load(%s): %v", n, err)
			}
			if c.Name != n {
				t.Errorf("contract in %s.yaml is named %q", n, c.Name)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "empty contract"},
		{"unknown key", "name: x\ncross_acount_role: {}\n", "cross_acount_role"},
		{"no name", "title: x\n", "no name"},
		{"bad regexp", "name: x\ncross_account_role: {name_pattern: '('}\n", "name_pattern"},
		{"boundary without star", "name: x\nboundary: {name_pattern: pennsieve-boundary}\n", "exactly one '*'"},
		{"by_boundary without pattern", "name: x\nchild_roles: {by_boundary: true}\n", "by_boundary"},
		{"wrong type", "name: [1]\n", "c.yaml:1:7: expected a single value for name"},
		{"second document", "name: x\n---\nname: y\n", "c.yaml:2:1: a second YAML document"},
		{"duplicate key", "name: x\ntitle: t\nname: y\n", `c.yaml:3:1: key "name" given twice`},
		{"typo", "name: x\ncross_account_rol: {}\n", `c.yaml:2:1: unknown key "cross_account_rol" (did you mean "cross_account_role"?)`},
		{"nested typo", "name: x\ncross_account_role:\n  name_patern: a\n", `c.yaml:3:3: unknown key "name_patern" in cross_account_role (did you mean "name_pattern"?)`},
		{"bad deployment mode", "name: x\nparameters: {deployment_mode: hipaa}\n", `deployment_mode "hipaa" is not a deployment mode`},
		{"deployment without mode tags", "name: x\ndeployment: {node_tag_keys: [a]}\n", "mode_tag_keys"},
		{"node pattern without node", "name: x\ndeployment: {mode_tag_keys: [m], node_name_patterns: ['pennsieve-*']}\n", "does not contain {node_id}"},
		{"alarm scope", "name: x\npar:\n  task_role: {name_patterns: [t]}\n  execution_role: {name_patterns: [e]}\n  runtime: {log_group: g, retention_days: 30, alarms: [{id: a, text: t, above: 1, signals: [{name: s, metrics: [{namespace: AWS/ECS, name: CPUUtilization, scope: cluster}]}]}]}\n", `unknown scope "cluster"`},
		{"alarm without signal source", "name: x\npar:\n  task_role: {name_patterns: [t]}\n  execution_role: {name_patterns: [e]}\n  runtime: {log_group: g, alarms: [{id: a, text: t, signals: [{name: s}]}]}\n", "needs a name and log_patterns or metrics"},
		{"network row with actions", "name: x\nscenarios: [{id: r, section: s, text: t, principal: processor, network: internet-egress, actions: [s3:GetObject], expect: denied}]\n", "has no actions"},
		{"unknown network question", "name: x\nscenarios: [{id: r, section: s, text: t, principal: processor, network: dns, expect: denied}]\n", `network "dns"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.yaml), "c.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "c.yaml") {
				t.Errorf("Parse error = %v, want one naming c.yaml and containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "mine.yaml")
	src, _ := Builtin("pennsieve")
	if err := os.WriteFile(p, []byte(strings.Replace(string(src), "name: pennsieve", "name: mine", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil || c.Name != "mine" {
		t.Fatalf("Load(file) = %v, %v", c, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestMatchers(t *testing.T) {
	t.Parallel()
	c, err := Load("pennsieve")
	if err != nil {
		t.Fatal(err)
	}
	roles := []struct {
		name string
		want bool
	}{
		{"Pennsieve-Compute-dev-a3f1b20c", true},
		{"Pennsieve-Compute-prod-a3f1b20c", true},
		{"Pennsieve-Compute-dev", false},
		{"pennsieve-compute-dev-a3f1b20c", false},
		{"Pennsieve-Compute-dev-a3f1b20c-extra", false},
	}
	for _, tc := range roles {
		if got := c.IsCrossAccountRole(tc.name); got != tc.want {
			t.Errorf("IsCrossAccountRole(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	nodes := []struct {
		policy, id string
		ok         bool
	}{
		{"pennsieve-boundary-7f3a9c21", "7f3a9c21", true},
		{"pennsieve-boundary-", "", false},
		{"other-boundary-7f3a9c21", "", false},
	}
	for _, tc := range nodes {
		if id, ok := c.BoundaryNodeID(tc.policy); id != tc.id || ok != tc.ok {
			t.Errorf("BoundaryNodeID(%q) = %q, %v; want %q, %v", tc.policy, id, ok, tc.id, tc.ok)
		}
	}
	globs := []struct {
		pattern, s string
		want       bool
	}{
		{"pennsieve-*", "pennsieve-x", true},
		{"pennsieve-*", "Pennsieve-x", false},
		{"*-boundary-?", "a-boundary-1", true},
		{"*-boundary-?", "a-boundary-12", false},
		{"*", "", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
	}
	for _, tc := range globs {
		if got := Glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
