package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/awsfake"
)

// TestTrailLookupEndToEnd runs `trail sessions --lookup` against the
// loopback endpoint holding the messy fixture's records. Not parallel: it
// sets the AWS environment.
func TestTrailLookupEndToEnd(t *testing.T) {
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: "111122223333", Seed: 5,
		Clock:  func() time.Time { return time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC) },
		Faults: awsfake.Faults{PageSize: 2, ThrottleRate: 0.1, ThrottleActions: []string{"LookupEvents"}}})
	f, err := os.Open(trailFixture("messy.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var recs []json.RawMessage
	for sc.Scan() {
		if json.Valid(sc.Bytes()) {
			recs = append(recs, append(json.RawMessage(nil), sc.Bytes()...))
		}
	}
	if err := srv.SeedRecords(recs...); err != nil {
		t.Fatal(err)
	}
	admin := srv.AdminCredentials()
	t.Setenv("AWS_ACCESS_KEY_ID", admin.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", admin.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	// Event history is regional: the session's call in eu-west-1 is found
	// only when that region is read too.
	tests := []struct {
		name    string
		regions []string
		want    string
	}{
		{"default-us-east-1", nil, "attempt-f1000000-0000-0000-0000-000000000001=0,ASIAFIXTURE0000001=4"},
		{"two-regions", []string{"--lookup-region", "us-east-1,eu-west-1"}, "attempt-f1000000-0000-0000-0000-000000000001=0,ASIAFIXTURE0000001=5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"trail", "sessions", "--lookup", "--endpoint-url", url, "--lookup-rate", "200",
				"--since", "2025-01-01", "--until", "2025-01-31", "--trusted-account", "999988887777", "-o", "json"}, tc.regions...)
			// LookupEvents keeps 90 days: the clock is within them of the
			// fixture's January 2025 events.
			code, out, errOut := runTestAt(t, func() time.Time { return time.Date(2025, 2, 15, 0, 0, 0, 0, time.UTC) }, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (findings)\n%s\n%s", code, out, errOut)
			}
			var doc struct {
				Sessions []struct {
					ID        string `json:"id"`
					CallCount int    `json:"call_count"`
				} `json:"sessions"`
				Stats struct {
					LookupRequests int `json:"lookup_requests"`
				} `json:"stats"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range doc.Sessions {
				got = append(got, s.ID+"="+string(rune('0'+s.CallCount)))
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("sessions %v, want %s", got, tc.want)
			}
			if doc.Stats.LookupRequests < 4 {
				t.Errorf("%d LookupEvents requests; want paging with page size 2", doc.Stats.LookupRequests)
			}
		})
	}
	if n := len(srv.MutatingCalls()); n != 0 {
		t.Errorf("replay made %d mutating calls, want 0", n)
	}
}
