package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/rules"
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
		for _, rc := range env.Class.Of(classify.Processor) {
			r := rc.Role
			ans, err := env.ask(r, allowListQuestion(pr.Allowed, env.Vars(r, rc.NodeID)))
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			out = append(out, c.allowListFindings(r, ans, "processor "+r.Name, "EFS read/write, logs and the LLM governor")...)
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
			q := question{actions: []string{"s3:*"}}
			known := []string{wb}
			if wb == "" {
				// Not configured: the one bucket the role's statements name
				// is taken as the workflow bucket; more than one, or none,
				// and every bucket reached is outside.
				known = env.namedBuckets(r)
				if len(known) != 1 {
					known = nil
				}
			}
			for _, b := range known {
				q.partition = append(q.partition, "arn:aws:s3:::"+b, "arn:aws:s3:::"+b+"/*")
			}
			q.breaks = func(res string, _ *policy.Witness) bool {
				b := bucketOf(res)
				return res == "*" || !slices.Contains(known, b)
			}
			ans, err := env.ask(r, q)
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			pass := "no S3 access beyond the workflow bucket"
			if wb == "" {
				pass += " (workflow bucket not configured; pass --workflow-bucket to pin it)"
			}
			out = append(out, c.report(r, ans, nil, func(_ string, hs []hit) string {
				return fmt.Sprintf("%s → %s → S3 beyond the workflow bucket", r.Name, countPhrase(hs))
			}, pass)...)
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
		Variants: []rules.Variant{{Severity: finding.Medium, When: "the role is not a processor role (WARN)"}},
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
			others := env.otherNodes(r, rc.NodeID)
			var part []string
			for _, o := range others {
				part = append(part, "*"+o+"*")
			}
			q := question{actions: []string{"*"}, partition: part, breaks: func(res string, w *policy.Witness) bool {
				return env.nodeOf(res, w) != "" && env.nodeOf(res, w) != rc.NodeID
			}}
			ans, err := env.ask(r, q)
			if err != nil {
				out = append(out, c.evalError(r, err))
				continue
			}
			fs := c.report(r, ans, nil, func(_ string, hs []hit) string {
				var reached []string
				for _, h := range hs {
					if n := env.nodeOf(h.resource, h.witness); !slices.Contains(reached, n) {
						reached = append(reached, n)
					}
				}
				return fmt.Sprintf("%s → %s → reaches %s resources", r.Name, countPhrase(hs), nodesPhrase(reached))
			}, "no request reaches another node's resources")
			if rc.Kind != classify.Processor {
				// The document promises isolation for processor roles; for
				// the node's other roles a breach is worth a look.
				for i := range fs {
					if fs[i].Status == finding.Fail {
						fs[i].Status, fs[i].Severity = finding.Warn, finding.Medium
						fs[i].Message += " (the document promises isolation for processor roles; this is a " + string(rc.Kind) + " role)"
					}
				}
			}
			out = append(out, fs...)
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

// namedBuckets lists the concrete buckets a role's identity statements name.
func (e *Env) namedBuckets(r *inventory.Role) []string {
	var out []string
	for _, np := range e.identityDocs(r) {
		if np.Doc == nil {
			continue
		}
		for _, st := range np.Doc.Statements {
			for _, res := range st.Resource {
				if b := bucketOf(res); b != "" && !strings.ContainsAny(b, "*?$") && !slices.Contains(out, b) {
					out = append(out, b)
				}
			}
		}
	}
	return out
}

// otherNodes are the nodes a node's role is asked against: every other
// node its statements name, and one that they do not (the policies cannot
// tell the unnamed ones apart: one stands for all of them).
func (e *Env) otherNodes(r *inventory.Role, node string) []string {
	var text strings.Builder
	for _, np := range e.identityDocs(r) {
		if b, err := np.Doc.CanonicalJSON(); err == nil {
			text.Write(b)
		}
	}
	lower := strings.ToLower(text.String())
	var out []string
	unnamed := ""
	for _, o := range e.NodeIDs {
		switch {
		case o == node:
		case strings.Contains(lower, strings.ToLower(o)):
			out = append(out, o)
		case unnamed == "":
			unnamed = o
		}
	}
	if unnamed != "" {
		out = append(out, unnamed)
	}
	return out
}

// nodeOf names the compute node a resource belongs to: by the first node
// identifier in its ARN (names are prefixed with their node:
// pennsieve-NODE-…, /pennsieve/NODE/…), or by the node tag the caller's
// witness resource carries.
func (e *Env) nodeOf(res string, w *policy.Witness) string {
	lower := strings.ToLower(res)
	best, at := "", len(lower)+1
	for _, o := range e.NodeIDs {
		if i := strings.Index(lower, strings.ToLower(o)); i >= 0 && i < at {
			best, at = o, i
		}
	}
	if best != "" {
		return best
	}
	if w != nil {
		for _, k := range e.Contract.ChildRoles.TagKeys {
			if v, ok := chosenOK(w, "aws:ResourceTag/"+k); ok && slices.Contains(e.NodeIDs, v) {
				return v
			}
		}
	}
	return ""
}
