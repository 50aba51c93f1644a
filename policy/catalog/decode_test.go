package catalog

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gz(t testing.TB, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fixtureText is the generator's golden output for its fixture package.
func fixtureText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("internal", "build", "testdata", "fixture.golden.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseFixture(t *testing.T) {
	c, err := Parse(gz(t, fixtureText(t)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 6 || len(c.services) != 2 {
		t.Errorf("%d actions, %d services", c.Len(), len(c.services))
	}
}

func TestParseRejects(t *testing.T) {
	good := fixtureText(t)
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("fixture holds no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	cases := []struct {
		name string
		text string
		raw  []byte // instead of gzip(text)
	}{
		{name: "not gzip", raw: []byte("pvaudit-action-catalog 1\n")},
		{name: "empty", text: ""},
		{name: "other format version", text: replace("pvaudit-action-catalog 1", "pvaudit-action-catalog 2")},
		{name: "truncated", text: good[:len(good)/2]},
		{name: "no final line break", text: strings.TrimSuffix(good, "\n")},
		{name: "trailing data", text: good + "extra\n"},
		{name: "short source line", text: replace("\tMIT\t", "\t")},
		{name: "string table out of order", text: replace("aws:PrincipalArn\naws:RequestTag", "aws:RequestTag\naws:PrincipalArn\naws:RequestTag")},
		{name: "string count too large", text: replace("strings\t5", "strings\t999999999")},
		{name: "negative count", text: replace("global\t2", "global\t-1")},
		{name: "key reference out of range", text: replace("0\tARN\tprincipal", "99\tARN\tprincipal")},
		{name: "key references not increasing", text: replace("PutWidget\tW\t1,4", "PutWidget\tW\t4,1")},
		{name: "repeated key reference", text: replace("PutWidget\tW\t1,4", "PutWidget\tW\t4,4")},
		{name: "services out of order", text: replace("service\tsvc-two\t", "service\tsvz\t")},
		{name: "upper-case prefix", text: replace("service\tsvc-two\t", "service\tSvc-two\t")},
		{name: "wildcard in a prefix", text: replace("service\tsvc-two\t", "service\tsvc*two\t")},
		{name: "service without actions", text: replace("Fixture Service Two\t0\t0\t1\nDescribe\tR\t\t\n", "Fixture Service Two\t0\t0\t0\n")},
		{name: "action count short", text: replace("Fixture Service\t2\t2\t5", "Fixture Service\t2\t2\t4")},
		{name: "actions out of order", text: replace("GetWidget\tR", "ZetWidget\tR")},
		{name: "repeated action", text: replace("ListWidgets\tL", "GETWIDGET\tL")},
		{name: "colon in an action name", text: replace("Describe\tR", "De:scribe\tR")},
		{name: "wildcard in an action name", text: replace("Describe\tR", "Desc*\tR")},
		{name: "unknown access level", text: replace("ListWidgets\tL", "ListWidgets\tX")},
		{name: "resource index out of range", text: replace("GetWidget\tR\t\t1+", "GetWidget\tR\t\t7+")},
		{name: "resource indices not increasing", text: replace("0 1+=1,4", "1+=1,4 0")},
		{name: "resource types out of order", text: replace("Gadget\t\tarn:", "zadget\t\tarn:")},
		{name: "resource type without ARN", text: replace("\tarn:${Partition}:svc:::gadget/${Name}", "")},
		{name: "bad ARN format", text: replace("\tarn:${Partition}:svc:::gadget", "\tnotarn:${Partition}:svc:::gadget")},
		{name: "extra field", text: replace("ListWidgets\tL\t\t", "ListWidgets\tL\t\t\t")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.raw
			if data == nil {
				data = gz(t, tc.text)
			}
			if c, err := Parse(data); err == nil {
				t.Errorf("Parse succeeded (%d actions), want an error", c.Len())
			}
		})
	}
}

func BenchmarkParseEmbedded(b *testing.B) {
	b.ReportMetric(float64(len(embedded)), "file-bytes")
	for b.Loop() {
		if _, err := Parse(embedded); err != nil {
			b.Fatal(err)
		}
	}
}
