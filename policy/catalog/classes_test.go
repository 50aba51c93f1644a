package catalog_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/policy/catalog"
)

// oracle is an independent matcher: the IAM action glob as a regular
// expression over the whole "prefix:Name", case-insensitive.
func oracle(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?is)\A`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// randomPatterns makes action patterns of the shapes policies use, and some
// they do not, from the catalogue's own names.
func randomPatterns(r *rand.Rand, all []*catalog.Action, n int) []string {
	flip := func(s string) string {
		b := []byte(s)
		for i := range b {
			if r.IntN(3) == 0 {
				if 'a' <= b[i] && b[i] <= 'z' {
					b[i] -= 'a' - 'A'
				} else if 'A' <= b[i] && b[i] <= 'Z' {
					b[i] += 'a' - 'A'
				}
			}
		}
		return string(b)
	}
	cut := func(s string) string { // a prefix of s
		if len(s) == 0 {
			return s
		}
		return s[:r.IntN(len(s)+1)]
	}
	var out []string
	for len(out) < n {
		a := all[r.IntN(len(all))]
		svc, name := a.Service(), a.Name()
		var p string
		switch r.IntN(14) {
		case 0:
			p = svc + ":" + name // literal
		case 1:
			p = svc + ":*"
		case 2:
			p = svc + ":" + cut(name) + "*"
		case 3:
			p = "*:" + cut(name) + "*"
		case 4:
			p = "*:*" + name[r.IntN(len(name)):]
		case 5:
			p = cut(svc) + "*:" + cut(name) + "*"
		case 6: // one "?" in place of a character
			s := []byte(svc + ":" + name)
			s[r.IntN(len(s))] = '?'
			p = string(s)
		case 7:
			p = "*" + cut(name) + "*"
		case 8:
			p = "*"
		case 9:
			p = "nosuchservice:" + name
		case 10:
			p = svc + ":" + name + "Extra"
		case 11:
			s := svc + ":" + name
			i := r.IntN(len(s))
			j := i + r.IntN(len(s)-i+1)
			p = s[:i] + "*" + s[j:]
		case 12:
			p = "?" + svc[min(1, len(svc)):] + ":" + cut(name) + "?*"
		case 13:
			p = cut(svc) + "*" + name[r.IntN(len(name)):]
		}
		out = append(out, flip(p))
	}
	return out
}

// checkClasses compares Classes with the oracle: every action of within in
// exactly one class, Matches equal to the oracle's for every member, and no
// two classes with the same signature (and split key): the coarsest
// partition.
func checkClasses(t *testing.T, within catalog.Set, patterns []string, split catalog.Split, classes []catalog.Class) {
	t.Helper()
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = oracle(p)
	}
	seen := map[*catalog.Action]bool{}
	sigs := map[string]int{}
	for ci, k := range classes {
		if len(k.Actions) == 0 || len(k.Matches) != len(patterns) {
			t.Fatalf("class %d: %d actions, %d matches", ci, len(k.Actions), len(k.Matches))
		}
		if ci > 0 && strings.ToLower(classes[ci-1].Actions[0].String()) >= strings.ToLower(k.Actions[0].String()) {
			t.Errorf("classes not sorted by first action at %d", ci)
		}
		for _, a := range k.Actions {
			if seen[a] {
				t.Fatalf("%s in two classes", a)
			}
			seen[a] = true
			if !within.Contains(a) {
				t.Fatalf("%s is in a class but not in the set", a)
			}
			for i, re := range res {
				if got := re.MatchString(a.String()); got != k.Matches[i] {
					t.Fatalf("class %d (%s…): pattern %q: Matches %v, but the oracle says %v for %s",
						ci, k.Actions[0], patterns[i], k.Matches[i], got, a)
				}
			}
			if split&catalog.ByService != 0 && a.Service() != k.Actions[0].Service() {
				t.Fatalf("class %d mixes services %s and %s", ci, k.Actions[0], a)
			}
			if split&catalog.ByAccess != 0 && a.Access() != k.Actions[0].Access() {
				t.Fatalf("class %d mixes access levels %s and %s", ci, k.Actions[0], a)
			}
		}
		sig := fmt.Sprint(k.Matches)
		if split&catalog.ByService != 0 {
			sig += k.Actions[0].Service()
		}
		if split&catalog.ByAccess != 0 {
			sig += k.Actions[0].Access().String()
		}
		if j, dup := sigs[sig]; dup {
			t.Fatalf("classes %d and %d have the same signature: the partition is not the coarsest", j, ci)
		}
		sigs[sig] = ci
	}
	if len(seen) != within.Len() {
		t.Fatalf("classes hold %d actions, the set %d", len(seen), within.Len())
	}
}

func TestClassesOracle(t *testing.T) {
	c := mustDefault(t)
	all := c.Actions()
	r := rand.New(rand.NewPCG(11, 7))
	for iter := range 10 {
		patterns := randomPatterns(r, all, 1+r.IntN(25))
		split := catalog.Split(iter % 4)
		within := c.All()
		if iter%3 == 2 {
			// A subset: what one statement's Action list already covers.
			within = c.MatchAny(randomPatterns(r, all, 5), iter%2 == 0)
		}
		t.Run(fmt.Sprintf("%d", iter), func(t *testing.T) {
			classes := within.Classes(patterns, split)
			checkClasses(t, within, patterns, split, classes)
			// Match agrees with the oracle too.
			for _, p := range patterns[:min(4, len(patterns))] {
				re := oracle(p)
				var want []*catalog.Action
				for _, a := range all {
					if re.MatchString(a.String()) {
						want = append(want, a)
					}
				}
				if got := c.Match(p); !slices.Equal(got, want) {
					t.Errorf("Match(%q): %d actions, the oracle %d", p, len(got), len(want))
				}
			}
		})
	}
}

func TestClassesShapes(t *testing.T) {
	c := mustDefault(t)
	t.Run("no patterns", func(t *testing.T) {
		k := c.Classes(nil, 0)
		if len(k) != 1 || len(k[0].Actions) != c.Len() || len(k[0].Matches) != 0 {
			t.Errorf("got %d classes", len(k))
		}
	})
	t.Run("by service", func(t *testing.T) {
		k := c.Classes(nil, catalog.ByService)
		if len(k) != len(c.Services()) {
			t.Errorf("%d classes, want one per service (%d)", len(k), len(c.Services()))
		}
	})
	t.Run("not action of the mutating verbs", func(t *testing.T) {
		patterns := []string{"*:Create*", "*:Delete*", "*:Put*"}
		k := c.Classes(patterns, 0)
		if len(k) != 4 {
			t.Fatalf("%d classes, want 4", len(k))
		}
		// The class no pattern matches is what NotAction grants.
		var rest *catalog.Class
		for i := range k {
			if !slices.Contains(k[i].Matches, true) {
				rest = &k[i]
			}
		}
		if rest == nil {
			t.Fatal("no class outside every pattern")
		}
		if got := c.MatchAny(patterns, true).Len(); len(rest.Actions) != got {
			t.Errorf("unmatched class has %d actions, NotAction covers %d", len(rest.Actions), got)
		}
	})
	t.Run("repeated patterns", func(t *testing.T) {
		patterns := []string{"iam:*", "IAM:*", "iam:**", "s3:GetObject"}
		k := c.Classes(patterns, 0)
		checkClasses(t, c.All(), patterns, 0, k)
		if len(k) != 3 {
			t.Errorf("%d classes, want 3", len(k))
		}
	})
	t.Run("empty set", func(t *testing.T) {
		if k := c.MatchAny(nil, false).Classes([]string{"*"}, 0); k != nil {
			t.Errorf("got %d classes", len(k))
		}
	})
	t.Run("every literal", func(t *testing.T) {
		// The worst case for the number of classes: each action its own.
		var patterns []string
		s, _ := c.Service("iam")
		for _, a := range s.Actions() {
			patterns = append(patterns, a.String())
		}
		k := c.Classes(patterns, 0)
		checkClasses(t, c.All(), patterns, 0, k)
		if len(k) != len(patterns)+1 {
			t.Errorf("%d classes, want %d", len(k), len(patterns)+1)
		}
	})
}

// benchPatterns is a realistic pattern list: what a few dozen roles'
// policies name, a few hundred entries.
func benchPatterns(c *catalog.Catalog, n int) []string {
	r := rand.New(rand.NewPCG(3, 5))
	all := c.Actions()
	out := []string{"*", "*:Create*", "*:Delete*", "*:Put*", "s3:*", "iam:*", "kms:*", "ec2:Describe*", "*:List*", "*:Get*"}
	for len(out) < n {
		a := all[r.IntN(len(all))]
		switch r.IntN(10) {
		case 0, 1, 2, 3, 4, 5:
			out = append(out, a.String())
		case 6, 7:
			out = append(out, a.Service()+":"+a.Name()[:1+r.IntN(len(a.Name()))]+"*")
		case 8:
			out = append(out, a.Service()+":*")
		case 9:
			out = append(out, "*:"+a.Name()[:1+r.IntN(len(a.Name()))]+"*")
		}
	}
	return out
}

func BenchmarkClasses(b *testing.B) {
	c := mustDefault(b)
	for _, n := range []int{50, 300, 1000} {
		patterns := benchPatterns(c, n)
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			var k []catalog.Class
			for b.Loop() {
				k = c.Classes(patterns, 0)
			}
			b.ReportMetric(float64(len(k)), "classes")
		})
		b.Run(fmt.Sprintf("patterns=%d/by-service", n), func(b *testing.B) {
			var k []catalog.Class
			for b.Loop() {
				k = c.Classes(patterns, catalog.ByService)
			}
			b.ReportMetric(float64(len(k)), "classes")
		})
	}
}

func BenchmarkMatchAny(b *testing.B) {
	c := mustDefault(b)
	patterns := benchPatterns(c, 300)
	for b.Loop() {
		c.MatchAny(patterns, true)
	}
}

func BenchmarkMatch(b *testing.B) {
	c := mustDefault(b)
	for _, p := range []string{"s3:GetObject", "s3:Get*", "*:Create*", "*:*Policy", "*Role*", "*"} {
		b.Run(p, func(b *testing.B) {
			for b.Loop() {
				c.Match(p)
			}
		})
	}
}
