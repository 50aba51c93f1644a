package provision

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/posture"
)

// Network is the network and logging desired state of the nodes (for the
// deployment mode declared) and of PAR: what RenderTerraform and
// RenderCloudFormation write beside the roles, and what Runtime turns into
// the runtime section of a snapshot of the account once it is applied. It
// is nil in a Desired built without a declared mode for a Pennsieve
// contract (nothing network-wise is rendered, and the output says so).
type Network struct {
	// Mode is basic, secure or compliant ("" for PAR, which has no mode).
	Mode    string
	Account string
	Region  string
	// Nodes are the compute nodes' networks (secure and compliant; basic
	// renders nothing).
	Nodes []NodeNetwork
	// PAR is the PAR runtime's network, log group and alarms.
	PAR *PARNetwork
	// Notes are said in the rendered output.
	Notes []string
}

// NetVPC is a dedicated VPC and what lives in it.
type NetVPC struct {
	// Name is the prefix of every resource name ("pennsieve-7f3a9c21").
	Name        string
	CIDR        string
	Subnets     []NetSubnet
	RouteTables []NetRouteTable
	// Internet and NAT: an internet gateway (and a NAT gateway in the
	// subnet named NATSubnet).
	Internet  bool
	NATSubnet string
	Endpoints []NetEndpoint
	Groups    []NetGroup
	Tags      map[string]string
}

// NetSubnet is a subnet.
type NetSubnet struct {
	Name       string
	CIDR       string
	AZ         string
	RouteTable string
}

// NetRouteTable is a route table with its routes beyond "local" (a gateway
// endpoint's routes are added by AWS to the tables it is associated with).
type NetRouteTable struct {
	Name   string
	Routes []NetRoute
}

// Route targets.
const (
	TargetInternet = "internet-gateway"
	TargetNAT      = "nat-gateway"
)

// NetRoute is one route.
type NetRoute struct {
	Destination string
	Target      string
}

// NetEndpoint is a VPC endpoint.
type NetEndpoint struct {
	// Service is the last part of com.amazonaws.REGION.SERVICE.
	Service string
	Gateway bool
	// Why lists what needs it.
	Why    []string
	Policy Doc
	// RouteTables (gateway) or Subnets and Group (interface).
	RouteTables []string
	Subnets     []string
	Group       string
}

// NetGroup is a security group.
type NetGroup struct {
	Name        string
	Description string
	Ingress     []NetRule
	Egress      []NetRule
}

// NetRule is one security group rule; exactly one peer is set: CIDR, Group
// (a group of the same VPC by name) or PrefixListOf (the prefix list of a
// gateway endpoint's service).
type NetRule struct {
	Protocol     string
	FromPort     int
	ToPort       int
	CIDR         string
	Group        string
	PrefixListOf string
	Description  string
}

// NetLogGroup is a CloudWatch Logs log group.
type NetLogGroup struct {
	Name          string
	RetentionDays int
	// Encrypted: with the node's KMS key.
	Encrypted bool
}

// NodeNetwork is one node's network and logging.
type NodeNetwork struct {
	Node       string
	FileSystem string
	// VPC is nil in basic mode (the default VPC).
	VPC *NetVPC
	// Key is the node's KMS key policy (secure and compliant).
	Key       *Doc
	LogGroups []NetLogGroup
	// FlowLogGroup is the log group of the VPC's flow log of ALL traffic
	// ("" for none); FlowLogRole its delivery role's name.
	FlowLogGroup string
	FlowLogRole  string
	FlowLogTrust Doc
	FlowLogDoc   Doc
	// FSPolicy is the node file system's policy (refuses mounts without
	// TLS), FSGroup the mount targets' security group.
	FSPolicy *Doc
	FSGroup  string
	// Compute is what the provider's functions, tasks and state machines
	// must be configured with: rendered as outputs.
	Compute NodeCompute
}

// NodeCompute are the settings the provider's compute of a node is
// deployed with (the outputs of the rendered template).
type NodeCompute struct {
	Subnets  []string
	Group    string
	LogGroup string
	// StateMachineKMS: state machines use the node's key
	// (CUSTOMER_MANAGED_KMS_KEY); EFSEncrypted: the file system must be
	// encrypted at rest.
	StateMachineKMS bool
	EFSEncrypted    bool
}

// networkMode is the mode the network is rendered for: the parameter,
// else the contract's deployment_mode.
func networkMode(c *contract.Contract, p Params) (string, error) {
	m := strings.ToLower(strings.TrimSpace(p.DeploymentMode))
	if m == "" {
		m = c.Parameters.DeploymentMode
	}
	if m != "" && !contract.ValidMode(m) {
		return "", paramErr("deployment mode %q: want %s", m, strings.Join(contract.Modes(), ", "))
	}
	return m, nil
}

// gatewayServices are the services whose S3-style gateway endpoints are
// free and routed by prefix lists.
var gatewayServices = map[string]bool{"s3": true, "dynamodb": true}

// buildNodeNetworks builds the nodes' networks for mode.
func buildNodeNetworks(c *contract.Contract, p Params, d *Desired, mode string) (*Network, error) {
	nw := &Network{Mode: mode, Account: p.Account, Region: p.region()}
	if mode == contract.ModeBasic {
		nw.Notes = append(nw.Notes, "deployment mode basic: the nodes use the account's default VPC; nothing network-wise is rendered (no VPC, endpoints, flow logs or KMS key)")
	}
	for _, n := range p.Nodes {
		nn := NodeNetwork{Node: n.ID, FileSystem: n.FileSystem}
		if mode == contract.ModeBasic {
			nw.Nodes = append(nw.Nodes, nn)
			continue
		}
		name := "pennsieve-" + n.ID
		v := &NetVPC{Name: name, CIDR: "10.0.0.0/16", Tags: map[string]string{TagComputeNode: n.ID, modeTag(c): mode}}
		r := p.region()
		v.Subnets = []NetSubnet{
			{Name: name + "-private-a", CIDR: "10.0.0.0/20", AZ: r + "a", RouteTable: name + "-private"},
			{Name: name + "-private-b", CIDR: "10.0.16.0/20", AZ: r + "b", RouteTable: name + "-private"},
		}
		v.RouteTables = []NetRouteTable{{Name: name + "-private"}}
		compute := name + "-compute"
		fsGroup := name + "-efs"
		cg := NetGroup{Name: compute, Description: "the node's functions and tasks: no inbound"}
		fg := NetGroup{Name: fsGroup, Description: "the node's EFS mount targets: NFS from the node's compute only",
			Ingress: []NetRule{{Protocol: "tcp", FromPort: 2049, ToPort: 2049, Group: compute, Description: "NFS from the node's compute"}},
			Egress:  []NetRule{{Protocol: "tcp", FromPort: 2049, ToPort: 2049, CIDR: v.CIDR, Description: "NFS replies within the VPC"}}}
		cg.Egress = append(cg.Egress, NetRule{Protocol: "tcp", FromPort: 2049, ToPort: 2049, Group: fsGroup, Description: "NFS to the node's file system"})
		switch mode {
		case contract.ModeSecure:
			v.Internet, v.NATSubnet = true, name+"-public-a"
			v.Subnets = append(v.Subnets, NetSubnet{Name: name + "-public-a", CIDR: "10.0.128.0/24", AZ: r + "a", RouteTable: name + "-public"})
			v.RouteTables = []NetRouteTable{
				{Name: name + "-private", Routes: []NetRoute{{Destination: "0.0.0.0/0", Target: TargetNAT}}},
				{Name: name + "-public", Routes: []NetRoute{{Destination: "0.0.0.0/0", Target: TargetInternet}}},
			}
			cg.Egress = append(cg.Egress, NetRule{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: "0.0.0.0/0", Description: "HTTPS out through the NAT gateway"})
		case contract.ModeCompliant:
			eps, err := nodeEndpoints(c, p, d, n)
			if err != nil {
				return nil, err
			}
			epGroup := name + "-endpoints"
			v.Groups = append(v.Groups, NetGroup{Name: epGroup, Description: "the node's interface endpoints: HTTPS from the node's compute only",
				Ingress: []NetRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, Group: compute, Description: "HTTPS from the node's compute"}},
				Egress:  []NetRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: v.CIDR, Description: "within the VPC only"}}})
			for _, e := range eps {
				if e.Gateway {
					e.RouteTables = []string{name + "-private"}
					cg.Egress = append(cg.Egress, NetRule{Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListOf: e.Service, Description: "HTTPS to " + e.Service + " through its gateway endpoint"})
				} else {
					e.Subnets, e.Group = []string{name + "-private-a", name + "-private-b"}, epGroup
				}
				v.Endpoints = append(v.Endpoints, e)
			}
			cg.Egress = append(cg.Egress, NetRule{Protocol: "tcp", FromPort: 443, ToPort: 443, Group: epGroup, Description: "HTTPS to the interface endpoints"})
		}
		v.Groups = append(v.Groups, cg, fg)
		sort.Slice(v.Groups, func(i, j int) bool { return v.Groups[i].Name < v.Groups[j].Name })
		nn.VPC = v
		key, err := nodeKeyPolicy(p, n.ID)
		if err != nil {
			return nil, err
		}
		nn.Key = &key
		nn.LogGroups = []NetLogGroup{
			{Name: "/pennsieve/" + n.ID + "/flow-logs", RetentionDays: 365, Encrypted: true},
			{Name: "/pennsieve/" + n.ID + "/processor", RetentionDays: 365, Encrypted: true},
		}
		nn.FlowLogGroup = "/pennsieve/" + n.ID + "/flow-logs"
		// One delivery role for every node's flow log: a role named
		// after a node would read as that node's child role.
		nn.FlowLogRole = "pvaudit-vpc-flow-logs"
		if nn.FlowLogTrust, err = document(stmt{Effect: "Allow", Principal: map[string]any{"Service": "vpc-flow-logs.amazonaws.com"}, Action: "sts:AssumeRole"}.
			when("StringEquals", "aws:SourceAccount", p.Account)); err != nil {
			return nil, err
		}
		fsp, err := document(stmt{Sid: "RefuseWithoutTLS", Effect: "Deny", Principal: "*", Action: "*",
			Resource: "arn:aws:elasticfilesystem:" + r + ":" + p.Account + ":file-system/" + n.FileSystem}.when("Bool", "aws:SecureTransport", "false"))
		if err != nil {
			return nil, err
		}
		nn.FSPolicy, nn.FSGroup = &fsp, fsGroup
		nn.Compute = NodeCompute{Subnets: []string{name + "-private-a", name + "-private-b"}, Group: compute, LogGroup: "/pennsieve/" + n.ID + "/processor",
			StateMachineKMS: true, EFSEncrypted: mode == contract.ModeCompliant}
		nw.Nodes = append(nw.Nodes, nn)
	}
	var groups []string
	for _, nn := range nw.Nodes {
		if nn.FlowLogGroup != "" {
			groups = append(groups, "arn:aws:logs:"+p.region()+":"+p.Account+":log-group:"+nn.FlowLogGroup, "arn:aws:logs:"+p.region()+":"+p.Account+":log-group:"+nn.FlowLogGroup+":*")
		}
	}
	if len(groups) > 0 {
		doc, err := document(allow("DeliverFlowLogs", []string{"logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"}, groups))
		if err != nil {
			return nil, err
		}
		for i := range nw.Nodes {
			nw.Nodes[i].FlowLogDoc = doc
		}
	}
	if mode == contract.ModeCompliant {
		nw.Notes = append(nw.Notes, "deployment mode compliant: the file systems must be encrypted at rest when created (it cannot be turned on later); pvaudit scan checks it (MODE-010)")
	}
	return nw, nil
}

// modeTag is the tag key the contract reads a node's mode from.
func modeTag(c *contract.Contract) string {
	if c.Deployment != nil && len(c.Deployment.ModeTagKeys) > 0 {
		return c.Deployment.ModeTagKeys[0]
	}
	return "pennsieve:deployment-mode"
}

// nodeEndpoints derives the endpoints a compliant node needs from what its
// roles may call: the allowed actions of its processor roles and of its
// boundary (which caps every role of the node), and what its ECS tasks
// need to start (ECR images, awslogs) — by posture's table, the one
// MODE-006 judges by.
func nodeEndpoints(c *contract.Contract, p Params, d *Desired, n Node) ([]NetEndpoint, error) {
	why := map[string]map[string]bool{}
	add := func(action, reason string) error {
		svcs, ok := posture.EndpointServicesOf(action)
		if !ok {
			return fmt.Errorf("node %s: %s allows %q: the services it calls cannot be listed, so the endpoints cannot be derived", n.ID, reason, action)
		}
		for _, s := range svcs {
			if why[s] == nil {
				why[s] = map[string]bool{}
			}
			why[s][reason] = true
		}
		return nil
	}
	var docs []struct {
		who string
		doc *policy.Document
	}
	for i := range d.Policies {
		if d.Policies[i].Node == n.ID && d.Policies[i].Component == CompBoundary {
			docs = append(docs, struct {
				who string
				doc *policy.Document
			}{"boundary " + d.Policies[i].Name, d.Policies[i].Doc.Document()})
		}
	}
	for i := range d.Roles {
		r := &d.Roles[i]
		if r.Node != n.ID {
			continue
		}
		for _, in := range r.Inline {
			docs = append(docs, struct {
				who string
				doc *policy.Document
			}{"role " + r.Name, in.Doc.Document()})
		}
		if r.Component == CompProcessorECS {
			for _, s := range posture.ContainerServices(processorImage(p, n.ID), "awslogs") {
				if err := add(s+":*", "role "+r.Name+"'s tasks pull from ECR and log with awslogs"); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, x := range docs {
		for _, st := range x.doc.Statements {
			if st.Effect != policy.EffectAllow {
				continue
			}
			if len(st.NotAction) > 0 {
				return nil, fmt.Errorf("node %s: %s allows NotAction: the endpoints cannot be derived", n.ID, x.who)
			}
			for _, a := range st.Action {
				if err := add(a, x.who+" allows "+a); err != nil {
					return nil, err
				}
			}
		}
	}
	var out []NetEndpoint
	for _, s := range sortedKeys(why) {
		pol, err := endpointPolicy(p, s)
		if err != nil {
			return nil, err
		}
		out = append(out, NetEndpoint{Service: s, Gateway: gatewayServices[s], Why: sortedKeys(why[s]), Policy: pol})
	}
	return out, nil
}

// processorImage is the image the stand-in of a node's ECS processor runs
// (an ECR repository of the account).
func processorImage(p Params, node string) string {
	return p.Account + ".dkr.ecr." + p.region() + ".amazonaws.com/pennsieve-" + node + "-processor:latest"
}

// endpointPolicy lets through requests to the account's own resources
// only; an S3 endpoint also lets ECR's image layers through (AWS keeps
// them in its own bucket prod-REGION-starport-layer-bucket).
func endpointPolicy(p Params, service string) (Doc, error) {
	sts := []stmt{{Sid: "OwnAccountOnly", Effect: "Allow", Principal: "*", Action: "*", Resource: "*",
		Condition: cond{"StringEquals": {"aws:ResourceAccount": p.Account}}}}
	if service == "s3" {
		sts = append(sts, stmt{Sid: "ECRImageLayers", Effect: "Allow", Principal: "*", Action: "s3:GetObject",
			Resource: "arn:aws:s3:::prod-" + p.region() + "-starport-layer-bucket/*"})
	}
	return document(sts...)
}

// nodeKeyPolicy is the node key's policy: administered by the account,
// usable by CloudWatch Logs for the node's log groups and by Step
// Functions for the node's state machines; EFS uses it on behalf of IAM
// principals of the account (kms:ViaService).
func nodeKeyPolicy(p Params, node string) (Doc, error) {
	r, a := p.region(), p.Account
	return document(
		stmt{Sid: "AccountAdministers", Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::" + a + ":root"}, Action: "kms:*", Resource: "*"},
		stmt{Sid: "NodeLogGroups", Effect: "Allow", Principal: map[string]any{"Service": "logs." + r + ".amazonaws.com"},
			Action: []string{"kms:Decrypt", "kms:Describe*", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}, Resource: "*"}.
			when("ArnLike", "kms:EncryptionContext:aws:logs:arn", "arn:aws:logs:"+r+":"+a+":log-group:/pennsieve/"+node+"/*"),
		stmt{Sid: "NodeStateMachines", Effect: "Allow", Principal: map[string]any{"Service": "states.amazonaws.com"},
			Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: "*"}.
			when("ArnLike", "kms:EncryptionContext:aws:states:stateMachineArn", "arn:aws:states:"+r+":"+a+":stateMachine:pennsieve-"+node+"-*"),
		stmt{Sid: "NodeFileSystem", Effect: "Allow", Principal: map[string]any{"AWS": "*"},
			Action: []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"}, Resource: "*"}.
			when("StringEquals", "kms:ViaService", "elasticfilesystem."+r+".amazonaws.com").when("StringEquals", "kms:CallerAccount", a),
	)
}

// buildNetwork builds the network of d: PAR's always, the nodes' for the
// declared mode (nil when none is declared).
func buildNetwork(c *contract.Contract, p Params, d *Desired) (*Network, error) {
	if c.PAR != nil {
		if p.PackageBucket == "" {
			p.PackageBucket = c.Parameters.PackageBucket
		}
		return buildPARNetwork(c, p, d)
	}
	mode, err := networkMode(c, p)
	if err != nil || mode == "" {
		return nil, err
	}
	return buildNodeNetworks(c, p, d, mode)
}
