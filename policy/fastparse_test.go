package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// repoDocuments returns every policy document in the repository's test
// data: the corpus, and every document field of every JSON file (sample
// accounts, check fixtures, simulate inputs).
func repoDocuments(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, cases := range loadCorpus(t) {
		for _, c := range cases {
			pols := append([]corpusPolicy{}, c.Identity...)
			pols = append(pols, c.Session...)
			for _, p := range []*corpusPolicy{c.Boundary, c.Trust} {
				if p != nil {
					pols = append(pols, *p)
				}
			}
			for _, l := range c.SCPLevels {
				pols = append(pols, l...)
			}
			for _, p := range pols {
				if b, err := p.document(); err == nil {
					out = append(out, b)
				}
			}
		}
	}
	docKeys := map[string]bool{"AssumeRolePolicyDocument": true, "PolicyDocument": true, "Document": true, "document": true, "trust_policy": true}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if _, isObj := val.(map[string]any); isObj && docKeys[k] {
					b, _ := json.Marshal(val)
					out = append(out, b)
					if pretty, err := json.MarshalIndent(val, "", "   "); err == nil {
						out = append(out, pretty)
					}
				}
				walk(val)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	err := filepath.WalkDir(filepath.Join("..", "testdata"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var v any
		if json.Unmarshal(data, &v) == nil {
			walk(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestParseFastMatchesGeneral: for every document pvaudit has, and for
// variants the fast path must refuse, the fast path either declines or
// builds exactly the Document the general decoder builds.
func TestParseFastMatchesGeneral(t *testing.T) {
	t.Parallel()
	docs := repoDocuments(t)
	if len(docs) < 200 {
		t.Fatalf("only %d documents found", len(docs))
	}
	fast := 0
	check := func(name string, data []byte) {
		got, ok := parseFast(data)
		if !ok {
			return
		}
		fast++
		want, err := parseGeneral(data)
		if err != nil {
			t.Errorf("%s: the fast path accepted what the general decoder refuses (%v):\n%s", name, err, data)
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fast %+v\ngeneral %+v\n%s", name, got, want, data)
		}
	}
	for i, d := range docs {
		check("doc", d)
		// Variants: each must be declined or decoded alike.
		for _, v := range []struct{ from, to string }{
			{`"Effect":"Allow"`, `"Effect":"Allow","Effect":"Deny"`},                    // duplicate key
			{`"Statement":`, `"Statement":null,"x":`},                                   // null, unknown key
			{`"Action":"`, `"Action":["x",7],"A":"`},                                    // number in a list
			{`"Resource":"*"`, `"Resource":"\u002a"`},                                   // escape
			{`"Version":"2012-10-17"`, `"Version":"2012-10-17",`},                       // trailing comma
			{`"Statement":[`, `"Statement":[{"Effect":"Allow"},`},                       // extra statement
			{`"Principal":{`, `"Principal":{"AWS":"a","AWS":"b",`},                      // duplicate principal type
			{`"Condition":{`, `"Condition":{"StringEquals":{"k":true},`},                // boolean value
			{`"Action":"`, `"Action":7,"A":"`},                                          // wrong type
			{`"Effect":"Allow"`, `"effect":"Allow"`},                                    // key in another case
			{`"Effect":"Allow"`, `"Effect":"Alow"`},                                     // validation error
			{`"Condition":{`, `"Condition":{"StringEquals":{"k":"a","k":"b"},`},         // duplicate condition key
			{`"Version":"2012-10-17"`, `"Version":"2012-10-17","Version":"2012-10-17"`}, // duplicate top-level key
			{`"Resource":"*"`, `"Resource":"ÿ"`},                                        // invalid UTF-8
		} {
			if bytes.Contains(d, []byte(v.from)) {
				check("variant", bytes.Replace(d, []byte(v.from), []byte(v.to), 1))
			}
		}
		_ = i
	}
	if fast < len(docs)/2 {
		t.Errorf("the fast path took only %d of %d documents: it saves nothing", fast, len(docs))
	}
}

// FuzzParseFast: on any input, what the fast path accepts the general
// decoder accepts and decodes alike.
func FuzzParseFast(f *testing.F) {
	for _, d := range repoDocuments(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := parseFast(data)
		if !ok {
			return
		}
		want, err := parseGeneral(data)
		if err != nil {
			t.Fatalf("fast path accepted what the general decoder refuses (%v): %q", err, data)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fast %+v, general %+v: %q", got, want, data)
		}
	})
}

// parseGeneral is Parse's strict decoder and validation without the fast
// path.
func parseGeneral(data []byte) (*Document, error) {
	doc, _, _, err := (&parser{data: data}).document()
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(); err != nil {
		return nil, err
	}
	return doc, nil
}

// TestParseRefusesWhatTheFastPathCannotJudge: Parse refuses, with the
// strict decoder's positioned error, documents whose common shape the fast
// path would otherwise take (too many statements, a validation error).
func TestParseRefusesWhatTheFastPathCannotJudge(t *testing.T) {
	t.Parallel()
	stmt := `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`
	tests := []struct {
		name, doc, want string
	}{
		{"too many statements", `{"Version":"2012-10-17","Statement":[` + strings.Repeat(stmt+",", MaxStatements) + stmt + `]}`, "over pvaudit's limit"},
		{"bad effect", `{"Version":"2012-10-17","Statement":[` + stmt + `,{"Effect":"Alow","Action":"*","Resource":"*"}]}`, "line 1, column 96: statement 1: Effect: unknown effect"},
		{"duplicate key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}]}`, `duplicate`},
		{"wrong type", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":7,"Resource":"*"}]}`, "line 1, column 65: statement 0: Action: expected a string or a list of strings, got a number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
