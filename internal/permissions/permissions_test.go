package permissions

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/inventory/live"
	"github.com/pvaudit/pvaudit/org"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/provision"
	"github.com/pvaudit/pvaudit/trail"
)

// methods returns "prefix:Method" for every method of an interface type.
func methods(prefix string, iface any) []string {
	t := reflect.TypeOf(iface).Elem()
	var out []string
	for i := range t.NumMethod() {
		out = append(out, prefix+":"+t.Method(i).Name)
	}
	return out
}

// TestEveryCallHasItsPermission: each AWS interface a package declares is
// covered by the modes that use it; a method added there without its
// permission here fails.
func TestEveryCallHasItsPermission(t *testing.T) {
	tests := []struct {
		iface []string
		modes []string
	}{
		{methods("iam", (*live.IAMAPI)(nil)), []string{"scan", "probe", "drift", "evidence", "provision"}},
		{methods("iam", (*probes.SimulateAPI)(nil)), []string{"probe"}},
		{methods("cloudtrail", (*trail.LookupAPI)(nil)), []string{"trail", "drift", "evidence"}},
		{methods("cloudtrail", (*trail.PublicKeysAPI)(nil)), []string{"trail", "evidence"}},
		{methods("iam", (*provision.PolicyTagReader)(nil)), []string{"provision"}},
		{methods("iam", (*provision.Writer)(nil)), []string{"provision"}},
		{methods("organizations", (*org.OrganizationsAPI)(nil)), []string{"org"}},
		{methods("cloudtrail", (*trail.LakeAPI)(nil)), []string{"lake"}},
		{methods("athena", (*trail.AthenaAPI)(nil)), []string{"athena"}},
	}
	for _, tc := range tests {
		for _, m := range tc.modes {
			acts, err := Actions(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.iface {
				if !slices.Contains(acts, a) {
					t.Errorf("mode %s lacks %s", m, a)
				}
			}
		}
	}
}

// TestReadOnlyModes: every mode but provision grants only reads.
func TestReadOnlyModes(t *testing.T) {
	for _, m := range Modes() {
		acts, _ := Actions(m)
		for _, a := range acts {
			name := a[strings.Index(a, ":")+1:]
			// StartQuery and DescribeQuery run and watch a Lake query (it
			// reads stored events); AssumeRole changes nothing.
			read := strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List") || strings.HasPrefix(name, "Lookup") || strings.HasPrefix(name, "Simulate") ||
				strings.HasPrefix(name, "Describe") || strings.HasPrefix(name, "Search") ||
				a == "cloudtrail:StartQuery" || a == "cloudtrail:DescribeQuery" || a == "sts:AssumeRole"
			if ReadOnly(m) && !read {
				t.Errorf("read-only mode %s grants %s", m, a)
			}
		}
	}
	if ReadOnly("provision") {
		t.Error("provision writes")
	}
	if acts, _ := Actions("athena"); ReadOnly("athena") || !slices.Contains(acts, "s3:PutObject") {
		t.Error("athena writes its results to S3: not read-only, and s3:PutObject granted")
	}
}

// TestPolicyParses: every printed policy is a valid IAM document, and
// leaving an action out leaves exactly that action out.
func TestPolicyParses(t *testing.T) {
	for _, m := range Modes() {
		t.Run(m, func(t *testing.T) {
			b, err := Policy(m)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := policy.Parse(b); err != nil {
				t.Fatalf("not a policy: %v\n%s", err, b)
			}
			acts, _ := Actions(m)
			less, _ := Policy(m, acts[0])
			if strings.Contains(string(less), `"`+acts[0]+`"`) || !strings.Contains(string(b), `"`+acts[0]+`"`) {
				t.Errorf("without %s:\n%s", acts[0], less)
			}
		})
	}
	if _, err := Policy("nope"); err == nil {
		t.Error("unknown mode accepted")
	}
}
