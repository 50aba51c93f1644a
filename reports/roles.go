package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// RolesReport is `pvaudit roles`: every role, what the contract makes of it
// and why, its boundary, who may assume it, last use and session length.
type RolesReport struct {
	Header
	Outcome
	Roles        []RoleRow       `json:"roles"`
	CoverageGaps []inventory.Gap `json:"coverage_gaps"`
}

// RoleRow is one role of a roles report.
type RoleRow struct {
	Name    string   `json:"name"`
	ARN     string   `json:"arn"`
	Kind    string   `json:"kind"`
	Reasons []string `json:"reasons,omitempty"`
	NodeID  string   `json:"node_id,omitempty"`
	// Boundary is the permissions boundary's ARN; BoundaryForeign says it
	// is another account's.
	Boundary        string   `json:"boundary,omitempty"`
	BoundaryForeign bool     `json:"boundary_foreign,omitempty"`
	Trusted         []string `json:"trusted_principals"`
	LastUsed        string   `json:"last_used,omitempty"`
	// MaxSessionDuration in seconds; 0 when the source did not say.
	MaxSessionDuration int `json:"max_session_duration,omitempty"`
	// MaxSession is MaxSessionDuration for people ("1h", "unknown").
	MaxSession string `json:"max_session"`
}

// Result returns the verdict (coverage gaps only) and empty counts.
func (r *RolesReport) Result() (finding.Verdict, finding.Summary) {
	return r.Verdict, finding.Summary{}
}

func (r *RolesReport) normalizeJSON() {
	r.Roles = nonNil(r.Roles)
	r.CoverageGaps = nonNil(r.CoverageGaps)
	for i := range r.Roles {
		r.Roles[i].Trusted = nonNil(r.Roles[i].Trusted)
	}
	if r.Verdict.Accepted == nil {
		r.Verdict.Accepted = []finding.AcceptedGap{}
	}
}

func writeRolesTable(w io.Writer, rep Report, o Options) error {
	r := rep.(*RolesReport)
	t := newTable(w, o.width(), "ROLE", "KIND", "BOUNDARY", "TRUSTED PRINCIPALS", "LAST USED", "MAX SESSION")
	for _, x := range r.Roles {
		boundary := "-"
		if x.Boundary != "" {
			boundary = ShortResource(x.Boundary)
			if x.BoundaryForeign {
				boundary = accountOfARN(x.Boundary) + ":" + boundary // not this account's: say so
			}
		}
		last := x.LastUsed
		if last == "" {
			last = "never/unknown"
		} else if len(last) >= 10 {
			last = last[:10]
		}
		if err := t.Append([]string{x.Name, x.Kind, boundary, strings.Join(x.Trusted, "\n"), last, x.MaxSession}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(r.CoverageGaps) > 0 {
		_, err := fmt.Fprintf(w, "\nIncomplete: %d coverage gap(s); run `pvaudit scan` for details.\n", len(r.CoverageGaps))
		return err
	}
	return nil
}

func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}
