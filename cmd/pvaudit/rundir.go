package main

import (
	"bytes"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/reports"
)

// runDirFlags are --output-dir and --keep, for scheduled runs: each run
// writes timestamped artefacts and NAME-latest copies into one folder, with
// "since the last run" against the previous one.
type runDirFlags struct {
	dir     string
	keep    int
	formats []string
}

func (o *runDirFlags) register(fs *pflag.FlagSet, formats bool) {
	fs.StringVar(&o.dir, "output-dir", "", "scheduled runs: write timestamped artefacts and *-latest copies into `DIR`, and compare with the previous run there")
	fs.IntVar(&o.keep, "keep", 0, "with --output-dir, keep only the newest N runs (0 keeps all)")
	if formats {
		fs.StringSliceVar(&o.formats, "output-formats", []string{"json", "html", "sarif", "junit"}, "formats written to --output-dir (json is always written: the next run compares with it)")
	}
}

func (o *runDirFlags) validate(kind reports.Kind) error {
	if o.keep < 0 {
		return usageErr("--keep must be 0 or more")
	}
	if o.keep > 0 && o.dir == "" {
		return usageErr("--keep needs --output-dir")
	}
	for _, f := range o.formats {
		if _, err := reports.Lookup(kind, f); err != nil {
			return usageErr("--output-formats: %w", err)
		}
	}
	return nil
}

func (o *runDirFlags) runDir() audit.RunDir { return audit.RunDir{Dir: o.dir, Keep: o.keep} }

// publish renders rep in the formats and writes them into the folder.
func (o *runDirFlags) publish(a *app, name string, at time.Time, rep reports.Report) error {
	arts := map[string][]byte{}
	formats := append([]string{"json"}, o.formats...)
	for _, f := range formats {
		var b bytes.Buffer
		if err := reports.Write(&b, rep, f); err != nil {
			return err
		}
		arts[audit.ExtOf(f)] = b.Bytes()
	}
	files, err := o.runDir().Publish(name, at, arts)
	if err != nil {
		return err
	}
	a.log.Info("run written", "dir", o.dir, "files", strings.Join(files, ", "))
	return nil
}
