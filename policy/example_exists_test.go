package policy_test

import (
	"fmt"
	"time"

	"github.com/pvaudit/pvaudit/policy"
)

// A guardrail that exempts Terraform sessions: the session name is the
// caller's choice, so the exemption is a way around the guardrail.
func ExampleCompiled_Exists() {
	doc, err := policy.ParseString(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"StringNotLike":{"aws:userid":"*:terraform-*"}}}]}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := policy.Compile(policy.PolicySet{Identity: []policy.NamedPolicy{{Name: "admin", Doc: doc}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	q := &policy.Question{
		Principal: "arn:aws:iam::111122223333:role/admin",
		Action:    "iam:CreateUser",
		Resource:  "arn:aws:iam::111122223333:user/x",
		// The role ID is fixed; the session name after the colon is not.
		Keys: map[string]policy.KeyInfo{"aws:userid": {Domain: []string{"AROAEXAMPLEID:*"}}},
		Now:  time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	}
	a := c.ExistsAllowed(q)
	switch a.Outcome() {
	case policy.Exists:
		fmt.Println("allowed with", a.Found)
	case policy.NoneExists:
		fmt.Println("never allowed")
	default:
		fmt.Println("NOT_EVALUATED:", a.Reason)
	}
	// Output: allowed with aws:userid="AROAEXAMPLEID:terraform-"
}
