package awsfake

import (
	"maps"
	"time"
)

// FaultKind is what an injected action failure answers.
type FaultKind string

// Injected failure kinds.
const (
	// FaultAccessDenied answers AccessDenied (403), or AccessDeniedException
	// for CloudTrail.
	FaultAccessDenied FaultKind = "AccessDenied"
	// FaultServiceFailure answers ServiceFailure (500), or InternalFailure
	// for STS and CloudTrail.
	FaultServiceFailure FaultKind = "ServiceFailure"
	// FaultUnavailable answers ServiceUnavailable (503).
	FaultUnavailable FaultKind = "ServiceUnavailable"
	// FaultThrottle answers Throttling (ThrottlingException for
	// CloudTrail), every time: throttling that never lets up.
	FaultThrottle FaultKind = "Throttling"
)

// Faults describe injected misbehaviour. Actions are named as in the API
// ("GetAccountAuthorizationDetails", "LookupEvents"), optionally with the
// service prefix ("iam:GetAccountAuthorizationDetails").
type Faults struct {
	// ThrottleRate is the fraction (0..1) of calls answered with Throttling
	// (ThrottlingException for CloudTrail) before they touch any state. The
	// choice is drawn from an RNG seeded by Options.Seed.
	ThrottleRate float64
	// ThrottleActions limits throttling to these actions; all when empty.
	ThrottleActions []string
	// ThrottleFirst, when positive, throttles the first ThrottleFirst calls
	// of the ThrottleActions (all when empty) since the faults were set, and
	// none after: a burst that a client's retries ride out.
	ThrottleFirst int
	// Fail makes every call of an action fail with the given kind.
	Fail map[string]FaultKind
	// FailAfter lets the first n calls of an action named in Fail succeed
	// before Fail applies (counted from the moment the faults were set):
	// with PageSize it fails a listing in the middle.
	FailAfter map[string]int
	// MalformedBody answers these actions with a success status and a body
	// that is not the protocol's (an HTML error page, as a proxy returns).
	MalformedBody []string
	// DropMarker answers pages of these actions that say more follow
	// (IsTruncated true) but carry no Marker / NextToken: a broken page.
	DropMarker []string
	// Hang makes the endpoint accept these actions and never answer, until
	// the client gives up or the server closes.
	Hang []string
	// Latency is added to every call before it is answered, or only to
	// the LatencyActions when that is not empty.
	Latency        time.Duration
	LatencyActions []string
	// PageSize, when positive, caps every page of the paged list actions
	// (GetAccountAuthorizationDetails, List*, LookupEvents): the page is cut
	// short but stays valid, with IsTruncated/Marker or NextToken.
	PageSize int
	// TruncateBody answers these actions with a success status and the first
	// half of the real body, so the client's decoder fails.
	TruncateBody []string
	// FailWrite, when positive, makes the FailWrite-th mutating IAM call
	// (counted from the moment the faults were set, whoever makes it) fail
	// once with FailWriteKind (FaultAccessDenied when empty). The call
	// changes nothing; later calls succeed. It tests a run that stops
	// halfway and is completed by a re-run.
	FailWrite     int
	FailWriteKind FaultKind
	// InvisibleFor, when positive, hides every role and managed policy
	// created from then on for its next InvisibleFor lookups (GetRole,
	// PutRolePolicy on it, CreateRole naming it as boundary, …): they answer
	// NoSuchEntity, as IAM may right after a create while the change
	// propagates. Zero (the default) is strongly consistent: a created
	// entity is visible to the very next call.
	InvisibleFor int
}

func (f Faults) clone() Faults {
	out := f
	out.ThrottleActions = append([]string(nil), f.ThrottleActions...)
	out.Fail = maps.Clone(f.Fail)
	out.TruncateBody = append([]string(nil), f.TruncateBody...)
	out.FailAfter = maps.Clone(f.FailAfter)
	out.MalformedBody = append([]string(nil), f.MalformedBody...)
	out.DropMarker = append([]string(nil), f.DropMarker...)
	out.Hang = append([]string(nil), f.Hang...)
	out.LatencyActions = append([]string(nil), f.LatencyActions...)
	return out
}

// names reports whether list names the exchange's action.
func (f Faults) names(list []string, ex *exchange) bool {
	return contains(list, ex.action) || contains(list, ex.service+":"+ex.action)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// SetFaults replaces the injected faults; it takes effect for the next call.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f.clone()
	s.writes = 0
	s.throttleSeen = 0
	s.actionCalls = nil
}

// Faults returns the faults in effect.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.clone()
}

// Call is one served request, as the call log records it.
type Call struct {
	Seq          int // 1-based order of arrival
	Time         time.Time
	Service      string // "iam", "sts" or "cloudtrail"
	Action       string // e.g. "GetRole"
	PrincipalARN string // "" when the caller was not recognised
	AccessKeyID  string
	ReadOnly     bool
	ErrorCode    string // "" on success
	HTTPStatus   int
}

// Mutating reports whether the call asked to change state.
func (c Call) Mutating() bool { return !c.ReadOnly }

// Calls returns a copy of the call log in order of arrival.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// MutatingCalls returns the logged calls of mutating actions, whether they
// succeeded or not.
func (s *Server) MutatingCalls() []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Mutating() {
			out = append(out, c)
		}
	}
	return out
}

// CallsTo returns the logged calls of one action.
func (s *Server) CallsTo(action string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls empties the call log (CloudTrail records are kept).
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// isReadOnly reports whether an action never changes state. AssumeRole is
// read-only as CloudTrail marks it: it issues credentials but changes no IAM
// entity.
func isReadOnly(action string) bool {
	if action == "AssumeRole" {
		return true
	}
	for _, p := range [...]string{"Get", "List", "Simulate", "Lookup", "Describe", "Search"} {
		if len(action) > len(p) && action[:len(p)] == p {
			return true
		}
	}
	return false
}
