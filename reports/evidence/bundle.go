// Package evidence writes, reads and verifies evidence bundles: a folder,
// .zip or .tar.gz holding what a run analysed and found (findings, the
// snapshot, probe results, sessions, the control matrix, an HTML report,
// an OSCAL assessment-results document, a coverage statement) and a
// manifest.json with every file's SHA-256 and size, optionally signed with
// Ed25519 (manifest.sig). Verify recomputes every hash and reports added,
// missing and altered files. Standard library only.
package evidence

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/fsutil"
)

// Names of the files every bundle has.
const (
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.sig"
)

// Limits when reading a bundle: a bundle is input an attacker may have
// made, so nothing it says is trusted before it is checked.
const (
	MaxFiles     = 10_000
	MaxFileSize  = 512 << 20 // one file, uncompressed
	MaxTotalSize = 1 << 30   // all files, uncompressed
)

// ErrNotBundle says that a path is not an evidence bundle.
var ErrNotBundle = errors.New("not an evidence bundle")

// File is one file of a bundle.
type File struct {
	Path string
	Data []byte
}

// Bundle is a bundle's files, by path ("/"-separated, relative).
type Bundle struct {
	// Source is where it was read from.
	Source string
	Files  map[string][]byte
}

// Format is how a bundle is stored.
type Format string

// Formats.
const (
	Dir   Format = "dir"
	Zip   Format = "zip"
	TarGz Format = "tar.gz"
)

// FormatOf says how a destination path stores a bundle: .zip, .tar.gz (or
// .tgz), else a folder.
func FormatOf(p string) Format {
	l := strings.ToLower(p)
	switch {
	case strings.HasSuffix(l, ".zip"):
		return Zip
	case strings.HasSuffix(l, ".tar.gz"), strings.HasSuffix(l, ".tgz"):
		return TarGz
	}
	return Dir
}

// Sum is a file's SHA-256 in hex.
func Sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// validName checks a path inside a bundle: relative, clean, "/"-separated,
// no "..", no control characters.
func validName(name string) error {
	switch {
	case name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\"):
		return fmt.Errorf("bad file name %q", name)
	case path.Clean(name) != name || name == "." || strings.HasPrefix(name, "../") || name == "..":
		return fmt.Errorf("bad file name %q (not a clean relative path)", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("bad file name %q (control character)", name)
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return fmt.Errorf("bad file name %q", name)
		}
	}
	return nil
}

// Write stores files at dst in the format its name says. Files are
// written in path order with a fixed time (mtime), so the same files give
// the same bytes. A folder must not exist yet, or be empty; an archive is
// written atomically.
func Write(dst string, files []File, mtime time.Time) error {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	seen := map[string]bool{}
	for _, f := range sorted {
		if err := validName(f.Path); err != nil {
			return err
		}
		if seen[f.Path] {
			return fmt.Errorf("bundle: %s twice", f.Path)
		}
		seen[f.Path] = true
	}
	switch FormatOf(dst) {
	case Zip:
		return fsutil.WriteFileAtomic(dst, 0o644, func(w io.Writer) error { return writeZip(w, sorted, mtime) })
	case TarGz:
		return fsutil.WriteFileAtomic(dst, 0o644, func(w io.Writer) error { return writeTarGz(w, sorted, mtime) })
	}
	return writeDir(dst, sorted)
}

// Encode renders a bundle as an archive in memory (zip or tar.gz).
func Encode(format Format, files []File, mtime time.Time) ([]byte, error) {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var b bytes.Buffer
	var err error
	switch format {
	case Zip:
		err = writeZip(&b, sorted, mtime)
	case TarGz:
		err = writeTarGz(&b, sorted, mtime)
	default:
		return nil, fmt.Errorf("bundle: cannot encode %s in memory", format)
	}
	return b.Bytes(), err
}

func writeZip(w io.Writer, files []File, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Path, Method: zip.Deflate, Modified: mtime.UTC()}
		h.SetMode(0o644)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

func writeTarGz(w io.Writer, files []File, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, f := range files {
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var dl []string
	for d := range dirs {
		dl = append(dl, d)
	}
	sort.Strings(dl)
	for _, d := range dl {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime.UTC(), Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.Path, Mode: 0o644, Size: int64(len(f.Data)), ModTime: mtime.UTC(), Format: tar.FormatPAX}); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// writeDir writes the files into a new folder, atomically (see
// fsutil.WriteDirAtomic), so a failed export leaves no half bundle.
func writeDir(dst string, files []File) error {
	if entries, err := os.ReadDir(dst); err == nil && len(entries) > 0 {
		return fmt.Errorf("bundle folder %s exists and is not empty: give a new folder (evidence verify would count its files as added)", dst)
	}
	return fsutil.WriteDirAtomic(dst, func(dir string) error {
		for _, f := range files {
			if err := fsutil.WriteFileIn(dir, f.Path, 0o644, f.Data); err != nil {
				return err
			}
		}
		return nil
	})
}

// IsBundle reports whether p looks like a bundle: a folder with a
// manifest.json, or a .zip or .tar.gz file.
func IsBundle(p string) bool {
	st, err := os.Stat(p)
	if err != nil {
		return false
	}
	if st.IsDir() {
		_, err := os.Stat(filepath.Join(p, ManifestFile))
		return err == nil
	}
	return FormatOf(p) != Dir
}

// Open reads a bundle (folder, .zip or .tar.gz) with the limits above.
// Symbolic links, devices and duplicate or unsafe names are errors: a
// verifier must see exactly the files there are.
func Open(p string) (*Bundle, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	b := &Bundle{Source: p, Files: map[string][]byte{}}
	switch {
	case st.IsDir():
		err = b.readDir(p)
	case FormatOf(p) == Zip:
		err = b.readZip(p, st.Size())
	case FormatOf(p) == TarGz:
		err = b.readTarGz(p)
	default:
		return nil, fmt.Errorf("%s: %w (want a folder, .zip or .tar.gz)", p, ErrNotBundle)
	}
	if err != nil {
		return nil, fmt.Errorf("read bundle %s: %w", p, err)
	}
	if _, ok := b.Files[ManifestFile]; !ok {
		return nil, fmt.Errorf("%s: %w: no %s", p, ErrNotBundle, ManifestFile)
	}
	return b, nil
}

type budget struct{ files, total int64 }

func (b *Bundle) add(name string, data []byte, bud *budget) error {
	if err := validName(name); err != nil {
		return err
	}
	if _, dup := b.Files[name]; dup {
		return fmt.Errorf("%s appears twice", name)
	}
	bud.files++
	if bud.files > MaxFiles {
		return fmt.Errorf("more than %d files", MaxFiles)
	}
	b.Files[name] = data
	return nil
}

// readLimited reads at most MaxFileSize bytes and what the total allows.
func readLimited(r io.Reader, name string, bud *budget) ([]byte, error) {
	limit := min(int64(MaxFileSize), MaxTotalSize-bud.total)
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than the bundle limits (%d MiB a file, %d MiB in all)", name, MaxFileSize>>20, MaxTotalSize>>20)
	}
	bud.total += int64(len(data))
	return data, nil
}

func (b *Bundle) readDir(root string) error {
	bud := &budget{}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		name := filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link", name)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", name)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := readLimited(f, name, bud)
		if err != nil {
			return err
		}
		return b.add(name, data, bud)
	})
}

func (b *Bundle) readZip(p string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotBundle, err)
	}
	bud := &budget{}
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, "/") && zf.FileInfo().IsDir() {
			continue
		}
		if !zf.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", zf.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", zf.Name, err)
		}
		data, err := readLimited(rc, zf.Name, bud)
		rc.Close()
		if err != nil {
			return err
		}
		if err := b.add(zf.Name, data, bud); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bundle) readTarGz(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotBundle, err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	bud := &budget{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return fmt.Errorf("%s is not a regular file (tar type %q)", h.Name, h.Typeflag)
		}
		name := strings.TrimPrefix(h.Name, "./")
		data, err := readLimited(tr, name, bud)
		if err != nil {
			return err
		}
		if err := b.add(name, data, bud); err != nil {
			return err
		}
	}
}
