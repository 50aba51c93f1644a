package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/reports"
)

// outputFlags are the output flags, the same in every command: -o FORMAT
// writes to stdout, -o FORMAT=FILE writes a file (atomically), and the flag
// repeats, so one run can write a table to the terminal and JSON to a file.
// --severity and --status filter what every format lists (never the
// verdict); -q prints only the summary line; --show-pass lists PASS rows;
// colour only on a terminal, never with NO_COLOR or --no-color.
type outputFlags struct {
	specs      []string
	kind       reports.Kind
	def        string
	severities []string
	statuses   []string
	quiet      bool
	showPass   bool
	noColor    bool
	findings   bool // the kind has findings: the filters apply

	targets []outputTarget
	filter  reports.Filter
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
	switch kind {
	case reports.KindScan, reports.KindProbe, reports.KindTrailSessions, reports.KindTrailSession, reports.KindDrift:
		o.findings = true
		fs.StringSliceVar(&o.severities, "severity", nil, "list only findings of these severities, e.g. critical,high (the verdict and exit code still count every finding)")
		fs.StringSliceVar(&o.statuses, "status", nil, "list only findings of these statuses, e.g. FAIL,ERROR (PASS lists the passes; the verdict still counts every finding)")
	}
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary line on standard output (files named with -o are still written)")
	fs.BoolVar(&o.showPass, "show-pass", false, "list PASS rows in table and markdown (and as pass results in SARIF)")
	fs.BoolVar(&o.noColor, "no-color", false, "never colour the output (also: NO_COLOR=1)")
}

// validate parses the flags before any work starts.
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
	o.filter = reports.Filter{}
	for _, s := range splitList(o.severities) {
		sev, err := finding.ParseSeverity(s)
		if err != nil {
			return usageErr("--severity: %w", err)
		}
		o.filter.Severities = append(o.filter.Severities, sev)
	}
	for _, s := range splitList(o.statuses) {
		st, err := reports.ParseStatus(s)
		if err != nil {
			return usageErr("--status: %w", err)
		}
		o.filter.Statuses = append(o.filter.Statuses, st)
	}
	return nil
}

func splitList(ss []string) []string {
	var out []string
	for _, s := range ss {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// options are the layout options for stdout (a terminal gets its width
// and, unless told not to, colour) or for a file (the stable layout).
func (o *outputFlags) options(a *app, toStdout bool) reports.Options {
	opts := reports.Options{ShowPass: o.showPass || o.filter.WantsPass()}
	if !toStdout {
		return opts
	}
	tty, width := a.terminal(a.stdout)
	if n, err := strconv.Atoi(a.getenv("COLUMNS")); err == nil && n > 0 {
		width = n
	}
	opts.Width = width
	opts.Color = tty && !o.noColor && a.getenv("NO_COLOR") == "" && a.getenv("TERM") != "dumb"
	return opts
}

// write renders the report to every target. Each file is rendered in
// memory first and then written atomically, so a failure never leaves a
// half-written or clobbered file.
func (o *outputFlags) write(a *app, r reports.Report) error {
	r = reports.ApplyFilter(r, o.filter)
	for _, t := range o.targets {
		if t.file == "" {
			if o.quiet {
				if line := reports.SummaryOf(r); line != "" {
					if _, err := fmt.Fprintln(a.stdout, line); err != nil {
						return err
					}
				}
				continue
			}
			if err := t.write(a.stdout, r, o.options(a, true)); err != nil {
				return err
			}
			continue
		}
		var buf bytes.Buffer
		if err := t.write(&buf, r, o.options(a, false)); err != nil {
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

// terminal says whether w is a terminal and how wide (0 when unknown).
func (a *app) terminal(w io.Writer) (bool, int) {
	if a.isTerminal != nil {
		return a.isTerminal(w)
	}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return true, 0
	}
	return true, width
}

// getenv reads the environment (tests inject their own).
func (a *app) getenv(k string) string {
	if a.env == nil {
		return ""
	}
	return a.env(k)
}
