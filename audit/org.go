package audit

import (
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/reports"
)

// Header builds a report header for a kind this package does not build
// itself (the organisation fan-out's consolidated report), with the rule
// registry the SARIF and HTML writers read.
func (r *Run) Header(kind reports.Kind, acct *reports.Account) reports.Header {
	h := r.header(kind, acct)
	if h.Rules == nil {
		var c *contract.Contract
		if r.Config != nil {
			c = r.Config.Contract
		}
		if reg, err := Registry(c); err == nil {
			h.Rules = reg
		}
	}
	return h
}
