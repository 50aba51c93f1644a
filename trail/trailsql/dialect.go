// Package trailsql writes the SQL that CloudTrail Lake and Athena run for a
// replay, and turns their result rows back into CloudTrail records.
//
// The query selects what local replay keeps: AssumeRole events into the
// chosen roles, and every event made under a session of those roles (its
// userIdentity ARN is an assumed-role ARN of the role, or its session
// issuer is the role), within the time window. The role names are matched
// exactly where every engine agrees on the expression (globs become LIKE
// patterns; a regular expression in the portable subset becomes a regexp
// call); otherwise the query selects a superset (a literal part of the name)
// and the replay's own matching narrows it. The query is never narrower than
// the replay: a row it does not return is a record the replay would not have
// kept.
//
// Three dialects share one query shape; every difference between them is in
// the dialects table of this file:
//
//   - Athena (Trino) over the standard CloudTrail table (CloudTrail SerDe:
//     lower-case columns, useridentity a struct, requestparameters and
//     responseelements JSON text, partitions region/year/month/day);
//   - CloudTrail Lake (Trino) over an event data store (eventtime a
//     timestamp, requestparameters and responseelements maps);
//   - DuckDB over a table laid out as Athena's, the embedded engine the
//     tests run the query on.
package trailsql

import (
	"fmt"
	"strings"
	"time"
)

// Dialect names an SQL engine.
type Dialect string

// Dialects.
const (
	Athena Dialect = "athena"
	Lake   Dialect = "lake"
	DuckDB Dialect = "duckdb"
)

// dialect is everything that differs between the engines.
type dialect struct {
	// table renders the FROM target.
	table func(name string) (string, error)
	// param extracts a top-level field of requestparameters as text.
	param func(col, field string) string
	// jsonText renders requestparameters / responseelements as JSON text.
	jsonText func(col string) string
	// eventTime is eventtime as a timestamp; timeLit a timestamp literal
	// in the same type; timeText eventtime as text for the row.
	eventTime string
	timeLit   func(t time.Time) string
	timeText  string
	// regexpLike is the function that tests a regular expression
	// (unanchored search, as Go's MatchString).
	regexpLike string
	// partitions: the table has region/year/month/day partitions (the
	// standard Athena layout of a trail's S3 prefix).
	partitions bool
}

func dialects() map[Dialect]dialect {
	trinoTime := func(t time.Time) string {
		return "from_iso8601_timestamp('" + t.UTC().Format("2006-01-02T15:04:05.000Z") + "')"
	}
	return map[Dialect]dialect{
		Athena: {
			table:      quotedTable,
			param:      func(col, f string) string { return "json_extract_scalar(" + col + ", '$." + f + "')" },
			jsonText:   func(col string) string { return col },
			eventTime:  "from_iso8601_timestamp(eventtime)",
			timeLit:    trinoTime,
			timeText:   "eventtime",
			regexpLike: "regexp_like",
			partitions: true,
		},
		Lake: {
			table:      lakeTable,
			param:      func(col, f string) string { return "element_at(" + col + ", '" + f + "')" },
			jsonText:   func(col string) string { return "json_format(CAST(" + col + " AS JSON))" },
			eventTime:  "eventtime",
			timeLit:    func(t time.Time) string { return "timestamp '" + t.UTC().Format("2006-01-02 15:04:05.000") + "'" },
			timeText:   "CAST(eventtime AS varchar)",
			regexpLike: "regexp_like",
		},
		DuckDB: {
			table:      quotedTable,
			param:      func(col, f string) string { return "json_extract_string(" + col + ", '$." + f + "')" },
			jsonText:   func(col string) string { return col },
			eventTime:  "CAST(eventtime AS TIMESTAMPTZ)",
			timeLit:    func(t time.Time) string { return "TIMESTAMPTZ '" + t.UTC().Format("2006-01-02 15:04:05.000") + "+00'" },
			timeText:   "eventtime",
			regexpLike: "regexp_matches",
			partitions: true,
		},
	}
}

// quotedTable quotes DATABASE.TABLE (or TABLE) as identifiers.
func quotedTable(name string) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("table %q: want DATABASE.TABLE", name)
	}
	for i, p := range parts {
		if !identOK(p) {
			return "", fmt.Errorf("table %q: %q is not a plain identifier (letters, digits, _ and -)", name, p)
		}
		parts[i] = `"` + p + `"`
	}
	return strings.Join(parts, "."), nil
}

// lakeTable is an event data store: its ID, or the ID part of its ARN.
func lakeTable(name string) (string, error) {
	id := name
	if strings.HasPrefix(name, "arn:") {
		i := strings.LastIndex(name, "/")
		if i < 0 || !strings.Contains(name, ":eventdatastore/") {
			return "", fmt.Errorf("event data store %q: want its ID or arn:…:eventdatastore/ID", name)
		}
		id = name[i+1:]
	}
	if !identOK(id) {
		return "", fmt.Errorf("event data store %q: the ID has characters other than letters, digits and -", name)
	}
	return id, nil
}

func identOK(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// quote is an SQL string literal (the same in every dialect: ” escapes ').
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
