package policy

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

const (
	testRole    = "arn:aws:iam::111122223333:role/Pennsieve-CrossAccount"
	provisioner = "941377122013"
	boundaryN1  = "arn:aws:iam::111122223333:policy/pennsieve-boundary-n1"
	boundaryN2  = "arn:aws:iam::111122223333:policy/pennsieve-boundary-n2"
)

var testNow = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func mustDoc(tb testing.TB, stmts string) *Document {
	tb.Helper()
	d, err := ParseString(`{"Version":"2012-10-17","Statement":` + stmts + `}`)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func mustIdentity(tb testing.TB, stmts string) *Compiled {
	tb.Helper()
	c, err := Compile(PolicySet{Identity: []NamedPolicy{{Name: "p", Doc: mustDoc(tb, stmts)}}})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func mustTrust(tb testing.TB, stmts string) *CompiledTrust {
	tb.Helper()
	c, err := CompileTrust("trust", mustDoc(tb, stmts))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// value returns the single chosen value of key, "" and false when absent.
func value(w Witness, key string) (string, bool) {
	for k, v := range w.Context {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

func allowAnd(pred func(w Witness) bool) func(Witness) bool {
	return func(w Witness) bool { return w.Result.Decision == Allow && pred(w) }
}

type existsCase struct {
	name   string
	policy Decider
	q      Question
	// want is nil for ExistsAllowed.
	want    func(Witness) bool
	outcome Outcome
	// check inspects the witness (Outcome Exists).
	check func(t *testing.T, w *Witness)
	// reason is a substring of Answer.Reason (Outcome Undecided).
	reason string
}

func runExistsCases(t *testing.T, cases []existsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := tc.q
			if q.Principal == "" {
				if _, trust := tc.policy.(*CompiledTrust); !trust {
					q.Principal = testRole
				}
			}
			if q.Resource == "" {
				q.Resource = "*"
			}
			var a Answer
			if tc.want == nil {
				a = tc.policy.ExistsAllowed(&q)
			} else {
				a = tc.policy.Exists(&q, tc.want)
			}
			if got := a.Outcome(); got != tc.outcome {
				found := ""
				if a.Found != nil {
					found = a.Found.String()
				}
				t.Fatalf("got %s (found %s, reason %q, tried %d of %d), want %s", got, found, a.Reason, a.Tried, a.Regions, tc.outcome)
			}
			if a.Found != nil {
				t.Logf("found %s (tried %d of %d)", a.Found, a.Tried, a.Regions)
			} else {
				t.Logf("%s after %d of %d; %s", a.Outcome(), a.Tried, a.Regions, a.Reason)
			}
			switch tc.outcome {
			case Exists:
				// A witness is a concrete counter-example: evaluating it
				// again gives the same result.
				again := tc.policy.(interface{ Evaluate(*Request) Result }).Evaluate(&Request{Principal: a.Found.Principal, Action: q.Action,
					Resource: q.Resource, ResourceAccount: q.ResourceAccount, Context: a.Found.Context, Now: q.Now})
				if again.Decision != a.Found.Result.Decision || !again.Evaluable() {
					t.Fatalf("witness %s re-evaluates to %+v, found %+v", a.Found, again, a.Found.Result)
				}
				if tc.want != nil && !tc.want(*a.Found) {
					t.Fatalf("want does not hold for the copied witness %s", a.Found)
				}
				if tc.check != nil {
					tc.check(t, a.Found)
				}
			case NoneExists:
				if a.Reason != "" {
					t.Fatalf("complete answer with reason %q", a.Reason)
				}
			case Undecided:
				if !strings.Contains(a.Reason, tc.reason) {
					t.Fatalf("got reason %q, want it to contain %q", a.Reason, tc.reason)
				}
			}
		})
	}
}

func TestExistsAdversarial(t *testing.T) {
	t.Parallel()
	rdsAfter := mustIdentity(t, `[{"Effect":"Allow","Action":"rds:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}}]`)
	rdsExpired := mustIdentity(t, `[{"Effect":"Allow","Action":"rds:*","Resource":"*","Condition":{"DateLessThan":{"aws:EpochTime":"1700000000"}}}]`)
	alwaysDeny := mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2000-01-01T00:00:00Z"}}}]`)
	terraform := mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"Guardrail","Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"StringNotLike":{"aws:userid":"*:terraform-*"}}}]`)
	boundary := mustIdentity(t, `[{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*"},
		{"Effect":"Deny","Action":"iam:CreateRole","Resource":"*","Condition":{"StringNotLike":{"iam:PermissionsBoundary":"arn:aws:iam::*:policy/pennsieve-boundary-*"}}}]`)
	boundaryExact := mustIdentity(t, `[{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*"},
		{"Effect":"Deny","Action":"iam:CreateRole","Resource":"*","Condition":{"ArnNotEquals":{"iam:PermissionsBoundary":["`+boundaryN1+`","`+boundaryN2+`"]}}}]`)
	promised := Question{Action: "iam:CreateRole", Resource: "arn:aws:iam::111122223333:role/Pennsieve-dev-fn",
		Keys: map[string]KeyInfo{"iam:PermissionsBoundary": {Partition: []string{boundaryN1, boundaryN2}}}}
	outsidePromise := allowAnd(func(w Witness) bool {
		v, ok := value(w, "iam:PermissionsBoundary")
		return !ok || (v != boundaryN1 && v != boundaryN2)
	})
	acctTrust := mustTrust(t, `[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalAccount":"`+provisioner+`"}}}]`)
	otherAccount := allowAnd(func(w Witness) bool { return accountOf(w.Principal) != provisioner })
	extID := mustTrust(t, `[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+provisioner+`:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"pennsieve-123"}}}]`)
	noExternalID := allowAnd(func(w Witness) bool { _, ok := value(w, "sts:ExternalId"); return !ok })

	runExistsCases(t, []existsCase{
		{name: "CurrentTime-conditioned allow of rds:* is found", policy: rdsAfter,
			q: Question{Action: "rds:CreateDBInstance", Now: testNow}, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				v, _ := value(*w, "aws:CurrentTime")
				if tm, ok := parseDate(v); !ok || tm.Before(testNow) {
					t.Errorf("witness time %q is before Now", v)
				}
			}},
		{name: "expired time-conditioned allow is never allowed after Now", policy: rdsExpired,
			q: Question{Action: "rds:CreateDBInstance", Now: testNow}, outcome: NoneExists},
		{name: "a fixed time is not chosen", policy: rdsAfter,
			q: Question{Action: "rds:CreateDBInstance", Fixed: map[string][]string{"aws:EpochTime": {"1600000000"}}}, outcome: NoneExists},
		{name: "a fixed time that passes", policy: rdsAfter,
			q: Question{Action: "rds:CreateDBInstance", Fixed: map[string][]string{"aws:CurrentTime": {"2025-01-01T00:00:00Z"}}}, outcome: Exists},
		{name: "a time pinned through Keys comes from Now", policy: rdsAfter,
			q: Question{Action: "rds:CreateDBInstance", Now: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Keys: map[string]KeyInfo{"aws:CurrentTime": {Class: KeyFixed}}}, outcome: NoneExists},
		{name: "a time pinned without a time is undecided", policy: rdsAfter,
			q: Question{Action: "rds:CreateDBInstance", Keys: map[string]KeyInfo{"aws:CurrentTime": {Class: KeyFixed}}}, outcome: Undecided, reason: "every AWS request carries aws:CurrentTime"},
		{name: "expired allow is found when Now is not set", policy: rdsExpired,
			q: Question{Action: "rds:CreateDBInstance"}, outcome: Exists},
		{name: "always-true date condition on a deny always applies", policy: alwaysDeny,
			q: Question{Action: "s3:GetObject", Now: testNow}, outcome: NoneExists},
		{name: "userid exemption found with a session name", policy: terraform,
			q: Question{Action: "iam:CreateUser", Keys: map[string]KeyInfo{"aws:userid": {Domain: []string{"AROAEXAMPLEID:*"}}}}, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				v, _ := value(*w, "aws:userid")
				if !strings.HasPrefix(v, "AROAEXAMPLEID:") || !strings.Contains(v, ":terraform-") {
					t.Errorf("got aws:userid %q, want AROAEXAMPLEID:terraform-…", v)
				}
			}},
		{name: "userid exemption outside the role's domain is not found", policy: terraform,
			q: Question{Action: "iam:CreateUser", Keys: map[string]KeyInfo{"aws:userid": {Domain: []string{"AIDAUSERID"}}}}, outcome: NoneExists},
		{name: "pennsieve-boundary-x found outside the promised boundaries", policy: boundary, q: promised, want: outsidePromise, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				v, _ := value(*w, "iam:PermissionsBoundary")
				if !strings.Contains(v, ":policy/pennsieve-boundary-") || v == boundaryN1 || v == boundaryN2 {
					t.Errorf("got boundary %q", v)
				}
			}},
		{name: "exact boundary list admits only the promised ones", policy: boundaryExact, q: promised, want: outsidePromise, outcome: NoneExists},
		{name: "boundary deny refuses a request without a boundary", policy: boundary, q: promised,
			want: allowAnd(func(w Witness) bool { _, ok := value(w, "iam:PermissionsBoundary"); return !ok }), outcome: NoneExists},
		{name: "trust to any AWS principal of the provisioner account admits no other account", policy: acctTrust,
			q: Question{Action: "sts:AssumeRole"}, want: otherAccount, outcome: NoneExists},
		{name: "trust to the provisioner account admits the provisioner", policy: acctTrust,
			q: Question{Action: "sts:AssumeRole"}, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				if accountOf(w.Principal) != provisioner {
					t.Errorf("got principal %q", w.Principal)
				}
			}},
		{name: "trust without external id is refused", policy: extID,
			q: Question{Principal: "arn:aws:iam::" + provisioner + ":role/Provisioner", Action: "sts:AssumeRole"}, want: noExternalID, outcome: NoneExists},
		{name: "trust with external id is allowed", policy: extID,
			q: Question{Principal: "arn:aws:iam::" + provisioner + ":role/Provisioner", Action: "sts:AssumeRole"}, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				if v, _ := value(*w, "sts:ExternalId"); v != "pennsieve-123" {
					t.Errorf("got external id %q", v)
				}
			}},
		{name: "trust with external id admits no other account", policy: extID,
			q: Question{Action: "sts:AssumeRole"}, want: otherAccount, outcome: NoneExists},
	})
}

func TestExistsFamilies(t *testing.T) {
	t.Parallel()
	allowIf := func(cond string) Decider {
		return mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":`+cond+`}]`)
	}
	denyIf := func(cond string) Decider {
		return mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":`+cond+`}]`)
	}
	q := Question{Action: "s3:GetObject"}
	absent := func(key string) func(Witness) bool {
		return allowAnd(func(w Witness) bool { _, ok := value(w, key); return !ok })
	}
	present := func(key string, pred func(string) bool) func(Witness) bool {
		return allowAnd(func(w Witness) bool { v, ok := value(w, key); return ok && pred(v) })
	}
	inNet := func(cidr string) func(string) bool {
		p := netip.MustParsePrefix(cidr)
		return func(v string) bool { a, err := netip.ParseAddr(v); return err == nil && p.Contains(a) }
	}
	runExistsCases(t, []existsCase{
		// String equality.
		{name: "StringEquals needs the constant", policy: allowIf(`{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`), q: q, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				if v, _ := value(*w, "aws:RequestedRegion"); v != "us-east-1" {
					t.Errorf("got %q", v)
				}
			}},
		{name: "StringNotEquals deny escaped only by the constant", policy: denyIf(`{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}`), q: q,
			want: present("aws:RequestedRegion", func(v string) bool { return v != "us-east-1" }), outcome: NoneExists},
		{name: "case variant escapes a case-sensitive deny", policy: mustIdentity(t, `[
			{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:RequestTag/env":"prod"}}},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/env":"prod"}}}]`), q: q, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				if v, _ := value(*w, "aws:RequestTag/env"); v == "prod" || !strings.EqualFold(v, "prod") {
					t.Errorf("got %q, want a case variant of prod", v)
				}
			}},
		// Absent keys and negated operators.
		{name: "StringNotLike on an absent key makes a deny apply", policy: denyIf(`{"StringNotLike":{"s3:prefix":"public/*"}}`), q: q,
			want: absent("s3:prefix"), outcome: NoneExists},
		{name: "StringNotLike deny escaped inside the pattern", policy: denyIf(`{"StringNotLike":{"s3:prefix":"public/*"}}`), q: q,
			outcome: Exists, check: func(t *testing.T, w *Witness) {
				if v, _ := value(*w, "s3:prefix"); !strings.HasPrefix(v, "public/") {
					t.Errorf("got %q", v)
				}
			}},
		{name: "ArnNotLike on an absent key makes a deny apply", policy: denyIf(`{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::bucket-*"}}`), q: q,
			want: absent("aws:SourceArn"), outcome: NoneExists},
		{name: "StringNotLike allow holds on an absent key", policy: allowIf(`{"StringNotLike":{"s3:prefix":"secret/*"}}`), q: q,
			want: absent("s3:prefix"), outcome: Exists},
		// IfExists.
		{name: "IfExists allow holds on an absent key", policy: allowIf(`{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`), q: q,
			want: absent("ec2:InstanceType"), outcome: Exists},
		{name: "negated IfExists deny applies on an absent key", policy: denyIf(`{"StringNotEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}`), q: q,
			want: absent("aws:RequestedRegion"), outcome: NoneExists},
		// Sets.
		{name: "ForAllValues allow holds on the empty set", policy: allowIf(`{"ForAllValues:StringEquals":{"aws:TagKeys":["env","owner"]}}`), q: q,
			want: absent("aws:TagKeys"), outcome: Exists},
		{name: "ForAllValues allow admits no other tag key", policy: allowIf(`{"ForAllValues:StringEquals":{"aws:TagKeys":["env","owner"]}}`), q: q,
			want: allowAnd(func(w Witness) bool {
				for _, v := range w.Context["aws:TagKeys"] {
					if v != "env" && v != "owner" {
						return true
					}
				}
				return false
			}), outcome: NoneExists},
		{name: "ForAnyValue allow is false on the empty set", policy: allowIf(`{"ForAnyValue:StringEquals":{"aws:TagKeys":"env"}}`), q: q,
			want: absent("aws:TagKeys"), outcome: NoneExists},
		{name: "two ForAnyValue conditions need a set of two", policy: allowIf(`{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"},"ForAnyValue:StringLike":{"aws:TagKeys":"b*"},"ForAllValues:StringLike":{"aws:TagKeys":["a","b*"]}}`), q: q,
			outcome: Exists, check: func(t *testing.T, w *Witness) {
				if got := w.Context["aws:TagKeys"]; len(got) != 2 {
					t.Errorf("got %q, want two values", got)
				}
			}},
		{name: "ForAllValues deny escaped by a value outside", policy: denyIf(`{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`), q: q,
			outcome: Exists},
		// Numbers.
		{name: "NumericLessThan needs a smaller number", policy: allowIf(`{"NumericLessThan":{"s3:max-keys":"10"}}`), q: q,
			want: present("s3:max-keys", func(v string) bool { return v != "" }), outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				v, _ := value(*w, "s3:max-keys")
				if n, ok := parseNumber(v); !ok || compareNumbers(n, number{isInt: true, i: 10, f: 10}) >= 0 {
					t.Errorf("got %q", v)
				}
			}},
		{name: "numeric deny between two bounds", policy: denyIf(`{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}`), q: q,
			want: present("aws:MultiFactorAuthAge", func(v string) bool { n, _ := parseNumber(v); return n.f > 3600 }), outcome: NoneExists},
		{name: "numeric on a free-text key meets values that do not parse", policy: denyIf(`{"NumericGreaterThan":{"aws:RequestTag/size":"100"}}`), q: q,
			want:    present("aws:RequestTag/size", func(v string) bool { n, ok := parseNumber(v); return ok && n.f > 100 }),
			outcome: Undecided, reason: "could not be evaluated"},
		// Dates on keys other than the request time.
		{name: "DateLessThan on TokenIssueTime", policy: denyIf(`{"DateLessThan":{"aws:TokenIssueTime":"2025-01-01T00:00:00Z"}}`), q: q,
			want: present("aws:TokenIssueTime", func(v string) bool {
				tm, _ := parseDate(v)
				return tm.Before(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
			}),
			outcome: NoneExists},
		// Time: both keys are one instant.
		{name: "EpochTime and CurrentTime move together", policy: mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"DateGreaterThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"},"NumericLessThan":{"aws:EpochTime":"1830000000"}}}]`),
			q: Question{Action: "s3:GetObject", Now: testNow}, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				ct, _ := value(*w, "aws:CurrentTime")
				et, _ := value(*w, "aws:EpochTime")
				tm, _ := parseDate(ct)
				if et != strconvItoa(tm.Unix()) {
					t.Errorf("CurrentTime %s and EpochTime %s disagree", ct, et)
				}
			}},
		{name: "contradictory times are never allowed", policy: mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"DateGreaterThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"},"NumericLessThan":{"aws:EpochTime":"1790000000"},"DateLessThan":{"aws:EpochTime":"2026-06-01"}}}]`),
			q: Question{Action: "s3:GetObject", Now: testNow}, outcome: NoneExists},
		// IP addresses.
		{name: "NotIpAddress deny escaped only inside the network", policy: denyIf(`{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8:1::/48"]}}`), q: q,
			want: present("aws:SourceIp", func(v string) bool { return !inNet("10.0.0.0/8")(v) && !inNet("2001:db8:1::/48")(v) }), outcome: NoneExists},
		{name: "NotIpAddress deny escaped from the network", policy: denyIf(`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), q: q,
			outcome: Exists, check: func(t *testing.T, w *Witness) {
				if v, _ := value(*w, "aws:SourceIp"); !inNet("10.0.0.0/8")(v) {
					t.Errorf("got %q", v)
				}
			}},
		{name: "IpAddress allow from IPv6", policy: allowIf(`{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`), q: q,
			want: present("aws:SourceIp", inNet("2001:db8::/32")), outcome: Exists},
		// Bool, Binary, Null.
		{name: "Bool deny on insecure transport", policy: denyIf(`{"Bool":{"aws:SecureTransport":"false"}}`), q: q,
			want: present("aws:SecureTransport", func(v string) bool { return v == "false" }), outcome: NoneExists},
		{name: "Bool deny escaped by absence", policy: denyIf(`{"Bool":{"aws:SecureTransport":"false"}}`), q: q,
			want: absent("aws:SecureTransport"), outcome: Exists},
		{name: "BinaryEquals", policy: allowIf(`{"BinaryEquals":{"x:blob":"QQ=="}}`), q: q,
			want: present("x:blob", func(v string) bool { return v != "QQ==" }), outcome: NoneExists},
		{name: "Null deny on absence needs a present value", policy: denyIf(`{"Null":{"aws:RequestedRegion":"true"}}`), q: q,
			want: present("aws:RequestedRegion", func(string) bool { return true }), outcome: Exists},
		{name: "Null deny on absence refuses absence", policy: denyIf(`{"Null":{"aws:RequestedRegion":"true"}}`), q: q,
			want: absent("aws:RequestedRegion"), outcome: NoneExists},
	})
}

// accountOf is the account of a caller: an ARN's account field, or a bare
// account ID.
func accountOf(principal string) string {
	if isAccountID(principal) {
		return principal
	}
	if f := splitARN(principal); f.isARN() {
		return f.f[4]
	}
	return ""
}

func strconvItoa(n int64) string {
	var b [24]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func TestExistsVariablesAndBounds(t *testing.T) {
	t.Parallel()
	home := mustIdentity(t, `[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:userid}/*"}]`)
	userid := map[string]KeyInfo{"aws:userid": {Domain: []string{"AROAEXAMPLEID:*"}}}
	tagMatch := mustIdentity(t, `[{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"team-${aws:RequestTag/team}"}}}]`)
	coupled := mustIdentity(t, `[{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/a":"${aws:RequestTag/b}"}}}]`)
	wide := mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{
		"aws:RequestTag/a":["1","2","3","4","5","6","7"],"aws:RequestTag/b":["1","2","3","4","5","6","7"],
		"aws:RequestTag/c":["1","2","3","4","5","6","7"],"aws:RequestTag/d":["1","2","3","4","5","6","7"]},
		"StringNotEquals":{"aws:RequestTag/a":"1","aws:RequestTag/b":"1","aws:RequestTag/c":"1","aws:RequestTag/d":"1"}}}]`)
	never := func(Witness) bool { return false }
	runExistsCases(t, []existsCase{
		{name: "userid variable in the resource is matched from the resource", policy: home,
			q: Question{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/AROAEXAMPLEID:ci/doc", Keys: userid}, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				if v, _ := value(*w, "aws:userid"); v != "AROAEXAMPLEID:ci" {
					t.Errorf("got %q", v)
				}
			}},
		{name: "userid variable cannot reach another role's folder", policy: home,
			q: Question{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/AROAOTHER:ci/doc", Keys: userid}, outcome: NoneExists},
		{name: "caller-chosen variable compared with a fixed tag", policy: tagMatch,
			q: Question{Action: "ec2:StopInstances", Fixed: map[string][]string{"aws:PrincipalTag/team": {"team-data"}}}, outcome: Exists,
			check: func(t *testing.T, w *Witness) {
				if v, _ := value(*w, "aws:RequestTag/team"); v != "data" {
					t.Errorf("got %q", v)
				}
			}},
		{name: "fixed tag that no variable value matches", policy: tagMatch,
			q: Question{Action: "ec2:StopInstances", Fixed: map[string][]string{"aws:PrincipalTag/team": {"ops"}}}, outcome: NoneExists},
		{name: "two caller-chosen keys coupled by a variable are not decided", policy: coupled,
			q: Question{Action: "ec2:StopInstances"}, want: never, outcome: Undecided, reason: "compares two caller-chosen keys"},
		// Each key has 3 regions once equivalent witnesses are merged
		// (absent and "" both fail StringEquals and pass StringNotEquals).
		{name: "the limit is reported with the sizes", policy: wide,
			q: Question{Action: "s3:GetObject", Limit: 50}, want: never, outcome: Undecided,
			reason: "81 combinations of witness values (aws:RequestTag/a 3 × aws:RequestTag/b 3 × aws:RequestTag/c 3 × aws:RequestTag/d 3) exceed the limit of 50; 50 tried"},
		{name: "within the limit the same question is decided", policy: wide,
			q: Question{Action: "s3:GetObject"}, want: never, outcome: NoneExists},
		{name: "an unevaluable statement makes the answer incomplete", policy: mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:TokenIssueTime":"next tuesday"}}}]`),
			q: Question{Action: "s3:GetObject"}, outcome: Undecided, reason: "next tuesday"},
		{name: "a key compared as string and number is not complete", policy: mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"StringLike":{"aws:RequestTag/n":"1*"},"NumericLessThan":{"aws:RequestTag/n":"5"}}}]`),
			q: Question{Action: "s3:GetObject", Keys: map[string]KeyInfo{"aws:RequestTag/n": {Type: TypeNumber}}}, want: never,
			outcome: Undecided, reason: "compared as string, numeric"},
		{name: "session tags make principal tags caller-chosen", policy: mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"admins"}}}]`),
			q: Question{Action: "s3:GetObject", Keys: map[string]KeyInfo{"aws:PrincipalTag/*": {Class: KeyCallerChosen}}}, outcome: Exists},
		{name: "principal tags are facts by default", policy: mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"admins"}}}]`),
			q: Question{Action: "s3:GetObject", Fixed: map[string][]string{"aws:PrincipalTag/team": {"dev"}}}, outcome: NoneExists},
		{name: "no condition is one evaluation", policy: mustIdentity(t, `[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]`),
			q: Question{Action: "s3:GetObject"}, outcome: Exists},
		{name: "a statement for another resource adds no key", policy: mustIdentity(t, `[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a/*"},
			{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:RequestTag/x":"y"}}}]`),
			q: Question{Action: "s3:GetObject", Resource: "arn:aws:s3:::a/k"}, outcome: Exists},
	})
}

func TestExistsLayers(t *testing.T) {
	t.Parallel()
	set := PolicySet{
		Identity: []NamedPolicy{{Name: "id", Doc: mustDoc(t, `[{"Effect":"Allow","Action":"*","Resource":"*"}]`)}},
		Boundary: &NamedPolicy{Name: "b", Doc: mustDoc(t, `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]`)},
		SCPLevels: [][]NamedPolicy{{{Name: "root", Doc: mustDoc(t, `[{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}]`)}}},
	}
	c, err := Compile(set)
	if err != nil {
		t.Fatal(err)
	}
	q := &Question{Principal: testRole, Action: "s3:GetObject", Resource: "*"}
	a := c.ExistsAllowed(q)
	if a.Found == nil {
		t.Fatalf("got %+v, want a witness", a)
	}
	if v, _ := value(*a.Found, "aws:RequestedRegion"); v != "us-east-1" {
		t.Errorf("got region %q, want us-east-1 (the only one every layer allows)", v)
	}
	eu := c.Exists(q, allowAnd(func(w Witness) bool { v, _ := value(w, "aws:RequestedRegion"); return v != "us-east-1" }))
	if eu.Outcome() != NoneExists {
		t.Errorf("got %s (%q), want none-exists", eu.Outcome(), eu.Reason)
	}
}

func TestExistsTrustPrincipals(t *testing.T) {
	t.Parallel()
	roleTrust := mustTrust(t, `[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+provisioner+`:role/path/Provisioner"},"Action":"sts:AssumeRole"}]`)
	wildcardArn := mustTrust(t, `[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}}]`)
	service := mustTrust(t, `[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]`)
	notProvisioner := allowAnd(func(w Witness) bool { return !strings.Contains(w.Principal, provisioner) })
	runExistsCases(t, []existsCase{
		// want may look at a property of the principal only through a
		// partition pattern: here, "is a session ARN".
		{name: "role principal admits the role's sessions", policy: roleTrust,
			q:    Question{Action: "sts:AssumeRole", PrincipalPartition: []string{"arn:aws:sts::*:assumed-role/*"}},
			want: allowAnd(func(w Witness) bool { return strings.Contains(w.Principal, ":assumed-role/Provisioner") }), outcome: Exists},
		{name: "role principal admits nobody in another account", policy: roleTrust, q: Question{Action: "sts:AssumeRole"}, want: notProvisioner, outcome: NoneExists},
		{name: "wildcard principal with an ArnLike on the role name admits any account", policy: wildcardArn, q: Question{Action: "sts:AssumeRole"},
			want: notProvisioner, outcome: Exists, check: func(t *testing.T, w *Witness) {
				if !strings.HasSuffix(w.Principal, ":role/admin") {
					t.Errorf("got principal %q", w.Principal)
				}
			}},
		{name: "service principal admits only the service", policy: service, q: Question{Action: "sts:AssumeRole"},
			want: allowAnd(func(w Witness) bool { return !strings.EqualFold(w.Principal, "lambda.amazonaws.com") }), outcome: NoneExists},
		{name: "service principal in another case", policy: service,
			q:    Question{Action: "sts:AssumeRole", PrincipalPartition: []string{"lambda.amazonaws.com"}},
			want: allowAnd(func(w Witness) bool { return w.Principal != "lambda.amazonaws.com" }), outcome: Exists},
		{name: "principal domain restricts the witnesses", policy: wildcardArn,
			q: Question{Action: "sts:AssumeRole", PrincipalDomain: []string{"arn:aws:iam::" + provisioner + ":*"}}, want: notProvisioner, outcome: NoneExists},
	})
}

func TestWitnessString(t *testing.T) {
	t.Parallel()
	w := Witness{Chosen: []ChosenValue{{Key: "a", Values: []string{"x"}}, {Key: "b"}, {Key: "c", Values: []string{"1", "2"}}}}
	if got, want := w.String(), `a="x" b=(absent) c=["1","2"]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := (&Witness{}).String(); got != "(no caller-chosen key)" {
		t.Errorf("got %s", got)
	}
}

func TestExistsCacheAndCopies(t *testing.T) {
	t.Parallel()
	stmts := `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:RequestTag/env":"prod-*"}}}]`
	a, b := mustIdentity(t, stmts), mustIdentity(t, stmts)
	shared := &WitnessCache{}
	q := &Question{Principal: testRole, Action: "s3:GetObject", Resource: "*", Cache: shared}
	first := a.ExistsAllowed(q)
	if first.Found == nil {
		t.Fatalf("got %+v, want a witness", first)
	}
	first.Found.Context["aws:RequestTag/env"][0] = "changed"
	first.Found.Chosen[0].Values[0] = "changed"
	if got := len(shared.dims); got != 1 {
		t.Errorf("got %d cached dimensions, want 1", got)
	}
	second := b.ExistsAllowed(q)
	if second.Found == nil || second.Found.String() != `aws:RequestTag/env="prod-"` {
		t.Fatalf("second policy set got %+v, want the same witness from the shared cache", second.Found)
	}
	if got := len(shared.dims); got != 1 {
		t.Errorf("got %d cached dimensions after the second policy set, want 1 (shared)", got)
	}
	// Concurrent questions on one policy set.
	done := make(chan Answer, 8)
	for i := 0; i < 8; i++ {
		go func() { done <- a.ExistsAllowed(&Question{Principal: testRole, Action: "s3:GetObject", Resource: "*"}) }()
	}
	for i := 0; i < 8; i++ {
		if got := <-done; got.Found == nil || got.Found.String() != `aws:RequestTag/env="prod-"` {
			t.Errorf("concurrent question got %+v", got)
		}
	}
}

func TestExistsBadQuestions(t *testing.T) {
	t.Parallel()
	c := mustIdentity(t, `[{"Effect":"Allow","Action":"*","Resource":"*"}]`)
	for _, tc := range []struct {
		name string
		q    *Question
		want string
	}{
		{"nil", nil, "no question"},
		{"no action", &Question{Principal: testRole}, "names no action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := c.ExistsAllowed(tc.q)
			if a.Outcome() != Undecided || !strings.Contains(a.Reason, tc.want) {
				t.Errorf("got %s %q, want undecided with %q", a.Outcome(), a.Reason, tc.want)
			}
		})
	}
}
