package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/trail"
)

// Coverage is an evidence bundle's coverage statement: what was
// evaluated, what could not be and why, what was suppressed and by whom.
type Coverage struct {
	Evaluated    []CoverageRule       `json:"evaluated"`
	NotRun       []CoverageRule       `json:"not_run"`
	Unevaluated  []CoverageFinding    `json:"unevaluated"`
	CoverageGaps []inventory.Gap      `json:"coverage_gaps"`
	Suppressed   []CoverageSuppressed `json:"suppressed"`
	Trail        []string             `json:"trail_sources"`
	// TrailQueries are the CloudTrail Lake and Athena queries the replay
	// ran: IDs, state, bytes scanned, rows; an incomplete one is also a
	// coverage gap.
	TrailQueries []trail.QueryStat `json:"trail_queries"`
	// Limits are what IAM data cannot tell, whatever the run found.
	Limits []string `json:"limits"`
}

// CoverageRule is a rule with its finding count, or why it did not run.
type CoverageRule struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Source   string `json:"source"`
	Findings int    `json:"findings"`
	Why      string `json:"why,omitempty"`
}

// CoverageFinding is a finding that could not be evaluated.
type CoverageFinding struct {
	Fingerprint string         `json:"fingerprint"`
	CheckID     string         `json:"check_id"`
	Status      finding.Status `json:"status"`
	Resource    string         `json:"resource"`
	Message     string         `json:"message"`
}

// CoverageSuppressed is a suppressed finding: who accepted it (the
// suppression file), why and until when.
type CoverageSuppressed struct {
	Fingerprint string         `json:"fingerprint"`
	CheckID     string         `json:"check_id"`
	Status      finding.Status `json:"status"`
	Resource    string         `json:"resource"`
	Reason      string         `json:"reason"`
	Expires     string         `json:"expires,omitempty"`
	AcceptedBy  string         `json:"accepted_by"`
}

var coverageLimits = []string{
	"Network promises are proved from the control plane (routes followed through peering and transit gateways, VPC endpoints and their policies, security groups, flow logs, encryption settings, alarms) in the regions the snapshot's runtime section covers; what the data plane does is not in it: a host that relays traffic, DNS tunnelled through the VPC resolver, an appliance or VPN beyond a route. Routes that lead there are NOT_EVALUATED, never PASS.",
	"S3 bucket policies, KMS key policies and other resource policies are not in an IAM snapshot; organization SCPs are not either.",
	"IAM has no condition key on the trust document passed to CreateRole: roles created trusting an outside account are reported once they exist (PV-ESC-006) and, with CloudTrail, when created.",
	"Probe scenarios that IAM simulation cannot prove are listed as MANUAL in probes.json and count as not evaluated.",
}

func coverageOf(scan *reports.ScanReport, probe *reports.ProbeReport, in ExportInput, trailGiven bool) *Coverage {
	c := &Coverage{Evaluated: []CoverageRule{}, NotRun: []CoverageRule{}, Unevaluated: []CoverageFinding{}, CoverageGaps: nonNilGaps(scan.CoverageGaps),
		Suppressed: []CoverageSuppressed{}, Trail: in.Trail.Describe(), TrailQueries: []trail.QueryStat{}, Limits: coverageLimits}
	if scan.Trail != nil && len(scan.Trail.Queries) > 0 {
		c.TrailQueries = scan.Trail.Queries
	}
	if c.Trail == nil {
		c.Trail = []string{}
	}
	counts := map[string]int{}
	all := append(append([]finding.Finding(nil), scan.Findings...), probe.Findings...)
	for _, f := range all {
		counts[f.CheckID]++
	}
	ran := map[string]bool{}
	for _, id := range scan.RulesEvaluated {
		ran[id] = true
	}
	why := reports.NotRunWhy(trailGiven)
	if scan.Rules != nil {
		for _, x := range scan.Rules.All() {
			cr := CoverageRule{ID: x.ID, Title: x.Title, Source: x.Source, Findings: counts[x.ID]}
			if ran[x.ID] || counts[x.ID] > 0 {
				c.Evaluated = append(c.Evaluated, cr)
				continue
			}
			cr.Why = why[x.Source]
			if cr.Why == "" {
				cr.Why = "not selected"
			}
			c.NotRun = append(c.NotRun, cr)
		}
	}
	for _, f := range all {
		if f.Incomplete() {
			c.Unevaluated = append(c.Unevaluated, CoverageFinding{f.Fingerprint, f.CheckID, f.Status, f.Resource, f.Message})
		}
		if s := f.Suppressed; s != nil {
			by := s.Source
			if by == "" {
				by = "suppression file"
			}
			c.Suppressed = append(c.Suppressed, CoverageSuppressed{f.Fingerprint, f.CheckID, f.Status, f.Resource, s.Reason, s.Expires, by})
		}
	}
	sort.Slice(c.Unevaluated, func(i, j int) bool { return c.Unevaluated[i].Fingerprint < c.Unevaluated[j].Fingerprint })
	sort.Slice(c.Suppressed, func(i, j int) bool { return c.Suppressed[i].Fingerprint < c.Suppressed[j].Fingerprint })
	return c
}

func nonNilGaps(g []inventory.Gap) []inventory.Gap {
	if g == nil {
		return []inventory.Gap{}
	}
	return g
}

func (c *Coverage) render() ([]byte, []byte, error) {
	var j bytes.Buffer
	enc := json.NewEncoder(&j)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, nil, err
	}
	var b strings.Builder
	b.WriteString("# Coverage statement\n\n")
	fmt.Fprintf(&b, "## Evaluated (%d rules)\n\n", len(c.Evaluated))
	for _, r := range c.Evaluated {
		fmt.Fprintf(&b, "- %s %s — %d finding(s)\n", r.ID, r.Title, r.Findings)
	}
	fmt.Fprintf(&b, "\n## Not evaluated (%d rules)\n\n", len(c.NotRun))
	for _, r := range c.NotRun {
		fmt.Fprintf(&b, "- %s %s — %s\n", r.ID, r.Title, r.Why)
	}
	fmt.Fprintf(&b, "\n## Could not be evaluated (%d findings, never a pass)\n\n", len(c.Unevaluated))
	for _, f := range c.Unevaluated {
		fmt.Fprintf(&b, "- %s %s on %s: %s\n", f.Status, f.CheckID, f.Resource, f.Message)
	}
	fmt.Fprintf(&b, "\n## Coverage gaps (%d: input that could not be read)\n\n", len(c.CoverageGaps))
	for _, g := range c.CoverageGaps {
		fmt.Fprintf(&b, "- %s %s %s: %s\n", g.Operation, g.Resource, g.Code, g.Message)
	}
	fmt.Fprintf(&b, "\n## Suppressed (%d)\n\n", len(c.Suppressed))
	for _, s := range c.Suppressed {
		exp := ""
		if s.Expires != "" {
			exp = ", until " + s.Expires
		}
		fmt.Fprintf(&b, "- %s %s on %s: %s (accepted by %s%s)\n", s.Status, s.CheckID, s.Resource, s.Reason, s.AcceptedBy, exp)
	}
	b.WriteString("\n## CloudTrail\n\n")
	if len(c.Trail) == 0 {
		b.WriteString("None given: the CloudTrail rules (TRAIL-…) did not run, and child roles were recognised by name, path, tag and boundary only.\n")
	} else {
		b.WriteString("Replayed: " + strings.Join(c.Trail, ", ") + "\n")
	}
	for _, q := range c.TrailQueries {
		state := "complete"
		if !q.Complete {
			state = "INCOMPLETE (a coverage gap): " + q.Reason
		}
		fmt.Fprintf(&b, "- %s: %s, %d row(s) in %d page(s), %d byte(s) scanned, SQL sha256 %s — %s\n", q, q.State, q.Rows, q.Pages, q.BytesScanned, q.SQLSHA256, state)
	}
	b.WriteString("\n## What IAM data cannot tell\n\n")
	for _, l := range c.Limits {
		b.WriteString("- " + l + "\n")
	}
	return j.Bytes(), []byte(b.String()), nil
}
