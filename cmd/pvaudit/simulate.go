package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// simulateSchema versions the JSON output of `pvaudit simulate -o json`.
const simulateSchema = "pvaudit.simulate/v1"

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
	output    string

	outputSet bool
	ctx       map[string][]string
}

func (o *simulateOpts) validate() error {
	switch o.output {
	case "table", "json":
	default:
		return usageErr("-o: unknown output format %q (want table, json)", o.output)
	}
	if o.batch != "" {
		if len(o.policies) > 0 || o.boundary != "" || len(o.scps) > 0 || o.from != "" || o.role != "" ||
			o.principal != "" || len(o.actions) > 0 || len(o.resources) > 0 || len(o.context) > 0 {
			return usageErr("--batch takes policies and requests from its input; it cannot be combined with --policy, --boundary, --scp, --from, --role, --principal, --action, --resource or --context")
		}
		if o.outputSet && o.output != "json" {
			return usageErr("--batch answers in JSON Lines; -o %s is not available", o.output)
		}
		return nil
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
	if len(o.resources) == 0 {
		o.resources = []string{"*"}
	}
	ctx, err := parseContextFlags(o.context)
	if err != nil {
		return err
	}
	o.ctx = ctx
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
{"error":"…"} for a line it cannot use, and goes on.

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
			o.outputSet = cmd.Flags().Changed("output")
			if err := o.validate(); err != nil {
				return err
			}
			if o.batch != "" {
				return runSimulateBatch(o.batch, cmd.InOrStdin(), a.stdout)
			}
			return runSimulate(o, a)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.policies, "policy", nil, "identity policy JSON file (repeatable; results name it by its base name)")
	f.StringVar(&o.boundary, "boundary", "", "permissions boundary policy JSON file")
	f.StringArrayVar(&o.scps, "scp", nil, "service control policy JSON file (repeatable; all form one SCP level)")
	f.StringVar(&o.from, "from", "", "snapshot file (pvaudit snapshot or `aws iam get-account-authorization-details` output); needs --role")
	f.StringVar(&o.role, "role", "", "role name in the --from snapshot whose policies to evaluate")
	f.StringVar(&o.principal, "principal", "", "ARN of the calling principal (default with --role: the role's ARN)")
	f.StringArrayVar(&o.actions, "action", nil, "action to evaluate, e.g. s3:GetObject (repeatable)")
	f.StringArrayVar(&o.resources, "resource", nil, `resource ARN (repeatable; default "*")`)
	f.StringArrayVar(&o.context, "context", nil, "condition key=value (repeatable; a repeated key adds a value)")
	f.StringVar(&o.batch, "batch", "", "JSON Lines file of requests (- for stdin); answers JSON Lines")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	return cmd
}

// readPolicyFile reads and parses one policy document.
func readPolicyFile(path string) (*policy.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErr("read policy: %w", err)
	}
	doc, err := policy.Parse(data)
	if err != nil {
		return nil, usageErr("%s: %w", path, err)
	}
	return doc, nil
}

// roleSet builds a role's policy set from a snapshot: inline policies,
// default versions of attached managed policies, and the boundary's. A
// policy the snapshot lacks, the boundary included, is a usage error: the
// role's permissions cannot be decided.
func roleSet(snap *inventory.Snapshot, name string) (policy.PolicySet, string, error) {
	r := snap.Role(name)
	if r == nil {
		return policy.PolicySet{}, "", usageErr("--role %q: no such role in the snapshot", name)
	}
	set, missing, err := snap.RolePolicySet(r)
	if err != nil {
		return set, "", usageErr("%w (its permissions cannot be decided)", err)
	}
	if missing != "" {
		return set, "", usageErr("role %s: permissions boundary %s is not in the snapshot (its permissions cannot be decided)", name, missing)
	}
	return set, r.ARN, nil
}

// simResult is one decision as simulate reports it.
type simResult struct {
	Principal    string                    `json:"principal,omitempty"`
	Action       string                    `json:"action,omitempty"`
	Resource     string                    `json:"resource,omitempty"`
	Decision     string                    `json:"decision"`
	Matched      []policy.MatchedStatement `json:"matched"`
	MissingLayer policy.Layer              `json:"missing_layer,omitempty"`
	MissingLevel *int                      `json:"missing_level,omitempty"`
	Unevaluable  []string                  `json:"unevaluable,omitempty"`
}

// notEvaluated is the decision shown when the engine could not decide.
const notEvaluated = "NotEvaluated"

func toSimResult(r policy.Result) simResult {
	s := simResult{Decision: r.Decision.String(), Matched: r.Matched, Unevaluable: r.Unevaluable}
	if s.Matched == nil {
		s.Matched = []policy.MatchedStatement{}
	}
	if !r.Evaluable() {
		s.Decision = notEvaluated
		return s
	}
	if r.Decision == policy.ImplicitDeny {
		s.MissingLayer = r.MissingLayer
		if r.MissingLayer == policy.LayerSCP {
			lvl := r.MissingLevel
			s.MissingLevel = &lvl
		}
	}
	return s
}

func runSimulate(o *simulateOpts, a *app) error {
	var set policy.PolicySet
	principal := o.principal
	if o.from != "" {
		snap, err := inventory.ReadFile(o.from)
		if err != nil {
			return usageErr("--from: %w", err)
		}
		var roleARN string
		set, roleARN, err = roleSet(snap, o.role)
		if err != nil {
			return err
		}
		if principal == "" {
			principal = roleARN
		}
	}
	for _, p := range o.policies {
		doc, err := readPolicyFile(p)
		if err != nil {
			return err
		}
		set.Identity = append(set.Identity, policy.NamedPolicy{Name: filepath.Base(p), Doc: doc})
	}
	if o.boundary != "" {
		doc, err := readPolicyFile(o.boundary)
		if err != nil {
			return err
		}
		set.Boundary = &policy.NamedPolicy{Name: filepath.Base(o.boundary), Doc: doc}
	}
	if len(o.scps) > 0 {
		var level []policy.NamedPolicy
		for _, p := range o.scps {
			doc, err := readPolicyFile(p)
			if err != nil {
				return err
			}
			level = append(level, policy.NamedPolicy{Name: filepath.Base(p), Doc: doc})
		}
		set.SCPLevels = [][]policy.NamedPolicy{level}
	}
	comp, err := policy.Compile(set)
	if err != nil {
		return usageErr("%w", err)
	}
	var results []simResult
	for _, action := range o.actions {
		for _, resource := range o.resources {
			res := toSimResult(comp.Evaluate(&policy.Request{Principal: principal, Action: action, Resource: resource, Context: o.ctx}))
			res.Action, res.Resource = action, resource
			results = append(results, res)
		}
	}
	if o.output == "json" {
		out := struct {
			Schema    string              `json:"schema"`
			Principal string              `json:"principal,omitempty"`
			Context   map[string][]string `json:"context,omitempty"`
			Results   []simResult         `json:"results"`
		}{Schema: simulateSchema, Principal: principal, Context: o.ctx, Results: results}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return writeSimulateTable(a.stdout, results)
}

func writeSimulateTable(w io.Writer, results []simResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tRESOURCE\tDECISION\tDECIDED BY")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Action, r.Resource, r.Decision, decidedBy(r))
	}
	return tw.Flush()
}

// decidedBy explains a result in one line.
func decidedBy(r simResult) string {
	switch {
	case r.Decision == notEvaluated:
		if len(r.Unevaluable) > 0 {
			return "cannot decide: " + r.Unevaluable[0]
		}
		return "cannot decide"
	case len(r.Matched) > 0:
		parts := make([]string, 0, len(r.Matched))
		for _, m := range r.Matched {
			s := string(m.Layer)
			if m.Layer == policy.LayerSCP {
				s += fmt.Sprintf("[%d]", m.Level)
			}
			s += fmt.Sprintf("/%s[%d]", m.Policy, m.Index)
			if m.Sid != "" {
				s += fmt.Sprintf(" %q", m.Sid)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", ")
	case r.MissingLayer == policy.LayerSCP && r.MissingLevel != nil:
		return fmt.Sprintf("no Allow in SCP level %d", *r.MissingLevel)
	case r.MissingLayer != "":
		return fmt.Sprintf("no Allow in the %s policies", r.MissingLayer)
	}
	return ""
}

// batchLine is one JSON Lines request.
type batchLine struct {
	IdentityPolicies []json.RawMessage   `json:"identity_policies"`
	Boundary         json.RawMessage     `json:"boundary"`
	SCPLevels        [][]json.RawMessage `json:"scp_levels"`
	SCPs             []json.RawMessage   `json:"scps"`
	SessionPolicies  []json.RawMessage   `json:"session_policies"`
	Request          *batchRequest       `json:"request"`
}

type batchRequest struct {
	Principal string                       `json:"principal"`
	Action    string                       `json:"action"`
	Resource  string                       `json:"resource"`
	Context   map[string]policy.StringList `json:"context"`
}

// errBatchLine marks a line that cannot be evaluated.
var errBatchLine = errors.New("bad request line")

// parseDoc parses a policy given as a JSON object or as a JSON string
// holding the (possibly URL-encoded) document.
func parseDoc(raw json.RawMessage, name string) (policy.NamedPolicy, error) {
	data := bytes.TrimSpace(raw)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return policy.NamedPolicy{}, fmt.Errorf("%s: %w", name, err)
		}
		data = []byte(s)
	}
	doc, err := policy.Parse(data)
	if err != nil {
		return policy.NamedPolicy{}, fmt.Errorf("%s: %w", name, err)
	}
	return policy.NamedPolicy{Name: name, Doc: doc}, nil
}

// evalBatchLine decides one line.
func evalBatchLine(line []byte) (simResult, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var bl batchLine
	if err := dec.Decode(&bl); err != nil {
		return simResult{}, fmt.Errorf("%w: %v", errBatchLine, err)
	}
	if dec.More() {
		return simResult{}, fmt.Errorf("%w: more than one JSON value on the line", errBatchLine)
	}
	if bl.Request == nil || bl.Request.Action == "" {
		return simResult{}, fmt.Errorf("%w: request.action is required", errBatchLine)
	}
	if bl.SCPLevels != nil && bl.SCPs != nil {
		return simResult{}, fmt.Errorf("%w: give scp_levels or scps, not both", errBatchLine)
	}
	var set policy.PolicySet
	for i, raw := range bl.IdentityPolicies {
		np, err := parseDoc(raw, fmt.Sprintf("identity_policies[%d]", i))
		if err != nil {
			return simResult{}, err
		}
		set.Identity = append(set.Identity, np)
	}
	if b := bytes.TrimSpace(bl.Boundary); len(b) > 0 && !bytes.Equal(b, []byte("null")) {
		np, err := parseDoc(b, "boundary")
		if err != nil {
			return simResult{}, err
		}
		set.Boundary = &np
	}
	levels := bl.SCPLevels
	if bl.SCPs != nil {
		levels = [][]json.RawMessage{bl.SCPs}
	}
	for l, lvl := range levels {
		level := []policy.NamedPolicy{}
		for i, raw := range lvl {
			np, err := parseDoc(raw, fmt.Sprintf("scp_levels[%d][%d]", l, i))
			if err != nil {
				return simResult{}, err
			}
			level = append(level, np)
		}
		set.SCPLevels = append(set.SCPLevels, level)
	}
	for i, raw := range bl.SessionPolicies {
		np, err := parseDoc(raw, fmt.Sprintf("session_policies[%d]", i))
		if err != nil {
			return simResult{}, err
		}
		set.Session = append(set.Session, np)
	}
	comp, err := policy.Compile(set)
	if err != nil {
		return simResult{}, err
	}
	req := &policy.Request{Principal: bl.Request.Principal, Action: bl.Request.Action, Resource: bl.Request.Resource}
	if req.Resource == "" {
		req.Resource = "*"
	}
	if len(bl.Request.Context) > 0 {
		req.Context = make(map[string][]string, len(bl.Request.Context))
		for k, v := range bl.Request.Context {
			req.Context[k] = []string(v)
		}
	}
	return toSimResult(comp.Evaluate(req)), nil
}

// runSimulateBatch answers a JSON Lines stream line by line.
func runSimulateBatch(path string, stdin io.Reader, stdout io.Writer) error {
	in := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return usageErr("--batch: %w", err)
		}
		defer f.Close()
		in = f
	}
	r := bufio.NewReader(in)
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	for n := 1; ; n++ {
		line, readErr := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			res, err := evalBatchLine(line)
			var out any = res
			if err != nil {
				out = struct {
					Error string `json:"error"`
				}{fmt.Sprintf("line %d: %v", n, err)}
			}
			if err := enc.Encode(out); err != nil {
				return err
			}
		}
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			w.Flush()
			return usageErr("--batch: read line %d: %w", n, readErr)
		}
	}
	return w.Flush()
}
