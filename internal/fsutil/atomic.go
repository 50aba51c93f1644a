// Package fsutil holds small file helpers shared by commands.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// WriteDirAtomic creates the folder dst with the files write puts into the
// temporary folder it is given (a sibling of dst), then renames it into
// place: dst appears complete or not at all. dst must not exist, or be an
// empty folder (it is replaced). On failure the temporary folder is
// removed and dst is left as it was.
func WriteDirAtomic(dst string, write func(dir string) error) (err error) {
	if entries, rerr := os.ReadDir(dst); rerr == nil {
		if len(entries) > 0 {
			return fmt.Errorf("folder %s exists and is not empty", dst)
		}
	} else if !errors.Is(rerr, fs.ErrNotExist) {
		return fmt.Errorf("folder %s: %w", dst, rerr)
	}
	parent := filepath.Dir(filepath.Clean(dst))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return fmt.Errorf("folder %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("folder %s: %w", dst, err)
	}
	if err = os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("folder %s: %w", dst, err)
	}
	// An empty dst is replaced; rename cannot replace a folder.
	if rerr := os.Remove(dst); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return fmt.Errorf("folder %s: %w", dst, rerr)
	}
	if err = os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("folder %s: %w", dst, err)
	}
	return nil
}

// WriteFileIn writes one file of a folder being built by WriteDirAtomic
// (rel is slash-separated; parent folders are created).
func WriteFileIn(dir, rel string, perm os.FileMode, data []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if !strings.HasPrefix(p, filepath.Clean(dir)+string(filepath.Separator)) {
		return fmt.Errorf("%s leaves the folder", rel)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
