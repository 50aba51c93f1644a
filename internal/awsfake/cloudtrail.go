package awsfake

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// record is one CloudTrail record with the fields LookupEvents filters on.
type record struct {
	seq         int
	eventID     string
	eventName   string
	eventSource string
	username    string
	accessKeyID string
	readOnly    bool
	time        time.Time
	region      string
	resources   []trailResource
	raw         json.RawMessage
}

// trailResource is a resource as LookupEvents reports it.
type trailResource struct {
	Type string `json:"ResourceType"`
	Name string `json:"ResourceName"`
}

type ctIdentity struct {
	Type           string            `json:"type"`
	PrincipalID    string            `json:"principalId"`
	ARN            string            `json:"arn"`
	AccountID      string            `json:"accountId"`
	AccessKeyID    string            `json:"accessKeyId,omitempty"`
	UserName       string            `json:"userName,omitempty"`
	SessionContext *ctSessionContext `json:"sessionContext,omitempty"`
}

type ctSessionContext struct {
	SessionIssuer       ctIssuer          `json:"sessionIssuer"`
	WebIDFederationData map[string]string `json:"webIdFederationData"`
	Attributes          ctAttributes      `json:"attributes"`
}

type ctIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type ctAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type ctResource struct {
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

type ctRecord struct {
	EventVersion       string       `json:"eventVersion"`
	UserIdentity       ctIdentity   `json:"userIdentity"`
	EventTime          string       `json:"eventTime"`
	EventSource        string       `json:"eventSource"`
	EventName          string       `json:"eventName"`
	AWSRegion          string       `json:"awsRegion"`
	SourceIPAddress    string       `json:"sourceIPAddress"`
	UserAgent          string       `json:"userAgent"`
	ErrorCode          string       `json:"errorCode,omitempty"`
	ErrorMessage       string       `json:"errorMessage,omitempty"`
	RequestParameters  any          `json:"requestParameters"`
	ResponseElements   any          `json:"responseElements"`
	RequestID          string       `json:"requestID"`
	EventID            string       `json:"eventID"`
	ReadOnly           bool         `json:"readOnly"`
	Resources          []ctResource `json:"resources,omitempty"`
	EventType          string       `json:"eventType"`
	ManagementEvent    bool         `json:"managementEvent"`
	RecipientAccountID string       `json:"recipientAccountId"`
	EventCategory      string       `json:"eventCategory"`
}

// ctTime formats a time as CloudTrail writes dates inside IAM and STS
// responseElements ("Nov 23, 2026, 7:26:05 PM").
func ctTime(t time.Time) string { return t.UTC().Format(ctExpiration) }

// trailErrorCode is the errorCode CloudTrail writes for an IAM or STS error:
// IAM's modelled exceptions carry an "Exception" suffix there.
func trailErrorCode(service, code string) string {
	if service != "iam" {
		return code
	}
	switch code {
	case "NoSuchEntity", "EntityAlreadyExists", "MalformedPolicyDocument", "LimitExceeded",
		"DeleteConflict", "InvalidInput", "ServiceFailure":
		return code + "Exception"
	}
	return code
}

// appendRecord writes the CloudTrail record of a served call.
func (s *Server) appendRecord(ex *exchange, aerr *apiError) {
	p := ex.p
	acct := p.account
	if acct == "" {
		acct = s.account
	}
	id := ctIdentity{Type: p.kind, PrincipalID: p.id, ARN: p.arn, AccountID: acct, AccessKeyID: p.accessKeyID}
	username := p.userName
	if p.kind == "IAMUser" {
		id.UserName = p.userName
	} else {
		username = p.sessionName
		id.SessionContext = &ctSessionContext{
			SessionIssuer:       ctIssuer{Type: "Role", PrincipalID: p.roleID, ARN: p.roleARN, AccountID: s.account, UserName: p.roleName},
			WebIDFederationData: map[string]string{},
			Attributes:          ctAttributes{CreationDate: isoTime(p.sessionCreated), MFAAuthenticated: "false"},
		}
	}
	source, region := "iam.amazonaws.com", DefaultRegion
	if ex.service == "sts" {
		source, region = "sts.amazonaws.com", ex.region
	}
	if src := runtimeEventSource(ex.service); src != "" {
		source, region = src, ex.region
	}
	rec := ctRecord{
		EventVersion: "1.08", UserIdentity: id, EventTime: isoTime(ex.now), EventSource: source,
		EventName: ex.action, AWSRegion: region, SourceIPAddress: ex.sourceIP, UserAgent: ex.userAgent,
		RequestParameters: ex.form.requestParameters(), RequestID: ex.requestID,
		EventID: s.newRequestID(), ReadOnly: isReadOnly(ex.action), EventType: "AwsApiCall",
		ManagementEvent: true, RecipientAccountID: s.account, EventCategory: "Management",
	}
	if len(rec.RequestParameters.(map[string]any)) == 0 {
		rec.RequestParameters = nil
	}
	numericParams(rec.RequestParameters)
	if aerr != nil {
		rec.ErrorCode = trailErrorCode(ex.service, aerr.Code)
		rec.ErrorMessage = aerr.Message
	} else {
		rec.ResponseElements = ex.responseElements
	}
	if ex.action == "AssumeRole" {
		if r := s.roleByARN(ex.form.get("RoleArn")); r != nil {
			rec.Resources = []ctResource{{AccountID: s.account, Type: "AWS::IAM::Role", ARN: r.arn}}
		}
	}
	if len(ex.resources) == 0 && ex.service == "iam" {
		// Calls that failed before their handler named resources still name
		// what they addressed.
		for _, rp := range []struct{ param, typ string }{
			{"RoleName", "AWS::IAM::Role"}, {"PolicyArn", "AWS::IAM::Policy"},
			{"UserName", "AWS::IAM::User"}, {"InstanceProfileName", "AWS::IAM::InstanceProfile"},
		} {
			if v := ex.form.get(rp.param); v != "" {
				ex.addResource(rp.typ, v)
			}
		}
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return
	}
	s.records = append(s.records, record{
		seq: len(s.records) + 1, eventID: rec.EventID, eventName: ex.action, eventSource: source,
		username: username, accessKeyID: p.accessKeyID, readOnly: rec.ReadOnly, time: ex.now,
		region: region, resources: ex.resources, raw: raw,
	})
}

func numericParams(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for _, k := range []string{"durationSeconds", "maxSessionDuration", "maxItems"} {
		if s, ok := m[k].(string); ok {
			if n, err := strconv.Atoi(s); err == nil {
				m[k] = n
			}
		}
	}
}

// Records returns the CloudTrail records held, oldest first, each the JSON
// of one record as it appears in a trail file.
func (s *Server) Records() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]json.RawMessage, len(s.records))
	for i, r := range s.records {
		out[i] = append(json.RawMessage(nil), r.raw...)
	}
	return out
}

// SeedRecords adds CloudTrail records (e.g. events from before the test
// started). Each must be a JSON object with at least eventTime, eventSource
// and eventName; eventID is generated when missing.
func (s *Server) SeedRecords(records ...json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, raw := range records {
		var r struct {
			EventID      string `json:"eventID"`
			EventTime    string `json:"eventTime"`
			EventSource  string `json:"eventSource"`
			EventName    string `json:"eventName"`
			AWSRegion    string `json:"awsRegion"`
			ReadOnly     *bool  `json:"readOnly"`
			UserIdentity struct {
				Type        string `json:"type"`
				ARN         string `json:"arn"`
				UserName    string `json:"userName"`
				AccessKeyID string `json:"accessKeyId"`
			} `json:"userIdentity"`
			Resources []struct {
				Type string `json:"type"`
				ARN  string `json:"ARN"`
			} `json:"resources"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("awsfake: seed record %d: %w", i, err)
		}
		t, err := time.Parse(time.RFC3339, r.EventTime)
		if err != nil {
			return fmt.Errorf("awsfake: seed record %d: eventTime: %w", i, err)
		}
		if r.EventSource == "" || r.EventName == "" {
			return fmt.Errorf("awsfake: seed record %d: eventSource and eventName are required", i)
		}
		if r.EventID == "" {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("awsfake: seed record %d: %w", i, err)
			}
			r.EventID = s.newRequestID()
			m["eventID"] = r.EventID
			if raw, err = json.Marshal(m); err != nil {
				return fmt.Errorf("awsfake: seed record %d: %w", i, err)
			}
		}
		username := r.UserIdentity.UserName
		if r.UserIdentity.Type == "AssumedRole" {
			username = r.UserIdentity.ARN[strings.LastIndex(r.UserIdentity.ARN, "/")+1:]
		}
		readOnly := isReadOnly(r.EventName)
		if r.ReadOnly != nil {
			readOnly = *r.ReadOnly
		}
		region := r.AWSRegion
		if region == "" {
			region = s.region
		}
		rec := record{
			seq: len(s.records) + 1, eventID: r.EventID, eventName: r.EventName, eventSource: r.EventSource,
			username: username, accessKeyID: r.UserIdentity.AccessKeyID, readOnly: readOnly, time: t.UTC(),
			region: region, raw: append(json.RawMessage(nil), raw...),
		}
		for _, res := range r.Resources {
			rec.resources = append(rec.resources, trailResource{Type: res.Type, Name: res.ARN})
		}
		s.records = append(s.records, rec)
	}
	return nil
}

type ctHandler func(s *Server, ex *exchange) ([]byte, *apiError)

func cloudTrailHandlers() map[string]ctHandler {
	return map[string]ctHandler{"LookupEvents": (*Server).ctLookupEvents, "ListPublicKeys": (*Server).ctListPublicKeys}
}

type lookupEventsInput struct {
	LookupAttributes []struct {
		AttributeKey   string
		AttributeValue string
	}
	StartTime     *float64
	EndTime       *float64
	MaxResults    *int
	NextToken     string
	EventCategory string
}

type lookupEvent struct {
	EventID         string          `json:"EventId"`
	EventName       string          `json:"EventName"`
	ReadOnly        string          `json:"ReadOnly"`
	AccessKeyID     string          `json:"AccessKeyId,omitempty"`
	EventTime       float64         `json:"EventTime"`
	EventSource     string          `json:"EventSource"`
	Username        string          `json:"Username,omitempty"`
	Resources       []trailResource `json:"Resources"`
	CloudTrailEvent string          `json:"CloudTrailEvent"`
}

func epoch(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func (s *Server) ctLookupEvents(ex *exchange) ([]byte, *apiError) {
	var in lookupEventsInput
	if len(bytes.TrimSpace(ex.body)) > 0 {
		if err := json.Unmarshal(ex.body, &in); err != nil {
			return nil, newErr(http.StatusBadRequest, "SerializationException", "Could not parse request body: %v", err)
		}
	}
	if len(in.LookupAttributes) > 1 {
		return nil, newErr(http.StatusBadRequest, "InvalidLookupAttributesException", "You can only specify one lookup attribute.")
	}
	max := 50
	if in.MaxResults != nil {
		max = *in.MaxResults
		if max < 1 || max > 50 {
			return nil, newErr(http.StatusBadRequest, "InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
		}
	}
	if s.faults.PageSize > 0 && s.faults.PageSize < max {
		max = s.faults.PageSize
	}
	end := ex.now
	if in.EndTime != nil {
		end = epoch(*in.EndTime)
	}
	start := end.AddDate(0, 0, -90)
	if in.StartTime != nil {
		start = epoch(*in.StartTime)
	}
	if start.After(end) {
		return nil, newErr(http.StatusBadRequest, "InvalidTimeRangeException", "Start time must be before end time.")
	}
	var match func(r record) bool = func(record) bool { return true }
	if len(in.LookupAttributes) == 1 {
		a := in.LookupAttributes[0]
		v := a.AttributeValue
		switch a.AttributeKey {
		case "EventId":
			match = func(r record) bool { return r.eventID == v }
		case "EventName":
			match = func(r record) bool { return r.eventName == v }
		case "ReadOnly":
			match = func(r record) bool { return strconv.FormatBool(r.readOnly) == v }
		case "Username":
			match = func(r record) bool { return r.username == v }
		case "AccessKeyId":
			match = func(r record) bool { return r.accessKeyID == v }
		case "EventSource":
			match = func(r record) bool { return r.eventSource == v }
		case "ResourceType":
			match = func(r record) bool {
				for _, res := range r.resources {
					if res.Type == v {
						return true
					}
				}
				return false
			}
		case "ResourceName":
			match = func(r record) bool {
				for _, res := range r.resources {
					if res.Name == v {
						return true
					}
				}
				return false
			}
		default:
			return nil, newErr(http.StatusBadRequest, "InvalidLookupAttributesException", "Lookup attribute key %q is not valid.", a.AttributeKey)
		}
	}
	// Event history is regional: a request sees the events recorded in
	// the region it was signed for.
	var hits []record
	for _, r := range s.records {
		if r.time.Before(start) || r.time.After(end) || !match(r) || r.region != ex.region {
			continue
		}
		hits = append(hits, r)
	}
	// Newest first, as LookupEvents answers.
	sort.SliceStable(hits, func(i, j int) bool {
		if !hits[i].time.Equal(hits[j].time) {
			return hits[i].time.After(hits[j].time)
		}
		return hits[i].seq > hits[j].seq
	})
	offset := 0
	if in.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "lookup:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(raw), "lookup:") || n < 0 || n > len(hits) {
			return nil, newErr(http.StatusBadRequest, "InvalidNextTokenException", "Invalid NextToken.")
		}
		offset = n
	}
	last := min(offset+max, len(hits))
	out := struct {
		Events    []lookupEvent `json:"Events"`
		NextToken string        `json:"NextToken,omitempty"`
	}{Events: []lookupEvent{}}
	for _, r := range hits[offset:last] {
		res := r.resources
		if res == nil {
			res = []trailResource{}
		}
		out.Events = append(out.Events, lookupEvent{
			EventID: r.eventID, EventName: r.eventName, ReadOnly: strconv.FormatBool(r.readOnly),
			AccessKeyID: r.accessKeyID, EventTime: float64(r.time.UnixNano()) / 1e9, EventSource: r.eventSource,
			Username: r.username, Resources: res, CloudTrailEvent: string(r.raw),
		})
	}
	if last < len(hits) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte("lookup:" + strconv.Itoa(last)))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, newErr(http.StatusInternalServerError, "InternalFailure", "%v", err)
	}
	return b, nil
}

// ExportTrail writes the held records as a trail's S3 layout under dir:
// AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>.json.gz,
// one file per region and hour, each {"Records":[…]} in time order. It
// returns the files written, sorted.
func (s *Server) ExportTrail(dir string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type key struct {
		region string
		hour   time.Time
	}
	groups := map[key][]record{}
	for _, r := range s.records {
		k := key{r.region, r.time.Truncate(time.Hour)}
		groups[k] = append(groups[k], r)
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].region != keys[j].region {
			return keys[i].region < keys[j].region
		}
		return keys[i].hour.Before(keys[j].hour)
	})
	var files []string
	for _, k := range keys {
		recs := groups[k]
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].time.Before(recs[j].time) })
		delivered := recs[len(recs)-1].time
		folder := filepath.Join(dir, "AWSLogs", s.account, "CloudTrail", k.region,
			k.hour.Format("2006"), k.hour.Format("01"), k.hour.Format("02"))
		name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", s.account, k.region,
			delivered.Format("20060102T1504Z"), s.newID("", 16))
		if err := os.MkdirAll(folder, 0o755); err != nil {
			return files, fmt.Errorf("awsfake: export trail: %w", err)
		}
		var body bytes.Buffer
		body.WriteString(`{"Records":[`)
		for i, r := range recs {
			if i > 0 {
				body.WriteByte(',')
			}
			body.Write(r.raw)
		}
		body.WriteString("]}")
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		if _, err := zw.Write(body.Bytes()); err != nil {
			return files, fmt.Errorf("awsfake: export trail: %w", err)
		}
		if err := zw.Close(); err != nil {
			return files, fmt.Errorf("awsfake: export trail: %w", err)
		}
		path := filepath.Join(folder, name)
		if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
			return files, fmt.Errorf("awsfake: export trail: %w", err)
		}
		files = append(files, path)
	}
	sort.Strings(files)
	return files, nil
}
