package live

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

func ec2Tags(ts []ec2types.Tag) map[string]string {
	return tagMap(ts, func(t ec2types.Tag) (*string, *string) { return t.Key, t.Value })
}

// readEC2 reads one region's network.
func readEC2(ctx context.Context, api EC2API) (*inventory.EC2, error) {
	e := &inventory.EC2{}
	{
		p := ec2.NewDescribeVpcsPaginator(api, &ec2.DescribeVpcsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeVpcs", err)
			}
			for _, v := range out.Vpcs {
				var cidrs []string
				for _, a := range v.CidrBlockAssociationSet {
					if a.CidrBlockState == nil || a.CidrBlockState.State == ec2types.VpcCidrBlockStateCodeAssociated {
						cidrs = append(cidrs, aws.ToString(a.CidrBlock))
					}
				}
				if len(cidrs) == 0 && v.CidrBlock != nil {
					cidrs = append(cidrs, aws.ToString(v.CidrBlock))
				}
				for _, a := range v.Ipv6CidrBlockAssociationSet {
					cidrs = append(cidrs, aws.ToString(a.Ipv6CidrBlock))
				}
				e.VPCs = append(e.VPCs, inventory.VPC{ID: aws.ToString(v.VpcId), OwnerID: aws.ToString(v.OwnerId), CIDRs: cidrs,
					IsDefault: aws.ToBool(v.IsDefault), Tags: ec2Tags(v.Tags)})
			}
		}
	}
	{
		p := ec2.NewDescribeSubnetsPaginator(api, &ec2.DescribeSubnetsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeSubnets", err)
			}
			for _, s := range out.Subnets {
				cidrs := []string{}
				if s.CidrBlock != nil {
					cidrs = append(cidrs, aws.ToString(s.CidrBlock))
				}
				for _, a := range s.Ipv6CidrBlockAssociationSet {
					cidrs = append(cidrs, aws.ToString(a.Ipv6CidrBlock))
				}
				e.Subnets = append(e.Subnets, inventory.Subnet{ID: aws.ToString(s.SubnetId), VPCID: aws.ToString(s.VpcId), CIDRs: cidrs,
					AvailabilityZone: aws.ToString(s.AvailabilityZone), MapPublicIPOnLaunch: aws.ToBool(s.MapPublicIpOnLaunch), Tags: ec2Tags(s.Tags)})
			}
		}
	}
	{
		p := ec2.NewDescribeRouteTablesPaginator(api, &ec2.DescribeRouteTablesInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeRouteTables", err)
			}
			for _, t := range out.RouteTables {
				rt := inventory.RouteTable{ID: aws.ToString(t.RouteTableId), VPCID: aws.ToString(t.VpcId), Tags: ec2Tags(t.Tags)}
				for _, a := range t.Associations {
					switch {
					case aws.ToBool(a.Main):
						rt.Main = true
					case a.SubnetId != nil:
						rt.Subnets = append(rt.Subnets, aws.ToString(a.SubnetId))
					case a.GatewayId != nil:
						rt.Gateways = append(rt.Gateways, aws.ToString(a.GatewayId))
					}
				}
				for _, r := range t.Routes {
					rt.Routes = append(rt.Routes, convertRoute(r))
				}
				e.RouteTables = append(e.RouteTables, rt)
			}
		}
	}
	{
		p := ec2.NewDescribeInternetGatewaysPaginator(api, &ec2.DescribeInternetGatewaysInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeInternetGateways", err)
			}
			for _, g := range out.InternetGateways {
				ig := inventory.InternetGateway{ID: aws.ToString(g.InternetGatewayId), VPCs: []string{}, Tags: ec2Tags(g.Tags)}
				for _, a := range g.Attachments {
					ig.VPCs = append(ig.VPCs, aws.ToString(a.VpcId))
				}
				e.InternetGateways = append(e.InternetGateways, ig)
			}
		}
	}
	{
		p := ec2.NewDescribeEgressOnlyInternetGatewaysPaginator(api, &ec2.DescribeEgressOnlyInternetGatewaysInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeEgressOnlyInternetGateways", err)
			}
			for _, g := range out.EgressOnlyInternetGateways {
				ig := inventory.InternetGateway{ID: aws.ToString(g.EgressOnlyInternetGatewayId), VPCs: []string{}, Tags: ec2Tags(g.Tags)}
				for _, a := range g.Attachments {
					ig.VPCs = append(ig.VPCs, aws.ToString(a.VpcId))
				}
				e.EgressOnlyInternetGateways = append(e.EgressOnlyInternetGateways, ig)
			}
		}
	}
	{
		p := ec2.NewDescribeNatGatewaysPaginator(api, &ec2.DescribeNatGatewaysInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeNatGateways", err)
			}
			for _, n := range out.NatGateways {
				e.NATGateways = append(e.NATGateways, inventory.NATGateway{ID: aws.ToString(n.NatGatewayId), VPCID: aws.ToString(n.VpcId),
					SubnetID: aws.ToString(n.SubnetId), ConnectivityType: string(n.ConnectivityType), State: string(n.State), Tags: ec2Tags(n.Tags)})
			}
		}
	}
	{
		p := ec2.NewDescribeVpcPeeringConnectionsPaginator(api, &ec2.DescribeVpcPeeringConnectionsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeVpcPeeringConnections", err)
			}
			for _, c := range out.VpcPeeringConnections {
				pc := inventory.PeeringConnection{ID: aws.ToString(c.VpcPeeringConnectionId)}
				if c.Status != nil {
					pc.Status = string(c.Status.Code)
				}
				info := func(v *ec2types.VpcPeeringConnectionVpcInfo) inventory.PeeringVPCInfo {
					if v == nil {
						return inventory.PeeringVPCInfo{}
					}
					return inventory.PeeringVPCInfo{VPCID: aws.ToString(v.VpcId), OwnerID: aws.ToString(v.OwnerId), Region: aws.ToString(v.Region)}
				}
				pc.Requester, pc.Accepter = info(c.RequesterVpcInfo), info(c.AccepterVpcInfo)
				e.PeeringConnections = append(e.PeeringConnections, pc)
			}
		}
	}
	if err := readTransit(ctx, api, e); err != nil {
		return nil, err
	}
	{
		p := ec2.NewDescribeVpcEndpointsPaginator(api, &ec2.DescribeVpcEndpointsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeVpcEndpoints", err)
			}
			for _, v := range out.VpcEndpoints {
				ep := inventory.VPCEndpoint{ID: aws.ToString(v.VpcEndpointId), VPCID: aws.ToString(v.VpcId), ServiceName: aws.ToString(v.ServiceName),
					Type: string(v.VpcEndpointType), State: string(v.State), RouteTables: v.RouteTableIds, Subnets: v.SubnetIds,
					PrivateDNSEnabled: aws.ToBool(v.PrivateDnsEnabled), Tags: ec2Tags(v.Tags)}
				for _, g := range v.Groups {
					ep.SecurityGroups = append(ep.SecurityGroups, aws.ToString(g.GroupId))
				}
				if d := aws.ToString(v.PolicyDocument); d != "" {
					doc, err := policy.ParseString(d)
					if err != nil {
						// A policy pvaudit cannot read must not pass for "none".
						return nil, fail("ec2:DescribeVpcEndpoints", fmt.Errorf("endpoint %s: its policy cannot be parsed: %w", ep.ID, err))
					}
					ep.Policy = doc
				}
				e.VPCEndpoints = append(e.VPCEndpoints, ep)
			}
		}
	}
	{
		p := ec2.NewDescribeFlowLogsPaginator(api, &ec2.DescribeFlowLogsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeFlowLogs", err)
			}
			for _, l := range out.FlowLogs {
				dest := aws.ToString(l.LogDestination)
				if dest == "" {
					dest = aws.ToString(l.LogGroupName)
				}
				e.FlowLogs = append(e.FlowLogs, inventory.FlowLog{ID: aws.ToString(l.FlowLogId), ResourceID: aws.ToString(l.ResourceId),
					TrafficType: string(l.TrafficType), Status: aws.ToString(l.FlowLogStatus), DeliverLogsStatus: aws.ToString(l.DeliverLogsStatus),
					LogDestinationType: string(l.LogDestinationType), LogDestination: dest})
			}
		}
	}
	{
		p := ec2.NewDescribeSecurityGroupsPaginator(api, &ec2.DescribeSecurityGroupsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeSecurityGroups", err)
			}
			for _, g := range out.SecurityGroups {
				e.SecurityGroups = append(e.SecurityGroups, inventory.SecurityGroup{ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName),
					VPCID: aws.ToString(g.VpcId), Ingress: sgRules(g.IpPermissions), Egress: sgRules(g.IpPermissionsEgress), Tags: ec2Tags(g.Tags)})
			}
		}
	}
	{
		p := ec2.NewDescribeNetworkAclsPaginator(api, &ec2.DescribeNetworkAclsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fail("ec2:DescribeNetworkAcls", err)
			}
			for _, a := range out.NetworkAcls {
				acl := inventory.NetworkACL{ID: aws.ToString(a.NetworkAclId), VPCID: aws.ToString(a.VpcId), IsDefault: aws.ToBool(a.IsDefault)}
				for _, as := range a.Associations {
					acl.Subnets = append(acl.Subnets, aws.ToString(as.SubnetId))
				}
				for _, en := range a.Entries {
					cidr := aws.ToString(en.CidrBlock)
					if cidr == "" {
						cidr = aws.ToString(en.Ipv6CidrBlock)
					}
					ae := inventory.ACLEntry{RuleNumber: int(aws.ToInt32(en.RuleNumber)), Egress: aws.ToBool(en.Egress), Protocol: aws.ToString(en.Protocol),
						Action: string(en.RuleAction), CIDR: cidr}
					if en.PortRange != nil {
						ae.FromPort, ae.ToPort = int(aws.ToInt32(en.PortRange.From)), int(aws.ToInt32(en.PortRange.To))
					}
					acl.Entries = append(acl.Entries, ae)
				}
				e.NetworkACLs = append(e.NetworkACLs, acl)
			}
		}
	}
	return e, nil
}

// convertRoute keeps a route's destination and the ID of its target.
func convertRoute(r ec2types.Route) inventory.Route {
	dest := aws.ToString(r.DestinationCidrBlock)
	if dest == "" {
		dest = aws.ToString(r.DestinationIpv6CidrBlock)
	}
	if dest == "" {
		dest = aws.ToString(r.DestinationPrefixListId)
	}
	target := ""
	for _, t := range []*string{r.GatewayId, r.NatGatewayId, r.TransitGatewayId, r.VpcPeeringConnectionId, r.EgressOnlyInternetGatewayId,
		r.CarrierGatewayId, r.LocalGatewayId, r.CoreNetworkArn, r.OdbNetworkArn, r.NetworkInterfaceId, r.InstanceId} {
		if aws.ToString(t) != "" {
			target = aws.ToString(t)
			break
		}
	}
	if target == "" {
		// A target of a kind this pvaudit does not know: posture treats it
		// as a way it cannot follow.
		target = "unknown-target"
	}
	return inventory.Route{Destination: dest, Target: target, State: string(r.State), Origin: string(r.Origin)}
}

// sgRules flattens EC2's permissions: one rule per peer.
func sgRules(perms []ec2types.IpPermission) []inventory.SGRule {
	out := []inventory.SGRule{}
	for _, p := range perms {
		base := inventory.SGRule{Protocol: aws.ToString(p.IpProtocol), FromPort: int(aws.ToInt32(p.FromPort)), ToPort: int(aws.ToInt32(p.ToPort))}
		for _, r := range p.IpRanges {
			x := base
			x.CIDR = aws.ToString(r.CidrIp)
			out = append(out, x)
		}
		for _, r := range p.Ipv6Ranges {
			x := base
			x.CIDR = aws.ToString(r.CidrIpv6)
			out = append(out, x)
		}
		for _, r := range p.PrefixListIds {
			x := base
			x.PrefixList = aws.ToString(r.PrefixListId)
			out = append(out, x)
		}
		for _, r := range p.UserIdGroupPairs {
			x := base
			x.Group = aws.ToString(r.GroupId)
			out = append(out, x)
		}
	}
	return out
}

// readTransit reads the transit gateway attachments (with their route
// table association and, for VPCs, subnets) and route tables with routes.
func readTransit(ctx context.Context, api EC2API, e *inventory.EC2) error {
	subnets := map[string][]string{}
	{
		p := ec2.NewDescribeTransitGatewayVpcAttachmentsPaginator(api, &ec2.DescribeTransitGatewayVpcAttachmentsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return fail("ec2:DescribeTransitGatewayVpcAttachments", err)
			}
			for _, a := range out.TransitGatewayVpcAttachments {
				subnets[aws.ToString(a.TransitGatewayAttachmentId)] = a.SubnetIds
			}
		}
	}
	{
		p := ec2.NewDescribeTransitGatewayAttachmentsPaginator(api, &ec2.DescribeTransitGatewayAttachmentsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return fail("ec2:DescribeTransitGatewayAttachments", err)
			}
			for _, a := range out.TransitGatewayAttachments {
				id := aws.ToString(a.TransitGatewayAttachmentId)
				ta := inventory.TransitGatewayAttach{ID: id, TransitGatewayID: aws.ToString(a.TransitGatewayId), ResourceType: string(a.ResourceType),
					ResourceID: aws.ToString(a.ResourceId), ResourceOwner: aws.ToString(a.ResourceOwnerId), State: string(a.State), Subnets: subnets[id]}
				if a.Association != nil && a.Association.State == ec2types.TransitGatewayAssociationStateAssociated {
					ta.RouteTableID = aws.ToString(a.Association.TransitGatewayRouteTableId)
				}
				e.TransitGatewayAttachments = append(e.TransitGatewayAttachments, ta)
			}
		}
	}
	p := ec2.NewDescribeTransitGatewayRouteTablesPaginator(api, &ec2.DescribeTransitGatewayRouteTablesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fail("ec2:DescribeTransitGatewayRouteTables", err)
		}
		for _, t := range out.TransitGatewayRouteTables {
			id := aws.ToString(t.TransitGatewayRouteTableId)
			rt := inventory.TransitGatewayRouteTb{ID: id, TransitGatewayID: aws.ToString(t.TransitGatewayId)}
			res, err := api.SearchTransitGatewayRoutes(ctx, &ec2.SearchTransitGatewayRoutesInput{
				TransitGatewayRouteTableId: aws.String(id), MaxResults: aws.Int32(1000),
				Filters: []ec2types.Filter{{Name: aws.String("state"), Values: []string{"active", "blackhole"}}},
			})
			if err != nil {
				return fail("ec2:SearchTransitGatewayRoutes", err)
			}
			if aws.ToBool(res.AdditionalRoutesAvailable) {
				return fail("ec2:SearchTransitGatewayRoutes", fmt.Errorf("route table %s has more than 1000 routes: %w", id, errTruncated))
			}
			for _, r := range res.Routes {
				dest := aws.ToString(r.DestinationCidrBlock)
				if dest == "" {
					dest = aws.ToString(r.PrefixListId)
				}
				tr := inventory.TransitGatewayRoute{Destination: dest, Type: string(r.Type), State: string(r.State)}
				for _, a := range r.TransitGatewayAttachments {
					tr.Attachments = append(tr.Attachments, aws.ToString(a.TransitGatewayAttachmentId))
				}
				rt.Routes = append(rt.Routes, tr)
			}
			e.TransitGatewayRouteTables = append(e.TransitGatewayRouteTables, rt)
		}
	}
	return nil
}
