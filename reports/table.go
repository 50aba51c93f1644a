package reports

import (
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// NewTable returns a table in pvaudit's house style, DefaultWidth wide.
func NewTable(w io.Writer, headers ...string) *tablewriter.Table {
	return newTable(w, DefaultWidth, headers...)
}

// newTable returns a table fitted to width columns.
func newTable(w io.Writer, width int, headers ...string) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithMaxWidth(width),
	)
	t.Header(toAny(headers)...)
	return t
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// ShortResource trims an ARN to what identifies it within one account
// ("arn:aws:iam::123456789012:role/x" → "role/x").
func ShortResource(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[5] != "" {
		return parts[5]
	}
	return arn
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
