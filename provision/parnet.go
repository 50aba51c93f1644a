package provision

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/posture"
)

// PAR runtime names.
const (
	parName          = "pixell-agent-runtime"
	parContainerPort = 8080
)

// PARNetwork is PAR's runtime as the PAR document describes it: a VPC
// without internet access whose S3 traffic goes through a gateway endpoint,
// an internal load balancer, the ECS service behind it (security group
// admitting only the load balancer's, egress only to S3 and the endpoints
// ECS needs to start the task), the log group with its retention and the
// four recommended alarms.
type PARNetwork struct {
	VPC NetVPC
	// LBGroup and ServiceGroup name the security groups of VPC.Groups.
	LBGroup, ServiceGroup string
	Subnets               []string
	LogGroup              NetLogGroup
	MetricFilters         []NetMetricFilter
	Alarms                []NetAlarm
	// Topic is the SNS topic the alarms notify.
	Topic string
}

// NetMetricFilter turns log events into a metric.
type NetMetricFilter struct {
	Name, Pattern, Namespace, Metric string
}

// Alarm dimension values that name rendered resources.
const (
	DimCluster      = "{cluster}"
	DimService      = "{service}"
	DimTargetGroup  = "{target_group}"
	DimLoadBalancer = "{load_balancer}"
)

// NetAlarm is a CloudWatch metric alarm. Dimensions' values may be one of
// the Dim* placeholders.
type NetAlarm struct {
	Name, Description string
	Namespace, Metric string
	Dimensions        map[string]string
	Statistic         string
	Period            int
	Threshold         float64
	// Comparison is a CloudWatch comparison operator.
	Comparison string
}

// buildPARNetwork builds PAR's runtime from the contract's par.runtime and
// the roles of d.
func buildPARNetwork(c *contract.Contract, p Params, d *Desired) (*Network, error) {
	if c.PAR == nil || c.PAR.Runtime == nil {
		return nil, fmt.Errorf("contract %q has no par.runtime: the log group and alarms are unknown", c.Name)
	}
	rt := c.PAR.Runtime
	nw := &Network{Account: p.Account, Region: p.region()}
	v := NetVPC{Name: parName, CIDR: "10.20.0.0/16", Tags: map[string]string{"Name": parName}}
	r := p.region()
	v.Subnets = []NetSubnet{
		{Name: parName + "-private-a", CIDR: "10.20.0.0/20", AZ: r + "a", RouteTable: parName + "-private"},
		{Name: parName + "-private-b", CIDR: "10.20.16.0/20", AZ: r + "b", RouteTable: parName + "-private"},
	}
	subnets := []string{parName + "-private-a", parName + "-private-b"}
	v.RouteTables = []NetRouteTable{{Name: parName + "-private"}}
	lb, svc, epg := parName+"-lb", parName+"-service", parName+"-endpoints"

	// Endpoints: S3 for the task role's package downloads, and what the
	// execution role needs to start the task (ECR, CloudWatch Logs).
	why := map[string]map[string]bool{}
	need := func(prefix, reason string) {
		svcs, _ := posture.EndpointServicesOf(prefix + ":*")
		for _, s := range svcs {
			if why[s] == nil {
				why[s] = map[string]bool{}
			}
			why[s][reason] = true
		}
	}
	for _, role := range d.Roles {
		for _, in := range role.Inline {
			for _, st := range in.Doc.Document().Statements {
				for _, a := range st.Action {
					pre, _, _ := strings.Cut(a, ":")
					if pre == "elasticfilesystem" {
						continue // mounts go to the mount targets
					}
					need(pre, "role "+role.Name+" allows "+a)
				}
			}
		}
		for _, a := range role.Attached {
			prefixes, ok := posture.ManagedPolicyServices(a)
			if !ok {
				return nil, fmt.Errorf("role %s: the services of %s are unknown: the endpoints cannot be derived", role.Name, a)
			}
			for _, pre := range prefixes {
				need(pre, "role "+role.Name+" has "+a[strings.LastIndex(a, "/")+1:])
			}
		}
	}
	for _, s := range sortedKeys(why) {
		e := NetEndpoint{Service: s, Gateway: gatewayServices[s], Why: sortedKeys(why[s])}
		var err error
		if s == "s3" {
			e.Policy, err = parS3EndpointPolicy(p)
			e.RouteTables = []string{parName + "-private"}
		} else {
			e.Policy, err = endpointPolicy(p, s)
			e.Subnets, e.Group = subnets, epg
		}
		if err != nil {
			return nil, err
		}
		v.Endpoints = append(v.Endpoints, e)
	}
	v.Groups = []NetGroup{
		{Name: epg, Description: "PAR's interface endpoints: HTTPS from the PAR service only",
			Ingress: []NetRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, Group: svc, Description: "HTTPS from the PAR service"}},
			Egress:  []NetRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: v.CIDR, Description: "within the VPC only"}}},
		{Name: lb, Description: "PAR's internal load balancer: HTTP from the VPC",
			Ingress: []NetRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: v.CIDR, Description: "clients inside the VPC"}},
			Egress:  []NetRule{{Protocol: "tcp", FromPort: parContainerPort, ToPort: parContainerPort, Group: svc, Description: "to the PAR tasks"}}},
		{Name: svc, Description: "PAR's tasks: inbound from the load balancer only, outbound to S3 and the task's endpoints only",
			Ingress: []NetRule{{Protocol: "tcp", FromPort: parContainerPort, ToPort: parContainerPort, Group: lb, Description: "from the load balancer"}},
			Egress: []NetRule{
				{Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListOf: "s3", Description: "HTTPS to S3 through the gateway endpoint"},
				{Protocol: "tcp", FromPort: 443, ToPort: 443, Group: epg, Description: "HTTPS to the ECR and CloudWatch Logs endpoints"},
			}},
	}
	topic := parName + "-alarms"
	pa := &PARNetwork{VPC: v, LBGroup: lb, ServiceGroup: svc, Subnets: subnets, Topic: topic,
		LogGroup: NetLogGroup{Name: rt.LogGroup, RetentionDays: max(rt.RetentionDays, 30)}}
	// The four recommended alarms.
	pa.MetricFilters = []NetMetricFilter{
		{Name: parName + "-boot-failures", Pattern: `"Runtime failed"`, Namespace: "PAR", Metric: "BootFailures"},
		{Name: parName + "-package-download-failures", Pattern: `?"403" ?"404" ?"AccessDenied" ?"NoSuchKey"`, Namespace: "PAR", Metric: "PackageDownloadFailures"},
	}
	svcDims := map[string]string{"ClusterName": DimCluster, "ServiceName": DimService}
	pa.Alarms = []NetAlarm{
		{Name: parName + "-boot-failures", Description: `Boot failures: count of "Runtime failed" errors > 5 in 5 minutes`, Namespace: "PAR", Metric: "BootFailures",
			Statistic: "Sum", Period: 300, Threshold: 5, Comparison: "GreaterThanThreshold"},
		{Name: parName + "-package-download-failures", Description: "Package download failures: S3 403/404 errors", Namespace: "PAR", Metric: "PackageDownloadFailures",
			Statistic: "Sum", Period: 300, Threshold: 0, Comparison: "GreaterThanThreshold"},
		{Name: parName + "-cpu", Description: "CPU: container resource usage > 80%", Namespace: "AWS/ECS", Metric: "CPUUtilization", Dimensions: svcDims,
			Statistic: "Average", Period: 300, Threshold: 80, Comparison: "GreaterThanThreshold"},
		{Name: parName + "-memory", Description: "Memory: container resource usage > 80%", Namespace: "AWS/ECS", Metric: "MemoryUtilization", Dimensions: svcDims,
			Statistic: "Average", Period: 300, Threshold: 80, Comparison: "GreaterThanThreshold"},
		{Name: parName + "-health-check-failures", Description: "Health check failures > 3", Namespace: "AWS/ApplicationELB", Metric: "UnHealthyHostCount",
			Dimensions: map[string]string{"TargetGroup": DimTargetGroup, "LoadBalancer": DimLoadBalancer}, Statistic: "Maximum", Period: 60, Threshold: 3, Comparison: "GreaterThanThreshold"},
	}
	nw.PAR = pa
	nw.Notes = append(nw.Notes, "PAR: the load balancer is internal and listens on HTTP port 80 inside the VPC; add a TLS listener with your certificate, "+
		"and set the container image (variable par_image / parameter ParImage)")
	return nw, nil
}

// parS3EndpointPolicy lets PAR's package downloads and ECR's image layers
// through, and the account's own buckets.
func parS3EndpointPolicy(p Params) (Doc, error) {
	b := p.PackageBucket
	return document(
		stmt{Sid: "OwnAccountOnly", Effect: "Allow", Principal: "*", Action: "*", Resource: "*", Condition: cond{"StringEquals": {"aws:ResourceAccount": p.Account}}},
		stmt{Sid: "PackageBucket", Effect: "Allow", Principal: "*", Action: []string{"s3:GetObject", "s3:ListBucket"},
			Resource: []string{"arn:aws:s3:::" + b, "arn:aws:s3:::" + b + "/*"}},
		stmt{Sid: "ECRImageLayers", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::prod-" + p.region() + "-starport-layer-bucket/*"},
	)
}
