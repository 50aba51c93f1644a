package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/strictjson"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/reports"
)

// PolicyFile is a policy document read from a file.
type PolicyFile struct {
	Path string
	Doc  *policy.Document
}

func (p PolicyFile) named() policy.NamedPolicy {
	return policy.NamedPolicy{Name: filepath.Base(p.Path), Doc: p.Doc}
}

// SimulateInput is what `pvaudit simulate` decides.
type SimulateInput struct {
	// Snapshot and Role take a role's inline and attached policies and its
	// boundary from a snapshot (both or neither).
	Snapshot *inventory.Snapshot
	Role     string
	// Policies, Boundary and SCPs are policy files (all SCPs form one level).
	Policies []PolicyFile
	Boundary *PolicyFile
	SCPs     []PolicyFile
	// Principal is the caller (default with Role: the role's ARN).
	Principal string
	// Each action is tried on each resource, with Context.
	Actions, Resources []string
	Context            map[string][]string
}

// Simulate decides requests with pvaudit's evaluator.
func Simulate(r *Run, in SimulateInput) (*reports.SimulateReport, error) {
	var set policy.PolicySet
	principal := in.Principal
	if in.Snapshot != nil {
		x := in.Snapshot.Role(in.Role)
		if x == nil {
			return nil, fmt.Errorf("--role %q: no such role in the snapshot", in.Role)
		}
		var missing string
		var err error
		set, missing, err = in.Snapshot.RolePolicySet(x)
		if err != nil {
			return nil, fmt.Errorf("%w (its permissions cannot be decided)", err)
		}
		if missing != "" {
			return nil, fmt.Errorf("role %s: permissions boundary %s is not in the snapshot (its permissions cannot be decided)", in.Role, missing)
		}
		if principal == "" {
			principal = x.ARN
		}
	}
	for _, p := range in.Policies {
		set.Identity = append(set.Identity, p.named())
	}
	if in.Boundary != nil {
		b := in.Boundary.named()
		set.Boundary = &b
	}
	if len(in.SCPs) > 0 {
		var level []policy.NamedPolicy
		for _, p := range in.SCPs {
			level = append(level, p.named())
		}
		set.SCPLevels = [][]policy.NamedPolicy{level}
	}
	comp, err := policy.Compile(set)
	if err != nil {
		return nil, err
	}
	resources := in.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	rep := &reports.SimulateReport{Header: r.header(reports.KindSimulate, nil), Principal: principal, Context: in.Context}
	for _, action := range in.Actions {
		for _, resource := range resources {
			d := reports.NewDecision(comp.Evaluate(&policy.Request{Principal: principal, Action: action, Resource: resource, Context: in.Context}))
			d.Action, d.Resource = action, resource
			rep.Results = append(rep.Results, d)
		}
	}
	return rep, nil
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
func evalBatchLine(line []byte) (reports.Decision, error) {
	// Strict first: a key given twice (an Effect Deny then Allow) is
	// refused, not decided by whichever encoding/json keeps.
	if _, err := strictjson.Parse(line, strictjson.Options{}); err != nil {
		return reports.Decision{}, fmt.Errorf("%w: %v", errBatchLine, err)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var bl batchLine
	if err := dec.Decode(&bl); err != nil {
		return reports.Decision{}, fmt.Errorf("%w: %v", errBatchLine, err)
	}
	if dec.More() {
		return reports.Decision{}, fmt.Errorf("%w: more than one JSON value on the line", errBatchLine)
	}
	if bl.Request == nil || bl.Request.Action == "" {
		return reports.Decision{}, fmt.Errorf("%w: request.action is required", errBatchLine)
	}
	if bl.SCPLevels != nil && bl.SCPs != nil {
		return reports.Decision{}, fmt.Errorf("%w: give scp_levels or scps, not both", errBatchLine)
	}
	var set policy.PolicySet
	for i, raw := range bl.IdentityPolicies {
		np, err := parseDoc(raw, fmt.Sprintf("identity_policies[%d]", i))
		if err != nil {
			return reports.Decision{}, err
		}
		set.Identity = append(set.Identity, np)
	}
	if b := bytes.TrimSpace(bl.Boundary); len(b) > 0 && !bytes.Equal(b, []byte("null")) {
		np, err := parseDoc(b, "boundary")
		if err != nil {
			return reports.Decision{}, err
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
				return reports.Decision{}, err
			}
			level = append(level, np)
		}
		set.SCPLevels = append(set.SCPLevels, level)
	}
	for i, raw := range bl.SessionPolicies {
		np, err := parseDoc(raw, fmt.Sprintf("session_policies[%d]", i))
		if err != nil {
			return reports.Decision{}, err
		}
		set.Session = append(set.Session, np)
	}
	comp, err := policy.Compile(set)
	if err != nil {
		return reports.Decision{}, err
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
	return reports.NewDecision(comp.Evaluate(req)), nil
}

// SimulateBatch answers a JSON Lines stream (name is its file, for errors) line by line, in order: a
// decision per request, or {"error": …} for a line it cannot use (and it
// goes on). It stops when ctx is done.
func SimulateBatch(ctx context.Context, name string, in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			w.Flush()
			return err
		}
		line, readErr := readLine(r, fsutil.MaxBatchLine)
		if errors.Is(readErr, errLineTooLong) {
			w.Flush()
			return fmt.Errorf("%s: line %d is over the %s limit; the batch cannot go on past it", name, n, fsutil.HumanSize(fsutil.MaxBatchLine))
		}
		if len(bytes.TrimSpace(line)) > 0 {
			res, err := evalBatchLine(line)
			var v any = res
			if err != nil {
				v = struct {
					Error string `json:"error"`
				}{fmt.Sprintf("line %d: %v", n, err)}
			}
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			w.Flush()
			return fmt.Errorf("%s: read line %d: %w", name, n, readErr)
		}
	}
	return w.Flush()
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most limit bytes (the newline included).
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > limit {
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}
