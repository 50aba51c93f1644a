package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/baseline"
)

// TestDriftAttributionConflictingEvent: when the trail holds two versions
// of the event that explains an item (TRAIL-012: one of them forged, or a
// broken copy), the attribution names both and marks them conflicting
// instead of trusting either.
func TestDriftAttributionConflictingEvent(t *testing.T) {
	t.Parallel()
	r := testDriftRun(t)
	file := saveSample(t, r)
	data, err := os.ReadFile(repo("testdata", "accounts", "drift-trail.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	var forged string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, `"eventName":"DeleteRolePermissionsBoundary"`) {
			forged = strings.ReplaceAll(l, "user/maria.chen", "user/someone-else")
		}
	}
	if forged == "" {
		t.Fatal("the fixture has no DeleteRolePermissionsBoundary event")
	}
	trailFile := filepath.Join(t.TempDir(), "trail.ndjson")
	if err := os.WriteFile(trailFile, append(data, []byte(forged+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Drift(context.Background(), r, DriftInput{Source: source(t, "testdata", "accounts", "compliant-drifted.json"), Baseline: file,
		Trail: TrailSources{Files: []string{trailFile}}})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := byKind(rep.Findings)["boundary-removed"]
	if !ok {
		t.Fatal("no boundary-removed item")
	}
	a := f.Evidence["attribution"].(*baseline.Attribution)
	conflicting := 0
	for _, ev := range a.Events {
		if ev.Conflicting {
			conflicting++
		}
	}
	if conflicting != 2 || !strings.Contains(f.Message, "CONFLICTING") {
		t.Errorf("%d conflicting events among %d, message %q: want both versions marked", conflicting, len(a.Events), f.Message)
	}
}
