package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/reports/evidence"
)

// RunDir is --output-dir: a folder of scheduled runs. Each run writes
// NAME-STAMP.EXT files (STAMP is the run's UTC time, 20261123T120000Z)
// and copies them to NAME-latest.EXT; the previous run's latest JSON is
// what "since the last run" compares with; Keep > 0 deletes all but the
// newest Keep runs of NAME (only files of that exact pattern).
type RunDir struct {
	Dir  string
	Keep int
}

// Stamp is a run's time in file names.
func Stamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// previous reads NAME-latest.json (a report) or, for a bundle,
// NAME-latest.zip's findings.json: the findings of the previous run.
func (d RunDir) previous(name, ext string) (prev []finding.Finding, file string, at time.Time, err error) {
	file = filepath.Join(d.Dir, name+"-latest."+ext)
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return nil, "", time.Time{}, nil
	}
	var data []byte
	if ext == "zip" {
		b, err := evidence.Open(file)
		if err != nil {
			return nil, file, time.Time{}, fmt.Errorf("previous run: %w", err)
		}
		data = b.Files["findings.json"]
	} else if data, err = os.ReadFile(file); err != nil {
		return nil, file, time.Time{}, fmt.Errorf("previous run: %w", err)
	}
	var rep struct {
		GeneratedAt time.Time         `json:"generated_at"`
		Findings    []finding.Finding `json:"findings"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, file, time.Time{}, fmt.Errorf("previous run %s: %w", file, err)
	}
	return rep.Findings, file, rep.GeneratedAt, nil
}

// SinceLastRun fills rep.SinceLastRun from the previous scan in the
// folder (nothing on the first run).
func (d RunDir) SinceLastRun(rep *reports.ScanReport) error {
	prev, file, at, err := d.previous("scan", "json")
	if err != nil || file == "" {
		return err
	}
	rep.SinceLastRun = reports.Compare(prev, rep.Findings, filepath.Base(file), at)
	return nil
}

// DriftSinceLastRun fills rep.SinceLastRun from the previous drift run in
// the folder (nothing on the first run).
func (d RunDir) DriftSinceLastRun(rep *reports.DriftReport) error {
	prev, file, at, err := d.previous("drift", "json")
	if err != nil || file == "" {
		return err
	}
	rep.SinceLastRun = reports.Compare(prev, rep.Findings, filepath.Base(file), at)
	return nil
}

// EvidenceSinceLastRun compares with the previous bundle of a framework.
func (d RunDir) EvidenceSinceLastRun(framework string, cur []finding.Finding) (*reports.Delta, error) {
	prev, file, at, err := d.previous("evidence-"+framework, "zip")
	if err != nil || file == "" {
		return nil, err
	}
	return reports.Compare(prev, cur, filepath.Base(file), at), nil
}

// Publish writes one run's artefacts (extension → bytes) as
// NAME-STAMP.EXT and NAME-latest.EXT, atomically, then applies Keep. It
// returns the files written.
func (d RunDir) Publish(name string, at time.Time, artefacts map[string][]byte) ([]string, error) {
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("--output-dir: %w", err)
	}
	stamp := Stamp(at)
	exts := make([]string, 0, len(artefacts))
	for e := range artefacts {
		exts = append(exts, e)
	}
	sort.Strings(exts)
	var written []string
	for _, e := range exts {
		p := filepath.Join(d.Dir, name+"-"+stamp+"."+e)
		if _, err := os.Stat(p); err == nil {
			return written, fmt.Errorf("--output-dir: %s exists: a run at the same second already wrote it", p)
		}
	}
	write := func(p string, b []byte) error {
		return fsutil.WriteFileAtomic(p, 0o644, func(w io.Writer) error { _, err := w.Write(b); return err })
	}
	for _, e := range exts {
		p := filepath.Join(d.Dir, name+"-"+stamp+"."+e)
		if err := write(p, artefacts[e]); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	// latest.* only once every timestamped file is there.
	for _, e := range exts {
		p := filepath.Join(d.Dir, name+"-latest."+e)
		if err := write(p, artefacts[e]); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, d.prune(name)
}

// prune keeps the newest Keep runs of name.
func (d RunDir) prune(name string) error {
	if d.Keep <= 0 {
		return nil
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `-([0-9]{8}T[0-9]{6}Z)\.[a-z0-9.]+$`)
	entries, err := os.ReadDir(d.Dir)
	if err != nil {
		return err
	}
	byStamp := map[string][]string{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if m := re.FindStringSubmatch(e.Name()); m != nil {
			byStamp[m[1]] = append(byStamp[m[1]], e.Name())
		}
	}
	stamps := make([]string, 0, len(byStamp))
	for s := range byStamp {
		stamps = append(stamps, s)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(stamps)))
	for i, s := range stamps {
		if i < d.Keep {
			continue
		}
		for _, f := range byStamp[s] {
			if err := os.Remove(filepath.Join(d.Dir, f)); err != nil {
				return fmt.Errorf("--keep: %w", err)
			}
		}
	}
	return nil
}

// ExtOf is the file extension of a report format.
func ExtOf(format string) string {
	switch strings.ToLower(format) {
	case "markdown":
		return "md"
	case "junit":
		return "junit.xml"
	case "ocsf":
		return "ocsf.jsonl"
	case "asff":
		return "asff.json"
	case "table":
		return "txt"
	}
	return strings.ToLower(format)
}
