package policy

import "testing"

// TestCannotAllow checks the cheap first question against Exists: "cannot"
// must never be said of a request some context allows, and it must be
// said where no statement can apply, so the fast path is used at all.
func TestCannotAllow(t *testing.T) {
	t.Parallel()
	const bucket = "arn:aws:s3:::node-a-data/key"
	cases := []struct {
		name     string
		identity string
		boundary string
		action   string
		resource string
		want     bool
	}{
		{"other node's bucket", `[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::node-b-*/*"}]`, "", "s3:GetObject", bucket, true},
		{"own bucket", `[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::node-a-*/*"}]`, "", "s3:GetObject", bucket, false},
		{"other action", `[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]`, "", "s3:GetObject", bucket, true},
		{"action wildcard", `[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]`, "", "s3:GetObject", bucket, false},
		{"NotAction", `[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]`, "", "s3:GetObject", bucket, false},
		{"NotAction excludes it", `[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]`, "", "s3:GetObject", bucket, true},
		{"NotResource excludes it", `[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::node-a-*"}]`, "", "s3:GetObject", bucket, true},
		{"NotResource other", `[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::node-b-*"}]`, "", "s3:GetObject", bucket, false},
		{"variable in resource", `[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:PrincipalTag/node}-data/*"}]`, "", "s3:GetObject", bucket, false},
		{"variable in NotResource", `[{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::${aws:PrincipalTag/node}-data/*"}]`, "", "s3:GetObject", bucket, false},
		{"condition does not matter", `[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]`, "", "s3:GetObject", bucket, false},
		{"deny does not allow", `[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]`, "", "s3:GetObject", bucket, true},
		{"boundary lacks it", `[{"Effect":"Allow","Action":"*","Resource":"*"}]`, `[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]`, "s3:GetObject", bucket, true},
		{"boundary has it", `[{"Effect":"Allow","Action":"*","Resource":"*"}]`, `[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]`, "s3:GetObject", bucket, false},
		{"case of action", `[{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}]`, "", "s3:GetObject", bucket, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := PolicySet{Identity: []NamedPolicy{{Name: "id", Doc: mustDoc(t, tc.identity)}}}
			if tc.boundary != "" {
				set.Boundary = &NamedPolicy{Name: "b", Doc: mustDoc(t, tc.boundary)}
			}
			c, err := Compile(set)
			if err != nil {
				t.Fatal(err)
			}
			got := c.CannotAllow(tc.action, tc.resource)
			if got != tc.want {
				t.Errorf("CannotAllow = %v, want %v", got, tc.want)
			}
			a := c.ExistsAllowed(&Question{Principal: testRole, Action: tc.action, Resource: tc.resource,
				Keys: map[string]KeyInfo{"aws:PrincipalTag/node": {Class: KeyCallerChosen}}})
			if got && a.Outcome() == Exists {
				t.Errorf("CannotAllow says no context allows it, Exists found %v", a.Found)
			}
		})
	}
}
