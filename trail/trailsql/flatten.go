package trailsql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Flatten is Record's inverse: the row a query over the standard layout
// returns for a CloudTrail record (without the row count). With lakeMaps,
// requestparameters and responseelements are written as CloudTrail Lake
// returns its map<string,string> columns: nested objects and numbers as
// text. It serves canned results (tests, the loopback endpoint, benches).
func Flatten(raw []byte, lakeMaps bool) (Row, error) {
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("flatten: %w", err)
	}
	row := Row{}
	str := func(b json.RawMessage) *string {
		if len(b) == 0 || bytes.Equal(b, []byte("null")) {
			return nil
		}
		var s string
		if json.Unmarshal(b, &s) == nil {
			return &s
		}
		t := string(b)
		return &t
	}
	for col, key := range map[string]string{
		"eventversion": "eventVersion", "eventid": "eventID", "sharedeventid": "sharedEventID", "eventtime": "eventTime",
		"eventsource": "eventSource", "eventname": "eventName", "awsregion": "awsRegion", "sourceipaddress": "sourceIPAddress",
		"useragent": "userAgent", "errorcode": "errorCode", "errormessage": "errorMessage", "recipientaccountid": "recipientAccountId",
	} {
		row[col] = str(rec[key])
	}
	var ui struct {
		Type, PrincipalID, ARN, AccountID, AccessKeyID, UserName, InvokedBy json.RawMessage
		SessionContext                                                      *struct {
			SessionIssuer *struct{ ARN json.RawMessage } `json:"sessionIssuer"`
		} `json:"sessionContext"`
	}
	if b := rec["userIdentity"]; len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &ui); err != nil {
			return nil, fmt.Errorf("flatten: userIdentity: %w", err)
		}
	}
	row["ui_type"], row["ui_principalid"], row["ui_arn"] = str(ui.Type), str(ui.PrincipalID), str(ui.ARN)
	row["ui_accountid"], row["ui_accesskeyid"], row["ui_username"], row["ui_invokedby"] = str(ui.AccountID), str(ui.AccessKeyID), str(ui.UserName), str(ui.InvokedBy)
	if sc := ui.SessionContext; sc != nil && sc.SessionIssuer != nil {
		row["ui_issuer_arn"] = str(sc.SessionIssuer.ARN)
	}
	for col, key := range map[string]string{"requestparameters": "requestParameters", "responseelements": "responseElements"} {
		b := rec[key]
		if len(b) == 0 || bytes.Equal(b, []byte("null")) {
			row[col] = nil
			continue
		}
		if !lakeMaps || b[0] != '{' {
			s := string(b)
			row[col] = &s
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("flatten: %s: %w", key, err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		flat := map[string]string{}
		for _, k := range keys {
			if s := str(m[k]); s != nil {
				flat[k] = *s
			}
		}
		out, err := json.Marshal(flat)
		if err != nil {
			return nil, err
		}
		s := string(out)
		row[col] = &s
	}
	return row, nil
}
