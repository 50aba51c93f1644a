package yamlstrict

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type params struct {
	Env     string   `yaml:"env,omitempty"`
	NodeIDs []string `yaml:"node_ids,omitempty"`
}

type config struct {
	Contract   string            `yaml:"contract,omitempty"`
	Parameters params            `yaml:"parameters,omitempty"`
	Suppress   string            `yaml:"suppress,omitempty"`
	Max        int               `yaml:"max,omitempty"`
	Strict     bool              `yaml:"strict,omitempty"`
	Labels     map[string]string `yaml:"labels,omitempty"`
	Rules      []rule            `yaml:"rules,omitempty"`
}

type rule struct {
	Check string `yaml:"check"`
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // the whole message, or a prefix of it
	}{
		{"unknown-key-suggestion", "contract: pennsieve\n\nparamters:\n  env: prod\n", `pvaudit.yaml:3:1: unknown key "paramters" (did you mean "parameters"?)`},
		{"unknown-nested", "parameters:\n  envv: prod\n", `pvaudit.yaml:2:3: unknown key "envv" in parameters (did you mean "env"?)`},
		{"unknown-in-list", "rules:\n  - check: a\n  - chek: b\n", `pvaudit.yaml:3:5: unknown key "chek" in rules[1] (did you mean "check"?)`},
		{"unknown-no-suggestion", "zzzzzzzz: 1\n", `pvaudit.yaml:1:1: unknown key "zzzzzzzz"`},
		{"case-suggestion", "Contract: x\n", `pvaudit.yaml:1:1: unknown key "Contract" (did you mean "contract"?)`},
		{"second-document", "contract: a\n---\ncontract: b\n", `pvaudit.yaml:2:1: a second YAML document starts here`},
		{"second-empty-document", "contract: a\n---\n# nothing\n", `pvaudit.yaml:2:1: a second YAML document starts here`},
		{"second-after-end-marker", "contract: a\n...\n---\ncontract: b\n", `pvaudit.yaml:3:1: a second YAML document starts here`},
		{"explicit-start-then-second", "---\ncontract: a\n--- \ncontract: b\n", `pvaudit.yaml:3:1: a second YAML document starts here`},
		{"duplicate-key", "contract: a\nsuppress: s\ncontract: b\n", `pvaudit.yaml:3:1: key "contract" given twice (first at line 1, column 1)`},
		{"duplicate-nested", "parameters:\n  env: a\n  env: b\n", `pvaudit.yaml:3:3: key "env" given twice in parameters`},
		{"duplicate-map-key", "labels:\n  a: x\n  a: y\n", `pvaudit.yaml:3:3: key "a" given twice in labels`},
		{"wrong-type-int", "max: lots\n", `pvaudit.yaml:1:6: "lots" is not a whole number for max`},
		{"wrong-type-bool", "strict: maybe\n", `pvaudit.yaml:1:9: "maybe" is not true or false for strict`},
		{"list-for-string", "contract: [a, b]\n", `pvaudit.yaml:1:11: expected a single value for contract, got a list`},
		{"scalar-for-struct", "parameters: prod\n", `pvaudit.yaml:1:13: expected a mapping (key: value lines) in parameters, got the value "prod"`},
		{"scalar-for-list", "parameters:\n  node_ids: abc\n", `pvaudit.yaml:2:13: expected a list in parameters.node_ids`},
		{"top-level-list", "- a\n", `pvaudit.yaml:1:1: expected a mapping`},
		{"syntax", "contract: a\n  b: c\n", `pvaudit.yaml:2: mapping values are not allowed`},
		{"tab-indent", "parameters:\n\tenv: a\n", `pvaudit.yaml:2: `},
		{"too-large", strings.Repeat("#", MaxBytes+1), `pvaudit.yaml: 4194305 bytes is over the 4194304-byte limit`},
		{"alias-bomb", "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", `pvaudit.yaml:1:1: unknown key "a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c config
			err := Decode([]byte(tc.in), "pvaudit.yaml", &c)
			var ye *Error
			if !errors.As(err, &ye) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to start with %q", err, tc.want)
			}
		})
	}
}

type bomb struct {
	A []string     `yaml:"a"`
	B [][]string   `yaml:"b"`
	C [][][]string `yaml:"c"`
	D [][][][]any  `yaml:"d"`
	E []any        `yaml:"e"`
	F []any        `yaml:"f"`
	G [][]any      `yaml:"g"`
}

func TestDecodeAliasBomb(t *testing.T) {
	t.Parallel()
	in := "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	var b bomb
	err := Decode([]byte(in), "bomb.yaml", &b)
	if err == nil {
		t.Fatal("an alias bomb decoded")
	}
	if !strings.Contains(err.Error(), "bomb.yaml:") {
		t.Errorf("err = %v, want one naming the file", err)
	}
}

func TestDecodeAccepts(t *testing.T) {
	t.Parallel()
	in := "# config\ncontract: par\nparameters:\n  env: prod\n  node_ids: [a, b]\nmax: 3\nstrict: true\nlabels: {x: y}\nrules:\n  - check: PV-1\n"
	var c config
	if err := Decode([]byte(in), "ok.yaml", &c); err != nil {
		t.Fatal(err)
	}
	if c.Contract != "par" || c.Parameters.Env != "prod" || len(c.Parameters.NodeIDs) != 2 || c.Max != 3 || !c.Strict || c.Labels["x"] != "y" || c.Rules[0].Check != "PV-1" {
		t.Errorf("decoded %+v", c)
	}
	for _, empty := range []string{"", "# only a comment\n", "---\n"} {
		var c config
		if err := Decode([]byte(empty), "e.yaml", &c); !errors.Is(err, ErrEmpty) {
			t.Errorf("Decode(%q) = %v, want ErrEmpty", empty, err)
		}
	}
	// One document with an explicit start marker is one document.
	if err := Decode([]byte("---\ncontract: a\n"), "one.yaml", &c); err != nil {
		t.Errorf("--- then one document: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	fields := yamlFields(typeOf[config]())
	for key, want := range map[string]string{"paramters": "parameters", "parameter": "parameters", "suppres": "suppress", "contarct": "contract", "x": "", "labells": "labels", "totally": ""} {
		if got := suggest(key, fields); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// FuzzDecode: Decode never panics, errors carry the file name, and what it
// accepts yaml.v3 decodes the same way.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("contract: par\nparameters:\n  env: prod\n  node_ids: [a, b]\nmax: 3\nstrict: true\nlabels: {x: y}\nrules:\n  - check: PV-1\n"))
	f.Add([]byte("contract: a\n---\ncontract: b\n"))
	f.Add([]byte("a: &a [x]\nrules: [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c config
		err := Decode(data, "f.yaml", &c)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error %q does not start with the file name", err)
			}
			return
		}
		var plain config
		if err := yaml.Unmarshal(data, &plain); err != nil {
			t.Fatalf("yaml.v3 refuses what Decode accepted: %v", err)
		}
		if !reflect.DeepEqual(c, plain) {
			t.Fatalf("Decode gives %+v, yaml.v3 %+v", c, plain)
		}
	})
}
