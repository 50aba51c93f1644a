package live

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

func readLogs(ctx context.Context, api LogsAPI) (*inventory.Logs, error) {
	l := &inventory.Logs{LogGroups: []inventory.LogGroup{}, MetricFilters: []inventory.MetricFilter{}}
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(api, &cloudwatchlogs.DescribeLogGroupsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("logs:DescribeLogGroups", err)
		}
		for _, g := range out.LogGroups {
			l.LogGroups = append(l.LogGroups, inventory.LogGroup{Name: aws.ToString(g.LogGroupName), ARN: aws.ToString(g.Arn),
				RetentionDays: int(aws.ToInt32(g.RetentionInDays)), KMSKeyID: aws.ToString(g.KmsKeyId)})
		}
	}
	fp := cloudwatchlogs.NewDescribeMetricFiltersPaginator(api, &cloudwatchlogs.DescribeMetricFiltersInput{})
	for fp.HasMorePages() {
		out, err := fp.NextPage(ctx)
		if err != nil {
			return nil, fail("logs:DescribeMetricFilters", err)
		}
		for _, f := range out.MetricFilters {
			mf := inventory.MetricFilter{Name: aws.ToString(f.FilterName), LogGroup: aws.ToString(f.LogGroupName), Pattern: aws.ToString(f.FilterPattern)}
			for _, t := range f.MetricTransformations {
				mf.Transformations = append(mf.Transformations, inventory.MetricTransformation{MetricName: aws.ToString(t.MetricName),
					MetricNamespace: aws.ToString(t.MetricNamespace), MetricValue: aws.ToString(t.MetricValue)})
			}
			l.MetricFilters = append(l.MetricFilters, mf)
		}
	}
	return l, nil
}

func dims(ds []cwtypes.Dimension) map[string]string {
	return tagMap(ds, func(d cwtypes.Dimension) (*string, *string) { return d.Name, d.Value })
}

func readAlarms(ctx context.Context, api CloudWatchAPI) (*inventory.CloudWatch, error) {
	w := &inventory.CloudWatch{Alarms: []inventory.Alarm{}}
	p := cloudwatch.NewDescribeAlarmsPaginator(api, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("cloudwatch:DescribeAlarms", err)
		}
		for _, a := range out.MetricAlarms {
			al := inventory.Alarm{Name: aws.ToString(a.AlarmName), ARN: aws.ToString(a.AlarmArn), Namespace: aws.ToString(a.Namespace),
				MetricName: aws.ToString(a.MetricName), Dimensions: dims(a.Dimensions), Statistic: string(a.Statistic),
				ExtendedStatistic: aws.ToString(a.ExtendedStatistic), Period: int(aws.ToInt32(a.Period)),
				EvaluationPeriods: int(aws.ToInt32(a.EvaluationPeriods)), DatapointsToAlarm: int(aws.ToInt32(a.DatapointsToAlarm)),
				Threshold: aws.ToFloat64(a.Threshold), ComparisonOperator: string(a.ComparisonOperator),
				ActionsEnabled: aws.ToBool(a.ActionsEnabled), AlarmActions: a.AlarmActions}
			for _, q := range a.Metrics {
				aq := inventory.AlarmQuery{ID: aws.ToString(q.Id), Expression: aws.ToString(q.Expression), ReturnData: aws.ToBool(q.ReturnData), Period: int(aws.ToInt32(q.Period))}
				if q.ReturnData == nil {
					aq.ReturnData = true // CloudWatch's default
				}
				if ms := q.MetricStat; ms != nil {
					aq.Stat = aws.ToString(ms.Stat)
					if aq.Period == 0 {
						aq.Period = int(aws.ToInt32(ms.Period))
					}
					if m := ms.Metric; m != nil {
						aq.Namespace, aq.MetricName, aq.Dimensions = aws.ToString(m.Namespace), aws.ToString(m.MetricName), dims(m.Dimensions)
					}
				}
				al.Metrics = append(al.Metrics, aq)
			}
			w.Alarms = append(w.Alarms, al)
		}
	}
	return w, nil
}

func readSFN(ctx context.Context, api SFNAPI) (*inventory.StepFunctions, error) {
	s := &inventory.StepFunctions{StateMachines: []inventory.StateMachine{}}
	p := sfn.NewListStateMachinesPaginator(api, &sfn.ListStateMachinesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("states:ListStateMachines", err)
		}
		for _, item := range out.StateMachines {
			arn := aws.ToString(item.StateMachineArn)
			d, err := api.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
			if err != nil {
				return nil, fail("states:DescribeStateMachine", err)
			}
			sm := inventory.StateMachine{ARN: arn, Name: aws.ToString(d.Name), RoleARN: aws.ToString(d.RoleArn)}
			if ec := d.EncryptionConfiguration; ec != nil {
				sm.EncryptionType, sm.KMSKeyID = string(ec.Type), aws.ToString(ec.KmsKeyId)
			}
			t, err := api.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			if err != nil {
				return nil, fail("states:ListTagsForResource", err)
			}
			sm.Tags = tagMap(t.Tags, func(x sfntypes.Tag) (*string, *string) { return x.Key, x.Value })
			s.StateMachines = append(s.StateMachines, sm)
		}
	}
	return s, nil
}

func readEFS(ctx context.Context, api EFSAPI) (*inventory.EFS, error) {
	f := &inventory.EFS{FileSystems: []inventory.FileSystem{}, MountTargets: []inventory.MountTarget{}, AccessPoints: []inventory.EFSAccessPoint{}}
	p := efs.NewDescribeFileSystemsPaginator(api, &efs.DescribeFileSystemsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("elasticfilesystem:DescribeFileSystems", err)
		}
		for _, x := range out.FileSystems {
			id := aws.ToString(x.FileSystemId)
			fs := inventory.FileSystem{ID: id, ARN: aws.ToString(x.FileSystemArn), Name: aws.ToString(x.Name), Encrypted: aws.ToBool(x.Encrypted),
				KMSKeyID: aws.ToString(x.KmsKeyId), Tags: tagMap(x.Tags, func(t efstypes.Tag) (*string, *string) { return t.Key, t.Value })}
			pol, err := api.DescribeFileSystemPolicy(ctx, &efs.DescribeFileSystemPolicyInput{FileSystemId: aws.String(id)})
			var nf *efstypes.PolicyNotFound
			switch {
			case errors.As(err, &nf):
				// No file system policy: EFS's default, which lets any client
				// that reaches a mount target mount it.
			case err != nil:
				return nil, fail("elasticfilesystem:DescribeFileSystemPolicy", err)
			case aws.ToString(pol.Policy) != "":
				doc, perr := policy.ParseString(aws.ToString(pol.Policy))
				if perr != nil {
					return nil, fail("elasticfilesystem:DescribeFileSystemPolicy", fmt.Errorf("file system %s: its policy cannot be parsed: %w", id, perr))
				}
				fs.Policy = doc
			}
			f.FileSystems = append(f.FileSystems, fs)
			mp := efs.NewDescribeMountTargetsPaginator(api, &efs.DescribeMountTargetsInput{FileSystemId: aws.String(id)})
			for mp.HasMorePages() {
				mo, err := mp.NextPage(ctx)
				if err != nil {
					return nil, fail("elasticfilesystem:DescribeMountTargets", err)
				}
				for _, m := range mo.MountTargets {
					mid := aws.ToString(m.MountTargetId)
					sg, err := api.DescribeMountTargetSecurityGroups(ctx, &efs.DescribeMountTargetSecurityGroupsInput{MountTargetId: aws.String(mid)})
					if err != nil {
						return nil, fail("elasticfilesystem:DescribeMountTargetSecurityGroups", err)
					}
					f.MountTargets = append(f.MountTargets, inventory.MountTarget{ID: mid, FileSystemID: id, SubnetID: aws.ToString(m.SubnetId),
						VPCID: aws.ToString(m.VpcId), SecurityGroups: sg.SecurityGroups})
				}
			}
		}
	}
	ap := efs.NewDescribeAccessPointsPaginator(api, &efs.DescribeAccessPointsInput{})
	for ap.HasMorePages() {
		out, err := ap.NextPage(ctx)
		if err != nil {
			return nil, fail("elasticfilesystem:DescribeAccessPoints", err)
		}
		for _, a := range out.AccessPoints {
			f.AccessPoints = append(f.AccessPoints, inventory.EFSAccessPoint{ID: aws.ToString(a.AccessPointId), ARN: aws.ToString(a.AccessPointArn),
				FileSystemID: aws.ToString(a.FileSystemId)})
		}
	}
	return f, nil
}

func readLambda(ctx context.Context, api LambdaAPI) (*inventory.Lambda, error) {
	l := &inventory.Lambda{Functions: []inventory.Function{}}
	p := lambda.NewListFunctionsPaginator(api, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("lambda:ListFunctions", err)
		}
		for _, fc := range out.Functions {
			arn := aws.ToString(fc.FunctionArn)
			fn := inventory.Function{Name: aws.ToString(fc.FunctionName), ARN: arn, Role: aws.ToString(fc.Role)}
			if v := fc.VpcConfig; v != nil && len(v.SubnetIds) > 0 {
				fn.VPC = &inventory.FunctionVPC{VPCID: aws.ToString(v.VpcId), Subnets: v.SubnetIds, SecurityGroups: v.SecurityGroupIds}
			}
			for _, c := range fc.FileSystemConfigs {
				fn.FileSystems = append(fn.FileSystems, aws.ToString(c.Arn))
			}
			if lc := fc.LoggingConfig; lc != nil {
				fn.LogGroup = aws.ToString(lc.LogGroup)
			}
			t, err := api.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
			if err != nil {
				return nil, fail("lambda:ListTags", err)
			}
			if len(t.Tags) > 0 {
				fn.Tags = t.Tags
			}
			l.Functions = append(l.Functions, fn)
		}
	}
	return l, nil
}

func ecsTags(ts []ecstypes.Tag) map[string]string {
	return tagMap(ts, func(t ecstypes.Tag) (*string, *string) { return t.Key, t.Value })
}

// ecsFailures turns the failures ECS lists beside a Describe answer into an
// error: what it could not describe is missing from the section.
func ecsFailures(op string, fs []ecstypes.Failure) error {
	if len(fs) == 0 {
		return nil
	}
	var parts []string
	for _, f := range fs {
		parts = append(parts, aws.ToString(f.Arn)+": "+aws.ToString(f.Reason))
	}
	return fail(op, fmt.Errorf("%s", strings.Join(parts, "; ")))
}

func readECS(ctx context.Context, api ECSAPI) (*inventory.ECS, error) {
	e := &inventory.ECS{Clusters: []inventory.ECSCluster{}, Services: []inventory.ECSService{}, TaskDefinitions: []inventory.ECSTaskDefinition{}}
	var clusterARNs []string
	p := ecs.NewListClustersPaginator(api, &ecs.ListClustersInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("ecs:ListClusters", err)
		}
		clusterARNs = append(clusterARNs, out.ClusterArns...)
	}
	for i := 0; i < len(clusterARNs); i += 100 {
		batch := clusterARNs[i:min(i+100, len(clusterARNs))]
		out, err := api.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: batch, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags}})
		if err != nil {
			return nil, fail("ecs:DescribeClusters", err)
		}
		if err := ecsFailures("ecs:DescribeClusters", out.Failures); err != nil {
			return nil, err
		}
		for _, c := range out.Clusters {
			e.Clusters = append(e.Clusters, inventory.ECSCluster{ARN: aws.ToString(c.ClusterArn), Name: aws.ToString(c.ClusterName), Tags: ecsTags(c.Tags)})
		}
	}
	taskDefs := map[string]bool{}
	for _, cl := range clusterARNs {
		var svcARNs []string
		sp := ecs.NewListServicesPaginator(api, &ecs.ListServicesInput{Cluster: aws.String(cl)})
		for sp.HasMorePages() {
			out, err := sp.NextPage(ctx)
			if err != nil {
				return nil, fail("ecs:ListServices", err)
			}
			svcARNs = append(svcARNs, out.ServiceArns...)
		}
		for i := 0; i < len(svcARNs); i += 10 {
			batch := svcARNs[i:min(i+10, len(svcARNs))]
			out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cl), Services: batch, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}})
			if err != nil {
				return nil, fail("ecs:DescribeServices", err)
			}
			if err := ecsFailures("ecs:DescribeServices", out.Failures); err != nil {
				return nil, err
			}
			for _, s := range out.Services {
				svc := inventory.ECSService{ARN: aws.ToString(s.ServiceArn), Name: aws.ToString(s.ServiceName), Cluster: aws.ToString(s.ClusterArn),
					TaskDefinition: aws.ToString(s.TaskDefinition), LaunchType: string(s.LaunchType), Tags: ecsTags(s.Tags)}
				if svc.Cluster == "" {
					svc.Cluster = cl
				}
				if nc := s.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
					v := nc.AwsvpcConfiguration
					svc.Subnets, svc.SecurityGroups = v.Subnets, v.SecurityGroups
					svc.AssignPublicIP = v.AssignPublicIp == ecstypes.AssignPublicIpEnabled
				}
				for _, lb := range s.LoadBalancers {
					if lb.TargetGroupArn != nil {
						svc.TargetGroups = append(svc.TargetGroups, aws.ToString(lb.TargetGroupArn))
					}
				}
				e.Services = append(e.Services, svc)
				taskDefs[svc.TaskDefinition] = true
			}
		}
	}
	for _, td := range sortedStrings(keys(taskDefs)) {
		out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(td)})
		if err != nil {
			return nil, fail("ecs:DescribeTaskDefinition", err)
		}
		t := out.TaskDefinition
		if t == nil {
			return nil, fail("ecs:DescribeTaskDefinition", fmt.Errorf("no task definition in the answer for %s", td))
		}
		def := inventory.ECSTaskDefinition{ARN: aws.ToString(t.TaskDefinitionArn), Family: aws.ToString(t.Family), TaskRoleARN: aws.ToString(t.TaskRoleArn),
			ExecutionRole: aws.ToString(t.ExecutionRoleArn), NetworkMode: string(t.NetworkMode)}
		if def.NetworkMode == "" {
			def.NetworkMode = "bridge" // ECS's default for the EC2 launch type
		}
		for _, c := range t.ContainerDefinitions {
			ct := inventory.ECSContainer{Name: aws.ToString(c.Name), Image: aws.ToString(c.Image)}
			if lc := c.LogConfiguration; lc != nil {
				ct.LogDriver, ct.LogOptions = string(lc.LogDriver), lc.Options
			}
			def.Containers = append(def.Containers, ct)
		}
		for _, v := range t.Volumes {
			if ev := v.EfsVolumeConfiguration; ev != nil {
				vol := inventory.ECSEFSVolume{Name: aws.ToString(v.Name), FileSystemID: aws.ToString(ev.FileSystemId), TransitEncryption: string(ev.TransitEncryption)}
				if ac := ev.AuthorizationConfig; ac != nil {
					vol.AccessPointID, vol.IAM = aws.ToString(ac.AccessPointId), string(ac.Iam)
				}
				def.EFSVolumes = append(def.EFSVolumes, vol)
			}
		}
		// A service names its task definition by ARN; keep the name it used.
		if def.ARN == "" {
			def.ARN = td
		}
		e.TaskDefinitions = append(e.TaskDefinitions, def)
	}
	return e, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func readELB(ctx context.Context, api ELBAPI) (*inventory.ELB, error) {
	b := &inventory.ELB{LoadBalancers: []inventory.LoadBalancer{}, TargetGroups: []inventory.TargetGroup{}}
	p := elasticloadbalancingv2.NewDescribeLoadBalancersPaginator(api, &elasticloadbalancingv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("elasticloadbalancing:DescribeLoadBalancers", err)
		}
		for _, l := range out.LoadBalancers {
			b.LoadBalancers = append(b.LoadBalancers, inventory.LoadBalancer{ARN: aws.ToString(l.LoadBalancerArn), Name: aws.ToString(l.LoadBalancerName),
				Type: string(l.Type), Scheme: string(l.Scheme), VPCID: aws.ToString(l.VpcId), SecurityGroups: l.SecurityGroups})
		}
	}
	tp := elasticloadbalancingv2.NewDescribeTargetGroupsPaginator(api, &elasticloadbalancingv2.DescribeTargetGroupsInput{})
	for tp.HasMorePages() {
		out, err := tp.NextPage(ctx)
		if err != nil {
			return nil, fail("elasticloadbalancing:DescribeTargetGroups", err)
		}
		for _, t := range out.TargetGroups {
			b.TargetGroups = append(b.TargetGroups, inventory.TargetGroup{ARN: aws.ToString(t.TargetGroupArn), Name: aws.ToString(t.TargetGroupName),
				VPCID: aws.ToString(t.VpcId), LoadBalancers: t.LoadBalancerArns})
		}
	}
	return b, nil
}
