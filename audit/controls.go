package audit

import (
	"context"

	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/rules/controls"
)

// Controls is `pvaudit controls list`: every control of a framework that
// the rules evidence, with the rules; with a scan input, the scan runs and
// each control gets its status (and the report the scan's verdict).
func Controls(ctx context.Context, r *Run, framework string, scan *ScanInput) (*reports.ControlsReport, error) {
	cat, err := controls.Load()
	if err != nil {
		return nil, err
	}
	fw, err := cat.Framework(framework)
	if err != nil {
		return nil, err
	}
	reg, err := Registry(r.contract())
	if err != nil {
		return nil, err
	}
	if err := cat.Validate(reg); err != nil {
		return nil, err
	}
	if scan == nil {
		rows := controls.Matrix(fw, reg, nil)
		return &reports.ControlsReport{Header: r.header(reports.KindControls, nil),
			Framework: reports.FrameworkInfo{ID: fw.ID, Key: fw.Key, Title: fw.Title}, Summary: controls.Summary(rows), Controls: rows}, nil
	}
	rep, err := Scan(ctx, r, *scan)
	if err != nil {
		return nil, err
	}
	out := r.controlsReport(fw, rep)
	out.Command = r.Command
	return out, nil
}
