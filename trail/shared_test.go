package trail

import (
	"context"
	"os"
	"testing"
	"time"
)

// sharedDir holds real public CloudTrail samples next to the repository.
const sharedDir = "../../shared/data/cloudtrail"

// TestSharedSamples replays the real records in ../shared/data/cloudtrail
// with every record decoded: nothing may fail except counted undecodable
// records.
func TestSharedSamples(t *testing.T) {
	if _, err := os.Stat(sharedDir); err != nil {
		t.Skipf("shared CloudTrail samples not present (%s): %v", sharedDir, err)
	}
	var inputs []Input
	ins, ws, err := WalkDir(sharedDir, time.Time{}, time.Time{})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	inputs = append(inputs, ins...)
	e := DefaultExpectations()
	e.RolePatterns = []string{"*"}
	res, err := ReplayFiles(context.Background(), inputs, Options{Expect: e, FullDecode: true})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	st := res.Stats
	t.Logf("walk %+v; files %d shapes %v; records split %d decoded %d kept %d undecodable %d unread %d; sessions %d findings %d",
		ws, st.Files, st.Shapes, st.RecordsSplit, st.RecordsDecoded, st.RecordsKept, st.Undecodable, st.FilesUnread, len(res.Sessions), len(res.Findings))
	for _, p := range st.Problems {
		t.Logf("problem: %s", p)
	}
	if st.FilesUnread != 0 {
		t.Errorf("got %d unreadable files, want 0", st.FilesUnread)
	}
	if st.RecordsDecoded+st.Undecodable != st.RecordsSplit {
		t.Errorf("decoded %d + undecodable %d != split %d: records disappeared", st.RecordsDecoded, st.Undecodable, st.RecordsSplit)
	}
	// Refused AssumeRole records carry the role only in errorMessage; they
	// must still become attempts on that role.
	attempts := 0
	for _, s := range res.Sessions {
		if s.Attempt && s.RoleName == "stratus-red-team-get-usr-data-role" {
			attempts++
		}
	}
	if attempts != 2 {
		t.Errorf("got %d refused attempts on stratus-red-team-get-usr-data-role, want 2", attempts)
	}
	// The default pre-filtered replay reads the same files without errors.
	def, err := ReplayFiles(context.Background(), inputs, Options{Expect: DefaultExpectations()})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if def.Stats.Undecodable != 0 || def.Stats.FilesUnread != 0 {
		t.Errorf("default replay: %d undecodable, %d unreadable; want 0", def.Stats.Undecodable, def.Stats.FilesUnread)
	}
}
