package awsfake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// rawCall posts a hand-made request as the admin and returns status, the
// response headers and body.
func rawCall(t *testing.T, s *Server, contentType, target string, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, s.URL()+"/", strings.NewReader(body))
	mustOK(t, err)
	svc := "iam"
	switch {
	case target != "":
		svc = "cloudtrail"
		req.Header.Set("X-Amz-Target", target)
	case strings.Contains(body, "Version=2011-06-15"):
		svc = "sts"
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "golden-test")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/20261123/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=00", s.AdminCredentials().AccessKeyID, svc))
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	mustOK(t, err)
	return resp.StatusCode, resp.Header, b
}

// xmlPaths lists every element path of an XML document ("A/B/C").
func xmlPaths(t *testing.T, b []byte) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("response is not well-formed XML: %v\n%s", err, b)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			stack = append(stack, el.Name.Local)
			out[strings.Join(stack, "/")] = true
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

func queryBody(v ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(v); i += 2 {
		q.Set(v[i], v[i+1])
	}
	return q.Encode()
}

// TestWireGolden checks the raw wire output of a few actions against the
// element names the AWS API references document, and against golden files
// (refresh with go test ./internal/awsfake -run TestWireGolden -update).
func TestWireGolden(t *testing.T) {
	clk := newClock()
	s, _ := Start(t, Options{Clock: clk.Now, Seed: 1, SkipSignatureVerification: true})
	const formType = "application/x-www-form-urlencoded"
	const jsonType = "application/x-amz-json-1.1"
	setup := []string{
		queryBody("Action", "CreatePolicy", "Version", iamVersion, "PolicyName", "pv-boundary", "PolicyDocument", readS3),
		queryBody("Action", "CreateRole", "Version", iamVersion, "RoleName", "node", "Path", "/pv/", "AssumeRolePolicyDocument", trustAdminUser,
			"PermissionsBoundary", "arn:aws:iam::123456789012:policy/pv-boundary", "Tags.member.1.Key", "owner", "Tags.member.1.Value", "pv"),
		queryBody("Action", "PutRolePolicy", "Version", iamVersion, "RoleName", "node", "PolicyName", "read", "PolicyDocument", readS3),
	}
	for _, b := range setup {
		if status, _, body := rawCall(t, s, formType, "", b); status != 200 {
			t.Fatalf("setup: %d %s", status, body)
		}
	}

	tests := []struct {
		name       string
		body       string
		target     string
		wantStatus int
		wantPaths  []string // documented element paths that must appear
		wantJSON   []string // documented JSON members that must appear
	}{
		{
			name: "GetRole", body: queryBody("Action", "GetRole", "Version", iamVersion, "RoleName", "node"), wantStatus: 200,
			wantPaths: []string{
				"GetRoleResponse/GetRoleResult/Role/Path", "GetRoleResponse/GetRoleResult/Role/RoleName",
				"GetRoleResponse/GetRoleResult/Role/RoleId", "GetRoleResponse/GetRoleResult/Role/Arn",
				"GetRoleResponse/GetRoleResult/Role/CreateDate", "GetRoleResponse/GetRoleResult/Role/AssumeRolePolicyDocument",
				"GetRoleResponse/GetRoleResult/Role/MaxSessionDuration",
				"GetRoleResponse/GetRoleResult/Role/PermissionsBoundary/PermissionsBoundaryType",
				"GetRoleResponse/GetRoleResult/Role/PermissionsBoundary/PermissionsBoundaryArn",
				"GetRoleResponse/GetRoleResult/Role/Tags/member/Key", "GetRoleResponse/GetRoleResult/Role/Tags/member/Value",
				"GetRoleResponse/GetRoleResult/Role/RoleLastUsed", "GetRoleResponse/ResponseMetadata/RequestId",
			},
		},
		{
			name: "GetAccountAuthorizationDetails", body: queryBody("Action", "GetAccountAuthorizationDetails", "Version", iamVersion, "MaxItems", "2", "Filter.member.1", "Role", "Filter.member.2", "LocalManagedPolicy"), wantStatus: 200,
			wantPaths: []string{
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/RoleDetailList/member/RolePolicyList/member/PolicyName",
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/RoleDetailList/member/RolePolicyList/member/PolicyDocument",
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/RoleDetailList/member/AssumeRolePolicyDocument",
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/RoleDetailList/member/AttachedManagedPolicies",
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/RoleDetailList/member/InstanceProfileList",
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/RoleDetailList/member/PermissionsBoundary/PermissionsBoundaryArn",
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/Policies/member/PolicyVersionList/member/Document",
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/Policies/member/PolicyVersionList/member/IsDefaultVersion",
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/Policies/member/DefaultVersionId",
				"GetAccountAuthorizationDetailsResponse/GetAccountAuthorizationDetailsResult/IsTruncated",
			},
		},
		{
			name: "SimulatePrincipalPolicy", body: queryBody("Action", "SimulatePrincipalPolicy", "Version", iamVersion,
				"PolicySourceArn", "arn:aws:iam::123456789012:role/pv/node", "ActionNames.member.1", "s3:GetObject",
				"ResourceArns.member.1", "arn:aws:s3:::b/k"), wantStatus: 200,
			wantPaths: []string{
				"SimulatePrincipalPolicyResponse/SimulatePrincipalPolicyResult/EvaluationResults/member/EvalActionName",
				"SimulatePrincipalPolicyResponse/SimulatePrincipalPolicyResult/EvaluationResults/member/EvalResourceName",
				"SimulatePrincipalPolicyResponse/SimulatePrincipalPolicyResult/EvaluationResults/member/EvalDecision",
				"SimulatePrincipalPolicyResponse/SimulatePrincipalPolicyResult/EvaluationResults/member/MatchedStatements/member/SourcePolicyId",
				"SimulatePrincipalPolicyResponse/SimulatePrincipalPolicyResult/EvaluationResults/member/PermissionsBoundaryDecisionDetail/AllowedByPermissionsBoundary",
				"SimulatePrincipalPolicyResponse/SimulatePrincipalPolicyResult/EvaluationResults/member/ResourceSpecificResults/member/EvalResourceDecision",
				"SimulatePrincipalPolicyResponse/SimulatePrincipalPolicyResult/IsTruncated",
			},
		},
		{
			name: "NoSuchEntity", body: queryBody("Action", "GetRole", "Version", iamVersion, "RoleName", "ghost"), wantStatus: 404,
			wantPaths: []string{"ErrorResponse/Error/Type", "ErrorResponse/Error/Code", "ErrorResponse/Error/Message", "ErrorResponse/RequestId"},
		},
		{
			name: "GetCallerIdentity", body: queryBody("Action", "GetCallerIdentity", "Version", stsVersion), wantStatus: 200,
			wantPaths: []string{
				"GetCallerIdentityResponse/GetCallerIdentityResult/UserId", "GetCallerIdentityResponse/GetCallerIdentityResult/Account",
				"GetCallerIdentityResponse/GetCallerIdentityResult/Arn", "GetCallerIdentityResponse/ResponseMetadata/RequestId",
			},
		},
		{
			name: "AssumeRole", body: queryBody("Action", "AssumeRole", "Version", stsVersion, "RoleArn", "arn:aws:iam::123456789012:role/pv/node", "RoleSessionName", "provider"), wantStatus: 200,
			wantPaths: []string{
				"AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId", "AssumeRoleResponse/AssumeRoleResult/Credentials/SecretAccessKey",
				"AssumeRoleResponse/AssumeRoleResult/Credentials/SessionToken", "AssumeRoleResponse/AssumeRoleResult/Credentials/Expiration",
				"AssumeRoleResponse/AssumeRoleResult/AssumedRoleUser/AssumedRoleId", "AssumeRoleResponse/AssumeRoleResult/AssumedRoleUser/Arn",
			},
		},
		{
			name: "LookupEvents", target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
			body:       `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"AssumeRole"}],"MaxResults":1}`,
			wantStatus: 200,
			wantJSON:   []string{"Events", "EventId", "EventName", "ReadOnly", "AccessKeyId", "EventTime", "EventSource", "Username", "Resources", "ResourceType", "ResourceName", "CloudTrailEvent"},
		},
		{
			name: "InvalidMaxResultsException", target: "CloudTrail_20131101.LookupEvents", body: `{"MaxResults":500}`, wantStatus: 400,
			wantJSON: []string{"__type", "message"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Advance(time.Minute)
			ct := formType
			if tt.target != "" {
				ct = jsonType
			}
			status, hdr, body := rawCall(t, s, ct, tt.target, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status: got %d, want %d\n%s", status, tt.wantStatus, body)
			}
			if tt.target == "" {
				paths := xmlPaths(t, body)
				for _, p := range tt.wantPaths {
					if !paths[p] {
						t.Errorf("missing documented element %s", p)
					}
				}
			} else {
				if !json.Valid(body) {
					t.Fatalf("body is not JSON: %s", body)
				}
				for _, k := range tt.wantJSON {
					if !bytes.Contains(body, []byte(`"`+k+`"`)) {
						t.Errorf("missing documented member %s", k)
					}
				}
				if status != 200 && hdr.Get("X-Amzn-ErrorType") == "" {
					t.Errorf("error without X-Amzn-ErrorType header")
				}
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				mustOK(t, os.MkdirAll("testdata", 0o755))
				mustOK(t, os.WriteFile(golden, body, 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("wire output differs from %s:\ngot:\n%s\nwant:\n%s", golden, body, want)
			}
		})
	}
}
