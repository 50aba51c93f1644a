package suppress

import "testing"

// FuzzParse: Parse never panics, and every rule of an accepted file has a
// selector, a reason and an expiry.
func FuzzParse(f *testing.F) {
	f.Add([]byte("suppressions:\n- {fingerprint: ab, reason: x, expires: 2027-01-01}\n- {check: A, resource: r, reason: y, expires: 2099-12-31}\n"))
	f.Add([]byte("suppressions:\n- {fingerprint: ab, reason: x, expires: 2027-01-01}\n---\nsuppressions: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data, "f.yaml")
		if err != nil {
			return
		}
		for i, r := range file.Suppressions {
			if r.Reason == "" || r.Expires == "" || r.until.IsZero() || (r.Fingerprint == "" && (r.Check == "" || r.Resource == "")) {
				t.Fatalf("rule %d accepted incomplete: %+v", i, r)
			}
		}
	})
}
