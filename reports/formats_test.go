package reports_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
)

var update = flag.Bool("update", false, "rewrite golden files under reports/testdata/golden")

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func testRun(t *testing.T, command string) *audit.Run {
	t.Helper()
	cfg, err := config.Resolve(config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &audit.Run{Tool: "pvaudit", Version: "test", Command: command, Now: func() time.Time { return testNow }, Config: cfg, FailOn: finding.High}
}

func source(t *testing.T, name string) audit.Source {
	t.Helper()
	snap, raw, err := inventory.ReadFileRaw(filepath.Join("..", "testdata", "accounts", name))
	if err != nil {
		t.Fatal(err)
	}
	return audit.Source{Snapshot: snap, Input: "testdata/accounts/" + name, Raw: raw}
}

func sampleScan(t *testing.T) *reports.ScanReport {
	t.Helper()
	rep, err := audit.Scan(context.Background(), testRun(t, "scan"), audit.ScanInput{Source: source(t, "sample.json")})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func render(t *testing.T, rep reports.Report, format string, o reports.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := reports.WriteOptions(&b, rep, format, o); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test ./reports -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file (go test ./reports -update if intended)", name)
	}
}

var ext = map[string]string{"table": "txt", "json": "json", "yaml": "yaml", "csv": "csv", "junit": "junit.xml", "sarif": "sarif",
	"markdown": "md", "html": "html", "ocsf": "ocsf.jsonl", "asff": "asff.json"}

// TestFormatGoldens: every format of the sample scan, and the probe and
// trail reports, against golden files; every format is deterministic.
func TestFormatGoldens(t *testing.T) {
	t.Parallel()
	scan := sampleScan(t)
	probe, err := audit.Probe(context.Background(), testRun(t, "probe"), audit.ProbeInput{Source: source(t, "sample.json"), Engine: "local",
		Local: true})
	if err != nil {
		t.Fatal(err)
	}
	run := testRun(t, "trail sessions")
	run.Config.Contract.Parameters.ProvisionerAccountID = "941377122013"
	sess, err := audit.Sessions(context.Background(), run, audit.ReplayInput{Sources: audit.TrailSources{
		Files: []string{filepath.Join("..", "testdata", "accounts", "sample-trail.ndjson")}, LookupRate: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		rep  reports.Report
	}{{"scan-sample", scan}, {"probe-sample", probe}, {"trail-sessions-sample", sess}} {
		for _, f := range reports.Formats(tc.rep.Head().Kind) {
			t.Run(tc.name+"."+f, func(t *testing.T) {
				a := render(t, tc.rep, f, reports.Options{})
				b := render(t, tc.rep, f, reports.Options{})
				if !bytes.Equal(a, b) {
					t.Fatal("two renderings differ")
				}
				golden(t, tc.name+"."+ext[f], a)
			})
		}
	}
}

func TestYAMLIsTheJSON(t *testing.T) {
	t.Parallel()
	scan := sampleScan(t)
	var fromJSON, fromYAML any
	if err := json.Unmarshal(render(t, scan, "json", reports.Options{}), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(render(t, scan, "yaml", reports.Options{}), &fromYAML); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromJSON)
	b, _ := json.Marshal(fromYAML)
	if !bytes.Equal(a, b) {
		t.Error("the YAML report does not hold the same data as the JSON report")
	}
}

// incomplete is a report with a FAIL, a NOT_EVALUATED, a suppressed FAIL
// and a coverage gap: no format may make it look complete.
func incomplete() *reports.ScanReport {
	mk := func(id string, st finding.Status) finding.Finding {
		f := finding.Finding{CheckID: id, Title: id, Status: st, Severity: finding.High, Resource: "arn:aws:iam::111122223333:role/" + id, Message: id + " msg",
			Remediation: "aws iam update-role --role-name ROLE"}
		f.Finalize()
		return f
	}
	s := mk("PV-XAR-003", finding.Fail)
	s.Suppressed = &finding.Suppression{Reason: "ticket 1", Expires: "2027-01-31", Source: "s.yaml"}
	fs := []finding.Finding{mk("PV-XAR-001", finding.Fail), mk("PV-XAR-004", finding.NotEvaluated), s}
	gaps := []inventory.Gap{{Operation: "iam:ListRoles", Code: "AccessDenied", Message: "denied"}}
	return &reports.ScanReport{
		Header:  reports.Header{Schema: reports.Schema, Kind: reports.KindScan, Tool: "pvaudit", Version: "t", GeneratedAt: testNow, Command: "scan", Account: &reports.Account{ID: "111122223333", Source: "live"}},
		Outcome: reports.NewOutcome(fs, len(gaps), finding.High), Summary: finding.Summarize(fs), CoverageGaps: gaps, Findings: fs, RulesEvaluated: []string{}}
}

func TestFormatsFailClosed(t *testing.T) {
	t.Parallel()
	rep := incomplete()
	t.Run("junit", func(t *testing.T) {
		var doc struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Errors   int `xml:"errors,attr"`
			Skipped  int `xml:"skipped,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name      string    `xml:"name,attr"`
					Classname string    `xml:"classname,attr"`
					Failure   *struct{} `xml:"failure"`
					Error     *struct{} `xml:"error"`
					Skipped   *struct{} `xml:"skipped"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(render(t, rep, "junit", reports.Options{}), &doc); err != nil {
			t.Fatal(err)
		}
		// XAR-001 failure, XAR-004 error, XAR-003 skipped, one gap error,
		// and the verdict (incomplete: error).
		if doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 3 || doc.Skipped != 1 {
			t.Errorf("tests %d failures %d errors %d skipped %d, want 5 1 3 1", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
		}
		n := 0
		for _, s := range doc.Suites {
			n += len(s.Cases)
			for _, c := range s.Cases {
				if c.Name == "" || c.Classname == "" {
					t.Errorf("suite %s: a test case without name or classname", s.Name)
				}
			}
		}
		if n != doc.Tests {
			t.Errorf("%d test cases, the root says %d", n, doc.Tests)
		}
	})
	t.Run("sarif", func(t *testing.T) {
		var log struct {
			Version string `json:"version"`
			Runs    []struct {
				Tool struct {
					Driver struct {
						Rules []struct{ ID string } `json:"rules"`
					} `json:"driver"`
				} `json:"tool"`
				Invocations []struct {
					ExecutionSuccessful bool  `json:"executionSuccessful"`
					Notifications       []any `json:"toolExecutionNotifications"`
				} `json:"invocations"`
				Results []struct {
					RuleID       string `json:"ruleId"`
					RuleIndex    int    `json:"ruleIndex"`
					Kind, Level  string
					Suppressions []any `json:"suppressions"`
					Locations    []struct {
						LogicalLocations []struct {
							FullyQualifiedName string `json:"fullyQualifiedName"`
						} `json:"logicalLocations"`
					} `json:"locations"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(render(t, rep, "sarif", reports.Options{}), &log); err != nil {
			t.Fatal(err)
		}
		run := log.Runs[0]
		if log.Version != "2.1.0" || run.Invocations[0].ExecutionSuccessful || len(run.Invocations[0].Notifications) == 0 {
			t.Errorf("version %s, invocation %+v: an incomplete run must be unsuccessful with notifications", log.Version, run.Invocations)
		}
		kinds := map[string]string{}
		for _, r := range run.Results {
			if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
				t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
			}
			if !strings.HasPrefix(r.Locations[0].LogicalLocations[0].FullyQualifiedName, "arn:aws:iam::") {
				t.Errorf("%s: logical location is not the ARN", r.RuleID)
			}
			kinds[r.RuleID] = r.Kind + "/" + r.Level
		}
		if kinds["PV-XAR-004"] != "open/none" || kinds["PV-XAR-001"] != "fail/error" {
			t.Errorf("kinds %v", kinds)
		}
	})
	t.Run("ocsf", func(t *testing.T) {
		sc := bufio.NewScanner(bytes.NewReader(render(t, rep, "ocsf", reports.Options{})))
		sc.Buffer(nil, 1<<20)
		status := map[string]int{}
		n := 0
		for sc.Scan() {
			var e struct {
				ClassUID   int `json:"class_uid"`
				TypeUID    int `json:"type_uid"`
				StatusID   int `json:"status_id"`
				Compliance struct {
					Control  string `json:"control"`
					StatusID int    `json:"status_id"`
				} `json:"compliance"`
			}
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			if e.ClassUID != 2003 || e.TypeUID != 200301 {
				t.Errorf("class %d type %d", e.ClassUID, e.TypeUID)
			}
			status[e.Compliance.Control] = e.Compliance.StatusID
			n++
		}
		if n != 4 || status["PV-XAR-004"] != 0 || status["coverage"] != 0 || status["PV-XAR-001"] != 3 {
			t.Errorf("%d events, statuses %v", n, status)
		}
	})
	t.Run("csv", func(t *testing.T) {
		rows, err := csv.NewReader(bytes.NewReader(render(t, rep, "csv", reports.Options{}))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+3+1 || !strings.Contains(strings.Join(rows[4], ","), "Coverage gap") {
			t.Errorf("%d rows; last %v", len(rows), rows[len(rows)-1])
		}
		if !strings.Contains(strings.Join(rows[1], ","), "--role-name PV-XAR-001") {
			t.Errorf("the fix is not filled in: %v", rows[1])
		}
	})
	t.Run("asff", func(t *testing.T) {
		var fs []struct {
			Compliance struct{ Status string }
			Workflow   struct{ Status string }
		}
		if err := json.Unmarshal(render(t, rep, "asff", reports.Options{}), &fs); err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, f := range fs {
			got = append(got, f.Compliance.Status+"/"+f.Workflow.Status)
		}
		if strings.Join(got, " ") != "FAILED/NEW NOT_AVAILABLE/NEW FAILED/SUPPRESSED NOT_AVAILABLE/NEW" {
			t.Errorf("asff statuses %v", got)
		}
	})
	for _, f := range []string{"table", "markdown", "html"} {
		t.Run(f, func(t *testing.T) {
			out := string(render(t, rep, f, reports.Options{}))
			for _, want := range []string{"INCOMPLETE", "iam:ListRoles", "ticket 1"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s lacks %q", f, want)
				}
			}
		})
	}
}

// TestFilterKeepsVerdict: --severity/--status change what is listed,
// never the verdict or the counts, and the report says it is filtered.
func TestFilterKeepsVerdict(t *testing.T) {
	t.Parallel()
	scan := sampleScan(t)
	f := reports.Filter{Severities: []finding.Severity{finding.Critical}, Statuses: []finding.Status{finding.Fail}}
	got := reports.ApplyFilter(scan, f).(*reports.ScanReport)
	if len(got.Findings) == 0 || len(got.Findings) >= len(scan.Findings) {
		t.Fatalf("%d of %d findings kept", len(got.Findings), len(scan.Findings))
	}
	for _, x := range got.Findings {
		if x.Severity != finding.Critical || x.Status != finding.Fail {
			t.Errorf("kept %s %s", x.Severity, x.Status)
		}
	}
	if got.Verdict.Outcome != scan.Verdict.Outcome || got.Summary != scan.Summary || got.Filter == "" {
		t.Errorf("verdict %v summary %v filter %q", got.Verdict.Outcome, got.Summary, got.Filter)
	}
	if len(scan.Findings) != scan.Summary.Total {
		t.Error("filtering changed the original report")
	}
	table := string(render(t, got, "table", reports.Options{}))
	if !regexp.MustCompile(fmt.Sprintf(`total +%d\b`, scan.Summary.Fail)).MatchString(table) {
		t.Errorf("the counts of a filtered table do not count every finding:\n%s", table[:600])
	}
}

// TestTerminalWidthAndColour: the table fits the width it is given and
// colours only when told.
func TestTerminalWidthAndColour(t *testing.T) {
	t.Parallel()
	scan := sampleScan(t)
	for _, w := range []int{60, 80, 132} {
		out := string(render(t, scan, "table", reports.Options{Width: w}))
		for _, l := range strings.Split(out, "\n") {
			if n := len([]rune(l)); n > w && !strings.HasPrefix(l, "Summary:") {
				t.Errorf("width %d: a line of %d columns: %q", w, n, l)
				break
			}
		}
		if strings.Contains(out, "\033[") {
			t.Error("colour without Options.Color")
		}
	}
	if out := render(t, scan, "table", reports.Options{Color: true}); !bytes.Contains(out, []byte("\033[1;31m")) && !bytes.Contains(out, []byte("\033[1m\033[31m")) {
		t.Error("no colour with Options.Color")
	}
}

func TestRemediationFilled(t *testing.T) {
	t.Parallel()
	table := string(render(t, sampleScan(t), "table", reports.Options{}))
	for _, want := range []string{
		"--role-name pennsieve-b24e11d0-processor-ecs --permissions-boundary arn:aws:iam::481516234201:policy/pennsieve-boundary-b24e11d0",
		"aws iam delete-role --role-name ROLE-481516234201.",
		"--policy-arn arn:aws:iam::481516234201:policy/pennsieve-boundary-7f3a9c21 --version-id v1",
	} {
		if !strings.Contains(strings.Join(strings.Fields(table), " "), want) {
			t.Errorf("table lacks the filled-in fix %q", want)
		}
	}
}
