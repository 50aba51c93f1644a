package evidence

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Scrubber replaces secrets in everything that goes into a bundle: known
// values (ExternalIds, given by the caller) with stable tokens, so that
// re-analysing the bundle still compares equal values equally; the values
// of keys named like credentials (session tokens, secret keys, passwords);
// and AWS session tokens wherever they appear.
type Scrubber struct {
	values []string          // longest first
	token  map[string]string // value → token
	kind   map[string]string // value → kind
	counts map[string]int
}

// RedactedPrefix starts every token that replaced a value.
const RedactedPrefix = "REDACTED-"

// minSecret is the shortest value replaced: shorter ones would hit
// unrelated text, and are no secret anyway.
const minSecret = 4

// NewScrubber makes a scrubber for the given secret values of a kind
// (e.g. "external-id"). Values shorter than 4 characters, or that contain
// IAM wildcards (a pattern, not a secret, and the checks need it as it
// is), are skipped.
func NewScrubber() *Scrubber {
	return &Scrubber{token: map[string]string{}, kind: map[string]string{}, counts: map[string]int{}}
}

// Add registers secret values of a kind.
func (s *Scrubber) Add(kind string, values ...string) {
	var fresh []string
	for _, v := range values {
		if len(v) < minSecret || strings.ContainsAny(v, "*?") || strings.HasPrefix(v, RedactedPrefix) {
			continue
		}
		if _, ok := s.token[v]; ok {
			continue
		}
		s.token[v] = ""
		fresh = append(fresh, v)
	}
	sort.Strings(fresh)
	n := 0
	for _, t := range s.token {
		if strings.HasPrefix(t, RedactedPrefix+strings.ToUpper(kind)) {
			n++
		}
	}
	for _, v := range fresh {
		n++
		s.token[v] = fmt.Sprintf("%s%s-%d", RedactedPrefix, strings.ToUpper(kind), n)
		s.kind[v] = kind
		s.values = append(s.values, v)
	}
	sort.Slice(s.values, func(i, j int) bool {
		if len(s.values[i]) != len(s.values[j]) {
			return len(s.values[i]) > len(s.values[j])
		}
		return s.values[i] < s.values[j]
	})
}

// Token returns the token a value becomes ("" when it is not a secret).
func (s *Scrubber) Token(v string) string { return s.token[v] }

var (
	// credentialKeyRE finds JSON, YAML or flag-style values of keys named
	// like credentials.
	credentialKeyRE = regexp.MustCompile(`(?i)("?(?:session_?token|secret_?access_?key|aws_secret_access_key|aws_session_token|password|private_?key)"?\s*[:=]\s*)"[^"]*"`)
	// sessionTokenRE finds STS session tokens (they start with the base64
	// of their version header).
	sessionTokenRE = regexp.MustCompile(`(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9+/=]{16,}`)
)

// Bytes returns b with every secret replaced.
func (s *Scrubber) Bytes(b []byte) []byte {
	out := b
	for _, v := range s.values {
		if n := bytes.Count(out, []byte(v)); n > 0 {
			s.counts[s.kind[v]] += n
			out = bytes.ReplaceAll(out, []byte(v), []byte(s.token[v]))
		}
	}
	out = credentialKeyRE.ReplaceAllFunc(out, func(m []byte) []byte {
		sub := credentialKeyRE.FindSubmatch(m)
		s.counts["credential"]++
		return append(append([]byte(nil), sub[1]...), []byte(`"`+RedactedPrefix+`CREDENTIAL"`)...)
	})
	out = sessionTokenRE.ReplaceAllFunc(out, func([]byte) []byte {
		s.counts["session-token"]++
		return []byte(RedactedPrefix + "SESSION-TOKEN")
	})
	return out
}

// String is Bytes for a string.
func (s *Scrubber) String(v string) string { return string(s.Bytes([]byte(v))) }

// Leaks returns the secret values still in b (a last check before a
// bundle is written).
func (s *Scrubber) Leaks(b []byte) []string {
	var out []string
	for _, v := range s.values {
		if bytes.Contains(b, []byte(v)) {
			out = append(out, s.token[v])
		}
	}
	if sessionTokenRE.Match(b) {
		out = append(out, "a session token")
	}
	return out
}

// Redactions counts what was replaced, by kind.
func (s *Scrubber) Redactions() []Redaction {
	var out []Redaction
	for k, n := range s.counts {
		out = append(out, Redaction{Kind: k, Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// CommandLine redacts the values of secret flags in argv (also when the
// value is too short to be replaced as text).
func (s *Scrubber) CommandLine(argv []string, secretFlags ...string) []string {
	out := make([]string, len(argv))
	copy(out, argv)
	for i := 0; i < len(out); i++ {
		for _, f := range secretFlags {
			switch {
			case out[i] == "--"+f && i+1 < len(out):
				out[i+1] = s.redactFlag(f, out[i+1])
				i++
			case strings.HasPrefix(out[i], "--"+f+"="):
				out[i] = "--" + f + "=" + s.redactFlag(f, strings.TrimPrefix(out[i], "--"+f+"="))
			}
		}
	}
	for i := range out {
		out[i] = s.String(out[i])
	}
	return out
}

func (s *Scrubber) redactFlag(flag, v string) string {
	if t := s.token[v]; t != "" {
		return t
	}
	return RedactedPrefix + strings.ToUpper(flag)
}
