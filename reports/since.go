package reports

import (
	"sort"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// Delta is "since the last run": how this run's open findings compare,
// by fingerprint, with those of the previous run in the same output
// folder. A finding is open when it is not a PASS and not suppressed.
type Delta struct {
	// Previous is the previous run's report file and when it was made.
	Previous   string    `json:"previous"`
	PreviousAt time.Time `json:"previous_generated_at"`
	// New are open now and were not open before.
	New []DeltaItem `json:"new"`
	// Resolved were open before and are a PASS now.
	Resolved []DeltaItem `json:"resolved"`
	// Gone were open before and are not open now without being a PASS:
	// not reported at all (the resource was deleted, or this run did not
	// evaluate it: a narrower --checks, a coverage gap) or suppressed
	// since. Never counted as resolved.
	Gone []DeltaItem `json:"gone"`
	// StillOpen counts findings open in both runs.
	StillOpen int `json:"still_open"`
	// Changed lists the still-open findings whose status or severity
	// changed (FAIL → ERROR, high → critical).
	Changed []DeltaItem `json:"changed"`
}

// DeltaItem is one finding in a Delta, as it is now (or was, for Gone
// and Resolved ones: then Status is its current status, PASS or absent).
type DeltaItem struct {
	Fingerprint string           `json:"fingerprint"`
	CheckID     string           `json:"check_id"`
	Severity    finding.Severity `json:"severity"`
	Status      finding.Status   `json:"status,omitempty"`
	Resource    string           `json:"resource"`
	Key         string           `json:"key,omitempty"`
	Title       string           `json:"title"`
	// Was is the status in the previous run (Changed, Resolved, Gone).
	Was finding.Status `json:"was,omitempty"`
}

func (d *Delta) describePrevious() string {
	return "(against " + d.Previous + " of " + d.PreviousAt.UTC().Format(time.RFC3339) + ")"
}

// sinceLastRun is a report's comparison with the previous run, if any.
func sinceLastRun(r Report) *Delta {
	switch x := r.(type) {
	case *ScanReport:
		return x.SinceLastRun
	case *DriftReport:
		return x.SinceLastRun
	}
	return nil
}

func open(f *finding.Finding) bool { return f.Status != finding.Pass && f.Suppressed == nil }

func itemOf(f *finding.Finding) DeltaItem {
	return DeltaItem{Fingerprint: f.Fingerprint, CheckID: f.CheckID, Severity: f.Severity, Status: f.Status, Resource: f.Resource, Key: f.Key, Title: f.Title}
}

// Compare computes the delta from the previous run's findings to this
// run's. previous names the previous report for the record.
func Compare(prev, cur []finding.Finding, previous string, previousAt time.Time) *Delta {
	d := &Delta{Previous: previous, PreviousAt: previousAt, New: []DeltaItem{}, Resolved: []DeltaItem{}, Gone: []DeltaItem{}, Changed: []DeltaItem{}}
	before := map[string]*finding.Finding{}
	for i := range prev {
		before[prev[i].Fingerprint] = &prev[i]
	}
	now := map[string]*finding.Finding{}
	for i := range cur {
		f := &cur[i]
		now[f.Fingerprint] = f
		b, seen := before[f.Fingerprint]
		switch {
		case open(f) && (!seen || !open(b)):
			d.New = append(d.New, itemOf(f))
		case open(f):
			d.StillOpen++
			if b.Status != f.Status || b.Severity != f.Severity {
				it := itemOf(f)
				it.Was = b.Status
				d.Changed = append(d.Changed, it)
			}
		case seen && open(b):
			it := itemOf(f)
			it.Was = b.Status
			if f.Status == finding.Pass {
				d.Resolved = append(d.Resolved, it)
			} else { // suppressed since
				d.Gone = append(d.Gone, it)
			}
		}
	}
	for i := range prev {
		b := &prev[i]
		if _, ok := now[b.Fingerprint]; !ok && open(b) {
			it := itemOf(b)
			it.Was, it.Status = b.Status, ""
			d.Gone = append(d.Gone, it)
		}
	}
	for _, l := range [][]DeltaItem{d.New, d.Resolved, d.Gone, d.Changed} {
		sort.Slice(l, func(i, j int) bool {
			if l[i].Severity != l[j].Severity {
				return l[i].Severity > l[j].Severity
			}
			if l[i].CheckID != l[j].CheckID {
				return l[i].CheckID < l[j].CheckID
			}
			return l[i].Fingerprint < l[j].Fingerprint
		})
	}
	return d
}
