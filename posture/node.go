package posture

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/inventory"
)

// Node is one compute node's runtime resources.
type Node struct {
	ID string
	// Roles are the node's child roles (from the classification).
	Roles    []classify.Role
	roleARNs map[string]bool

	Functions     []In[inventory.Function]
	Services      []In[inventory.ECSService]
	TaskDefs      []In[inventory.ECSTaskDefinition]
	StateMachines []In[inventory.StateMachine]
	FileSystems   []In[inventory.FileSystem]
	LogGroups     []In[inventory.LogGroup]
	// VPCs are the node's VPCs: tagged with the node, or where its
	// functions, tasks and mount targets are.
	VPCs []string
	// Compute is every function and ECS service of the node, with where it
	// runs.
	Compute []Compute
	// Why says, per resource ID or ARN, why it was taken as the node's.
	Why map[string]string
	// Mode is the node's deployment mode and how it was decided.
	Mode ModeInfo
}

// Compute is one place the node's code runs: a Lambda function or an ECS
// service.
type Compute struct {
	Kind   string // "lambda function" or "ECS service"
	Name   string
	ARN    string
	Region string
	// Roles are the roles it runs as (function role; task and execution
	// roles).
	Roles          []string
	VPC            string
	Subnets        []string
	SecurityGroups []string
	// OutsideVPC: a Lambda function without a VPC configuration runs in
	// Lambda's own network, which reaches the internet.
	OutsideVPC bool
	// PublicIP: an ECS service that gives its tasks public IP addresses.
	PublicIP bool
	// Unknown says why where it runs cannot be told (an ECS task network
	// mode other than awsvpc, a task definition missing from the snapshot).
	Unknown string
}

// RunsAs reports whether the compute runs as the role ARN.
func (c *Compute) RunsAs(arn string) bool {
	for _, r := range c.Roles {
		if r == arn {
			return true
		}
	}
	return false
}

// node gathers node id's resources.
func (f *Facts) node(id string, cls *classify.Result) *Node {
	n := &Node{ID: id, roleARNs: map[string]bool{}, Why: map[string]string{}}
	for _, rc := range cls.Children() {
		if rc.NodeID == id {
			n.Roles = append(n.Roles, rc)
			n.roleARNs[rc.Role.ARN] = true
		}
	}
	x := f.idx
	dep := f.Contract.Deployment
	byName := func(name string) bool { return dep.NodeNameMatches(name, id) }
	byTag := func(tags map[string]string) (string, bool) {
		if dep == nil {
			return "", false
		}
		for _, k := range dep.NodeTagKeys {
			if tags[k] == id {
				return "tag " + k + "=" + id, true
			}
		}
		return "", false
	}
	why := func(key, reason string) { n.Why[key] = reason }
	belongs := func(key, name string, tags map[string]string, roles ...string) bool {
		for _, r := range roles {
			if n.roleARNs[r] {
				why(key, "runs as the node's role "+r)
				return true
			}
		}
		if t, ok := byTag(tags); ok {
			why(key, t)
			return true
		}
		if byName(name) {
			why(key, "its name "+name+" is the node's")
			return true
		}
		return false
	}

	for _, fn := range x.functions {
		if belongs(fn.V.ARN, fn.V.Name, fn.V.Tags, fn.V.Role) {
			n.Functions = append(n.Functions, fn)
		}
	}
	for _, sm := range x.stateMachines {
		if belongs(sm.V.ARN, sm.V.Name, sm.V.Tags, sm.V.RoleARN) {
			n.StateMachines = append(n.StateMachines, sm)
		}
	}
	tdOf := map[string]bool{}
	for _, arn := range sortedKeys(x.taskDefs) {
		td := x.taskDefs[arn]
		if belongs(td.V.ARN, td.V.Family, nil, td.V.TaskRoleARN, td.V.ExecutionRole) {
			n.TaskDefs = append(n.TaskDefs, td)
			tdOf[td.V.ARN] = true
		}
	}
	for _, s := range x.services {
		mine := tdOf[s.V.TaskDefinition]
		if mine {
			why(s.V.ARN, "runs the node's task definition "+s.V.TaskDefinition)
		} else {
			cl := x.clusters[s.V.Cluster]
			mine = belongs(s.V.ARN, s.V.Name, s.V.Tags)
			if !mine && cl.V != nil {
				if t, ok := byTag(cl.V.Tags); ok {
					why(s.V.ARN, "in cluster "+cl.V.Name+" ("+t+")")
					mine = true
				} else if byName(cl.V.Name) {
					why(s.V.ARN, "in the node's cluster "+cl.V.Name)
					mine = true
				}
			}
		}
		if mine {
			n.Services = append(n.Services, s)
			if td, ok := x.taskDefs[s.V.TaskDefinition]; ok && !tdOf[td.V.ARN] {
				n.TaskDefs = append(n.TaskDefs, td)
				tdOf[td.V.ARN] = true
			}
		}
	}

	// File systems: tagged, named, named in the node's role policies, or
	// mounted by the node's functions and tasks.
	named := f.fileSystemsNamedBy(n.Roles)
	used := map[string]string{}
	for _, fn := range n.Functions {
		for _, ap := range fn.V.FileSystems {
			if a, ok := x.accessPoints[ap]; ok {
				used[a.V.FileSystemID] = "mounted by the node's function " + fn.V.Name
			}
		}
	}
	for _, td := range n.TaskDefs {
		for _, v := range td.V.EFSVolumes {
			used[v.FileSystemID] = "mounted by the node's task definition " + td.V.Family
		}
	}
	for _, id := range x.fsOrder {
		fs := x.fileSystems[id]
		switch {
		case belongs(id, fs.V.Name, fs.V.Tags):
		case named[id] != "":
			why(id, named[id])
		case used[id] != "":
			why(id, used[id])
		default:
			continue
		}
		n.FileSystems = append(n.FileSystems, fs)
	}

	// Log groups: named as the node's, or where its functions and
	// containers write.
	writes := map[string]string{}
	for _, fn := range n.Functions {
		g := fn.V.LogGroup
		if g == "" {
			g = "/aws/lambda/" + fn.V.Name
		}
		writes[g] = "the node's function " + fn.V.Name + " logs to it"
	}
	for _, td := range n.TaskDefs {
		for _, c := range td.V.Containers {
			if c.LogDriver == "awslogs" && c.LogOptions["awslogs-group"] != "" {
				writes[c.LogOptions["awslogs-group"]] = "the node's task definition " + td.V.Family + " logs to it"
			}
		}
	}
	for _, name := range sortedKeys(x.logGroups) {
		for _, g := range x.logGroups[name] {
			switch {
			case byName(name):
				why(name, "its name is the node's")
			case writes[name] != "":
				why(name, writes[name])
			default:
				continue
			}
			n.LogGroups = append(n.LogGroups, g)
		}
	}

	// Compute and VPCs.
	vpcs := map[string]string{}
	for _, id := range sortedKeys(x.vpcs) {
		v := x.vpcs[id]
		if t, ok := byTag(v.V.Tags); ok {
			vpcs[id] = t
		}
	}
	for _, fn := range n.Functions {
		c := Compute{Kind: "lambda function", Name: fn.V.Name, ARN: fn.V.ARN, Region: fn.Region, Roles: []string{fn.V.Role}}
		if fn.V.VPC == nil || len(fn.V.VPC.Subnets) == 0 {
			c.OutsideVPC = true
		} else {
			c.VPC, c.Subnets, c.SecurityGroups = fn.V.VPC.VPCID, fn.V.VPC.Subnets, fn.V.VPC.SecurityGroups
			if c.VPC == "" && len(c.Subnets) > 0 {
				if s, ok := x.subnets[c.Subnets[0]]; ok {
					c.VPC = s.V.VPCID
				}
			}
			if c.VPC != "" {
				if _, seen := vpcs[c.VPC]; !seen {
					vpcs[c.VPC] = "the node's function " + fn.V.Name + " runs in it"
				}
			}
		}
		n.Compute = append(n.Compute, c)
	}
	for _, s := range n.Services {
		c := Compute{Kind: "ECS service", Name: s.V.Name, ARN: s.V.ARN, Region: s.Region, Subnets: s.V.Subnets,
			SecurityGroups: s.V.SecurityGroups, PublicIP: s.V.AssignPublicIP}
		td, ok := x.taskDefs[s.V.TaskDefinition]
		switch {
		case !ok:
			c.Unknown = "its task definition " + s.V.TaskDefinition + " is not in the snapshot"
		default:
			c.Roles = nonEmpty(td.V.TaskRoleARN, td.V.ExecutionRole)
			if td.V.NetworkMode != "awsvpc" {
				c.Unknown = fmt.Sprintf("its tasks use the %q network mode: they share their container instances' network, which is not in the snapshot", td.V.NetworkMode)
			}
		}
		if c.Unknown == "" && len(c.Subnets) == 0 {
			c.Unknown = "the service has no awsvpc network configuration in the snapshot"
		}
		for _, sn := range c.Subnets {
			if sub, ok := x.subnets[sn]; ok {
				c.VPC = sub.V.VPCID
				if _, seen := vpcs[c.VPC]; !seen {
					vpcs[c.VPC] = "the node's ECS service " + s.V.Name + " runs in it"
				}
				break
			}
		}
		n.Compute = append(n.Compute, c)
	}
	for _, fs := range n.FileSystems {
		for _, mt := range f.MountTargetsOf(fs.V.ID) {
			v := mt.V.VPCID
			if v == "" {
				if s, ok := x.subnets[mt.V.SubnetID]; ok {
					v = s.V.VPCID
				}
			}
			if _, seen := vpcs[v]; v != "" && !seen {
				vpcs[v] = "a mount target of the node's file system " + fs.V.ID + " is in it"
			}
		}
	}
	for _, v := range sortedKeys(vpcs) {
		n.VPCs = append(n.VPCs, v)
		why(v, vpcs[v])
	}
	sort.Slice(n.Compute, func(i, j int) bool { return n.Compute[i].ARN < n.Compute[j].ARN })
	n.Mode = f.mode(n)
	return n
}

// HasResources reports whether anything of the node's runtime is in the
// snapshot.
func (n *Node) HasResources() bool {
	return len(n.VPCs)+len(n.Compute)+len(n.StateMachines)+len(n.FileSystems)+len(n.LogGroups) > 0
}

// Subnets lists every subnet of the node's VPCs: a dedicated VPC's subnets
// are all the node's.
func (f *Facts) Subnets(n *Node) []string {
	var out []string
	for _, v := range n.VPCs {
		out = append(out, f.idx.subnetsByVPC[v]...)
	}
	return uniqSorted(out)
}

// ComputeSubnets lists the subnets the node's code runs in.
func (n *Node) ComputeSubnets() []string {
	var out []string
	for _, c := range n.Compute {
		out = append(out, c.Subnets...)
	}
	return uniqSorted(out)
}

// SecurityGroups lists the security groups of the node's resources: those
// of its functions, tasks and mount targets, and every group of its VPCs.
func (f *Facts) SecurityGroups(n *Node) []string {
	var out []string
	for _, c := range n.Compute {
		out = append(out, c.SecurityGroups...)
	}
	for _, fs := range n.FileSystems {
		for _, mt := range f.MountTargetsOf(fs.V.ID) {
			out = append(out, mt.V.SecurityGroups...)
		}
	}
	for _, v := range n.VPCs {
		out = append(out, f.idx.sgsByVPC[v]...)
	}
	return uniqSorted(out)
}

var fsInARN = regexp.MustCompile(`:file-system/(fs-[0-9a-f]+)`)

// fileSystemsNamedBy returns the EFS file systems the roles' policies name
// (…:file-system/fs-…), with the reason.
func (f *Facts) fileSystemsNamedBy(roles []classify.Role) map[string]string {
	out := map[string]string{}
	for _, rc := range roles {
		for _, d := range roleDocuments(f.Snap, rc.Role) {
			for _, st := range d.Statements {
				for _, r := range st.Resource {
					for _, m := range fsInARN.FindAllStringSubmatch(r, -1) {
						out[m[1]] = "named in the policies of the node's role " + rc.Role.Name
					}
				}
			}
		}
	}
	return out
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lower is strings.ToLower, for tag values.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
