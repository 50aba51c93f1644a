package contract

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	vars := Parameters{ProvisionerAccountID: "941377122013", LLMGovernorFunctionARN: "arn:aws:lambda:*:{account_id}:function:pennsieve-{node_id}-llm-governor"}.
		Vars(map[string]string{"account_id": "481516234201", "node_id": "7f3a9c21"})
	tests := []struct {
		name, in, want string
		wantUnset      bool
	}{
		{"plain", "arn:aws:iam::{provisioner_account_id}:root", "arn:aws:iam::941377122013:root", false},
		{"nested", "{llm_governor_function_arn}", "arn:aws:lambda:*:481516234201:function:pennsieve-7f3a9c21-llm-governor", false},
		{"no template", "arn:aws:s3:::bucket", "arn:aws:s3:::bucket", false},
		{"unset", "arn:aws:s3:::{workflow_bucket}/*", "", true},
		{"unknown", "{nope}", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Expand(tc.in, vars)
			if tc.wantUnset {
				if !errors.Is(err, ErrUnsetParameter) {
					t.Errorf("Expand(%q) error = %v, want ErrUnsetParameter", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParametersMerge(t *testing.T) {
	t.Parallel()
	def := Parameters{PackageBucket: "pixell-agent-packages", Env: "prod"}
	cfg := Parameters{PackageBucket: "cfg-bucket", NodeIDs: []string{"a"}}
	flags := Parameters{Env: "dev"}
	got := def.Merge(cfg).Merge(flags)
	if got.PackageBucket != "cfg-bucket" || got.Env != "dev" || !slices.Equal(got.NodeIDs, []string{"a"}) {
		t.Errorf("merge = %+v, want package bucket from config, env from flags, node IDs from config", got)
	}
}

func TestRulesValidation(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, yaml, want string }{
		{"bad provisioner", "name: x\nparameters: {provisioner_account_id: '12'}\n", "12-digit"},
		{"bucket as ARN", "name: x\nparameters: {workflow_bucket: 'arn:aws:s3:::b'}\n", "bucket name"},
		{"session too long", "name: x\ncross_account_role: {name_pattern: a, max_session_duration: 50000}\n", "43200"},
		{"duplicate prefix", "name: x\nallowed_services: [{name: A, prefixes: [s3]}, {name: B, prefixes: [S3]}]\n", "already belongs"},
		{"service without prefixes", "name: x\nallowed_services: [{name: A}]\n", "needs name and prefixes"},
		{"forbidden also allowed", "name: x\nallowed_services: [{name: S3, prefixes: [s3]}]\nforbidden: {services: [s3]}\n", "also an allowed"},
		{"probe with wildcard", "name: x\nservice_probes: ['s3:Get*']\n", "concrete action"},
		{"grant without service", "name: x\nprocessor_roles: {allowed: [{action: GetObject, resource: '*'}]}\n", "service:Action"},
		{"grant without resource", "name: x\nprocessor_roles: {allowed: [{action: 's3:GetObject'}]}\n", "no resource"},
		{"par role without names", "name: x\npar: {task_role: {trusted_services: [a]}, execution_role: {name_patterns: [b]}}\n", "par.task_role.name_patterns"},
		{"probe outside family", "name: x\npar: {task_role: {name_patterns: [a], forbidden: [{pattern: 'ecs:*', probe: 'rds:ListTasks'}]}, execution_role: {name_patterns: [b]}}\n", "not in family"},
		{"denied probe without resource", "name: x\npar: {task_role: {name_patterns: [a], denied_probes: ['s3:GetObject']}, execution_role: {name_patterns: [b]}}\n", "ACTION RESOURCE"},
		{"bad user pattern", "name: x\naccount: {provider_user_patterns: ['(']}\n", "provider_user_patterns"},
		{"unknown nested key", "name: x\npar: {task_role: {name_pattern: [a]}}\n", "name_pattern"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.yaml), "c.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestBuiltinPromises pins the values the documents state.
func TestBuiltinPromises(t *testing.T) {
	t.Parallel()
	p, err := Load("pennsieve")
	if err != nil {
		t.Fatal(err)
	}
	if p.CrossAccountRole.MaxSessionDuration != 3600 || !p.CrossAccountRole.RequireExternalID {
		t.Errorf("pennsieve: max session %d, require external ID %v; want 3600, true", p.CrossAccountRole.MaxSessionDuration, p.CrossAccountRole.RequireExternalID)
	}
	for _, svc := range []string{"ecs", "lambda", "states", "elasticfilesystem", "s3", "ec2", "logs", "iam", "kms", "secretsmanager", "dynamodb", "ssm", "autoscaling"} {
		if _, ok := p.AllowsService(svc); !ok {
			t.Errorf("pennsieve does not allow documented service %s", svc)
		}
	}
	for _, svc := range []string{"rds", "sqs", "sns", "route53", "cloudfront"} {
		if _, ok := p.AllowsService(svc); ok || !slices.Contains(p.Forbidden.Services, svc) {
			t.Errorf("pennsieve: %s should be forbidden and not allowed", svc)
		}
	}
	if got := p.Boundary.ARNPattern("481516234201"); got != "arn:aws:iam::481516234201:policy/pennsieve-boundary-*" {
		t.Errorf("boundary ARN pattern = %q", got)
	}
	if !p.ProcessorRoles.IsProcessor("pennsieve-7f3a9c21-processor-ecs") || p.ProcessorRoles.IsProcessor("pennsieve-7f3a9c21-orchestrator") {
		t.Error("processor recognition is wrong")
	}
	if why, ok := p.Account.IsProviderUser("Pennsieve-CI", "/", nil); !ok || why == "" {
		t.Error("a user named Pennsieve-CI is not recognised as the provider's")
	}
	res, err := p.Account.LegacyRoleRE("481516234201")
	if err != nil || !slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString("ROLE-481516234201") }) {
		t.Errorf("legacy pattern does not match ROLE-481516234201 (%v)", err)
	}
	par, err := Load("par")
	if err != nil {
		t.Fatal(err)
	}
	if par.PAR == nil || !par.PAR.TaskRole.Matches("pixell-agent-runtime-task-role") || !par.PAR.ExecutionRole.Matches("pixell-agent-runtime-execution-role") {
		t.Fatal("par contract does not recognise the documented role names")
	}
	if par.Parameters.PackageBucket != "pixell-agent-packages" {
		t.Errorf("par package bucket = %q", par.Parameters.PackageBucket)
	}
	var fams []string
	for _, f := range par.PAR.TaskRole.Forbidden {
		fams = append(fams, f.Pattern)
	}
	if want := []string{"ecs:*", "elasticloadbalancing:*", "servicediscovery:*", "dynamodb:*", "dax:*", "rds:*", "rds-data:*", "rds-db:*", "iam:*"}; !slices.Equal(fams, want) {
		t.Errorf("forbidden families = %v, want %v", fams, want)
	}
}
