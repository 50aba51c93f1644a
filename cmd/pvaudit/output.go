package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/reports"
)

// outputFlags is -o, the same in every command: -o FORMAT writes to
// stdout, -o FORMAT=FILE writes a file (atomically); the flag repeats, so
// one run can write a table to the terminal and JSON to a file.
type outputFlags struct {
	specs []string
	kind  reports.Kind
	def   string

	targets []outputTarget
}

type outputTarget struct {
	format string
	file   string // "" is stdout
	write  reports.WriteFunc
}

func (o *outputFlags) register(fs *pflag.FlagSet, kind reports.Kind, def string) {
	o.kind, o.def = kind, def
	fs.StringArrayVarP(&o.specs, "output", "o", nil,
		fmt.Sprintf("output FORMAT, or FORMAT=FILE to write a file (repeatable); formats: %s (default %s)", strings.Join(reports.Formats(kind), ", "), def))
}

// validate parses the specs before any work starts.
func (o *outputFlags) validate() error {
	specs := o.specs
	if len(specs) == 0 {
		specs = []string{o.def}
	}
	o.targets = nil
	stdout := 0
	seen := map[string]bool{}
	for _, s := range specs {
		format, file, hasFile := strings.Cut(s, "=")
		if hasFile && file == "" {
			return usageErr("-o %s: no file after =", s)
		}
		w, err := reports.Lookup(o.kind, format)
		if err != nil {
			return usageErr("-o: %w", err)
		}
		if file == "-" {
			file = ""
		}
		if file == "" {
			stdout++
		} else if seen[file] {
			return usageErr("-o: %s is named twice", file)
		}
		seen[file] = true
		o.targets = append(o.targets, outputTarget{format: strings.ToLower(format), file: file, write: w})
	}
	if stdout > 1 {
		return usageErr("-o: only one format can go to standard output; give the others a file (-o json=report.json)")
	}
	return nil
}

// write renders the report to every target. Each file is rendered in
// memory first and then written atomically, so a failure never leaves a
// half-written or clobbered file.
func (o *outputFlags) write(a *app, r reports.Report) error {
	for _, t := range o.targets {
		if t.file == "" {
			if err := t.write(a.stdout, r); err != nil {
				return err
			}
			continue
		}
		var buf bytes.Buffer
		if err := t.write(&buf, r); err != nil {
			return fmt.Errorf("render %s for %s: %w", t.format, t.file, err)
		}
		if err := fsutil.WriteFileAtomic(t.file, 0o644, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
			return err
		}
		a.log.Info("report written", "format", t.format, "file", t.file)
	}
	return nil
}

// exitFor maps a verdict to the exit code: the one place it is decided.
func exitFor(v finding.Verdict) int {
	switch v.Outcome {
	case finding.Clean:
		return exitClean
	case finding.Failed:
		return exitFindings
	}
	return exitError
}

// finish writes the report and returns the exit code of its verdict.
func (o *outputFlags) finish(a *app, r reports.Judged) error {
	if err := o.write(a, r); err != nil {
		return err
	}
	v, _ := r.Result()
	return withCode(exitFor(v))
}
