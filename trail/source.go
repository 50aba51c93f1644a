package trail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Input is one file (or stream) of records.
type Input struct {
	// Name identifies the input in reports: a path, or "-" for stdin.
	Name string
	// Size is the number of bytes Open will yield before decompression, or
	// 0 when unknown; it drives the progress bar.
	Size int64
	Open func() (io.ReadCloser, error)
}

// FileInput reads a local file.
func FileInput(path string) Input {
	in := Input{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
	if fi, err := os.Stat(path); err == nil {
		in.Size = fi.Size()
	}
	return in
}

// ReaderInput reads r once (stdin, a test buffer).
func ReaderInput(name string, r io.Reader) Input {
	return Input{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// BytesInput reads an in-memory file.
func BytesInput(name string, b []byte) Input {
	return Input{Name: name, Size: int64(len(b)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}

// WalkStats counts what a folder walk found and left out.
type WalkStats struct {
	// Root is the folder walked.
	Root           string `json:"root,omitempty"`
	LogFiles       int    `json:"log_files"`
	DigestFiles    int    `json:"digest_files"`
	SignatureFiles int    `json:"signature_files,omitempty"` // <digest>.sig files beside digests
	OtherFiles     int    `json:"other_files"`
	PrunedDirs     int    `json:"pruned_dirs"`
	Bytes          int64  `json:"bytes"`

	// digests are the digest files found; sigs the signature files, by
	// the digest they sign.
	digests []string
	sigs    map[string]string
}

// DigestRegions returns the regions whose digest files the walk found,
// sorted, and the period their folders span: what to ask ListPublicKeys
// for (in each region) before verifying them.
func (w WalkStats) DigestRegions() (regions []string, from, to time.Time) {
	seen := map[string]bool{}
	for _, p := range w.digests {
		parts := strings.Split(filepath.ToSlash(p), "/")
		for i, part := range parts {
			if part != "CloudTrail-Digest" || i+4 >= len(parts) {
				continue
			}
			if !seen[parts[i+1]] {
				seen[parts[i+1]] = true
				regions = append(regions, parts[i+1])
			}
			if d, err := time.Parse("2006/01/02", strings.Join(parts[i+2:i+5], "/")); err == nil {
				if from.IsZero() || d.Before(from) {
					from = d
				}
				if end := d.Add(24 * time.Hour); end.After(to) {
					to = end
				}
			}
		}
	}
	sort.Strings(regions)
	return regions, from, to
}

// dateSlack widens a dated folder's range backwards: a file can hold records
// older than the folder it was delivered to.
const dateSlack = 24 * time.Hour

// WalkDir lists the log files under root, a local copy of a trail's S3
// prefix (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/, organisation
// trails AWSLogs/<org-id>/<account>/…) or any folder of exports. Digest
// files and other non-log files are skipped and counted; dated folders
// entirely outside [since, until] are pruned without being read. A zero
// since or until is open.
func WalkDir(root string, since, until time.Time) ([]Input, WalkStats, error) {
	var ins []Input
	st := WalkStats{Root: root}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			if p != root && !dirInRange(parts, since, until) {
				st.PrunedDirs++
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		switch {
		case isDigest(parts, name) && strings.HasSuffix(name, ".sig"):
			if st.sigs == nil {
				st.sigs = map[string]string{}
			}
			st.sigs[strings.TrimSuffix(p, ".sig")] = p
			st.SignatureFiles++
		case isDigest(parts, name):
			if isLogName(name) {
				st.digests = append(st.digests, p)
			}
			st.DigestFiles++
		case isLogName(name) && !underOtherTrailFolder(parts):
			fi, err := d.Info()
			if err != nil {
				return fmt.Errorf("stat %s: %w", p, err)
			}
			// The walk has the size already: no second stat per file.
			ins = append(ins, Input{Name: p, Size: fi.Size(), Open: func() (io.ReadCloser, error) { return os.Open(p) }})
			st.LogFiles++
			st.Bytes += fi.Size()
		default:
			st.OtherFiles++
		}
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	return ins, st, nil
}

func isDigest(parts []string, name string) bool {
	if strings.Contains(name, "_CloudTrail-Digest_") {
		return true
	}
	for _, p := range parts {
		if p == "CloudTrail-Digest" {
			return true
		}
	}
	return false
}

// underOtherTrailFolder reports files in CloudTrail-Insight and similar
// sibling folders, which do not hold API call records.
func underOtherTrailFolder(parts []string) bool {
	for _, p := range parts {
		if strings.HasPrefix(p, "CloudTrail-") {
			return true
		}
	}
	return false
}

func isLogName(name string) bool {
	n := strings.TrimSuffix(strings.ToLower(name), ".gz")
	return strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".jsonl") || strings.HasSuffix(n, ".ndjson")
}

// dirInRange reports whether a folder may hold records in [since, until].
// Only folders under a "CloudTrail/<region>/" component are dated:
// YYYY, YYYY/MM and YYYY/MM/DD.
func dirInRange(parts []string, since, until time.Time) bool {
	if since.IsZero() && until.IsZero() {
		return true
	}
	ct := -1
	for i, p := range parts {
		if p == "CloudTrail" {
			ct = i
		}
	}
	if ct < 0 {
		return true
	}
	date := parts[ct+1:]
	if len(date) < 2 { // the CloudTrail folder or a region folder
		return true
	}
	date = date[1:]
	var y, m, dd int
	var err error
	if y, err = strconv.Atoi(date[0]); err != nil || len(date[0]) != 4 {
		return true
	}
	lo := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := lo.AddDate(1, 0, 0)
	if len(date) >= 2 {
		if m, err = strconv.Atoi(date[1]); err != nil || m < 1 || m > 12 {
			return true
		}
		lo = time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		hi = lo.AddDate(0, 1, 0)
	}
	if len(date) >= 3 {
		if dd, err = strconv.Atoi(date[2]); err != nil || dd < 1 || dd > 31 {
			return true
		}
		lo = time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC)
		hi = lo.AddDate(0, 0, 1)
	}
	lo = lo.Add(-dateSlack)
	if !until.IsZero() && lo.After(until) {
		return false
	}
	if !since.IsZero() && !hi.After(since) {
		return false
	}
	return true
}

// ErrNoInput is returned when a replay is given nothing to read.
var ErrNoInput = errors.New("no CloudTrail input: give --dir, --file, --lookup, --lake or --athena")
