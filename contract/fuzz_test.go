package contract

import "testing"

// FuzzParse: Parse never panics, and a contract it accepts validates again
// (Validate is idempotent) and is named.
func FuzzParse(f *testing.F) {
	for _, n := range Names() {
		b, err := Builtin(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("name: x\n---\nname: y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "f.yaml")
		if err != nil {
			return
		}
		if c.Name == "" {
			t.Fatal("accepted a contract without a name")
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("an accepted contract fails Validate again: %v", err)
		}
	})
}
