package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "accounts", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// urlEncodeDocs rewrites every policy document of an AWS CLI export as the
// URL-encoded string the IAM API returns.
func urlEncodeDocs(t *testing.T, data []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, val := range x {
				switch k {
				case "PolicyDocument", "AssumeRolePolicyDocument", "Document":
					b, err := json.Marshal(val)
					if err != nil {
						t.Fatal(err)
					}
					x[k] = url.PathEscape(string(b))
				default:
					walk(val)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeFormats(t *testing.T) {
	t.Parallel()
	plain := readSample(t, "sample.json")
	want, err := Decode(plain, "sample.json")
	if err != nil {
		t.Fatalf("Decode(sample.json): %v", err)
	}
	if want.AccountID != "481516234201" {
		t.Errorf("account = %q, want 481516234201", want.AccountID)
	}
	if want.Source != "aws-cli" {
		t.Errorf("source = %q, want aws-cli", want.Source)
	}
	var own bytes.Buffer
	if err := want.WriteJSON(&own); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		// source differs between formats; everything else must be equal
		source string
	}{
		{"aws-cli decoded documents", plain, "aws-cli"},
		{"aws-cli URL-encoded documents", urlEncodeDocs(t, plain), "aws-cli"},
		{"pvaudit snapshot", own.Bytes(), "aws-cli"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode(tc.data, tc.name)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Source != tc.source {
				t.Errorf("source = %q, want %q", got.Source, tc.source)
			}
			if !reflect.DeepEqual(got, want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(want)
				t.Errorf("snapshot differs from the decoded sample:\n got %.400s\nwant %.400s", gj, wj)
			}
		})
	}
}

func TestDecodeSampleContent(t *testing.T) {
	t.Parallel()
	snap, err := Decode(readSample(t, "compliant.json"), "compliant.json")
	if err != nil {
		t.Fatal(err)
	}
	x := snap.Role("Pennsieve-Compute-prod-a3f1b20c")
	if x == nil {
		t.Fatal("cross-account role missing")
	}
	if x.MaxSessionDuration != 3600 {
		t.Errorf("MaxSessionDuration = %d, want 3600", x.MaxSessionDuration)
	}
	if x.TrustPolicy == nil || len(x.TrustPolicy.Statements) != 1 {
		t.Fatalf("trust policy not parsed: %+v", x.TrustPolicy)
	}
	if got := x.TrustPolicy.Statements[0].Principal.Values(); !reflect.DeepEqual(got, []string{"AWS:arn:aws:iam::941377122013:root"}) {
		t.Errorf("trusted principals = %v", got)
	}
	p := snap.Policy("arn:aws:iam::481516234201:policy/pennsieve-boundary-7f3a9c21")
	if p == nil || p.DefaultDocument() == nil {
		t.Fatalf("boundary policy or its default document missing: %+v", p)
	}
	for i := 1; i < len(snap.Roles); i++ {
		if snap.Roles[i-1].Name >= snap.Roles[i].Name {
			t.Errorf("roles not sorted: %s before %s", snap.Roles[i-1].Name, snap.Roles[i].Name)
		}
	}
}

func TestDecodeRejectsBadInput(t *testing.T) {
	t.Parallel()
	const role = `{"RoleDetailList":[{"Path":"/","RoleName":"r1","RoleId":"AROA1","Arn":"arn:aws:iam::111122223333:role/r1","CreateDate":"2026-01-01T00:00:00Z",
"AssumeRolePolicyDocument":%s,"RolePolicyList":[%s]}]}`
	okTrust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}`
	tests := []struct {
		name string
		data string
		want []string // substrings of the error
	}{
		{"empty file", ``, []string{"bad.json:1:1"}},
		{"not an object", `[1,2]`, []string{"bad.json:1:1", "expected a JSON object"}},
		{"truncated JSON", `{"RoleDetailList":[{"RoleName":"r1",`, []string{"bad.json:", "truncated"}},
		{"syntax error position", "{\n  \"RoleDetailList\": [\n    {\"RoleName\": \"r1\",, }\n  ]\n}", []string{"bad.json:3:"}},
		{"unknown format", `{"hello":1}`, []string{"bad.json:1:1", "not a pvaudit snapshot"}},
		{"unknown top-level key", `{"RoleDetailList":[],"Extra":1}`, []string{"bad.json:1:", `unknown top-level key "Extra"`}},
		{"unknown role field", `{"RoleDetailList":[{"RoleName":"r1","Colour":"blue"}]}`, []string{"bad.json:1:", `RoleDetailList[0] ("r1")`, `unknown field "Colour"`}},
		{"wrong type", `{"RoleDetailList":[{"RoleName":7}]}`, []string{"bad.json:1:", "RoleName"}},
		{"truncated export", `{"RoleDetailList":[],"IsTruncated":true,"Marker":"abc"}`, []string{"bad.json:1:", "truncated"}},
		{"malformed trust policy", strings.Replace(strings.Replace(role, "%s", `{"Statement":{"Effect":"Permit","Action":"sts:AssumeRole"}}`, 1), "%s", "", 1), []string{"bad.json:", `("r1") trust policy`, `unknown effect "Permit"`}},
		{"malformed inline policy", strings.Replace(strings.Replace(role, "%s", okTrust, 1), "%s", `{"PolicyName":"p1","PolicyDocument":{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*"}]}}`, 1),
			[]string{"bad.json:", `inline policy "p1"`, "both Action and NotAction"}},
		{"broken URL encoding", strings.Replace(strings.Replace(role, "%s", `"%7B%zz"`, 1), "%s", "", 1), []string{"bad.json:", "URL-encoded"}},
		{"missing trust policy", strings.Replace(strings.Replace(role, "%s", `null`, 1), "%s", "", 1), []string{"bad.json:", "missing"}},
		{"unsupported schema", `{"schema":"pvaudit.snapshot/v9","account_id":"1"}`, []string{"bad.json:1:", "unsupported snapshot schema"}},
		{"own format unknown field", `{"schema":"pvaudit.snapshot/v1","account_id":"111122223333","roles":[{"name":"x","colour":1}]}`, []string{"bad.json:1:", `roles[0] ("x")`, `unknown field "colour"`}},
		{"own format without account", `{"schema":"pvaudit.snapshot/v1"}`, []string{"bad.json", "no account_id"}},
		{"trailing data", `{"RoleDetailList":[]} {}`, []string{"bad.json:1:23", "after the JSON value"}},
		{"duplicate key", `{"RoleDetailList":[],"RoleDetailList":[]}`, []string{"bad.json:1:", "duplicate key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tc.data), "bad.json")
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error %v does not wrap ErrInvalidInput", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestReadFileLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Run("missing file", func(t *testing.T) {
		_, err := ReadFile(filepath.Join(dir, "nope.json"))
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("got %v, want a not-exist error", err)
		}
	})
	t.Run("huge file", func(t *testing.T) {
		p := filepath.Join(dir, "huge.json")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(MaxFileSize + 10); err != nil { // sparse: costs no disk
			t.Fatal(err)
		}
		f.Close()
		_, err = ReadFile(p)
		if err == nil || !strings.Contains(err.Error(), "over the 512 MiB limit for a snapshot") || !strings.Contains(err.Error(), "huge.json") {
			t.Fatalf("got %v, want a size error naming the file", err)
		}
	})
}

// TestParallelDecodeKeepsOrderAndFirstError: of several bad elements
// decoded in parallel the first in the file is named, as a sequential read
// would; and every element comes back.
func TestParallelDecodeKeepsOrderAndFirstError(t *testing.T) {
	t.Parallel()
	role := func(name, doc string) string {
		return `{"Path":"/","RoleName":"` + name + `","RoleId":"AROA` + strings.ToUpper(name) + `","Arn":"arn:aws:iam::111122223333:role/` + name +
			`","CreateDate":"2025-01-01T00:00:00Z","AssumeRolePolicyDocument":` + doc + `,"RolePolicyList":[],"AttachedManagedPolicies":[],"InstanceProfileList":[]}`
	}
	good := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"sts:AssumeRole"}]}`
	var roles []string
	for i := range 200 {
		doc := good
		if i == 137 || i == 190 {
			doc = bad
		}
		roles = append(roles, role(fmt.Sprintf("r%03d", 199-i), doc))
	}
	_, err := Decode([]byte(`{"RoleDetailList":[`+strings.Join(roles, ",")+`]}`), "x.json")
	if err == nil || !strings.Contains(err.Error(), `RoleDetailList[137] ("r062")`) {
		t.Errorf("got %v, want the error of element 137 (r062)", err)
	}
	// A check error (a second role of one name, found in file order)
	// before a decode error is the one reported, as a sequential read does.
	dup := append([]string(nil), roles...)
	dup[40] = role("r199", good) // element 0 is r199 too
	if _, err := Decode([]byte(`{"RoleDetailList":[`+strings.Join(dup, ",")+`]}`), "x.json"); err == nil || !strings.Contains(err.Error(), `RoleDetailList[40] ("r199"): a second role named`) {
		t.Errorf("got %v, want the duplicate name of element 40", err)
	}
	roles[137], roles[190] = role("r062", good), role("r009", good)
	snap, err := Decode([]byte(`{"RoleDetailList":[`+strings.Join(roles, ",")+`]}`), "x.json")
	if err != nil || len(snap.Roles) != 200 || snap.Roles[0].Name != "r000" || snap.Roles[199].Name != "r199" {
		t.Fatalf("decode: %v", err)
	}
}
