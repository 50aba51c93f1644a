package policy

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	q := &Question{
		Fixed: map[string][]string{"aws:requestedregion": {"us-east-1"}, "aws:PrincipalTag/team": {"data"}},
		Keys: map[string]KeyInfo{
			"aws:RequestTag/*":        {Multi: true},
			"aws:RequestTag/owner":    {Class: KeyFixed},
			"AWS:USERID":              {Domain: []string{"AROAID:*"}},
			"iam:PermissionsBoundary": {Domain: []string{"*"}},
			"x:typed":                 {Type: TypeNumber},
		},
	}
	for _, tc := range []struct {
		key          string
		anyPrincipal bool
		class        KeyClass
		multi        bool
		typ          ValueType
		domain       string
	}{
		{key: "aws:SourceIp", class: KeyCallerChosen, typ: TypeIP},
		{key: "aws:sourceip", class: KeyCallerChosen, typ: TypeIP},
		{key: "aws:CurrentTime", class: KeyCallerChosen, typ: TypeDate},
		{key: "aws:RequestedRegion", class: KeyFixed, typ: TypeText},
		{key: "aws:PrincipalTag/team", class: KeyFixed, typ: TypeText},
		{key: "aws:PrincipalTag/other", class: KeyFixed, typ: TypeText},
		{key: "aws:PrincipalTag/other", anyPrincipal: true, class: KeyCallerChosen, typ: TypeText},
		{key: "aws:PrincipalTag/team", anyPrincipal: true, class: KeyFixed, typ: TypeText},
		{key: "aws:PrincipalArn", class: KeyFixed, typ: TypeText},
		{key: "aws:ResourceTag/env", class: KeyFixed, typ: TypeText},
		{key: "aws:RequestTag/env", class: KeyCallerChosen, multi: true, typ: TypeText},
		{key: "aws:RequestTag/owner", class: KeyFixed, typ: TypeText},
		{key: "aws:TagKeys", class: KeyCallerChosen, multi: true, typ: TypeText},
		{key: "aws:userid", class: KeyCallerChosen, typ: TypeText, domain: "AROAID:*"},
		{key: "iam:PermissionsBoundary", class: KeyCallerChosen, typ: TypeText},
		{key: "iam:PolicyARN", class: KeyCallerChosen, typ: TypeText, domain: "arn:*:iam::????????????:policy/*,arn:*:iam::aws:policy/*"},
		{key: "sts:ExternalId", class: KeyCallerChosen, typ: TypeText},
		{key: "ec2:Whatever", class: KeyCallerChosen, typ: TypeText},
		{key: "x:typed", class: KeyCallerChosen, typ: TypeNumber},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			m := q.classify(tc.key, tc.anyPrincipal)
			if m.class != tc.class || m.multi != tc.multi || m.typ != tc.typ || strings.Join(m.domain, ",") != tc.domain {
				t.Errorf("got class %s multi %v type %d domain %q, want %s %v %d %q", m.class, m.multi, m.typ, m.domain, tc.class, tc.multi, tc.typ, tc.domain)
			}
		})
	}
}

// TestBuiltinKeys loads the table: names are lower case, prefixes end in
// "/", domains compile into atoms.
func TestBuiltinKeys(t *testing.T) {
	t.Parallel()
	for name, spec := range builtinKeys() {
		if name != strings.ToLower(name) {
			t.Errorf("%s: not lower case", name)
		}
		if strings.HasSuffix(name, "/") {
			found := false
			for _, p := range keyPrefixes {
				found = found || p == name
			}
			if !found {
				t.Errorf("%s: prefix entry missing from keyPrefixes", name)
			}
		}
		if spec.typ == TypeDefault {
			t.Errorf("%s: no value type", name)
		}
		if len(spec.domain) > 0 && len(arnLikeAtom(spec.domain).comps) == 0 {
			t.Errorf("%s: domain compiles to nothing", name)
		}
	}
}
