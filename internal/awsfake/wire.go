package awsfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Protocol constants.
const (
	iamVersion   = "2010-05-08"
	stsVersion   = "2011-06-15"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	ctTargetPfx  = "CloudTrail_20131101."
)

// apiError is an error answered in the service's error shape.
type apiError struct {
	Code    string
	Message string
	Status  int
	Server  bool // Type Receiver instead of Sender
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newErr(status int, code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: status, Server: status >= 500}
}

func errNoSuchEntity(format string, args ...any) *apiError {
	return newErr(http.StatusNotFound, "NoSuchEntity", format, args...)
}

func errAlreadyExists(format string, args ...any) *apiError {
	return newErr(http.StatusConflict, "EntityAlreadyExists", format, args...)
}

func errMalformed(format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, "MalformedPolicyDocument", format, args...)
}

func errLimit(format string, args ...any) *apiError {
	return newErr(http.StatusConflict, "LimitExceeded", format, args...)
}

func errValidation(format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, "ValidationError", format, args...)
}

func errInvalidInput(format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, "InvalidInput", format, args...)
}

func errDeleteConflict(format string, args ...any) *apiError {
	return newErr(http.StatusConflict, "DeleteConflict", format, args...)
}

// xmlBuilder writes indented XML. Element text is escaped.
type xmlBuilder struct {
	b      strings.Builder
	depth  int
	opened bool // the last write opened an element: close writes <a></a>
}

func (x *xmlBuilder) indent() {
	x.opened = false
	x.b.WriteByte('\n')
	for range x.depth {
		x.b.WriteString("  ")
	}
}

func (x *xmlBuilder) open(name string) {
	x.indent()
	x.b.WriteString("<" + name + ">")
	x.depth++
	x.opened = true
}

func (x *xmlBuilder) close(name string) {
	x.depth--
	if !x.opened {
		x.indent()
	}
	x.opened = false
	x.b.WriteString("</" + name + ">")
}

// el writes <name>text</name>.
func (x *xmlBuilder) el(name, text string) {
	x.indent()
	x.b.WriteString("<" + name + ">")
	x.b.WriteString(xmlEscape(text))
	x.b.WriteString("</" + name + ">")
}

// opt writes the element only when text is not empty.
func (x *xmlBuilder) opt(name, text string) {
	if text != "" {
		x.el(name, text)
	}
}

func (x *xmlBuilder) time(name string, t time.Time) { x.el(name, isoTime(t)) }

func (x *xmlBuilder) bool(name string, v bool) { x.el(name, strconv.FormatBool(v)) }

func (x *xmlBuilder) int(name string, v int) { x.el(name, strconv.Itoa(v)) }

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\n':
			b.WriteString("&#xA;")
		case '\r':
			b.WriteString("&#xD;")
		case '\t':
			b.WriteString("&#x9;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// urlEncodeDoc percent-encodes a policy document the way IAM returns it:
// every byte except RFC 3986 unreserved characters is escaped, so spaces are
// %20 (never '+').
func urlEncodeDoc(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// queryResponse renders a Query-protocol success body. result may be nil for
// actions that return no result element.
func queryResponse(ns, action, requestID string, result *xmlBuilder) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<%sResponse xmlns=\"%s\">", action, ns)
	if result != nil {
		fmt.Fprintf(&b, "\n  <%sResult>", action)
		b.WriteString(strings.ReplaceAll(result.b.String(), "\n", "\n    "))
		fmt.Fprintf(&b, "\n  </%sResult>", action)
	}
	fmt.Fprintf(&b, "\n  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n</%sResponse>\n", requestID, action)
	return []byte(b.String())
}

// queryError renders a Query-protocol error body.
func queryError(ns string, e *apiError, requestID string) []byte {
	typ := "Sender"
	if e.Server {
		typ = "Receiver"
	}
	return []byte(fmt.Sprintf("<ErrorResponse xmlns=\"%s\">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n",
		ns, typ, xmlEscape(e.Code), xmlEscape(e.Message), requestID))
}

// jsonError renders a JSON 1.1 error body.
func jsonError(e *apiError) []byte {
	b, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	return b
}

// form wraps the decoded Query parameters.
type form struct{ v url.Values }

func (f form) get(name string) string { return f.v.Get(name) }

func (f form) has(name string) bool { _, ok := f.v[name]; return ok }

// list reads name.member.1, name.member.2, … until a gap.
func (f form) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		k := fmt.Sprintf("%s.member.%d", name, i)
		if !f.has(k) {
			return out
		}
		out = append(out, f.v.Get(k))
	}
}

func (f form) tags() []tag {
	var out []tag
	for i := 1; ; i++ {
		k := fmt.Sprintf("Tags.member.%d.Key", i)
		if !f.has(k) {
			return out
		}
		out = append(out, tag{key: f.v.Get(k), value: f.v.Get(fmt.Sprintf("Tags.member.%d.Value", i))})
	}
}

func (f form) int(name string, def int) (int, *apiError) {
	s := f.get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errValidation("Invalid value %q for parameter %s", s, name)
	}
	return n, nil
}

func (f form) required(names ...string) *apiError {
	for _, n := range names {
		if f.get(n) == "" {
			return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(n))
		}
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// requestParameters turns Query parameters into CloudTrail's camelCase
// requestParameters object; member lists become arrays.
func (f form) requestParameters() map[string]any {
	out := map[string]any{}
	lists := map[string]map[int]map[string]string{}
	for k, vs := range f.v {
		if k == "Action" || k == "Version" {
			continue
		}
		v := ""
		if len(vs) > 0 {
			v = vs[0]
		}
		parts := strings.Split(k, ".")
		if len(parts) >= 3 && parts[1] == "member" {
			idx, err := strconv.Atoi(parts[2])
			if err != nil {
				continue
			}
			field := strings.Join(parts[3:], ".")
			if lists[parts[0]] == nil {
				lists[parts[0]] = map[int]map[string]string{}
			}
			if lists[parts[0]][idx] == nil {
				lists[parts[0]][idx] = map[string]string{}
			}
			lists[parts[0]][idx][field] = v
			continue
		}
		out[lowerFirst(k)] = v
	}
	for name, items := range lists {
		arr := make([]any, 0, len(items))
		for i := 1; i <= len(items); i++ {
			it, ok := items[i]
			if !ok {
				break
			}
			if v, scalar := it[""]; scalar && len(it) == 1 {
				arr = append(arr, v)
				continue
			}
			obj := map[string]any{}
			for k, v := range it {
				obj[lowerFirst(k)] = v
			}
			arr = append(arr, obj)
		}
		out[lowerFirst(name)] = arr
	}
	return out
}

// pageMarker encodes a list offset as an opaque marker.
func pageMarker(kind string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.Itoa(offset)))
}

func parseMarker(kind, marker string) (int, bool) {
	if marker == "" {
		return 0, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(marker)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(raw), kind+":")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// accessKeyFromAuth extracts the access key ID from a SigV4 Authorization
// header, or from a presigned URL's X-Amz-Credential.
func accessKeyFromAuth(r *http.Request) (key, region, service string) {
	h := r.Header.Get("Authorization")
	cred := ""
	if i := strings.Index(h, "Credential="); i >= 0 {
		cred = h[i+len("Credential="):]
		if j := strings.IndexAny(cred, ", "); j >= 0 {
			cred = cred[:j]
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(cred, "/")
	if len(parts) >= 4 {
		return parts[0], parts[2], parts[3]
	}
	if len(parts) >= 1 {
		return parts[0], "", ""
	}
	return "", "", ""
}
