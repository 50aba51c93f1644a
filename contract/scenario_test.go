package contract

import (
	"strings"
	"testing"
)

func TestScenarioValidate(t *testing.T) {
	t.Parallel()
	base := func() Scenario {
		return Scenario{ID: "x", Section: "S", Text: "T", Principal: "cross-account",
			Actions: []string{"iam:CreateRole"}, Resources: []string{"arn:aws:iam::${account}:role/${name}"},
			Vars: map[string]string{"name": "r-${node}"}, Expect: ExpectDenied}
	}
	tests := []struct {
		name    string
		mutate  func(*Scenario)
		wantErr string
	}{
		{"valid", func(*Scenario) {}, ""},
		{"no id", func(s *Scenario) { s.ID = "" }, "without id"},
		{"no text", func(s *Scenario) { s.Text = "" }, "no text"},
		{"no section", func(s *Scenario) { s.Section = "" }, "no section"},
		{"bad expect", func(s *Scenario) { s.Expect = "blocked" }, `expect "blocked"`},
		{"no expect", func(s *Scenario) { s.Expect = "" }, "no expect"},
		{"when on denied", func(s *Scenario) { s.When = "x" }, "when is only meaningful"},
		{"bad severity", func(s *Scenario) { s.Severity = "severe" }, "severity"},
		{"bad selector", func(s *Scenario) { s.Principal = "admins" }, "unknown principal selector"},
		{"empty role selector", func(s *Scenario) { s.Principal = "role:" }, "needs a role name"},
		{"wildcard action", func(s *Scenario) { s.Actions = []string{"iam:*"} }, "without wildcards"},
		{"no actions", func(s *Scenario) { s.Actions = nil }, "no actions"},
		{"misspelt variable", func(s *Scenario) { s.Resources = []string{"${nod}"} }, "unknown variable ${nod}"},
		{"misspelt variable in a var", func(s *Scenario) { s.Vars["name"] = "${acount}" }, "unknown variable ${acount}"},
		{"malformed template", func(s *Scenario) { s.Resources = []string{"${account"} }, "malformed"},
		{"variable in role selector", func(s *Scenario) { s.Principal = "role:${who}" }, "unknown variable ${who}"},
		{"parameter is a variable", func(s *Scenario) { s.Resources = []string{"arn:aws:s3:::${package_bucket}/x"} }, ""},
		{"bad context type", func(s *Scenario) {
			s.Context = []ContextEntry{{Key: "k", Type: "text", Values: []string{"v"}}}
		}, "unknown type"},
		{"context without values", func(s *Scenario) { s.Context = []ContextEntry{{Key: "k"}} }, "no values"},
		{"two values for a scalar", func(s *Scenario) {
			s.Context = []ContextEntry{{Key: "k", Values: []string{"a", "b"}}}
		}, "takes one value"},
		{"list type takes many", func(s *Scenario) {
			s.Context = []ContextEntry{{Key: "k", Type: "stringList", Values: []string{"a", "b"}}}
		}, ""},
		{"manual row with actions", func(s *Scenario) { s.Manual = "network" }, "row has no actions"},
		{"manual row", func(s *Scenario) { s.Manual, s.Actions, s.Resources = "network", nil, nil }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := base()
			tc.mutate(&s)
			err := s.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Validate() = nil, want error containing %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("Validate() = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestDuplicateScenarioIDs(t *testing.T) {
	t.Parallel()
	s := Scenario{ID: "dup", Section: "S", Text: "T", Principal: "child", Actions: []string{"s3:GetObject"}, Expect: ExpectDenied}
	err := validateScenarios([]Scenario{s, s})
	if err == nil || !strings.Contains(err.Error(), `duplicate scenario id "dup"`) {
		t.Fatalf("got %v, want a duplicate id error", err)
	}
}

func TestExpandTemplate(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"account": "111122223333", "node": "abcd"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	tests := []struct {
		name, tmpl, want, wantErr string
	}{
		{"plain", "arn:aws:s3:::b/*", "arn:aws:s3:::b/*", ""},
		{"two variables", "arn:aws:iam::${account}:role/p-${node}-x", "arn:aws:iam::111122223333:role/p-abcd-x", ""},
		{"unknown", "${region}", "", "no value for ${region}"},
		{"unterminated", "a${account", "", "unterminated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ExpandTemplate(tc.tmpl, lookup)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ExpandTemplate(%q) error = %v, want %q", tc.tmpl, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ExpandTemplate(%q) = %q, %v; want %q", tc.tmpl, got, err, tc.want)
			}
		})
	}
}

// TestBuiltinScenarioTables checks that every section the documents list is
// in the built-in contracts with the promised number of rows and bullets.
func TestBuiltinScenarioTables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contract string
		section  string
		// texts are distinct sentences of the section (several probes may
		// prove one sentence).
		texts int
	}{
		{"pennsieve", "What this means in practice", 5},
		{"pennsieve", "What Pennsieve cannot do", 6},
		{"pennsieve", "What your code can access at runtime", 7},
		{"pennsieve", "What processor roles cannot do", 5},
		{"par", "Verification", 6},
		{"par", "Forbidden Permissions", 6},
	}
	for _, tc := range tests {
		t.Run(tc.contract+"/"+tc.section, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tc.contract)
			if err != nil {
				t.Fatal(err)
			}
			texts := map[string]bool{}
			for _, s := range c.Scenarios {
				if s.Section == tc.section {
					texts[s.Text] = true
				}
			}
			if len(texts) != tc.texts {
				t.Errorf("%d distinct sentences in section %q, want %d: %v", len(texts), tc.section, tc.texts, texts)
			}
		})
	}
}

func TestUserScenarioFile(t *testing.T) {
	t.Parallel()
	good := "name: mine\nscenarios:\n  - id: r1\n    section: Mine\n    text: my promise\n    principal: role:app-*\n" +
		"    actions: [s3:DeleteBucket]\n    resources: ['arn:aws:s3:::${bucket}']\n    vars: {bucket: data}\n    expect: denied\n"
	c, err := Parse([]byte(good), "mine.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(c.Scenarios) != 1 || c.Scenarios[0].Vars["bucket"] != "data" {
		t.Fatalf("scenarios = %+v", c.Scenarios)
	}
	bad := strings.Replace(good, "expect: denied", "expect: denied\n    outcome: blocked", 1)
	if _, err := Parse([]byte(bad), "mine.yaml"); err == nil || !strings.Contains(err.Error(), "outcome") {
		t.Fatalf("unknown key: err = %v, want strict decoding to reject it", err)
	}
}
