package trail

import (
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/rules"
)

// severities are the default severity of each session check and the
// other severities it emits.
var severities = map[string]struct {
	def      finding.Severity
	variants []rules.Variant
}{
	CheckUntrustedAssumer: {finding.Critical, []rules.Variant{
		{Severity: finding.Medium, When: "the attempt was refused (WARN)"},
		{Severity: finding.High, When: "no provisioner is configured (NOT_EVALUATED)"}}},
	CheckNoExternalID:    {finding.High, nil},
	CheckSessionDuration: {finding.High, nil},
	CheckCallAfterExpiry: {finding.High, []rules.Variant{{Severity: finding.Low, When: "every such call was refused (WARN)"}}},
	CheckRoleNoBoundary:  {finding.Critical, nil},
	CheckProtectedIAM:    {finding.Critical, []rules.Variant{{Severity: finding.Medium, When: "refused (WARN)"}}},
	CheckUserOrKey:       {finding.Critical, []rules.Variant{{Severity: finding.Medium, When: "refused (WARN)"}}},
	CheckServiceOutside:  {finding.High, []rules.Variant{{Severity: finding.Low, When: "every such call was refused (WARN)"}}},
	CheckGuardrailHeld:   {finding.Info, nil},
	CheckOrphanCalls:     {finding.Low, nil},
	CheckUndecodable:     {finding.Low, []rules.Variant{{Severity: finding.High, When: "the replay is incomplete (ERROR)"}}},
	CheckConflict:        {finding.Critical, nil},
	CheckDigest:          {finding.Critical, []rules.Variant{{Severity: finding.High, When: "log files no verified digest vouches for (ERROR)"}}},
}

// Rules returns the session checks' entries for the rule registry.
func Rules() []rules.Rule {
	out := make([]rules.Rule, 0, len(titles))
	for _, id := range CheckIDs() {
		sev := severities[id]
		out = append(out, rules.Rule{ID: id, Source: rules.SourceTrail, Title: titles[id], Severity: sev.def, Variants: sev.variants,
			Remediation: remediations[id], Controls: controls(id)})
	}
	return out
}
