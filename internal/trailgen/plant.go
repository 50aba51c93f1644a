package trailgen

import (
	"fmt"
	"sort"
	"time"
)

// Check IDs the planted sessions must produce (see package trail).
const (
	untrusted   = "TRAIL-001"
	noExtID     = "TRAIL-002"
	tooLong     = "TRAIL-003"
	afterExpiry = "TRAIL-004"
	noBoundary  = "TRAIL-005"
	protected   = "TRAIL-006"
	userOrKey   = "TRAIL-007"
	outside     = "TRAIL-008"
	guardrail   = "TRAIL-009"
)

// call is one planted call under a session.
type call struct {
	offset   time.Duration // after the AssumeRole
	source   string
	name     string
	region   string
	request  string
	response string
	errCode  string
	noKey    bool // accessKeyId "" in the record: attached by ARN
}

type plan struct {
	assumerIdentity string // the role account's copy
	providerCopy    string // the provider account's copy (organisation layout); "" for none
	assumerName     string
	ip, ua          string
	externalID      bool
	duration        time.Duration
	failed          bool
	calls           []call
	findings        []string
}

func (g *gen) plant(m *Manifest) []event {
	cfg := g.cfg
	roleARN := m.RoleARN
	boundary := "arn:aws:iam::" + cfg.Account + ":policy/pennsieve-boundary-a3f1b20c"
	provisioner := func(k int) (string, string) {
		session := fmt.Sprintf("pennsieve-terraform-%d", k)
		return `{"type":"AWSAccount","principalId":"AROAPROVISIONER:` + session + `","accountId":"` + cfg.Provider + `"}`,
			assumedRole(cfg.Provider, "pennsieve-provisioner", session, "ASIA"+randID(g.rng, 16), cfg.Start)
	}
	var plans []plan
	for k := 0; k < cfg.Sessions; k++ {
		id, prov := provisioner(k)
		child := fmt.Sprintf("pennsieve-wf-%d-lambda", k)
		p := plan{assumerIdentity: id, providerCopy: prov, assumerName: "arn:aws:sts::" + cfg.Provider + ":assumed-role/pennsieve-provisioner/pennsieve-terraform-" + fmt.Sprint(k),
			ip: "54.86.10." + fmt.Sprint(10+k), ua: "APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.40.0",
			externalID: true, duration: time.Hour}
		p.calls = []call{
			{offset: 20 * time.Second, source: "sts", name: "GetCallerIdentity", region: "us-east-1"},
			{offset: 40 * time.Second, source: "iam", name: "CreateRole", region: "us-east-1",
				request:  `{"roleName":"` + child + `","assumeRolePolicyDocument":"{\"Version\":\"2012-10-17\"}","permissionsBoundary":"` + boundary + `"}`,
				response: `{"role":{"arn":"arn:aws:iam::` + cfg.Account + `:role/` + child + `","roleName":"` + child + `"}}`},
			{offset: 45 * time.Second, source: "iam", name: "PutRolePolicy", region: "us-east-1", request: `{"roleName":"` + child + `","policyName":"logs"}`},
			{offset: 50 * time.Second, source: "iam", name: "CreateRole", region: "us-east-1", errCode: "AccessDenied",
				request: `{"roleName":"` + child + `-nobound","assumeRolePolicyDocument":"{}"}`},
			{offset: 2 * time.Minute, source: "ecs", name: "CreateCluster", region: g.region(k), request: `{"clusterName":"pennsieve-compute"}`},
			{offset: 3 * time.Minute, source: "lambda", name: "CreateFunction20150331", region: g.region(k), request: `{"functionName":"pennsieve-orchestrator","role":"arn:aws:iam::` + cfg.Account + `:role/` + child + `"}`},
			{offset: 4 * time.Minute, source: "states", name: "CreateStateMachine", region: g.region(k)},
			{offset: 5 * time.Minute, source: "elasticfilesystem", name: "CreateFileSystem", region: g.region(k)},
			{offset: 6 * time.Minute, source: "ec2", name: "CreateVpc", region: g.region(k)},
			{offset: 6*time.Minute + 5*time.Second, source: "ec2", name: "DescribeVpcs", region: g.region(k), noKey: true},
			{offset: 7 * time.Minute, source: "logs", name: "CreateLogGroup", region: g.region(k)},
			{offset: 8 * time.Minute, source: "s3", name: "CreateBucket", region: "us-east-1"},
			{offset: 9 * time.Minute, source: "kms", name: "CreateKey", region: g.region(k)},
			{offset: 10 * time.Minute, source: "secretsmanager", name: "CreateSecret", region: g.region(k)},
			{offset: 11 * time.Minute, source: "ssm", name: "PutParameter", region: g.region(k)},
			{offset: 12 * time.Minute, source: "dynamodb", name: "CreateTable", region: g.region(k)},
			{offset: 13 * time.Minute, source: "autoscaling", name: "CreateAutoScalingGroup", region: g.region(k)},
			{offset: 40 * time.Minute, source: "ecs", name: "DescribeClusters", region: g.region(k)},
		}
		p.findings = []string{guardrail + "/PASS"}
		m.ProviderCreatedRoles = append(m.ProviderCreatedRoles, child)
		plans = append(plans, p)
	}
	if cfg.Violations {
		mallory := iamUser(cfg.Account, "mallory", "AKIA"+randID(g.rng, 16))
		plans = append(plans, plan{assumerIdentity: mallory, assumerName: "arn:aws:iam::" + cfg.Account + ":user/mallory",
			ip: "198.51.100.7", ua: "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0", duration: 12 * time.Hour,
			calls: []call{
				{offset: time.Minute, source: "iam", name: "CreateUser", region: "us-east-1", request: `{"userName":"backup-admin"}`},
				{offset: 2 * time.Minute, source: "rds", name: "DescribeDBInstances", region: "us-west-2"},
			},
			findings: []string{untrusted + "/FAIL", noExtID + "/FAIL", tooLong + "/FAIL", userOrKey + "/FAIL", outside + "/FAIL"}})

		id, prov := provisioner(99)
		rogue := "pennsieve-wf-rogue"
		plans = append(plans, plan{assumerIdentity: id, providerCopy: prov, assumerName: "arn:aws:sts::" + cfg.Provider + ":assumed-role/pennsieve-provisioner/pennsieve-terraform-99",
			ip: "54.86.10.99", ua: "APN/1.0 HashiCorp/1.0 Terraform/1.5.7", externalID: true, duration: time.Hour,
			calls: []call{
				{offset: time.Minute, source: "iam", name: "CreateRole", region: "us-east-1", request: `{"roleName":"` + rogue + `","assumeRolePolicyDocument":"{}"}`,
					response: `{"role":{"arn":"arn:aws:iam::` + cfg.Account + `:role/` + rogue + `"}}`},
				{offset: 2 * time.Minute, source: "iam", name: "PutRolePolicy", region: "us-east-1", errCode: "AccessDenied",
					request: `{"roleName":"` + cfg.RoleName + `","policyName":"escalate"}`},
				{offset: 3 * time.Minute, source: "iam", name: "DeleteRolePermissionsBoundary", region: "us-east-1", errCode: "AccessDenied",
					request: `{"roleName":"pennsieve-wf-0-lambda"}`},
				{offset: 70 * time.Minute, source: "ec2", name: "DescribeInstances", region: "us-east-1"},
			},
			findings: []string{noBoundary + "/FAIL", protected + "/WARN", protected + "/WARN", afterExpiry + "/FAIL", guardrail + "/PASS"}})
		m.ProviderCreatedRoles = append(m.ProviderCreatedRoles, rogue)

		plans = append(plans, plan{assumerIdentity: `{"type":"AWSAccount","principalId":"AIDAEVE","accountId":"444455556666"}`,
			assumerName: "444455556666", ip: "203.0.113.9", ua: "aws-cli/2.15.0", failed: true,
			findings: []string{untrusted + "/WARN"}})
	}
	sort.Strings(m.ProviderCreatedRoles)

	var out []event
	for k, p := range plans {
		start := cfg.Start.Add(cfg.Span * time.Duration(k+1) / time.Duration(len(plans)+1)).Truncate(time.Second).Add(17 * time.Second)
		key := "ASIA" + randID(g.rng, 16)
		session := fmt.Sprintf("pennsieve-terraform-%d", k)
		assumed := "arn:aws:sts::" + cfg.Account + ":assumed-role/" + cfg.RoleName + "/" + session
		expiry := start.Add(p.duration)
		c := callSpec{t: start, id: uuid(g.rng), shared: uuid(g.rng), version: "1.08", source: "sts.amazonaws.com", name: "AssumeRole",
			region: "us-east-1", ip: p.ip, ua: p.ua, identity: p.assumerIdentity, readOnly: true, recipient: cfg.Account,
			resources: `[{"accountId":"` + cfg.Account + `","type":"AWS::IAM::Role","ARN":"` + roleARN + `"}]`}
		ps := PlantedSession{Assumer: p.assumerName, Start: start, Findings: sortedFindings(p.findings), CallIDs: []string{}}
		if p.failed {
			c.errCode = "AccessDenied"
			c.errMsg = "User: arn:aws:iam::444455556666:user/eve is not authorized to perform: sts:AssumeRole on resource: " + roleARN
			c.resources = ""
			ps.ID, ps.Attempt = "attempt-"+c.id, true
		} else {
			req := `{"roleArn":"` + roleARN + `","roleSessionName":"` + session + `","durationSeconds":` + fmt.Sprint(int(p.duration/time.Second))
			if p.externalID {
				req += `,"externalId":"pennsieve-a3f1b20c"`
			}
			c.request = req + "}"
			c.response = `{"credentials":{"accessKeyId":"` + key + `","sessionToken":"IQoJb3JpZ2luX2VjE` + randID(g.rng, 200) +
				`","expiration":"` + expiry.Format("Jan 2, 2006, 3:04:05 PM") + `"},"assumedRoleUser":{"assumedRoleId":"AROAPENNSIEVE:` + session +
				`","arn":"` + assumed + `"}}`
			ps.ID, ps.Expiry = key, expiry
		}
		out = append(out, event{t: start, region: "us-east-1", acct: cfg.Account, body: render(c)})
		if cfg.OrgID != "" && p.providerCopy != "" {
			// The same event, delivered to the provider's account too.
			pc := c
			pc.id, pc.identity, pc.recipient = uuid(g.rng), p.providerCopy, cfg.Provider
			out = append(out, event{t: start, region: "us-east-1", acct: cfg.Provider, body: render(pc)})
		}
		for i, cl := range p.calls {
			t := start.Add(cl.offset)
			k := key
			if cl.noKey {
				k = ""
			}
			cc := callSpec{t: t, id: uuid(g.rng), version: versions[i%len(versions)], source: cl.source + ".amazonaws.com", name: cl.name,
				region: cl.region, ip: p.ip, ua: p.ua, identity: assumedRole(cfg.Account, cfg.RoleName, session, k, start),
				request: cl.request, response: cl.response, recipient: cfg.Account}
			if cl.errCode != "" {
				cc.errCode = cl.errCode
				cc.errMsg = "User: " + assumed + " is not authorized to perform: " + cl.source + ":" + cl.name + " with an explicit deny in an identity-based policy"
				cc.response = ""
				ps.Denied++
			}
			out = append(out, event{t: t, region: cl.region, acct: cfg.Account, body: render(cc)})
			ps.CallIDs = append(ps.CallIDs, cc.id)
		}
		sort.Strings(ps.CallIDs)
		m.Sessions = append(m.Sessions, ps)
	}
	return out
}

func (g *gen) region(k int) string { return g.cfg.Regions[k%len(g.cfg.Regions)] }
