package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Marker values no output may carry.
const (
	markerSessionToken = "MARKER-session-token-5b0c2e7f91"
	markerAuditExtID   = "MARKER-audit-extid-77d1a3"
	markerRoleExtID    = "MARKER-role-extid-c4e9f0"
)

// TestSecretsNeverWritten: session tokens, secret keys, ExternalIds and
// Authorization headers appear in no log line at any level (debug
// included), no report and no bundle: every command that reaches AWS runs
// with marker values, and every byte it prints or writes is searched.
func TestSecretsNeverWritten(t *testing.T) {
	t.Parallel()
	a := newAccount(t, "sample.json")
	// An audit role to assume (its trust asks no ExternalId, so the marker
	// is pvaudit's input only, never the account's data).
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:user/admin"},"Action":"sts:AssumeRole"}]}`, a.srv.AccountID())
	ctx := context.Background()
	out, err := a.admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pvaudit-audit"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("pvaudit-audit"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	role := aws.ToString(out.Role.Arn)
	dir := t.TempDir()
	f := func(name string) string { return filepath.Join(dir, name) }
	assume := []string{"--role-arn", role, "--external-id", markerAuditExtID}
	commands := [][]string{
		append([]string{"scan", "-o", "table", "-o", "json=" + f("scan.json"), "-o", "sarif=" + f("scan.sarif"), "-o", "html=" + f("scan.html"), "--trail-lookup", "--provisioner-account", "941377122013"}, assume...),
		{"scan", "-o", "json", "--provisioner-account", "941377122013"},
		append([]string{"snapshot", "-o", "json=" + f("snap.json")}, assume...),
		append([]string{"roles"}, assume...),
		append([]string{"probe", "--engine", "both", "--aws-rate", "1000", "--no-generated", "-o", "json=" + f("probe.json")}, assume...),
		append([]string{"trail", "sessions", "--lookup", "--provisioner-account", "941377122013", "-o", "json=" + f("trail.json")}, assume...),
		append([]string{"evidence", "export", "--framework", "hipaa", "--out", f("bundle"), "--trail-lookup", "--provisioner-account", "941377122013"}, assume...),
		{"provision", "plan", "--role-arn", role, "--role-external-id", markerRoleExtID, "-o", "json=" + f("plan.json"), "--env", "prod", "--role-id", "a3f1b20c", "--provisioner-account", "941377122013", "--node", "7f3a9c21"},
		// A failing run: its error lines too.
		{"scan", "--role-arn", "arn:aws:iam::" + a.srv.AccountID() + ":role/nope", "--external-id", markerAuditExtID},
	}
	creds := a.srv.AdminCredentials()
	secrets := []string{creds.SecretAccessKey, markerSessionToken, markerAuditExtID, markerRoleExtID}
	forbidden := []string{"Signature=", "AWS4-HMAC-SHA256 Credential", "X-Amz-Security-Token", "Authorization:"}
	var printed strings.Builder
	for _, args := range commands {
		cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		cmd := exec.CommandContext(cctx, binary, append(append([]string(nil), args...), "--log-level", "debug", "--endpoint-url", a.srv.URL())...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
			"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
			// IAM users ignore a session token; the marker still goes
			// through the SDK's credential chain and every request.
			"AWS_SESSION_TOKEN=" + markerSessionToken, "AWS_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		}
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		cancel()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("%v: %v", args[:2], err)
		}
		if e.Len() == 0 {
			t.Errorf("%v: no log at debug level: the test proves nothing", args[:2])
		}
		fmt.Fprintf(&printed, "== %s\n%s\n%s\n", strings.Join(args[:2], " "), o.String(), e.String())
	}
	var files []string
	if err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("only %d files written: %v", len(files), files)
	}
	check := func(where string, b []byte) {
		for _, s := range append(append([]string(nil), secrets...), forbidden...) {
			if bytes.Contains(b, []byte(s)) {
				i := bytes.Index(b, []byte(s))
				t.Errorf("%s carries %q: …%s…", where, s, b[max(0, i-120):min(len(b), i+len(s)+40)])
			}
		}
	}
	check("stdout/stderr", []byte(printed.String()))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		check(p, b)
	}
	// The ExternalId reached AWS: the markers were really used.
	if !strings.Contains(printed.String(), "pvaudit-audit") {
		t.Error("the audit role was never assumed: the test proves nothing")
	}
}
