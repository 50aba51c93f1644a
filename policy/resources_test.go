package policy

import (
	"slices"
	"testing"
)

func TestResourceWitnesses(t *testing.T) {
	t.Parallel()
	doc := mustParse(t, `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::wf-bucket/*","arn:aws:s3:::${aws:username}-home/*"]},
 {"Effect":"Deny","Action":"s3:Delete*","Resource":"arn:aws:s3:::wf-*"},
 {"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)
	comp, err := Compile(PolicySet{Identity: []NamedPolicy{{Name: "p", Doc: doc}}})
	if err != nil {
		t.Fatal(err)
	}
	user := "arn:aws:iam::111122223333:user/ana"
	tests := []struct {
		name      string
		q         ResourceQuestion
		mustHave  []func(string) bool
		wantWhy   bool
		wantCount int
	}{
		{
			name: "regions of the allow and the deny, inside the object domain",
			q:    ResourceQuestion{Action: "s3:DeleteObject", Domain: []string{"arn:aws:s3:::*/*"}, Principal: user},
			mustHave: []func(string) bool{
				func(s string) bool { return arnLikeMatch([]string{"arn:aws:s3:::wf-bucket/*"}, s) },
				func(s string) bool { return arnLikeMatch([]string{"arn:aws:s3:::ana-home/*"}, s) },
				func(s string) bool {
					return !arnLikeMatch([]string{"arn:aws:s3:::wf-*", "arn:aws:s3:::ana-home/*"}, s)
				},
				func(s string) bool {
					return arnLikeMatch([]string{"arn:aws:s3:::wf-*"}, s) && !arnLikeMatch([]string{"arn:aws:s3:::wf-bucket/*"}, s)
				},
			},
		},
		{
			name:    "a variable the question does not fix is a reason",
			q:       ResourceQuestion{Action: "s3:GetObject", Domain: []string{"arn:aws:s3:::*/*"}},
			wantWhy: true,
		},
		{
			name: "a partition pattern splits further",
			q: ResourceQuestion{Action: "ec2:RunInstances", Domain: []string{"arn:aws:ec2:*:*:instance/*"},
				Partition: []string{"arn:aws:ec2:*:111122223333:instance/*"}},
			wantCount: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, why := comp.ResourceWitnesses(&tc.q)
			if (why != "") != tc.wantWhy {
				t.Fatalf("reason %q, want one: %v", why, tc.wantWhy)
			}
			for i, f := range tc.mustHave {
				if !slices.ContainsFunc(got, f) {
					t.Errorf("no witness of region %d among %q", i, got)
				}
			}
			if tc.wantCount > 0 && len(got) != tc.wantCount {
				t.Errorf("%d witnesses %q, want %d", len(got), got, tc.wantCount)
			}
			for _, r := range got {
				if len(tc.q.Domain) > 0 && !arnLikeMatch(tc.q.Domain, r) {
					t.Errorf("witness %q outside the domain", r)
				}
			}
		})
	}
}

func mustParse(t *testing.T, s string) *Document {
	t.Helper()
	d, err := ParseString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
