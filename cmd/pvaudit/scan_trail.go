package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/trail"
)

// trailEvidence is what CloudTrail replay adds to a scan: the roles the
// provider created (which become child roles), the session findings, and
// what could not be read.
type trailEvidence struct {
	option   checks.EnvOption
	findings []finding.Finding
	gaps     []inventory.Gap
	summary  *reports.TrailSummary
}

// replayForScan replays the --trail-* sources with the contract's
// expectations. Unreadable files and undecodable records become coverage
// gaps: a CreateRole in them would be a child role the scan cannot see.
func replayForScan(ctx context.Context, a *app, stdin io.Reader, src *trailSource, c *contract.Contract, ao *awsOpts, snap *inventory.Snapshot) (*trailEvidence, error) {
	expect, err := trailExpectations(c, &expectOpts{})
	if err != nil {
		return nil, err
	}
	res, err := src.replay(ctx, a, stdin, expect, ao)
	if err != nil {
		return nil, err
	}
	st := res.Stats
	ev := &trailEvidence{findings: res.Findings, summary: &reports.TrailSummary{
		Sources: src.describe(), FilesRead: st.Files, FilesUnread: st.FilesUnread, Undecodable: st.Undecodable,
		LookupRequests: st.LookupRequests, Sessions: len(res.Sessions), ProviderCreated: []reports.ProviderCreatedRole{},
	}}
	if st.FilesUnread > 0 {
		ev.gaps = append(ev.gaps, inventory.Gap{Operation: "cloudtrail:read", Code: "Unreadable",
			Message: fmt.Sprintf("%d CloudTrail file(s) could not be read; roles the provider created in them are not known to the scan", st.FilesUnread)})
	}
	// Also a gap (not only TRAIL-011), so that --checks cannot select it
	// away: a lost record may be the CreateRole of a child role.
	if st.Undecodable > 0 {
		ev.gaps = append(ev.gaps, inventory.Gap{Operation: "cloudtrail:decode", Code: "Undecodable",
			Message: fmt.Sprintf("%d CloudTrail record(s) could not be decoded; a role the provider created in them is not known to the scan", st.Undecodable)})
	}
	inAccount := map[string]bool{}
	for i := range snap.Roles {
		inAccount[snap.Roles[i].Name] = true
	}
	created := map[string]string{}
	for _, cr := range trail.ProviderCreations(res.Sessions) {
		created[cr.RoleName] = fmt.Sprintf("CreateRole under session %s at %s", cr.SessionID, cr.Time.UTC().Format(time.RFC3339))
		ev.summary.ProviderCreated = append(ev.summary.ProviderCreated, reports.ProviderCreatedRole{Role: cr.RoleName,
			Session: cr.SessionID, Time: cr.Time.UTC(), EventID: cr.EventID, Boundary: cr.Boundary, InAccount: inAccount[cr.RoleName]})
	}
	ev.option = checks.WithProviderCreated(created)
	a.log.Info("CloudTrail replayed for child-role identification", "sessions", len(res.Sessions), "provider_created", len(created))
	return ev, nil
}

// describe names the sources for the report.
func (s *trailSource) describe() []string {
	var out []string
	if s.dir != "" {
		out = append(out, "dir:"+s.dir)
	}
	for _, f := range s.files {
		out = append(out, "file:"+f)
	}
	if s.lookup {
		out = append(out, strings.TrimSuffix("lookup:"+strings.Join(s.regions, ","), ":"))
	}
	return out
}
