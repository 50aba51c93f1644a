package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/inventory"
)

const (
	provAccount     = "481516234201"
	provProvisioner = "941377122013"
	provExternalID  = "pn-ext-4c1d9e7a52"
	ecsExecPolicy   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
)

// emptyAccount is an endpoint that authorizes every call, holding only the
// seeded admin and the AWS managed policy the PAR execution role attaches.
func emptyAccount(t *testing.T) *account {
	t.Helper()
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: provAccount, Clock: func() time.Time { return testNow }, Seed: 5, Authorize: true})
	if err := srv.AddAWSManagedPolicy("/service-role/", "AmazonECSTaskExecutionRolePolicy", ecsExecPolicy); err != nil {
		t.Fatal(err)
	}
	return &account{srv: srv, admin: iam.NewFromConfig(sdkConfig(url, srv.AdminCredentials()))}
}

// pennsieveArgs are the parameters of a two-node deployment.
func pennsieveArgs(nodes ...string) []string {
	args := []string{"--env", "prod", "--role-id", "a3f1b20c", "--provisioner-account", provProvisioner, "--external-id", provExternalID,
		"--workflow-bucket", "pennsieve-7f3a9c21-workflow", "--llm-governor"}
	for _, n := range nodes {
		args = append(args, "--node", n, "--file-system", n+"=fs-0"+n)
	}
	return args
}

var scanArgs = []string{"scan", "-o", "json", "--provisioner-account", provProvisioner, "--required-external-id", provExternalID, "--env", "prod",
	"--workflow-bucket", "pennsieve-7f3a9c21-workflow"}

type planJSON struct {
	Kind      string `json:"kind"`
	Operation string `json:"operation"`
	Verdict   struct {
		Outcome string   `json:"outcome"`
		Reasons []string `json:"reasons"`
	} `json:"verdict"`
	Plan struct {
		Changes []struct {
			Type, Name, Action, Node string
			Details                  []struct {
				Attribute, Action string
				Diff              []string
			}
		} `json:"changes"`
		Steps []struct {
			Seq        int
			Op         string
			Role       string
			PolicyName string `json:"policy_name"`
		} `json:"steps"`
		Refused string `json:"refused"`
	} `json:"plan"`
	Applied *struct {
		Done     int  `json:"done"`
		Failed   int  `json:"failed"`
		NotRun   int  `json:"not_run"`
		Complete bool `json:"complete"`
		Steps    []struct {
			Seq      int
			Status   string
			Attempts int
		} `json:"steps"`
	} `json:"applied"`
	Leftovers []struct {
		Kind, Name string
		Managed    bool
	} `json:"leftovers"`
}

func parsePlan(t *testing.T, r result) planJSON {
	t.Helper()
	var p planJSON
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Kind != "plan" {
		t.Fatalf("not a plan report (%v)\nstdout: %s\nstderr: %s", err, r.stdout, r.stderr)
	}
	return p
}

func (p planJSON) actions() map[string]string {
	out := map[string]string{}
	for _, c := range p.Plan.Changes {
		out[c.Type+" "+c.Name] = c.Action
	}
	return out
}

// deploy builds the compute of a sample account's nodes (its runtime
// section: network, logs, alarms, functions, tasks) through the service
// APIs: what the provider deploys once pvaudit has provisioned the roles.
func (a *account) deploy(t *testing.T, file string) {
	t.Helper()
	snap, err := inventory.ReadFile(filepath.Join("..", "..", "testdata", "accounts", file))
	if err != nil {
		t.Fatal(err)
	}
	a.ids = seedRuntime(t, a.srv, a.srv.URL(), snap)
	a.srv.ResetCalls()
}

// deployedSkip are the checks a scan of a provisioned account with a sample
// account's compute skips: MODE-006 lists the services the compute's roles
// call, and the sample's compute also runs as roles the provisioner does not
// create (task execution, orchestrator), so it is rightly NOT_EVALUATED.
var deployedSkip = []string{"--skip-checks", "MODE-006"}

func (a *account) mustScanClean(t *testing.T, extra ...string) {
	t.Helper()
	r := a.pvaudit(t, append(append([]string(nil), scanArgs...), extra...)...)
	rep := parseReport(t, r)
	for _, f := range rep.Findings {
		if f.Status == "FAIL" || f.Status == "ERROR" || f.Status == "NOT_EVALUATED" {
			t.Errorf("%s %s %s: %s", f.CheckID, f.Status, f.Resource, f.Message)
		}
	}
	if r.code != 0 || !rep.Complete || rep.Summary.Pass < 20 {
		t.Errorf("scan: exit %d, complete %v, %+v\n%s", r.code, rep.Complete, rep.Summary, r.stderr)
	}
}

func (a *account) noWrites(t *testing.T, what string) {
	t.Helper()
	if m := a.srv.MutatingCalls(); len(m) != 0 {
		t.Errorf("%s made %d mutating call(s): %+v", what, len(m), m)
	}
	if len(a.srv.Calls()) == 0 {
		t.Errorf("%s made no call at all: the test proves nothing", what)
	}
	a.srv.ResetCalls()
}

// TestProvisionLifecycle: apply → scan clean; a second apply is a no-op; a
// manual change shows as exactly that change; destroying one node leaves
// the other's scan clean; deregister refuses while a node remains, then
// removes the role with --force and lists what is left.
func TestProvisionLifecycle(t *testing.T) {
	t.Parallel()
	a := emptyAccount(t)
	ctx := context.Background()
	nodes := pennsieveArgs("7f3a9c21", "b24e11d0")

	plan := a.pvaudit(t, append([]string{"provision", "plan", "-o", "json"}, nodes...)...)
	if plan.code != 1 || len(parsePlan(t, plan).Plan.Steps) != 12 {
		t.Fatalf("plan of an empty account: exit %d, want 1 with 12 calls\n%s\n%s", plan.code, plan.stdout, plan.stderr)
	}
	a.noWrites(t, "provision plan")

	t.Run("apply refuses without a terminal and without --yes", func(t *testing.T) {
		r := a.pvaudit(t, append([]string{"provision", "apply"}, nodes...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "--yes") {
			t.Errorf("exit %d, stderr %q: want 2 asking for --yes", r.code, r.stderr)
		}
		a.noWrites(t, "a refused apply")
	})

	apply := a.pvaudit(t, append([]string{"provision", "apply", "--yes", "-o", "json"}, nodes...)...)
	ap := parsePlan(t, apply)
	if apply.code != 0 || ap.Applied == nil || !ap.Applied.Complete || ap.Applied.Done != 12 {
		t.Fatalf("apply: exit %d\n%s\n%s", apply.code, apply.stdout, apply.stderr)
	}
	a.deploy(t, "compliant.json") // the provider deploys the nodes' compute
	a.mustScanClean(t, deployedSkip...)
	a.noWrites(t, "scan")

	t.Run("apply sent the rendered documents byte for byte", func(t *testing.T) {
		r := a.pvaudit(t, append([]string{"provision", "render", "--format", "terraform", "--account", provAccount}, nodes...)...)
		var tf struct {
			Resource map[string]map[string]map[string]any `json:"resource"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &tf); err != nil || r.code != 0 {
			t.Fatalf("render: exit %d, %v\n%s", r.code, err, r.stderr)
		}
		sent := func(enc *string) string {
			s, err := url.PathUnescape(aws.ToString(enc))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		n := 0
		for _, p := range tf.Resource["aws_iam_role_policy"] {
			role := strings.TrimSuffix(strings.TrimPrefix(p["role"].(string), "${aws_iam_role."), ".name}")
			role = tf.Resource["aws_iam_role"][role]["name"].(string)
			out, err := a.admin.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(p["name"].(string))})
			if err != nil {
				t.Fatal(err)
			}
			if got := sent(out.PolicyDocument); got != p["policy"].(string) {
				t.Errorf("%s/%s: apply sent\n%s\nrender wrote\n%s", role, p["name"], got, p["policy"])
			}
			n++
		}
		for _, r := range tf.Resource["aws_iam_role"] {
			out, err := a.admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(r["name"].(string))})
			if err != nil {
				t.Fatal(err)
			}
			if got := sent(out.Role.AssumeRolePolicyDocument); got != r["assume_role_policy"].(string) {
				t.Errorf("trust of %s differs from the rendered one", r["name"])
			}
			n++
		}
		for _, p := range tf.Resource["aws_iam_policy"] {
			arn := "arn:aws:iam::" + provAccount + ":policy/" + p["name"].(string)
			out, err := a.admin.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
			if err != nil {
				t.Fatal(err)
			}
			if got := sent(out.PolicyVersion.Document); got != p["policy"].(string) {
				t.Errorf("%s differs from the rendered one", arn)
			}
			n++
		}
		if n != 12 {
			t.Errorf("compared %d documents, want 12", n)
		}
		a.srv.ResetCalls()
	})

	t.Run("second apply is a no-op", func(t *testing.T) {
		r := a.pvaudit(t, append([]string{"provision", "apply", "--yes", "-o", "json"}, nodes...)...)
		p := parsePlan(t, r)
		if r.code != 0 || len(p.Plan.Steps) != 0 || p.Applied != nil {
			t.Errorf("second apply: exit %d, %d calls planned\n%s", r.code, len(p.Plan.Steps), r.stdout)
		}
		for k, v := range p.actions() {
			if v != "no-op" {
				t.Errorf("%s: %s, want no-op", k, v)
			}
		}
		a.noWrites(t, "a second apply")
	})

	t.Run("a manual change is exactly that change", func(t *testing.T) {
		const role = "pennsieve-7f3a9c21-processor-ecs"
		doc := `{"Version":"2012-10-17","Statement":[{"Sid":"EFSReadWrite","Effect":"Allow","Action":["elasticfilesystem:ClientWrite","elasticfilesystem:ClientMount"],"Resource":"arn:aws:elasticfilesystem:us-east-1:481516234201:file-system/fs-07f3a9c21"},{"Sid":"Logs","Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":["arn:aws:logs:us-east-1:481516234201:log-group:/pennsieve/7f3a9c21/*"]},{"Sid":"LLMGovernor","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:481516234201:function:pennsieve-7f3a9c21-llm-governor"},{"Sid":"Extra","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pennsieve-7f3a9c21-workflow/*"}]}`
		if _, err := a.admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("processor"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		a.srv.ResetCalls()
		r := a.pvaudit(t, append([]string{"provision", "plan", "-o", "json"}, nodes...)...)
		p := parsePlan(t, r)
		var changed []string
		for _, c := range p.Plan.Changes {
			if c.Action != "no-op" {
				changed = append(changed, c.Action+" "+c.Name)
				if len(c.Details) != 1 || c.Details[0].Attribute != "inline_policy/processor" {
					t.Errorf("details of %s: %+v", c.Name, c.Details)
					continue
				}
				// Reordered lists and a string for a one-element list are
				// cosmetic: only the added statement shows.
				var plus []string
				for _, l := range c.Details[0].Diff {
					if strings.HasPrefix(l, "+ ") || strings.HasPrefix(l, "- ") {
						plus = append(plus, l)
					}
				}
				if len(plus) == 0 || strings.Contains(strings.Join(plus, "\n"), "elasticfilesystem") || !strings.Contains(strings.Join(plus, "\n"), "Extra") {
					t.Errorf("diff shows more or less than the added statement:\n%s", strings.Join(c.Details[0].Diff, "\n"))
				}
			}
		}
		if strings.Join(changed, ",") != "update "+role || len(p.Plan.Steps) != 1 || p.Plan.Steps[0].Op != "PutRolePolicy" || p.Plan.Steps[0].Role != role {
			t.Errorf("changes %v, steps %+v: want exactly one PutRolePolicy on %s", changed, p.Plan.Steps, role)
		}
		a.noWrites(t, "provision plan")
		if r := a.pvaudit(t, append([]string{"provision", "apply", "--yes"}, nodes...)...); r.code != 0 {
			t.Fatalf("apply repairing the change: exit %d\n%s", r.code, r.stderr)
		}
	})

	t.Run("an unmanaged role is left alone", func(t *testing.T) {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		if _, err := a.admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pennsieve-b24e11d0-orchestrator"), AssumeRolePolicyDocument: aws.String(trust),
			PermissionsBoundary: aws.String("arn:aws:iam::" + provAccount + ":policy/pennsieve-boundary-b24e11d0")}); err != nil {
			t.Fatal(err)
		}
		p := parsePlan(t, a.pvaudit(t, append([]string{"provision", "plan", "-o", "json"}, nodes...)...))
		if got := p.actions()["role pennsieve-b24e11d0-orchestrator"]; got != "left-alone" {
			t.Errorf("an unmanaged child role: %q, want left-alone", got)
		}
	})

	t.Run("destroy one node", func(t *testing.T) {
		r := a.pvaudit(t, "provision", "destroy", "--node", "7f3a9c21", "--yes", "-o", "json")
		p := parsePlan(t, r)
		if r.code != 0 || p.Applied == nil || !p.Applied.Complete {
			t.Fatalf("destroy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		for k, v := range p.actions() {
			if v == "delete" && !strings.Contains(k, "7f3a9c21") {
				t.Errorf("destroy of node 7f3a9c21 deletes %s", k)
			}
		}
		if p.actions()["policy pennsieve-boundary-7f3a9c21"] != "delete" {
			t.Errorf("the boundary is not deleted: %v", p.actions())
		}
		a.mustScanClean(t)
	})

	t.Run("deregister refuses while a node remains", func(t *testing.T) {
		a.srv.ResetCalls()
		r := a.pvaudit(t, "account", "deregister", "--yes", "-o", "json")
		p := parsePlan(t, r)
		if r.code != 2 || !strings.Contains(p.Plan.Refused, "b24e11d0") || p.Applied != nil {
			t.Errorf("deregister with a node: exit %d, refused %q", r.code, p.Plan.Refused)
		}
		a.noWrites(t, "a refused deregister")
		dry := parsePlan(t, a.pvaudit(t, "account", "deregister", "--force", "--dry-run", "-o", "json"))
		if dry.Applied != nil || dry.actions()["role Pennsieve-Compute-prod-a3f1b20c"] != "delete" {
			t.Errorf("dry run: %+v", dry.actions())
		}
		a.noWrites(t, "deregister --dry-run")
	})

	t.Run("deregister --force", func(t *testing.T) {
		r := a.pvaudit(t, "account", "deregister", "--force", "--yes", "-o", "json")
		p := parsePlan(t, r)
		if r.code != 0 || p.Applied == nil || !p.Applied.Complete {
			t.Fatalf("deregister --force: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if _, err := a.admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Pennsieve-Compute-prod-a3f1b20c")}); err == nil {
			t.Error("the cross-account role still exists")
		}
		left := map[string]string{}
		for _, l := range p.Leftovers {
			left[l.Name] = l.Kind
		}
		for name, kind := range map[string]string{"pennsieve-boundary-b24e11d0": "boundary-policy", "pennsieve-b24e11d0-processor-ecs": "child-role",
			"pennsieve-b24e11d0-orchestrator": "child-role"} {
			if left[name] != kind {
				t.Errorf("leftover %s: %q, want %s (all: %v)", name, left[name], kind, left)
			}
		}
		if _, ok := left["Pennsieve-Compute-prod-a3f1b20c"]; ok {
			t.Error("the deleted role is listed as left")
		}
	})
}

// TestProvisionHalfwayFailure: a fault on the fifth write stops apply; the
// report says exactly what was and was not done; a re-run completes it.
func TestProvisionHalfwayFailure(t *testing.T) {
	t.Parallel()
	a := emptyAccount(t)
	nodes := pennsieveArgs("7f3a9c21")
	a.srv.SetFaults(awsfake.Faults{FailWrite: 5})
	r := a.pvaudit(t, append([]string{"provision", "apply", "--yes", "-o", "json"}, nodes...)...)
	p := parsePlan(t, r)
	if r.code != 2 || p.Applied == nil || p.Applied.Done != 4 || p.Applied.Failed != 1 || p.Applied.NotRun != len(p.Plan.Steps)-5 {
		t.Fatalf("apply with a failing fifth write: exit %d, %+v\n%s", r.code, p.Applied, r.stderr)
	}
	for _, s := range p.Applied.Steps {
		want := map[bool]string{true: "done", false: "not-run"}[s.Seq < 5]
		if s.Seq == 5 {
			want = "failed"
		}
		if s.Status != want {
			t.Errorf("step %d: %s, want %s", s.Seq, s.Status, want)
		}
	}
	table := a.pvaudit(t, append([]string{"provision", "plan"}, nodes...)...)
	if !strings.Contains(table.stdout, "to create") {
		t.Errorf("plan after the failure:\n%s", table.stdout)
	}
	again := a.pvaudit(t, append([]string{"provision", "apply", "--yes", "-o", "json"}, nodes...)...)
	q := parsePlan(t, again)
	if again.code != 0 || q.Applied == nil || !q.Applied.Complete || q.Applied.Done != len(p.Plan.Steps)-4 {
		t.Fatalf("re-run: exit %d, %+v\n%s", again.code, q.Applied, again.stderr)
	}
	if r := a.pvaudit(t, append([]string{"provision", "plan"}, nodes...)...); r.code != 0 {
		t.Errorf("plan after the re-run: exit %d, want 0 (nothing to do)\n%s", r.code, r.stdout)
	}
	a.deploy(t, "compliant.json")
	a.mustScanClean(t, deployedSkip...)
}

// TestProvisionEventualConsistency: entities created in the run stay
// invisible for two lookups; apply retries and completes.
func TestProvisionEventualConsistency(t *testing.T) {
	t.Parallel()
	a := emptyAccount(t)
	a.srv.SetFaults(awsfake.Faults{InvisibleFor: 2})
	r := a.pvaudit(t, append([]string{"provision", "apply", "--yes", "-o", "json"}, pennsieveArgs("7f3a9c21")...)...)
	p := parsePlan(t, r)
	if r.code != 0 || p.Applied == nil || !p.Applied.Complete {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	retried := 0
	for _, s := range p.Applied.Steps {
		if s.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no step was retried: the invisibility did not reach apply")
	}
}

// TestProvisionPAR: the PAR roles, applied and scanned.
func TestProvisionPAR(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"as documented", nil},
		{"with EFS", []string{"--file-system", "fs-0123456789abcdef0", "--access-point", "fsap-0123456789abcdef0", "--region", "us-east-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := emptyAccount(t)
			r := a.pvaudit(t, append([]string{"provision", "apply", "--contract", "par", "--yes", "-o", "json"}, tc.args...)...)
			if p := parsePlan(t, r); r.code != 0 || p.Applied == nil || !p.Applied.Complete {
				t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			a.deploy(t, "par-compliant.json")
			r = a.pvaudit(t, "scan", "-o", "json", "--contract", "par")
			rep := parseReport(t, r)
			for _, f := range rep.Findings {
				if f.Status == "FAIL" || f.Status == "ERROR" || f.Status == "NOT_EVALUATED" {
					t.Errorf("%s %s %s: %s", f.CheckID, f.Status, f.Resource, f.Message)
				}
			}
			if r.code != 0 || rep.Summary.Pass < 10 {
				t.Errorf("scan: exit %d %+v", r.code, rep.Summary)
			}
			a.noWrites(t, "scan")
		})
	}
}

// TestProvisionedRoleHoldsTheScenarioRows: with the endpoint authorizing
// calls as a session of the provisioned cross-account role (assumed by the
// provisioner's account with the ExternalId), the document's rows hold.
func TestProvisionedRoleHoldsTheScenarioRows(t *testing.T) {
	t.Parallel()
	a := emptyAccount(t)
	if r := a.pvaudit(t, append([]string{"provision", "apply", "--yes"}, pennsieveArgs("7f3a9c21")...)...); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	ctx := context.Background()
	ext, err := a.srv.AddExternalUser(provProvisioner, "terraform")
	if err != nil {
		t.Fatal(err)
	}
	stsc := sts.NewFromConfig(sdkConfig(a.srv.URL(), ext))
	roleARN := "arn:aws:iam::" + provAccount + ":role/Pennsieve-Compute-prod-a3f1b20c"
	if _, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("tf")}); err == nil {
		t.Error("AssumeRole without the ExternalId succeeded")
	}
	out, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("tf"), ExternalId: aws.String(provExternalID)})
	if err != nil {
		t.Fatal(err)
	}
	sess := iam.NewFromConfig(sdkConfig(a.srv.URL(), awsfake.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)}))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	boundary := "arn:aws:iam::" + provAccount + ":policy/pennsieve-boundary-7f3a9c21"
	wide := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	for _, tc := range []struct {
		row     string
		call    func() error
		allowed bool
	}{
		{"Pennsieve creates a role for a Lambda function → Allowed", func() error {
			_, err := sess.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pennsieve-7f3a9c21-fn"), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: aws.String(boundary)})
			return err
		}, true},
		{"Someone tries to create a role without the boundary → Blocked", func() error {
			_, err := sess.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pennsieve-7f3a9c21-free"), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}, false},
		{"… or with another policy as boundary → Blocked", func() error {
			_, err := sess.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pennsieve-7f3a9c21-admin"), AssumeRolePolicyDocument: aws.String(trust),
				PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
			return err
		}, false},
		{"Someone tries to remove the boundary from an existing role → Blocked", func() error {
			_, err := sess.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("pennsieve-7f3a9c21-processor-ecs")})
			return err
		}, false},
		{"Someone tries to modify the cross-account role's policy → Blocked", func() error {
			_, err := sess.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Pennsieve-Compute-prod-a3f1b20c"), PolicyName: aws.String("PennsieveComputeAccess"), PolicyDocument: aws.String(wide)})
			return err
		}, false},
		{"editing the boundary policy → Blocked", func() error {
			_, err := sess.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(boundary), PolicyDocument: aws.String(wide), SetAsDefault: true})
			return err
		}, false},
		{"deleting the boundary to re-create it → Blocked", func() error {
			_, err := sess.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(boundary)})
			return err
		}, false},
		{"creating IAM users → Blocked", func() error {
			_, err := sess.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("backdoor")})
			return err
		}, false},
	} {
		t.Run(tc.row, func(t *testing.T) {
			err := tc.call()
			if tc.allowed {
				if err != nil {
					t.Errorf("denied: %v", err)
				}
				return
			}
			var ae smithy.APIError
			if err == nil || !asAPIError(err, &ae) || ae.ErrorCode() != "AccessDenied" {
				t.Errorf("got %v, want AccessDenied", err)
			}
		})
	}
}

func asAPIError(err error, ae *smithy.APIError) bool {
	for e := err; e != nil; {
		if x, ok := e.(smithy.APIError); ok {
			*ae = x
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}
