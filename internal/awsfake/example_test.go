package awsfake_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pvaudit/pvaudit/internal/awsfake"
)

// Serve runs the endpoint outside a test; tests use Start, which also
// closes it. Point the SDK (or pvaudit --endpoint-url) at URL().
func Example() {
	ctx := context.Background()
	srv, err := awsfake.Serve(ctx, awsfake.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	admin := srv.AdminCredentials()
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(admin.AccessKeyID, admin.SecretAccessKey, ""),
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
	id, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(id.Arn))
	fmt.Println(len(srv.MutatingCalls()))
	// Output:
	// arn:aws:iam::123456789012:user/admin
	// 0
}
