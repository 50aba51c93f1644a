package trail

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestDecodeRecordMessyShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, r Record)
		err   bool
	}{
		{
			name:  "failed-assume-role-arn-in-error-message",
			input: `{"eventVersion":"1.08","eventTime":"2024-07-31T19:52:31Z","eventName":"AssumeRole","eventSource":"sts.amazonaws.com","errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::3:user/c is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::3:role/Pennsieve-Compute-dev-1","requestParameters":null,"responseElements":null,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::3:user/c"}}`,
			check: func(t *testing.T, r Record) {
				if r.RoleARN != "arn:aws:iam::3:role/Pennsieve-Compute-dev-1" || !r.Failed() || !r.Denied() {
					t.Errorf("role %q failed %v denied %v", r.RoleARN, r.Failed(), r.Denied())
				}
			},
		},
		{
			name:  "console-style-expiration-and-external-id",
			input: `{"eventTime":"2023-07-10T11:17:54Z","eventName":"AssumeRole","requestParameters":{"roleArn":"arn:aws:iam::1:role/R","roleSessionName":"s","externalId":"x","durationSeconds":"3600"},"responseElements":{"credentials":{"accessKeyId":"ASIAK","expiration":"Jul 10, 2023, 12:17:54 PM"},"assumedRoleUser":{"arn":"arn:aws:sts::1:assumed-role/R/s"}}}`,
			check: func(t *testing.T, r Record) {
				want := time.Date(2023, 7, 10, 12, 17, 54, 0, time.UTC)
				if !r.CredExpiration.Equal(want) || !r.ExternalIDPresent || r.DurationSeconds != 3600 || r.CredAccessKeyID != "ASIAK" {
					t.Errorf("got expiry %s extid %v duration %d key %q", r.CredExpiration, r.ExternalIDPresent, r.DurationSeconds, r.CredAccessKeyID)
				}
			},
		},
		{
			name:  "service-caller-without-assumed-role-user",
			input: `{"eventTime":"2020-09-14T00:48:30Z","eventName":"AssumeRole","sourceIPAddress":"ec2.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},"requestParameters":{"roleArn":"arn:aws:iam::1:role/R","roleSessionName":"i-1"},"responseElements":{"credentials":{"accessKeyId":"ASIA2","expiration":"Sep 14, 2020, 7:01:26 AM"}}}`,
			check: func(t *testing.T, r Record) {
				if r.Identity.InvokedBy != "ec2.amazonaws.com" || r.AssumedRoleARN != "" || r.CredAccessKeyID != "ASIA2" {
					t.Errorf("got %+v", r)
				}
			},
		},
		{
			name:  "identity-without-type",
			input: `{"eventTime":"2025-03-06T02:28:21Z","eventName":"Decrypt","userIdentity":{"accountId":"2","invokedBy":"logs.amazonaws.com"}}`,
			check: func(t *testing.T, r Record) {
				if r.Identity.Type != "" || r.Identity.AccountID != "2" {
					t.Errorf("got %+v", r.Identity)
				}
			},
		},
		{
			name:  "logstash-timestamp-and-old-version",
			input: `{"@timestamp":"2020-09-14T00:44:23.000Z","@version":"1","eventVersion":"1.02","eventName":"DescribeInstances"}`,
			check: func(t *testing.T, r Record) {
				if !r.EventTime.Equal(time.Date(2020, 9, 14, 0, 44, 23, 0, time.UTC)) || r.EventVersion != "1.02" {
					t.Errorf("got time %s version %s", r.EventTime, r.EventVersion)
				}
			},
		},
		{
			name:  "odd-types-are-read-leniently",
			input: `{"eventTime":"2025-01-01T00:00:00Z","eventName":"X","readOnly":"true","requestParameters":"a string","responseElements":[1,2],"userIdentity":{"type":"AssumedRole","accessKeyId":12,"sessionContext":"x"},"errorCode":null}`,
			check: func(t *testing.T, r Record) {
				if r.Identity.AccessKeyID != "12" || r.Failed() {
					t.Errorf("got key %q failed %v", r.Identity.AccessKeyID, r.Failed())
				}
			},
		},
		{name: "missing-time", input: `{"eventName":"X"}`, err: true},
		{name: "bad-time", input: `{"eventTime":"Jul 10","eventName":"X"}`, err: true},
		{name: "not-an-object", input: `[1]`, err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := DecodeRecord([]byte(tc.input))
			if (err != nil) != tc.err {
				t.Fatalf("error %v, want error %v", err, tc.err)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestParseExpiration(t *testing.T) {
	t.Parallel()
	want := time.Date(2024, 8, 1, 11, 45, 22, 0, time.UTC)
	for _, in := range []string{"Aug 1, 2024, 11:45:22 AM", "Aug 1, 2024 11:45:22 AM", "2024-08-01T11:45:22Z", "1722512722000"} {
		t.Run(in, func(t *testing.T) {
			got, err := ParseExpiration(in)
			if err != nil || !got.Equal(want) {
				t.Errorf("got %s, %v; want %s", got, err, want)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"Pennsieve-Compute-*", "Pennsieve-Compute-dev-a3f1b20c", true},
		{"Pennsieve-Compute-*", "pennsieve-compute-dev", false},
		{"Pennsieve-Compute-*", "Pennsieve-Compute-", true},
		{"arn:aws:iam::*:role/provisioner", "arn:aws:iam::1:role/provisioner", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*", "", true},
		{"*-x-*", "a-x-b", true},
		{"*-x-*", "a-y-b", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"~"+tc.s, func(t *testing.T) {
			if got := glob(tc.pattern, tc.s); got != tc.want {
				t.Errorf("glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
			}
		})
	}
}

func TestTrusted(t *testing.T) {
	t.Parallel()
	e := DefaultExpectations()
	e.TrustedPrincipals = []string{"arn:aws:iam::999:role/provisioner"}
	tests := []struct {
		name string
		id   Identity
		want trust
	}{
		{"assumed-role-of-trusted-role", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::999:assumed-role/provisioner/tf", AccountID: "999"}, trustYes},
		{"issuer-arn-with-path", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::999:assumed-role/provisioner/tf", IssuerARN: "arn:aws:iam::999:role/ci/provisioner"}, trustYes},
		{"other-role-same-account", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::999:assumed-role/other/tf", AccountID: "999"}, trustNo},
		{"cross-account-copy-names-only-account", Identity{Type: "AWSAccount", AccountID: "999", PrincipalID: "AROA:tf"}, trustYes},
		{"cross-account-copy-other-account", Identity{Type: "AWSAccount", AccountID: "444"}, trustNo},
		{"service", Identity{Type: "AWSService", InvokedBy: "ec2.amazonaws.com"}, trustNo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, why := e.trusted(tc.id); got != tc.want {
				t.Errorf("trusted = %v (%s), want %v", got, why, tc.want)
			}
		})
	}
	if got, _ := DefaultExpectations().trusted(Identity{AccountID: "1"}); got != trustUnknown {
		t.Errorf("no provisioner configured: got %v, want unknown", got)
	}
}

func TestTrustedAccountRoot(t *testing.T) {
	t.Parallel()
	e := DefaultExpectations()
	e.TrustedPrincipals = []string{"arn:aws:iam::941377122013:root"}
	tests := []struct {
		name string
		id   Identity
		want trust
	}{
		{"any-role-of-the-account", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::941377122013:assumed-role/provisioner/tf", AccountID: "941377122013"}, trustYes},
		{"user-of-the-account", Identity{Type: "IAMUser", ARN: "arn:aws:iam::941377122013:user/deploy", AccountID: "941377122013"}, trustYes},
		{"account-from-arn-only", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::941377122013:assumed-role/x/y"}, trustYes},
		{"other-account", Identity{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/provisioner/tf", AccountID: "123456789012"}, trustNo},
		{"copy-naming-only-the-account", Identity{Type: "AWSAccount", AccountID: "941377122013"}, trustYes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, why := e.trusted(tc.id); got != tc.want {
				t.Errorf("trusted = %v (%s), want %v", got, why, tc.want)
			}
		})
	}
}

func TestRoleRegexp(t *testing.T) {
	t.Parallel()
	e := DefaultExpectations()
	e.RolePatterns = nil
	e.RoleRegexp = regexp.MustCompile(`^Pennsieve-Compute-[A-Za-z0-9]+-[A-Za-z0-9]+$`)
	if err := e.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	tests := []struct {
		name string
		want bool
	}{
		{"Pennsieve-Compute-dev-a3f1b20c", true},
		{"Pennsieve-Compute-dev", false},
		{"Pennsieve-Compute-dev-a3f1b20c-extra", false},
		{"pennsieve-compute-dev-a3f1b20c", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run("name="+tc.name, func(t *testing.T) {
			if got := e.MatchRole(tc.name); got != tc.want {
				t.Errorf("MatchRole(%q) = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
	lits := e.literals()
	if len(lits) != 1 || string(lits[0]) != "Pennsieve-Compute-" {
		t.Errorf("literals = %q, want the expression's literal prefix", lits)
	}
	e.RoleRegexp = regexp.MustCompile(`(?i)pennsieve`)
	if lits := e.literals(); lits != nil {
		t.Errorf("case-insensitive expression: literals = %q, want none (no safe pre-filter)", lits)
	}
	e.RoleRegexp = nil
	if err := e.Validate(); err == nil {
		t.Error("Validate with neither globs nor an expression: want an error")
	}
}

func TestWalkDir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := []string{
		"AWSLogs/111/CloudTrail/us-east-1/2025/03/01/a.json.gz",
		"AWSLogs/111/CloudTrail/us-east-1/2025/03/02/b.json.gz",
		"AWSLogs/111/CloudTrail/us-east-1/2025/03/05/c.json",
		"AWSLogs/111/CloudTrail/eu-west-1/2024/12/31/d.json.gz",
		"AWSLogs/o-abc/222/CloudTrail/us-east-1/2025/03/02/e.json.gz",
		"AWSLogs/111/CloudTrail-Digest/us-east-1/2025/03/02/111_CloudTrail-Digest_us-east-1_x.json.gz",
		"AWSLogs/111/CloudTrail-Insight/us-east-1/2025/03/02/i.json.gz",
		"AWSLogs/111/CloudTrail/us-east-1/2025/03/02/README.txt",
		"exports/siem.ndjson",
	}
	for _, f := range files {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("[]"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name         string
		since, until time.Time
		logs, pruned int
	}{
		{name: "everything", logs: 6},
		// A folder may hold records up to a day older than its date, never newer.
		{name: "since-march-2", since: day(2), logs: 4, pruned: 2},                                   // a (ends at since) and d pruned
		{name: "since-march-3", since: day(3), logs: 2, pruned: 4},                                   // c and the export
		{name: "until-march-1", until: day(1).Add(time.Hour), logs: 5, pruned: 1},                    // only c is certainly later
		{name: "march-2-only", since: day(2), until: day(2).Add(23 * time.Hour), logs: 3, pruned: 3}, // b, e, export
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ins, st, err := WalkDir(root, tc.since, tc.until)
			if err != nil {
				t.Fatal(err)
			}
			if len(ins) != tc.logs || st.LogFiles != tc.logs || st.PrunedDirs != tc.pruned {
				names := make([]string, 0, len(ins))
				for _, in := range ins {
					names = append(names, filepath.Base(in.Name))
				}
				t.Errorf("got %d logs %v, %d pruned; want %d, %d", len(ins), names, st.PrunedDirs, tc.logs, tc.pruned)
			}
			if tc.since.IsZero() && tc.until.IsZero() && (st.DigestFiles != 1 || st.OtherFiles != 2) {
				t.Errorf("got %d digest, %d other files; want 1, 2", st.DigestFiles, st.OtherFiles)
			}
		})
	}
}
