package baseline

import (
	"bytes"
	"encoding/json"
	"strings"
)

// maxDiffCells bounds the line-diff table (lines before × lines after);
// larger documents are shown as removed, then added.
const maxDiffCells = 4 << 20

// docDiff is a line diff of two canonical documents, pretty-printed: lines
// start with "-" (only before), "+" (only after) or " " (both). A missing
// document is empty.
func docDiff(before, after json.RawMessage) []string {
	return lineDiff(prettyLines(redactDoc(before)), prettyLines(redactDoc(after)))
}

func prettyLines(raw json.RawMessage) []string {
	if raw == nil {
		return nil
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return []string{string(raw)}
	}
	return strings.Split(b.String(), "\n")
}

// lineDiff is the longest-common-subsequence diff of two line lists.
func lineDiff(a, b []string) []string {
	if len(a)*len(b) > maxDiffCells {
		out := make([]string, 0, len(a)+len(b))
		for _, l := range a {
			out = append(out, "-"+l)
		}
		for _, l := range b {
			out = append(out, "+"+l)
		}
		return out
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	w := len(b) + 1
	lcs := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, " "+a[i])
			i++
			j++
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, "-"+a[i])
			i++
		default:
			out = append(out, "+"+b[j])
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, "-"+a[i])
	}
	for ; j < len(b); j++ {
		out = append(out, "+"+b[j])
	}
	return out
}
