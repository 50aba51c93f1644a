//go:build unix

package fsutil

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "pipe.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "huge.json")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3<<30 + 100<<20); err != nil { // 3.1 GiB, no blocks
		t.Fatal(err)
	}
	f.Close()
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	okFile := write("ok.json", []byte(`{"a":1}`))
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(okFile, link); err != nil {
		t.Fatal(err)
	}
	linkToFifo := filepath.Join(dir, "link-to-pipe.json")
	if err := os.Symlink(fifo, linkToFifo); err != nil {
		t.Fatal(err)
	}
	overPolicy := write("big-policy.json", make([]byte, MaxPolicyBytes+1))
	atPolicy := write("max-policy.json", make([]byte, MaxPolicyBytes))

	tests := []struct {
		name    string
		path    string
		kind    Kind
		wantErr error
		wantMsg []string
		wantLen int
	}{
		{name: "regular", path: okFile, kind: Snapshot, wantLen: 7},
		{name: "symlink-to-regular", path: link, kind: Snapshot, wantLen: 7},
		{name: "at-the-limit", path: atPolicy, kind: Policy, wantLen: MaxPolicyBytes},
		{name: "fifo", path: fifo, kind: Snapshot, wantErr: ErrNotRegular, wantMsg: []string{fifo + ": is a named pipe (FIFO)", "a snapshot"}},
		{name: "symlink-to-fifo", path: linkToFifo, kind: Policy, wantErr: ErrNotRegular, wantMsg: []string{"named pipe"}},
		{name: "char-device", path: "/dev/zero", kind: Contract, wantErr: ErrNotRegular, wantMsg: []string{"/dev/zero: is a character device"}},
		{name: "folder", path: dir, kind: Config, wantErr: ErrNotRegular, wantMsg: []string{"is a folder", "a config file"}},
		{name: "socket", path: sock, kind: Suppressions, wantErr: ErrNotRegular, wantMsg: []string{"is a socket"}},
		{name: "sparse-3GiB", path: sparse, kind: Snapshot, wantErr: ErrTooLarge, wantMsg: []string{"huge.json: 3.1 GiB is over the 512 MiB limit for a snapshot"}},
		{name: "one-byte-over", path: overPolicy, kind: Policy, wantErr: ErrTooLarge, wantMsg: []string{"512.0 KiB (524289 bytes) is over the 512 KiB limit for a policy document"}},
		{name: "missing", path: filepath.Join(dir, "nope.json"), kind: Snapshot, wantErr: os.ErrNotExist, wantMsg: []string{"nope.json: cannot open: no such file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan struct{})
			var data []byte
			var err error
			go func() {
				defer close(done)
				data, err = ReadFile(tc.path, tc.kind)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("ReadFile(%s) blocked", tc.path)
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("ReadFile: %v", err)
				}
				if len(data) != tc.wantLen {
					t.Errorf("read %d bytes, want %d", len(data), tc.wantLen)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want one wrapping %v", err, tc.wantErr)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Path != tc.path || fe.Kind != tc.kind {
				t.Errorf("err = %#v, want *Error for %s", err, tc.path)
			}
			for _, m := range tc.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("err = %q, want it to contain %q", err, m)
				}
			}
		})
	}
}

// A file that reports a small size but yields more (here /proc, whose
// files report size 0) is still cut at the limit.
func TestReadFileLimitWithoutSize(t *testing.T) {
	t.Parallel()
	const p = "/proc/self/maps"
	st, err := os.Stat(p)
	if err != nil || st.Size() != 0 {
		t.Skipf("%s is not a zero-size /proc file here (%v)", p, err)
	}
	if _, err := readFile(p, Policy, 64); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 64 bytes, the limit for a policy document") {
		t.Errorf("err = %v, want the 64-byte limit", err)
	}
	data, err := readFile(p, Policy, 1<<20)
	if err != nil || len(data) <= 64 {
		t.Errorf("read %d bytes (%v), want all of %s", len(data), err, p)
	}
}

func TestHumanSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"}, {1023, "1023 bytes"}, {1024, "1 KiB"}, {1536, "1.5 KiB"},
		{512 << 20, "512 MiB"}, {3<<30 + 100<<20, "3.1 GiB"},
	}
	for _, tc := range tests {
		if got := HumanSize(tc.n); got != tc.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestKindsHaveNamesAndLimits(t *testing.T) {
	t.Parallel()
	for k := Snapshot; k <= Key; k++ {
		if k.String() == "an input file" {
			t.Errorf("kind %d has no name", k)
		}
		if k != Batch && k.Limit() <= 0 {
			t.Errorf("%s has no size limit", k)
		}
	}
	if Batch.Limit() != 0 || MaxBatchLine < 4*MaxPolicyBytes {
		t.Errorf("a batch line (%d) must hold several policies of %d", MaxBatchLine, MaxPolicyBytes)
	}
}
