package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/testaccount"
	"github.com/pvaudit/pvaudit/inventory"
)

// BenchmarkDrift: drift of a 5,001-role account (compliant.json and 997
// copies of node 7f3a9c21) against its baseline, with one boundary policy
// widened: reading and checking the baseline file, reading the current
// export, the diff and the effect on the five roles carrying the
// boundary. bench/drift.sh runs the binary on the same shape of account
// next to jq; see docs/performance.md.
func BenchmarkDrift(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "accounts", "compliant.json"))
	if err != nil {
		b.Fatal(err)
	}
	base, err := testaccount.AddNodes(raw, "7f3a9c21", 997)
	if err != nil {
		b.Fatal(err)
	}
	changed, err := testaccount.WidenBoundary(base, testaccount.NodeID(0))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	cur := filepath.Join(dir, "current.json")
	if err := os.WriteFile(cur, changed, 0o644); err != nil {
		b.Fatal(err)
	}
	snap, err := inventory.Decode(base, "base.json")
	if err != nil {
		b.Fatal(err)
	}
	c, err := contract.Load("pennsieve")
	if err != nil {
		b.Fatal(err)
	}
	run := &Run{Now: fixedNow, Config: &config.Resolved{Contract: c, ContractSource: "pennsieve"}, FailOn: finding.High}
	file := filepath.Join(dir, "baseline.json")
	if _, err := SaveBaseline(context.Background(), run, SaveInput{Source: Source{Snapshot: snap}, File: file}); err != nil {
		b.Fatal(err)
	}
	load := func(context.Context) (Source, error) {
		s, raw, err := inventory.ReadFileRaw(cur)
		return Source{Snapshot: s, Raw: raw, Input: cur}, err
	}
	b.ReportAllocs()
	var items int
	for b.Loop() {
		rep, err := Drift(context.Background(), run, DriftInput{Baseline: file, Load: load})
		if err != nil {
			b.Fatal(err)
		}
		items = rep.Items
	}
	if items != 2 { // the widened boundary, and the access keys the export does not list
		b.Fatalf("%d drift items, want 2", items)
	}
	b.ReportMetric(float64(len(snap.Roles)), "roles")
}
