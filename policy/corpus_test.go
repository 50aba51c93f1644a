package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The conformance corpus lives in testdata/policy/cases/*.yaml at the
// repository root. Each file is {cases: [...]}; see corpusCase.

const corpusGlob = "../testdata/policy/cases/*.yaml"

type corpusFile struct {
	Cases []corpusCase `yaml:"cases"`
}

// corpusCase is one request against one policy set.
type corpusCase struct {
	Name string `yaml:"name"`
	// Doc cites the AWS documentation rule the case checks.
	Doc       string           `yaml:"doc"`
	Identity  []corpusPolicy   `yaml:"identity"`
	Boundary  *corpusPolicy    `yaml:"boundary"`
	SCPLevels [][]corpusPolicy `yaml:"scp_levels"`
	Session   []corpusPolicy   `yaml:"session"`
	// Trust, when set, evaluates a resource-based (trust) policy instead
	// of the identity layers.
	Trust   *corpusPolicy `yaml:"trust"`
	Request corpusRequest `yaml:"request"`
	// Want is Allow, ExplicitDeny, ImplicitDeny, Unevaluable or
	// CompileError.
	Want string `yaml:"want"`
	// Matched lists the deciding statements as "layer/policy[index]"
	// ("scp[level]/policy[index]" for SCPs), in result order.
	Matched []string `yaml:"matched"`
	// Missing is the layer lacking an allow for ImplicitDeny: "identity"
	// (the default), "boundary", "scp[N]", "session" or "resource".
	Missing string `yaml:"missing"`
	// Reason is a substring expected in the unevaluable reasons or the
	// compile error.
	Reason string `yaml:"reason"`
}

// corpusPolicy is a named document. Doc is the JSON text (a YAML string)
// or the document written as YAML; Stmt is a shortcut for a 2012-10-17
// document with those statement(s).
type corpusPolicy struct {
	Name string `yaml:"name"`
	Doc  any    `yaml:"doc"`
	Stmt any    `yaml:"stmt"`
}

type corpusRequest struct {
	Principal       string         `yaml:"principal"`
	Action          string         `yaml:"action"`
	Resource        string         `yaml:"resource"`
	Context         map[string]any `yaml:"context"`
	ResourceAccount string         `yaml:"resource_account"`
	// Now is Request.Now, RFC 3339.
	Now string `yaml:"now"`
}

// loadCorpus reads every case file, strictly.
func loadCorpus(t testing.TB) map[string][]corpusCase {
	t.Helper()
	files, err := filepath.Glob(corpusGlob)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no corpus files match %s", corpusGlob)
	}
	out := map[string][]corpusCase{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		var cf corpusFile
		if err := dec.Decode(&cf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = cf.Cases
	}
	return out
}

func (p corpusPolicy) document() ([]byte, error) {
	switch {
	case p.Doc != nil && p.Stmt != nil:
		return nil, fmt.Errorf("policy %q: both doc and stmt", p.Name)
	case p.Doc != nil:
		if s, ok := p.Doc.(string); ok {
			return []byte(s), nil
		}
		return json.Marshal(p.Doc)
	case p.Stmt != nil:
		return json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": p.Stmt})
	}
	return nil, fmt.Errorf("policy %q: no doc or stmt", p.Name)
}

func (p corpusPolicy) named(def string) (NamedPolicy, error) {
	data, err := p.document()
	if err != nil {
		return NamedPolicy{}, err
	}
	doc, err := Parse(data)
	if err != nil {
		return NamedPolicy{}, fmt.Errorf("policy %q: %w", p.Name, err)
	}
	name := p.Name
	if name == "" {
		name = def
	}
	return NamedPolicy{Name: name, Doc: doc}, nil
}

func (c *corpusCase) policySet() (PolicySet, error) {
	var set PolicySet
	for i, p := range c.Identity {
		np, err := p.named(fmt.Sprintf("id%d", i))
		if err != nil {
			return set, err
		}
		set.Identity = append(set.Identity, np)
	}
	if c.Boundary != nil {
		np, err := c.Boundary.named("boundary")
		if err != nil {
			return set, err
		}
		set.Boundary = &np
	}
	if c.SCPLevels != nil {
		set.SCPLevels = [][]NamedPolicy{}
	}
	for l, lvl := range c.SCPLevels {
		level := []NamedPolicy{}
		for i, p := range lvl {
			np, err := p.named(fmt.Sprintf("scp%d-%d", l, i))
			if err != nil {
				return set, err
			}
			level = append(level, np)
		}
		set.SCPLevels = append(set.SCPLevels, level)
	}
	for i, p := range c.Session {
		np, err := p.named(fmt.Sprintf("session%d", i))
		if err != nil {
			return set, err
		}
		set.Session = append(set.Session, np)
	}
	return set, nil
}

func (r corpusRequest) request() (*Request, error) {
	req := &Request{Principal: r.Principal, Action: r.Action, Resource: r.Resource, ResourceAccount: r.ResourceAccount}
	if r.Now != "" {
		t, err := time.Parse(time.RFC3339, r.Now)
		if err != nil {
			return nil, fmt.Errorf("request now: %w", err)
		}
		req.Now = t
	}
	if r.Context != nil {
		req.Context = map[string][]string{}
	}
	for k, v := range r.Context {
		switch x := v.(type) {
		case []any:
			vals := []string{}
			for _, e := range x {
				vals = append(vals, fmt.Sprint(e))
			}
			req.Context[k] = vals
		case nil:
			req.Context[k] = []string{}
		default:
			req.Context[k] = []string{fmt.Sprint(x)}
		}
	}
	return req, nil
}

// refOf renders a matched statement the way the corpus writes it.
func refOf(m MatchedStatement) string {
	if m.Layer == LayerSCP {
		return fmt.Sprintf("scp[%d]/%s[%d]", m.Level, m.Policy, m.Index)
	}
	return fmt.Sprintf("%s/%s[%d]", m.Layer, m.Policy, m.Index)
}

func missingOf(r Result) string {
	if r.MissingLayer == LayerSCP {
		return fmt.Sprintf("scp[%d]", r.MissingLevel)
	}
	return string(r.MissingLayer)
}

// evaluateCase runs a case and returns its result, or the compile error.
func evaluateCase(c *corpusCase) (Result, error) {
	req, err := c.Request.request()
	if err != nil {
		return Result{}, err
	}
	if c.Trust != nil {
		np, err := c.Trust.named("trust")
		if err != nil {
			return Result{}, err
		}
		ct, err := CompileTrust(np.Name, np.Doc)
		if err != nil {
			return Result{}, err
		}
		return ct.Evaluate(req), nil
	}
	set, err := c.policySet()
	if err != nil {
		return Result{}, err
	}
	comp, err := Compile(set)
	if err != nil {
		return Result{}, err
	}
	return comp.Evaluate(req), nil
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	corpus := loadCorpus(t)
	files := make([]string, 0, len(corpus))
	for f := range corpus {
		files = append(files, f)
	}
	sort.Strings(files)
	total := 0
	seen := map[string]bool{}
	for _, file := range files {
		for _, c := range corpus[file] {
			c := c
			total++
			id := file + "/" + c.Name
			if seen[id] {
				t.Errorf("duplicate case name %q", id)
			}
			seen[id] = true
			t.Run(id, func(t *testing.T) {
				t.Parallel()
				checkCase(t, &c)
			})
		}
	}
	if total < 200 {
		t.Errorf("corpus has %d cases, want at least 200", total)
	}
}

func checkCase(t *testing.T, c *corpusCase) {
	t.Helper()
	res, err := evaluateCase(c)
	if c.Want == "CompileError" {
		if err == nil {
			t.Fatalf("got result %+v, want a compile error", res)
		}
		if !strings.Contains(err.Error(), c.Reason) {
			t.Fatalf("got error %q, want it to contain %q", err, c.Reason)
		}
		return
	}
	if err != nil {
		t.Fatalf("got error %v, want %s", err, c.Want)
	}
	if c.Want == "Unevaluable" {
		if res.Evaluable() {
			t.Fatalf("got evaluable %s %v, want Unevaluable", res.Decision, res.Matched)
		}
		if !strings.Contains(strings.Join(res.Unevaluable, "\n"), c.Reason) {
			t.Fatalf("got reasons %q, want one containing %q", res.Unevaluable, c.Reason)
		}
		return
	}
	if !res.Evaluable() {
		t.Fatalf("got Unevaluable %q, want %s", res.Unevaluable, c.Want)
	}
	want, err := ParseDecision(c.Want)
	if err != nil {
		t.Fatalf("case: %v", err)
	}
	if res.Decision != want {
		t.Fatalf("got %s (matched %v, missing %q), want %s", res.Decision, refs(res.Matched), missingOf(res), want)
	}
	switch want {
	case ImplicitDeny:
		wantMissing := c.Missing
		if wantMissing == "" {
			wantMissing = "identity"
		}
		if got := missingOf(res); got != wantMissing {
			t.Errorf("got missing layer %q, want %q", got, wantMissing)
		}
		if len(res.Matched) != 0 {
			t.Errorf("got matched %v for ImplicitDeny, want none", refs(res.Matched))
		}
	default:
		if got := refs(res.Matched); !equalStrings(got, c.Matched) {
			t.Errorf("got matched %q, want %q", got, c.Matched)
		}
		for _, m := range res.Matched {
			if (m.Effect == EffectDeny) != (want == ExplicitDeny) {
				t.Errorf("matched %s has effect %s for decision %s", m, m.Effect, want)
			}
		}
	}
}

func refs(ms []MatchedStatement) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, refOf(m))
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
