package provision

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The network is rendered once into resources that carry both forms: a
// Terraform resource (type, name, arguments) and a CloudFormation resource
// (type, logical ID, properties). References between them are nref values,
// written as "${TYPE.NAME.ATTR}" in Terraform and as Ref / Fn::GetAtt in
// CloudFormation.

type nres struct {
	tfType, tfName string
	tf             map[string]any
	cfnType, cfnID string
	cfn            map[string]any
	// cfnDependsOn lists logical IDs CloudFormation must create first.
	cfnDependsOn []string
	// tfOnly / cfnOnly: the resource exists in one form only.
	tfOnly, cfnOnly bool
}

// nref refers to an attribute of a rendered resource, or to a template
// input (tfVar / cfnParam).
type nref struct {
	tf  string // "aws_vpc.x.id" or "var.par_image"
	cfn any    // map{"Ref": id} or map{"Fn::GetAtt": [id, attr]}
}

func (r *nres) ref(tfAttr, cfnAttr string) nref {
	x := nref{tf: r.tfType + "." + r.tfName + "." + tfAttr}
	if cfnAttr == "" {
		x.cfn = map[string]any{"Ref": r.cfnID}
	} else {
		x.cfn = map[string]any{"Fn::GetAtt": []any{r.cfnID, cfnAttr}}
	}
	return x
}

// rawDoc is a policy document: a JSON string in Terraform, an object in
// CloudFormation.
type rawDoc string

// netOutput is a template output.
type netOutput struct {
	name, description string
	value             any
	cfnOnly           bool // Terraform renders the resource itself
}

// netInput is a template input (Terraform variable, CloudFormation
// parameter).
type netInput struct {
	tf, cfn, description string
}

type netSet struct {
	res     []*nres
	outputs []netOutput
	inputs  []netInput
	byKey   map[string]*nres
}

func (s *netSet) add(key string, r *nres) *nres {
	if s.byKey == nil {
		s.byKey = map[string]*nres{}
	}
	s.res = append(s.res, r)
	s.byKey[key] = r
	return r
}

func (s *netSet) get(key string) *nres {
	r, ok := s.byKey[key]
	if !ok {
		panic("provision: network resource " + key + " referenced before it is rendered")
	}
	return r
}

func (s *netSet) input(in netInput) nref {
	for _, x := range s.inputs {
		if x.tf == in.tf {
			return nref{tf: "var." + in.tf, cfn: map[string]any{"Ref": in.cfn}}
		}
	}
	s.inputs = append(s.inputs, in)
	return nref{tf: "var." + in.tf, cfn: map[string]any{"Ref": in.cfn}}
}

func tfValue(v any) any {
	switch x := v.(type) {
	case nref:
		return "${" + x.tf + "}"
	case rawDoc:
		return string(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = tfValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = tfValue(e)
		}
		return out
	}
	return v
}

func cfnValue(v any) any {
	switch x := v.(type) {
	case nref:
		return x.cfn
	case rawDoc:
		var doc any
		if err := json.Unmarshal([]byte(x), &doc); err != nil {
			panic("provision: a rendered policy document is not JSON: " + err.Error())
		}
		return doc
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cfnValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cfnValue(e)
		}
		return out
	}
	return v
}

func tfTags(t map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range t {
		out[k] = v
	}
	return out
}

func cfnTags(t map[string]string) []any {
	out := []any{}
	for _, k := range sortedKeys(t) {
		out = append(out, map[string]any{"Key": k, "Value": t[k]})
	}
	return out
}

func refs(rs []nref) []any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

// netResources renders the network of d.
func (d *Desired) netResources(manager string) *netSet {
	s := &netSet{}
	nw := d.Network
	if nw == nil {
		return s
	}
	for i := range nw.Nodes {
		n := &nw.Nodes[i]
		if n.VPC == nil {
			continue
		}
		tags := managedTags(manager, "network", n.Node)
		var key *nres
		if n.Key != nil {
			key = s.add(n.Node+"/key", &nres{tfType: "aws_kms_key", tfName: tfName("pennsieve-" + n.Node), cfnType: "AWS::KMS::Key", cfnID: cfnName("pennsieve-" + n.Node + "-key"),
				tf:  map[string]any{"description": "pennsieve node " + n.Node + ": logs, Step Functions state, EFS", "enable_key_rotation": true, "policy": rawDoc(n.Key.JSON), "tags": tfTags(tags)},
				cfn: map[string]any{"Description": "pennsieve node " + n.Node + ": logs, Step Functions state, EFS", "EnableKeyRotation": true, "KeyPolicy": rawDoc(n.Key.JSON), "Tags": cfnTags(tags)}})
			s.add(n.Node+"/alias", &nres{tfType: "aws_kms_alias", tfName: tfName("pennsieve-" + n.Node), cfnType: "AWS::KMS::Alias", cfnID: cfnName("pennsieve-" + n.Node + "-key-alias"),
				tf:  map[string]any{"name": "alias/pennsieve-" + n.Node, "target_key_id": key.ref("key_id", "")},
				cfn: map[string]any{"AliasName": "alias/pennsieve-" + n.Node, "TargetKeyId": key.ref("key_id", "")}})
		}
		vpc := s.vpc(nw, n.VPC, tags)
		for _, g := range n.LogGroups {
			tf := map[string]any{"name": g.Name, "retention_in_days": g.RetentionDays, "tags": tfTags(tags)}
			cfn := map[string]any{"LogGroupName": g.Name, "RetentionInDays": g.RetentionDays, "Tags": cfnTags(tags)}
			if g.Encrypted && key != nil {
				tf["kms_key_id"], cfn["KmsKeyId"] = key.ref("arn", "Arn"), key.ref("arn", "Arn")
			}
			s.add("log/"+g.Name, &nres{tfType: "aws_cloudwatch_log_group", tfName: tfName(g.Name[1:]), tf: tf, cfnType: "AWS::Logs::LogGroup", cfnID: cfnName(g.Name), cfn: cfn})
		}
		if n.FlowLogGroup != "" {
			role, ok := s.byKey["flowrole"]
			if !ok {
				rtags := managedTags(manager, "network", "")
				role = s.add("flowrole", &nres{tfType: "aws_iam_role", tfName: tfName(n.FlowLogRole), cfnType: "AWS::IAM::Role", cfnID: cfnName(n.FlowLogRole),
					tf: map[string]any{"name": n.FlowLogRole, "path": "/", "assume_role_policy": rawDoc(n.FlowLogTrust.JSON), "max_session_duration": 3600, "tags": tfTags(rtags)},
					cfn: map[string]any{"RoleName": n.FlowLogRole, "Path": "/", "AssumeRolePolicyDocument": rawDoc(n.FlowLogTrust.JSON), "MaxSessionDuration": 3600, "Tags": cfnTags(rtags),
						"Policies": []any{map[string]any{"PolicyName": "deliver-flow-logs", "PolicyDocument": rawDoc(n.FlowLogDoc.JSON)}}}})
				s.add("flowrolepolicy", &nres{tfType: "aws_iam_role_policy", tfName: tfName(n.FlowLogRole) + "__deliver_flow_logs", tfOnly: true,
					tf: map[string]any{"name": "deliver-flow-logs", "role": role.ref("name", ""), "policy": rawDoc(n.FlowLogDoc.JSON)}})
			}
			lg := s.get("log/" + n.FlowLogGroup)
			s.add(n.Node+"/flowlog", &nres{tfType: "aws_flow_log", tfName: tfName("pennsieve-" + n.Node), cfnType: "AWS::EC2::FlowLog", cfnID: cfnName("pennsieve-" + n.Node + "-flow-log"),
				tf: map[string]any{"vpc_id": vpc.ref("id", ""), "traffic_type": "ALL", "log_destination_type": "cloud-watch-logs", "log_destination": lg.ref("arn", "Arn"),
					"iam_role_arn": role.ref("arn", "Arn"), "tags": tfTags(tags)},
				cfn: map[string]any{"ResourceId": vpc.ref("id", ""), "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs",
					"LogDestination": lg.ref("arn", "Arn"), "DeliverLogsPermissionArn": role.ref("arn", "Arn"), "Tags": cfnTags(tags)}})
		}
		if n.FSPolicy != nil {
			s.add(n.Node+"/fspolicy", &nres{tfType: "aws_efs_file_system_policy", tfName: tfName("pennsieve-" + n.Node), tfOnly: true,
				tf: map[string]any{"file_system_id": n.FileSystem, "policy": rawDoc(n.FSPolicy.JSON)}})
			s.outputs = append(s.outputs, netOutput{name: cfnName("pennsieve-" + n.Node + "-file-system-policy"),
				description: "CloudFormation cannot set the policy of an existing file system: aws efs put-file-system-policy --file-system-id " + n.FileSystem + " --policy (this value)",
				value:       n.FSPolicy.JSON, cfnOnly: true})
		}
		if n.FSGroup != "" {
			for _, sn := range n.Compute.Subnets {
				sub := s.get("subnet/" + sn)
				s.add("mt/"+sn, &nres{tfType: "aws_efs_mount_target", tfName: tfName(sn), cfnType: "AWS::EFS::MountTarget", cfnID: cfnName(sn + "-mount-target"),
					tf:  map[string]any{"file_system_id": n.FileSystem, "subnet_id": sub.ref("id", ""), "security_groups": []any{s.get("sg/"+n.FSGroup).ref("id", "GroupId")}},
					cfn: map[string]any{"FileSystemId": n.FileSystem, "SubnetId": sub.ref("id", ""), "SecurityGroups": []any{s.get("sg/"+n.FSGroup).ref("id", "GroupId")}}})
			}
		}
		var subs []nref
		for _, sn := range n.Compute.Subnets {
			subs = append(subs, s.get("subnet/"+sn).ref("id", ""))
		}
		pre := cfnName("pennsieve-" + n.Node)
		s.outputs = append(s.outputs,
			netOutput{pre + "ComputeSubnets", "the subnets the node's functions and tasks run in", refs(subs), false},
			netOutput{pre + "ComputeSecurityGroup", "the security group of the node's functions and tasks", s.get("sg/"+n.Compute.Group).ref("id", "GroupId"), false},
			netOutput{pre + "LogGroup", "the log group the node's functions and tasks log to", n.Compute.LogGroup, false})
		if key != nil && n.Compute.StateMachineKMS {
			s.outputs = append(s.outputs, netOutput{pre + "StateMachineKmsKey",
				"the node's state machines: encryptionConfiguration type CUSTOMER_MANAGED_KMS_KEY with this key; its EFS file system encrypted with it", key.ref("arn", "Arn"), false})
		}
	}
	if p := nw.PAR; p != nil {
		s.par(d, nw, p, manager)
	}
	return s
}

// vpc renders a VPC, its subnets, route tables, gateways, endpoints and
// security groups.
func (s *netSet) vpc(nw *Network, v *NetVPC, tags map[string]string) *nres {
	all := map[string]string{}
	for k, x := range tags {
		all[k] = x
	}
	for k, x := range v.Tags {
		all[k] = x
	}
	named := func(n string) map[string]string {
		out := map[string]string{"Name": n}
		for k, x := range all {
			out[k] = x
		}
		return out
	}
	vpc := s.add("vpc/"+v.Name, &nres{tfType: "aws_vpc", tfName: tfName(v.Name), cfnType: "AWS::EC2::VPC", cfnID: cfnName(v.Name + "-vpc"),
		tf:  map[string]any{"cidr_block": v.CIDR, "enable_dns_support": true, "enable_dns_hostnames": true, "tags": tfTags(named(v.Name))},
		cfn: map[string]any{"CidrBlock": v.CIDR, "EnableDnsSupport": true, "EnableDnsHostnames": true, "Tags": cfnTags(named(v.Name))}})
	var igw *nres
	if v.Internet {
		igw = s.add("igw/"+v.Name, &nres{tfType: "aws_internet_gateway", tfName: tfName(v.Name), cfnType: "AWS::EC2::InternetGateway", cfnID: cfnName(v.Name + "-igw"),
			tf: map[string]any{"vpc_id": vpc.ref("id", ""), "tags": tfTags(named(v.Name))}, cfn: map[string]any{"Tags": cfnTags(named(v.Name))}})
		s.add("igwattach/"+v.Name, &nres{cfnOnly: true, cfnType: "AWS::EC2::VPCGatewayAttachment", cfnID: cfnName(v.Name + "-igw-attachment"),
			cfn: map[string]any{"VpcId": vpc.ref("id", ""), "InternetGatewayId": igw.ref("id", "")}})
	}
	for _, sn := range v.Subnets {
		s.add("subnet/"+sn.Name, &nres{tfType: "aws_subnet", tfName: tfName(sn.Name), cfnType: "AWS::EC2::Subnet", cfnID: cfnName(sn.Name),
			tf:  map[string]any{"vpc_id": vpc.ref("id", ""), "cidr_block": sn.CIDR, "availability_zone": sn.AZ, "map_public_ip_on_launch": false, "tags": tfTags(named(sn.Name))},
			cfn: map[string]any{"VpcId": vpc.ref("id", ""), "CidrBlock": sn.CIDR, "AvailabilityZone": sn.AZ, "MapPublicIpOnLaunch": false, "Tags": cfnTags(named(sn.Name))}})
	}
	var nat *nres
	if v.NATSubnet != "" {
		eip := s.add("eip/"+v.Name, &nres{tfType: "aws_eip", tfName: tfName(v.Name + "-nat"), cfnType: "AWS::EC2::EIP", cfnID: cfnName(v.Name + "-nat-eip"),
			tf: map[string]any{"domain": "vpc", "tags": tfTags(named(v.Name + "-nat"))}, cfn: map[string]any{"Domain": "vpc", "Tags": cfnTags(named(v.Name + "-nat"))}})
		nat = s.add("nat/"+v.Name, &nres{tfType: "aws_nat_gateway", tfName: tfName(v.Name), cfnType: "AWS::EC2::NatGateway", cfnID: cfnName(v.Name + "-nat"),
			tf: map[string]any{"allocation_id": eip.ref("id", ""), "subnet_id": s.get("subnet/"+v.NATSubnet).ref("id", ""), "connectivity_type": "public", "tags": tfTags(named(v.Name))},
			cfn: map[string]any{"AllocationId": eip.ref("allocation_id", "AllocationId"), "SubnetId": s.get("subnet/"+v.NATSubnet).ref("id", ""),
				"ConnectivityType": "public", "Tags": cfnTags(named(v.Name))}})
	}
	for _, t := range v.RouteTables {
		rt := s.add("rt/"+t.Name, &nres{tfType: "aws_route_table", tfName: tfName(t.Name), cfnType: "AWS::EC2::RouteTable", cfnID: cfnName(t.Name + "-routes"),
			tf: map[string]any{"vpc_id": vpc.ref("id", ""), "tags": tfTags(named(t.Name))}, cfn: map[string]any{"VpcId": vpc.ref("id", ""), "Tags": cfnTags(named(t.Name))}})
		for _, sn := range v.Subnets {
			if sn.RouteTable == t.Name {
				s.add("rta/"+sn.Name, &nres{tfType: "aws_route_table_association", tfName: tfName(sn.Name), cfnType: "AWS::EC2::SubnetRouteTableAssociation", cfnID: cfnName(sn.Name + "-routes"),
					tf:  map[string]any{"subnet_id": s.get("subnet/"+sn.Name).ref("id", ""), "route_table_id": rt.ref("id", "")},
					cfn: map[string]any{"SubnetId": s.get("subnet/"+sn.Name).ref("id", ""), "RouteTableId": rt.ref("id", "")}})
			}
		}
		for i, r := range t.Routes {
			tf := map[string]any{"route_table_id": rt.ref("id", ""), "destination_cidr_block": r.Destination}
			cfn := map[string]any{"RouteTableId": rt.ref("id", ""), "DestinationCidrBlock": r.Destination}
			var deps []string
			switch r.Target {
			case TargetInternet:
				tf["gateway_id"], cfn["GatewayId"] = igw.ref("id", ""), igw.ref("id", "")
				deps = []string{cfnName(v.Name + "-igw-attachment")}
			case TargetNAT:
				tf["nat_gateway_id"], cfn["NatGatewayId"] = nat.ref("id", ""), nat.ref("id", "")
			}
			s.add(fmt.Sprintf("route/%s/%d", t.Name, i), &nres{tfType: "aws_route", tfName: tfName(t.Name + "-" + strconv.Itoa(i)), cfnType: "AWS::EC2::Route",
				cfnID: cfnName(t.Name + "-route-" + strconv.Itoa(i)), tf: tf, cfn: cfn, cfnDependsOn: deps})
		}
	}
	// Security groups first (endpoints name them), then their rules.
	for _, g := range v.Groups {
		s.add("sg/"+g.Name, &nres{tfType: "aws_security_group", tfName: tfName(g.Name), cfnType: "AWS::EC2::SecurityGroup", cfnID: cfnName(g.Name + "-sg"),
			tf:  map[string]any{"name": g.Name, "description": g.Description, "vpc_id": vpc.ref("id", ""), "tags": tfTags(named(g.Name))},
			cfn: map[string]any{"GroupName": g.Name, "GroupDescription": g.Description, "VpcId": vpc.ref("id", ""), "Tags": cfnTags(named(g.Name))}})
	}
	for _, e := range v.Endpoints {
		tf := map[string]any{"vpc_id": vpc.ref("id", ""), "service_name": "com.amazonaws." + nw.Region + "." + e.Service, "policy": rawDoc(e.Policy.JSON),
			"tags": tfTags(named(v.Name + "-" + e.Service))}
		cfn := map[string]any{"VpcId": vpc.ref("id", ""), "ServiceName": "com.amazonaws." + nw.Region + "." + e.Service, "PolicyDocument": rawDoc(e.Policy.JSON)}
		if e.Gateway {
			var rts []nref
			for _, t := range e.RouteTables {
				rts = append(rts, s.get("rt/"+t).ref("id", ""))
			}
			tf["vpc_endpoint_type"], cfn["VpcEndpointType"] = "Gateway", "Gateway"
			tf["route_table_ids"], cfn["RouteTableIds"] = refs(rts), refs(rts)
		} else {
			var subs []nref
			for _, sn := range e.Subnets {
				subs = append(subs, s.get("subnet/"+sn).ref("id", ""))
			}
			sg := []any{s.get("sg/"+e.Group).ref("id", "GroupId")}
			tf["vpc_endpoint_type"], cfn["VpcEndpointType"] = "Interface", "Interface"
			tf["subnet_ids"], cfn["SubnetIds"] = refs(subs), refs(subs)
			tf["security_group_ids"], cfn["SecurityGroupIds"] = sg, sg
			tf["private_dns_enabled"], cfn["PrivateDnsEnabled"] = true, true
		}
		s.add("ep/"+v.Name+"/"+e.Service, &nres{tfType: "aws_vpc_endpoint", tfName: tfName(v.Name + "-" + e.Service), cfnType: "AWS::EC2::VPCEndpoint",
			cfnID: cfnName(v.Name + "-" + e.Service + "-endpoint"), tf: tf, cfn: cfn})
	}
	prefixList := func(service string) nref {
		in := s.input(netInput{tf: service + "_prefix_list_id", cfn: cfnName(service + "-prefix-list-id"),
			description: "the AWS managed prefix list of " + service + " in " + nw.Region + " (aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws." + nw.Region + "." + service + ")"})
		return nref{tf: s.get("ep/"+v.Name+"/"+service).tfType + "." + s.get("ep/"+v.Name+"/"+service).tfName + ".prefix_list_id", cfn: in.cfn}
	}
	for _, g := range v.Groups {
		sg := s.get("sg/" + g.Name)
		for i, r := range g.Ingress {
			tf, cfn := s.rule(r, prefixList)
			tf["security_group_id"], cfn["GroupId"] = sg.ref("id", "GroupId"), sg.ref("id", "GroupId")
			s.add(fmt.Sprintf("in/%s/%d", g.Name, i), &nres{tfType: "aws_vpc_security_group_ingress_rule", tfName: tfName(g.Name + "-in-" + strconv.Itoa(i)), tf: tf,
				cfnType: "AWS::EC2::SecurityGroupIngress", cfnID: cfnName(g.Name + "-in-" + strconv.Itoa(i)), cfn: cfn})
		}
		// Egress: Terraform removes a new group's allow-all egress rule
		// and adds these; CloudFormation replaces it with the group's
		// inline SecurityGroupEgress.
		var inline []any
		for i, r := range g.Egress {
			tf, cfn := s.rule(r, prefixList)
			tf["security_group_id"] = sg.ref("id", "GroupId")
			s.add(fmt.Sprintf("out/%s/%d", g.Name, i), &nres{tfType: "aws_vpc_security_group_egress_rule", tfName: tfName(g.Name + "-out-" + strconv.Itoa(i)), tf: tf, tfOnly: true})
			inline = append(inline, cfnEgress(cfn))
		}
		if len(inline) == 0 {
			// No egress at all: a rule that admits nothing routable
			// replaces CloudFormation's default allow-all.
			inline = []any{map[string]any{"IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "127.0.0.1/32", "Description": "no egress"}}
		}
		sg.cfn["SecurityGroupEgress"] = inline
	}
	return vpc
}

func (s *netSet) rule(r NetRule, prefixList func(string) nref) (tf, cfn map[string]any) {
	tf = map[string]any{"ip_protocol": r.Protocol, "description": r.Description}
	cfn = map[string]any{"IpProtocol": r.Protocol, "Description": r.Description}
	if r.Protocol != "-1" {
		tf["from_port"], tf["to_port"] = r.FromPort, r.ToPort
		cfn["FromPort"], cfn["ToPort"] = r.FromPort, r.ToPort
	}
	switch {
	case strings.Contains(r.CIDR, ":"):
		tf["cidr_ipv6"], cfn["CidrIpv6"] = r.CIDR, r.CIDR
	case r.CIDR != "":
		tf["cidr_ipv4"], cfn["CidrIp"] = r.CIDR, r.CIDR
	case r.Group != "":
		g := s.get("sg/"+r.Group).ref("id", "GroupId")
		tf["referenced_security_group_id"] = g
		cfn["SourceSecurityGroupId"] = g
	case r.PrefixListOf != "":
		pl := prefixList(r.PrefixListOf)
		tf["prefix_list_id"] = pl
		cfn["SourcePrefixListId"] = pl
	}
	return tf, cfn
}

// cfnEgress turns an ingress-shaped CloudFormation rule into an inline
// egress rule (destination keys).
func cfnEgress(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch k {
		case "SourceSecurityGroupId":
			k = "DestinationSecurityGroupId"
		case "SourcePrefixListId":
			k = "DestinationPrefixListId"
		}
		out[k] = v
	}
	return out
}

// sortRes orders resources by their Terraform type and name (the order
// JSON writes them in anyway); outputs and inputs by name.
func (s *netSet) sorted() {
	sort.SliceStable(s.outputs, func(i, j int) bool { return s.outputs[i].name < s.outputs[j].name })
	sort.SliceStable(s.inputs, func(i, j int) bool { return s.inputs[i].tf < s.inputs[j].tf })
}
