package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/schedule"
)

func newScheduleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "schedule",
		Short:   "Infrastructure for scheduled runs (see docs/scheduling.md)",
		Example: "  pvaudit schedule render --format cloudformation > pvaudit-schedule.yaml",
	}
	var format string
	var opt schedule.Options
	render := &cobra.Command{
		Use:   "render",
		Short: "Write the IaC of a scheduled evidence export on ECS Fargate",
		Long: `render writes, as CloudFormation or Terraform, an EventBridge Scheduler schedule
that runs an ECS Fargate task: pvaudit evidence export --output-dir /out with a
read-only task role (exactly the IAM actions pvaudit calls: ` + strings.Join(schedule.ReadActions(), ", ") + `),
then copies the bundles to a versioned, object-locked S3 bucket; and its log
group. Parameters: image, schedule, framework, provisioner account, subnets and
security group.

With --drift every run also compares the account with an approved baseline kept
in the bucket under baselines/ (baselines/approved.json, signed; its public key
baselines/baseline.pub): the bundle then holds drift.json, drift joins the
findings and the verdict, and a baseline that is missing, edited or not signed by
that key makes the run exit 2. The task role may then also read baselines/*.`,
		Example: `  pvaudit schedule render --format cloudformation > pvaudit-schedule.yaml
  pvaudit schedule render --format terraform > pvaudit-schedule.tf
  pvaudit schedule render --format cloudformation --drift > pvaudit-schedule.yaml`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b, err := schedule.Render(format, opt)
			if err != nil {
				return usageErr("--format: %w", err)
			}
			_, err = a.stdout.Write(b)
			return err
		},
	}
	render.Flags().StringVar(&format, "format", "cloudformation", "cloudformation or terraform")
	render.Flags().BoolVar(&opt.Drift, "drift", false, "also report drift against the signed baseline in the bucket's baselines/ (evidence export --baseline)")
	cmd.AddCommand(render)
	return cmd
}
