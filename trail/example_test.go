package trail_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pvaudit/pvaudit/trail"
)

// The scanner learns which roles the provider created from a replay of a
// trail folder.
func ExampleProviderCreatedRoles() {
	ins, _, err := trail.WalkDir("../testdata/trail", time.Time{}, time.Time{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := trail.ReplayFiles(context.Background(), ins, trail.Options{Expect: trail.DefaultExpectations()})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(trail.ProviderCreatedRoles(res.Sessions))
	// Output: [pennsieve-wf-0001-lambda pennsieve-wf-0002-rogue]
}
