package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		exists  bool
		write   func(w io.Writer) error
		wantErr string
		want    string // content afterwards
	}{
		{name: "new-file", write: func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, want: "new"},
		{name: "replaces-existing", exists: true, write: func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, want: "new"},
		{name: "failed-write-keeps-existing", exists: true, wantErr: "disk on fire", want: "old",
			write: func(w io.Writer) error {
				if _, err := io.WriteString(w, "half"); err != nil {
					return err
				}
				return errors.New("disk on fire")
			}},
		{name: "failed-write-leaves-nothing", wantErr: "disk on fire", want: "",
			write: func(io.Writer) error { return errors.New("disk on fire") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "out.json")
			if tc.exists {
				if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteFileAtomic(path, 0o644, tc.write)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want one naming %s and %q", err, path, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			got, readErr := os.ReadFile(path)
			switch {
			case tc.want == "" && !errors.Is(readErr, os.ErrNotExist):
				t.Errorf("file exists after a failed first write: %q, %v", got, readErr)
			case tc.want != "" && string(got) != tc.want:
				t.Errorf("content %q, want %q", got, tc.want)
			}
			if tc.wantErr == "" {
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
					t.Errorf("mode %v (%v), want 0644", fi.Mode().Perm(), err)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file left behind: %s", e.Name())
				}
			}
		})
	}
	t.Run("missing-directory", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "no", "such", "dir", "out.json")
		if err := WriteFileAtomic(path, 0o644, func(io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v, want one naming %s", err, path)
		}
	})
}

// TestWriteFileAtomicSpecialTargets: "-o json=/dev/null" once renamed a
// temporary file over /dev/null (as root that succeeds and leaves the
// machine without a null device). Devices and pipes are written through,
// folders refused, and a symlink keeps being a link.
func TestWriteFileAtomicSpecialTargets(t *testing.T) {
	t.Parallel()
	hello := func(w io.Writer) error { _, err := io.WriteString(w, "hello"); return err }
	t.Run("dev-null-stays-a-device", func(t *testing.T) {
		t.Parallel()
		if err := WriteFileAtomic(os.DevNull, 0o644, hello); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(os.DevNull)
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("%s is now %v (%v), want a character device", os.DevNull, fi.Mode(), err)
		}
	})
	t.Run("folder-refused", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		err := WriteFileAtomic(dir, 0o644, hello)
		if err == nil || !strings.Contains(err.Error(), "a folder") {
			t.Fatalf("err = %v, want one saying it is a folder", err)
		}
	})
	t.Run("symlink-target-replaced", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		target, link := filepath.Join(dir, "real.json"), filepath.Join(dir, "link.json")
		if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(link, 0o644, hello); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("link is now %v (%v), want a symlink", fi.Mode(), err)
		}
		if got, _ := os.ReadFile(target); string(got) != "hello" {
			t.Errorf("target holds %q, want hello", got)
		}
	})
}

func TestWriteDirAtomic(t *testing.T) {
	parent := t.TempDir()
	dst := filepath.Join(parent, "bundle")
	// A failing write leaves nothing, not even the temporary folder.
	err := WriteDirAtomic(dst, func(dir string) error {
		if err := WriteFileIn(dir, "a/b.json", 0o644, []byte("{}")); err != nil {
			return err
		}
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("the failure was lost")
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	if err := WriteDirAtomic(dst, func(dir string) error { return WriteFileIn(dir, "a/b.json", 0o644, []byte("{}")) }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "a", "b.json")); err != nil || string(b) != "{}" {
		t.Fatalf("got %q, %v", b, err)
	}
	// A folder with files is never replaced.
	if err := WriteDirAtomic(dst, func(string) error { return nil }); err == nil {
		t.Error("a non-empty folder was replaced")
	}
	if err := WriteDirAtomic(filepath.Join(parent, "x"), func(dir string) error { return WriteFileIn(dir, "../escape", 0o644, nil) }); err == nil {
		t.Error("a file outside the folder was written")
	}
}
