package trail

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// Check IDs of session findings.
const (
	CheckUntrustedAssumer = "TRAIL-001" // assumed by someone other than the trusted provisioner
	CheckNoExternalID     = "TRAIL-002" // assumed without ExternalId where one is required
	CheckSessionDuration  = "TRAIL-003" // session longer than promised
	CheckCallAfterExpiry  = "TRAIL-004" // calls after the credentials expired
	CheckRoleNoBoundary   = "TRAIL-005" // CreateRole without the boundary
	CheckProtectedIAM     = "TRAIL-006" // IAM mutation on the cross-account role or boundary
	CheckUserOrKey        = "TRAIL-007" // IAM users or access keys created
	CheckServiceOutside   = "TRAIL-008" // service outside the documented list
	CheckGuardrailHeld    = "TRAIL-009" // denied calls: the guardrails held
	CheckOrphanCalls      = "TRAIL-010" // calls whose AssumeRole was not in the input
	CheckUndecodable      = "TRAIL-011" // files or records that could not be read, or a window not covered
	CheckConflict         = "TRAIL-012" // one event recorded with different contents
	CheckDigest           = "TRAIL-013" // log files or digests that fail digest verification
)

// CheckIDs lists the session finding IDs, sorted.
func CheckIDs() []string {
	out := make([]string, 0, len(titles))
	for id := range titles {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Describe returns a session check's title, remediation and controls.
func Describe(id string) (title, remediation string, ctls []finding.Control) {
	return titles[id], remediations[id], controls(id)
}

func ctl(pairs ...string) []finding.Control {
	out := make([]finding.Control, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, finding.Control{Framework: pairs[i], ID: pairs[i+1]})
	}
	return out
}

const (
	hipaa  = "HIPAA"
	n53    = "NIST-800-53r5"
	n171   = "NIST-800-171r2"
	auditC = "164.312(b)"
)

// controls maps each check to the compliance controls it gives evidence for.
func controls(check string) []finding.Control {
	switch check {
	case CheckUntrustedAssumer:
		return ctl(hipaa, "164.312(a)(1)", hipaa, auditC, n53, "AC-2", n53, "AC-3", n53, "AU-6", n171, "3.1.1", n171, "3.3.1")
	case CheckNoExternalID:
		return ctl(hipaa, "164.312(d)", n53, "IA-9", n53, "AC-3", n171, "3.5.2")
	case CheckSessionDuration, CheckCallAfterExpiry:
		return ctl(hipaa, "164.312(a)(2)(iii)", hipaa, auditC, n53, "AC-12", n53, "AU-6", n171, "3.1.11", n171, "3.3.1")
	case CheckRoleNoBoundary:
		return ctl(hipaa, "164.312(a)(1)", n53, "AC-6", n53, "AC-6(10)", n53, "AC-2", n171, "3.1.5", n171, "3.1.7")
	case CheckProtectedIAM:
		return ctl(hipaa, "164.312(a)(1)", n53, "AC-6(10)", n53, "CM-5", n53, "AU-6", n171, "3.1.7", n171, "3.4.5")
	case CheckUserOrKey:
		return ctl(hipaa, "164.312(a)(2)(i)", n53, "AC-2", n53, "IA-5", n171, "3.1.1", n171, "3.5.1")
	case CheckServiceOutside:
		return ctl(hipaa, "164.312(a)(1)", n53, "AC-6", n53, "CM-7", n171, "3.1.5", n171, "3.4.6")
	case CheckGuardrailHeld:
		return ctl(hipaa, auditC, n53, "AU-6", n53, "AC-6(9)", n171, "3.3.1", n171, "3.1.7")
	case CheckOrphanCalls, CheckUndecodable:
		return ctl(hipaa, auditC, n53, "AU-6", n53, "AU-9", n171, "3.3.1")
	case CheckConflict, CheckDigest:
		return ctl(hipaa, auditC, hipaa, "164.312(c)(1)", n53, "AU-9", n53, "AU-10", n53, "SI-7", n171, "3.3.8")
	}
	return nil
}

var titles = map[string]string{
	CheckUntrustedAssumer: "Cross-account role assumed by a principal other than the trusted provisioner",
	CheckNoExternalID:     "Cross-account role assumed without an ExternalId",
	CheckSessionDuration:  "Provider session longer than promised",
	CheckCallAfterExpiry:  "Calls recorded after the session's credentials expired",
	CheckRoleNoBoundary:   "Role created under a provider session without the permissions boundary",
	CheckProtectedIAM:     "IAM mutation attempted on the cross-account role or on a permissions boundary",
	CheckUserOrKey:        "IAM user or access key created under a provider session",
	CheckServiceOutside:   "Provider session called a service outside the documented list",
	CheckGuardrailHeld:    "Guardrail held: calls denied under a provider session",
	CheckOrphanCalls:      "Calls under the cross-account role whose AssumeRole was not in the replayed input",
	CheckUndecodable:      "CloudTrail input that could not be read, is not CloudTrail, or does not cover the window",
	CheckConflict:         "CloudTrail event recorded with different contents (forgery or a broken copy)",
	CheckDigest:           "CloudTrail log files or digests that fail digest verification",
}

var remediations = map[string]string{
	CheckUntrustedAssumer: "Restrict the role's trust policy to the provisioner principal; investigate the session's calls.",
	CheckNoExternalID:     "Add an sts:ExternalId condition to the role's trust policy.",
	CheckSessionDuration:  "Set the role's MaxSessionDuration to the promised lifetime (3600 seconds).",
	CheckCallAfterExpiry:  "Investigate how the calls were made; check for credential reuse or role chaining.",
	CheckRoleNoBoundary:   "Attach the pennsieve boundary to the created role (or delete it); restore the deny on CreateRole without the boundary.",
	CheckProtectedIAM:     "Review the change; restore the cross-account role's policy and the boundary from the contract.",
	CheckUserOrKey:        "Delete the user or access key; add an explicit deny for iam:CreateUser and iam:CreateAccessKey.",
	CheckServiceOutside:   "Remove the service from the role's permissions and the boundary, or document it.",
	CheckGuardrailHeld:    "None needed: keep as evidence that the deny rules were enforced.",
	CheckOrphanCalls:      "Replay a wider time range so each session's AssumeRole is included.",
	CheckUndecodable:      "Re-download or decompress the listed files (offsets are in the decompressed stream); copy the AWSLogs/ level of the trail's S3 prefix; cover the whole --since/--until window.",
	CheckConflict:         "Compare the listed copies with the trail's S3 objects and verify them against the digest files (--verify-digests); treat the logs as tampered until explained.",
	CheckDigest:           "Treat the listed log files as tampered or incomplete: re-copy them from the trail's S3 bucket, compare with `aws cloudtrail validate-logs`, and investigate who could write to the bucket.",
}

func newFinding(check string, sev finding.Severity, status finding.Status, resource, key, msg string, ev map[string]any) finding.Finding {
	f := finding.Finding{
		CheckID:     check,
		Title:       titles[check],
		Severity:    sev,
		Status:      status,
		Resource:    resource,
		Key:         key,
		Message:     msg,
		Evidence:    ev,
		Remediation: remediations[check],
		Controls:    controls(check),
	}
	f.Finalize()
	return f
}

// iamMutation reports whether an IAM event changes something.
func iamMutation(name string) bool {
	for _, p := range []string{"Get", "List", "Generate", "Simulate"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

func callEvidence(s *Session, c *Call) map[string]any {
	ev := map[string]any{
		"session":     s.ID,
		"event_time":  c.Time.Format(time.RFC3339),
		"event_name":  c.Action(),
		"attached_by": c.AttachedBy,
	}
	if c.EventID != "" {
		ev["event_id"] = c.EventID
	}
	if c.Origin != "" {
		ev["origin"] = c.Origin
	}
	if c.ErrorCode != "" {
		ev["error_code"] = c.ErrorCode
	}
	if t := c.Target(); t != "" {
		ev["target"] = t
	}
	return ev
}

func roleResource(s *Session) string {
	return firstNonEmpty(s.RoleARN, s.AssumedARN, s.RoleName, s.ID)
}

// Analyze turns sessions into findings, sorted. Replay problems are
// reported by StatsFindings.
func Analyze(sessions []*Session, e Expectations) []finding.Finding {
	var out []finding.Finding
	notEvaluated := false
	for _, s := range sessions {
		res := roleResource(s)
		if !s.Orphan {
			tr, why := e.trusted(s.Assumer)
			ev := map[string]any{
				"session": s.ID, "assumer": firstNonEmpty(s.Assumer.ARN, s.Assumer.InvokedBy, s.Assumer.PrincipalID),
				"assumer_account": s.Assumer.AccountID, "source_ip": s.SourceIP, "event_id": s.EventID,
				"start": s.Start.Format(time.RFC3339),
			}
			if s.Origin != "" {
				ev["origin"] = s.Origin
			}
			switch {
			case tr == trustUnknown:
				notEvaluated = true
			case tr == trustNo && !s.Attempt:
				out = append(out, newFinding(CheckUntrustedAssumer, finding.Critical, finding.Fail, res, s.ID,
					fmt.Sprintf("session %s was opened by an untrusted assumer: %s", s.ID, why), ev))
			case tr == trustNo && s.Attempt:
				ev["error_code"] = s.ErrorCode
				out = append(out, newFinding(CheckUntrustedAssumer, finding.Medium, finding.Warn, res, s.ID,
					fmt.Sprintf("an untrusted principal tried to assume the role and was refused (%s): %s", s.ErrorCode, why), ev))
			}
		}
		if s.Attempt {
			continue
		}
		if !s.Orphan && e.RequireExternalID && !s.ExternalID {
			out = append(out, newFinding(CheckNoExternalID, finding.High, finding.Fail, res, s.ID,
				fmt.Sprintf("session %s was opened without an ExternalId", s.ID),
				map[string]any{"session": s.ID, "event_id": s.EventID, "start": s.Start.Format(time.RFC3339)}))
		}
		if !s.Orphan && e.MaxSession > 0 {
			req, got := time.Duration(s.Requested), s.Duration()
			if req > e.MaxSession || got > e.MaxSession+time.Minute {
				out = append(out, newFinding(CheckSessionDuration, finding.High, finding.Fail, res, s.ID,
					fmt.Sprintf("session %s lasted %s (requested %s); the promise is at most %s", s.ID, got, req, e.MaxSession),
					map[string]any{"session": s.ID, "requested_seconds": int64(req / time.Second),
						"valid_seconds": int64(got / time.Second), "max_seconds": int64(e.MaxSession / time.Second),
						"start": s.Start.Format(time.RFC3339), "expiry": s.Expiry.Format(time.RFC3339)}))
			}
		}
		out = append(out, callFindings(s, e, res)...)
	}
	if notEvaluated && len(sessions) > 0 {
		out = append(out, newFinding(CheckUntrustedAssumer, finding.High, finding.NotEvaluated, "trail", "config",
			"no trusted provisioner account or principal is configured, so who assumed the role could not be judged "+
				"(set --provisioner-account or parameters.provisioner_account_id in pvaudit.yaml)", nil))
	}
	finding.Sort(out)
	return out
}

func callFindings(s *Session, e Expectations, res string) []finding.Finding {
	var out []finding.Finding
	var afterExpiry []Call
	var denied []map[string]any
	outside := map[string][]Call{}
	for i := range s.Calls {
		c := &s.Calls[i]
		key := s.ID + ":" + firstNonEmpty(c.EventID, c.Origin, c.Time.Format(time.RFC3339Nano))
		if c.Conflicting {
			key += "@" + c.Origin // one finding per version
		}
		if !s.Orphan && !s.Expiry.IsZero() && c.Time.After(s.Expiry) {
			afterExpiry = append(afterExpiry, *c)
		}
		if c.Denied {
			denied = append(denied, map[string]any{"event_time": c.Time.Format(time.RFC3339), "event_name": c.Action(),
				"error_code": c.ErrorCode, "target": c.Target(), "event_id": c.EventID})
		}
		if !e.serviceAllowed(c.Service()) {
			outside[c.Service()] = append(outside[c.Service()], *c)
		}
		if c.Service() != "iam" {
			continue
		}
		ok := c.ErrorCode == ""
		switch {
		case c.EventName == "CreateRole" && ok && !e.boundaryOK(c.PermissionsBoundary):
			ev := callEvidence(s, c)
			ev["permissions_boundary"] = c.PermissionsBoundary
			msg := fmt.Sprintf("role %s was created without a %s permissions boundary", c.RoleName, e.BoundaryPattern)
			if c.PermissionsBoundary != "" {
				msg = fmt.Sprintf("role %s was created with boundary %s, not %s", c.RoleName, c.PermissionsBoundary, e.BoundaryPattern)
			}
			out = append(out, newFinding(CheckRoleNoBoundary, finding.Critical, finding.Fail, res, key, msg, ev))
		case c.EventName == "CreateUser" || c.EventName == "CreateAccessKey" || c.EventName == "CreateLoginProfile":
			if ok {
				out = append(out, newFinding(CheckUserOrKey, finding.Critical, finding.Fail, res, key,
					fmt.Sprintf("%s succeeded under session %s (%s)", c.Action(), s.ID, c.Target()), callEvidence(s, c)))
			} else {
				out = append(out, newFinding(CheckUserOrKey, finding.Medium, finding.Warn, res, key,
					fmt.Sprintf("%s was attempted under session %s and refused (%s)", c.Action(), s.ID, c.ErrorCode), callEvidence(s, c)))
			}
		case iamMutation(c.EventName):
			what := protectedTarget(c, e)
			if what == "" {
				continue
			}
			if ok {
				out = append(out, newFinding(CheckProtectedIAM, finding.Critical, finding.Fail, res, key,
					fmt.Sprintf("%s on %s succeeded under session %s", c.Action(), what, s.ID), callEvidence(s, c)))
			} else {
				out = append(out, newFinding(CheckProtectedIAM, finding.Medium, finding.Warn, res, key,
					fmt.Sprintf("%s on %s was attempted under session %s and refused (%s)", c.Action(), what, s.ID, c.ErrorCode), callEvidence(s, c)))
			}
		}
	}
	if len(afterExpiry) > 0 {
		status, sev := finding.Warn, finding.Low
		names := make([]string, 0, len(afterExpiry))
		for _, c := range afterExpiry {
			if c.ErrorCode == "" {
				status, sev = finding.Fail, finding.High
			}
			names = append(names, c.Time.Format(time.RFC3339)+" "+c.Action())
		}
		out = append(out, newFinding(CheckCallAfterExpiry, sev, status, res, s.ID,
			fmt.Sprintf("%d call(s) under session %s after its credentials expired at %s", len(afterExpiry), s.ID, s.Expiry.Format(time.RFC3339)),
			map[string]any{"session": s.ID, "expiry": s.Expiry.Format(time.RFC3339), "calls": names}))
	}
	services := make([]string, 0, len(outside))
	for svc := range outside {
		services = append(services, svc)
	}
	sort.Strings(services)
	for _, svc := range services {
		calls := outside[svc]
		status, sev := finding.Warn, finding.Low
		names := map[string]bool{}
		for _, c := range calls {
			if c.ErrorCode == "" {
				status, sev = finding.Fail, finding.High
			}
			names[c.EventName] = true
		}
		list := make([]string, 0, len(names))
		for n := range names {
			list = append(list, n)
		}
		sort.Strings(list)
		out = append(out, newFinding(CheckServiceOutside, sev, status, res, s.ID+":"+svc,
			fmt.Sprintf("session %s made %d call(s) to %s, which is not a documented service", s.ID, len(calls), svc),
			map[string]any{"session": s.ID, "service": svc, "calls": len(calls), "events": list}))
	}
	if s.Orphan {
		out = append(out, newFinding(CheckOrphanCalls, finding.Low, finding.Warn, res, s.ID,
			fmt.Sprintf("%d call(s) under %s have no AssumeRole in the replayed input; who opened the session is unknown", len(s.Calls), firstNonEmpty(s.AssumedARN, s.ID)),
			map[string]any{"session": s.ID, "calls": len(s.Calls), "first_call": s.Start.Format(time.RFC3339)}))
	}
	if len(denied) > 0 {
		out = append(out, newFinding(CheckGuardrailHeld, finding.Info, finding.Pass, res, s.ID,
			fmt.Sprintf("%d call(s) under session %s were denied", len(denied), s.ID),
			map[string]any{"session": s.ID, "denied": denied}))
	}
	return out
}

// protectedTarget names what a mutating IAM call touched that the contract
// protects, or "".
func protectedTarget(c *Call, e Expectations) string {
	switch {
	case c.EventName == "DeleteRolePermissionsBoundary":
		return "the permissions boundary of role " + c.RoleName
	case c.EventName == "PutRolePermissionsBoundary" && !e.boundaryOK(c.PermissionsBoundary):
		return "the permissions boundary of role " + c.RoleName
	case c.RoleName != "" && e.MatchRole(c.RoleName):
		return "the cross-account role " + c.RoleName
	case c.PolicyARN != "" && c.RoleName == "" && c.UserName == "" && c.EventName != "CreatePolicy" && e.boundaryOK(c.PolicyARN):
		return "the boundary policy " + c.PolicyARN
	}
	return ""
}

// conflictFindings reports events recorded with different contents.
func conflictFindings(cs []Conflict) []finding.Finding {
	out := make([]finding.Finding, 0, len(cs))
	for _, cf := range cs {
		versions := make([]string, 0, len(cf.Versions))
		ev := make([]map[string]any, 0, len(cf.Versions))
		for _, v := range cf.Versions {
			versions = append(versions, fmt.Sprintf("%s (%s at %s)", strings.Join(v.Copies, ", "), v.EventName, v.EventTime.Format(time.RFC3339)))
			e := map[string]any{"event_id": v.EventID, "event_name": v.EventName, "event_time": v.EventTime.Format(time.RFC3339), "copies": v.Copies}
			if v.SHA256 != "" {
				e["sha256"] = v.SHA256
			}
			ev = append(ev, e)
		}
		what, key := "eventID "+cf.EventID, "event:"+cf.EventID
		if cf.SharedEventID != "" {
			what, key = "the accounts' copies of cross-account event "+cf.SharedEventID+" (sharedEventID)", "shared:"+cf.SharedEventID
		}
		evidence := map[string]any{"versions": ev}
		if cf.EventID != "" {
			evidence["event_id"] = cf.EventID
		} else {
			evidence["shared_event_id"] = cf.SharedEventID
		}
		out = append(out, newFinding(CheckConflict, finding.Critical, finding.Fail, gapResource, key,
			fmt.Sprintf("%s has %d different contents: %s; evidence of forgery or a broken copy (every version was analysed)",
				what, len(cf.Versions), strings.Join(versions, "; ")), evidence))
	}
	return out
}
