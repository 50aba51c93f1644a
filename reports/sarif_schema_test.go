package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pvaudit/pvaudit/reports"
)

// TestSARIFValidatesAgainstThePublishedSchema: the sample scan's SARIF
// (with and without PASS results) and an incomplete run's validate against
// the SARIF 2.1.0 JSON Schema (testdata/schemas, licence in its README).
func TestSARIFValidatesAgainstThePublishedSchema(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "schemas", "sarif-2.1.0-rtm.5.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	scan := sampleScan(t)
	for name, out := range map[string][]byte{
		"sample":           render(t, scan, "sarif", reports.Options{}),
		"sample with PASS": render(t, scan, "sarif", reports.Options{ShowPass: true}),
		"incomplete":       render(t, incomplete(), "sarif", reports.Options{}),
		"filtered":         render(t, reports.ApplyFilter(scan, reports.Filter{Statuses: nil}), "sarif", reports.Options{}),
	} {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: SARIF does not validate: %v", name, err)
		}
	}
	bad := bytes.Replace(render(t, scan, "sarif", reports.Options{}), []byte(`"kind": "fail"`), []byte(`"kind": "broken"`), 1)
	v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if sch.Validate(v) == nil {
		t.Error("the schema accepts a result kind SARIF does not define: the test proves nothing")
	}
}
