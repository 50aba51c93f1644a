package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

// KindOrg is the consolidated report of a run over many accounts.
const KindOrg Kind = "org"

// OrgReport is one pipeline run over many accounts (scan --org, evidence
// export --org): a row per account, the findings that are not PASS of
// every account, every account's gaps, and the provider's fleet view.
type OrgReport struct {
	Header
	Outcome
	// Pipeline is what ran in each account (scan, evidence, drift).
	Pipeline string `json:"pipeline"`
	// Source says where the accounts came from (organizations, a file).
	Source   string          `json:"source"`
	Summary  finding.Summary `json:"summary"`
	Accounts []OrgAccount    `json:"accounts"`
	// Skipped are accounts the listing left out (not ACTIVE), with why.
	Skipped []string `json:"skipped"`
	// Fleet is the provider's view across the accounts (--fleet).
	Fleet *Fleet `json:"fleet,omitempty"`
	// CoverageGaps are every account's gaps (resource prefixed with the
	// account) and one per account that could not be audited.
	CoverageGaps []inventory.Gap `json:"coverage_gaps"`
	// Findings are every account's findings but PASS (each account's own
	// report lists its PASS rows; Summary counts them), and the fleet's.
	Findings []finding.Finding `json:"findings"`
}

// OrgAccount is one account's row.
type OrgAccount struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	OU   string `json:"ou,omitempty"`
	// Outcome is clean, failed, incomplete, or error when the account could
	// not be audited at all (Error says why).
	Outcome  string           `json:"outcome"`
	Error    string           `json:"error,omitempty"`
	Summary  *finding.Summary `json:"summary,omitempty"`
	Failing  int              `json:"failing"`
	Gaps     int              `json:"coverage_gaps"`
	Contract string           `json:"contract,omitempty"`
	// Calls and Throttled count the account's API calls (every attempt).
	Calls     int `json:"api_calls"`
	Throttled int `json:"throttled"`
	// Resumed: the row comes from the state file of an interrupted run.
	Resumed bool `json:"resumed,omitempty"`
	// Outputs are the account's own files (report, evidence bundle).
	Outputs []string `json:"outputs,omitempty"`
}

// Fleet is the provider's view across tenant accounts.
type Fleet struct {
	// Contracts maps each contract version (name@digest) to its accounts.
	Contracts map[string][]string `json:"contracts"`
	// Boundaries maps each boundary intent (canonical policy digest) to
	// the boundary policies that have it, as ACCOUNT:NAME.
	Boundaries map[string][]string `json:"boundaries"`
	// ExternalIDs maps each ExternalId (by digest, never its value) to the
	// accounts whose cross-account role requires it.
	ExternalIDs map[string][]string `json:"external_ids"`
	// Drift is per account: the drift verdict, or why there is none.
	Drift map[string]string `json:"drift"`
	// Notes say what the view could not judge.
	Notes []string `json:"notes"`
}

// Result returns the verdict and the counts.
func (r *OrgReport) Result() (finding.Verdict, finding.Summary) { return r.Verdict, r.Summary }

// FindingList returns the consolidated findings.
func (r *OrgReport) FindingList() []finding.Finding { return r.Findings }

// Gaps returns every account's gaps.
func (r *OrgReport) Gaps() []inventory.Gap { return r.CoverageGaps }

func (r *OrgReport) withFindings(fs []finding.Finding) FindingReport {
	c := *r
	c.Findings = fs
	return &c
}

func (r *OrgReport) normalizeJSON() {
	r.Accounts = nonNil(r.Accounts)
	r.Skipped = nonNil(r.Skipped)
	r.CoverageGaps = nonNil(r.CoverageGaps)
	r.Findings = nonNil(r.Findings)
	if r.Verdict.Accepted == nil {
		r.Verdict.Accepted = []finding.AcceptedGap{}
	}
	if f := r.Fleet; f != nil {
		f.Notes = nonNil(f.Notes)
		for _, m := range []*map[string][]string{&f.Contracts, &f.Boundaries, &f.ExternalIDs} {
			if *m == nil {
				*m = map[string][]string{}
			}
		}
		if f.Drift == nil {
			f.Drift = map[string]string{}
		}
	}
}

func writeOrgTable(w io.Writer, rep Report, o Options) error {
	r := rep.(*OrgReport)
	if _, err := fmt.Fprintf(w, "%s over %d account(s) (%s)\n\n", r.Pipeline, len(r.Accounts), r.Source); err != nil {
		return err
	}
	t := newTable(w, o.width(), "ACCOUNT", "NAME", "OU", "OUTCOME", "FAILING", "GAPS", "CALLS", "THROTTLED", "NOTE")
	for _, a := range r.Accounts {
		note := a.Error
		if a.Resumed {
			note = strings.TrimSpace("resumed " + note)
		}
		if err := t.Append([]string{a.ID, a.Name, a.OU, strings.ToUpper(a.Outcome), fmt.Sprint(a.Failing), fmt.Sprint(a.Gaps),
			fmt.Sprint(a.Calls), fmt.Sprint(a.Throttled), note}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(r.Skipped) > 0 {
		if _, err := fmt.Fprintf(w, "\nNot audited (not ACTIVE): %s\n", strings.Join(r.Skipped, ", ")); err != nil {
			return err
		}
	}
	if f := r.Fleet; f != nil {
		fmt.Fprintf(w, "\nFleet: %d contract version(s), %d boundary intent(s), %d ExternalId(s) (by digest)\n", len(f.Contracts), len(f.Boundaries), len(f.ExternalIDs))
		for _, n := range f.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	if err := writeFindingLines(w, r.Findings, o); err != nil {
		return err
	}
	writeGaps(w, r.CoverageGaps)
	writeAccepted(w, r.Verdict)
	_, err := fmt.Fprintf(w, "\n%s\n", SummaryLine(r))
	return err
}
