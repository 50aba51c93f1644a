package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// ManifestSchema is the version of manifest.json.
const ManifestSchema = "pvaudit.evidence/v1"

// Manifest is manifest.json: what the bundle holds and how it was made.
// docs/schema/evidence-manifest.schema.json describes it.
type Manifest struct {
	Schema      string    `json:"schema"`
	Tool        string    `json:"tool"`
	Version     string    `json:"version"`
	Revision    string    `json:"revision,omitempty"`
	GeneratedAt time.Time `json:"generated_at"`
	// CommandLine is the exact command line, secrets redacted.
	CommandLine []string     `json:"command_line"`
	Framework   FrameworkRef `json:"framework"`
	Account     AccountRef   `json:"account"`
	Contract    ContractRef  `json:"contract"`
	// Parameters are the contract parameters the run used (secrets
	// redacted).
	Parameters map[string]any `json:"parameters"`
	TimeWindow TimeWindow     `json:"time_window"`
	// Input is the snapshot file the run read, when it read one.
	Input *InputRef `json:"input,omitempty"`
	// Baseline is the drift baseline, when one was given (--baseline).
	Baseline *BaselineRef `json:"baseline,omitempty"`
	// Outcome is the run's verdict and counts.
	Outcome Outcome `json:"outcome"`
	// Reproduction says whether re-analysing the bundle (pvaudit scan
	// --from BUNDLE) gives the same findings: the export checks it.
	Reproduction Reproduction `json:"reproduction"`
	// Redactions counts the secrets replaced before anything was written.
	Redactions []Redaction `json:"redactions"`
	Files      []FileEntry `json:"files"`
}

// FrameworkRef names the framework of the control matrix.
type FrameworkRef struct {
	ID    string `json:"id"`
	Key   string `json:"key"`
	Title string `json:"title"`
}

// AccountRef says which account, read how and by whom.
type AccountRef struct {
	ID         string    `json:"id"`
	Source     string    `json:"source"`
	CallerARN  string    `json:"caller_arn,omitempty"`
	CapturedAt time.Time `json:"captured_at,omitzero"`
}

// ContractRef names the contract and the hash of the file in the bundle.
type ContractRef struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// TimeWindow is the time the evidence covers.
type TimeWindow struct {
	// Snapshot is when the account was read.
	Snapshot time.Time `json:"snapshot,omitzero"`
	// TrailSince and TrailUntil bound the CloudTrail replayed (absent:
	// unbounded, or no CloudTrail).
	TrailSince time.Time `json:"trail_since,omitzero"`
	TrailUntil time.Time `json:"trail_until,omitzero"`
	// TrailSources are the CloudTrail inputs ("" when none).
	TrailSources []string `json:"trail_sources"`
}

// InputRef is an input file, by name and hash of its original bytes.
type InputRef struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
	// Redacted says that the copy in the bundle differs from the original
	// because secrets were replaced.
	Redacted bool `json:"redacted"`
}

// BaselineRef is the baseline a bundle's drift compared with: the file as
// read, its content hash, whether it was complete, and how its signature
// was checked ("verified" with the key, "unsigned", or "not verified":
// signed, but no key was given).
type BaselineRef struct {
	Name          string `json:"name"`
	SHA256        string `json:"sha256"`
	Size          int    `json:"size"`
	ContentSHA256 string `json:"content_sha256"`
	Complete      bool   `json:"complete"`
	Signature     string `json:"signature"`
	KeyID         string `json:"key_id,omitempty"`
}

// Outcome is the verdict in the manifest.
type Outcome struct {
	Outcome      string          `json:"outcome"`
	FailOn       string          `json:"fail_on"`
	Summary      finding.Summary `json:"summary"`
	CoverageGaps int             `json:"coverage_gaps"`
	Reasons      []string        `json:"reasons"`
}

// Reproduction is the result of re-analysing the bundle's own inputs.
type Reproduction struct {
	Checked bool `json:"checked"`
	Same    bool `json:"same"`
	// Differences lists findings (fingerprint, status) that differ.
	Differences []string `json:"differences"`
	// Command re-analyses the bundle.
	Command string `json:"command"`
}

// Redaction counts one kind of secret replaced.
type Redaction struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

// FileEntry is one file of the bundle.
type FileEntry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
	// Description says what the file is.
	Description string `json:"description,omitempty"`
}

// Seal fills the manifest's file list from files (every file but the
// manifest and its signature), sorted by path, and returns the manifest's
// bytes.
func (m *Manifest) Seal(files []File, describe map[string]string) ([]byte, error) {
	m.Files = m.Files[:0]
	for _, f := range files {
		if f.Path == ManifestFile || f.Path == SignatureFile {
			continue
		}
		m.Files = append(m.Files, FileEntry{Path: f.Path, SHA256: Sum(f.Data), Size: len(f.Data), Description: describe[f.Path]})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	if m.Redactions == nil {
		m.Redactions = []Redaction{}
	}
	if m.Parameters == nil {
		m.Parameters = map[string]any{}
	}
	if m.Outcome.Reasons == nil {
		m.Outcome.Reasons = []string{}
	}
	if m.Reproduction.Differences == nil {
		m.Reproduction.Differences = []string{}
	}
	if m.TimeWindow.TrailSources == nil {
		m.TimeWindow.TrailSources = []string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return b.Bytes(), nil
}

// ReadManifest decodes a bundle's manifest strictly.
func (b *Bundle) ReadManifest() (*Manifest, error) {
	data, ok := b.Files[ManifestFile]
	if !ok {
		return nil, fmt.Errorf("%s: %w: no %s", b.Source, ErrNotBundle, ManifestFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", b.Source, ManifestFile, err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("%s: %s: schema %q, want %q", b.Source, ManifestFile, m.Schema, ManifestSchema)
	}
	return &m, nil
}
