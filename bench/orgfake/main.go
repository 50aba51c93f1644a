// Command orgfake serves a simulated AWS Organization (internal/orgsim) on
// the loopback endpoint for bench/org.sh: a management account and N
// member accounts seeded from compliant.json, each with the audit role. It
// prints the environment to reach it and serves until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/orgsim"
)

func main() {
	n := flag.Int("accounts", 50, "member accounts")
	tpl := flag.String("template", "testdata/accounts/compliant.json", "snapshot each member is seeded from")
	throttle := flag.Float64("throttle", 0, "fraction of member calls answered with Throttling")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	o, err := orgsim.Build(ctx, orgsim.Config{Accounts: *n, Template: *tpl, Throttle: *throttle, Authorize: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgfake:", err)
		os.Exit(2)
	}
	if err := awsfake.ServeAccounts(ctx, o.Accounts); err != nil {
		fmt.Fprintln(os.Stderr, "orgfake:", err)
		os.Exit(2)
	}
	defer o.Close()
	c := o.Management().AdminCredentials()
	fmt.Printf("export AWSFAKE_URL=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=us-east-1 AUDIT_ROLE=%s EXTERNAL_ID=%s\n",
		o.URL(), c.AccessKeyID, c.SecretAccessKey, orgsim.AuditRole, orgsim.ExternalID)
	fmt.Fprintf(os.Stderr, "orgfake: %d accounts seeded in %s\n", *n, time.Since(start).Round(time.Millisecond))
	_ = os.Stdout.Sync()
	<-ctx.Done()
}
