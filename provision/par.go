package provision

import (
	"fmt"

	"github.com/pvaudit/pvaudit/contract"
)

// The PAR document's names, verbatim.
const (
	parTaskRole           = "pixell-agent-runtime-task-role"
	parExecutionRole      = "pixell-agent-runtime-execution-role"
	parExecutionPolicyARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
)

// buildPAR returns the task and execution roles exactly as the PAR
// document states them: its trust, its S3 statements with the package
// bucket, AmazonECSTaskExecutionRolePolicy, and the EFS statement only when
// a file system and access point are given.
func buildPAR(c *contract.Contract, p Params) (*Desired, error) {
	if p.PackageBucket == "" {
		p.PackageBucket = c.Parameters.PackageBucket
	}
	if err := p.validatePAR(); err != nil {
		return nil, err
	}
	for _, r := range []struct {
		name string
		role contract.PARRole
	}{{parTaskRole, c.PAR.TaskRole}, {parExecutionRole, c.PAR.ExecutionRole}} {
		if !r.role.Matches(r.name) {
			return nil, fmt.Errorf("contract %q would not recognise the documented role %s", c.Name, r.name)
		}
	}
	trust, err := document(stmt{Effect: "Allow", Principal: map[string]any{"Service": "ecs-tasks.amazonaws.com"}, Action: "sts:AssumeRole"})
	if err != nil {
		return nil, err
	}
	b := "arn:aws:s3:::" + p.PackageBucket
	task, err := document(
		stmt{Sid: "AllowS3GetObject", Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{b + "/*"}},
		stmt{Sid: "AllowS3ListBucket", Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: []string{b},
			Condition: cond{"StringLike": {"s3:prefix": []string{"*"}}}},
	)
	if err != nil {
		return nil, err
	}
	d := &Desired{Contract: c.Name, Account: p.Account}
	d.Roles = append(d.Roles, Role{Name: parTaskRole, Path: "/", Component: CompPARTask, Trust: trust, MaxSessionDuration: 3600,
		Inline: []Inline{{Name: "S3PackageAccess", Doc: task}}, Tags: managedTags(p.manager(), CompPARTask, "")})
	exec := Role{Name: parExecutionRole, Path: "/", Component: CompPARExecution, Trust: trust, MaxSessionDuration: 3600,
		Attached: []string{parExecutionPolicyARN}, Tags: managedTags(p.manager(), CompPARExecution, "")}
	if p.EFSFileSystem != "" {
		prefix := "arn:aws:elasticfilesystem:" + p.region() + ":" + p.Account
		efs, err := document(stmt{Sid: "AllowEFSMount", Effect: "Allow",
			Action:    []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"},
			Resource:  prefix + ":file-system/" + p.EFSFileSystem,
			Condition: cond{"StringEquals": {"elasticfilesystem:AccessPointArn": prefix + ":access-point/" + p.EFSAccessPoint}}})
		if err != nil {
			return nil, err
		}
		exec.Inline = []Inline{{Name: "EFSAccess", Doc: efs}}
	}
	d.Roles = append(d.Roles, exec)
	return d, nil
}
