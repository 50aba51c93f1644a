package policy

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, d *Document)
	}{
		{
			name: "statement object",
			in:   `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			check: func(t *testing.T, d *Document) {
				if len(d.Statements) != 1 || d.Statements[0].Action[0] != "s3:GetObject" {
					t.Errorf("got %+v, want one statement with s3:GetObject", d.Statements)
				}
			},
		},
		{
			name: "string or list",
			in:   `{"Statement":[{"Effect":"Deny","Action":["a:b","c:d"],"NotResource":"arn:aws:s3:::x"}]}`,
			check: func(t *testing.T, d *Document) {
				st := d.Statements[0]
				if len(st.Action) != 2 || len(st.NotResource) != 1 || st.Resource != nil {
					t.Errorf("got %+v, want 2 actions, 1 NotResource, nil Resource", st)
				}
			},
		},
		{
			name: "id and sid",
			in:   `{"Version":"2012-10-17","Id":"doc1","Statement":[{"Sid":"One","Effect":"Allow","Action":"*","Resource":"*"}]}`,
			check: func(t *testing.T, d *Document) {
				if d.ID != "doc1" || d.Statements[0].Sid != "One" {
					t.Errorf("got Id %q Sid %q, want doc1 and One", d.ID, d.Statements[0].Sid)
				}
			},
		},
		{
			name: "principal forms",
			in: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
				{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"],"Service":"lambda.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"abc"},"Action":"sts:AssumeRole"}]}`,
			check: func(t *testing.T, d *Document) {
				if !d.Statements[0].Principal.Wildcard {
					t.Errorf("got %+v, want wildcard principal", d.Statements[0].Principal)
				}
				got := strings.Join(d.Statements[1].Principal.Values(), ",")
				want := "AWS:444455556666,AWS:arn:aws:iam::111122223333:root,CanonicalUser:abc,Federated:cognito-identity.amazonaws.com,Service:lambda.amazonaws.com"
				if got != want {
					t.Errorf("got %s, want %s", got, want)
				}
			},
		},
		{
			name: "condition scalars",
			in:   `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10}}}]}`,
			check: func(t *testing.T, d *Document) {
				c := d.Statements[0].Condition
				if c["Bool"]["aws:SecureTransport"][0] != "true" || c["NumericLessThan"]["s3:max-keys"][0] != "10" {
					t.Errorf("got %+v, want true and 10 as text", c)
				}
			},
		},
		{
			name: "url encoded",
			in:   url.PathEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a b/*"}]}`),
			check: func(t *testing.T, d *Document) {
				if d.Statements[0].Resource[0] != "arn:aws:s3:::a b/*" {
					t.Errorf("got %q, want the decoded resource", d.Statements[0].Resource[0])
				}
			},
		},
		{
			name: "empty lists are present",
			in:   `{"Statement":[{"Effect":"Allow","Action":[],"Resource":[]}]}`,
			check: func(t *testing.T, d *Document) {
				st := d.Statements[0]
				if st.Action == nil || len(st.Action) != 0 || st.Resource == nil {
					t.Errorf("got %#v, want non-nil empty lists", st)
				}
			},
		},
		{
			name: "lower-case operator",
			in:   `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"forallvalues:stringlikeifexists":{"k":"v"}}}]}`,
		},
		{
			name: "version 2008",
			in:   `{"Version":"2008-10-17","Statement":[]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseString(tt.in)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         string
		validation bool   // want *ValidationError (else *ParseError)
		wantMsg    string // substring of Error()
	}{
		{"not json", `{"Statement":`, false, "invalid JSON"},
		{"syntax error position", "{\n  \"Statement\": [,]\n}", false, "line 2"},
		{"array document", `[]`, false, "must be a JSON object"},
		{"null document", `null`, false, "policy document is null"},
		{"unknown top-level key", `{"Statement":[],"Foo":1}`, false, `unknown top-level key "Foo"`},
		{"missing statement", `{"Version":"2012-10-17"}`, false, "missing Statement"},
		{"null statement", `{"Statement":null}`, false, "Statement"},
		{"statement not object", `{"Statement":["x"]}`, false, "statement 0: statement must be an object"},
		{"unknown statement key", `{"Statement":[{"Sid":"S1","Effect":"Allow","Actions":"*","Resource":"*"}]}`, false, `statement 0 (Sid "S1"): Actions: unknown statement key`},
		{"version not string", `{"Version":2012,"Statement":[]}`, false, "Version: must be a string"},
		{"action object", `{"Statement":[{"Effect":"Allow","Action":{"a":1},"Resource":"*"}]}`, false, "Action"},
		{"action null", `{"Statement":[{"Effect":"Allow","Action":null,"Resource":"*"}]}`, false, "Action"},
		{"nested list", `{"Statement":[{"Effect":"Allow","Action":[["a"]],"Resource":"*"}]}`, false, "nested list"},
		{"principal string not star", `{"Statement":[{"Effect":"Allow","Principal":"me","Action":"*"}]}`, false, `must be "*"`},
		{"unknown principal type", `{"Statement":[{"Effect":"Allow","Principal":{"User":"x"},"Action":"*"}]}`, false, `unknown principal type "User"`},
		{"condition not object", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}]}`, false, "Condition"},
		{"condition null", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":null}]}`, false, "Condition"},
		{"unknown version", `{"Version":"2020-01-01","Statement":[]}`, true, "unknown version"},
		{"missing effect", `{"Statement":[{"Action":"*","Resource":"*"}]}`, true, "statement 0: Effect: missing Effect"},
		{"unknown effect", `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, true, `unknown effect "allow"`},
		{"both action and notaction", `{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}`, true, `statement 0 (Sid "X"): Action: both Action and NotAction`},
		{"no action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, true, "missing Action or NotAction"},
		{"both resource and notresource", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}`, true, "both Resource and NotResource"},
		{"both principal and notprincipal", `{"Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*"}]}`, true, "both Principal and NotPrincipal"},
		{"unknown operator", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringMatches":{"k":"v"}}}]}`, true, `unknown condition operator "StringMatches"`},
		{"unknown qualifier", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringLike":{"k":"v"}}}]}`, true, "unknown condition operator"},
		{"null ifexists", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}]}`, true, "unknown condition operator"},
		{"operator without keys", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{}}}]}`, true, "has no condition keys"},
		{"second statement index", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Maybe","Action":"*","Resource":"*"}]}`, true, "statement 1: Effect"},
		{"bad url encoding", `%7B%ZZ`, false, "URL-encoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseString(tt.in)
			if err == nil {
				t.Fatalf("got document %+v, want an error", d)
			}
			var ve *ValidationError
			var pe *ParseError
			switch {
			case tt.validation && !errors.As(err, &ve):
				t.Errorf("got %T %v, want *ValidationError", err, err)
			case !tt.validation && !errors.As(err, &pe):
				t.Errorf("got %T %v, want *ParseError", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestDocumentJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := `{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"sts:ExternalId":["e1"]}}}]}`
	d, err := ParseString(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back Document
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("re-parse %s: %v", out, err)
	}
	a, _ := d.CanonicalJSON()
	b, _ := back.CanonicalJSON()
	if string(a) != string(b) {
		t.Errorf("got %s after round trip, want %s", b, a)
	}
	// A document embedded as a JSON string (as some exports do).
	quoted, _ := json.Marshal(in)
	var fromString Document
	if err := json.Unmarshal(quoted, &fromString); err != nil {
		t.Fatalf("got %v, want a document parsed from a JSON string", err)
	}
}

func TestKnownOperator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op   string
		want bool
	}{
		{"StringEquals", true},
		{"stringequals", true},
		{"StringLikeIfExists", true},
		{"ForAllValues:StringLike", true},
		{"ForAnyValue:ArnNotLikeIfExists", true},
		{"Null", true},
		{"NullIfExists", false},
		{"ForAllValues:", false},
		{"Foo:StringEquals", false},
		{"IpAddress", true},
		{"NotIpAddressIfExists", true},
		{"BinaryEquals", true},
		{"BinaryNotEquals", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			t.Parallel()
			if got := KnownOperator(tt.op); got != tt.want {
				t.Errorf("KnownOperator(%q) = %v, want %v", tt.op, got, tt.want)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{
			name: "string vs list",
			a:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			b:    `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}}`,
			same: true,
		},
		{
			name: "order duplicates and action case",
			a:    `{"Statement":[{"Effect":"Allow","Action":["S3:GetObject","s3:PutObject","s3:getobject"],"Resource":["b","a"]}]}`,
			b:    `{"Statement":[{"Effect":"Allow","Action":["s3:putobject","s3:getobject"],"Resource":["a","b"]}]}`,
			same: true,
		},
		{
			name: "statement order",
			a:    `{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"},{"Effect":"Deny","Action":"c:d","Resource":"*"}]}`,
			b:    `{"Statement":[{"Effect":"Deny","Action":"c:d","Resource":"*"},{"Effect":"Allow","Action":"a:b","Resource":"*"}]}`,
			same: true,
		},
		{
			name: "operator spelling and bool case",
			a:    `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"bool":{"aws:SecureTransport":"TRUE"},"forallvalues:stringlike":{"k":["b","a"]}}}]}`,
			b:    `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"ForAllValues:StringLike":{"k":["a","b","a"]}}}]}`,
			same: true,
		},
		{
			name: "principal order",
			a:    `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["b","a"]},"Action":"sts:AssumeRole"}]}`,
			b:    `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["a","b"]},"Action":"sts:AssumeRole"}]}`,
			same: true,
		},
		{
			name: "resource case matters",
			a:    `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::A"}]}`,
			b:    `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::a"}]}`,
		},
		{
			name: "empty list vs absent",
			a:    `{"Statement":[{"Effect":"Allow","Action":"*","Resource":[]}]}`,
			b:    `{"Statement":[{"Effect":"Allow","Action":"*"}]}`,
		},
		{
			name: "two spellings of an operator stay apart",
			a:    `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":"a"},"stringequals":{"k":"b"}}}]}`,
			b:    `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":["a","b"]}}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			da, err := ParseString(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			db, err := ParseString(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			ja, err := da.CanonicalJSON()
			if err != nil {
				t.Fatal(err)
			}
			jb, err := db.CanonicalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if (string(ja) == string(jb)) != tt.same {
				t.Errorf("got\n%s\n%s\nwant same=%v", ja, jb, tt.same)
			}
			// The canonical form parses and is a fixed point.
			back, err := Parse(ja)
			if err != nil {
				t.Fatalf("canonical JSON %s does not parse: %v", ja, err)
			}
			again, _ := back.CanonicalJSON()
			if string(again) != string(ja) {
				t.Errorf("got %s on second canonicalization, want %s", again, ja)
			}
		})
	}
}

func TestDecisionText(t *testing.T) {
	t.Parallel()
	for _, d := range []Decision{ImplicitDeny, Allow, ExplicitDeny} {
		b, err := d.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Decision
		if err := back.UnmarshalText(b); err != nil || back != d {
			t.Errorf("got %v, %v, want %v", back, err, d)
		}
	}
	if _, err := Decision(7).MarshalText(); err == nil {
		t.Error("got no error for Decision(7), want one")
	}
	if _, err := ParseDecision("maybe"); err == nil {
		t.Error("got no error for maybe, want one")
	}
}
