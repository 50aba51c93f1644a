package provision

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
)

func boundaryPolicy(c *contract.Contract, p Params, n Node) (Policy, error) {
	a := p.Account
	ns := nodeNamespace(n.ID)
	named := []string{
		"arn:aws:lambda:*:" + a + ":function:" + ns + "*",
		"arn:aws:states:*:" + a + ":stateMachine:" + ns + "*",
		"arn:aws:states:*:" + a + ":execution:" + ns + "*",
		"arn:aws:states:*:" + a + ":activity:" + ns + "*",
		"arn:aws:dynamodb:*:" + a + ":table/" + ns + "*",
		"arn:aws:secretsmanager:*:" + a + ":secret:" + ns + "*",
		"arn:aws:s3:::" + ns + "*",
	}
	if p.WorkflowBucket != "" {
		named = append(named, "arn:aws:s3:::"+p.WorkflowBucket, "arn:aws:s3:::"+p.WorkflowBucket+"/*")
	}
	if p.LLMGovernor {
		g, err := governorARN(c, p, n.ID)
		if err != nil {
			return Policy{}, err
		}
		if !contract.Glob(named[0], g) {
			named = append(named, g)
		}
	}
	var sts []stmt
	add := func(s stmt) {
		if acts, ok := s.Action.([]string); ok && len(acts) == 0 {
			return
		}
		sts = append(sts, s)
	}
	add(allow("AllowDocumentedServices", services(c, "ecs:*", "elasticfilesystem:*", "ec2:*", "kms:*", "autoscaling:*", "application-autoscaling:*"), "*"))
	add(allow("AllowNodeNamedResources", services(c, "lambda:*", "states:*", "dynamodb:*", "secretsmanager:*", "s3:*"), named))
	add(allow("AllowNodeLogs", services(c, "logs:*"), []string{
		"arn:aws:logs:*:" + a + ":log-group:/pennsieve/" + n.ID + "/*",
		"arn:aws:logs:*:" + a + ":log-group:/aws/lambda/" + ns + "*",
	}))
	add(allow("AllowNodeParameters", services(c, "ssm:*Parameter*"), "arn:aws:ssm:*:"+a+":parameter/pennsieve/"+n.ID+"/*"))
	add(allow("AllowPassNodeRoles", "iam:PassRole", "arn:aws:iam::"+a+":role/"+ns+"*").when("StringEquals", "iam:PassedToService", passedToServices(c)))
	add(allow("AllowReadOwnRoles", []string{"iam:GetRole", "iam:ListRoleTags"}, "arn:aws:iam::"+a+":role/"+ns+"*"))
	// "It does not allow IAM mutation actions."
	add(deny("DenyIAMMutation", []string{"iam:Create*", "iam:Delete*", "iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Update*", "iam:Add*",
		"iam:Remove*", "iam:Set*", "iam:Tag*", "iam:Untag*", "iam:Upload*", "iam:Enable*", "iam:Deactivate*", "iam:Reset*", "iam:Change*",
		"iam:Resync*"}, "*"))
	sts = append(sts, commonDenies(p)...)
	doc, err := document(sts...)
	if err != nil {
		return Policy{}, err
	}
	name := boundaryName(c, n.ID)
	return Policy{Name: name, Path: "/", ARN: "arn:aws:iam::" + a + ":policy/" + name, Component: CompBoundary, Node: n.ID,
		Doc: doc, Tags: managedTags(p.manager(), CompBoundary, n.ID)}, nil
}

// governorARN is the node's LLM governor function, its region made
// concrete.
func governorARN(c *contract.Contract, p Params, node string) (string, error) {
	tmpl := p.LLMGovernorARN
	if tmpl == "" {
		tmpl = c.Parameters.LLMGovernorFunctionARN
	}
	if tmpl == "" {
		tmpl = "arn:aws:lambda:*:{account_id}:function:pennsieve-{node_id}-llm-governor"
	}
	g, err := contract.Expand(tmpl, map[string]string{"account_id": p.Account, "node_id": node})
	if err != nil {
		return "", fmt.Errorf("LLM governor ARN: %w", err)
	}
	f := strings.SplitN(g, ":", 7)
	if len(f) != 7 || f[0] != "arn" || f[2] != "lambda" || f[5] != "function" {
		return "", paramErr("LLM governor %q is not a Lambda function ARN", g)
	}
	if f[3] == "*" {
		f[3] = p.region()
	}
	g = strings.Join(f, ":")
	if strings.ContainsAny(g, "*?") {
		return "", paramErr("LLM governor %q must name one function, not a pattern", g)
	}
	return g, nil
}

func processorRole(c *contract.Contract, p Params, n Node, kind, boundary string) (Role, error) {
	service := map[string]string{"ecs": "ecs-tasks.amazonaws.com", "lambda": "lambda.amazonaws.com"}[kind]
	st := stmt{Effect: "Allow", Principal: map[string]any{"Service": service}, Action: "sts:AssumeRole"}
	if !slices.Contains(c.ChildRoles.SourceConditionExempt, service) {
		st = st.when("StringEquals", "aws:SourceAccount", p.Account)
	}
	trust, err := document(st)
	if err != nil {
		return Role{}, err
	}
	r, a := p.region(), p.Account
	sts := []stmt{
		allow("EFSReadWrite", []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"},
			"arn:aws:elasticfilesystem:"+r+":"+a+":file-system/"+n.FileSystem),
		allow("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, "arn:aws:logs:"+r+":"+a+":log-group:/pennsieve/"+n.ID+"/*"),
	}
	if p.LLMGovernor {
		g, err := governorARN(c, p, n.ID)
		if err != nil {
			return Role{}, err
		}
		sts = append(sts, allow("LLMGovernor", "lambda:InvokeFunction", g))
	}
	doc, err := document(sts...)
	if err != nil {
		return Role{}, err
	}
	comp := map[string]string{"ecs": CompProcessorECS, "lambda": CompProcessorLambda}[kind]
	tags := managedTags(p.manager(), comp, n.ID)
	tags[TagComputeNode] = n.ID
	name := processorRoleName(n.ID, kind)
	if !c.ProcessorRoles.IsProcessor(name) && len(c.ProcessorRoles.NamePatterns) > 0 {
		return Role{}, fmt.Errorf("contract %q would not recognise %s as a processor role (%s)", c.Name, name, strings.Join(c.ProcessorRoles.NamePatterns, ", "))
	}
	return Role{Name: name, Path: "/", Component: comp, Node: n.ID, Trust: trust, MaxSessionDuration: 3600, Boundary: boundary,
		Inline: []Inline{{Name: "processor", Doc: doc}}, Tags: tags}, nil
}
