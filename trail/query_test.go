package trail_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/trailgen"
	"github.com/pvaudit/pvaudit/trail"
	"github.com/pvaudit/pvaudit/trail/trailsql"
)

// meaning is what a replay found, without where each record was read
// (file@offset or query:row) and the reading counts: two replays of the
// same records must agree on it.
func meaning(t *testing.T, res *trail.Result) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"sessions": res.Sessions, "findings": res.Findings, "created": trail.ProviderCreatedRoles(res.Sessions), "conflicts": len(res.Conflicts)})
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	strip(v)
	out, _ := json.MarshalIndent(v, "", " ")
	return string(out)
}

func strip(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k == "origin" || k == "copies" || k == "where" {
				delete(x, k)
				continue
			}
			strip(c)
		}
	case []any:
		for _, c := range x {
			strip(c)
		}
	}
}

// archive generates a small archive and replays it locally.
func archive(t *testing.T, seed uint64, since, until time.Time) (dir string, m trailgen.Manifest, local *trail.Result) {
	t.Helper()
	dir = t.TempDir()
	m, err := trailgen.Generate(context.Background(), dir, trailgen.Config{Events: 1200, EventsPerFile: 200, Seed: seed, Sessions: 3, Violations: true, OrgID: "o-abc123def4"})
	if err != nil {
		t.Fatal(err)
	}
	local, err = trail.ReplayDir(context.Background(), dir, trail.Options{Expect: expectFor(m), Since: since, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	return dir, m, local
}

// cannedRows are every record of the archive as result rows: a superset of
// what the SQL selects, which the replay narrows as it narrows files.
func cannedRows(t *testing.T, dir string, lake bool) ([]string, [][]*string) {
	t.Helper()
	recs, err := trailgen.Records(dir)
	if err != nil {
		t.Fatal(err)
	}
	cols := trailsql.Columns
	var rows [][]*string
	total := itoa(len(recs))
	for _, raw := range recs {
		r, err := trailsql.Flatten(raw, lake)
		if err != nil {
			t.Fatal(err)
		}
		r[trailsql.TotalColumn] = &total
		vals := make([]*string, len(cols))
		for i, c := range cols {
			vals[i] = r[c]
		}
		rows = append(rows, vals)
	}
	return cols, rows
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func fakeConfig(url string, c awsfake.Credentials) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None; o.MaxAttempts = 3 })
		}}
}

func engines(srv *awsfake.Server, url string) map[string]trail.QueryEngine {
	cfg := fakeConfig(url, srv.AdminCredentials())
	return map[string]trail.QueryEngine{
		awsfake.EngineLake:   &trail.Lake{API: cloudtrail.NewFromConfig(cfg), EventDataStore: "EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE", PageSize: 400},
		awsfake.EngineAthena: &trail.Athena{API: athena.NewFromConfig(cfg), Table: "cloudtrail_logs.org_trail", Output: "s3://results/pvaudit/", PageSize: 400},
	}
}

func replayQuery(t *testing.T, eng trail.QueryEngine, expect trail.Expectations, since, until time.Time) (*trail.Result, trail.QueryStat) {
	t.Helper()
	c := trail.NewCollection(expect, since, until)
	st, err := trail.Query(context.Background(), eng, c, "-- test\nSELECT 1 FROM \""+eng.Target()+"\"", trail.QueryOptions{Since: since, Until: until, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return trail.Finish(c, expect, 0), st
}

// Lake and Athena replays, through the real SDK clients and the services'
// wire protocols (paged results, Athena's header row, Lake's one-entry
// maps and text maps), equal the local replay of the same records.
func TestQueryReplayEqualsLocal(t *testing.T) {
	t.Parallel()
	since, until := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	dir, m, local := archive(t, 7, since, until)
	if !local.Complete() {
		t.Fatalf("local replay incomplete: %v", local.Gaps())
	}
	want := meaning(t, local)
	srv, url := awsfake.Start(t, awsfake.Options{Authorize: true, Seed: 3})
	for name, eng := range engines(srv, url) {
		t.Run(name, func(t *testing.T) {
			cols, rows := cannedRows(t, dir, name == awsfake.EngineLake)
			srv.SetQueryResult(name, awsfake.QueryResult{Target: eng.Target(), Columns: cols, Rows: rows, BytesScanned: 123456, Running: 2})
			res, st := replayQuery(t, eng, expectFor(m), since, until)
			if !res.Complete() {
				t.Fatalf("query replay incomplete: %v", res.Gaps())
			}
			if got := meaning(t, res); got != want {
				t.Errorf("query replay differs from local replay:\n%s", diffLines(got, want))
			}
			if st.ID == "" || st.BytesScanned != 123456 || st.Rows != int64(len(rows)) || st.Pages < 2 || !st.Complete {
				t.Errorf("query stat %+v", st)
			}
			if got := res.Stats.Queries; len(got) != 1 || got[0].ID != st.ID {
				t.Errorf("stats queries %+v", got)
			}
		})
	}
}

// A query that fails, is cancelled, is cut short or cannot start is a
// coverage gap, never an empty trail.
func TestQueryFailuresAreGaps(t *testing.T) {
	t.Parallel()
	since, until := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	dir, m, _ := archive(t, 9, since, until)
	srv, url := awsfake.Start(t, awsfake.Options{Authorize: true, Seed: 4})
	for name, eng := range engines(srv, url) {
		cols, rows := cannedRows(t, dir, name == awsfake.EngineLake)
		failed := map[string]string{awsfake.EngineLake: "FAILED", awsfake.EngineAthena: "FAILED"}[name]
		for _, tc := range []struct {
			name   string
			res    awsfake.QueryResult
			faults awsfake.Faults
			reason trail.GapReason
		}{
			{"failed", awsfake.QueryResult{State: failed, Reason: "Query exhausted resources"}, awsfake.Faults{}, trail.GapQueryFailed},
			{"cancelled", awsfake.QueryResult{State: "CANCELLED"}, awsfake.Faults{}, trail.GapQueryFailed},
			{"rows lost", awsfake.QueryResult{LoseRows: 7}, awsfake.Faults{}, trail.GapQueryTruncated},
			{"denied", awsfake.QueryResult{}, awsfake.Faults{Fail: map[string]awsfake.FaultKind{"StartQuery": awsfake.FaultAccessDenied, "StartQueryExecution": awsfake.FaultAccessDenied}}, trail.GapQueryFailed},
			{"results unreadable", awsfake.QueryResult{}, awsfake.Faults{Fail: map[string]awsfake.FaultKind{"GetQueryResults": awsfake.FaultAccessDenied}}, trail.GapQueryTruncated},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				r := tc.res
				r.Target, r.Columns, r.Rows = eng.Target(), cols, rows
				srv.SetQueryResult(name, r)
				srv.SetFaults(tc.faults)
				defer srv.SetFaults(awsfake.Faults{})
				res, st := replayQuery(t, eng, expectFor(m), since, until)
				if res.Complete() || st.Complete {
					t.Fatalf("complete after %s: %+v", tc.name, st)
				}
				found := false
				for _, g := range res.Gaps() {
					if g.Reason == tc.reason && g.Check == trail.CheckUndecodable {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s gap: %v", tc.reason, res.Gaps())
				}
			})
		}
	}
}

// The fake refuses what the services refuse: a statement that is not a
// SELECT, and an Athena query without an output location.
func TestQueryRefused(t *testing.T) {
	t.Parallel()
	srv, url := awsfake.Start(t, awsfake.Options{Seed: 5})
	cfg := fakeConfig(url, srv.AdminCredentials())
	lake := &trail.Lake{API: cloudtrail.NewFromConfig(cfg), EventDataStore: "eds"}
	if _, err := lake.Start(context.Background(), "DELETE FROM eds"); err == nil || !strings.Contains(err.Error(), "InvalidQueryStatementException") {
		t.Errorf("lake DELETE: %v", err)
	}
	// The evaluator authorizes the query calls: a read-only user may not
	// start one.
	srv.SetAuthorize(true)
	ro, err := srv.AddUser(awsfake.UserSpec{Name: "ro", Attached: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	if err != nil {
		t.Fatal(err)
	}
	roLake := &trail.Lake{API: cloudtrail.NewFromConfig(fakeConfig(url, ro)), EventDataStore: "eds"}
	if _, err := roLake.Start(context.Background(), "SELECT 1 FROM eds"); err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("read-only StartQuery: %v", err)
	}
	srv.SetAuthorize(false)
	ath := &trail.Athena{API: athena.NewFromConfig(cfg), Table: "db.t"}
	if _, err := ath.Start(context.Background(), "SELECT 1"); err == nil || !strings.Contains(err.Error(), "output location") {
		t.Errorf("athena without output: %v", err)
	}
}

func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			lo := max(0, i-3)
			return "first difference at line " + itoa(i+1) + ":\ngot:\n" + strings.Join(g[lo:min(len(g), i+4)], "\n") + "\nwant:\n" + strings.Join(w[lo:min(len(w), i+4)], "\n")
		}
	}
	return "lengths differ: " + itoa(len(g)) + " vs " + itoa(len(w))
}
