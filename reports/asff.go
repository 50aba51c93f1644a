package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// ASFFRegion is the region written in ASFF product ARNs: IAM is global,
// Security Hub is not; import the file into this region or edit it.
const ASFFRegion = "us-east-1"

// AWS Security Finding Format (Security Hub BatchImportFindings), as a
// JSON array of findings: every finding that is not a PASS, and each
// coverage gap. Compliance.Status is FAILED, WARNING or NOT_AVAILABLE
// (for ERROR, NOT_EVALUATED and gaps: never PASSED for what could not be
// evaluated); a suppressed finding has Workflow.Status SUPPRESSED.
type asffFinding struct {
	SchemaVersion string            `json:"SchemaVersion"`
	ID            string            `json:"Id"`
	ProductArn    string            `json:"ProductArn"`
	GeneratorID   string            `json:"GeneratorId"`
	AwsAccountID  string            `json:"AwsAccountId"`
	Types         []string          `json:"Types"`
	CreatedAt     string            `json:"CreatedAt"`
	UpdatedAt     string            `json:"UpdatedAt"`
	Severity      asffSeverity      `json:"Severity"`
	Title         string            `json:"Title"`
	Description   string            `json:"Description"`
	Remediation   *asffRemediation  `json:"Remediation,omitempty"`
	ProductFields map[string]string `json:"ProductFields"`
	Resources     []asffResource    `json:"Resources"`
	Compliance    asffCompliance    `json:"Compliance"`
	Workflow      asffWorkflow      `json:"Workflow"`
	RecordState   string            `json:"RecordState"`
}

type asffSeverity struct {
	Label string `json:"Label"`
}

type asffRemediation struct {
	Recommendation struct {
		Text string `json:"Text"`
	} `json:"Recommendation"`
}

type asffResource struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	Partition string `json:"Partition"`
	Region    string `json:"Region"`
}

type asffCompliance struct {
	Status              string   `json:"Status"`
	RelatedRequirements []string `json:"RelatedRequirements,omitempty"`
}

type asffWorkflow struct {
	Status string `json:"Status"`
}

var asffLabel = map[finding.Severity]string{
	finding.Critical: "CRITICAL", finding.High: "HIGH", finding.Medium: "MEDIUM", finding.Low: "LOW", finding.Info: "INFORMATIONAL",
}

func asffType(arn string) string {
	_, typ, _ := splitARN(arn)
	switch typ {
	case "role":
		return "AwsIamRole"
	case "user":
		return "AwsIamUser"
	case "policy":
		return "AwsIamPolicy"
	case "group":
		return "AwsIamGroup"
	}
	return "AwsAccount"
}

func writeASFF(w io.Writer, rep Report) error {
	r := rep.(FindingReport)
	h := r.Head()
	acct := "000000000000"
	if h.Account != nil && h.Account.ID != "" {
		acct = h.Account.ID
	}
	product := fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", ASFFRegion, acct, acct)
	stamp := h.GeneratedAt.UTC().Format(time.RFC3339)
	out := []asffFinding{}
	for i := range r.FindingList() {
		f := &r.FindingList()[i]
		if f.Status == finding.Pass {
			continue
		}
		a := asffFinding{SchemaVersion: "2018-10-08", ID: "pvaudit/" + acct + "/" + f.Fingerprint, ProductArn: product, GeneratorID: "pvaudit/" + f.CheckID,
			AwsAccountID: acct, Types: []string{"Software and Configuration Checks/Industry and Regulatory Standards"},
			CreatedAt: stamp, UpdatedAt: stamp, Severity: asffSeverity{Label: asffLabel[f.Severity]},
			Title: clip(f.CheckID+" "+f.Title, 256), Description: clip(f.Message, 1024),
			ProductFields: map[string]string{"pvaudit/status": string(f.Status), "pvaudit/fingerprint": f.Fingerprint, "pvaudit/check": f.CheckID},
			Resources:     []asffResource{{Type: asffType(f.Resource), ID: f.Resource, Partition: "aws", Region: ASFFRegion}},
			Workflow:      asffWorkflow{Status: "NEW"}, RecordState: "ACTIVE"}
		if f.Key != "" {
			a.ProductFields["pvaudit/key"] = clip(f.Key, 1024)
		}
		switch f.Status {
		case finding.Fail:
			a.Compliance.Status = "FAILED"
		case finding.Warn:
			a.Compliance.Status = "WARNING"
		default:
			a.Compliance.Status = "NOT_AVAILABLE"
		}
		for _, c := range f.Controls {
			if len(a.Compliance.RelatedRequirements) < 32 {
				a.Compliance.RelatedRequirements = append(a.Compliance.RelatedRequirements, c.String())
			}
		}
		if fx := Fix(f); fx != "" {
			a.Remediation = &asffRemediation{}
			a.Remediation.Recommendation.Text = clip(fx, 512)
		}
		if s := f.Suppressed; s != nil {
			a.Workflow.Status = "SUPPRESSED"
			a.ProductFields["pvaudit/suppression"] = clip(suppressionText(s), 1024)
		}
		out = append(out, a)
	}
	for _, g := range r.Gaps() {
		id := "pvaudit/" + acct + "/gap/" + g.Operation + "/" + g.Resource
		out = append(out, asffFinding{SchemaVersion: "2018-10-08", ID: clip(id, 512), ProductArn: product, GeneratorID: "pvaudit/coverage",
			AwsAccountID: acct, Types: []string{"Software and Configuration Checks/Industry and Regulatory Standards"},
			CreatedAt: stamp, UpdatedAt: stamp, Severity: asffSeverity{Label: "HIGH"},
			Title: clip("Coverage gap: could not read "+g.Operation, 256), Description: clip(gapText(g), 1024),
			ProductFields: map[string]string{"pvaudit/status": string(finding.Error)},
			Resources:     []asffResource{{Type: "AwsAccount", ID: "AWS::::Account:" + acct, Partition: "aws", Region: ASFFRegion}},
			Compliance:    asffCompliance{Status: "NOT_AVAILABLE"}, Workflow: asffWorkflow{Status: "NEW"}, RecordState: "ACTIVE"})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
