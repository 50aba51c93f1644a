package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/reports"
)

// ---- a generator of policy sets and requests ----

type genStmt struct {
	Sid         string                       `json:"Sid,omitempty"`
	Effect      string                       `json:"Effect"`
	Action      []string                     `json:"Action,omitempty"`
	NotAction   []string                     `json:"NotAction,omitempty"`
	Resource    []string                     `json:"Resource,omitempty"`
	NotResource []string                     `json:"NotResource,omitempty"`
	Principal   string                       `json:"Principal,omitempty"`
	Condition   map[string]map[string]string `json:"Condition,omitempty"`
}

type genDoc struct {
	Version   string    `json:"Version"`
	Statement []genStmt `json:"Statement"`
}

// genSet is a policy set as the generator made it: documents, and how the
// line writes them.
type genSet struct {
	identity []genDoc
	boundary *genDoc
	levels   [][]genDoc // nil: no SCPs
	asSCPs   bool       // one level, written as "scps"
	session  []genDoc
}

var (
	genActions = []string{"s3:GetObject", "s3:PutObject", "S3:getobject", "s3:Get*", "s3:*", "*", "iam:CreateRole", "iam:PassRole",
		"iam:*", "ec2:Describe*", "kms:Decrypt", "sts:AssumeRole", "lambda:Invoke?unction", "organizations:LeaveOrganization"}
	genResources = []string{"*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/k", "arn:aws:iam::111122223333:role/Pennsieve-*",
		"arn:aws:iam::*:role/${aws:username}", "arn:aws:kms:us-east-1:111122223333:key/*", "arn:aws:s3:::pennsieve-*"}
	genConds = []map[string]map[string]string{
		{"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
		{"StringNotLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/pennsieve-boundary-*"}},
		{"Bool": {"aws:SecureTransport": "true"}},
		{"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
		{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
		{"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}},
		{"Null": {"aws:TokenIssueTime": "false"}},
		{"StringEqualsIfExists": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
		{"NumericLessThan": {"aws:MultiFactorAuthAge": "one hour"}}, // cannot be evaluated
	}
	genSids = []string{"", "", "S1", "Deny<All>&", "Ünïcode", "tab\there", "quote\"d"}
	// request parts
	genReqActions   = []string{"s3:GetObject", "s3:PutObject", "iam:CreateRole", "iam:PassRole", "ec2:DescribeInstances", "kms:Decrypt", "sts:AssumeRole", "lambda:InvokeFunction", "organizations:LeaveOrganization", "rds:CreateDBInstance"}
	genReqResources = []string{"", "*", "arn:aws:s3:::b/k", "arn:aws:s3:::other/k", "arn:aws:iam::111122223333:role/Pennsieve-x", "arn:aws:iam::111122223333:role/alice", "arn:aws:kms:us-east-1:111122223333:key/1"}
	genPrincipals   = []string{"", "arn:aws:iam::111122223333:role/Pennsieve-CrossAccount", "arn:aws:iam::111122223333:user/alice"}
	genContext      = map[string][]string{
		"aws:RequestedRegion":     {"us-east-1", "eu-west-1"},
		"iam:PermissionsBoundary": {"arn:aws:iam::111122223333:policy/pennsieve-boundary-1", "arn:aws:iam::111122223333:policy/Admin"},
		"aws:SecureTransport":     {"true", "false"},
		"aws:MultiFactorAuthAge":  {"30", "7200"},
		"aws:SourceIp":            {"10.1.2.3", "192.0.2.1"},
		"aws:TagKeys":             {"env", "owner"},
		"aws:TokenIssueTime":      {"2026-01-01T00:00:00Z"},
		"aws:ResourceAccount":     {"111122223333", "444455556666"},
	}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

func genDocument(r *rand.Rand, broken bool) genDoc {
	d := genDoc{Version: pick(r, []string{"2012-10-17", "2012-10-17", "2008-10-17"})}
	for k := 1 + r.Intn(5); k > 0; k-- {
		st := genStmt{Sid: pick(r, genSids), Effect: pick(r, []string{"Allow", "Allow", "Deny"})}
		acts := []string{pick(r, genActions)}
		if r.Intn(2) == 0 {
			acts = append(acts, pick(r, genActions))
		}
		if r.Intn(6) == 0 {
			st.NotAction = acts
		} else {
			st.Action = acts
		}
		res := []string{pick(r, genResources)}
		if r.Intn(6) == 0 {
			st.NotResource = res
		} else {
			st.Resource = res
		}
		if r.Intn(3) == 0 {
			st.Condition = pick(r, genConds)
		}
		d.Statement = append(d.Statement, st)
	}
	if broken {
		switch r.Intn(3) {
		case 0:
			d.Statement[0].Effect = "Maybe"
		case 1:
			d.Statement[0].Principal = "*"
		default:
			d.Statement[0].Resource, d.Statement[0].NotResource = nil, nil
		}
	}
	return d
}

func genPolicySet(r *rand.Rand) genSet {
	broken := r.Intn(15) == 0
	var s genSet
	for k := r.Intn(3); k >= 0; k-- {
		s.identity = append(s.identity, genDocument(r, broken && k == 0))
	}
	if r.Intn(2) == 0 {
		b := genDocument(r, false)
		s.boundary = &b
	}
	switch r.Intn(3) {
	case 1:
		s.levels, s.asSCPs = [][]genDoc{{genDocument(r, false)}}, true
	case 2:
		for k := 1 + r.Intn(2); k > 0; k-- {
			s.levels = append(s.levels, []genDoc{genDocument(r, false), genDocument(r, false)})
		}
	}
	if r.Intn(5) == 0 {
		s.session = []genDoc{genDocument(r, false)}
	}
	return s
}

type genRequest struct {
	Principal string              `json:"principal,omitempty"`
	Action    string              `json:"action"`
	Resource  string              `json:"resource,omitempty"`
	Context   map[string][]string `json:"context,omitempty"`
}

func genReq(r *rand.Rand) genRequest {
	q := genRequest{Principal: pick(r, genPrincipals), Action: pick(r, genReqActions), Resource: pick(r, genReqResources)}
	for k, vs := range genContext {
		if r.Intn(3) == 0 {
			if q.Context == nil {
				q.Context = map[string][]string{}
			}
			q.Context[k] = []string{pick(r, vs)}
			if k == "aws:TagKeys" && r.Intn(2) == 0 {
				q.Context[k] = vs
			}
		}
	}
	return q
}

// encodeDoc writes a document as an object, a JSON string or a URL-encoded
// string (form 0, 1, 2), with or without spaces.
func encodeDoc(t testing.TB, d genDoc, form int, spaced bool) string {
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if spaced {
		b = bytes.ReplaceAll(b, []byte(`,"`), []byte(`, "`))
	}
	switch form {
	case 1:
		b, _ = json.Marshal(string(b))
	case 2:
		b, _ = json.Marshal(url.PathEscape(string(b)))
	}
	return string(b)
}

func encodeList(t testing.TB, docs []genDoc, form int, spaced bool) string {
	parts := make([]string, len(docs))
	for i, d := range docs {
		parts[i] = encodeDoc(t, d, form, spaced)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// line writes the set and the request as a batch line.
func (s genSet) line(t testing.TB, q genRequest, form int, spaced bool) string {
	var members []string
	members = append(members, `"identity_policies":`+encodeList(t, s.identity, form, spaced))
	if s.boundary != nil {
		members = append(members, `"boundary":`+encodeDoc(t, *s.boundary, form, spaced))
	} else if form == 1 {
		members = append(members, `"boundary":null`)
	}
	if s.asSCPs {
		members = append(members, `"scps":`+encodeList(t, s.levels[0], form, spaced))
	} else if s.levels != nil {
		lv := make([]string, len(s.levels))
		for i, l := range s.levels {
			lv[i] = encodeList(t, l, form, spaced)
		}
		members = append(members, `"scp_levels":[`+strings.Join(lv, ",")+"]")
	}
	if s.session != nil {
		members = append(members, `"session_policies":`+encodeList(t, s.session, form, spaced))
	}
	rq, _ := json.Marshal(q)
	members = append(members, `"request":`+string(rq))
	if form == 2 { // the request first
		members = append(members[len(members)-1:], members[:len(members)-1]...)
	}
	return "{" + strings.Join(members, ",") + "}"
}

// expect answers a line the plain way: policy.Parse on each document,
// policy.Compile on the set, Evaluate, reports.NewDecision and
// encoding/json. ok is false when the set cannot be compiled (the batch must
// answer with an error).
func (s genSet) expect(t testing.TB, q genRequest) (answer string, ok bool) {
	named := func(d genDoc, name string) (policy.NamedPolicy, bool) {
		b, _ := json.Marshal(d)
		doc, err := policy.Parse(b)
		return policy.NamedPolicy{Name: name, Doc: doc}, err == nil
	}
	var set policy.PolicySet
	for i, d := range s.identity {
		np, ok := named(d, fmt.Sprintf("identity_policies[%d]", i))
		if !ok {
			return "", false
		}
		set.Identity = append(set.Identity, np)
	}
	if s.boundary != nil {
		np, ok := named(*s.boundary, "boundary")
		if !ok {
			return "", false
		}
		set.Boundary = &np
	}
	for l, lvl := range s.levels {
		var level []policy.NamedPolicy
		for i, d := range lvl {
			np, ok := named(d, fmt.Sprintf("scp_levels[%d][%d]", l, i))
			if !ok {
				return "", false
			}
			level = append(level, np)
		}
		set.SCPLevels = append(set.SCPLevels, level)
	}
	for i, d := range s.session {
		np, ok := named(d, fmt.Sprintf("session_policies[%d]", i))
		if !ok {
			return "", false
		}
		set.Session = append(set.Session, np)
	}
	comp, err := policy.Compile(set)
	if err != nil {
		return "", false
	}
	req := &policy.Request{Principal: q.Principal, Action: q.Action, Resource: q.Resource, Context: q.Context}
	if req.Resource == "" {
		req.Resource = "*"
	}
	b, err := json.Marshal(reports.NewDecision(comp.Evaluate(req)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

// genBatch makes n lines: most from a few repeated sets (in varying
// encodings, so that fields and sets hit and miss the cache), some from a
// new set each; want holds the expected answer or "" for an error.
func genBatch(t testing.TB, seed int64, n int) (lines []string, want []string) {
	r := rand.New(rand.NewSource(seed))
	sets := make([]genSet, 12)
	for i := range sets {
		sets[i] = genPolicySet(r)
	}
	for i := 0; i < n; i++ {
		s := pick(r, sets)
		if r.Intn(5) == 0 {
			s = genPolicySet(r)
		}
		q := genReq(r)
		lines = append(lines, s.line(t, q, r.Intn(3), r.Intn(4) == 0))
		w, ok := s.expect(t, q)
		if !ok {
			w = ""
		}
		want = append(want, w)
	}
	return lines, want
}

func runBatch(t testing.TB, input string, opt BatchOptions) (string, BatchStats, error) {
	t.Helper()
	var out bytes.Buffer
	st, err := SimulateBatchWith(context.Background(), "in.jsonl", strings.NewReader(input), &out, opt)
	return out.String(), st, err
}

// batchOptions are the ways the tests run a batch: the cache off, the
// defaults, and many small chunks over four workers with a cache so small
// that it evicts all the time.
var batchOptions = []struct {
	name string
	opt  BatchOptions
}{
	{"no cache, one worker", BatchOptions{Workers: 1, CacheEntries: -1}},
	{"defaults", BatchOptions{}},
	{"small chunks, 4 workers, tiny cache", BatchOptions{Workers: 4, ChunkBytes: 300, CacheEntries: 3, CacheBytes: 8 << 10}},
	{"one line per chunk, 3 workers", BatchOptions{Workers: 3, ChunkBytes: 1}},
}

// TestSimulateBatchMatchesCompileEvaluate is the differential test: every
// answer of the batch, whatever the cache and the workers, is the one the
// plain policy.Compile(…).Evaluate path gives, byte for byte; a line whose
// set cannot be compiled is answered with an error naming the line.
func TestSimulateBatchMatchesCompileEvaluate(t *testing.T) {
	t.Parallel()
	lines, want := genBatch(t, 1, 1500)
	input := strings.Join(lines, "\n") + "\n"
	for _, bo := range batchOptions {
		t.Run(bo.name, func(t *testing.T) {
			t.Parallel()
			out, st, err := runBatch(t, input, bo.opt)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(got) != len(want) {
				t.Fatalf("got %d answers, want %d", len(got), len(want))
			}
			errs := 0
			for i := range want {
				if want[i] == "" {
					errs++
					if prefix := fmt.Sprintf(`{"error":"line %d: `, i+1); !strings.HasPrefix(got[i], prefix) {
						t.Errorf("line %d: got %s, want an error starting %s", i+1, got[i], prefix)
					}
					continue
				}
				if got[i] != want[i] {
					t.Errorf("line %d: got\n%s\nwant\n%s\nline: %s", i+1, got[i], want[i], lines[i])
				}
			}
			if errs == 0 || errs == len(want) {
				t.Errorf("%d error lines of %d: the generator should make some, not all", errs, len(want))
			}
			if st.Answers != int64(len(want)) || st.Errors != int64(errs) {
				t.Errorf("stats %+v, want %d answers and %d errors", st, len(want), errs)
			}
			if bo.opt.CacheEntries >= 0 && (st.SetHits == 0 || st.FastLines == 0) {
				t.Errorf("stats %+v: the cache was never used", st)
			}
			if bo.opt.CacheEntries < 0 && (st.SetHits != 0 || st.FieldHits != 0) {
				t.Errorf("stats %+v: hits with the cache off", st)
			}
		})
	}
}

// TestSimulateBatchCacheHitEqualsMiss asks the same lines twice in one
// batch: the second time every field and set comes from the cache (the
// fast path), and each answer must equal the first.
func TestSimulateBatchCacheHitEqualsMiss(t *testing.T) {
	t.Parallel()
	ok := `{"identity_policies":[{"Version":"2012-10-17","Statement":[{"Sid":"Long-enough-to-be-indexed-by-its-prefix","Effect":"Allow","Action":"s3:*","Resource":"*"}]}],"boundary":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]},"request":{"action":"%s","resource":"arn:aws:s3:::b/k"}}`
	tests := []struct {
		name string
		line string
	}{
		{"allow", fmt.Sprintf(ok, "s3:GetObject")},
		{"boundary deny", fmt.Sprintf(ok, "s3:DeleteObject")},
		{"implicit deny", fmt.Sprintf(ok, "iam:CreateRole")},
		{"short fields", `{"identity_policies":[],"scps":[],"request":{"action":"s3:GetObject"}}`},
		{"string policy", `{"identity_policies":["{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"],"request":{"action":"s3:GetObject"}}`},
		{"unparsable policy", `{"identity_policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}],"request":{"action":"s3:GetObject"}}`},
		{"scp levels", `{"identity_policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}],"scp_levels":[[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}],[]],"request":{"action":"s3:GetObject"}}`},
		{"context", `{"identity_policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"60"}}}]}],"request":{"action":"s3:GetObject","context":{"aws:MultiFactorAuthAge":30}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cold, _, err := runBatch(t, tt.line+"\n", BatchOptions{CacheEntries: -1})
			if err != nil {
				t.Fatal(err)
			}
			out, st, err := runBatch(t, tt.line+"\n"+tt.line+"\n", BatchOptions{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			ans := strings.SplitAfter(out, "\n")
			want2 := strings.Replace(cold, "line 1:", "line 2:", 1)
			if ans[0] != cold || ans[1] != want2 {
				t.Errorf("got\n%s%swant\n%s%s", ans[0], ans[1], cold, want2)
			}
			if st.FastLines != 1 {
				t.Errorf("stats %+v: want the second line on the fast path", st)
			}
		})
	}
}

// TestSimulateBatchMalformedLines puts each malformed line between two good
// ones whose policy fields it reuses, so the fast path sees it with a warm
// cache: the answer is an error naming its line, never a decision, and the
// batch goes on.
func TestSimulateBatchMalformedLines(t *testing.T) {
	t.Parallel()
	pol := `[{"Version":"2012-10-17","Statement":[{"Sid":"AllowEverythingForTheTestPadding","Effect":"Allow","Action":"*","Resource":"*"}]}]`
	good := `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject"}}`
	tests := []struct {
		name string
		line string
		want string // in the error
	}{
		{"truncated", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject"}`, "unexpected end of input"},
		{"trailing data", good + `x`, "unexpected data after the JSON value"},
		{"second value", good + good, "unexpected data after the JSON value"},
		{"field given twice", `{"identity_policies":` + pol + `,"identity_policies":` + pol + `,"request":{"action":"s3:GetObject"}}`, `duplicate key \"identity_policies\"`},
		{"field then null", `{"identity_policies":` + pol + `,"identity_policies":null,"request":{"action":"s3:GetObject"}}`, `duplicate key \"identity_policies\"`},
		{"request twice", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject"},"request":{"action":"iam:PassRole"}}`, `duplicate key \"request\"`},
		{"key twice in request", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject","action":"iam:PassRole"}}`, `duplicate key \"action\"`},
		{"escaped duplicate key", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject","\u0061ction":"iam:PassRole"}}`, `duplicate key \"action\"`},
		{"context key twice", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject","context":{"k":"a","k":"b"}}}`, `duplicate key \"k\"`},
		{"garbage after field", `{"identity_policies":` + pol + `],"request":{"action":"s3:GetObject"}}`, "invalid character"},
		{"field glued to key", `{"identity_policies":` + pol + `"request":{"action":"s3:GetObject"}}`, "invalid character"},
		{"unknown key", `{"identity_policies":` + pol + `,"extra":1,"request":{"action":"s3:GetObject"}}`, `unknown key \"extra\"`},
		{"unknown request key", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject","Action":"x"}}`, `request: unknown key \"Action\"`},
		{"case-folded top key", `{"Identity_Policies":` + pol + `,"request":{"action":"s3:GetObject"}}`, `unknown key \"Identity_Policies\"`},
		{"action a number", `{"identity_policies":` + pol + `,"request":{"action":7}}`, "request.action: must be a string, got a number"},
		{"no action", `{"identity_policies":` + pol + `,"request":{"resource":"*"}}`, "request.action is required"},
		{"empty action", `{"identity_policies":` + pol + `,"request":{"action":""}}`, "request.action is required"},
		{"request null", `{"identity_policies":` + pol + `,"request":null}`, "request.action is required"},
		{"request a list", `{"identity_policies":` + pol + `,"request":[]}`, "request: must be an object, got a list"},
		{"context a list", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject","context":[]}}`, "request.context: must be an object"},
		{"context value null", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject","context":{"k":null}}}`, "got null"},
		{"context value object", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject","context":{"k":{}}}}`, "got an object"},
		{"context element list", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject","context":{"k":["a",["b"]]}}}`, "element 1"},
		{"invalid UTF-8 in request", `{"identity_policies":` + pol + `,"request":{"action":"s3:Get` + "\xff" + `"}}`, "invalid UTF-8"},
		{"control character", `{"identity_policies":` + pol + `,"request":{"action":"s3:Get` + "\x01" + `"}}`, "control character"},
		{"not an object", `[` + good + `]`, "must be a JSON object, got a list"},
		{"scps and scp_levels", `{"identity_policies":` + pol + `,"scps":[],"scp_levels":[],"request":{"action":"s3:GetObject"}}`, "give scp_levels or scps, not both"},
		{"identity not a list", `{"identity_policies":{"Version":"2012-10-17","Statement":[]},"request":{"action":"s3:GetObject"}}`, "identity_policies: must be a list of policies, got an object"},
		{"scp level null", `{"identity_policies":` + pol + `,"scp_levels":[null],"request":{"action":"s3:GetObject"}}`, "scp_levels[0]: must be a list of policies, got null"},
		{"policy null", `{"identity_policies":[null],"request":{"action":"s3:GetObject"}}`, "policy document is null"},
		{"boundary a number", `{"identity_policies":` + pol + `,"boundary":5.5,"request":{"action":"s3:GetObject"}}`, "must be a JSON object, got a number"},
		{"too deep", `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject","context":{"k":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}}}`, "nested more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			input := good + "\n" + tt.line + "\n" + good + "\n"
			for _, bo := range batchOptions {
				out, _, err := runBatch(t, input, bo.opt)
				if err != nil {
					t.Fatalf("%s: %v", bo.name, err)
				}
				ans := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				if len(ans) != 3 {
					t.Fatalf("%s: got %d answers, want 3:\n%s", bo.name, len(ans), out)
				}
				if !strings.HasPrefix(ans[0], `{"decision":"Allow"`) || !strings.HasPrefix(ans[2], `{"decision":"Allow"`) {
					t.Errorf("%s: the good lines got %s and %s", bo.name, ans[0], ans[2])
				}
				if !strings.HasPrefix(ans[1], `{"error":"line 2: `) || !strings.Contains(ans[1], tt.want) || strings.Contains(ans[1], `"decision"`) {
					t.Errorf("%s: got %s, want an error for line 2 containing %s", bo.name, ans[1], tt.want)
				}
			}
		})
	}
}

// TestSimulateBatchEquivalentSpellings are lines that are valid and mean
// the same as a cached one, written so that the fast path cannot take them:
// they must get the same answer.
func TestSimulateBatchEquivalentSpellings(t *testing.T) {
	t.Parallel()
	pol := `[{"Version":"2012-10-17","Statement":[{"Sid":"AllowS3ForTheTestWithSomePaddingText","Effect":"Allow","Action":"s3:*","Resource":"*"}]}]`
	good := `{"identity_policies":` + pol + `,"request":{"action":"s3:GetObject"}}`
	for _, line := range []string{
		`{"identity\u005fpolicies":` + pol + `,"request":{"action":"s3:GetObject"}}`,
		`{ "request" : { "action" : "s3:GetObject" } , "identity_policies" : ` + pol + ` }`,
		`{"identity_policies":` + pol + `,"request":{"\u0061ction":"s3:GetObject"}}`,
		`{"identity_policies":` + pol + `,"boundary":null,"scps":null,"request":{"action":"s3:GetObject","context":null,"principal":null}}`,
		"\t" + good + "\r",
	} {
		out, _, err := runBatch(t, good+"\n"+line+"\n", BatchOptions{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		ans := strings.SplitAfter(out, "\n")
		if ans[0] != ans[1] {
			t.Errorf("line %s: got %s, want %s", line, ans[1], ans[0])
		}
	}
}

// TestSimulateBatchOrder checks that answers keep the order of the lines
// under many workers and tiny chunks: each line asks for a different
// action, which the answer names through the deciding statement's Sid.
func TestSimulateBatchOrder(t *testing.T) {
	t.Parallel()
	var in strings.Builder
	const n = 400
	for i := 0; i < n; i++ {
		if i%7 == 3 {
			in.WriteString("\n  \n") // blank lines count, and get no answer
		}
		fmt.Fprintf(&in, `{"identity_policies":[{"Version":"2012-10-17","Statement":[{"Sid":"S%d","Effect":"Allow","Action":"svc:A%d","Resource":"*"}]}],"request":{"action":"svc:A%d"}}`+"\n", i, i, i)
	}
	for _, bo := range batchOptions {
		t.Run(bo.name, func(t *testing.T) {
			t.Parallel()
			out, _, err := runBatch(t, in.String(), bo.opt)
			if err != nil {
				t.Fatal(err)
			}
			ans := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(ans) != n {
				t.Fatalf("got %d answers, want %d", len(ans), n)
			}
			for i, a := range ans {
				if !strings.Contains(a, fmt.Sprintf(`"sid":"S%d"`, i)) {
					t.Fatalf("answer %d: %s", i, a)
				}
			}
		})
	}
}

// TestSimulateBatchLineNumbers: errors name the line in the file, blank
// lines counted.
func TestSimulateBatchLineNumbers(t *testing.T) {
	t.Parallel()
	in := "\n" + `{"request":{"action":"s3:GetObject"}}` + "\n\n \t\v\f\u00a0\nnot json\r\n" + `{"request":{}}`
	for _, bo := range batchOptions {
		out, _, err := runBatch(t, in, bo.opt)
		if err != nil {
			t.Fatal(err)
		}
		ans := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(ans) != 3 || !strings.HasPrefix(ans[0], `{"decision":"ImplicitDeny"`) ||
			!strings.HasPrefix(ans[1], `{"error":"line 5: `) || !strings.HasPrefix(ans[2], `{"error":"line 6: bad request line: request.action is required`) {
			t.Errorf("%s: got\n%s", bo.name, out)
		}
	}
}

// TestSimulateBatchHugeLine: a line over the limit stops the batch with an
// error naming it, after the answers to the lines before it; a line of
// exactly the limit (its newline included) is read.
func TestSimulateBatchHugeLine(t *testing.T) {
	t.Parallel()
	good := `{"request":{"action":"s3:GetObject"}}`
	pad := func(total int) string { // a valid line of total bytes with its newline
		return `{"request":{"action":"s3:GetObject"}` + strings.Repeat(" ", total-len(good)-1) + "}"
	}
	tests := []struct {
		name    string
		input   string
		answers int
		wantErr string
	}{
		{"at the limit", good + "\n" + pad(fsutil.MaxBatchLine) + "\n" + good + "\n", 3, ""},
		{"at the limit, last line without newline", good + "\n" + pad(fsutil.MaxBatchLine+1), 2, ""},
		{"one byte over", good + "\n" + pad(fsutil.MaxBatchLine+1) + "\n" + good + "\n", 1, "in.jsonl: line 2 is over the 8 MiB limit"},
		{"no newline at all", good + "\n\n" + strings.Repeat("x", fsutil.MaxBatchLine+10), 1, "in.jsonl: line 3 is over the 8 MiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, bo := range batchOptions[1:3] {
				out, _, err := runBatch(t, tt.input, bo.opt)
				if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Errorf("%s: got error %v, want %q", bo.name, err, tt.wantErr)
				}
				if n := strings.Count(out, "\n"); n != tt.answers || strings.Contains(out, "error") {
					t.Errorf("%s: got %d answers, want %d decisions:\n%.300s", bo.name, n, tt.answers, out)
				}
			}
		})
	}
}

// failingReader returns data, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestSimulateBatchReadError: a read error stops the batch with an error
// naming the line it cut; that line, perhaps incomplete, is not answered.
func TestSimulateBatchReadError(t *testing.T) {
	t.Parallel()
	good := `{"request":{"action":"s3:GetObject"}}`
	boom := errors.New("disk on fire")
	var out bytes.Buffer
	_, err := SimulateBatchWith(context.Background(), "in.jsonl", &failingReader{data: []byte(good + "\n" + good), err: boom}, &out, BatchOptions{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "in.jsonl: read line 2") {
		t.Errorf("got error %v, want the read error at line 2", err)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("got %d answers, want 1:\n%s", n, out.String())
	}
}

func TestSimulateBatchContextCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	_, err := SimulateBatchWith(ctx, "in.jsonl", strings.NewReader(`{"request":{"action":"s3:GetObject"}}`+"\n"), &out, BatchOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestSimulateBatchWriteError(t *testing.T) {
	t.Parallel()
	in := strings.Repeat(`{"request":{"action":"s3:GetObject"}}`+"\n", 20000)
	_, err := SimulateBatchWith(context.Background(), "in.jsonl", strings.NewReader(in), errWriter{}, BatchOptions{ChunkBytes: 100})
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("got %v, want the write error", err)
	}
}

// TestSimulateBatchHostileFiles runs the batch files of testdata/hostile
// through the cached path and the uncached one: the same answers.
func TestSimulateBatchHostileFiles(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "hostile", "batch", "*.jsonl"))
	files = append(files, filepath.Join("..", "testdata", "simulate", "batch.jsonl"))
	if len(files) < 2 {
		t.Fatal("no batch files")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in := string(data) + "\n" + string(data) // twice: the second time from the cache
		want, _, err := runBatch(t, in, BatchOptions{Workers: 1, CacheEntries: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, bo := range batchOptions[1:] {
			if got, _, _ := runBatch(t, in, bo.opt); got != want {
				t.Errorf("%s, %s: got\n%s\nwant\n%s", f, bo.name, got, want)
			}
		}
	}
}

// ---- the hand-written encoder ----

// TestBatchDecisionFields fails when reports.Decision changes shape, so
// that appendDecision is updated with it.
func TestBatchDecisionFields(t *testing.T) {
	var got []string
	for _, typ := range []reflect.Type{reflect.TypeOf(reports.Decision{}), reflect.TypeOf(policy.MatchedStatement{})} {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			got = append(got, f.Name+" "+f.Type.String()+" "+f.Tag.Get("json"))
		}
	}
	want := []string{
		"Principal string principal,omitempty", "Action string action,omitempty", "Resource string resource,omitempty",
		"Decision string decision", "Matched []policy.MatchedStatement matched", "MissingLayer policy.Layer missing_layer,omitempty",
		"MissingLevel *int missing_level,omitempty", "Unevaluable []string unevaluable,omitempty",
		"Layer policy.Layer layer", "Level int level,omitempty", "Policy string policy", "Index int index", "Sid string sid,omitempty", "Effect policy.Effect effect",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the answer types changed; update appendDecision and this list:\ngot  %q\nwant %q", got, want)
	}
}

// TestBatchEncodingMatchesEncodingJSON compares the hand-written encoder
// with encoding/json's on decisions full of characters that need escaping.
func TestBatchEncodingMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", `q"uote`, `back\slash`, "<script>&</script>", "tab\tnl\ncr\rbs\bff\f", "\x00\x01\x1f\x7f",
		"\u2028\u2029", "é ü 日本", "bad \xff utf8 \xc3", "\xed\xa0\x80", "policy[0]"}
	r := rand.New(rand.NewSource(5))
	for n := 0; n < 2000; n++ {
		s := func() string { return pick(r, strs) + pick(r, strs) }
		d := reports.Decision{Decision: s()}
		if r.Intn(4) == 0 {
			d.Principal, d.Action, d.Resource = s(), s(), s()
		}
		if r.Intn(3) > 0 {
			d.Matched = []policy.MatchedStatement{}
			for k := r.Intn(3); k > 0; k-- {
				d.Matched = append(d.Matched, policy.MatchedStatement{Layer: policy.Layer(s()), Level: r.Intn(3) - 1, Policy: s(), Index: r.Intn(100) - 5, Sid: s(), Effect: policy.Effect(s())})
			}
		}
		if r.Intn(3) == 0 {
			d.MissingLayer = policy.Layer(s())
			lvl := r.Intn(5) - 1
			d.MissingLevel = &lvl
		}
		if r.Intn(3) == 0 {
			d.Unevaluable = []string{s(), s()}
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(d); err != nil {
			t.Fatal(err)
		}
		if got := appendDecision(nil, &d); string(got) != want.String() {
			t.Fatalf("got  %s\nwant %s", got, want.String())
		}
		msg := s()
		want.Reset()
		_ = json.NewEncoder(&want).Encode(struct {
			Error string `json:"error"`
		}{msg})
		if got := appendErrorLine(nil, msg); string(got) != want.String() {
			t.Fatalf("error line: got  %s\nwant %s", got, want.String())
		}
	}
}

// FuzzSimulateBatchFastPath: a line answered after a line that warms the
// cache gets the answer it gets with the cache off.
func FuzzSimulateBatchFastPath(f *testing.F) {
	pol := `[{"Version":"2012-10-17","Statement":[{"Sid":"AllowEverythingForTheFuzzPadding","Effect":"Allow","Action":"*","Resource":"*"}]}]`
	warm := `{"identity_policies":` + pol + `,"boundary":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]},"request":{"action":"s3:GetObject"}}`
	f.Add(warm, warm)
	f.Add(warm, `{"identity_policies":`+pol+`,"request":{"action":"s3:GetObject"},"request":{"action":"x"}}`)
	f.Add(warm, `{"identity_policies":`+pol+`],"request":{"action":"s3:GetObject"}}`)
	f.Add(warm, `{"request":{"action":"iam:PassRole","context":{"a":["b",1,true]}},"identity_policies":`+pol+`}`)
	f.Fuzz(func(t *testing.T, warm, line string) {
		if strings.ContainsAny(warm+line, "\n") {
			return
		}
		in := warm + "\n" + line + "\n"
		want, _, err1 := runBatch(t, in, BatchOptions{Workers: 1, CacheEntries: -1})
		got, _, err2 := runBatch(t, in, BatchOptions{Workers: 1})
		if got != want || (err1 == nil) != (err2 == nil) {
			t.Fatalf("cached answers\n%s(%v)\nuncached\n%s(%v)", got, err2, want, err1)
		}
	})
}

func BenchmarkSimulateBatch(b *testing.B) {
	for _, mode := range []string{"repeated", "distinct"} {
		b.Run(mode, func(b *testing.B) {
			r := rand.New(rand.NewSource(9))
			sets := []genSet{genPolicySet(r), genPolicySet(r), genPolicySet(r)}
			var in strings.Builder
			const n = 2000
			for i := 0; i < n; i++ {
				s := pick(r, sets)
				if mode == "distinct" {
					s = genPolicySet(r)
				}
				in.WriteString(s.line(b, genReq(r), 0, false) + "\n")
			}
			data := in.String()
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := SimulateBatchWith(context.Background(), "bench", strings.NewReader(data), io.Discard, BatchOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}
