package trail

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Session is one AssumeRole on a selected role and every call made under
// the credentials it returned. A failed AssumeRole is kept as an attempt.
type Session struct {
	// ID is the session's access key ID; "attempt-<eventID>" for a failed
	// AssumeRole, "orphan-<key>" for calls whose AssumeRole was not read.
	ID          string    `json:"id"`
	Kind        string    `json:"kind,omitempty"` // AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity
	RoleARN     string    `json:"role_arn"`
	RoleName    string    `json:"role_name"`
	Assumer     Identity  `json:"assumer"`
	SourceIP    string    `json:"source_ip,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	SessionName string    `json:"session_name,omitempty"`
	ExternalID  bool      `json:"external_id"`
	Requested   Duration  `json:"requested_duration,omitempty"` // durationSeconds; 0 when not requested
	Start       time.Time `json:"start"`
	Expiry      time.Time `json:"expiry,omitzero"`
	AccessKeyID string    `json:"access_key_id,omitempty"`
	AssumedARN  string    `json:"assumed_role_arn,omitempty"`
	EventID     string    `json:"event_id,omitempty"`
	Origin      string    `json:"origin,omitempty"` // file@offset of the AssumeRole record
	Attempt     bool      `json:"attempt,omitempty"`
	ErrorCode   string    `json:"error_code,omitempty"`
	ErrorMsg    string    `json:"error_message,omitempty"`
	Orphan      bool      `json:"orphan,omitempty"`
	// Conflicting: the AssumeRole was recorded with different contents
	// (TRAIL-012); each version opens a session.
	Conflicting bool   `json:"conflicting,omitempty"`
	Calls       []Call `json:"calls"`
}

// Duration marshals as seconds.
type Duration time.Duration

// MarshalJSON writes whole seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(itoa(int64(time.Duration(d) / time.Second))), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Duration is how long the credentials were valid (expiry − start), 0 when
// the expiry is unknown.
func (s *Session) Duration() time.Duration {
	if s.Expiry.IsZero() || s.Start.IsZero() {
		return 0
	}
	return s.Expiry.Sub(s.Start)
}

// Denied counts the calls refused by authorization.
func (s *Session) Denied() int {
	n := 0
	for i := range s.Calls {
		if s.Calls[i].Denied {
			n++
		}
	}
	return n
}

// Call is one event made with a session's credentials.
type Call struct {
	Time        time.Time `json:"time"`
	EventSource string    `json:"event_source"`
	EventName   string    `json:"event_name"`
	Region      string    `json:"region,omitempty"`
	SourceIP    string    `json:"source_ip,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	ErrorCode   string    `json:"error_code,omitempty"`
	ErrorMsg    string    `json:"error_message,omitempty"`
	Denied      bool      `json:"denied,omitempty"`
	EventID     string    `json:"event_id,omitempty"`
	// AttachedBy says how the call was tied to its session: "access-key"
	// or "arn" (assumed-role ARN within the session window).
	AttachedBy string `json:"attached_by"`
	Origin     string `json:"origin,omitempty"`
	// Conflicting: the call was recorded with different contents
	// (TRAIL-012); each version is a call.
	Conflicting bool `json:"conflicting,omitempty"`

	RoleName            string `json:"role_name,omitempty"`
	UserName            string `json:"user_name,omitempty"`
	PolicyARN           string `json:"policy_arn,omitempty"`
	PermissionsBoundary string `json:"permissions_boundary,omitempty"`
	CreatedRoleARN      string `json:"created_role_arn,omitempty"`
}

// Service is the short service name ("iam").
func (c *Call) Service() string {
	s, _, _ := strings.Cut(c.EventSource, ".")
	return s
}

// Action is "service:EventName".
func (c *Call) Action() string { return c.Service() + ":" + c.EventName }

// Target names what the call acted on, when the record says.
func (c *Call) Target() string {
	switch {
	case c.RoleName != "":
		return "role/" + c.RoleName
	case c.UserName != "":
		return "user/" + c.UserName
	case c.PolicyARN != "":
		return c.PolicyARN
	}
	return ""
}

// arnSkew tolerates clock differences when a call is attached to a session
// by assumed-role ARN.
const arnSkew = time.Minute

// defaultSessionLength is STS's default when no duration is requested.
const defaultSessionLength = time.Hour

// BuildSessions reconstructs sessions from kept records (in time order):
// each AssumeRole on a selected role opens one; later calls attach by
// access key ID, else by assumed-role ARN within the session window; calls
// that attach to nothing form orphan sessions. Sessions that share an
// access key ID (versions of one conflicting AssumeRole, or a forged one)
// each get the calls made with it, and session IDs are made unique
// ("#2", "#3"…). The result is sorted by start time, then ID.
func BuildSessions(records []*Record, expect Expectations) []*Session {
	var sessions []*Session
	byKey := map[string][]*Session{}
	byARN := map[string][]*Session{}
	used := map[string]int{}
	unique := func(id string) string {
		used[id]++
		if n := used[id]; n > 1 {
			return fmt.Sprintf("%s#%d", id, n)
		}
		return id
	}
	for _, r := range records {
		if !isAssume(r.EventName) || !expect.MatchRole(RoleNameFromARN(r.RoleARN)) {
			continue
		}
		s := &Session{
			Kind:        r.EventName,
			RoleARN:     r.RoleARN,
			RoleName:    RoleNameFromARN(r.RoleARN),
			Assumer:     r.Identity,
			SourceIP:    r.SourceIP,
			UserAgent:   r.UserAgent,
			SessionName: r.RoleSessionName,
			ExternalID:  r.ExternalIDPresent,
			Requested:   Duration(time.Duration(r.DurationSeconds) * time.Second),
			Start:       r.EventTime,
			AccessKeyID: r.CredAccessKeyID,
			AssumedARN:  r.AssumedRoleARN,
			EventID:     r.EventID,
			Origin:      originOf(r),
			Conflicting: r.Conflicting,
			Calls:       []Call{},
		}
		if r.Failed() {
			// No credentials were issued: an attempt.
			s.Attempt = true
			s.ErrorCode, s.ErrorMsg = r.ErrorCode, r.ErrorMessage
			s.ID = unique("attempt-" + firstNonEmpty(r.EventID, itoa(r.Offset)))
			sessions = append(sessions, s)
			continue
		}
		s.Expiry = r.CredExpiration
		if s.Expiry.IsZero() {
			d := time.Duration(r.DurationSeconds) * time.Second
			if d == 0 {
				d = defaultSessionLength
			}
			s.Expiry = s.Start.Add(d)
		}
		if s.AssumedARN == "" && r.RoleSessionName != "" {
			s.AssumedARN = "arn:aws:sts::" + AccountFromARN(r.RoleARN) + ":assumed-role/" + s.RoleName + "/" + r.RoleSessionName
		}
		s.ID = unique(firstNonEmpty(r.CredAccessKeyID, "session-"+r.EventID))
		if r.CredAccessKeyID != "" {
			byKey[r.CredAccessKeyID] = append(byKey[r.CredAccessKeyID], s)
		}
		if s.AssumedARN != "" {
			byARN[s.AssumedARN] = append(byARN[s.AssumedARN], s)
		}
		sessions = append(sessions, s)
	}

	orphans := map[string]*Session{}
	for _, r := range records {
		if isAssume(r.EventName) && expect.MatchRole(RoleNameFromARN(r.RoleARN)) && !expect.MatchRole(sessionRole(r.Identity)) {
			continue // opens a session; it is not a call under one
		}
		var targets []*Session
		how := ""
		// A call attaches to every session of its access key.
		if k := r.Identity.AccessKeyID; k != "" {
			if targets = byKey[k]; len(targets) > 0 {
				how = "access-key"
			}
		}
		if len(targets) == 0 && r.Identity.ARN != "" {
			if s := sessionByARN(byARN[r.Identity.ARN], r.EventTime); s != nil {
				targets, how = []*Session{s}, "arn"
				if s.AccessKeyID != "" {
					targets = byKey[s.AccessKeyID]
				}
			}
		}
		if len(targets) > 0 {
			for _, s := range targets {
				s.Calls = append(s.Calls, callOf(r, how))
			}
			continue
		}
		role := sessionRole(r.Identity)
		if !expect.MatchRole(role) {
			continue
		}
		key := firstNonEmpty(r.Identity.AccessKeyID, r.Identity.ARN, r.Identity.PrincipalID)
		s := orphans[key]
		if s == nil {
			roleARN := r.Identity.IssuerARN
			if roleARN == "" {
				roleARN = assumedToRoleARN(r.Identity.ARN)
			}
			s = &Session{
				ID: "orphan-" + key, RoleARN: roleARN, RoleName: role, Orphan: true,
				Start: r.EventTime, AccessKeyID: r.Identity.AccessKeyID, AssumedARN: r.Identity.ARN,
				Calls: []Call{},
			}
			orphans[key] = s
			sessions = append(sessions, s)
		}
		s.Calls = append(s.Calls, callOf(r, "orphan"))
	}
	sort.SliceStable(sessions, func(i, j int) bool {
		if !sessions[i].Start.Equal(sessions[j].Start) {
			return sessions[i].Start.Before(sessions[j].Start)
		}
		return sessions[i].ID < sessions[j].ID
	})
	return sessions
}

// sessionByARN picks, among sessions of one assumed-role ARN, the latest
// that started before t and had not expired at t.
func sessionByARN(cands []*Session, t time.Time) *Session {
	var best *Session
	for _, s := range cands {
		if t.Before(s.Start.Add(-arnSkew)) || t.After(s.Expiry) {
			continue
		}
		if best == nil || s.Start.After(best.Start) {
			best = s
		}
	}
	return best
}

func originOf(r *Record) string {
	if r.Origin == "" {
		return ""
	}
	return r.Origin + "@" + itoa(r.Offset)
}

func callOf(r *Record, how string) Call {
	return Call{
		Time:                r.EventTime,
		EventSource:         r.EventSource,
		EventName:           r.EventName,
		Region:              r.Region,
		SourceIP:            r.SourceIP,
		UserAgent:           r.UserAgent,
		ErrorCode:           r.ErrorCode,
		ErrorMsg:            r.ErrorMessage,
		Denied:              r.Denied(),
		EventID:             r.EventID,
		AttachedBy:          how,
		Origin:              originOf(r),
		Conflicting:         r.Conflicting,
		RoleName:            r.RoleName,
		UserName:            r.UserName,
		PolicyARN:           r.PolicyARN,
		PermissionsBoundary: r.PermissionsBoundary,
		CreatedRoleARN:      r.CreatedRoleARN,
	}
}

// Creation is a role created (CreateRole succeeded) under a session of a
// selected role: the evidence that the provider made it.
type Creation struct {
	RoleName  string    `json:"role_name"`
	SessionID string    `json:"session_id"`
	Time      time.Time `json:"time"`
	EventID   string    `json:"event_id,omitempty"`
	// Boundary is the permissions boundary CreateRole asked for ("" none).
	Boundary string `json:"permissions_boundary,omitempty"`
}

// ProviderCreations returns the first successful CreateRole of every role
// created under the selected roles' sessions, sorted by role name.
func ProviderCreations(sessions []*Session) []Creation {
	first := map[string]Creation{}
	for _, s := range sessions {
		if s.Attempt {
			continue
		}
		for i := range s.Calls {
			c := &s.Calls[i]
			if c.EventSource != "iam.amazonaws.com" || c.EventName != "CreateRole" || c.ErrorCode != "" {
				continue
			}
			name := firstNonEmpty(c.RoleName, RoleNameFromARN(c.CreatedRoleARN))
			if name == "" {
				continue
			}
			if old, ok := first[name]; ok && !c.Time.Before(old.Time) {
				continue
			}
			first[name] = Creation{RoleName: name, SessionID: s.ID, Time: c.Time, EventID: c.EventID, Boundary: c.PermissionsBoundary}
		}
	}
	out := make([]Creation, 0, len(first))
	for _, c := range first {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RoleName < out[j].RoleName })
	return out
}

// ProviderCreatedRoles returns the names of the roles created (CreateRole
// succeeded) under the selected roles' sessions, sorted and unique. The
// scanner uses them to recognise the provider's child roles.
func ProviderCreatedRoles(sessions []*Session) []string {
	cs := ProviderCreations(sessions)
	if len(cs) == 0 {
		return nil
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.RoleName
	}
	return out
}

// FindSession returns the session whose ID, access key ID or AssumeRole
// event ID is id, or whose ID starts with id when that is unambiguous.
func FindSession(sessions []*Session, id string) (*Session, bool) {
	var prefix []*Session
	for _, s := range sessions {
		if s.ID == id || (s.AccessKeyID != "" && s.AccessKeyID == id) || (s.EventID != "" && s.EventID == id) {
			return s, true
		}
		if id != "" && strings.HasPrefix(s.ID, id) {
			prefix = append(prefix, s)
		}
	}
	if len(prefix) == 1 {
		return prefix[0], true
	}
	return nil, false
}
