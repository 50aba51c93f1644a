package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/policy"
)

func childTrust() *Check {
	c := &Check{
		ID:       "PV-CHD-001",
		Title:    "Child roles trust only the documented AWS service principals",
		Severity: finding.High,
		Rationale: "Child roles exist \"for the services above (e.g., a role that lets a Lambda function write logs)\". " +
			"A child role that an IAM principal, another account or a federated identity can assume is a way into " +
			"the node's permissions that the document does not describe.",
		Remediation: "Rewrite the trust to the service principal only: aws iam update-assume-role-policy --role-name ROLE " +
			"--policy-document '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"}," +
			"\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":\"ACCOUNT\"}}}]}'",
		Controls: []finding.Control{nistAC3, nistAC6, nistIA2, hipaaAccessControl, hipaaAuthn, nist171AC1, nist171AC5},
	}
	c.Run = func(env *Env) []finding.Finding {
		services := env.Contract.ChildRoles.TrustedServices
		if len(services) == 0 {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.Class.Children() {
			r := rc.Role
			if r.TrustPolicy == nil {
				out = append(out, c.finding(finding.Error, r.ARN, "", "the snapshot has no trust policy for the role", nil))
				continue
			}
			grants, bad := childTrustProblems(r, services)
			ev := map[string]any{"trust_principals": grants, "allowed_services": services}
			if len(bad) > 0 {
				ev["unexpected"] = bad
				out = append(out, c.finding(finding.Fail, r.ARN, "",
					"trust admits "+strings.Join(bad, ", ")+"; a child role should trust only its AWS service", ev))
				continue
			}
			out = append(out, c.finding(finding.Pass, r.ARN, "", "trusts "+strings.Join(grants, ", "), ev))
		}
		return out
	}
	return c
}

func childTrustSource() *Check {
	c := &Check{
		ID:       "PV-CHD-002",
		Title:    "Child role trust is scoped with aws:SourceAccount or aws:SourceArn",
		Severity: finding.Low,
		Rationale: "A service principal without aws:SourceAccount/aws:SourceArn can be made to assume the role on " +
			"behalf of a resource in another account (the cross-service confused deputy). AWS recommends the condition.",
		Remediation: "Add \"Condition\": {\"StringEquals\": {\"aws:SourceAccount\": \"ACCOUNT\"}} to the trust statement " +
			"(aws iam update-assume-role-policy).",
		Controls: []finding.Control{nistAC3, nistAC20, hipaaAccessControl, nist171AC20},
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Children() {
			r := rc.Role
			if r.TrustPolicy == nil {
				continue // PV-CHD-001 reports it
			}
			var open []string
			checked := 0
			for _, g := range trustGrants(r.TrustPolicy) {
				if g.Kind != "Service" || slices.ContainsFunc(env.Contract.ChildRoles.SourceConditionExempt, func(s string) bool { return strings.EqualFold(s, g.Value) }) {
					continue
				}
				checked++
				ctx := map[string][]string{
					"aws:SourceAccount": {outsiderAccount},
					"aws:SourceArn":     {"arn:aws:lambda:us-east-1:" + outsiderAccount + ":function:pvaudit-probe"},
				}
				res, err := policy.TrustAllows(r.TrustPolicy, g.Value, ctx)
				if err != nil {
					out = append(out, c.finding(finding.Error, r.ARN, g.Value, "trust policy cannot be evaluated: "+err.Error(), nil))
					continue
				}
				if !res.Evaluable() {
					out = append(out, c.unevaluable(r.ARN, g.Value, g.Value+" on behalf of another account", res))
					continue
				}
				if res.Decision == policy.Allow {
					open = append(open, g.Value)
				}
			}
			switch {
			case len(open) > 0:
				out = append(out, c.finding(finding.Warn, r.ARN, "",
					fmt.Sprintf("%s may assume the role on behalf of resources in another account (no aws:SourceAccount/aws:SourceArn)", strings.Join(open, ", ")),
					map[string]any{"services": open}))
			case checked > 0:
				out = append(out, c.finding(finding.Pass, r.ARN, "", "service trust is scoped to this account", nil))
			}
		}
		return out
	}
	return c
}

func processorAllowList() *Check {
	c := &Check{
		ID:       "PV-CHD-003",
		Title:    "Processor roles are limited to EFS read/write, logs and the LLM governor",
		Severity: finding.High,
		Rationale: "\"Containers running your code can: read and write files on shared storage (EFS); write logs; " +
			"call the LLM Governor. That's it.\" Processor roles run customer code; every other permission they hold " +
			"is one the document says they do not have. The allow-list is the rule.",
		Remediation: "Reduce the processor role's inline policy to elasticfilesystem:ClientMount/ClientWrite on the " +
			"node's file system, logs:CreateLogStream/PutLogEvents on the node's log groups and lambda:InvokeFunction on " +
			"the governor (aws iam put-role-policy), and detach other managed policies.",
		Controls: []finding.Control{nistAC6, nistCM7, hipaaAccessControl, nist171AC5, nist171CM7},
	}
	c.Run = func(env *Env) []finding.Finding {
		pr := env.Contract.ProcessorRoles
		if len(pr.NamePatterns) == 0 {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.Class.Children() {
			r := rc.Role
			if !pr.IsProcessor(r.Name) {
				continue
			}
			vars := env.Vars(r, rc.NodeID)
			probes := statementProbes(env.identityDocs(r), env.Contract.ServiceProbes)
			allowed, unknown, err := env.allowedOutside(r, probes, func(p probe) bool {
				_, ok := grantCovers(pr.Allowed, vars, p.Action, p.Resource)
				return ok
			})
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			for _, u := range unknown {
				out = append(out, c.unevaluable(r.ARN, u.probe.Pattern+" "+u.probe.ResourcePattern, u.probe.Action, u.result))
			}
			for _, x := range allowed {
				out = append(out, c.finding(finding.Fail, r.ARN, x.probe.Pattern+" "+x.probe.ResourcePattern,
					fmt.Sprintf("processor can %s on %s (statement %s), outside EFS, logs and the LLM governor", x.probe.Pattern, x.probe.ResourcePattern, x.probe.Source),
					map[string]any{"action": x.probe.Action, "resource": x.probe.Resource, "deciding_statements": matchedStrings(x.result)}))
			}
			if len(allowed) == 0 && len(unknown) == 0 {
				out = append(out, c.finding(finding.Pass, r.ARN, "", fmt.Sprintf("every grant is on the allow-list (%d requests evaluated)", len(probes)), nil))
			}
		}
		return out
	}
	return c
}

// bucketOf returns the bucket of an S3 ARN (arn:aws:s3:::bucket/key).
func bucketOf(arn string) string {
	if !strings.HasPrefix(arn, "arn:aws:s3:::") {
		return ""
	}
	b, _, _ := strings.Cut(strings.TrimPrefix(arn, "arn:aws:s3:::"), "/")
	return b
}

func childS3() *Check {
	c := &Check{
		ID:       "PV-CHD-004",
		Title:    "Child roles reach no S3 bucket other than the workflow bucket",
		Severity: finding.High,
		Rationale: "\"Processor roles cannot access S3 buckets other than the workflow bucket.\" Evaluated for every child " +
			"role: the S3 requests its statements allow, and reads and writes on a bucket that is not the workflow bucket.",
		Remediation: "Scope every S3 statement of the role to arn:aws:s3:::WORKFLOW_BUCKET and arn:aws:s3:::WORKFLOW_BUCKET/* " +
			"(aws iam put-role-policy).",
		Controls: []finding.Control{nistAC6, nistAC3, hipaaAccessControl, nist171AC5, nist171AC1},
	}
	c.Run = func(env *Env) []finding.Finding {
		if len(env.Contract.ProcessorRoles.NamePatterns) == 0 {
			return nil
		}
		wb := env.Contract.Parameters.WorkflowBucket
		var out []finding.Finding
		for _, rc := range env.Class.Children() {
			r := rc.Role
			other := "arn:aws:s3:::pvaudit-probe-other-bucket"
			probes := []probe{
				{Action: "s3:GetObject", Resource: other + "/data.bin", Pattern: "s3:GetObject", ResourcePattern: other + "/*", Source: "probe"},
				{Action: "s3:PutObject", Resource: other + "/data.bin", Pattern: "s3:PutObject", ResourcePattern: other + "/*", Source: "probe"},
				{Action: "s3:ListBucket", Resource: other, Pattern: "s3:ListBucket", ResourcePattern: other, Source: "probe"},
			}
			for _, p := range statementProbes(env.identityDocs(r), env.Contract.ServiceProbes) {
				if p.service() == "s3" {
					probes = append(probes, p)
				}
			}
			allowed, unknown, err := env.allowedOutside(r, probes, func(p probe) bool {
				b := bucketOf(p.Resource)
				if wb != "" {
					return b == wb
				}
				// Workflow bucket not configured: one named bucket is
				// accepted, wildcards and the probe bucket are not.
				return b != "" && !strings.Contains(b, "pvaudit-probe")
			})
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			for _, u := range unknown {
				out = append(out, c.unevaluable(r.ARN, u.probe.Action+" "+u.probe.ResourcePattern, u.probe.Action, u.result))
			}
			for _, x := range allowed {
				out = append(out, c.finding(finding.Fail, r.ARN, x.probe.Pattern+" "+x.probe.ResourcePattern,
					fmt.Sprintf("%s → %s on %s → S3 beyond the workflow bucket", r.Name, x.probe.Pattern, x.probe.ResourcePattern),
					map[string]any{"action": x.probe.Action, "resource": x.probe.Resource, "workflow_bucket": wb, "deciding_statements": matchedStrings(x.result)}))
			}
			if len(allowed) == 0 && len(unknown) == 0 {
				msg := "no S3 access beyond the workflow bucket"
				if wb == "" {
					msg += " (workflow bucket not configured; pass --workflow-bucket to pin it)"
				}
				out = append(out, c.finding(finding.Pass, r.ARN, "", msg, nil))
			}
		}
		return out
	}
	return c
}

func childOtherNodes() *Check {
	c := &Check{
		ID:       "PV-CHD-005",
		Title:    "Child roles cannot reach other compute nodes' resources",
		Severity: finding.High,
		Rationale: "\"Processor roles cannot access resources belonging to other compute nodes.\" Each statement of a " +
			"node's role is replayed against the other nodes' resources (the node identifier substituted) and decided " +
			"by the evaluator.",
		Remediation: "Put the node identifier in every resource ARN of the role's statements (e.g. " +
			"log-group:/pennsieve/NODE/*, function:pennsieve-NODE-*) instead of a wildcard (aws iam put-role-policy).",
		Controls: []finding.Control{nistAC6, nistAC3, nistSC7, hipaaAccessControl, nist171AC5, nist171SC1},
	}
	c.Run = func(env *Env) []finding.Finding {
		if len(env.NodeIDs) < 2 {
			return nil
		}
		var out []finding.Finding
		for _, rc := range env.Class.Children() {
			r := rc.Role
			if rc.NodeID == "" {
				continue
			}
			comp, err := env.Evaluator(r)
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			// One finding per statement probe of the role, naming every
			// other node it reaches: with N nodes, one per node pair would
			// bury the report in N² rows.
			fails := 0
			seen := map[string]bool{}
			for _, p := range statementProbes(env.identityDocs(r), env.Contract.ServiceProbes) {
				if p.ResourcePattern == "*" || !strings.HasPrefix(p.ResourcePattern, "arn:") {
					continue
				}
				key := p.Pattern + " " + p.ResourcePattern
				if seen[key] {
					continue
				}
				seen[key] = true
				var reached, unknown []string
				var example, unknownWhy string
				var deciding []string
				for _, other := range env.NodeIDs {
					if other == rc.NodeID {
						continue
					}
					res := strings.ReplaceAll(p.ResourcePattern, rc.NodeID, other)
					res = policyVarRE.ReplaceAllString(res, "pvaudit")
					res = strings.ReplaceAll(strings.ReplaceAll(res, "*", other), "?", "x")
					if !strings.Contains(res, other) {
						continue
					}
					dec := comp.Evaluate(&policy.Request{Principal: r.ARN, Action: p.Action, Resource: res, Context: p.Context})
					switch {
					case !dec.Evaluable():
						unknown = append(unknown, other)
						if unknownWhy == "" {
							unknownWhy = p.Action + " on " + res + ": " + strings.Join(dec.Unevaluable, "; ")
						}
					case dec.Decision == policy.Allow:
						if len(reached) == 0 {
							example, deciding = res, matchedStrings(dec)
						}
						reached = append(reached, other)
					}
				}
				if len(unknown) > 0 {
					fails++
					out = append(out, c.finding(finding.NotEvaluated, r.ARN, key+" (undecided)",
						fmt.Sprintf("cannot decide whether %s reaches %d other node(s) (%s): %s", r.Name, len(unknown), listSome(unknown, 5), unknownWhy),
						map[string]any{"node": rc.NodeID, "other_nodes": unknown}))
				}
				if len(reached) > 0 {
					fails++
					out = append(out, c.finding(finding.Fail, r.ARN, key,
						fmt.Sprintf("%s → %s on %s → reaches %s resources (statement %s writes %s)",
							r.Name, p.Action, shortARN(example), nodesPhrase(reached), p.Source, p.ResourcePattern),
						map[string]any{"node": rc.NodeID, "other_nodes": reached, "example_resource": example, "deciding_statements": deciding}))
				}
			}
			if fails == 0 {
				out = append(out, c.finding(finding.Pass, r.ARN, "", "no statement reaches another node's resources", map[string]any{"node": rc.NodeID}))
			}
		}
		return out
	}
	return c
}

// nodesPhrase names the nodes reached: "node X's" or "3 other nodes' (X, Y, Z)".
func nodesPhrase(nodes []string) string {
	if len(nodes) == 1 {
		return "node " + nodes[0] + "'s"
	}
	return fmt.Sprintf("%d other nodes' (%s)", len(nodes), listSome(nodes, 5))
}

// listSome joins the first n items and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
