package reports

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// OCSFVersion is the OCSF schema version the events follow.
const OCSFVersion = "1.3.0"

// OCSF Compliance Finding (class 2003, category Findings), one event per
// line (JSON Lines), one event per finding and one per coverage gap.
// compliance.status_id is Pass (1), Warning (2) or Fail (3) for PASS, WARN
// and FAIL, and Unknown (0) for ERROR, NOT_EVALUATED and a coverage gap:
// never Pass for what could not be evaluated. A suppressed finding has the
// event status Suppressed (3).
type ocsfEvent struct {
	ActivityID   int              `json:"activity_id"`
	ActivityName string           `json:"activity_name"`
	CategoryUID  int              `json:"category_uid"`
	CategoryName string           `json:"category_name"`
	ClassUID     int              `json:"class_uid"`
	ClassName    string           `json:"class_name"`
	TypeUID      int              `json:"type_uid"`
	TypeName     string           `json:"type_name"`
	Time         int64            `json:"time"`
	SeverityID   int              `json:"severity_id"`
	Severity     string           `json:"severity"`
	StatusID     int              `json:"status_id"`
	Status       string           `json:"status"`
	Message      string           `json:"message"`
	Metadata     ocsfMetadata     `json:"metadata"`
	FindingInfo  ocsfFindingInfo  `json:"finding_info"`
	Compliance   ocsfCompliance   `json:"compliance"`
	Cloud        ocsfCloud        `json:"cloud"`
	Resources    []ocsfResource   `json:"resources"`
	Remediation  *ocsfRemediation `json:"remediation,omitempty"`
	Unmapped     map[string]any   `json:"unmapped,omitempty"`
}

type ocsfMetadata struct {
	Version  string      `json:"version"`
	Product  ocsfProduct `json:"product"`
	Profiles []string    `json:"profiles"`
	UID      string      `json:"uid"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version"`
}

type ocsfFindingInfo struct {
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	Desc        string   `json:"desc"`
	CreatedTime int64    `json:"created_time"`
	Types       []string `json:"types"`
}

type ocsfCompliance struct {
	Control      string   `json:"control"`
	Standards    []string `json:"standards"`
	Requirements []string `json:"requirements,omitempty"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusDetail string   `json:"status_detail,omitempty"`
}

type ocsfCloud struct {
	Provider string       `json:"provider"`
	Account  *ocsfAccount `json:"account,omitempty"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfResource struct {
	UID  string `json:"uid"`
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
}

type ocsfRemediation struct {
	Desc string `json:"desc"`
}

var ocsfSeverity = map[finding.Severity]struct {
	id   int
	name string
}{
	finding.Info: {1, "Informational"}, finding.Low: {2, "Low"}, finding.Medium: {3, "Medium"}, finding.High: {4, "High"}, finding.Critical: {5, "Critical"},
}

// standardNames are the frameworks as OCSF standards.
var standardNames = map[string]string{
	"HIPAA":          "HIPAA Security Rule",
	"NIST-800-53r5":  "NIST SP 800-53 Rev. 5",
	"NIST-800-171r2": "NIST SP 800-171 Rev. 2",
}

// awsResourceType names an IAM ARN's resource type as CloudFormation does.
func awsResourceType(arn string) string {
	_, typ, _ := splitARN(arn)
	switch typ {
	case "role":
		return "AWS::IAM::Role"
	case "user":
		return "AWS::IAM::User"
	case "policy":
		return "AWS::IAM::ManagedPolicy"
	case "group":
		return "AWS::IAM::Group"
	}
	if strings.HasPrefix(arn, "arn:") {
		return ""
	}
	return "AWS::::Account"
}

func writeOCSF(w io.Writer, rep Report) error {
	r := rep.(FindingReport)
	h := r.Head()
	t := h.GeneratedAt.UTC().UnixMilli()
	acct := ""
	if h.Account != nil {
		acct = h.Account.ID
	}
	base := func() ocsfEvent {
		e := ocsfEvent{ActivityID: 1, ActivityName: "Create", CategoryUID: 2, CategoryName: "Findings", ClassUID: 2003, ClassName: "Compliance Finding",
			TypeUID: 200301, TypeName: "Compliance Finding: Create", Time: t, StatusID: 1, Status: "New",
			Metadata: ocsfMetadata{Version: OCSFVersion, Product: ocsfProduct{Name: h.Tool, VendorName: "pvaudit", Version: h.Version}, Profiles: []string{"cloud"}},
			Cloud:    ocsfCloud{Provider: "AWS"}}
		if acct != "" {
			e.Cloud.Account = &ocsfAccount{UID: acct, TypeID: 10, Type: "AWS Account"}
		}
		return e
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range r.FindingList() {
		f := &r.FindingList()[i]
		e := base()
		sev := ocsfSeverity[f.Severity]
		e.SeverityID, e.Severity = sev.id, sev.name
		e.Message = f.Message
		e.Metadata.UID = f.Fingerprint + "-" + h.GeneratedAt.UTC().Format("20060102T150405Z")
		e.FindingInfo = ocsfFindingInfo{UID: f.Fingerprint, Title: f.Title, Desc: f.Message, CreatedTime: t, Types: []string{"IAM", string(h.Kind)}}
		e.Compliance = ocsfCompliance{Control: f.CheckID, Standards: []string{}}
		std := map[string]bool{}
		for _, c := range f.Controls {
			if n := standardNames[c.Framework]; n != "" && !std[n] {
				std[n] = true
				e.Compliance.Standards = append(e.Compliance.Standards, n)
			}
			e.Compliance.Requirements = append(e.Compliance.Requirements, c.String())
		}
		switch f.Status {
		case finding.Pass:
			e.Compliance.StatusID, e.Compliance.Status = 1, "Pass"
		case finding.Warn:
			e.Compliance.StatusID, e.Compliance.Status = 2, "Warning"
		case finding.Fail:
			e.Compliance.StatusID, e.Compliance.Status = 3, "Fail"
		default:
			e.Compliance.StatusID, e.Compliance.Status = 0, "Unknown"
			e.Compliance.StatusDetail = "could not be evaluated (" + string(f.Status) + ")"
		}
		if f.Suppressed != nil {
			e.StatusID, e.Status = 3, "Suppressed"
		}
		e.Resources = []ocsfResource{{UID: f.Resource, Name: ShortResource(f.Resource), Type: awsResourceType(f.Resource)}}
		if fx := Fix(f); fx != "" && f.Status != finding.Pass {
			e.Remediation = &ocsfRemediation{Desc: fx}
		}
		e.Unmapped = map[string]any{"pvaudit_status": string(f.Status)}
		if f.Key != "" {
			e.Unmapped["key"] = f.Key
		}
		if len(f.Evidence) > 0 {
			e.Unmapped["evidence"] = f.Evidence
		}
		if s := f.Suppressed; s != nil {
			e.Unmapped["suppression"] = s
		}
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	for _, g := range r.Gaps() {
		e := base()
		e.SeverityID, e.Severity = 4, "High"
		e.Message = "Coverage gap: " + gapText(g)
		e.Metadata.UID = "gap-" + g.Operation + "-" + h.GeneratedAt.UTC().Format("20060102T150405Z")
		e.FindingInfo = ocsfFindingInfo{UID: "coverage-gap:" + g.Operation + ":" + g.Resource, Title: "Coverage gap: could not read " + g.Operation,
			Desc: gapText(g), CreatedTime: t, Types: []string{"IAM", "coverage"}}
		e.Compliance = ocsfCompliance{Control: "coverage", Standards: []string{}, StatusID: 0, Status: "Unknown", StatusDetail: "input could not be read: the run is incomplete"}
		e.Resources = []ocsfResource{{UID: firstNonEmpty(g.Resource, acct, g.Operation)}}
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}
