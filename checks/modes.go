package checks

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/posture"
	"github.com/pvaudit/pvaudit/rules"
)

// Deployment-mode checks (MODE-*): the Pennsieve document's "Deployment
// modes" table and its KMS row, proved from the snapshot's runtime section
// (see package posture). A node's mode is the customer's deployment_mode
// parameter, else its mode tag, else inferred from the network (MODE-001
// says which, and warns when inferred). Checks a mode does not require
// report nothing for its nodes; without the runtime section every check
// reports NOT_EVALUATED, never PASS.

// Controls of the runtime checks.
var (
	nistSC7_5    = finding.Control{Framework: "NIST-800-53r5", ID: "SC-7(5)"}
	nistSC8      = finding.Control{Framework: "NIST-800-53r5", ID: "SC-8"}
	nistSC12     = finding.Control{Framework: "NIST-800-53r5", ID: "SC-12"}
	nistSC13     = finding.Control{Framework: "NIST-800-53r5", ID: "SC-13"}
	nistSC28     = finding.Control{Framework: "NIST-800-53r5", ID: "SC-28"}
	nistAU2      = finding.Control{Framework: "NIST-800-53r5", ID: "AU-2"}
	nistAU6      = finding.Control{Framework: "NIST-800-53r5", ID: "AU-6"}
	nistAU9      = finding.Control{Framework: "NIST-800-53r5", ID: "AU-9"}
	nistAU11     = finding.Control{Framework: "NIST-800-53r5", ID: "AU-11"}
	nistAU12     = finding.Control{Framework: "NIST-800-53r5", ID: "AU-12"}
	nistSI4      = finding.Control{Framework: "NIST-800-53r5", ID: "SI-4"}
	hipaaEncrypt = finding.Control{Framework: "HIPAA", ID: "164.312(a)(2)(iv)"}
	hipaaTransEn = finding.Control{Framework: "HIPAA", ID: "164.312(e)(2)(ii)"}
	hipaaIncid   = finding.Control{Framework: "HIPAA", ID: "164.308(a)(6)(ii)"}
	nist171BL    = finding.Control{Framework: "NIST-800-171r2", ID: "3.4.1"}
	nist171Cfg   = finding.Control{Framework: "NIST-800-171r2", ID: "3.4.2"}
	nist171Log   = finding.Control{Framework: "NIST-800-171r2", ID: "3.3.1"}
	nist171LogP  = finding.Control{Framework: "NIST-800-171r2", ID: "3.3.8"}
	nist171Deny  = finding.Control{Framework: "NIST-800-171r2", ID: "3.13.6"}
	nist171Sub   = finding.Control{Framework: "NIST-800-171r2", ID: "3.13.5"}
	nist171Trans = finding.Control{Framework: "NIST-800-171r2", ID: "3.13.8"}
	nist171Rest  = finding.Control{Framework: "NIST-800-171r2", ID: "3.13.16"}
	nist171Mon   = finding.Control{Framework: "NIST-800-171r2", ID: "3.14.6"}
	nist171Use   = finding.Control{Framework: "NIST-800-171r2", ID: "3.14.7"}
)

// runtimeChecks are the checks over the runtime section: deployment modes
// (MODE-*), PAR's logging (PV-LOG-*) and PAR's network (PV-NET-*).
func runtimeChecks() []*Check {
	return []*Check{
		modeKnown(), modeDedicatedVPC(), modePrivateSubnets(), modeFlowLogs(), modeNoInternet(),
		modeEndpoints(), modeEndpointPolicies(), modeLogKMS(), modeStateKMS(), modeEFSEncrypted(),
		modeEFSTransit(), modeOpenIngress(),
		parLogGroup(), parLogDriver(), parAlarms(),
		parIngress(), parS3Endpoint(), parEgress(),
	}
}

// Posture returns the snapshot's runtime posture (computed once per Env).
func (e *Env) Posture() *posture.Facts {
	if e.facts == nil {
		e.facts = posture.Analyze(e.Snap, e.Contract, e.Class)
	}
	return e.facts
}

// nodeResource names a node in findings about the node as a whole.
func nodeResource(id string) string { return "compute-node:" + id }

// ec2ARN is the ARN of an EC2 resource ("subnet/subnet-…").
func ec2ARN(region, account, res string) string {
	return "arn:aws:ec2:" + region + ":" + account + ":" + res
}

// nodeEvidence is what every node finding carries.
func nodeEvidence(f *posture.Facts, n *posture.Node) map[string]any {
	ev := map[string]any{"node": n.ID, "regions": f.Regions}
	if n.Mode.Mode != "" {
		ev["mode"] = n.Mode.Mode
		ev["mode_source"] = n.Mode.Source
		ev["mode_detail"] = n.Mode.Detail
	}
	if len(n.VPCs) > 0 {
		ev["vpcs"] = n.VPCs
	}
	return ev
}

func withEvidence(base map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(base)+len(kv)/2)
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// nodeScope says which nodes a mode check covers.
type nodeScope struct {
	// sections the check reads: missing ones make it NOT_EVALUATED.
	sections []posture.Section
	// mode is the least mode that promises what the check proves; "" for
	// every mode (the mode need not be known).
	mode string
	// modes, when set, replaces mode: the exact modes covered.
	modes []string
}

func (s nodeScope) covers(m posture.ModeInfo) bool {
	if len(s.modes) > 0 {
		for _, x := range s.modes {
			if m.Mode == x {
				return true
			}
		}
		return false
	}
	return m.At(s.mode)
}

// perNode runs eval for every compute node the check covers, reporting
// NOT_EVALUATED for a node whose runtime the snapshot does not show (no
// runtime section, a section not read, no resource of the node found, a
// mode that cannot be told when the check is mode-specific).
func (c *Check) perNode(env *Env, scope nodeScope, eval func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding) []finding.Finding {
	if env.Contract.Deployment == nil {
		return nil
	}
	f := env.Posture()
	var out []finding.Finding
	if !f.HasRuntime() && len(f.Nodes) > 0 {
		// One finding, not one per node: nothing of the runtime was read.
		var ids []string
		for _, n := range f.Nodes {
			ids = append(ids, n.ID)
		}
		return []finding.Finding{c.finding(finding.NotEvaluated, accountResource(env.Snap), "runtime",
			fmt.Sprintf("compute node(s) %s: not evaluated: %s", strings.Join(ids, ", "), f.Missing()), map[string]any{"nodes": ids})}
	}
	for _, n := range f.Nodes {
		ev := nodeEvidence(f, n)
		res := nodeResource(n.ID)
		if why := f.Missing(scope.sections...); why != "" {
			out = append(out, c.finding(finding.NotEvaluated, res, n.ID, fmt.Sprintf("node %s: not evaluated: %s", n.ID, why), ev))
			continue
		}
		if !n.HasResources() {
			out = append(out, c.finding(finding.NotEvaluated, res, n.ID,
				fmt.Sprintf("node %s: not evaluated: no VPC, function, task, state machine, file system or log group of the node was found in %s (pvaudit reads the regions you name; a node deployed elsewhere is not seen)", n.ID, f.RegionsText()), ev))
			continue
		}
		if scope.mode != "" || len(scope.modes) > 0 {
			if n.Mode.Mode == "" {
				out = append(out, c.finding(finding.NotEvaluated, res, n.ID, fmt.Sprintf("node %s: not evaluated: its deployment mode is unknown: %s (declare it with --deployment-mode or a %s tag)", n.ID, n.Mode.Unknown, env.Contract.Deployment.ModeTagKeys[0]), ev))
				continue
			}
			if !scope.covers(n.Mode) {
				continue
			}
		}
		out = append(out, eval(f, n, ev)...)
	}
	return out
}

// ---- MODE-001 ----

func modeKnown() *Check {
	c := &Check{
		ID:       "MODE-001",
		Title:    "Each compute node's deployment mode is declared and consistent",
		Severity: finding.Medium,
		Variants: []rules.Variant{{Severity: finding.Medium, When: "the mode is inferred from the network, not declared (WARN)"}},
		Rationale: "\"Pennsieve supports three deployment modes that control the level of network isolation\" (Basic, Secure, " +
			"Compliant). Each MODE check holds a node to its mode, so the mode must come from the customer (the deployment_mode " +
			"parameter: what was bought) or a tag, and declarations must agree: a node that is inferred from its network is judged " +
			"by what it already is — a compliant node that gained a NAT route would pass as secure.",
		Remediation: "Declare the mode you bought: pvaudit scan --deployment-mode compliant (or parameters.deployment_mode in " +
			"pvaudit.yaml), and tag the node's VPC to match: aws ec2 create-tags --resources VPC_ID --tags " +
			"Key=pennsieve:deployment-mode,Value=compliant. Remove mode tags that disagree.",
		Controls: []finding.Control{nistCM2, nistCM6, nistCA7, hipaaRiskMgmt, nist171BL, nist171Cfg},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.StepFunctions, posture.EFS}},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				m := n.Mode
				if len(m.Tags) > 0 {
					ev["mode_tags"] = m.Tags
				}
				res := nodeResource(n.ID)
				switch {
				case len(m.Conflicts) > 0:
					ev["conflicts"] = m.Conflicts
					return []finding.Finding{c.finding(finding.Fail, res, n.ID,
						fmt.Sprintf("node %s is held to %s mode (%s), but %s", n.ID, orUnknown(m.Mode), m.Detail, strings.Join(m.Conflicts, "; ")), ev)}
				case m.Mode == "":
					return []finding.Finding{c.finding(finding.NotEvaluated, res, n.ID,
						fmt.Sprintf("node %s: the deployment mode is neither declared nor inferable: %s", n.ID, m.Unknown), ev)}
				case m.Source == posture.FromInference:
					return []finding.Finding{c.finding(finding.Warn, res, n.ID,
						fmt.Sprintf("node %s: %s mode is %s; declare the mode you bought (--deployment-mode) so the node is held to it", n.ID, m.Mode, m.Detail), ev)}
				}
				return []finding.Finding{c.finding(finding.Pass, res, n.ID, fmt.Sprintf("node %s: %s mode, %s", n.ID, m.Mode, m.Detail), ev)}
			})
	}
	return c
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown"
	}
	return s
}

// ---- MODE-002 ----

func modeDedicatedVPC() *Check {
	c := &Check{
		ID:       "MODE-002",
		Title:    "Secure and compliant nodes run in a dedicated VPC",
		Severity: finding.High,
		Rationale: "Secure and Compliant are \"Dedicated VPC\" modes (Basic \"uses your default VPC\"). A node in the default VPC, " +
			"in a VPC another node uses, or with functions outside any VPC does not have the isolation it was sold with.",
		Remediation: "Deploy the node into its own VPC (the provider's secure/compliant deployment), move the functions into it " +
			"(aws lambda update-function-configuration --function-name FN --vpc-config SubnetIds=…,SecurityGroupIds=…), " +
			"and keep other nodes' resources out of it.",
		Controls: []finding.Control{nistSC7, nistAC4, hipaaTransmission, nist171SC1, nist171Sub},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS}, mode: contract.ModeSecure},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				others := map[string][]string{}
				for _, o := range f.Nodes {
					if o.ID == n.ID {
						continue
					}
					for _, v := range o.VPCs {
						others[v] = append(others[v], o.ID)
					}
				}
				for _, v := range n.VPCs {
					vpc, ok := f.VPC(v)
					if !ok {
						out = append(out, c.finding(finding.NotEvaluated, nodeResource(n.ID), n.ID+" "+v, fmt.Sprintf("node %s uses VPC %s, which is not in the snapshot", n.ID, v), ev))
						continue
					}
					arn := ec2ARN(vpc.Region, env.Snap.AccountID, "vpc/"+v)
					switch {
					case vpc.V.IsDefault:
						out = append(out, c.finding(finding.Fail, arn, n.ID, fmt.Sprintf("node %s (%s mode) runs in the default VPC %s: %s", n.ID, n.Mode.Mode, v, n.Why[v]), ev))
					case len(others[v]) > 0:
						out = append(out, c.finding(finding.Fail, arn, n.ID, fmt.Sprintf("node %s (%s mode) shares VPC %s with node(s) %s", n.ID, n.Mode.Mode, v, strings.Join(others[v], ", ")), ev))
					}
				}
				for _, cp := range n.Compute {
					if cp.OutsideVPC {
						out = append(out, c.finding(finding.Fail, cp.ARN, n.ID, fmt.Sprintf("node %s (%s mode): %s %s runs outside any VPC", n.ID, n.Mode.Mode, cp.Kind, cp.Name), ev))
					}
				}
				if len(n.VPCs) == 0 && len(out) == 0 {
					out = append(out, c.finding(finding.NotEvaluated, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: no VPC of the node was found in %s", n.ID, f.RegionsText()), ev))
				}
				if len(out) == 0 {
					out = append(out, c.finding(finding.Pass, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s (%s mode) runs in its own VPC %s", n.ID, n.Mode.Mode, strings.Join(n.VPCs, ", ")), ev))
				}
				return out
			})
	}
	return c
}

// ---- MODE-003 ----

func modePrivateSubnets() *Check {
	c := &Check{
		ID:       "MODE-003",
		Title:    "Secure nodes' code runs in private subnets, behind the NAT gateway",
		Severity: finding.High,
		Rationale: "Secure is a \"Dedicated VPC with NAT Gateway\": the node's functions and tasks reach out through a NAT " +
			"gateway and cannot be reached from the internet. A compute subnet whose own route table sends traffic to an internet " +
			"gateway, or a task with a public IP address, is exposed.",
		Remediation: "Run the node's functions and tasks in private subnets whose default route is the NAT gateway " +
			"(aws ec2 replace-route --route-table-id RTB --destination-cidr-block 0.0.0.0/0 --nat-gateway-id NAT) and turn off " +
			"public IPs (aws ecs update-service --network-configuration 'awsvpcConfiguration={…,assignPublicIp=DISABLED}').",
		Controls: []finding.Control{nistSC7, nistSC7_5, nistAC4, hipaaTransmission, nist171SC1, nist171Sub},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS}, mode: contract.ModeSecure},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				for _, cp := range n.Compute {
					switch {
					case cp.OutsideVPC:
						out = append(out, c.finding(finding.Fail, cp.ARN, n.ID, fmt.Sprintf("node %s: %s %s runs outside any VPC (Lambda's own network), not behind the node's NAT gateway", n.ID, cp.Kind, cp.Name), ev))
						continue
					case cp.Unknown != "":
						out = append(out, c.finding(finding.NotEvaluated, cp.ARN, n.ID, fmt.Sprintf("node %s: %s %s: %s", n.ID, cp.Kind, cp.Name, cp.Unknown), ev))
						continue
					case cp.PublicIP:
						out = append(out, c.finding(finding.Fail, cp.ARN, n.ID, fmt.Sprintf("node %s: %s %s gives its tasks public IP addresses (assignPublicIp ENABLED)", n.ID, cp.Kind, cp.Name), ev))
					}
					for _, p := range f.Egress(cp.Subnets).Paths {
						if p.Direct() && (p.Exit == posture.ExitInternetGateway || p.Exit == posture.ExitEgressOnly) {
							out = append(out, c.finding(finding.Fail, cp.ARN, n.ID+" "+p.From,
								fmt.Sprintf("node %s: %s %s runs in subnet %s, whose route table sends traffic straight to %s %s (%s): a public subnet", n.ID, cp.Kind, cp.Name, p.From, p.Exit, p.Gateway, p.String()),
								withEvidence(ev, "path", p.Hops)))
						}
					}
				}
				if len(out) == 0 {
					out = append(out, c.finding(finding.Pass, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: its functions and tasks run in private subnets (%s)", n.ID, strings.Join(n.ComputeSubnets(), ", ")), ev))
				}
				return out
			})
	}
	return c
}

// ---- MODE-004 ----

func modeFlowLogs() *Check {
	c := &Check{
		ID:       "MODE-004",
		Title:    "Secure and compliant nodes' VPCs have flow logs on",
		Severity: finding.Medium,
		Rationale: "Secure and Compliant promise \"VPC flow logs\". A flow log that records only accepted (or only rejected) " +
			"traffic, is not active, or fails to deliver leaves the monitoring promise unkept for part of the traffic.",
		Remediation: "Turn on a flow log for the whole VPC that records ALL traffic: aws ec2 create-flow-logs --resource-type VPC " +
			"--resource-ids VPC_ID --traffic-type ALL --log-destination-type cloud-watch-logs --log-group-name /pennsieve/NODE/flow-logs " +
			"--deliver-logs-permission-arn ROLE_ARN; fix its delivery role if DeliverLogsStatus is FAILED.",
		Controls: []finding.Control{nistAU2, nistAU12, nistSI4, hipaaAudit, hipaaActivity, nist171Log, nist171Mon},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS}, mode: contract.ModeSecure},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				for _, v := range n.VPCs {
					vpc, ok := f.VPC(v)
					if !ok {
						continue
					}
					arn := ec2ARN(vpc.Region, env.Snap.AccountID, "vpc/"+v)
					ok, why := flowLogged(f, v)
					if ok {
						out = append(out, c.finding(finding.Pass, arn, n.ID, fmt.Sprintf("node %s: VPC %s has flow logs of all traffic (%s)", n.ID, v, why), ev))
					} else {
						out = append(out, c.finding(finding.Fail, arn, n.ID, fmt.Sprintf("node %s (%s mode): VPC %s: %s", n.ID, n.Mode.Mode, v, why), ev))
					}
				}
				if len(out) == 0 {
					out = append(out, c.finding(finding.NotEvaluated, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: no VPC of the node was found in %s", n.ID, f.RegionsText()), ev))
				}
				return out
			})
	}
	return c
}

// flowLogged reports whether a VPC's traffic is all logged: one healthy
// flow log of ALL traffic on the VPC, or on every one of its subnets.
func flowLogged(f *posture.Facts, vpc string) (bool, string) {
	healthy := func(resource string) (string, string) {
		var problems []string
		for _, l := range f.FlowLogsOf(resource) {
			switch {
			case !strings.EqualFold(l.V.Status, "ACTIVE"):
				problems = append(problems, fmt.Sprintf("flow log %s is %s", l.V.ID, l.V.Status))
			case strings.EqualFold(l.V.DeliverLogsStatus, "FAILED"):
				problems = append(problems, fmt.Sprintf("flow log %s fails to deliver its logs", l.V.ID))
			case !strings.EqualFold(l.V.TrafficType, "ALL"):
				problems = append(problems, fmt.Sprintf("flow log %s records only %s traffic", l.V.ID, l.V.TrafficType))
			default:
				return l.V.ID, ""
			}
		}
		if len(problems) == 0 {
			return "", "no flow log"
		}
		return "", strings.Join(problems, "; ")
	}
	if id, _ := healthy(vpc); id != "" {
		return true, "flow log " + id + " on the VPC"
	}
	_, vpcWhy := healthy(vpc)
	subnets := f.SubnetsOf(vpc)
	var ids, missing []string
	for _, s := range subnets {
		id, why := healthy(s)
		if id == "" {
			missing = append(missing, s+" ("+why+")")
		} else {
			ids = append(ids, id)
		}
	}
	if len(subnets) > 0 && len(missing) == 0 {
		return true, "flow logs " + strings.Join(ids, ", ") + " on every subnet"
	}
	msg := vpcWhy + " on the VPC"
	if len(missing) > 0 && len(missing) < len(subnets) {
		msg += "; subnets without one: " + strings.Join(missing, ", ")
	}
	return false, msg
}

// ---- MODE-005 ----

func modeNoInternet() *Check {
	c := &Check{
		ID:       "MODE-005",
		Title:    "Compliant nodes have no route to the internet",
		Severity: finding.Critical,
		Rationale: "Compliant is a \"Dedicated VPC with VPC endpoints (no internet access)\", and processor roles \"cannot reach " +
			"the internet in compliant mode (no outbound network access)\". No subnet of the node's VPCs may route to an internet, " +
			"egress-only, carrier or NAT gateway — directly, or through a peering connection or transit gateway to a VPC that does " +
			"(a host there can relay) — and no function may run outside the VPC. Routes pvaudit cannot follow (a VPN, an " +
			"instance, a VPC or attachment the snapshot lacks) make it NOT_EVALUATED.",
		Remediation: "Delete the route (aws ec2 delete-route --route-table-id RTB --destination-cidr-block 0.0.0.0/0), detach " +
			"and delete the gateway (aws ec2 detach-internet-gateway / delete-nat-gateway), or remove the transit gateway or " +
			"peering route that leads to an egress VPC; reach AWS services through VPC endpoints instead.",
		Controls: []finding.Control{nistSC7, nistSC7_5, nistAC4, hipaaTransmission, nist171SC1, nist171Deny, nist171AC3},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS}, mode: contract.ModeCompliant},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				eg := f.Egress(f.Subnets(n))
				bySubnet := map[string][]posture.Path{}
				for _, p := range eg.Paths {
					bySubnet[p.From] = append(bySubnet[p.From], p)
				}
				for _, s := range sortedKeys(bySubnet) {
					ps := bySubnet[s]
					sub, _ := f.Subnet(s)
					var paths [][]string
					for _, p := range ps {
						paths = append(paths, p.Hops)
					}
					p := ps[0]
					msg := fmt.Sprintf("node %s (compliant): subnet %s reaches the internet: %s through %s %s", n.ID, s, p.String(), p.Exit, p.Gateway)
					if !p.Direct() {
						msg += fmt.Sprintf(" in %s", p.VPC)
					}
					if len(ps) > 1 {
						msg += fmt.Sprintf("; %d more path(s)", len(ps)-1)
					}
					out = append(out, c.finding(finding.Fail, ec2ARN(sub.Region, env.Snap.AccountID, "subnet/"+s), n.ID+" "+s, msg, withEvidence(ev, "paths", paths)))
				}
				for _, cp := range n.Compute {
					switch {
					case cp.OutsideVPC:
						out = append(out, c.finding(finding.Fail, cp.ARN, n.ID, fmt.Sprintf("node %s (compliant): %s %s runs outside any VPC, in Lambda's own network, which reaches the internet", n.ID, cp.Kind, cp.Name), ev))
					case cp.Unknown != "":
						out = append(out, c.finding(finding.NotEvaluated, cp.ARN, n.ID, fmt.Sprintf("node %s: %s %s: %s", n.ID, cp.Kind, cp.Name, cp.Unknown), ev))
					}
				}
				if len(bySubnet) == 0 {
					seen := map[string]bool{}
					for _, u := range eg.Unknown {
						if seen[u.From] {
							continue
						}
						seen[u.From] = true
						sub, _ := f.Subnet(u.From)
						out = append(out, c.finding(finding.NotEvaluated, ec2ARN(sub.Region, env.Snap.AccountID, "subnet/"+u.From), n.ID+" "+u.From,
							fmt.Sprintf("node %s: subnet %s: not evaluated: %s", n.ID, u.From, u.String()), ev))
					}
				}
				if len(out) == 0 {
					if len(n.VPCs) == 0 {
						return []finding.Finding{c.finding(finding.NotEvaluated, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: no VPC of the node was found in %s", n.ID, f.RegionsText()), ev)}
					}
					subs := f.Subnets(n)
					out = append(out, c.finding(finding.Pass, nodeResource(n.ID), n.ID,
						fmt.Sprintf("node %s (compliant): none of its %d subnet(s) routes to an internet or NAT gateway, through peering or transit gateways either", n.ID, len(subs)),
						withEvidence(ev, "subnets", subs)))
				}
				return out
			})
	}
	return c
}
