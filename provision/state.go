package provision

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/inventory/live"
)

// State is the account as the plan sees it: a snapshot (read-only
// collection or a file) and the tags of the managed policies that matter,
// which a snapshot does not carry.
type State struct {
	Snapshot *inventory.Snapshot
	// PolicyTags maps a customer managed policy's ARN to its tags, as
	// ReadPolicyTags read them. A nil map means they are unknown (a snapshot
	// file): whether pvaudit manages an existing policy cannot be told.
	PolicyTags map[string]map[string]string
}

// PolicyTagReader is the one read ReadPolicyTags needs (read-only).
type PolicyTagReader interface {
	ListPolicyTags(ctx context.Context, in *iam.ListPolicyTagsInput, optFns ...func(*iam.Options)) (*iam.ListPolicyTagsOutput, error)
}

// ReadPolicyTags reads the tags of the snapshot's customer managed
// policies whose name matches the contract's boundary pattern. A policy
// whose tags cannot be read is left out of the map (its ownership is then
// unknown) and reported as a gap.
func ReadPolicyTags(ctx context.Context, r PolicyTagReader, snap *inventory.Snapshot, c *contract.Contract) (map[string]map[string]string, []inventory.Gap, error) {
	out := map[string]map[string]string{}
	var gaps []inventory.Gap
	for i := range snap.Policies {
		p := &snap.Policies[i]
		if p.AWSManaged() {
			continue
		}
		if _, ok := c.BoundaryNodeID(p.Name); !ok {
			continue
		}
		tags := map[string]string{}
		in := &iam.ListPolicyTagsInput{PolicyArn: aws.String(p.ARN)}
		failed := false
		for {
			page, err := r.ListPolicyTags(ctx, in)
			if err != nil {
				if ctx.Err() != nil {
					return nil, nil, ctx.Err()
				}
				gaps = append(gaps, live.GapOf("iam:ListPolicyTags", p.ARN, err))
				failed = true
				break
			}
			for _, t := range page.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if !page.IsTruncated {
				break
			}
			if aws.ToString(page.Marker) == "" || aws.ToString(page.Marker) == aws.ToString(in.Marker) {
				gaps = append(gaps, inventory.Gap{Operation: "iam:ListPolicyTags", Resource: p.ARN, Code: "BrokenPagination",
					Message: "a page says more tags follow but gives no new Marker: the tags are incomplete"})
				failed = true
				break
			}
			in.Marker = page.Marker
		}
		if !failed {
			out[p.ARN] = tags
		}
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i].Resource < gaps[j].Resource })
	return out, gaps, nil
}

// owner is whether pvaudit manages an existing resource.
type owner int

const (
	notOurs owner = iota
	ours
	unknownOwner
)

func tagOwner(tags map[string]string) owner {
	if tags[TagManagedBy] == ManagedByValue {
		return ours
	}
	return notOurs
}

func (st *State) roleOwner(r *inventory.Role) owner { return tagOwner(r.Tags) }

func (st *State) policyOwner(p *inventory.ManagedPolicy) owner {
	if st.PolicyTags == nil {
		return unknownOwner
	}
	tags, ok := st.PolicyTags[p.ARN]
	if !ok {
		return unknownOwner
	}
	return tagOwner(tags)
}

func (st *State) policyTags(p *inventory.ManagedPolicy) map[string]string {
	if st.PolicyTags == nil {
		return nil
	}
	return st.PolicyTags[p.ARN]
}

// customerPolicy returns the customer managed policy of that name, or nil.
func (st *State) customerPolicy(name string) *inventory.ManagedPolicy {
	for i := range st.Snapshot.Policies {
		p := &st.Snapshot.Policies[i]
		if !p.AWSManaged() && p.Name == name {
			return p
		}
	}
	return nil
}

// family are the components of one contract kind: a plan never touches
// another kind's resources.
func family(c *contract.Contract) map[string]bool {
	if c.PAR != nil {
		return map[string]bool{CompPARTask: true, CompPARExecution: true}
	}
	return map[string]bool{CompCrossAccount: true, CompBoundary: true, CompProcessorECS: true, CompProcessorLambda: true}
}

// recognised reports whether a resource tagged as pvaudit's has a name
// pvaudit gives its component: a tag alone never makes pvaudit change or
// delete a resource.
func recognised(c *contract.Contract, tags map[string]string, name string) bool {
	node := tags[TagNode]
	switch tags[TagComponent] {
	case CompCrossAccount:
		return c.IsCrossAccountRole(name)
	case CompBoundary:
		return node != "" && c.Boundary.NamePattern != "" && name == boundaryName(c, node)
	case CompProcessorECS:
		return node != "" && name == processorRoleName(node, "ecs")
	case CompProcessorLambda:
		return node != "" && name == processorRoleName(node, "lambda")
	case CompPARTask:
		return name == parTaskRole
	case CompPARExecution:
		return name == parExecutionRole
	}
	return false
}

// ManagedCrossAccountRoleID returns the {id} of the pvaudit-managed
// cross-account role of env, if the account has one, so that a plan keeps
// the role it created instead of proposing a new random name.
func ManagedCrossAccountRoleID(st *State, c *contract.Contract, env string) (string, error) {
	var ids []string
	prefix := "Pennsieve-Compute-" + env + "-"
	if c.CrossAccountRole.NameTemplate != "" {
		if v, err := contract.Expand(c.CrossAccountRole.NameTemplate, map[string]string{"env": env}); err == nil {
			if i := len(v) - 1; i >= 0 && v[i] == '*' {
				prefix = v[:i]
			}
		}
	}
	for _, r := range st.Snapshot.Roles {
		if st.roleOwner(&r) != ours || r.Tags[TagComponent] != CompCrossAccount || !c.IsCrossAccountRole(r.Name) {
			continue
		}
		if len(r.Name) > len(prefix) && r.Name[:len(prefix)] == prefix {
			ids = append(ids, r.Name[len(prefix):])
		}
	}
	switch len(ids) {
	case 0:
		return "", nil
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("the account has %d pvaudit-managed cross-account roles for environment %s (%v): name the one to keep with --role-id", len(ids), env, ids)
}
