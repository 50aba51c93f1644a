package probes

import (
	"slices"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/rules"
)

// Rules returns the probe checks' entries for the rule registry. A
// scenario row's finding takes the row's severity: PV-PRB-001 lists the
// severities the contract's rows use (c may be nil: then the default,
// high, alone).
func Rules(c *contract.Contract) []rules.Rule {
	rule := func(id string, sev finding.Severity, variants []rules.Variant, from string) rules.Rule {
		m := metaFor(id)
		return rules.Rule{ID: id, Source: rules.SourceProbe, Title: m.title, Severity: sev, Variants: variants, SeverityFrom: from,
			Remediation: m.remediation, Controls: slices.Clone(m.controls)}
	}
	var rowVariants []rules.Variant
	top := finding.High
	if c != nil {
		var sevs []finding.Severity
		for i := range c.Scenarios {
			if s, err := finding.ParseSeverity(c.Scenarios[i].SeverityName()); err == nil && !slices.Contains(sevs, s) {
				sevs = append(sevs, s)
			}
		}
		slices.Sort(sevs)
		slices.Reverse(sevs)
		if len(sevs) > 0 {
			top = sevs[0]
			for _, s := range sevs[1:] {
				rowVariants = append(rowVariants, rules.Variant{Severity: s, When: "the row says so"})
			}
		}
	}
	return []rules.Rule{
		rule(CheckScenario, top, rowVariants, "the scenario row's severity (default high)"),
		rule(CheckEscalation, finding.High, nil, ""),
		rule(CheckIsolation, finding.High, []rules.Variant{{Severity: finding.Medium, When: "the role is not a processor role (WARN)"}}, ""),
		rule(CheckDisagree, finding.Medium, nil, ""),
	}
}
