package evidence

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // UUID version 5 is defined with SHA-1; it names, it does not protect
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/rules/controls"
)

// OSCALVersion is the OSCAL version of the assessment-results document.
const OSCALVersion = "1.0.4"

// uuidNamespace is the namespace of pvaudit's name-based UUIDs (version 5):
// the same bundle gives the same UUIDs.
var uuidNamespace = [16]byte{0x6f, 0x2a, 0x51, 0x1c, 0x8e, 0x44, 0x4b, 0x7d, 0x9a, 0x30, 0x2e, 0x64, 0x1b, 0x55, 0xc9, 0x07}

// UUID5 is the version 5 UUID of name in pvaudit's namespace.
func UUID5(name string) string {
	h := sha1.New() //nolint:gosec
	h.Write(uuidNamespace[:])
	h.Write([]byte(name))
	s := h.Sum(nil)
	s[6] = (s[6] & 0x0f) | 0x50
	s[8] = (s[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// OSCAL assessment-results, the subset pvaudit writes.
type oscalDoc struct {
	AR oscalAR `json:"assessment-results"`
}

type oscalAR struct {
	UUID       string        `json:"uuid"`
	Metadata   oscalMetadata `json:"metadata"`
	ImportAP   oscalImportAP `json:"import-ap"`
	Results    []oscalResult `json:"results"`
	BackMatter oscalBack     `json:"back-matter"`
}

type oscalMetadata struct {
	Title        string      `json:"title"`
	LastModified string      `json:"last-modified"`
	Version      string      `json:"version"`
	OSCALVersion string      `json:"oscal-version"`
	Props        []oscalProp `json:"props,omitempty"`
	Remarks      string      `json:"remarks,omitempty"`
}

type oscalProp struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	NS      string `json:"ns,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalImportAP struct {
	Href    string `json:"href"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalResult struct {
	UUID             string             `json:"uuid"`
	Title            string             `json:"title"`
	Description      string             `json:"description"`
	Start            string             `json:"start"`
	End              string             `json:"end"`
	Props            []oscalProp        `json:"props,omitempty"`
	ReviewedControls oscalReviewed      `json:"reviewed-controls"`
	Observations     []oscalObservation `json:"observations,omitempty"`
	Findings         []oscalFinding     `json:"findings,omitempty"`
	Remarks          string             `json:"remarks,omitempty"`
}

type oscalReviewed struct {
	ControlSelections []oscalSelection `json:"control-selections"`
}

type oscalSelection struct {
	Description     string            `json:"description,omitempty"`
	IncludeControls []oscalControlRef `json:"include-controls,omitempty"`
	Props           []oscalProp       `json:"props,omitempty"`
}

type oscalControlRef struct {
	ControlID string `json:"control-id"`
}

type oscalObservation struct {
	UUID             string          `json:"uuid"`
	Title            string          `json:"title"`
	Description      string          `json:"description"`
	Props            []oscalProp     `json:"props,omitempty"`
	Methods          []string        `json:"methods"`
	Types            []string        `json:"types,omitempty"`
	Subjects         []oscalSubject  `json:"subjects,omitempty"`
	RelevantEvidence []oscalEvidence `json:"relevant-evidence,omitempty"`
	Collected        string          `json:"collected"`
	Remarks          string          `json:"remarks,omitempty"`
}

type oscalSubject struct {
	SubjectUUID string      `json:"subject-uuid"`
	Type        string      `json:"type"`
	Title       string      `json:"title,omitempty"`
	Props       []oscalProp `json:"props,omitempty"`
}

type oscalEvidence struct {
	Href        string `json:"href,omitempty"`
	Description string `json:"description"`
}

type oscalFinding struct {
	UUID                string        `json:"uuid"`
	Title               string        `json:"title"`
	Description         string        `json:"description"`
	Props               []oscalProp   `json:"props,omitempty"`
	Target              oscalTarget   `json:"target"`
	RelatedObservations []oscalObsRef `json:"related-observations,omitempty"`
	Remarks             string        `json:"remarks,omitempty"`
}

type oscalTarget struct {
	Type     string      `json:"type"`
	TargetID string      `json:"target-id"`
	Title    string      `json:"title,omitempty"`
	Status   oscalStatus `json:"status"`
	Props    []oscalProp `json:"props,omitempty"`
}

type oscalStatus struct {
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalObsRef struct {
	ObservationUUID string `json:"observation-uuid"`
}

type oscalBack struct {
	Resources []oscalResource `json:"resources"`
}

type oscalResource struct {
	UUID        string       `json:"uuid"`
	Title       string       `json:"title"`
	Description string       `json:"description,omitempty"`
	Rlinks      []oscalRlink `json:"rlinks"`
}

type oscalRlink struct {
	Href      string      `json:"href"`
	MediaType string      `json:"media-type,omitempty"`
	Hashes    []oscalHash `json:"hashes,omitempty"`
}

type oscalHash struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

// OSCALInput is what the assessment-results document is made of.
type OSCALInput struct {
	Tool, Version string
	Generated     time.Time
	// Start is when the evidence collection began (the snapshot time).
	Start     time.Time
	Account   string
	Contract  string
	Framework *controls.Framework
	Rows      []controls.Row
	Findings  []finding.Finding
	// Files are the bundle's other files, linked with their hashes.
	Files []File
}

var tokenBad = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ControlToken is a control's OSCAL control-id: NIST SP 800-53 controls as
// NIST's OSCAL catalogue names them (ac-6, ac-6.1); HIPAA and SP 800-171
// controls, which have no NIST OSCAL catalogue IDs of that form, prefixed
// (hipaa-164.312.a.1, sp800-171-3.1.5).
func ControlToken(framework, id string) string {
	switch framework {
	case "NIST-800-53r5":
		s := strings.ToLower(id)
		s = strings.ReplaceAll(s, "(", ".")
		return strings.ReplaceAll(s, ")", "")
	case "NIST-800-171r2":
		return "sp800-171-" + id
	}
	s := strings.NewReplacer("(", ".", ")", "").Replace(id)
	return "hipaa-" + strings.Trim(tokenBad.ReplaceAllString(s, "-"), "-")
}

// AssessmentResults renders the OSCAL assessment-results JSON: one result
// for the run, the framework's controls as reviewed controls, one finding
// per control (satisfied only when the matrix says PASS), one observation
// per pvaudit finding that is not a PASS, and the bundle's files as
// back-matter resources with their SHA-256.
func AssessmentResults(in OSCALInput) ([]byte, error) {
	stamp := in.Generated.UTC().Format(time.RFC3339)
	start := in.Start
	if start.IsZero() || start.After(in.Generated) {
		start = in.Generated
	}
	seed := "pvaudit/" + in.Account + "/" + stamp + "/" + in.Framework.ID
	res := oscalResult{
		UUID:        UUID5(seed + "/result"),
		Title:       fmt.Sprintf("pvaudit assessment of AWS account %s against contract %s (%s)", in.Account, in.Contract, in.Framework.Title),
		Description: "Automated assessment of the account's IAM configuration against the provider's written access promises, mapped to " + in.Framework.Title + ". A control is satisfied only when every rule mapped to it ran and found nothing wrong.",
		Start:       start.UTC().Format(time.RFC3339),
		End:         stamp,
		Props:       []oscalProp{{Name: "account", NS: "https://pvaudit.dev/ns/oscal", Value: nonEmpty(in.Account)}},
	}
	sel := oscalSelection{Description: in.Framework.Title}
	for _, row := range in.Rows {
		sel.IncludeControls = append(sel.IncludeControls, oscalControlRef{ControlID: ControlToken(row.Framework, row.ID)})
	}
	res.ReviewedControls = oscalReviewed{ControlSelections: []oscalSelection{sel}}
	obsOf := map[string]string{}
	for _, f := range in.Findings {
		if f.Status == finding.Pass {
			continue
		}
		u := UUID5(seed + "/observation/" + f.Fingerprint)
		obsOf[f.Fingerprint] = u
		o := oscalObservation{UUID: u, Title: f.CheckID + " " + f.Title, Description: f.Message, Methods: []string{"TEST"}, Types: []string{"finding"},
			Collected: stamp,
			Props: []oscalProp{{Name: "status", NS: "https://pvaudit.dev/ns/oscal", Value: string(f.Status)},
				{Name: "severity", NS: "https://pvaudit.dev/ns/oscal", Value: f.Severity.String()},
				{Name: "fingerprint", NS: "https://pvaudit.dev/ns/oscal", Value: f.Fingerprint}},
			Subjects:         []oscalSubject{{SubjectUUID: UUID5("resource/" + f.Resource), Type: "resource", Title: f.Resource}},
			RelevantEvidence: []oscalEvidence{{Href: "findings.json", Description: "finding " + f.Fingerprint + " in findings.json"}}}
		if f.Suppressed != nil {
			o.Remarks = "Suppressed: " + f.Suppressed.Reason
			if f.Suppressed.Expires != "" {
				o.Remarks += " (until " + f.Suppressed.Expires + ")"
			}
		}
		res.Observations = append(res.Observations, o)
	}
	for _, row := range in.Rows {
		tok := ControlToken(row.Framework, row.ID)
		state := "not-satisfied"
		if row.Status == controls.Pass {
			state = "satisfied"
		}
		var rules []string
		var related []oscalObsRef
		for _, r := range row.Rules {
			rules = append(rules, r.ID+" "+string(r.Status))
			for _, fp := range r.Fingerprints {
				if u, ok := obsOf[fp]; ok {
					related = append(related, oscalObsRef{ObservationUUID: u})
				}
			}
		}
		st := oscalStatus{State: state, Remarks: "pvaudit status " + string(row.Status)}
		if len(row.Reasons) > 0 {
			st.Remarks += ": " + strings.Join(row.Reasons, "; ")
		}
		res.Findings = append(res.Findings, oscalFinding{
			UUID:                UUID5(seed + "/finding/" + tok),
			Title:               row.ID + " " + row.Title,
			Description:         fmt.Sprintf("%s %s: %s by pvaudit's rules %s.", row.Framework, row.ID, strings.ToLower(string(row.Status)), strings.Join(rules, ", ")),
			Props:               []oscalProp{{Name: "pvaudit-status", NS: "https://pvaudit.dev/ns/oscal", Value: string(row.Status)}},
			Target:              oscalTarget{Type: "objective-id", TargetID: tok + "_obj", Title: row.Title, Status: st},
			RelatedObservations: dedupObs(related),
		})
	}
	doc := oscalDoc{AR: oscalAR{
		UUID: UUID5(seed),
		Metadata: oscalMetadata{Title: res.Title, LastModified: stamp, Version: nonEmpty(in.Version), OSCALVersion: OSCALVersion,
			Props: []oscalProp{{Name: "tool", NS: "https://pvaudit.dev/ns/oscal", Value: nonEmpty(in.Tool)}}},
		ImportAP: oscalImportAP{Href: "#" + UUID5(seed+"/plan"),
			Remarks: "No separate assessment plan: the plan is the contract and the rule registry recorded in manifest.json."},
		Results: []oscalResult{res},
	}}
	doc.AR.BackMatter.Resources = append(doc.AR.BackMatter.Resources, oscalResource{UUID: UUID5(seed + "/plan"), Title: "Assessment plan: contract " + in.Contract + " and pvaudit's rule registry",
		Rlinks: []oscalRlink{{Href: "manifest.json", MediaType: "application/json"}}})
	for _, f := range in.Files {
		doc.AR.BackMatter.Resources = append(doc.AR.BackMatter.Resources, oscalResource{UUID: UUID5(seed + "/file/" + f.Path), Title: f.Path,
			Rlinks: []oscalRlink{{Href: f.Path, MediaType: mediaType(f.Path), Hashes: []oscalHash{{Algorithm: "SHA-256", Value: Sum(f.Data)}}}}})
	}
	// manifest.json is written after this document: it is linked without a
	// hash (it holds this document's).
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func dedupObs(in []oscalObsRef) []oscalObsRef {
	seen := map[string]bool{}
	var out []oscalObsRef
	for _, o := range in {
		if !seen[o.ObservationUUID] {
			seen[o.ObservationUUID] = true
			out = append(out, o)
		}
	}
	return out
}

func nonEmpty(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func mediaType(p string) string {
	switch {
	case strings.HasSuffix(p, ".json"):
		return "application/json"
	case strings.HasSuffix(p, ".html"):
		return "text/html"
	case strings.HasSuffix(p, ".csv"):
		return "text/csv"
	case strings.HasSuffix(p, ".md"):
		return "text/markdown"
	case strings.HasSuffix(p, ".yaml"):
		return "application/yaml"
	}
	return "application/octet-stream"
}
