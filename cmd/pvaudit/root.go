package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
}

// run is main without the process: it parses args, runs the command and
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runApp(ctx, &app{stdout: stdout, stderr: stderr, now: time.Now, version: version}, args)
}

// runApp runs a command for a prepared app (tests inject the clock).
func runApp(ctx context.Context, a *app, args []string) int {
	stdout, stderr := a.stdout, a.stderr
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitClean
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "pvaudit: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "pvaudit: %v\n", err)
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
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setupLogging()
		},
	}
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
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
		newBaselineCmd(a), newDriftCmd(a),
	)
	return root
}

// run is what a pipeline needs from the app.
func (a *app) run(command string, cfg *config.Resolved, failOn finding.Severity) *audit.Run {
	return &audit.Run{Tool: "pvaudit", Version: a.version, Command: command, Now: a.now, Log: a.log, Config: cfg, FailOn: failOn}
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
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lvl}))
	return nil
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print pvaudit's version",
		Example: "  pvaudit version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(a.stdout, "pvaudit %s\n", a.version)
			return err
		},
	}
}
