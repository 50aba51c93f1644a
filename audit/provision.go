package audit

import (
	"context"
	"fmt"
	"io"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/provision"
	"github.com/pvaudit/pvaudit/reports"
)

// ProvisionInput is what the provisioning pipelines read: the account, the
// tags of its managed policies (nil when unknown, from a file) and the
// parameters beyond the contract's.
type ProvisionInput struct {
	Source     Source
	PolicyTags map[string]map[string]string
	// TagGaps are policy tags that could not be read.
	TagGaps []inventory.Gap
	// Params carries what the contract parameters do not: region, role ID,
	// file systems, LLM governor on/off, EFS access point. Empty fields
	// are filled from the contract's parameters.
	Params provision.Params
	// Rand draws a new role ID (crypto/rand when nil).
	Rand io.Reader
}

func (in ProvisionInput) state() *provision.State {
	return &provision.State{Snapshot: in.Source.Snapshot, PolicyTags: in.PolicyTags}
}

// provisionParams completes the parameters from the contract and the
// account, and picks the role ID: the managed role's, else a new one.
func provisionParams(c *contract.Contract, in ProvisionInput, st *provision.State) (provision.Params, []string, error) {
	p := in.Params
	cp := c.Parameters
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	if st != nil {
		set(&p.Account, st.Snapshot.AccountID)
	}
	set(&p.ProvisionerAccount, cp.ProvisionerAccountID)
	set(&p.Env, cp.Env)
	set(&p.ExternalID, cp.ExternalID)
	set(&p.WorkflowBucket, cp.WorkflowBucket)
	set(&p.PackageBucket, cp.PackageBucket)
	set(&p.LLMGovernorARN, cp.LLMGovernorFunctionARN)
	var notes []string
	if c.PAR == nil && c.CrossAccountRole.NamePattern != "" && p.RoleID == "" {
		if st != nil {
			id, err := provision.ManagedCrossAccountRoleID(st, c, p.Env)
			if err != nil {
				return p, nil, err
			}
			p.RoleID = id
		}
		if p.RoleID == "" {
			id, err := provision.NewRoleID(in.Rand)
			if err != nil {
				return p, nil, err
			}
			p.RoleID = id
			notes = append(notes, "the cross-account role gets the new random ID "+id+" (--role-id "+id+" keeps it in later runs before it exists)")
		}
	}
	return p, notes, nil
}

// ProvisionPlan is `pvaudit provision plan`: the desired state of the
// contract and parameters against the account, as a plan report. It calls
// nothing: the account was read before.
func ProvisionPlan(r *Run, in ProvisionInput) (*reports.PlanReport, error) {
	c := r.contract()
	st := in.state()
	p, notes, err := provisionParams(c, in, st)
	if err != nil {
		return nil, err
	}
	d, err := provision.Build(c, p)
	if err != nil {
		return nil, err
	}
	plan := provision.Diff(d, st, c)
	plan.Notes = append(plan.Notes, notes...)
	return r.planReport("plan", in, plan), nil
}

// ProvisionDestroy is `pvaudit provision destroy --node ID`, planned.
func ProvisionDestroy(r *Run, in ProvisionInput, node string) (*reports.PlanReport, error) {
	plan, err := provision.DestroyNode(r.contract(), in.state(), node)
	if err != nil {
		return nil, err
	}
	rep := r.planReport("destroy", in, plan)
	rep.Node = node
	rep.Leftovers = provision.Leftovers(r.contract(), in.state(), plan, nil, node)
	return rep, nil
}

// ProvisionDeregister is `pvaudit account deregister`, planned.
func ProvisionDeregister(r *Run, in ProvisionInput, force bool) (*reports.PlanReport, error) {
	plan, err := provision.Deregister(r.contract(), in.state(), force)
	if err != nil {
		return nil, err
	}
	rep := r.planReport("deregister", in, plan)
	rep.Leftovers = provision.Leftovers(r.contract(), in.state(), plan, nil, "")
	return rep, nil
}

func (r *Run) planReport(op string, in ProvisionInput, plan *provision.Plan) *reports.PlanReport {
	gaps := append(append([]inventory.Gap(nil), in.Source.Snapshot.Gaps...), in.TagGaps...)
	rep := &reports.PlanReport{Header: r.header(reports.KindPlan, in.Source.account()), Operation: op, Plan: plan, CoverageGaps: gaps}
	rep.Outcome = planOutcome(rep, r.FailOn)
	return rep
}

// ProvisionExecute runs a planned report's calls through w (apply,
// destroy, deregister) and records what they did. A plan with blockers —
// incomplete input, conflicts, a refusal — is not run: the report says why.
func ProvisionExecute(ctx context.Context, r *Run, in ProvisionInput, rep *reports.PlanReport, w provision.Writer, o provision.ApplyOptions) *reports.PlanReport {
	if rep.Operation == "plan" {
		rep.Operation = "apply"
	}
	if len(rep.Plan.Blockers()) == 0 && len(rep.Plan.Steps) > 0 {
		if o.Log == nil {
			o.Log = r.log()
		}
		rep.Applied = provision.Apply(ctx, w, rep.Plan, o)
		if rep.Operation == "destroy" || rep.Operation == "deregister" {
			rep.Leftovers = provision.Leftovers(r.contract(), in.state(), rep.Plan, rep.Applied, rep.Node)
		}
	}
	rep.Outcome = planOutcome(rep, r.FailOn)
	return rep
}

// planOutcome is the verdict of a plan report: incomplete (exit 2) when the
// input was incomplete, the operation was refused or blocked, or a call
// failed; failed (exit 1) when changes are pending (a plan) or resources
// had to be left in place (conflicts, blocked deletions); clean otherwise.
func planOutcome(rep *reports.PlanReport, failOn finding.Severity) reports.Outcome {
	p := rep.Plan
	v := finding.Verdict{FailOn: failOn, CoverageGaps: len(rep.CoverageGaps), Accepted: []finding.AcceptedGap{}}
	for _, g := range rep.CoverageGaps {
		v.Reasons = append(v.Reasons, fmt.Sprintf("coverage gap: %s %s: %s", g.Operation, g.Resource, g.Message))
	}
	v.Reasons = append(v.Reasons, p.Incomplete...)
	if p.Refused != "" {
		v.Reasons = append(v.Reasons, "refused: "+p.Refused)
	}
	executed := rep.Operation != "plan" && !rep.DryRun
	c := p.Counts()
	if executed {
		switch {
		case rep.Applied != nil && !rep.Applied.Complete:
			v.Reasons = append(v.Reasons, fmt.Sprintf("stopped: %d call(s) done, %d failed, %d not run; run it again to continue", rep.Applied.Done, rep.Applied.Failed, rep.Applied.NotRun))
		case rep.Applied == nil && len(p.Steps) > 0 && p.Refused == "":
			for _, b := range p.Blockers() {
				v.Reasons = append(v.Reasons, "not applied: "+b)
			}
		}
		v.Failing = c.Conflict + c.Blocked
	} else {
		v.Failing = len(p.Steps) + c.Conflict + c.Blocked
	}
	switch {
	case len(v.Reasons) > 0:
		v.Outcome = finding.Incomplete
	case v.Failing > 0:
		v.Outcome = finding.Failed
	default:
		v.Outcome = finding.Clean
	}
	return reports.Outcome{Complete: v.Outcome != finding.Incomplete, FailOn: failOn.String(), Verdict: v}
}

// ProvisionRender builds the desired state for a template (Terraform JSON
// or CloudFormation): no account is read; the account ID is a parameter.
func ProvisionRender(r *Run, in ProvisionInput, format, cfnFormat string) ([]byte, error) {
	c := r.contract()
	p, notes, err := provisionParams(c, in, nil)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		r.log().Warn(n)
	}
	switch format {
	case "terraform":
		p.Manager = provision.ManagerTerraform
	case "cloudformation":
		p.Manager = provision.ManagerCloudFormation
	default:
		return nil, fmt.Errorf("render format %q: want terraform or cloudformation", format)
	}
	d, err := provision.Build(c, p)
	if err != nil {
		return nil, err
	}
	if format == "terraform" {
		return provision.RenderTerraform(d)
	}
	return provision.RenderCloudFormation(d, cfnFormat)
}
