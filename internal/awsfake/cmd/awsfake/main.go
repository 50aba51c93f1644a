// Command awsfake runs the loopback AWS endpoint (package internal/awsfake)
// until interrupted, for trying pvaudit by hand — provision apply, destroy,
// account deregister — without an AWS account. It prints the environment
// to point pvaudit at it:
//
//	go run ./internal/awsfake/cmd/awsfake -account 481516234201 > fake.env &
//	. ./fake.env; pvaudit provision apply --endpoint-url "$AWSFAKE_URL" …
//
// Every call is authorized with pvaudit's evaluator as the calling principal.
// The printed secret is the fake administrator's, valid only there.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/pvaudit/pvaudit/internal/awsfake"
)

// The AWS managed policy the PAR execution role attaches (its actions as
// AWS publishes them).
const ecsTaskExecution = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "awsfake:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("awsfake", flag.ContinueOnError)
	account := fs.String("account", awsfake.DefaultAccountID, "the fake account's ID")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv, err := awsfake.Serve(ctx, awsfake.Options{AccountID: *account, Authorize: true})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.AddAWSManagedPolicy("/service-role/", "AmazonECSTaskExecutionRolePolicy", ecsTaskExecution); err != nil {
		return err
	}
	c := srv.AdminCredentials()
	fmt.Fprintf(stdout, "export AWSFAKE_URL=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=us-east-1\n", srv.URL(), c.AccessKeyID, c.SecretAccessKey)
	if f, ok := stdout.(*os.File); ok {
		_ = f.Sync()
	}
	<-ctx.Done()
	return nil
}
