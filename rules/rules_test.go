package rules

import (
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/internal/finding"
)

func TestSelectGlobs(t *testing.T) {
	t.Parallel()
	ctl := []finding.Control{{Framework: "NIST-800-53r5", ID: "SC-7"}}
	mk := func(id string) Rule {
		return Rule{ID: id, Source: SourceCatalogue, Title: id, Remediation: "fix", Controls: ctl}
	}
	reg, err := New([]Rule{mk("MODE-001"), mk("MODE-002"), mk("PV-NET-001"), mk("PV-BND-001")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		include, skip []string
		want          []string
		err           string
	}{
		{"skip family", nil, []string{"MODE-*"}, []string{"PV-BND-001", "PV-NET-001"}, ""},
		{"only family, lower case", []string{"mode-*"}, nil, []string{"MODE-001", "MODE-002"}, ""},
		{"question mark", []string{"MODE-00?"}, []string{"MODE-002"}, []string{"MODE-001"}, ""},
		{"glob matching nothing", nil, []string{"NET-*"}, nil, `unknown check "NET-*"`},
		{"unknown id", []string{"MODE-999"}, nil, nil, `unknown check "MODE-999"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sel, err := reg.Select(tc.include, tc.skip)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range reg.All() {
				if sel[r.ID] {
					got = append(got, r.ID)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("selected %v, want %v", got, tc.want)
			}
		})
	}
}
