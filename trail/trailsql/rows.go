package trailsql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Row is one result row: column name → value, nil for SQL NULL.
type Row map[string]*string

// Total returns the row count the row carries (TotalColumn).
func (r Row) Total() (int64, error) {
	v := r[TotalColumn]
	if v == nil {
		return 0, fmt.Errorf("result row has no %s column", TotalColumn)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(*v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("result row: %s %q: %w", TotalColumn, *v, err)
	}
	return n, nil
}

// Record rebuilds the CloudTrail record a row was selected from, as JSON in
// the delivered log's shape (the fields replay reads), so that it goes
// through the same decoder as a log file. requestparameters and
// responseelements are JSON text; a top-level value that is itself JSON
// text of an object (CloudTrail Lake keeps nested objects of these maps as
// text) is read as that object.
func Record(r Row) ([]byte, error) {
	rec := map[string]any{}
	set := func(key, col string) {
		if v := r[col]; v != nil {
			rec[key] = *v
		}
	}
	for _, c := range [][2]string{
		{"eventVersion", "eventversion"}, {"eventID", "eventid"}, {"sharedEventID", "sharedeventid"},
		{"eventSource", "eventsource"}, {"eventName", "eventname"}, {"awsRegion", "awsregion"},
		{"sourceIPAddress", "sourceipaddress"}, {"userAgent", "useragent"}, {"errorCode", "errorcode"},
		{"errorMessage", "errormessage"}, {"recipientAccountId", "recipientaccountid"},
	} {
		set(c[0], c[1])
	}
	if v := r["eventtime"]; v != nil {
		t, err := parseEventTime(*v)
		if err != nil {
			return nil, err
		}
		rec["eventTime"] = t.UTC().Format(time.RFC3339Nano)
	}
	ui := map[string]any{}
	for _, c := range [][2]string{
		{"type", "ui_type"}, {"principalId", "ui_principalid"}, {"arn", "ui_arn"}, {"accountId", "ui_accountid"},
		{"accessKeyId", "ui_accesskeyid"}, {"userName", "ui_username"}, {"invokedBy", "ui_invokedby"},
	} {
		if v := r[c[1]]; v != nil {
			ui[c[0]] = *v
		}
	}
	if v := r["ui_issuer_arn"]; v != nil {
		ui["sessionContext"] = map[string]any{"sessionIssuer": map[string]any{"arn": *v}}
	}
	if len(ui) > 0 {
		rec["userIdentity"] = ui
	}
	for key, col := range map[string]string{"requestParameters": "requestparameters", "responseElements": "responseelements"} {
		v := r[col]
		if v == nil {
			continue
		}
		obj, err := objectText(*v)
		if err != nil {
			return nil, fmt.Errorf("result row %s: %w", col, err)
		}
		if obj != nil {
			rec[key] = obj
		}
	}
	return json.Marshal(rec)
}

// objectText reads JSON text; an object's values that are JSON text of an
// object are read as objects. "null" and "" are nil.
func objectText(s string) (json.RawMessage, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			if str, ok := x.(string); ok && strings.HasPrefix(strings.TrimSpace(str), "{") {
				var inner map[string]any
				d := json.NewDecoder(strings.NewReader(str))
				d.UseNumber()
				if d.Decode(&inner) == nil {
					m[k] = inner
				}
			}
		}
		v = m
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// eventTimeLayouts are the forms the engines write eventtime in: the
// record's own ISO 8601 text (Athena), and a timestamp cast to text
// (CloudTrail Lake, DuckDB).
var eventTimeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999 UTC",
	"2006-01-02T15:04:05.999999999",
}

func parseEventTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range eventTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("result row: eventtime %q is not a time", s)
}
