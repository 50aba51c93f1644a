package trail_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/pvaudit/pvaudit/trail"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/trail/golden")

// fixtureExpect are the promises the fixtures are judged against.
func fixtureExpect() trail.Expectations {
	e := trail.DefaultExpectations()
	e.TrustedAccounts = []string{"999988887777"}
	e.RequireExternalID = true
	return e
}

func fixture(name string) string { return filepath.Join("..", "testdata", "trail", name) }

func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	path := fixture(filepath.Join("golden", name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./trail -update to create it): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("replay differs from %s (run with -update if intended)\n--- got ---\n%s", path, got)
	}
}

func TestReplayFixturesGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files []string
		full  bool
	}{
		{name: "messy", files: []string{"messy.ndjson"}},
		{name: "all", files: []string{"messy.ndjson", "delivered.json.gz", "export-array.json"}},
		{name: "all-full-decode", files: []string{"messy.ndjson", "delivered.json.gz", "export-array.json"}, full: true},
		{name: "damaged", files: []string{"messy.ndjson", "damaged.ndjson"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ins []trail.Input
			for _, f := range tc.files {
				ins = append(ins, trail.FileInput(fixture(f)))
			}
			res, err := trail.ReplayFiles(context.Background(), ins, trail.Options{Expect: fixtureExpect(), FullDecode: tc.full, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			goldenFile(t, tc.name+".json.golden", append(b, '\n'))
		})
	}
}
