package trail

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/internal/finding"
)

const testRole = "arn:aws:iam::111122223333:role/Pennsieve-Compute-x"

// assumeRec is an AssumeRole of the test role returning access key key.
func assumeRec(id, shared, key, at, expiry, identity string) string {
	s := `{"eventVersion":"1.08","userIdentity":` + identity + `,"eventTime":"` + at + `","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",` +
		`"awsRegion":"us-east-1","sourceIPAddress":"54.1.1.1","requestParameters":{"roleArn":"` + testRole + `","roleSessionName":"s","externalId":"x"},` +
		`"responseElements":{"credentials":{"accessKeyId":"` + key + `","expiration":"` + expiry + `"},"assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/Pennsieve-Compute-x/s"}},` +
		`"eventID":"` + id + `","recipientAccountId":"111122223333"`
	if shared != "" {
		s += `,"sharedEventID":"` + shared + `"`
	}
	return s + "}"
}

const provisioner = `{"type":"AssumedRole","arn":"arn:aws:sts::999988887777:assumed-role/provisioner/p","accountId":"999988887777"}`

// callRec is a call made with access key key under the test role.
func callRec(id, key, at, source, name, params string) string {
	return `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Pennsieve-Compute-x/s",` +
		`"accountId":"111122223333","accessKeyId":"` + key + `","sessionContext":{"sessionIssuer":{"type":"Role","arn":"` + testRole + `"}}},` +
		`"eventTime":"` + at + `","eventSource":"` + source + `","eventName":"` + name + `","awsRegion":"us-east-1","requestParameters":` + params + `,` +
		`"eventID":"` + id + `","recipientAccountId":"111122223333"}`
}

func dupExpect() Expectations {
	e := DefaultExpectations()
	e.TrustedAccounts = []string{"999988887777"}
	return e
}

func ndjson(recs ...string) []byte { return []byte(strings.Join(recs, "\n") + "\n") }

func has(fs []finding.Finding, check string, status finding.Status) bool {
	return slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.CheckID == check && f.Status == status })
}

func TestDuplicates(t *testing.T) {
	t.Parallel()
	session := assumeRec("a1", "", "ASIAKEY1", "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", provisioner)
	realCreate := callRec("c1", "ASIAKEY1", "2025-03-01T10:05:00Z", "iam.amazonaws.com", "CreateRole", `{"roleName":"wf-rogue"}`)
	forgedCreate := callRec("c1", "ASIAKEY1", "2025-03-01T10:05:00Z", "iam.amazonaws.com", "CreateRole",
		`{"roleName":"wf-rogue","permissionsBoundary":"arn:aws:iam::111122223333:policy/pennsieve-boundary-x"}`)
	var pretty map[string]any
	if err := json.Unmarshal([]byte(realCreate), &pretty); err != nil {
		t.Fatal(err)
	}
	reformatted, _ := json.MarshalIndent(pretty, "", "   ") // keys sorted, indented
	lateCall := callRec("c2", "ASIAKEY1", "2025-03-01T12:30:00Z", "ec2.amazonaws.com", "DescribeVpcs", `{}`)
	extendedSession := assumeRec("a1", "", "ASIAKEY1", "2025-03-01T10:00:00Z", "2025-03-01T14:00:00Z", provisioner)
	// The role owner's copy of a cross-account AssumeRole names only the
	// caller's account; a forged "provider copy" names a trusted principal.
	ownerCopy := assumeRec("o1", "shared1", "ASIAKEY9", "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", `{"type":"AWSAccount","accountId":"444455556666"}`)
	forgedCopy := assumeRec("p1", "shared1", "ASIAKEY9", "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", provisioner)
	honestCopy := assumeRec("p2", "shared2", "ASIAKEY8", "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", provisioner)
	honestOwner := assumeRec("o2", "shared2", "ASIAKEY8", "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", `{"type":"AWSAccount","accountId":"999988887777"}`)

	type file struct{ name, body string }
	tests := []struct {
		name      string
		files     []file
		want      []string // CHECK/STATUS that must be present
		absent    []string
		conflicts int64
		dups      int64
	}{
		{name: "forged-copy-first-same-file", files: []file{{"a.ndjson", string(ndjson(session, forgedCreate, realCreate))}},
			want: []string{"TRAIL-005/FAIL", "TRAIL-012/FAIL"}, conflicts: 1},
		{name: "forged-copy-second-same-file", files: []file{{"a.ndjson", string(ndjson(session, realCreate, forgedCreate))}},
			want: []string{"TRAIL-005/FAIL", "TRAIL-012/FAIL"}, conflicts: 1},
		{name: "forged-copy-in-a-file-read-first", files: []file{{"0-forged.ndjson", string(ndjson(forgedCreate))}, {"1-real.ndjson", string(ndjson(session, realCreate))}},
			want: []string{"TRAIL-005/FAIL", "TRAIL-012/FAIL"}, conflicts: 1},
		{name: "forged-copy-in-a-file-read-last", files: []file{{"0-real.ndjson", string(ndjson(session, realCreate))}, {"1-forged.ndjson", string(ndjson(forgedCreate))}},
			want: []string{"TRAIL-005/FAIL", "TRAIL-012/FAIL"}, conflicts: 1},
		{name: "identical-copies-merge", files: []file{{"a.ndjson", string(ndjson(session, realCreate))}, {"b.ndjson", string(ndjson(realCreate))}},
			want: []string{"TRAIL-005/FAIL"}, absent: []string{"TRAIL-012/FAIL"}, dups: 1},
		{name: "reformatted-copy-merges", files: []file{{"a.ndjson", string(ndjson(session, realCreate))}, {"b.json", "[" + string(reformatted) + "]"}},
			want: []string{"TRAIL-005/FAIL"}, absent: []string{"TRAIL-012/FAIL"}, dups: 1},
		{name: "forged-expiry-does-not-hide-late-calls", files: []file{{"a.ndjson", string(ndjson(extendedSession, session, lateCall))}},
			want: []string{"TRAIL-004/FAIL", "TRAIL-012/FAIL"}, conflicts: 1},
		{name: "disagreeing-cross-account-copies", files: []file{{"a.ndjson", string(ndjson(forgedCopy, ownerCopy))}},
			want: []string{"TRAIL-001/FAIL", "TRAIL-012/FAIL"}},
		{name: "agreeing-cross-account-copies-merge", files: []file{{"a.ndjson", string(ndjson(honestOwner, honestCopy))}},
			absent: []string{"TRAIL-012/FAIL", "TRAIL-001/FAIL"}, dups: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ins []Input
			for _, f := range tc.files {
				ins = append(ins, BytesInput(f.name, []byte(f.body)))
			}
			res, err := ReplayFiles(context.Background(), ins, Options{Expect: dupExpect(), Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, f := range res.Findings {
				got[f.CheckID+"/"+string(f.Status)] = true
			}
			for _, w := range tc.want {
				if !got[w] {
					t.Errorf("missing %s in %v", w, got)
				}
			}
			for _, a := range tc.absent {
				if got[a] {
					t.Errorf("unexpected %s", a)
				}
			}
			if res.Stats.Conflicts != tc.conflicts || res.Stats.Duplicates != tc.dups {
				t.Errorf("conflicts %d duplicates %d, want %d %d", res.Stats.Conflicts, res.Stats.Duplicates, tc.conflicts, tc.dups)
			}
			for _, f := range res.Findings {
				if f.CheckID != CheckConflict {
					continue
				}
				if f.Severity != finding.Critical {
					t.Errorf("TRAIL-012 severity %s, want critical", f.Severity)
				}
				for _, fl := range tc.files {
					if !strings.Contains(f.Message, fl.name+"@") {
						t.Errorf("TRAIL-012 message does not name copy %s: %s", fl.name, f.Message)
					}
				}
			}
			ids := map[string]bool{}
			for _, s := range res.Sessions {
				if ids[s.ID] {
					t.Errorf("session ID %s twice", s.ID)
				}
				ids[s.ID] = true
			}
		})
	}
}
