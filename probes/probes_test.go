package probes

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/testaccount"
	"github.com/pvaudit/pvaudit/inventory"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// fixture is one account of testdata/probes:
//
//	guarded    every guardrail the documents describe is in place
//	unguarded  the guardrails are gone: the cross-account role and every
//	           child and PAR role may do anything, child roles have no boundary
//	starved    the roles exist (child roles with their boundaries) but have no
//	           permissions, so what the documents say they can do fails
func fixture(t *testing.T, name string) *inventory.Snapshot {
	t.Helper()
	snap, err := inventory.ReadFile(filepath.Join("..", "testdata", "probes", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func runLocal(t *testing.T, snap *inventory.Snapshot, c *contract.Contract, opts Options) []Result {
	t.Helper()
	env := checks.NewEnv(snap, c, testNow)
	rs, err := Run(context.Background(), Expand(env, c, opts), NewLocal(snap, checks.NewEnv(snap, loadContract(t, "pennsieve"), testNow).PrincipalQuestion), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func loadContract(t *testing.T, name string) *contract.Contract {
	t.Helper()
	c, err := contract.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBuiltinRowsFireAndStayQuiet: every row of the built-in scenario
// tables passes on the guarded account and fires (FAIL, or WARN for
// conditional rows) on the account where its guardrail is missing: the
// unguarded account for rows promising a denial, the starved account for
// rows promising an allowance.
func TestBuiltinRowsFireAndStayQuiet(t *testing.T) {
	t.Parallel()
	// The starved account's policies name no EFS file system; give one.
	starvedVars := map[string]string{"file_system": "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-0probe"}
	for _, cname := range contract.Names() {
		c := loadContract(t, cname)
		guarded := runLocal(t, fixture(t, "guarded"), c, Options{NoGenerated: true})
		unguarded := runLocal(t, fixture(t, "unguarded"), c, Options{NoGenerated: true})
		starved := runLocal(t, fixture(t, "starved"), c, Options{NoGenerated: true, Vars: starvedVars})
		// Rows decided from the network (network: internet-egress) need a
		// runtime section: the compliant-mode sample stays quiet, its broken
		// twin (a default route through a transit gateway to a NAT) fires.
		netQuiet := runLocal(t, account(t, "modes-compliant.json"), c, Options{NoGenerated: true})
		netBroken := runLocal(t, account(t, "modes-compliant-broken.json"), c, Options{NoGenerated: true})
		for _, s := range c.Scenarios {
			t.Run(cname+"/"+s.ID, func(t *testing.T) {
				quietSet, unguardedSet := guarded, unguarded
				if s.Network != "" {
					quietSet, unguardedSet = netQuiet, netBroken
				}
				quiet := byScenario(quietSet, s.ID)
				if len(quiet) == 0 {
					t.Fatal("the row expands to nothing on the guarded account")
				}
				if s.Manual != "" {
					for _, r := range quiet {
						if r.Verdict != Manual {
							t.Errorf("manual row: verdict %s, want MANUAL", r.Verdict)
						}
					}
					return
				}
				for _, r := range quiet {
					if r.Verdict != Pass {
						t.Errorf("guarded: %s %s on %s: verdict %s (%s), want PASS", r.Principal.Name, r.Action(), r.Resource(), r.Verdict, r.Local.Explain())
					}
				}
				broken, brokenName := unguardedSet, "unguarded"
				if s.Expect == contract.ExpectAllowed {
					broken, brokenName = starved, "starved"
				}
				want := Fail
				if s.When != "" {
					want = Warn
				}
				fired := 0
				for _, r := range byScenario(broken, s.ID) {
					if r.Verdict == want {
						fired++
					}
				}
				if fired == 0 {
					t.Errorf("%s: no probe of the row has verdict %s; the row cannot catch a missing guardrail", brokenName, want)
				}
			})
		}
	}
}

func byScenario(rs []Result, id string) []*Result {
	var out []*Result
	for i := range rs {
		if rs[i].ScenarioID == id {
			out = append(out, &rs[i])
		}
	}
	return out
}

// TestGeneratedProbes: escalation and isolation probes pass on the guarded
// account and fire on the unguarded one, with the statement that allowed
// the request.
func TestGeneratedProbes(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "pennsieve")
	guarded := runLocal(t, fixture(t, "guarded"), c, Options{})
	unguarded := runLocal(t, fixture(t, "unguarded"), c, Options{})
	tests := []struct {
		scenario string
		origin   Origin
	}{
		{"escalation-edit-boundary", FromEscalation},
		{"escalation-self-made-boundary", FromEscalation},
		{"escalation-customer-role", FromEscalation},
		{"escalation-pass-uncapped-role", FromEscalation},
		{"isolation-aaaa1111-to-bbbb2222", FromIsolation},
		{"isolation-bbbb2222-to-aaaa1111", FromIsolation},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			g := byScenario(guarded, tc.scenario)
			// On the guarded account no role is uncapped: nothing to pass.
			if len(g) == 0 && tc.scenario != "escalation-pass-uncapped-role" {
				t.Fatal("no probes generated for the guarded account")
			}
			for _, r := range g {
				if r.Origin != tc.origin {
					t.Errorf("origin %s, want %s", r.Origin, tc.origin)
				}
				if r.Verdict != Pass {
					t.Errorf("guarded: %s %s on %s: %s (%s), want PASS", r.Principal.Name, r.Action(), r.Resource(), r.Verdict, r.Local.Explain())
				}
			}
			var failed *Result
			for _, r := range byScenario(unguarded, tc.scenario) {
				if r.Verdict == Fail {
					failed = r
					break
				}
			}
			if failed == nil {
				t.Fatal("unguarded: no probe fails")
			}
			if d := failed.Deciding(); len(d) == 0 || !strings.Contains(d[0], "(Allow)") {
				t.Errorf("failing probe names no allowing statement: %v", d)
			}
		})
	}
}

// TestSampleFindings pins the account-specific findings of the sample
// account: the boundary it can write itself and the processor role that
// lost its boundary.
func TestSampleFindings(t *testing.T) {
	t.Parallel()
	snap, err := inventory.ReadFile(filepath.Join("..", "testdata", "accounts", "sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	rs := runLocal(t, snap, loadContract(t, "pennsieve"), Options{})
	tests := []struct {
		name, scenario, principal, action, resource string
		want                                        Verdict
		deciding                                    string
	}{
		{"self-made boundary", "escalation-self-made-boundary", "Pennsieve-Compute-prod-a3f1b20c",
			"iam:CreatePolicy → iam:CreateRole", "", Fail, `"ManageBoundaryPolicies"`},
		{"uncapped processor can be passed", "escalation-pass-uncapped-role", "Pennsieve-Compute-prod-a3f1b20c",
			"iam:PassRole", "arn:aws:iam::481516234201:role/pennsieve-b24e11d0-processor-ecs", Fail, `"ManageNodeRoles"`},
		{"boundary removal is denied", "practice-remove-boundary", "Pennsieve-Compute-prod-a3f1b20c",
			"iam:DeleteRolePermissionsBoundary", "arn:aws:iam::481516234201:role/pennsieve-7f3a9c21-pvaudit-probe", Pass, `"DenyBoundaryRemoval"`},
		{"processor without boundary is not capped", "processor-iam-changes", "pennsieve-b24e11d0-processor-ecs",
			"iam:CreateRole", "arn:aws:iam::481516234201:role/pennsieve-b24e11d0-processor-ecs", Fail, ""},
		{"capped processor", "processor-iam-changes", "pennsieve-7f3a9c21-processor-ecs",
			"iam:CreateRole", "arn:aws:iam::481516234201:role/pennsieve-7f3a9c21-processor-ecs", Pass, `"DenyIAMMutation"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got *Result
			for _, r := range byScenario(rs, tc.scenario) {
				if r.Principal.Name == tc.principal && r.Action() == tc.action && (tc.resource == "" || r.Resource() == tc.resource) {
					got = r
					break
				}
			}
			if got == nil {
				t.Fatal("probe not generated")
			}
			if got.Verdict != tc.want {
				t.Errorf("verdict %s, want %s (%s)", got.Verdict, tc.want, got.Local.Explain())
			}
			if tc.deciding != "" && !strings.Contains(strings.Join(got.Deciding(), "\n"), tc.deciding) {
				t.Errorf("deciding statements %v do not name %s", got.Deciding(), tc.deciding)
			}
		})
	}
}

func TestExpansion(t *testing.T) {
	t.Parallel()
	mk := func(yaml string) *contract.Contract {
		c, err := contract.Parse([]byte("name: t\nboundary: {name_pattern: pennsieve-boundary-*, same_account: true}\n"+
			"child_roles: {by_boundary: true, by_node_id: true}\ncross_account_role: {name_pattern: '^Pennsieve-Compute-.*$', required: true}\n"+
			"scenarios:\n"+yaml), "t.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	row := func(principal, resource, extra string) string {
		return "  - {id: r, section: S, text: T, principal: '" + principal + "', actions: [s3:GetObject], resources: ['" + resource + "'], expect: denied" + extra + "}\n"
	}
	empty := &inventory.Snapshot{AccountID: "111122223333"}
	guarded := fixture(t, "guarded")
	tests := []struct {
		name      string
		snap      *inventory.Snapshot
		yaml      string
		vars      map[string]string
		wantN     int
		wantRes   string // resource of the first probe
		wantUnexp string
		wantNote  string
	}{
		{"per node for the cross-account role", guarded, row("cross-account", "arn:aws:s3:::b-${node}", ""), nil, 2, "arn:aws:s3:::b-aaaa1111", "", ""},
		{"own node for a child role", guarded, row("role:pennsieve-bbbb2222-workflow", "arn:aws:s3:::b-${node}", ""), nil, 1, "arn:aws:s3:::b-bbbb2222", "", ""},
		{"other nodes", guarded, row("processor", "arn:aws:s3:::b-${node}-${other_node}", ""), nil, 4, "arn:aws:s3:::b-aaaa1111-bbbb2222", "", ""},
		{"row default", guarded, row("role:customer-*", "arn:aws:s3:::${bucket}", ", vars: {bucket: 'x-${account}'}"), nil, 1, "arn:aws:s3:::x-111122223333", "", ""},
		{"override beats default", guarded, row("role:customer-*", "arn:aws:s3:::${bucket}", ", vars: {bucket: x}"), map[string]string{"bucket": "mine"}, 1, "arn:aws:s3:::mine", "", ""},
		{"required variable", guarded, row("role:customer-*", "arn:aws:s3:::${bucket}", ", vars: {bucket: ''}"), nil, 1, "", "no value for ${bucket}", ""},
		{"selector from a variable", guarded, row("role:${who}", "*", ", vars: {who: 'pixell-*'}"), nil, 1, "*", "", ""},
		{"no principal", guarded, row("role:nobody", "*", ""), nil, 1, "", "no role in the account matches", ""},
		{"no node known", empty, row("cross-account", "${node}", ""), nil, 1, "", "no role in the account matches", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := mk(tc.yaml)
			ps := Expand(checks.NewEnv(tc.snap, c, testNow), c, Options{Vars: tc.vars, NoGenerated: true})
			if len(ps) != tc.wantN {
				t.Fatalf("%d probes, want %d: %+v", len(ps), tc.wantN, ps)
			}
			p := ps[0]
			if tc.wantUnexp != "" {
				if !strings.Contains(p.Unexpanded, tc.wantUnexp) {
					t.Fatalf("unexpanded = %q, want %q", p.Unexpanded, tc.wantUnexp)
				}
				rs, err := Run(context.Background(), ps, NewLocal(tc.snap, nil), nil)
				if err != nil {
					t.Fatal(err)
				}
				if rs[0].Verdict != NotEvaluated {
					t.Fatalf("verdict %s, want NOT_EVALUATED", rs[0].Verdict)
				}
				return
			}
			if p.Unexpanded != "" {
				t.Fatalf("unexpanded: %s", p.Unexpanded)
			}
			if p.Resource() != tc.wantRes {
				t.Errorf("resource %q, want %q", p.Resource(), tc.wantRes)
			}
		})
	}
}

// TestHypotheticalNode: with no compute node in the account, node-scoped
// rows of the cross-account role still run, on a hypothetical node, and
// say so.
func TestHypotheticalNode(t *testing.T) {
	t.Parallel()
	snap := fixture(t, "guarded")
	trimmed := *snap
	trimmed.Roles = nil
	for _, r := range snap.Roles {
		if strings.HasPrefix(r.Name, "Pennsieve-Compute-") {
			trimmed.Roles = append(trimmed.Roles, r)
		}
	}
	trimmed.Policies = nil
	c := loadContract(t, "pennsieve")
	ps := Expand(checks.NewEnv(&trimmed, c, testNow), c, Options{NoGenerated: true})
	found := false
	for _, p := range ps {
		if p.ScenarioID == "practice-create-role-without-boundary" {
			found = true
			if !strings.Contains(p.Resource(), hypotheticalNode) || len(p.Notes) == 0 {
				t.Errorf("probe %+v: want the hypothetical node and a note", p)
			}
		}
	}
	if !found {
		t.Fatal("row not expanded")
	}
}

// TestJudge covers the verdict rules with hand-made answers.
func TestJudge(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	tests := []struct {
		name    string
		expect  contract.Expectation
		when    string
		steps   []Answer
		want    Verdict
		outcome string
	}{
		{"denied as promised", contract.ExpectDenied, "", []Answer{{Decision: ExplicitDeny}}, Pass, "denied"},
		{"allowed though promised denied", contract.ExpectDenied, "", []Answer{{Decision: Allowed}}, Fail, "allowed"},
		{"chain stopped at step two", contract.ExpectDenied, "", []Answer{{Decision: Allowed}, {Decision: ImplicitDeny}}, Pass, "denied"},
		{"chain completes", contract.ExpectDenied, "", []Answer{{Decision: Allowed}, {Decision: Allowed}}, Fail, "allowed"},
		{"allowed as promised", contract.ExpectAllowed, "", []Answer{{Decision: Allowed}}, Pass, "allowed"},
		{"conditional allowance missing", contract.ExpectAllowed, "LLM on", []Answer{{Decision: ImplicitDeny}}, Warn, "denied"},
		{"capped", contract.ExpectCapped, "", []Answer{{Decision: ImplicitDeny, BoundaryAllowed: &no}}, Pass, "capped"},
		{"boundary allows", contract.ExpectCapped, "", []Answer{{Decision: ImplicitDeny, BoundaryAllowed: &yes}}, Fail, "denied, boundary allows"},
		{"no boundary", contract.ExpectCapped, "", []Answer{{Decision: ImplicitDeny}}, Fail, "denied, no boundary"},
		{"foreign boundary", contract.ExpectCapped, "", []Answer{{Decision: ImplicitDeny, BoundaryUnreadable: "x", BoundaryForeign: true}}, Fail, "denied, boundary of another account"},
		{"unreadable boundary", contract.ExpectCapped, "", []Answer{{Decision: ImplicitDeny, BoundaryUnreadable: "gap"}}, NotEvaluated, ""},
		{"engine could not decide", contract.ExpectDenied, "", []Answer{{NotEvaluated: "unknown condition"}}, NotEvaluated, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &Probe{Expect: tc.expect, When: tc.when, Steps: make([]Request, len(tc.steps))}
			er := &EngineResult{Engine: "local", Steps: tc.steps}
			judge(p, er)
			if er.Verdict != tc.want || er.Outcome != tc.outcome {
				t.Errorf("verdict %s outcome %q, want %s %q", er.Verdict, er.Outcome, tc.want, tc.outcome)
			}
		})
	}
}

func TestFindings(t *testing.T) {
	t.Parallel()
	snap, err := inventory.ReadFile(filepath.Join("..", "testdata", "accounts", "sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	fs := Findings(runLocal(t, snap, loadContract(t, "pennsieve"), Options{}))
	seen := map[string]bool{}
	var esc *finding.Finding
	var internet []string
	for i, f := range fs {
		if seen[f.Fingerprint] {
			t.Errorf("duplicate fingerprint %s (%s %s %s)", f.Fingerprint, f.CheckID, f.Resource, f.Key)
		}
		seen[f.Fingerprint] = true
		if f.CheckID == CheckEscalation && f.Key == "escalation-self-made-boundary" {
			esc = &fs[i]
		}
		if f.Key == "processor-internet-compliant" {
			internet = append(internet, string(f.Status)+" "+f.Resource)
		}
	}
	if esc == nil || esc.Status != finding.Fail || esc.Severity != finding.High {
		t.Fatalf("escalation finding = %+v, want a high FAIL", esc)
	}
	if !strings.Contains(esc.Message, "ManageBoundaryPolicies") || esc.Remediation == "" {
		t.Errorf("escalation finding does not explain itself: %s / %q", esc.Message, esc.Remediation)
	}
	// The internet row is decided from the network: sample.json's node
	// 7f3a9c21 (compliant) routes its subnets to a NAT gateway.
	sort.Strings(internet)
	want := []string{
		"FAIL arn:aws:iam::481516234201:role/pennsieve-7f3a9c21-processor-ecs",
		"FAIL arn:aws:iam::481516234201:role/pennsieve-7f3a9c21-processor-lambda",
		"PASS arn:aws:iam::481516234201:role/pennsieve-b24e11d0-processor-ecs",
		"PASS arn:aws:iam::481516234201:role/pennsieve-b24e11d0-processor-lambda",
	}
	if !slices.Equal(internet, want) {
		t.Errorf("internet row findings:\n%s\nwant\n%s", strings.Join(internet, "\n"), strings.Join(want, "\n"))
	}
}

// account reads a sample account of testdata/accounts.
func account(t *testing.T, file string) *inventory.Snapshot {
	t.Helper()
	snap, err := inventory.ReadFile(filepath.Join("..", "testdata", "accounts", file))
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// fixedEngine answers every query with the same answer.
type fixedEngine struct {
	name string
	a    Answer
}

func (e fixedEngine) Name() string { return e.name }

func (e fixedEngine) Decide(_ context.Context, qs []Query) ([]Answer, error) {
	out := make([]Answer, len(qs))
	for i := range out {
		out[i] = e.a
	}
	return out, nil
}

// TestDisagreement: when the engines decide differently the result says
// so, takes the worse verdict, and a PV-PRB-004 finding shows both
// explanations.
func TestDisagreement(t *testing.T) {
	t.Parallel()
	ps := []Probe{{Origin: FromScenario, ScenarioID: "s", Text: "T", Expect: contract.ExpectDenied, Severity: finding.High,
		Principal: Principal{Name: "r", ARN: "arn:aws:iam::111122223333:role/r"},
		Steps:     []Request{{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}}}}
	local := fixedEngine{"local", Answer{Decision: ImplicitDeny, MissingLayer: "identity"}}
	remote := fixedEngine{"aws", Answer{Decision: Allowed, Statements: []string{"inline-x (role)"}}}
	tests := []struct {
		name         string
		local, aws   Engine
		wantDisagree bool
		wantVerdict  Verdict
	}{
		{"engines differ", local, remote, true, Fail},
		{"engines agree", local, local, false, Pass},
		{"one engine only", local, nil, false, Pass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs, err := Run(context.Background(), ps, tc.local, tc.aws)
			if err != nil {
				t.Fatal(err)
			}
			if rs[0].Disagree != tc.wantDisagree || rs[0].Verdict != tc.wantVerdict {
				t.Fatalf("disagree %v verdict %s, want %v %s", rs[0].Disagree, rs[0].Verdict, tc.wantDisagree, tc.wantVerdict)
			}
			var dis *finding.Finding
			fs := Findings(rs)
			for i := range fs {
				if fs[i].CheckID == CheckDisagree {
					dis = &fs[i]
				}
			}
			if (dis != nil) != tc.wantDisagree {
				t.Fatalf("disagreement finding %+v, want present=%v", dis, tc.wantDisagree)
			}
			if dis != nil && (!strings.Contains(dis.Message, "no identity policy allows it") || !strings.Contains(dis.Message, "inline-x (role)")) {
				t.Errorf("message %q does not show both explanations", dis.Message)
			}
		})
	}
}

// TestIsolationFindingsNodeByNode: deciding the isolation probes one source
// node at a time gives exactly the findings of deciding them all at once.
func TestIsolationFindingsNodeByNode(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"sample", "compliant"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			snap, err := inventory.ReadFile(filepath.Join("..", "testdata", "accounts", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			c := loadContract(t, "pennsieve")
			var want []finding.Finding
			for _, f := range Findings(runLocal(t, snap, c, Options{})) {
				if f.CheckID == CheckIsolation {
					want = append(want, f)
				}
			}
			if len(want) == 0 {
				t.Fatal("no isolation findings: the comparison proves nothing")
			}
			got, err := IsolationFindings(context.Background(), checks.NewEnv(snap, c, testNow), c, Options{}, NewLocal(snap, checks.NewEnv(snap, loadContract(t, "pennsieve"), testNow).PrincipalQuestion))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d findings node by node, %d at once", len(got), len(want))
			}
			for i := range got {
				if got[i].Fingerprint != want[i].Fingerprint || got[i].Status != want[i].Status || got[i].Message != want[i].Message {
					t.Errorf("finding %d: node by node %s %s %q; at once %s %s %q", i,
						got[i].Fingerprint, got[i].Status, got[i].Message, want[i].Fingerprint, want[i].Status, want[i].Message)
				}
			}
			for _, r := range runLocal(t, snap, c, Options{NoIsolation: true}) {
				if r.Origin == FromIsolation {
					t.Fatal("NoIsolation still generated isolation probes")
				}
			}
		})
	}
}

// manyNodes is compliant.json with extra copies of node 7f3a9c21.
func manyNodes(t *testing.T, extra int) *inventory.Snapshot {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "accounts", "compliant.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := testaccount.AddNodes(raw, "7f3a9c21", extra)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := inventory.Decode(out, "many-nodes.json")
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestOtherNodeBound: a scenario row with ${other_node} takes at most
// maxOtherNodes other nodes per principal (and says so), while the
// generated isolation probes still cover every pair.
func TestOtherNodeBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		extra     int
		opts      Options
		perPrinc  int // other nodes per principal in processor-other-nodes
		wantNote  bool
		isolation int // isolation target nodes per principal
	}{
		{name: "few-nodes", extra: 3, perPrinc: 4, isolation: 4},
		{name: "many-nodes", extra: 14, perPrinc: maxOtherNodes, wantNote: true, isolation: 15},
		// A value given by the user is not a sample: no note.
		{name: "many-nodes-other-node-given", extra: 14, opts: Options{Vars: map[string]string{"other_node": "10000005"}}, perPrinc: 1, isolation: 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			snap := manyNodes(t, tc.extra)
			c := loadContract(t, "pennsieve")
			env := checks.NewEnv(snap, c, testNow)
			ps := Expand(env, c, tc.opts)
			const principal = "pennsieve-10000002-processor-ecs"
			others := map[string]bool{}
			isoTargets := map[string]bool{}
			note := false
			for _, p := range ps {
				if p.Principal.Name != principal {
					continue
				}
				switch {
				case p.ScenarioID == "processor-other-nodes":
					for _, n := range env.NodeIDs {
						if n != "10000002" && strings.Contains(p.Resource(), n) {
							others[n] = true
						}
					}
					for _, n := range p.Notes {
						note = note || strings.Contains(n, "PV-PRB-003 probes every pair")
					}
				case p.Origin == FromIsolation:
					isoTargets[strings.TrimPrefix(p.ScenarioID, "isolation-10000002-to-")] = true
				}
			}
			if len(others) != tc.perPrinc || note != tc.wantNote {
				t.Errorf("processor-other-nodes covers %d other nodes (note %v), want %d (note %v)", len(others), note, tc.perPrinc, tc.wantNote)
			}
			if len(isoTargets) != tc.isolation {
				t.Errorf("isolation probes reach %d other nodes, want every one of %d", len(isoTargets), tc.isolation)
			}
		})
	}
}
