package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
)

// Roles is `pvaudit roles`: every role with what the contract makes of it
// (the same classification scan uses), its boundary, who may assume it,
// when it was last used and its maximum session.
func Roles(r *Run, src Source) *reports.RolesReport {
	snap := src.Snapshot
	cl := classify.Classify(snap, r.contract(), classify.Options{})
	rep := &reports.RolesReport{
		Header:       r.header(reports.KindRoles, src.account()),
		Outcome:      reports.NewOutcome(nil, len(snap.Gaps), r.FailOn),
		CoverageGaps: snap.Gaps,
		Roles:        make([]reports.RoleRow, 0, len(cl.Roles)),
	}
	for _, rc := range cl.Roles {
		x := rc.Role
		row := reports.RoleRow{Name: x.Name, ARN: x.ARN, Kind: string(rc.Kind), Reasons: rc.Reasons, NodeID: rc.NodeID,
			Trusted: trustedPrincipals(x), MaxSessionDuration: x.MaxSessionDuration, MaxSession: "unknown"}
		if x.PermissionsBoundary != nil {
			row.Boundary = x.PermissionsBoundary.ARN
			row.BoundaryForeign = inventory.AccountFromARN(x.PermissionsBoundary.ARN) != snap.AccountID
		}
		if x.LastUsed != nil {
			row.LastUsed = x.LastUsed.Date.UTC().Format(time.RFC3339)
		}
		if x.MaxSessionDuration > 0 {
			row.MaxSession = HumanDuration(time.Duration(x.MaxSessionDuration) * time.Second)
		}
		rep.Roles = append(rep.Roles, row)
	}
	return rep
}

// trustedPrincipals lists who the role's trust policy admits.
func trustedPrincipals(r *inventory.Role) []string {
	if r.TrustPolicy == nil {
		return []string{"(unknown)"}
	}
	out := []string{}
	for _, st := range r.TrustPolicy.Statements {
		if st.Effect != "Allow" {
			continue
		}
		out = append(out, st.Principal.Values()...)
	}
	return out
}

// HumanDuration writes 1h, 12h, 1h30m, 45m, 1h0m1s.
func HumanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h := d / time.Hour
	m := (d % time.Hour) / time.Minute
	s := (d % time.Minute) / time.Second
	var b strings.Builder
	b.WriteString(sign)
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 || (h > 0 && s > 0) {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}
