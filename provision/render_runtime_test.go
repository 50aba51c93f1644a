package provision_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/provision"
)

// facts are the properties the runtime checks judge, as a sorted list of
// lines, read either from the rendered Terraform or from Desired.Runtime:
// the two must agree, so the closed-loop tests (which run the checks over
// Desired.Runtime) speak for what is rendered.
func renderedFacts(t *testing.T, tpl []byte) []string {
	t.Helper()
	var f struct {
		Resource map[string]map[string]map[string]any `json:"resource"`
	}
	if err := json.Unmarshal(tpl, &f); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range f.Resource["aws_vpc_endpoint"] {
		out = append(out, fmt.Sprintf("endpoint %s %s", e["vpc_endpoint_type"], e["service_name"]))
	}
	for _, r := range f.Resource["aws_route"] {
		target := "nat"
		if _, ok := r["gateway_id"]; ok {
			target = "igw"
		}
		out = append(out, fmt.Sprintf("route %s %s", r["destination_cidr_block"], target))
	}
	for _, g := range f.Resource["aws_cloudwatch_log_group"] {
		_, kms := g["kms_key_id"]
		out = append(out, fmt.Sprintf("log group %s %v days, kms %v", g["name"], g["retention_in_days"], kms))
	}
	peer := func(r map[string]any) string {
		for _, k := range []string{"cidr_ipv4", "cidr_ipv6"} {
			if v, ok := r[k]; ok {
				return v.(string)
			}
		}
		if _, ok := r["prefix_list_id"]; ok {
			return "prefix-list"
		}
		return "group"
	}
	for kind, typ := range map[string]string{"ingress": "aws_vpc_security_group_ingress_rule", "egress": "aws_vpc_security_group_egress_rule"} {
		for _, r := range f.Resource[typ] {
			out = append(out, fmt.Sprintf("%s %s %v-%v %s", kind, r["ip_protocol"], r["from_port"], r["to_port"], peer(r)))
		}
	}
	out = append(out, fmt.Sprintf("flow logs %d", len(f.Resource["aws_flow_log"])))
	for _, a := range f.Resource["aws_cloudwatch_metric_alarm"] {
		out = append(out, fmt.Sprintf("alarm %s %s/%s %s %v", a["alarm_name"], a["namespace"], a["metric_name"], a["comparison_operator"], a["threshold"]))
	}
	for _, m := range f.Resource["aws_cloudwatch_log_metric_filter"] {
		out = append(out, fmt.Sprintf("metric filter %s %s", m["name"], m["pattern"]))
	}
	sort.Strings(out)
	return out
}

func runtimeFacts(d *provision.Desired) []string {
	var out []string
	rt := d.Runtime()
	if rt == nil {
		return nil
	}
	r := rt.Regions[0]
	for _, e := range r.EC2.VPCEndpoints {
		out = append(out, fmt.Sprintf("endpoint %s %s", e.Type, e.ServiceName))
	}
	for _, t := range r.EC2.RouteTables {
		for _, x := range t.Routes {
			switch {
			case strings.HasPrefix(x.Target, "igw-") && !strings.HasPrefix(t.ID, "rtb-default"):
				out = append(out, fmt.Sprintf("route %s igw", x.Destination))
			case strings.HasPrefix(x.Target, "nat-"):
				out = append(out, fmt.Sprintf("route %s nat", x.Destination))
			}
		}
	}
	for _, g := range r.Logs.LogGroups {
		out = append(out, fmt.Sprintf("log group %s %d days, kms %v", g.Name, g.RetentionDays, g.KMSKeyID != ""))
	}
	for _, g := range r.EC2.SecurityGroups {
		if g.Name == "default" {
			continue // AWS's own
		}
		for i, rules := range [][]provisionRule{toRules(g.Ingress), toRules(g.Egress)} {
			kind := []string{"ingress", "egress"}[i]
			for _, x := range rules {
				out = append(out, fmt.Sprintf("%s %s %s %s", kind, x.proto, x.ports, x.peer))
			}
		}
	}
	out = append(out, fmt.Sprintf("flow logs %d", len(r.EC2.FlowLogs)))
	for _, a := range r.CloudWatch.Alarms {
		out = append(out, fmt.Sprintf("alarm %s %s/%s %s %v", a.Name, a.Namespace, a.MetricName, a.ComparisonOperator, a.Threshold))
	}
	for _, m := range r.Logs.MetricFilters {
		out = append(out, fmt.Sprintf("metric filter %s %s", m.Name, m.Pattern))
	}
	sort.Strings(out)
	return out
}

type provisionRule struct{ proto, ports, peer string }

func toRules(rs []inventory.SGRule) []provisionRule {
	var out []provisionRule
	for _, x := range rs {
		peer := x.CIDR
		switch {
		case x.PrefixList != "":
			peer = "prefix-list"
		case x.Group != "":
			peer = "group"
		}
		ports := fmt.Sprintf("%d-%d", x.FromPort, x.ToPort)
		if x.Protocol == "-1" {
			ports = "<nil>-<nil>"
		}
		out = append(out, provisionRule{x.Protocol, ports, peer})
	}
	return out
}

func TestRenderedTerraformMatchesRuntime(t *testing.T) {
	t.Parallel()
	for _, tc := range networkCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, d := desiredFor(t, tc, provision.ManagerTerraform)
			out, err := provision.RenderTerraform(d)
			if err != nil {
				t.Fatal(err)
			}
			got, want := renderedFacts(t, out), runtimeFacts(d)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the rendered Terraform and Desired.Runtime disagree:\nrendered: %s\nruntime:  %s", strings.Join(got, "\n          "), strings.Join(want, "\n          "))
			}
			if len(got) < minRefs(tc)/3 {
				t.Errorf("only %d facts compared", len(got))
			}
		})
	}
}
