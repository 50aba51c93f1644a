package main

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/reports"
)

type simulateOpts struct {
	policies  []string
	boundary  string
	scps      []string
	from      string
	role      string
	principal string
	actions   []string
	resources []string
	context   []string
	batch     string
	workers   int
	out       outputFlags
}

func (o *simulateOpts) validate(cmd *cobra.Command) error {
	if o.batch != "" {
		if len(o.policies) > 0 || o.boundary != "" || len(o.scps) > 0 || o.from != "" || o.role != "" ||
			o.principal != "" || len(o.actions) > 0 || len(o.resources) > 0 || len(o.context) > 0 {
			return usageErr("--batch takes policies and requests from its input; it cannot be combined with --policy, --boundary, --scp, --from, --role, --principal, --action, --resource or --context")
		}
		if cmd.Flags().Changed("output") && (len(o.out.specs) != 1 || o.out.specs[0] != "json") {
			return usageErr("--batch answers in JSON Lines on standard output; -o %s is not available", strings.Join(o.out.specs, " -o "))
		}
		if o.workers < 0 {
			return usageErr("--workers %d: want 0 (one per CPU) or more", o.workers)
		}
		return nil
	}
	if cmd.Flags().Changed("workers") {
		return usageErr("--workers goes with --batch")
	}
	if err := o.out.validate(); err != nil {
		return err
	}
	if (o.from == "") != (o.role == "") {
		return usageErr("--from and --role go together: --from SNAPSHOT --role NAME")
	}
	if o.from != "" && (len(o.policies) > 0 || o.boundary != "") {
		return usageErr("--from/--role take the identity policies and boundary from the snapshot; drop --policy and --boundary")
	}
	if o.from == "" && len(o.policies) == 0 {
		return usageErr("nothing to evaluate: give --policy FILE (repeatable), --from SNAPSHOT --role NAME, or --batch FILE")
	}
	if len(o.actions) == 0 {
		return usageErr("--action is required (repeatable), e.g. --action iam:CreateRole")
	}
	for _, a := range o.actions {
		if strings.TrimSpace(a) == "" {
			return usageErr("--action: empty action")
		}
	}
	return nil
}

// parseContextFlags turns key=value flags into a context; a repeated key
// adds a value.
func parseContextFlags(flags []string) (map[string][]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	ctx := map[string][]string{}
	for _, kv := range flags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErr("--context %q: want key=value", kv)
		}
		ctx[k] = append(ctx[k], v)
	}
	return ctx, nil
}

// inputs reads the policy files and the snapshot.
func (o *simulateOpts) inputs() (audit.SimulateInput, error) {
	in := audit.SimulateInput{Role: o.role, Principal: o.principal, Actions: o.actions, Resources: o.resources}
	var err error
	if in.Context, err = parseContextFlags(o.context); err != nil {
		return in, err
	}
	if o.from != "" {
		if in.Snapshot, err = inventory.ReadFile(o.from); err != nil {
			return in, usageErr("--from: %w", err)
		}
	}
	read := func(paths []string) ([]audit.PolicyFile, error) {
		out := make([]audit.PolicyFile, 0, len(paths))
		for _, p := range paths {
			data, err := fsutil.ReadFile(p, fsutil.Policy)
			if err != nil {
				return nil, usageErr("read policy: %w", err)
			}
			doc, err := policy.Parse(data)
			if err != nil {
				return nil, usageErr("%s: %w", p, err)
			}
			out = append(out, audit.PolicyFile{Path: p, Doc: doc})
		}
		return out, nil
	}
	if in.Policies, err = read(o.policies); err != nil {
		return in, err
	}
	if o.boundary != "" {
		b, err := read([]string{o.boundary})
		if err != nil {
			return in, err
		}
		in.Boundary = &b[0]
	}
	if in.SCPs, err = read(o.scps); err != nil {
		return in, err
	}
	return in, nil
}

func newSimulateCmd(a *app) *cobra.Command {
	o := &simulateOpts{}
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Decide IAM requests with pvaudit's local policy evaluator",
		Long: `simulate evaluates requests against IAM policies offline, the way AWS documents
its evaluation: an explicit Deny anywhere wins; otherwise the identity policies,
the permissions boundary, every SCP level and any session policy must each
allow. Every answer names the statements that decided it.

Policies come from files (--policy, --boundary, --scp; plain or URL-encoded
JSON) or from a snapshot (--from SNAPSHOT --role NAME takes the role's inline
and attached policies and its boundary). Each --action is evaluated against
each --resource (default "*"). --context key=value sets condition keys; repeat
a key to give it several values.

--batch FILE (or - for stdin) reads JSON Lines, one request per line:
  {"identity_policies":[{…}],"boundary":{…}|null,"scp_levels":[[{…}],…],
   "request":{"principal":"…","action":"…","resource":"…","context":{"k":["v"]}}}
("scps":[…] is one SCP level; a context value may be a string or a list) and
answers one JSON line per request, in order: {"decision":…,"matched":[…]}, or
{"error":"line N: …"} for a line it cannot use, and goes on. A line may hold
8 MiB; a longer one stops the batch (exit 2) after the answers before it.
Lines are decided on every CPU (--workers), answers keep their order, and
policy sets that repeat from line to line are parsed and compiled once
(a bounded cache keyed by their exact bytes; answers are the same without it).

A decision the engine cannot make faithfully (e.g. an unparsable condition
value) is reported as NotEvaluated with the reason, never guessed.

Exit codes: 0 when evaluation ran (whatever the decisions); 2 on bad input.`,
		Example: `  pvaudit simulate --policy inline.json --boundary boundary.json \
      --action iam:CreateRole --resource arn:aws:iam::111122223333:role/x \
      --context iam:PermissionsBoundary=arn:aws:iam::111122223333:policy/pennsieve-boundary-n1
  pvaudit simulate --from account.json --role Pennsieve-CrossAccount --action iam:DeleteRolePermissionsBoundary -o json
  pvaudit simulate --batch requests.jsonl > decisions.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(cmd); err != nil {
				return err
			}
			if o.batch != "" {
				var in io.Reader = cmd.InOrStdin()
				if o.batch != "-" {
					f, err := fsutil.Open(o.batch, fsutil.Batch)
					if err != nil {
						return usageErr("--batch: %w", err)
					}
					defer f.Close()
					in = f
				}
				if _, err := audit.SimulateBatchWith(cmd.Context(), o.batch, in, a.stdout, audit.BatchOptions{Workers: o.workers}); err != nil {
					return usageErr("%w", err)
				}
				return nil
			}
			in, err := o.inputs()
			if err != nil {
				return err
			}
			rep, err := audit.Simulate(a.run("simulate", nil, 0), in)
			if err != nil {
				return usageErr("%w", err)
			}
			return o.out.write(a, rep)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.policies, "policy", nil, "identity policy JSON `FILE` (repeatable; results name it by its base name)")
	f.StringVar(&o.boundary, "boundary", "", "permissions boundary policy JSON `FILE`")
	f.StringArrayVar(&o.scps, "scp", nil, "service control policy JSON `FILE` (repeatable; all form one SCP level)")
	f.StringVar(&o.from, "from", "", "snapshot `FILE` (a pvaudit snapshot, or the output of aws iam get-account-authorization-details); needs --role")
	f.StringVar(&o.role, "role", "", "role name in the --from snapshot whose policies to evaluate")
	f.StringVar(&o.principal, "principal", "", "ARN of the calling principal (default with --role: the role's ARN)")
	f.StringArrayVar(&o.actions, "action", nil, "action to evaluate, e.g. s3:GetObject (repeatable)")
	f.StringArrayVar(&o.resources, "resource", nil, `resource ARN (repeatable; default "*")`)
	f.StringArrayVar(&o.context, "context", nil, "condition key=value (repeatable; a repeated key adds a value)")
	f.StringVar(&o.batch, "batch", "", "JSON Lines `FILE` of requests (- for stdin); answers JSON Lines")
	f.IntVar(&o.workers, "workers", 0, "with --batch: lines decided in parallel (default: one per CPU)")
	o.out.register(f, reports.KindSimulate, "table")
	return cmd
}
