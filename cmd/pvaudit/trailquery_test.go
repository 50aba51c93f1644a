package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/trail/trailsql"
)

// TestTrailQueryEndToEnd runs `trail sessions --lake` and `--athena`
// against the loopback endpoint serving the messy fixture's records as
// query rows, and compares with `--file` of the same fixture. Not
// parallel: it sets the AWS environment.
func TestTrailQueryEndToEnd(t *testing.T) {
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: "111122223333", Seed: 6, Authorize: true,
		Clock: func() time.Time { return time.Date(2025, 2, 15, 0, 0, 0, 0, time.UTC) }, Faults: awsfake.Faults{PageSize: 3}})
	f, err := os.Open(trailFixture("messy.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [2][][]*string // athena, lake
	sc := bufio.NewScanner(f)
	var recs [][]byte
	for sc.Scan() {
		if json.Valid(sc.Bytes()) {
			recs = append(recs, append([]byte(nil), sc.Bytes()...))
		}
	}
	total := strings.TrimSpace(string(must(json.Marshal(len(recs)))))
	for i, lake := range []bool{false, true} {
		for _, raw := range recs {
			r, err := trailsql.Flatten(raw, lake)
			if err != nil {
				t.Fatal(err)
			}
			r[trailsql.TotalColumn] = &total
			var vals []*string
			for _, c := range trailsql.Columns {
				vals = append(vals, r[c])
			}
			rows[i] = append(rows[i], vals)
		}
	}
	admin := srv.AdminCredentials()
	t.Setenv("AWS_ACCESS_KEY_ID", admin.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", admin.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	at := func() time.Time { return time.Date(2025, 2, 15, 0, 0, 0, 0, time.UTC) }
	common := []string{"trail", "sessions", "--since", "2025-01-15T09:00:00Z", "--until", "2025-01-15T11:30:00Z", "--trusted-account", "999988887777", "-o", "json"}
	summary := func(out string) (string, []map[string]any) {
		var doc struct {
			Sessions []struct {
				ID        string `json:"id"`
				CallCount int    `json:"call_count"`
			} `json:"sessions"`
			Findings []struct {
				CheckID  string `json:"check_id"`
				Status   string `json:"status"`
				Resource string `json:"resource"`
			} `json:"findings"`
			Stats struct {
				Queries []map[string]any `json:"queries"`
			} `json:"stats"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var b strings.Builder
		for _, s := range doc.Sessions {
			b.WriteString(s.ID + "=" + string(must(json.Marshal(s.CallCount))) + " ")
		}
		for _, f := range doc.Findings {
			b.WriteString(f.CheckID + "/" + f.Status + "/" + f.Resource + " ")
		}
		return b.String(), doc.Stats.Queries
	}
	code, out, errOut := runTestAt(t, at, append(common, "--file", trailFixture("messy.ndjson"))...)
	if code != 1 {
		t.Fatalf("--file: exit %d\n%s", code, errOut)
	}
	want, _ := summary(out)
	for i, tc := range []struct {
		name, engine string
		args         []string
	}{
		{"athena", awsfake.EngineAthena, []string{"--athena", "cloudtrail_logs.org_trail", "--athena-output", "s3://results/pvaudit/"}},
		{"lake", awsfake.EngineLake, []string{"--lake", "EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := map[string]string{awsfake.EngineAthena: `"cloudtrail_logs"."org_trail"`, awsfake.EngineLake: "EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"}[tc.engine]
			srv.SetQueryResult(tc.engine, awsfake.QueryResult{Target: target, Columns: trailsql.Columns, Rows: rows[i], BytesScanned: 4096, Running: 1})
			code, out, errOut := runTestAt(t, at, append(append(common, "--endpoint-url", url), tc.args...)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (findings)\n%s\n%s", code, out, errOut)
			}
			got, queries := summary(out)
			if got != want {
				t.Errorf("query replay differs from --file:\n got %s\nwant %s", got, want)
			}
			if len(queries) != 1 || queries[0]["query_id"] == "" || queries[0]["bytes_scanned"] != float64(4096) || queries[0]["complete"] != true {
				t.Errorf("queries in the report: %v", queries)
			}
			// A query that fails makes the replay incomplete (exit 2).
			srv.SetQueryResult(tc.engine, awsfake.QueryResult{Target: target, Columns: trailsql.Columns, Rows: rows[i], State: "CANCELLED"})
			code, out, _ = runTestAt(t, at, append(append(common, "--endpoint-url", url), tc.args...)...)
			if code != 2 || !strings.Contains(out, "query-failed") {
				t.Errorf("cancelled query: exit %d, want 2 with a query-failed gap\n%.600s", code, out)
			}
		})
	}
	code, _, errOut = runTestAt(t, at, append(common, "--athena", "db.t")...)
	if code != 2 || !strings.Contains(errOut, "--athena-output") {
		t.Errorf("--athena without output: exit %d: %s", code, errOut)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
