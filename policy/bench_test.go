package policy

import (
	"fmt"
	"strings"
	"testing"
)

// Benchmarks reuse the Pennsieve scenarios of the corpus so that they
// measure the policies the audit actually evaluates.

// corpusCaseNamed finds a case by file and name.
func corpusCaseNamed(tb testing.TB, file, name string) *corpusCase {
	tb.Helper()
	for _, c := range loadCorpus(tb)[file] {
		if c.Name == name {
			c := c
			return &c
		}
	}
	tb.Fatalf("no corpus case %s/%s", file, name)
	return nil
}

func compileCase(tb testing.TB, c *corpusCase) *Compiled {
	tb.Helper()
	set, err := c.policySet()
	if err != nil {
		tb.Fatal(err)
	}
	comp, err := Compile(set)
	if err != nil {
		tb.Fatal(err)
	}
	return comp
}

// crossAccountProbes are typical probes against the cross-account role.
func crossAccountProbes() []struct {
	name string
	req  *Request
	want Decision
} {
	const principal = "arn:aws:iam::111122223333:role/Pennsieve-CrossAccount"
	acct := []string{"111122223333"}
	return []struct {
		name string
		req  *Request
		want Decision
	}{
		{"create-role-with-boundary", &Request{Principal: principal, Action: "iam:CreateRole", Resource: "arn:aws:iam::111122223333:role/Pennsieve-dev-fn",
			Context: map[string][]string{"iam:PermissionsBoundary": {"arn:aws:iam::111122223333:policy/pennsieve-boundary-n1"}, "aws:ResourceAccount": acct}}, Allow},
		{"create-role-without-boundary", &Request{Principal: principal, Action: "iam:CreateRole", Resource: "arn:aws:iam::111122223333:role/Pennsieve-dev-fn",
			Context: map[string][]string{"aws:ResourceAccount": acct}}, ExplicitDeny},
		{"delete-boundary", &Request{Principal: principal, Action: "iam:DeleteRolePermissionsBoundary", Resource: "arn:aws:iam::111122223333:role/Pennsieve-dev-fn",
			Context: map[string][]string{"aws:ResourceAccount": acct}}, ExplicitDeny},
		{"workflow-bucket-read", &Request{Principal: principal, Action: "s3:GetObject", Resource: "arn:aws:s3:::pennsieve-workflow-x/k",
			Context: map[string][]string{"aws:ResourceAccount": acct}}, Allow},
		{"unlisted-service", &Request{Principal: principal, Action: "rds:CreateDBInstance", Resource: "arn:aws:rds:us-east-1:111122223333:db:x",
			Context: map[string][]string{"aws:ResourceAccount": acct}}, ImplicitDeny},
	}
}

func BenchmarkEvaluateCrossAccount(b *testing.B) {
	comp := compileCase(b, corpusCaseNamed(b, "pennsieve", "cross-account role creates a role with the boundary"))
	for _, p := range crossAccountProbes() {
		b.Run(p.name, func(b *testing.B) {
			if got := comp.Evaluate(p.req).Decision; got != p.want {
				b.Fatalf("got %s, want %s", got, p.want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = comp.Evaluate(p.req)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

// hundredStatements builds a 100-statement policy over many services with
// resource patterns and some conditions; only the last statement allows the
// probe.
func hundredStatements(tb testing.TB) *Document {
	tb.Helper()
	services := []string{"s3", "ec2", "lambda", "logs", "kms", "dynamodb", "sqs", "sns", "ecs", "states"}
	var stmts []string
	for i := 0; i < 99; i++ {
		svc := services[i%len(services)]
		cond := ""
		if i%3 == 0 {
			cond = fmt.Sprintf(`,"Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]},"StringLike":{"aws:PrincipalTag/team":"team-%d-*"}}`, i)
		}
		effect := "Allow"
		if i%10 == 9 {
			effect = "Deny"
		}
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%d","Effect":%q,"Action":["%s:Get*","%s:List*","%s:Describe%d*"],"Resource":["arn:aws:%s:*:111122223333:thing-%d/*","arn:aws:%s:us-east-1:*:other-%d"]%s}`,
			i, effect, svc, svc, svc, i, svc, i, svc, i, cond))
	}
	stmts = append(stmts, `{"Sid":"Last","Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::111122223333:role/target"}`)
	doc := `{"Version":"2012-10-17","Statement":[`
	for i, s := range stmts {
		if i > 0 {
			doc += ","
		}
		doc += s
	}
	doc += "]}"
	d, err := ParseString(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func Benchmark100Statements(b *testing.B) {
	comp, err := Compile(PolicySet{Identity: []NamedPolicy{{Name: "big", Doc: hundredStatements(b)}}})
	if err != nil {
		b.Fatal(err)
	}
	probes := []struct {
		name string
		req  *Request
		want Decision
	}{
		{"allow-last", &Request{Action: "iam:GetRole", Resource: "arn:aws:iam::111122223333:role/target",
			Context: map[string][]string{"aws:RequestedRegion": {"us-east-1"}, "aws:PrincipalTag/team": {"team-3-a"}}}, Allow},
		{"conditional-match", &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:us-east-1:111122223333:thing-30/x",
			Context: map[string][]string{"aws:RequestedRegion": {"us-east-1"}, "aws:PrincipalTag/team": {"team-30-a"}}}, Allow},
		{"no-match", &Request{Action: "rds:DeleteDBInstance", Resource: "arn:aws:rds:us-east-1:111122223333:db:x"}, ImplicitDeny},
	}
	for _, p := range probes {
		b.Run(p.name, func(b *testing.B) {
			if got := comp.Evaluate(p.req).Decision; got != p.want {
				b.Fatalf("got %s, want %s", got, p.want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = comp.Evaluate(p.req)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

func BenchmarkBoundaryAndTwoSCPLevels(b *testing.B) {
	comp := compileCase(b, corpusCaseNamed(b, "pennsieve", "child role under boundary and two SCP levels writes logs"))
	probes := []struct {
		name string
		req  *Request
		want Decision
	}{
		{"allow-all-layers", &Request{Principal: "arn:aws:iam::111122223333:role/Pennsieve-dev-processor", Action: "logs:PutLogEvents",
			Resource: "arn:aws:logs:us-east-1:111122223333:log-group:/pennsieve/n1:log-stream:s", Context: map[string][]string{"aws:RequestedRegion": {"us-east-1"}}}, Allow},
		{"boundary-lacks", &Request{Principal: "arn:aws:iam::111122223333:role/Pennsieve-dev-processor", Action: "iam:CreateRole",
			Resource: "arn:aws:iam::111122223333:role/x", Context: map[string][]string{"aws:RequestedRegion": {"us-east-1"}}}, ImplicitDeny},
		{"scp-region-deny", &Request{Principal: "arn:aws:iam::111122223333:role/Pennsieve-dev-processor", Action: "logs:PutLogEvents",
			Resource: "arn:aws:logs:eu-west-1:111122223333:log-group:/pennsieve/n1", Context: map[string][]string{"aws:RequestedRegion": {"eu-west-1"}}}, ExplicitDeny},
	}
	for _, p := range probes {
		b.Run(p.name, func(b *testing.B) {
			if got := comp.Evaluate(p.req).Decision; got != p.want {
				b.Fatalf("got %s, want %s", got, p.want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = comp.Evaluate(p.req)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

func BenchmarkCompileCrossAccount(b *testing.B) {
	c := corpusCaseNamed(b, "pennsieve", "cross-account role creates a role with the boundary")
	set, err := c.policySet()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(set); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEvaluateDoesNotAllocate pins the "no allocation per Evaluate" promise
// for decisions made by a single statement (or none).
func TestEvaluateDoesNotAllocate(t *testing.T) {
	comp := compileCase(t, corpusCaseNamed(t, "pennsieve", "cross-account role creates a role with the boundary"))
	for _, p := range crossAccountProbes() {
		t.Run(p.name, func(t *testing.T) {
			if got := comp.Evaluate(p.req).Decision; got != p.want {
				t.Fatalf("got %s, want %s", got, p.want)
			}
			if n := testing.AllocsPerRun(100, func() { _ = comp.Evaluate(p.req) }); n != 0 {
				t.Errorf("got %v allocations per Evaluate, want 0", n)
			}
		})
	}
}

// existsProbes are existential questions against the cross-account role:
// the promise checks ask them for every action and resource pattern.
func existsProbes() []struct {
	name    string
	q       *Question
	want    func(Witness) bool
	outcome Outcome
} {
	const principal = "arn:aws:iam::111122223333:role/Pennsieve-CrossAccount"
	n1, n2 := "arn:aws:iam::111122223333:policy/pennsieve-boundary-n1", "arn:aws:iam::111122223333:policy/pennsieve-boundary-n2"
	outside := func(w Witness) bool {
		v := w.Context["iam:PermissionsBoundary"]
		return w.Result.Decision == Allow && (len(v) == 0 || (v[0] != n1 && v[0] != n2))
	}
	inside := func(w Witness) bool { return w.Result.Decision == Allow }
	q := func(action, resource string, keys map[string]KeyInfo) *Question {
		return &Question{Principal: principal, Action: action, Resource: resource, ResourceAccount: "111122223333", Keys: keys}
	}
	promise := map[string]KeyInfo{"iam:PermissionsBoundary": {Partition: []string{n1, n2}}}
	return []struct {
		name    string
		q       *Question
		want    func(Witness) bool
		outcome Outcome
	}{
		{"create-role-outside-promise", q("iam:CreateRole", "arn:aws:iam::111122223333:role/Pennsieve-dev-fn", promise), outside, Exists},
		{"remove-boundary", q("iam:DeleteRolePermissionsBoundary", "arn:aws:iam::111122223333:role/Pennsieve-dev-fn", nil), inside, NoneExists},
		{"workflow-bucket-read", q("s3:GetObject", "arn:aws:s3:::pennsieve-workflow-x/k", nil), inside, Exists},
		{"unlisted-service", q("rds:CreateDBInstance", "arn:aws:rds:us-east-1:111122223333:db:x", nil), inside, NoneExists},
	}
}

func BenchmarkExistsCrossAccount(b *testing.B) {
	comp := compileCase(b, corpusCaseNamed(b, "pennsieve", "cross-account role creates a role with the boundary"))
	for _, p := range existsProbes() {
		b.Run(p.name, func(b *testing.B) {
			if a := comp.Exists(p.q, p.want); a.Outcome() != p.outcome {
				b.Fatalf("got %s (%s), want %s", a.Outcome(), a.Reason, p.outcome)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = comp.Exists(p.q, p.want)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "questions/s")
		})
	}
}

// BenchmarkExistsColdCache is the boundary question with nothing cached:
// the first question about a set of conditions.
func BenchmarkExistsColdCache(b *testing.B) {
	comp := compileCase(b, corpusCaseNamed(b, "pennsieve", "cross-account role creates a role with the boundary"))
	p := existsProbes()[0]
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		q := *p.q
		q.Cache = &WitnessCache{}
		if a := comp.Exists(&q, p.want); a.Outcome() != p.outcome {
			b.Fatalf("got %s", a.Outcome())
		}
	}
}

func BenchmarkExistsTrustOpenPrincipal(b *testing.B) {
	d, err := ParseString(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
		"Condition":{"StringEquals":{"aws:PrincipalAccount":"941377122013","sts:ExternalId":"pennsieve-123"}}}]}`)
	if err != nil {
		b.Fatal(err)
	}
	trust, err := CompileTrust("trust", d)
	if err != nil {
		b.Fatal(err)
	}
	q := &Question{Action: "sts:AssumeRole", Resource: "*"}
	other := func(w Witness) bool {
		return w.Result.Decision == Allow && !strings.Contains(w.Principal, "941377122013")
	}
	if a := trust.Exists(q, other); a.Outcome() != NoneExists {
		b.Fatalf("got %s (%s)", a.Outcome(), a.Reason)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = trust.Exists(q, other)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "questions/s")
}

func BenchmarkExists100Statements(b *testing.B) {
	comp, err := Compile(PolicySet{Identity: []NamedPolicy{{Name: "big", Doc: hundredStatements(b)}}})
	if err != nil {
		b.Fatal(err)
	}
	q := &Question{Action: "s3:GetObject", Resource: "arn:aws:s3:us-east-1:111122223333:thing-30/x",
		Fixed: map[string][]string{"aws:PrincipalTag/team": {"team-30-a"}}}
	if a := comp.ExistsAllowed(q); a.Outcome() != Exists {
		b.Fatalf("got %s (%s)", a.Outcome(), a.Reason)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = comp.ExistsAllowed(q)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "questions/s")
}
