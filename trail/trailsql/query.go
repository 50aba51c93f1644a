package trailsql

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Roles select the cross-account roles by name, as trail.Expectations do:
// a name is selected when a glob ('*' any run, '?' one character,
// case-sensitive) or the regular expression matches it.
type Roles struct {
	Globs  []string
	Regexp *regexp.Regexp
}

// Query is one replay query.
type Query struct {
	Dialect Dialect
	// Table is DATABASE.TABLE for Athena and DuckDB, the event data store
	// (ID or ARN) for Lake.
	Table string
	Roles Roles
	// Since and Until bound eventtime (zero: open).
	Since, Until time.Time
}

// Columns are the result columns, in order, in every dialect.
var Columns = []string{
	"eventversion", "eventid", "sharedeventid", "eventtime", "eventsource", "eventname", "awsregion",
	"sourceipaddress", "useragent", "errorcode", "errormessage", "recipientaccountid",
	"ui_type", "ui_principalid", "ui_arn", "ui_accountid", "ui_accesskeyid", "ui_username", "ui_invokedby", "ui_issuer_arn",
	"requestparameters", "responseelements", "total_rows",
}

// TotalColumn is the column every row carries the query's row count in:
// a result with fewer rows than it says was truncated.
const TotalColumn = "total_rows"

// assumeEvents are the STS events that open a session.
var assumeEvents = []string{"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}

// Build writes the query.
func Build(q Query) (string, error) {
	d, ok := dialects()[q.Dialect]
	if !ok {
		return "", fmt.Errorf("unknown SQL dialect %q", q.Dialect)
	}
	table, err := d.table(q.Table)
	if err != nil {
		return "", err
	}
	if len(q.Roles.Globs) == 0 && q.Roles.Regexp == nil {
		return "", errors.New("trail query: no role pattern")
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return "", errors.New("trail query: until is before since")
	}
	m := newMatcher(d, q.Roles)

	var b strings.Builder
	b.WriteString("-- pvaudit trail replay (" + string(q.Dialect) + "): AssumeRole events into the chosen roles and the\n")
	b.WriteString("-- events made under their sessions, in the window; every row carries the row count.\n")
	b.WriteString("WITH events AS (\n  SELECT\n")
	proj := []string{
		"eventversion", "eventid", "sharedeventid", d.timeText + " AS eventtime", "eventsource", "eventname", "awsregion",
		"sourceipaddress", "useragent", "errorcode", "errormessage", "recipientaccountid",
		"useridentity.type AS ui_type", "useridentity.principalid AS ui_principalid", "useridentity.arn AS ui_arn",
		"useridentity.accountid AS ui_accountid", "useridentity.accesskeyid AS ui_accesskeyid",
		"useridentity.username AS ui_username", "useridentity.invokedby AS ui_invokedby",
		"useridentity.sessioncontext.sessionissuer.arn AS ui_issuer_arn",
		d.jsonText("requestparameters") + " AS requestparameters", d.jsonText("responseelements") + " AS responseelements",
		d.param("requestparameters", "roleArn") + " AS role_arn",
	}
	b.WriteString("    " + strings.Join(proj, ",\n    ") + "\n")
	b.WriteString("  FROM " + table + "\n")
	var where []string
	if d.partitions {
		if p := partitionPredicate(q.Since, q.Until); p != "" {
			where = append(where, p)
		}
	}
	if !q.Since.IsZero() {
		where = append(where, d.eventTime+" >= "+d.timeLit(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, d.eventTime+" <= "+d.timeLit(q.Until))
	}
	if len(where) > 0 {
		b.WriteString("  WHERE " + strings.Join(where, "\n    AND ") + "\n")
	}
	b.WriteString(")\n")
	b.WriteString("SELECT\n  " + strings.Join(Columns[:len(Columns)-1], ", ") + ",\n  count(*) OVER () AS " + TotalColumn + "\n")
	b.WriteString("FROM events\nWHERE\n")
	var in []string
	for _, e := range assumeEvents {
		in = append(in, quote(e))
	}
	assume := "eventname IN (" + strings.Join(in, ", ") + ")"
	b.WriteString("  -- sessions opened on a chosen role (a failed AssumeRole names the role only in its message)\n")
	b.WriteString("  (" + assume + " AND (" + m.arn("role_arn") + "\n")
	b.WriteString("    OR ((role_arn IS NULL OR role_arn = '') AND errormessage LIKE '%:role/%')))\n")
	b.WriteString("  -- calls made under a session of a chosen role\n")
	b.WriteString("  OR " + m.arn("ui_issuer_arn") + "\n")
	b.WriteString("  OR " + m.arn("ui_arn") + "\n")
	b.WriteString("ORDER BY eventtime, eventid\n")
	return b.String(), nil
}

// partitionPredicate keeps the dated partitions that may hold records of
// [since, until]: the folders local replay reads (a folder of day D holds
// records delivered that day, which may be up to a day older), as a
// lexicographic bound on the zero-padded year, month and day partitions.
func partitionPredicate(since, until time.Time) string {
	const slack = 24 * time.Hour
	var parts []string
	if !since.IsZero() {
		// The first day D with D + 1 day > since.
		d := day(since.UTC().Add(-slack))
		for !d.Add(slack).After(since) {
			d = d.Add(slack)
		}
		parts = append(parts, lexBound(d, ">"))
	}
	if !until.IsZero() {
		// The last day D with D - 1 day <= until.
		d := day(until.UTC().Add(slack))
		for d.Add(-slack).After(until) {
			d = d.Add(-slack)
		}
		parts = append(parts, lexBound(d, "<"))
	}
	return strings.Join(parts, "\n    AND ")
}

func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

// lexBound is (year, month, day) >= d (op ">") or <= d (op "<"), written
// with comparisons each engine can prune partitions by.
func lexBound(d time.Time, op string) string {
	y, m, dd := quote(d.Format("2006")), quote(d.Format("01")), quote(d.Format("02"))
	return fmt.Sprintf("(year %s %s OR (year = %s AND (month %s %s OR (month = %s AND day %s= %s))))", op, y, y, op, m, m, op, dd)
}

// matcher writes the role-name tests.
type matcher struct {
	d     dialect
	roles Roles
}

func newMatcher(d dialect, r Roles) matcher { return matcher{d: d, roles: r} }

// arn is the test that an ARN (a role ARN or an assumed-role ARN) names a
// chosen role: its role name is the part after the last '/' of a role
// ARN, or the part after assumed-role/ of an assumed-role ARN. Both are
// tried whatever the ARN looks like, which can only select more.
func (m matcher) arn(col string) string {
	last := "regexp_extract(" + col + ", '[^/]*$')"
	assumed := "regexp_extract(" + col + ", ':assumed-role/([^/]*)', 1)"
	return "((" + col + " LIKE '%:role/%' AND " + m.name(last) + ") OR (" + col + " LIKE '%:assumed-role/%' AND " + m.name(assumed) + "))"
}

// name is the test that a role name is chosen.
func (m matcher) name(expr string) string {
	var or []string
	for _, g := range m.roles.Globs {
		or = append(or, expr+" LIKE "+quote(globToLike(g))+" ESCAPE '\\'")
	}
	if re := m.roles.Regexp; re != nil {
		if p, ok := portable(re); ok {
			or = append(or, m.d.regexpLike+"("+expr+", "+quote(p)+")")
		} else if prefix := requiredPrefix(re); prefix != "" {
			// Not every engine reads this expression as Go does: select every
			// name that contains its literal prefix, and let the replay match.
			or = append(or, expr+" LIKE "+quote("%"+likeEscape(prefix)+"%")+" ESCAPE '\\'")
		} else {
			or = append(or, "TRUE")
		}
	}
	if len(or) == 1 {
		return or[0]
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// globToLike turns a glob into a LIKE pattern with '\' as the escape.
func globToLike(g string) string {
	var b strings.Builder
	for _, r := range g {
		switch r {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
