package main

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestRedactHandler: a registered secret never reaches stderr, whatever
// carries it: the message, a string attribute, an error value, a group, a
// logger's fixed attributes; at debug level too.
func TestRedactHandler(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	var buf bytes.Buffer
	a := &app{stderr: &buf, logLevel: "debug"}
	if err := a.setupLogging(); err != nil {
		t.Fatal(err)
	}
	a.addSecret(secret, "short")
	a.log.Debug("signing with "+secret, "key", secret, "err", errors.New("bad "+secret), slog.Group("g", "v", secret))
	a.log.With("fixed", secret).Info("x short")
	if strings.Contains(buf.String(), secret) {
		t.Errorf("the secret reached the log:\n%s", buf.String())
	}
	if n := strings.Count(buf.String(), "REDACTED"); n != 5 {
		t.Errorf("%d redactions, want 5:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "x short") {
		t.Errorf("a value shorter than minSecret was redacted:\n%s", buf.String())
	}
	if got := a.redact("pvaudit: cannot assume with " + secret); strings.Contains(got, secret) {
		t.Errorf("error line not redacted: %s", got)
	}
}
