package reports

import (
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/rules"
)

// SARIFSchema is the schema URI written in every SARIF log.
const SARIFSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// SARIF 2.1.0, the subset pvaudit writes. Each finding is a result of its
// rule; the resource's ARN is the result's logical location (and a virtual
// path under aws/ACCOUNT/ its physical one, which code-scanning uploads
// require). FAIL and WARN are kind "fail"; ERROR and NOT_EVALUATED are kind
// "open" (the tool could not decide) and make the invocation unsuccessful,
// as does every coverage gap, listed as a tool notification. PASS results
// (kind "pass") only with Options.ShowPass.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool          `json:"tool"`
	AutomationDetails *sarifAutomation   `json:"automationDetails,omitempty"`
	Invocations       []sarifInvocation  `json:"invocations"`
	LogicalLocations  []sarifLogical     `json:"logicalLocations,omitempty"`
	Results           []sarifResult      `json:"results"`
	Properties        map[string]any     `json:"properties,omitempty"`
	ColumnKind        string             `json:"columnKind,omitempty"`
	OriginalURIBase   map[string]sarifAL `json:"originalUriBaseIds,omitempty"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      *sarifText     `json:"fullDescription,omitempty"`
	Help                 *sarifText     `json:"help,omitempty"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	EndTimeUTC          string              `json:"endTimeUtc,omitempty"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level      string         `json:"level"`
	Message    sarifText      `json:"message"`
	Descriptor *sarifDescRef  `json:"descriptor,omitempty"`
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifDescRef struct {
	ID string `json:"id"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Kind                string             `json:"kind"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifAL     `json:"artifactLocation"`
	Region           sarifRegion `json:"region"`
}

type sarifAL struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind,omitempty"`
}

type sarifSuppression struct {
	Kind          string         `json:"kind"`
	Status        string         `json:"status"`
	Justification string         `json:"justification"`
	Properties    map[string]any `json:"properties,omitempty"`
}

// securitySeverity is GitHub's "security-severity" score of a severity.
var securitySeverity = map[finding.Severity]string{
	finding.Critical: "9.5", finding.High: "8.0", finding.Medium: "5.5", finding.Low: "3.0", finding.Info: "0.0",
}

func sarifLevel(sev finding.Severity) string {
	switch sev {
	case finding.Critical, finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "note"
}

func writeSARIF(w io.Writer, rep Report, o Options) error {
	r := rep.(FindingReport)
	h := r.Head()
	fs := r.FindingList()
	ruleList := sarifRules(h.Rules, fs)
	index := map[string]int{}
	for i, x := range ruleList {
		index[x.ID] = i
	}
	acct := ""
	if h.Account != nil {
		acct = h.Account.ID
	}
	run := sarifRun{
		Tool:       sarifTool{Driver: sarifDriver{Name: h.Tool, Version: h.Version, InformationURI: "https://github.com/pvaudit/pvaudit", Rules: ruleList}},
		Results:    []sarifResult{},
		ColumnKind: "unicodeCodePoints",
		OriginalURIBase: map[string]sarifAL{
			"AWSACCOUNT": {URI: "aws/"},
		},
	}
	if acct != "" {
		run.AutomationDetails = &sarifAutomation{ID: "pvaudit/" + string(h.Kind) + "/" + acct + "/"}
	}
	seenLoc := map[string]bool{}
	for i := range fs {
		f := &fs[i]
		if f.Status == finding.Pass && !o.ShowPass {
			continue
		}
		res := sarifResult{RuleID: f.CheckID, RuleIndex: index[f.CheckID], Message: sarifText{Text: f.Message},
			PartialFingerprints: map[string]string{"pvaudit/v1": f.Fingerprint},
			Properties:          map[string]any{"status": string(f.Status), "severity": f.Severity.String(), "title": f.Title}}
		switch {
		case f.Status == finding.Pass:
			res.Kind, res.Level = "pass", "none"
		case f.Incomplete():
			res.Kind, res.Level = "open", "none"
			res.Message.Text = "Could not be evaluated (" + string(f.Status) + "): " + f.Message
		case f.Status == finding.Warn:
			res.Kind, res.Level = "fail", "note"
		default:
			res.Kind, res.Level = "fail", sarifLevel(f.Severity)
		}
		if f.Key != "" {
			res.Properties["key"] = f.Key
		}
		if fx := Fix(f); fx != "" && f.Status != finding.Pass {
			res.Properties["fix"] = fx
		}
		if len(f.Controls) > 0 {
			res.Properties["controls"] = controlStrings(f.Controls)
		}
		if len(f.Evidence) > 0 {
			res.Properties["evidence"] = f.Evidence
		}
		if s := f.Suppressed; s != nil {
			sp := sarifSuppression{Kind: "external", Status: "accepted", Justification: s.Reason, Properties: map[string]any{}}
			if s.Expires != "" {
				sp.Properties["expires"] = s.Expires
			}
			if s.Source != "" {
				sp.Properties["source"] = s.Source
			}
			if len(sp.Properties) == 0 {
				sp.Properties = nil
			}
			res.Suppressions = []sarifSuppression{sp}
		}
		logical := sarifLogical{Name: ShortResource(f.Resource), FullyQualifiedName: f.Resource, Kind: "resource"}
		res.Locations = []sarifLocation{{PhysicalLocation: &sarifPhysical{
			ArtifactLocation: sarifAL{URI: resourcePath(acct, f.Resource), URIBaseID: "AWSACCOUNT"}, Region: sarifRegion{StartLine: 1}},
			LogicalLocations: []sarifLogical{logical}}}
		if !seenLoc[f.Resource] {
			seenLoc[f.Resource] = true
			run.LogicalLocations = append(run.LogicalLocations, logical)
		}
		run.Results = append(run.Results, res)
	}
	sort.Slice(run.LogicalLocations, func(i, j int) bool {
		return run.LogicalLocations[i].FullyQualifiedName < run.LogicalLocations[j].FullyQualifiedName
	})
	v, sum := r.Result()
	inv := sarifInvocation{ExecutionSuccessful: v.Outcome != finding.Incomplete, EndTimeUTC: h.GeneratedAt.UTC().Format(time.RFC3339)}
	for _, g := range r.Gaps() {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "error", Message: sarifText{Text: "Coverage gap: " + gapText(g)},
			Descriptor: &sarifDescRef{ID: "coverage-gap"}})
	}
	for _, reason := range v.Reasons {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "error", Message: sarifText{Text: "Incomplete: " + reason},
			Descriptor: &sarifDescRef{ID: "incomplete"}})
	}
	run.Invocations = []sarifInvocation{inv}
	run.Properties = map[string]any{"verdict": v, "summary": sum, "summaryLine": v.Line(sum), "command": h.Command, "contract": h.Contract}
	if acct != "" {
		run.Properties["account"] = acct
	}
	if h.Filter != "" {
		run.Properties["filter"] = h.Filter
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// sarifRules are the rules of the registry (every rule, so a consumer
// knows what was checked), or, without one, the rules of the findings.
func sarifRules(reg *rules.Registry, fs []finding.Finding) []sarifRule {
	var list []rules.Rule
	if reg != nil {
		list = reg.All()
	}
	have := map[string]bool{}
	for _, x := range list {
		have[x.ID] = true
	}
	for _, f := range fs {
		if !have[f.CheckID] {
			have[f.CheckID] = true
			list = append(list, rules.Rule{ID: f.CheckID, Title: f.Title, Severity: f.Severity, Remediation: f.Remediation, Controls: f.Controls})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	out := make([]sarifRule, 0, len(list))
	for _, x := range list {
		sr := sarifRule{ID: x.ID, Name: ruleName(x.Title), ShortDescription: sarifText{Text: x.Title},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(x.Severity)},
			Properties: map[string]any{"security-severity": securitySeverity[x.Severity], "severity": x.Severity.String(),
				"tags": append([]string{"security", "iam"}, controlStrings(x.Controls)...)}}
		if x.Source != "" {
			sr.Properties["source"] = x.Source
		}
		if x.Rationale != "" {
			sr.FullDescription = &sarifText{Text: x.Rationale}
		}
		if x.Remediation != "" {
			sr.Help = &sarifText{Text: x.Remediation, Markdown: "**Fix:** " + x.Remediation}
		}
		out = append(out, sr)
	}
	return out
}

// ruleName is a rule's title in UpperCamelCase, as SARIF names read.
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

func controlStrings(cs []finding.Control) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return out
}

// resourcePath is a resource as a relative URI: ACCOUNT/role/name for
// an ARN, each segment escaped.
func resourcePath(acct, res string) string {
	short := ShortResource(res)
	parts := strings.Split(short, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	a, _, _ := splitARN(res)
	if a == "" {
		a = acct
	}
	if a == "" {
		a = "unknown"
	}
	return url.PathEscape(a) + "/" + strings.Join(parts, "/")
}
