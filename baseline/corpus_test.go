package baseline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pvaudit/pvaudit/policy"
)

// The evaluator's case corpus (testdata/policy/cases), read here only to
// prove that the canonical form drift compares keeps every decision: each
// case is decided with its documents as written and with their canonical
// forms, and the two decisions must agree.
type canonCase struct {
	Name      string          `yaml:"name"`
	Identity  []canonPolicy   `yaml:"identity"`
	Boundary  *canonPolicy    `yaml:"boundary"`
	SCPLevels [][]canonPolicy `yaml:"scp_levels"`
	Session   []canonPolicy   `yaml:"session"`
	Trust     *canonPolicy    `yaml:"trust"`
	Request   struct {
		Principal       string         `yaml:"principal"`
		Action          string         `yaml:"action"`
		Resource        string         `yaml:"resource"`
		Context         map[string]any `yaml:"context"`
		ResourceAccount string         `yaml:"resource_account"`
	} `yaml:"request"`
}

type canonPolicy struct {
	Name string `yaml:"name"`
	Doc  any    `yaml:"doc"`
	Stmt any    `yaml:"stmt"`
}

func (p canonPolicy) parse(canonical bool) (*policy.Document, error) {
	var data []byte
	var err error
	switch {
	case p.Doc != nil:
		if s, ok := p.Doc.(string); ok {
			data = []byte(s)
		} else {
			data, err = json.Marshal(p.Doc)
		}
	default:
		data, err = json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": p.Stmt})
	}
	if err != nil {
		return nil, err
	}
	d, err := policy.Parse(data)
	if err != nil || !canonical {
		return d, err
	}
	c, err := CanonicalDocument(d)
	if err != nil {
		return nil, err
	}
	return policy.Parse(c)
}

func (cc canonCase) decide(canonical bool) (string, error) {
	ctx := map[string][]string{}
	for k, v := range cc.Request.Context {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				ctx[k] = append(ctx[k], fmt.Sprint(e))
			}
		default:
			ctx[k] = []string{fmt.Sprint(x)}
		}
	}
	req := &policy.Request{Principal: cc.Request.Principal, Action: cc.Request.Action, Resource: cc.Request.Resource, Context: ctx, ResourceAccount: cc.Request.ResourceAccount}
	named := func(ps []canonPolicy) ([]policy.NamedPolicy, error) {
		var out []policy.NamedPolicy
		for i, p := range ps {
			d, err := p.parse(canonical)
			if err != nil {
				return nil, err
			}
			out = append(out, policy.NamedPolicy{Name: fmt.Sprint(i), Doc: d})
		}
		return out, nil
	}
	var res policy.Result
	if cc.Trust != nil {
		d, err := cc.Trust.parse(canonical)
		if err != nil {
			return "", err
		}
		t, err := policy.CompileTrust("trust", d)
		if err != nil {
			return "", err
		}
		res = t.Evaluate(req)
	} else {
		var set policy.PolicySet
		var err error
		if set.Identity, err = named(cc.Identity); err != nil {
			return "", err
		}
		if set.Session, err = named(cc.Session); err != nil {
			return "", err
		}
		for _, l := range cc.SCPLevels {
			ns, err := named(l)
			if err != nil {
				return "", err
			}
			set.SCPLevels = append(set.SCPLevels, ns)
		}
		if cc.Boundary != nil {
			d, err := cc.Boundary.parse(canonical)
			if err != nil {
				return "", err
			}
			set.Boundary = &policy.NamedPolicy{Name: "b", Doc: d}
		}
		c, err := policy.Compile(set)
		if err != nil {
			return "", err
		}
		res = c.Evaluate(req)
	}
	if !res.Evaluable() {
		return "Unevaluable", nil
	}
	return res.Decision.String(), nil
}

func TestCanonicalKeepsEveryCorpusDecision(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "policy", "cases", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files (%v)", err)
	}
	decided := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf struct {
			Cases []canonCase `yaml:"cases"`
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&cf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, cc := range cf.Cases {
			orig, err := cc.decide(false)
			if err != nil {
				continue // a case about a document the parser or compiler refuses
			}
			canon, err := cc.decide(true)
			if err != nil {
				t.Errorf("%s / %s: the canonical form does not compile: %v", filepath.Base(f), cc.Name, err)
				continue
			}
			if orig != canon {
				t.Errorf("%s / %s: %s as written, %s in canonical form", filepath.Base(f), cc.Name, orig, canon)
			}
			decided++
		}
	}
	t.Logf("%d corpus cases decided both ways", decided)
	if decided < 100 {
		t.Errorf("only %d corpus cases decided: the test proves little", decided)
	}
}
