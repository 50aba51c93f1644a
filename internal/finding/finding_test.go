package finding

import (
	"encoding/json"
	"testing"
)

func TestParseSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Severity
		wantErr bool
	}{
		{"info", Info, false}, {"LOW", Low, false}, {"Medium", Medium, false}, {"high", High, false},
		{"critical", Critical, false}, {"severe", Info, true}, {"", Info, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSeverity(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseSeverity(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestSeverityJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(struct{ S Severity }{High})
	if err != nil || string(b) != `{"S":"high"}` {
		t.Fatalf("marshal: %s, %v", b, err)
	}
	var v struct{ S Severity }
	if err := json.Unmarshal([]byte(`{"S":"critical"}`), &v); err != nil || v.S != Critical {
		t.Errorf("unmarshal: %v, %v", v.S, err)
	}
	if err := json.Unmarshal([]byte(`{"S":"extreme"}`), &v); err == nil {
		t.Error("unmarshal of an unknown severity succeeded")
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	a := Finding{CheckID: "PV-BND-001", Resource: "arn:aws:iam::1:role/x", Key: "k", Status: Fail, Message: "m1"}
	b := a
	b.Status, b.Message = Pass, "m2"
	a.Finalize()
	b.Finalize()
	if a.Fingerprint == "" || a.Fingerprint != b.Fingerprint {
		t.Errorf("fingerprints %q and %q: want equal and set (status and message are not identity)", a.Fingerprint, b.Fingerprint)
	}
	for _, change := range []func(*Finding){
		func(f *Finding) { f.CheckID = "PV-BND-002" },
		func(f *Finding) { f.Resource = "arn:aws:iam::1:role/y" },
		func(f *Finding) { f.Key = "other" },
	} {
		c := a
		change(&c)
		c.Finalize()
		if c.Fingerprint == a.Fingerprint {
			t.Errorf("fingerprint unchanged for %+v", c)
		}
	}
}

func TestSortAndSummarize(t *testing.T) {
	t.Parallel()
	fs := []Finding{
		{CheckID: "B", Severity: Low, Status: Pass},
		{CheckID: "A", Severity: Critical, Status: Fail},
		{CheckID: "C", Severity: Critical, Status: Warn, Suppressed: &Suppression{Reason: "r"}},
		{CheckID: "A", Severity: Critical, Status: Error, Resource: "z"},
		{CheckID: "D", Severity: Medium, Status: NotEvaluated},
	}
	Sort(fs)
	var order []string
	for _, f := range fs {
		order = append(order, f.CheckID+string(f.Status))
	}
	want := []string{"AFAIL", "AERROR", "CWARN", "DNOT_EVALUATED", "BPASS"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	s := Summarize(fs)
	if s != (Summary{Total: 5, Pass: 1, Fail: 1, Error: 1, NotEvaluated: 1, Suppressed: 1}) {
		t.Errorf("summary %+v", s)
	}
	if !fs[1].Incomplete() || fs[0].Incomplete() {
		t.Error("Incomplete: ERROR must be incomplete, FAIL must not")
	}
}
