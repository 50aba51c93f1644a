package probes

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/posture"
)

// NetworkDecision is a scenario row decided from the network facts of the
// snapshot's runtime section (contract network: internet-egress): "Processor
// roles cannot: Reach the internet in compliant mode". The same decision
// stands for every engine: neither IAM simulation nor pvaudit's evaluator
// sees routes.
type NetworkDecision struct {
	Question string `json:"question"`
	// Outcome is "allowed" (the role's compute can reach the internet) or
	// "denied"; empty when not evaluated.
	Outcome string  `json:"outcome,omitempty"`
	Verdict Verdict `json:"verdict"`
	// Reason says why it could not be evaluated.
	Reason string `json:"reason,omitempty"`
	// Where names the subnets (or functions) decided.
	Where string `json:"where,omitempty"`
	// Paths are the ways out to the internet, route by route.
	Paths []string `json:"paths,omitempty"`
	// Note explains the decision (the node's mode and how it was told).
	Note string `json:"note,omitempty"`
}

// result is the decision as one engine's result.
func (d *NetworkDecision) result(engine string) *EngineResult {
	er := &EngineResult{Engine: engine, Outcome: d.Outcome, Verdict: d.Verdict, Reason: d.Reason}
	if d.Reason == "" {
		a := Answer{Decision: ImplicitDeny, Statements: []string{d.Note}}
		if d.Outcome == "allowed" {
			a = Answer{Decision: Allowed, Statements: append(append([]string(nil), d.Paths...), d.Note)}
		}
		er.Steps = []Answer{a}
	}
	return er
}

// network decides a network row for one principal.
func (x *expander) network(question string, rc classify.Role) *NetworkDecision {
	d := &NetworkDecision{Question: question}
	ne := func(format string, args ...any) *NetworkDecision {
		d.Verdict, d.Reason = NotEvaluated, fmt.Sprintf(format, args...)
		return d
	}
	if question != contract.NetworkInternetEgress {
		return ne("unknown network question %q", question)
	}
	f := x.env.Posture()
	if why := f.Missing(posture.EC2, posture.Lambda, posture.ECS, posture.EFS); why != "" {
		return ne("%s", why)
	}
	var node *posture.Node
	for _, n := range f.Nodes {
		if n.ID == rc.NodeID {
			node = n
		}
	}
	switch {
	case node == nil:
		return ne("role %s belongs to no known compute node", rc.Role.Name)
	case !node.HasResources():
		return ne("no network or compute resource of node %s was found in %s", node.ID, f.RegionsText())
	case node.Mode.Mode == "":
		return ne("node %s's deployment mode is unknown: %s", node.ID, node.Mode.Unknown)
	}
	// The subnets the role's own functions and tasks run in; a role that
	// runs nowhere yet is held to its node's whole network.
	var subnets, outside []string
	runs := 0
	for _, c := range node.Compute {
		if !c.RunsAs(rc.Role.ARN) {
			continue
		}
		runs++
		switch {
		case c.OutsideVPC:
			outside = append(outside, c.Kind+" "+c.Name+" runs outside any VPC (Lambda's own network reaches the internet)")
		case c.Unknown != "":
			return ne("%s %s: %s", c.Kind, c.Name, c.Unknown)
		default:
			subnets = append(subnets, c.Subnets...)
		}
	}
	scope := "the subnets its functions and tasks run in"
	if runs == 0 {
		subnets = f.Subnets(node)
		scope = "no function or task runs as the role, so its node's whole network"
	}
	d.Where = strings.Join(dedupe(subnets), ", ")
	eg := f.Egress(dedupe(subnets))
	for _, p := range eg.Paths {
		d.Paths = append(d.Paths, p.String()+" → "+string(p.Exit))
	}
	d.Paths = append(d.Paths, outside...)
	if len(d.Paths) == 0 && len(eg.Unknown) > 0 {
		return ne("%s", eg.Unknown[0].String())
	}
	m := node.Mode
	d.Note = fmt.Sprintf("node %s is in %s mode (%s); %s decided", node.ID, m.Mode, m.Source, scope)
	reaches := len(d.Paths) > 0
	d.Outcome = "denied"
	if reaches {
		d.Outcome = "allowed"
	}
	switch {
	case !reaches:
		d.Verdict = Pass
	case m.Mode == contract.ModeCompliant:
		d.Verdict = Fail
	case m.Source == posture.FromInference:
		// Not declared compliant: the node may have been bought compliant
		// and lost it; say so, without failing what was not promised.
		d.Verdict = Warn
		d.Note += "; the promise holds in compliant mode only, and this node's mode was inferred, not declared"
	default:
		d.Verdict = Pass
		d.Outcome = "allowed (not promised in " + m.Mode + " mode)"
	}
	return d
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
