package posture

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// endpointServices maps an IAM service prefix to the VPC endpoint services
// (com.amazonaws.REGION.NAME) its API calls need from inside a VPC without
// internet access. A prefix not listed uses its own name. Facts from the AWS
// PrivateLink documentation: ECR needs its API and Docker registry
// endpoints and S3 for the image layers; CloudWatch's endpoint is
// "monitoring"; IAM has no VPC endpoint.
var endpointServices = map[string][]string{
	"ecr":        {"ecr.api", "ecr.dkr", "s3"},
	"cloudwatch": {"monitoring"},
	"iam":        nil,
}

// knownManagedServices are the services of AWS managed policies compute
// roles commonly carry, for snapshots that name them without their
// documents (AWS's managed policy reference: the ECS task execution policy
// grants ECR image pulls and CloudWatch Logs writes; the Lambda basic and
// VPC execution policies grant Logs writes, their EC2 network-interface
// calls are made by the Lambda service, not from the VPC).
var knownManagedServices = map[string][]string{
	"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy": {"ecr", "logs"},
	"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole":      {"logs"},
	"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole":  {"logs"},
}

// noEndpointAction reports whether an action is served without an AWS API
// endpoint: EFS mounts (ClientMount, ClientWrite, ClientRootAccess) are
// authorized by the mount target itself, inside the VPC.
func noEndpointAction(action string) bool {
	a := strings.ToLower(action)
	return strings.HasPrefix(a, "elasticfilesystem:client")
}

// EndpointNeed is a VPC endpoint service some compute needs.
type EndpointNeed struct {
	// Service is the endpoint service's last part ("s3", "ecr.api").
	Service string
	// Why lists what needs it ("role R allows s3:GetObject").
	Why []string
}

// EndpointNeeds returns the endpoint services compute c needs to reach the
// AWS APIs its roles are allowed to call (and the ones its task definition
// implies: ECR image pulls, awslogs), and why the list may be incomplete (a
// role that allows every action or uses NotAction, a policy missing from the
// snapshot).
func (f *Facts) EndpointNeeds(c *Compute) ([]EndpointNeed, []string) {
	need := map[string]map[string]bool{}
	add := func(prefix, why string) {
		svcs, listed := endpointServices[prefix]
		if !listed {
			svcs = []string{prefix}
		}
		for _, s := range svcs {
			if need[s] == nil {
				need[s] = map[string]bool{}
			}
			need[s][why] = true
		}
	}
	var unknown []string
	for _, arn := range c.Roles {
		r := f.roleByARN(arn)
		if r == nil {
			unknown = append(unknown, "role "+arn+" is not in the snapshot")
			continue
		}
		for _, ap := range r.AttachedPolicies {
			if mp := f.Snap.Policy(ap.ARN); mp == nil || mp.DefaultDocument() == nil {
				if prefixes, known := knownManagedServices[ap.ARN]; known {
					for _, p := range prefixes {
						add(p, fmt.Sprintf("role %s has %s", r.Name, ap.Name))
					}
					continue
				}
				unknown = append(unknown, fmt.Sprintf("policy %s attached to role %s is not in the snapshot", ap.ARN, r.Name))
			}
		}
		for _, d := range roleDocuments(f.Snap, r) {
			for _, st := range d.Statements {
				if st.Effect != policy.EffectAllow {
					continue
				}
				if len(st.NotAction) > 0 {
					unknown = append(unknown, fmt.Sprintf("role %s allows NotAction %v: the services it may call cannot be listed", r.Name, []string(st.NotAction)))
					continue
				}
				for _, a := range st.Action {
					prefix, _, ok := strings.Cut(a, ":")
					if !ok || strings.ContainsAny(prefix, "*?") {
						unknown = append(unknown, fmt.Sprintf("role %s allows %q: every service", r.Name, a))
						continue
					}
					if noEndpointAction(a) {
						continue
					}
					add(strings.ToLower(prefix), fmt.Sprintf("role %s allows %s", r.Name, a))
				}
			}
		}
	}
	if c.Kind == "ECS service" {
		for _, s := range f.idx.services {
			if s.V.ARN != c.ARN {
				continue
			}
			if td, ok := f.idx.taskDefs[s.V.TaskDefinition]; ok {
				for _, ct := range td.V.Containers {
					if strings.Contains(ct.Image, ".dkr.ecr.") {
						add("ecr", "container "+ct.Name+" pulls "+ct.Image+" from ECR")
					}
					if ct.LogDriver == "awslogs" {
						add("logs", "container "+ct.Name+" logs with the awslogs driver")
					}
				}
			}
		}
	}
	var out []EndpointNeed
	for _, s := range sortedKeys(need) {
		out = append(out, EndpointNeed{Service: s, Why: sortedKeys(need[s])})
	}
	sort.Strings(unknown)
	return out, uniqSorted(unknown)
}

// EndpointsFor returns the available endpoints of service svc in a VPC.
func (f *Facts) EndpointsFor(vpc, region, svc string) []In[inventory.VPCEndpoint] {
	want := "com.amazonaws." + region + "." + svc
	var out []In[inventory.VPCEndpoint]
	for _, ep := range f.EndpointsOf(vpc) {
		if strings.EqualFold(ep.V.ServiceName, want) && strings.EqualFold(ep.V.State, "available") {
			out = append(out, ep)
		}
	}
	return out
}

// EndpointService returns the IAM service prefix an endpoint service name
// serves ("com.amazonaws.us-east-1.ecr.dkr" → "ecr",
// "com.amazonaws.us-east-1.monitoring" → "cloudwatch").
func EndpointService(name string) string {
	parts := strings.Split(name, ".")
	if len(parts) < 4 || parts[0] != "com" || parts[1] != "amazonaws" {
		return ""
	}
	switch rest := strings.ToLower(strings.Join(parts[3:], ".")); rest {
	case "ecr.api", "ecr.dkr":
		return "ecr"
	case "monitoring":
		return "cloudwatch"
	}
	return strings.ToLower(parts[3])
}

func (f *Facts) roleByARN(arn string) *inventory.Role {
	for i := range f.Snap.Roles {
		if f.Snap.Roles[i].ARN == arn {
			return &f.Snap.Roles[i]
		}
	}
	return nil
}

// roleDocuments returns a role's identity policy documents the snapshot
// holds: inline, and the default versions of attached managed policies
// (AWS managed ones too, when the snapshot has them).
func roleDocuments(snap *inventory.Snapshot, r *inventory.Role) []*policy.Document {
	var out []*policy.Document
	for _, ip := range r.InlinePolicies {
		if ip.Document != nil {
			out = append(out, ip.Document)
		}
	}
	for _, ap := range r.AttachedPolicies {
		if mp := snap.Policy(ap.ARN); mp != nil {
			if d := mp.DefaultDocument(); d != nil {
				out = append(out, d)
			}
		}
	}
	return out
}
