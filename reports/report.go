// Package reports renders analysis results. Every format is a Writer over an
// io.Writer, chosen by name from one registry; writers never open files or
// read flags.
package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// SchemaVersion is the version of the JSON report schema.
const SchemaVersion = "pvaudit.report/v1"

// Report is what a scan produced.
type Report struct {
	Schema      string    `json:"schema"`
	Tool        string    `json:"tool"`
	Version     string    `json:"version"`
	GeneratedAt time.Time `json:"generated_at"`
	Command     string    `json:"command"`
	Contract    string    `json:"contract"`
	Account     Account   `json:"account"`
	// Complete is false when something could not be read or evaluated; the
	// exit code is then 2 whatever the findings say.
	Complete     bool            `json:"complete"`
	FailOn       string          `json:"fail_on"`
	Summary      finding.Summary `json:"summary"`
	CoverageGaps []inventory.Gap `json:"coverage_gaps"`
	Roles        []RoleSummary   `json:"roles,omitempty"`
	// Trail is present when the scan replayed CloudTrail (--trail-*).
	Trail    *TrailSummary     `json:"trail,omitempty"`
	Findings []finding.Finding `json:"findings"`
}

// TrailSummary says what CloudTrail replay added to a scan.
type TrailSummary struct {
	Sources        []string `json:"sources"`
	FilesRead      int      `json:"files_read"`
	FilesUnread    int      `json:"files_unread"`
	Undecodable    int64    `json:"undecodable_records"`
	LookupRequests int      `json:"lookup_requests,omitempty"`
	Sessions       int      `json:"sessions"`
	// ProviderCreated are the roles created under the provider's sessions:
	// the scan classifies each as a child role.
	ProviderCreated []ProviderCreatedRole `json:"provider_created_roles"`
}

// ProviderCreatedRole is a CreateRole seen under a provider session.
type ProviderCreatedRole struct {
	Role     string    `json:"role"`
	Session  string    `json:"session"`
	Time     time.Time `json:"time"`
	EventID  string    `json:"event_id,omitempty"`
	Boundary string    `json:"permissions_boundary,omitempty"`
	// InAccount is false when the role no longer exists in the snapshot.
	InAccount bool `json:"in_account"`
}

// Account says what was scanned.
type Account struct {
	ID         string    `json:"id"`
	Source     string    `json:"source"`
	Input      string    `json:"input,omitempty"` // file name, when read from a file
	CapturedAt time.Time `json:"captured_at,omitzero"`
	CallerARN  string    `json:"caller_arn,omitempty"`
}

// RoleSummary is how the scan classified one role, and why.
type RoleSummary struct {
	Name    string   `json:"name"`
	ARN     string   `json:"arn"`
	Kind    string   `json:"kind"`
	NodeID  string   `json:"node_id,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
}

// Writer renders a report.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// Formats returns the registered format names, sorted.
func Formats() []string {
	names := make([]string, 0, len(registry()))
	for n := range registry() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ForFormat returns the writer for a format name.
func ForFormat(name string) (Writer, error) {
	w, ok := registry()[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("unknown output format %q (want one of %s)", name, strings.Join(Formats(), ", "))
	}
	return w, nil
}

func registry() map[string]Writer {
	return map[string]Writer{
		"table": tableWriter{},
		"json":  jsonWriter{},
	}
}
