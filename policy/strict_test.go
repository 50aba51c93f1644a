package policy

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// TestParseStrict covers what IAM's grammar refuses and encoding/json would
// have let through, each with the place of the problem.
func TestParseStrict(t *testing.T) {
	t.Parallel()
	stmts := func(n int) string {
		return `{"Statement":[` + strings.Repeat(`{"Effect":"Deny","Action":"*"},`, n-1) + `{"Effect":"Deny","Action":"*"}]}`
	}
	tests := []struct {
		name string
		in   string
		want []string // substrings of Error()
	}{
		{"duplicate-effect-nested", "{\"Statement\":[{\"Effect\":\"Deny\",\n\"Action\":\"*\",\"Resource\":\"*\",\"Effect\":\"Allow\"}]}",
			[]string{"line 2, column 29", `duplicate key "Effect" (first at line 1, column 16)`}},
		{"duplicate-statement-key", `{"Statement":[],"Statement":[]}`, []string{`duplicate key "Statement"`}},
		{"duplicate-condition-key", `{"Statement":{"Effect":"Deny","Action":"*","Condition":{"StringEquals":{"aws:SourceAccount":"1","aws:SourceAccount":"2"}}}}`, []string{`duplicate key "aws:SourceAccount"`}},
		{"duplicate-principal-type", `{"Statement":{"Effect":"Allow","Action":"*","Principal":{"AWS":"a","AWS":"*"}}}`, []string{`duplicate key "AWS"`}},
		{"action-number", `{"Statement":[{"Effect":"Allow","Action":7,"Resource":"*"}]}`, []string{"line 1, column 42", "statement 0: Action: expected a string or a list of strings, got a number"}},
		{"action-bool", `{"Statement":[{"Effect":"Allow","Action":true,"Resource":"*"}]}`, []string{"Action: expected a string or a list of strings, got a boolean"}},
		{"notaction-list-with-number", `{"Statement":[{"Effect":"Allow","NotAction":["s3:*",1],"Resource":"*"}]}`, []string{"NotAction: element 1: expected a string", "got a number"}},
		{"resource-false", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":false}]}`, []string{"Resource: expected a string"}},
		{"notresource-null-element", `{"Statement":[{"Effect":"Allow","Action":"*","NotResource":["a",null]}]}`, []string{"NotResource: element 1", "got null"}},
		{"principal-number", `{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":111122223333}}]}`, []string{"principal AWS: expected a string", "got a number"}},
		{"effect-number", `{"Statement":[{"Effect":1,"Action":"*"}]}`, []string{`Effect: must be "Allow" or "Deny", got a number`}},
		{"effect-lower-case", `{"Statement":[{"Effect":"allow","Action":"*"}]}`, []string{"line 1, column 15", `unknown effect "allow"`}},
		{"sid-number", `{"Statement":[{"Sid":1,"Effect":"Allow","Action":"*"}]}`, []string{"Sid: must be a string"}},
		{"version-number", `{"Version":2012,"Statement":[]}`, []string{"line 1, column 12", "Version: must be a string, got a number"}},
		{"version-unknown", `{"Version":"2012-10-18","Statement":[]}`, []string{`unknown version "2012-10-18"`}},
		{"condition-value-object", `{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":{"a":1}}}}]}`, []string{`StringEquals "k": expected a string, number or boolean, or a list of them, got an object`}},
		{"condition-value-null", `{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Null":{"k":null}}}]}`, []string{"got null"}},
		{"condition-operator-string", `{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":"true"}}]}`, []string{`operator "Bool": must map condition keys to values, got a string`}},
		{"too-deep", `{"Statement":[[[[[[[[[]]]]]]]]]}`, []string{"nested more than 8 deep"}},
		{"too-many-statements", stmts(MaxStatements + 1), []string{"4097 statements, over pvaudit's limit of 4096"}},
		{"too-large", `{"Statement":[],"Id":"` + strings.Repeat("x", MaxDocumentBytes) + `"}`, []string{"over pvaudit's limit of 524288"}},
		{"url-encoded-duplicate", url.PathEscape(`{"Statement":[{"Effect":"Deny","Effect":"Allow","Action":"*"}]}`), []string{"of the URL-decoded document", `duplicate key "Effect"`}},
		{"trailing-garbage", `{"Statement":[]} x`, []string{"line 1, column 18", "after the JSON value"}},
		{"invalid-utf8", "{\"Statement\":[],\"Id\":\"\xff\"}", []string{"invalid UTF-8"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseString(tc.in)
			if err == nil {
				t.Fatalf("parsed %+v, want an error", d)
			}
			var pe *ParseError
			var ve *ValidationError
			if !errors.As(err, &pe) && !errors.As(err, &ve) {
				t.Errorf("error %T, want *ParseError or *ValidationError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestParseAtTheLimits(t *testing.T) {
	t.Parallel()
	in := `{"Statement":[` + strings.Repeat(`{"Effect":"Deny","Action":"*"},`, MaxStatements-1) + `{"Effect":"Deny","Action":"*"}]}`
	d, err := ParseString(in)
	if err != nil {
		t.Fatalf("%d statements: %v", MaxStatements, err)
	}
	if len(d.Statements) != MaxStatements {
		t.Errorf("%d statements, want %d", len(d.Statements), MaxStatements)
	}
	// Condition values of every kind IAM accepts.
	d, err = ParseString(`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"NumericLessThan":{"n":[1,2.5]},"Bool":{"b":false},"StringEquals":{"s":["x"]}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Statements[0].Condition["NumericLessThan"]["n"]; len(got) != 2 || got[1] != "2.5" {
		t.Errorf("numbers read as %v", got)
	}
	if got := d.Statements[0].Condition["Bool"]["b"]; len(got) != 1 || got[0] != "false" {
		t.Errorf("boolean read as %v", got)
	}
}
