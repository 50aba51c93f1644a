package trail

import "strings"

// iamSource is IAM's CloudTrail event source.
const iamSource = "iam.amazonaws.com"

// KeepIAMChanges makes the collection also keep every IAM write event,
// whoever made it — a console user, an administrator's script, the
// provider — not only those about the selected roles: drift attribution
// needs the change that explains each difference from a baseline. Call it
// before reading; the events come back in Result.Changes. A LookupEvents
// source then also looks up every event of iam.amazonaws.com.
func (c *Collection) KeepIAMChanges() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.iamChanges = true
}

// IsIAMChange reports whether a record is an IAM call that may change
// something: not a Get, List, Simulate or Generate call.
func IsIAMChange(r *Record) bool {
	if r.EventSource != iamSource {
		return false
	}
	for _, p := range []string{"Get", "List", "Simulate", "Generate"} {
		if strings.HasPrefix(r.EventName, p) {
			return false
		}
	}
	return r.EventName != ""
}
