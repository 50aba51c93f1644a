package baseline

import (
	"slices"

	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// Event is one CloudTrail event that changed IAM, reduced to what
// attribution shows: who, when, from where, under which session.
type Event struct {
	Time        time.Time `json:"time"`
	EventID     string    `json:"event_id,omitempty"`
	EventSource string    `json:"event_source"`
	EventName   string    `json:"event_name"`
	Principal   string    `json:"principal,omitempty"` // userIdentity.arn
	AccountID   string    `json:"account_id,omitempty"`
	// Session is the credentials' access key (for a role session, its
	// session ID in `pvaudit trail show`).
	Session     string `json:"session,omitempty"`
	SessionName string `json:"session_name,omitempty"`
	SourceIP    string `json:"source_ip,omitempty"`
	Region      string `json:"region,omitempty"`
	UserAgent   string `json:"user_agent,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
	// ProviderSession is set when the call was made under the provider's
	// cross-account session: its session ID, and who assumed it.
	ProviderSession string `json:"provider_session,omitempty"`
	ProviderAssumer string `json:"provider_assumed_by,omitempty"`
	Origin          string `json:"origin,omitempty"`
	// What the call named.
	RoleName   string `json:"role_name,omitempty"`
	UserName   string `json:"user_name,omitempty"`
	GroupName  string `json:"group_name,omitempty"`
	PolicyARN  string `json:"policy_arn,omitempty"`
	PolicyName string `json:"policy_name,omitempty"`
	// Conflicting is set when the trail holds copies of this event with
	// different contents (TRAIL-012): who made the change is in doubt.
	Conflicting bool `json:"conflicting,omitempty"`
}

// Attribution says which events explain an item.
type Attribution struct {
	// Status is "explained" or "unexplained".
	Status string  `json:"status"`
	Events []Event `json:"events,omitempty"`
	// ByProviderSession is true when an explaining event was made under
	// the provider's cross-account session.
	ByProviderSession bool   `json:"by_provider_session,omitempty"`
	Note              string `json:"note,omitempty"`
}

// Window is the time between the baseline and the current read: the
// changes happened in it.
type Window struct {
	From, To time.Time
}

// attributionSkew tolerates clock differences between CloudTrail and the
// snapshot's capture times.
const attributionSkew = 5 * time.Minute

// maxEvents bounds the events listed per item.
const maxEvents = 10

// Attribute names, for every evaluated item, the successful CloudTrail
// events in the window that explain it, and flags the items no event
// explains. It returns how many items were explained and unexplained.
func Attribute(items []Item, events []Event, w Window) (explained, unexplained int) {
	in := make([]Event, 0, len(events))
	for _, ev := range events {
		if ev.ErrorCode != "" {
			continue
		}
		if !w.From.IsZero() && ev.Time.Before(w.From.Add(-attributionSkew)) {
			continue
		}
		if !w.To.IsZero() && ev.Time.After(w.To.Add(attributionSkew)) {
			continue
		}
		in = append(in, ev)
	}
	slices.SortStableFunc(in, func(a, b Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.EventID, b.EventID)
	})
	for i := range items {
		it := &items[i]
		if it.Kind == NotEvaluated || it.Kind == ContractChanged || it.Status == finding.NotEvaluated {
			continue
		}
		a := &Attribution{Status: "explained"}
		for _, ev := range in {
			if !explains(it, &ev) {
				continue
			}
			if len(a.Events) < maxEvents {
				a.Events = append(a.Events, ev)
			}
			if ev.ProviderSession != "" {
				a.ByProviderSession = true
			}
		}
		if a.ByProviderSession && (it.Kind == UserAdded || it.Kind == AccessKeyAdded) {
			// The document promises the provider creates no IAM users or keys.
			it.Severity = finding.Critical
		}
		if len(a.Events) == 0 {
			a.Status = "unexplained"
			a.Note = "unexplained: no CloudTrail event" + span(w) + " explains it (the trail does not cover it, or the event is missing)"
			unexplained++
		} else {
			explained++
		}
		it.Attribution = a
	}
	return explained, unexplained
}

// span says " in FROM – TO", or nothing when neither capture time is
// known.
func span(w Window) string {
	if w.From.IsZero() && w.To.IsZero() {
		return ""
	}
	f := func(t time.Time) string {
		if t.IsZero() {
			return "…"
		}
		return t.UTC().Format(time.RFC3339)
	}
	return " in " + f(w.From) + " – " + f(w.To)
}

// explains reports whether a successful event accounts for an item.
func explains(it *Item, ev *Event) bool {
	if ev.EventSource != "iam.amazonaws.com" {
		return false
	}
	n := ev.EventName
	role := it.role != "" && ev.RoleName == it.role
	user := it.user != "" && ev.UserName == it.user
	pol := it.policy != "" && ev.PolicyARN == it.policy
	named := it.name == "" || ev.PolicyName == "" || ev.PolicyName == it.name
	is := func(names ...string) bool { return slices.Contains(names, n) }
	switch it.Kind {
	case RoleAdded, PathChanged:
		return role && is("CreateRole")
	case RoleRemoved:
		return role && is("DeleteRole")
	case RoleRecreated:
		return role && is("DeleteRole", "CreateRole")
	case TrustChanged:
		return role && is("UpdateAssumeRolePolicy")
	case BoundaryAdded, BoundaryReplaced:
		return role && is("PutRolePermissionsBoundary")
	case BoundaryRemoved:
		return role && is("DeleteRolePermissionsBoundary")
	case InlineAdded, InlineChanged:
		return role && named && is("PutRolePolicy")
	case InlineRemoved:
		return role && named && is("DeleteRolePolicy")
	case PolicyAttached:
		return role && (ev.PolicyARN == "" || ev.PolicyARN == it.policy) && is("AttachRolePolicy")
	case PolicyDetached:
		return role && (ev.PolicyARN == "" || ev.PolicyARN == it.policy) && is("DetachRolePolicy")
	case DefaultVersionSwitch, DocumentChanged:
		return pol && is("CreatePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicyVersion")
	case VersionStaged:
		return pol && is("CreatePolicyVersion")
	case MaxSessionChanged:
		return role && is("UpdateRole")
	case TagsChanged:
		return role && is("TagRole", "UntagRole")
	case UserAdded:
		return user && is("CreateUser")
	case UserRemoved:
		return user && is("DeleteUser")
	case UserRecreated:
		return user && is("CreateUser", "DeleteUser")
	case AccessKeyAdded:
		return user && is("CreateAccessKey")
	case AccessKeyRemoved:
		return user && is("DeleteAccessKey")
	case PolicyCreated:
		return (pol || (it.name != "" && ev.PolicyName == it.name)) && is("CreatePolicy")
	case PolicyDeleted:
		return pol && is("DeletePolicy")
	case UserPermsChanged:
		switch {
		case strings.HasPrefix(it.Key, "inline:"):
			return user && named && is("PutUserPolicy", "DeleteUserPolicy")
		case strings.HasPrefix(it.Key, "attached:"):
			return user && is("AttachUserPolicy", "DetachUserPolicy")
		case strings.HasPrefix(it.Key, "group:"):
			return user && is("AddUserToGroup", "RemoveUserFromGroup")
		case it.Key == "boundary":
			return user && is("PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary")
		case it.Key == "recreated":
			return user && is("CreateUser", "DeleteUser")
		}
	case GroupChanged:
		group := it.group != "" && ev.GroupName == it.group
		switch {
		case strings.HasPrefix(it.Key, "inline:"):
			return group && named && is("PutGroupPolicy", "DeleteGroupPolicy")
		case strings.HasPrefix(it.Key, "attached:"):
			return group && is("AttachGroupPolicy", "DetachGroupPolicy")
		case it.Key == "added":
			return group && is("CreateGroup")
		case it.Key == "removed":
			return group && is("DeleteGroup")
		}
	}
	return false
}
