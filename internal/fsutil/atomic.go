// Package fsutil holds small file helpers shared by commands.
package fsutil

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes path through a temporary file in the same folder
// and renames it into place, so that readers never see a half-written file
// and an existing file is replaced only when write succeeded completely.
//
// A path that names something other than a regular file is written as it
// is, never replaced: a character device (/dev/null, /dev/stdout, a
// terminal) or a named pipe receives the bytes; a folder or socket is an
// error. A symlink to a regular file has its target replaced (the link
// stays a link).
func WriteFileAtomic(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	if fi, serr := os.Stat(path); serr == nil {
		switch m := fi.Mode(); {
		case m.IsRegular():
			if real, lerr := filepath.EvalSymlinks(path); lerr == nil {
				path = real
			}
		case m&(os.ModeCharDevice|os.ModeNamedPipe) != 0:
			return writeThrough(path, write)
		default:
			return fmt.Errorf("write %s: %s, not a file pvaudit can write", path, describeMode(m))
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return nil
}

// writeThrough writes to an existing device or pipe without creating,
// truncating or replacing anything.
func writeThrough(path string, write func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}
