package checks

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/posture"
	"github.com/pvaudit/pvaudit/rules"
)

// PAR runtime checks: the document's "CloudWatch Logs", "Monitoring and
// Alarms" and "Network Isolation" sections, over the ECS services that run
// the PAR roles (found by their task definitions' task and execution
// roles).

// parScope runs eval over the PAR services, or reports NOT_EVALUATED when
// the snapshot cannot show them.
func (c *Check) parScope(env *Env, sections []posture.Section, eval func(f *posture.Facts, rt *contract.PARRuntime, par *posture.PAR) []finding.Finding) []finding.Finding {
	if env.Contract.PAR == nil || env.Contract.PAR.Runtime == nil {
		return nil
	}
	rt := env.Contract.PAR.Runtime
	f := env.Posture()
	res := "par:" + rt.LogGroup
	if why := f.Missing(append([]posture.Section{posture.ECS}, sections...)...); why != "" {
		return []finding.Finding{c.finding(finding.NotEvaluated, res, "par", "PAR runtime: not evaluated: "+why, nil)}
	}
	par := f.PAR(env.Class)
	if len(par.Services) == 0 {
		return []finding.Finding{c.finding(finding.NotEvaluated, res, "par",
			fmt.Sprintf("PAR runtime: not evaluated: no ECS service in %s runs a task definition with the PAR task or execution role (task roles %s): pvaudit cannot tell where PAR runs",
				f.RegionsText(), orNone(par.TaskRoles)), nil)}
	}
	return eval(f, rt, par)
}

// parRegions lists the regions PAR's services run in.
func parRegions(par *posture.PAR) []string {
	var out []string
	for _, s := range par.Services {
		if !slices.Contains(out, s.Region) {
			out = append(out, s.Region)
		}
	}
	slices.Sort(out)
	return out
}

// ---- PV-LOG-001 ----

func parLogGroup() *Check {
	c := &Check{
		ID:       "PV-LOG-001",
		Title:    "PAR's log group exists and keeps logs at least 30 days",
		Severity: finding.Medium,
		Rationale: "\"aws logs create-log-group --log-group-name /ecs/pixell-agent-runtime\" and \"Set retention (30 days " +
			"recommended)\": PAR's structured logs are its audit trail (boot failures, package downloads); a group that is " +
			"missing or expires events sooner loses them.",
		Remediation: "aws logs create-log-group --log-group-name /ecs/pixell-agent-runtime --region REGION; " +
			"aws logs put-retention-policy --log-group-name /ecs/pixell-agent-runtime --retention-in-days 30",
		Controls: []finding.Control{nistAU11, nistAU9, hipaaAudit, nist171Log},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.parScope(env, []posture.Section{posture.Logs}, func(f *posture.Facts, rt *contract.PARRuntime, par *posture.PAR) []finding.Finding {
			var out []finding.Finding
			for _, region := range parRegions(par) {
				arn := "arn:aws:logs:" + region + ":" + env.Snap.AccountID + ":log-group:" + rt.LogGroup
				var g *inventory.LogGroup
				for _, x := range f.LogGroups(rt.LogGroup) {
					if x.Region == region {
						g = x.V
					}
				}
				ev := map[string]any{"log_group": rt.LogGroup, "region": region, "required_retention_days": rt.RetentionDays}
				switch {
				case g == nil:
					out = append(out, c.finding(finding.Fail, arn, region, fmt.Sprintf("PAR runs in %s but has no log group %s there", region, rt.LogGroup), ev))
				case g.RetentionDays == 0:
					ev["retention_days"] = "never expire"
					out = append(out, c.finding(finding.Pass, arn, region, fmt.Sprintf("log group %s never expires its events (at least %d days)", rt.LogGroup, rt.RetentionDays), ev))
				case g.RetentionDays < rt.RetentionDays:
					ev["retention_days"] = g.RetentionDays
					out = append(out, c.finding(finding.Fail, arn, region, fmt.Sprintf("log group %s keeps events %d days, fewer than the %d promised", rt.LogGroup, g.RetentionDays, rt.RetentionDays), ev))
				default:
					ev["retention_days"] = g.RetentionDays
					out = append(out, c.finding(finding.Pass, arn, region, fmt.Sprintf("log group %s keeps events %d days", rt.LogGroup, g.RetentionDays), ev))
				}
			}
			return out
		})
	}
	return c
}

// ---- PV-LOG-002 ----

func parLogDriver() *Check {
	c := &Check{
		ID:       "PV-LOG-002",
		Title:    "PAR's containers send their logs to its log group",
		Severity: finding.Medium,
		Rationale: "\"PAR writes structured JSON logs to stdout/stderr, which are captured by CloudWatch Logs.\" They are captured " +
			"only when each container of the task definition uses the awslogs driver with the PAR log group; otherwise the " +
			"log group and its alarms watch nothing.",
		Remediation: "Register a task definition revision whose containers have logConfiguration {\"logDriver\":\"awslogs\"," +
			"\"options\":{\"awslogs-group\":\"/ecs/pixell-agent-runtime\",\"awslogs-region\":\"REGION\",\"awslogs-stream-prefix\":\"par\"}} " +
			"and update the service to it (aws ecs update-service --task-definition FAMILY:REVISION).",
		Controls: []finding.Control{nistAU2, nistAU12, hipaaAudit, nist171Log},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.parScope(env, nil, func(f *posture.Facts, rt *contract.PARRuntime, par *posture.PAR) []finding.Finding {
			var out []finding.Finding
			seen := map[string]bool{}
			for _, s := range par.Services {
				td, ok := f.TaskDef(s.V.TaskDefinition)
				if !ok || seen[td.V.ARN] {
					continue
				}
				seen[td.V.ARN] = true
				var bad []string
				for _, ct := range td.V.Containers {
					switch {
					case ct.LogDriver != "awslogs":
						bad = append(bad, fmt.Sprintf("container %s uses log driver %q", ct.Name, orDefault(ct.LogDriver, "none")))
					case ct.LogOptions["awslogs-group"] != rt.LogGroup:
						bad = append(bad, fmt.Sprintf("container %s logs to %q", ct.Name, ct.LogOptions["awslogs-group"]))
					case ct.LogOptions["awslogs-region"] != "" && ct.LogOptions["awslogs-region"] != td.Region:
						bad = append(bad, fmt.Sprintf("container %s logs to region %s", ct.Name, ct.LogOptions["awslogs-region"]))
					}
				}
				ev := map[string]any{"service": s.V.ARN, "log_group": rt.LogGroup}
				if len(bad) > 0 {
					out = append(out, c.finding(finding.Fail, td.V.ARN, s.V.Name, fmt.Sprintf("PAR task definition %s: %s, not to %s", td.V.Family, strings.Join(bad, "; "), rt.LogGroup), ev))
				} else {
					out = append(out, c.finding(finding.Pass, td.V.ARN, s.V.Name, fmt.Sprintf("PAR task definition %s logs every container to %s", td.V.Family, rt.LogGroup), ev))
				}
			}
			if len(out) == 0 {
				out = append(out, c.finding(finding.NotEvaluated, "par:"+rt.LogGroup, "par", "PAR's services' task definitions are not in the snapshot", nil))
			}
			return out
		})
	}
	return c
}

// ---- PV-LOG-003 ----

func parAlarms() *Check {
	c := &Check{
		ID:       "PV-LOG-003",
		Title:    "PAR's recommended CloudWatch alarms exist and watch the right metrics",
		Severity: finding.Medium,
		Rationale: "\"Recommended CloudWatch alarms: Boot failures: Count of \"Runtime failed\" errors > 5 in 5 minutes; Package " +
			"download failures: S3 403/404 errors; Memory/CPU: Container resource usage > 80%; Health check failures: ECS health " +
			"check failures > 3.\" Each must be an enabled alarm that notifies someone, on a metric of PAR's own service, target " +
			"group, package bucket or a metric filter of its log group, and in ALARM for every value above the threshold.",
		Remediation: "Create the alarm on the right metric, e.g. aws logs put-metric-filter --log-group-name /ecs/pixell-agent-runtime " +
			"--filter-name par-boot-failures --filter-pattern '\"Runtime failed\"' --metric-transformations " +
			"metricName=BootFailures,metricNamespace=PAR,metricValue=1 then aws cloudwatch put-metric-alarm --alarm-name par-boot-failures " +
			"--namespace PAR --metric-name BootFailures --statistic Sum --period 300 --evaluation-periods 1 --threshold 5 " +
			"--comparison-operator GreaterThanThreshold --alarm-actions SNS_TOPIC_ARN (CPU and memory: AWS/ECS CPUUtilization / " +
			"MemoryUtilization with ClusterName and ServiceName, threshold 80).",
		Controls: []finding.Control{nistSI4, nistAU6, hipaaActivity, hipaaIncid, nist171Mon, nist171Use},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.parScope(env, []posture.Section{posture.Logs, posture.CloudWatch, posture.ELB}, func(f *posture.Facts, rt *contract.PARRuntime, par *posture.PAR) []finding.Finding {
			var out []finding.Finding
			for _, region := range parRegions(par) {
				for _, req := range rt.Alarms {
					res := "arn:aws:cloudwatch:" + region + ":" + env.Snap.AccountID + ":alarm:" + req.ID
					var ok, missing []string
					for _, sig := range req.Signals {
						name, why := alarmFor(env, f, par, region, rt, req, sig)
						if name != "" {
							ok = append(ok, sig.Name+": alarm "+name)
						} else {
							missing = append(missing, sig.Name+": "+why)
						}
					}
					ev := map[string]any{"requirement": req.Text, "region": region}
					if len(ok) > 0 {
						ev["watched_by"] = ok
					}
					if len(missing) > 0 {
						ev["missing"] = missing
						out = append(out, c.finding(finding.Fail, res, region+" "+req.ID, fmt.Sprintf("%s — %s", req.Text, strings.Join(missing, "; ")), ev))
					} else {
						out = append(out, c.finding(finding.Pass, res, region+" "+req.ID, fmt.Sprintf("%s — %s", req.Text, strings.Join(ok, "; ")), ev))
					}
				}
			}
			return out
		})
	}
	return c
}

// alarmFor finds an alarm that watches sig as req demands, or says why
// none does.
func alarmFor(env *Env, f *posture.Facts, par *posture.PAR, region string, rt *contract.PARRuntime, req contract.AlarmRequirement, sig contract.AlarmSignal) (string, string) {
	type metric struct{ ns, name, via string }
	var metrics []metric
	for _, m := range sig.Metrics {
		metrics = append(metrics, metric{m.Namespace, m.Name, ""})
	}
	var filters []string
	for _, mf := range f.MetricFilters() {
		if mf.Region != region || mf.V.LogGroup != rt.LogGroup {
			continue
		}
		for _, p := range sig.LogPatterns {
			if strings.Contains(strings.ToLower(mf.V.Pattern), strings.ToLower(p)) {
				for _, t := range mf.V.Transformations {
					metrics = append(metrics, metric{t.MetricNamespace, t.MetricName, "metric filter " + mf.V.Name})
				}
				filters = append(filters, mf.V.Name)
				break
			}
		}
	}
	scopeOf := func(ns, name string) string {
		for _, m := range sig.Metrics {
			if m.Namespace == ns && m.Name == name {
				return m.Scope
			}
		}
		return ""
	}
	var near []string
	for _, al := range f.Alarms() {
		if al.Region != region {
			continue
		}
		a := al.V
		ns, name, dims, stat, period := a.Namespace, a.MetricName, a.Dimensions, a.Statistic, a.Period
		if len(a.Metrics) > 0 {
			var ret []inventory.AlarmQuery
			for _, q := range a.Metrics {
				if q.ReturnData {
					ret = append(ret, q)
				}
			}
			if len(ret) != 1 || ret[0].Expression != "" {
				continue // metric math: what the threshold compares is not one metric
			}
			ns, name, dims, stat, period = ret[0].Namespace, ret[0].MetricName, ret[0].Dimensions, ret[0].Stat, ret[0].Period
		}
		var hit *metric
		for i := range metrics {
			if metrics[i].ns == ns && metrics[i].name == name {
				hit = &metrics[i]
				break
			}
		}
		if hit == nil {
			continue
		}
		if hit.via == "" {
			if why := scopeMismatch(env, f, par, scopeOf(ns, name), dims); why != "" {
				near = append(near, fmt.Sprintf("alarm %s watches %s/%s of %s", a.Name, ns, name, why))
				continue
			}
		}
		if why := alarmFires(a, req, stat, period); why != "" {
			near = append(near, fmt.Sprintf("alarm %s on %s/%s %s", a.Name, ns, name, why))
			continue
		}
		return a.Name, ""
	}
	switch {
	case len(near) > 0:
		return "", strings.Join(near, "; ")
	case len(sig.LogPatterns) > 0 && len(filters) == 0 && len(sig.Metrics) == 0:
		return "", fmt.Sprintf("no metric filter on %s matches %s", rt.LogGroup, strings.Join(quoteEach(sig.LogPatterns), " or "))
	}
	var wanted []string
	for _, m := range metrics {
		w := m.ns + "/" + m.name
		if m.via != "" {
			w += " (" + m.via + ")"
		}
		wanted = append(wanted, w)
	}
	if len(sig.LogPatterns) > 0 && len(filters) == 0 {
		wanted = append(wanted, "a metric filter on "+rt.LogGroup+" matching "+strings.Join(quoteEach(sig.LogPatterns), " or "))
	}
	return "", "no alarm on " + strings.Join(wanted, ", ")
}

func quoteEach(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// scopeMismatch says why an alarm's dimensions do not name PAR's own
// resource ("" when they do).
func scopeMismatch(env *Env, f *posture.Facts, par *posture.PAR, scope string, dims map[string]string) string {
	switch scope {
	case contract.ScopeService:
		for _, s := range par.Services {
			cl, _ := f.Cluster(s.V.Cluster)
			cluster := clusterName(s.V.Cluster)
			if cl.V != nil {
				cluster = cl.V.Name
			}
			if dims["ServiceName"] == s.V.Name && dims["ClusterName"] == cluster {
				return ""
			}
		}
		return fmt.Sprintf("ServiceName=%q ClusterName=%q, not PAR's service", dims["ServiceName"], dims["ClusterName"])
	case contract.ScopeTargetGroup:
		for _, s := range par.Services {
			for _, tg := range s.V.TargetGroups {
				if _, suffix, ok := strings.Cut(tg, ":targetgroup/"); ok && dims["TargetGroup"] == "targetgroup/"+suffix {
					return ""
				}
			}
		}
		return fmt.Sprintf("TargetGroup=%q, not PAR's target group", dims["TargetGroup"])
	case contract.ScopePackageBucket:
		b := env.Contract.Parameters.PackageBucket
		if b != "" && dims["BucketName"] == b {
			return ""
		}
		return fmt.Sprintf("BucketName=%q, not the package bucket %q", dims["BucketName"], b)
	}
	return ""
}

func clusterName(arn string) string {
	if _, name, ok := strings.Cut(arn, ":cluster/"); ok {
		return name
	}
	return arn
}

// alarmFires says why an alarm does not keep the requirement's promise
// ("" when it does): enabled with an action, the statistic and window
// asked for, and in ALARM for every value above the threshold.
func alarmFires(a *inventory.Alarm, req contract.AlarmRequirement, stat string, period int) string {
	if !a.ActionsEnabled || len(a.AlarmActions) == 0 {
		return "notifies no one (no enabled alarm action)"
	}
	if req.Statistic != "" && !strings.EqualFold(stat, req.Statistic) {
		return fmt.Sprintf("uses the %s statistic, not %s", orDefault(stat, a.ExtendedStatistic), req.Statistic)
	}
	if req.WindowSeconds > 0 {
		need := a.DatapointsToAlarm
		if need == 0 {
			need = a.EvaluationPeriods
		}
		if period < req.WindowSeconds {
			return fmt.Sprintf("counts over %d s periods, shorter than the %d s the promise counts in (it fires later, or never)", period, req.WindowSeconds)
		}
		if need > 1 {
			return fmt.Sprintf("needs %d breaching periods, not one", need)
		}
	}
	counts := strings.EqualFold(stat, "Sum") || strings.EqualFold(stat, "SampleCount")
	switch a.ComparisonOperator {
	case "GreaterThanThreshold":
		if a.Threshold <= req.Above {
			return ""
		}
	case "GreaterThanOrEqualToThreshold":
		if a.Threshold <= req.Above || (counts && req.Above == math.Trunc(req.Above) && a.Threshold <= req.Above+1) {
			return ""
		}
	default:
		return fmt.Sprintf("compares with %s, not above a threshold", a.ComparisonOperator)
	}
	return fmt.Sprintf("fires only %s %g, the promise is above %g", map[bool]string{true: "at or above", false: "above"}[a.ComparisonOperator == "GreaterThanOrEqualToThreshold"], a.Threshold, req.Above)
}

// ---- PV-NET-001 ----

func parIngress() *Check {
	c := &Check{
		ID:       "PV-NET-001",
		Title:    "PAR's security groups admit inbound traffic only from its load balancer",
		Severity: finding.High,
		Rationale: "\"Security group should block all inbound except from ALB/NLB.\" Every inbound rule of the PAR service's " +
			"security groups must name a security group of the load balancer in front of its target group; an address range " +
			"(even a private one), a prefix list or another group admits traffic that bypasses the load balancer.",
		Remediation: "Revoke the other rules (aws ec2 revoke-security-group-ingress --group-id SG --ip-permissions …) and admit " +
			"only the load balancer's group: aws ec2 authorize-security-group-ingress --group-id SG --protocol tcp --port PORT " +
			"--source-group LB_SG.",
		Controls: []finding.Control{nistSC7, nistSC7_5, nistAC4, hipaaTransmission, nist171SC1, nist171Deny},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.parScope(env, []posture.Section{posture.EC2, posture.ELB}, func(f *posture.Facts, rt *contract.PARRuntime, par *posture.PAR) []finding.Finding {
			var out []finding.Finding
			for _, s := range par.Services {
				lbGroups, unknown := parLBGroups(f, s.V)
				ev := map[string]any{"service": s.V.ARN, "load_balancer_security_groups": lbGroups}
				if len(s.V.SecurityGroups) == 0 {
					out = append(out, c.finding(finding.NotEvaluated, s.V.ARN, s.V.Name, fmt.Sprintf("PAR service %s has no awsvpc security groups in the snapshot", s.V.Name), ev))
					continue
				}
				for _, id := range s.V.SecurityGroups {
					g, ok := f.SecurityGroup(id)
					if !ok {
						out = append(out, c.finding(finding.NotEvaluated, s.V.ARN, s.V.Name+" "+id, fmt.Sprintf("PAR service %s: security group %s is not in the snapshot", s.V.Name, id), ev))
						continue
					}
					arn := ec2ARN(g.Region, env.Snap.AccountID, "security-group/"+id)
					var bad []string
					for _, r := range g.V.Ingress {
						if r.Group != "" && slices.Contains(lbGroups, r.Group) {
							continue
						}
						bad = append(bad, posture.RuleText(r, false))
					}
					switch {
					case len(bad) > 0 && len(unknown) > 0:
						out = append(out, c.finding(finding.NotEvaluated, arn, s.V.Name, fmt.Sprintf("PAR service %s: security group %s admits %s, and the load balancer's groups cannot all be told: %s", s.V.Name, id, strings.Join(bad, ", "), unknown[0]), ev))
					case len(bad) > 0:
						out = append(out, c.finding(finding.Fail, arn, s.V.Name, fmt.Sprintf("PAR service %s: security group %s admits %s, not only the load balancer's group(s) %s", s.V.Name, id, strings.Join(bad, ", "), orNone(lbGroups)), withEvidence(ev, "rules", bad)))
					default:
						out = append(out, c.finding(finding.Pass, arn, s.V.Name, fmt.Sprintf("PAR service %s: security group %s admits only the load balancer (%s)", s.V.Name, id, orNone(lbGroups)), ev))
					}
				}
			}
			return out
		})
	}
	return c
}

// parLBGroups returns the security groups of the load balancers in front of
// a service's target groups, and what could not be followed.
func parLBGroups(f *posture.Facts, s *inventory.ECSService) ([]string, []string) {
	var groups, unknown []string
	for _, tgARN := range s.TargetGroups {
		tg, ok := f.TargetGroup(tgARN)
		if !ok {
			unknown = append(unknown, "target group "+tgARN+" is not in the snapshot")
			continue
		}
		for _, lbARN := range tg.V.LoadBalancers {
			lb, ok := f.LoadBalancer(lbARN)
			switch {
			case !ok:
				unknown = append(unknown, "load balancer "+lbARN+" is not in the snapshot")
			case len(lb.V.SecurityGroups) == 0:
				unknown = append(unknown, "load balancer "+lb.V.Name+" ("+lb.V.Type+") has no security group: its traffic keeps the clients' addresses")
			default:
				groups = append(groups, lb.V.SecurityGroups...)
			}
		}
	}
	slices.Sort(groups)
	return slices.Compact(groups), unknown
}

// ---- PV-NET-002 ----

func parS3Endpoint() *Check {
	c := &Check{
		ID:       "PV-NET-002",
		Title:    "PAR reaches S3 through a VPC endpoint",
		Severity: finding.Medium,
		Rationale: "\"Use VPC endpoints for S3 to keep traffic within AWS network.\" The PAR service's VPC needs an S3 endpoint: a " +
			"gateway endpoint associated with the route tables of every subnet the service runs in, or an interface endpoint.",
		Remediation: "aws ec2 create-vpc-endpoint --vpc-id VPC --vpc-endpoint-type Gateway --service-name com.amazonaws.REGION.s3 " +
			"--route-table-ids RTB… (the route tables of the PAR service's subnets).",
		Controls: []finding.Control{nistSC7, nistAC4, nistSC8, hipaaTransmission, nist171SC1},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.parScope(env, []posture.Section{posture.EC2}, func(f *posture.Facts, rt *contract.PARRuntime, par *posture.PAR) []finding.Finding {
			var out []finding.Finding
			for _, s := range par.Services {
				vpc := ""
				for _, sn := range s.V.Subnets {
					if sub, ok := f.Subnet(sn); ok {
						vpc = sub.V.VPCID
						break
					}
				}
				ev := map[string]any{"service": s.V.ARN, "subnets": s.V.Subnets}
				if vpc == "" {
					out = append(out, c.finding(finding.NotEvaluated, s.V.ARN, s.V.Name, fmt.Sprintf("PAR service %s: its subnets are not in the snapshot", s.V.Name), ev))
					continue
				}
				ev["vpc"] = vpc
				var usable, notes []string
				for _, ep := range f.EndpointsFor(vpc, s.Region, "s3") {
					if ep.V.Type != "Gateway" {
						usable = append(usable, ep.V.ID)
						continue
					}
					var not []string
					for _, sn := range s.V.Subnets {
						if t, ok := f.RouteTableOf(sn); !ok || !slices.Contains(ep.V.RouteTables, t.V.ID) {
							not = append(not, sn)
						}
					}
					if len(not) == 0 {
						usable = append(usable, ep.V.ID)
					} else {
						notes = append(notes, fmt.Sprintf("gateway endpoint %s is not on the route tables of %s", ep.V.ID, strings.Join(not, ", ")))
					}
				}
				if len(usable) > 0 {
					out = append(out, c.finding(finding.Pass, s.V.ARN, s.V.Name, fmt.Sprintf("PAR service %s reaches S3 through %s", s.V.Name, strings.Join(usable, ", ")), ev))
					continue
				}
				msg := fmt.Sprintf("PAR service %s: VPC %s has no S3 endpoint its subnets use", s.V.Name, vpc)
				if len(notes) > 0 {
					msg += " (" + strings.Join(notes, "; ") + ")"
				}
				out = append(out, c.finding(finding.Fail, s.V.ARN, s.V.Name, msg, ev))
			}
			return out
		})
	}
	return c
}

// ---- PV-NET-003 ----

func parEgress() *Check {
	c := &Check{
		ID:       "PV-NET-003",
		Title:    "PAR's outbound traffic is limited to S3",
		Severity: finding.High,
		Variants: []rules.Variant{{Severity: finding.Low, When: "a rule opens a private range of the VPC (WARN)"}},
		Rationale: "\"PAR should only make outbound calls to: S3 (for package downloads); No other AWS services.\" The PAR " +
			"service's security groups may send traffic only to S3 (its prefix list, as the S3 gateway endpoint's routes name it, " +
			"or an S3 interface endpoint), to the endpoints ECS itself needs to start the task (ECR, CloudWatch Logs) and to its " +
			"EFS mount targets. Egress to 0.0.0.0/0 — the default rule of every new security group — reaches anything.",
		Remediation: "Revoke the open rule (aws ec2 revoke-security-group-egress --group-id SG --ip-permissions " +
			"IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]) and allow HTTPS to the S3 prefix list only: aws ec2 " +
			"authorize-security-group-egress --group-id SG --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{PrefixListId=PL}]'.",
		Controls: []finding.Control{nistSC7, nistSC7_5, nistAC4, hipaaTransmission, nist171SC1, nist171Deny, nist171AC3},
	}
	c.Run = func(env *Env) []finding.Finding {
		return c.parScope(env, []posture.Section{posture.EC2, posture.EFS}, func(f *posture.Facts, rt *contract.PARRuntime, par *posture.PAR) []finding.Finding {
			var out []finding.Finding
			for _, s := range par.Services {
				allowedGroups, s3Lists, vpcCIDRs := parEgressTargets(f, s)
				ev := map[string]any{"service": s.V.ARN, "s3_prefix_lists": s3Lists, "endpoint_and_mount_target_groups": allowedGroups}
				for _, id := range s.V.SecurityGroups {
					g, ok := f.SecurityGroup(id)
					if !ok {
						out = append(out, c.finding(finding.NotEvaluated, s.V.ARN, s.V.Name+" "+id, fmt.Sprintf("PAR service %s: security group %s is not in the snapshot", s.V.Name, id), ev))
						continue
					}
					arn := ec2ARN(g.Region, env.Snap.AccountID, "security-group/"+id)
					var bad, private, unknown []string
					for _, r := range g.V.Egress {
						switch {
						case r.Group != "" && slices.Contains(allowedGroups, r.Group):
						case r.PrefixList != "" && slices.Contains(s3Lists, r.PrefixList):
						case r.PrefixList != "":
							unknown = append(unknown, posture.RuleText(r, true)+" (not the prefix list of an S3 gateway endpoint of the VPC)")
						case r.CIDR != "" && !posture.CoversPublic(r.CIDR) && inAny(r.CIDR, vpcCIDRs):
							private = append(private, posture.RuleText(r, true))
						default:
							bad = append(bad, posture.RuleText(r, true))
						}
					}
					switch {
					case len(bad) > 0:
						out = append(out, c.finding(finding.Fail, arn, s.V.Name, fmt.Sprintf("PAR service %s: security group %s sends %s, beyond S3", s.V.Name, id, strings.Join(bad, ", ")), withEvidence(ev, "rules", bad)))
					case len(unknown) > 0:
						out = append(out, c.finding(finding.NotEvaluated, arn, s.V.Name, fmt.Sprintf("PAR service %s: security group %s sends %s", s.V.Name, id, strings.Join(unknown, ", ")), ev))
					case len(private) > 0:
						w := c.finding(finding.Warn, arn, s.V.Name, fmt.Sprintf("PAR service %s: security group %s sends %s: any host of the VPC, not only S3", s.V.Name, id, strings.Join(private, ", ")), ev)
						w.Severity = finding.Low
						out = append(out, w)
					default:
						out = append(out, c.finding(finding.Pass, arn, s.V.Name, fmt.Sprintf("PAR service %s: security group %s sends traffic only to S3 and the task's own endpoints", s.V.Name, id), ev))
					}
				}
			}
			return out
		})
	}
	return c
}

// parEgressTargets returns what a PAR service may send to: the security
// groups of its VPC's S3, ECR and Logs interface endpoints and of its EFS
// volumes' mount targets, the prefix lists its subnets route to an S3
// gateway endpoint, and its VPC's CIDRs.
func parEgressTargets(f *posture.Facts, s posture.In[inventory.ECSService]) (groups, s3Lists, cidrs []string) {
	vpc := ""
	for _, sn := range s.V.Subnets {
		if sub, ok := f.Subnet(sn); ok {
			vpc = sub.V.VPCID
			break
		}
	}
	if v, ok := f.VPC(vpc); ok {
		cidrs = v.V.CIDRs
	}
	for _, ep := range f.EndpointsOf(vpc) {
		switch posture.EndpointService(ep.V.ServiceName) {
		case "s3", "ecr", "logs":
		default:
			continue
		}
		groups = append(groups, ep.V.SecurityGroups...)
		if ep.V.Type == "Gateway" && posture.EndpointService(ep.V.ServiceName) == "s3" {
			for _, sn := range s.V.Subnets {
				if t, ok := f.RouteTableOf(sn); ok {
					for _, r := range t.V.Routes {
						if r.Target == ep.V.ID && strings.HasPrefix(r.Destination, "pl-") {
							s3Lists = append(s3Lists, r.Destination)
						}
					}
				}
			}
		}
	}
	if td, ok := f.TaskDef(s.V.TaskDefinition); ok {
		for _, v := range td.V.EFSVolumes {
			for _, mt := range f.MountTargetsOf(v.FileSystemID) {
				groups = append(groups, mt.V.SecurityGroups...)
			}
		}
	}
	slices.Sort(groups)
	slices.Sort(s3Lists)
	return slices.Compact(groups), slices.Compact(s3Lists), cidrs
}

// inAny reports whether cidr lies inside one of the blocks.
func inAny(cidr string, blocks []string) bool {
	for _, b := range blocks {
		if posture.Within(cidr, b) {
			return true
		}
	}
	return false
}
