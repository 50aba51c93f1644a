package provision

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/pvaudit/pvaudit/policy"
)

// canonical returns a document's canonical form, indented one statement
// element per line, for comparisons and readable diffs: two documents IAM
// treats alike (order of lists and statements, a string for a one-element
// list, the case of action names) give the same text.
func canonical(d *policy.Document) string {
	if d == nil {
		return ""
	}
	b, err := d.CanonicalJSON()
	if err != nil {
		return ""
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

// lineDiff returns a unified-style diff of two texts: lines only in a
// start with "- ", lines only in b with "+ ", common lines with "  ".
// Unchanged runs longer than 2*context lines are cut to context lines
// around each change, with "  …" between.
func lineDiff(a, b string, context int) []string {
	x, y := splitLines(a), splitLines(b)
	// Longest common subsequence, by dynamic programming: documents are a
	// few hundred lines at most.
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var all []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			all = append(all, "  "+x[i])
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			all = append(all, "+ "+y[j])
			j++
		default:
			all = append(all, "- "+x[i])
			i++
		}
	}
	keep := make([]bool, len(all))
	for k, l := range all {
		if !strings.HasPrefix(l, "  ") {
			for c := max(0, k-context); c <= min(len(all)-1, k+context); c++ {
				keep[c] = true
			}
		}
	}
	var out []string
	skipped := false
	for k, l := range all {
		if keep[k] {
			out = append(out, l)
			skipped = false
		} else if !skipped {
			out = append(out, "  …")
			skipped = true
		}
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}
