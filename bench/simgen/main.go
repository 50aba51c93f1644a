// Command simgen writes `pvaudit simulate --batch` requests for the batch
// benchmark (bench/simulate.sh): JSON Lines, one request per line, each with
// its policy set (identity policies, a permissions boundary, two SCP levels).
//
//	go run ./bench/simgen -mode repeated -lines 200000 -sets 8 -o bench/out/sim-repeated.jsonl
//	go run ./bench/simgen -mode distinct -lines 20000 -o bench/out/sim-distinct.jsonl
//
// In -mode repeated every line takes one of -sets policy sets, written with
// the same bytes each time (what a batch asking many questions of a few roles
// looks like). In -mode distinct no two lines share a policy set: each set
// names its own resources, so nothing can be reused between lines.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "simgen:", err)
		os.Exit(2)
	}
}

// stmt is one IAM statement; fields in the order IAM documents show them.
type stmt struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Action    any                          `json:"Action,omitempty"`
	NotAction any                          `json:"NotAction,omitempty"`
	Resource  any                          `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

type doc struct {
	Version   string `json:"Version"`
	Statement []stmt `json:"Statement"`
}

type request struct {
	Principal string              `json:"principal"`
	Action    string              `json:"action"`
	Resource  string              `json:"resource"`
	Context   map[string][]string `json:"context,omitempty"`
}

type line struct {
	IdentityPolicies []doc    `json:"identity_policies"`
	Boundary         *doc     `json:"boundary"`
	SCPLevels        [][]doc  `json:"scp_levels"`
	Request          *request `json:"request,omitempty"`
}

const acct = "111122223333"

// crossAccount is the shape of the Pennsieve cross-account role's inline
// policy (the conformance corpus' pennsieve.yaml); tag makes its resource
// names unique to one set.
func crossAccount(tag string) doc {
	notBoundary := map[string]map[string]string{"StringNotLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/pennsieve-boundary-*"}}
	return doc{Version: "2012-10-17", Statement: []stmt{
		{Sid: "StepFunctions", Effect: "Allow", Action: "states:*", Resource: "*"},
		{Sid: "Lambda", Effect: "Allow", Action: "lambda:*", Resource: "arn:aws:lambda:*:*:function:pennsieve-" + tag + "*"},
		{Sid: "ECS", Effect: "Allow", Action: []string{"ecs:*", "ecr:GetAuthorizationToken", "ecr:BatchGetImage"}, Resource: "*"},
		{Sid: "EC2Network", Effect: "Allow", Action: []string{"ec2:Describe*", "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroup*", "ec2:CreateTags", "ec2:RunInstances"}, Resource: "*"},
		{Sid: "Logs", Effect: "Allow", Action: "logs:*", Resource: "*"},
		{Sid: "KMS", Effect: "Allow", Action: []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateKey", "kms:DescribeKey"}, Resource: "*"},
		{Sid: "Secrets", Effect: "Allow", Action: "secretsmanager:*", Resource: "arn:aws:secretsmanager:*:*:secret:pennsieve-" + tag + "*"},
		{Sid: "DynamoDB", Effect: "Allow", Action: "dynamodb:*", Resource: "arn:aws:dynamodb:*:*:table/pennsieve-" + tag + "*"},
		{Sid: "SSM", Effect: "Allow", Action: []string{"ssm:GetParameter*", "ssm:PutParameter"}, Resource: "arn:aws:ssm:*:*:parameter/pennsieve/" + tag + "*"},
		{Sid: "AutoScaling", Effect: "Allow", Action: "autoscaling:*", Resource: "*"},
		{Sid: "WorkflowBuckets", Effect: "Allow", Action: "s3:*", Resource: []string{"arn:aws:s3:::pennsieve-workflow-" + tag + "*", "arn:aws:s3:::pennsieve-workflow-" + tag + "*/*"}},
		{Sid: "ManageChildRoles", Effect: "Allow", Action: []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PassRole", "iam:TagRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"}, Resource: "arn:aws:iam::*:role/Pennsieve-" + tag + "*"},
		{Sid: "ReadIAM", Effect: "Allow", Action: []string{"iam:Get*", "iam:List*"}, Resource: "*"},
		{Sid: "DenyCreateRoleWithoutBoundary", Effect: "Deny", Action: "iam:CreateRole", Resource: "*", Condition: notBoundary},
		{Sid: "DenyChangeBoundary", Effect: "Deny", Action: "iam:PutRolePermissionsBoundary", Resource: "*", Condition: notBoundary},
		{Sid: "DenyRemoveBoundary", Effect: "Deny", Action: "iam:DeleteRolePermissionsBoundary", Resource: "*"},
		{Sid: "DenySelfModify", Effect: "Deny", NotAction: []string{"iam:Get*", "iam:List*"}, Resource: "arn:aws:iam::*:role/Pennsieve-CrossAccount*"},
		{Sid: "DenyUsersAndKeys", Effect: "Deny", Action: []string{"iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"}, Resource: "*"},
		{Sid: "DenyBoundaryPolicyEdits", Effect: "Deny", Action: []string{"iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"}, Resource: "arn:aws:iam::*:policy/pennsieve-boundary-*"},
		{Sid: "DenyOtherAccounts", Effect: "Deny", Action: "*", Resource: "*", Condition: map[string]map[string]string{"StringNotEquals": {"aws:ResourceAccount": acct}}},
		{Sid: "DenyOrgAndBilling", Effect: "Deny", Action: []string{"organizations:*", "account:*", "aws-portal:*", "billing:*"}, Resource: "*"},
	}}
}

// boundary is a node boundary: the services a child role may use, minus
// the provider's own roles.
func boundary(tag string) doc {
	return doc{Version: "2012-10-17", Statement: []stmt{
		{Sid: "Services", Effect: "Allow", Action: []string{"states:*", "lambda:*", "ecs:*", "ecr:*", "ec2:*", "logs:*", "kms:*", "secretsmanager:*", "dynamodb:*", "ssm:*", "autoscaling:*", "s3:*", "iam:*"}, Resource: "*"},
		{Sid: "NoProviderRoles", Effect: "Deny", Action: "iam:*", Resource: "arn:aws:iam::*:role/Pennsieve-Provider-" + tag + "*"},
		{Sid: "NoUnencryptedPuts", Effect: "Deny", Action: "s3:PutObject", Resource: "*", Condition: map[string]map[string]string{"Null": {"s3:x-amz-server-side-encryption": "true"}}},
	}}
}

func scpLevels(tag string) [][]doc {
	full := doc{Version: "2012-10-17", Statement: []stmt{{Sid: "FullAWSAccess", Effect: "Allow", Action: "*", Resource: "*"}}}
	ou := doc{Version: "2012-10-17", Statement: []stmt{
		{Sid: "Regions" + tag, Effect: "Deny", NotAction: []string{"iam:*", "organizations:*", "sts:*"}, Resource: "*", Condition: map[string]map[string]string{"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}},
		{Sid: "All", Effect: "Allow", Action: "*", Resource: "*"},
	}}
	return [][]doc{{full}, {ou}}
}

var actions = []string{
	"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePermissionsBoundary", "iam:GetRole", "iam:ListRoles",
	"iam:CreateUser", "iam:PassRole", "iam:PutRolePermissionsBoundary", "s3:GetObject", "s3:PutObject",
	"s3:ListBucket", "lambda:InvokeFunction", "lambda:CreateFunction", "states:StartExecution", "ecs:RunTask",
	"ec2:RunInstances", "ec2:DescribeInstances", "ec2:TerminateInstances", "logs:PutLogEvents", "kms:Decrypt",
	"kms:ScheduleKeyDeletion", "secretsmanager:GetSecretValue", "dynamodb:PutItem", "ssm:GetParameter",
	"rds:CreateDBInstance", "organizations:LeaveOrganization", "sts:AssumeRole", "autoscaling:UpdateAutoScalingGroup",
}

// resourceFor picks a resource the action may name; tag points it at the
// set's own resources (or a stranger's).
func resourceFor(r *rand.Rand, action, tag string) string {
	svc := action[:indexByte(action, ':')]
	own := r.Intn(4) != 0
	t := tag
	if !own {
		t = "other"
	}
	switch svc {
	case "iam":
		if r.Intn(5) == 0 {
			return "arn:aws:iam::" + acct + ":role/Pennsieve-CrossAccount"
		}
		return "arn:aws:iam::" + acct + ":role/Pennsieve-" + t + "-fn"
	case "s3":
		return "arn:aws:s3:::pennsieve-workflow-" + t + "/key/" + fmt.Sprint(r.Intn(1000))
	case "lambda":
		return "arn:aws:lambda:us-east-1:" + acct + ":function:pennsieve-" + t + "-fn"
	case "dynamodb":
		return "arn:aws:dynamodb:us-east-1:" + acct + ":table/pennsieve-" + t
	case "secretsmanager":
		return "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:pennsieve-" + t + "-x"
	case "ssm":
		return "arn:aws:ssm:us-east-1:" + acct + ":parameter/pennsieve/" + t + "/p"
	}
	return "*"
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return len(s)
}

func run(args []string) error {
	fs := flag.NewFlagSet("simgen", flag.ContinueOnError)
	mode := fs.String("mode", "repeated", "repeated (lines share -sets policy sets) or distinct (no two lines share a set)")
	lines := fs.Int("lines", 100000, "request lines")
	sets := fs.Int("sets", 8, "policy sets for -mode repeated")
	seed := fs.Int64("seed", 1, "random seed")
	out := fs.String("o", "", "output file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-o is required")
	}
	if *mode != "repeated" && *mode != "distinct" {
		return fmt.Errorf("-mode %q: want repeated or distinct", *mode)
	}
	if *sets < 1 || *lines < 1 {
		return errors.New("-sets and -lines must be positive")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewSource(*seed))
	// Repeated sets are marshalled once, so that every use has the same bytes.
	type set struct {
		tag  string
		json []byte
	}
	build := func(tag string) (set, error) {
		b := boundary(tag)
		l := line{IdentityPolicies: []doc{crossAccount(tag)}, Boundary: &b, SCPLevels: scpLevels(tag)}
		data, err := json.Marshal(l)
		return set{tag, data}, err
	}
	var fixed []set
	if *mode == "repeated" {
		for i := 0; i < *sets; i++ {
			s, err := build(fmt.Sprintf("n%d-", i))
			if err != nil {
				return err
			}
			fixed = append(fixed, s)
		}
	}
	for i := 0; i < *lines; i++ {
		var s set
		if fixed != nil {
			s = fixed[r.Intn(len(fixed))]
		} else if s, err = build(fmt.Sprintf("d%d-", i)); err != nil {
			return err
		}
		action := actions[r.Intn(len(actions))]
		req := request{
			Principal: "arn:aws:iam::" + acct + ":role/Pennsieve-CrossAccount",
			Action:    action,
			Resource:  resourceFor(r, action, s.tag),
			Context:   map[string][]string{"aws:RequestedRegion": {[]string{"us-east-1", "us-east-1", "eu-west-1"}[r.Intn(3)]}},
		}
		if r.Intn(8) != 0 {
			req.Context["aws:ResourceAccount"] = []string{acct}
		} else {
			req.Context["aws:ResourceAccount"] = []string{"444455556666"}
		}
		if action == "iam:CreateRole" || action == "iam:PutRolePermissionsBoundary" {
			if b := r.Intn(3); b == 0 {
				req.Context["iam:PermissionsBoundary"] = []string{"arn:aws:iam::" + acct + ":policy/pennsieve-boundary-" + s.tag}
			} else if b == 1 {
				req.Context["iam:PermissionsBoundary"] = []string{"arn:aws:iam::" + acct + ":policy/AdministratorAccess"}
			}
		}
		if action == "s3:PutObject" && r.Intn(2) == 0 {
			req.Context["s3:x-amz-server-side-encryption"] = []string{"aws:kms"}
		}
		rq, err := json.Marshal(req)
		if err != nil {
			return err
		}
		// The set's JSON is an object ending in "}"; the request goes last.
		w.Write(s.json[:len(s.json)-1])
		w.WriteString(`,"request":`)
		w.Write(rq)
		w.WriteString("}\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
