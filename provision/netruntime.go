package provision

import (
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
)

// Runtime returns the runtime section a snapshot of the account would hold
// once the rendered template is applied and the provider's compute is
// deployed with its outputs: for each node a Lambda function and an ECS
// service running as the node's processor roles in the rendered subnets and
// security group, a state machine encrypted as the outputs say and the
// node's file system (mount targets, policy, encryption); for PAR its ECS
// service behind the load balancer. Resources AWS creates by itself (the
// main route table, the default security group and network ACL of a VPC;
// the default VPC in basic mode) are included as AWS creates them. IDs are
// stand-ins ("vpc-pennsieve-7f3a9c21"). It is nil when nothing
// network-wise is rendered and the mode is not basic.
//
// The closed-loop tests run the MODE-*, PV-NET-* and PV-LOG-* checks over
// it: what the renderer writes must pass them.
func (d *Desired) Runtime() *inventory.Runtime {
	nw := d.Network
	if nw == nil {
		return nil
	}
	rb := &rtBuilder{nw: nw, d: d, r: inventory.RegionRuntime{Region: nw.Region,
		EC2: &inventory.EC2{}, Logs: &inventory.Logs{}, CloudWatch: &inventory.CloudWatch{}, StepFunctions: &inventory.StepFunctions{},
		EFS: &inventory.EFS{}, Lambda: &inventory.Lambda{}, ECS: &inventory.ECS{}, ELB: &inventory.ELB{}}}
	if nw.Mode == contract.ModeBasic {
		rb.defaultVPC()
	}
	for i := range nw.Nodes {
		rb.node(&nw.Nodes[i])
	}
	if nw.PAR != nil {
		rb.par(nw.PAR)
	}
	return &inventory.Runtime{Regions: []inventory.RegionRuntime{rb.r}, S3: &inventory.S3Buckets{Buckets: []string{}}}
}

type rtBuilder struct {
	nw *Network
	d  *Desired
	r  inventory.RegionRuntime
}

func (b *rtBuilder) arn(service, res string) string {
	return "arn:aws:" + service + ":" + b.nw.Region + ":" + b.nw.Account + ":" + res
}

func (b *rtBuilder) roleARN(name string) string {
	return "arn:aws:iam::" + b.nw.Account + ":role/" + name
}

func prefixListOf(service string) string { return "pl-" + service }

// vpc adds a rendered VPC and returns its ID.
func (b *rtBuilder) vpc(v *NetVPC) string {
	e := b.r.EC2
	id := "vpc-" + v.Name
	e.VPCs = append(e.VPCs, inventory.VPC{ID: id, OwnerID: b.nw.Account, CIDRs: []string{v.CIDR}, Tags: v.Tags})
	e.RouteTables = append(e.RouteTables, inventory.RouteTable{ID: "rtb-" + v.Name + "-main", VPCID: id, Main: true,
		Routes: []inventory.Route{{Destination: v.CIDR, Target: "local", State: "active"}}})
	var all []string
	for _, s := range v.Subnets {
		e.Subnets = append(e.Subnets, inventory.Subnet{ID: "subnet-" + s.Name, VPCID: id, CIDRs: []string{s.CIDR}, AvailabilityZone: s.AZ, Tags: v.Tags})
		all = append(all, "subnet-"+s.Name)
	}
	if v.Internet {
		e.InternetGateways = append(e.InternetGateways, inventory.InternetGateway{ID: "igw-" + v.Name, VPCs: []string{id}})
	}
	if v.NATSubnet != "" {
		e.NATGateways = append(e.NATGateways, inventory.NATGateway{ID: "nat-" + v.Name, VPCID: id, SubnetID: "subnet-" + v.NATSubnet, ConnectivityType: "public", State: "available"})
	}
	for _, t := range v.RouteTables {
		rt := inventory.RouteTable{ID: "rtb-" + t.Name, VPCID: id, Routes: []inventory.Route{{Destination: v.CIDR, Target: "local", State: "active"}}}
		for _, s := range v.Subnets {
			if s.RouteTable == t.Name {
				rt.Subnets = append(rt.Subnets, "subnet-"+s.Name)
			}
		}
		for _, r := range t.Routes {
			target := map[string]string{TargetInternet: "igw-" + v.Name, TargetNAT: "nat-" + v.Name}[r.Target]
			rt.Routes = append(rt.Routes, inventory.Route{Destination: r.Destination, Target: target, State: "active"})
		}
		for _, ep := range v.Endpoints {
			for _, n := range ep.RouteTables {
				if n == t.Name {
					rt.Routes = append(rt.Routes, inventory.Route{Destination: prefixListOf(ep.Service), Target: "vpce-" + v.Name + "-" + ep.Service, State: "active", Origin: "CreateRoute"})
				}
			}
		}
		e.RouteTables = append(e.RouteTables, rt)
	}
	for _, ep := range v.Endpoints {
		x := inventory.VPCEndpoint{ID: "vpce-" + v.Name + "-" + ep.Service, VPCID: id, ServiceName: "com.amazonaws." + b.nw.Region + "." + ep.Service,
			State: "available", Policy: ep.Policy.Document(), Tags: v.Tags}
		if ep.Gateway {
			x.Type = "Gateway"
			for _, t := range ep.RouteTables {
				x.RouteTables = append(x.RouteTables, "rtb-"+t)
			}
		} else {
			x.Type, x.PrivateDNSEnabled = "Interface", true
			for _, s := range ep.Subnets {
				x.Subnets = append(x.Subnets, "subnet-"+s)
			}
			x.SecurityGroups = []string{"sg-" + ep.Group}
		}
		e.VPCEndpoints = append(e.VPCEndpoints, x)
	}
	rule := func(r NetRule) inventory.SGRule {
		x := inventory.SGRule{Protocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort, CIDR: r.CIDR}
		if r.Group != "" {
			x.Group = "sg-" + r.Group
		}
		if r.PrefixListOf != "" {
			x.PrefixList = prefixListOf(r.PrefixListOf)
		}
		return x
	}
	for _, g := range v.Groups {
		sg := inventory.SecurityGroup{ID: "sg-" + g.Name, Name: g.Name, VPCID: id, Ingress: []inventory.SGRule{}, Egress: []inventory.SGRule{}, Tags: v.Tags}
		for _, r := range g.Ingress {
			sg.Ingress = append(sg.Ingress, rule(r))
		}
		for _, r := range g.Egress {
			sg.Egress = append(sg.Egress, rule(r))
		}
		e.SecurityGroups = append(e.SecurityGroups, sg)
	}
	b.awsDefaults(id, v.Name, all)
	return id
}

// awsDefaults adds what AWS creates with every VPC: the default security
// group (inbound from itself, outbound anywhere) and the default network
// ACL (everything allowed).
func (b *rtBuilder) awsDefaults(vpc, name string, subnets []string) {
	e := b.r.EC2
	sg := "sg-" + name + "-default"
	e.SecurityGroups = append(e.SecurityGroups, inventory.SecurityGroup{ID: sg, Name: "default", VPCID: vpc,
		Ingress: []inventory.SGRule{{Protocol: "-1", Group: sg}}, Egress: []inventory.SGRule{{Protocol: "-1", CIDR: "0.0.0.0/0"}}})
	e.NetworkACLs = append(e.NetworkACLs, inventory.NetworkACL{ID: "acl-" + name, VPCID: vpc, IsDefault: true, Subnets: subnets, Entries: []inventory.ACLEntry{
		{RuleNumber: 100, Protocol: "-1", Action: "allow", CIDR: "0.0.0.0/0"}, {RuleNumber: 100, Egress: true, Protocol: "-1", Action: "allow", CIDR: "0.0.0.0/0"}}})
}

// defaultVPC adds the account's default VPC (basic mode): public subnets
// routed to its internet gateway.
func (b *rtBuilder) defaultVPC() {
	e := b.r.EC2
	e.VPCs = append(e.VPCs, inventory.VPC{ID: "vpc-default", OwnerID: b.nw.Account, CIDRs: []string{"172.31.0.0/16"}, IsDefault: true})
	var subs []string
	for i, az := range []string{"a", "b"} {
		id := "subnet-default-" + az
		e.Subnets = append(e.Subnets, inventory.Subnet{ID: id, VPCID: "vpc-default", CIDRs: []string{[]string{"172.31.0.0/20", "172.31.16.0/20"}[i]},
			AvailabilityZone: b.nw.Region + az, MapPublicIPOnLaunch: true})
		subs = append(subs, id)
	}
	e.InternetGateways = append(e.InternetGateways, inventory.InternetGateway{ID: "igw-default", VPCs: []string{"vpc-default"}})
	e.RouteTables = append(e.RouteTables, inventory.RouteTable{ID: "rtb-default-main", VPCID: "vpc-default", Main: true, Routes: []inventory.Route{
		{Destination: "172.31.0.0/16", Target: "local", State: "active"}, {Destination: "0.0.0.0/0", Target: "igw-default", State: "active"}}})
	b.awsDefaults("vpc-default", "default", subs)
}

// node adds a node's rendered network and the provider's compute deployed
// with the outputs.
func (b *rtBuilder) node(n *NodeNetwork) {
	subnets, groups := []string{"subnet-default-a", "subnet-default-b"}, []string{"sg-default-default"}
	logGroup, keyARN := "", ""
	if n.VPC != nil {
		b.vpc(n.VPC)
		subnets, groups = nil, []string{"sg-" + n.Compute.Group}
		for _, s := range n.Compute.Subnets {
			subnets = append(subnets, "subnet-"+s)
		}
		logGroup = n.Compute.LogGroup
	}
	if n.Key != nil {
		keyARN = b.arn("kms", "key/pennsieve-"+n.Node)
	}
	for _, g := range n.LogGroups {
		lg := inventory.LogGroup{Name: g.Name, ARN: b.arn("logs", "log-group:"+g.Name+":*"), RetentionDays: g.RetentionDays}
		if g.Encrypted {
			lg.KMSKeyID = keyARN
		}
		b.r.Logs.LogGroups = append(b.r.Logs.LogGroups, lg)
	}
	if n.FlowLogGroup != "" && n.VPC != nil {
		b.r.EC2.FlowLogs = append(b.r.EC2.FlowLogs, inventory.FlowLog{ID: "fl-" + n.VPC.Name, ResourceID: "vpc-" + n.VPC.Name, TrafficType: "ALL",
			Status: "ACTIVE", DeliverLogsStatus: "SUCCESS", LogDestinationType: "cloud-watch-logs", LogDestination: b.arn("logs", "log-group:"+n.FlowLogGroup)})
	}
	ns := nodeNamespace(n.Node)
	vpcOf := "vpc-default"
	if n.VPC != nil {
		vpcOf = "vpc-" + n.VPC.Name
	}
	tags := map[string]string{TagComputeNode: n.Node}
	b.r.Lambda.Functions = append(b.r.Lambda.Functions, inventory.Function{Name: ns + "processor", ARN: b.arn("lambda", "function:"+ns+"processor"),
		Role: b.roleARN(processorRoleName(n.Node, "lambda")), VPC: &inventory.FunctionVPC{VPCID: vpcOf, Subnets: subnets, SecurityGroups: groups},
		LogGroup: logGroup, Tags: tags})
	cluster := b.arn("ecs", "cluster/pennsieve-"+n.Node)
	td := b.arn("ecs", "task-definition/"+ns+"processor:1")
	lo := map[string]string{"awslogs-group": orDefault(logGroup, "/ecs/"+ns+"processor"), "awslogs-region": b.nw.Region, "awslogs-stream-prefix": "processor"}
	b.r.ECS.Clusters = append(b.r.ECS.Clusters, inventory.ECSCluster{ARN: cluster, Name: "pennsieve-" + n.Node, Tags: tags})
	b.r.ECS.TaskDefinitions = append(b.r.ECS.TaskDefinitions, inventory.ECSTaskDefinition{ARN: td, Family: ns + "processor",
		TaskRoleARN: b.roleARN(processorRoleName(n.Node, "ecs")), NetworkMode: "awsvpc",
		Containers: []inventory.ECSContainer{{Name: "processor", Image: processorImage(Params{Account: b.nw.Account, Region: b.nw.Region}, n.Node), LogDriver: "awslogs", LogOptions: lo}},
		EFSVolumes: []inventory.ECSEFSVolume{{Name: "data", FileSystemID: n.FileSystem, TransitEncryption: "ENABLED", IAM: "ENABLED"}}})
	b.r.ECS.Services = append(b.r.ECS.Services, inventory.ECSService{ARN: b.arn("ecs", "service/pennsieve-"+n.Node+"/"+ns+"processor"), Name: ns + "processor",
		Cluster: cluster, TaskDefinition: td, LaunchType: "FARGATE", Subnets: subnets, SecurityGroups: groups, Tags: tags})
	sm := inventory.StateMachine{ARN: b.arn("states", "stateMachine:"+ns+"workflow"), Name: ns + "workflow", Tags: tags}
	if n.Compute.StateMachineKMS {
		sm.EncryptionType, sm.KMSKeyID = "CUSTOMER_MANAGED_KMS_KEY", keyARN
	}
	b.r.StepFunctions.StateMachines = append(b.r.StepFunctions.StateMachines, sm)
	fs := inventory.FileSystem{ID: n.FileSystem, ARN: b.arn("elasticfilesystem", "file-system/"+n.FileSystem), Encrypted: n.Compute.EFSEncrypted, Tags: tags}
	if fs.Encrypted {
		fs.KMSKeyID = keyARN
	}
	if n.FSPolicy != nil {
		fs.Policy = n.FSPolicy.Document()
	}
	b.r.EFS.FileSystems = append(b.r.EFS.FileSystems, fs)
	mtGroups := groups
	if n.FSGroup != "" {
		mtGroups = []string{"sg-" + n.FSGroup}
	}
	for _, s := range subnets {
		b.r.EFS.MountTargets = append(b.r.EFS.MountTargets, inventory.MountTarget{ID: "fsmt-" + s, FileSystemID: n.FileSystem, SubnetID: s, VPCID: vpcOf, SecurityGroups: mtGroups})
	}
}

// PAR stand-in IDs.
const (
	parTGSuffix = "pixell-agent-runtime/0123456789abcdef"
)

func (b *rtBuilder) par(p *PARNetwork) {
	vpc := b.vpc(&p.VPC)
	var subnets []string
	for _, s := range p.Subnets {
		subnets = append(subnets, "subnet-"+s)
	}
	cluster := b.arn("ecs", "cluster/"+parName)
	td := b.arn("ecs", "task-definition/"+parName+":1")
	tg := b.arn("elasticloadbalancing", "targetgroup/"+parTGSuffix)
	lb := b.arn("elasticloadbalancing", "loadbalancer/app/"+parTGSuffix)
	b.r.ECS.Clusters = append(b.r.ECS.Clusters, inventory.ECSCluster{ARN: cluster, Name: parName})
	b.r.ECS.TaskDefinitions = append(b.r.ECS.TaskDefinitions, inventory.ECSTaskDefinition{ARN: td, Family: parName,
		TaskRoleARN: b.roleARN(parTaskRole), ExecutionRole: b.roleARN(parExecutionRole), NetworkMode: "awsvpc",
		Containers: []inventory.ECSContainer{{Name: parName, Image: b.nw.Account + ".dkr.ecr." + b.nw.Region + ".amazonaws.com/" + parName + ":latest", LogDriver: "awslogs",
			LogOptions: map[string]string{"awslogs-group": p.LogGroup.Name, "awslogs-region": b.nw.Region, "awslogs-stream-prefix": "par"}}}})
	b.r.ECS.Services = append(b.r.ECS.Services, inventory.ECSService{ARN: b.arn("ecs", "service/"+parName+"/"+parName), Name: parName, Cluster: cluster,
		TaskDefinition: td, LaunchType: "FARGATE", Subnets: subnets, SecurityGroups: []string{"sg-" + p.ServiceGroup}, TargetGroups: []string{tg}})
	b.r.ELB.LoadBalancers = append(b.r.ELB.LoadBalancers, inventory.LoadBalancer{ARN: lb, Name: parName, Type: "application", Scheme: "internal", VPCID: vpc,
		SecurityGroups: []string{"sg-" + p.LBGroup}})
	b.r.ELB.TargetGroups = append(b.r.ELB.TargetGroups, inventory.TargetGroup{ARN: tg, Name: parName, VPCID: vpc, LoadBalancers: []string{lb}})
	b.r.Logs.LogGroups = append(b.r.Logs.LogGroups, inventory.LogGroup{Name: p.LogGroup.Name, ARN: b.arn("logs", "log-group:"+p.LogGroup.Name+":*"), RetentionDays: p.LogGroup.RetentionDays})
	for _, f := range p.MetricFilters {
		b.r.Logs.MetricFilters = append(b.r.Logs.MetricFilters, inventory.MetricFilter{Name: f.Name, LogGroup: p.LogGroup.Name, Pattern: f.Pattern,
			Transformations: []inventory.MetricTransformation{{MetricName: f.Metric, MetricNamespace: f.Namespace, MetricValue: "1"}}})
	}
	dims := map[string]string{DimCluster: parName, DimService: parName, DimTargetGroup: "targetgroup/" + parTGSuffix, DimLoadBalancer: "app/" + parTGSuffix}
	for _, a := range p.Alarms {
		x := inventory.Alarm{Name: a.Name, ARN: b.arn("cloudwatch", "alarm:"+a.Name), Namespace: a.Namespace, MetricName: a.Metric, Statistic: a.Statistic,
			Period: a.Period, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: a.Threshold, ComparisonOperator: a.Comparison, ActionsEnabled: true,
			AlarmActions: []string{b.arn("sns", p.Topic)}}
		if len(a.Dimensions) > 0 {
			x.Dimensions = map[string]string{}
			for k, v := range a.Dimensions {
				x.Dimensions[k] = dims[v]
			}
		}
		b.r.CloudWatch.Alarms = append(b.r.CloudWatch.Alarms, x)
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
