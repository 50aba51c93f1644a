package policy

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// The compile fast paths (compilePlainPattern, compileActionPattern, the
// shared backing arrays of compileARNPattern) must build exactly the tokens
// the general tokenizer builds. refARNFields is the field split as it was
// written before the backing arrays, kept here as the oracle.

func refARNFields(toks []token) [][]token {
	var fields [][]token
	var cur []token
	splits := 0
	for _, t := range toks {
		if t.kind != tokLit || splits == 5 {
			cur = append(cur, t)
			continue
		}
		text := t.text
		for splits < 5 {
			k := strings.IndexByte(text, ':')
			if k < 0 {
				break
			}
			if k > 0 {
				cur = append(cur, token{kind: tokLit, text: text[:k]})
			}
			fields = append(fields, cur)
			cur = nil
			splits++
			text = text[k+1:]
		}
		if text != "" {
			cur = append(cur, token{kind: tokLit, text: text})
		}
	}
	return append(fields, cur)
}

// patternStrings are hand-picked patterns plus random ones over an
// alphabet rich in the characters the tokenizer treats specially.
func patternStrings(n int) []string {
	out := []string{"", "*", "**", "?", "a", "s3:GetObject", "s3:Get*", "iam:*Role*", "*:*", "a**b", "*?*", "?*?",
		"arn:aws:s3:::b/*", "arn:aws:iam::*:role/Pennsieve-*", "arn:aws:s3:::", "arn:", "arn:aws:a:b:c:d:e:f", "arn:*",
		"arn:aws:iam::${aws:PrincipalAccount}:role/x", "${*}${?}${$}", "a${x, 'd''e'}b", "${bad", "x${}y"}
	r := rand.New(rand.NewSource(7))
	const alphabet = "ab:*?${}/,' -éX"
	for len(out) < n {
		var b strings.Builder
		for k := r.Intn(24); k > 0; k-- {
			b.WriteByte(alphabet[r.Intn(len(alphabet))])
		}
		s := b.String()
		if r.Intn(3) == 0 {
			s = "arn:" + s
		}
		out = append(out, s)
	}
	return out
}

func TestCompilePlainPatternMatchesTokenizer(t *testing.T) {
	for _, s := range patternStrings(3000) {
		for _, wild := range []bool{false, true} {
			// Without variables the general tokenizer is the reference.
			want := compileGeneralPattern(s, patternOpts{wild: wild})
			if got := compilePlainPattern(s, wild); !reflect.DeepEqual(got, want) {
				t.Fatalf("compilePlainPattern(%q, wild=%v) = %+v, want %+v", s, wild, got, want)
			}
			if !strings.Contains(s, "${") {
				if got := compilePattern(s, patternOpts{wild: wild, vars: true}); !reflect.DeepEqual(got, want) {
					t.Fatalf("compilePattern(%q, vars) = %+v, want %+v", s, got, want)
				}
			}
		}
		p := compileGeneralPattern(s, patternOpts{wild: true})
		want := actionPattern{any: p.any, toks: staticToks(p.toks)}
		if got := compileActionPattern(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("compileActionPattern(%q) = %+v, want %+v", s, got, want)
		}
	}
}

func TestCompileARNPatternFields(t *testing.T) {
	for _, s := range patternStrings(3000) {
		for _, vars := range []bool{false, true} {
			ap := compileARNPattern(s, patternOpts{wild: true, vars: vars})
			if !strings.HasPrefix(s, "arn:") {
				if ap.fields != nil || ap.static != nil {
					t.Fatalf("%q: fields for a non-ARN pattern", s)
				}
				continue
			}
			want := refARNFields(ap.toks)
			if !reflect.DeepEqual(ap.fields, want) {
				t.Fatalf("%q: fields %+v, want %+v", s, ap.fields, want)
			}
			if ap.hasVar {
				continue
			}
			if len(ap.static) != len(want) {
				t.Fatalf("%q: %d static fields, want %d", s, len(ap.static), len(want))
			}
			for i, f := range want {
				if w := staticToks(f); !reflect.DeepEqual(ap.static[i], w) || cap(ap.static[i]) != len(ap.static[i]) {
					t.Fatalf("%q: static field %d = %+v (cap %d), want %+v", s, i, ap.static[i], cap(ap.static[i]), w)
				}
			}
		}
	}
}

// refBuildIndex is buildIndex as it was written with a map per statement,
// kept as the oracle for the slice-based one.
func refBuildIndex(stmts []cStmt, deny bool) stmtIndex {
	var x stmtIndex
	type info struct {
		any      bool
		services map[string]bool
		literals map[string]bool
	}
	infos := make([]info, len(stmts))
	keys := map[string]bool{}
	for i := range stmts {
		s := &stmts[i]
		if s.deny != deny {
			continue
		}
		in := info{services: map[string]bool{}, literals: map[string]bool{}, any: s.notAction}
		for _, a := range s.rawActions {
			if in.any {
				break
			}
			svc, _, found := strings.Cut(a, ":")
			if !found || strings.ContainsAny(svc, "*?") {
				in.any = true
				break
			}
			svc = strings.ToLower(svc)
			keys[svc] = true
			if strings.ContainsAny(a, "*?") {
				in.services[svc] = true
			} else {
				l := strings.ToLower(a)
				in.literals[l] = true
				keys[l] = true
			}
		}
		infos[i] = in
	}
	for i := range stmts {
		if stmts[i].deny == deny && infos[i].any {
			x.rest = append(x.rest, cand{stmt: int32(i)})
		}
	}
	if len(keys) == 0 {
		return x
	}
	x.by = map[string][]cand{}
	for key := range keys {
		svc, _, isAction := strings.Cut(key, ":")
		var list []cand
		for i := range stmts {
			in := &infos[i]
			if stmts[i].deny != deny {
				continue
			}
			hasSvc := false
			for a := range in.literals {
				if strings.HasPrefix(a, svc+":") {
					hasSvc = true
				}
			}
			switch {
			case in.any:
				list = append(list, cand{stmt: int32(i)})
			case isAction && in.literals[key]:
				list = append(list, cand{stmt: int32(i), actionOK: true})
			case in.services[svc]:
				list = append(list, cand{stmt: int32(i)})
			case !isAction && hasSvc:
				list = append(list, cand{stmt: int32(i)})
			}
		}
		x.by[key] = list
	}
	return x
}

func TestBuildIndexMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	actions := []string{"s3:GetObject", "S3:getobject", "s3:Get*", "s3:*", "*", "iam:CreateRole", "iam:PassRole", "IAM:*Role",
		"ec2:Describe*", "kms:Decrypt", "sts:AssumeRole", "s?:Get", "noservice", "lambda:Invoke?unction", "s3:PutObject"}
	for n := 0; n < 500; n++ {
		stmts := make([]cStmt, 1+r.Intn(12))
		for i := range stmts {
			stmts[i].deny = r.Intn(2) == 0
			stmts[i].notAction = r.Intn(8) == 0
			for k := 1 + r.Intn(4); k > 0; k-- {
				stmts[i].rawActions = append(stmts[i].rawActions, actions[r.Intn(len(actions))])
			}
		}
		for _, deny := range []bool{false, true} {
			got, want := buildIndex(stmts, deny), refBuildIndex(stmts, deny)
			if !reflect.DeepEqual(got.rest, want.rest) || len(got.by) != len(want.by) {
				t.Fatalf("case %d deny=%v: rest %v / %d keys, want %v / %d keys", n, deny, got.rest, len(got.by), want.rest, len(want.by))
			}
			for k, w := range want.by {
				if g, ok := got.by[k]; !ok || !reflect.DeepEqual(g, w) {
					t.Fatalf("case %d deny=%v key %q: %v, want %v", n, deny, k, g, w)
				}
			}
		}
	}
}
