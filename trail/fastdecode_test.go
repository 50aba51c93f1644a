package trail

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/trailgen"
)

const roleARN = "arn:aws:iam::111122223333:role/Pennsieve-Compute-dev-a3f1b20c"

// baseFields are the top-level fields of a record under the selected
// role, in CloudTrail's order.
func baseFields() []string {
	return []string{
		`"eventVersion":"1.08"`,
		`"userIdentity":{"type":"AssumedRole","principalId":"AROAX:s","arn":"arn:aws:sts::111122223333:assumed-role/Pennsieve-Compute-dev-a3f1b20c/s","accountId":"111122223333","accessKeyId":"ASIAX","sessionContext":{"sessionIssuer":{"type":"Role","arn":"` + roleARN + `","userName":"Pennsieve-Compute-dev-a3f1b20c"},"attributes":{"mfaAuthenticated":"false"}}}`,
		`"eventTime":"2025-03-01T10:00:00Z"`,
		`"eventSource":"ecs.amazonaws.com"`,
		`"eventName":"DescribeClusters"`,
		`"awsRegion":"us-east-1"`,
		`"sourceIPAddress":"54.86.10.1"`,
		`"userAgent":"aws-sdk-go-v2/1.30.3"`,
		`"requestParameters":{"clusters":["Pennsieve-Compute-dev-cluster"]}`,
		`"responseElements":null`,
		`"eventID":"e-1"`,
		`"readOnly":true`,
		`"recipientAccountId":"111122223333"`,
	}
}

func join(fields []string) string { return "{" + strings.Join(fields, ",") + "}" }

// replace returns fields with the field named key replaced by kv (or
// removed when kv is "").
func replace(fields []string, key, kv string) []string {
	var out []string
	for _, f := range fields {
		if strings.HasPrefix(f, `"`+key+`":`) {
			if kv != "" {
				out = append(out, kv)
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

// adversarialRecords are records meant to make a fast reader and
// encoding/json disagree.
func adversarialRecords() map[string]string {
	base := baseFields()
	other := replace(base, "userIdentity", `"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ecs-task/s","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/ecs-task"}}}`)
	assume := replace(replace(other, "eventName", `"eventName":"AssumeRole"`), "requestParameters",
		`"requestParameters":{"roleArn":"`+roleARN+`","roleSessionName":"s","externalId":"x","durationSeconds":3600}`)
	failedAssume := replace(replace(other, "eventName", `"eventName":"AssumeRole"`), "requestParameters", `"requestParameters":null`)
	failedAssume = append(failedAssume, `"errorCode":"AccessDenied"`, `"errorMessage":"User: arn:aws:iam::444455556666:user/eve is not authorized to perform: sts:AssumeRole on resource: `+roleARN+`"`)
	esc := func(s string) string { // \u-escape every 'P'
		return strings.ReplaceAll(s, "Pennsieve", `\u0050ennsieve`)
	}
	m := map[string]string{
		"plain":              join(base),
		"other-role":         join(other),
		"assume":             join(assume),
		"failed-assume":      join(failedAssume),
		"reversed-order":     join(reverse(base)),
		"escaped-issuer":     join(replace(other, "userIdentity", esc(`"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/x/s","sessionContext":{"sessionIssuer":{"arn":"`+roleARN+`"}}}`))),
		"escaped-arn":        join(replace(other, "userIdentity", esc(`"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"}`))),
		"escaped-rolearn":    esc(join(assume)),
		"escaped-all-role":   `{"eventTime":"2025-03-01T10:00:00Z","eventName":"AssumeRole","requestParameters":{"roleArn":"arn:aws:iam::1:role/\u0050\u0065\u006e\u006esieve-Compute-x"}}`,
		"escaped-message":    esc(join(failedAssume)),
		"escaped-key-arn":    join(replace(other, "userIdentity", `"userIdentity":{"type":"AssumedRole","\u0061rn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"}`)),
		"escaped-key-top":    join(replace(other, "userIdentity", `"user\u0049dentity":{"arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"}`)),
		"case-key-top":       join(append(other, `"USERIDENTITY":{"arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"}`)),
		"case-key-arn":       join(replace(other, "userIdentity", `"userIdentity":{"ARN":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"}`)),
		"case-key-session":   join(replace(other, "userIdentity", `"userIdentity":{"SessionContext":{"SESSIONISSUER":{"Arn":"`+roleARN+`"}}}`)),
		"kelvin-key":         join(replace(other, "requestParameters", "\"requestParameters\":{\"roleArn\":\""+roleARN+"\"}")) + "",
		"unicode-fold-key":   join(replace(replace(other, "eventName", `"eventName":"AssumeRole"`), "requestParameters", "\"requestParameters\":{\"role\u212arn\":\"x\",\"roleArn\":\""+roleARN+"\"}")),
		"long-s-key":         join(replace(other, "userIdentity", "\"userIdentity\":{\"\u017fessionContext\":{\"sessionIssuer\":{\"arn\":\""+roleARN+"\"}}}")),
		"dup-identity":       join(append(other, `"userIdentity":{"type":"X"}`)),
		"dup-identity-first": join(append([]string{base[1]}, other...)),
		"dup-identity-null":  join(append(base, `"userIdentity":null`)),
		"dup-arn":            join(replace(other, "userIdentity", `"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s","arn":"arn:aws:sts::1:assumed-role/other/s"}`)),
		"dup-arn-reverse":    join(replace(other, "userIdentity", `"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/other/s","arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"}`)),
		"dup-eventname":      join(append(assume, `"eventName":"DescribeClusters"`)),
		"dup-eventname-2":    join(append(replace(assume, "eventName", `"eventName":"DescribeClusters"`), `"eventName":"AssumeRole"`)),
		"dup-request":        join(append(replace(assume, "eventName", `"eventName":"AssumeRole"`), `"requestParameters":{"roleName":"x"}`)),
		"dup-eventtime":      join(append(base, `"eventTime":"yesterday"`)),
		"nested-lookalike":   join(replace(other, "requestParameters", `"requestParameters":{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"},"sessionIssuer":{"arn":"`+roleARN+`"},"nested":{"roleArn":"`+roleARN+`"}}`)),
		"lookalike-top":      join(append(other, `"sessionContext":{"sessionIssuer":{"arn":"`+roleARN+`"}}`, `"roleArn":"`+roleARN+`"`, `"arn":"`+roleARN+`"`)),
		"resources-arn":      join(append(other, `"resources":[{"ARN":"`+roleARN+`","arn":"`+roleARN+`"}]`)),
		"rolearn-not-assume": join(replace(other, "requestParameters", `"requestParameters":{"roleArn":"`+roleARN+`"}`)),
		"rolearn-number":     join(replace(replace(other, "eventName", `"eventName":"AssumeRole"`), "requestParameters", `"requestParameters":{"roleArn":12}`)),
		"rolearn-object":     join(replace(replace(other, "eventName", `"eventName":"AssumeRole"`), "requestParameters", `"requestParameters":{"roleArn":{"x":":role/Pennsieve-Compute-x"}}`)),
		"rolearn-array":      join(replace(replace(other, "eventName", `"eventName":"AssumeRole"`), "requestParameters", `"requestParameters":{"roleArn":[":role/Pennsieve-Compute-x"]}`)),
		"arn-object":         join(replace(other, "userIdentity", `"userIdentity":{"arn":{"a":":assumed-role/Pennsieve-Compute-x/s"}}`)),
		"identity-string":    join(replace(other, "userIdentity", `"userIdentity":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"`)),
		"identity-array":     join(replace(other, "userIdentity", `"userIdentity":["Pennsieve-Compute-x"]`)),
		"session-string":     join(replace(other, "userIdentity", `"userIdentity":{"arn":"x","sessionContext":"`+roleARN+`"}`)),
		"issuer-string":      join(replace(other, "userIdentity", `"userIdentity":{"arn":"x","sessionContext":{"sessionIssuer":"`+roleARN+`"}}`)),
		"issuer-null":        join(replace(other, "userIdentity", `"userIdentity":{"arn":"x","sessionContext":{"sessionIssuer":null}}`)),
		"request-string":     join(replace(replace(other, "eventName", `"eventName":"AssumeRole"`), "requestParameters", `"requestParameters":"`+roleARN+`"`)),
		"request-array":      join(replace(other, "requestParameters", `"requestParameters":[{"roleArn":"`+roleARN+`"}]`)),
		"credentials-string": join(append(replace(assume, "responseElements", ""), `"responseElements":{"credentials":"x","assumedRoleUser":{"arn":"y"}}`)),
		"eventname-number":   join(replace(assume, "eventName", `"eventName":12`)),
		"eventname-null":     join(replace(assume, "eventName", `"eventName":null`)),
		"eventtime-null":     join(append(replace(base, "eventTime", `"eventTime":null`), `"@timestamp":"2025-03-01T10:00:00Z"`)),
		"eventtime-empty":    join(append(replace(base, "eventTime", `"eventTime":""`), `"@timestamp":"2025-03-01T10:00:00Z"`)),
		"timestamp-only":     join(append(replace(base, "eventTime", ""), `"@timestamp":"2025-03-01T10:00:00.123+02:00"`)),
		"eventtime-number":   join(replace(base, "eventTime", `"eventTime":20250301`)),
		"eventtime-bad":      join(replace(base, "eventTime", `"eventTime":"yesterday"`)),
		"eventtime-missing":  join(replace(base, "eventTime", "")),
		"eventtime-escaped":  join(replace(base, "eventTime", `"eventTime":"2025-03-01T10:00:00\u005a"`)),
		"trailing-comma":     strings.TrimSuffix(join(base), "}") + ",}",
		"trailing-comma-in":  join(replace(base, "userIdentity", `"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s",}`)),
		"control-char":       join(replace(base, "userAgent", "\"userAgent\":\"a\x01b\"")),
		"control-char-deep":  join(append(base, "\"tlsDetails\":{\"x\":[\"a\tb\"]}")),
		"bad-escape":         join(append(base, `"x":"\q"`)),
		"bad-unicode":        join(append(base, `"x":"\u12G4"`)),
		"bad-number":         join(append(base, `"x":01`)),
		"bad-number-2":       join(append(base, `"x":1.`)),
		"bad-number-3":       join(append(base, `"x":-`)),
		"good-numbers":       join(append(base, `"x":[0,-1,1.5e10,2E-3,-0.0e+1]`)),
		"bad-literal":        join(append(base, `"x":tru`)),
		"invalid-utf8":       join(append(replace(base, "userAgent", "\"userAgent\":\"a\xffb\""), "\"x\":\"\xc3\"")),
		"invalid-utf8-role":  join(replace(other, "userIdentity", "\"userIdentity\":{\"arn\":\"arn:aws:sts::1:assumed-role/Pennsieve-Compute-\xff/s\"}")),
		"utf8-role":          join(replace(other, "userIdentity", "\"userIdentity\":{\"arn\":\"arn:aws:sts::1:assumed-role/Pennsieve-Compute-é/s\"}")),
		"whitespace":         " {\n \"eventTime\" : \"2025-03-01T10:00:00Z\" ,\t\"userIdentity\" :\r{ \"arn\" : \"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s\" } }\n",
		"two-objects":        join(base) + join(base),
		"garbage-after":      join(base) + "x",
		"empty":              `{}`,
		"deep":               join(append(base, `"x":`+strings.Repeat("[", 300)+strings.Repeat("]", 300))),
		"deep-objects":       join(append(base, `"x":`+strings.Repeat(`{"a":`, 250)+"1"+strings.Repeat("}", 250))),
		"iam-change":         join(replace(replace(other, "eventSource", `"eventSource":"iam.amazonaws.com"`), "eventName", `"eventName":"CreateRole"`)),
		"iam-change-escaped": join(replace(replace(other, "eventSource", `"eventSource":"iam.amazon\u0061ws.com"`), "eventName", `"eventName":"CreateRole"`)),
		"iam-read":           join(replace(replace(other, "eventSource", `"eventSource":"iam.amazonaws.com"`), "eventName", `"eventName":"GetRole"`)),
		"expiration-forms":   join(append(replace(assume, "responseElements", ""), `"responseElements":{"credentials":{"accessKeyId":"ASIA","expiration":"Jul 10, 2023, 12:17:54 PM"},"assumedRoleUser":{"arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"},"role":{"arn":"r"}}`)),
		"expiration-number":  join(append(replace(assume, "responseElements", ""), `"responseElements":{"credentials":{"expiration":1700000000000}}`)),
		"externalid-null":    join(replace(assume, "requestParameters", `"requestParameters":{"roleArn":"`+roleARN+`","externalId":null}`)),
		"externalid-object":  join(replace(assume, "requestParameters", `"requestParameters":{"roleArn":"`+roleARN+`","externalId":{}}`)),
		"duration-string":    join(replace(assume, "requestParameters", `"requestParameters":{"roleArn":"`+roleARN+`","durationSeconds":"900"}`)),
		"duration-float":     join(replace(assume, "requestParameters", `"requestParameters":{"roleArn":"`+roleARN+`","durationSeconds":900.5}`)),
		"escaped-quote":      join(append(base, `"x":"a\"b\\"`, `"y":"\\\"Pennsieve-Compute-x"`)),
		"escaped-message-q":  join(append(failedAssume[:len(failedAssume)-1], `"errorMessage":"User: \"x\" not authorized on `+roleARN+`"`)),
		"bom":                "\xef\xbb\xbf" + join(base),
	}
	return m
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// randomRecord mutates a record at random: field order, duplicates, case
// and escapes in keys and values, look-alike fields, types.
func randomRecord(rng *rand.Rand) string {
	adv := adversarialRecords()
	keys := make([]string, 0, len(adv))
	for k := range adv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var fields []string
	switch rng.IntN(3) {
	case 0:
		fields = baseFields()
	default:
		fields = splitTop(adv[keys[rng.IntN(len(keys))]])
		if fields == nil {
			fields = baseFields()
		}
	}
	rng.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	for range rng.IntN(4) {
		if len(fields) == 0 {
			break
		}
		f := fields[rng.IntN(len(fields))]
		switch rng.IntN(8) {
		case 0: // duplicate a field
			fields = append(fields, f)
		case 1: // change a key's case
			if i := strings.Index(f, `":`); i > 1 {
				k := []byte(f[1:i])
				k[rng.IntN(len(k))] ^= 0x20
				fields = append(fields, `"`+string(k)+f[i:])
			}
		case 2: // escape a character of the whole field
			if i := rng.IntN(len(f)); f[i] >= 'A' && f[i] <= 'z' && f[i] != '\\' {
				f = f[:i] + fmt.Sprintf(`\u%04x`, f[i]) + f[i+1:]
			}
			fields = append(fields, f)
		case 3: // nest a field under another name
			fields = append(fields, `"requestParameters":{`+f+`}`)
		case 4: // drop a field
			fields = fields[:len(fields)-1]
		case 5: // a value of another type
			if i := strings.Index(f, `":`); i > 0 {
				fields = append(fields, f[:i+2]+[]string{"null", "12", "true", `[]`, `{}`, `""`}[rng.IntN(6)])
			}
		case 6: // break a byte
			b := []byte(join(fields))
			const breakers = "{}[]\",:\\ \x00\xff"
			b[rng.IntN(len(b))] = breakers[rng.IntN(len(breakers))]
			return string(b)
		default: // the role's name under another field
			fields = append(fields, `"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-r/s","type":"AssumedRole"}`)
		}
	}
	if len(fields) == 0 {
		return "{}"
	}
	return join(fields)
}

// splitTop splits a record's top-level members (nil if it cannot).
func splitTop(rec string) []string {
	b := []byte(strings.TrimSpace(rec))
	if len(b) < 2 || b[0] != '{' {
		return nil
	}
	var out []string
	i := 1
	for i < len(b)-1 {
		i = skipSpace(b, i)
		start := i
		end, err := skipString(b, i)
		if err != nil {
			return nil
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return nil
		}
		switch b[i] {
		case '{', '[':
			i, err = skipComposite(b, i)
		case '"':
			i, err = skipString(b, i)
		default:
			for i < len(b) && b[i] != ',' && b[i] != '}' {
				i++
			}
		}
		if err != nil {
			return nil
		}
		out = append(out, string(b[start:i]))
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
	return out
}

// checkFast holds the fast path to DecodeRecord on one record: when it
// claims a record, DecodeRecord decodes it to the same Record, and the
// relevance verdicts agree, with and without IAM changes kept.
func checkFast(t *testing.T, rec []byte) {
	t.Helper()
	var fr fastRecord
	ok := scanFast(rec, &fr)
	full, err := DecodeRecord(rec)
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("fast path accepted a record DecodeRecord rejects (%v):\n%q", err, rec)
	}
	if got := fr.record(); !reflect.DeepEqual(got, full) {
		t.Fatalf("fast path decoded\n%+v\nDecodeRecord\n%+v\nrecord %q", got, full, rec)
	}
	for _, iam := range []bool{false, true} {
		for _, e := range []Expectations{DefaultExpectations(), {RolePatterns: []string{"*"}}, {RolePatterns: []string{"Pennsieve-Compute-?"}}} {
			c := NewCollection(e, zeroTime, zeroTime)
			c.iamChanges = iam
			lits := e.literals()
			if lits != nil && iam {
				lits = append(lits, []byte(iamSource))
			}
			want := c.relevant(&full)
			got, rel := c.relevantFast(&fr, prefilterNeedles(lits))
			if rel != want {
				t.Fatalf("relevance: fast %v, DecodeRecord %v (iam %v, patterns %v):\n%q", rel, want, iam, e.RolePatterns, rec)
			}
			if rel && !reflect.DeepEqual(got, full) {
				t.Fatalf("relevant record differs:\n%+v\n%+v", got, full)
			}
		}
	}
}

// checkPipeline holds the replay of one record to the full decode's: the
// same records kept and, when the record names the role at all, the
// same undecodable count.
func checkPipeline(t *testing.T, name string, rec []byte) {
	t.Helper()
	e := DefaultExpectations()
	replay := func(full bool) *Result {
		res, err := ReplayFiles(context.Background(), []Input{BytesInput(name, append([]byte("[\n"), append(rec, "\n]"...)...))},
			Options{Expect: e, FullDecode: full, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	fast, full := replay(false), replay(true)
	if fast.Stats.RecordsKept != full.Stats.RecordsKept {
		t.Fatalf("kept %d, full decode kept %d:\n%q", fast.Stats.RecordsKept, full.Stats.RecordsKept, rec)
	}
	if !reflect.DeepEqual(fast.Sessions, full.Sessions) {
		t.Fatalf("sessions differ from the full decode's:\n%q", rec)
	}
	// One record as the splitter cuts it (a broken one may be cut in
	// pieces, of which only those naming the role are decoded).
	trimmed := bytes.TrimSpace(rec)
	end, err := skipComposite(trimmed, 0)
	one := err == nil && end == len(trimmed) && len(trimmed) > 0 && trimmed[0] == '{'
	if one && containsAny(rec, prefilterNeedles(e.literals())) && fast.Stats.Undecodable != full.Stats.Undecodable {
		t.Fatalf("undecodable %d, full decode %d, for a record naming the role:\n%q", fast.Stats.Undecodable, full.Stats.Undecodable, rec)
	}
	if fast.Stats.Undecodable > full.Stats.Undecodable {
		t.Fatalf("undecodable %d, more than the full decode's %d:\n%q", fast.Stats.Undecodable, full.Stats.Undecodable, rec)
	}
}

func TestFastDecodeMatchesDecodeRecord(t *testing.T) {
	t.Parallel()
	claimed := 0
	for name, rec := range adversarialRecords() {
		t.Run(name, func(t *testing.T) {
			checkFast(t, []byte(rec))
			checkPipeline(t, name, []byte(rec))
		})
		var fr fastRecord
		if scanFast([]byte(rec), &fr) {
			claimed++
		}
	}
	// The test is only as good as what the fast path claims: most of the
	// well-formed cases must take it.
	if claimed < 25 {
		t.Errorf("the fast path claimed only %d adversarial records", claimed)
	}
	t.Run("random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range 3000 {
			rec := []byte(randomRecord(rng))
			checkFast(t, rec)
			if i%10 == 0 {
				checkPipeline(t, fmt.Sprint("random-", i), rec)
			}
		}
	})
}

// TestFastPathDeclines pins records the fast path must leave to
// DecodeRecord.
func TestFastPathDeclines(t *testing.T) {
	t.Parallel()
	adv := adversarialRecords()
	for _, name := range []string{"escaped-issuer", "escaped-arn", "escaped-rolearn", "escaped-key-arn", "escaped-key-top",
		"case-key-top", "case-key-arn", "case-key-session", "unicode-fold-key", "long-s-key", "dup-identity", "dup-arn",
		"dup-eventname", "dup-eventtime", "rolearn-object", "identity-string", "eventtime-bad", "eventtime-missing",
		"trailing-comma-in", "control-char", "bad-escape", "two-objects", "invalid-utf8-role", "deep"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var fr fastRecord
			if scanFast([]byte(adv[name]), &fr) {
				t.Errorf("fast path claimed %q", adv[name])
			}
		})
	}
	for _, name := range []string{"plain", "other-role", "assume", "failed-assume", "reversed-order", "nested-lookalike",
		"lookalike-top", "whitespace", "good-numbers", "timestamp-only", "eventtime-null", "expiration-forms", "escaped-quote"} {
		t.Run("claims-"+name, func(t *testing.T) {
			t.Parallel()
			var fr fastRecord
			if !scanFast([]byte(adv[name]), &fr) {
				t.Errorf("fast path declined %q", adv[name])
			}
		})
	}
}

func FuzzFastDecode(f *testing.F) {
	for _, rec := range adversarialRecords() {
		f.Add([]byte(rec))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		f.Add([]byte(randomRecord(rng)))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		checkFast(t, rec)
		if len(rec) < 4096 {
			checkPipeline(t, "fuzz", rec)
		}
	})
}

var zeroTime time.Time

// TestFastPathStreaming replays a delivered-shape archive (with malformed
// records naming the role) through buffers small enough to cut records,
// on the fast path and with the full decoder: the same records are kept,
// from the same offsets, and the same records are undecodable.
func TestFastPathStreaming(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m, err := trailgen.Generate(context.Background(), dir, trailgen.Config{Events: 3000, Seed: 5, Sessions: 2, Violations: true,
		Malformed: 4, Profile: trailgen.ProfileDelivered, Regions: []string{"us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	ins, _, err := WalkDir(dir, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	e := DefaultExpectations()
	run := func(full bool, size int) (ids []string, st Stats) {
		c := NewCollection(e, time.Time{}, time.Time{})
		d := &fileDecoder{literals: prefilterNeedles(e.literals()), full: full, whole: size, chunk: size}
		if full {
			d.literals = nil
		}
		for _, in := range ins {
			d.decode(context.Background(), c, in, nil)
		}
		for _, r := range c.Records() {
			ids = append(ids, fmt.Sprintf("%s@%d:%s", r.Origin, r.Offset, r.EventID))
		}
		return ids, c.Stats()
	}
	want, wst := run(true, 1<<20)
	if len(want) < m.SessionEvents || wst.Undecodable != int64(m.Malformed) {
		t.Fatalf("full decode kept %d (want at least %d) with %d undecodable (want %d)", len(want), m.SessionEvents, wst.Undecodable, m.Malformed)
	}
	for _, size := range []int{1 << 10, 3000, 64 << 10, 1 << 20} {
		got, st := run(false, size)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("buffer %d: kept %d records, full decode %d (or at other offsets)", size, len(got), len(want))
		}
		if st.Undecodable != wst.Undecodable {
			t.Errorf("buffer %d: undecodable %d, full decode %d", size, st.Undecodable, wst.Undecodable)
		}
		if st.RecordsSplit != wst.RecordsSplit || st.RecordsFiltered+st.RecordsDecoded+st.Undecodable != st.RecordsSplit {
			t.Errorf("buffer %d: split %d (full %d), filtered %d + decoded %d + undecodable %d", size, st.RecordsSplit, wst.RecordsSplit,
				st.RecordsFiltered, st.RecordsDecoded, st.Undecodable)
		}
	}
}
