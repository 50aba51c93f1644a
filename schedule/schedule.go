// Package schedule renders the infrastructure of a scheduled pvaudit run
// on AWS: an EventBridge Scheduler schedule that starts an ECS Fargate task
// which exports an evidence bundle with a read-only role and copies it to
// an S3 bucket, with its log group; as CloudFormation or Terraform.
package schedule

import (
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strings"
	"text/template"

	"github.com/pvaudit/pvaudit/inventory/live"
)

//go:embed templates/*.tmpl
var templates embed.FS

// ReadActions are the IAM actions pvaudit calls, all read-only: the live
// collector (inventory/live, with its runtime section: network, logs,
// alarms, compute), the CloudTrail lookup (trail) and the AWS probe engine
// (probes). A test checks them against the calls the loopback endpoint
// sees. Sorted; a fresh slice each call.
func ReadActions() []string {
	acts := append([]string{
		"cloudtrail:LookupEvents",
		"iam:GetAccountAuthorizationDetails",
		"iam:ListAccessKeys",
		"iam:ListRoles",
		"iam:SimulatePrincipalPolicy",
		"sts:GetCallerIdentity",
	}, live.NetworkReadActions()...)
	sort.Strings(acts)
	return acts
}

// Formats are the formats Render writes.
func Formats() []string { return []string{"cloudformation", "terraform"} }

// Options choose what the scheduled task does besides the export.
type Options struct {
	// Drift also compares every run with an approved, signed baseline kept
	// in the evidence bucket (under baselines/): a container copies it and
	// its public key into the task before pvaudit runs evidence export
	// --baseline … --baseline-verify-key …, and the task role may read
	// baselines/* of that bucket (s3:GetObject, nothing else).
	Drift bool
}

// Render writes the scheduled task's infrastructure in format.
func Render(format string, opt Options) ([]byte, error) {
	name := map[string]string{"cloudformation": "cloudformation.yaml.tmpl", "cfn": "cloudformation.yaml.tmpl", "terraform": "terraform.tf.tmpl", "tf": "terraform.tf.tmpl"}[strings.ToLower(format)]
	if name == "" {
		return nil, fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats(), " or "))
	}
	t, err := template.New(name).Funcs(template.FuncMap{"join": strings.Join}).ParseFS(templates, "templates/"+name)
	if err != nil {
		return nil, err
	}
	acts := ReadActions()
	sort.Strings(acts)
	var b bytes.Buffer
	if err := t.Execute(&b, map[string]any{"Actions": acts, "Drift": opt.Drift}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
