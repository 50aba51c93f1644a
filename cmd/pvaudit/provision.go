package main

import (
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/provision"
	"github.com/pvaudit/pvaudit/reports"
)

// provisionFlags are shared by provision plan/apply/destroy/render and
// account deregister. The AWS flags are those of every command, except that
// the external ID of --role-arn is --role-external-id here: --external-id is
// the ExternalId the cross-account role's trust demands.
type provisionFlags struct {
	fs          *pflag.FlagSet
	from        string
	aws         awsOpts
	contract    string
	config      string
	params      contract.Parameters
	roleID      string
	fileSystems []string
	accessPoint string
	llm         bool
	account     string
	out         outputFlags
	yes         bool
}

func (o *provisionFlags) register(fs *pflag.FlagSet, from, desired bool) {
	o.fs = fs
	if from {
		fs.StringVar(&o.from, "from", "", "plan against `FILE` (a pvaudit snapshot) instead of the live account; managed-policy tags are then unknown")
	}
	fs.StringVar(&o.aws.profile, "profile", "", "named AWS profile from ~/.aws/config")
	fs.StringVar(&o.aws.region, "region", "", "AWS region for API calls and the nodes' regional ARNs (EFS, logs, the LLM governor); default us-east-1")
	fs.StringVar(&o.aws.roleARN, "role-arn", "", "assume this (administrator) role before reading or changing the account")
	fs.StringVar(&o.aws.externalID, "role-external-id", "", "external ID to pass when assuming --role-arn")
	fs.StringVar(&o.aws.endpointURL, "endpoint-url", "", "send every AWS call to this endpoint (a test endpoint)")
	fs.StringVar(&o.contract, "contract", config.DefaultContract, "contract: built-in name or YAML file")
	fs.StringVar(&o.config, "config", "", "config file (default: ./"+config.DefaultFile+" when present)")
	if !desired {
		return
	}
	fs.StringVar(&o.params.ProvisionerAccountID, "provisioner-account", "", "the provider's account, trusted to assume the cross-account role")
	fs.StringVar(&o.params.Env, "env", "", "the {env} of Pennsieve-Compute-{env}-{id}")
	fs.StringVar(&o.params.ExternalID, "external-id", "", "the sts:ExternalId the cross-account role's trust demands")
	fs.StringSliceVar(&o.params.NodeIDs, "node", nil, "compute node identifier (repeatable, comma-separated)")
	fs.StringArrayVar(&o.fileSystems, "file-system", nil, "NODE=fs-… the node's EFS file system (repeatable); par: fs-… for the execution role's EFS statement")
	fs.StringVar(&o.accessPoint, "access-point", "", "par: the EFS access point (fsap-…) of the execution role's EFS statement")
	fs.StringVar(&o.roleID, "role-id", "", "the {id} of Pennsieve-Compute-{env}-{id} (default: the managed role's, else 8 random hex digits)")
	fs.StringVar(&o.params.WorkflowBucket, "workflow-bucket", "", "the workflow bucket the node boundaries let through")
	fs.BoolVar(&o.llm, "llm-governor", false, "let processor roles invoke their node's LLM governor")
	fs.StringVar(&o.params.LLMGovernorFunctionARN, "llm-governor-arn", "", "the LLM governor function (may use {account_id} and {node_id})")
	fs.StringVar(&o.params.PackageBucket, "package-bucket", "", "par: the agent package bucket (default pixell-agent-packages)")
}

func (o *provisionFlags) validate() error {
	if o.from != "" && (o.aws.profile != "" || o.aws.roleARN != "" || o.aws.endpointURL != "") {
		return usageErr("--from reads a file; it cannot be combined with --profile, --role-arn or --endpoint-url")
	}
	return o.aws.validate()
}

// inputs resolve the contract and the parameters.
func (o *provisionFlags) inputs() (*config.Resolved, audit.ProvisionInput, error) {
	opts := config.Options{ConfigPath: o.config, Params: o.params}
	if o.fs.Changed("contract") {
		opts.Contract = o.contract
	}
	cfg, err := config.Resolve(opts)
	if err != nil {
		return nil, audit.ProvisionInput{}, usageErr("%w", err)
	}
	byNode, single, err := provision.ParseFileSystems(o.fileSystems)
	if err != nil {
		return nil, audit.ProvisionInput{}, usageErr("%w", err)
	}
	nodes, err := provision.NodesFrom(cfg.Contract.Parameters.NodeIDs, byNode)
	if err != nil {
		return nil, audit.ProvisionInput{}, usageErr("%w", err)
	}
	in := audit.ProvisionInput{Params: provision.Params{Account: o.account, Region: o.aws.region, RoleID: o.roleID, Nodes: nodes,
		LLMGovernor: o.llm, EFSFileSystem: single, EFSAccessPoint: o.accessPoint}}
	return cfg, in, nil
}

func newProvisionCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "provision",
		Short: "Create exactly the documented roles and boundaries: plan, apply, destroy, render",
		Long: `provision is a minimal reference provisioner: the cross-account role, and per
compute node the permissions boundary and the ECS and Lambda processor roles
(--contract par: the PAR task and execution roles), hardened so that pvaudit's
own scan passes. It shows the plan first, tags what it creates
(pvaudit:managed-by=pvaudit-provision) and never changes or deletes anything
without those tags.

Exit codes: plan 0 nothing to do, 1 changes pending (or conflicts), 2 error or
incomplete input; apply/destroy 0 done, 1 resources left in place, 2 refused,
stopped or error.`,
		Example: `  pvaudit provision plan --env prod --provisioner-account 941377122013 --external-id X --node 7f3a9c21 --file-system 7f3a9c21=fs-07f3a9c21
  pvaudit provision apply --yes …the same flags…
  pvaudit provision destroy --node 7f3a9c21
  pvaudit provision render --format terraform --account 481516234201 …`,
	}
	cmd.AddCommand(newProvisionPlanCmd(a), newProvisionApplyCmd(a), newProvisionDestroyCmd(a), newProvisionRenderCmd(a))
	return cmd
}

func newProvisionPlanCmd(a *app) *cobra.Command {
	o := &provisionFlags{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would create, update or delete (read-only)",
		Long: `plan compares the desired state with the account (live and read-only, or
--from a snapshot) and shows per resource create / update / no-op / delete,
with a diff of each policy document in canonical form: cosmetic differences
(order, a string for a one-element list, the case of action names) never show.
Resources pvaudit does not manage show as "left alone", or as a conflict when
a desired resource needs their name.`,
		Example: `  pvaudit provision plan --env prod --provisioner-account 941377122013 --external-id pn-ext-4c1d9e7a52 --node 7f3a9c21 --file-system 7f3a9c21=fs-07f3a9c21 --llm-governor
  pvaudit provision plan --from account.json --contract par -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := firstErr(o.validate(), o.out.validate()); err != nil {
				return err
			}
			cfg, in, err := o.inputs()
			if err != nil {
				return err
			}
			if _, err := o.loadState(cmd, a, cfg, &in); err != nil {
				return err
			}
			rep, err := audit.ProvisionPlan(a.run("provision plan", cfg, finding.High), in)
			if err != nil {
				return usageErr("%w", err)
			}
			return o.out.finish(a, rep)
		},
	}
	o.register(cmd.Flags(), true, true)
	o.out.register(cmd.Flags(), reports.KindPlan, "table")
	return cmd
}

func newProvisionApplyCmd(a *app) *cobra.Command {
	o := &provisionFlags{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Execute the plan: create and update the documented resources",
		Long: `apply plans as plan does, shows the plan and asks for confirmation on a
terminal (--yes for automation; without --yes it refuses when standard input
is not a terminal), then makes the calls in dependency order: boundary
policies before the roles that use them, inline policies after their role.
A second apply is a no-op. A role or policy just created and not yet visible
is retried with bounded backoff. On a failure apply stops and reports exactly
which calls were done and which were not; running it again continues.
A plan with conflicts or incomplete input is not applied.`,
		Example: `  pvaudit provision apply --yes --env prod --provisioner-account 941377122013 --external-id pn-ext-4c1d9e7a52 --node 7f3a9c21 --file-system 7f3a9c21=fs-07f3a9c21`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := firstErr(o.validate(), o.out.validate()); err != nil {
				return err
			}
			cfg, in, err := o.inputs()
			if err != nil {
				return err
			}
			w, err := o.loadState(cmd, a, cfg, &in)
			if err != nil {
				return err
			}
			run := a.run("provision apply", cfg, finding.High)
			rep, err := audit.ProvisionPlan(run, in)
			if err != nil {
				return usageErr("%w", err)
			}
			return o.execute(cmd, a, run, in, rep, w)
		},
	}
	o.register(cmd.Flags(), false, true)
	cmd.Flags().BoolVar(&o.yes, "yes", false, "apply without asking for confirmation")
	o.out.register(cmd.Flags(), reports.KindPlan, "table")
	return cmd
}

func newProvisionDestroyCmd(a *app) *cobra.Command {
	o := &provisionFlags{}
	var node string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "destroy --node ID",
		Short: "Remove one compute node's managed resources",
		Long: `destroy removes the processor roles (inline policies deleted and managed
ones detached first) and the boundary policy that pvaudit created for one
node. Other nodes and the cross-account role stay as they are; a boundary
still used by roles pvaudit does not manage is kept and listed.`,
		Example: `  pvaudit provision destroy --node 7f3a9c21
  pvaudit provision destroy --node 7f3a9c21 --dry-run -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := firstErr(o.validate(), o.out.validate()); err != nil {
				return err
			}
			if node == "" {
				return usageErr("destroy needs --node ID")
			}
			cfg, in, err := o.inputs()
			if err != nil {
				return err
			}
			w, err := o.loadState(cmd, a, cfg, &in)
			if err != nil {
				return err
			}
			run := a.run("provision destroy", cfg, finding.High)
			rep, err := audit.ProvisionDestroy(run, in, node)
			if err != nil {
				return usageErr("%w", err)
			}
			if dryRun {
				rep.DryRun = true
				return o.out.finish(a, rep)
			}
			return o.execute(cmd, a, run, in, rep, w)
		},
	}
	o.register(cmd.Flags(), false, false)
	cmd.Flags().StringVar(&node, "node", "", "the compute node to remove")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only show what would be removed")
	cmd.Flags().BoolVar(&o.yes, "yes", false, "remove without asking for confirmation")
	o.out.register(cmd.Flags(), reports.KindPlan, "table")
	return cmd
}

func newProvisionRenderCmd(a *app) *cobra.Command {
	o := &provisionFlags{}
	var format, cfnFormat, file string
	cmd := &cobra.Command{
		Use:   "render --format terraform|cloudformation",
		Short: "Write the desired state as Terraform JSON or a CloudFormation template",
		Long: `render writes the same desired state as Terraform JSON (.tf.json: aws_iam_policy,
aws_iam_role with the boundary referenced, aws_iam_role_policy,
aws_iam_role_policy_attachment) or as a CloudFormation template (YAML or
JSON). Its policy documents are byte-for-byte the ones apply sends. The
resources are tagged pvaudit:managed-by=terraform|cloudformation, so that
provision apply never takes them over. No AWS call is made.

With --deployment-mode (or parameters.deployment_mode) it adds each node's
network and logging for that mode: secure — a dedicated VPC with a NAT
gateway, flow logs and a KMS key; compliant — a dedicated VPC without
internet or NAT routes, VPC endpoints for every service the node's roles
and boundary allow (endpoint policies limited to the account), flow logs,
a KMS key for logs and Step Functions, the file system's TLS-only policy;
basic — nothing (the default VPC). The PAR contract always adds PAR's
log group, metric filters, the four recommended alarms, its VPC with an
S3 gateway endpoint, load balancer and ECS service. pvaudit scan
--deployment-mode MODE checks the result.`,
		Example: `  pvaudit provision render --format terraform --account 481516234201 --env prod --role-id a3f1b20c --provisioner-account 941377122013 --external-id X --node 7f3a9c21 --file-system 7f3a9c21=fs-07f3a9c21 --file main.tf.json
  pvaudit provision render --format cloudformation --cfn-format json --contract par --account 481516234201`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.account == "" {
				return usageErr("render needs --account ID (no account is read)")
			}
			cfg, in, err := o.inputs()
			if err != nil {
				return err
			}
			out, err := audit.ProvisionRender(a.run("provision render", cfg, finding.High), in, format, cfnFormat)
			if err != nil {
				return usageErr("%w", err)
			}
			if file == "" {
				_, err = a.stdout.Write(out)
				return err
			}
			return fsutil.WriteFileAtomic(file, 0o644, func(w io.Writer) error { _, err := w.Write(out); return err })
		},
	}
	o.register(cmd.Flags(), false, true)
	cmd.Flags().StringVar(&o.account, "account", "", "the account ID the resources are for")
	cmd.Flags().StringVar(&format, "format", "terraform", "terraform or cloudformation")
	cmd.Flags().StringVar(&cfnFormat, "cfn-format", "yaml", "CloudFormation template format: yaml or json")
	cmd.Flags().StringVar(&o.params.DeploymentMode, "deployment-mode", "", "render the nodes' network and logging for this mode: basic, secure or compliant (default: parameters.deployment_mode; none: IAM only)")
	cmd.Flags().StringVar(&file, "file", "", "write the template to `FILE` (atomically) instead of standard output")
	return cmd
}
