package inventory

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/pvaudit/pvaudit/internal/strictjson"
)

// runtime decodes the own format's "runtime" object strictly (unknown keys,
// wrong types and duplicate keys are errors, as everywhere) and validates
// what the shapes cannot: region names, resource IDs of the right kind,
// CIDRs, one peer per security group rule, each ID given once.
func (d *decoder) runtime(f field, account string) (*Runtime, error) {
	if f.Kind() != strictjson.Object {
		return nil, d.errAt(f.Offset(), "runtime", fmt.Errorf("expected a JSON object, got %s", f.Kind()))
	}
	type header struct {
		Regions docSpan    `json:"regions"`
		S3      *S3Buckets `json:"s3"`
	}
	var h header
	if err := d.strict(f.Value, "runtime", &h); err != nil {
		return nil, err
	}
	rt := &Runtime{S3: h.S3}
	seen := map[string]bool{}
	err := d.elements(field{Value: fieldValue(f.Value, "regions")}, "runtime.regions", func(i int, el strictjson.Value) error {
		where := fmt.Sprintf("runtime.regions[%d]%s", i, nameHint(el, "region"))
		var r RegionRuntime
		if err := d.strict(el, where, &r); err != nil {
			return err
		}
		v := &rtValidator{d: d, el: el, where: where, account: account}
		if !regionRE.MatchString(r.Region) {
			return v.fail([]any{"region"}, "%q is not an AWS region name", r.Region)
		}
		if seen[r.Region] {
			return v.fail([]any{"region"}, "region %s given twice", r.Region)
		}
		seen[r.Region] = true
		if err := v.region(&r); err != nil {
			return err
		}
		rt.Regions = append(rt.Regions, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rt.Regions == nil {
		rt.Regions = []RegionRuntime{}
	}
	return rt, nil
}

var (
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	// idREs are the formats of EC2 and EFS resource IDs: a prefix and
	// hexadecimal digits (read-only).
	idREs = func() map[string]*regexp.Regexp {
		m := map[string]*regexp.Regexp{}
		for _, p := range []string{"vpc", "subnet", "rtb", "igw", "eigw", "nat", "pcx", "tgw", "tgw-attach", "tgw-rtb", "vpce", "fl", "sg", "acl", "fs", "fsmt", "fsap"} {
			m[p] = regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `-[0-9a-f]{8,17}$`)
		}
		return m
	}()
)

// rtValidator checks one region's sections; errors point at the offending
// value through its path from the region element.
type rtValidator struct {
	d       *decoder
	el      strictjson.Value
	where   string
	account string
}

// at walks path (keys and indexes) from the region element and returns the
// offset of the value it reaches, or of the last value found.
func (v *rtValidator) at(path []any) int64 {
	cur := v.el
	for _, p := range path {
		var next strictjson.Value
		switch k := p.(type) {
		case string:
			next = fieldValue(cur, k)
		case int:
			if el := cur.Elements(); k < len(el) {
				next = el[k]
			}
		}
		if next.Kind() == strictjson.Invalid {
			break
		}
		cur = next
	}
	return cur.Offset()
}

func (v *rtValidator) fail(path []any, format string, args ...any) error {
	return v.d.errAt(v.at(path), v.where, fmt.Errorf(format, args...))
}

// ids checks that each id has its EC2 prefix and is given once.
func (v *rtValidator) ids(section, list, key, prefix string, ids []string) error {
	seen := map[string]bool{}
	re := idREs[prefix]
	for i, id := range ids {
		path := []any{section, list, i, key}
		if re != nil && !re.MatchString(id) {
			return v.fail(path, "%s %q is not a %s- ID", strings.TrimSuffix(list, "s"), id, prefix)
		}
		if id == "" {
			return v.fail(path, "%s has no %s", strings.TrimSuffix(list, "s"), key)
		}
		if seen[id] {
			return v.fail(path, "%s %s given twice", strings.TrimSuffix(list, "s"), id)
		}
		seen[id] = true
	}
	return nil
}

func (v *rtValidator) cidr(path []any, s string) error {
	if _, err := netip.ParsePrefix(s); err != nil {
		return v.fail(path, "%q is not a CIDR block", s)
	}
	return nil
}

func collect[T any](s []T, f func(T) string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = f(x)
	}
	return out
}

func (v *rtValidator) region(r *RegionRuntime) error {
	if e := r.EC2; e != nil {
		if err := v.ec2(e); err != nil {
			return err
		}
	}
	if l := r.Logs; l != nil {
		if err := v.ids("logs", "log_groups", "name", "", collect(l.LogGroups, func(g LogGroup) string { return g.Name })); err != nil {
			return err
		}
		for i, g := range l.LogGroups {
			if g.RetentionDays < 0 {
				return v.fail([]any{"logs", "log_groups", i, "retention_days"}, "retention of %d days", g.RetentionDays)
			}
		}
	}
	if c := r.CloudWatch; c != nil {
		if err := v.ids("cloudwatch", "alarms", "name", "", collect(c.Alarms, func(a Alarm) string { return a.Name })); err != nil {
			return err
		}
	}
	if s := r.StepFunctions; s != nil {
		if err := v.arns("step_functions", "state_machines", "states", collect(s.StateMachines, func(m StateMachine) string { return m.ARN })); err != nil {
			return err
		}
	}
	if f := r.EFS; f != nil {
		if err := v.ids("efs", "file_systems", "id", "fs", collect(f.FileSystems, func(x FileSystem) string { return x.ID })); err != nil {
			return err
		}
		if err := v.ids("efs", "mount_targets", "id", "fsmt", collect(f.MountTargets, func(x MountTarget) string { return x.ID })); err != nil {
			return err
		}
		if err := v.ids("efs", "access_points", "id", "fsap", collect(f.AccessPoints, func(x EFSAccessPoint) string { return x.ID })); err != nil {
			return err
		}
	}
	if l := r.Lambda; l != nil {
		if err := v.arns("lambda", "functions", "lambda", collect(l.Functions, func(x Function) string { return x.ARN })); err != nil {
			return err
		}
	}
	if e := r.ECS; e != nil {
		for _, l := range []struct {
			list string
			arns []string
		}{
			{"clusters", collect(e.Clusters, func(x ECSCluster) string { return x.ARN })},
			{"services", collect(e.Services, func(x ECSService) string { return x.ARN })},
			{"task_definitions", collect(e.TaskDefinitions, func(x ECSTaskDefinition) string { return x.ARN })},
		} {
			if err := v.arns("ecs", l.list, "ecs", l.arns); err != nil {
				return err
			}
		}
	}
	if b := r.ELB; b != nil {
		if err := v.arns("elb", "load_balancers", "elasticloadbalancing", collect(b.LoadBalancers, func(x LoadBalancer) string { return x.ARN })); err != nil {
			return err
		}
		if err := v.arns("elb", "target_groups", "elasticloadbalancing", collect(b.TargetGroups, func(x TargetGroup) string { return x.ARN })); err != nil {
			return err
		}
	}
	return nil
}

// arns checks that each ARN is of the service and given once.
func (v *rtValidator) arns(section, list, service string, arns []string) error {
	seen := map[string]bool{}
	for i, a := range arns {
		path := []any{section, list, i, "arn"}
		f := strings.SplitN(a, ":", 6)
		if len(f) != 6 || f[0] != "arn" || f[2] != service {
			return v.fail(path, "%q is not an arn:…:%s: ARN", a, service)
		}
		if seen[a] {
			return v.fail(path, "%s given twice", a)
		}
		seen[a] = true
	}
	return nil
}

func (v *rtValidator) ec2(e *EC2) error {
	checks := []struct {
		list, prefix string
		ids          []string
	}{
		{"vpcs", "vpc", collect(e.VPCs, func(x VPC) string { return x.ID })},
		{"subnets", "subnet", collect(e.Subnets, func(x Subnet) string { return x.ID })},
		{"route_tables", "rtb", collect(e.RouteTables, func(x RouteTable) string { return x.ID })},
		{"internet_gateways", "igw", collect(e.InternetGateways, func(x InternetGateway) string { return x.ID })},
		{"egress_only_internet_gateways", "eigw", collect(e.EgressOnlyInternetGateways, func(x InternetGateway) string { return x.ID })},
		{"nat_gateways", "nat", collect(e.NATGateways, func(x NATGateway) string { return x.ID })},
		{"peering_connections", "pcx", collect(e.PeeringConnections, func(x PeeringConnection) string { return x.ID })},
		{"transit_gateway_attachments", "tgw-attach", collect(e.TransitGatewayAttachments, func(x TransitGatewayAttach) string { return x.ID })},
		{"transit_gateway_route_tables", "tgw-rtb", collect(e.TransitGatewayRouteTables, func(x TransitGatewayRouteTb) string { return x.ID })},
		{"vpc_endpoints", "vpce", collect(e.VPCEndpoints, func(x VPCEndpoint) string { return x.ID })},
		{"flow_logs", "fl", collect(e.FlowLogs, func(x FlowLog) string { return x.ID })},
		{"security_groups", "sg", collect(e.SecurityGroups, func(x SecurityGroup) string { return x.ID })},
		{"network_acls", "acl", collect(e.NetworkACLs, func(x NetworkACL) string { return x.ID })},
	}
	for _, c := range checks {
		if err := v.ids("ec2", c.list, "id", c.prefix, c.ids); err != nil {
			return err
		}
	}
	for i, x := range e.VPCs {
		for j, c := range x.CIDRs {
			if err := v.cidr([]any{"ec2", "vpcs", i, "cidrs", j}, c); err != nil {
				return err
			}
		}
	}
	for i, x := range e.Subnets {
		if !idREs["vpc"].MatchString(x.VPCID) {
			return v.fail([]any{"ec2", "subnets", i, "vpc_id"}, "subnet %s: %q is not a vpc- ID", x.ID, x.VPCID)
		}
		for j, c := range x.CIDRs {
			if err := v.cidr([]any{"ec2", "subnets", i, "cidrs", j}, c); err != nil {
				return err
			}
		}
	}
	for i, t := range e.RouteTables {
		for j, r := range t.Routes {
			path := []any{"ec2", "route_tables", i, "routes", j}
			if !strings.HasPrefix(r.Destination, "pl-") {
				if err := v.cidr(append(path, "destination"), r.Destination); err != nil {
					return err
				}
			}
			if r.Target == "" {
				return v.fail(path, "route table %s: route to %s has no target", t.ID, r.Destination)
			}
			switch r.State {
			case "", "active", "blackhole":
			default:
				return v.fail(append(path, "state"), "route state %q is neither active nor blackhole", r.State)
			}
		}
	}
	for i, t := range e.TransitGatewayRouteTables {
		for j, r := range t.Routes {
			if !strings.HasPrefix(r.Destination, "pl-") {
				if err := v.cidr([]any{"ec2", "transit_gateway_route_tables", i, "routes", j, "destination"}, r.Destination); err != nil {
					return err
				}
			}
		}
	}
	for i, g := range e.SecurityGroups {
		for _, dir := range []struct {
			key   string
			rules []SGRule
		}{{"ingress", g.Ingress}, {"egress", g.Egress}} {
			for j, r := range dir.rules {
				path := []any{"ec2", "security_groups", i, dir.key, j}
				n := 0
				for _, s := range []string{r.CIDR, r.PrefixList, r.Group} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					return v.fail(path, "security group %s %s rule: give exactly one of cidr, prefix_list and group", g.ID, dir.key)
				}
				if r.CIDR != "" {
					if err := v.cidr(append(path, "cidr"), r.CIDR); err != nil {
						return err
					}
				}
				if r.Protocol == "" {
					return v.fail(path, "security group %s %s rule has no protocol (\"-1\" is all)", g.ID, dir.key)
				}
			}
		}
	}
	for i, a := range e.NetworkACLs {
		for j, en := range a.Entries {
			path := []any{"ec2", "network_acls", i, "entries", j}
			if err := v.cidr(append(path, "cidr"), en.CIDR); err != nil {
				return err
			}
			if en.Action != "allow" && en.Action != "deny" {
				return v.fail(append(path, "action"), "network ACL %s: action %q is neither allow nor deny", a.ID, en.Action)
			}
		}
	}
	return nil
}
