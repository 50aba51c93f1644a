package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/reports/evidence"
	"github.com/pvaudit/pvaudit/rules/controls"
	"github.com/pvaudit/pvaudit/suppress"
)

// ExportInput is what `pvaudit evidence export` bundles.
type ExportInput struct {
	Source Source
	// Trail, when given, is replayed as in scan; the sessions go into the
	// bundle.
	Trail TrailSources
	// Framework is the control matrix's framework (hipaa, nist-800-53,
	// nist-800-171).
	Framework string
	// CommandLine is the exact command line (secrets are redacted).
	CommandLine []string
	// SecretFlags are the flags whose values are secrets (--external-id).
	SecretFlags []string
	// Secrets are other secret values to keep out of the bundle (the audit
	// role's external ID).
	Secrets []string
	// Baseline, when set, is an approved baseline (pvaudit baseline
	// save): the drift against it joins the scan (findings.json, the
	// verdict, the control matrix), its full report (attributed to the
	// CloudTrail sources, when given) goes into the bundle as drift.json,
	// and the manifest records the file and how it was verified. VerifyKey,
	// when set, must have signed it. A baseline that cannot be read or
	// verified fails the export: nothing is written.
	Baseline  string
	VerifyKey ed25519.PublicKey
}

// Exported is a bundle ready to be written.
type Exported struct {
	Files    []evidence.File
	Manifest *evidence.Manifest
	Scan     *reports.ScanReport
	Controls *reports.ControlsReport
	// Drift is the drift report (with a baseline).
	Drift *reports.DriftReport
}

// describe says what each bundle file is (in the manifest).
var describe = map[string]string{
	"README.md":               "what this bundle is and how to verify and re-analyse it",
	"coverage.json":           "coverage statement: what was evaluated, what could not be and why, what was suppressed",
	"coverage.md":             "coverage statement for people",
	"findings.json":           "the scan report (pvaudit.report/v2, kind scan): every finding with evidence and fix",
	"controls.json":           "control matrix (kind controls)",
	"controls.csv":            "control matrix: control, rules, status, evidence files",
	"controls.md":             "control matrix for people",
	"snapshot.json":           "the account snapshot that was analysed (secrets redacted)",
	"probes.json":             "probe results: every scenario request decided by the local evaluator (kind probe)",
	"sessions.json":           "CloudTrail sessions on the cross-account role with their calls (kind trail-sessions)",
	"drift.json":              "drift against the baseline",
	"report.html":             "the scan as one self-contained HTML page",
	"assessment-results.json": "OSCAL assessment-results (JSON) for GRC tools",
	"contract.yaml":           "the contract as resolved for the run (parameters merged; secrets redacted)",
	"suppressions.yaml":       "the suppression file that applied",
}

// Export runs the scan (with CloudTrail when given), the local probes and
// the control matrix of one framework, and returns the bundle's files:
// every secret redacted, a coverage statement, an OSCAL document and a
// manifest with every file's hash. It re-analyses the bundle's own inputs
// and records whether that gives the same findings.
func Export(ctx context.Context, r *Run, in ExportInput) (*Exported, error) {
	cat, err := controls.Load()
	if err != nil {
		return nil, err
	}
	fw, err := cat.Framework(in.Framework)
	if err != nil {
		return nil, err
	}
	var drift *reports.DriftReport
	var bref *evidence.BaselineRef
	sin := ScanInput{Source: in.Source, Trail: in.Trail}
	if in.Baseline != "" {
		rep, d, err := r.drift(ctx, DriftInput{Source: in.Source, Baseline: in.Baseline, VerifyKey: in.VerifyKey, Trail: in.Trail}, false)
		if err != nil {
			return nil, err
		}
		drift = rep
		fs := make([]finding.Finding, len(rep.Findings))
		for i, f := range rep.Findings {
			f.Suppressed = nil // the scan applies the suppressions to every finding
			fs[i] = f
		}
		sin.drift = &scanDrift{findings: fs, gaps: d.baseGaps, info: &rep.Baseline}
		bref = &evidence.BaselineRef{Name: in.Baseline, SHA256: d.fileSHA256, Size: d.fileSize, ContentSHA256: d.integ.ContentSHA256,
			Complete: d.base.Complete, Signature: d.integ.Signature, KeyID: d.integ.KeyID}
	}
	scan, rp, err := r.scan(ctx, sin)
	if err != nil {
		return nil, err
	}
	quiet := *r
	quiet.Log = slog.New(slog.DiscardHandler)
	quiet.Command = "probe"
	snap := in.Source.Snapshot
	probe, err := Probe(ctx, &quiet, ProbeInput{Source: in.Source, Engine: "local", Local: true})
	if err != nil {
		return nil, err
	}
	ctlRep := r.controlsReport(fw, scan)

	scr := evidence.NewScrubber()
	scr.Add("external-id", secretValues(r.contract(), snap, in.Secrets)...)

	var files []evidence.File
	add := func(name string, data []byte) {
		files = append(files, evidence.File{Path: name, Data: scr.Bytes(data)})
	}
	render := func(name string, rep reports.Report, format string) error {
		var b bytes.Buffer
		if err := reports.Write(&b, rep, format); err != nil {
			return fmt.Errorf("evidence: %s: %w", name, err)
		}
		add(name, b.Bytes())
		return nil
	}
	evidenceFiles(ctlRep, rp != nil, drift != nil)
	for _, x := range []struct {
		name, format string
		rep          reports.Report
	}{
		{"findings.json", "json", scan}, {"probes.json", "json", probe}, {"report.html", "html", scan},
		{"controls.json", "json", ctlRep}, {"controls.csv", "csv", ctlRep}, {"controls.md", "markdown", ctlRep},
	} {
		if err := render(x.name, x.rep, x.format); err != nil {
			return nil, err
		}
	}
	if rp != nil {
		sess := r.trailReport(reports.KindTrailSessions, rp, rp.res.Sessions, rp.res.Findings, true)
		if err := render("sessions.json", sess, "json"); err != nil {
			return nil, err
		}
	}
	if drift != nil {
		if err := render("drift.json", drift, "json"); err != nil {
			return nil, err
		}
	}
	raw := in.Source.Raw
	if raw == nil {
		var b bytes.Buffer
		if err := snap.WriteJSON(&b); err != nil {
			return nil, fmt.Errorf("evidence: snapshot: %w", err)
		}
		raw = b.Bytes()
	}
	add("snapshot.json", raw)
	ctrYAML, err := yaml.Marshal(r.contract())
	if err != nil {
		return nil, fmt.Errorf("evidence: contract: %w", err)
	}
	add("contract.yaml", ctrYAML)
	if sf := r.Config.Suppressions; sf != nil {
		b, err := yaml.Marshal(sf)
		if err != nil {
			return nil, fmt.Errorf("evidence: suppressions: %w", err)
		}
		add("suppressions.yaml", b)
	}
	cov := coverageOf(scan, probe, in, rp != nil)
	covJSON, covMD, err := cov.render()
	if err != nil {
		return nil, err
	}
	add("coverage.json", covJSON)
	add("coverage.md", covMD)
	add("README.md", []byte(bundleReadme(fw)))

	ar, err := evidence.AssessmentResults(evidence.OSCALInput{Tool: r.Tool, Version: r.Version, Generated: scan.GeneratedAt, Start: snap.CapturedAt,
		Account: snap.AccountID, Contract: scan.Contract, Framework: fw, Rows: ctlRep.Controls, Findings: scan.Findings, Files: files})
	if err != nil {
		return nil, err
	}
	add("assessment-results.json", ar)

	m := r.manifest(fw, scan, in, scr)
	m.Baseline = bref
	m.Contract.SHA256 = evidence.Sum(scr.Bytes(ctrYAML))
	if in.Source.Input != "" {
		m.Input = &evidence.InputRef{Name: in.Source.Input, SHA256: evidence.Sum(raw), Size: len(raw), Redacted: !bytes.Equal(raw, scr.Bytes(raw))}
	}
	m.Reproduction = reproduce(ctx, r, files, scan)
	m.Redactions = scr.Redactions()
	mb, err := m.Seal(files, describe)
	if err != nil {
		return nil, err
	}
	for _, f := range append(files, evidence.File{Path: evidence.ManifestFile, Data: mb}) {
		if leaks := scr.Leaks(f.Data); len(leaks) > 0 {
			return nil, fmt.Errorf("evidence: %s would contain secrets (%s); nothing was written", f.Path, strings.Join(leaks, ", "))
		}
	}
	files = append(files, evidence.File{Path: evidence.ManifestFile, Data: mb})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return &Exported{Files: files, Manifest: m, Scan: scan, Controls: ctlRep, Drift: drift}, nil
}

// secretValues are the ExternalIds the run knows of: the contract's, the
// caller's, and every sts:ExternalId a trust policy compares with.
func secretValues(c *contract.Contract, snap *inventory.Snapshot, extra []string) []string {
	out := append([]string{}, extra...)
	if c != nil && c.Parameters.ExternalID != "" {
		out = append(out, c.Parameters.ExternalID)
	}
	for _, role := range snap.Roles {
		if role.TrustPolicy == nil {
			continue
		}
		for _, st := range role.TrustPolicy.Statements {
			for _, kv := range st.Condition {
				for k, vals := range kv {
					if strings.EqualFold(k, "sts:ExternalId") {
						out = append(out, vals...)
					}
				}
			}
		}
	}
	return out
}

// controlsReport is the control matrix of a scan (with its drift
// findings when it compared with a baseline).
func (r *Run) controlsReport(fw *controls.Framework, scan *reports.ScanReport) *reports.ControlsReport {
	run := reports.ControlRun(scan)
	rows := controls.Matrix(fw, scan.Rules, run)
	out := &reports.ControlsReport{Header: r.header(reports.KindControls, scan.Account), Outcome: &scan.Outcome,
		Framework: reports.FrameworkInfo{ID: fw.ID, Key: fw.Key, Title: fw.Title}, Summary: controls.Summary(rows), Controls: rows}
	out.Command = scan.Command
	return out
}

// evidenceFiles names, for each control row, the bundle files behind it.
func evidenceFiles(rep *reports.ControlsReport, trailGiven, drift bool) {
	for i := range rep.Controls {
		set := map[string]bool{"findings.json": true, "snapshot.json": true}
		for _, x := range rep.Controls[i].Rules {
			switch {
			case strings.HasPrefix(x.ID, "PV-PRB-"):
				set["probes.json"] = true
			case strings.HasPrefix(x.ID, "TRAIL-") && trailGiven:
				set["sessions.json"] = true
			case strings.HasPrefix(x.ID, "DRIFT-") && drift:
				set["drift.json"] = true
			}
		}
		var l []string
		for k := range set {
			l = append(l, k)
		}
		sort.Strings(l)
		rep.Controls[i].Evidence = l
	}
}

func (r *Run) manifest(fw *controls.Framework, scan *reports.ScanReport, in ExportInput, scr *evidence.Scrubber) *evidence.Manifest {
	snap := in.Source.Snapshot
	src := ""
	if r.Config != nil {
		src = r.Config.ContractSource
	}
	params := map[string]any{}
	if c := r.contract(); c != nil {
		b, _ := yaml.Marshal(c.Parameters)
		_ = yaml.Unmarshal(scr.Bytes(b), &params)
	}
	v, s := scan.Result()
	m := &evidence.Manifest{Schema: evidence.ManifestSchema, Tool: r.Tool, Version: r.Version, Revision: r.Revision, GeneratedAt: scan.GeneratedAt,
		CommandLine: scr.CommandLine(in.CommandLine, in.SecretFlags...),
		Framework:   evidence.FrameworkRef{ID: fw.ID, Key: fw.Key, Title: fw.Title},
		Account:     evidence.AccountRef{ID: snap.AccountID, Source: snap.Source, CallerARN: snap.CallerARN, CapturedAt: snap.CapturedAt},
		Contract:    evidence.ContractRef{Name: scan.Contract, Source: scr.String(src), File: "contract.yaml"},
		Parameters:  params,
		TimeWindow:  evidence.TimeWindow{Snapshot: snap.CapturedAt, TrailSince: in.Trail.Since, TrailUntil: in.Trail.Until, TrailSources: in.Trail.Describe()},
		Outcome:     evidence.Outcome{Outcome: string(v.Outcome), FailOn: v.FailOn.String(), Summary: s, CoverageGaps: v.CoverageGaps, Reasons: v.Reasons},
	}
	if m.CommandLine == nil {
		m.CommandLine = []string{}
	}
	return m
}

// reproduce re-analyses the bundle's own snapshot, contract and
// suppressions (and the provider-created roles its scan recorded) and
// compares the findings that do not need CloudTrail.
func reproduce(ctx context.Context, r *Run, files []evidence.File, scan *reports.ScanReport) evidence.Reproduction {
	out := evidence.Reproduction{Checked: true, Command: "pvaudit scan --from BUNDLE"}
	b := &evidence.Bundle{Source: "(export)", Files: map[string][]byte{}}
	for _, f := range files {
		b.Files[f.Path] = f.Data
	}
	bs, err := loadBundle(b)
	if err != nil {
		out.Differences = []string{"cannot re-analyse the bundle: " + err.Error()}
		return out
	}
	quiet := *r
	quiet.Log = slog.New(slog.DiscardHandler)
	quiet.Config = bs.Config
	again, err := Scan(ctx, &quiet, ScanInput{Source: bs.Source, ProviderCreated: bs.ProviderCreated})
	if err != nil {
		out.Differences = []string{"re-analysis failed: " + err.Error()}
		return out
	}
	out.Differences = CompareFindings(scan.Findings, again.Findings)
	out.Same = len(out.Differences) == 0
	return out
}

// CompareFindings lists the findings (other than CloudTrail and drift
// ones, which need the trail and the baseline, neither of which the bundle
// holds) whose fingerprint, status or severity differ.
func CompareFindings(want, got []finding.Finding) []string {
	key := func(fs []finding.Finding) map[string]string {
		m := map[string]string{}
		for _, f := range fs {
			if strings.HasPrefix(f.CheckID, "TRAIL-") || strings.HasPrefix(f.CheckID, "DRIFT-") {
				continue
			}
			m[f.Fingerprint] = f.CheckID + " " + string(f.Status) + " " + f.Severity.String()
		}
		return m
	}
	a, b := key(want), key(got)
	var out []string
	for fp, x := range a {
		if y, ok := b[fp]; !ok {
			out = append(out, fp+" "+x+": not reproduced")
		} else if x != y {
			out = append(out, fp+" "+x+": reproduced as "+y)
		}
	}
	for fp, y := range b {
		if _, ok := a[fp]; !ok {
			out = append(out, fp+" "+y+": new on re-analysis")
		}
	}
	sort.Strings(out)
	return out
}

// BundleSource is an evidence bundle opened for re-analysis.
type BundleSource struct {
	Source Source
	// Config is the bundle's contract (as resolved for the export) and
	// suppressions.
	Config *config.Resolved
	// ProviderCreated are the roles the export's CloudTrail showed the
	// provider created.
	ProviderCreated map[string]string
	Manifest        *evidence.Manifest
	// Gaps say what re-analysing the bundle cannot see: the CloudTrail its
	// export replayed is not in it, so its TRAIL findings cannot be re-derived
	// (they are in sessions.json) and the re-analysis is incomplete.
	Gaps []inventory.Gap
}

// OpenBundle opens an evidence bundle (folder, .zip or .tar.gz) for
// `scan --from BUNDLE`.
func OpenBundle(path string) (*BundleSource, error) {
	b, err := evidence.Open(path)
	if err != nil {
		return nil, err
	}
	bs, err := loadBundle(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	bs.Source.Input = path
	if m := bs.Manifest; m != nil && m.Baseline != nil {
		bs.Gaps = append(bs.Gaps, inventory.Gap{Operation: "baseline:drift", Code: "NotInBundle",
			Message: fmt.Sprintf("the bundle was exported with the baseline %s (content sha256 %s), which it does not hold: its drift findings (drift.json) are not re-derived; give --baseline to compare again",
				m.Baseline.Name, m.Baseline.ContentSHA256)})
	}
	if m := bs.Manifest; m != nil && len(m.TimeWindow.TrailSources) > 0 {
		bs.Gaps = append(bs.Gaps, inventory.Gap{Operation: "cloudtrail:replay", Code: "NotInBundle",
			Message: fmt.Sprintf("the bundle was exported with CloudTrail (%s), which it does not hold: its session findings (sessions.json) are not re-derived; give --trail-* to replay it",
				strings.Join(m.TimeWindow.TrailSources, ", "))})
	}
	return bs, nil
}

func loadBundle(b *evidence.Bundle) (*BundleSource, error) {
	var m *evidence.Manifest
	if _, ok := b.Files[evidence.ManifestFile]; ok {
		var err error
		if m, err = b.ReadManifest(); err != nil {
			return nil, err
		}
	}
	raw, ok := b.Files["snapshot.json"]
	if !ok {
		return nil, fmt.Errorf("bundle has no snapshot.json")
	}
	snap, err := inventory.Decode(raw, b.Source+"/snapshot.json")
	if err != nil {
		return nil, err
	}
	c, err := contract.Parse(b.Files["contract.yaml"], b.Source+"/contract.yaml")
	if err != nil {
		return nil, err
	}
	cfg := &config.Resolved{Contract: c, ContractSource: b.Source + "/contract.yaml"}
	if sb, ok := b.Files["suppressions.yaml"]; ok {
		if cfg.Suppressions, err = suppress.Parse(sb, b.Source+"/suppressions.yaml"); err != nil {
			return nil, err
		}
	}
	created := map[string]string{}
	if fb, ok := b.Files["findings.json"]; ok {
		var prev struct {
			Trail *reports.TrailSummary `json:"trail"`
		}
		if err := json.Unmarshal(fb, &prev); err != nil {
			return nil, fmt.Errorf("findings.json: %w", err)
		}
		if prev.Trail != nil {
			for _, p := range prev.Trail.ProviderCreated {
				created[p.Role] = "CreateRole under session " + p.Session + " (recorded in the evidence bundle)"
			}
		}
	}
	return &BundleSource{Source: Source{Snapshot: snap, Raw: raw}, Config: cfg, ProviderCreated: created, Manifest: m}, nil
}

func bundleReadme(fw *controls.Framework) string {
	return "# pvaudit evidence bundle\n\n" +
		"Control matrix: " + fw.Title + ".\n\n" +
		"- `manifest.json` lists every other file with its SHA-256 and size, the pvaudit version and revision, the contract and its hash,\n" +
		"  the parameters, the account, the caller, the time window and the exact command line.\n" +
		"- `manifest.sig`, when present, is an Ed25519 signature of `manifest.json`.\n" +
		"- `coverage.md` says what was evaluated, what could not be and why, and what was suppressed.\n\n" +
		"Verify it, then re-analyse it offline:\n\n" +
		"    pvaudit evidence verify BUNDLE [--verify-key KEY.pub]\n" +
		"    pvaudit scan --from BUNDLE\n\n" +
		"Secrets (ExternalIds, session tokens, credentials) were replaced by REDACTED-… tokens before anything was written.\n"
}
