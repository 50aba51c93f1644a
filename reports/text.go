package reports

import (
	"strings"
	"unicode/utf8"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// ANSI styles, used only when Options.Color is set.
const (
	ansiReset  = "\033[0m"
	ansiBold   = "\033[1m"
	ansiDim    = "\033[2m"
	ansiRed    = "\033[31m"
	ansiGreen  = "\033[32m"
	ansiYellow = "\033[33m"
	ansiBlue   = "\033[34m"
	ansiMag    = "\033[35m"
	ansiCyan   = "\033[36m"
)

// painter colours text when colour is on and returns it untouched when not.
type painter bool

func (p painter) paint(style, s string) string {
	if !p || s == "" {
		return s
	}
	return style + s + ansiReset
}

func (p painter) bold(s string) string { return p.paint(ansiBold, s) }
func (p painter) dim(s string) string  { return p.paint(ansiDim, s) }

func (p painter) status(st finding.Status, s string) string {
	switch st {
	case finding.Fail:
		return p.paint(ansiBold+ansiRed, s)
	case finding.Error:
		return p.paint(ansiBold+ansiMag, s)
	case finding.NotEvaluated, finding.Warn:
		return p.paint(ansiYellow, s)
	case finding.Pass:
		return p.paint(ansiGreen, s)
	}
	return s
}

func (p painter) severity(sev finding.Severity, s string) string {
	switch sev {
	case finding.Critical:
		return p.paint(ansiBold+ansiRed, s)
	case finding.High:
		return p.paint(ansiRed, s)
	case finding.Medium:
		return p.paint(ansiYellow, s)
	case finding.Low:
		return p.paint(ansiCyan, s)
	}
	return p.paint(ansiBlue, s)
}

func (p painter) outcome(o finding.Outcome, s string) string {
	switch o {
	case finding.Clean:
		return p.paint(ansiBold+ansiGreen, s)
	case finding.Failed:
		return p.paint(ansiBold+ansiRed, s)
	}
	return p.paint(ansiBold+ansiMag, s)
}

// textWidth is the number of columns s takes (one per rune: pvaudit's
// text is Latin, arrows and quotes).
func textWidth(s string) int { return utf8.RuneCountInString(s) }

// pad right-pads s to n columns.
func pad(s string, n int) string {
	if w := textWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// padLeft left-pads s to n columns.
func padLeft(s string, n int) string {
	if w := textWidth(s); w < n {
		return strings.Repeat(" ", n-w) + s
	}
	return s
}

// wrap breaks text into lines of at most width columns at spaces; a word
// longer than a line (an ARN) is cut.
func wrap(text string, width int) []string { return wrapFirst(text, width, width) }

// wrapFirst wraps text with a first line of first columns and the others
// of rest columns.
func wrapFirst(text string, first, rest int) []string {
	first, rest = max(first, 10), max(rest, 10)
	var lines []string
	limit := func() int {
		if len(lines) == 0 {
			return first
		}
		return rest
	}
	for _, para := range strings.Split(text, "\n") {
		var cur []rune
		for _, word := range strings.Fields(para) {
			wr := []rune(word)
			for len(wr) > 0 {
				n := limit()
				switch {
				case len(cur) == 0 && len(wr) <= n:
					cur, wr = append(cur, wr...), nil
				case len(cur) > 0 && len(cur)+1+len(wr) <= n:
					cur = append(append(cur, ' '), wr...)
					wr = nil
				case len(cur) > 0:
					lines = append(lines, string(cur))
					cur = nil
				default: // a word longer than the line
					lines = append(lines, string(wr[:n]))
					wr = wr[n:]
				}
			}
		}
		lines = append(lines, string(cur))
	}
	return lines
}

// hanging writes text wrapped to width with the first line after prefix
// and the next ones indented by indent columns.
func hanging(b *strings.Builder, prefix string, indent int, text string, width int) {
	lines := wrapFirst(text, width-textWidth(stripANSI(lastLine(prefix))), width-indent)
	for i, l := range lines {
		if i == 0 {
			b.WriteString(prefix)
		} else {
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// clip shortens s to n columns with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 2 {
		return s
	}
	return string(r[:n-1]) + "…"
}
