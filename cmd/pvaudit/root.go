package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/internal/finding"
)

// Exit codes: the one place they are decided.
const (
	exitClean    = 0
	exitFindings = 1
	exitError    = 2
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// exitErr carries an exit code out of a command. err may be nil when the
// command already reported everything it has to say (e.g. findings).
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitErr) Unwrap() error { return e.err }

// usageErr marks a bad invocation (exit 2).
func usageErr(format string, args ...any) error {
	return &exitErr{code: exitError, err: fmt.Errorf(format, args...)}
}

// withCode returns an error that makes run exit with code without printing
// anything more.
func withCode(code int) error { return &exitErr{code: code} }

// app is what every command shares: writers, logger, clock. No globals.
type app struct {
	stdout   io.Writer
	stderr   io.Writer
	logLevel string
	log      *slog.Logger
	now      func() time.Time
	version  string
	// env reads the environment (NO_COLOR, COLUMNS, TERM); nil reads
	// nothing. isTerminal says whether a writer is a terminal and its
	// width; nil asks the operating system.
	env        func(string) string
	isTerminal func(io.Writer) (bool, int)
	// buildInfo returns the binary's build information (tests inject it).
	buildInfo func() (*debug.BuildInfo, bool)
	// args is the command line (an evidence manifest records it).
	args []string
	// revision, revisionTime and goVersion come from the build info.
	revision, revisionTime, goVersion string
	// rt bounds and watches AWS calls (runtime.go).
	rt awsRuntime
}

// run is main without the process: it parses args, runs the command and
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runApp(ctx, &app{stdout: stdout, stderr: stderr, now: time.Now, version: version, env: os.Getenv, buildInfo: debug.ReadBuildInfo}, args)
}

// runApp runs a command for a prepared app (tests inject the clock).
func runApp(ctx context.Context, a *app, args []string) int {
	stdout, stderr := a.stdout, a.stderr
	a.resolveVersion()
	a.args = args
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := a.deadlineError(root.ExecuteContext(ctx))
	if err == nil {
		return exitClean
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "pvaudit: %s\n", a.redact(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "pvaudit: %s\n", a.redact(err.Error()))
	return exitError
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "pvaudit",
		Short: "Audit an AWS account's IAM against the Pennsieve and PAR access promises",
		Long: `pvaudit checks that what a SaaS provider promised about its access to your AWS
account is what your account really allows: the cross-account role's trust,
session length and guardrails, and a permissions boundary on every role it
created. It reads the account live (read-only) or from an export file.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error,
runtime error or incomplete scan.`,
		Example: `  pvaudit scan --from testdata/accounts/sample.json
  pvaudit roles --profile audit
  pvaudit snapshot -o account.json`,
		Version:       a.versionLine(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.rt.timeout <= 0 {
				return usageErr("--timeout %s: want a positive duration, e.g. 30s", a.rt.timeout)
			}
			if a.rt.deadline < 0 {
				return usageErr("--deadline %s: want a duration, e.g. 15m (0: none)", a.rt.deadline)
			}
			cmd.SetContext(a.startDeadline(cmd.Context()))
			return a.setupLogging()
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	root.PersistentFlags().DurationVar(&a.rt.timeout, "timeout", defaultCallTimeout, "longest one AWS call may take, retries included; a call that does not finish is a coverage gap")
	root.PersistentFlags().DurationVar(&a.rt.deadline, "deadline", 0, "longest the whole command may take (e.g. 15m; 0: no limit); past it the command stops, exit 2")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitErr{code: exitError, err: err}
	})
	root.AddCommand(
		newVersionCmd(a),
		newRolesCmd(a),
		newSnapshotCmd(a),
		newScanCmd(a),
		newContractCmd(a),
		newChecksCmd(a),
		newProbeCmd(a),
		newTrailCmd(a),
		newSimulateCmd(a),
		newProvisionCmd(a),
		newAccountCmd(a),
		newEvidenceCmd(a),
		newControlsCmd(a),
		newScheduleCmd(a),
		newBaselineCmd(a), newDriftCmd(a),
		newIAMPolicyCmd(a),
	)
	return root
}

// run is what a pipeline needs from the app.
func (a *app) run(command string, cfg *config.Resolved, failOn finding.Severity) *audit.Run {
	return &audit.Run{Tool: "pvaudit", Version: a.version, Revision: a.revision, Command: command, Now: a.now, Log: a.log, Config: cfg, FailOn: failOn}
}

func (a *app) setupLogging() error {
	var lvl slog.Level
	switch strings.ToLower(a.logLevel) {
	case "debug":
		lvl = slog.LevelDebug
	case "info":
		lvl = slog.LevelInfo
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		return usageErr("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	if a.rt.secrets == nil {
		a.rt.secrets = &secretSet{}
	}
	a.log = slog.New(redactHandler{inner: slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lvl}), secrets: a.rt.secrets})
	return nil
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print pvaudit's version and the revision it was built from",
		Example: "  pvaudit version\n  pvaudit --version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(a.stdout, a.versionLine())
			return err
		},
	}
}

// resolveVersion fills the version and revision from the build info when
// the binary was not stamped with -ldflags "-X main.version=…": the module
// version (v1.2.3 for go install …@v1.2.3, "(devel)" in a work tree) and
// the VCS revision, time and modified flag go build records.
func (a *app) resolveVersion() {
	if a.buildInfo == nil {
		return
	}
	bi, ok := a.buildInfo()
	if !ok || bi == nil {
		return
	}
	if a.version == "" || a.version == "dev" {
		if v := bi.Main.Version; v != "" {
			a.version = v
		}
	}
	var rev, when string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" {
		a.revision = rev
		if modified {
			a.revision += "+modified"
		}
		a.revisionTime = when
	}
	a.goVersion = bi.GoVersion
}

// versionLine is what version and --version print.
func (a *app) versionLine() string {
	s := "pvaudit " + a.version
	var extra []string
	if a.revision != "" {
		extra = append(extra, "revision "+a.revision)
	}
	if a.revisionTime != "" {
		extra = append(extra, "committed "+a.revisionTime)
	}
	if a.goVersion != "" {
		extra = append(extra, a.goVersion)
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}
