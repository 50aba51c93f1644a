package audit

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{time.Hour, "1h"},
		{12 * time.Hour, "12h"},
		{90 * time.Minute, "1h30m"},
		{45 * time.Minute, "45m"},
		{time.Hour + 30*time.Second, "1h0m30s"},
		{10 * time.Minute, "10m"},
		{100 * time.Second, "1m40s"},
		{0, "0s"},
	}
	for _, tc := range tests {
		t.Run(tc.d.String(), func(t *testing.T) {
			if got := HumanDuration(tc.d); got != tc.want {
				t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}
