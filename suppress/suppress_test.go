package suppress

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

func mk(check, resource string, st finding.Status) finding.Finding {
	f := finding.Finding{CheckID: check, Resource: resource, Status: st, Severity: finding.High}
	f.Finalize()
	return f
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "suppressions:\n- {check: A, resource: r, reason: x, expires: 2027-01-01, note: y}\n", "note"},
		{"no selector", "suppressions:\n- {reason: x, expires: 2027-01-01}\n", "needs fingerprint"},
		{"check without resource", "suppressions:\n- {check: A, reason: x, expires: 2027-01-01}\n", "needs fingerprint"},
		{"both selectors", "suppressions:\n- {fingerprint: ab, check: A, resource: r, reason: x, expires: 2027-01-01}\n", "not both"},
		{"no reason", "suppressions:\n- {fingerprint: ab, expires: 2027-01-01}\n", "reason"},
		{"no expiry", "suppressions:\n- {fingerprint: ab, reason: x}\n", "expires"},
		{"bad date", "suppressions:\n- {fingerprint: ab, reason: x, expires: 01/02/2027}\n", "YYYY-MM-DD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.yaml), "s.yaml")
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "s.yaml") {
				t.Errorf("got error %v, want an ErrInvalid naming s.yaml and containing %q", err, tc.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	fail := mk("PV-BND-001", "arn:aws:iam::1:role/a", finding.Fail)
	other := mk("PV-BND-001", "arn:aws:iam::1:role/b", finding.Fail)
	pass := mk("PV-XAR-001", "arn:aws:iam::1:role/x", finding.Pass)
	src := "suppressions:\n" +
		"- {check: PV-BND-001, resource: 'arn:aws:iam::1:role/a', reason: accepted risk, expires: 2026-11-23}\n" +
		"- {fingerprint: " + other.Fingerprint + ", reason: old ticket, expires: 2026-11-22}\n" +
		"- {fingerprint: " + pass.Fingerprint + ", reason: pass, expires: 2030-01-01}\n" +
		"- {check: PV-NOPE, resource: r, reason: stale, expires: 2030-01-01}\n"
	file, err := Parse([]byte(src), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		now            time.Time
		wantA, wantB   bool
		wantExpired    int
		wantSuppressed int
	}{
		{"last day of the first rule", time.Date(2026, 11, 23, 23, 59, 0, 0, time.UTC), true, false, 1, 1},
		{"day after: both expired", time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), false, false, 2, 0},
		{"before both expire", time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), true, true, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := []finding.Finding{fail, other, pass}
			res := file.Apply(fs, tc.now)
			if got := fs[0].Suppressed != nil; got != tc.wantA {
				t.Errorf("role/a suppressed = %v, want %v", got, tc.wantA)
			}
			if got := fs[1].Suppressed != nil; got != tc.wantB {
				t.Errorf("role/b suppressed = %v, want %v", got, tc.wantB)
			}
			if fs[2].Suppressed != nil {
				t.Error("a PASS finding was suppressed")
			}
			if len(res.Expired) != tc.wantExpired || res.Suppressed != tc.wantSuppressed {
				t.Errorf("got %d expired, %d suppressed; want %d, %d", len(res.Expired), res.Suppressed, tc.wantExpired, tc.wantSuppressed)
			}
			if len(res.Unused) != 2 {
				t.Errorf("got %d unused rules, want 2 (the PASS one and PV-NOPE)", len(res.Unused))
			}
			if fs[0].Suppressed != nil && (fs[0].Suppressed.Reason != "accepted risk" || fs[0].Suppressed.Source != "s.yaml") {
				t.Errorf("suppression = %+v, want reason and source recorded", fs[0].Suppressed)
			}
		})
	}
}
