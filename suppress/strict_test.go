//go:build unix

package suppress

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/fsutil"
)

func TestParseStrict(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, yaml, want string }{
		{"second document", "suppressions:\n- {fingerprint: ab, reason: x, expires: 2027-01-01}\n---\nsuppressions:\n- {fingerprint: cd, reason: y, expires: 2099-01-01}\n", "s.yaml:3:1: a second YAML document"},
		{"duplicate top key", "suppressions: []\nsuppressions:\n- {fingerprint: cd, reason: y, expires: 2099-01-01}\n", `s.yaml:2:1: key "suppressions" given twice`},
		{"duplicate rule key", "suppressions:\n- fingerprint: ab\n  reason: x\n  expires: 2027-01-01\n  expires: 2099-01-01\n", `s.yaml:5:3: key "expires" given twice in suppressions[0]`},
		{"typo", "supressions: []\n", `s.yaml:1:1: unknown key "supressions" (did you mean "suppressions"?)`},
		{"rule typo", "suppressions:\n- {fingerprint: ab, reason: x, expire: 2027-01-01}\n", `s.yaml:2:32: unknown key "expire" in suppressions[0] (did you mean "expires"?)`},
		{"list of strings", "suppressions: [a]\n", "s.yaml:1:16: expected a mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.yaml), "s.yaml")
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v, want an ErrInvalid starting %q", err, tc.want)
			}
		})
	}
	if f, err := Parse([]byte("# nothing suppressed yet\n"), "s.yaml"); err != nil || len(f.Suppressions) != 0 {
		t.Errorf("comment-only file: %v, %v; want no rules and no error", f, err)
	}
}

func TestLoadRefusesFIFO(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(p); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, fsutil.ErrNotRegular) || !strings.Contains(err.Error(), p+": is a named pipe") {
			t.Errorf("err = %v, want a named-pipe error naming %s", err, p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load blocked on a FIFO")
	}
}
