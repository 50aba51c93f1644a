package trail_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/trailgen"
	"github.com/pvaudit/pvaudit/trail"
)

// seedFake loads every record of a generated plain NDJSON archive into the
// loopback endpoint.
func seedFake(t *testing.T, srv *awsfake.Server, dir string) {
	t.Helper()
	var recs []json.RawMessage
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") || strings.Contains(p, "Digest") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			recs = append(recs, json.RawMessage(append([]byte(nil), sc.Bytes()...)))
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatalf("read archive: %v", err)
	}
	if err := srv.SeedRecords(recs...); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func TestLookupAgainstLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		faults   awsfake.Faults
		rate     float64
		throttle bool
	}{
		{name: "paged", rate: 1000},
		{name: "small-pages", faults: awsfake.Faults{PageSize: 7}, rate: 1000},
		{name: "throttled", faults: awsfake.Faults{ThrottleRate: 0.3, ThrottleActions: []string{"LookupEvents"}}, rate: 1000, throttle: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			m, err := trailgen.Generate(context.Background(), dir, trailgen.Config{
				Events: 1500, EventsPerFile: 300, Seed: 7, Sessions: 2, Violations: true,
				Shape: trailgen.ShapeLines, Plain: true, Regions: []string{"us-east-1"},
			})
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			end := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
			srv, url := awsfake.Start(t, awsfake.Options{AccountID: "111122223333", Seed: 3, Faults: tc.faults,
				Clock: func() time.Time { return end }})
			seedFake(t, srv, dir)
			admin := srv.AdminCredentials()
			// Event history is regional: the planted sessions call us-west-2
			// too (mallory's rds:DescribeDBInstances), found only there.
			var apis []trail.RegionalAPI
			for _, region := range []string{"us-east-1", "us-west-2"} {
				apis = append(apis, trail.RegionalAPI{Region: region, API: cloudtrail.New(cloudtrail.Options{
					Region: region, BaseEndpoint: &url, RetryMaxAttempts: 1, HTTPClient: &http.Client{Transport: &http.Transport{}},
					Credentials: credentials.NewStaticCredentialsProvider(admin.AccessKeyID, admin.SecretAccessKey, ""),
				})})
			}
			e := expectFor(m)
			c := trail.NewCollection(e, time.Time{}, time.Time{})
			err = trail.LookupRegions(context.Background(), apis, c, trail.LookupOptions{Rate: tc.rate, ThrottleRetries: 30,
				Now: func() time.Time { return end }})
			if err != nil {
				t.Fatalf("lookup: %v", err)
			}
			res := trail.Finish(c, e, 0)
			checkAgainstManifest(t, res, m)
			st := res.Stats
			if st.LookupRequests < 4 {
				t.Errorf("got %d LookupEvents requests, want paging (>= 4)", st.LookupRequests)
			}
			if tc.throttle && st.LookupThrottled == 0 {
				t.Errorf("no throttled request seen with a 30%% throttle rate")
			}
			if !tc.throttle && st.LookupThrottled != 0 {
				t.Errorf("got %d throttled requests, want 0", st.LookupThrottled)
			}
		})
	}
}

func TestLookupRespectsRate(t *testing.T) {
	t.Parallel()
	end := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	srv, url := awsfake.Start(t, awsfake.Options{Clock: func() time.Time { return end }})
	client := cloudtrail.New(cloudtrail.Options{Region: "us-east-1", BaseEndpoint: &url, RetryMaxAttempts: 1, HTTPClient: &http.Client{Transport: &http.Transport{}},
		Credentials: credentials.NewStaticCredentialsProvider(srv.AdminCredentials().AccessKeyID, srv.AdminCredentials().SecretAccessKey, "")})
	c := trail.NewCollection(trail.DefaultExpectations(), time.Time{}, time.Time{})
	start := time.Now()
	if err := trail.Lookup(context.Background(), client, c, trail.LookupOptions{Rate: 10, Now: func() time.Time { return end }}); err != nil {
		t.Fatalf("lookup: %v", err)
	}
	// Three requests (one per AssumeRole event name) at 10/s with a burst
	// of one take at least 200ms.
	if el := time.Since(start); el < 190*time.Millisecond {
		t.Errorf("3 requests at 10/s took %s, want >= 200ms", el)
	}
}
