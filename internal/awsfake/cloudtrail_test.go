package awsfake

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// trailScenario: the admin lists roles 110 times, creates a role, assumes
// it as "provider", and the session reads a role and is denied once.
type trailScenario struct {
	s          *Server
	c          clients
	clk        *fakeClock
	begin      time.Time
	sessionKey string
}

func newTrailScenario(t *testing.T) trailScenario {
	t.Helper()
	s, c, clk := start(t, Options{})
	cx := ctx(t)
	sc := trailScenario{s: s, c: c, clk: clk, begin: clk.Now()}
	for range 110 {
		clk.Advance(time.Second)
		_, err := c.iam.ListRoles(cx, &iam.ListRolesInput{})
		mustOK(t, err)
	}
	clk.Advance(time.Second)
	_, err := c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("provisioner"), AssumeRolePolicyDocument: aws.String(trustAdminUser)})
	mustOK(t, err)
	clk.Advance(time.Second)
	out, err := c.sts.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/provisioner"), RoleSessionName: aws.String("provider")})
	mustOK(t, err)
	sc.sessionKey = aws.ToString(out.Credentials.AccessKeyId)
	sess := newClients(s.URL(), Credentials{AccessKeyID: sc.sessionKey, SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)}, 1)
	clk.Advance(time.Second)
	_, err = sess.iam.GetRole(cx, &iam.GetRoleInput{RoleName: aws.String("provisioner")})
	mustOK(t, err)
	clk.Advance(time.Second)
	s.SetFaults(Faults{Fail: map[string]FaultKind{"DeleteRole": FaultAccessDenied}})
	_, err = sess.iam.DeleteRole(cx, &iam.DeleteRoleInput{RoleName: aws.String("provisioner")})
	if code, _ := apiErr(t, err); code != "AccessDenied" {
		t.Fatalf("DeleteRole: got %s, want AccessDenied", code)
	}
	s.SetFaults(Faults{})
	return sc
}

func lookupAll(t *testing.T, c clients, in *cloudtrail.LookupEventsInput) ([]cttypes.Event, int) {
	t.Helper()
	p := cloudtrail.NewLookupEventsPaginator(c.ct, in)
	var events []cttypes.Event
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		mustOK(t, err)
		pages++
		if len(out.Events) > 50 {
			t.Fatalf("page of %d events, want at most 50", len(out.Events))
		}
		events = append(events, out.Events...)
	}
	return events, pages
}

func TestLookupEvents(t *testing.T) {
	sc := newTrailScenario(t)
	total := 110 + 4

	t.Run("paging 50 per page, newest first", func(t *testing.T) {
		events, pages := lookupAll(t, sc.c, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(50)})
		if len(events) != total || pages != 3 {
			t.Fatalf("got %d events in %d pages, want %d in 3", len(events), pages, total)
		}
		for i := 1; i < len(events); i++ {
			if aws.ToTime(events[i].EventTime).After(aws.ToTime(events[i-1].EventTime)) {
				t.Fatalf("event %d is newer than event %d", i, i-1)
			}
		}
		if got := aws.ToString(events[0].EventName); got != "DeleteRole" {
			t.Errorf("newest event: got %s, want DeleteRole", got)
		}
	})

	tests := []struct {
		name string
		key  cttypes.LookupAttributeKey
		val  string
		want int
	}{
		{"EventName", cttypes.LookupAttributeKeyEventName, "ListRoles", 110},
		{"Username of the admin", cttypes.LookupAttributeKeyUsername, "admin", 112},
		{"Username of the session", cttypes.LookupAttributeKeyUsername, "provider", 2},
		{"AccessKeyId of the session", cttypes.LookupAttributeKeyAccessKeyId, "", 2},
		{"ResourceName of the role", cttypes.LookupAttributeKeyResourceName, "provisioner", 3},
		{"ResourceType AssumedRole", cttypes.LookupAttributeKeyResourceType, "AWS::STS::AssumedRole", 1},
		{"EventSource sts", cttypes.LookupAttributeKeyEventSource, "sts.amazonaws.com", 1},
		{"ReadOnly false", cttypes.LookupAttributeKeyReadOnly, "false", 2},
		{"ReadOnly true", cttypes.LookupAttributeKeyReadOnly, "true", 112},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			val := tt.val
			if tt.key == cttypes.LookupAttributeKeyAccessKeyId {
				val = sc.sessionKey
			}
			events, _ := lookupAll(t, sc.c, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: tt.key, AttributeValue: aws.String(val)}}})
			if len(events) != tt.want {
				t.Errorf("got %d events, want %d", len(events), tt.want)
			}
		})
	}

	t.Run("time range", func(t *testing.T) {
		start := sc.begin.Add(101 * time.Second)
		end := sc.begin.Add(110 * time.Second)
		events, _ := lookupAll(t, sc.c, &cloudtrail.LookupEventsInput{StartTime: aws.Time(start), EndTime: aws.Time(end)})
		if len(events) != 10 {
			t.Errorf("got %d events in [%v, %v], want 10", len(events), start, end)
		}
	})

	t.Run("records", func(t *testing.T) {
		byName := map[string]map[string]any{}
		events, _ := lookupAll(t, sc.c, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("provider")}}})
		more, _ := lookupAll(t, sc.c, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("AssumeRole")}}})
		for _, e := range append(events, more...) {
			var rec map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil {
				t.Fatalf("CloudTrailEvent is not JSON: %v", err)
			}
			byName[aws.ToString(e.EventName)] = rec
		}
		get := func(rec map[string]any, path ...string) any {
			var v any = rec
			for _, p := range path {
				m, ok := v.(map[string]any)
				if !ok {
					return nil
				}
				v = m[p]
			}
			return v
		}
		checks := []struct {
			event string
			path  []string
			want  any
		}{
			{"AssumeRole", []string{"eventSource"}, "sts.amazonaws.com"},
			{"AssumeRole", []string{"userIdentity", "type"}, "IAMUser"},
			{"AssumeRole", []string{"userIdentity", "userName"}, "admin"},
			{"AssumeRole", []string{"requestParameters", "roleSessionName"}, "provider"},
			{"AssumeRole", []string{"responseElements", "credentials", "accessKeyId"}, sc.sessionKey},
			{"AssumeRole", []string{"responseElements", "assumedRoleUser", "arn"}, "arn:aws:sts::123456789012:assumed-role/provisioner/provider"},
			{"AssumeRole", []string{"readOnly"}, true},
			{"GetRole", []string{"eventVersion"}, "1.08"},
			{"GetRole", []string{"eventSource"}, "iam.amazonaws.com"},
			{"GetRole", []string{"awsRegion"}, "us-east-1"},
			{"GetRole", []string{"recipientAccountId"}, "123456789012"},
			{"GetRole", []string{"userIdentity", "type"}, "AssumedRole"},
			{"GetRole", []string{"userIdentity", "arn"}, "arn:aws:sts::123456789012:assumed-role/provisioner/provider"},
			{"GetRole", []string{"userIdentity", "accessKeyId"}, sc.sessionKey},
			{"GetRole", []string{"userIdentity", "sessionContext", "sessionIssuer", "type"}, "Role"},
			{"GetRole", []string{"userIdentity", "sessionContext", "sessionIssuer", "arn"}, "arn:aws:iam::123456789012:role/provisioner"},
			{"GetRole", []string{"userIdentity", "sessionContext", "sessionIssuer", "userName"}, "provisioner"},
			{"GetRole", []string{"requestParameters", "roleName"}, "provisioner"},
			{"DeleteRole", []string{"errorCode"}, "AccessDenied"},
			{"DeleteRole", []string{"readOnly"}, false},
		}
		for _, ck := range checks {
			rec, ok := byName[ck.event]
			if !ok {
				t.Fatalf("no %s record", ck.event)
			}
			if got := get(rec, ck.path...); got != ck.want {
				t.Errorf("%s %v: got %v, want %v", ck.event, ck.path, got, ck.want)
			}
		}
		for _, k := range []string{"eventTime", "eventID", "requestID", "sourceIPAddress", "userAgent"} {
			if v, _ := byName["GetRole"][k].(string); v == "" {
				t.Errorf("GetRole record lacks %s", k)
			}
		}
	})
}

func TestSeedRecordsAndExportTrail(t *testing.T) {
	sc := newTrailScenario(t)
	seed := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/old","userName":"old","accessKeyId":"AKIAOLD"},"eventTime":"2026-11-20T08:00:00Z","eventSource":"iam.amazonaws.com","eventName":"DeleteRolePermissionsBoundary","awsRegion":"us-east-1","requestParameters":{"roleName":"x"},"resources":[{"type":"AWS::IAM::Role","ARN":"arn:aws:iam::123456789012:role/x"}]}`
	if err := sc.s.SeedRecords(json.RawMessage(seed)); err != nil {
		t.Fatal(err)
	}
	t.Run("seeded record is found", func(t *testing.T) {
		events, _ := lookupAll(t, sc.c, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("old")}}})
		if len(events) != 1 || aws.ToString(events[0].EventId) == "" || aws.ToString(events[0].EventName) != "DeleteRolePermissionsBoundary" || events[0].ReadOnly == nil || *events[0].ReadOnly != "false" {
			t.Fatalf("got %+v", events)
		}
	})
	t.Run("bad seed", func(t *testing.T) {
		if err := sc.s.SeedRecords(json.RawMessage(`{"eventName":"x"}`)); err == nil {
			t.Error("got nil error for a record without eventTime")
		}
	})
	t.Run("export", func(t *testing.T) {
		dir := t.TempDir()
		files, err := sc.s.ExportTrail(dir)
		mustOK(t, err)
		re := regexp.MustCompile(`^AWSLogs/123456789012/CloudTrail/us-east-1/\d{4}/\d{2}/\d{2}/123456789012_CloudTrail_us-east-1_\d{8}T\d{4}Z_[A-Z2-7]{16}\.json\.gz$`)
		n := 0
		for _, f := range files {
			rel, _ := filepath.Rel(dir, f)
			if !re.MatchString(filepath.ToSlash(rel)) {
				t.Errorf("file %s does not follow the S3 layout", rel)
			}
			raw, err := os.ReadFile(f)
			mustOK(t, err)
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			mustOK(t, err)
			body, err := io.ReadAll(zr)
			mustOK(t, err)
			var doc struct{ Records []json.RawMessage }
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			n += len(doc.Records)
		}
		if want := len(sc.s.Records()); n != want || len(files) != 2 {
			t.Errorf("got %d records in %d files, want %d in 2 (seeded day and today)", n, len(files), want)
		}
	})
}
