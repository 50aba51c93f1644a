package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/pvaudit/pvaudit/inventory"
)

// The runtime services: the network and compute APIs pvaudit reads for a
// snapshot's runtime section, each over its real wire protocol —
//
//	EC2                         Query (ec2query): Action/Version=2016-11-15 form, XML answers with <requestId>
//	Elastic Load Balancing v2   Query (awsquery): Version=2015-12-01, <XResponse><XResult>
//	CloudWatch (alarms)         Smithy RPC v2 CBOR: POST /service/GraniteServiceVersion20100801/operation/OP
//	CloudWatch Logs, ECS        AWS JSON 1.1: X-Amz-Target Logs_20140328.OP / AmazonEC2ContainerServiceV20141113.OP
//	Step Functions              AWS JSON 1.0: X-Amz-Target AWSStepFunctions.OP
//	Lambda, EFS                 REST-JSON: /2015-03-31/functions…, /2015-02-01/file-systems…
//	S3 (the bucket list)        REST-XML: GET / → ListAllMyBucketsResult
//
// Requests are routed by the service of their SigV4 credential scope.
// Every call is authenticated, signature-checked, fault-injected,
// authorized (as SERVICE:ACTION, the IAM action), logged and recorded in
// CloudTrail like IAM's. State is one inventory.RegionRuntime per region:
// what the API writes is what pvaudit reads back.

// runtimeState is the fake's network, logging and compute.
type runtimeState struct {
	regions map[string]*inventory.RegionRuntime
	buckets []string
}

func newRuntimeState() *runtimeState {
	return &runtimeState{regions: map[string]*inventory.RegionRuntime{}}
}

// region returns a region's state, creating it empty.
func (s *Server) regionRT(name string) *inventory.RegionRuntime {
	if s.rt == nil {
		s.rt = newRuntimeState()
	}
	r, ok := s.rt.regions[name]
	if !ok {
		r = &inventory.RegionRuntime{Region: name, EC2: &inventory.EC2{}, Logs: &inventory.Logs{}, CloudWatch: &inventory.CloudWatch{},
			StepFunctions: &inventory.StepFunctions{}, EFS: &inventory.EFS{}, Lambda: &inventory.Lambda{}, ECS: &inventory.ECS{}, ELB: &inventory.ELB{}}
		s.rt.regions[name] = r
	}
	return r
}

// AddBucket adds a bucket the account owns (what ListBuckets lists).
func (s *Server) AddBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rt == nil {
		s.rt = newRuntimeState()
	}
	s.rt.buckets = append(s.rt.buckets, name)
	sort.Strings(s.rt.buckets)
}

// Runtime returns a copy of the runtime state, normalized as a snapshot's
// (for tests comparing what pvaudit read with what the endpoint holds).
func (s *Server) Runtime() *inventory.Runtime {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := &inventory.Runtime{Regions: []inventory.RegionRuntime{}, S3: &inventory.S3Buckets{Buckets: []string{}}}
	if s.rt == nil {
		return rt
	}
	b, _ := json.Marshal(s.rt.regions)
	var regions map[string]inventory.RegionRuntime
	_ = json.Unmarshal(b, &regions)
	for _, r := range regions {
		rt.Regions = append(rt.Regions, r)
	}
	rt.S3.Buckets = append(rt.S3.Buckets, s.rt.buckets...)
	snap := &inventory.Snapshot{Runtime: rt}
	snap.Normalize()
	return snap.Runtime
}

// protocol is a runtime service's wire protocol.
type protocol int

const (
	protoEC2 protocol = iota
	protoQuery
	protoCBOR
	protoJSON
	protoREST
	protoS3
)

// runtimeService describes one service by its SigV4 signing name.
type runtimeService struct {
	iam      string // IAM action prefix
	proto    protocol
	json10   bool   // AWS JSON 1.0 (else 1.1)
	target   string // X-Amz-Target prefix of JSON services
	source   string // CloudTrail eventSource
	xmlNS    string // Query namespace
	throttle string // the service's throttling error code
	denied   string // the service's access-denied error code
}

// runtimeServices are keyed by SigV4 signing name (read-only).
var runtimeServices = map[string]runtimeService{
	"ec2":                  {iam: "ec2", proto: protoEC2, source: "ec2.amazonaws.com", xmlNS: "http://ec2.amazonaws.com/doc/2016-11-15/", throttle: "RequestLimitExceeded", denied: "UnauthorizedOperation"},
	"elasticloadbalancing": {iam: "elasticloadbalancing", proto: protoQuery, source: "elasticloadbalancing.amazonaws.com", xmlNS: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/", throttle: "Throttling", denied: "AccessDenied"},
	"monitoring":           {iam: "cloudwatch", proto: protoCBOR, source: "monitoring.amazonaws.com", throttle: "Throttling", denied: "AccessDenied"},
	"logs":                 {iam: "logs", proto: protoJSON, target: "Logs_20140328.", source: "logs.amazonaws.com", throttle: "ThrottlingException", denied: "AccessDeniedException"},
	"ecs":                  {iam: "ecs", proto: protoJSON, target: "AmazonEC2ContainerServiceV20141113.", source: "ecs.amazonaws.com", throttle: "ThrottlingException", denied: "AccessDeniedException"},
	"states":               {iam: "states", proto: protoJSON, json10: true, target: "AWSStepFunctions.", source: "states.amazonaws.com", throttle: "ThrottlingException", denied: "AccessDeniedException"},
	"lambda":               {iam: "lambda", proto: protoREST, source: "lambda.amazonaws.com", throttle: "TooManyRequestsException", denied: "AccessDeniedException"},
	"elasticfilesystem":    {iam: "elasticfilesystem", proto: protoREST, source: "elasticfilesystem.amazonaws.com", throttle: "ThrottlingException", denied: "AccessDeniedException"},
	"s3":                   {iam: "s3", proto: protoS3, source: "s3.amazonaws.com", throttle: "SlowDown", denied: "AccessDenied"},
}

// rtInput is a decoded runtime request.
type rtInput struct {
	// body is the JSON or CBOR body as Go values (map[string]any …).
	body map[string]any
	// path are the REST path segments after the version, unescaped.
	path  []string
	query url.Values
}

// rtHandler serves one runtime operation. It returns the answer for the
// service's protocol: *xmlBuilder for EC2 and ELBv2, map[string]any for
// the JSON, REST and CBOR services, []byte for S3.
type rtHandler func(s *Server, ex *exchange, in *rtInput) (any, *apiError)

// runtimeRoute returns the signing name of a runtime request, "" for
// another service.
func runtimeRoute(r *http.Request) string {
	_, _, svc := accessKeyFromAuth(r)
	if _, ok := runtimeServices[svc]; ok {
		return svc
	}
	return ""
}

// serveRuntime answers one runtime request.
func (s *Server) serveRuntime(w http.ResponseWriter, r *http.Request, body []byte, name string) {
	svc := runtimeServices[name]
	ex := &exchange{ctx: r.Context(), body: body, userAgent: r.UserAgent(), sourceIP: "127.0.0.1", service: svc.iam}
	key, region, _ := accessKeyFromAuth(r)
	ex.region = region
	if ex.region == "" {
		ex.region = s.region
	}
	in := &rtInput{query: r.URL.Query()}
	var h rtHandler
	var status = http.StatusOK
	var aerr *apiError
	switch svc.proto {
	case protoEC2, protoQuery:
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			vals = url.Values{}
		}
		ex.form = form{vals}
		ex.action = vals.Get("Action")
		if svc.proto == protoEC2 {
			h = ec2Handlers()[ex.action]
		} else {
			h = elbHandlers()[ex.action]
		}
	case protoJSON:
		ex.action = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), svc.target)
		switch name {
		case "logs":
			h = logsHandlers()[ex.action]
		case "ecs":
			h = ecsHandlers()[ex.action]
		case "states":
			h = sfnHandlers()[ex.action]
		}
		aerr = decodeJSONBody(body, in)
	case protoCBOR:
		rest, ok := strings.CutPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/")
		if ok {
			ex.action = rest
			h = cloudWatchHandlers()[ex.action]
		}
		aerr = decodeCBORBody(body, in)
	case protoREST:
		var st int
		ex.action, in.path, st = restRoute(name, r.Method, r.URL.Path)
		if st != 0 {
			status = st
		}
		if name == "lambda" {
			h = lambdaHandlers()[ex.action]
		} else {
			h = efsHandlers()[ex.action]
		}
		aerr = decodeJSONBody(body, in)
	case protoS3:
		if r.Method == http.MethodGet && (r.URL.Path == "/" || r.URL.Path == "") {
			ex.action = "ListAllMyBuckets"
			h = handleListBuckets
		}
	}
	if h == nil {
		op := ex.action
		if op == "" {
			op = r.Method + " " + r.URL.Path
		}
		aerr = newErr(http.StatusBadRequest, "UnknownOperationException", "awsfake does not serve %s %s", name, op)
		if svc.proto == protoEC2 || svc.proto == protoQuery {
			aerr = newErr(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", op)
		}
	}

	s.mu.Lock()
	latency := s.faults.Latency
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	ex.now = s.now()
	ex.requestID = s.newRequestID()
	truncate := s.faults.names(s.faults.TruncateBody, ex)
	var out any
	if aerr == nil {
		out, aerr = s.runtimeLocked(ex, key, r, h, in)
	}
	s.logCall(ex, aerr)
	if ex.p != nil && !ex.skipTrail {
		s.appendRecord(ex, aerr)
	}
	if aerr != nil {
		writeRuntimeError(w, name, svc, aerr, ex.requestID, truncate)
		return
	}
	var b []byte
	ct := "application/json"
	switch svc.proto {
	case protoEC2:
		b = ec2Response(svc.xmlNS, ex.action, ex.requestID, out.(*xmlBuilder))
		ct = "text/xml;charset=UTF-8"
	case protoQuery:
		b = queryResponse(svc.xmlNS, ex.action, ex.requestID, out.(*xmlBuilder))
		ct = "text/xml"
	case protoCBOR:
		b = cbor.Encode(toCBOR(out))
		ct = "application/cbor"
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	case protoJSON:
		b, _ = json.Marshal(out)
		ct = "application/x-amz-json-1.1"
		if svc.json10 {
			ct = "application/x-amz-json-1.0"
		}
	case protoREST:
		b, _ = json.Marshal(out)
	case protoS3:
		b = out.([]byte)
		ct = "application/xml"
	}
	writeBody(w, status, ct, ex.requestID, b, truncate)
}

// runtimeLocked authenticates, injects faults, authorizes and runs the
// handler.
func (s *Server) runtimeLocked(ex *exchange, key string, r *http.Request, h rtHandler, in *rtInput) (any, *apiError) {
	p, secret, aerr := s.authenticate(ex, key, r.Header.Get("X-Amz-Security-Token"))
	if aerr != nil {
		return nil, aerr
	}
	if s.verifySig && !verifySignature(r, ex.body, secret) {
		return nil, newErr(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	}
	ex.p = p
	if aerr := s.injectFault(ex); aerr != nil {
		return nil, aerr
	}
	if s.authorize {
		if aerr := s.authorizeCall(ex); aerr != nil {
			return nil, aerr
		}
	}
	return h(s, ex, in)
}

// writeRuntimeError answers an error in the service's error shape, with
// the service's own codes for access denied and throttling.
func writeRuntimeError(w http.ResponseWriter, name string, svc runtimeService, e *apiError, requestID string, truncate bool) {
	code := e.Code
	switch code {
	case "AccessDenied", "AccessDeniedException":
		code = svc.denied
	case "Throttling", "ThrottlingException":
		code = svc.throttle
	case "InvalidClientTokenId", "UnrecognizedClientException":
		if svc.proto == protoJSON || svc.proto == protoREST || svc.proto == protoCBOR {
			code = "UnrecognizedClientException"
		} else if svc.proto == protoEC2 {
			code = "AuthFailure"
		}
	case "ServiceFailure", "InternalFailure":
		if svc.proto == protoEC2 {
			code = "InternalError"
		}
	}
	status := e.Status
	if code == "RequestLimitExceeded" || code == "SlowDown" {
		status = http.StatusServiceUnavailable
	}
	var body []byte
	ct := "application/json"
	switch svc.proto {
	case protoEC2:
		body = []byte(fmt.Sprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>\n",
			xmlEscape(code), xmlEscape(e.Message), requestID))
		ct = "text/xml;charset=UTF-8"
	case protoQuery:
		c := *e
		c.Code = code
		body = queryError(svc.xmlNS, &c, requestID)
		ct = "text/xml"
	case protoS3:
		body = []byte(fmt.Sprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>\n",
			xmlEscape(code), xmlEscape(e.Message), requestID))
		ct = "application/xml"
	case protoCBOR:
		fault := "Sender"
		if status >= 500 {
			fault = "Receiver"
		}
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("X-Amzn-Query-Error", code+";"+fault)
		body = cbor.Encode(cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#" + code), "message": cbor.String(e.Message)})
		ct = "application/cbor"
	default:
		w.Header().Set("X-Amzn-ErrorType", code)
		body, _ = json.Marshal(map[string]string{"__type": code, "message": e.Message})
		if svc.proto == protoJSON {
			ct = "application/x-amz-json-1.1"
			if svc.json10 {
				ct = "application/x-amz-json-1.0"
			}
		}
	}
	writeBody(w, status, ct, requestID, body, truncate)
}

// ec2Response renders an EC2 Query success body: the result's elements
// directly under <ActionResponse>, after <requestId>.
func ec2Response(ns, action, requestID string, result *xmlBuilder) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse xmlns=\"%s\">\n  <requestId>%s</requestId>", action, ns, requestID)
	if result != nil {
		b.WriteString(strings.ReplaceAll(result.b.String(), "\n", "\n  "))
	}
	fmt.Fprintf(&b, "\n</%sResponse>\n", action)
	return []byte(b.String())
}

func decodeJSONBody(body []byte, in *rtInput) *apiError {
	in.body = map[string]any{}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, &in.body); err != nil {
		return newErr(http.StatusBadRequest, "SerializationException", "the request body is not a JSON object: %v", err)
	}
	return nil
}

func decodeCBORBody(body []byte, in *rtInput) *apiError {
	in.body = map[string]any{}
	if len(body) == 0 {
		return nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return newErr(http.StatusBadRequest, "SerializationException", "the request body is not CBOR: %v", err)
	}
	m, ok := fromCBOR(v).(map[string]any)
	if !ok {
		return newErr(http.StatusBadRequest, "SerializationException", "the request body is not a CBOR map")
	}
	in.body = m
	return nil
}

// fromCBOR turns a CBOR value into the Go values encoding/json gives.
func fromCBOR(v cbor.Value) any {
	switch x := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = fromCBOR(e)
		}
		return m
	case cbor.List:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromCBOR(e)
		}
		return out
	case cbor.String:
		return string(x)
	case cbor.Uint:
		return float64(x)
	case cbor.NegInt:
		return -float64(x)
	case cbor.Float32:
		return float64(x)
	case cbor.Float64:
		return float64(x)
	case cbor.Bool:
		return bool(x)
	case *cbor.Tag:
		return fromCBOR(x.Value)
	}
	return nil
}

// toCBOR turns Go values into CBOR: numbers that are whole and small stay
// integers, others are doubles (Smithy decodes both for its number types).
func toCBOR(v any) cbor.Value {
	switch x := v.(type) {
	case map[string]any:
		m := cbor.Map{}
		for k, e := range x {
			if e != nil {
				m[k] = toCBOR(e)
			}
		}
		return m
	case []any:
		l := make(cbor.List, len(x))
		for i, e := range x {
			l[i] = toCBOR(e)
		}
		return l
	case []string:
		l := make(cbor.List, len(x))
		for i, e := range x {
			l[i] = cbor.String(e)
		}
		return l
	case []map[string]any:
		l := make(cbor.List, len(x))
		for i, e := range x {
			l[i] = toCBOR(e)
		}
		return l
	case string:
		return cbor.String(x)
	case bool:
		return cbor.Bool(x)
	case int:
		if x >= 0 {
			return cbor.Uint(x)
		}
		return cbor.NegInt(-x)
	case float64:
		return cbor.Float64(x)
	}
	return &cbor.Nil{}
}

// ---- input helpers ----

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m map[string]any, k string) (float64, bool) {
	switch x := m[k].(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func strs(m map[string]any, k string) []string {
	l, _ := m[k].([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func objs(m map[string]any, k string) []map[string]any {
	l, _ := m[k].([]any)
	var out []map[string]any
	for _, e := range l {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

// kvTags reads [{key|Key, value|Value}] tag lists.
func kvTags(l []map[string]any) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, t := range l {
		k, v := str(t, "key"), str(t, "value")
		if k == "" {
			k, v = str(t, "Key"), str(t, "Value")
		}
		out[k] = v
	}
	return out
}

func tagList(m map[string]string, key, value string) []any {
	out := []any{}
	for _, k := range sortedKeysOf(m) {
		out = append(out, map[string]any{key: k, value: m[k]})
	}
	return out
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// hexID returns prefix-… with 17 hexadecimal digits, as EC2 names resources.
func (s *Server) hexID(prefix string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 17)
	for i := range b {
		b[i] = hex[s.rng.IntN(16)]
	}
	return prefix + "-" + string(b)
}

func errNotFound(code, format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, code, format, args...)
}

// runtimeEventSource is the CloudTrail eventSource of a runtime service by
// its IAM prefix ("" for others).
func runtimeEventSource(iamPrefix string) string {
	for _, svc := range runtimeServices {
		if svc.iam == iamPrefix {
			return svc.source
		}
	}
	return ""
}

// AddTransitGateway adds transit gateway attachments and route tables to a
// region, without going through the API (pvaudit reads transit gateways but
// the endpoint does not serve their creation). Routes of VPC route tables
// to the gateway are created with ec2:CreateRoute as usual.
func (s *Server) AddTransitGateway(region string, attachments []inventory.TransitGatewayAttach, tables []inventory.TransitGatewayRouteTb) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.regionRT(region).EC2
	e.TransitGatewayAttachments = append(e.TransitGatewayAttachments, attachments...)
	e.TransitGatewayRouteTables = append(e.TransitGatewayRouteTables, tables...)
}
