package inventory

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

const okTrustDoc = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}`

// cliRoleJSON is one RoleDetailList entry with extra members spliced in.
func cliRoleJSON(extra string) string {
	return `{"Path":"/","RoleName":"r1","RoleId":"AROAEXAMPLE1","Arn":"arn:aws:iam::111122223333:role/r1","CreateDate":"2026-01-01T00:00:00Z","AssumeRolePolicyDocument":` + okTrustDoc + extra + `}`
}

func ownJSON(roles string) string {
	return `{"schema":"pvaudit.snapshot/v1","account_id":"111122223333","source":"snapshot","roles":[` + roles + `]}`
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	ownRole := func(extra string) string {
		return `{"name":"r1","arn":"arn:aws:iam::111122223333:role/r1","path":"/","id":"AROAEXAMPLE1","create_date":"2026-01-01T00:00:00Z","trust_policy":` + okTrustDoc + extra + `}`
	}
	policyJSON := func(arn, versions string) string {
		return `{"Policies":[{"PolicyName":"p","PolicyId":"ANPAEXAMPLE1","Arn":"` + arn + `","Path":"/","DefaultVersionId":"v1","PolicyVersionList":[` + versions + `]}]}`
	}
	doc := `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"cli-session-negative", `{"RoleDetailList":[` + cliRoleJSON(`,"MaxSessionDuration":-1`) + `]}`, []string{"bad.json:1:", "MaxSessionDuration -1 is outside IAM's 3600–43200 seconds"}},
		{"cli-session-zero", `{"RoleDetailList":[` + cliRoleJSON(`,"MaxSessionDuration":0`) + `]}`, []string{"MaxSessionDuration 0 is outside"}},
		{"cli-session-too-long", `{"RoleDetailList":[` + cliRoleJSON(`,"MaxSessionDuration":43201`) + `]}`, []string{"MaxSessionDuration 43201 is outside"}},
		{"cli-session-fraction", `{"RoleDetailList":[` + cliRoleJSON(`,"MaxSessionDuration":3600.5`) + `]}`, []string{"bad.json:1:"}},
		{"list-roles-session-negative", `{"RoleDetailList":[` + cliRoleJSON("") + `],"Roles":[{"RoleName":"r1","MaxSessionDuration":-1}]}`, []string{`Roles[0] ("r1")`, "MaxSessionDuration -1 is outside"}},
		{"list-roles-twice", `{"RoleDetailList":[` + cliRoleJSON("") + `],"Roles":[{"RoleName":"r1","MaxSessionDuration":3600},{"RoleName":"r1","MaxSessionDuration":43200}]}`, []string{`role "r1" appears twice in Roles`}},
		{"list-roles-disagrees", `{"RoleDetailList":[` + cliRoleJSON(`,"MaxSessionDuration":3600`) + `],"Roles":[{"RoleName":"r1","MaxSessionDuration":43200}]}`, []string{"disagrees with RoleDetailList's 3600"}},
		{"own-session-negative", ownJSON(ownRole(`,"max_session_duration":-1`)), []string{`roles[0] ("r1")`, "MaxSessionDuration -1 is outside"}},
		{"nested-duplicate-effect", "{\"RoleDetailList\":[" + cliRoleJSON(`,"RolePolicyList":[{"PolicyName":"p","PolicyDocument":{"Statement":{"Effect":"Deny","Action":"*","Resource":"*",`+"\n"+`"Effect":"Allow"}}}]`) + "]}",
			[]string{"bad.json:2:1:", `duplicate key "Effect"`}},
		{"duplicate-in-url-encoded-doc", `{"RoleDetailList":[` + cliRoleJSON(`,"RolePolicyList":[{"PolicyName":"p","PolicyDocument":"`+url.PathEscape(`{"Statement":{"Effect":"Deny","Effect":"Allow","Action":"*"}}`)+`"}]`) + `]}`,
			[]string{`inline policy "p"`, "of the URL-decoded document", `duplicate key "Effect"`}},
		{"policy-error-position", "{\"RoleDetailList\":[\n" + cliRoleJSON(`,"RolePolicyList":[{"PolicyName":"p","PolicyDocument":{"Statement":{"Effect":"Allow","Action":7}}}]`) + "]}",
			[]string{"bad.json:2:", `inline policy "p": statement 0: Action: expected a string or a list of strings, got a number`}},
		{"case-variant-key", `{"RoleDetailList":[` + cliRoleJSON(`,"ARN":"arn:aws:iam::111122223333:role/evil"`) + `]}`, []string{`unknown field "ARN" (the key is "Arn": keys are case-sensitive)`}},
		{"case-variant-nested", `{"RoleDetailList":[` + cliRoleJSON(`,"Tags":[{"key":"a","Value":"b"}]`) + `]}`, []string{`unknown field "key"`}},
		{"own-case-variant", ownJSON(ownRole(`,"Name":"evil"`)), []string{`unknown field "Name" (the key is "name"`}},
		{"role-arn-is-user", `{"RoleDetailList":[` + strings.Replace(cliRoleJSON(""), ":role/r1", ":user/r1", 1) + `]}`, []string{`"arn:aws:iam::111122223333:user/r1" is not an IAM role ARN`}},
		{"role-arn-other-name", `{"RoleDetailList":[` + strings.Replace(cliRoleJSON(""), ":role/r1", ":role/admin", 1) + `]}`, []string{`does not match path "/" and name "r1"`}},
		{"role-arn-bad-account", `{"RoleDetailList":[` + strings.Replace(cliRoleJSON(""), "111122223333", "1111", 1) + `]}`, []string{"is not an IAM role ARN"}},
		{"role-id-is-user-id", `{"RoleDetailList":[` + strings.Replace(cliRoleJSON(""), "AROAEXAMPLE1", "AIDAEXAMPLE1", 1) + `]}`, []string{`"AIDAEXAMPLE1" is not a role ID`}},
		{"role-id-number", `{"RoleDetailList":[` + strings.Replace(cliRoleJSON(""), `"AROAEXAMPLE1"`, `7`, 1) + `]}`, []string{"RoleId", "expected string"}},
		{"two-accounts", `{"RoleDetailList":[` + cliRoleJSON("") + `,` + strings.NewReplacer("111122223333", "444455556666", `"r1"`, `"r2"`, "role/r1", "role/r2").Replace(cliRoleJSON("")) + `]}`, []string{"ARN is in account 444455556666, but the export's first ARN", "one file holds one account"}},
		{"own-other-account", ownJSON(strings.Replace(ownRole(""), "111122223333", "444455556666", 1)), []string{"not the snapshot's account_id 111122223333"}},
		{"own-bad-account-id", `{"schema":"pvaudit.snapshot/v1","account_id":"abc"}`, []string{`"abc" is not a 12-digit AWS account ID`}},
		{"duplicate-role", `{"RoleDetailList":[` + cliRoleJSON("") + `,` + strings.NewReplacer(`"r1"`, `"R1"`, "role/r1", "role/R1").Replace(cliRoleJSON("")) + `]}`, []string{`a second role named "R1"`}},
		{"duplicate-inline", `{"RoleDetailList":[` + cliRoleJSON(`,"RolePolicyList":[{"PolicyName":"p","PolicyDocument":`+doc+`},{"PolicyName":"p","PolicyDocument":`+doc+`}]`) + `]}`, []string{`inline policy "p" appears twice`}},
		{"duplicate-tag", `{"RoleDetailList":[` + cliRoleJSON(`,"Tags":[{"Key":"a","Value":"1"},{"Key":"a","Value":"2"}]`) + `]}`, []string{`tag "a" appears twice`}},
		{"attached-not-policy", `{"RoleDetailList":[` + cliRoleJSON(`,"AttachedManagedPolicies":[{"PolicyName":"x","PolicyArn":"arn:aws:iam::111122223333:role/x"}]`) + `]}`, []string{"is not a managed policy ARN"}},
		{"boundary-not-policy", `{"RoleDetailList":[` + cliRoleJSON(`,"PermissionsBoundary":{"PermissionsBoundaryType":"PermissionsBoundaryPolicy","PermissionsBoundaryArn":"*"}`) + `]}`, []string{`permissions boundary "*" is not a managed policy ARN`}},
		{"policy-arn-is-role", policyJSON("arn:aws:iam::111122223333:role/p", `{"VersionId":"v1","IsDefaultVersion":true,"Document":`+doc+`}`), []string{"is not a managed policy ARN"}},
		{"policy-version-twice", policyJSON("arn:aws:iam::111122223333:policy/p", `{"VersionId":"v1","IsDefaultVersion":true,"Document":`+doc+`},{"VersionId":"v1","IsDefaultVersion":false,"Document":`+doc+`}`), []string{"version v1 appears twice"}},
		{"policy-version-bad-id", policyJSON("arn:aws:iam::111122223333:policy/p", `{"VersionId":"1","IsDefaultVersion":true,"Document":`+doc+`}`), []string{`version ID "1" is not of IAM's form`}},
		{"document-number", `{"RoleDetailList":[` + strings.Replace(cliRoleJSON(""), okTrustDoc, "7", 1) + `]}`, []string{"trust policy", "must be an object or a string holding one, got a number"}},
		{"marker-not-string", `{"RoleDetailList":[],"Marker":1}`, []string{"Marker: must be a string"}},
		{"deep-nesting", `{"RoleDetailList":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, []string{"nested more than 32 deep"}},
		{"invalid-utf8", "{\"RoleDetailList\":[],\"Marker\":\"\xff\"}", []string{"bad.json:1:32", "invalid UTF-8"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tc.data), "bad.json")
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error %v does not wrap ErrInvalidInput", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestDecodeAcceptsValidSessionDurations(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"3600", "43200"} {
		snap, err := Decode([]byte(`{"RoleDetailList":[`+cliRoleJSON(`,"MaxSessionDuration":`+n)+`]}`), "ok.json")
		if err != nil {
			t.Fatalf("MaxSessionDuration %s: %v", n, err)
		}
		if got := snap.Roles[0].MaxSessionDuration; got != map[string]int{"3600": 3600, "43200": 43200}[n] {
			t.Errorf("MaxSessionDuration = %d, want %s", got, n)
		}
	}
}

func TestDefaultVersionConflict(t *testing.T) {
	t.Parallel()
	doc := `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	mk := func(def, m1, m2 string) string {
		return `{"Policies":[{"PolicyName":"p","Arn":"arn:aws:iam::111122223333:policy/p","Path":"/","DefaultVersionId":"` + def + `","PolicyVersionList":[` +
			`{"VersionId":"v1","IsDefaultVersion":` + m1 + `,"Document":` + doc + `},{"VersionId":"v2","IsDefaultVersion":` + m2 + `,"Document":` + doc + `}]}]}`
	}
	tests := []struct {
		name     string
		data     string
		conflict string // substring of the error, "" for none
	}{
		{"agree", mk("v2", "false", "true"), ""},
		{"only-id", mk("v2", "false", "false"), ""},
		{"only-marker", mk("", "true", "false"), ""},
		{"disagree", mk("v2", "true", "false"), "DefaultVersionId is v2 but IsDefaultVersion marks v1"},
		{"two-marked", mk("v1", "true", "true"), "IsDefaultVersion marks v1 and v2"},
		{"two-marked-no-id", mk("", "true", "true"), "DefaultVersionId is empty but IsDefaultVersion marks v1 and v2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			snap, err := Decode([]byte(tc.data), "p.json")
			if err != nil {
				t.Fatal(err)
			}
			p := &snap.Policies[0]
			got := p.DefaultVersionConflict()
			conflicts := snap.DefaultVersionConflicts()
			if tc.conflict == "" {
				if got != nil || len(conflicts) != 0 || p.DefaultDocument() == nil {
					t.Errorf("conflict %v (%d listed), default document %v; want none and a document", got, len(conflicts), p.DefaultDocument())
				}
				return
			}
			var dv *DefaultVersionError
			if !errors.As(got, &dv) || !strings.Contains(got.Error(), tc.conflict) || !strings.Contains(got.Error(), "arn:aws:iam::111122223333:policy/p") {
				t.Fatalf("conflict = %v, want one naming the policy and %q", got, tc.conflict)
			}
			if len(conflicts) != 1 || conflicts[0].PolicyARN != p.ARN {
				t.Errorf("DefaultVersionConflicts = %v", conflicts)
			}
			if p.DefaultDocument() != nil {
				t.Error("DefaultDocument picked a version despite the conflict")
			}
			if _, err := snap.DefaultPolicyDocument(p.ARN); !errors.Is(err, ErrPolicyMissing) || !strings.Contains(err.Error(), tc.conflict) {
				t.Errorf("DefaultPolicyDocument err = %v, want the conflict wrapping ErrPolicyMissing", err)
			}
		})
	}
}
