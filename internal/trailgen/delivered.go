package trailgen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Profiles the generator can write.
const (
	// ProfileSynthetic is the original shape: about EventsPerFile (1,000)
	// records per file, the cross-account role named almost only by the
	// planted sessions.
	ProfileSynthetic = "synthetic"
	// ProfileDelivered is the shape of a delivered archive: one file per
	// account, region and five minutes holding tens of records (10–96,
	// about 53 on average), the role's name prefix in other resources'
	// names and ARNs (an ECS cluster, log groups, a Lambda function, a
	// state machine, SSM parameters: about 31 % of the records), and the
	// provider's hourly sessions making calls under the role in a
	// fraction Active of the files.
	ProfileDelivered = "delivered"
)

// deliveredSlot is the delivery period of one file.
const deliveredSlot = 5 * time.Minute

// deliveredPerFile is the average number of records per delivered file.
const deliveredPerFile = 53

// hourSession is the provider's background session of one hour: assumed
// at hh:00:17 with an ExternalId for an hour, by the provisioner account.
type hourSession struct {
	start time.Time
	key   string
	name  string
}

func (c *Config) hourSession(h int) hourSession {
	rng := rand.New(rand.NewPCG(c.Seed^0x5eed0f5e551075, uint64(h)))
	start := c.Start.Add(time.Duration(h) * time.Hour).Add(17 * time.Second)
	return hourSession{start: start, key: "ASIA" + randID(rng, 16), name: fmt.Sprintf("pennsieve-bg-%d", h)}
}

// deliveredExtras are the records a delivered file holds besides its
// background: the hour's AssumeRole (in the first region's file of the
// hour's first slot) and, in a fraction Active of the files, 1–4 calls
// made under the hour's session.
func (fw *fileWriter) deliveredExtras(t0 time.Time) [][]byte {
	cfg := fw.cfg
	if fw.acct != cfg.Account {
		return nil
	}
	off := t0.Sub(cfg.Start)
	h := int(off / time.Hour)
	s := cfg.hourSession(h)
	var out [][]byte
	if fw.region == cfg.Regions[0] && off%time.Hour == 0 {
		out = append(out, render(callSpec{t: s.start, id: uuid(fw.rng), shared: uuid(fw.rng), version: "1.08",
			source: "sts.amazonaws.com", name: "AssumeRole", region: fw.region, ip: "54.86.10.200",
			ua: "APN/1.0 HashiCorp/1.0 Terraform/1.5.7", readOnly: true, recipient: cfg.Account,
			identity: `{"type":"AWSAccount","principalId":"AROAPROVISIONER:` + s.name + `","accountId":"` + cfg.Provider + `"}`,
			request: `{"roleArn":"arn:aws:iam::` + cfg.Account + `:role/` + cfg.RoleName + `","roleSessionName":"` + s.name +
				`","durationSeconds":3600,"externalId":"pennsieve-a3f1b20c"}`,
			response: `{"credentials":{"accessKeyId":"` + s.key + `","sessionToken":"IQoJb3JpZ2luX2VjE` + randID(fw.rng, 200) +
				`","expiration":"` + s.start.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM") + `"},"assumedRoleUser":{"assumedRoleId":"AROAPENNSIEVE:` +
				s.name + `","arn":"arn:aws:sts::` + cfg.Account + `:assumed-role/` + cfg.RoleName + `/` + s.name + `"}}`,
			resources: `[{"accountId":"` + cfg.Account + `","type":"AWS::IAM::Role","ARN":"arn:aws:iam::` + cfg.Account + `:role/` + cfg.RoleName + `"}]`,
		}))
	}
	if fw.rng.Float64() >= cfg.Active {
		return out
	}
	calls := []struct{ source, name, request string }{
		{"ecs", "DescribeClusters", `{"clusters":["Pennsieve-Compute-dev-cluster"]}`},
		{"ecs", "RunTask", `{"cluster":"Pennsieve-Compute-dev-cluster","taskDefinition":"pennsieve-wf-0:7","count":1}`},
		{"logs", "GetLogEvents", `{"logGroupName":"/aws/ecs/Pennsieve-Compute-dev","logStreamName":"wf/main"}`},
		{"states", "StartExecution", `{"stateMachineArn":"arn:aws:states:` + fw.region + `:` + cfg.Account + `:stateMachine:Pennsieve-Compute-dev-workflow"}`},
		{"ec2", "DescribeSubnets", `{"subnetSet":{},"filterSet":{}}`},
		{"s3", "PutObject", `{"bucketName":"pennsieve-compute-dev-` + cfg.Account + `","key":"runs/out.json"}`},
	}
	for range 1 + fw.rng.IntN(4) {
		t := t0.Add(time.Duration(fw.rng.Int64N(int64(deliveredSlot))))
		if t.Before(s.start.Add(20 * time.Second)) {
			t = s.start.Add(20*time.Second + time.Duration(fw.rng.Int64N(int64(10*time.Second))))
		}
		c := calls[fw.rng.IntN(len(calls))]
		out = append(out, render(callSpec{t: t, id: uuid(fw.rng), version: versions[fw.rng.IntN(len(versions))],
			source: c.source + ".amazonaws.com", name: c.name, region: fw.region, ip: "54.86.10.200",
			ua: "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5", recipient: cfg.Account, request: c.request,
			identity: assumedRole(cfg.Account, cfg.RoleName, s.name, s.key, s.start)}))
	}
	return out
}

// deliveredBackground renders one record of a delivered archive's
// ordinary activity: 31 % of them name other resources whose names start
// with the role's prefix, the rest is the synthetic mix.
func deliveredBackground(rng *rand.Rand, cfg *Config, region string, t time.Time) []byte {
	acct := cfg.Account
	c := callSpec{t: t, id: uuid(rng), version: versions[rng.IntN(len(versions))], region: region, recipient: acct,
		ip: fmt.Sprintf("10.0.%d.%d", rng.IntN(256), 1+rng.IntN(254)), readOnly: true,
		ua: "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64)"}
	key := "ASIA" + randID(rng, 16)
	instance := fmt.Sprintf("i-%017x", rng.Uint64()>>4)
	cluster := "arn:aws:ecs:" + region + ":" + acct + ":cluster/Pennsieve-Compute-dev-cluster"
	function := "Pennsieve-Compute-dev-a3f1b20c-orchestrator"
	switch p := rng.IntN(100); {
	case p < 12:
		c.source, c.name = "ecs.amazonaws.com", []string{"SubmitTaskStateChange", "DiscoverPollEndpoint", "SubmitContainerStateChange"}[rng.IntN(3)]
		c.identity = assumedRole(acct, "ecs-cluster-instance", instance, key, t.Add(-time.Hour))
		c.request = `{"cluster":"` + cluster + `","containerInstance":"` + cluster[:len(cluster)-len("cluster/Pennsieve-Compute-dev-cluster")] + `container-instance/Pennsieve-Compute-dev-cluster/` + uuid(rng) + `"}`
		c.ua = "Go-http-client/1.1 amazon-ecs-agent/1.86.3"
		c.readOnly = false
	case p < 21:
		c.source, c.name = "logs.amazonaws.com", []string{"CreateLogStream", "DescribeLogStreams"}[rng.IntN(2)]
		c.identity = assumedRole(acct, "pennsieve-wf-0-lambda", function, key, t.Add(-time.Minute))
		c.request = `{"logGroupName":"/aws/lambda/` + function + `","logStreamName":"2025/03/01/[$LATEST]` + randID(rng, 32) + `"}`
		c.ua = "lambda.amazonaws.com"
	case p < 26:
		c.source, c.name = "kms.amazonaws.com", "Decrypt"
		c.identity = assumedRole(acct, "pennsieve-wf-0-lambda", function, key, t.Add(-time.Minute))
		c.request = `{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"aws:lambda:FunctionArn":"arn:aws:lambda:` + region + `:` + acct + `:function:` + function + `"}}`
		c.resources = `[{"accountId":"` + acct + `","type":"AWS::KMS::Key","ARN":"arn:aws:kms:` + region + `:` + acct + `:key/` + uuid(rng) + `"}]`
		c.ua = "lambda.amazonaws.com"
	case p < 29:
		c.source, c.name = "states.amazonaws.com", "DescribeExecution"
		c.identity = assumedRole(acct, "pennsieve-events-invoker", "events", key, t.Add(-time.Minute))
		c.request = `{"executionArn":"arn:aws:states:` + region + `:` + acct + `:execution:Pennsieve-Compute-dev-workflow:` + uuid(rng) + `"}`
	case p < 31:
		c.source, c.name = "ssm.amazonaws.com", "GetParameter"
		c.identity = assumedRole(acct, "ecs-cluster-instance", instance, key, t.Add(-time.Hour))
		c.request = `{"name":"/Pennsieve-Compute-dev/db-url","withDecryption":true}`
		c.resources = `[{"accountId":"` + acct + `","type":"AWS::SSM::Parameter","ARN":"arn:aws:ssm:` + region + `:` + acct + `:parameter/Pennsieve-Compute-dev/db-url"}]`
	default:
		return background(rng, cfg, region, t)
	}
	return render(c)
}
