package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// allowListQuestion asks: is there any request, of the whole catalogue,
// that the role may make and that no grant of the allow-list covers? The
// grants' actions split the classes and their resources split the witness
// resources, so a class is either inside a grant or outside all of them.
func allowListQuestion(grants []contract.Grant, vars map[string]string) question {
	q := question{actions: []string{"*"}}
	for _, g := range grants {
		q.classBy = append(q.classBy, g.Action)
		if p, err := contract.Expand(g.Resource, vars); err == nil {
			q.partition = append(q.partition, p)
		}
	}
	q.breaksRequest = func(action, res string, _ *policy.Witness) bool {
		_, ok := grantCovers(grants, vars, action, res)
		return !ok
	}
	return q
}

// requiredKeyQuestions ask, for each grant that must depend on a condition
// key, whether a request it covers is allowed without that key or with a
// value the role's policies do not name exactly (a pattern names any).
func (e *Env) requiredKeyQuestions(ev *RoleEvaluator, grants []contract.Grant, vars map[string]string) []request {
	var out []request
	for _, g := range grants {
		res, err := contract.Expand(g.Resource, vars)
		if err != nil {
			continue
		}
		for _, k := range g.RequireKeys {
			var exact []string
			for _, v := range ev.c.ConditionValues(k) {
				if !strings.ContainsAny(v, "*?") && !strings.Contains(v, "${") {
					exact = append(exact, v)
				}
			}
			k := k
			out = append(out, request{Action: g.Action, Resource: res, Key: g.Action + " " + g.Resource + " without " + k,
				Keys: map[string]policy.KeyInfo{k: {Partition: exact}},
				Breaks: func(_ string, w *policy.Witness) bool {
					v, present := chosenOK(w, k)
					return !present || !slices.Contains(exact, v)
				},
				Gains: "works without " + k + " naming one exact value: any (or no) " + strings.TrimPrefix(k, "elasticfilesystem:") + " can be used"})
		}
	}
	return out
}

// allowListFindings reports the hits of an allow-list question, one FAIL
// per service.
func (c *Check) allowListFindings(r *inventory.Role, ans answer, who, allowed string) []finding.Finding {
	return c.report(r, ans, serviceOf, func(svc string, hs []hit) string {
		return fmt.Sprintf("%s can %s, outside %s", who, countPhrase(hs), allowed)
	}, "every request it can make is on the allow-list")
}
