package baseline

import "testing"

func TestRequestText(t *testing.T) {
	tests := []struct {
		name string
		r    Request
		want string
	}{
		{"resource, no context", Request{Action: "iam:PassRole", Resource: "*"}, "iam:PassRole on *"},
		{"own service and global keys shown, others hidden", Request{Action: "iam:CreateRole", Resource: "*", Context: map[string]string{
			"aws:resourceaccount": "481516234201", "iam:permissionsboundary": "arn:b", "lambda:principal": "x.amazonaws.com", "kms:grantisforawsresource": "false"}},
			"iam:CreateRole on * with aws:resourceaccount=481516234201, iam:permissionsboundary=arn:b"},
		{"caller with only other services' keys reads as no key set", Request{Action: "sts:AssumeRole", Caller: "arn:aws:iam::444455556666:root", Context: map[string]string{"lambda:principal": "x"}},
			"sts:AssumeRole by arn:aws:iam::444455556666:root with no condition key set"},
		{"more of the class", Request{Action: "s3:GetObject", Also: 3, Access: "Read", Resource: "*"}, "s3:GetObject (+3 more Read) on *"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RequestText(tc.r); got != tc.want {
				t.Errorf("RequestText = %q, want %q", got, tc.want)
			}
		})
	}
}
