package trail_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/trailgen"
	"github.com/pvaudit/pvaudit/trail"
)

func expectFor(m trailgen.Manifest) trail.Expectations {
	e := trail.DefaultExpectations()
	e.TrustedPrincipals = []string{m.Provisioner}
	e.RequireExternalID = true
	return e
}

// checkAgainstManifest asserts a replay found exactly what was planted.
func checkAgainstManifest(t *testing.T, res *trail.Result, m trailgen.Manifest) {
	t.Helper()
	got := map[string]*trail.Session{}
	for _, s := range res.Sessions {
		if s.Orphan {
			t.Errorf("unexpected orphan session %s with %d calls", s.ID, len(s.Calls))
			continue
		}
		got[s.ID] = s
	}
	if len(got) != len(m.Sessions) {
		t.Errorf("got %d sessions, want %d", len(got), len(m.Sessions))
	}
	perSession := map[string][]string{}
	for _, f := range res.Findings {
		if id, ok := f.Evidence["session"].(string); ok {
			perSession[id] = append(perSession[id], f.CheckID+"/"+string(f.Status))
		}
	}
	for _, want := range m.Sessions {
		s := got[want.ID]
		if s == nil {
			t.Errorf("planted session %s not found", want.ID)
			continue
		}
		if s.Attempt != want.Attempt {
			t.Errorf("session %s: attempt %v, want %v", want.ID, s.Attempt, want.Attempt)
		}
		if !s.Start.Equal(want.Start) {
			t.Errorf("session %s: start %s, want %s", want.ID, s.Start, want.Start)
		}
		if !s.Expiry.Equal(want.Expiry) {
			t.Errorf("session %s: expiry %s, want %s", want.ID, s.Expiry, want.Expiry)
		}
		ids := make([]string, 0, len(s.Calls))
		for _, c := range s.Calls {
			ids = append(ids, c.EventID)
		}
		sort.Strings(ids)
		if !slices.Equal(ids, want.CallIDs) {
			t.Errorf("session %s: calls %v, want %v", want.ID, ids, want.CallIDs)
		}
		if s.Denied() != want.Denied {
			t.Errorf("session %s: denied %d, want %d", want.ID, s.Denied(), want.Denied)
		}
		fs := perSession[want.ID]
		sort.Strings(fs)
		if fs == nil {
			fs = []string{}
		}
		if !slices.Equal(fs, want.Findings) {
			t.Errorf("session %s: findings %v, want %v", want.ID, fs, want.Findings)
		}
	}
	if st := res.Stats; st.Undecodable != int64(m.Malformed) {
		t.Errorf("undecodable %d, want %d (%v)", st.Undecodable, m.Malformed, st.Problems)
	}
	if got := trail.ProviderCreatedRoles(res.Sessions); !slices.Equal(got, m.ProviderCreatedRoles) {
		t.Errorf("provider-created roles %v, want %v", got, m.ProviderCreatedRoles)
	}
}

func TestReplayFindsPlanted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  trailgen.Config
		full bool
	}{
		{name: "records-gz", cfg: trailgen.Config{Shape: trailgen.ShapeRecords}},
		{name: "records-plain", cfg: trailgen.Config{Shape: trailgen.ShapeRecords, Plain: true}},
		{name: "array-gz", cfg: trailgen.Config{Shape: trailgen.ShapeArray}},
		{name: "array-plain", cfg: trailgen.Config{Shape: trailgen.ShapeArray, Plain: true}},
		{name: "ndjson-gz", cfg: trailgen.Config{Shape: trailgen.ShapeLines}},
		{name: "ndjson-plain", cfg: trailgen.Config{Shape: trailgen.ShapeLines, Plain: true}},
		{name: "org-trail-with-provider-copies", cfg: trailgen.Config{OrgID: "o-abc123def4"}},
		{name: "full-decode", cfg: trailgen.Config{Shape: trailgen.ShapeRecords}, full: true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := tc.cfg
			cfg.Events, cfg.EventsPerFile, cfg.Seed = 6000, 400, uint64(i+1)
			cfg.Sessions, cfg.Violations, cfg.Malformed = 3, true, 4
			m, err := trailgen.Generate(context.Background(), dir, cfg)
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			ins, ws, err := trail.WalkDir(dir, time.Time{}, time.Time{})
			if err != nil {
				t.Fatalf("walk: %v", err)
			}
			if ws.LogFiles != m.Files || ws.DigestFiles != m.DigestFiles {
				t.Errorf("walk found %d log and %d digest files, want %d and %d", ws.LogFiles, ws.DigestFiles, m.Files, m.DigestFiles)
			}
			res, err := trail.ReplayFiles(context.Background(), ins, trail.Options{Expect: expectFor(m), FullDecode: tc.full})
			if err != nil {
				t.Fatalf("replay: %v", err)
			}
			checkAgainstManifest(t, res, m)
			if tc.full && res.Stats.RecordsDecoded != int64(m.Background+m.Planted) {
				t.Errorf("full decode: decoded %d, want %d", res.Stats.RecordsDecoded, m.Background+m.Planted)
			}
			if cfg.OrgID != "" && res.Stats.Duplicates == 0 {
				t.Errorf("organisation trail: no duplicate (sharedEventID) records merged")
			}
		})
	}
}
