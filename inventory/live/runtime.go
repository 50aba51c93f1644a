package live

import (
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/pvaudit/pvaudit/inventory"
)

// NetworkReadActions returns the IAM actions the runtime collection calls
// (network, logs, alarms, compute and storage of the regions read), all
// read-only. A role that may scan needs them next to the IAM read actions;
// `pvaudit iam-policy --for scan` should list them. A fresh slice each call.
func NetworkReadActions() []string {
	return []string{
		"cloudwatch:DescribeAlarms",
		"ec2:DescribeEgressOnlyInternetGateways",
		"ec2:DescribeFlowLogs",
		"ec2:DescribeInternetGateways",
		"ec2:DescribeNatGateways",
		"ec2:DescribeNetworkAcls",
		"ec2:DescribeRouteTables",
		"ec2:DescribeSecurityGroups",
		"ec2:DescribeSubnets",
		"ec2:DescribeTransitGatewayAttachments",
		"ec2:DescribeTransitGatewayRouteTables",
		"ec2:DescribeTransitGatewayVpcAttachments",
		"ec2:DescribeVpcEndpoints",
		"ec2:DescribeVpcPeeringConnections",
		"ec2:DescribeVpcs",
		"ec2:SearchTransitGatewayRoutes",
		"ecs:DescribeClusters",
		"ecs:DescribeServices",
		"ecs:DescribeTaskDefinition",
		"ecs:ListClusters",
		"ecs:ListServices",
		"elasticfilesystem:DescribeAccessPoints",
		"elasticfilesystem:DescribeFileSystemPolicy",
		"elasticfilesystem:DescribeFileSystems",
		"elasticfilesystem:DescribeMountTargetSecurityGroups",
		"elasticfilesystem:DescribeMountTargets",
		"elasticloadbalancing:DescribeLoadBalancers",
		"elasticloadbalancing:DescribeTargetGroups",
		"lambda:ListFunctions",
		"lambda:ListTags",
		"logs:DescribeLogGroups",
		"logs:DescribeMetricFilters",
		"s3:ListAllMyBuckets",
		"states:DescribeStateMachine",
		"states:ListStateMachines",
		"states:ListTagsForResource",
	}
}

// EC2API is the read-only slice of EC2 the runtime collection uses.
type EC2API interface {
	ec2.DescribeVpcsAPIClient
	ec2.DescribeSubnetsAPIClient
	ec2.DescribeRouteTablesAPIClient
	ec2.DescribeInternetGatewaysAPIClient
	ec2.DescribeEgressOnlyInternetGatewaysAPIClient
	ec2.DescribeNatGatewaysAPIClient
	ec2.DescribeVpcPeeringConnectionsAPIClient
	ec2.DescribeTransitGatewayAttachmentsAPIClient
	ec2.DescribeTransitGatewayVpcAttachmentsAPIClient
	ec2.DescribeTransitGatewayRouteTablesAPIClient
	ec2.DescribeVpcEndpointsAPIClient
	ec2.DescribeFlowLogsAPIClient
	ec2.DescribeSecurityGroupsAPIClient
	ec2.DescribeNetworkAclsAPIClient
	SearchTransitGatewayRoutes(ctx context.Context, in *ec2.SearchTransitGatewayRoutesInput, optFns ...func(*ec2.Options)) (*ec2.SearchTransitGatewayRoutesOutput, error)
}

// LogsAPI is the read-only slice of CloudWatch Logs it uses.
type LogsAPI interface {
	cloudwatchlogs.DescribeLogGroupsAPIClient
	cloudwatchlogs.DescribeMetricFiltersAPIClient
}

// CloudWatchAPI is the read-only slice of CloudWatch it uses.
type CloudWatchAPI interface {
	cloudwatch.DescribeAlarmsAPIClient
}

// SFNAPI is the read-only slice of Step Functions it uses.
type SFNAPI interface {
	sfn.ListStateMachinesAPIClient
	DescribeStateMachine(ctx context.Context, in *sfn.DescribeStateMachineInput, optFns ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error)
	ListTagsForResource(ctx context.Context, in *sfn.ListTagsForResourceInput, optFns ...func(*sfn.Options)) (*sfn.ListTagsForResourceOutput, error)
}

// EFSAPI is the read-only slice of EFS it uses.
type EFSAPI interface {
	efs.DescribeFileSystemsAPIClient
	efs.DescribeMountTargetsAPIClient
	efs.DescribeAccessPointsAPIClient
	DescribeMountTargetSecurityGroups(ctx context.Context, in *efs.DescribeMountTargetSecurityGroupsInput, optFns ...func(*efs.Options)) (*efs.DescribeMountTargetSecurityGroupsOutput, error)
	DescribeFileSystemPolicy(ctx context.Context, in *efs.DescribeFileSystemPolicyInput, optFns ...func(*efs.Options)) (*efs.DescribeFileSystemPolicyOutput, error)
}

// LambdaAPI is the read-only slice of Lambda it uses.
type LambdaAPI interface {
	lambda.ListFunctionsAPIClient
	ListTags(ctx context.Context, in *lambda.ListTagsInput, optFns ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
}

// ECSAPI is the read-only slice of ECS it uses.
type ECSAPI interface {
	ecs.ListClustersAPIClient
	ecs.ListServicesAPIClient
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// ELBAPI is the read-only slice of Elastic Load Balancing v2 it uses.
type ELBAPI interface {
	elasticloadbalancingv2.DescribeLoadBalancersAPIClient
	elasticloadbalancingv2.DescribeTargetGroupsAPIClient
}

// S3API is the read-only slice of S3 it uses (the account's bucket list).
type S3API interface {
	s3.ListBucketsAPIClient
}

// RuntimeClients are the clients of one region's runtime section. A nil
// client leaves its section unread (and says so as a coverage gap).
type RuntimeClients struct {
	Region     string
	EC2        EC2API
	Logs       LogsAPI
	CloudWatch CloudWatchAPI
	SFN        SFNAPI
	EFS        EFSAPI
	Lambda     LambdaAPI
	ECS        ECSAPI
	ELB        ELBAPI
	// S3 lists the account's buckets (global); one region's is enough.
	S3 S3API
}

// NewRuntimeClients builds the clients for cfg's region.
func NewRuntimeClients(cfg aws.Config) *RuntimeClients {
	return &RuntimeClients{
		Region: cfg.Region, EC2: ec2.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg),
		CloudWatch: cloudwatch.NewFromConfig(cfg), SFN: sfn.NewFromConfig(cfg), EFS: efs.NewFromConfig(cfg),
		Lambda: lambda.NewFromConfig(cfg), ECS: ecs.NewFromConfig(cfg), ELB: elasticloadbalancingv2.NewFromConfig(cfg),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
	}
}

// sectionError is a failed call of a section: the section is then left
// out (not read), and the call becomes a coverage gap.
type sectionError struct {
	op  string
	err error
}

func (e *sectionError) Error() string { return e.op + ": " + e.err.Error() }
func (e *sectionError) Unwrap() error { return e.err }

func fail(op string, err error) error { return &sectionError{op: op, err: err} }

// errTruncated marks a call whose answer AWS says is incomplete.
var errTruncated = errors.New("the answer is truncated")

// runtime reads every region's runtime section. A section whose calls do
// not all succeed is left out and each failure is a gap; the error is
// non-nil only when ctx is done. The sections of a region are read
// concurrently (each service has its own client, retryer and rate
// limiter); gaps are recorded in a fixed order.
func (c *Collector) runtime(ctx context.Context, snap *inventory.Snapshot) error {
	if len(c.Runtime) == 0 {
		return nil
	}
	rt := &inventory.Runtime{Regions: []inventory.RegionRuntime{}}
	s3Read := false
	for _, rc := range c.Runtime {
		if rc == nil {
			continue
		}
		reg := inventory.RegionRuntime{Region: rc.Region}
		where := "region " + rc.Region
		readS3 := rc.S3 != nil && !s3Read
		s3Read = s3Read || readS3
		var buckets *inventory.S3Buckets
		sections := []struct {
			name   string
			client bool
			where  string
			read   func() error
		}{
			{"ec2", rc.EC2 != nil, where, func() error { e, err := readEC2(ctx, rc.EC2); reg.EC2 = e; return err }},
			{"logs", rc.Logs != nil, where, func() error { l, err := readLogs(ctx, rc.Logs); reg.Logs = l; return err }},
			{"cloudwatch", rc.CloudWatch != nil, where, func() error { w, err := readAlarms(ctx, rc.CloudWatch); reg.CloudWatch = w; return err }},
			{"states", rc.SFN != nil, where, func() error { s, err := readSFN(ctx, rc.SFN); reg.StepFunctions = s; return err }},
			{"elasticfilesystem", rc.EFS != nil, where, func() error { f, err := readEFS(ctx, rc.EFS); reg.EFS = f; return err }},
			{"lambda", rc.Lambda != nil, where, func() error { l, err := readLambda(ctx, rc.Lambda); reg.Lambda = l; return err }},
			{"ecs", rc.ECS != nil, where, func() error { e, err := readECS(ctx, rc.ECS); reg.ECS = e; return err }},
			{"elasticloadbalancing", rc.ELB != nil, where, func() error { b, err := readELB(ctx, rc.ELB); reg.ELB = b; return err }},
		}
		if readS3 {
			sections = append(sections, struct {
				name   string
				client bool
				where  string
				read   func() error
			}{"s3", true, "account", func() error { b, err := readBuckets(ctx, rc.S3); buckets = b; return err }})
		}
		errs := make([]error, len(sections))
		var wg sync.WaitGroup
		for i, s := range sections {
			if !s.client {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.read()
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		for i, s := range sections {
			switch {
			case !s.client:
				snap.Gaps = append(snap.Gaps, inventory.Gap{Operation: s.name + ":*", Resource: s.where, Code: "NotCollected", Message: "no client for this service: the section was not read"})
			case errs[i] != nil:
				snap.Gaps = append(snap.Gaps, sectionGap(errs[i], s.where))
			}
		}
		rt.Regions = append(rt.Regions, reg)
		if buckets != nil {
			rt.S3 = buckets
		}
	}
	snap.Runtime = rt
	return nil
}

func sectionGap(err error, where string) inventory.Gap {
	var se *sectionError
	op := "runtime"
	if errors.As(err, &se) {
		op = se.op
		err = se.err
	}
	g := gap(op, where, err)
	if errors.Is(err, errTruncated) {
		g.Code = "Truncated"
	}
	return g
}

func tagMap[T any](tags []T, kv func(T) (*string, *string)) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		k, v := kv(t)
		m[aws.ToString(k)] = aws.ToString(v)
	}
	return m
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// readBuckets lists the account's buckets.
func readBuckets(ctx context.Context, api S3API) (*inventory.S3Buckets, error) {
	out := &inventory.S3Buckets{Buckets: []string{}}
	p := s3.NewListBucketsPaginator(api, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("s3:ListAllMyBuckets", err)
		}
		for _, b := range page.Buckets {
			out.Buckets = append(out.Buckets, aws.ToString(b.Name))
		}
	}
	return out, nil
}
