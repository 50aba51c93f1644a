package baseline

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

const (
	acct      = "481516234201"
	crossRole = "Pennsieve-Compute-prod-a3f1b20c"
	orch      = "pennsieve-7f3a9c21-orchestrator"
	procECS   = "pennsieve-7f3a9c21-processor-ecs"
	boundary1 = "arn:aws:iam::481516234201:policy/pennsieve-boundary-7f3a9c21"
	boundary2 = "arn:aws:iam::481516234201:policy/pennsieve-boundary-b24e11d0"
)

var fixtureBytes = sync.OnceValues(func() ([]byte, error) {
	return os.ReadFile(filepath.Join("..", "testdata", "accounts", "compliant.json"))
})

func testContract(t *testing.T) *contract.Contract {
	t.Helper()
	c, err := contract.Load("pennsieve")
	if err != nil {
		t.Fatal(err)
	}
	c.Parameters.ProvisionerAccountID = "941377122013"
	return c
}

// fixture decodes the compliant sample account; access keys are listed
// (none) so that drift of keys is evaluable.
func fixture(t *testing.T) *inventory.Snapshot {
	t.Helper()
	b, err := fixtureBytes()
	if err != nil {
		t.Fatal(err)
	}
	return decodeFixture(t, b)
}

func decodeFixture(t *testing.T, b []byte) *inventory.Snapshot {
	t.Helper()
	snap, err := inventory.Decode(b, "compliant.json")
	if err != nil {
		t.Fatal(err)
	}
	for i := range snap.Users {
		if snap.Users[i].AccessKeys == nil {
			snap.Users[i].AccessKeys = []inventory.AccessKey{}
		}
	}
	return snap
}

func stateOf(t *testing.T, snap *inventory.Snapshot, c *contract.Contract) *State {
	t.Helper()
	snap.Normalize()
	st, err := FromSnapshot(snap, classify.Classify(snap, c, classify.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// diffEdited diffs the fixture against the fixture after edit.
func diffEdited(t *testing.T, edit func(*inventory.Snapshot)) []Item {
	t.Helper()
	c := testContract(t)
	base := stateOf(t, fixture(t), c)
	cur := fixture(t)
	edit(cur)
	items, err := Diff(base, stateOf(t, cur, c), Options{Contract: c})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func role(s *inventory.Snapshot, name string) *inventory.Role {
	r := s.Role(name)
	if r == nil {
		panic("no role " + name)
	}
	return r
}

func managed(s *inventory.Snapshot, arn string) *inventory.ManagedPolicy {
	p := s.Policy(arn)
	if p == nil {
		panic("no policy " + arn)
	}
	return p
}

func mustDoc(t *testing.T, s string) *policy.Document {
	t.Helper()
	d, err := policy.ParseString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func findItem(items []Item, kind Kind) *Item {
	for i := range items {
		if items[i].Kind == kind {
			return &items[i]
		}
	}
	return nil
}

func kinds(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, string(it.Kind)+" "+it.Resource+" "+it.Key+" ["+it.Severity.String()+"]")
	}
	return out
}

// allowed lists the newly allowed actions of every principal effect whose
// name contains who.
func allowed(a *Access, who string) []string {
	var out []string
	if a == nil {
		return nil
	}
	for _, p := range a.Principals {
		if strings.Contains(p.Principal, who) {
			for _, r := range p.NewlyAllowed {
				out = append(out, r.Action)
			}
		}
	}
	slices.Sort(out)
	return out
}

func callers(a *Access) []string {
	var out []string
	for _, p := range a.Principals {
		for _, r := range p.NewlyAllowed {
			if r.Caller != "" {
				out = append(out, r.Caller)
			}
		}
	}
	return out
}

func sev(s finding.Severity) string { return s.String() }
