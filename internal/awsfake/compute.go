package awsfake

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// CloudWatch Logs, CloudWatch alarms, Step Functions, ECS, Lambda, EFS,
// ELBv2 and the S3 bucket list, over their wire protocols (runtime.go).

// ---- CloudWatch Logs (AWS JSON 1.1) ----

func logsHandlers() map[string]rtHandler {
	return map[string]rtHandler{
		"DescribeLogGroups": logsDescribeGroups, "DescribeMetricFilters": logsDescribeFilters,
		"CreateLogGroup": logsCreateGroup, "PutRetentionPolicy": logsPutRetention, "PutMetricFilter": logsPutFilter,
	}
}

func (s *Server) logGroup(region, name string) *inventory.LogGroup {
	l := s.regionRT(region).Logs
	for i := range l.LogGroups {
		if l.LogGroups[i].Name == name {
			return &l.LogGroups[i]
		}
	}
	return nil
}

func errResourceNotFound(format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, "ResourceNotFoundException", format, args...)
}

func logsDescribeGroups(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	prefix := str(in.body, "logGroupNamePrefix")
	var all []inventory.LogGroup
	for _, g := range s.regionRT(ex.region).Logs.LogGroups {
		if strings.HasPrefix(g.Name, prefix) {
			all = append(all, g)
		}
	}
	pg, perr := s.bodyPage(ex, in, "nextToken", "limit", len(all))
	if perr != nil {
		return nil, perr
	}
	groups := []any{}
	for _, g := range all[pg.lo:pg.hi] {
		m := map[string]any{"logGroupName": g.Name, "arn": g.ARN, "logGroupArn": strings.TrimSuffix(g.ARN, ":*"), "creationTime": float64(ex.now.UnixMilli())}
		if g.RetentionDays > 0 {
			m["retentionInDays"] = g.RetentionDays
		}
		if g.KMSKeyID != "" {
			m["kmsKeyId"] = g.KMSKeyID
		}
		groups = append(groups, m)
	}
	return withToken(map[string]any{"logGroups": groups}, "nextToken", pg.next), nil
}

func logsDescribeFilters(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	group := str(in.body, "logGroupName")
	var all []inventory.MetricFilter
	for _, f := range s.regionRT(ex.region).Logs.MetricFilters {
		if group == "" || f.LogGroup == group {
			all = append(all, f)
		}
	}
	pg, perr := s.bodyPage(ex, in, "nextToken", "limit", len(all))
	if perr != nil {
		return nil, perr
	}
	out := []any{}
	for _, f := range all[pg.lo:pg.hi] {
		var ts []any
		for _, t := range f.Transformations {
			ts = append(ts, map[string]any{"metricName": t.MetricName, "metricNamespace": t.MetricNamespace, "metricValue": t.MetricValue})
		}
		out = append(out, map[string]any{"filterName": f.Name, "logGroupName": f.LogGroup, "filterPattern": f.Pattern, "metricTransformations": ts})
	}
	return withToken(map[string]any{"metricFilters": out}, "nextToken", pg.next), nil
}

func logsCreateGroup(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	name := str(in.body, "logGroupName")
	if name == "" {
		return nil, errInvalidParameter("logGroupName is required")
	}
	if s.logGroup(ex.region, name) != nil {
		return nil, newErr(http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log group already exists")
	}
	l := s.regionRT(ex.region).Logs
	l.LogGroups = append(l.LogGroups, inventory.LogGroup{Name: name, ARN: fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", ex.region, s.account, name),
		KMSKeyID: str(in.body, "kmsKeyId")})
	return map[string]any{}, nil
}

func errInvalidParameter(format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, "InvalidParameterException", format, args...)
}

func logsPutRetention(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	g := s.logGroup(ex.region, str(in.body, "logGroupName"))
	if g == nil {
		return nil, errResourceNotFound("The specified log group does not exist.")
	}
	d, _ := num(in.body, "retentionInDays")
	g.RetentionDays = int(d)
	return map[string]any{}, nil
}

func logsPutFilter(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	group := str(in.body, "logGroupName")
	if s.logGroup(ex.region, group) == nil {
		return nil, errResourceNotFound("The specified log group does not exist.")
	}
	f := inventory.MetricFilter{Name: str(in.body, "filterName"), LogGroup: group, Pattern: str(in.body, "filterPattern")}
	for _, t := range objs(in.body, "metricTransformations") {
		f.Transformations = append(f.Transformations, inventory.MetricTransformation{MetricName: str(t, "metricName"),
			MetricNamespace: str(t, "metricNamespace"), MetricValue: str(t, "metricValue")})
	}
	l := s.regionRT(ex.region).Logs
	l.MetricFilters = slices.DeleteFunc(l.MetricFilters, func(x inventory.MetricFilter) bool { return x.LogGroup == group && x.Name == f.Name })
	l.MetricFilters = append(l.MetricFilters, f)
	return map[string]any{}, nil
}

// ---- CloudWatch alarms (Smithy RPC v2 CBOR) ----

func cloudWatchHandlers() map[string]rtHandler {
	return map[string]rtHandler{"DescribeAlarms": cwDescribeAlarms, "PutMetricAlarm": cwPutAlarm}
}

func dimList(d map[string]string) []any {
	out := []any{}
	for _, k := range sortedKeysOf(d) {
		out = append(out, map[string]any{"Name": k, "Value": d[k]})
	}
	return out
}

func dimMap(l []map[string]any) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, d := range l {
		out[str(d, "Name")] = str(d, "Value")
	}
	return out
}

func cwDescribeAlarms(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	names := strs(in.body, "AlarmNames")
	var all []inventory.Alarm
	for _, a := range s.regionRT(ex.region).CloudWatch.Alarms {
		if len(names) == 0 || slices.Contains(names, a.Name) {
			all = append(all, a)
		}
	}
	pg, perr := s.bodyPage(ex, in, "NextToken", "MaxRecords", len(all))
	if perr != nil {
		return nil, perr
	}
	out := []any{}
	for _, a := range all[pg.lo:pg.hi] {
		m := map[string]any{"AlarmName": a.Name, "AlarmArn": a.ARN, "ActionsEnabled": a.ActionsEnabled, "AlarmActions": append([]string{}, a.AlarmActions...),
			"EvaluationPeriods": a.EvaluationPeriods, "Threshold": a.Threshold, "ComparisonOperator": a.ComparisonOperator, "StateValue": "OK"}
		if a.MetricName != "" {
			m["Namespace"], m["MetricName"], m["Dimensions"] = a.Namespace, a.MetricName, dimList(a.Dimensions)
		}
		if a.Statistic != "" {
			m["Statistic"] = a.Statistic
		}
		if a.ExtendedStatistic != "" {
			m["ExtendedStatistic"] = a.ExtendedStatistic
		}
		if a.Period > 0 {
			m["Period"] = a.Period
		}
		if a.DatapointsToAlarm > 0 {
			m["DatapointsToAlarm"] = a.DatapointsToAlarm
		}
		if len(a.Metrics) > 0 {
			var qs []any
			for _, q := range a.Metrics {
				qm := map[string]any{"Id": q.ID, "ReturnData": q.ReturnData}
				if q.Expression != "" {
					qm["Expression"] = q.Expression
				} else {
					qm["MetricStat"] = map[string]any{"Metric": map[string]any{"Namespace": q.Namespace, "MetricName": q.MetricName, "Dimensions": dimList(q.Dimensions)},
						"Period": q.Period, "Stat": q.Stat}
				}
				qs = append(qs, qm)
			}
			m["Metrics"] = qs
		}
		out = append(out, m)
	}
	return withToken(map[string]any{"MetricAlarms": out, "CompositeAlarms": []any{}}, "NextToken", pg.next), nil
}

func cwPutAlarm(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	b := in.body
	name := str(b, "AlarmName")
	if name == "" {
		return nil, newErr(http.StatusBadRequest, "ValidationError", "AlarmName is required")
	}
	a := inventory.Alarm{Name: name, ARN: fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", ex.region, s.account, name),
		Namespace: str(b, "Namespace"), MetricName: str(b, "MetricName"), Dimensions: dimMap(objs(b, "Dimensions")),
		Statistic: str(b, "Statistic"), ExtendedStatistic: str(b, "ExtendedStatistic"), ComparisonOperator: str(b, "ComparisonOperator"),
		ActionsEnabled: true, AlarmActions: strs(b, "AlarmActions")}
	if _, set := b["ActionsEnabled"]; set {
		a.ActionsEnabled = boolean(b, "ActionsEnabled")
	}
	n := func(k string) int { v, _ := num(b, k); return int(v) }
	a.Period, a.EvaluationPeriods, a.DatapointsToAlarm = n("Period"), n("EvaluationPeriods"), n("DatapointsToAlarm")
	a.Threshold, _ = num(b, "Threshold")
	for _, q := range objs(b, "Metrics") {
		aq := inventory.AlarmQuery{ID: str(q, "Id"), Expression: str(q, "Expression"), ReturnData: true}
		if _, set := q["ReturnData"]; set {
			aq.ReturnData = boolean(q, "ReturnData")
		}
		if ms := obj(q, "MetricStat"); ms != nil {
			m := obj(ms, "Metric")
			aq.Namespace, aq.MetricName, aq.Dimensions, aq.Stat = str(m, "Namespace"), str(m, "MetricName"), dimMap(objs(m, "Dimensions")), str(ms, "Stat")
			p, _ := num(ms, "Period")
			aq.Period = int(p)
		}
		a.Metrics = append(a.Metrics, aq)
	}
	w := s.regionRT(ex.region).CloudWatch
	w.Alarms = slices.DeleteFunc(w.Alarms, func(x inventory.Alarm) bool { return x.Name == name })
	w.Alarms = append(w.Alarms, a)
	sort.Slice(w.Alarms, func(i, j int) bool { return w.Alarms[i].Name < w.Alarms[j].Name })
	return map[string]any{}, nil
}

// ---- Step Functions (AWS JSON 1.0) ----

func sfnHandlers() map[string]rtHandler {
	return map[string]rtHandler{
		"ListStateMachines": sfnList, "DescribeStateMachine": sfnDescribe, "ListTagsForResource": sfnTags, "CreateStateMachine": sfnCreate,
	}
}

func (s *Server) stateMachine(region, arn string) *inventory.StateMachine {
	sf := s.regionRT(region).StepFunctions
	for i := range sf.StateMachines {
		if sf.StateMachines[i].ARN == arn {
			return &sf.StateMachines[i]
		}
	}
	return nil
}

func sfnList(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	all := s.regionRT(ex.region).StepFunctions.StateMachines
	pg, perr := s.bodyPage(ex, in, "nextToken", "maxResults", len(all))
	if perr != nil {
		return nil, perr
	}
	out := []any{}
	for _, m := range all[pg.lo:pg.hi] {
		out = append(out, map[string]any{"stateMachineArn": m.ARN, "name": m.Name, "type": "STANDARD", "creationDate": float64(ex.now.Unix())})
	}
	return withToken(map[string]any{"stateMachines": out}, "nextToken", pg.next), nil
}

func sfnDescribe(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	m := s.stateMachine(ex.region, str(in.body, "stateMachineArn"))
	if m == nil {
		return nil, newErr(http.StatusBadRequest, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", str(in.body, "stateMachineArn"))
	}
	out := map[string]any{"stateMachineArn": m.ARN, "name": m.Name, "status": "ACTIVE", "definition": "{}", "roleArn": m.RoleARN, "type": "STANDARD",
		"creationDate": float64(ex.now.Unix())}
	if m.EncryptionType != "" {
		enc := map[string]any{"type": m.EncryptionType}
		if m.KMSKeyID != "" {
			enc["kmsKeyId"] = m.KMSKeyID
		}
		out["encryptionConfiguration"] = enc
	}
	return out, nil
}

func sfnTags(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	m := s.stateMachine(ex.region, str(in.body, "resourceArn"))
	if m == nil {
		return nil, errResourceNotFound("Resource not found: '%s'", str(in.body, "resourceArn"))
	}
	return map[string]any{"tags": tagList(m.Tags, "key", "value")}, nil
}

func sfnCreate(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	name := str(in.body, "name")
	arn := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", ex.region, s.account, name)
	if s.stateMachine(ex.region, arn) != nil {
		return nil, newErr(http.StatusBadRequest, "StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
	}
	m := inventory.StateMachine{ARN: arn, Name: name, RoleARN: str(in.body, "roleArn"), Tags: kvTags(objs(in.body, "tags"))}
	if enc := obj(in.body, "encryptionConfiguration"); enc != nil {
		m.EncryptionType, m.KMSKeyID = str(enc, "type"), str(enc, "kmsKeyId")
	}
	sf := s.regionRT(ex.region).StepFunctions
	sf.StateMachines = append(sf.StateMachines, m)
	return map[string]any{"stateMachineArn": arn, "creationDate": float64(ex.now.Unix())}, nil
}

// ---- ECS (AWS JSON 1.1) ----

func ecsHandlers() map[string]rtHandler {
	return map[string]rtHandler{
		"ListClusters": ecsListClusters, "DescribeClusters": ecsDescribeClusters, "ListServices": ecsListServices,
		"DescribeServices": ecsDescribeServices, "DescribeTaskDefinition": ecsDescribeTaskDef,
		"CreateCluster": ecsCreateCluster, "RegisterTaskDefinition": ecsRegisterTaskDef, "CreateService": ecsCreateService,
	}
}

func ecsErr(code, format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, code, format, args...)
}

// clusterARN resolves a cluster name or ARN ("default" when empty).
func (s *Server) clusterARN(region, nameOrARN string) string {
	if nameOrARN == "" {
		nameOrARN = "default"
	}
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", region, s.account, nameOrARN)
}

func ecsListClusters(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	all := s.regionRT(ex.region).ECS.Clusters
	pg, perr := s.bodyPage(ex, in, "nextToken", "maxResults", len(all))
	if perr != nil {
		return nil, perr
	}
	out := []string{}
	for _, c := range all[pg.lo:pg.hi] {
		out = append(out, c.ARN)
	}
	return withToken(map[string]any{"clusterArns": out}, "nextToken", pg.next), nil
}

func ecsDescribeClusters(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	var clusters, failures []any
	for _, want := range strs(in.body, "clusters") {
		arn := s.clusterARN(ex.region, want)
		found := false
		for _, c := range s.regionRT(ex.region).ECS.Clusters {
			if c.ARN == arn {
				clusters = append(clusters, map[string]any{"clusterArn": c.ARN, "clusterName": c.Name, "status": "ACTIVE", "tags": tagList(c.Tags, "key", "value")})
				found = true
			}
		}
		if !found {
			failures = append(failures, map[string]any{"arn": arn, "reason": "MISSING"})
		}
	}
	return map[string]any{"clusters": orEmpty(clusters), "failures": orEmpty(failures)}, nil
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func ecsListServices(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	cl := s.clusterARN(ex.region, str(in.body, "cluster"))
	var all []string
	for _, sv := range s.regionRT(ex.region).ECS.Services {
		if sv.Cluster == cl {
			all = append(all, sv.ARN)
		}
	}
	pg, perr := s.bodyPage(ex, in, "nextToken", "maxResults", len(all))
	if perr != nil {
		return nil, perr
	}
	out := append([]string{}, all[pg.lo:pg.hi]...)
	return withToken(map[string]any{"serviceArns": out}, "nextToken", pg.next), nil
}

func ecsDescribeServices(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	cl := s.clusterARN(ex.region, str(in.body, "cluster"))
	var services, failures []any
	for _, want := range strs(in.body, "services") {
		found := false
		for _, sv := range s.regionRT(ex.region).ECS.Services {
			if sv.Cluster != cl || (sv.ARN != want && sv.Name != want) {
				continue
			}
			found = true
			m := map[string]any{"serviceArn": sv.ARN, "serviceName": sv.Name, "clusterArn": sv.Cluster, "taskDefinition": sv.TaskDefinition,
				"status": "ACTIVE", "desiredCount": 1, "tags": tagList(sv.Tags, "key", "value")}
			if sv.LaunchType != "" {
				m["launchType"] = sv.LaunchType
			}
			if len(sv.Subnets) > 0 {
				ip := "DISABLED"
				if sv.AssignPublicIP {
					ip = "ENABLED"
				}
				m["networkConfiguration"] = map[string]any{"awsvpcConfiguration": map[string]any{"subnets": sv.Subnets, "securityGroups": sv.SecurityGroups, "assignPublicIp": ip}}
			}
			var lbs []any
			for _, tg := range sv.TargetGroups {
				lbs = append(lbs, map[string]any{"targetGroupArn": tg})
			}
			m["loadBalancers"] = orEmpty(lbs)
			services = append(services, m)
		}
		if !found {
			failures = append(failures, map[string]any{"arn": want, "reason": "MISSING"})
		}
	}
	return map[string]any{"services": orEmpty(services), "failures": orEmpty(failures)}, nil
}

func ecsDescribeTaskDef(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	want := str(in.body, "taskDefinition")
	for _, td := range s.regionRT(ex.region).ECS.TaskDefinitions {
		if td.ARN != want && !strings.HasSuffix(td.ARN, ":task-definition/"+want) {
			continue
		}
		var cs []any
		for _, c := range td.Containers {
			cm := map[string]any{"name": c.Name, "image": c.Image, "essential": true}
			if c.LogDriver != "" {
				cm["logConfiguration"] = map[string]any{"logDriver": c.LogDriver, "options": c.LogOptions}
			}
			cs = append(cs, cm)
		}
		var vols []any
		for _, v := range td.EFSVolumes {
			ec := map[string]any{"fileSystemId": v.FileSystemID}
			if v.TransitEncryption != "" {
				ec["transitEncryption"] = v.TransitEncryption
			}
			if v.AccessPointID != "" || v.IAM != "" {
				ec["authorizationConfig"] = map[string]any{"accessPointId": v.AccessPointID, "iam": v.IAM}
			}
			vols = append(vols, map[string]any{"name": v.Name, "efsVolumeConfiguration": ec})
		}
		rev := td.ARN[strings.LastIndex(td.ARN, ":")+1:]
		out := map[string]any{"taskDefinitionArn": td.ARN, "family": td.Family, "networkMode": td.NetworkMode, "containerDefinitions": orEmpty(cs),
			"volumes": orEmpty(vols), "status": "ACTIVE", "revision": atoiOr(rev, 1)}
		if td.TaskRoleARN != "" {
			out["taskRoleArn"] = td.TaskRoleARN
		}
		if td.ExecutionRole != "" {
			out["executionRoleArn"] = td.ExecutionRole
		}
		return map[string]any{"taskDefinition": out}, nil
	}
	return nil, ecsErr("ClientException", "Unable to describe task definition.")
}

func atoiOr(s string, def int) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return def
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func ecsCreateCluster(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	name := str(in.body, "clusterName")
	if name == "" {
		name = "default"
	}
	arn := s.clusterARN(ex.region, name)
	e := s.regionRT(ex.region).ECS
	if !slices.ContainsFunc(e.Clusters, func(c inventory.ECSCluster) bool { return c.ARN == arn }) {
		e.Clusters = append(e.Clusters, inventory.ECSCluster{ARN: arn, Name: name, Tags: kvTags(objs(in.body, "tags"))})
	}
	return map[string]any{"cluster": map[string]any{"clusterArn": arn, "clusterName": name, "status": "ACTIVE"}}, nil
}

func ecsRegisterTaskDef(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	b := in.body
	family := str(b, "family")
	if family == "" {
		return nil, ecsErr("ClientException", "Family is required.")
	}
	e := s.regionRT(ex.region).ECS
	rev := 1
	for _, td := range e.TaskDefinitions {
		if td.Family == family {
			rev++
		}
	}
	td := inventory.ECSTaskDefinition{ARN: fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", ex.region, s.account, family, rev), Family: family,
		TaskRoleARN: str(b, "taskRoleArn"), ExecutionRole: str(b, "executionRoleArn"), NetworkMode: str(b, "networkMode")}
	if td.NetworkMode == "" {
		td.NetworkMode = "bridge"
	}
	for _, c := range objs(b, "containerDefinitions") {
		ct := inventory.ECSContainer{Name: str(c, "name"), Image: str(c, "image")}
		if lc := obj(c, "logConfiguration"); lc != nil {
			ct.LogDriver = str(lc, "logDriver")
			if o := obj(lc, "options"); len(o) > 0 {
				ct.LogOptions = map[string]string{}
				for k, v := range o {
					ct.LogOptions[k], _ = v.(string)
				}
			}
		}
		td.Containers = append(td.Containers, ct)
	}
	for _, v := range objs(b, "volumes") {
		if ec := obj(v, "efsVolumeConfiguration"); ec != nil {
			vol := inventory.ECSEFSVolume{Name: str(v, "name"), FileSystemID: str(ec, "fileSystemId"), TransitEncryption: str(ec, "transitEncryption")}
			if ac := obj(ec, "authorizationConfig"); ac != nil {
				vol.AccessPointID, vol.IAM = str(ac, "accessPointId"), str(ac, "iam")
			}
			td.EFSVolumes = append(td.EFSVolumes, vol)
		}
	}
	e.TaskDefinitions = append(e.TaskDefinitions, td)
	return map[string]any{"taskDefinition": map[string]any{"taskDefinitionArn": td.ARN, "family": family, "revision": rev, "status": "ACTIVE"}}, nil
}

func ecsCreateService(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	b := in.body
	cl := s.clusterARN(ex.region, str(b, "cluster"))
	e := s.regionRT(ex.region).ECS
	if !slices.ContainsFunc(e.Clusters, func(c inventory.ECSCluster) bool { return c.ARN == cl }) {
		return nil, ecsErr("ClusterNotFoundException", "Cluster not found.")
	}
	tdName := str(b, "taskDefinition")
	var td *inventory.ECSTaskDefinition
	for i := range e.TaskDefinitions {
		t := &e.TaskDefinitions[i]
		if t.ARN == tdName || strings.HasSuffix(t.ARN, ":task-definition/"+tdName) || (t.Family == tdName && (td == nil || t.ARN > td.ARN)) {
			td = t
		}
	}
	if td == nil {
		return nil, ecsErr("ClientException", "TaskDefinition not found.")
	}
	name := str(b, "serviceName")
	clusterName := cl[strings.LastIndex(cl, "/")+1:]
	sv := inventory.ECSService{ARN: fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", ex.region, s.account, clusterName, name), Name: name, Cluster: cl,
		TaskDefinition: td.ARN, LaunchType: str(b, "launchType"), Tags: kvTags(objs(b, "tags"))}
	if nc := obj(obj(b, "networkConfiguration"), "awsvpcConfiguration"); nc != nil {
		sv.Subnets, sv.SecurityGroups, sv.AssignPublicIP = strs(nc, "subnets"), strs(nc, "securityGroups"), str(nc, "assignPublicIp") == "ENABLED"
	}
	for _, lb := range objs(b, "loadBalancers") {
		if tg := str(lb, "targetGroupArn"); tg != "" {
			sv.TargetGroups = append(sv.TargetGroups, tg)
		}
	}
	e.Services = append(e.Services, sv)
	return map[string]any{"service": map[string]any{"serviceArn": sv.ARN, "serviceName": name, "clusterArn": cl, "taskDefinition": td.ARN, "status": "ACTIVE"}}, nil
}

// ---- REST routes (Lambda, EFS) ----

// restRoute maps a REST request to its operation, the path segments after
// the API version, and the status of a successful answer (0: 200).
func restRoute(service, method, path string) (string, []string, int) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) == 0 {
		return "", nil, 0
	}
	rest := segs[1:]
	switch service {
	case "lambda":
		switch {
		case segs[0] == "2015-03-31" && len(rest) == 1 && rest[0] == "functions" && method == http.MethodGet:
			return "ListFunctions", rest, 0
		case segs[0] == "2015-03-31" && len(rest) == 1 && rest[0] == "functions" && method == http.MethodPost:
			return "CreateFunction", rest, http.StatusCreated
		case segs[0] == "2017-03-31" && len(rest) >= 2 && rest[0] == "tags" && method == http.MethodGet:
			return "ListTags", []string{"tags", strings.Join(rest[1:], "/")}, 0
		}
	case "elasticfilesystem":
		if segs[0] != "2015-02-01" || len(rest) == 0 {
			return "", nil, 0
		}
		switch {
		case rest[0] == "file-systems" && len(rest) == 1 && method == http.MethodGet:
			return "DescribeFileSystems", rest, 0
		case rest[0] == "file-systems" && len(rest) == 1 && method == http.MethodPost:
			return "CreateFileSystem", rest, http.StatusCreated
		case rest[0] == "file-systems" && len(rest) == 3 && rest[2] == "policy" && method == http.MethodGet:
			return "DescribeFileSystemPolicy", rest, 0
		case rest[0] == "file-systems" && len(rest) == 3 && rest[2] == "policy" && method == http.MethodPut:
			return "PutFileSystemPolicy", rest, 0
		case rest[0] == "mount-targets" && len(rest) == 1 && method == http.MethodGet:
			return "DescribeMountTargets", rest, 0
		case rest[0] == "mount-targets" && len(rest) == 1 && method == http.MethodPost:
			return "CreateMountTarget", rest, 0
		case rest[0] == "mount-targets" && len(rest) == 3 && rest[2] == "security-groups" && method == http.MethodGet:
			return "DescribeMountTargetSecurityGroups", rest, 0
		case rest[0] == "access-points" && len(rest) == 1 && method == http.MethodGet:
			return "DescribeAccessPoints", rest, 0
		case rest[0] == "access-points" && len(rest) == 1 && method == http.MethodPost:
			return "CreateAccessPoint", rest, 0
		}
	}
	return "", nil, 0
}

// ---- Lambda (REST-JSON) ----

func lambdaHandlers() map[string]rtHandler {
	return map[string]rtHandler{"ListFunctions": lambdaList, "ListTags": lambdaTags, "CreateFunction": lambdaCreate}
}

func lambdaConfig(fn inventory.Function) map[string]any {
	m := map[string]any{"FunctionName": fn.Name, "FunctionArn": fn.ARN, "Role": fn.Role, "Runtime": "python3.12", "Handler": "index.handler", "State": "Active"}
	if fn.VPC != nil {
		m["VpcConfig"] = map[string]any{"SubnetIds": fn.VPC.Subnets, "SecurityGroupIds": fn.VPC.SecurityGroups, "VpcId": fn.VPC.VPCID}
	}
	var fss []any
	for _, a := range fn.FileSystems {
		fss = append(fss, map[string]any{"Arn": a, "LocalMountPath": "/mnt/workflow"})
	}
	if len(fss) > 0 {
		m["FileSystemConfigs"] = fss
	}
	lg := fn.LogGroup
	if lg == "" {
		lg = "/aws/lambda/" + fn.Name
	}
	m["LoggingConfig"] = map[string]any{"LogFormat": "Text", "LogGroup": lg}
	return m
}

func lambdaList(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	all := s.regionRT(ex.region).Lambda.Functions
	pg, perr := s.queryPage(ex, in.query, "Marker", "MaxItems", len(all))
	if perr != nil {
		return nil, perr
	}
	out := []any{}
	for _, fn := range all[pg.lo:pg.hi] {
		out = append(out, lambdaConfig(fn))
	}
	return withToken(map[string]any{"Functions": out}, "NextMarker", pg.next), nil
}

func lambdaTags(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	arn := in.path[1]
	for _, fn := range s.regionRT(ex.region).Lambda.Functions {
		if fn.ARN == arn {
			tags := map[string]any{}
			for k, v := range fn.Tags {
				tags[k] = v
			}
			return map[string]any{"Tags": tags}, nil
		}
	}
	return nil, newErr(http.StatusNotFound, "ResourceNotFoundException", "Function not found: %s", arn)
}

func lambdaCreate(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	b := in.body
	name := str(b, "FunctionName")
	if name == "" || str(b, "Role") == "" {
		return nil, newErr(http.StatusBadRequest, "InvalidParameterValueException", "FunctionName and Role are required")
	}
	l := s.regionRT(ex.region).Lambda
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", ex.region, s.account, name)
	if slices.ContainsFunc(l.Functions, func(f inventory.Function) bool { return f.ARN == arn }) {
		return nil, newErr(http.StatusConflict, "ResourceConflictException", "Function already exist: %s", name)
	}
	fn := inventory.Function{Name: name, ARN: arn, Role: str(b, "Role")}
	if v := obj(b, "VpcConfig"); v != nil && len(strs(v, "SubnetIds")) > 0 {
		fn.VPC = &inventory.FunctionVPC{Subnets: strs(v, "SubnetIds"), SecurityGroups: strs(v, "SecurityGroupIds")}
		for _, sn := range s.regionRT(ex.region).EC2.Subnets {
			if sn.ID == fn.VPC.Subnets[0] {
				fn.VPC.VPCID = sn.VPCID
			}
		}
	}
	for _, c := range objs(b, "FileSystemConfigs") {
		fn.FileSystems = append(fn.FileSystems, str(c, "Arn"))
	}
	if lc := obj(b, "LoggingConfig"); lc != nil {
		fn.LogGroup = str(lc, "LogGroup")
	}
	if t := obj(b, "Tags"); len(t) > 0 {
		fn.Tags = map[string]string{}
		for k, v := range t {
			fn.Tags[k], _ = v.(string)
		}
	}
	l.Functions = append(l.Functions, fn)
	return lambdaConfig(fn), nil
}

// ---- EFS (REST-JSON) ----

func efsHandlers() map[string]rtHandler {
	return map[string]rtHandler{
		"DescribeFileSystems": efsDescribeFS, "DescribeFileSystemPolicy": efsDescribePolicy, "DescribeMountTargets": efsDescribeMTs,
		"DescribeMountTargetSecurityGroups": efsDescribeMTSGs, "DescribeAccessPoints": efsDescribeAPs,
		"CreateFileSystem": efsCreateFS, "PutFileSystemPolicy": efsPutPolicy, "CreateMountTarget": efsCreateMT, "CreateAccessPoint": efsCreateAP,
	}
}

func (s *Server) fileSystem(region, id string) *inventory.FileSystem {
	e := s.regionRT(region).EFS
	for i := range e.FileSystems {
		if e.FileSystems[i].ID == id {
			return &e.FileSystems[i]
		}
	}
	return nil
}

func efsNotFound(id string) *apiError {
	return newErr(http.StatusNotFound, "FileSystemNotFound", "File system '%s' does not exist.", id)
}

func efsDesc(s *Server, fs *inventory.FileSystem, ex *exchange) map[string]any {
	m := map[string]any{"FileSystemId": fs.ID, "FileSystemArn": fs.ARN, "Encrypted": fs.Encrypted, "OwnerId": s.account, "CreationToken": fs.ID,
		"CreationTime": float64(ex.now.Unix()), "LifeCycleState": "available", "NumberOfMountTargets": len(s.mountTargetsOf(ex.region, fs.ID)),
		"PerformanceMode": "generalPurpose", "SizeInBytes": map[string]any{"Value": 6144}, "Tags": tagList(fs.Tags, "Key", "Value")}
	if fs.Name != "" {
		m["Name"] = fs.Name
	}
	if fs.KMSKeyID != "" {
		m["KmsKeyId"] = fs.KMSKeyID
	}
	return m
}

func (s *Server) mountTargetsOf(region, fs string) []inventory.MountTarget {
	var out []inventory.MountTarget
	for _, m := range s.regionRT(region).EFS.MountTargets {
		if m.FileSystemID == fs {
			out = append(out, m)
		}
	}
	return out
}

func efsDescribeFS(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	out := []any{}
	e := s.regionRT(ex.region).EFS
	pg, perr := s.queryPage(ex, in.query, "Marker", "MaxItems", len(e.FileSystems))
	if perr != nil {
		return nil, perr
	}
	for i := pg.lo; i < pg.hi; i++ {
		out = append(out, efsDesc(s, &e.FileSystems[i], ex))
	}
	return withToken(map[string]any{"FileSystems": out}, "NextMarker", pg.next), nil
}

func efsDescribePolicy(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	fs := s.fileSystem(ex.region, in.path[1])
	if fs == nil {
		return nil, efsNotFound(in.path[1])
	}
	if fs.Policy == nil {
		return nil, newErr(http.StatusNotFound, "PolicyNotFound", "Policy not found for file system %s", fs.ID)
	}
	b, _ := fs.Policy.CanonicalJSON()
	return map[string]any{"FileSystemId": fs.ID, "Policy": string(b)}, nil
}

func efsDescribeMTs(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	id := in.query.Get("FileSystemId")
	if id != "" && s.fileSystem(ex.region, id) == nil {
		return nil, efsNotFound(id)
	}
	var all []inventory.MountTarget
	for _, m := range s.regionRT(ex.region).EFS.MountTargets {
		if id == "" || m.FileSystemID == id {
			all = append(all, m)
		}
	}
	pg, perr := s.queryPage(ex, in.query, "Marker", "MaxItems", len(all))
	if perr != nil {
		return nil, perr
	}
	out := []any{}
	for _, m := range all[pg.lo:pg.hi] {
		out = append(out, map[string]any{"MountTargetId": m.ID, "FileSystemId": m.FileSystemID, "SubnetId": m.SubnetID, "VpcId": m.VPCID,
			"LifeCycleState": "available", "OwnerId": s.account})
	}
	return withToken(map[string]any{"MountTargets": out}, "NextMarker", pg.next), nil
}

func efsDescribeMTSGs(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	for _, m := range s.regionRT(ex.region).EFS.MountTargets {
		if m.ID == in.path[1] {
			return map[string]any{"SecurityGroups": append([]string{}, m.SecurityGroups...)}, nil
		}
	}
	return nil, newErr(http.StatusNotFound, "MountTargetNotFound", "Mount target '%s' does not exist.", in.path[1])
}

func efsDescribeAPs(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	id := in.query.Get("FileSystemId")
	var all []inventory.EFSAccessPoint
	for _, a := range s.regionRT(ex.region).EFS.AccessPoints {
		if id == "" || a.FileSystemID == id {
			all = append(all, a)
		}
	}
	pg, perr := s.queryPage(ex, in.query, "NextToken", "MaxResults", len(all))
	if perr != nil {
		return nil, perr
	}
	out := []any{}
	for _, a := range all[pg.lo:pg.hi] {
		out = append(out, map[string]any{"AccessPointId": a.ID, "AccessPointArn": a.ARN, "FileSystemId": a.FileSystemID, "LifeCycleState": "available", "OwnerId": s.account})
	}
	return withToken(map[string]any{"AccessPoints": out}, "NextToken", pg.next), nil
}

func efsCreateFS(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	b := in.body
	id := s.hexID("fs")
	fs := inventory.FileSystem{ID: id, ARN: fmt.Sprintf("arn:aws:elasticfilesystem:%s:%s:file-system/%s", ex.region, s.account, id),
		Encrypted: boolean(b, "Encrypted"), KMSKeyID: str(b, "KmsKeyId"), Tags: kvTags(objs(b, "Tags"))}
	if fs.Encrypted && fs.KMSKeyID == "" {
		fs.KMSKeyID = fmt.Sprintf("arn:aws:kms:%s:%s:alias/aws/elasticfilesystem", ex.region, s.account)
	}
	fs.Name = fs.Tags["Name"]
	e := s.regionRT(ex.region).EFS
	e.FileSystems = append(e.FileSystems, fs)
	return efsDesc(s, &e.FileSystems[len(e.FileSystems)-1], ex), nil
}

func efsPutPolicy(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	fs := s.fileSystem(ex.region, in.path[1])
	if fs == nil {
		return nil, efsNotFound(in.path[1])
	}
	d, err := policy.ParseString(str(in.body, "Policy"))
	if err != nil {
		return nil, newErr(http.StatusBadRequest, "InvalidPolicyException", "%v", err)
	}
	fs.Policy = d
	return map[string]any{"FileSystemId": fs.ID, "Policy": str(in.body, "Policy")}, nil
}

func efsCreateMT(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	b := in.body
	fs := s.fileSystem(ex.region, str(b, "FileSystemId"))
	if fs == nil {
		return nil, efsNotFound(str(b, "FileSystemId"))
	}
	vpc := ""
	for _, sn := range s.regionRT(ex.region).EC2.Subnets {
		if sn.ID == str(b, "SubnetId") {
			vpc = sn.VPCID
		}
	}
	if vpc == "" {
		return nil, newErr(http.StatusBadRequest, "SubnetNotFound", "Subnet '%s' does not exist.", str(b, "SubnetId"))
	}
	mt := inventory.MountTarget{ID: s.hexID("fsmt"), FileSystemID: fs.ID, SubnetID: str(b, "SubnetId"), VPCID: vpc, SecurityGroups: strs(b, "SecurityGroups")}
	e := s.regionRT(ex.region).EFS
	e.MountTargets = append(e.MountTargets, mt)
	return map[string]any{"MountTargetId": mt.ID, "FileSystemId": fs.ID, "SubnetId": mt.SubnetID, "VpcId": vpc, "LifeCycleState": "creating", "OwnerId": s.account}, nil
}

func efsCreateAP(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	fs := s.fileSystem(ex.region, str(in.body, "FileSystemId"))
	if fs == nil {
		return nil, efsNotFound(str(in.body, "FileSystemId"))
	}
	id := s.hexID("fsap")
	ap := inventory.EFSAccessPoint{ID: id, ARN: fmt.Sprintf("arn:aws:elasticfilesystem:%s:%s:access-point/%s", ex.region, s.account, id), FileSystemID: fs.ID}
	e := s.regionRT(ex.region).EFS
	e.AccessPoints = append(e.AccessPoints, ap)
	return map[string]any{"AccessPointId": id, "AccessPointArn": ap.ARN, "FileSystemId": fs.ID, "LifeCycleState": "creating", "OwnerId": s.account}, nil
}

// ---- Elastic Load Balancing v2 (Query) ----

func elbHandlers() map[string]rtHandler {
	return map[string]rtHandler{
		"DescribeLoadBalancers": elbDescribeLBs, "DescribeTargetGroups": elbDescribeTGs,
		"CreateLoadBalancer": elbCreateLB, "CreateTargetGroup": elbCreateTG, "CreateListener": elbCreateListener,
	}
}

func writeLB(x *xmlBuilder, l inventory.LoadBalancer) {
	x.open("member")
	x.el("LoadBalancerArn", l.ARN)
	x.el("LoadBalancerName", l.Name)
	x.el("Type", l.Type)
	x.el("Scheme", l.Scheme)
	x.el("VpcId", l.VPCID)
	x.open("State")
	x.el("Code", "active")
	x.close("State")
	x.open("SecurityGroups")
	for _, g := range l.SecurityGroups {
		x.el("member", g)
	}
	x.close("SecurityGroups")
	x.close("member")
}

func writeTG(x *xmlBuilder, t inventory.TargetGroup) {
	x.open("member")
	x.el("TargetGroupArn", t.ARN)
	x.el("TargetGroupName", t.Name)
	x.opt("VpcId", t.VPCID)
	x.open("LoadBalancerArns")
	for _, a := range t.LoadBalancers {
		x.el("member", a)
	}
	x.close("LoadBalancerArns")
	x.close("member")
}

func elbDescribeLBs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	all := s.regionRT(ex.region).ELB.LoadBalancers
	pg, perr := s.rtPage(ex, ex.form.get("Marker"), intOf(ex.form.get("PageSize")), len(all))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("LoadBalancers")
	for _, l := range all[pg.lo:pg.hi] {
		writeLB(x, l)
	}
	x.close("LoadBalancers")
	x.opt("NextMarker", pg.next)
	return x, nil
}

func elbDescribeTGs(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	all := s.regionRT(ex.region).ELB.TargetGroups
	pg, perr := s.rtPage(ex, ex.form.get("Marker"), intOf(ex.form.get("PageSize")), len(all))
	if perr != nil {
		return nil, perr
	}
	x := &xmlBuilder{}
	x.open("TargetGroups")
	for _, t := range all[pg.lo:pg.hi] {
		writeTG(x, t)
	}
	x.close("TargetGroups")
	x.opt("NextMarker", pg.next)
	return x, nil
}

func elbCreateLB(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	typ, scheme := f.get("Type"), f.get("Scheme")
	if typ == "" {
		typ = "application"
	}
	if scheme == "" {
		scheme = "internet-facing"
	}
	subnets := f.list("Subnets")
	vpc := ""
	for _, sn := range s.regionRT(ex.region).EC2.Subnets {
		if len(subnets) > 0 && sn.ID == subnets[0] {
			vpc = sn.VPCID
		}
	}
	short := map[string]string{"application": "app", "network": "net", "gateway": "gwy"}[typ]
	lb := inventory.LoadBalancer{ARN: fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s/%s/%s", ex.region, s.account, short, f.get("Name"), strings.TrimPrefix(s.hexID("x"), "x-")[:16]),
		Name: f.get("Name"), Type: typ, Scheme: scheme, VPCID: vpc, SecurityGroups: f.list("SecurityGroups")}
	e := s.regionRT(ex.region).ELB
	e.LoadBalancers = append(e.LoadBalancers, lb)
	x := &xmlBuilder{}
	x.open("LoadBalancers")
	writeLB(x, lb)
	x.close("LoadBalancers")
	return x, nil
}

func elbCreateTG(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	tg := inventory.TargetGroup{ARN: fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", ex.region, s.account, f.get("Name"), strings.TrimPrefix(s.hexID("x"), "x-")[:16]),
		Name: f.get("Name"), VPCID: f.get("VpcId")}
	e := s.regionRT(ex.region).ELB
	e.TargetGroups = append(e.TargetGroups, tg)
	x := &xmlBuilder{}
	x.open("TargetGroups")
	writeTG(x, tg)
	x.close("TargetGroups")
	return x, nil
}

func elbCreateListener(s *Server, ex *exchange, _ *rtInput) (any, *apiError) {
	f := ex.form
	lb := f.get("LoadBalancerArn")
	e := s.regionRT(ex.region).ELB
	if !slices.ContainsFunc(e.LoadBalancers, func(l inventory.LoadBalancer) bool { return l.ARN == lb }) {
		return nil, newErr(http.StatusBadRequest, "LoadBalancerNotFound", "Load balancer '%s' not found", lb)
	}
	for i := 1; ; i++ {
		k := fmt.Sprintf("DefaultActions.member.%d.TargetGroupArn", i)
		if !f.has(k) {
			break
		}
		for j := range e.TargetGroups {
			if e.TargetGroups[j].ARN == f.get(k) && !slices.Contains(e.TargetGroups[j].LoadBalancers, lb) {
				e.TargetGroups[j].LoadBalancers = append(e.TargetGroups[j].LoadBalancers, lb)
			}
		}
	}
	x := &xmlBuilder{}
	x.open("Listeners")
	x.open("member")
	x.el("ListenerArn", strings.Replace(lb, ":loadbalancer/", ":listener/", 1)+"/"+strings.TrimPrefix(s.hexID("x"), "x-")[:16])
	x.el("LoadBalancerArn", lb)
	x.close("member")
	x.close("Listeners")
	return x, nil
}

// ---- S3: the account's bucket list (REST-XML) ----

func handleListBuckets(s *Server, ex *exchange, in *rtInput) (any, *apiError) {
	var all []string
	if s.rt != nil {
		all = s.rt.buckets
	}
	pg, perr := s.queryPage(ex, in.query, "continuation-token", "max-buckets", len(all))
	if perr != nil {
		return nil, perr
	}
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")
	fmt.Fprintf(&b, "<Owner><ID>%s</ID></Owner><Buckets>", s.account)
	for _, name := range all[pg.lo:pg.hi] {
		fmt.Fprintf(&b, "<Bucket><Name>%s</Name><CreationDate>%s</CreationDate></Bucket>", xmlEscape(name), isoTime(ex.now))
	}
	b.WriteString("</Buckets>")
	if pg.next != "" {
		fmt.Fprintf(&b, "<ContinuationToken>%s</ContinuationToken>", xmlEscape(pg.next))
	}
	b.WriteString("</ListAllMyBucketsResult>\n")
	return []byte(b.String()), nil
}
