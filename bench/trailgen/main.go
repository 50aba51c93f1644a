// Command trailgen writes a synthetic CloudTrail archive in the S3 layout
// (AWSLogs/…/CloudTrail/<region>/YYYY/MM/DD/*.json.gz) for benchmarks and
// demos, and a manifest of the provider sessions it planted.
//
//	go run ./bench/trailgen -events 1000000 -out bench/out/archive
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/pvaudit/pvaudit/internal/trailgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trailgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg trailgen.Config
	out := fs.String("out", "", "output folder (required); AWSLogs/ is written inside it")
	manifest := fs.String("manifest", "", "manifest path (default: <out>.manifest.json)")
	fs.IntVar(&cfg.Events, "events", 100000, "background events")
	fs.IntVar(&cfg.EventsPerFile, "per-file", 0, "average events per file (default 1000, delivered 53)")
	fs.StringVar(&cfg.Profile, "profile", trailgen.ProfileSynthetic, "synthetic (1,000 records per file, the role named in few files) or delivered (one file per region and 5 minutes, tens of records, the role's prefix in other resources' names)")
	fs.Float64Var(&cfg.Active, "active", 0, "delivered: fraction of files with calls under the role (default 0.67)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	fs.IntVar(&cfg.Sessions, "sessions", 3, "well-behaved provider sessions to plant")
	fs.BoolVar(&cfg.Violations, "violations", true, "also plant misbehaving sessions and a refused attempt")
	fs.IntVar(&cfg.Malformed, "malformed", 0, "undecodable records to plant")
	fs.StringVar(&cfg.Shape, "shape", trailgen.ShapeRecords, "records, array or ndjson")
	fs.BoolVar(&cfg.Plain, "plain", false, "write .json instead of .json.gz")
	fs.StringVar(&cfg.OrgID, "org", "", "organisation ID: write an organisation trail layout")
	fs.DurationVar(&cfg.Span, "span", 72*time.Hour, "time the archive covers")
	fs.IntVar(&cfg.Workers, "workers", 2, "files written in parallel")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "trailgen: -out is required")
		return 2
	}
	if *manifest == "" {
		*manifest = filepath.Clean(*out) + ".manifest.json"
	}
	start := time.Now()
	m, err := trailgen.Generate(ctx, *out, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "trailgen: %v\n", err)
		return 1
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "trailgen: %v\n", err)
		return 1
	}
	if err := os.WriteFile(*manifest, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintf(stderr, "trailgen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d files (%d MB), %d background + %d planted + %d hourly-session events, %d sessions, in %s; manifest %s\n",
		m.Files, m.Bytes>>20, m.Background, m.Planted, m.SessionEvents, len(m.Sessions), time.Since(start).Round(time.Millisecond), *manifest)
	return 0
}
