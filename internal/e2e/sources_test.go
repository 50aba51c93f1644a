package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSourcesConsulted opens every file the binary is built from. The
// binary is built with "go build" in TestMain, which the go test cache
// cannot see; files a test opens are part of the cache key, so touching
// any source re-runs this package instead of replaying a stale result.
func TestSourcesConsulted(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "bench", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) ||
			strings.HasSuffix(name, ".yaml") || name == "go.mod" || name == "go.sum" {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			n++
			return f.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk sources: %v", err)
	}
	if n < 20 {
		t.Fatalf("found %d source files under %s; the walk is not looking at the module", n, root)
	}
}
