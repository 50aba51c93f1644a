// Package trail replays CloudTrail records into the sessions opened on the
// cross-account role, attaches every call made under each session, and turns
// what the sessions did into findings.
//
// All sources (LookupEvents, S3-layout folders, delivered or exported files)
// feed one decoder: a record is split out of its container, pre-filtered by
// a cheap byte search, and only then decoded into a Record.
package trail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Identity is a record's userIdentity, reduced to what session
// reconstruction needs. Any field may be empty: service events can carry an
// identity with no type, cross-account callers no ARN.
type Identity struct {
	Type        string `json:"type,omitempty"`
	PrincipalID string `json:"principal_id,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"account_id,omitempty"`
	AccessKeyID string `json:"access_key_id,omitempty"`
	UserName    string `json:"user_name,omitempty"`
	InvokedBy   string `json:"invoked_by,omitempty"`
	// IssuerARN is sessionContext.sessionIssuer.arn: the role a session
	// belongs to.
	IssuerARN string `json:"issuer_arn,omitempty"`
}

// Record is one decoded CloudTrail event.
type Record struct {
	EventVersion       string
	EventID            string
	SharedEventID      string
	EventTime          time.Time
	EventSource        string
	EventName          string
	Region             string
	SourceIP           string
	UserAgent          string
	ErrorCode          string
	ErrorMessage       string
	RecipientAccountID string
	Identity           Identity

	// Fields of requestParameters the analysis reads.
	RoleARN             string // AssumeRole*: roleArn
	RoleSessionName     string
	ExternalIDPresent   bool
	DurationSeconds     int64
	RoleName            string // IAM: roleName
	UserName            string // IAM: userName
	PolicyARN           string // IAM: policyArn
	PermissionsBoundary string // IAM CreateRole/PutRolePermissionsBoundary
	PolicyName          string // IAM PutRolePolicy, CreatePolicy …: policyName
	GroupName           string // IAM: groupName

	// Fields of responseElements.
	CredAccessKeyID string
	CredExpiration  time.Time
	AssumedRoleARN  string
	CreatedRoleARN  string // CreateRole: role.arn

	// Where the record came from, for evidence and error reports.
	Origin string
	Offset int64
	// Conflicting marks a version of an event recorded with different
	// contents (TRAIL-012): every version is analysed.
	Conflicting bool
}

// Failed reports whether the call returned an error.
func (r *Record) Failed() bool { return r.ErrorCode != "" }

// Denied reports whether the call was refused by authorization.
func (r *Record) Denied() bool {
	c := r.ErrorCode
	return strings.Contains(c, "AccessDenied") || strings.Contains(c, "UnauthorizedOperation") ||
		strings.Contains(c, "Forbidden") || c == "AuthorizationError" || c == "NotAuthorized"
}

// Service is the short service name of the event source ("iam" for
// "iam.amazonaws.com").
func (r *Record) Service() string {
	s, _, _ := strings.Cut(r.EventSource, ".")
	return s
}

// Action is the IAM-style action name, e.g. "iam:CreateRole".
func (r *Record) Action() string { return r.Service() + ":" + r.EventName }

// lstr is a string that also accepts numbers, booleans and null, so that a
// field whose type varies between event versions does not make a whole
// record undecodable.
type lstr string

func (s *lstr) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = lstr(v)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*s = ""
		return nil
	}
	*s = lstr(b)
	return nil
}

// rawRecord mirrors the wire shape of a record.
type rawRecord struct {
	EventVersion       lstr `json:"eventVersion"`
	EventID            lstr `json:"eventID"`
	SharedEventID      lstr `json:"sharedEventID"`
	EventTime          lstr `json:"eventTime"`
	Timestamp          lstr `json:"@timestamp"` // Logstash exports rename eventTime
	EventSource        lstr `json:"eventSource"`
	EventName          lstr `json:"eventName"`
	AWSRegion          lstr `json:"awsRegion"`
	SourceIPAddress    lstr `json:"sourceIPAddress"`
	UserAgent          lstr `json:"userAgent"`
	ErrorCode          lstr `json:"errorCode"`
	ErrorMessage       lstr `json:"errorMessage"`
	RecipientAccountID lstr `json:"recipientAccountId"`
	UserIdentity       *struct {
		Type           lstr `json:"type"`
		PrincipalID    lstr `json:"principalId"`
		ARN            lstr `json:"arn"`
		AccountID      lstr `json:"accountId"`
		AccessKeyID    lstr `json:"accessKeyId"`
		UserName       lstr `json:"userName"`
		InvokedBy      lstr `json:"invokedBy"`
		SessionContext json.RawMessage
	} `json:"userIdentity"`
	RequestParameters json.RawMessage `json:"requestParameters"`
	ResponseElements  json.RawMessage `json:"responseElements"`
}

type rawSessionContext struct {
	SessionIssuer *struct {
		ARN lstr `json:"arn"`
	} `json:"sessionIssuer"`
}

type rawRequest struct {
	RoleARN             lstr            `json:"roleArn"`
	RoleSessionName     lstr            `json:"roleSessionName"`
	ExternalID          json.RawMessage `json:"externalId"`
	DurationSeconds     lstr            `json:"durationSeconds"`
	RoleName            lstr            `json:"roleName"`
	UserName            lstr            `json:"userName"`
	PolicyARN           lstr            `json:"policyArn"`
	PermissionsBoundary lstr            `json:"permissionsBoundary"`
	PolicyName          lstr            `json:"policyName"`
	GroupName           lstr            `json:"groupName"`
}

type rawResponse struct {
	Credentials *struct {
		AccessKeyID lstr `json:"accessKeyId"`
		Expiration  lstr `json:"expiration"`
	} `json:"credentials"`
	AssumedRoleUser *struct {
		ARN lstr `json:"arn"`
	} `json:"assumedRoleUser"`
	Role *struct {
		ARN lstr `json:"arn"`
	} `json:"role"`
}

// errNoTime is returned for records without a usable eventTime.
var errNoTime = errors.New("record has no eventTime")

// DecodeRecord decodes one CloudTrail record. Unknown fields are ignored and
// fields whose type varies are read leniently; only a record that is not a
// JSON object, or has no parseable eventTime, is an error.
func DecodeRecord(b []byte) (Record, error) {
	var raw rawRecord
	if err := json.Unmarshal(b, &raw); err != nil {
		return Record{}, fmt.Errorf("decode record: %w", err)
	}
	ts := string(raw.EventTime)
	if ts == "" {
		ts = string(raw.Timestamp)
	}
	if ts == "" {
		return Record{}, errNoTime
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return Record{}, fmt.Errorf("decode record: eventTime %q: %w", ts, err)
	}
	r := Record{
		EventVersion:       string(raw.EventVersion),
		EventID:            string(raw.EventID),
		SharedEventID:      string(raw.SharedEventID),
		EventTime:          t.UTC(),
		EventSource:        string(raw.EventSource),
		EventName:          string(raw.EventName),
		Region:             string(raw.AWSRegion),
		SourceIP:           string(raw.SourceIPAddress),
		UserAgent:          string(raw.UserAgent),
		ErrorCode:          string(raw.ErrorCode),
		ErrorMessage:       string(raw.ErrorMessage),
		RecipientAccountID: string(raw.RecipientAccountID),
	}
	if u := raw.UserIdentity; u != nil {
		r.Identity = Identity{
			Type:        string(u.Type),
			PrincipalID: string(u.PrincipalID),
			ARN:         string(u.ARN),
			AccountID:   string(u.AccountID),
			AccessKeyID: string(u.AccessKeyID),
			UserName:    string(u.UserName),
			InvokedBy:   string(u.InvokedBy),
		}
		if isObject(u.SessionContext) {
			var sc rawSessionContext
			if json.Unmarshal(u.SessionContext, &sc) == nil && sc.SessionIssuer != nil {
				r.Identity.IssuerARN = string(sc.SessionIssuer.ARN)
			}
		}
	}
	// requestParameters and responseElements vary per service; they are
	// read only as objects, and a shape we do not expect is ignored rather
	// than failing the record.
	if isObject(raw.RequestParameters) {
		var q rawRequest
		if json.Unmarshal(raw.RequestParameters, &q) == nil {
			r.RoleARN = string(q.RoleARN)
			r.RoleSessionName = string(q.RoleSessionName)
			r.ExternalIDPresent = len(q.ExternalID) > 0 && !bytes.Equal(q.ExternalID, []byte("null"))
			if d := string(q.DurationSeconds); d != "" {
				r.DurationSeconds, _ = strconv.ParseInt(d, 10, 64)
			}
			r.RoleName = string(q.RoleName)
			r.UserName = string(q.UserName)
			r.PolicyARN = string(q.PolicyARN)
			r.PermissionsBoundary = string(q.PermissionsBoundary)
			r.PolicyName = string(q.PolicyName)
			r.GroupName = string(q.GroupName)
		}
	}
	if isObject(raw.ResponseElements) {
		var p rawResponse
		if json.Unmarshal(raw.ResponseElements, &p) == nil {
			if c := p.Credentials; c != nil {
				r.CredAccessKeyID = string(c.AccessKeyID)
				r.CredExpiration, _ = ParseExpiration(string(c.Expiration))
			}
			if a := p.AssumedRoleUser; a != nil {
				r.AssumedRoleARN = string(a.ARN)
			}
			if c := p.Role; c != nil {
				r.CreatedRoleARN = string(c.ARN)
			}
		}
	}
	if r.RoleARN == "" && strings.HasPrefix(r.EventName, "AssumeRole") {
		// A failed AssumeRole has requestParameters null: the role is only
		// named in the error message.
		r.RoleARN = roleARNFromMessage(r.ErrorMessage)
	}
	return r, nil
}

func isObject(b json.RawMessage) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// roleARNFromMessage finds the first IAM role ARN in an error message such
// as "User: … is not authorized to perform: sts:AssumeRole on resource:
// arn:aws:iam::111122223333:role/Name".
func roleARNFromMessage(msg string) string {
	i := strings.Index(msg, "arn:aws")
	for i >= 0 {
		rest := msg[i:]
		end := strings.IndexAny(rest, " \t\n\",;")
		if end < 0 {
			end = len(rest)
		}
		arn := strings.TrimRight(rest[:end], ".")
		if strings.Contains(arn, ":role/") {
			return arn
		}
		next := strings.Index(rest[1:], "arn:aws")
		if next < 0 {
			break
		}
		i += next + 1
	}
	return ""
}

// expirationLayouts are the forms CloudTrail writes credential expirations
// in: "Jul 10, 2023, 12:17:54 PM" in delivered logs, RFC 3339 elsewhere.
var expirationLayouts = [...]string{
	"Jan 2, 2006, 3:04:05 PM",
	"Jan 2, 2006 3:04:05 PM",
	time.RFC3339Nano,
	"2006-01-02 15:04:05",
}

// ParseExpiration reads a credential expiration in any form CloudTrail
// writes it. The wall-clock forms are UTC.
func ParseExpiration(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty expiration")
	}
	for _, l := range expirationLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil { // epoch milliseconds
		return time.UnixMilli(n).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("unrecognised expiration %q", s)
}

// RoleNameFromARN returns the role name of an IAM role ARN
// ("arn:aws:iam::1:role/path/Name" → "Name") or of an assumed-role ARN
// ("arn:aws:sts::1:assumed-role/Name/session" → "Name"); "" otherwise.
func RoleNameFromARN(arn string) string {
	if i := strings.Index(arn, ":assumed-role/"); i >= 0 {
		rest := arn[i+len(":assumed-role/"):]
		name, _, _ := strings.Cut(rest, "/")
		return name
	}
	if i := strings.Index(arn, ":role/"); i >= 0 {
		rest := arn[i+len(":role/"):]
		if j := strings.LastIndexByte(rest, '/'); j >= 0 {
			rest = rest[j+1:]
		}
		return rest
	}
	return ""
}

// AccountFromARN returns the account field of an ARN.
func AccountFromARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
