package awsfake

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestErrorShapes(t *testing.T) {
	s, c, _ := start(t, Options{})
	cx := ctx(t)
	_, err := c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("exists"), AssumeRolePolicyDocument: aws.String(trustEC2)})
	mustOK(t, err)
	stranger := newClients(s.URL(), Credentials{AccessKeyID: "AKIAUNKNOWNUNKNOWN00", SecretAccessKey: "x"}, 1)
	noRetry := newClients(s.URL(), s.AdminCredentials(), 1)

	tests := []struct {
		name       string
		faults     Faults
		call       func() error
		wantCode   string
		wantStatus int
	}{
		{name: "NoSuchEntity", call: func() error {
			_, err := c.iam.GetRole(cx, &iam.GetRoleInput{RoleName: aws.String("missing")})
			return err
		}, wantCode: "NoSuchEntity", wantStatus: 404},
		{name: "EntityAlreadyExists", call: func() error {
			_, err := c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("exists"), AssumeRolePolicyDocument: aws.String(trustEC2)})
			return err
		}, wantCode: "EntityAlreadyExists", wantStatus: 409},
		{name: "MalformedPolicyDocument syntax", call: func() error {
			_, err := c.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":`)})
			return err
		}, wantCode: "MalformedPolicyDocument", wantStatus: 400},
		{name: "MalformedPolicyDocument principal in identity policy", call: func() error {
			_, err := c.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("exists"), PolicyName: aws.String("p"), PolicyDocument: aws.String(trustEC2)})
			return err
		}, wantCode: "MalformedPolicyDocument", wantStatus: 400},
		{name: "MalformedPolicyDocument trust without principal", call: func() error {
			_, err := c.iam.UpdateAssumeRolePolicy(cx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("exists"), PolicyDocument: aws.String(readS3)})
			return err
		}, wantCode: "MalformedPolicyDocument", wantStatus: 400},
		{name: "ValidationError", call: func() error {
			_, err := c.iam.UpdateRole(cx, &iam.UpdateRoleInput{RoleName: aws.String("exists"), MaxSessionDuration: aws.Int32(60)})
			return err
		}, wantCode: "ValidationError", wantStatus: 400},
		{name: "InvalidClientTokenId IAM", call: func() error {
			_, err := stranger.iam.ListRoles(cx, &iam.ListRolesInput{})
			return err
		}, wantCode: "InvalidClientTokenId", wantStatus: 403},
		{name: "InvalidClientTokenId STS", call: func() error {
			_, err := stranger.sts.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
			return err
		}, wantCode: "InvalidClientTokenId", wantStatus: 403},
		{name: "UnrecognizedClientException CloudTrail", call: func() error {
			_, err := stranger.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{})
			return err
		}, wantCode: "UnrecognizedClientException", wantStatus: 400},
		{name: "AccessDenied injected", faults: Faults{Fail: map[string]FaultKind{"GetAccountAuthorizationDetails": FaultAccessDenied}}, call: func() error {
			_, err := c.iam.GetAccountAuthorizationDetails(cx, &iam.GetAccountAuthorizationDetailsInput{})
			return err
		}, wantCode: "AccessDenied", wantStatus: 403},
		{name: "AccessDeniedException CloudTrail", faults: Faults{Fail: map[string]FaultKind{"LookupEvents": FaultAccessDenied}}, call: func() error {
			_, err := c.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{})
			return err
		}, wantCode: "AccessDeniedException", wantStatus: 403},
		{name: "Throttling", faults: Faults{ThrottleRate: 1}, call: func() error {
			_, err := noRetry.iam.ListRoles(cx, &iam.ListRolesInput{})
			return err
		}, wantCode: "Throttling", wantStatus: 400},
		{name: "ThrottlingException CloudTrail", faults: Faults{ThrottleRate: 1}, call: func() error {
			_, err := noRetry.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{})
			return err
		}, wantCode: "ThrottlingException", wantStatus: 400},
		{name: "ServiceFailure", faults: Faults{Fail: map[string]FaultKind{"ListRoles": FaultServiceFailure}}, call: func() error {
			_, err := c.iam.ListRoles(cx, &iam.ListRolesInput{})
			return err
		}, wantCode: "ServiceFailure", wantStatus: 500},
		{name: "ServiceUnavailable", faults: Faults{Fail: map[string]FaultKind{"GetCallerIdentity": FaultUnavailable}}, call: func() error {
			_, err := c.sts.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
			return err
		}, wantCode: "ServiceUnavailable", wantStatus: 503},
		{name: "InvalidLookupAttributesException", call: func() error {
			_, err := c.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
				{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("a")},
				{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("b")},
			}})
			return err
		}, wantCode: "InvalidLookupAttributesException", wantStatus: 400},
		{name: "InvalidMaxResultsException", call: func() error {
			_, err := c.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)})
			return err
		}, wantCode: "InvalidMaxResultsException", wantStatus: 400},
		{name: "InvalidNextTokenException", call: func() error {
			_, err := c.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{NextToken: aws.String("nope")})
			return err
		}, wantCode: "InvalidNextTokenException", wantStatus: 400},
		{name: "InvalidInput context type", call: func() error {
			_, err := c.iam.SimulatePrincipalPolicy(cx, &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/exists"), ActionNames: []string{"s3:GetObject"},
				ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:x"), ContextKeyType: "nonsense", ContextKeyValues: []string{"a"}}},
			})
			return err
		}, wantCode: "InvalidInput", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetFaults(tt.faults)
			defer s.SetFaults(Faults{})
			code, status := apiErr(t, tt.call())
			if code != tt.wantCode || status != tt.wantStatus {
				t.Errorf("got %s/%d, want %s/%d", code, status, tt.wantCode, tt.wantStatus)
			}
		})
	}
}

func TestSignatureVerification(t *testing.T) {
	s, c, _ := start(t, Options{})
	cx := ctx(t)
	mustOK(t, func() error { _, err := c.iam.ListRoles(cx, &iam.ListRolesInput{}); return err }())
	mustOK(t, func() error { _, err := c.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{}); return err }())
	out, err := c.sts.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/none"), RoleSessionName: aws.String("xx")})
	if code, _ := apiErr(t, err); code != "AccessDenied" || out != nil {
		t.Fatalf("AssumeRole of a missing role: got %s", code)
	}
	wrong := s.AdminCredentials()
	wrong.SecretAccessKey = "not-the-secret"
	bad := newClients(s.URL(), wrong, 1)
	tests := []struct {
		name       string
		call       func() error
		wantCode   string
		wantStatus int
	}{
		{"IAM", func() error { _, err := bad.iam.ListRoles(cx, &iam.ListRolesInput{}); return err }, "SignatureDoesNotMatch", 403},
		{"STS", func() error { _, err := bad.sts.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{}); return err }, "SignatureDoesNotMatch", 403},
		{"CloudTrail", func() error { _, err := bad.ct.LookupEvents(cx, &cloudtrail.LookupEventsInput{}); return err }, "InvalidSignatureException", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, status := apiErr(t, tt.call()); code != tt.wantCode || status != tt.wantStatus {
				t.Errorf("got %s/%d, want %s/%d", code, status, tt.wantCode, tt.wantStatus)
			}
		})
	}
}
