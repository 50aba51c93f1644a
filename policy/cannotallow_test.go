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

// TestExistsSingleValuedKeys: a set operator on a key known to hold one
// value does not make it multi-valued. Allow CreateRole with a
// pennsieve-* boundary, deny it unless ForAllValues the boundary is the
// pin: a single-valued key can only be the pin, a multi-valued one could
// be sent as {pin, another policy}. The question partitions the key by the
// pin, as PV-GRD-001 does, so that sets holding another value are tried.
func TestExistsSingleValuedKeys(t *testing.T) {
	t.Parallel()
	const pin = "arn:aws:iam::111122223333:policy/pennsieve-pin"
	policyFor := func(key string) *Compiled {
		return mustIdentity(t, `[{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*","Condition":{"StringLike":{"`+key+`":"arn:aws:iam::111122223333:policy/pennsieve-*"}}},
		{"Effect":"Deny","Action":"iam:CreateRole","Resource":"*","Condition":{"ForAllValues:StringNotEquals":{"`+key+`":["`+pin+`"]}}}]`)
	}
	for _, tc := range []struct {
		name  string
		key   string
		multi func(string) (bool, bool)
		want  Outcome
	}{
		{"table says single", "iam:PermissionsBoundary", nil, NoneExists},
		{"catalogue says single", "x:boundary", func(string) (bool, bool) { return false, true }, NoneExists},
		{"unknown multiplicity", "x:boundary", nil, Exists},
		{"catalogue says multi", "x:boundary", func(string) (bool, bool) { return true, true }, Exists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := &Question{Principal: testRole, Action: "iam:CreateRole", Resource: "arn:aws:iam::111122223333:role/x", KeyMulti: tc.multi,
				Keys: map[string]KeyInfo{tc.key: {Partition: []string{pin}}}}
			a := policyFor(tc.key).Exists(q, func(w Witness) bool {
				if w.Result.Decision != Allow {
					return false
				}
				for _, v := range w.Context[tc.key] {
					if v != pin {
						return true
					}
				}
				return false
			})
			if a.Outcome() != tc.want {
				t.Errorf("got %s (%v, %q), want %s", a.Outcome(), a.Found, a.Reason, tc.want)
			}
		})
	}
}

// TestExistsPartitionedKeyNoStatementTests: a key the question partitions
// is varied even when no statement tests it. An unconditioned Allow of
// iam:PassRole lets the caller pass the role to any service; a search that
// left the key out found only witnesses without it, and a want about the
// service never held.
func TestExistsPartitionedKeyNoStatementTests(t *testing.T) {
	t.Parallel()
	const svc = "lambda.amazonaws.com"
	passedTo := func(w Witness) bool {
		if w.Result.Decision != Allow {
			return false
		}
		for _, v := range w.Context["iam:PassedToService"] {
			if v == svc {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name   string
		policy string
		want   Outcome
	}{
		{"unconditioned allow", `[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]`, Exists},
		{"allow to ecs only", `[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]`, NoneExists},
		{"allow, deny to lambda", `[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},{"Effect":"Deny","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]`, NoneExists},
		{"no allow", `[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]`, NoneExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := &Question{Principal: testRole, Action: "iam:PassRole", Resource: "arn:aws:iam::111122223333:role/admin",
				Keys: map[string]KeyInfo{"iam:PassedToService": {Partition: []string{svc}, Present: true}}}
			a := mustIdentity(t, tc.policy).Exists(q, passedTo)
			if a.Outcome() != tc.want {
				t.Errorf("got %s (%v, %q), want %s", a.Outcome(), a.Found, a.Reason, tc.want)
			}
		})
	}
}
