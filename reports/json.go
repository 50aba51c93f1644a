package reports

import (
	"encoding/json"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"io"
)

type jsonWriter struct{}

// Write renders the report as indented JSON. Findings and gaps are never
// null, so consumers can iterate without checks.
func (jsonWriter) Write(w io.Writer, r *Report) error {
	out := *r
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if out.CoverageGaps == nil {
		out.CoverageGaps = []inventory.Gap{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(&out)
}
