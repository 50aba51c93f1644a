package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/schedule"
)

// TestEvidenceLive: a live evidence export over the loopback endpoint
// (with the CloudTrail lookup) writes a bundle that verifies and
// re-analyses to the same verdict, makes no mutating call, and calls only
// the read-only actions the scheduled task's role grants.
func TestEvidenceLive(t *testing.T) {
	t.Parallel()
	a := newAccount(t, "sample.json")
	dir := t.TempDir()
	bundle := filepath.Join(dir, "evidence.tar.gz")
	r := a.pvaudit(t, "evidence", "export", "--framework", "hipaa", "--out", bundle, "--trail-lookup", "--provisioner-account", "941377122013")
	if r.code != 1 || !strings.Contains(r.stdout, "Evidence bundle written") {
		t.Fatalf("export: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The probe engine's action, for the least-privilege check below.
	if p := a.pvaudit(t, "probe", "--engine", "aws", "--aws-rate", "200", "--no-generated"); p.code == 2 {
		t.Fatalf("probe: %s", p.stderr)
	}
	if m := a.srv.MutatingCalls(); len(m) != 0 {
		t.Errorf("export made %d mutating call(s): %+v", len(m), m)
	}
	granted := schedule.ReadActions()
	seen := map[string]bool{}
	for _, c := range a.srv.Calls() {
		act := c.Service + ":" + c.Action
		seen[act] = true
		if !slices.Contains(granted, act) {
			t.Errorf("pvaudit called %s, which the scheduled task's read-only role does not grant", act)
		}
	}
	for _, g := range granted {
		// sample.json has no transit gateway: its routes are read per route
		// table (inventory/live's tests call it).
		if !seen[g] && g != "ec2:SearchTransitGatewayRoutes" {
			t.Errorf("the role grants %s, which no command called (not least privilege, or the test misses a path)", g)
		}
	}
	v := offline(t, "evidence", "verify", bundle)
	if v.code != 0 {
		t.Errorf("verify: exit %d %s", v.code, v.stdout)
	}
	// Re-analysed without the CloudTrail the export replayed, the bundle
	// is incomplete (exit 2), never clean.
	scan := offline(t, "scan", "--from", bundle, "-q")
	if scan.code != 2 || !strings.Contains(scan.stdout, "INCOMPLETE") || !strings.Contains(scan.stdout, "1 coverage gap") {
		t.Errorf("scan --from the bundle: exit %d %q, want INCOMPLETE with the missing CloudTrail as a gap", scan.code, scan.stdout)
	}
}

// offline runs the binary without AWS flags or credentials.
func offline(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}
