package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/posture"
	"github.com/pvaudit/pvaudit/rules"
)

// ---- MODE-006 ----

func modeEndpoints() *Check {
	c := &Check{
		ID:       "MODE-006",
		Title:    "Compliant nodes reach every AWS service they use through a VPC endpoint",
		Severity: finding.Medium,
		Variants: []rules.Variant{{Severity: finding.Low, When: "an interface endpoint has private DNS off (WARN)"}},
		Rationale: "Compliant is a \"Dedicated VPC with VPC endpoints (no internet access)\": every AWS API the node's functions " +
			"and tasks are allowed to call (S3, ECR, Logs, STS, Secrets Manager, KMS, Step Functions, EFS, Lambda …, read from " +
			"their roles' policies and task definitions) needs an endpoint in the node's VPC — a gateway endpoint associated with " +
			"the compute subnets' route tables, or an interface endpoint — or the calls go nowhere, or somewhere else.",
		Remediation: "Create the endpoint in the node's VPC: aws ec2 create-vpc-endpoint --vpc-id VPC --service-name " +
			"com.amazonaws.REGION.SERVICE --vpc-endpoint-type Interface --subnet-ids … --security-group-ids … --private-dns-enabled " +
			"(for S3 and DynamoDB: --vpc-endpoint-type Gateway --route-table-ids RTB …), with a policy that pins aws:ResourceAccount.",
		Controls: []finding.Control{nistSC7, nistSC8, nistAC4, hipaaTransmission, nist171SC1},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS}, mode: contract.ModeCompliant},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				for _, cp := range n.Compute {
					if cp.OutsideVPC || cp.Unknown != "" || cp.VPC == "" {
						continue // MODE-005 reports where it runs
					}
					needs, unknown := f.EndpointNeeds(&cp)
					var missing, warn, have []string
					for _, nd := range needs {
						eps := f.EndpointsFor(cp.VPC, cp.Region, nd.Service)
						if len(eps) == 0 {
							missing = append(missing, fmt.Sprintf("%s (%s)", nd.Service, nd.Why[0]))
							continue
						}
						usable := false
						for _, ep := range eps {
							if ep.V.Type == "Gateway" {
								var not []string
								for _, s := range cp.Subnets {
									rt, ok := f.RouteTableOf(s)
									if !ok || !slices.Contains(ep.V.RouteTables, rt.V.ID) {
										not = append(not, s)
									}
								}
								if len(not) == 0 {
									usable = true
								} else {
									warn = append(warn, fmt.Sprintf("gateway endpoint %s (%s) is not associated with the route tables of subnet(s) %s", ep.V.ID, nd.Service, strings.Join(not, ", ")))
								}
								continue
							}
							usable = true
							if !ep.V.PrivateDNSEnabled {
								warn = append(warn, fmt.Sprintf("interface endpoint %s (%s) has private DNS off: calls to the service's default name do not use it", ep.V.ID, nd.Service))
							}
						}
						if usable {
							have = append(have, nd.Service)
						} else {
							missing = append(missing, fmt.Sprintf("%s (no endpoint the compute subnets can use)", nd.Service))
						}
					}
					cev := withEvidence(ev, "compute", cp.ARN, "endpoints_present", have)
					if len(unknown) > 0 {
						cev["not_evaluated"] = unknown
					}
					switch {
					case len(missing) > 0:
						cev["missing"] = missing
						out = append(out, c.finding(finding.Fail, cp.ARN, n.ID,
							fmt.Sprintf("node %s (compliant): %s %s has no VPC endpoint in %s for %s", n.ID, cp.Kind, cp.Name, cp.VPC, strings.Join(missing, "; ")), cev))
					case len(unknown) > 0:
						out = append(out, c.finding(finding.NotEvaluated, cp.ARN, n.ID,
							fmt.Sprintf("node %s: %s %s: the services it calls cannot all be listed: %s", n.ID, cp.Kind, cp.Name, unknown[0]), cev))
					case len(warn) > 0:
						w := c.finding(finding.Warn, cp.ARN, n.ID, fmt.Sprintf("node %s: %s %s: %s", n.ID, cp.Kind, cp.Name, strings.Join(warn, "; ")), cev)
						w.Severity = finding.Low
						out = append(out, w)
					default:
						out = append(out, c.finding(finding.Pass, cp.ARN, n.ID,
							fmt.Sprintf("node %s: %s %s reaches %s through VPC endpoints", n.ID, cp.Kind, cp.Name, orNone(have)), cev))
					}
				}
				if len(out) == 0 {
					out = append(out, c.finding(finding.NotEvaluated, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: no function or task of the node runs in a VPC the snapshot shows", n.ID), ev))
				}
				return out
			})
	}
	return c
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no AWS service"
	}
	return strings.Join(s, ", ")
}

// ---- MODE-007 ----

func modeEndpointPolicies() *Check {
	c := &Check{
		ID:       "MODE-007",
		Title:    "VPC endpoint policies do not open other accounts' resources",
		Severity: finding.High,
		Rationale: "An endpoint is the node's only way out in compliant mode; its policy decides what the way out leads to. " +
			"The default policy (Principal \"*\", Action \"*\", Resource \"*\") lets anyone inside the VPC send data to any " +
			"account's bucket, queue or key — the exfiltration path the isolation was meant to close. Every action of the " +
			"endpoint's service is asked of the policy (principal open) against a resource of another account.",
		Remediation: "Attach an endpoint policy that pins the resources to your account: aws ec2 modify-vpc-endpoint " +
			"--vpc-endpoint-id VPCE --policy-document '{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\"," +
			"\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:ResourceAccount\":\"ACCOUNT\"}}}]}' (for S3 and ECR add the " +
			"AWS-owned layer bucket arn:aws:s3:::prod-REGION-starport-layer-bucket/*).",
		Controls: []finding.Control{nistAC4, nistSC7, nistAC3, hipaaAccessControl, hipaaTransmission, nist171AC3, nist171SC1},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS}},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				count := 0
				for _, v := range n.VPCs {
					for _, ep := range f.EndpointsOf(v) {
						count++
						out = append(out, c.endpointFinding(env, f, ep, n.ID, "node "+n.ID+": ", ev))
					}
				}
				if count == 0 {
					out = append(out, c.finding(finding.Pass, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: its VPCs have no VPC endpoint, so no endpoint policy to open anything", n.ID), ev))
				}
				return out
			})
	}
	return c
}

// endpointFinding decides one endpoint's policy.
func (c *Check) endpointFinding(env *Env, f *posture.Facts, ep posture.In[inventory.VPCEndpoint], key, prefix string, ev map[string]any) finding.Finding {
	arn := ec2ARN(ep.Region, env.Snap.AccountID, "vpc-endpoint/"+ep.V.ID)
	opens, unknown := env.endpointOpens(f, ep)
	eev := withEvidence(ev, "endpoint", ep.V.ID, "service", ep.V.ServiceName)
	if len(unknown) > 0 {
		eev["not_evaluated"] = unknown
	}
	switch {
	case len(opens) > 0:
		var list []string
		for _, o := range opens[:min(len(opens), 10)] {
			list = append(list, fmt.Sprintf("%s on %s (account %s) by %s", o.Action, o.Resource, o.Account, o.Statements))
		}
		eev["opens"] = list
		if len(opens) > 10 {
			eev["opens_total"] = len(opens)
		}
		o := opens[0]
		return c.finding(finding.Fail, arn, key, fmt.Sprintf("%sendpoint %s (%s) lets %s through to %s of another account (%s)", prefix, ep.V.ID, ep.V.ServiceName, o.Action, o.Resource, o.Statements), eev)
	case len(unknown) > 0:
		return c.finding(finding.NotEvaluated, arn, key, fmt.Sprintf("%sendpoint %s (%s): not evaluated: %s", prefix, ep.V.ID, ep.V.ServiceName, unknown[0]), eev)
	}
	return c.finding(finding.Pass, arn, key, fmt.Sprintf("%sendpoint %s (%s) lets no request through to another account's resources", prefix, ep.V.ID, ep.V.ServiceName), eev)
}

// ---- MODE-008 … MODE-010: encryption at rest ----

func modeLogKMS() *Check {
	c := &Check{
		ID:       "MODE-008",
		Title:    "Secure and compliant nodes' log groups are encrypted with KMS",
		Severity: finding.Medium,
		Rationale: "\"KMS: Encrypts data at rest (Step Functions state, logs) in secure/compliant modes.\" A node log group " +
			"without a KMS key is stored with the service's own encryption only, readable by anyone with logs read access and " +
			"outside the customer's key policy.",
		Remediation: "Associate a customer managed key with the log group: aws logs associate-kms-key --log-group-name GROUP " +
			"--kms-key-id arn:aws:kms:REGION:ACCOUNT:key/KEY_ID (the key policy must allow logs.REGION.amazonaws.com).",
		Controls: []finding.Control{nistSC28, nistAU9, nistSC12, hipaaEncrypt, hipaaIntegrity, nist171Rest, nist171LogP},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS, posture.Logs}, mode: contract.ModeSecure},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				for _, g := range n.LogGroups {
					arn := logGroupARN(g.Region, env.Snap.AccountID, g.V)
					gev := withEvidence(ev, "log_group", g.V.Name, "why", n.Why[g.V.Name])
					if g.V.KMSKeyID == "" {
						out = append(out, c.finding(finding.Fail, arn, n.ID, fmt.Sprintf("node %s (%s mode): log group %s is not encrypted with a KMS key", n.ID, n.Mode.Mode, g.V.Name), gev))
					} else {
						out = append(out, c.finding(finding.Pass, arn, n.ID, fmt.Sprintf("node %s: log group %s is encrypted with %s", n.ID, g.V.Name, g.V.KMSKeyID), gev))
					}
				}
				if len(out) == 0 {
					out = append(out, c.finding(finding.Pass, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: no log group of the node exists in %s yet", n.ID, f.RegionsText()), ev))
				}
				return out
			})
	}
	return c
}

func logGroupARN(region, account string, g *inventory.LogGroup) string {
	if g.ARN != "" {
		return strings.TrimSuffix(g.ARN, ":*")
	}
	return "arn:aws:logs:" + region + ":" + account + ":log-group:" + g.Name
}

func modeStateKMS() *Check {
	c := &Check{
		ID:       "MODE-009",
		Title:    "Secure and compliant nodes' Step Functions state is encrypted with a customer managed KMS key",
		Severity: finding.Medium,
		Rationale: "\"KMS: Encrypts data at rest (Step Functions state, logs) in secure/compliant modes.\" A state machine on " +
			"AWS_OWNED_KEY keeps its executions' input, output and history under a key the customer neither controls nor audits.",
		Remediation: "Update the state machine to a customer managed key: aws stepfunctions update-state-machine " +
			"--state-machine-arn ARN --encryption-configuration type=CUSTOMER_MANAGED_KMS_KEY,kmsKeyId=KEY_ARN,kmsDataKeyReusePeriodSeconds=300.",
		Controls: []finding.Control{nistSC28, nistSC12, hipaaEncrypt, nist171Rest},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS, posture.StepFunctions}, mode: contract.ModeSecure},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				for _, sm := range n.StateMachines {
					sev := withEvidence(ev, "encryption_type", orDefault(sm.V.EncryptionType, "AWS_OWNED_KEY"), "why", n.Why[sm.V.ARN])
					if sm.V.EncryptionType == "CUSTOMER_MANAGED_KMS_KEY" && sm.V.KMSKeyID != "" {
						out = append(out, c.finding(finding.Pass, sm.V.ARN, n.ID, fmt.Sprintf("node %s: state machine %s is encrypted with %s", n.ID, sm.V.Name, sm.V.KMSKeyID), sev))
					} else {
						out = append(out, c.finding(finding.Fail, sm.V.ARN, n.ID, fmt.Sprintf("node %s (%s mode): state machine %s is encrypted with %s, not a customer managed KMS key", n.ID, n.Mode.Mode, sm.V.Name, orDefault(sm.V.EncryptionType, "AWS_OWNED_KEY")), sev))
					}
				}
				if len(out) == 0 {
					out = append(out, c.finding(finding.Pass, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: no state machine of the node in %s", n.ID, f.RegionsText()), ev))
				}
				return out
			})
	}
	return c
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func modeEFSEncrypted() *Check {
	c := &Check{
		ID:       "MODE-010",
		Title:    "Compliant nodes' EFS file systems are encrypted at rest",
		Severity: finding.High,
		Rationale: "Compliant promises \"KMS encryption\"; the node's shared storage (EFS) holds the workflow's intermediate " +
			"data. EFS encryption at rest can only be chosen when the file system is created.",
		Remediation: "Create an encrypted file system (aws efs create-file-system --encrypted --kms-key-id KEY_ARN), copy the data " +
			"(AWS DataSync), point the node's access points and mounts at it and delete the unencrypted one.",
		Controls: []finding.Control{nistSC28, nistSC13, hipaaEncrypt, nist171Rest},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS}, mode: contract.ModeCompliant},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				for _, fs := range n.FileSystems {
					arn := efsARN(fs.Region, env.Snap.AccountID, fs.V)
					fev := withEvidence(ev, "why", n.Why[fs.V.ID])
					if fs.V.Encrypted {
						out = append(out, c.finding(finding.Pass, arn, n.ID, fmt.Sprintf("node %s: file system %s is encrypted (%s)", n.ID, fs.V.ID, orDefault(fs.V.KMSKeyID, "aws/elasticfilesystem")), fev))
					} else {
						out = append(out, c.finding(finding.Fail, arn, n.ID, fmt.Sprintf("node %s (compliant): file system %s is not encrypted at rest", n.ID, fs.V.ID), fev))
					}
				}
				if len(out) == 0 {
					out = append(out, c.finding(finding.Pass, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: no EFS file system of the node in %s", n.ID, f.RegionsText()), ev))
				}
				return out
			})
	}
	return c
}

func efsARN(region, account string, fs *inventory.FileSystem) string {
	if fs.ARN != "" {
		return fs.ARN
	}
	return "arn:aws:elasticfilesystem:" + region + ":" + account + ":file-system/" + fs.ID
}

// ---- MODE-011 ----

func modeEFSTransit() *Check {
	c := &Check{
		ID:       "MODE-011",
		Title:    "Compliant nodes mount EFS over TLS only",
		Severity: finding.Medium,
		Rationale: "Compliant promises KMS encryption for HIPAA/NIST workloads; data in transit between the node's tasks and its " +
			"file system is protected only when every mount uses TLS. ECS mounts without TLS unless the task definition's EFS " +
			"volume sets transitEncryption ENABLED, and only a file system policy that denies aws:SecureTransport false makes " +
			"EFS refuse clients that do not (without a policy, any client that reaches a mount target may mount).",
		Remediation: "Set transitEncryption ENABLED on the task definition's efsVolumeConfiguration and register a new revision; " +
			"put a file system policy that denies unencrypted mounts: aws efs put-file-system-policy --file-system-id FS --policy " +
			"'{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"*\",\"Resource\":\"FS_ARN\"," +
			"\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}, …]}'.",
		Controls: []finding.Control{nistSC8, nistSC13, hipaaTransmission, hipaaTransEn, nist171Trans},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS}, mode: contract.ModeCompliant},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				for _, td := range n.TaskDefs {
					for _, v := range td.V.EFSVolumes {
						if !strings.EqualFold(v.TransitEncryption, "ENABLED") {
							out = append(out, c.finding(finding.Fail, td.V.ARN, n.ID+" "+v.Name,
								fmt.Sprintf("node %s (compliant): task definition %s mounts %s (volume %s) without TLS (transitEncryption %s)", n.ID, td.V.Family, v.FileSystemID, v.Name, orDefault(v.TransitEncryption, "DISABLED")), ev))
						}
					}
				}
				for _, fs := range n.FileSystems {
					arn := efsARN(fs.Region, env.Snap.AccountID, fs.V)
					if fs.V.Policy == nil {
						out = append(out, c.finding(finding.Fail, arn, n.ID, fmt.Sprintf("node %s (compliant): file system %s has no file system policy, so clients may mount it without TLS", n.ID, fs.V.ID), ev))
						continue
					}
					t, err := policy.CompileTrust(fs.V.ID+" file system policy", fs.V.Policy)
					if err != nil {
						out = append(out, c.finding(finding.NotEvaluated, arn, n.ID, fmt.Sprintf("node %s: file system %s: its policy cannot be evaluated: %v", n.ID, fs.V.ID, err), ev))
						continue
					}
					var hit, unknown []string
					for _, action := range []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"} {
						a := t.ExistsAllowed(&policy.Question{Action: action, Resource: arn, ResourceAccount: env.Snap.AccountID,
							Fixed: map[string][]string{"aws:SecureTransport": {"false"}}, Now: env.Now, Cache: env.witnessCache(), KeyType: env.keyType})
						switch a.Outcome() {
						case policy.Exists:
							hit = append(hit, action+" by "+a.Found.Principal)
						case policy.Undecided:
							unknown = append(unknown, action+": "+a.Reason)
						}
					}
					switch {
					case len(hit) > 0:
						out = append(out, c.finding(finding.Fail, arn, n.ID, fmt.Sprintf("node %s (compliant): file system %s's policy allows %s without TLS (aws:SecureTransport false)", n.ID, fs.V.ID, strings.Join(hit, ", ")), ev))
					case len(unknown) > 0:
						out = append(out, c.finding(finding.NotEvaluated, arn, n.ID, fmt.Sprintf("node %s: file system %s: %s", n.ID, fs.V.ID, unknown[0]), ev))
					default:
						out = append(out, c.finding(finding.Pass, arn, n.ID, fmt.Sprintf("node %s: file system %s refuses mounts without TLS", n.ID, fs.V.ID), ev))
					}
				}
				if len(out) == 0 {
					out = append(out, c.finding(finding.Pass, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: no EFS file system or EFS volume of the node in %s", n.ID, f.RegionsText()), ev))
				}
				return out
			})
	}
	return c
}

// ---- MODE-012 ----

func modeOpenIngress() *Check {
	c := &Check{
		ID:       "MODE-012",
		Title:    "No security group of a node admits inbound traffic from the internet",
		Severity: finding.High,
		Rationale: "In every mode the node's functions, tasks and file systems take no traffic from the internet; a security " +
			"group of the node's resources (or of its dedicated VPC) that admits 0.0.0.0/0, ::/0 or any range holding a public " +
			"address (0.0.0.0/1 + 128.0.0.0/1 is the internet too) exposes them as soon as a route or public IP appears. A prefix " +
			"list's entries are not in the snapshot: such a rule is NOT_EVALUATED.",
		Remediation: "Revoke the rule: aws ec2 revoke-security-group-ingress --group-id SG --ip-permissions " +
			"IpProtocol=PROTO,FromPort=N,ToPort=N,IpRanges=[{CidrIp=CIDR}] (IPv6: Ipv6Ranges=[{CidrIpv6=CIDR}]); admit only the " +
			"node's own security groups.",
		Controls: []finding.Control{nistSC7, nistAC4, hipaaTransmission, nist171SC1, nist171Deny},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.perNode(env, nodeScope{sections: []posture.Section{posture.EC2, posture.Lambda, posture.ECS, posture.EFS}},
			func(f *posture.Facts, n *posture.Node, ev map[string]any) []finding.Finding {
				var out []finding.Finding
				groups := f.SecurityGroups(n)
				for _, id := range groups {
					g, ok := f.SecurityGroup(id)
					if !ok {
						out = append(out, c.finding(finding.NotEvaluated, nodeResource(n.ID), n.ID+" "+id, fmt.Sprintf("node %s: security group %s is not in the snapshot", n.ID, id), ev))
						continue
					}
					arn := ec2ARN(g.Region, env.Snap.AccountID, "security-group/"+id)
					public, unknown := posture.PublicIngress(g.V)
					var pub, unk []string
					for _, r := range public {
						pub = append(pub, posture.RuleText(r, false))
					}
					for _, r := range unknown {
						unk = append(unk, posture.RuleText(r, false))
					}
					gev := withEvidence(ev, "security_group", id, "group_name", g.V.Name)
					switch {
					case len(pub) > 0:
						gev["rules"] = pub
						out = append(out, c.finding(finding.Fail, arn, n.ID, fmt.Sprintf("node %s: security group %s (%s) admits %s", n.ID, id, g.V.Name, strings.Join(pub, ", ")), gev))
					case len(unk) > 0:
						gev["rules"] = unk
						out = append(out, c.finding(finding.NotEvaluated, arn, n.ID, fmt.Sprintf("node %s: security group %s admits %s: the prefix list's entries are not in the snapshot", n.ID, id, strings.Join(unk, ", ")), gev))
					}
				}
				if len(out) == 0 {
					out = append(out, c.finding(finding.Pass, nodeResource(n.ID), n.ID, fmt.Sprintf("node %s: none of its %d security group(s) admits traffic from a public address", n.ID, len(groups)), withEvidence(ev, "security_groups", groups)))
				}
				return out
			})
	}
	return c
}
