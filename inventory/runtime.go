package inventory

import (
	"sort"

	"github.com/pvaudit/pvaudit/policy"
)

// Runtime is the part of a snapshot beyond IAM: where the account's compute
// runs, how its network is laid out, how its data is encrypted and how it is
// watched (VPCs and routes, endpoints, flow logs, security groups, log
// groups and alarms, state machines, file systems, functions, ECS tasks and
// load balancers). It is optional: a snapshot without it is an IAM-only
// snapshot, and every check that needs it reports NOT_EVALUATED.
//
// Every section is optional too, with one rule: a section is present only
// when every call that fills it succeeded. nil means "not read" (the
// collector records why as a coverage gap); a present section with empty
// lists means it was read and holds nothing.
type Runtime struct {
	// Regions holds the regional sections, one per region read, sorted.
	Regions []RegionRuntime `json:"regions"`
	// S3 lists the buckets the account owns (S3 is global); nil when not
	// read.
	S3 *S3Buckets `json:"s3,omitempty"`
}

// S3Buckets is the account's own bucket list (s3:ListAllMyBuckets).
type S3Buckets struct {
	Buckets []string `json:"buckets"`
}

// RegionRuntime is what was read in one region.
type RegionRuntime struct {
	Region        string         `json:"region"`
	EC2           *EC2           `json:"ec2,omitempty"`
	Logs          *Logs          `json:"logs,omitempty"`
	CloudWatch    *CloudWatch    `json:"cloudwatch,omitempty"`
	StepFunctions *StepFunctions `json:"step_functions,omitempty"`
	EFS           *EFS           `json:"efs,omitempty"`
	Lambda        *Lambda        `json:"lambda,omitempty"`
	ECS           *ECS           `json:"ecs,omitempty"`
	ELB           *ELB           `json:"elb,omitempty"`
}

// Region returns the regional section for name, or nil.
func (r *Runtime) Region(name string) *RegionRuntime {
	if r == nil {
		return nil
	}
	for i := range r.Regions {
		if r.Regions[i].Region == name {
			return &r.Regions[i]
		}
	}
	return nil
}

// RegionNames lists the regions read.
func (r *Runtime) RegionNames() []string {
	if r == nil {
		return nil
	}
	out := make([]string, 0, len(r.Regions))
	for _, x := range r.Regions {
		out = append(out, x.Region)
	}
	return out
}

// ---- EC2: the network ----

// EC2 is the network of one region.
type EC2 struct {
	VPCs                       []VPC                   `json:"vpcs"`
	Subnets                    []Subnet                `json:"subnets"`
	RouteTables                []RouteTable            `json:"route_tables"`
	InternetGateways           []InternetGateway       `json:"internet_gateways"`
	EgressOnlyInternetGateways []InternetGateway       `json:"egress_only_internet_gateways"`
	NATGateways                []NATGateway            `json:"nat_gateways"`
	PeeringConnections         []PeeringConnection     `json:"peering_connections"`
	TransitGatewayAttachments  []TransitGatewayAttach  `json:"transit_gateway_attachments"`
	TransitGatewayRouteTables  []TransitGatewayRouteTb `json:"transit_gateway_route_tables"`
	VPCEndpoints               []VPCEndpoint           `json:"vpc_endpoints"`
	FlowLogs                   []FlowLog               `json:"flow_logs"`
	SecurityGroups             []SecurityGroup         `json:"security_groups"`
	NetworkACLs                []NetworkACL            `json:"network_acls"`
}

// VPC is a virtual private cloud.
type VPC struct {
	ID        string            `json:"id"`
	OwnerID   string            `json:"owner_id,omitempty"`
	CIDRs     []string          `json:"cidrs"` // IPv4 and IPv6 blocks
	IsDefault bool              `json:"is_default"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Subnet is a subnet of a VPC.
type Subnet struct {
	ID                  string            `json:"id"`
	VPCID               string            `json:"vpc_id"`
	CIDRs               []string          `json:"cidrs"`
	AvailabilityZone    string            `json:"availability_zone,omitempty"`
	MapPublicIPOnLaunch bool              `json:"map_public_ip_on_launch,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
}

// RouteTable is a VPC route table with its associations.
type RouteTable struct {
	ID    string `json:"id"`
	VPCID string `json:"vpc_id"`
	// Main: this is the VPC's main route table, used by every subnet
	// without an explicit association.
	Main bool `json:"main,omitempty"`
	// Subnets are the subnets explicitly associated with it.
	Subnets []string `json:"subnets,omitempty"`
	// Gateways are the internet or virtual private gateways associated
	// with it (edge associations: ingress routing).
	Gateways []string          `json:"gateways,omitempty"`
	Routes   []Route           `json:"routes"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// Route is one route. Target is the ID of where matching traffic goes,
// exactly as EC2 names it: "local", igw-…, eigw-…, nat-…, tgw-…, pcx-…,
// vpce-…, vgw-…, eni-…, i-…, cagw-…, lgw-…, or a core network ARN. Its kind
// follows from the prefix (see RouteTarget).
type Route struct {
	// Destination is an IPv4 or IPv6 CIDR, or a prefix list ID (pl-…).
	Destination string `json:"destination"`
	Target      string `json:"target"`
	// State is "active" or "blackhole" (a target that no longer exists).
	State  string `json:"state,omitempty"`
	Origin string `json:"origin,omitempty"`
}

// InternetGateway is an internet gateway or an egress-only internet
// gateway (IPv6) with the VPCs it is attached to.
type InternetGateway struct {
	ID   string            `json:"id"`
	VPCs []string          `json:"vpcs"`
	Tags map[string]string `json:"tags,omitempty"`
}

// NATGateway is a NAT gateway.
type NATGateway struct {
	ID       string `json:"id"`
	VPCID    string `json:"vpc_id"`
	SubnetID string `json:"subnet_id"`
	// ConnectivityType is "public" or "private".
	ConnectivityType string            `json:"connectivity_type,omitempty"`
	State            string            `json:"state"`
	Tags             map[string]string `json:"tags,omitempty"`
}

// PeeringConnection is a VPC peering connection.
type PeeringConnection struct {
	ID        string         `json:"id"`
	Requester PeeringVPCInfo `json:"requester"`
	Accepter  PeeringVPCInfo `json:"accepter"`
	// Status is the peering's status code ("active", "pending-acceptance" …).
	Status string `json:"status"`
}

// PeeringVPCInfo is one side of a peering connection.
type PeeringVPCInfo struct {
	VPCID   string `json:"vpc_id"`
	OwnerID string `json:"owner_id,omitempty"`
	Region  string `json:"region,omitempty"`
}

// TransitGatewayAttach is an attachment of a transit gateway.
type TransitGatewayAttach struct {
	ID               string `json:"id"`
	TransitGatewayID string `json:"transit_gateway_id"`
	// ResourceType is "vpc", "vpn", "direct-connect-gateway", "connect",
	// "peering" or "tgw-peering".
	ResourceType  string `json:"resource_type"`
	ResourceID    string `json:"resource_id,omitempty"`
	ResourceOwner string `json:"resource_owner,omitempty"`
	State         string `json:"state"`
	// RouteTableID is the transit gateway route table the attachment is
	// associated with ("" when none: its traffic is not routed).
	RouteTableID string `json:"route_table_id,omitempty"`
	// Subnets are, for a VPC attachment, the subnets of its network
	// interfaces: traffic from the transit gateway enters the VPC there.
	Subnets []string `json:"subnets,omitempty"`
}

// TransitGatewayRouteTb is a transit gateway route table and its routes.
type TransitGatewayRouteTb struct {
	ID               string                `json:"id"`
	TransitGatewayID string                `json:"transit_gateway_id"`
	Routes           []TransitGatewayRoute `json:"routes"`
}

// TransitGatewayRoute is one route of a transit gateway route table.
type TransitGatewayRoute struct {
	Destination string `json:"destination"` // CIDR or prefix list ID
	// Attachments are the attachment IDs the route sends traffic to.
	Attachments []string `json:"attachments,omitempty"`
	Type        string   `json:"type,omitempty"`  // static or propagated
	State       string   `json:"state,omitempty"` // active or blackhole
}

// VPCEndpoint is a VPC endpoint with its policy.
type VPCEndpoint struct {
	ID          string `json:"id"`
	VPCID       string `json:"vpc_id"`
	ServiceName string `json:"service_name"` // com.amazonaws.REGION.SERVICE
	// Type is "Gateway", "Interface" or "GatewayLoadBalancer".
	Type  string `json:"type"`
	State string `json:"state"`
	// Policy is the endpoint policy (nil: the service takes none; AWS then
	// allows everything through the endpoint).
	Policy            *policy.Document  `json:"policy,omitempty"`
	RouteTables       []string          `json:"route_tables,omitempty"`
	Subnets           []string          `json:"subnets,omitempty"`
	SecurityGroups    []string          `json:"security_groups,omitempty"`
	PrivateDNSEnabled bool              `json:"private_dns_enabled,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
}

// FlowLog is a VPC flow log.
type FlowLog struct {
	ID string `json:"id"`
	// ResourceID is the VPC, subnet or network interface logged.
	ResourceID string `json:"resource_id"`
	// TrafficType is "ALL", "ACCEPT" or "REJECT".
	TrafficType string `json:"traffic_type"`
	// Status is the flow log's status ("ACTIVE").
	Status string `json:"status"`
	// DeliverLogsStatus is "SUCCESS" or "FAILED".
	DeliverLogsStatus  string `json:"deliver_logs_status,omitempty"`
	LogDestinationType string `json:"log_destination_type,omitempty"`
	LogDestination     string `json:"log_destination,omitempty"`
}

// SecurityGroup is a security group with its rules, one source or
// destination per rule (EC2's permissions with several ranges are split).
type SecurityGroup struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	VPCID   string            `json:"vpc_id"`
	Ingress []SGRule          `json:"ingress"`
	Egress  []SGRule          `json:"egress"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// SGRule is one security group rule. Exactly one of CIDR, PrefixList and
// Group is set: the peer (source for ingress, destination for egress).
type SGRule struct {
	// Protocol is "-1" (all), "tcp", "udp", "icmp", "icmpv6" or a number.
	Protocol   string `json:"protocol"`
	FromPort   int    `json:"from_port"`
	ToPort     int    `json:"to_port"`
	CIDR       string `json:"cidr,omitempty"`
	PrefixList string `json:"prefix_list,omitempty"`
	Group      string `json:"group,omitempty"`
}

// NetworkACL is a network ACL with the subnets it applies to.
type NetworkACL struct {
	ID        string     `json:"id"`
	VPCID     string     `json:"vpc_id"`
	IsDefault bool       `json:"is_default,omitempty"`
	Subnets   []string   `json:"subnets,omitempty"`
	Entries   []ACLEntry `json:"entries"`
}

// ACLEntry is one network ACL rule.
type ACLEntry struct {
	RuleNumber int    `json:"rule_number"`
	Egress     bool   `json:"egress"`
	Protocol   string `json:"protocol"`
	Action     string `json:"action"` // allow or deny
	CIDR       string `json:"cidr"`
	FromPort   int    `json:"from_port,omitempty"`
	ToPort     int    `json:"to_port,omitempty"`
}

// ---- CloudWatch Logs and alarms ----

// Logs is CloudWatch Logs in one region.
type Logs struct {
	LogGroups     []LogGroup     `json:"log_groups"`
	MetricFilters []MetricFilter `json:"metric_filters"`
}

// LogGroup is a CloudWatch Logs log group.
type LogGroup struct {
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
	// RetentionDays is 0 when the group never expires its events.
	RetentionDays int `json:"retention_days,omitempty"`
	// KMSKeyID is the KMS key that encrypts the group ("" when none: the
	// service's own encryption).
	KMSKeyID string `json:"kms_key_id,omitempty"`
}

// MetricFilter turns matching log events into a metric.
type MetricFilter struct {
	Name            string                 `json:"name"`
	LogGroup        string                 `json:"log_group"`
	Pattern         string                 `json:"pattern"`
	Transformations []MetricTransformation `json:"transformations"`
}

// MetricTransformation is the metric a filter publishes.
type MetricTransformation struct {
	MetricName      string `json:"metric_name"`
	MetricNamespace string `json:"metric_namespace"`
	MetricValue     string `json:"metric_value,omitempty"`
}

// CloudWatch holds the metric alarms of one region.
type CloudWatch struct {
	Alarms []Alarm `json:"alarms"`
}

// Alarm is a CloudWatch metric alarm.
type Alarm struct {
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
	// A single-metric alarm names its metric here; a metric-math alarm
	// has Metrics instead.
	Namespace          string            `json:"namespace,omitempty"`
	MetricName         string            `json:"metric_name,omitempty"`
	Dimensions         map[string]string `json:"dimensions,omitempty"`
	Statistic          string            `json:"statistic,omitempty"`
	ExtendedStatistic  string            `json:"extended_statistic,omitempty"`
	Period             int               `json:"period,omitempty"`
	EvaluationPeriods  int               `json:"evaluation_periods"`
	DatapointsToAlarm  int               `json:"datapoints_to_alarm,omitempty"`
	Threshold          float64           `json:"threshold"`
	ComparisonOperator string            `json:"comparison_operator"`
	ActionsEnabled     bool              `json:"actions_enabled"`
	AlarmActions       []string          `json:"alarm_actions,omitempty"`
	Metrics            []AlarmQuery      `json:"metrics,omitempty"`
}

// AlarmQuery is one query of a metric-math alarm.
type AlarmQuery struct {
	ID         string            `json:"id"`
	Expression string            `json:"expression,omitempty"`
	ReturnData bool              `json:"return_data,omitempty"`
	Namespace  string            `json:"namespace,omitempty"`
	MetricName string            `json:"metric_name,omitempty"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Stat       string            `json:"stat,omitempty"`
	Period     int               `json:"period,omitempty"`
}

// ---- compute and storage ----

// StepFunctions holds the state machines of one region.
type StepFunctions struct {
	StateMachines []StateMachine `json:"state_machines"`
}

// StateMachine is a Step Functions state machine.
type StateMachine struct {
	ARN     string `json:"arn"`
	Name    string `json:"name"`
	RoleARN string `json:"role_arn,omitempty"`
	// EncryptionType is "AWS_OWNED_KEY" or "CUSTOMER_MANAGED_KMS_KEY"
	// (absent: AWS owned).
	EncryptionType string            `json:"encryption_type,omitempty"`
	KMSKeyID       string            `json:"kms_key_id,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// EFS holds the file systems of one region.
type EFS struct {
	FileSystems  []FileSystem     `json:"file_systems"`
	MountTargets []MountTarget    `json:"mount_targets"`
	AccessPoints []EFSAccessPoint `json:"access_points"`
}

// FileSystem is an EFS file system.
type FileSystem struct {
	ID        string `json:"id"`
	ARN       string `json:"arn,omitempty"`
	Name      string `json:"name,omitempty"`
	Encrypted bool   `json:"encrypted"`
	KMSKeyID  string `json:"kms_key_id,omitempty"`
	// Policy is the file system policy; nil when it has none.
	Policy *policy.Document  `json:"policy,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`
}

// MountTarget is an EFS mount target.
type MountTarget struct {
	ID             string   `json:"id"`
	FileSystemID   string   `json:"file_system_id"`
	SubnetID       string   `json:"subnet_id"`
	VPCID          string   `json:"vpc_id,omitempty"`
	SecurityGroups []string `json:"security_groups"`
}

// EFSAccessPoint is an EFS access point.
type EFSAccessPoint struct {
	ID           string `json:"id"`
	ARN          string `json:"arn,omitempty"`
	FileSystemID string `json:"file_system_id"`
}

// Lambda holds the functions of one region.
type Lambda struct {
	Functions []Function `json:"functions"`
}

// Function is a Lambda function's configuration.
type Function struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	Role string `json:"role"`
	// VPC is nil for a function that runs outside any VPC (Lambda's own
	// network, which reaches the internet).
	VPC *FunctionVPC `json:"vpc,omitempty"`
	// FileSystems are the EFS access point ARNs it mounts.
	FileSystems []string `json:"file_systems,omitempty"`
	// LogGroup is the group it logs to ("" means /aws/lambda/NAME).
	LogGroup string            `json:"log_group,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// FunctionVPC is a function's VPC configuration.
type FunctionVPC struct {
	VPCID          string   `json:"vpc_id"`
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"security_groups"`
}

// ECS holds the clusters, services and task definitions of one region.
type ECS struct {
	Clusters        []ECSCluster        `json:"clusters"`
	Services        []ECSService        `json:"services"`
	TaskDefinitions []ECSTaskDefinition `json:"task_definitions"`
}

// ECSCluster is an ECS cluster.
type ECSCluster struct {
	ARN  string            `json:"arn"`
	Name string            `json:"name"`
	Tags map[string]string `json:"tags,omitempty"`
}

// ECSService is an ECS service.
type ECSService struct {
	ARN            string `json:"arn"`
	Name           string `json:"name"`
	Cluster        string `json:"cluster"` // cluster ARN
	TaskDefinition string `json:"task_definition"`
	LaunchType     string `json:"launch_type,omitempty"`
	// Subnets, SecurityGroups and AssignPublicIP are the awsvpc network
	// configuration (empty for other network modes).
	Subnets        []string          `json:"subnets,omitempty"`
	SecurityGroups []string          `json:"security_groups,omitempty"`
	AssignPublicIP bool              `json:"assign_public_ip,omitempty"`
	TargetGroups   []string          `json:"target_groups,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// ECSTaskDefinition is one revision of a task definition.
type ECSTaskDefinition struct {
	ARN           string `json:"arn"`
	Family        string `json:"family"`
	TaskRoleARN   string `json:"task_role_arn,omitempty"`
	ExecutionRole string `json:"execution_role_arn,omitempty"`
	// NetworkMode is "awsvpc", "bridge", "host" or "none".
	NetworkMode string         `json:"network_mode"`
	Containers  []ECSContainer `json:"containers"`
	EFSVolumes  []ECSEFSVolume `json:"efs_volumes,omitempty"`
}

// ECSContainer is a container definition.
type ECSContainer struct {
	Name       string            `json:"name"`
	Image      string            `json:"image"`
	LogDriver  string            `json:"log_driver,omitempty"`
	LogOptions map[string]string `json:"log_options,omitempty"`
}

// ECSEFSVolume is an EFS volume of a task definition.
type ECSEFSVolume struct {
	Name          string `json:"name"`
	FileSystemID  string `json:"file_system_id"`
	AccessPointID string `json:"access_point_id,omitempty"`
	// TransitEncryption is "ENABLED" or "DISABLED" (ECS's default).
	TransitEncryption string `json:"transit_encryption,omitempty"`
	IAM               string `json:"iam,omitempty"`
}

// ELB holds the Elastic Load Balancing v2 load balancers and target groups
// of one region.
type ELB struct {
	LoadBalancers []LoadBalancer `json:"load_balancers"`
	TargetGroups  []TargetGroup  `json:"target_groups"`
}

// LoadBalancer is an application, network or gateway load balancer.
type LoadBalancer struct {
	ARN            string   `json:"arn"`
	Name           string   `json:"name"`
	Type           string   `json:"type"`   // application, network, gateway
	Scheme         string   `json:"scheme"` // internet-facing or internal
	VPCID          string   `json:"vpc_id"`
	SecurityGroups []string `json:"security_groups,omitempty"`
}

// TargetGroup is a load balancer target group.
type TargetGroup struct {
	ARN           string   `json:"arn"`
	Name          string   `json:"name"`
	VPCID         string   `json:"vpc_id,omitempty"`
	LoadBalancers []string `json:"load_balancers,omitempty"`
}

// ---- normalization ----

// normalize sorts every list of the runtime section.
func (r *Runtime) normalize() {
	if r == nil {
		return
	}
	sort.Slice(r.Regions, func(i, j int) bool { return r.Regions[i].Region < r.Regions[j].Region })
	if r.S3 != nil {
		sort.Strings(r.S3.Buckets)
		r.S3.Buckets = nonNil(r.S3.Buckets)
	}
	for i := range r.Regions {
		x := &r.Regions[i]
		if e := x.EC2; e != nil {
			byID(e.VPCs, func(v VPC) string { return v.ID })
			for i := range e.VPCs {
				sort.Strings(e.VPCs[i].CIDRs)
				e.VPCs[i].CIDRs = nonNil(e.VPCs[i].CIDRs)
				e.VPCs[i].Tags = nilMap(e.VPCs[i].Tags)
			}
			byID(e.Subnets, func(v Subnet) string { return v.ID })
			for i := range e.Subnets {
				sort.Strings(e.Subnets[i].CIDRs)
				e.Subnets[i].CIDRs = nonNil(e.Subnets[i].CIDRs)
				e.Subnets[i].Tags = nilMap(e.Subnets[i].Tags)
			}
			byID(e.RouteTables, func(v RouteTable) string { return v.ID })
			for i := range e.RouteTables {
				t := &e.RouteTables[i]
				sort.Strings(t.Subnets)
				sort.Strings(t.Gateways)
				t.Subnets, t.Gateways, t.Tags = nilIfEmpty(t.Subnets), nilIfEmpty(t.Gateways), nilMap(t.Tags)
				sort.Slice(t.Routes, func(a, b int) bool {
					if t.Routes[a].Destination != t.Routes[b].Destination {
						return t.Routes[a].Destination < t.Routes[b].Destination
					}
					return t.Routes[a].Target < t.Routes[b].Target
				})
				t.Routes = nonNil(t.Routes)
			}
			for _, l := range []*[]InternetGateway{&e.InternetGateways, &e.EgressOnlyInternetGateways} {
				byID(*l, func(v InternetGateway) string { return v.ID })
				for i := range *l {
					g := &(*l)[i]
					sort.Strings(g.VPCs)
					g.VPCs, g.Tags = nonNil(g.VPCs), nilMap(g.Tags)
				}
				*l = nonNil(*l)
			}
			byID(e.NATGateways, func(v NATGateway) string { return v.ID })
			for i := range e.NATGateways {
				e.NATGateways[i].Tags = nilMap(e.NATGateways[i].Tags)
			}
			byID(e.PeeringConnections, func(v PeeringConnection) string { return v.ID })
			byID(e.TransitGatewayAttachments, func(v TransitGatewayAttach) string { return v.ID })
			for i := range e.TransitGatewayAttachments {
				a := &e.TransitGatewayAttachments[i]
				sort.Strings(a.Subnets)
				a.Subnets = nilIfEmpty(a.Subnets)
			}
			byID(e.TransitGatewayRouteTables, func(v TransitGatewayRouteTb) string { return v.ID })
			for i := range e.TransitGatewayRouteTables {
				t := &e.TransitGatewayRouteTables[i]
				for j := range t.Routes {
					sort.Strings(t.Routes[j].Attachments)
					t.Routes[j].Attachments = nilIfEmpty(t.Routes[j].Attachments)
				}
				sort.Slice(t.Routes, func(a, b int) bool { return t.Routes[a].Destination < t.Routes[b].Destination })
				t.Routes = nonNil(t.Routes)
			}
			byID(e.VPCEndpoints, func(v VPCEndpoint) string { return v.ID })
			for i := range e.VPCEndpoints {
				p := &e.VPCEndpoints[i]
				for _, l := range []*[]string{&p.RouteTables, &p.Subnets, &p.SecurityGroups} {
					sort.Strings(*l)
					*l = nilIfEmpty(*l)
				}
				p.Tags = nilMap(p.Tags)
			}
			byID(e.FlowLogs, func(v FlowLog) string { return v.ID })
			byID(e.SecurityGroups, func(v SecurityGroup) string { return v.ID })
			for i := range e.SecurityGroups {
				g := &e.SecurityGroups[i]
				sortRules(g.Ingress)
				sortRules(g.Egress)
				g.Ingress, g.Egress, g.Tags = nonNil(g.Ingress), nonNil(g.Egress), nilMap(g.Tags)
			}
			byID(e.NetworkACLs, func(v NetworkACL) string { return v.ID })
			for i := range e.NetworkACLs {
				a := &e.NetworkACLs[i]
				sort.Strings(a.Subnets)
				a.Subnets = nilIfEmpty(a.Subnets)
				sort.Slice(a.Entries, func(p, q int) bool {
					if a.Entries[p].Egress != a.Entries[q].Egress {
						return !a.Entries[p].Egress
					}
					return a.Entries[p].RuleNumber < a.Entries[q].RuleNumber
				})
				a.Entries = nonNil(a.Entries)
			}
			e.VPCs, e.Subnets, e.RouteTables = nonNil(e.VPCs), nonNil(e.Subnets), nonNil(e.RouteTables)
			e.NATGateways, e.PeeringConnections = nonNil(e.NATGateways), nonNil(e.PeeringConnections)
			e.TransitGatewayAttachments, e.TransitGatewayRouteTables = nonNil(e.TransitGatewayAttachments), nonNil(e.TransitGatewayRouteTables)
			e.VPCEndpoints, e.FlowLogs = nonNil(e.VPCEndpoints), nonNil(e.FlowLogs)
			e.SecurityGroups, e.NetworkACLs = nonNil(e.SecurityGroups), nonNil(e.NetworkACLs)
		}
		if l := x.Logs; l != nil {
			byID(l.LogGroups, func(v LogGroup) string { return v.Name })
			sort.Slice(l.MetricFilters, func(i, j int) bool {
				a, b := l.MetricFilters[i], l.MetricFilters[j]
				if a.LogGroup != b.LogGroup {
					return a.LogGroup < b.LogGroup
				}
				return a.Name < b.Name
			})
			for i := range l.MetricFilters {
				l.MetricFilters[i].Transformations = nonNil(l.MetricFilters[i].Transformations)
			}
			l.LogGroups, l.MetricFilters = nonNil(l.LogGroups), nonNil(l.MetricFilters)
		}
		if c := x.CloudWatch; c != nil {
			byID(c.Alarms, func(v Alarm) string { return v.Name })
			for i := range c.Alarms {
				a := &c.Alarms[i]
				sort.Strings(a.AlarmActions)
				a.AlarmActions, a.Dimensions = nilIfEmpty(a.AlarmActions), nilMap(a.Dimensions)
				sort.Slice(a.Metrics, func(p, q int) bool { return a.Metrics[p].ID < a.Metrics[q].ID })
				a.Metrics = nilIfEmpty(a.Metrics)
				for j := range a.Metrics {
					a.Metrics[j].Dimensions = nilMap(a.Metrics[j].Dimensions)
				}
			}
			c.Alarms = nonNil(c.Alarms)
		}
		if s := x.StepFunctions; s != nil {
			byID(s.StateMachines, func(v StateMachine) string { return v.ARN })
			for i := range s.StateMachines {
				s.StateMachines[i].Tags = nilMap(s.StateMachines[i].Tags)
			}
			s.StateMachines = nonNil(s.StateMachines)
		}
		if f := x.EFS; f != nil {
			byID(f.FileSystems, func(v FileSystem) string { return v.ID })
			for i := range f.FileSystems {
				f.FileSystems[i].Tags = nilMap(f.FileSystems[i].Tags)
			}
			byID(f.MountTargets, func(v MountTarget) string { return v.ID })
			for i := range f.MountTargets {
				sort.Strings(f.MountTargets[i].SecurityGroups)
				f.MountTargets[i].SecurityGroups = nonNil(f.MountTargets[i].SecurityGroups)
			}
			byID(f.AccessPoints, func(v EFSAccessPoint) string { return v.ID })
			f.FileSystems, f.MountTargets, f.AccessPoints = nonNil(f.FileSystems), nonNil(f.MountTargets), nonNil(f.AccessPoints)
		}
		if l := x.Lambda; l != nil {
			byID(l.Functions, func(v Function) string { return v.ARN })
			for i := range l.Functions {
				fn := &l.Functions[i]
				sort.Strings(fn.FileSystems)
				fn.FileSystems, fn.Tags = nilIfEmpty(fn.FileSystems), nilMap(fn.Tags)
				if fn.VPC != nil {
					sort.Strings(fn.VPC.Subnets)
					sort.Strings(fn.VPC.SecurityGroups)
					fn.VPC.Subnets, fn.VPC.SecurityGroups = nonNil(fn.VPC.Subnets), nonNil(fn.VPC.SecurityGroups)
				}
			}
			l.Functions = nonNil(l.Functions)
		}
		if e := x.ECS; e != nil {
			byID(e.Clusters, func(v ECSCluster) string { return v.ARN })
			for i := range e.Clusters {
				e.Clusters[i].Tags = nilMap(e.Clusters[i].Tags)
			}
			byID(e.Services, func(v ECSService) string { return v.ARN })
			for i := range e.Services {
				s := &e.Services[i]
				for _, l := range []*[]string{&s.Subnets, &s.SecurityGroups, &s.TargetGroups} {
					sort.Strings(*l)
					*l = nilIfEmpty(*l)
				}
				s.Tags = nilMap(s.Tags)
			}
			byID(e.TaskDefinitions, func(v ECSTaskDefinition) string { return v.ARN })
			for i := range e.TaskDefinitions {
				t := &e.TaskDefinitions[i]
				sort.Slice(t.Containers, func(a, b int) bool { return t.Containers[a].Name < t.Containers[b].Name })
				for j := range t.Containers {
					t.Containers[j].LogOptions = nilMap(t.Containers[j].LogOptions)
				}
				sort.Slice(t.EFSVolumes, func(a, b int) bool { return t.EFSVolumes[a].Name < t.EFSVolumes[b].Name })
				t.Containers, t.EFSVolumes = nonNil(t.Containers), nilIfEmpty(t.EFSVolumes)
			}
			e.Clusters, e.Services, e.TaskDefinitions = nonNil(e.Clusters), nonNil(e.Services), nonNil(e.TaskDefinitions)
		}
		if b := x.ELB; b != nil {
			byID(b.LoadBalancers, func(v LoadBalancer) string { return v.ARN })
			for i := range b.LoadBalancers {
				sort.Strings(b.LoadBalancers[i].SecurityGroups)
				b.LoadBalancers[i].SecurityGroups = nilIfEmpty(b.LoadBalancers[i].SecurityGroups)
			}
			byID(b.TargetGroups, func(v TargetGroup) string { return v.ARN })
			for i := range b.TargetGroups {
				sort.Strings(b.TargetGroups[i].LoadBalancers)
				b.TargetGroups[i].LoadBalancers = nilIfEmpty(b.TargetGroups[i].LoadBalancers)
			}
			b.LoadBalancers, b.TargetGroups = nonNil(b.LoadBalancers), nonNil(b.TargetGroups)
		}
	}
}

func byID[T any](s []T, id func(T) string) {
	sort.SliceStable(s, func(i, j int) bool { return id(s[i]) < id(s[j]) })
}

// nonNil makes a read, empty list "[]" in JSON (a section's lists have no
// omitempty: empty means "read, none").
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nilMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func sortRules(r []SGRule) {
	sort.Slice(r, func(i, j int) bool {
		a, b := r[i], r[j]
		switch {
		case a.Protocol != b.Protocol:
			return a.Protocol < b.Protocol
		case a.FromPort != b.FromPort:
			return a.FromPort < b.FromPort
		case a.ToPort != b.ToPort:
			return a.ToPort < b.ToPort
		case a.CIDR != b.CIDR:
			return a.CIDR < b.CIDR
		case a.PrefixList != b.PrefixList:
			return a.PrefixList < b.PrefixList
		}
		return a.Group < b.Group
	})
}
