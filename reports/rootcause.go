package reports

import (
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// RootCause is a group of failing findings with one cause: the same check
// decided by the same policy statements (or, when the check names no
// statement, the same check). Fixing the cause fixes every finding in it.
type RootCause struct {
	CheckID  string           `json:"check_id"`
	Title    string           `json:"title"`
	Severity finding.Severity `json:"severity"`
	// Statements are the deciding statements the findings share (empty
	// when the check names none).
	Statements []string `json:"statements,omitempty"`
	Count      int      `json:"count"`
	// Resources are the findings' resources, sorted, without duplicates.
	Resources []string `json:"resources"`
	// Fixes are the remediations filled in for each resource, sorted,
	// without duplicates.
	Fixes        []string `json:"fixes,omitempty"`
	Fingerprints []string `json:"fingerprints"`
}

// RootCauses groups the unsuppressed FAIL findings by root cause, most
// severe first, then the largest groups, then by check.
func RootCauses(fs []finding.Finding) []RootCause {
	index := map[string]int{}
	var out []RootCause
	res := map[int]map[string]bool{}
	fixes := map[int]map[string]bool{}
	for i := range fs {
		f := &fs[i]
		if f.Status != finding.Fail || f.Suppressed != nil {
			continue
		}
		sts := grantStatements(DecidingStatements(f))
		key := f.CheckID + "\x00" + strings.Join(sts, "\x00")
		j, ok := index[key]
		if !ok {
			j = len(out)
			index[key] = j
			out = append(out, RootCause{CheckID: f.CheckID, Title: f.Title, Severity: f.Severity, Statements: sts})
			res[j], fixes[j] = map[string]bool{}, map[string]bool{}
		}
		rc := &out[j]
		rc.Count++
		rc.Severity = max(rc.Severity, f.Severity)
		rc.Fingerprints = append(rc.Fingerprints, f.Fingerprint)
		res[j][f.Resource] = true
		if x := Fix(f); x != "" {
			fixes[j][x] = true
		}
	}
	for j := range out {
		out[j].Resources = sortedKeys(res[j])
		out[j].Fixes = sortedKeys(fixes[j])
		sort.Strings(out[j].Fingerprints)
	}
	sort.SliceStable(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.Severity != y.Severity {
			return x.Severity > y.Severity
		}
		if x.Count != y.Count {
			return x.Count > y.Count
		}
		if x.CheckID != y.CheckID {
			return x.CheckID < y.CheckID
		}
		return strings.Join(x.Statements, "\x00") < strings.Join(y.Statements, "\x00")
	})
	return out
}

// grantStatements keeps the identity statements of a decision when there
// are any: the boundary statement that let a request through is not what
// needs fixing, the grant is.
func grantStatements(sts []string) []string {
	var id []string
	for _, s := range sts {
		if strings.HasPrefix(s, "identity/") {
			id = append(id, s)
		}
	}
	if len(id) > 0 {
		return id
	}
	return sts
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
