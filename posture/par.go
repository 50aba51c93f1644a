package posture

import (
	"fmt"
	"strconv"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/inventory"
)

// PAR is the runtime around the PAR roles: the task definitions that run as
// them and the ECS services that run those task definitions.
type PAR struct {
	// TaskRoles and ExecutionRoles are the PAR roles' ARNs.
	TaskRoles, ExecutionRoles []string
	TaskDefs                  []In[inventory.ECSTaskDefinition]
	Services                  []In[inventory.ECSService]
}

// PAR gathers the PAR runtime: task definitions whose task or execution
// role is a PAR role, and the services that run them.
func (f *Facts) PAR(cls *classify.Result) *PAR {
	p := &PAR{}
	for _, rc := range cls.Of(classify.PARTask) {
		p.TaskRoles = append(p.TaskRoles, rc.Role.ARN)
	}
	for _, rc := range cls.Of(classify.PARExecution) {
		p.ExecutionRoles = append(p.ExecutionRoles, rc.Role.ARN)
	}
	is := func(arn string, in []string) bool {
		for _, a := range in {
			if a == arn {
				return true
			}
		}
		return false
	}
	tds := map[string]bool{}
	for _, arn := range sortedKeys(f.idx.taskDefs) {
		td := f.idx.taskDefs[arn]
		if is(td.V.TaskRoleARN, p.TaskRoles) || is(td.V.ExecutionRole, p.ExecutionRoles) {
			p.TaskDefs = append(p.TaskDefs, td)
			tds[arn] = true
		}
	}
	for _, s := range f.idx.services {
		if tds[s.V.TaskDefinition] {
			p.Services = append(p.Services, s)
		}
	}
	return p
}

// TaskDef returns a task definition by ARN.
func (f *Facts) TaskDef(arn string) (In[inventory.ECSTaskDefinition], bool) {
	td, ok := f.idx.taskDefs[arn]
	return td, ok
}

// Cluster returns an ECS cluster by ARN.
func (f *Facts) Cluster(arn string) (In[inventory.ECSCluster], bool) {
	c, ok := f.idx.clusters[arn]
	return c, ok
}

// TargetGroup returns a target group by ARN.
func (f *Facts) TargetGroup(arn string) (In[inventory.TargetGroup], bool) {
	t, ok := f.idx.tgs[arn]
	return t, ok
}

// LoadBalancer returns a load balancer by ARN.
func (f *Facts) LoadBalancer(arn string) (In[inventory.LoadBalancer], bool) {
	l, ok := f.idx.lbs[arn]
	return l, ok
}

// ---- security groups ----

// PublicIngress splits a group's inbound rules into those that admit
// public addresses (0.0.0.0/0, ::/0, or any range holding a public
// address) and those whose peer the snapshot cannot resolve (prefix lists,
// whose entries it does not hold).
func PublicIngress(g *inventory.SecurityGroup) (public, unknown []inventory.SGRule) {
	for _, r := range g.Ingress {
		switch {
		case r.CIDR != "" && CoversPublic(r.CIDR):
			public = append(public, r)
		case r.PrefixList != "":
			unknown = append(unknown, r)
		}
	}
	return public, unknown
}

// RuleText renders a rule: "tcp 443 from 0.0.0.0/0", "all traffic to sg-1".
func RuleText(r inventory.SGRule, egress bool) string {
	var what string
	switch {
	case r.Protocol == "-1" || r.Protocol == "all":
		what = "all traffic"
	case r.FromPort == r.ToPort:
		what = r.Protocol + " " + strconv.Itoa(r.FromPort)
	case r.FromPort <= 0 && (r.ToPort == 65535 || r.ToPort <= 0):
		what = r.Protocol + " all ports"
	default:
		what = fmt.Sprintf("%s %d-%d", r.Protocol, r.FromPort, r.ToPort)
	}
	dir := "from"
	if egress {
		dir = "to"
	}
	peer := r.CIDR + r.PrefixList + r.Group
	return what + " " + dir + " " + peer
}
