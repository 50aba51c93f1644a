package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		line, col int
		msg       string
	}{
		{"empty", "", 1, 1, "empty input"},
		{"only-space", " \n ", 2, 2, "empty input"},
		{"top-level-duplicate", `{"a":1,"a":2}`, 1, 8, `duplicate key "a" (first at line 1, column 2)`},
		{"nested-duplicate", "{\"Statement\":[{\"Effect\":\"Deny\",\n \"Effect\":\"Allow\"}]}", 2, 2, `duplicate key "Effect" (first at line 1, column 16)`},
		{"escaped-duplicate", `{"Effect":1,"\u0045ffect":2}`, 1, 13, `duplicate key "Effect"`},
		{"duplicate-in-big-object", `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":0,"k11":0,"k12":0,"k13":0,"k14":0,"k15":0,"k16":0,"k17":0,"k3":9}`, 1, 0, `duplicate key "k3"`},
		{"truncated", `{"a":[1,2`, 1, 10, "truncated"},
		{"truncated-string", `{"a":"xy`, 1, 6, "unterminated string"},
		{"trailing-data", `{} {}`, 1, 4, "after the JSON value"},
		{"trailing-comma", `[1,]`, 1, 4, "looking for a JSON value"},
		{"bad-literal", `[tru]`, 1, 2, "invalid literal"},
		{"leading-zero", `[01]`, 1, 3, "after a list element"},
		{"bad-number", `[1.]`, 1, 2, "no digits after"},
		{"control-char", "[\"a\x01\"]", 1, 4, "control character 0x01"},
		{"invalid-utf8", "[\"a\xff\"]", 1, 4, "invalid UTF-8"},
		{"lone-surrogate", `["\ud800"]`, 1, 3, "lone UTF-16 surrogate"},
		{"bad-escape", `["\q"]`, 1, 3, `invalid escape \q`},
		{"unquoted-key", `{a:1}`, 1, 2, "looking for an object key"},
		{"missing-colon", `{"a" 1}`, 1, 6, "want :"},
		{"too-deep", strings.Repeat("[", 65) + strings.Repeat("]", 65), 1, 65, "nested more than 64 deep"},
		{"very-deep", strings.Repeat(`{"a":`, 1000000), 1, 321, "nested more than 64 deep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.in), Options{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%.40q) = %v, want *Error", tc.in, err)
			}
			if !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("message %q, want it to contain %q", e.Msg, tc.msg)
			}
			if e.Line != tc.line || (tc.col != 0 && e.Column != tc.col) {
				t.Errorf("at %d:%d, want %d:%d (%v)", e.Line, e.Column, tc.line, tc.col, e)
			}
			if l, c := LineCol([]byte(tc.in), e.Offset); l != e.Line || c != e.Column {
				t.Errorf("offset %d is %d:%d, error says %d:%d", e.Offset, l, c, e.Line, e.Column)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{}`, `[]`, `""`, `0`, `-0.5e+10`, `true`, `null`, ` {"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]} `,
		`{"a":1,"A":2}`, `["\u00e9\ud83d\ude00\n\/"]`, strings.Repeat("[", 64) + strings.Repeat("]", 64),
	} {
		if _, err := Parse([]byte(in), Options{}); err != nil {
			t.Errorf("Parse(%q): %v", in, err)
		}
	}
	if _, err := Parse([]byte(`[[[1]]]`), Options{MaxDepth: 2}); err == nil {
		t.Error("MaxDepth 2 accepted depth 3")
	}
}

func TestWalk(t *testing.T) {
	t.Parallel()
	in := []byte("{\"s\":\"a\\\"b\\u00e9\", \"n\": -12 ,\"f\":1.5,\"b\":false,\"z\":null,\n\"l\":[1, {\"x\":[]} ,\"y\"],\"o\":{}}")
	v, err := Parse(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != 7 {
		t.Errorf("Len = %d, want 7", v.Len())
	}
	ms := v.Members()
	var keys []string
	for _, m := range ms {
		keys = append(keys, m.Key)
		if in[m.KeyOff] != '"' {
			t.Errorf("key %s offset %d is not at its quote", m.Key, m.KeyOff)
		}
	}
	if want := []string{"s", "n", "f", "b", "z", "l", "o"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if s, ok := ms[0].Value.Str(); !ok || s != "a\"bé" {
		t.Errorf("s = %q, %v", s, ok)
	}
	if n, ok := ms[1].Value.Int(); !ok || n != -12 {
		t.Errorf("n = %d, %v", n, ok)
	}
	if _, ok := ms[2].Value.Int(); ok {
		t.Error("1.5 is an Int")
	}
	if b, ok := ms[3].Value.Bool(); !ok || b {
		t.Errorf("b = %v, %v", b, ok)
	}
	if ms[4].Value.Kind() != Null || ms[6].Value.Kind() != Object || len(ms[6].Value.Members()) != 0 {
		t.Error("null or empty object misread")
	}
	els := ms[5].Value.Elements()
	if len(els) != 3 || els[1].Kind() != Object || string(els[1].Raw()) != `{"x":[]}` || ms[5].Value.Len() != 3 {
		t.Errorf("elements %d, second %s", len(els), els[1].Raw())
	}
	if l, c := LineCol(in, ms[5].KeyOff); l != 2 || c != 1 {
		t.Errorf("key l at %d:%d, want 2:1", l, c)
	}
}

// toAny converts a checked value the way encoding/json would decode it.
func toAny(v Value) any {
	switch v.Kind() {
	case Object:
		m := map[string]any{}
		for _, mem := range v.Members() {
			m[mem.Key] = toAny(mem.Value)
		}
		return m
	case Array:
		out := []any{}
		for _, e := range v.Elements() {
			out = append(out, toAny(e))
		}
		return out
	case String:
		s, _ := v.Str()
		return s
	case Bool:
		b, _ := v.Bool()
		return b
	case Number:
		n, _ := v.Number()
		return json.Number(n)
	default:
		return nil
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x",{"b":null}],"c":true}`, `{"a":1,"a":2}`, `["\ud83d\ude00"]`, `[1e5,-0.1]`, `{"Statement":[{"Effect":"Deny","Effect":"Allow"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data, Options{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > int64(len(data)) {
				t.Fatalf("error %v has no offset within the input", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted what encoding/json calls invalid: %q", data)
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if got := toAny(v); !reflect.DeepEqual(got, want) {
			t.Fatalf("walk gives %#v, encoding/json %#v", got, want)
		}
	})
}
