package fsutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOneWriter: outside this package, no code pvaudit runs opens a file
// for writing itself; every file goes through WriteFileAtomic or
// WriteDirAtomic, so a failed command never leaves half a file or replaces
// a good one. Test helpers (fixture generators, the loopback endpoint's
// trail export, benchmarks' generators) are exempt.
func TestOneWriter(t *testing.T) {
	root := filepath.Join("..", "..")
	exempt := []string{"internal/fsutil/", "internal/trailgen/", "internal/awsfake/", "internal/testaccount/", "bench/", "policy/catalog/internal/"}
	write := regexp.MustCompile(`os\.(Create|WriteFile|OpenFile|CreateTemp|Rename|MkdirTemp)\(`)
	checked := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		for _, e := range exempt {
			if strings.HasPrefix(rel, e) {
				return nil
			}
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if write.MatchString(line) {
				t.Errorf("%s:%d writes a file itself; use fsutil.WriteFileAtomic: %s", rel, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d files checked: the walk missed the repository", checked)
	}
}
