package awsfake

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// EC2 over its Query protocol (Version 2016-11-15): lists are flattened
// as Name.1, Name.2 …; answers are <ActionResponse><requestId/>… with
// lists as <xxxSet><item>…</item></xxxSet>.

func ec2Handlers() map[string]rtHandler {
	return map[string]rtHandler{
		"DescribeVpcs": ec2DescribeVpcs, "DescribeSubnets": ec2DescribeSubnets, "DescribeRouteTables": ec2DescribeRouteTables,
		"DescribeInternetGateways": ec2DescribeIGWs, "DescribeEgressOnlyInternetGateways": ec2DescribeEIGWs,
		"DescribeNatGateways": ec2DescribeNATs, "DescribeVpcPeeringConnections": ec2DescribePeerings,
		"DescribeTransitGatewayAttachments": ec2DescribeTGWAttachments, "DescribeTransitGatewayVpcAttachments": ec2DescribeTGWVPCAttachments,
		"DescribeTransitGatewayRouteTables": ec2DescribeTGWRouteTables, "SearchTransitGatewayRoutes": ec2SearchTGWRoutes,
		"DescribeVpcEndpoints": ec2DescribeEndpoints, "DescribeFlowLogs": ec2DescribeFlowLogs,
		"DescribeSecurityGroups": ec2DescribeSGs, "DescribeNetworkAcls": ec2DescribeNACLs,

		"CreateVpc": ec2CreateVpc, "CreateSubnet": ec2CreateSubnet, "CreateRouteTable": ec2CreateRouteTable,
		"AssociateRouteTable": ec2AssociateRouteTable, "CreateRoute": ec2CreateRoute, "DeleteRoute": ec2DeleteRoute,
		"CreateInternetGateway": ec2CreateIGW, "AttachInternetGateway": ec2AttachIGW, "CreateNatGateway": ec2CreateNAT,
		"CreateVpcEndpoint": ec2CreateEndpoint, "CreateFlowLogs": ec2CreateFlowLogs, "CreateSecurityGroup": ec2CreateSG,
		"AuthorizeSecurityGroupIngress": ec2AuthorizeIngress, "AuthorizeSecurityGroupEgress": ec2AuthorizeEgress,
		"RevokeSecurityGroupEgress": ec2RevokeEgress, "CreateTags": ec2CreateTags,
	}
}

// ec2List reads Name.1, Name.2 … until a gap.
func (f form) ec2List(name string) []string {
	var out []string
	for i := 1; ; i++ {
		k := name + "." + strconv.Itoa(i)
		if !f.has(k) {
			return out
		}
		out = append(out, f.get(k))
	}
}

// ec2Items counts Name.N.* entries.
func (f form) ec2Items(name string) int {
	n := 0
	for i := 1; ; i++ {
		p := name + "." + strconv.Itoa(i) + "."
		found := false
		for k := range f.v {
			if strings.HasPrefix(k, p) {
				found = true
				break
			}
		}
		if !found {
			return n
		}
		n++
	}
}

// ec2TagSpec reads the tags of TagSpecification.N for a resource type.
func (f form) ec2TagSpec(resourceType string) map[string]string {
	out := map[string]string{}
	for i := 1; i <= f.ec2Items("TagSpecification"); i++ {
		p := fmt.Sprintf("TagSpecification.%d.", i)
		if rt := f.get(p + "ResourceType"); rt != "" && rt != resourceType {
			continue
		}
		for j := 1; ; j++ {
			k := fmt.Sprintf("%sTag.%d.Key", p, j)
			if !f.has(k) {
				break
			}
			out[f.get(k)] = f.get(fmt.Sprintf("%sTag.%d.Value", p, j))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ec2Filters reads Filter.N.Name / Filter.N.Value.M.
func (f form) ec2Filters() map[string][]string {
	out := map[string][]string{}
	for i := 1; i <= f.ec2Items("Filter"); i++ {
		p := fmt.Sprintf("Filter.%d.", i)
		out[f.get(p+"Name")] = f.ec2List(p + "Value")
	}
	return out
}

func ec2Invalid(code, format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, code, format, args...)
}

func writeEC2Tags(x *xmlBuilder, tags map[string]string) {
	x.open("tagSet")
	for _, k := range sortedKeysOf(tags) {
		x.open("item")
		x.el("key", k)
		x.el("value", tags[k])
		x.close("item")
	}
	x.close("tagSet")
}

func writeIDSet(x *xmlBuilder, name string, ids []string) {
	x.open(name)
	for _, id := range ids {
		x.el("item", id)
	}
	x.close(name)
}

// ---- describe ----

func ec2DescribeVpcs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.VPCs
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("vpcSet")
	for _, v := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("vpcId", v.ID)
		x.el("ownerId", s.account)
		x.el("state", "available")
		var v4, v6 []string
		for _, c := range v.CIDRs {
			if strings.Contains(c, ":") {
				v6 = append(v6, c)
			} else {
				v4 = append(v4, c)
			}
		}
		if len(v4) > 0 {
			x.el("cidrBlock", v4[0])
		}
		x.open("cidrBlockAssociationSet")
		for i, c := range v4 {
			x.open("item")
			x.el("associationId", fmt.Sprintf("vpc-cidr-assoc-%s%d", strings.TrimPrefix(v.ID, "vpc-"), i))
			x.el("cidrBlock", c)
			x.open("cidrBlockState")
			x.el("state", "associated")
			x.close("cidrBlockState")
			x.close("item")
		}
		x.close("cidrBlockAssociationSet")
		x.open("ipv6CidrBlockAssociationSet")
		for _, c := range v6 {
			x.open("item")
			x.el("ipv6CidrBlock", c)
			x.close("item")
		}
		x.close("ipv6CidrBlockAssociationSet")
		x.bool("isDefault", v.IsDefault)
		writeEC2Tags(x, v.Tags)
		x.close("item")
	}
	x.close("vpcSet")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2DescribeSubnets(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.Subnets
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("subnetSet")
	for _, sn := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("subnetId", sn.ID)
		x.el("vpcId", sn.VPCID)
		x.el("state", "available")
		x.opt("availabilityZone", sn.AvailabilityZone)
		x.open("ipv6CidrBlockAssociationSet")
		for _, c := range sn.CIDRs {
			if strings.Contains(c, ":") {
				x.open("item")
				x.el("ipv6CidrBlock", c)
				x.close("item")
			}
		}
		x.close("ipv6CidrBlockAssociationSet")
		for _, c := range sn.CIDRs {
			if !strings.Contains(c, ":") {
				x.el("cidrBlock", c)
				break
			}
		}
		x.bool("mapPublicIpOnLaunch", sn.MapPublicIPOnLaunch)
		writeEC2Tags(x, sn.Tags)
		x.close("item")
	}
	x.close("subnetSet")
	x.opt("nextToken", pg.next)
	return x, nil
}

// routeTargetElement names the route element that carries a target ID.
func routeTargetElement(t string) string {
	switch {
	case strings.HasPrefix(t, "nat-"):
		return "natGatewayId"
	case strings.HasPrefix(t, "tgw-"):
		return "transitGatewayId"
	case strings.HasPrefix(t, "pcx-"):
		return "vpcPeeringConnectionId"
	case strings.HasPrefix(t, "eigw-"):
		return "egressOnlyInternetGatewayId"
	case strings.HasPrefix(t, "eni-"):
		return "networkInterfaceId"
	case strings.HasPrefix(t, "i-"):
		return "instanceId"
	case strings.HasPrefix(t, "cagw-"):
		return "carrierGatewayId"
	case strings.HasPrefix(t, "lgw-"):
		return "localGatewayId"
	case strings.HasPrefix(t, "arn:"):
		return "coreNetworkArn"
	}
	return "gatewayId" // igw-, vgw-, vpce-, local
}

func ec2DescribeRouteTables(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.RouteTables
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("routeTableSet")
	for _, t := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("routeTableId", t.ID)
		x.el("vpcId", t.VPCID)
		x.el("ownerId", s.account)
		x.open("routeSet")
		for _, r := range t.Routes {
			x.open("item")
			switch {
			case strings.HasPrefix(r.Destination, "pl-"):
				x.el("destinationPrefixListId", r.Destination)
			case strings.Contains(r.Destination, ":"):
				x.el("destinationIpv6CidrBlock", r.Destination)
			default:
				x.el("destinationCidrBlock", r.Destination)
			}
			x.el(routeTargetElement(r.Target), r.Target)
			state := r.State
			if state == "" {
				state = "active"
			}
			x.el("state", state)
			origin := r.Origin
			if origin == "" {
				origin = "CreateRoute"
				if r.Target == "local" {
					origin = "CreateRouteTable"
				}
			}
			x.el("origin", origin)
			x.close("item")
		}
		x.close("routeSet")
		x.open("associationSet")
		assoc := func(i int, main bool, subnet, gateway string) {
			x.open("item")
			x.el("routeTableAssociationId", fmt.Sprintf("rtbassoc-%s%02d", strings.TrimPrefix(t.ID, "rtb-"), i))
			x.el("routeTableId", t.ID)
			x.bool("main", main)
			x.opt("subnetId", subnet)
			x.opt("gatewayId", gateway)
			x.open("associationState")
			x.el("state", "associated")
			x.close("associationState")
			x.close("item")
		}
		n := 0
		if t.Main {
			assoc(n, true, "", "")
			n++
		}
		for _, sn := range t.Subnets {
			assoc(n, false, sn, "")
			n++
		}
		for _, g := range t.Gateways {
			assoc(n, false, "", g)
			n++
		}
		x.close("associationSet")
		writeEC2Tags(x, t.Tags)
		x.close("item")
	}
	x.close("routeTableSet")
	x.opt("nextToken", pg.next)
	return x, nil
}

func writeIGW(x *xmlBuilder, idEl string, g inventory.InternetGateway) {
	x.open("item")
	x.el(idEl, g.ID)
	x.open("attachmentSet")
	for _, v := range g.VPCs {
		x.open("item")
		x.el("vpcId", v)
		x.el("state", "available")
		x.close("item")
	}
	x.close("attachmentSet")
	writeEC2Tags(x, g.Tags)
	x.close("item")
}

func ec2DescribeIGWs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.InternetGateways
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("internetGatewaySet")
	for _, g := range items[pg.lo:pg.hi] {
		writeIGW(x, "internetGatewayId", g)
	}
	x.close("internetGatewaySet")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2DescribeEIGWs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.EgressOnlyInternetGateways
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("egressOnlyInternetGatewaySet")
	for _, g := range items[pg.lo:pg.hi] {
		writeIGW(x, "egressOnlyInternetGatewayId", g)
	}
	x.close("egressOnlyInternetGatewaySet")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2DescribeNATs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.NATGateways
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("natGatewaySet")
	for _, n := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("natGatewayId", n.ID)
		x.el("vpcId", n.VPCID)
		x.el("subnetId", n.SubnetID)
		x.el("state", n.State)
		x.opt("connectivityType", n.ConnectivityType)
		writeEC2Tags(x, n.Tags)
		x.close("item")
	}
	x.close("natGatewaySet")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2DescribePeerings(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.PeeringConnections
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("vpcPeeringConnectionSet")
	for _, p := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("vpcPeeringConnectionId", p.ID)
		for _, side := range []struct {
			el   string
			info inventory.PeeringVPCInfo
		}{{"requesterVpcInfo", p.Requester}, {"accepterVpcInfo", p.Accepter}} {
			x.open(side.el)
			x.el("vpcId", side.info.VPCID)
			x.opt("ownerId", side.info.OwnerID)
			x.opt("region", side.info.Region)
			x.close(side.el)
		}
		x.open("status")
		x.el("code", p.Status)
		x.close("status")
		x.close("item")
	}
	x.close("vpcPeeringConnectionSet")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2DescribeTGWAttachments(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.TransitGatewayAttachments
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("transitGatewayAttachments")
	for _, a := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("transitGatewayAttachmentId", a.ID)
		x.el("transitGatewayId", a.TransitGatewayID)
		x.el("resourceType", a.ResourceType)
		x.opt("resourceId", a.ResourceID)
		x.opt("resourceOwnerId", a.ResourceOwner)
		x.el("state", a.State)
		if a.RouteTableID != "" {
			x.open("association")
			x.el("transitGatewayRouteTableId", a.RouteTableID)
			x.el("state", "associated")
			x.close("association")
		}
		x.close("item")
	}
	x.close("transitGatewayAttachments")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2DescribeTGWVPCAttachments(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.TransitGatewayAttachments
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("transitGatewayVpcAttachments")
	for _, a := range items[pg.lo:pg.hi] {
		if a.ResourceType != "vpc" {
			continue
		}
		x.open("item")
		x.el("transitGatewayAttachmentId", a.ID)
		x.el("transitGatewayId", a.TransitGatewayID)
		x.el("vpcId", a.ResourceID)
		x.el("state", a.State)
		writeIDSet(x, "subnetIds", a.Subnets)
		x.close("item")
	}
	x.close("transitGatewayVpcAttachments")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2DescribeTGWRouteTables(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.TransitGatewayRouteTables
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("transitGatewayRouteTables")
	for _, t := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("transitGatewayRouteTableId", t.ID)
		x.el("transitGatewayId", t.TransitGatewayID)
		x.el("state", "available")
		x.close("item")
	}
	x.close("transitGatewayRouteTables")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2SearchTGWRoutes(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	if len(f.ec2Filters()) == 0 {
		return nil, ec2Invalid("MissingParameter", "The request must contain the parameter Filter")
	}
	id := f.get("TransitGatewayRouteTableId")
	var table *inventory.TransitGatewayRouteTb
	for i, t := range s.regionRT(ex.region).EC2.TransitGatewayRouteTables {
		if t.ID == id {
			table = &s.regionRT(ex.region).EC2.TransitGatewayRouteTables[i]
		}
	}
	if table == nil {
		return nil, ec2Invalid("InvalidRouteTableID.NotFound", "The transitGatewayRouteTable ID '%s' does not exist", id)
	}
	states := f.ec2Filters()["state"]
	// Not paged: at most MaxResults routes (default 1000), and
	// additionalRoutesAvailable says when there were more.
	max := intOf(f.get("MaxResults"))
	if max <= 0 {
		max = 1000
	}
	more := false
	x := &xmlBuilder{}
	x.open("routeSet")
	n := 0
	for _, r := range table.Routes {
		st := r.State
		if st == "" {
			st = "active"
		}
		if len(states) > 0 && !contains(states, st) {
			continue
		}
		if n == max {
			more = true
			break
		}
		n++
		x.open("item")
		if strings.HasPrefix(r.Destination, "pl-") {
			x.el("prefixListId", r.Destination)
		} else {
			x.el("destinationCidrBlock", r.Destination)
		}
		x.open("transitGatewayAttachments")
		for _, a := range r.Attachments {
			x.open("item")
			x.el("transitGatewayAttachmentId", a)
			x.close("item")
		}
		x.close("transitGatewayAttachments")
		typ := r.Type
		if typ == "" {
			typ = "static"
		}
		x.el("type", typ)
		x.el("state", st)
		x.close("item")
	}
	x.close("routeSet")
	x.bool("additionalRoutesAvailable", more)
	return x, nil
}

func ec2DescribeEndpoints(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.VPCEndpoints
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("vpcEndpointSet")
	for _, e := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("vpcEndpointId", e.ID)
		x.el("vpcEndpointType", e.Type)
		x.el("vpcId", e.VPCID)
		x.el("serviceName", e.ServiceName)
		x.el("state", e.State)
		if e.Policy != nil {
			b, _ := e.Policy.CanonicalJSON()
			x.el("policyDocument", string(b))
		}
		writeIDSet(x, "routeTableIdSet", e.RouteTables)
		writeIDSet(x, "subnetIdSet", e.Subnets)
		x.open("groupSet")
		for _, g := range e.SecurityGroups {
			x.open("item")
			x.el("groupId", g)
			x.close("item")
		}
		x.close("groupSet")
		x.bool("privateDnsEnabled", e.PrivateDNSEnabled)
		writeEC2Tags(x, e.Tags)
		x.close("item")
	}
	x.close("vpcEndpointSet")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2DescribeFlowLogs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.FlowLogs
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("flowLogSet")
	for _, l := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("flowLogId", l.ID)
		x.el("resourceId", l.ResourceID)
		x.el("trafficType", l.TrafficType)
		x.el("flowLogStatus", l.Status)
		x.opt("deliverLogsStatus", l.DeliverLogsStatus)
		x.opt("logDestinationType", l.LogDestinationType)
		x.opt("logDestination", l.LogDestination)
		x.close("item")
	}
	x.close("flowLogSet")
	x.opt("nextToken", pg.next)
	return x, nil
}

// writePermissions groups rules back into EC2's permissions, one per
// protocol and port range.
func writePermissions(x *xmlBuilder, name string, rules []inventory.SGRule) {
	x.open(name)
	for _, r := range rules {
		x.open("item")
		x.el("ipProtocol", r.Protocol)
		if r.Protocol != "-1" {
			x.int("fromPort", r.FromPort)
			x.int("toPort", r.ToPort)
		}
		x.open("ipRanges")
		if r.CIDR != "" && !strings.Contains(r.CIDR, ":") {
			x.open("item")
			x.el("cidrIp", r.CIDR)
			x.close("item")
		}
		x.close("ipRanges")
		x.open("ipv6Ranges")
		if strings.Contains(r.CIDR, ":") {
			x.open("item")
			x.el("cidrIpv6", r.CIDR)
			x.close("item")
		}
		x.close("ipv6Ranges")
		x.open("prefixListIds")
		if r.PrefixList != "" {
			x.open("item")
			x.el("prefixListId", r.PrefixList)
			x.close("item")
		}
		x.close("prefixListIds")
		x.open("groups")
		if r.Group != "" {
			x.open("item")
			x.el("groupId", r.Group)
			x.close("item")
		}
		x.close("groups")
		x.close("item")
	}
	x.close(name)
}

func ec2DescribeSGs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.SecurityGroups
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("securityGroupInfo")
	for _, g := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("ownerId", s.account)
		x.el("groupId", g.ID)
		x.el("groupName", g.Name)
		x.el("groupDescription", g.Name)
		x.el("vpcId", g.VPCID)
		writePermissions(x, "ipPermissions", g.Ingress)
		writePermissions(x, "ipPermissionsEgress", g.Egress)
		writeEC2Tags(x, g.Tags)
		x.close("item")
	}
	x.close("securityGroupInfo")
	x.opt("nextToken", pg.next)
	return x, nil
}

func ec2DescribeNACLs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	items := s.regionRT(ex.region).EC2.NetworkACLs
	pg, perr := s.ec2Page(ex, len(items))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("networkAclSet")
	for _, a := range items[pg.lo:pg.hi] {
		x.open("item")
		x.el("networkAclId", a.ID)
		x.el("vpcId", a.VPCID)
		x.bool("default", a.IsDefault)
		x.open("entrySet")
		for _, e := range a.Entries {
			x.open("item")
			x.int("ruleNumber", e.RuleNumber)
			x.el("protocol", e.Protocol)
			x.el("ruleAction", e.Action)
			x.bool("egress", e.Egress)
			if strings.Contains(e.CIDR, ":") {
				x.el("ipv6CidrBlock", e.CIDR)
			} else {
				x.el("cidrBlock", e.CIDR)
			}
			if e.FromPort != 0 || e.ToPort != 0 {
				x.open("portRange")
				x.int("from", e.FromPort)
				x.int("to", e.ToPort)
				x.close("portRange")
			}
			x.close("item")
		}
		x.close("entrySet")
		x.open("associationSet")
		for i, sn := range a.Subnets {
			x.open("item")
			x.el("networkAclAssociationId", fmt.Sprintf("aclassoc-%s%02d", strings.TrimPrefix(a.ID, "acl-"), i))
			x.el("networkAclId", a.ID)
			x.el("subnetId", sn)
			x.close("item")
		}
		x.close("associationSet")
		x.close("item")
	}
	x.close("networkAclSet")
	x.opt("nextToken", pg.next)
	return x, nil
}

// ---- create ----

func (s *Server) vpcOf(region, id string) *inventory.VPC {
	e := s.regionRT(region).EC2
	for i := range e.VPCs {
		if e.VPCs[i].ID == id {
			return &e.VPCs[i]
		}
	}
	return nil
}

func (s *Server) sgOf(region, id string) *inventory.SecurityGroup {
	e := s.regionRT(region).EC2
	for i := range e.SecurityGroups {
		if e.SecurityGroups[i].ID == id {
			return &e.SecurityGroups[i]
		}
	}
	return nil
}

func (s *Server) routeTableOf(region, id string) *inventory.RouteTable {
	e := s.regionRT(region).EC2
	for i := range e.RouteTables {
		if e.RouteTables[i].ID == id {
			return &e.RouteTables[i]
		}
	}
	return nil
}

func ec2CreateVpc(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	cidr := ex.form.get("CidrBlock")
	if cidr == "" {
		return nil, ec2Invalid("MissingParameter", "The request must contain the parameter CidrBlock")
	}
	e := s.regionRT(ex.region).EC2
	id := s.hexID("vpc")
	v := inventory.VPC{ID: id, OwnerID: s.account, CIDRs: []string{cidr}, Tags: ex.form.ec2TagSpec("vpc")}
	e.VPCs = append(e.VPCs, v)
	// Every VPC comes with a main route table, a default security group
	// and a default network ACL.
	e.RouteTables = append(e.RouteTables, inventory.RouteTable{ID: s.hexID("rtb"), VPCID: id, Main: true,
		Routes: []inventory.Route{{Destination: cidr, Target: "local", State: "active"}}})
	sg := s.hexID("sg")
	e.SecurityGroups = append(e.SecurityGroups, inventory.SecurityGroup{ID: sg, Name: "default", VPCID: id,
		Ingress: []inventory.SGRule{{Protocol: "-1", Group: sg}}, Egress: []inventory.SGRule{{Protocol: "-1", CIDR: "0.0.0.0/0"}}})
	var entries []inventory.ACLEntry
	for _, eg := range []bool{false, true} {
		entries = append(entries, inventory.ACLEntry{RuleNumber: 100, Egress: eg, Protocol: "-1", Action: "allow", CIDR: "0.0.0.0/0"},
			inventory.ACLEntry{RuleNumber: 32767, Egress: eg, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"})
	}
	e.NetworkACLs = append(e.NetworkACLs, inventory.NetworkACL{ID: s.hexID("acl"), VPCID: id, IsDefault: true, Entries: entries})
	x := &xmlBuilder{}
	x.open("vpc")
	x.el("vpcId", id)
	x.el("cidrBlock", cidr)
	x.el("state", "available")
	x.close("vpc")
	ex.addResource("AWS::EC2::VPC", id)
	return x, nil
}

func ec2CreateSubnet(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	vpc := s.vpcOf(ex.region, f.get("VpcId"))
	if vpc == nil {
		return nil, ec2Invalid("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", f.get("VpcId"))
	}
	id := s.hexID("subnet")
	e := s.regionRT(ex.region).EC2
	e.Subnets = append(e.Subnets, inventory.Subnet{ID: id, VPCID: vpc.ID, CIDRs: []string{f.get("CidrBlock")}, AvailabilityZone: f.get("AvailabilityZone"),
		Tags: f.ec2TagSpec("subnet")})
	for i := range e.NetworkACLs {
		if e.NetworkACLs[i].VPCID == vpc.ID && e.NetworkACLs[i].IsDefault {
			e.NetworkACLs[i].Subnets = append(e.NetworkACLs[i].Subnets, id)
		}
	}
	x := &xmlBuilder{}
	x.open("subnet")
	x.el("subnetId", id)
	x.el("vpcId", vpc.ID)
	x.el("cidrBlock", f.get("CidrBlock"))
	x.el("state", "available")
	x.close("subnet")
	return x, nil
}

func ec2CreateRouteTable(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	vpc := s.vpcOf(ex.region, ex.form.get("VpcId"))
	if vpc == nil {
		return nil, ec2Invalid("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", ex.form.get("VpcId"))
	}
	id := s.hexID("rtb")
	e := s.regionRT(ex.region).EC2
	e.RouteTables = append(e.RouteTables, inventory.RouteTable{ID: id, VPCID: vpc.ID, Tags: ex.form.ec2TagSpec("route-table"),
		Routes: []inventory.Route{{Destination: vpc.CIDRs[0], Target: "local", State: "active"}}})
	x := &xmlBuilder{}
	x.open("routeTable")
	x.el("routeTableId", id)
	x.el("vpcId", vpc.ID)
	x.close("routeTable")
	return x, nil
}

func ec2AssociateRouteTable(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	t := s.routeTableOf(ex.region, ex.form.get("RouteTableId"))
	if t == nil {
		return nil, ec2Invalid("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist", ex.form.get("RouteTableId"))
	}
	sn := ex.form.get("SubnetId")
	// A subnet has one explicit association: move it.
	e := s.regionRT(ex.region).EC2
	for i := range e.RouteTables {
		e.RouteTables[i].Subnets = removeString(e.RouteTables[i].Subnets, sn)
	}
	t.Subnets = append(t.Subnets, sn)
	x := &xmlBuilder{}
	x.el("associationId", fmt.Sprintf("rtbassoc-%s", strings.TrimPrefix(s.hexID("x"), "x-")))
	x.open("associationState")
	x.el("state", "associated")
	x.close("associationState")
	return x, nil
}

func removeString(list []string, v string) []string {
	var out []string
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func routeDestination(f form) string {
	for _, k := range []string{"DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"} {
		if v := f.get(k); v != "" {
			return v
		}
	}
	return ""
}

func ec2CreateRoute(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	t := s.routeTableOf(ex.region, f.get("RouteTableId"))
	if t == nil {
		return nil, ec2Invalid("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist", f.get("RouteTableId"))
	}
	dest := routeDestination(f)
	target := ""
	for _, k := range []string{"GatewayId", "NatGatewayId", "TransitGatewayId", "VpcPeeringConnectionId", "EgressOnlyInternetGatewayId",
		"NetworkInterfaceId", "InstanceId", "CarrierGatewayId", "LocalGatewayId", "VpcEndpointId", "CoreNetworkArn"} {
		if v := f.get(k); v != "" {
			target = v
			break
		}
	}
	if dest == "" || target == "" {
		return nil, ec2Invalid("MissingParameter", "The request must contain a destination and a target")
	}
	for _, r := range t.Routes {
		if r.Destination == dest {
			return nil, ec2Invalid("RouteAlreadyExists", "The route identified by %s already exists.", dest)
		}
	}
	t.Routes = append(t.Routes, inventory.Route{Destination: dest, Target: target, State: "active", Origin: "CreateRoute"})
	sort.Slice(t.Routes, func(i, j int) bool { return t.Routes[i].Destination < t.Routes[j].Destination })
	x := &xmlBuilder{}
	x.bool("return", true)
	return x, nil
}

func ec2DeleteRoute(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	t := s.routeTableOf(ex.region, f.get("RouteTableId"))
	if t == nil {
		return nil, ec2Invalid("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist", f.get("RouteTableId"))
	}
	dest := routeDestination(f)
	var kept []inventory.Route
	found := false
	for _, r := range t.Routes {
		if r.Destination == dest {
			found = true
			continue
		}
		kept = append(kept, r)
	}
	if !found {
		return nil, ec2Invalid("InvalidRoute.NotFound", "no route with destination-cidr-block %s in route table %s", dest, t.ID)
	}
	t.Routes = kept
	return &xmlBuilder{}, nil
}

func ec2CreateIGW(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	id := s.hexID("igw")
	e := s.regionRT(ex.region).EC2
	e.InternetGateways = append(e.InternetGateways, inventory.InternetGateway{ID: id, VPCs: []string{}, Tags: ex.form.ec2TagSpec("internet-gateway")})
	x := &xmlBuilder{}
	x.open("internetGateway")
	x.el("internetGatewayId", id)
	x.close("internetGateway")
	return x, nil
}

func ec2AttachIGW(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	e := s.regionRT(ex.region).EC2
	for i := range e.InternetGateways {
		if e.InternetGateways[i].ID == ex.form.get("InternetGatewayId") {
			e.InternetGateways[i].VPCs = append(e.InternetGateways[i].VPCs, ex.form.get("VpcId"))
			return &xmlBuilder{}, nil
		}
	}
	return nil, ec2Invalid("InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist", ex.form.get("InternetGatewayId"))
}

func ec2CreateNAT(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	var subnet *inventory.Subnet
	for i, sn := range s.regionRT(ex.region).EC2.Subnets {
		if sn.ID == f.get("SubnetId") {
			subnet = &s.regionRT(ex.region).EC2.Subnets[i]
		}
	}
	if subnet == nil {
		return nil, ec2Invalid("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", f.get("SubnetId"))
	}
	ct := f.get("ConnectivityType")
	if ct == "" {
		ct = "public"
	}
	id := s.hexID("nat")
	e := s.regionRT(ex.region).EC2
	e.NATGateways = append(e.NATGateways, inventory.NATGateway{ID: id, VPCID: subnet.VPCID, SubnetID: subnet.ID, ConnectivityType: ct, State: "available",
		Tags: f.ec2TagSpec("natgateway")})
	x := &xmlBuilder{}
	x.open("natGateway")
	x.el("natGatewayId", id)
	x.el("subnetId", subnet.ID)
	x.el("vpcId", subnet.VPCID)
	x.el("state", "pending")
	x.el("connectivityType", ct)
	x.close("natGateway")
	return x, nil
}

func ec2CreateEndpoint(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	vpc := s.vpcOf(ex.region, f.get("VpcId"))
	if vpc == nil {
		return nil, ec2Invalid("InvalidVpcId.NotFound", "The Vpc Id '%s' does not exist", f.get("VpcId"))
	}
	typ := f.get("VpcEndpointType")
	if typ == "" {
		typ = "Gateway"
	}
	ep := inventory.VPCEndpoint{ID: s.hexID("vpce"), VPCID: vpc.ID, ServiceName: f.get("ServiceName"), Type: typ, State: "available",
		RouteTables: f.ec2List("RouteTableId"), Subnets: f.ec2List("SubnetId"), SecurityGroups: f.ec2List("SecurityGroupId"),
		PrivateDNSEnabled: f.get("PrivateDnsEnabled") == "true", Tags: f.ec2TagSpec("vpc-endpoint")}
	doc := f.get("PolicyDocument")
	if doc == "" && typ != "GatewayLoadBalancer" {
		// AWS attaches the full-access policy when none is given.
		doc = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	}
	if doc != "" {
		d, err := policy.ParseString(doc)
		if err != nil {
			return nil, ec2Invalid("InvalidPolicyDocument", "%v", err)
		}
		ep.Policy = d
	}
	e := s.regionRT(ex.region).EC2
	e.VPCEndpoints = append(e.VPCEndpoints, ep)
	if typ == "Gateway" {
		// A gateway endpoint adds a route to the service's prefix list in
		// each route table it is associated with.
		pl := servicePrefixList(ep.ServiceName)
		for _, id := range ep.RouteTables {
			if t := s.routeTableOf(ex.region, id); t != nil {
				t.Routes = append(t.Routes, inventory.Route{Destination: pl, Target: ep.ID, State: "active", Origin: "CreateRoute"})
			}
		}
	}
	x := &xmlBuilder{}
	x.open("vpcEndpoint")
	x.el("vpcEndpointId", ep.ID)
	x.el("vpcEndpointType", typ)
	x.el("vpcId", vpc.ID)
	x.el("serviceName", ep.ServiceName)
	x.el("state", "available")
	x.close("vpcEndpoint")
	return x, nil
}

func ec2CreateFlowLogs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	ids := f.ec2List("ResourceId")
	if len(ids) == 0 || f.get("TrafficType") == "" {
		return nil, ec2Invalid("MissingParameter", "The request must contain the parameters ResourceId and TrafficType")
	}
	e := s.regionRT(ex.region).EC2
	x := &xmlBuilder{}
	x.open("flowLogIdSet")
	for _, r := range ids {
		id := s.hexID("fl")
		dest := f.get("LogDestination")
		if dest == "" {
			dest = f.get("LogGroupName")
		}
		dt := f.get("LogDestinationType")
		if dt == "" {
			dt = "cloud-watch-logs"
		}
		e.FlowLogs = append(e.FlowLogs, inventory.FlowLog{ID: id, ResourceID: r, TrafficType: f.get("TrafficType"), Status: "ACTIVE",
			DeliverLogsStatus: "SUCCESS", LogDestinationType: dt, LogDestination: dest})
		x.el("item", id)
	}
	x.close("flowLogIdSet")
	x.open("unsuccessful")
	x.close("unsuccessful")
	return x, nil
}

func ec2CreateSG(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	vpc := s.vpcOf(ex.region, f.get("VpcId"))
	if vpc == nil {
		return nil, ec2Invalid("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", f.get("VpcId"))
	}
	id := s.hexID("sg")
	e := s.regionRT(ex.region).EC2
	// A new security group allows all outbound traffic, as in AWS.
	e.SecurityGroups = append(e.SecurityGroups, inventory.SecurityGroup{ID: id, Name: f.get("GroupName"), VPCID: vpc.ID,
		Ingress: []inventory.SGRule{}, Egress: []inventory.SGRule{{Protocol: "-1", CIDR: "0.0.0.0/0"}}, Tags: f.ec2TagSpec("security-group")})
	x := &xmlBuilder{}
	x.el("groupId", id)
	return x, nil
}

// permissionRules reads IpPermissions.N into rules.
func permissionRules(f form) []inventory.SGRule {
	var out []inventory.SGRule
	for i := 1; i <= f.ec2Items("IpPermissions"); i++ {
		p := fmt.Sprintf("IpPermissions.%d.", i)
		base := inventory.SGRule{Protocol: f.get(p + "IpProtocol")}
		base.FromPort, _ = strconv.Atoi(f.get(p + "FromPort"))
		base.ToPort, _ = strconv.Atoi(f.get(p + "ToPort"))
		for j := 1; ; j++ {
			k := fmt.Sprintf("%sIpRanges.%d.CidrIp", p, j)
			if !f.has(k) {
				break
			}
			r := base
			r.CIDR = f.get(k)
			out = append(out, r)
		}
		for j := 1; ; j++ {
			k := fmt.Sprintf("%sIpv6Ranges.%d.CidrIpv6", p, j)
			if !f.has(k) {
				break
			}
			r := base
			r.CIDR = f.get(k)
			out = append(out, r)
		}
		for j := 1; ; j++ {
			k := fmt.Sprintf("%sPrefixListIds.%d.PrefixListId", p, j)
			if !f.has(k) {
				break
			}
			r := base
			r.PrefixList = f.get(k)
			out = append(out, r)
		}
		for j := 1; ; j++ {
			k := fmt.Sprintf("%sGroups.%d.GroupId", p, j)
			if !f.has(k) {
				break
			}
			r := base
			r.Group = f.get(k)
			out = append(out, r)
		}
	}
	return out
}

func ec2Authorize(s *Server, ex *exchange, egress bool) (any, *apiError) {
	g := s.sgOf(ex.region, ex.form.get("GroupId"))
	if g == nil {
		return nil, ec2Invalid("InvalidGroup.NotFound", "The security group '%s' does not exist", ex.form.get("GroupId"))
	}
	rules := permissionRules(ex.form)
	if egress {
		g.Egress = append(g.Egress, rules...)
	} else {
		g.Ingress = append(g.Ingress, rules...)
	}
	x := &xmlBuilder{}
	x.bool("return", true)
	return x, nil
}

func ec2AuthorizeIngress(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	return ec2Authorize(s, ex, false)
}

func ec2AuthorizeEgress(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	return ec2Authorize(s, ex, true)
}

func ec2RevokeEgress(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	g := s.sgOf(ex.region, ex.form.get("GroupId"))
	if g == nil {
		return nil, ec2Invalid("InvalidGroup.NotFound", "The security group '%s' does not exist", ex.form.get("GroupId"))
	}
	for _, r := range permissionRules(ex.form) {
		var kept []inventory.SGRule
		for _, e := range g.Egress {
			same := e.Protocol == r.Protocol && e.CIDR == r.CIDR && e.PrefixList == r.PrefixList && e.Group == r.Group
			if same && (r.Protocol == "-1" || (e.FromPort == r.FromPort && e.ToPort == r.ToPort)) {
				continue
			}
			kept = append(kept, e)
		}
		g.Egress = kept
	}
	if g.Egress == nil {
		g.Egress = []inventory.SGRule{}
	}
	x := &xmlBuilder{}
	x.bool("return", true)
	return x, nil
}

func ec2CreateTags(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	tags := map[string]string{}
	for j := 1; ; j++ {
		k := fmt.Sprintf("Tag.%d.Key", j)
		if !f.has(k) {
			break
		}
		tags[f.get(k)] = f.get(fmt.Sprintf("Tag.%d.Value", j))
	}
	e := s.regionRT(ex.region).EC2
	set := func(m *map[string]string) {
		if *m == nil {
			*m = map[string]string{}
		}
		for k, v := range tags {
			(*m)[k] = v
		}
	}
	for _, id := range f.ec2List("ResourceId") {
		switch {
		case strings.HasPrefix(id, "vpc-"):
			if v := s.vpcOf(ex.region, id); v != nil {
				set(&v.Tags)
			}
		case strings.HasPrefix(id, "subnet-"):
			for i := range e.Subnets {
				if e.Subnets[i].ID == id {
					set(&e.Subnets[i].Tags)
				}
			}
		case strings.HasPrefix(id, "sg-"):
			if g := s.sgOf(ex.region, id); g != nil {
				set(&g.Tags)
			}
		case strings.HasPrefix(id, "rtb-"):
			if t := s.routeTableOf(ex.region, id); t != nil {
				set(&t.Tags)
			}
		}
	}
	return &xmlBuilder{}, nil
}

// servicePrefixList is the AWS-managed prefix list of a gateway endpoint's
// service: fixed per service and region in AWS (S3 in us-east-1 is
// pl-63a5400a, DynamoDB pl-02cd2c6b); others get a stable made-up ID.
func servicePrefixList(service string) string {
	switch service {
	case "com.amazonaws.us-east-1.s3":
		return "pl-63a5400a"
	case "com.amazonaws.us-east-1.dynamodb":
		return "pl-02cd2c6b"
	}
	var h uint32 = 2166136261
	for i := 0; i < len(service); i++ {
		h = (h ^ uint32(service[i])) * 16777619
	}
	return fmt.Sprintf("pl-%08x", h)
}
