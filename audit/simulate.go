package audit

import (
	"fmt"
	"path/filepath"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/reports"
)

// PolicyFile is a policy document read from a file.
type PolicyFile struct {
	Path string
	Doc  *policy.Document
}

func (p PolicyFile) named() policy.NamedPolicy {
	return policy.NamedPolicy{Name: filepath.Base(p.Path), Doc: p.Doc}
}

// SimulateInput is what `pvaudit simulate` decides.
type SimulateInput struct {
	// Snapshot and Role take a role's inline and attached policies and its
	// boundary from a snapshot (both or neither).
	Snapshot *inventory.Snapshot
	Role     string
	// Policies, Boundary and SCPs are policy files (all SCPs form one level).
	Policies []PolicyFile
	Boundary *PolicyFile
	SCPs     []PolicyFile
	// Principal is the caller (default with Role: the role's ARN).
	Principal string
	// Each action is tried on each resource, with Context.
	Actions, Resources []string
	Context            map[string][]string
}

// Simulate decides requests with pvaudit's evaluator.
func Simulate(r *Run, in SimulateInput) (*reports.SimulateReport, error) {
	var set policy.PolicySet
	principal := in.Principal
	if in.Snapshot != nil {
		x := in.Snapshot.Role(in.Role)
		if x == nil {
			return nil, fmt.Errorf("--role %q: no such role in the snapshot", in.Role)
		}
		var missing string
		var err error
		set, missing, err = in.Snapshot.RolePolicySet(x)
		if err != nil {
			return nil, fmt.Errorf("%w (its permissions cannot be decided)", err)
		}
		if missing != "" {
			return nil, fmt.Errorf("role %s: permissions boundary %s is not in the snapshot (its permissions cannot be decided)", in.Role, missing)
		}
		if principal == "" {
			principal = x.ARN
		}
	}
	for _, p := range in.Policies {
		set.Identity = append(set.Identity, p.named())
	}
	if in.Boundary != nil {
		b := in.Boundary.named()
		set.Boundary = &b
	}
	if len(in.SCPs) > 0 {
		var level []policy.NamedPolicy
		for _, p := range in.SCPs {
			level = append(level, p.named())
		}
		set.SCPLevels = [][]policy.NamedPolicy{level}
	}
	comp, err := policy.Compile(set)
	if err != nil {
		return nil, err
	}
	resources := in.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	rep := &reports.SimulateReport{Header: r.header(reports.KindSimulate, nil), Principal: principal, Context: in.Context}
	for _, action := range in.Actions {
		for _, resource := range resources {
			d := reports.NewDecision(comp.Evaluate(&policy.Request{Principal: principal, Action: action, Resource: resource, Context: in.Context}))
			d.Action, d.Resource = action, resource
			rep.Results = append(rep.Results, d)
		}
	}
	return rep, nil
}
