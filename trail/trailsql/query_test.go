package trailsql

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var (
	goldenSince = time.Date(2026, 10, 30, 6, 0, 0, 0, time.UTC)
	goldenUntil = time.Date(2026, 11, 2, 18, 30, 0, 0, time.UTC)
	goldenRoles = Roles{Globs: []string{"Pennsieve-Legacy-*"}, Regexp: regexp.MustCompile(`^Pennsieve-Compute-[A-Za-z0-9]+-[A-Za-z0-9]+$`)}
)

// The SQL of each dialect is one golden file: a change to a query is a
// reviewed diff.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     Query
		since bool
	}{
		{"athena", Query{Dialect: Athena, Table: "cloudtrail_logs.org_trail"}, true},
		{"lake", Query{Dialect: Lake, Table: "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"}, true},
		{"duckdb", Query{Dialect: DuckDB, Table: "cloudtrail"}, true},
		{"athena-open", Query{Dialect: Athena, Table: "db.t"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Roles = goldenRoles
			if tc.since {
				q.Since, q.Until = goldenSince, goldenUntil
			}
			got, err := Build(q)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".sql")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file (go test ./trail/trailsql -update):\n%s", tc.name, got)
			}
		})
	}
}

func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    Query
		want string
	}{
		{"unknown dialect", Query{Dialect: "mysql", Table: "t", Roles: goldenRoles}, "unknown SQL dialect"},
		{"injection in table", Query{Dialect: Athena, Table: `t"; DROP TABLE x; --`, Roles: goldenRoles}, "plain identifier"},
		{"three-part table", Query{Dialect: Athena, Table: "a.b.c", Roles: goldenRoles}, "DATABASE.TABLE"},
		{"lake arn of something else", Query{Dialect: Lake, Table: "arn:aws:s3:::bucket/x", Roles: goldenRoles}, "eventdatastore"},
		{"no roles", Query{Dialect: Athena, Table: "t"}, "no role pattern"},
		{"until before since", Query{Dialect: Athena, Table: "t", Roles: goldenRoles, Since: goldenUntil, Until: goldenSince}, "before since"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.q)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// A quote in a role pattern cannot end the string literal.
func TestQuotesEscaped(t *testing.T) {
	got, err := Build(Query{Dialect: Athena, Table: "t", Roles: Roles{Globs: []string{"a'b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "'a''b'") {
		t.Fatalf("quote not doubled:\n%s", got)
	}
}

func TestPortable(t *testing.T) {
	for _, tc := range []struct {
		re   string
		want string // "" = refused
	}{
		{`^Pennsieve-Compute-[A-Za-z0-9]+-[A-Za-z0-9]+$`, `^Pennsieve\-Compute\-(?:[0-9A-Za-z])+\-(?:[0-9A-Za-z])+$`},
		{`(?i)pennsieve`, `[Pp][Ee][Nn][Nn][Ss][Ii][Ee][Vv][Ee]`},
		{`^a(b|cd)?$`, `^a(?:(?:(?:b|cd)))?$`},
		{`\bword`, ""},
		{`(?m)^x`, ""},
		{`[^a]`, ""},
		{`é`, ""},
		{`(?s).`, ""},
	} {
		t.Run(tc.re, func(t *testing.T) {
			got, ok := portable(regexp.MustCompile(tc.re))
			if tc.want == "" {
				if ok {
					t.Fatalf("got %q, want it refused", got)
				}
				return
			}
			if !ok || got != tc.want {
				t.Fatalf("got %q (%v), want %q", got, ok, tc.want)
			}
			// The rewrite means the same to Go.
			orig, back := regexp.MustCompile(tc.re), regexp.MustCompile(got)
			for _, s := range []string{"Pennsieve-Compute-dev-a1", "Pennsieve-Compute-dev-", "PENNSIEVE", "x-pennsieve-y", "ab", "acd", "a", "acdx", ""} {
				if orig.MatchString(s) != back.MatchString(s) {
					t.Errorf("%q: %s says %v, rewrite %s says %v", s, tc.re, orig.MatchString(s), got, back.MatchString(s))
				}
			}
		})
	}
}

// A regular expression outside the portable subset selects a superset:
// every name containing its literal prefix, or every role.
func TestNonPortableFallsBack(t *testing.T) {
	got, err := Build(Query{Dialect: Athena, Table: "t", Roles: Roles{Regexp: regexp.MustCompile(`^Pennsieve_\b`)}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, `LIKE '%Pennsieve\_%' ESCAPE '\'`) {
		t.Errorf("no literal-prefix fallback:\n%s", got)
	}
	got, err = Build(Query{Dialect: Athena, Table: "t", Roles: Roles{Regexp: regexp.MustCompile(`\bx`)}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "AND TRUE") {
		t.Errorf("no open fallback:\n%s", got)
	}
}

func TestGlobToLike(t *testing.T) {
	for g, want := range map[string]string{"Pennsieve-*": "Pennsieve-%", "a?c": "a_c", "100%_x": `100\%\_x`, `a\b`: `a\\b`} {
		if got := globToLike(g); got != want {
			t.Errorf("globToLike(%q) = %q, want %q", g, got, want)
		}
	}
}

// The partitions kept are those local replay's folder walk reads: a day
// folder is kept when [D-1d, D+1d) meets the window.
func TestPartitionBounds(t *testing.T) {
	for _, tc := range []struct {
		name         string
		since, until time.Time
		want         string
	}{
		{"window", time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			"(year > '2026' OR (year = '2026' AND (month > '01' OR (month = '01' AND day >= '31'))))\n    AND (year < '2026' OR (year = '2026' AND (month < '03' OR (month = '03' AND day <= '02'))))"},
		{"midnight since starts on that day", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{},
			"(year > '2026' OR (year = '2026' AND (month > '01' OR (month = '01' AND day >= '01'))))"},
		{"a second later keeps the day before", time.Time{}, time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC),
			"(year < '2026' OR (year = '2026' AND (month < '01' OR (month = '01' AND day <= '02'))))"},
		{"open", time.Time{}, time.Time{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := partitionPredicate(tc.since, tc.until); got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
