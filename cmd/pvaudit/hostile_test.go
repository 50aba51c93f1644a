//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/yamlstrict"
)

// hostileCase is one entry of testdata/hostile/cases.yaml (see its header).
type hostileCase struct {
	ID          string      `yaml:"id"`
	File        string      `yaml:"file"`
	Generate    *hostileGen `yaml:"generate,omitempty"`
	Kind        string      `yaml:"kind"`
	What        string      `yaml:"what"`
	Args        []string    `yaml:"args"`
	Exit        int         `yaml:"exit"`
	Message     string      `yaml:"message"`
	Stream      string      `yaml:"stream,omitempty"`
	NamesFile   *bool       `yaml:"names_file,omitempty"`
	Position    bool        `yaml:"position"`
	MaxAllocMiB int         `yaml:"max_alloc_mib,omitempty"`
	Pending     string      `yaml:"pending,omitempty"`
	Device      bool        `yaml:"device,omitempty"`
}

type hostileGen struct {
	Type  string `yaml:"type"`
	Size  int64  `yaml:"size,omitempty"`
	Head  string `yaml:"head,omitempty"`
	Unit  string `yaml:"unit,omitempty"`
	Count int    `yaml:"count,omitempty"`
	Tail  string `yaml:"tail,omitempty"`
}

const hostileDir = "../../testdata/hostile"

// hangLimit is how long a case may take before it counts as hung (a FIFO
// read used to block forever). It is not a performance bound.
const hangLimit = 60 * time.Second

// positionRE finds a place in a message: file:12:3:, file:12:, or "line 12".
var positionRE = regexp.MustCompile(`:\d+(:\d+)?: |line \d+`)

// TestHostileInputs runs every case of testdata/hostile/cases.yaml through
// run() in this process: the exit code, the message (naming the file and,
// for content errors, the position), no panic, no hang, and bounded memory
// (runtime.MemStats.TotalAlloc across the call, which counts every byte the
// call allocated; the test is not parallel, so nothing else allocates
// meanwhile).
func TestHostileInputs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(hostileDir, "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Cases []hostileCase `yaml:"cases"`
	}
	if err := yamlstrict.Decode(data, "cases.yaml", &m); err != nil {
		t.Fatal(err)
	}
	if n := countRefused(m.Cases); n < 60 {
		t.Errorf("%d hostile cases expect a refusal, want at least 60", n)
	}
	seen := map[string]bool{}
	tmp := t.TempDir()
	for _, tc := range m.Cases {
		if seen[tc.ID] {
			t.Errorf("case id %s given twice", tc.ID)
		}
		seen[tc.ID] = true
		t.Run(tc.ID, func(t *testing.T) {
			if tc.Pending != "" {
				t.Skipf("pending: %s", tc.Pending)
			}
			if st, err := os.Stat(tc.File); tc.Device && (err != nil || st.Mode()&os.ModeCharDevice == 0) {
				t.Skipf("%s is not a character device on this machine", tc.File)
			}
			path := tc.File
			if tc.Generate != nil {
				path = filepath.Join(tmp, tc.ID, tc.File)
				makeHostile(t, path, tc.Generate)
			} else if !filepath.IsAbs(path) {
				path = filepath.Join(hostileDir, path)
				if _, err := os.Stat(path); err != nil {
					t.Fatalf("case file: %v", err)
				}
			}
			args := make([]string, len(tc.Args))
			for i, a := range tc.Args {
				a = strings.ReplaceAll(a, "{file}", path)
				a = strings.ReplaceAll(a, "{compliant}", "../../testdata/accounts/compliant.json")
				a = strings.ReplaceAll(a, "{okpolicy}", filepath.Join(hostileDir, "policy", "ok.json"))
				a = strings.ReplaceAll(a, "{hostile}", hostileDir)
				args[i] = a
			}
			code, stdout, stderr, alloc := runHostile(t, path, args)
			out := stderr
			if tc.Stream == "stdout" {
				out = stdout
			}
			if code != tc.Exit {
				t.Errorf("exit %d, want %d\nstderr: %.600s\nstdout: %.300s", code, tc.Exit, stderr, stdout)
			}
			if !strings.Contains(out, tc.Message) {
				t.Errorf("%s does not contain %q:\n%.600s", streamName(tc.Stream), tc.Message, out)
			}
			if (tc.NamesFile == nil || *tc.NamesFile) && !strings.Contains(out, path) {
				t.Errorf("the message does not name the file %s:\n%.600s", path, out)
			}
			if tc.Position && !positionRE.MatchString(out) {
				t.Errorf("the message names no position (line/column):\n%.600s", out)
			}
			if tc.Exit == exitError && stdout != "" {
				t.Errorf("a refused input still printed a report:\n%.300s", stdout)
			}
			t.Logf("exit %d, allocated %.1f MiB", code, float64(alloc)/(1<<20))
			limit := tc.MaxAllocMiB
			if limit == 0 {
				limit = 64
			}
			if alloc > uint64(limit)<<20 {
				t.Errorf("the call allocated %d MiB, over the case's %d MiB", alloc>>20, limit)
			}
		})
	}
}

func countRefused(cases []hostileCase) int {
	n := 0
	for _, c := range cases {
		if c.Pending == "" && (c.Exit == exitError || strings.Contains(c.Message, "line ")) {
			n++
		}
	}
	return n
}

func streamName(s string) string {
	if s == "" {
		return "stderr"
	}
	return s
}

// runHostile runs pvaudit in-process, recovering a panic and giving up on a
// hang (after unblocking a FIFO reader so the goroutine ends).
func runHostile(t *testing.T, path string, args []string) (code int, stdout, stderr string, alloc uint64) {
	t.Helper()
	type result struct {
		code           int
		stdout, stderr string
		panicked       any
	}
	done := make(chan result, 1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() {
		var r result
		defer func() {
			r.panicked = recover()
			done <- r
		}()
		var out, errb bytes.Buffer
		a := &app{stdout: &out, stderr: &errb, now: fixedNow, version: "test"}
		r.code = runApp(context.Background(), a, args)
		r.stdout, r.stderr = out.String(), errb.String()
	}()
	select {
	case r := <-done:
		runtime.ReadMemStats(&after)
		if r.panicked != nil {
			t.Fatalf("panic: %v", r.panicked)
		}
		return r.code, r.stdout, r.stderr, after.TotalAlloc - before.TotalAlloc
	case <-time.After(hangLimit):
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close() // a reader blocked in open(2) gets EOF
		}
		t.Fatalf("pvaudit %s did not return within %s", strings.Join(args, " "), hangLimit)
		return 0, "", "", 0
	}
}

// makeHostile creates a generated case file.
func makeHostile(t *testing.T, path string, g *hostileGen) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	switch g.Type {
	case "fifo":
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
	case "symlink-to-fifo":
		target := path + ".fifo"
		if err := syscall.Mkfifo(target, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	case "socket":
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	case "dir":
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
	case "sparse":
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(g.Size); err != nil {
			t.Fatal(err)
		}
	case "repeat":
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		w.WriteString(g.Head)
		numbered := strings.Contains(g.Unit, "{i}")
		for i := range g.Count {
			if numbered {
				w.WriteString(strings.ReplaceAll(g.Unit, "{i}", strconv.Itoa(i)))
			} else {
				w.WriteString(g.Unit)
			}
		}
		w.WriteString(g.Tail)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown generate type %q", g.Type)
	}
}

// TestHostileCatalogueCoversEveryKind keeps the catalogue honest: each
// reader has cases, and every committed input under testdata/hostile/ is
// used by a case.
func TestHostileCatalogueCoversEveryKind(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(hostileDir, "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Cases []hostileCase `yaml:"cases"`
	}
	if err := yamlstrict.Decode(data, "cases.yaml", &m); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	used := map[string]bool{}
	for _, c := range m.Cases {
		kinds[c.Kind]++
		if c.Generate == nil {
			used[c.File] = true
		}
		for _, a := range c.Args {
			if rest, ok := strings.CutPrefix(a, "{hostile}/"); ok {
				used[rest] = true
			}
		}
	}
	for _, k := range []string{"snapshot-cli", "snapshot-own", "policy", "batch", "contract", "suppress", "config", "baseline"} {
		if kinds[k] == 0 {
			t.Errorf("no hostile case of kind %s", k)
		}
	}
	err = filepath.Walk(hostileDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(hostileDir, p)
		if rel == "cases.yaml" || rel == "gen.py" {
			return nil
		}
		if !used[rel] {
			t.Errorf("%s is not used by any case", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
