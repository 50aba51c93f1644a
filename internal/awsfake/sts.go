package awsfake

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/policy"
)

func stsHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"GetCallerIdentity": (*Server).stsGetCallerIdentity,
		"AssumeRole":        (*Server).stsAssumeRole,
	}
}

func (s *Server) stsGetCallerIdentity(ex *exchange) (*xmlBuilder, *apiError) {
	x := &xmlBuilder{}
	x.el("UserId", ex.p.id)
	x.el("Account", s.account)
	x.el("Arn", ex.p.arn)
	return x, nil
}

// ctExpiration is the format CloudTrail writes AssumeRole's
// responseElements.credentials.expiration in.
const ctExpiration = "Jan 2, 2006, 3:04:05 PM"

func (s *Server) stsAssumeRole(ex *exchange) (*xmlBuilder, *apiError) {
	f := ex.form
	if aerr := f.required("RoleArn", "RoleSessionName"); aerr != nil {
		return nil, aerr
	}
	roleARN := f.get("RoleArn")
	sessionName := f.get("RoleSessionName")
	if len(sessionName) < 2 || len(sessionName) > 64 || !nameChars(sessionName) {
		return nil, errValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", sessionName)
	}
	duration, aerr := f.int("DurationSeconds", 3600)
	if aerr != nil {
		return nil, aerr
	}
	if duration < 900 {
		return nil, errValidation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", duration)
	}
	var sessionPolicies []NamedDoc
	if p := f.get("Policy"); p != "" {
		if aerr := validateDoc(p, false); aerr != nil {
			return nil, aerr
		}
		sessionPolicies = append(sessionPolicies, NamedDoc{Name: "session-policy", Doc: p})
	}
	for i := 1; ; i++ {
		arn := f.get("PolicyArns.member." + strconv.Itoa(i) + ".arn")
		if arn == "" {
			break
		}
		mp, ok := s.st.policies[arn]
		if !ok {
			return nil, newErr(http.StatusBadRequest, "MalformedPolicyDocument", "Policy %s does not exist or is not attachable.", arn)
		}
		sessionPolicies = append(sessionPolicies, NamedDoc{Name: arn, Doc: mp.defaultDoc()})
	}
	r := s.roleByARN(roleARN)
	denied := func() *apiError {
		return s.accessDenied(ex, "sts:AssumeRole", roleARN, "")
	}
	if r == nil {
		return nil, denied()
	}
	ctx := s.globalContext(ex)
	ctx["sts:RoleSessionName"] = []string{sessionName}
	if ext := f.get("ExternalId"); ext != "" {
		ctx["sts:ExternalId"] = []string{ext}
	}
	if si := f.get("SourceIdentity"); si != "" {
		ctx["sts:SourceIdentity"] = []string{si}
	}
	allowed, viaAccount := s.trustAllows(r.trust, ex.p, ctx)
	if !allowed {
		return nil, denied()
	}
	// A caller of this account trusted through the account (not by its ARN)
	// also needs its own permission. Another account's caller is authorized
	// by its own account, which this endpoint does not model: trust decides.
	if s.authorize && viaAccount && ex.p.account == s.account {
		if aerr := s.authorizeOne(ex, authzCheck{action: "sts:AssumeRole", resource: r.arn, ctx: ctx}); aerr != nil {
			return nil, aerr
		}
	}
	chained := ex.p.kind == "AssumedRole"
	if chained && duration > 3600 {
		return nil, errValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if int32(duration) > r.maxSession {
		return nil, errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	sess := &session{
		keyID: s.newID("ASIA", 16), secret: s.newSecret(), token: "FwoGZXIvYXdzE" + s.newSecret() + s.newSecret(),
		roleName: r.name, roleARN: r.arn, roleID: r.id, sessionName: sessionName,
		arn:     "arn:aws:sts::" + s.account + ":assumed-role/" + r.name + "/" + sessionName,
		created: ex.now, expires: ex.now.Add(secondsDuration(duration)), sourceIdentity: f.get("SourceIdentity"),
		policies: sessionPolicies, chained: chained,
	}
	s.st.sessions[sess.keyID] = sess
	r.lastUsed = ex.now
	assumedID := r.id + ":" + sessionName
	ex.addResource("AWS::IAM::AccessKey", sess.keyID)
	ex.addResource("AWS::STS::AssumedRole", assumedID)
	ex.addResource("AWS::IAM::Role", r.arn)
	ex.responseElements = map[string]any{
		"credentials": map[string]any{
			"accessKeyId":  sess.keyID,
			"sessionToken": sess.token,
			"expiration":   sess.expires.Format(ctExpiration),
		},
		"assumedRoleUser": map[string]any{"assumedRoleId": assumedID, "arn": sess.arn},
	}
	x := &xmlBuilder{}
	x.open("Credentials")
	x.el("AccessKeyId", sess.keyID)
	x.el("SecretAccessKey", sess.secret)
	x.el("SessionToken", sess.token)
	x.time("Expiration", sess.expires)
	x.close("Credentials")
	x.open("AssumedRoleUser")
	x.el("AssumedRoleId", assumedID)
	x.el("Arn", sess.arn)
	x.close("AssumedRoleUser")
	x.opt("SourceIdentity", sess.sourceIdentity)
	return x, nil
}

func (s *Server) roleByARN(arn string) *role {
	name := arn[strings.LastIndex(arn, "/")+1:]
	r, ok := s.st.roles[name]
	if !ok || r.arn != arn {
		return nil
	}
	return r
}

// trustAllows decides with pvaudit's evaluator whether a role's trust policy
// lets p call sts:AssumeRole. viaAccount reports that every allowing
// statement named the account (or everyone) rather than the caller, so the
// caller's own identity policy must allow the call too.
func (s *Server) trustAllows(doc string, p *principal, ctx map[string][]string) (allowed, viaAccount bool) {
	d, err := policy.ParseString(doc)
	if err != nil {
		return false, false
	}
	res, err := policy.TrustAllows(d, p.arn, ctx)
	if err != nil || !res.Evaluable() || res.Decision != policy.Allow {
		return false, false
	}
	viaAccount = true
	for _, m := range res.Matched {
		if m.Index < 0 || m.Index >= len(d.Statements) {
			continue
		}
		pr := d.Statements[m.Index].Principal
		if pr == nil {
			continue
		}
		for _, v := range pr.AWS {
			if v == p.arn || (p.roleARN != "" && v == p.roleARN) {
				viaAccount = false
			}
		}
	}
	return true, viaAccount
}

func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }
