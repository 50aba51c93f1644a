package trail_test

import (
	"context"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/trailgen"
	"github.com/pvaudit/pvaudit/trail"
)

// benchReplay replays a generated archive: 200,000 background events in
// ~200 delivered .json.gz files with the planted sessions (generated before
// the timer starts, once per benchmark run).
func benchReplay(b *testing.B, opts trail.Options) {
	benchReplayOf(b, trailgen.Config{Events: 200_000, Seed: 42, Sessions: 3, Violations: true}, opts)
}

func benchReplayOf(b *testing.B, cfg trailgen.Config, opts trail.Options) {
	dir := b.TempDir()
	if _, err := trailgen.Generate(context.Background(), dir, cfg); err != nil {
		b.Fatal(err)
	}
	var bytes int64
	cpu0 := cpuTime()
	for b.Loop() {
		ins, ws, err := trail.WalkDir(dir, time.Time{}, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := trail.ReplayFiles(context.Background(), ins, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Sessions) == 0 {
			b.Fatal("no sessions replayed")
		}
		bytes = ws.Bytes
	}
	b.SetBytes(bytes)
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkReplayDir is the default replay of a folder: pre-filtered, two
// workers (the machine the figures in docs/performance.md come from).
func BenchmarkReplayDir(b *testing.B) {
	benchReplay(b, trail.Options{Expect: trail.DefaultExpectations(), Workers: 2})
}

// BenchmarkReplayDirOneWorker is the same on one worker: CPU per byte.
func BenchmarkReplayDirOneWorker(b *testing.B) {
	benchReplay(b, trail.Options{Expect: trail.DefaultExpectations(), Workers: 1})
}

// BenchmarkReplayDelivered replays the delivered profile: 100,000
// background events in ~1,900 files of about 53 records, the role's prefix
// in a third of the records, calls under the role in two thirds of the
// files.
func BenchmarkReplayDelivered(b *testing.B) {
	benchReplayOf(b, trailgen.Config{Events: 100_000, Seed: 42, Sessions: 3, Violations: true, Profile: trailgen.ProfileDelivered},
		trail.Options{Expect: trail.DefaultExpectations(), Workers: 2})
}

// BenchmarkReplayDeliveredOneWorker is the same on one worker: CPU per byte.
func BenchmarkReplayDeliveredOneWorker(b *testing.B) {
	benchReplayOf(b, trailgen.Config{Events: 100_000, Seed: 42, Sessions: 3, Violations: true, Profile: trailgen.ProfileDelivered},
		trail.Options{Expect: trail.DefaultExpectations(), Workers: 1})
}
