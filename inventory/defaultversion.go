package inventory

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultVersionError says that a managed policy's DefaultVersionId and
// its versions' IsDefaultVersion markers disagree, so which document IAM
// enforces cannot be told from the snapshot. IAM itself always marks
// exactly the default version; a disagreement means the input was edited
// or assembled from different reads. Neither marker is believed: the
// policy has no default document (DefaultDocument returns nil) and a check
// should report an ERROR naming the policy and both markers.
type DefaultVersionError struct {
	PolicyARN        string
	DefaultVersionID string   // the policy's DefaultVersionId ("" when absent)
	Marked           []string // the versions with IsDefaultVersion true, sorted
}

func (e *DefaultVersionError) Error() string {
	marked := "no version"
	if len(e.Marked) > 0 {
		marked = strings.Join(e.Marked, " and ")
	}
	def := fmt.Sprintf("DefaultVersionId is %s", e.DefaultVersionID)
	if e.DefaultVersionID == "" {
		def = "DefaultVersionId is empty"
	}
	return fmt.Sprintf("managed policy %s: %s but IsDefaultVersion marks %s: the default version cannot be told", e.PolicyARN, def, marked)
}

// DefaultVersionConflict returns a *DefaultVersionError when the policy's
// DefaultVersionId and IsDefaultVersion markers disagree: a version other
// than DefaultVersionId is marked, or more than one is. A source that gives
// only one of the two (no marker, or no DefaultVersionId) is not in
// conflict. It returns nil otherwise.
func (p *ManagedPolicy) DefaultVersionConflict() error {
	var marked []string
	for _, v := range p.Versions {
		if v.IsDefault {
			marked = append(marked, v.VersionID)
		}
	}
	sort.Slice(marked, func(i, j int) bool { return versionLess(marked[i], marked[j]) })
	conflict := len(marked) > 1 || (len(marked) == 1 && p.DefaultVersionID != "" && marked[0] != p.DefaultVersionID)
	if !conflict {
		return nil
	}
	return &DefaultVersionError{PolicyARN: p.ARN, DefaultVersionID: p.DefaultVersionID, Marked: marked}
}

// DefaultVersionConflicts lists every managed policy whose default version
// markers disagree (see ManagedPolicy.DefaultVersionConflict), by ARN.
func (s *Snapshot) DefaultVersionConflicts() []*DefaultVersionError {
	var out []*DefaultVersionError
	for i := range s.Policies {
		if err := s.Policies[i].DefaultVersionConflict(); err != nil {
			out = append(out, err.(*DefaultVersionError))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PolicyARN < out[j].PolicyARN })
	return out
}
