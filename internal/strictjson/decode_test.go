package strictjson

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Name string    `json:"name"`
	When time.Time `json:"when,omitzero"`
}

type outer struct {
	Tool  string            `json:"tool"`
	Items []inner           `json:"items"`
	ByKey map[string]inner  `json:"by_key,omitempty"`
	Raw   json.RawMessage   `json:"raw,omitempty"`
	Tags  map[string]string `json:"tags,omitempty"`
	skip  int
}

func TestUnmarshal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string // want: "" decodes, else the error's start
	}{
		{"ok", `{"tool":"x","items":[{"name":"a","when":"2026-01-01T00:00:00Z"}],"by_key":{"k":{"name":"b"}},"raw":{"Any":"thing"},"tags":{"A":"b"}}`, ""},
		{"unknown key", `{"tool":"x",` + "\n" + `"surprise":1}`, `line 2, column 1: unknown field "surprise"`},
		{"case-variant key", `{"TOOL":"x"}`, `line 1, column 2: unknown field "TOOL" (the key is "tool"`},
		{"unknown key in a list element", `{"items":[{"name":"a","Name":"b"}]}`, `line 1, column 23: unknown field "Name"`},
		{"unknown key in a map value", `{"by_key":{"k":{"nom":"b"}}}`, `line 1, column 17: unknown field "nom"`},
		{"wrong type", `{"tool":7}`, `line 1, column 9: tool: expected string, got JSON number`},
		{"wrong type in a list", `{"items":[{"name":"a"},{"name":[1]}]}`, `line 1, column 32: items.name: expected string, got JSON array`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := Parse([]byte(tc.in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var o outer
			err = Unmarshal(v, &o)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Errorf("got %v, want %q…", err, tc.want)
			}
		})
	}
	t.Run("a nested value keeps the input's positions", func(t *testing.T) {
		t.Parallel()
		v, _ := Parse([]byte("{\n \"a\": {\"tool\": \"x\", \"bad\": 1}}"), Options{})
		m, _ := v.Get("a")
		var o outer
		if err := Unmarshal(m.Value, &o); err == nil || !strings.HasPrefix(err.Error(), "line 2, column 21:") {
			t.Errorf("got %v", err)
		}
	})
}
