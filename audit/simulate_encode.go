package audit

import (
	"strconv"
	"unicode/utf8"

	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/reports"
)

// The batch writes its answers by hand, byte for byte what encoding/json's
// Encoder (HTML escaping on) writes for a reports.Decision and for
// {"error": …}: TestBatchEncodingMatchesEncodingJSON holds it to that, and
// TestBatchDecisionFields fails when reports.Decision changes shape.

// appendDecision appends d as one JSON line.
func appendDecision(dst []byte, d *reports.Decision) []byte {
	dst = append(dst, '{')
	if d.Principal != "" {
		dst = append(dst, `"principal":`...)
		dst = appendJSONString(dst, d.Principal)
		dst = append(dst, ',')
	}
	if d.Action != "" {
		dst = append(dst, `"action":`...)
		dst = appendJSONString(dst, d.Action)
		dst = append(dst, ',')
	}
	if d.Resource != "" {
		dst = append(dst, `"resource":`...)
		dst = appendJSONString(dst, d.Resource)
		dst = append(dst, ',')
	}
	dst = append(dst, `"decision":`...)
	dst = appendJSONString(dst, d.Decision)
	dst = append(dst, `,"matched":`...)
	if d.Matched == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range d.Matched {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendMatched(dst, &d.Matched[i])
		}
		dst = append(dst, ']')
	}
	if d.MissingLayer != "" {
		dst = append(dst, `,"missing_layer":`...)
		dst = appendJSONString(dst, string(d.MissingLayer))
	}
	if d.MissingLevel != nil {
		dst = append(dst, `,"missing_level":`...)
		dst = strconv.AppendInt(dst, int64(*d.MissingLevel), 10)
	}
	if len(d.Unevaluable) > 0 {
		dst = append(dst, `,"unevaluable":`...)
		dst = append(dst, '[')
		for i, u := range d.Unevaluable {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, u)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}', '\n')
}

func appendMatched(dst []byte, m *policy.MatchedStatement) []byte {
	dst = append(dst, `{"layer":`...)
	dst = appendJSONString(dst, string(m.Layer))
	if m.Level != 0 {
		dst = append(dst, `,"level":`...)
		dst = strconv.AppendInt(dst, int64(m.Level), 10)
	}
	dst = append(dst, `,"policy":`...)
	dst = appendJSONString(dst, m.Policy)
	dst = append(dst, `,"index":`...)
	dst = strconv.AppendInt(dst, int64(m.Index), 10)
	if m.Sid != "" {
		dst = append(dst, `,"sid":`...)
		dst = appendJSONString(dst, m.Sid)
	}
	dst = append(dst, `,"effect":`...)
	dst = appendJSONString(dst, string(m.Effect))
	return append(dst, '}')
}

// appendErrorLine appends {"error":msg} as one JSON line.
func appendErrorLine(dst []byte, msg string) []byte {
	dst = append(dst, `{"error":`...)
	dst = appendJSONString(dst, msg)
	return append(dst, '}', '\n')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted the way encoding/json does with HTML
// escaping: ", \ and control characters escaped, <, > and & as \u00XX,
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
