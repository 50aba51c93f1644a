package awsfake

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// principal is the authenticated caller of one request.
type principal struct {
	kind        string // "IAMUser" or "AssumedRole"
	arn         string // user ARN, or the assumed-role session ARN
	id          string // principalId: AIDA… or AROA…:session
	accessKeyID string
	userName    string // the IAM user's name (IAMUser only)
	// account is the principal's own account; it differs from the
	// server's for external users.
	account string
	// AssumedRole only.
	roleName, roleARN, roleID, sessionName string
	sessionCreated                         time.Time
}

// exchange is one request being served. Handlers fill the outputs.
type exchange struct {
	ctx       context.Context
	service   string // iam, sts, cloudtrail
	action    string
	form      form
	body      []byte
	p         *principal
	now       time.Time
	requestID string
	region    string
	sourceIP  string
	userAgent string

	// Outputs used for the CloudTrail record.
	responseElements any
	resources        []trailResource
	// skipTrail is set for injected throttles and 5xx answers, which AWS
	// does not log as management events.
	skipTrail bool
}

type queryHandler func(s *Server, ex *exchange) (*xmlBuilder, *apiError)

func (s *Server) queryHandler(service, action string) (queryHandler, bool) {
	var h queryHandler
	var ok bool
	switch service {
	case "iam":
		h, ok = iamHandlers()[action]
	case "sts":
		h, ok = stsHandlers()[action]
	}
	return h, ok
}

// ServeHTTP answers one IAM, STS or CloudTrail request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if name := runtimeRoute(r); name != "" {
		s.serveRuntime(w, r, body, name) // EC2, Logs, CloudWatch, ECS, Lambda … (runtime.go)
		return
	}
	ex := &exchange{ctx: r.Context(), body: body, userAgent: r.UserAgent(), sourceIP: "127.0.0.1"}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ex.sourceIP = host
	}
	key, region, _ := accessKeyFromAuth(r)
	ex.region = region
	if ex.region == "" {
		ex.region = s.region
	}

	if target := r.Header.Get("X-Amz-Target"); target != "" {
		ex.service, ex.action = jsonService(target)
	} else {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			vals = url.Values{}
		}
		for k, v := range r.URL.Query() {
			if !strings.HasPrefix(k, "X-Amz-") {
				vals[k] = v
			}
		}
		ex.form = form{vals}
		ex.action = vals.Get("Action")
		switch vals.Get("Version") {
		case iamVersion:
			ex.service = "iam"
		case stsVersion:
			ex.service = "sts"
		default:
			s.mu.Lock()
			rid := s.newRequestID()
			s.mu.Unlock()
			writeQueryError(w, iamNamespace, newErr(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", ex.action, vals.Get("Version")), rid, false)
			return
		}
	}

	s.mu.Lock()
	latency := s.faults.Latency
	if len(s.faults.LatencyActions) > 0 && !s.faults.names(s.faults.LatencyActions, ex) {
		latency = 0
	}
	hang := s.faults.names(s.faults.Hang, ex)
	if hang {
		ex.now = s.now()
		s.logCall(ex, &apiError{Code: "NoResponse"})
	}
	s.mu.Unlock()
	if hang {
		// Accept the request and say nothing until the client gives up.
		<-r.Context().Done()
		return
	}
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
	malformed := s.faults.names(s.faults.MalformedBody, ex)
	dropMarker := s.faults.names(s.faults.DropMarker, ex)

	status, out, aerr := s.serveLocked(ex, key, r)
	s.logCall(ex, aerr)
	if ex.p != nil && !ex.skipTrail && !isJSON(ex.service) {
		s.appendRecord(ex, aerr)
	}

	if aerr == nil && malformed {
		writeMalformed(w, ex.requestID)
		return
	}
	if aerr == nil && dropMarker {
		out = dropPageMarker(out)
	}
	if isJSON(ex.service) {
		if aerr != nil {
			writeJSONError(w, aerr, ex.requestID)
			return
		}
		writeBody(w, status, "application/x-amz-json-1.1", ex.requestID, out, truncate)
		return
	}
	ns := iamNamespace
	if ex.service == "sts" {
		ns = stsNamespace
	}
	if aerr != nil {
		writeQueryError(w, ns, aerr, ex.requestID, truncate)
		return
	}
	writeBody(w, status, "text/xml", ex.requestID, out, truncate)
}

// serveLocked authenticates, injects faults, authorizes and runs the handler.
func (s *Server) serveLocked(ex *exchange, key string, r *http.Request) (int, []byte, *apiError) {
	if isJSON(ex.service) {
		if _, ok := jsonHandlers(ex.service)[ex.action]; !ok {
			return 0, nil, newErr(http.StatusBadRequest, "UnknownOperationException", "Unknown operation %s", ex.action)
		}
	} else if _, ok := s.queryHandler(ex.service, ex.action); !ok {
		return 0, nil, newErr(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", ex.action, ex.form.get("Version"))
	}

	p, secret, aerr := s.authenticate(ex, key, r.Header.Get("X-Amz-Security-Token"))
	if aerr != nil {
		return 0, nil, aerr
	}
	if s.verifySig && !verifySignature(r, ex.body, secret) {
		msg := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
		if isJSON(ex.service) {
			return 0, nil, newErr(http.StatusBadRequest, "InvalidSignatureException", "%s", msg)
		}
		return 0, nil, newErr(http.StatusForbidden, "SignatureDoesNotMatch", "%s", msg)
	}
	ex.p = p
	if aerr := s.injectFault(ex); aerr != nil {
		return 0, nil, aerr
	}
	if s.authorize {
		if aerr := s.authorizeCall(ex); aerr != nil {
			return 0, nil, aerr
		}
	}
	if isJSON(ex.service) {
		out, aerr := jsonHandlers(ex.service)[ex.action](s, ex)
		if aerr != nil {
			return 0, nil, aerr
		}
		return http.StatusOK, out, nil
	}
	h, _ := s.queryHandler(ex.service, ex.action)
	result, aerr := h(s, ex)
	if aerr != nil {
		return 0, nil, aerr
	}
	ns := iamNamespace
	if ex.service == "sts" {
		ns = stsNamespace
	}
	return http.StatusOK, queryResponse(ns, ex.action, ex.requestID, result), nil
}

// authenticate maps the request's access key to a principal and returns
// the key's secret.
func (s *Server) authenticate(ex *exchange, key, token string) (*principal, string, *apiError) {
	invalid := func() *apiError {
		if isJSON(ex.service) {
			return newErr(http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
		}
		return newErr(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	if key == "" {
		if isJSON(ex.service) {
			return nil, "", newErr(http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		}
		return nil, "", newErr(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	if k, ok := s.st.keys[key]; ok {
		u, ok := s.st.users[k.userName]
		if !ok || k.status != "Active" {
			return nil, "", invalid()
		}
		return &principal{kind: "IAMUser", arn: u.arn, id: u.id, accessKeyID: key, userName: u.name, account: s.account}, k.secret, nil
	}
	if x, ok := s.st.external[key]; ok {
		return &principal{kind: "IAMUser", arn: x.arn, id: x.id, accessKeyID: key, userName: x.name, account: x.account}, x.secret, nil
	}
	if sess, ok := s.st.sessions[key]; ok {
		if token != sess.token {
			return nil, "", invalid()
		}
		if !ex.now.Before(sess.expires) {
			if isJSON(ex.service) {
				return nil, "", newErr(http.StatusBadRequest, "ExpiredTokenException", "The security token included in the request is expired")
			}
			return nil, "", newErr(http.StatusBadRequest, "ExpiredToken", "The security token included in the request is expired")
		}
		return &principal{
			kind: "AssumedRole", arn: sess.arn, id: sess.roleID + ":" + sess.sessionName, accessKeyID: key,
			roleName: sess.roleName, roleARN: sess.roleARN, roleID: sess.roleID, sessionName: sess.sessionName,
			sessionCreated: sess.created, account: s.account,
		}, sess.secret, nil
	}
	return nil, "", invalid()
}

// injectFault answers the configured throttling and action failures.
func (s *Server) injectFault(ex *exchange) *apiError {
	f := s.faults
	if len(f.ThrottleActions) == 0 || f.names(f.ThrottleActions, ex) {
		burst := false
		if f.ThrottleFirst > 0 {
			s.throttleSeen++
			burst = s.throttleSeen <= f.ThrottleFirst
		}
		if burst || (f.ThrottleRate > 0 && s.faultRNG.Float64() < f.ThrottleRate) {
			return s.throttle(ex)
		}
	}
	if ex.service == "iam" && !isReadOnly(ex.action) {
		s.writes++
		if f.FailWrite > 0 && s.writes == f.FailWrite {
			kind := f.FailWriteKind
			if kind == "" {
				kind = FaultAccessDenied
			}
			return s.failWith(ex, kind)
		}
	}
	kind, ok := f.Fail[ex.action]
	if !ok {
		kind, ok = f.Fail[ex.service+":"+ex.action]
	}
	if !ok {
		return nil
	}
	after, counted := f.FailAfter[ex.action]
	if !counted {
		after, counted = f.FailAfter[ex.service+":"+ex.action]
	}
	if counted {
		if s.actionCalls == nil {
			s.actionCalls = map[string]int{}
		}
		s.actionCalls[ex.action]++
		if s.actionCalls[ex.action] <= after {
			return nil
		}
	}
	return s.failWith(ex, kind)
}

// throttle answers Throttling as the service spells it.
func (s *Server) throttle(ex *exchange) *apiError {
	ex.skipTrail = true
	if isJSON(ex.service) {
		return newErr(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
	}
	return newErr(http.StatusBadRequest, "Throttling", "Rate exceeded")
}

// failWith answers an injected failure of the given kind.
func (s *Server) failWith(ex *exchange, kind FaultKind) *apiError {
	switch kind {
	case FaultAccessDenied:
		return s.accessDenied(ex, ex.service+":"+ex.action, "*", "")
	case FaultThrottle:
		return s.throttle(ex)
	case FaultUnavailable:
		ex.skipTrail = true
		return newErr(http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable. Please try again later.")
	default:
		ex.skipTrail = true
		switch ex.service {
		case "iam":
			return newErr(http.StatusInternalServerError, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.")
		default:
			return newErr(http.StatusInternalServerError, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.")
		}
	}
}

// accessDenied builds the AccessDenied error IAM and STS answer. why is the
// reason clause ("" for the generic one).
func (s *Server) accessDenied(ex *exchange, action, resource, why string) *apiError {
	caller := "unknown"
	if ex.p != nil {
		caller = ex.p.arn
	}
	if why == "" {
		why = "because no identity-based policy allows the " + action + " action"
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", caller, action, resource, why)
	if isJSON(ex.service) {
		return newErr(http.StatusForbidden, "AccessDeniedException", "%s", msg)
	}
	return newErr(http.StatusForbidden, "AccessDenied", "%s", msg)
}

func (s *Server) logCall(ex *exchange, aerr *apiError) {
	c := Call{
		Seq: len(s.calls) + 1, Time: ex.now, Service: ex.service, Action: ex.action,
		ReadOnly: isReadOnly(ex.action), HTTPStatus: http.StatusOK,
	}
	if ex.p != nil {
		c.PrincipalARN = ex.p.arn
		c.AccessKeyID = ex.p.accessKeyID
	}
	if aerr != nil {
		c.ErrorCode = aerr.Code
		c.HTTPStatus = aerr.Status
	}
	s.calls = append(s.calls, c)
}

func writeBody(w http.ResponseWriter, status int, contentType, requestID string, body []byte, truncate bool) {
	if truncate {
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeMalformed answers 200 with what a misconfigured proxy returns
// instead of the service's response.
func writeMalformed(w http.ResponseWriter, requestID string) {
	body := []byte("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n")
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// dropPageMarker removes the Marker (IAM) or NextToken (CloudTrail) of a
// page and leaves IsTruncated as it was.
func dropPageMarker(body []byte) []byte {
	b := markerXML.ReplaceAll(body, nil)
	return nextTokenJSON.ReplaceAll(b, nil)
}

var (
	markerXML     = regexp.MustCompile(`\s*<Marker>[^<]*</Marker>`)
	nextTokenJSON = regexp.MustCompile(`,?"NextToken":"[^"]*"`)
)

func writeQueryError(w http.ResponseWriter, ns string, e *apiError, requestID string, truncate bool) {
	writeBody(w, e.Status, "text/xml", requestID, queryError(ns, e, requestID), truncate)
}

func writeJSONError(w http.ResponseWriter, e *apiError, requestID string) {
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeBody(w, e.Status, "application/x-amz-json-1.1", requestID, jsonError(e), false)
}
