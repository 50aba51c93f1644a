package testaccount

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/pvaudit/pvaudit/inventory"
)

// RuntimeWriters are the clients SeedRuntime creates resources with.
type RuntimeWriters struct {
	EC2        *ec2.Client
	Logs       *cloudwatchlogs.Client
	CloudWatch *cloudwatch.Client
	SFN        *sfn.Client
	EFS        *efs.Client
	Lambda     *lambda.Client
	ECS        *ecs.Client
	ELB        *elb.Client
}

// NewRuntimeWriters builds the clients from cfg.
func NewRuntimeWriters(cfg aws.Config) *RuntimeWriters {
	return &RuntimeWriters{EC2: ec2.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg), CloudWatch: cloudwatch.NewFromConfig(cfg),
		SFN: sfn.NewFromConfig(cfg), EFS: efs.NewFromConfig(cfg), Lambda: lambda.NewFromConfig(cfg), ECS: ecs.NewFromConfig(cfg), ELB: elb.NewFromConfig(cfg)}
}

// IDs maps the IDs of the seeded runtime to the ones the endpoint gave.
type IDs map[string]string

// Of returns the new ID of an old one (the old one when unmapped).
func (m IDs) Of(old string) string {
	if n, ok := m[old]; ok {
		return n
	}
	return old
}

func (m IDs) all(old []string) []string {
	var out []string
	for _, o := range old {
		out = append(out, m.Of(o))
	}
	return out
}

func ec2Tags(resource ec2types.ResourceType, tags map[string]string) []ec2types.TagSpecification {
	if len(tags) == 0 {
		return nil
	}
	ts := ec2types.TagSpecification{ResourceType: resource}
	for _, k := range sortedKeys(tags) {
		ts.Tags = append(ts.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return []ec2types.TagSpecification{ts}
}

// SeedRuntime creates one region's runtime (the snapshot's first region)
// through the service APIs, the way a provisioner builds a node: VPCs with
// their subnets, gateways, route tables, routes and associations, security
// groups and rules, endpoints, flow logs; log groups, metric filters,
// alarms; state machines; file systems with policies, mount targets and
// access points; functions; ECS clusters, task definitions and services;
// load balancers and target groups. Transit gateways and peering
// connections (which the endpoint cannot create) are left out. It returns
// the map from the snapshot's IDs and ARNs to the endpoint's.
func SeedRuntime(ctx context.Context, w *RuntimeWriters, rt *inventory.Runtime) (IDs, error) {
	ids := IDs{}
	if rt == nil || len(rt.Regions) == 0 {
		return ids, nil
	}
	r := rt.Regions[0]
	if e := r.EC2; e != nil {
		if err := seedEC2(ctx, w.EC2, e, ids); err != nil {
			return nil, err
		}
	}
	if l := r.Logs; l != nil {
		for _, g := range l.LogGroups {
			in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g.Name)}
			if g.KMSKeyID != "" {
				in.KmsKeyId = aws.String(g.KMSKeyID)
			}
			if _, err := w.Logs.CreateLogGroup(ctx, in); err != nil {
				return nil, fmt.Errorf("seed log group %s: %w", g.Name, err)
			}
			if g.RetentionDays > 0 {
				if _, err := w.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(g.Name), RetentionInDays: aws.Int32(int32(g.RetentionDays))}); err != nil {
					return nil, fmt.Errorf("seed retention %s: %w", g.Name, err)
				}
			}
		}
		for _, f := range l.MetricFilters {
			in := &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String(f.LogGroup), FilterName: aws.String(f.Name), FilterPattern: aws.String(f.Pattern)}
			for _, t := range f.Transformations {
				in.MetricTransformations = append(in.MetricTransformations, logtypes.MetricTransformation{MetricName: aws.String(t.MetricName),
					MetricNamespace: aws.String(t.MetricNamespace), MetricValue: aws.String(t.MetricValue)})
			}
			if _, err := w.Logs.PutMetricFilter(ctx, in); err != nil {
				return nil, fmt.Errorf("seed metric filter %s: %w", f.Name, err)
			}
		}
	}
	if s := r.StepFunctions; s != nil {
		for _, m := range s.StateMachines {
			in := &sfn.CreateStateMachineInput{Name: aws.String(m.Name), Definition: aws.String(`{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}`),
				RoleArn: aws.String(m.RoleARN)}
			if m.EncryptionType != "" {
				in.EncryptionConfiguration = &sfntypes.EncryptionConfiguration{Type: sfntypes.EncryptionType(m.EncryptionType)}
				if m.KMSKeyID != "" {
					in.EncryptionConfiguration.KmsKeyId = aws.String(m.KMSKeyID)
				}
			}
			for _, k := range sortedKeys(m.Tags) {
				in.Tags = append(in.Tags, sfntypes.Tag{Key: aws.String(k), Value: aws.String(m.Tags[k])})
			}
			if _, err := w.SFN.CreateStateMachine(ctx, in); err != nil {
				return nil, fmt.Errorf("seed state machine %s: %w", m.Name, err)
			}
		}
	}
	if f := r.EFS; f != nil {
		if err := seedEFS(ctx, w.EFS, f, ids); err != nil {
			return nil, err
		}
	}
	if l := r.Lambda; l != nil {
		for _, fn := range l.Functions {
			in := &lambda.CreateFunctionInput{FunctionName: aws.String(fn.Name), Role: aws.String(fn.Role), Runtime: lambdatypes.RuntimePython312,
				Handler: aws.String("index.handler"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK\x05\x06" + strings.Repeat("\x00", 18))}, Tags: fn.Tags}
			if fn.VPC != nil {
				in.VpcConfig = &lambdatypes.VpcConfig{SubnetIds: ids.all(fn.VPC.Subnets), SecurityGroupIds: ids.all(fn.VPC.SecurityGroups)}
			}
			for _, a := range fn.FileSystems {
				in.FileSystemConfigs = append(in.FileSystemConfigs, lambdatypes.FileSystemConfig{Arn: aws.String(ids.Of(a)), LocalMountPath: aws.String("/mnt/workflow")})
			}
			if fn.LogGroup != "" {
				in.LoggingConfig = &lambdatypes.LoggingConfig{LogGroup: aws.String(fn.LogGroup)}
			}
			if _, err := w.Lambda.CreateFunction(ctx, in); err != nil {
				return nil, fmt.Errorf("seed function %s: %w", fn.Name, err)
			}
		}
	}
	if b := r.ELB; b != nil {
		if err := seedELB(ctx, w.ELB, b, ids); err != nil {
			return nil, err
		}
	}
	if e := r.ECS; e != nil {
		if err := seedECS(ctx, w.ECS, e, ids); err != nil {
			return nil, err
		}
	}
	if c := r.CloudWatch; c != nil {
		for _, a := range c.Alarms {
			if err := seedAlarm(ctx, w.CloudWatch, a, ids); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// dimension follows an ELBv2 dimension value ("targetgroup/NAME/ID",
// "app/NAME/ID": the part of the ARN after its resource type) to the
// seeded resource.
func (m IDs) dimension(v string) string {
	for old, n := range m {
		for _, sep := range []string{":targetgroup/", ":loadbalancer/"} {
			if _, suffix, ok := strings.Cut(old, sep); ok {
				prefix := ""
				if sep == ":targetgroup/" {
					prefix = "targetgroup/"
				}
				if v == prefix+suffix {
					_, ns, _ := strings.Cut(n, sep)
					return prefix + ns
				}
			}
		}
	}
	return v
}

func seedEC2(ctx context.Context, c *ec2.Client, e *inventory.EC2, ids IDs) error {
	mainRT := map[string]string{} // new VPC → its main route table
	defaultSG := map[string]string{}
	for _, v := range e.VPCs {
		out, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(v.CIDRs[0]), TagSpecifications: ec2Tags(ec2types.ResourceTypeVpc, v.Tags)})
		if err != nil {
			return fmt.Errorf("seed vpc %s: %w", v.ID, err)
		}
		ids[v.ID] = aws.ToString(out.Vpc.VpcId)
	}
	for _, s := range e.Subnets {
		out, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(ids.Of(s.VPCID)), CidrBlock: aws.String(s.CIDRs[0]),
			AvailabilityZone: aws.String(s.AvailabilityZone), TagSpecifications: ec2Tags(ec2types.ResourceTypeSubnet, s.Tags)})
		if err != nil {
			return fmt.Errorf("seed subnet %s: %w", s.ID, err)
		}
		ids[s.ID] = aws.ToString(out.Subnet.SubnetId)
	}
	tables, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{})
	if err != nil {
		return fmt.Errorf("seed: describe route tables: %w", err)
	}
	for _, t := range tables.RouteTables {
		for _, a := range t.Associations {
			if aws.ToBool(a.Main) {
				mainRT[aws.ToString(t.VpcId)] = aws.ToString(t.RouteTableId)
			}
		}
	}
	groups, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		return fmt.Errorf("seed: describe security groups: %w", err)
	}
	for _, g := range groups.SecurityGroups {
		if aws.ToString(g.GroupName) == "default" {
			defaultSG[aws.ToString(g.VpcId)] = aws.ToString(g.GroupId)
		}
	}
	for _, g := range e.InternetGateways {
		out, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: ec2Tags(ec2types.ResourceTypeInternetGateway, g.Tags)})
		if err != nil {
			return fmt.Errorf("seed internet gateway %s: %w", g.ID, err)
		}
		ids[g.ID] = aws.ToString(out.InternetGateway.InternetGatewayId)
		for _, v := range g.VPCs {
			if _, err := c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(ids[g.ID]), VpcId: aws.String(ids.Of(v))}); err != nil {
				return fmt.Errorf("seed attach %s: %w", g.ID, err)
			}
		}
	}
	for _, n := range e.NATGateways {
		out, err := c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(ids.Of(n.SubnetID)),
			ConnectivityType: ec2types.ConnectivityType(n.ConnectivityType), TagSpecifications: ec2Tags(ec2types.ResourceTypeNatgateway, n.Tags)})
		if err != nil {
			return fmt.Errorf("seed nat gateway %s: %w", n.ID, err)
		}
		ids[n.ID] = aws.ToString(out.NatGateway.NatGatewayId)
	}
	for _, g := range e.SecurityGroups {
		vpc := ids.Of(g.VPCID)
		if g.Name == "default" {
			ids[g.ID] = defaultSG[vpc]
			continue
		}
		out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(g.Name), Description: aws.String(g.Name), VpcId: aws.String(vpc),
			TagSpecifications: ec2Tags(ec2types.ResourceTypeSecurityGroup, g.Tags)})
		if err != nil {
			return fmt.Errorf("seed security group %s: %w", g.ID, err)
		}
		ids[g.ID] = aws.ToString(out.GroupId)
		// A new group allows all outbound traffic; keep only what the
		// snapshot's group has.
		if _, err := c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(ids[g.ID]),
			IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
			return fmt.Errorf("seed revoke %s: %w", g.ID, err)
		}
	}
	for _, g := range e.SecurityGroups {
		if g.Name == "default" {
			continue
		}
		if len(g.Ingress) > 0 {
			if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(ids[g.ID]), IpPermissions: permissions(g.Ingress, ids)}); err != nil {
				return fmt.Errorf("seed ingress %s: %w", g.ID, err)
			}
		}
		if len(g.Egress) > 0 {
			if _, err := c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(ids[g.ID]), IpPermissions: permissions(g.Egress, ids)}); err != nil {
				return fmt.Errorf("seed egress %s: %w", g.ID, err)
			}
		}
	}
	for _, t := range e.RouteTables {
		var id string
		if t.Main {
			id = mainRT[ids.Of(t.VPCID)]
		} else {
			out, err := c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(ids.Of(t.VPCID)), TagSpecifications: ec2Tags(ec2types.ResourceTypeRouteTable, t.Tags)})
			if err != nil {
				return fmt.Errorf("seed route table %s: %w", t.ID, err)
			}
			id = aws.ToString(out.RouteTable.RouteTableId)
		}
		ids[t.ID] = id
		for _, s := range t.Subnets {
			if _, err := c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(id), SubnetId: aws.String(ids.Of(s))}); err != nil {
				return fmt.Errorf("seed association %s: %w", t.ID, err)
			}
		}
	}
	for _, ep := range e.VPCEndpoints {
		in := &ec2.CreateVpcEndpointInput{VpcId: aws.String(ids.Of(ep.VPCID)), ServiceName: aws.String(ep.ServiceName), VpcEndpointType: ec2types.VpcEndpointType(ep.Type),
			RouteTableIds: ids.all(ep.RouteTables), SubnetIds: ids.all(ep.Subnets), SecurityGroupIds: ids.all(ep.SecurityGroups),
			TagSpecifications: ec2Tags(ec2types.ResourceTypeVpcEndpoint, ep.Tags)}
		if ep.Type == "Interface" {
			in.PrivateDnsEnabled = aws.Bool(ep.PrivateDNSEnabled)
		}
		if ep.Policy != nil {
			b, err := ep.Policy.CanonicalJSON()
			if err != nil {
				return err
			}
			in.PolicyDocument = aws.String(string(b))
		}
		out, err := c.CreateVpcEndpoint(ctx, in)
		if err != nil {
			return fmt.Errorf("seed endpoint %s: %w", ep.ID, err)
		}
		ids[ep.ID] = aws.ToString(out.VpcEndpoint.VpcEndpointId)
	}
	for _, t := range e.RouteTables {
		for _, r := range t.Routes {
			if r.Target == "local" || strings.HasPrefix(r.Target, "vpce-") || r.State == "blackhole" {
				continue // the VPC's own route, and the gateway endpoints' (CreateVpcEndpoint added them)
			}
			in := &ec2.CreateRouteInput{RouteTableId: aws.String(ids[t.ID])}
			switch {
			case strings.HasPrefix(r.Destination, "pl-"):
				in.DestinationPrefixListId = aws.String(r.Destination)
			case strings.Contains(r.Destination, ":"):
				in.DestinationIpv6CidrBlock = aws.String(r.Destination)
			default:
				in.DestinationCidrBlock = aws.String(r.Destination)
			}
			tgt := ids.Of(r.Target)
			switch {
			case strings.HasPrefix(tgt, "nat-"):
				in.NatGatewayId = aws.String(tgt)
			case strings.HasPrefix(tgt, "tgw-"):
				in.TransitGatewayId = aws.String(tgt)
			case strings.HasPrefix(tgt, "pcx-"):
				in.VpcPeeringConnectionId = aws.String(tgt)
			case strings.HasPrefix(tgt, "eigw-"):
				in.EgressOnlyInternetGatewayId = aws.String(tgt)
			case strings.HasPrefix(tgt, "eni-"):
				in.NetworkInterfaceId = aws.String(tgt)
			default:
				in.GatewayId = aws.String(tgt)
			}
			if _, err := c.CreateRoute(ctx, in); err != nil {
				return fmt.Errorf("seed route %s %s: %w", t.ID, r.Destination, err)
			}
		}
	}
	for _, l := range e.FlowLogs {
		in := &ec2.CreateFlowLogsInput{ResourceIds: []string{ids.Of(l.ResourceID)}, ResourceType: ec2types.FlowLogsResourceTypeVpc,
			TrafficType: ec2types.TrafficType(l.TrafficType), LogDestinationType: ec2types.LogDestinationType(l.LogDestinationType)}
		if strings.HasPrefix(l.ResourceID, "subnet-") {
			in.ResourceType = ec2types.FlowLogsResourceTypeSubnet
		}
		if l.LogDestination != "" {
			in.LogDestination = aws.String(l.LogDestination)
		}
		if _, err := c.CreateFlowLogs(ctx, in); err != nil {
			return fmt.Errorf("seed flow log %s: %w", l.ID, err)
		}
	}
	return nil
}

// permissions turns rules into EC2 permissions, one per rule.
func permissions(rules []inventory.SGRule, ids IDs) []ec2types.IpPermission {
	var out []ec2types.IpPermission
	for _, r := range rules {
		p := ec2types.IpPermission{IpProtocol: aws.String(r.Protocol)}
		if r.Protocol != "-1" {
			p.FromPort, p.ToPort = aws.Int32(int32(r.FromPort)), aws.Int32(int32(r.ToPort))
		}
		switch {
		case strings.Contains(r.CIDR, ":"):
			p.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(r.CIDR)}}
		case r.CIDR != "":
			p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(r.CIDR)}}
		case r.PrefixList != "":
			p.PrefixListIds = []ec2types.PrefixListId{{PrefixListId: aws.String(r.PrefixList)}}
		default:
			p.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: aws.String(ids.Of(r.Group))}}
		}
		out = append(out, p)
	}
	return out
}

func seedAlarm(ctx context.Context, c *cloudwatch.Client, a inventory.Alarm, ids IDs) error {
	in := &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(a.Name), EvaluationPeriods: aws.Int32(int32(a.EvaluationPeriods)),
		Threshold: aws.Float64(a.Threshold), ComparisonOperator: cwtypes.ComparisonOperator(a.ComparisonOperator),
		ActionsEnabled: aws.Bool(a.ActionsEnabled), AlarmActions: a.AlarmActions}
	if a.MetricName != "" {
		in.Namespace, in.MetricName = aws.String(a.Namespace), aws.String(a.MetricName)
		for _, k := range sortedKeys(a.Dimensions) {
			in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(ids.dimension(a.Dimensions[k]))})
		}
	}
	if a.Statistic != "" {
		in.Statistic = cwtypes.Statistic(a.Statistic)
	}
	if a.Period > 0 {
		in.Period = aws.Int32(int32(a.Period))
	}
	if a.DatapointsToAlarm > 0 {
		in.DatapointsToAlarm = aws.Int32(int32(a.DatapointsToAlarm))
	}
	for _, q := range a.Metrics {
		mq := cwtypes.MetricDataQuery{Id: aws.String(q.ID), ReturnData: aws.Bool(q.ReturnData)}
		if q.Expression != "" {
			mq.Expression = aws.String(q.Expression)
		} else {
			m := &cwtypes.Metric{Namespace: aws.String(q.Namespace), MetricName: aws.String(q.MetricName)}
			for _, k := range sortedKeys(q.Dimensions) {
				m.Dimensions = append(m.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(q.Dimensions[k])})
			}
			mq.MetricStat = &cwtypes.MetricStat{Metric: m, Period: aws.Int32(int32(q.Period)), Stat: aws.String(q.Stat)}
		}
		in.Metrics = append(in.Metrics, mq)
	}
	if _, err := c.PutMetricAlarm(ctx, in); err != nil {
		return fmt.Errorf("seed alarm %s: %w", a.Name, err)
	}
	return nil
}

func seedEFS(ctx context.Context, c *efs.Client, f *inventory.EFS, ids IDs) error {
	for _, fs := range f.FileSystems {
		in := &efs.CreateFileSystemInput{CreationToken: aws.String(fs.ID), Encrypted: aws.Bool(fs.Encrypted)}
		if fs.KMSKeyID != "" {
			in.KmsKeyId = aws.String(fs.KMSKeyID)
		}
		tags := map[string]string{}
		for k, v := range fs.Tags {
			tags[k] = v
		}
		if fs.Name != "" {
			tags["Name"] = fs.Name
		}
		for _, k := range sortedKeys(tags) {
			in.Tags = append(in.Tags, efstypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
		}
		out, err := c.CreateFileSystem(ctx, in)
		if err != nil {
			return fmt.Errorf("seed file system %s: %w", fs.ID, err)
		}
		ids[fs.ID] = aws.ToString(out.FileSystemId)
		ids[fs.ARN] = aws.ToString(out.FileSystemArn)
		if fs.Policy != nil {
			b, err := fs.Policy.CanonicalJSON()
			if err != nil {
				return err
			}
			// The policy names the file system by ARN: follow the new ID.
			doc := strings.ReplaceAll(string(b), fs.ARN, ids[fs.ARN])
			if _, err := c.PutFileSystemPolicy(ctx, &efs.PutFileSystemPolicyInput{FileSystemId: aws.String(ids[fs.ID]), Policy: aws.String(doc)}); err != nil {
				return fmt.Errorf("seed file system policy %s: %w", fs.ID, err)
			}
		}
	}
	for _, m := range f.MountTargets {
		if _, err := c.CreateMountTarget(ctx, &efs.CreateMountTargetInput{FileSystemId: aws.String(ids.Of(m.FileSystemID)), SubnetId: aws.String(ids.Of(m.SubnetID)),
			SecurityGroups: ids.all(m.SecurityGroups)}); err != nil {
			return fmt.Errorf("seed mount target %s: %w", m.ID, err)
		}
	}
	for _, a := range f.AccessPoints {
		out, err := c.CreateAccessPoint(ctx, &efs.CreateAccessPointInput{ClientToken: aws.String(a.ID), FileSystemId: aws.String(ids.Of(a.FileSystemID))})
		if err != nil {
			return fmt.Errorf("seed access point %s: %w", a.ID, err)
		}
		ids[a.ID] = aws.ToString(out.AccessPointId)
		ids[a.ARN] = aws.ToString(out.AccessPointArn)
	}
	return nil
}

func seedELB(ctx context.Context, c *elb.Client, b *inventory.ELB, ids IDs) error {
	for _, l := range b.LoadBalancers {
		out, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(l.Name), Type: elbtypes.LoadBalancerTypeEnum(l.Type),
			Scheme: elbtypes.LoadBalancerSchemeEnum(l.Scheme), SecurityGroups: ids.all(l.SecurityGroups)})
		if err != nil {
			return fmt.Errorf("seed load balancer %s: %w", l.Name, err)
		}
		ids[l.ARN] = aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
	}
	for _, t := range b.TargetGroups {
		out, err := c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(t.Name), VpcId: aws.String(ids.Of(t.VPCID)),
			Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), TargetType: elbtypes.TargetTypeEnumIp})
		if err != nil {
			return fmt.Errorf("seed target group %s: %w", t.Name, err)
		}
		ids[t.ARN] = aws.ToString(out.TargetGroups[0].TargetGroupArn)
		for _, lb := range t.LoadBalancers {
			if _, err := c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(ids.Of(lb)), Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(443),
				DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(ids[t.ARN])}}}); err != nil {
				return fmt.Errorf("seed listener %s: %w", t.Name, err)
			}
		}
	}
	return nil
}

func seedECS(ctx context.Context, c *ecs.Client, e *inventory.ECS, ids IDs) error {
	for _, cl := range e.Clusters {
		in := &ecs.CreateClusterInput{ClusterName: aws.String(cl.Name)}
		for _, k := range sortedKeys(cl.Tags) {
			in.Tags = append(in.Tags, ecstypes.Tag{Key: aws.String(k), Value: aws.String(cl.Tags[k])})
		}
		out, err := c.CreateCluster(ctx, in)
		if err != nil {
			return fmt.Errorf("seed cluster %s: %w", cl.Name, err)
		}
		ids[cl.ARN] = aws.ToString(out.Cluster.ClusterArn)
	}
	for _, td := range e.TaskDefinitions {
		in := &ecs.RegisterTaskDefinitionInput{Family: aws.String(td.Family), NetworkMode: ecstypes.NetworkMode(td.NetworkMode)}
		if td.TaskRoleARN != "" {
			in.TaskRoleArn = aws.String(td.TaskRoleARN)
		}
		if td.ExecutionRole != "" {
			in.ExecutionRoleArn = aws.String(td.ExecutionRole)
		}
		for _, ct := range td.Containers {
			cd := ecstypes.ContainerDefinition{Name: aws.String(ct.Name), Image: aws.String(ct.Image)}
			if ct.LogDriver != "" {
				cd.LogConfiguration = &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriver(ct.LogDriver), Options: ct.LogOptions}
			}
			in.ContainerDefinitions = append(in.ContainerDefinitions, cd)
		}
		for _, v := range td.EFSVolumes {
			ev := &ecstypes.EFSVolumeConfiguration{FileSystemId: aws.String(ids.Of(v.FileSystemID)), TransitEncryption: ecstypes.EFSTransitEncryption(v.TransitEncryption)}
			if v.AccessPointID != "" || v.IAM != "" {
				ev.AuthorizationConfig = &ecstypes.EFSAuthorizationConfig{AccessPointId: aws.String(ids.Of(v.AccessPointID)), Iam: ecstypes.EFSAuthorizationConfigIAM(v.IAM)}
			}
			in.Volumes = append(in.Volumes, ecstypes.Volume{Name: aws.String(v.Name), EfsVolumeConfiguration: ev})
		}
		out, err := c.RegisterTaskDefinition(ctx, in)
		if err != nil {
			return fmt.Errorf("seed task definition %s: %w", td.Family, err)
		}
		ids[td.ARN] = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	}
	for _, s := range e.Services {
		in := &ecs.CreateServiceInput{ServiceName: aws.String(s.Name), Cluster: aws.String(ids.Of(s.Cluster)), TaskDefinition: aws.String(ids.Of(s.TaskDefinition)),
			LaunchType: ecstypes.LaunchType(s.LaunchType)}
		if len(s.Subnets) > 0 {
			ip := ecstypes.AssignPublicIpDisabled
			if s.AssignPublicIP {
				ip = ecstypes.AssignPublicIpEnabled
			}
			in.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: ids.all(s.Subnets),
				SecurityGroups: ids.all(s.SecurityGroups), AssignPublicIp: ip}}
		}
		for _, tg := range s.TargetGroups {
			in.LoadBalancers = append(in.LoadBalancers, ecstypes.LoadBalancer{TargetGroupArn: aws.String(ids.Of(tg)), ContainerName: aws.String("par"), ContainerPort: aws.Int32(8080)})
		}
		for _, k := range sortedKeys(s.Tags) {
			in.Tags = append(in.Tags, ecstypes.Tag{Key: aws.String(k), Value: aws.String(s.Tags[k])})
		}
		if _, err := c.CreateService(ctx, in); err != nil {
			return fmt.Errorf("seed service %s: %w", s.Name, err)
		}
	}
	return nil
}

// TransitGatewayAdder is what the loopback endpoint offers for the
// transit gateways it does not create through the API.
type TransitGatewayAdder interface {
	AddTransitGateway(region string, attachments []inventory.TransitGatewayAttach, tables []inventory.TransitGatewayRouteTb)
}

// AddTransitGateways adds the snapshot's transit gateway attachments and
// route tables to the endpoint, with the VPC and subnet IDs SeedRuntime
// gave (ids).
func AddTransitGateways(to TransitGatewayAdder, rt *inventory.Runtime, ids IDs) {
	if rt == nil {
		return
	}
	for _, r := range rt.Regions {
		if r.EC2 == nil || len(r.EC2.TransitGatewayAttachments)+len(r.EC2.TransitGatewayRouteTables) == 0 {
			continue
		}
		var atts []inventory.TransitGatewayAttach
		for _, a := range r.EC2.TransitGatewayAttachments {
			a.ResourceID = ids.Of(a.ResourceID)
			a.Subnets = ids.all(a.Subnets)
			atts = append(atts, a)
		}
		to.AddTransitGateway(r.Region, atts, append([]inventory.TransitGatewayRouteTb(nil), r.EC2.TransitGatewayRouteTables...))
	}
}

// RuntimeServer is what BuildRuntime adds directly to the endpoint: what
// the APIs cannot create (transit gateways) and the account's bucket list.
type RuntimeServer interface {
	TransitGatewayAdder
	AddBucket(name string)
}

// BuildRuntime builds a runtime section the way a deployment would: every
// resource the APIs can create through w, then the transit gateways and
// buckets directly on srv. It returns the IDs the endpoint gave.
func BuildRuntime(ctx context.Context, w *RuntimeWriters, srv RuntimeServer, rt *inventory.Runtime) (IDs, error) {
	if rt == nil {
		return IDs{}, nil
	}
	ids, err := SeedRuntime(ctx, w, rt)
	if err != nil {
		return IDs{}, err
	}
	AddTransitGateways(srv, rt, ids)
	if rt.S3 != nil {
		for _, b := range rt.S3.Buckets {
			srv.AddBucket(b)
		}
	}
	return ids, nil
}
