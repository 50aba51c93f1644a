package baseline

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/rules"
)

// finishSeverity sets an item's severity from its kind and its effect:
// the effect raises it (a newly allowed IAM mutation is critical), a
// change that only narrows access is info, and an effect that could not be
// fully evaluated is at least high (what was not evaluated may widen).
func finishSeverity(it *Item, _ *contract.Contract) {
	a := it.Access
	if a == nil {
		return
	}
	worst := finding.Info
	widened, narrowed, incomplete := false, false, false
	for _, p := range a.Principals {
		for _, r := range p.NewlyAllowed {
			widened = true
			worst = max(worst, r.Severity)
		}
		narrowed = narrowed || len(p.NewlyDenied) > 0
		incomplete = incomplete || len(p.Incomplete) > 0
	}
	switch {
	case it.Kind == BoundaryRemoved:
		// A removed boundary is critical whatever the identity policies
		// allow today: nothing caps what they may allow tomorrow.
		it.Severity = finding.Critical
	case widened:
		it.Severity = max(it.Severity, worst)
	case narrowed && !incomplete:
		it.Severity = finding.Info
	}
	if incomplete && it.Severity < finding.High {
		it.Severity = finding.High
	}
}

// Findings turns items into findings of the common type, with the rule
// metadata of the registry (title, controls, remediation, fingerprint).
func Findings(items []Item, reg *rules.Registry) ([]finding.Finding, error) {
	out := make([]finding.Finding, 0, len(items))
	for i := range items {
		it := &items[i]
		rule, ok := reg.Get(it.Rule)
		if !ok {
			return nil, fmt.Errorf("drift item of unknown rule %s", it.Rule)
		}
		f := finding.Finding{Severity: it.Severity, Status: it.Status, Resource: it.Resource, Key: it.Key, Message: Message(it), Evidence: Evidence(it)}
		rule.Apply(&f)
		out = append(out, f)
	}
	finding.Sort(out)
	return out, nil
}

// Evidence is the item as a finding's evidence: kind, before and after,
// the diff, the effect and the attribution.
func Evidence(it *Item) map[string]any {
	ev := map[string]any{"kind": string(it.Kind), "subject": it.Subject, "summary": it.Summary}
	if it.Before != nil {
		ev["before"] = it.Before
	}
	if it.After != nil {
		ev["after"] = it.After
	}
	if len(it.Diff) > 0 {
		ev["diff"] = it.Diff
	}
	if it.Access != nil {
		ev["access"] = it.Access
	}
	if it.Classification != nil {
		ev["classification"] = it.Classification
	}
	if it.Attribution != nil {
		ev["attribution"] = it.Attribution
	}
	if it.Reason != "" {
		ev["not_evaluated_because"] = it.Reason
	}
	return ev
}

// Message is the item in one line: what changed, its effect, who did it.
func Message(it *Item) string {
	var b strings.Builder
	b.WriteString(it.Summary)
	if it.Classification != nil {
		fmt.Fprintf(&b, " (role kind %s → %s)", it.Classification.Before, it.Classification.After)
	}
	if it.Status == finding.NotEvaluated && it.Reason != "" && it.Kind != NotEvaluated {
		b.WriteString("; not evaluated: " + it.Reason)
	}
	if s := EffectLine(it.Access); s != "" {
		b.WriteString("; access " + s)
	}
	if a := it.Attribution; a != nil {
		if a.Status == "unexplained" {
			b.WriteString("; " + a.Note)
		} else {
			b.WriteString("; " + EventLine(a.Events[0]))
			if len(a.Events) > 1 {
				fmt.Fprintf(&b, " (+%d more event(s))", len(a.Events)-1)
			}
		}
	}
	return b.String()
}

// EffectLine says in one line what the change does to access: "widened:
// role/x now allows iam:PassRole on *, …".
func EffectLine(a *Access) string {
	if a == nil {
		return ""
	}
	var parts []string
	for _, p := range a.Principals {
		s := principalLine(p, len(a.Principals) > 1)
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return a.Effect
	}
	return a.Effect + ": " + strings.Join(parts, "; ")
}

func principalLine(p PrincipalEffect, name bool) string {
	var parts []string
	if n := len(p.NewlyAllowed); n > 0 {
		parts = append(parts, "now allows "+requestList(p.NewlyAllowed, p.MoreAllowed))
	}
	if n := len(p.NewlyDenied); n > 0 {
		parts = append(parts, "now denies "+requestList(p.NewlyDenied, p.MoreDenied))
	}
	if len(p.Incomplete) > 0 {
		parts = append(parts, "not fully evaluated: "+p.Incomplete[0])
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, ", ")
	if name {
		s = p.Principal + " " + s
	}
	return s
}

func requestList(rs []Request, more int) string {
	const shown = 3
	var parts []string
	for i, r := range rs {
		if i == shown {
			break
		}
		parts = append(parts, RequestText(r))
	}
	if rest := len(rs) - min(len(rs), shown) + more; rest > 0 {
		parts = append(parts, fmt.Sprintf("%d more", rest))
	}
	return strings.Join(parts, ", ")
}

// RequestText renders a request: "iam:PassRole on *",
// "sts:AssumeRole by arn:aws:iam::444455556666:root (account 444455556666)".
func RequestText(r Request) string {
	var b strings.Builder
	b.WriteString(r.Action)
	if r.Also > 0 {
		fmt.Fprintf(&b, " (+%d more %s)", r.Also, r.Access)
	}
	if r.Caller != "" {
		b.WriteString(" by " + r.Caller)
	} else {
		b.WriteString(" on " + r.Resource)
	}
	// Only the global keys and the action's own service's keys are shown:
	// the witness request also sets keys other services' conditions name
	// (the full context stays in the JSON), which would read as if they
	// mattered to this action.
	service, _, _ := strings.Cut(strings.ToLower(r.Action), ":")
	var kv []string
	for _, k := range sortedKeys(r.Context) {
		if prefix, _, _ := strings.Cut(k, ":"); prefix == "aws" || prefix == service {
			kv = append(kv, k+"="+r.Context[k])
		}
	}
	if len(kv) > 0 {
		b.WriteString(" with " + strings.Join(kv, ", "))
	} else if r.Caller != "" {
		b.WriteString(" with no condition key set")
	}
	return b.String()
}

// EventLine renders an event: "DeleteRolePermissionsBoundary by
// arn:aws:iam::…:user/admin at 2026-…, from 203.0.113.7, event 1f2e…".
func EventLine(ev Event) string {
	var b strings.Builder
	b.WriteString(ev.EventName + " by " + firstNonEmpty(ev.Principal, ev.AccountID, "an unknown principal"))
	b.WriteString(" at " + ev.Time.UTC().Format("2006-01-02T15:04:05Z"))
	if ev.SourceIP != "" {
		b.WriteString(" from " + ev.SourceIP)
	}
	if ev.EventID != "" {
		b.WriteString(", event " + ev.EventID)
	}
	if ev.ProviderSession != "" {
		b.WriteString(", under the provider's cross-account session " + ev.ProviderSession)
		if ev.ProviderAssumer != "" {
			b.WriteString(" (assumed by account " + ev.ProviderAssumer + ")")
		}
	}
	if ev.Conflicting {
		b.WriteString(" — CONFLICTING: the trail holds copies of this event with different contents (TRAIL-012, see pvaudit trail), so who made the change is in doubt")
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
