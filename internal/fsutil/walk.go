package fsutil

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultMaxSymlinks is how many symlinks Walk follows along one path
// unless told otherwise (Linux itself gives up after 40).
const DefaultMaxSymlinks = 8

// WalkOptions tune Walk.
type WalkOptions struct {
	// MaxSymlinks is how many symlinks may be followed along one path from
	// the root; past it the link is skipped with a note. 0 means
	// DefaultMaxSymlinks; a negative value follows none.
	MaxSymlinks int
	// Note is told, in a sentence naming the path, about every symlink
	// that leads outside the root, every link skipped (too deep, a loop,
	// dangling) and every entry that is not a regular file or folder. Nil
	// drops the notes.
	Note func(msg string)
}

// Walk calls fn for every regular file under root, in lexical order,
// descending into folders and following symlinks to files and folders.
// Following is bounded: at most MaxSymlinks links along one path, and a
// folder already being walked (a loop) is not entered again. A symlink
// whose target is outside root is followed (an auditor may keep inputs
// elsewhere) but noted, so that a report can say it read from there. Named
// pipes, devices and sockets are never passed to fn. The path given to fn
// is under root as written (links are not resolved in it); fn opens it
// with Open or ReadFile, which check the file again.
func Walk(root string, opt WalkOptions, fn func(path string) error) error {
	maxLinks := opt.MaxSymlinks
	if maxLinks == 0 {
		maxLinks = DefaultMaxSymlinks
	}
	note := opt.Note
	if note == nil {
		note = func(string) {}
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	realRoot, err = filepath.Abs(realRoot)
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	st, err := os.Stat(realRoot)
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	if !st.IsDir() {
		if !st.Mode().IsRegular() {
			return notRegular(root, 0, st.Mode())
		}
		return fn(root)
	}
	w := &walker{root: realRoot, maxLinks: maxLinks, note: note, fn: fn, active: map[string]bool{}}
	return w.dir(root, realRoot, 0)
}

type walker struct {
	root     string
	maxLinks int
	note     func(string)
	fn       func(string) error
	// active holds the real paths of the folders being walked, to refuse
	// loops.
	active map[string]bool
}

func (w *walker) dir(path, real string, links int) error {
	if w.active[real] {
		w.note(fmt.Sprintf("%s: skipped: a symlink loop (leads back to %s)", path, real))
		return nil
	}
	w.active[real] = true
	defer delete(w.active, real)
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("walk %s: %w", path, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		p := filepath.Join(path, e.Name())
		if err := w.entry(p, filepath.Join(real, e.Name()), e.Type(), links); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) entry(path, real string, mode fs.FileMode, links int) error {
	if mode&fs.ModeSymlink != 0 {
		if links >= w.maxLinks {
			w.note(fmt.Sprintf("%s: symlink not followed: more than %d symlinks along the path", path, max(w.maxLinks, 0)))
			return nil
		}
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			w.note(fmt.Sprintf("%s: symlink not followed: %v", path, unwrapPathErr(err)))
			return nil
		}
		target, err = filepath.Abs(target)
		if err != nil {
			return fmt.Errorf("walk %s: %w", path, err)
		}
		if !within(w.root, target) {
			w.note(fmt.Sprintf("%s: symlink leads outside %s, to %s", path, w.root, target))
		}
		st, err := os.Stat(target)
		if err != nil {
			w.note(fmt.Sprintf("%s: symlink not followed: %v", path, unwrapPathErr(err)))
			return nil
		}
		// Each symlinked entry on the way down counts once (a chain of
		// links is resolved by EvalSymlinks, which gives up after 255).
		return w.entry(path, target, st.Mode().Type(), links+1)
	}
	switch {
	case mode.IsDir():
		return w.dir(path, real, links)
	case mode.IsRegular():
		return w.fn(path)
	default:
		w.note(fmt.Sprintf("%s: skipped: %s, not a regular file", path, describeMode(mode)))
		return nil
	}
}

// within reports whether target is root or below it.
func within(root, target string) bool {
	rel, err := filepath.Rel(root, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
