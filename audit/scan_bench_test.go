package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"testing"

	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/internal/finding"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/testaccount"
	"github.com/pvaudit/pvaudit/inventory"
)

// largeAccount returns compliant.json with `extra` more copies of node
// 7f3a9c21 (testaccount.AddNodes).
func largeAccount(tb testing.TB, extra int) *inventory.Snapshot {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "accounts", "compliant.json"))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := testaccount.AddNodes(raw, "7f3a9c21", extra)
	if err != nil {
		tb.Fatal(err)
	}
	snap, err := inventory.Decode(out, "large.json")
	if err != nil {
		tb.Fatal(err)
	}
	return snap
}

// BenchmarkScan runs the whole scan (catalogue and local probes) on
// accounts with more and more compute nodes. See docs/performance.md.
func BenchmarkScan(b *testing.B) {
	c, err := contract.Load("pennsieve")
	if err != nil {
		b.Fatal(err)
	}
	run := &Run{Now: fixedNow, Config: &config.Resolved{Contract: c}, FailOn: finding.High}
	for _, extra := range []int{0, 8, 32} {
		snap := largeAccount(b, extra)
		b.Run(fmt.Sprintf("nodes=%d/roles=%d", extra+2, len(snap.Roles)), func(b *testing.B) {
			b.ReportAllocs()
			var findings int
			for b.Loop() {
				rep, err := Scan(context.Background(), run, ScanInput{Source: Source{Snapshot: snap}})
				if err != nil {
					b.Fatal(err)
				}
				findings = len(rep.Findings)
			}
			b.ReportMetric(float64(findings), "findings")
		})
	}
}

// TestLargeAccountFixture keeps the benchmark's account honest: the copies
// are child roles of their own nodes and the copied account stays clean.
func TestLargeAccountFixture(t *testing.T) {
	t.Parallel()
	snap := largeAccount(t, 3)
	c, err := contract.Load("pennsieve")
	if err != nil {
		t.Fatal(err)
	}
	env := checks.NewEnv(snap, c, fixedNow())
	if got := len(env.NodeIDs); got != 5 {
		t.Errorf("node IDs %v, want 5", env.NodeIDs)
	}
	children := 0
	for _, rc := range env.Class.Children() {
		if rc.NodeID == testaccount.NodeID(2) {
			children++
		}
	}
	if children == 0 {
		t.Error("no child roles of copied node 10000002")
	}
}

func fixedNow() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }

// BenchmarkScanFile reads and scans the accounts bench/scan.sh generates
// (PVAUDIT_BENCH_ACCOUNTS, space-separated paths; skipped when unset), the
// snapshot loaded from the file inside the loop as the binary does.
func BenchmarkScanFile(b *testing.B) {
	paths := strings.Fields(os.Getenv("PVAUDIT_BENCH_ACCOUNTS"))
	if len(paths) == 0 {
		b.Skip("PVAUDIT_BENCH_ACCOUNTS not set")
	}
	c, err := contract.Load("pennsieve")
	if err != nil {
		b.Fatal(err)
	}
	run := &Run{Now: fixedNow, Config: &config.Resolved{Contract: c}, FailOn: finding.High}
	for _, p := range paths {
		b.Run(filepath.Base(p), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				snap, err := inventory.ReadFile(p)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Scan(context.Background(), run, ScanInput{Source: Source{Snapshot: snap}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
