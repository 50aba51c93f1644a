//go:build cgo

package trailsql_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the embedded engine the SQL's meaning is tested on

	"github.com/pvaudit/pvaudit/internal/trailgen"
	"github.com/pvaudit/pvaudit/trail"
	"github.com/pvaudit/pvaudit/trail/trailsql"
)

// The query's meaning, on an engine: DuckDB reads the generated archive's
// files into a table laid out as Athena's CloudTrail table (lower-case
// columns, useridentity a struct, requestparameters and responseelements
// JSON text, region/year/month/day partitions from the S3 keys), runs the
// DuckDB dialect of the query (the Athena query with DuckDB's function
// names, see dialects()), and the rows replayed through trail.Query must
// find what the local replay of the same files finds.
func TestDuckDBEqualsLocalReplay(t *testing.T) {
	dir := t.TempDir()
	m, err := trailgen.Generate(context.Background(), dir, trailgen.Config{Events: 4000, EventsPerFile: 400, Seed: 21, Sessions: 4, Violations: true, OrgID: "o-abc123def4"})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(tableSQL(filepath.ToSlash(dir))); err != nil {
		t.Fatalf("load the archive into DuckDB: %v", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM cloudtrail`).Scan(&n); err != nil || n != m.Background+m.Planted {
		t.Fatalf("table has %d records (%v), want %d", n, err, m.Background+m.Planted)
	}
	e := trail.DefaultExpectations()
	e.TrustedPrincipals = []string{m.Provisioner}
	e.RequireExternalID = true
	for _, tc := range []struct {
		name         string
		since, until time.Time
		roles        func(*trail.Expectations)
	}{
		{"window, glob", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC), nil},
		{"open window, contract regexp", time.Time{}, time.Time{}, func(e *trail.Expectations) {
			e.RolePatterns = nil
			e.RoleRegexp = regexpOf(`^Pennsieve-Compute-[A-Za-z0-9]+-[A-Za-z0-9]+$`)
		}},
		{"one day", time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 2, 23, 59, 59, 0, time.UTC), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp := e
			if tc.roles != nil {
				tc.roles(&exp)
			}
			local, err := trail.ReplayDir(context.Background(), dir, trail.Options{Expect: exp, Since: tc.since, Until: tc.until})
			if err != nil {
				t.Fatal(err)
			}
			q, err := trailsql.Build(trailsql.Query{Dialect: trailsql.DuckDB, Table: "cloudtrail",
				Roles: trailsql.Roles{Globs: exp.RolePatterns, Regexp: exp.RoleRegexp}, Since: tc.since, Until: tc.until})
			if err != nil {
				t.Fatal(err)
			}
			eng := &duckEngine{db: db, page: 100}
			c := trail.NewCollection(exp, tc.since, tc.until)
			st, err := trail.Query(context.Background(), eng, c, q, trail.QueryOptions{Since: tc.since, Until: tc.until})
			if err != nil {
				t.Fatal(err)
			}
			if !st.Complete {
				t.Fatalf("query incomplete: %+v", st)
			}
			res := trail.Finish(c, exp, 0)
			if got, want := meaning(t, res), meaning(t, local); got != want {
				t.Errorf("DuckDB replay differs from local replay:\ngot  %.2000s\nwant %.2000s", got, want)
			}
			if len(local.Sessions) == 0 {
				t.Fatal("the local replay found no session: the comparison proves nothing")
			}
			// The query fetched only what the replay keeps: no row is dropped
			// by the replay's own role matching or window.
			if kept := res.Stats.RecordsKept + res.Stats.Duplicates; st.Rows != kept {
				t.Errorf("the query returned %d rows, the replay kept %d: the SQL selects more than it should", st.Rows, kept)
			}
			if st.Rows >= int64(n)/2 {
				t.Errorf("the query returned %d of %d records: it does not select", st.Rows, n)
			}
		})
	}
}

// tableSQL loads every log file into a table shaped as Athena's.
func tableSQL(dir string) string {
	rec := `STRUCT(eventVersion VARCHAR, eventID VARCHAR, sharedEventID VARCHAR, eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR,
		awsRegion VARCHAR, sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR, recipientAccountId VARCHAR,
		userIdentity STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, accessKeyId VARCHAR, userName VARCHAR, invokedBy VARCHAR,
			sessionContext STRUCT(sessionIssuer STRUCT(arn VARCHAR))),
		requestParameters JSON, responseElements JSON)`
	return fmt.Sprintf(`CREATE TABLE cloudtrail AS
WITH files AS (
  SELECT filename, unnest(Records) AS r
  FROM read_json('%s/**/CloudTrail/*/*/*/*/*.json.gz', columns={Records: '%s[]'}, filename=true, maximum_object_size=67108864)
)
SELECT
  r.eventVersion AS eventversion, r.eventID AS eventid, r.sharedEventID AS sharedeventid, r.eventTime AS eventtime,
  r.eventSource AS eventsource, r.eventName AS eventname, r.awsRegion AS awsregion, r.sourceIPAddress AS sourceipaddress,
  r.userAgent AS useragent, r.errorCode AS errorcode, r.errorMessage AS errormessage, r.recipientAccountId AS recipientaccountid,
  struct_pack(type := r.userIdentity.type, principalid := r.userIdentity.principalId, arn := r.userIdentity.arn,
    accountid := r.userIdentity.accountId, accesskeyid := r.userIdentity.accessKeyId, username := r.userIdentity.userName,
    invokedby := r.userIdentity.invokedBy,
    sessioncontext := struct_pack(sessionissuer := struct_pack(arn := r.userIdentity.sessionContext.sessionIssuer.arn))) AS useridentity,
  CAST(r.requestParameters AS VARCHAR) AS requestparameters, CAST(r.responseElements AS VARCHAR) AS responseelements,
  regexp_extract(filename, '/CloudTrail/([^/]+)/', 1) AS region,
  regexp_extract(filename, '/CloudTrail/[^/]+/([0-9]{4})/', 1) AS year,
  regexp_extract(filename, '/CloudTrail/[^/]+/[0-9]{4}/([0-9]{2})/', 1) AS month,
  regexp_extract(filename, '/CloudTrail/[^/]+/[0-9]{4}/[0-9]{2}/([0-9]{2})/', 1) AS day
FROM files`, strings.ReplaceAll(dir, "'", "''"), strings.ReplaceAll(rec, "\n", " "))
}

// duckEngine runs the query on DuckDB and pages its rows as the services do.
type duckEngine struct {
	db   *sql.DB
	page int
	rows []trailsql.Row
}

func (d *duckEngine) Name() string   { return "duckdb" }
func (d *duckEngine) Target() string { return "cloudtrail" }

func (d *duckEngine) Start(ctx context.Context, q string) (string, error) {
	rows, err := d.db.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		row := trailsql.Row{}
		for i, c := range cols {
			if vals[i].Valid {
				v := vals[i].String
				row[c] = &v
			}
		}
		d.rows = append(d.rows, row)
	}
	return "duckdb-1", rows.Err()
}

func (d *duckEngine) Status(context.Context, string) (trail.QueryStatus, error) {
	return trail.QueryStatus{State: "SUCCEEDED", Done: true, OK: true}, nil
}

func (d *duckEngine) Page(_ context.Context, _ string, token string) (trail.QueryPage, error) {
	off := 0
	if token != "" {
		fmt.Sscan(token, &off)
	}
	end := min(off+d.page, len(d.rows))
	p := trail.QueryPage{Rows: d.rows[off:end], Total: -1}
	if end < len(d.rows) {
		p.Next = fmt.Sprint(end)
	}
	return p, nil
}

func meaning(t *testing.T, res *trail.Result) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"sessions": res.Sessions, "findings": res.Findings, "created": trail.ProviderCreatedRoles(res.Sessions)})
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	strip(v)
	out, _ := json.Marshal(v)
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

func regexpOf(s string) *regexp.Regexp { return regexp.MustCompile(s) }
