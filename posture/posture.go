// Package posture reads what a snapshot's runtime section says about the
// provider's compute: which VPCs, subnets, functions, ECS tasks, state
// machines, file systems and log groups belong to each compute node (by the
// contract's tags and names, and by the node's roles), each node's
// deployment mode (declared by the customer's parameter or a tag, else
// inferred — and which), where each subnet's traffic can go (routes
// followed through peering connections and transit gateways as far as the
// snapshot shows), which security groups guard what, and, for PAR, its ECS
// service, load balancer and log group.
//
// It is pure: no AWS calls and no findings. The MODE-*, PV-NET-* and
// PV-LOG-* checks and the network scenario row read it. Whatever the
// snapshot does not show is reported as missing (with the reason), never
// assumed absent: a section that was not read makes every fact that needs
// it unknown.
package posture

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
)

// Section names a part of the runtime section.
type Section string

// Sections.
const (
	EC2           Section = "ec2"
	Logs          Section = "logs"
	CloudWatch    Section = "cloudwatch"
	StepFunctions Section = "step_functions"
	EFS           Section = "efs"
	Lambda        Section = "lambda"
	ECS           Section = "ecs"
	ELB           Section = "elb"
	S3            Section = "s3"
)

// In is a resource with the region it was read in.
type In[T any] struct {
	Region string
	V      *T
}

// Facts is the runtime posture of one snapshot for one contract.
type Facts struct {
	Snap     *inventory.Snapshot
	Contract *contract.Contract
	// Regions are the regions the runtime section was read in.
	Regions []string
	// Nodes are the compute nodes known to the classification, sorted by ID.
	Nodes []*Node
	idx   *index
}

// Analyze builds the facts. cls is the snapshot's role classification.
func Analyze(snap *inventory.Snapshot, c *contract.Contract, cls *classify.Result) *Facts {
	f := &Facts{Snap: snap, Contract: c, idx: buildIndex(snap.Runtime)}
	f.Regions = snap.Runtime.RegionNames()
	for _, id := range cls.NodeIDs {
		f.Nodes = append(f.Nodes, f.node(id, cls))
	}
	return f
}

// HasRuntime reports whether the snapshot has a runtime section at all.
func (f *Facts) HasRuntime() bool { return f.Snap.Runtime != nil }

// Missing returns why the given sections cannot be relied on ("" when every
// one was read in every region read): the snapshot has no runtime section,
// no region was read, or a section was not read in some region (the
// collector could not read it completely: see the coverage gaps).
func (f *Facts) Missing(sections ...Section) string {
	rt := f.Snap.Runtime
	if rt == nil {
		return "the snapshot has no runtime section (network, logs, compute): it holds IAM only; collect it live or add the section (see the README)"
	}
	var out []string
	for _, s := range sections {
		if s == S3 {
			if rt.S3 == nil {
				out = append(out, "the account's S3 bucket list was not read")
			}
			continue
		}
		if len(rt.Regions) == 0 {
			return "the runtime section covers no region"
		}
		var not []string
		for _, r := range f.idx.regions {
			if !r.has(s) {
				not = append(not, r.Region)
			}
		}
		if len(not) > 0 {
			out = append(out, fmt.Sprintf("%s was not read in %s", s, strings.Join(not, ", ")))
		}
	}
	return strings.Join(out, "; ")
}

func (r *regionView) has(s Section) bool { return r.sections[s] }

// RegionsText names the regions read, for messages.
func (f *Facts) RegionsText() string {
	if len(f.Regions) == 0 {
		return "no region"
	}
	return strings.Join(f.Regions, ", ")
}

// ---- the index ----

type regionView struct {
	Region   string
	sections map[Section]bool
}

// index finds runtime resources by ID across the regions read.
type index struct {
	regions []*regionView

	vpcs         map[string]In[inventory.VPC]
	subnets      map[string]In[inventory.Subnet]
	subnetsByVPC map[string][]string
	routeTables  map[string]In[inventory.RouteTable]
	rtOfSubnet   map[string]string // explicit association
	mainRT       map[string]string // VPC → main route table
	igws         map[string]In[inventory.InternetGateway]
	eigws        map[string]In[inventory.InternetGateway]
	nats         map[string]In[inventory.NATGateway]
	peerings     map[string]In[inventory.PeeringConnection]
	tgwAttach    map[string]In[inventory.TransitGatewayAttach]
	tgwRTs       map[string]In[inventory.TransitGatewayRouteTb]
	endpoints    map[string]In[inventory.VPCEndpoint]
	epByVPC      map[string][]string
	sgs          map[string]In[inventory.SecurityGroup]
	sgsByVPC     map[string][]string
	flowLogs     map[string][]In[inventory.FlowLog] // by resource ID
	naclOfSubnet map[string]string
	nacls        map[string]In[inventory.NetworkACL]

	functions     []In[inventory.Function]
	stateMachines []In[inventory.StateMachine]
	fileSystems   map[string]In[inventory.FileSystem]
	fsOrder       []string
	mountTargets  []In[inventory.MountTarget]
	accessPoints  map[string]In[inventory.EFSAccessPoint] // by ARN and by ID
	clusters      map[string]In[inventory.ECSCluster]
	services      []In[inventory.ECSService]
	taskDefs      map[string]In[inventory.ECSTaskDefinition]
	logGroups     map[string][]In[inventory.LogGroup] // by name (one per region)
	metricFilters []In[inventory.MetricFilter]
	alarms        []In[inventory.Alarm]
	lbs           map[string]In[inventory.LoadBalancer]
	tgs           map[string]In[inventory.TargetGroup]
	buckets       map[string]bool
}

func buildIndex(rt *inventory.Runtime) *index {
	x := &index{
		vpcs: map[string]In[inventory.VPC]{}, subnets: map[string]In[inventory.Subnet]{}, subnetsByVPC: map[string][]string{},
		routeTables: map[string]In[inventory.RouteTable]{}, rtOfSubnet: map[string]string{}, mainRT: map[string]string{},
		igws: map[string]In[inventory.InternetGateway]{}, eigws: map[string]In[inventory.InternetGateway]{},
		nats: map[string]In[inventory.NATGateway]{}, peerings: map[string]In[inventory.PeeringConnection]{},
		tgwAttach: map[string]In[inventory.TransitGatewayAttach]{}, tgwRTs: map[string]In[inventory.TransitGatewayRouteTb]{},
		endpoints: map[string]In[inventory.VPCEndpoint]{}, epByVPC: map[string][]string{},
		sgs: map[string]In[inventory.SecurityGroup]{}, sgsByVPC: map[string][]string{},
		flowLogs: map[string][]In[inventory.FlowLog]{}, naclOfSubnet: map[string]string{}, nacls: map[string]In[inventory.NetworkACL]{},
		fileSystems: map[string]In[inventory.FileSystem]{}, accessPoints: map[string]In[inventory.EFSAccessPoint]{},
		clusters: map[string]In[inventory.ECSCluster]{}, taskDefs: map[string]In[inventory.ECSTaskDefinition]{},
		logGroups: map[string][]In[inventory.LogGroup]{}, lbs: map[string]In[inventory.LoadBalancer]{}, tgs: map[string]In[inventory.TargetGroup]{},
		buckets: map[string]bool{},
	}
	if rt == nil {
		return x
	}
	if rt.S3 != nil {
		for _, b := range rt.S3.Buckets {
			x.buckets[b] = true
		}
	}
	for ri := range rt.Regions {
		r := &rt.Regions[ri]
		rv := &regionView{Region: r.Region, sections: map[Section]bool{
			EC2: r.EC2 != nil, Logs: r.Logs != nil, CloudWatch: r.CloudWatch != nil, StepFunctions: r.StepFunctions != nil,
			EFS: r.EFS != nil, Lambda: r.Lambda != nil, ECS: r.ECS != nil, ELB: r.ELB != nil,
		}}
		x.regions = append(x.regions, rv)
		reg := r.Region
		if e := r.EC2; e != nil {
			for i := range e.VPCs {
				x.vpcs[e.VPCs[i].ID] = In[inventory.VPC]{reg, &e.VPCs[i]}
			}
			for i := range e.Subnets {
				s := &e.Subnets[i]
				x.subnets[s.ID] = In[inventory.Subnet]{reg, s}
				x.subnetsByVPC[s.VPCID] = append(x.subnetsByVPC[s.VPCID], s.ID)
			}
			for i := range e.RouteTables {
				t := &e.RouteTables[i]
				x.routeTables[t.ID] = In[inventory.RouteTable]{reg, t}
				for _, s := range t.Subnets {
					x.rtOfSubnet[s] = t.ID
				}
				if t.Main {
					x.mainRT[t.VPCID] = t.ID
				}
			}
			for i := range e.InternetGateways {
				x.igws[e.InternetGateways[i].ID] = In[inventory.InternetGateway]{reg, &e.InternetGateways[i]}
			}
			for i := range e.EgressOnlyInternetGateways {
				x.eigws[e.EgressOnlyInternetGateways[i].ID] = In[inventory.InternetGateway]{reg, &e.EgressOnlyInternetGateways[i]}
			}
			for i := range e.NATGateways {
				x.nats[e.NATGateways[i].ID] = In[inventory.NATGateway]{reg, &e.NATGateways[i]}
			}
			for i := range e.PeeringConnections {
				x.peerings[e.PeeringConnections[i].ID] = In[inventory.PeeringConnection]{reg, &e.PeeringConnections[i]}
			}
			for i := range e.TransitGatewayAttachments {
				x.tgwAttach[e.TransitGatewayAttachments[i].ID] = In[inventory.TransitGatewayAttach]{reg, &e.TransitGatewayAttachments[i]}
			}
			for i := range e.TransitGatewayRouteTables {
				x.tgwRTs[e.TransitGatewayRouteTables[i].ID] = In[inventory.TransitGatewayRouteTb]{reg, &e.TransitGatewayRouteTables[i]}
			}
			for i := range e.VPCEndpoints {
				p := &e.VPCEndpoints[i]
				x.endpoints[p.ID] = In[inventory.VPCEndpoint]{reg, p}
				x.epByVPC[p.VPCID] = append(x.epByVPC[p.VPCID], p.ID)
			}
			for i := range e.SecurityGroups {
				g := &e.SecurityGroups[i]
				x.sgs[g.ID] = In[inventory.SecurityGroup]{reg, g}
				x.sgsByVPC[g.VPCID] = append(x.sgsByVPC[g.VPCID], g.ID)
			}
			for i := range e.FlowLogs {
				l := &e.FlowLogs[i]
				x.flowLogs[l.ResourceID] = append(x.flowLogs[l.ResourceID], In[inventory.FlowLog]{reg, l})
			}
			for i := range e.NetworkACLs {
				a := &e.NetworkACLs[i]
				x.nacls[a.ID] = In[inventory.NetworkACL]{reg, a}
				for _, s := range a.Subnets {
					x.naclOfSubnet[s] = a.ID
				}
			}
		}
		if l := r.Lambda; l != nil {
			for i := range l.Functions {
				x.functions = append(x.functions, In[inventory.Function]{reg, &l.Functions[i]})
			}
		}
		if s := r.StepFunctions; s != nil {
			for i := range s.StateMachines {
				x.stateMachines = append(x.stateMachines, In[inventory.StateMachine]{reg, &s.StateMachines[i]})
			}
		}
		if e := r.EFS; e != nil {
			for i := range e.FileSystems {
				x.fileSystems[e.FileSystems[i].ID] = In[inventory.FileSystem]{reg, &e.FileSystems[i]}
				x.fsOrder = append(x.fsOrder, e.FileSystems[i].ID)
			}
			for i := range e.MountTargets {
				x.mountTargets = append(x.mountTargets, In[inventory.MountTarget]{reg, &e.MountTargets[i]})
			}
			for i := range e.AccessPoints {
				ap := In[inventory.EFSAccessPoint]{reg, &e.AccessPoints[i]}
				x.accessPoints[ap.V.ID] = ap
				if ap.V.ARN != "" {
					x.accessPoints[ap.V.ARN] = ap
				}
			}
		}
		if e := r.ECS; e != nil {
			for i := range e.Clusters {
				x.clusters[e.Clusters[i].ARN] = In[inventory.ECSCluster]{reg, &e.Clusters[i]}
			}
			for i := range e.Services {
				x.services = append(x.services, In[inventory.ECSService]{reg, &e.Services[i]})
			}
			for i := range e.TaskDefinitions {
				x.taskDefs[e.TaskDefinitions[i].ARN] = In[inventory.ECSTaskDefinition]{reg, &e.TaskDefinitions[i]}
			}
		}
		if l := r.Logs; l != nil {
			for i := range l.LogGroups {
				g := &l.LogGroups[i]
				x.logGroups[g.Name] = append(x.logGroups[g.Name], In[inventory.LogGroup]{reg, g})
			}
			for i := range l.MetricFilters {
				x.metricFilters = append(x.metricFilters, In[inventory.MetricFilter]{reg, &l.MetricFilters[i]})
			}
		}
		if c := r.CloudWatch; c != nil {
			for i := range c.Alarms {
				x.alarms = append(x.alarms, In[inventory.Alarm]{reg, &c.Alarms[i]})
			}
		}
		if b := r.ELB; b != nil {
			for i := range b.LoadBalancers {
				x.lbs[b.LoadBalancers[i].ARN] = In[inventory.LoadBalancer]{reg, &b.LoadBalancers[i]}
			}
			for i := range b.TargetGroups {
				x.tgs[b.TargetGroups[i].ARN] = In[inventory.TargetGroup]{reg, &b.TargetGroups[i]}
			}
		}
	}
	return x
}

// regionHas reports whether section s was read in region r.
func (x *index) regionHas(r string, s Section) bool {
	for _, v := range x.regions {
		if v.Region == r {
			return v.has(s)
		}
	}
	return false
}

// VPC returns a VPC by ID.
func (f *Facts) VPC(id string) (In[inventory.VPC], bool) { v, ok := f.idx.vpcs[id]; return v, ok }

// Subnet returns a subnet by ID.
func (f *Facts) Subnet(id string) (In[inventory.Subnet], bool) {
	v, ok := f.idx.subnets[id]
	return v, ok
}

// SubnetsOf lists the subnets of a VPC, sorted.
func (f *Facts) SubnetsOf(vpc string) []string { return sortedCopy(f.idx.subnetsByVPC[vpc]) }

// SecurityGroup returns a security group by ID.
func (f *Facts) SecurityGroup(id string) (In[inventory.SecurityGroup], bool) {
	v, ok := f.idx.sgs[id]
	return v, ok
}

// SecurityGroupsOf lists the security groups of a VPC, sorted.
func (f *Facts) SecurityGroupsOf(vpc string) []string { return sortedCopy(f.idx.sgsByVPC[vpc]) }

// EndpointsOf lists the VPC endpoints of a VPC, sorted by ID.
func (f *Facts) EndpointsOf(vpc string) []In[inventory.VPCEndpoint] {
	var out []In[inventory.VPCEndpoint]
	for _, id := range sortedCopy(f.idx.epByVPC[vpc]) {
		out = append(out, f.idx.endpoints[id])
	}
	return out
}

// FlowLogsOf lists the flow logs of a VPC, subnet or interface.
func (f *Facts) FlowLogsOf(resource string) []In[inventory.FlowLog] { return f.idx.flowLogs[resource] }

// FileSystem returns an EFS file system by ID.
func (f *Facts) FileSystem(id string) (In[inventory.FileSystem], bool) {
	v, ok := f.idx.fileSystems[id]
	return v, ok
}

// MountTargetsOf lists an EFS file system's mount targets.
func (f *Facts) MountTargetsOf(fs string) []In[inventory.MountTarget] {
	var out []In[inventory.MountTarget]
	for _, m := range f.idx.mountTargets {
		if m.V.FileSystemID == fs {
			out = append(out, m)
		}
	}
	return out
}

// OwnsBucket reports whether the account's bucket list (when read) holds
// the bucket, and whether the list was read.
func (f *Facts) OwnsBucket(name string) (owned, known bool) {
	if f.Snap.Runtime == nil || f.Snap.Runtime.S3 == nil {
		return false, false
	}
	return f.idx.buckets[name], true
}

// RouteTableOf returns the route table a subnet uses: its explicit
// association, else its VPC's main route table.
func (f *Facts) RouteTableOf(subnet string) (In[inventory.RouteTable], bool) {
	id, ok := f.idx.rtOfSubnet[subnet]
	if !ok {
		s, found := f.idx.subnets[subnet]
		if !found {
			return In[inventory.RouteTable]{}, false
		}
		id, ok = f.idx.mainRT[s.V.VPCID]
		if !ok {
			return In[inventory.RouteTable]{}, false
		}
	}
	t, ok := f.idx.routeTables[id]
	return t, ok
}

// LogGroups returns the log groups of a name (one per region read).
func (f *Facts) LogGroups(name string) []In[inventory.LogGroup] { return f.idx.logGroups[name] }

// MetricFilters lists the metric filters of every region.
func (f *Facts) MetricFilters() []In[inventory.MetricFilter] { return f.idx.metricFilters }

// Alarms lists the metric alarms of every region.
func (f *Facts) Alarms() []In[inventory.Alarm] { return f.idx.alarms }

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func uniqSorted(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if v == "" || (i > 0 && v == s[i-1]) {
			continue
		}
		out = append(out, v)
	}
	return out
}
