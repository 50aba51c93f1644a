package provision_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"gopkg.in/yaml.v3"

	"github.com/pvaudit/pvaudit/provision"
)

// tfAttrs are the attributes the rendered Terraform may refer to, by
// resource type (the AWS provider's exported attributes).
var tfAttrs = map[string][]string{
	"aws_cloudwatch_log_group": {"arn", "name"}, "aws_cloudwatch_log_metric_filter": nil, "aws_cloudwatch_metric_alarm": nil,
	"aws_ecs_cluster": {"id", "name"}, "aws_ecs_service": {"name"}, "aws_ecs_task_definition": {"arn"},
	"aws_efs_file_system_policy": nil, "aws_efs_mount_target": nil, "aws_eip": {"id"}, "aws_flow_log": nil,
	"aws_iam_policy": {"arn"}, "aws_iam_role": {"arn", "name"}, "aws_iam_role_policy": nil, "aws_iam_role_policy_attachment": nil,
	"aws_internet_gateway": {"id"}, "aws_kms_alias": nil, "aws_kms_key": {"arn", "key_id"},
	"aws_lb": {"arn", "arn_suffix", "dns_name"}, "aws_lb_listener": {}, "aws_lb_target_group": {"arn", "arn_suffix"},
	"aws_nat_gateway": {"id"}, "aws_route": nil, "aws_route_table": {"id"}, "aws_route_table_association": nil,
	"aws_security_group": {"id"}, "aws_sns_topic": {"arn"}, "aws_subnet": {"id"}, "aws_vpc": {"id"},
	"aws_vpc_endpoint": {"prefix_list_id"}, "aws_vpc_security_group_egress_rule": nil, "aws_vpc_security_group_ingress_rule": nil,
}

// cfnAttrs are the Fn::GetAtt attributes the CloudFormation template may
// use, by resource type; a type absent here may not appear at all.
var cfnAttrs = map[string][]string{
	"AWS::CloudWatch::Alarm": nil, "AWS::EC2::EIP": {"AllocationId"}, "AWS::EC2::FlowLog": nil, "AWS::EC2::InternetGateway": nil,
	"AWS::EC2::NatGateway": nil, "AWS::EC2::Route": nil, "AWS::EC2::RouteTable": nil, "AWS::EC2::SecurityGroup": {"GroupId"},
	"AWS::EC2::SecurityGroupIngress": nil, "AWS::EC2::Subnet": nil, "AWS::EC2::SubnetRouteTableAssociation": nil, "AWS::EC2::VPC": nil,
	"AWS::EC2::VPCEndpoint": nil, "AWS::EC2::VPCGatewayAttachment": nil, "AWS::ECS::Cluster": nil, "AWS::ECS::Service": {"Name"},
	"AWS::ECS::TaskDefinition": nil, "AWS::EFS::MountTarget": nil, "AWS::ElasticLoadBalancingV2::Listener": nil,
	"AWS::ElasticLoadBalancingV2::LoadBalancer": {"DNSName", "LoadBalancerFullName"}, "AWS::ElasticLoadBalancingV2::TargetGroup": {"TargetGroupFullName"},
	"AWS::IAM::ManagedPolicy": nil, "AWS::IAM::Role": {"Arn"}, "AWS::KMS::Alias": nil, "AWS::KMS::Key": {"Arn"},
	"AWS::Logs::LogGroup": {"Arn"}, "AWS::Logs::MetricFilter": nil, "AWS::SNS::Topic": nil,
}

func networkCases() []renderCase {
	var out []renderCase
	for _, tc := range renderCases() {
		if tc.name != "pennsieve" {
			out = append(out, tc)
		}
	}
	return out
}

// TestRenderedTerraformReferences parses the rendered .tf.json with HCL
// (the JSON syntax for the file, the native template syntax for every
// interpolation) and wants every reference to name a rendered resource
// and an attribute it has, or a declared variable.
func TestRenderedTerraformReferences(t *testing.T) {
	t.Parallel()
	for _, tc := range networkCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, d := desiredFor(t, tc, provision.ManagerTerraform)
			out, err := provision.RenderTerraform(d)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := hcljson.Parse(out, tc.name+".tf.json")
			if diags.HasErrors() {
				t.Fatalf("HCL JSON: %s", diags)
			}
			content, diags := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
				{Type: "resource", LabelNames: []string{"type", "name"}}, {Type: "variable", LabelNames: []string{"name"}},
				{Type: "output", LabelNames: []string{"name"}}, {Type: "terraform"}}})
			if diags.HasErrors() {
				t.Fatalf("top level: %s", diags)
			}
			declared, vars := map[string]string{}, map[string]bool{}
			for _, b := range content.Blocks {
				switch b.Type {
				case "resource":
					if _, known := tfAttrs[b.Labels[0]]; !known {
						t.Errorf("resource type %s is not one the test knows (add it with its attributes)", b.Labels[0])
					}
					declared[b.Labels[0]+"."+b.Labels[1]] = b.Labels[0]
				case "variable":
					vars[b.Labels[0]] = true
				}
			}
			// Every interpolation, anywhere in the document.
			var doc any
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			n := 0
			check := func(tr hcl.Traversal, where string) {
				n++
				root := tr.RootName()
				if root == "var" {
					if len(tr) < 2 || !vars[tr[1].(hcl.TraverseAttr).Name] {
						t.Errorf("%s: undeclared variable in %s", where, traversalText(tr))
					}
					return
				}
				if len(tr) < 2 {
					t.Errorf("%s: reference %s names no resource", where, traversalText(tr))
					return
				}
				name := root + "." + tr[1].(hcl.TraverseAttr).Name
				typ, ok := declared[name]
				switch {
				case !ok:
					t.Errorf("%s: %s is not a rendered resource", where, name)
				case len(tr) < 3:
					if !strings.HasSuffix(where, "depends_on") {
						t.Errorf("%s: reference %s names no attribute", where, name)
					}
				case !slices.Contains(tfAttrs[typ], tr[2].(hcl.TraverseAttr).Name):
					t.Errorf("%s: %s has no attribute %s the test knows", where, typ, tr[2].(hcl.TraverseAttr).Name)
				}
			}
			var walk func(v any, where string)
			walk = func(v any, where string) {
				switch x := v.(type) {
				case map[string]any:
					for k, e := range x {
						walk(e, where+"."+k)
					}
				case []any:
					for _, e := range x {
						if s, ok := e.(string); ok && strings.HasSuffix(where, "depends_on") {
							tr, diags := hclsyntax.ParseTraversalAbs([]byte(s), where, hcl.InitialPos)
							if diags.HasErrors() {
								t.Errorf("%s: %q: %s", where, s, diags)
								continue
							}
							check(tr, where)
							continue
						}
						walk(e, where)
					}
				case string:
					if !strings.Contains(x, "${") {
						return
					}
					expr, diags := hclsyntax.ParseTemplate([]byte(x), where, hcl.InitialPos)
					if diags.HasErrors() {
						t.Errorf("%s: template %q: %s", where, x, diags)
						return
					}
					for _, tr := range expr.Variables() {
						check(tr, where)
					}
				}
			}
			walk(doc, "")
			if n < minRefs(tc) {
				t.Errorf("only %d references checked", n)
			}
			t.Logf("%d resources, %d references", len(declared), n)
		})
	}
}

// minRefs is the least number of references a case's template holds (the
// IAM part alone has a few; every network has dozens).
func minRefs(tc renderCase) int {
	if strings.HasSuffix(tc.name, "basic") {
		return 3
	}
	return 50
}

func traversalText(tr hcl.Traversal) string {
	parts := []string{tr.RootName()}
	for _, s := range tr[1:] {
		if a, ok := s.(hcl.TraverseAttr); ok {
			parts = append(parts, a.Name)
		}
	}
	return strings.Join(parts, ".")
}

// TestRenderedCloudFormationReferences reads the template (both formats)
// and wants known resource types only, every Ref to name a resource or a
// parameter, every Fn::GetAtt an attribute its resource type has, and
// every DependsOn a resource.
func TestRenderedCloudFormationReferences(t *testing.T) {
	t.Parallel()
	for _, tc := range networkCases() {
		for _, format := range []string{"json", "yaml"} {
			t.Run(tc.name+" "+format, func(t *testing.T) {
				t.Parallel()
				_, d := desiredFor(t, tc, provision.ManagerCloudFormation)
				out, err := provision.RenderCloudFormation(d, format)
				if err != nil {
					t.Fatal(err)
				}
				var tpl struct {
					Parameters map[string]any `yaml:"Parameters"`
					Resources  map[string]struct {
						Type       string         `yaml:"Type"`
						DependsOn  []string       `yaml:"DependsOn"`
						Properties map[string]any `yaml:"Properties"`
					} `yaml:"Resources"`
					Outputs map[string]any `yaml:"Outputs"`
				}
				if format == "json" {
					err = json.Unmarshal(out, &tpl)
				} else {
					err = yaml.Unmarshal(out, &tpl)
				}
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				var walk func(v any, where string)
				walk = func(v any, where string) {
					switch x := v.(type) {
					case map[string]any:
						if r, ok := x["Ref"]; ok && len(x) == 1 {
							n++
							id, _ := r.(string)
							_, res := tpl.Resources[id]
							_, par := tpl.Parameters[id]
							if !res && !par && !strings.HasPrefix(id, "AWS::") {
								t.Errorf("%s: Ref %v resolves to nothing", where, r)
							}
							return
						}
						if g, ok := x["Fn::GetAtt"]; ok && len(x) == 1 {
							n++
							l, _ := g.([]any)
							if len(l) != 2 {
								t.Errorf("%s: Fn::GetAtt %v", where, g)
								return
							}
							id, _ := l[0].(string)
							attr, _ := l[1].(string)
							res, ok := tpl.Resources[id]
							switch {
							case !ok:
								t.Errorf("%s: Fn::GetAtt %s: no such resource", where, id)
							case !slices.Contains(cfnAttrs[res.Type], attr):
								t.Errorf("%s: Fn::GetAtt %s.%s: %s has no such attribute the test knows", where, id, attr, res.Type)
							}
							return
						}
						for k, e := range x {
							walk(e, where+"."+k)
						}
					case []any:
						for _, e := range x {
							walk(e, where)
						}
					}
				}
				var ids []string
				for id, r := range tpl.Resources {
					ids = append(ids, id)
					if _, known := cfnAttrs[r.Type]; !known {
						t.Errorf("%s: resource type %s is not one the test knows", id, r.Type)
					}
					for _, dep := range r.DependsOn {
						if _, ok := tpl.Resources[dep]; !ok {
							t.Errorf("%s: DependsOn %s: no such resource", id, dep)
						}
					}
					walk(r.Properties, id)
				}
				for name, o := range tpl.Outputs {
					walk(o, "Outputs."+name)
				}
				sort.Strings(ids)
				if n < minRefs(tc) {
					t.Errorf("only %d references checked", n)
				}
				t.Logf("%d resources, %d references", len(ids), n)
			})
		}
	}
}
