package provision

import (
	"encoding/json"
)

// par renders PAR's VPC, load balancer, ECS service, log group, metric
// filters, alarms and their topic.
func (s *netSet) par(d *Desired, nw *Network, p *PARNetwork, manager string) {
	tags := managedTags(manager, "par-runtime", "")
	vpc := s.vpc(nw, &p.VPC, tags)
	image := s.input(netInput{tf: "par_image", cfn: "ParImage", description: "the PAR container image (an ECR image of the account: the VPC has no internet access)"})
	lg := s.add("log/"+p.LogGroup.Name, &nres{tfType: "aws_cloudwatch_log_group", tfName: tfName(p.LogGroup.Name[1:]), cfnType: "AWS::Logs::LogGroup", cfnID: cfnName(p.LogGroup.Name),
		tf:  map[string]any{"name": p.LogGroup.Name, "retention_in_days": p.LogGroup.RetentionDays, "tags": tfTags(tags)},
		cfn: map[string]any{"LogGroupName": p.LogGroup.Name, "RetentionInDays": p.LogGroup.RetentionDays, "Tags": cfnTags(tags)}})
	topic := s.add("topic", &nres{tfType: "aws_sns_topic", tfName: tfName(p.Topic), cfnType: "AWS::SNS::Topic", cfnID: cfnName(p.Topic),
		tf: map[string]any{"name": p.Topic, "tags": tfTags(tags)}, cfn: map[string]any{"TopicName": p.Topic, "Tags": cfnTags(tags)}})
	for _, f := range p.MetricFilters {
		s.add("mf/"+f.Name, &nres{tfType: "aws_cloudwatch_log_metric_filter", tfName: tfName(f.Name), cfnType: "AWS::Logs::MetricFilter", cfnID: cfnName(f.Name + "-filter"),
			tf: map[string]any{"name": f.Name, "log_group_name": lg.ref("name", ""), "pattern": f.Pattern,
				"metric_transformation": map[string]any{"name": f.Metric, "namespace": f.Namespace, "value": "1", "default_value": "0"}},
			cfn: map[string]any{"FilterName": f.Name, "LogGroupName": lg.ref("name", ""), "FilterPattern": f.Pattern,
				"MetricTransformations": []any{map[string]any{"MetricName": f.Metric, "MetricNamespace": f.Namespace, "MetricValue": "1", "DefaultValue": 0}}}})
	}
	cluster := s.add("cluster", &nres{tfType: "aws_ecs_cluster", tfName: tfName(parName), cfnType: "AWS::ECS::Cluster", cfnID: cfnName(parName + "-cluster"),
		tf: map[string]any{"name": parName, "tags": tfTags(tags)}, cfn: map[string]any{"ClusterName": parName, "Tags": cfnTags(tags)}})
	task, exec := s.roleRef(d, parTaskRole), s.roleRef(d, parExecutionRole)
	container := map[string]any{"name": parName, "image": image, "essential": true,
		"portMappings":     []any{map[string]any{"containerPort": parContainerPort, "protocol": "tcp"}},
		"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]any{"awslogs-group": p.LogGroup.Name, "awslogs-region": nw.Region, "awslogs-stream-prefix": "par"}}}
	cj, err := json.Marshal([]any{tfValue(container)})
	if err != nil {
		panic("provision: container definition: " + err.Error())
	}
	td := s.add("taskdef", &nres{tfType: "aws_ecs_task_definition", tfName: tfName(parName), cfnType: "AWS::ECS::TaskDefinition", cfnID: cfnName(parName + "-task"),
		tf: map[string]any{"family": parName, "requires_compatibilities": []any{"FARGATE"}, "network_mode": "awsvpc", "cpu": "512", "memory": "1024",
			"task_role_arn": task.tf, "execution_role_arn": exec.tf, "container_definitions": string(cj), "tags": tfTags(tags)},
		cfn: map[string]any{"Family": parName, "RequiresCompatibilities": []any{"FARGATE"}, "NetworkMode": "awsvpc", "Cpu": "512", "Memory": "1024",
			"TaskRoleArn": task.cfn, "ExecutionRoleArn": exec.cfn, "Tags": cfnTags(tags), "ContainerDefinitions": []any{map[string]any{
				"Name": parName, "Image": image, "Essential": true, "PortMappings": []any{map[string]any{"ContainerPort": parContainerPort, "Protocol": "tcp"}},
				"LogConfiguration": map[string]any{"LogDriver": "awslogs", "Options": map[string]any{"awslogs-group": p.LogGroup.Name, "awslogs-region": nw.Region, "awslogs-stream-prefix": "par"}}}}},
		cfnDependsOn: []string{lg.cfnID}})
	var subs []any
	for _, sn := range p.Subnets {
		subs = append(subs, s.get("subnet/"+sn).ref("id", ""))
	}
	lbSG, svcSG := s.get("sg/"+p.LBGroup).ref("id", "GroupId"), s.get("sg/"+p.ServiceGroup).ref("id", "GroupId")
	lb := s.add("lb", &nres{tfType: "aws_lb", tfName: tfName(parName), cfnType: "AWS::ElasticLoadBalancingV2::LoadBalancer", cfnID: cfnName(parName + "-lb"),
		tf:  map[string]any{"name": parName, "internal": true, "load_balancer_type": "application", "subnets": subs, "security_groups": []any{lbSG}, "tags": tfTags(tags)},
		cfn: map[string]any{"Name": parName, "Scheme": "internal", "Type": "application", "Subnets": subs, "SecurityGroups": []any{lbSG}, "Tags": cfnTags(tags)}})
	tg := s.add("tg", &nres{tfType: "aws_lb_target_group", tfName: tfName(parName), cfnType: "AWS::ElasticLoadBalancingV2::TargetGroup", cfnID: cfnName(parName + "-targets"),
		tf: map[string]any{"name": parName, "port": parContainerPort, "protocol": "HTTP", "target_type": "ip", "vpc_id": vpc.ref("id", ""),
			"health_check": map[string]any{"path": "/health", "unhealthy_threshold": 3}, "tags": tfTags(tags)},
		cfn: map[string]any{"Name": parName, "Port": parContainerPort, "Protocol": "HTTP", "TargetType": "ip", "VpcId": vpc.ref("id", ""),
			"HealthCheckPath": "/health", "UnhealthyThresholdCount": 3, "Tags": cfnTags(tags)}})
	listener := s.add("listener", &nres{tfType: "aws_lb_listener", tfName: tfName(parName), cfnType: "AWS::ElasticLoadBalancingV2::Listener", cfnID: cfnName(parName + "-listener"),
		tf: map[string]any{"load_balancer_arn": lb.ref("arn", ""), "port": 80, "protocol": "HTTP",
			"default_action": map[string]any{"type": "forward", "target_group_arn": tg.ref("arn", "")}},
		cfn: map[string]any{"LoadBalancerArn": lb.ref("arn", ""), "Port": 80, "Protocol": "HTTP",
			"DefaultActions": []any{map[string]any{"Type": "forward", "TargetGroupArn": tg.ref("arn", "")}}}})
	svc := s.add("service", &nres{tfType: "aws_ecs_service", tfName: tfName(parName), cfnType: "AWS::ECS::Service", cfnID: cfnName(parName + "-service"),
		tf: map[string]any{"name": parName, "cluster": cluster.ref("id", ""), "task_definition": td.ref("arn", ""), "desired_count": 1, "launch_type": "FARGATE",
			"network_configuration": map[string]any{"subnets": subs, "security_groups": []any{svcSG}, "assign_public_ip": false},
			"load_balancer":         map[string]any{"target_group_arn": tg.ref("arn", ""), "container_name": parName, "container_port": parContainerPort},
			"depends_on":            []any{listener.tfType + "." + listener.tfName}, "tags": tfTags(tags)},
		cfn: map[string]any{"ServiceName": parName, "Cluster": cluster.ref("id", ""), "TaskDefinition": td.ref("arn", ""), "DesiredCount": 1, "LaunchType": "FARGATE",
			"NetworkConfiguration": map[string]any{"AwsvpcConfiguration": map[string]any{"Subnets": subs, "SecurityGroups": []any{svcSG}, "AssignPublicIp": "DISABLED"}},
			"LoadBalancers":        []any{map[string]any{"TargetGroupArn": tg.ref("arn", ""), "ContainerName": parName, "ContainerPort": parContainerPort}}, "Tags": cfnTags(tags)},
		cfnDependsOn: []string{listener.cfnID}})
	dims := map[string]nref{DimCluster: cluster.ref("name", ""), DimService: svc.ref("name", "Name"),
		DimTargetGroup: tg.ref("arn_suffix", "TargetGroupFullName"), DimLoadBalancer: lb.ref("arn_suffix", "LoadBalancerFullName")}
	for _, a := range p.Alarms {
		tf := map[string]any{"alarm_name": a.Name, "alarm_description": a.Description, "namespace": a.Namespace, "metric_name": a.Metric, "statistic": a.Statistic,
			"period": a.Period, "evaluation_periods": 1, "datapoints_to_alarm": 1, "threshold": a.Threshold, "comparison_operator": a.Comparison,
			"treat_missing_data": "notBreaching", "actions_enabled": true, "alarm_actions": []any{topic.ref("arn", "")}, "tags": tfTags(tags)}
		cfn := map[string]any{"AlarmName": a.Name, "AlarmDescription": a.Description, "Namespace": a.Namespace, "MetricName": a.Metric, "Statistic": a.Statistic,
			"Period": a.Period, "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "Threshold": a.Threshold, "ComparisonOperator": a.Comparison,
			"TreatMissingData": "notBreaching", "ActionsEnabled": true, "AlarmActions": []any{topic.ref("arn", "")}}
		if len(a.Dimensions) > 0 {
			td, cd := map[string]any{}, []any{}
			for _, k := range sortedKeys(a.Dimensions) {
				td[k] = dims[a.Dimensions[k]]
				cd = append(cd, map[string]any{"Name": k, "Value": dims[a.Dimensions[k]]})
			}
			tf["dimensions"], cfn["Dimensions"] = td, cd
		}
		s.add("alarm/"+a.Name, &nres{tfType: "aws_cloudwatch_metric_alarm", tfName: tfName(a.Name), cfnType: "AWS::CloudWatch::Alarm", cfnID: cfnName(a.Name + "-alarm"), tf: tf, cfn: cfn})
	}
	s.outputs = append(s.outputs, netOutput{cfnName(parName + "-alarm-topic"), "subscribe whoever answers PAR's alarms to this topic", topic.ref("arn", ""), false},
		netOutput{cfnName(parName + "-load-balancer"), "PAR's internal load balancer", lb.ref("dns_name", "DNSName"), false})
}

// roleRef refers to a desired role's ARN as the templates render it.
func (s *netSet) roleRef(d *Desired, name string) nref {
	return nref{tf: "aws_iam_role." + tfName(name) + ".arn", cfn: map[string]any{"Fn::GetAtt": []any{cfnName(name), "Arn"}}}
}
