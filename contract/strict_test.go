//go:build unix

package contract

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/fsutil"
)

func TestLoadRefusesHostileFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "c.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(fsutil.MaxContractBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tests := []struct {
		name, path string
		want       error
		msg        string
	}{
		{"fifo", fifo, fsutil.ErrNotRegular, fifo + ": is a named pipe"},
		{"device", "/dev/zero", fsutil.ErrNotRegular, "/dev/zero: is a character device"},
		{"folder", dir, fsutil.ErrNotRegular, "is a folder"},
		{"too large", big, fsutil.ErrTooLarge, "is over the 1 MiB limit for a contract"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan error, 1)
			go func() { _, err := Load(tc.path); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("err = %v, want %v containing %q", err, tc.want, tc.msg)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("Load(%s) blocked", tc.path)
			}
		})
	}
}
