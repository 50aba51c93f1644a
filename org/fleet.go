package org

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
)

// Facts are what the fleet view compares across accounts. ExternalIds are
// kept as digests only: the state file and the report never hold one.
type Facts struct {
	// Contract is the contract version the account was judged against:
	// its name and the digest of its rules (parameters left out, as each
	// tenant has its own).
	Contract   string          `json:"contract"`
	Roles      []RoleFacts     `json:"cross_account_roles"`
	Boundaries []BoundaryFacts `json:"boundaries"`
	// Drift is the account's drift verdict, "" when no drift ran.
	Drift string `json:"drift,omitempty"`
}

// RoleFacts is one cross-account role.
type RoleFacts struct {
	ARN string `json:"arn"`
	// ExternalID is the scan's PV-XAR-003 verdict: required,
	// not-required or unknown.
	ExternalID string `json:"external_id"`
	// Digests are the ExternalId values the trust compares with, hashed.
	Digests []string `json:"external_id_digests"`
	// Wildcard: some value is a pattern, which matches other tenants' IDs.
	Wildcard bool `json:"wildcard,omitempty"`
}

// BoundaryFacts is one permissions boundary policy of the contract's
// pattern and the digest of its intent (canonical default version, with
// the account ID and node ID written as placeholders).
type BoundaryFacts struct {
	Name   string `json:"name"`
	Intent string `json:"intent,omitempty"`
	Error  string `json:"error,omitempty"`
}

// externalIDDigest hashes an ExternalId for comparison. It is not secret
// keyed: a guessable ExternalId can be confirmed from its digest (the
// report says so); a random one cannot be recovered.
func externalIDDigest(v string) string {
	h := sha256.Sum256([]byte("pvaudit fleet external id\x00" + v))
	return hex.EncodeToString(h[:8])
}

// ContractVersion names a contract by its rules.
func ContractVersion(c *contract.Contract) string {
	if c == nil {
		return ""
	}
	x := *c
	x.Parameters = contract.Parameters{}
	b, err := yaml.Marshal(&x)
	if err != nil {
		return c.Name + "@unknown"
	}
	h := sha256.Sum256(b)
	return c.Name + "@" + hex.EncodeToString(h[:6])
}

// FactsOf gathers an account's fleet facts from its snapshot and scan.
func FactsOf(snap *inventory.Snapshot, c *contract.Contract, scan *reports.ScanReport) *Facts {
	f := &Facts{Contract: ContractVersion(c), Roles: []RoleFacts{}, Boundaries: []BoundaryFacts{}}
	xar := map[string]finding.Status{}
	for _, x := range scan.Findings {
		if x.CheckID == "PV-XAR-003" {
			if prev, ok := xar[x.Resource]; !ok || worse(x.Status, prev) {
				xar[x.Resource] = x.Status
			}
		}
	}
	for _, r := range scan.Roles {
		if r.Kind != "cross-account" {
			continue
		}
		rf := RoleFacts{ARN: r.ARN, ExternalID: "unknown", Digests: []string{}}
		switch xar[r.ARN] {
		case finding.Pass:
			rf.ExternalID = "required"
		case finding.Fail:
			rf.ExternalID = "not-required"
		}
		if role := snap.Role(r.Name); role != nil && role.TrustPolicy != nil {
			seen := map[string]bool{}
			for _, st := range role.TrustPolicy.Statements {
				for op, kv := range st.Condition {
					for k, vals := range kv {
						if !strings.EqualFold(k, "sts:ExternalId") {
							continue
						}
						for _, v := range vals {
							if strings.ContainsAny(v, "*?") && strings.Contains(strings.ToLower(op), "like") {
								rf.Wildcard = true
							}
							if d := externalIDDigest(v); !seen[d] {
								seen[d] = true
								rf.Digests = append(rf.Digests, d)
							}
						}
					}
				}
			}
			sort.Strings(rf.Digests)
		}
		f.Roles = append(f.Roles, rf)
	}
	if c != nil && c.Boundary.NamePattern != "" {
		for i := range snap.Policies {
			p := &snap.Policies[i]
			if p.AWSManaged() || !contract.Glob(c.Boundary.NamePattern, p.Name) {
				continue
			}
			f.Boundaries = append(f.Boundaries, boundaryFacts(snap.AccountID, c, p))
		}
	}
	return f
}

func worse(a, b finding.Status) bool {
	rank := map[finding.Status]int{finding.Pass: 0, finding.Warn: 1, finding.NotEvaluated: 2, finding.Error: 3, finding.Fail: 4}
	return rank[a] > rank[b]
}

func boundaryFacts(account string, c *contract.Contract, p *inventory.ManagedPolicy) BoundaryFacts {
	bf := BoundaryFacts{Name: p.Name}
	for _, v := range p.Versions {
		if v.VersionID != p.DefaultVersionID && !(p.DefaultVersionID == "" && v.IsDefault) {
			continue
		}
		if v.Document == nil {
			break
		}
		b, err := v.Document.CanonicalJSON()
		if err != nil {
			bf.Error = err.Error()
			return bf
		}
		s := strings.ReplaceAll(string(b), account, "{account}")
		if node, ok := c.BoundaryNodeID(p.Name); ok && node != "" {
			s = strings.ReplaceAll(s, node, "{node}")
		}
		h := sha256.Sum256([]byte(s))
		bf.Intent = hex.EncodeToString(h[:8])
		return bf
	}
	bf.Error = "the default version's document is not in the snapshot"
	return bf
}

// Fleet rule IDs: the provider's view across tenants. They live only in
// the consolidated report (the one registry is per account).
const (
	CheckFleetExternalID  = "PV-FLT-001" // every cross-account role requires an ExternalId
	CheckFleetSharedID    = "PV-FLT-002" // no two tenants share an ExternalId
	CheckFleetContract    = "PV-FLT-003" // one contract version everywhere
	CheckFleetBoundary    = "PV-FLT-004" // boundary policies identical in intent
	fleetResource         = "fleet"
	fleetNoteDigest       = "ExternalIds are compared by an unkeyed SHA-256 digest: a guessable ExternalId can be confirmed from it; none is printed."
	fleetNoteIntent       = "Boundary intent is the canonical policy text with the account and node IDs as placeholders: two boundaries that allow the same through different statements count as different (reported, never hidden)."
	fleetNoteDriftMissing = "drift per tenant: not evaluated (give scan --baseline-dir DIR, or baseline: in the accounts file, to compare each tenant with its approved baseline)"
)

func newFleetFinding(id, title string, sev finding.Severity, st finding.Status, resource, key, msg, fix string, ev map[string]any) finding.Finding {
	f := finding.Finding{CheckID: id, Title: title, Severity: sev, Status: st, Resource: resource, Key: key, Message: msg, Evidence: ev, Remediation: fix}
	f.Finalize()
	return f
}

// fleetOf compares the accounts' facts.
func fleetOf(results []*result) (*reports.Fleet, []finding.Finding) {
	fl := &reports.Fleet{Contracts: map[string][]string{}, Boundaries: map[string][]string{}, ExternalIDs: map[string][]string{},
		Drift: map[string]string{}, Notes: []string{fleetNoteDigest, fleetNoteIntent}}
	var fs []finding.Finding
	unjudged := 0
	driftRan := false
	for _, r := range results {
		id := r.Row.ID
		if r.Facts == nil {
			unjudged++
			fl.Drift[id] = "not evaluated: the account was not audited"
			continue
		}
		fl.Contracts[r.Facts.Contract] = append(fl.Contracts[r.Facts.Contract], id)
		if r.Facts.Drift != "" {
			driftRan = true
			fl.Drift[id] = r.Facts.Drift
		} else {
			fl.Drift[id] = "not evaluated"
		}
		for _, b := range r.Facts.Boundaries {
			if b.Error != "" {
				fs = append(fs, newFleetFinding(CheckFleetBoundary, "Boundary policies are identical in intent across tenants", finding.High, finding.NotEvaluated,
					id+":policy/"+b.Name, "", "cannot compare the boundary: "+b.Error, "", nil))
				continue
			}
			fl.Boundaries[b.Intent] = append(fl.Boundaries[b.Intent], id+":"+b.Name)
		}
		for _, rf := range r.Facts.Roles {
			st, msg := finding.Pass, "the trust requires an ExternalId"
			switch {
			case rf.ExternalID == "not-required":
				st, msg = finding.Fail, "the trust lets the role be assumed without an ExternalId (PV-XAR-003)"
			case rf.ExternalID == "unknown":
				st, msg = finding.NotEvaluated, "the account's scan could not decide whether the trust requires an ExternalId"
			case rf.Wildcard:
				st, msg = finding.Fail, "the trust compares the ExternalId with a pattern, which other tenants' IDs can match"
			}
			fs = append(fs, newFleetFinding(CheckFleetExternalID, "Every tenant's cross-account role requires an ExternalId", finding.Critical, st, rf.ARN, "", msg,
				"Require sts:ExternalId with StringEquals and the tenant's own value in every statement of the trust policy.", nil))
			accts := map[string]bool{}
			for _, d := range rf.Digests {
				if !accts[d] {
					accts[d] = true
					fl.ExternalIDs[d] = appendUnique(fl.ExternalIDs[d], id)
				}
			}
		}
	}
	if unjudged > 0 {
		fl.Notes = append(fl.Notes, fmt.Sprintf("%d account(s) were not audited and are not in the comparison (each is a coverage gap)", unjudged))
	}
	if !driftRan {
		fl.Notes = append(fl.Notes, fleetNoteDriftMissing)
	}
	for k := range fl.Contracts {
		sort.Strings(fl.Contracts[k])
	}
	for k := range fl.Boundaries {
		sort.Strings(fl.Boundaries[k])
	}
	shared := 0
	for _, d := range sortedKeys(fl.ExternalIDs) {
		accts := fl.ExternalIDs[d]
		sort.Strings(accts)
		if len(accts) > 1 {
			shared++
			fs = append(fs, newFleetFinding(CheckFleetSharedID, "No two tenants share an ExternalId", finding.Critical, finding.Fail, "external-id:"+d, "",
				fmt.Sprintf("%d tenant accounts require the same ExternalId (digest %s): %s", len(accts), d, strings.Join(accts, ", ")),
				"Give every tenant its own random ExternalId and update each cross-account role's trust.", map[string]any{"accounts": accts, "digest": d}))
		}
	}
	if shared == 0 && len(fl.ExternalIDs) > 0 {
		fs = append(fs, newFleetFinding(CheckFleetSharedID, "No two tenants share an ExternalId", finding.Critical, finding.Pass, fleetResource, "external-ids",
			fmt.Sprintf("%d ExternalId(s), each required by one tenant", len(fl.ExternalIDs)), "", nil))
	}
	switch len(fl.Contracts) {
	case 0:
	case 1:
		fs = append(fs, newFleetFinding(CheckFleetContract, "Every tenant is on the same contract version", finding.Medium, finding.Pass, fleetResource, "contract",
			"one contract version: "+sortedKeys(fl.Contracts)[0], "", nil))
	default:
		fs = append(fs, newFleetFinding(CheckFleetContract, "Every tenant is on the same contract version", finding.Medium, finding.Fail, fleetResource, "contract",
			fmt.Sprintf("%d contract versions: %s", len(fl.Contracts), groups(fl.Contracts)), "Judge every tenant against one contract version.", map[string]any{"versions": fl.Contracts}))
	}
	switch len(fl.Boundaries) {
	case 0:
	case 1:
		fs = append(fs, newFleetFinding(CheckFleetBoundary, "Boundary policies are identical in intent across tenants", finding.High, finding.Pass, fleetResource, "boundary",
			fmt.Sprintf("%d boundary policies, one intent", len(fl.Boundaries[sortedKeys(fl.Boundaries)[0]])), "", nil))
	default:
		fs = append(fs, newFleetFinding(CheckFleetBoundary, "Boundary policies are identical in intent across tenants", finding.High, finding.Fail, fleetResource, "boundary",
			fmt.Sprintf("%d different boundary intents: %s", len(fl.Boundaries), groups(fl.Boundaries)),
			"Deploy the same boundary (with only the account and node IDs differing) to every tenant.", map[string]any{"intents": fl.Boundaries}))
	}
	return fl, fs
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// groups describes each group by its key and first members.
func groups(m map[string][]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		v := m[k]
		list := strings.Join(v[:min(len(v), 5)], ", ")
		if len(v) > 5 {
			list += fmt.Sprintf(", … %d more", len(v)-5)
		}
		parts = append(parts, fmt.Sprintf("%s (%d: %s)", k, len(v), list))
	}
	return strings.Join(parts, "; ")
}
