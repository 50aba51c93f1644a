//go:build unix

package fsutil

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestWalk(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	mk := func(p string) {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := func(p string) {
		mk(filepath.Dir(p))
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	file(filepath.Join(root, "a.json"))
	file(filepath.Join(root, "sub", "b.json"))
	file(filepath.Join(outside, "c.json"))
	link(outside, filepath.Join(root, "out"))                        // leaves root
	link(root, filepath.Join(root, "sub", "loop"))                   // back to root: a loop
	link(filepath.Join(root, "nope"), filepath.Join(root, "dangle")) // dangling
	link(filepath.Join(root, "a.json"), filepath.Join(root, "l1"))
	link(filepath.Join(root, "l1"), filepath.Join(root, "l2")) // a chain: one entry, one step
	if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}

	var got, notes []string
	err := Walk(root, WalkOptions{Note: func(m string) { notes = append(notes, m) }}, func(p string) error {
		rel, _ := filepath.Rel(root, p)
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.json", "l1", "l2", "out/c.json", "sub/b.json"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	wantNotes := []string{"dangle: symlink not followed", "out: symlink leads outside", "pipe: skipped: a named pipe", "loop: skipped: a symlink loop"}
	for _, w := range wantNotes {
		found := false
		for _, n := range notes {
			found = found || strings.Contains(n, w)
		}
		if !found {
			t.Errorf("no note containing %q in %q", w, notes)
		}
	}

	t.Run("bounded-depth", func(t *testing.T) {
		t.Parallel()
		var files, notes []string
		err := Walk(root, WalkOptions{MaxSymlinks: -1, Note: func(m string) { notes = append(notes, m) }}, func(p string) error {
			files = append(files, filepath.Base(p))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"a.json", "b.json"}; !reflect.DeepEqual(files, want) {
			t.Errorf("with no links followed: files %v, want %v", files, want)
		}
		if len(notes) < 4 {
			t.Errorf("notes %q, want one per link not followed", notes)
		}
	})
}
