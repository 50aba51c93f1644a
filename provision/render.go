package provision

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Manager values of rendered templates: resources created by Terraform or
// CloudFormation are theirs, and pvaudit provision leaves them alone.
const (
	ManagerTerraform      = "terraform"
	ManagerCloudFormation = "cloudformation"
)

// RenderTerraform writes the desired state as Terraform JSON (a .tf.json
// file): aws_iam_policy for the boundaries, aws_iam_role with the boundary
// referenced, aws_iam_role_policy for inline policies and
// aws_iam_role_policy_attachment for managed ones. Every policy string is
// byte-for-byte the document apply sends.
func RenderTerraform(d *Desired) ([]byte, error) {
	res := map[string]map[string]any{}
	put := func(typ, name string, v any) {
		if res[typ] == nil {
			res[typ] = map[string]any{}
		}
		res[typ][name] = v
	}
	ref := map[string]string{}
	for _, p := range d.Policies {
		id := tfName(p.Name)
		ref[p.ARN] = "${aws_iam_policy." + id + ".arn}"
		put("aws_iam_policy", id, map[string]any{"name": p.Name, "path": p.Path, "policy": p.Doc.JSON, "tags": p.Tags})
	}
	for _, r := range d.Roles {
		id := tfName(r.Name)
		role := map[string]any{"name": r.Name, "path": r.Path, "assume_role_policy": r.Trust.JSON,
			"max_session_duration": r.MaxSessionDuration, "tags": r.Tags}
		if r.Boundary != "" {
			b := r.Boundary
			if v, ok := ref[b]; ok {
				b = v
			}
			role["permissions_boundary"] = b
		}
		put("aws_iam_role", id, role)
		for _, in := range r.Inline {
			put("aws_iam_role_policy", id+"__"+tfName(in.Name), map[string]any{"name": in.Name, "role": "${aws_iam_role." + id + ".name}", "policy": in.Doc.JSON})
		}
		for _, a := range r.Attached {
			put("aws_iam_role_policy_attachment", id+"__"+tfName(a[strings.LastIndex(a, "/")+1:]), map[string]any{"role": "${aws_iam_role." + id + ".name}", "policy_arn": a})
		}
	}
	net := d.netResources(ManagerTerraform)
	for _, r := range net.res {
		if r.cfnOnly {
			continue
		}
		if _, taken := res[r.tfType][r.tfName]; taken {
			return nil, fmt.Errorf("render terraform: two resources %s.%s", r.tfType, r.tfName)
		}
		put(r.tfType, r.tfName, tfValue(r.tf))
	}
	doc := map[string]any{
		"//":        renderComment(d),
		"terraform": map[string]any{"required_providers": map[string]any{"aws": map[string]any{"source": "hashicorp/aws"}}},
		"resource":  res,
	}
	if len(net.inputs) > 0 {
		vars := map[string]any{}
		for _, in := range net.inputs {
			vars[in.tf] = map[string]any{"type": "string", "description": in.description}
		}
		doc["variable"] = vars
	}
	if len(net.outputs) > 0 {
		outs := map[string]any{}
		for _, o := range net.outputs {
			if o.cfnOnly {
				continue
			}
			outs[tfName(o.name)] = map[string]any{"description": o.description, "value": tfValue(o.value)}
		}
		doc["output"] = outs
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("render terraform: %w", err)
	}
	return b.Bytes(), nil
}

// tfName makes a Terraform resource name of an IAM name.
func tfName(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	if out == "" || ('0' <= out[0] && out[0] <= '9') {
		out = "r_" + out
	}
	return out
}

// cfnName makes a CloudFormation logical ID of an IAM name.
func cfnName(s string) string {
	var b strings.Builder
	up := true
	for _, c := range s {
		switch {
		case ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9'):
			if up && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			b.WriteRune(c)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

type cfnTemplate struct {
	Version     string                 `json:"AWSTemplateFormatVersion" yaml:"AWSTemplateFormatVersion"`
	Description string                 `json:"Description" yaml:"Description"`
	Parameters  map[string]any         `json:"Parameters,omitempty" yaml:"Parameters,omitempty"`
	Resources   map[string]cfnResource `json:"Resources" yaml:"Resources"`
	Outputs     map[string]any         `json:"Outputs,omitempty" yaml:"Outputs,omitempty"`
}

type cfnResource struct {
	Type       string   `json:"Type" yaml:"Type"`
	DependsOn  []string `json:"DependsOn,omitempty" yaml:"DependsOn,omitempty"`
	Properties any      `json:"Properties" yaml:"Properties"`
}

// renderComment heads both templates: what they hold and what they do not.
func renderComment(d *Desired) string {
	out := fmt.Sprintf("pvaudit provision render: contract %s, account %s. The policy documents are byte-for-byte what pvaudit provision apply sends.", d.Contract, d.Account)
	switch nw := d.Network; {
	case nw == nil:
		out += " Network: not rendered (no deployment mode declared: give --deployment-mode basic|secure|compliant or parameters.deployment_mode)."
	case nw.Mode != "":
		out += " Network and logging: deployment mode " + nw.Mode + "."
	default:
		out += " Network and logging: PAR's runtime."
	}
	if d.Network != nil {
		for _, n := range d.Network.Notes {
			out += " " + strings.ToUpper(n[:1]) + n[1:] + "."
		}
	}
	return out
}

type cfnPolicy struct {
	ManagedPolicyName string `json:"ManagedPolicyName" yaml:"ManagedPolicyName"`
	Path              string `json:"Path" yaml:"Path"`
	PolicyDocument    string `json:"PolicyDocument" yaml:"PolicyDocument"`
}

type cfnInline struct {
	PolicyName     string `json:"PolicyName" yaml:"PolicyName"`
	PolicyDocument string `json:"PolicyDocument" yaml:"PolicyDocument"`
}

type cfnTag struct {
	Key   string `json:"Key" yaml:"Key"`
	Value string `json:"Value" yaml:"Value"`
}

type cfnRole struct {
	RoleName                 string      `json:"RoleName" yaml:"RoleName"`
	Path                     string      `json:"Path" yaml:"Path"`
	AssumeRolePolicyDocument string      `json:"AssumeRolePolicyDocument" yaml:"AssumeRolePolicyDocument"`
	MaxSessionDuration       int         `json:"MaxSessionDuration" yaml:"MaxSessionDuration"`
	PermissionsBoundary      any         `json:"PermissionsBoundary,omitempty" yaml:"PermissionsBoundary,omitempty"`
	Policies                 []cfnInline `json:"Policies,omitempty" yaml:"Policies,omitempty"`
	ManagedPolicyArns        []string    `json:"ManagedPolicyArns,omitempty" yaml:"ManagedPolicyArns,omitempty"`
	Tags                     []cfnTag    `json:"Tags" yaml:"Tags"`
}

// RenderCloudFormation writes the desired state as a CloudFormation
// template, format "json" or "yaml": AWS::IAM::ManagedPolicy for the
// boundaries, AWS::IAM::Role with Ref to its boundary and its inline and
// managed policies. Each policy document is written as one line of JSON
// (a flow mapping in YAML), byte-for-byte the document apply sends.
func RenderCloudFormation(d *Desired, format string) ([]byte, error) {
	var docs []string
	slot := func(json string) string {
		docs = append(docs, json)
		return fmt.Sprintf("PVAUDITDOC%04d", len(docs)-1)
	}
	t := cfnTemplate{Version: "2010-09-09", Resources: map[string]cfnResource{}, Description: renderComment(d)}
	ids := map[string]string{}
	for _, p := range d.Policies {
		id := cfnName(p.Name)
		ids[p.ARN] = id
		t.Resources[id] = cfnResource{Type: "AWS::IAM::ManagedPolicy", Properties: cfnPolicy{ManagedPolicyName: p.Name, Path: p.Path, PolicyDocument: slot(p.Doc.JSON)}}
	}
	for _, r := range d.Roles {
		role := cfnRole{RoleName: r.Name, Path: r.Path, AssumeRolePolicyDocument: slot(r.Trust.JSON), MaxSessionDuration: r.MaxSessionDuration,
			ManagedPolicyArns: r.Attached, Tags: []cfnTag{}}
		if r.Boundary != "" {
			if id, ok := ids[r.Boundary]; ok {
				role.PermissionsBoundary = map[string]string{"Ref": id}
			} else {
				role.PermissionsBoundary = r.Boundary
			}
		}
		for _, in := range r.Inline {
			role.Policies = append(role.Policies, cfnInline{PolicyName: in.Name, PolicyDocument: slot(in.Doc.JSON)})
		}
		for _, k := range sortedKeys(r.Tags) {
			role.Tags = append(role.Tags, cfnTag{Key: k, Value: r.Tags[k]})
		}
		t.Resources[cfnName(r.Name)] = cfnResource{Type: "AWS::IAM::Role", Properties: role}
	}
	net := d.netResources(ManagerCloudFormation)
	for _, r := range net.res {
		if r.tfOnly {
			continue
		}
		if _, taken := t.Resources[r.cfnID]; taken {
			return nil, fmt.Errorf("render cloudformation: two resources %s", r.cfnID)
		}
		t.Resources[r.cfnID] = cfnResource{Type: r.cfnType, DependsOn: r.cfnDependsOn, Properties: cfnValue(r.cfn)}
	}
	if len(net.inputs) > 0 {
		t.Parameters = map[string]any{}
		for _, in := range net.inputs {
			t.Parameters[in.cfn] = map[string]any{"Type": "String", "Description": in.description}
		}
	}
	if len(net.outputs) > 0 {
		t.Outputs = map[string]any{}
		for _, o := range net.outputs {
			t.Outputs[o.name] = map[string]any{"Description": o.description, "Value": cfnValue(o.value)}
		}
	}
	var out []byte
	quote := `"`
	switch format {
	case "json":
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(t); err != nil {
			return nil, fmt.Errorf("render cloudformation: %w", err)
		}
		out = b.Bytes()
	case "yaml":
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(t); err != nil {
			return nil, fmt.Errorf("render cloudformation: %w", err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("render cloudformation: %w", err)
		}
		out, quote = b.Bytes(), ""
	default:
		return nil, fmt.Errorf("cloudformation format %q: want json or yaml", format)
	}
	for i, doc := range docs {
		token := []byte(quote + fmt.Sprintf("PVAUDITDOC%04d", i) + quote)
		if bytes.Count(out, token) != 1 {
			return nil, fmt.Errorf("render cloudformation: document %d placed %d times", i, bytes.Count(out, token))
		}
		out = bytes.Replace(out, token, []byte(doc), 1)
	}
	return out, nil
}
